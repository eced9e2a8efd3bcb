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
    "  check [--json]                  what this host supports\n"
    "  profile list|show|check|keys    the profiles: hand-written jail settings\n"
    "  gc [--dry-run]                  release what killed jails left (leases, bridges)\n"
    "  help                            this text (also --help)\n"
    "  --version                       cloison's version\n"
    "\n"
    "Run 'cloison COMMAND --help' for a command's options; see cloison(1).\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return 125;
	}
	if (strcmp(argv[1], "run") == 0)
		return cl_cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "check") == 0)
		return cl_cmd_check(argc - 1, argv + 1);
	if (strcmp(argv[1], "profile") == 0)
		return cl_cmd_profile(argc - 1, argv + 1);
	if (strcmp(argv[1], "gc") == 0)
		return cl_cmd_gc(argc - 1, argv + 1);
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
