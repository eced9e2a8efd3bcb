/* OCI exec and update (runc's): a new process in a created or running
 * container, and new limits for its cgroups.
 *
 * exec builds a runtime-spec process object (--process F, or the one the
 * container's record kept with the command line's changes, as runc does),
 * parses it with cl_oci_process over the container's spec rebuilt from its
 * bundle (namespaces, seccomp, id maps), and joins the container through
 * ns/join.h.  What the engine needs of runc is kept: our stdio is the
 * process's own (its pipes), the terminal's master goes to --console-socket,
 * --pid-file names the host pid, and with --detach we return once it has
 * exec'd and the engine (a subreaper) inherits it.  Errors exit 255, as
 * runc's "exec failed: ..."; a command not found or not executable exits
 * 127 or 126 when we wait for it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/magic.h>

#include "cli/oci.h"
#include "cli/oci_hooks.h"
#include "ns/cgroup.h"
#include "ns/join.h"
#include "ns/stdio_relay.h"
#include "spec/oci.h"
#include "spec/oci_internal.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

#define EXEC_FAILED 255 /* runc: any error of exec itself */

/* --- helpers the lifecycle could share ------------------------------------ */

int cl_oci_send_fd(const char *path, int fd, struct cl_err *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(a.sun_path))
		return cl_fail(err, ENAMETOOLONG, "socket %s", path);
	memcpy(a.sun_path, path, strlen(path));
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		return cl_fail(err, errno, "cannot connect to %s", path);
	if (cl_send_fd(s, fd, 0) < 0)
		return cl_fail(err, errno, "cannot send a file descriptor to %s", path);
	return 0;
}

int cl_oci_pid_file(const char *path, pid_t pid, struct cl_err *err)
{
	char tmp[PATH_MAX + 8], buf[24];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	/* whole or not at all: the engine may read it as soon as it exists */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, buf, (size_t)n) != n || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return cl_fail(err, e, "cannot write the pid file %s", path);
	}
	return 0;
}

/* The container's cgroup directories, as its record lists them. */
static size_t record_cgroups(const struct cl_state *st, const char **out, size_t max)
{
	json_object *a;
	size_t n = 0;

	if (!json_object_object_get_ex(st->j, "cgroups", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a) && n < max; i++) {
		const char *p = json_object_get_string(json_object_array_get_idx(a, i));
		if (p && p[0] == '/' && !strstr(p, "/../"))
			out[n++] = p;
	}
	return n;
}

/* --- exec ------------------------------------------------------------------- */

struct exec_opts {
	const char *process, *console_socket, *pidfd_socket, *pid_file, *cwd, *user, *id;
	const char **env, **caps, **gids;
	size_t n_env, n_caps, n_gids;
	int preserve_fds;
	bool detach, tty, no_new_privs, ignore_paused;
	char **argv; /* the command, without --process */
};

static const char exec_usage[] =
    "Usage: cloison [GLOBAL OPTIONS] exec [OPTIONS] ID [--] CMD [ARG...]\n"
    "       cloison [GLOBAL OPTIONS] exec [OPTIONS] --process FILE ID\n"
    "\n"
    "Run a new process in the OCI container ID (runc exec).\n"
    "\n"
    "  -p, --process FILE        the process (runtime-spec JSON); the options below\n"
    "                            that shape it are then ignored, as by runc\n"
    "  -d, --detach              return once it has started (it is reparented)\n"
    "      --pid-file FILE       write its pid there\n"
    "      --console-socket S    send its terminal's master there (with -t)\n"
    "      --pidfd-socket S      send a pidfd of it there\n"
    "  -t, --tty                 a pseudo-terminal of the container's devpts\n"
    "      --cwd DIR             working directory in the container\n"
    "  -e, --env KEY=VALUE       add to the environment (repeatable)\n"
    "  -u, --user UID[:GID]      run as this user\n"
    "  -g, --additional-gids G   add a supplementary group (repeatable)\n"
    "  -c, --cap CAP             add a capability (repeatable)\n"
    "      --no-new-privs        set no_new_privs\n"
    "      --preserve-fds N      pass fds 3 to 3+N-1 on\n"
    "      --ignore-paused       exec into a paused container\n"
    "\n"
    "Exit status: the process's own (128+N for signal N); 127/126 when the\n"
    "command is not found / not executable; 255 when exec itself fails.\n"
    "See cloison-oci(1).\n";

/* 1: --help; -1: a usage error (said). */
static int parse_exec(int argc, char **argv, struct exec_opts *o)
{
	enum {
		O_CONSOLE = 256,
		O_PIDFD,
		O_PIDFILE,
		O_CWD,
		O_NNP,
		O_PRESERVE,
		O_IGNORE_PAUSED,
		O_NOSUB,
		O_LABEL,
		O_APPARMOR,
		O_CGROUP,
		O_OLD_CONSOLE
	};
	static const struct option opts[] = {{"process", required_argument, NULL, 'p'},
					     {"detach", no_argument, NULL, 'd'},
					     {"pid-file", required_argument, NULL, O_PIDFILE},
					     {"console-socket", required_argument, NULL, O_CONSOLE},
					     {"pidfd-socket", required_argument, NULL, O_PIDFD},
					     {"tty", no_argument, NULL, 't'},
					     {"cwd", required_argument, NULL, O_CWD},
					     {"env", required_argument, NULL, 'e'},
					     {"user", required_argument, NULL, 'u'},
					     {"additional-gids", required_argument, NULL, 'g'},
					     {"cap", required_argument, NULL, 'c'},
					     {"no-new-privs", no_argument, NULL, O_NNP},
					     {"preserve-fds", required_argument, NULL, O_PRESERVE},
					     {"ignore-paused", no_argument, NULL, O_IGNORE_PAUSED},
					     {"no-subreaper", no_argument, NULL, O_NOSUB},
					     {"process-label", required_argument, NULL, O_LABEL},
					     {"apparmor", required_argument, NULL, O_APPARMOR},
					     {"cgroup", required_argument, NULL, O_CGROUP},
					     {"console", required_argument, NULL, O_OLD_CONSOLE},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;
	char *end;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "+p:dte:u:g:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->process = optarg; break;
		case 'd': o->detach = true; break;
		case 't': o->tty = true; break;
		case O_PIDFILE: o->pid_file = optarg; break;
		case O_CONSOLE: o->console_socket = optarg; break;
		case O_PIDFD: o->pidfd_socket = optarg; break;
		case O_CWD: o->cwd = optarg; break;
		case 'e': o->env[o->n_env++] = optarg; break;
		case 'u': o->user = optarg; break;
		case 'g': o->gids[o->n_gids++] = optarg; break;
		case 'c': o->caps[o->n_caps++] = optarg; break;
		case O_NNP: o->no_new_privs = true; break;
		case O_IGNORE_PAUSED: o->ignore_paused = true; break;
		case O_NOSUB: break; /* we reap nothing we do not wait for */
		case O_PRESERVE:
			errno = 0;
			long n = strtol(optarg, &end, 10);
			if (errno || *end || n < 0 || n > 4096) {
				fprintf(stderr, "cloison: exec: --preserve-fds %s: not a count\n",
					optarg);
				return -1;
			}
			o->preserve_fds = (int)n;
			break;
		case O_LABEL:
		case O_APPARMOR:
			if (optarg[0] && strcmp(optarg, "unconfined")) {
				fprintf(stderr,
					"cloison: exec: --%s: cloison applies no SELinux label or "
					"AppArmor profile\n",
					c == O_LABEL ? "process-label" : "apparmor");
				return -1;
			}
			break;
		case O_CGROUP:
			fprintf(stderr,
				"cloison: exec: --cgroup: sub-cgroups are not supported; the "
				"process joins the container's own groups\n");
			return -1;
		case O_OLD_CONSOLE:
			fprintf(stderr, "cloison: exec: --console: use --console-socket\n");
			return -1;
		case 'h': fputs(exec_usage, stdout); return 1;
		default: return -1;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "cloison: exec needs a container ID (see cloison exec --help)\n");
		return -1;
	}
	o->id = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	o->argv = argv + optind;
	if (!o->process && !o->argv[0]) {
		fprintf(stderr,
			"cloison: exec: no command given for container %s (CMD or "
			"--process FILE)\n",
			o->id);
		return -1;
	}
	return 0;
}

static int add_str(json_object *arr, const char *v)
{
	return json_object_array_add(arr, json_object_new_string(v));
}

/* @p's array @key, made when missing. */
static json_object *array_of(json_object *p, const char *key)
{
	json_object *a = cl_oci_get(p, key);

	if (!a || !json_object_is_type(a, json_type_array)) {
		a = json_object_new_array();
		json_object_object_add(p, key, a);
	}
	return a;
}

static int parse_id(const char *s, const char *what, int64_t *out, struct cl_err *err)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > UINT32_MAX - 1)
		return cl_fail(err, 0, "%s '%s': not a number", what, s);
	*out = v;
	return 0;
}

/* runc: "CAP_NET_ADMIN"; "net_admin" is taken too */
static void cap_name(const char *in, char *out, size_t n)
{
	size_t k = 0;

	if (strncasecmp(in, "CAP_", 4))
		k = (size_t)snprintf(out, n, "CAP_");
	for (; *in && k + 1 < n; in++)
		out[k++] = (char)toupper((unsigned char)*in);
	out[k] = '\0';
}

/* The record's process with the command line's changes (runc's getProcess). */
static json_object *cli_process(const struct cl_state *st, const struct exec_opts *o,
				struct cl_err *err)
{
	json_object *rec = cl_oci_get(st->j, "process"), *p = NULL, *a, *user;

	if (rec && json_object_deep_copy(rec, &p, NULL) < 0) {
		cl_fail(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (!p)
		p = json_object_new_object();
	a = json_object_new_array();
	for (char **v = o->argv; *v; v++)
		add_str(a, *v);
	json_object_object_add(p, "args", a);
	if (o->cwd)
		json_object_object_add(p, "cwd", json_object_new_string(o->cwd));
	for (size_t i = 0; i < o->n_env; i++)
		add_str(array_of(p, "env"), o->env[i]);
	json_object_object_add(p, "terminal", json_object_new_boolean(o->tty));
	if (o->no_new_privs)
		json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(true));
	if (!(user = cl_oci_get(p, "user"))) {
		user = json_object_new_object();
		json_object_object_add(p, "user", user);
	}
	if (o->user) {
		int64_t uid, gid;
		char buf[64];
		const char *colon = strchr(o->user, ':');
		snprintf(buf, sizeof(buf), "%.*s",
			 (int)(colon ? (size_t)(colon - o->user) : strlen(o->user)), o->user);
		if (parse_id(buf, "--user: uid", &uid, err) < 0 ||
		    (colon && parse_id(colon + 1, "--user: gid", &gid, err) < 0))
			goto fail;
		json_object_object_add(user, "uid", json_object_new_int64(uid));
		if (colon)
			json_object_object_add(user, "gid", json_object_new_int64(gid));
	}
	for (size_t i = 0; i < o->n_gids; i++) {
		char *tok, *save = NULL, buf[256];
		snprintf(buf, sizeof(buf), "%s", o->gids[i]);
		for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int64_t g;
			if (parse_id(tok, "--additional-gids", &g, err) < 0)
				goto fail;
			json_object_array_add(array_of(user, "additionalGids"),
					      json_object_new_int64(g));
		}
	}
	if (o->n_caps) {
		static const char *const sets[] = {"bounding", "effective", "permitted"};
		json_object *caps = cl_oci_get(p, "capabilities");
		if (!caps) {
			caps = json_object_new_object();
			json_object_object_add(p, "capabilities", caps);
		}
		/* ambient needs inheritable: only where the config has it, as runc */
		bool ambient = cl_oci_get(caps, "inheritable") != NULL;
		for (size_t i = 0; i < o->n_caps; i++) {
			char name[64];
			cap_name(o->caps[i], name, sizeof(name));
			for (size_t k = 0; k < 3; k++)
				add_str(array_of(caps, sets[k]), name);
			if (ambient)
				add_str(array_of(caps, "ambient"), name);
		}
	}
	return p;
fail:
	json_object_put(p);
	return NULL;
}

/* The container's spec (from its bundle: namespaces, id maps, seccomp) with
 * the exec's process. */
static int exec_spec(const struct cl_state *st, json_object *p, const char *where,
		     const struct exec_opts *o, struct cl_spec *s, struct cl_err *err)
{
	struct cl_oci oci;
	const char *bundle = cl_state_str(st, "bundle");
	int r = -1;

	if (!bundle || !bundle[0])
		return cl_fail(err, 0, "container %s: its record names no bundle", st->name);
	if (cl_oci_load(bundle, s, &oci, err) < 0) {
		cl_wrap(err, "container %s: cannot read its bundle again", st->name);
		goto out;
	}
	if (oci.vm) {
		cl_fail(err, 0, "container %s is a micro-VM: exec into it is not supported yet",
			st->name);
		goto out;
	}
	free(s->seccomp.state_id);
	free(s->seccomp.state_bundle);
	s->seccomp.state_id = strdup(st->name);
	s->seccomp.state_bundle = strdup(oci.bundle);
	if (cl_oci_process(p, where, s, err) < 0)
		goto out;
	s->preserve_fds = o->preserve_fds;
	if (s->tty && o->detach && !o->console_socket) {
		cl_fail(err, 0, "process.terminal with --detach: --console-socket is needed");
		goto out;
	}
	r = cl_spec_validate(s, err);
out:
	cl_oci_free(&oci);
	return r;
}

static int give_tty(void *data, int master, struct cl_err *err)
{
	const struct exec_opts *o = data;

	return cl_oci_send_fd(o->console_socket, master, err);
}

static int started(void *data, pid_t pid, struct cl_err *err)
{
	const struct exec_opts *o = data;

	cl_oci_debug("exec in %s: pid %d", o->id, (int)pid);
	if (o->pidfd_socket) {
		_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0)
			return cl_fail(err, errno, "cannot open a pidfd of %d", (int)pid);
		if (cl_oci_send_fd(o->pidfd_socket, fd, err) < 0)
			return cl_wrap(err, "--pidfd-socket");
	}
	return o->pid_file ? cl_oci_pid_file(o->pid_file, pid, err) : 0;
}

void cl_oci_hold_preserved(int n)
{
	for (int fd = 3; fd < 3 + n; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int d = open("/dev/null", O_RDONLY);
			if (d >= 0 && d != fd) {
				dup2(d, fd);
				close(d);
			}
		}
}

static int do_exec(const struct exec_opts *o, int *status, struct cl_err *err)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_spec spec;
	const char *paths[CL_CG_NCTRL + 2];
	struct cl_join_cgroup cgroups[CL_CG_NCTRL + 2];
	struct cl_join jn = {.s = &spec,
			     .inherit_stdio = true,
			     .detach = o->detach,
			     .give_tty = o->console_socket ? give_tty : NULL,
			     .started = started,
			     .data = (void *)o};
	json_object *p = NULL;
	const char *state;
	int r = -1;

	cl_spec_init(&spec);
	if (cl_state_open_at(&st, cl_oci_root(), o->id, false, err) < 0)
		goto out;
	state = cl_oci_status(&st);
	if (!strcmp(state, "stopped")) {
		cl_fail(err, 0, "cannot exec in a stopped container (%s)", st.name);
		goto out;
	}
	if (!strcmp(state, "paused") && !o->ignore_paused) {
		cl_fail(err, 0,
			"cannot exec in a paused container (%s; use --ignore-paused to override)",
			st.name);
		goto out;
	}
	if (o->process) {
		if (!(p = json_object_from_file(o->process))) {
			cl_fail(err, errno, "--process %s: %s", o->process,
				json_util_get_last_err());
			goto out;
		}
	} else if (!(p = cli_process(&st, o, err))) {
		goto out;
	}
	if (exec_spec(&st, p, o->process ? o->process : "exec", o, &spec, err) < 0)
		goto out;
	jn.name = st.name;
	jn.pid = (pid_t)cl_state_int(&st, "pid");
	jn.pid_start = (unsigned long long)cl_state_int(&st, "pid_start");
	jn.n_cgroups = record_cgroups(&st, paths, sizeof(paths) / sizeof(paths[0]));
	for (size_t i = 0; i < jn.n_cgroups; i++) {
		struct statfs sf;
		cgroups[i].path = paths[i];
		cgroups[i].v2 = statfs(paths[i], &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
	}
	jn.cgroups = cgroups;
	r = cl_join_run(&jn, status, err);
out:
	json_object_put(p);
	cl_spec_free(&spec);
	cl_state_close(&st);
	return r;
}

int cl_oci_exec(int argc, char **argv)
{
	_cleanup_free_ const char **lists = calloc((size_t)argc * 3 + 3, sizeof(*lists));
	struct exec_opts o = {.env = lists, .caps = lists + argc + 1, .gids = lists + 2 * argc + 2};
	struct cl_err err = {0};
	int r, status = 0;

	if (!lists)
		return EXEC_FAILED;
	if ((r = parse_exec(argc, argv, &o)) != 0)
		return r > 0 ? 0 : EXEC_FAILED;
	if (cl_stdio_fill(&err) < 0) {
		cl_oci_fail(&err);
		return EXEC_FAILED;
	}
	cl_oci_hold_preserved(o.preserve_fds);
	cl_oci_debug("exec %s%s", o.id, o.detach ? " --detach" : "");
	if (do_exec(&o, &status, &err) < 0) {
		cl_oci_fail(&err);
		/* not found, not executable: as a shell says, when we would have
		 * given the command's own status */
		if (!o.detach &&
		    (err.exit_code == CL_EXIT_NOTFOUND || err.exit_code == CL_EXIT_NOEXEC))
			return err.exit_code;
		return EXEC_FAILED;
	}
	return status;
}

/* --- update ------------------------------------------------------------------ */

static const char update_usage[] =
    "Usage: cloison [GLOBAL OPTIONS] update [OPTIONS] ID\n"
    "\n"
    "Change the cgroup limits of the OCI container ID (runc update).\n"
    "\n"
    "  -r, --resources FILE      runtime-spec LinuxResources JSON (- : stdin)\n"
    "      --memory N            memory.limit (bytes, or 64M, 1G; -1: none)\n"
    "      --memory-swap N       memory.swap (memory + swap; -1: unlimited)\n"
    "      --memory-reservation N\n"
    "      --cpu-shares N        (also --cpu-share)\n"
    "      --cpu-quota N         microseconds per period (-1: none)\n"
    "      --cpu-period N        microseconds\n"
    "      --cpuset-cpus LIST    --cpuset-mems LIST\n"
    "      --pids-limit N        (-1: none)\n"
    "      --blkio-weight N      10-1000\n"
    "\n"
    "A limit cloison cannot apply is an error naming it.  See cloison-oci(1).\n";

/* The JSON's number at @key of @o (0 / absent: kept, as runc). */
static int res_num(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
		   int64_t *out)
{
	int64_t v = 0;

	if (cl_oci_i64(x, o, key, field, &v) < 0)
		return -1;
	if (v)
		*out = v;
	return 0;
}

/* LinuxResources: what `update` can change; anything else set is refused,
 * naming it.  The device rules are not a limit to update: ignored, as runc
 * does (containerd passes the container's whole list). */
static int parse_resources(json_object *r, const char *where, struct cl_cgroup_update *u,
			   char **cpus, char **mems, struct cl_err *err)
{
	static const char *const top[] = {"memory", "cpu", "pids", "blockIO", "devices", NULL};
	static const char *const mem[] = {"limit", "swap", "reservation", NULL};
	static const char *const cpu[] = {"shares", "quota", "period", "cpus", "mems", NULL};
	static const char *const io[] = {"weight", NULL};
	static const char *const pids[] = {"limit", NULL};
	const struct oci_ctx X = {where, err}, *x = &X;
	const struct {
		const char *name;
		const char *const *known;
	} objs[] = {{"memory", mem}, {"cpu", cpu}, {"pids", pids}, {"blockIO", io}};
	json_object *m, *c, *p, *b;

	if (!json_object_is_type(r, json_type_object))
		return cl_oci_bad(x, "resources", "must be an object");
	/* every member: known, or empty (0, false, null, [], {}, "") */
	for (size_t k = 0; k < 5; k++) {
		json_object *obj = k == 0 ? r : cl_oci_get(r, objs[k - 1].name);
		const char *const *known = k == 0 ? top : objs[k - 1].known;
		if (!obj)
			continue;
		if (!json_object_is_type(obj, json_type_object))
			return cl_oci_bad(x, objs[k - 1].name, "must be an object");
		json_object_object_foreach(obj, key, v)
		{
			const char *const *kn = known;
			char field[96];
			while (*kn && strcmp(*kn, key))
				kn++;
			if (*kn || !v ||
			    (json_object_is_type(v, json_type_int) && !json_object_get_int64(v)) ||
			    (json_object_is_type(v, json_type_boolean) &&
			     !json_object_get_boolean(v)) ||
			    (json_object_is_type(v, json_type_array) &&
			     !json_object_array_length(v)) ||
			    (json_object_is_type(v, json_type_object) &&
			     !json_object_object_length(v)) ||
			    (json_object_is_type(v, json_type_string) &&
			     !json_object_get_string_len(v)))
				continue;
			snprintf(field, sizeof(field), "%s%s%s", k ? objs[k - 1].name : "",
				 k ? "." : "", key);
			return cl_oci_bad(x, field, "cloison cannot update this");
		}
	}
	if (cl_oci_obj(x, r, "memory", "memory", &m) < 0 ||
	    cl_oci_obj(x, r, "cpu", "cpu", &c) < 0 || cl_oci_obj(x, r, "pids", "pids", &p) < 0 ||
	    cl_oci_obj(x, r, "blockIO", "blockIO", &b) < 0)
		return -1;
	if (m && (res_num(x, m, "limit", "memory.limit", &u->memory) < 0 ||
		  res_num(x, m, "swap", "memory.swap", &u->memory_swap) < 0 ||
		  res_num(x, m, "reservation", "memory.reservation", &u->memory_reservation) < 0))
		return -1;
	if (c && (res_num(x, c, "shares", "cpu.shares", &u->cpu_shares) < 0 ||
		  res_num(x, c, "quota", "cpu.quota", &u->cpu_quota) < 0 ||
		  res_num(x, c, "period", "cpu.period", &u->cpu_period) < 0 ||
		  cl_oci_str(x, c, "cpus", "cpu.cpus", cpus) < 0 ||
		  cl_oci_str(x, c, "mems", "cpu.mems", mems) < 0))
		return -1;
	if (p && res_num(x, p, "limit", "pids.limit", &u->pids) < 0)
		return -1;
	if (b && res_num(x, b, "weight", "blockIO.weight", &u->blkio_weight) < 0)
		return -1;
	return 0;
}

static int num_opt(const char *opt, const char *v, bool size, int64_t *out, struct cl_err *err)
{
	char *end;
	long long n;

	if (!strcmp(v, "-1")) {
		*out = -1;
		return 0;
	}
	if (size) {
		uint64_t b;
		if (cl_parse_size(v, &b, err) < 0)
			return cl_wrap(err, "--%s", opt);
		*out = (int64_t)b;
		return 0;
	}
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || *end || n < 0)
		return cl_fail(err, 0, "--%s '%s': not a number", opt, v);
	*out = n;
	return 0;
}

static json_object *read_resources(const char *path, struct cl_err *err)
{
	json_object *j;

	if (strcmp(path, "-"))
		j = json_object_from_file(path);
	else
		j = json_object_from_fd(STDIN_FILENO);
	if (!j)
		cl_fail(err, 0, "--resources %s: invalid JSON: %s", path, json_util_get_last_err());
	return j;
}

int cl_oci_update(int argc, char **argv)
{
	static const struct {
		const char *name;
		bool size;
		size_t off;
	} nums[] = {
	    {"memory", true, offsetof(struct cl_cgroup_update, memory)},
	    {"memory-swap", true, offsetof(struct cl_cgroup_update, memory_swap)},
	    {"memory-reservation", true, offsetof(struct cl_cgroup_update, memory_reservation)},
	    {"cpu-shares", false, offsetof(struct cl_cgroup_update, cpu_shares)},
	    {"cpu-share", false, offsetof(struct cl_cgroup_update, cpu_shares)},
	    {"cpu-quota", false, offsetof(struct cl_cgroup_update, cpu_quota)},
	    {"cpu-period", false, offsetof(struct cl_cgroup_update, cpu_period)},
	    {"pids-limit", false, offsetof(struct cl_cgroup_update, pids)},
	    {"blkio-weight", false, offsetof(struct cl_cgroup_update, blkio_weight)},
	};
	enum { N_NUMS = sizeof(nums) / sizeof(nums[0]), O_CPUS = 300, O_MEMS, O_REFUSED };
	static const struct option opts[] = {
	    {"resources", required_argument, NULL, 'r'},
	    {"memory", required_argument, NULL, 0},
	    {"memory-swap", required_argument, NULL, 1},
	    {"memory-reservation", required_argument, NULL, 2},
	    {"cpu-shares", required_argument, NULL, 3},
	    {"cpu-share", required_argument, NULL, 4},
	    {"cpu-quota", required_argument, NULL, 5},
	    {"cpu-period", required_argument, NULL, 6},
	    {"pids-limit", required_argument, NULL, 7},
	    {"blkio-weight", required_argument, NULL, 8},
	    {"cpuset-cpus", required_argument, NULL, O_CPUS},
	    {"cpuset-mems", required_argument, NULL, O_MEMS},
	    {"kernel-memory", required_argument, NULL, O_REFUSED},
	    {"kernel-memory-tcp", required_argument, NULL, O_REFUSED},
	    {"cpu-rt-period", required_argument, NULL, O_REFUSED},
	    {"cpu-rt-runtime", required_argument, NULL, O_REFUSED},
	    {"l3-cache-schema", required_argument, NULL, O_REFUSED},
	    {"mem-bw-schema", required_argument, NULL, O_REFUSED},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct cl_cgroup_update u = CL_CGROUP_UPDATE_INIT;
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	_cleanup_free_ char *cpus = NULL, *mems = NULL;
	const char *resources = NULL, *opt_cpus = NULL, *opt_mems = NULL;
	const char *set[N_NUMS] = {0}, *paths[CL_CG_NCTRL + 2];
	int c, idx = 0, r = -1;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "+r:h", opts, &idx)) != -1) {
		if (c >= 0 && c < N_NUMS)
			set[c] = optarg;
		else if (c == 'r')
			resources = optarg;
		else if (c == O_CPUS)
			opt_cpus = optarg;
		else if (c == O_MEMS)
			opt_mems = optarg;
		else if (c == O_REFUSED) {
			cl_fail(&err, 0, "update: --%s: not supported by cloison", opts[idx].name);
			return cl_oci_fail(&err);
		} else if (c == 'h') {
			fputs(update_usage, stdout);
			return 0;
		} else
			return 1;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "cloison: update needs exactly one container ID\n");
		return 1;
	}
	if (resources) {
		json_object *j = read_resources(resources, &err);
		if (!j)
			return cl_oci_fail(&err);
		r = parse_resources(j, strcmp(resources, "-") ? resources : "--resources (stdin)",
				    &u, &cpus, &mems, &err);
		json_object_put(j);
		if (r < 0)
			return cl_oci_fail(&err);
	}
	/* the options after the JSON: they win */
	for (size_t i = 0; i < N_NUMS; i++)
		if (set[i] && num_opt(nums[i].name, set[i], nums[i].size,
				      (int64_t *)((char *)&u + nums[i].off), &err) < 0)
			return cl_oci_fail(&err);
	u.cpuset_cpus = opt_cpus ? opt_cpus : (cpus && cpus[0] ? cpus : NULL);
	u.cpuset_mems = opt_mems ? opt_mems : (mems && mems[0] ? mems : NULL);
	if (cl_state_open_at(&st, cl_oci_root(), argv[optind], true, &err) < 0)
		return cl_oci_fail(&err);
	if (!strcmp(cl_oci_status(&st), "stopped"))
		cl_fail(&err, 0, "cannot update container %s: it is stopped", st.name);
	else if ((r = cl_cgroup_update(paths, record_cgroups(&st, paths, CL_CG_NCTRL + 2), &u,
				       &err)) < 0)
		cl_wrap(&err, "update %s: linux.resources", st.name);
	cl_oci_debug("update %s: %s", st.name, r < 0 ? err.msg : "done");
	cl_state_close(&st);
	return err.msg[0] ? cl_oci_fail(&err) : 0;
}
