/* Sub-commands.  Each returns the process exit status. */
#ifndef CL_CLI_H
#define CL_CLI_H

int cl_cmd_run(int argc, char **argv);
int cl_cmd_check(int argc, char **argv);
int cl_cmd_profile(int argc, char **argv);
int cl_cmd_gc(int argc, char **argv);
int cl_cmd_ps(int argc, char **argv);
int cl_cmd_stats(int argc, char **argv);
int cl_cmd_inspect(int argc, char **argv);
int cl_cmd_logs(int argc, char **argv);
int cl_cmd_wait(int argc, char **argv);
int cl_cmd_stop(int argc, char **argv);
int cl_cmd_kill(int argc, char **argv);
int cl_cmd_rm(int argc, char **argv);
int cl_cmd_start(int argc, char **argv);
int cl_cmd_restart(int argc, char **argv);
int cl_cmd_exec(int argc, char **argv);
int cl_cmd_generate(int argc, char **argv);
int cl_cmd_bench(int argc, char **argv);

#endif
