/* cloison: run commands, services and CI jobs in isolated contexts. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "Usage: cloison COMMAND [OPTIONS]\n"
    "\n"
    "Run a command, a service or a CI job in an isolated context: a container\n"
    "(namespaces, pivot_root, capabilities) or a micro-VM (KVM).\n"
    "\n"
    "Commands:\n"
    "  run [OPTIONS] -- CMD [ARG...]   run CMD in a new jail and wait for it\n"
    "  run -d [--name N] ... -- CMD    start it detached, as a service\n"
    "  ps [-a] [--format json]         the detached jails\n"
    "  stats [--no-stream] [NAME...]   their CPU, memory, net and I/O, live; the sum\n"
    "  inspect NAME...                 a jail's state, as JSON\n"
    "  logs [-f] [--tail N] NAME       what its command wrote\n"
    "  exec [-it] NAME -- CMD [ARG...] run CMD in a running jail, confined as it is\n"
    "  stop [-t S] NAME...             stop signal, then SIGKILL after S seconds\n"
    "  kill [-s SIG] NAME...           send a signal to its command\n"
    "  start NAME...                   start an ended jail again\n"
    "  restart [-t S] NAME...          stop it, then start it again\n"
    "  wait NAME...                    wait for it to end; print its exit status\n"
    "  rm [-f] NAME...                 remove an ended jail (-f: kill it first)\n"
    "  generate unit [-f] NAME         a systemd unit that runs a detached jail\n"
    "  check [--json]                  what this host supports\n"
    "  profile list|show|check|keys    the profiles: hand-written jail settings\n"
    "  gc [--dry-run]                  release what killed jails left (leases, bridges)\n"
    "  help                            this text (also --help)\n"
    "  --version                       cloison's version\n"
    "\n"
    "Run 'cloison COMMAND --help' for a command's options; see cloison(1).\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
    {"run", cl_cmd_run},	 {"ps", cl_cmd_ps},	  {"inspect", cl_cmd_inspect},
    {"logs", cl_cmd_logs},	 {"stop", cl_cmd_stop},	  {"kill", cl_cmd_kill},
    {"rm", cl_cmd_rm},		 {"wait", cl_cmd_wait},	  {"start", cl_cmd_start},
    {"restart", cl_cmd_restart}, {"check", cl_cmd_check}, {"generate", cl_cmd_generate},
    {"profile", cl_cmd_profile}, {"gc", cl_cmd_gc},	  {"exec", cl_cmd_exec},
    {"stats", cl_cmd_stats},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 125;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("cloison " CL_VERSION);
		return 0;
	}
	fprintf(stderr, "cloison: unknown command '%s'\n%s", argv[1], usage);
	return 125;
}
