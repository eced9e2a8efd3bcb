/* cloison: run commands, services and CI jobs in isolated contexts. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/oci.h"
#include "svc/state.h"
#include <seccomp.h>

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
    "  bench [--only LIST] [--runs N]  the same workloads on the host, in a container\n"
    "                                  and in a micro-VM, side by side\n"
    "\n"
    "OCI runtime (runc's command line, for podman, containerd, Kubernetes):\n"
    "  [--root DIR] [--log F] [--log-format json] create|start|state|kill|delete|\n"
    "  run|exec|ps|list|pause|resume|update|spec|features ...   see cloison-oci(1)\n"
    "\n"
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
    {"stats", cl_cmd_stats},	 {"bench", cl_cmd_bench},
};

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage; /* NULL: the command says it */
	bool shared;	   /* a services command too: see oci_wanted() */
} oci_commands[] = {
    {"create", cl_oci_create, NULL, false},
    {"delete", cl_oci_delete, "delete [--force] ID", false},
    {"state", cl_oci_state, "state ID", false},
    {"list", cl_oci_list, "list [-q] [--format table|json]", false},
    {"spec", cl_oci_spec, "spec [--rootless] [--bundle DIR]", false},
    {"features", cl_oci_features, "features", false},
    {"pause", cl_oci_pause, "pause ID", false},
    {"resume", cl_oci_resume, "resume ID", false},
    {"update", cl_oci_update, NULL, false},
    {"run", cl_oci_run, NULL, true},
    {"start", cl_oci_start, "start ID", true},
    {"kill", cl_oci_kill, "kill [--all] ID [SIGNAL]", true},
    {"exec", cl_oci_exec, NULL, true},
    {"ps", cl_oci_ps, "ps [--format table|json] ID [PS OPTIONS]", true},
};

/* --help of an OCI command that does not say its own */
static bool oci_help(const char *usage, int argc, char **argv)
{
	for (int i = 1; usage && i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("Usage: cloison [--root DIR] [--log FILE] [--log-format text|json] "
			       "%s\nSee cloison-oci(1).\n",
			       usage);
			return true;
		}
	return false;
}

/* The commands both interfaces have (run, start, kill, exec, ps) are the
 * OCI ones after a global option, for run with --bundle, and for a name
 * that is an OCI container's and no jail's. */
static bool oci_wanted(const char *cmd, int argc, char **argv)
{
	const char *id = NULL;
	char path[4096];

	if (cl_oci_g.given)
		return true;
	if (!strcmp(cmd, "run")) {
		for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
			if (!strcmp(argv[i], "-b") || !strncmp(argv[i], "--bundle", 8))
				return true;
		return false;
	}
	/* the first word that is neither an option nor an option's value */
	static const char *const valued[] = {"-f",	   "--format",
					     "--process",  "-p",
					     "--pid-file", "--console-socket",
					     "--cwd",	   "-e",
					     "--env",	   "-u",
					     "--user",	   "--cap",
					     "-c",	   "--preserve-fds",
					     "-s",	   "--signal",
					     "-t",	   "--time",
					     NULL};
	for (int i = 1; i < argc && !id; i++) {
		if (argv[i][0] != '-') {
			id = argv[i];
			continue;
		}
		if (!strcmp(argv[i], "-t") && !strcmp(cmd, "exec"))
			continue; /* --tty */
		for (const char *const *v = valued; *v; v++)
			if (!strcmp(argv[i], *v)) {
				i++; /* its value */
				break;
			}
	}
	if (!id || !cl_oci_is_container(id))
		return false;
	struct cl_err e;
	if (cl_state_root(path, sizeof(path), false, &e) == 0) {
		size_t n = strlen(path);
		snprintf(path + n, sizeof(path) - n, "/%s", id);
		if (access(path, F_OK) == 0)
			return false; /* a jail of that name too: the jail's */
	}
	return true;
}

static void version(void)
{
	const struct scmp_version *v = seccomp_version();

	printf("cloison version " CL_VERSION "\nspec: 1.1.0\n");
	if (v)
		printf("libseccomp: %u.%u.%u\n", v->major, v->minor, v->micro);
}

int main(int argc, char **argv)
{
	int g = cl_oci_parse_globals(argc, argv);

	if (g < 0)
		return 1;
	if (g > 0) {
		argv[g] = argv[0];
		argv += g;
		argc -= g;
	}
	if (argc >= 2)
		for (size_t i = 0; i < sizeof(oci_commands) / sizeof(oci_commands[0]); i++)
			if (!strcmp(argv[1], oci_commands[i].name) &&
			    (!oci_commands[i].shared || oci_wanted(argv[1], argc - 1, argv + 1)))
				return oci_help(oci_commands[i].usage, argc - 1, argv + 1)
					   ? 0
					   : oci_commands[i].fn(argc - 1, argv + 1);
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
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-v") ||
	    !strcmp(argv[1], "version")) {
		version();
		return 0;
	}
	fprintf(stderr, "cloison: unknown command '%s'\n%s", argv[1], usage);
	return 125;
}
