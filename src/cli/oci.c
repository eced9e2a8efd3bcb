/* The OCI runtime lifecycle (runc's command line): create, start, state,
 * kill, delete, run, list.  A container's record is a state directory
 * (svc/state.h) in --root: state.json, its lock, and exec.sock, on which
 * the created container's process waits for start.  The process is not
 * ours once create returns: whoever called create (conmon, the shim: a
 * subreaper) reaps it. */
#include "cli/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/svc.h"
#include "cli/oci_hooks.h"
#include <dirent.h>
#include "ns/container.h"
#include "ns/tty.h"
#include "spec/oci.h"
#include "util/cleanup.h"
#include "util/fd.h"

struct cl_oci_globals cl_oci_g;

const char *cl_oci_root(void)
{
	static char buf[PATH_MAX];
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (cl_oci_g.root)
		return cl_oci_g.root;
	if (geteuid() != 0 && xdg && xdg[0] == '/')
		snprintf(buf, sizeof(buf), "%s/cloison/oci", xdg);
	else
		snprintf(buf, sizeof(buf), "/run/cloison/oci");
	return buf;
}

int cl_oci_parse_globals(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *eq = strchr(a, '='), *v = NULL;
		size_t n = eq ? (size_t)(eq - a) : strlen(a);
		bool takes = !strncmp(a, "--root", n) || !strncmp(a, "--log", n) ||
			     !strncmp(a, "--log-format", n) || !strncmp(a, "--criu", n) ||
			     !strncmp(a, "--rootless", n);
		if (n < 3)
			break;
		if (takes) {
			v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v) {
				fprintf(stderr, "cloison: %.*s needs a value\n", (int)n, a);
				return -1;
			}
		}
		if (!strncmp(a, "--root", n) && n == 6)
			cl_oci_g.root = v;
		else if (!strncmp(a, "--log-format", n) && n == 12) {
			if (strcmp(v, "json") && strcmp(v, "text")) {
				fprintf(stderr, "cloison: --log-format %s: text or json\n", v);
				return -1;
			}
			cl_oci_g.json = !strcmp(v, "json");
		} else if (!strncmp(a, "--log", n) && n == 5)
			cl_oci_g.log = v;
		else if (!strncmp(a, "--debug", n) && n == 7)
			cl_oci_g.debug = true;
		else if (!strncmp(a, "--systemd-cgroup", n) && n == 16) {
			fprintf(stderr, "cloison: --systemd-cgroup: cloison manages cgroups itself "
					"(cgroupfs); use the engine's cgroupfs manager\n");
			return -1;
		} else if ((!strncmp(a, "--rootless", n) && n == 10) ||
			   (!strncmp(a, "--criu", n) && n == 6))
			; /* rootless is told by the euid; no checkpoints */
		else
			break;
		cl_oci_g.given = true;
	}
	if (cl_oci_g.log && cl_oci_g.log[0] != '/') {
		static char abs[PATH_MAX * 2];
		char cwd[PATH_MAX];
		if (getcwd(cwd, sizeof(cwd)))
			snprintf(abs, sizeof(abs), "%s/%s", cwd, cl_oci_g.log);
		cl_oci_g.log = abs;
	}
	return i - 1;
}

bool cl_oci_is_container(const char *id)
{
	char path[PATH_MAX];
	struct stat st;

	if (!id || strchr(id, '/') || id[0] == '.' || id[0] == '-')
		return false;
	snprintf(path, sizeof(path), "%s/%s/state.json", cl_oci_root(), id);
	return stat(path, &st) == 0;
}

/* now, as RFC 3339 with nanoseconds (state's created, log lines) */
static void iso_now(char *buf, size_t n)
{
	struct timespec t;
	struct tm tm;
	char ts[40];

	clock_gettime(CLOCK_REALTIME, &t);
	gmtime_r(&t.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%09ldZ", ts, t.tv_nsec);
}

static void log_line(const char *level, const char *msg)
{
	FILE *f;
	char when[80];

	if (!cl_oci_g.log || !(f = fopen(cl_oci_g.log, "ae")))
		return;
	iso_now(when, sizeof(when));
	if (cl_oci_g.json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "level", json_object_new_string(level));
		json_object_object_add(o, "msg", json_object_new_string(msg));
		json_object_object_add(o, "time", json_object_new_string(when));
		fprintf(f, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		fprintf(f, "time=\"%.19sZ\" level=%s msg=\"%s\"\n", when, level, msg);
	}
	fclose(f);
}

int cl_oci_fail(const struct cl_err *e)
{
	cl_err_print(e);
	log_line("error", e->msg);
	return 1;
}

void cl_oci_debug(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!cl_oci_g.debug)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line("debug", msg);
}

/* --- records ------------------------------------------------------------ */

static bool frozen(const struct cl_state *st)
{
	json_object *a;
	char buf[32] = "";

	if (!json_object_object_get_ex(st->j, "cgroups", &a))
		return false;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		const char *d = json_object_get_string(json_object_array_get_idx(a, i));
		char path[PATH_MAX];
		_cleanup_close_ int fd = -1;
		snprintf(path, sizeof(path), "%s/freezer.state", d);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			snprintf(path, sizeof(path), "%s/cgroup.freeze", d);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
		}
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		return !strncmp(buf, "FROZEN", 6) || !strncmp(buf, "FREEZING", 8) || buf[0] == '1';
	}
	return false;
}

static bool alive(const struct cl_state *st)
{
	pid_t pid = (pid_t)cl_state_int(st, "pid");

	return pid > 0 && cl_pid_alive(pid, (unsigned long long)cl_state_int(st, "pid_start"));
}

const char *cl_oci_status(const struct cl_state *st)
{
	if (!alive(st))
		return "stopped";
	if (!cl_state_int(st, "started"))
		return "created";
	return frozen(st) ? "paused" : "running";
}

/* The container's pid as a pidfd, checked against its start time (a pid
 * reused since is not ours to signal); -1 when it is gone. */
static int container_pidfd(const struct cl_state *st)
{
	pid_t pid = (pid_t)cl_state_int(st, "pid");
	int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

	if (fd >= 0 && !alive(st)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int open_container(struct cl_state *st, const char *id, bool lock, struct cl_err *err)
{
	return cl_state_open_at(st, cl_oci_root(), id, lock, err);
}

/* The state runtime-spec defines, as hooks and `state` print it. */
json_object *cl_oci_state_json(const struct cl_state *st, const char *status)
{
	json_object *o = json_object_new_object(), *a;
	const char *s = status ? status : cl_oci_status(st);

	json_object_object_add(o, "ociVersion", json_object_new_string("1.1.0"));
	json_object_object_add(o, "id", json_object_new_string(st->name));
	json_object_object_add(o, "status", json_object_new_string(s));
	json_object_object_add(
	    o, "pid", json_object_new_int64(strcmp(s, "stopped") ? cl_state_int(st, "pid") : 0));
	json_object_object_add(o, "bundle", json_object_new_string(cl_state_str(st, "bundle")));
	json_object_object_add(o, "rootfs", json_object_new_string(cl_state_str(st, "rootfs")));
	json_object_object_add(o, "created", json_object_new_string(cl_state_str(st, "created")));
	json_object_object_add(o, "owner", json_object_new_string(""));
	if (json_object_object_get_ex(st->j, "annotations", &a))
		json_object_object_add(o, "annotations", json_object_get(a));
	else
		json_object_object_add(o, "annotations", json_object_new_object());
	return o;
}

/* --- create --------------------------------------------------------------- */

/* A unix socket at @dir_fd/@name, bound or connected through /proc (the
 * directory's path may be longer than a socket address holds). */
static int unix_at(int dir_fd, const char *name, bool listen_, struct cl_err *err)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s", dir_fd, name);
	if (fd < 0)
		return cl_fail(err, errno, "cannot create a socket");
	if (listen_ ? (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0)
		    : connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		return cl_fail(err, e, "cannot %s the container's %s",
			       listen_ ? "bind" : "connect to", name);
	}
	return fd;
}

/* What delete needs when the bundle may be gone: the cgroups made (and
 * their parents made for them), the hooks, the annotations. */
static void record(struct cl_state *st, const struct cl_spec *s, const struct cl_oci *o,
		   const struct cl_cgroup *cg, pid_t pid)
{
	json_object *a = json_object_new_array(), *made = json_object_new_array(), *h;
	char created[64];

	iso_now(created, sizeof(created));
	cl_state_set_int(st, "oci", 1);
	cl_state_set_int(st, "pid", pid);
	cl_state_set_int(st, "pid_start", (int64_t)cl_pid_start(pid));
	cl_state_set_int(st, "started", 0);
	cl_state_set_str(st, "bundle", o->bundle);
	cl_state_set_str(st, "rootfs", s->rootfs);
	cl_state_set_str(st, "created", created);
	for (int i = 0; i < cg->n_dirs; i++) {
		json_object_array_add(a, json_object_new_string(cg->dir[i].path));
		/* innermost first, for rmdir */
		for (int k = cg->dir[i].n_made - 1; k >= 0; k--)
			json_object_array_add(made, json_object_new_string(cg->dir[i].made[k]));
	}
	json_object_object_add(st->j, "cgroups", a);
	json_object_object_add(st->j, "cgroup_parents", made);
	json_object_object_add(st->j, "annotations",
			       o->annotations ? json_object_get(o->annotations)
					      : json_object_new_object());
	if ((h = cl_oci_get(o->config, "hooks")))
		json_object_object_add(st->j, "hooks", json_object_get(h));
	/* exec takes the container's process settings from its config */
	json_object *p = cl_oci_get(o->config, "process");
	if (p)
		json_object_object_add(st->j, "process", json_object_get(p));
}

struct create_opts {
	const char *bundle, *pid_file, *console_socket, *id;
	int preserve_fds;
	bool detach;	 /* run -d */
	bool no_keyring; /* --no-new-keyring */
	int *tty_master; /* run in the foreground: the terminal's master, for us */
	bool keep;	 /* run --keep */
};

static int parse_create(int argc, char **argv, struct create_opts *co, bool run)
{
	static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
					     {"pid-file", required_argument, NULL, 'p'},
					     {"console-socket", required_argument, NULL, 'c'},
					     {"preserve-fds", required_argument, NULL, 'f'},
					     {"no-pivot", no_argument, NULL, 'P'},
					     {"no-new-keyring", no_argument, NULL, 'K'},
					     {"detach", no_argument, NULL, 'd'},
					     {"keep", no_argument, NULL, 'k'},
					     {"no-subreaper", no_argument, NULL, 'S'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int c;

	*co = (struct create_opts){.bundle = "."};
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'b': co->bundle = optarg; break;
		case 'p': co->pid_file = optarg; break;
		case 'c': co->console_socket = optarg; break;
		case 'f': co->preserve_fds = atoi(optarg); break;
		case 'd': co->detach = true; break;
		case 'k': co->keep = true; break;
		case 'K': co->no_keyring = true; break;
		case 'P':
		case 'S': break; /* always pivot_root; no subreaper needed */
		case 'h':
			printf("Usage: cloison [GLOBAL OPTIONS] %s [--bundle DIR] [--pid-file F] "
			       "[--console-socket S] [--preserve-fds N] [--no-pivot] "
			       "[--no-new-keyring] [--no-subreaper]%s ID\n"
			       "See cloison-oci(1).\n",
			       run ? "run" : "create", run ? " [--detach] [--keep]" : "");
			return 1;
		default: return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "cloison: %s needs exactly one container ID\n",
			run ? "run" : "create");
		return -1;
	}
	co->id = argv[optind];
	return 0;
}

/* The config into a spec; a micro-VM handler is refused until supported. */
static int load(const struct create_opts *co, struct cl_spec *s, struct cl_oci *o,
		struct cl_err *err)
{
	cl_spec_init(s);
	if (cl_oci_load(co->bundle, s, o, err) < 0)
		return -1;
	s->preserve_fds = co->preserve_fds;
	s->new_keyring = !co->no_keyring;
	/* counted in every controller, as engines expect (podman stats,
	 * containerd's metrics read the groups) */
	s->res.accounting = true;
	/* a seccomp listener hears which container it is */
	s->seccomp.state_id = strdup(co->id);
	s->seccomp.state_bundle = strdup(o->bundle);
	if (o->vm)
		return cl_oci_vm_check(s, o, err);
	return cl_spec_validate(s, err);
}

/* The state directory again, and its lock, after the clone. */
static int reopen(struct cl_state *st, struct cl_err *err)
{
	st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dir_fd < 0)
		return cl_fail(err, errno, "cannot open %s", st->dir);
	return cl_state_lock(st, err);
}

/* create, and run's first half: the container set up, its process waiting
 * on exec.sock; its record saved.  @child: run's, whose process stays our
 * child (we wait for it). */
static int do_create(const struct create_opts *co, struct cl_state *st, pid_t *pidp,
		     struct cl_err *err)
{
	struct cl_spec s;
	struct cl_oci o;
	struct cl_container c;
	struct cl_container_hooks hooks = {.detach = true, .fds = {-1, -1, -1, -1}};
	int r = -1, listen_fd = -1;

	memset(&c, 0, sizeof(c));
	sigemptyset(&hooks.signals);
	if (load(co, &s, &o, err) < 0) {
		cl_spec_free(&s);
		cl_oci_free(&o);
		return -1;
	}
	if (cl_state_create_at(st, cl_oci_root(), co->id, err) < 0) {
		if (err->errnum == EEXIST)
			cl_fail(err, EEXIST, "container with id %s already exists", co->id);
		goto out_spec;
	}
	cl_state_set_int(st, "oci", 1);
	if ((listen_fd = unix_at(st->dir_fd, "exec.sock", true, err)) < 0)
		goto out_state;
	listen_fd = cl_fd_above(listen_fd, 3 + s.preserve_fds);
	hooks.exec_listen = listen_fd;
	/* the process waits for start holding what it inherited: not the lock,
	 * nor the state directory */
	cl_state_unlock(st);
	close(st->dir_fd);
	st->dir_fd = -1;
	if (o.vm) {
		if (cl_oci_vm_create(&s, listen_fd, pidp, err) < 0)
			goto out_listen;
		if (reopen(st, err) == 0) {
			record(st, &s, &o, &c.cg, *pidp);
			cl_state_set_str(st, "handler", "vm");
		}
		if (st->lock_fd < 0 || cl_state_save(st, err) < 0 ||
		    (co->pid_file && cl_oci_pid_file(co->pid_file, *pidp, err) < 0)) {
			kill(*pidp, SIGKILL);
			waitpid(*pidp, NULL, 0);
			goto out_listen;
		}
		r = 0;
		goto out_listen;
	}
	if (cl_container_create(&c, &s, &hooks, err) < 0 || reopen(st, err) < 0)
		goto out;
	record(st, &s, &o, &c.cg, c.pid);
	if (cl_oci_hooks_run(&o, CL_HOOK_PRESTART, st, "creating", err) < 0 ||
	    cl_oci_hooks_run(&o, CL_HOOK_CREATE_RUNTIME, st, "creating", err) < 0)
		goto out;
	if (cl_container_detach(&c, err) < 0)
		goto out;
	if (s.tty && !co->console_socket && co->tty_master) {
		*co->tty_master = fcntl(c.tty.master, F_DUPFD_CLOEXEC, 3);
	} else if (s.tty) {
		if (!co->console_socket) {
			cl_fail(err, 0, "process.terminal is set: --console-socket is needed");
			goto out;
		}
		if (cl_oci_send_fd(co->console_socket, c.tty.master, err) < 0)
			goto out;
	}
	if (cl_state_save(st, err) < 0 ||
	    (co->pid_file && cl_oci_pid_file(co->pid_file, c.pid, err) < 0))
		goto out;
	*pidp = c.pid;
	c.pid = 0; /* the engine's now */
	r = 0;
out:
	cl_container_destroy(&c, r, err);
out_listen:
	if (listen_fd >= 0)
		close(listen_fd);
out_state:
	if (r < 0) {
		struct cl_err ignored;
		/* the cgroups a half-made container kept */
		cl_oci_remove_cgroups(st, &ignored);
		if (st->dir_fd < 0)
			st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		cl_state_remove(st, &ignored);
	}
out_spec:
	cl_spec_free(&s);
	cl_oci_free(&o);
	return r;
}

int cl_oci_create(int argc, char **argv)
{
	struct create_opts co;
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	pid_t pid;
	int r = parse_create(argc, argv, &co, false);

	if (r)
		return r > 0 ? 0 : 1;
	cl_oci_hold_preserved(co.preserve_fds);
	cl_oci_debug("create %s --bundle %s", co.id, co.bundle);
	r = do_create(&co, &st, &pid, &err);
	cl_state_close(&st);
	return r < 0 ? cl_oci_fail(&err) : 0;
}

/* --- start -------------------------------------------------------------- */

static int do_start(struct cl_state *st, struct cl_err *err)
{
	const char *status = cl_oci_status(st);
	struct cl_err child;
	ssize_t n;

	if (strcmp(status, "created"))
		return cl_fail(err, 0, "cannot start container %s: it is %s, not created", st->name,
			       status);
	_cleanup_close_ int fd = unix_at(st->dir_fd, "exec.sock", false, err);
	if (fd < 0)
		return -1;
	/* EOF: exec'd; a struct cl_err: it failed (seccomp, execve) */
	while ((n = recv(fd, &child, sizeof(child), MSG_WAITALL)) < 0 && errno == EINTR)
		;
	unlinkat(st->dir_fd, "exec.sock", 0);
	cl_state_set_int(st, "started", 1);
	if (n == sizeof(child)) {
		child.msg[sizeof(child.msg) - 1] = '\0';
		*err = child;
		/* the words engines look for (podman: 127, 126) */
		if (child.exit_code == CL_EXIT_NOTFOUND && !strcasestr(child.msg, "no such file"))
			cl_wrap(err, "executable file not found");
		else if (child.exit_code == CL_EXIT_NOEXEC &&
			 !strcasestr(child.msg, "permission denied"))
			cl_wrap(err, "permission denied");
		struct cl_err ignored; /* the start's own error is the one to tell */
		cl_state_save(st, &ignored);
		return -1;
	}
	return cl_state_save(st, err);
}

int cl_oci_start(int argc, char **argv)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	int r;

	if (argc != 2) {
		fprintf(stderr, "Usage: cloison start ID\n");
		return 1;
	}
	if (open_container(&st, argv[1], true, &err) < 0)
		return cl_oci_fail(&err);
	r = do_start(&st, &err);
	if (r == 0 && cl_oci_hooks_run_state(&st, CL_HOOK_POSTSTART, &err) < 0)
		cl_warn("%s", err.msg); /* runc: a poststart failure is logged */
	cl_state_close(&st);
	return r < 0 ? cl_oci_fail(&err) : 0;
}

/* --- state, list ------------------------------------------------------------ */

int cl_oci_state(int argc, char **argv)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};

	if (argc != 2) {
		fprintf(stderr, "Usage: cloison state ID\n");
		return 1;
	}
	if (open_container(&st, argv[1], false, &err) < 0)
		return cl_oci_fail(&err);
	json_object *o = cl_oci_state_json(&st, NULL);
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	cl_state_close(&st);
	return 0;
}

int cl_oci_list(int argc, char **argv)
{
	bool json = false, quiet = false;
	struct cl_err err = {0};

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
			quiet = true;
		else if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--format")) && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else if (!strcmp(argv[i], "--format=json"))
			json = true;
	}
	char **ids = cl_state_list_at(cl_oci_root(), &err);
	if (!ids)
		return cl_oci_fail(&err);
	json_object *a = json_object_new_array();
	if (!json && !quiet)
		printf("%-12s %-8s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t i = 0; ids[i]; i++) {
		struct cl_state st = CL_STATE_INIT;
		if (open_container(&st, ids[i], false, &err) == 0) {
			json_object *o = cl_oci_state_json(&st, NULL);
			json_object *v;
			json_object_object_get_ex(o, "pid", &v);
			if (json)
				json_object_array_add(a, json_object_get(o));
			else if (quiet)
				puts(st.name);
			else
				printf("%-12s %-8lld %-10s %-40s %-30s %s\n", st.name,
				       (long long)json_object_get_int64(v), cl_oci_status(&st),
				       cl_state_str(&st, "bundle"), cl_state_str(&st, "created"),
				       "root");
			json_object_put(o);
		}
		cl_state_close(&st);
		free(ids[i]);
	}
	free(ids);
	if (json)
		puts(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	return 0;
}

/* --- kill, delete ------------------------------------------------------------ */

/* Every process of the container: its cgroup's, or its pid alone. */
size_t cl_oci_pids(const struct cl_state *st, pid_t *out, size_t max)
{
	json_object *a;
	size_t n = 0;

	if (json_object_object_get_ex(st->j, "cgroups", &a) && json_object_array_length(a)) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/cgroup.procs",
			 json_object_get_string(json_object_array_get_idx(a, 0)));
		FILE *f = fopen(path, "re");
		long p;
		while (f && n < max && fscanf(f, "%ld", &p) == 1)
			out[n++] = (pid_t)p;
		if (f)
			fclose(f);
		if (n)
			return n;
	}
	if (alive(st))
		out[n++] = (pid_t)cl_state_int(st, "pid");
	return n;
}

int cl_oci_signal_all(const struct cl_state *st, int sig)
{
	pid_t pids[4096];
	size_t n = cl_oci_pids(st, pids, sizeof(pids) / sizeof(pids[0]));

	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	return (int)n;
}

int cl_oci_kill(int argc, char **argv)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	bool all = false;
	int i = 1, sig = SIGTERM;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
		if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
			all = true;
	if (i >= argc || argc - i > 2) {
		fprintf(stderr, "Usage: cloison kill [--all] ID [SIGNAL]\n");
		return 1;
	}
	if (argc - i == 2 && (sig = cl_signal_parse(argv[i + 1])) < 0) {
		cl_fail(&err, 0, "unknown signal '%s'", argv[i + 1]);
		return cl_oci_fail(&err);
	}
	if (open_container(&st, argv[i], false, &err) < 0)
		return cl_oci_fail(&err);
	_cleanup_close_ int pfd = container_pidfd(&st);
	if (pfd < 0) {
		cl_fail(&err, ESRCH, "container %s is not running", st.name);
		cl_state_close(&st);
		return cl_oci_fail(&err);
	}
	if (all)
		cl_oci_signal_all(&st, sig);
	else if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		cl_fail(&err, errno, "cannot signal container %s", st.name);
	cl_state_close(&st);
	return err.msg[0] ? cl_oci_fail(&err) : 0;
}

/* Until the pidfd says the process ended (a zombie counts): bounded. */
static bool wait_gone(int pfd, int ms)
{
	struct pollfd p = {.fd = pfd, .events = POLLIN};

	return pfd < 0 || poll(&p, 1, ms) > 0;
}

int cl_oci_remove_cgroups(const struct cl_state *st, struct cl_err *err)
{
	json_object *a;
	int r = 0;

	if (json_object_object_get_ex(st->j, "cgroups", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			const char *d = json_object_get_string(json_object_array_get_idx(a, i));
			int t = 0;
			/* processes still leaving: a little while */
			while (rmdir(d) < 0 && errno == EBUSY && t++ < 200)
				usleep(10000);
			if (t > 200 && r == 0)
				r = cl_fail(err, EBUSY, "container %s: cannot remove its cgroup %s",
					    st->name, d);
		}
	if (json_object_object_get_ex(st->j, "cgroup_parents", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			rmdir(json_object_get_string(json_object_array_get_idx(a, i)));
	return r;
}

static int do_delete(struct cl_state *st, bool force, struct cl_err *err)
{
	const char *status = cl_oci_status(st);
	_cleanup_close_ int pfd = container_pidfd(st);

	if (pfd >= 0 && !force && strcmp(status, "created"))
		return cl_fail(err, 0, "cannot delete container %s: it is %s (use --force)",
			       st->name, status);
	if (pfd >= 0) {
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
		if (!wait_gone(pfd, 10000))
			return cl_fail(err, 0,
				       "container %s: its process did not end after SIGKILL",
				       st->name);
	}
	/* what is left in its groups (daemons its process left behind) */
	for (int t = 0; t < 100 && cl_oci_signal_all(st, SIGKILL) > 0; t++)
		usleep(10000);
	/* a group that stays keeps the record, for another delete to finish */
	if (cl_oci_remove_cgroups(st, err) < 0)
		return -1;
	if (cl_oci_hooks_run_state(st, CL_HOOK_POSTSTOP, err) < 0)
		cl_warn("%s", err->msg);
	return cl_state_remove(st, err);
}

int cl_oci_delete(int argc, char **argv)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	bool force = false;
	int i = 1, r;

	for (; i < argc && argv[i][0] == '-'; i++)
		if (!strcmp(argv[i], "--force") || !strcmp(argv[i], "-f"))
			force = true;
	if (i != argc - 1) {
		fprintf(stderr, "Usage: cloison delete [--force] ID\n");
		return 1;
	}
	if (open_container(&st, argv[i], true, &err) < 0) {
		/* runc: deleting what is not there with --force is no error */
		if (force && err.errnum == ENOENT)
			return 0;
		return cl_oci_fail(&err);
	}
	r = do_delete(&st, force, &err);
	cl_state_close(&st);
	return r < 0 ? cl_oci_fail(&err) : 0;
}

/* --- run ------------------------------------------------------------------- */

static volatile sig_atomic_t got_signal;
static void on_signal(int sig)
{
	got_signal = sig;
}

/* run in the foreground with a terminal: ours, raw, relayed to the
 * container's until its process ends (the window size follows ours). */
static void relay_terminal(int master, pid_t pid)
{
	struct cl_tty t = {.master = master, .slave = -1};
	_cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool out_eof = false, in_eof = false;

	cl_tty_resize(&t);
	cl_tty_raw(&t);
	while (!out_eof) {
		struct pollfd p[3] = {{.fd = master, .events = POLLIN},
				      {.fd = in_eof ? -1 : STDIN_FILENO, .events = POLLIN},
				      {.fd = pfd, .events = POLLIN}};
		if (poll(p, 3, -1) < 0) {
			if (errno != EINTR)
				break;
			if (got_signal)
				kill(pid, got_signal);
			got_signal = 0;
			continue;
		}
		cl_tty_pump(&t, p[0].revents, p[1].revents, &out_eof, &in_eof);
		if (p[2].revents) {
			/* what it wrote last, then done */
			fcntl(master, F_SETFL, O_NONBLOCK);
			while (!out_eof && cl_tty_copy(master, STDOUT_FILENO, &out_eof) > 0)
				;
			break;
		}
	}
	if (t.raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t.saved);
}

int cl_oci_run(int argc, char **argv)
{
	static const int forward[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
	struct create_opts co;
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	pid_t pid;
	int r = parse_create(argc, argv, &co, true), status = 0;

	if (r)
		return r > 0 ? 0 : 1;
	cl_oci_hold_preserved(co.preserve_fds);
	/* foreground, process.terminal without --console-socket: ours to relay */
	int master = -1;
	if (!co.detach)
		co.tty_master = &master;
	/* foreground: we stay its parent, and pass signals on */
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: waitpid returns */
	for (size_t i = 0; !co.detach && i < sizeof(forward) / sizeof(forward[0]); i++)
		sigaction(forward[i], &sa, NULL);
	if (do_create(&co, &st, &pid, &err) < 0) {
		cl_state_close(&st);
		return cl_oci_fail(&err);
	}
	if (do_start(&st, &err) < 0) {
		struct cl_err ignored;
		do_delete(&st, true, &ignored);
		cl_state_close(&st);
		return cl_oci_fail(&err);
	}
	cl_oci_hooks_run_state(&st, CL_HOOK_POSTSTART, &err);
	cl_state_unlock(&st);
	if (co.detach) {
		cl_state_close(&st);
		return 0;
	}
	if (master >= 0)
		relay_terminal(master, pid);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			break;
		if (got_signal)
			kill(pid, got_signal);
		got_signal = 0;
	}
	if (master >= 0)
		close(master);
	if (!co.keep && cl_state_lock(&st, &err) == 0 && cl_state_reload(&st, &err) == 0)
		do_delete(&st, true, &err);
	cl_state_close(&st);
	return cl_exit_status(status);
}
