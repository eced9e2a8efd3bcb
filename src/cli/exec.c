/* cloison exec: run a command in a running detached jail (ns/join.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/svc.h"
#include "ns/join.h"
#include "ns/stdio_relay.h"
#include "spec/settings.h"
#include "vm/agent_host.h"
#include "util/cleanup.h"

static const char exec_usage[] =
    "Usage: cloison exec [OPTIONS] NAME -- CMD [ARG...]\n"
    "\n"
    "Run CMD in the running jail NAME (container mode) with the jail's own\n"
    "confinement: its namespaces (user and cgroup included), its cgroups (CMD\n"
    "counts in its limits), capabilities, no_new_privs and seccomp policy, and\n"
    "its environment, working directory and user unless told otherwise.\n"
    "\n"
    "  -e, --env KEY=VALUE     set an environment variable (repeatable)\n"
    "  -w, --cwd DIR           working directory inside the jail (default: the\n"
    "                          jail's)\n"
    "  -u, --user UID[:GID]    run as this uid and gid (default: the jail's; GID\n"
    "                          defaults to UID)\n"
    "  -i, --interactive       keep stdin attached (otherwise /dev/null)\n"
    "  -t, --tty               allocate a pseudo-terminal in the jail (raw mode,\n"
    "                          window size and SIGWINCH forwarded)\n"
    "\n"
    "Exit status: CMD's own; 128+N when killed by signal N; 126 when CMD cannot\n"
    "be executed, 127 when not found; 125 when cloison fails (no such jail, not\n"
    "running, no guest agent).  SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and\n"
    "SIGUSR2 are forwarded to CMD.  A micro-VM jail is entered through its guest\n"
    "agent (vsock).\n";

/* What exec says on top of the jail's spec. */
struct exec_opts {
	const char **set; /* "user", value, "env", value, ... in order */
	size_t n_set;
	bool interactive, tty;
	char **argv; /* the command */
};

/* Options until the first other word (the name) or "--"; -1 on an unknown
 * one (said). */
static int parse_opts(int argc, char **argv, struct exec_opts *o)
{
	static const struct option opts[] = {{"env", required_argument, NULL, 'e'},
					     {"cwd", required_argument, NULL, 'w'},
					     {"user", required_argument, NULL, 'u'},
					     {"interactive", no_argument, NULL, 'i'},
					     {"tty", no_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, "+:e:w:u:ith", opts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(exec_usage, stdout); return 1;
		case 'i': o->interactive = true; break;
		case 't': o->tty = true; break;
		case 'e':
		case 'w':
		case 'u':
			o->set[o->n_set++] = c == 'e' ? "env" : c == 'w' ? "cwd" : "user";
			o->set[o->n_set++] = optarg;
			break;
		case ':':
			fprintf(stderr,
				"cloison: option %s needs a value (see cloison exec --help)\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "cloison: unknown option %s (see cloison exec --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

/* [OPTIONS] NAME [OPTIONS --] [--] CMD [ARG...]: options may follow the
 * name when "--" ends them.  1 after --help, -1 on a usage error (said). */
static int parse(int argc, char **argv, struct exec_opts *o, const char **name)
{
	int r;

	optind = 1;
	opterr = 0;
	if ((r = parse_opts(argc, argv, o)) != 0)
		return r;
	if (optind >= argc) {
		fprintf(stderr, "cloison: exec needs a jail's name and a command "
				"(cloison exec [OPTIONS] NAME -- CMD [ARG...])\n");
		return -1;
	}
	*name = argv[optind++];
	if (optind < argc && argv[optind][0] == '-' && strcmp(argv[optind], "--")) {
		if ((r = parse_opts(argc, argv, o)) != 0)
			return r;
		if (strcmp(argv[optind - 1], "--")) {
			fprintf(stderr, "cloison: exec: options after the jail's name end with -- "
					"before the command\n");
			return -1;
		}
	} else if (optind < argc && !strcmp(argv[optind], "--")) {
		optind++;
	}
	if (optind >= argc) {
		fprintf(stderr,
			"cloison: exec needs a command to run in jail %s "
			"(cloison exec [OPTIONS] NAME -- CMD [ARG...])\n",
			*name);
		return -1;
	}
	o->argv = argv + optind;
	return 0;
}

/* The jail's spec with exec's command, options and terminal. */
static int exec_spec(const struct cl_state *st, const struct exec_opts *o, struct cl_spec *s,
		     struct cl_err *err)
{
	struct cl_run_opts ro = {.svc = CL_SVC_OPTS_INIT};
	size_t n = 0;

	if (cl_svc_load_spec(st, s, &ro, err) < 0)
		return -1;
	for (size_t i = 0; i < o->n_set; i += 2) {
		char where[16];
		snprintf(where, sizeof(where), "--%s", o->set[i]);
		if (cl_setting_apply(cl_settings_find(o->set[i]), s, o->set[i + 1], where, err) < 0)
			return -1;
	}
	/* a run's -i, -t and --init are the jail's command's, not ours */
	s->keep_stdin = o->interactive;
	s->tty = o->tty;
	s->init = false;
	s->preserve_fds = 0;
	for (char **p = s->argv; p && *p; p++)
		free(*p);
	free(s->argv);
	while (o->argv[n])
		n++;
	if (!(s->argv = calloc(n + 1, sizeof(*s->argv))))
		return cl_fail(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(s->argv[i] = strdup(o->argv[i])))
			return cl_fail(err, ENOMEM, "out of memory");
	return cl_spec_validate(s, err);
}

/* The jail's cgroup directories, as its state records them. */
static int jail_cgroups(const struct cl_state *st, struct cl_join_cgroup **out, size_t *n,
			struct cl_err *err)
{
	json_object *a;
	size_t len;

	*out = NULL;
	*n = 0;
	if (!json_object_object_get_ex(st->j, "cgroups", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0; /* a jail run without cgroups (none could be made) */
	len = json_object_array_length(a);
	if (len && !(*out = calloc(len, sizeof(**out))))
		return cl_fail(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		json_object *d = json_object_array_get_idx(a, i), *v;
		const char *path =
		    json_object_object_get_ex(d, "path", &v) ? json_object_get_string(v) : NULL;
		if (!path || path[0] != '/' || strstr(path, "/../"))
			return cl_fail(err, 0, "jail %s: %s/state.json: a cgroup without a path",
				       st->name, st->dir);
		(*out)[i].path = path;
		(*out)[i].v2 = json_object_object_get_ex(d, "v2", &v) && json_object_get_boolean(v);
		(*n)++;
	}
	return 0;
}

static int exec_in(const char *name, const struct exec_opts *o, int *status, struct cl_err *err)
{
	struct cl_state st;
	struct cl_spec spec;
	_cleanup_free_ struct cl_join_cgroup *cgroups = NULL;
	struct cl_join jn = {.s = &spec};
	int r = -1;

	if (cl_state_open(&st, name, false, err) < 0)
		return -1;
	cl_spec_init(&spec);
	jn.name = st.name;
	if (!strcmp(cl_state_str(&st, "mode"), "vm")) {
		/* through the guest agent, on the VM's vsock socket */
		const char *sock = cl_state_str(&st, "vsock");

		if (strcmp(cl_state_status(&st), "running"))
			cl_svc_not_live(&st, "exec into", err);
		else if (!sock[0])
			cl_fail(err, 0, "micro-VM jail %s has no vsock socket to reach its agent",
				st.name);
		else if (exec_spec(&st, o, &spec, err) == 0 &&
			 (r = cl_agent_exec(sock, &spec, o->interactive, o->tty, status, err)) < 0)
			cl_wrap(err, "exec into micro-VM jail %s", st.name); /* which VM */
	} else if (strcmp(cl_state_status(&st), "running"))
		cl_svc_not_live(&st, "exec into", err);
	else if (jail_cgroups(&st, &cgroups, &jn.n_cgroups, err) == 0 &&
		 exec_spec(&st, o, &spec, err) == 0) {
		jn.cgroups = cgroups;
		jn.pid = (pid_t)cl_state_int(&st, "pid");
		jn.pid_start = (unsigned long long)cl_state_int(&st, "pid_start");
		r = cl_join_run(&jn, status, err);
	}
	cl_spec_free(&spec);
	cl_state_close(&st);
	return r;
}

int cl_cmd_exec(int argc, char **argv)
{
	_cleanup_free_ const char **set = calloc((size_t)argc * 2, sizeof(*set));
	struct exec_opts o = {.set = set};
	struct cl_err err = {0};
	const char *name = NULL;
	int r, status = CL_EXIT_FAILURE;

	if (!set || cl_stdio_fill(&err) < 0)
		return CL_EXIT_FAILURE;
	r = parse(argc, argv, &o, &name);
	if (r)
		return r > 0 ? 0 : CL_EXIT_FAILURE;
	if (exec_in(name, &o, &status, &err) < 0) {
		cl_err_print(&err);
		return err.exit_code ? err.exit_code : CL_EXIT_FAILURE;
	}
	return status;
}
