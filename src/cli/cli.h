/* Sub-commands.  Each returns the process exit status. */
#ifndef CL_CLI_H
#define CL_CLI_H

int cl_cmd_run(int argc, char **argv);
int cl_cmd_check(int argc, char **argv);
int cl_cmd_profile(int argc, char **argv);
int cl_cmd_gc(int argc, char **argv);

#endif
