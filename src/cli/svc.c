/* The services commands: run -d, ps, inspect, logs, stop, kill, rm, wait,
 * start, restart.  Each reads a jail's state directory (svc/state.h) and
 * talks to its monitor (svc/monitor.h) by signal; none guesses from cgroup
 * names or pids. */
#include "cli/svc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ns/cgroup.h"
#include "ns/net_ipam.h"
#include "spec/profile.h"
#include "svc/log.h"
#include "svc/usage.h"

int cl_signal_parse(const char *name)
{
	char *end;
	long n;

	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	n = strtol(name, &end, 10);
	if (*name && !*end)
		return n > 0 && n < NSIG ? (int)n : -1;
	for (int sig = 1; sig < SIGRTMIN; sig++) {
		const char *abbrev = sigabbrev_np(sig);
		if (abbrev && !strcasecmp(abbrev, name))
			return sig;
	}
	if (!strncasecmp(name, "RTMIN", 5)) {
		n = name[5] == '+' ? strtol(name + 6, &end, 10) : 0;
		if ((name[5] == '\0' || (name[5] == '+' && !*end)) && SIGRTMIN + n <= SIGRTMAX)
			return SIGRTMIN + (int)n;
	}
	return -1;
}

/* ---- run -d ---- */

static void store_opts(struct cl_state *st, const struct cl_svc_opts *o)
{
	cl_state_set_str(st, "restart_policy", cl_svc_restart_name(o->restart));
	cl_state_set_int(st, "restart_max", o->restart_max);
	cl_state_set_int(st, "stop_signal", o->stop_signal);
	cl_state_set_int(st, "stop_timeout", o->stop_timeout);
	cl_state_set_int(st, "log_max_size", (int64_t)o->log_max_size);
	cl_state_set_int(st, "log_max_files", o->log_max_files);
	cl_state_set_str(st, "sd_notify", o->sd_notify_container ? "container" : "monitor");
}

static void load_opts(const struct cl_state *st, struct cl_svc_opts *o)
{
	struct cl_err ignored;

	cl_svc_parse_restart(cl_state_str(st, "restart_policy"), o, &ignored);
	o->restart_max = (unsigned)cl_state_int(st, "restart_max");
	o->stop_signal = (int)cl_state_int(st, "stop_signal");
	o->stop_timeout = (unsigned)cl_state_int(st, "stop_timeout");
	o->log_max_size = (uint64_t)cl_state_int(st, "log_max_size");
	o->log_max_files = (unsigned)cl_state_int(st, "log_max_files");
	o->sd_notify_container = !strcmp(cl_state_str(st, "sd_notify"), "container");
}

static char *spec_text(const struct cl_spec *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	cl_profile_print(s, f);
	fclose(f);
	return buf;
}

/* The monitor works from /: the paths as the command line meant them. */
static int absolute_paths(struct cl_spec *s, const char *cwd, struct cl_err *err)
{
	char **paths[] = {&s->rootfs, &s->kernel, &s->disk, &s->res.stats_json};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *p = *paths[i], *abs;
		if (!p || p[0] == '/')
			continue;
		if (asprintf(&abs, "%s/%s", cwd, p) < 0)
			return cl_fail(err, ENOMEM, "out of memory");
		free(p);
		*paths[i] = abs;
	}
	return 0;
}

/* where a jail just started is reached (its monitor recorded the
 * address once the command ran), on stderr: stdout stays its name alone,
 * for scripts.  Nothing for a jail with neither address nor ports. */
static void say_address(struct cl_state *st)
{
	struct cl_err ignored;
	json_object *p;
	char ports[512] = "";

	if (cl_state_reload(st, &ignored) < 0)
		return;
	if (json_object_object_get_ex(st->j, "ports", &p))
		for (size_t i = 0; i < json_object_array_length(p); i++) {
			size_t k = strlen(ports);
			snprintf(ports + k, sizeof(ports) - k, "%s%s", k ? ", " : "",
				 json_object_get_string(json_object_array_get_idx(p, i)));
		}
	const char *addr = cl_state_str(st, "address");
	if (addr[0] || ports[0])
		fprintf(stderr, "%s: address %s, ports %s\n", st->name, addr[0] ? addr : "-",
			ports[0] ? ports : "-");
}

int cl_run_detached(struct cl_spec *s, const struct cl_run_opts *ro, int nargs, char **args,
		    struct cl_err *err)
{
	struct cl_state st;
	unsigned char rnd[16];
	char id[33], cwd[PATH_MAX];

	if (s->keep_stdin)
		return cl_fail(err, 0,
			       "-i: a detached jail has no terminal to read (use -t alone "
			       "for a command that needs one)");
	if (s->preserve_fds)
		return cl_fail(err, 0,
			       "--preserve-fds: a detached jail outlives the fds it would "
			       "pass on");
	if (s->seccomp.learn)
		return cl_fail(err, 0, "--learn-seccomp runs in the foreground only");
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return cl_fail(err, errno, "cannot draw the jail's id");
	for (int i = 0; i < 16; i++)
		snprintf(id + 2 * i, 3, "%02x", rnd[i]);
	if (!s->res.name && !(s->res.name = strndup(id, 12)))
		return cl_fail(err, ENOMEM, "out of memory");
	s->res.accounting = true; /* for ps and stats */
	if (!getcwd(cwd, sizeof(cwd)))
		return cl_fail(err, errno, "cannot read the current directory");
	if (cl_state_check_name(s->res.name, err) < 0 || absolute_paths(s, cwd, err) < 0)
		return -1;
	/* the spec as given (validation adds what depends on the user: HOME,
	 * the rootless maps): start and exec validate it again, exec with its
	 * own -u and -e */
	_cleanup_free_ char *text = spec_text(s);
	if (!text)
		return cl_fail(err, ENOMEM, "out of memory");
	if (cl_spec_validate(s, err) < 0 || cl_state_create(&st, s->res.name, err) < 0)
		return -1;

	json_object *a = json_object_new_array();
	for (int i = 0; i < nargs; i++)
		json_object_array_add(a, json_object_new_string(args[i]));
	cl_state_set_str(&st, "id", id);
	cl_state_set_str(&st, "mode", s->backend == CL_BACKEND_VM ? "vm" : "container");
	cl_state_set_int(&st, "created", cl_now_ns());
	json_object_object_add(st.j, "args", a);
	cl_state_set_str(&st, "cwd", cwd);
	cl_state_set_str(&st, "rootfs", s->rootfs);
	cl_state_set_str(&st, "spec", text);
	json_object *cmd = json_object_new_array();
	for (char **p = s->argv; *p; p++)
		json_object_array_add(cmd, json_object_new_string(*p));
	json_object_object_add(st.j, "command", cmd);
	json_object *ports = json_object_new_array();
	for (size_t i = 0; i < s->netcfg.n_publish; i++) {
		const struct cl_publish *p = &s->netcfg.publish[i];
		char buf[96], ip[INET6_ADDRSTRLEN + 2];
		cl_publish_host(p, ip, sizeof(ip));
		snprintf(buf, sizeof(buf), "%s%s%u->%u/%s", ip, ip[0] ? ":" : "", p->host_port,
			 p->jail_port, p->proto == IPPROTO_UDP ? "udp" : "tcp");
		json_object_array_add(ports, json_object_new_string(buf));
	}
	json_object_object_add(st.j, "ports", ports);
	cl_state_set_int(&st, "restarts", 0);
	store_opts(&st, &ro->svc);
	int r = cl_monitor_spawn(s, &st, &ro->svc, true, err);
	if (r == 0) {
		printf("%s\n", st.name);
		say_address(&st);
	} else
		cl_state_remove(&st, err->msg[0] ? &(struct cl_err){0} : err);
	cl_state_close(&st);
	return r;
}

/* ---- shared by the commands ---- */

static int usage_error(const char *cmd, const char *opt)
{
	fprintf(stderr, "cloison: unknown option %s (see cloison %s --help)\n", opt, cmd);
	return CL_EXIT_FAILURE;
}

/* Sends the monitor @sig with @value, as pidfd_send_signal with a queued
 * value, having made sure the pid is still the monitor's. */
static int tell_monitor(const struct cl_state *st, int sig, int value, int *pidfd,
			struct cl_err *err)
{
	pid_t pid = (pid_t)cl_state_int(st, "monitor_pid");
	siginfo_t si = {0};
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0 || !cl_state_monitor_alive(st)) {
		if (fd >= 0)
			close(fd);
		return cl_fail(err, ESRCH, "jail %s: its monitor (pid %d) is gone", st->name,
			       (int)pid);
	}
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	if (syscall(SYS_pidfd_send_signal, fd, sig, &si, 0) < 0) {
		int e = errno;
		close(fd);
		return cl_fail(err, e, "jail %s: cannot signal its monitor (pid %d)", st->name,
			       (int)pid);
	}
	if (pidfd)
		*pidfd = fd;
	else
		close(fd);
	return 0;
}

/* Waits up to @ms for the process behind @pidfd to exit. */
static bool wait_exit(int pidfd, int ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int n;

	while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return n > 0;
}

/* A live jail of @st (locked): asks its monitor to stop it and waits for
 * the monitor to finish.  Unlocks @st. */
static int stop_jail(struct cl_state *st, int timeout, struct cl_err *err)
{
	int pidfd = -1;
	int t = timeout >= 0 ? timeout : (int)cl_state_int(st, "stop_timeout");

	if (tell_monitor(st, CL_SIG_STOP, t, &pidfd, err) < 0)
		return -1;
	cl_state_unlock(st);
	/* the monitor escalates to SIGKILL itself after @t: allow for the
	 * teardown on top */
	bool done = wait_exit(pidfd, (t + 30) * 1000);
	close(pidfd);
	if (!done)
		return cl_fail(err, ETIMEDOUT, "jail %s: its monitor did not finish stopping it",
			       st->name);
	return 0;
}

/* Stops a live jail of @st (locked) and takes the lock back: -1 when a
 * start came in meanwhile (that jail runs, ours is not needed). */
static int stop_relock(struct cl_state *st, int t, struct cl_err *err)
{
	if (stop_jail(st, t, err) < 0 || cl_state_lock(st, err) < 0 || cl_state_reload(st, err) < 0)
		return -1;
	if (cl_status_live(cl_state_status(st)))
		return cl_fail(err, 0, "jail %s was started again meanwhile", st->name);
	return 0;
}

/* What is left of a jail whose monitor was killed: its process (if the
 * parent-death signal could not reach it), the address lease, stale
 * cgroups. */
static void clean_lost(const struct cl_state *st)
{
	pid_t pid = (pid_t)cl_state_int(st, "pid");
	struct cl_ipam ipam;
	struct cl_err ignored;

	int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	/* the pidfd first: a pid checked, then recycled, is not killed */
	if (fd >= 0 && cl_pid_alive(pid, (unsigned long long)cl_state_int(st, "pid_start")))
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
	if (fd >= 0)
		close(fd);
	if (cl_ipam_open(&ipam, &ignored) == 0) {
		cl_ipam_reconcile(&ipam, NULL, NULL);
		cl_ipam_close(&ipam, &ignored);
	}
	cl_cgroup_gc(&ignored);
}

static int not_live(const struct cl_state *st, const char *what, struct cl_err *err)
{
	const char *status = cl_state_status(st);

	if (!strcmp(status, "lost"))
		return cl_fail(err, 0,
			       "jail %s lost its monitor (pid %lld was killed): 'cloison rm %s' "
			       "removes what is left",
			       st->name, (long long)cl_state_int(st, "monitor_pid"), st->name);
	return cl_fail(err, 0, "jail %s is not running (%s): cannot %s it", st->name, status, what);
}

int cl_svc_not_live(const struct cl_state *st, const char *what, struct cl_err *err)
{
	return not_live(st, what, err);
}

/* ---- ps ---- */

static const char ps_usage[] =
    "Usage: cloison ps [-a] [--format json]\n"
    "\n"
    "List the detached jails: name, mode (container or vm), status with uptime\n"
    "or exit status, pid, CPU % (of one CPU, over its life), memory and limit,\n"
    "address and published ports, restarts.\n"
    "\n"
    "  -a, --all               also the jails that ended (exited, stopped); lost\n"
    "                          ones (their monitor was killed) are always listed\n"
    "  --format json           a JSON array, one object per jail\n";

static void ago(int64_t ns, char *buf, size_t len)
{
	int64_t s = (cl_now_ns() - ns) / 1000000000LL;

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%llds", (long long)s / 60, (long long)s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%lldm", (long long)s / 3600, (long long)s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%lldh", (long long)s / 86400, (long long)s % 86400 / 3600);
}

static void describe_status(const struct cl_state *st, char *buf, size_t len)
{
	const char *status = cl_state_status(st);
	char t[32];

	if (!strcmp(status, "running")) {
		ago(cl_state_int(st, "started"), t, sizeof(t));
		snprintf(buf, len, "up %s", t);
	} else if (!strcmp(status, "exited") || !strcmp(status, "stopped")) {
		ago(cl_state_int(st, "finished"), t, sizeof(t));
		snprintf(buf, len, "%s (%lld) %s ago", status,
			 (long long)cl_state_int(st, "exit_code"), t);
	} else {
		snprintf(buf, len, "%s", status);
	}
}

static double cpu_percent(const struct cl_state *st, const struct cl_usage *u)
{
	/* its set-up counts too: over a second at least, or a jail started
	 * this instant shows hundreds of per cent */
	int64_t up = cl_now_ns() - cl_state_int(st, "started");

	if (up < 1000000000LL)
		up = 1000000000LL;
	return u->cpu_ns < 0 ? -1 : 100.0 * (double)u->cpu_ns / (double)up;
}

static json_object *ps_json(const struct cl_state *st, const struct cl_usage *u, bool live)
{
	json_object *o = json_object_new_object(), *v;
	static const char *const copy[] = {"name",    "id",	  "mode",	    "created",
					   "started", "finished", "exit_code",	    "restarts",
					   "address", "ports",	  "restart_policy", "command"};

	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		if (json_object_object_get_ex(st->j, copy[i], &v))
			json_object_object_add(o, copy[i], json_object_get(v));
	json_object_object_add(o, "status", json_object_new_string(cl_state_status(st)));
	json_object_object_add(o, "pid", json_object_new_int64(live ? cl_state_int(st, "pid") : 0));
	if (live) {
		double cpu = cpu_percent(st, u);
		json_object_object_add(o, "cpu_percent",
				       cpu < 0 ? NULL : json_object_new_double(cpu));
		json_object_object_add(o, "memory",
				       u->mem < 0 ? NULL : json_object_new_int64(u->mem));
		json_object_object_add(o, "memory_limit",
				       u->mem_limit < 0 ? NULL
							: json_object_new_int64(u->mem_limit));
		json_object_object_add(o, "pids",
				       u->pids < 0 ? NULL : json_object_new_int64(u->pids));
	}
	return o;
}

int cl_cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool all = false, json = false;
	struct cl_err err = {0};
	int o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		if (o == 'a')
			all = true;
		else if (o == 'f' && !strcmp(optarg, "json"))
			json = true;
		else if (o == 'f')
			return fprintf(stderr, "cloison: --format %s: only json\n", optarg),
			       CL_EXIT_FAILURE;
		else if (o == 'h')
			return fputs(ps_usage, stdout), 0;
		else
			return usage_error("ps", argv[optind - 1]);
	}
	char **names = cl_state_list(&err);
	if (!names) {
		cl_err_print(&err);
		return CL_EXIT_FAILURE;
	}
	json_object *arr = json ? json_object_new_array() : NULL;
	if (!json)
		printf("%-20s %-9s %-22s %7s %6s %-21s %-15s %-s\n", "NAME", "MODE", "STATUS",
		       "PID", "CPU%", "MEM / LIMIT", "ADDRESS", "PORTS  RESTARTS");
	for (char **n = names; *n; n++) {
		struct cl_state st;
		struct cl_usage u;
		if (cl_state_open(&st, *n, false, &err) < 0) {
			/* being created or removed meanwhile: not an error */
			if (err.errnum != ENOENT)
				cl_err_print(&err);
			continue;
		}
		const char *status = cl_state_status(&st);
		bool live = cl_status_live(status);
		/* a lost jail needs someone to look: listed as if running */
		if (!all && !live && strcmp(status, "lost")) {
			cl_state_close(&st);
			continue;
		}
		if (live)
			cl_usage_read(&st, &u);
		if (json) {
			json_object_array_add(arr, ps_json(&st, &u, live));
			cl_state_close(&st);
			continue;
		}
		char desc[64], cpu[16] = "-", mem[48] = "-", b1[16], b2[16], ports[256] = "";
		describe_status(&st, desc, sizeof(desc));
		if (live) {
			double c = cpu_percent(&st, &u);
			if (c >= 0)
				snprintf(cpu, sizeof(cpu), "%.1f", c);
			if (u.mem >= 0)
				snprintf(mem, sizeof(mem), "%s / %s", cl_usage_size(u.mem, b1),
					 u.mem_limit < 0 ? "-" : cl_usage_size(u.mem_limit, b2));
		}
		json_object *p;
		if (json_object_object_get_ex(st.j, "ports", &p))
			for (size_t i = 0; i < json_object_array_length(p); i++) {
				size_t k = strlen(ports);
				snprintf(ports + k, sizeof(ports) - k, "%s%s", k ? "," : "",
					 json_object_get_string(json_object_array_get_idx(p, i)));
			}
		const char *addr = cl_state_str(&st, "address");
		pid_t pid = live ? (pid_t)cl_state_int(&st, "pid") : 0;
		char pidbuf[16] = "-";
		if (pid > 0)
			snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
		printf("%-20s %-9s %-22s %7s %6s %-21s %-15s %s%s%lld\n", st.name,
		       cl_state_str(&st, "mode"), desc, pidbuf, cpu, mem, addr[0] ? addr : "-",
		       ports[0] ? ports : "-", "  ", (long long)cl_state_int(&st, "restarts"));
		cl_state_close(&st);
	}
	cl_strv_free(names);
	if (json) {
		puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	}
	return 0;
}

/* ---- inspect, logs, wait ---- */

/* The commands that take names: the options, then at least one name. */
static int names_only(const char *cmd, const char *usage, int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 1;
	}
	if (argc < 2) {
		fprintf(stderr, "cloison: %s needs a jail's name (see cloison %s --help)\n", cmd,
			cmd);
		return -1;
	}
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-') {
			usage_error(cmd, argv[i]);
			return -1;
		}
	return 0;
}

/* Runs @act on each jail named in argv[@first..@argc) (locked when @lock):
 * its name on stdout after, when @say_name; its error otherwise.  Returns
 * the command's exit status (the last failure's). */
static int each_jail(int argc, char **argv, int first, bool lock, bool say_name,
		     int (*act)(struct cl_state *st, void *data, struct cl_err *err), void *data)
{
	int status = 0;

	for (int i = first; i < argc; i++) {
		struct cl_state st;
		struct cl_err err = {0};
		if (cl_state_open(&st, argv[i], lock, &err) < 0 || act(&st, data, &err) < 0) {
			cl_err_print(&err);
			status = err.exit_code ? err.exit_code : CL_EXIT_FAILURE;
		} else if (say_name) {
			puts(st.name);
		}
		cl_state_close(&st);
	}
	return status;
}

static const char inspect_usage[] = "Usage: cloison inspect NAME...\n"
				    "\n"
				    "Print each jail's state as JSON (an array): its identity, "
				    "status, pids,\n"
				    "spec, cgroups, network, restart policy and counts.\n";

static int inspect_one(struct cl_state *st, void *arr, struct cl_err *err)
{
	json_object_object_add(st->j, "status", json_object_new_string(cl_state_status(st)));
	cl_state_set_str(st, "state_dir", st->dir);
	json_object_array_add(arr, json_object_get(st->j));
	return 0;
}

int cl_cmd_inspect(int argc, char **argv)
{
	int r = names_only("inspect", inspect_usage, argc, argv);

	if (r)
		return r > 0 ? 0 : CL_EXIT_FAILURE;
	json_object *arr = json_object_new_array();
	int status = each_jail(argc, argv, 1, false, false, inspect_one, arr);
	puts(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(arr);
	return status;
}

static const char logs_usage[] =
    "Usage: cloison logs [-f] [--tail N] [--since TIME] [-t] NAME\n"
    "\n"
    "Print what a detached jail's command wrote (stdout to stdout, stderr to\n"
    "stderr), from its log in the state directory.\n"
    "\n"
    "  -f, --follow            then go on printing as it writes, until it ends\n"
    "  -n, --tail N            only the last N lines\n"
    "  --since TIME            only lines written at or after TIME: RFC 3339\n"
    "                          (2026-12-03T14:00:00Z), a date, seconds since the\n"
    "                          epoch, or a duration before now (90s, 10m, 1h30m)\n"
    "  -t, --timestamps        start each line with its time (UTC, ns)\n";

struct follow {
	struct cl_state *st;
};

static bool still_running(void *data)
{
	struct cl_state *st = data;
	struct cl_err ignored;

	return cl_state_reload(st, &ignored) == 0 && cl_status_live(cl_state_status(st));
}

int cl_cmd_logs(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"follow", no_argument, NULL, 'f'},	     {"tail", required_argument, NULL, 'n'},
	    {"since", required_argument, NULL, 's'}, {"timestamps", no_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},	     {NULL, 0, NULL, 0}};
	struct cl_log_query q = {.tail = -1, .alive = still_running};
	struct cl_err err = {0};
	struct cl_state st;
	int o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+fn:th", opts, NULL)) != -1) {
		char *end;
		switch (o) {
		case 'f': q.follow = true; break;
		case 't': q.timestamps = true; break;
		case 'n':
			q.tail = strtol(optarg, &end, 10);
			if (*end || q.tail < 0) {
				fprintf(stderr, "cloison: --tail %s: a count of lines\n", optarg);
				return CL_EXIT_FAILURE;
			}
			break;
		case 's':
			if (cl_log_parse_since(optarg, q.since, sizeof(q.since), &err) < 0) {
				cl_err_print(&err);
				return CL_EXIT_FAILURE;
			}
			break;
		case 'h': fputs(logs_usage, stdout); return 0;
		default: return usage_error("logs", argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "cloison: logs takes one jail's name (see cloison logs --help)\n");
		return CL_EXIT_FAILURE;
	}
	if (cl_state_open(&st, argv[optind], false, &err) < 0) {
		cl_err_print(&err);
		return CL_EXIT_FAILURE;
	}
	q.data = &st;
	int r = cl_log_print(st.dir_fd, &q, &err);
	cl_state_close(&st);
	if (r < 0) {
		cl_err_print(&err);
		return CL_EXIT_FAILURE;
	}
	return 0;
}

static const char wait_usage[] = "Usage: cloison wait NAME...\n"
				 "\n"
				 "Wait for each jail to end for good (its restart policy done) and "
				 "print its\n"
				 "exit status.\n";

static int wait_one(struct cl_state *st, void *data, struct cl_err *err)
{
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)cl_state_int(st, "monitor_pid"), 0);

	if (fd >= 0 && cl_state_monitor_alive(st))
		wait_exit(fd, -1);
	if (fd >= 0)
		close(fd);
	if (cl_state_reload(st, err) < 0)
		return -1;
	if (!strcmp(cl_state_status(st), "lost"))
		return not_live(st, "wait for", err);
	printf("%lld\n", (long long)cl_state_int(st, "exit_code"));
	return 0;
}

int cl_cmd_wait(int argc, char **argv)
{
	int r = names_only("wait", wait_usage, argc, argv);

	return r ? (r > 0 ? 0 : CL_EXIT_FAILURE)
		 : each_jail(argc, argv, 1, false, false, wait_one, NULL);
}

/* ---- stop, kill, rm, start, restart ---- */

static const char stop_usage[] =
    "Usage: cloison stop [-t SECONDS] NAME...\n"
    "\n"
    "Stop each jail: its stop signal (--stop-signal, default SIGTERM) to its\n"
    "command, then SIGKILL to everything in it after the grace period; its\n"
    "restart policy does not bring it back.  Returns once it is torn down.\n"
    "\n"
    "  -t, --time SECONDS      the grace period (default: the jail's\n"
    "                          --stop-timeout, 10 s unless set)\n";

static int parse_time(int argc, char **argv, const char *cmd, const char *usage, int *t)
{
	static const struct option opts[] = {{"time", required_argument, NULL, 't'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+t:h", opts, NULL)) != -1) {
		char *end;
		if (o == 'h')
			return fputs(usage, stdout), 1;
		if (o != 't')
			return usage_error(cmd, argv[optind - 1]), -1;
		long v = strtol(optarg, &end, 10);
		if (*end || v < 0 || v > 86400) {
			fprintf(stderr, "cloison: -t %s: seconds, 0 to 86400\n", optarg);
			return -1;
		}
		*t = (int)v;
	}
	if (optind >= argc) {
		fprintf(stderr, "cloison: %s needs a jail's name (see cloison %s --help)\n", cmd,
			cmd);
		return -1;
	}
	return 0;
}

static int stop_one(struct cl_state *st, void *t, struct cl_err *err)
{
	if (!cl_status_live(cl_state_status(st)))
		return not_live(st, "stop", err);
	return stop_jail(st, *(int *)t, err);
}

int cl_cmd_stop(int argc, char **argv)
{
	int t = -1, r = parse_time(argc, argv, "stop", stop_usage, &t);

	if (r)
		return r > 0 ? 0 : CL_EXIT_FAILURE;
	return each_jail(argc, argv, optind, true, true, stop_one, &t);
}

static const char kill_usage[] =
    "Usage: cloison kill [-s SIGNAL] NAME...\n"
    "\n"
    "Send SIGNAL (default SIGKILL; a name such as TERM or HUP, or a number) to\n"
    "each jail's command.  Its restart policy applies if it ends: use stop to\n"
    "end a service for good.\n";

static int kill_one(struct cl_state *st, void *sig, struct cl_err *err)
{
	if (strcmp(cl_state_status(st), "running"))
		return not_live(st, "signal", err);
	return tell_monitor(st, CL_SIG_KILL, *(int *)sig, NULL, err);
}

int cl_cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {{"signal", required_argument, NULL, 's'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	int sig = SIGKILL, o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		if (o == 'h')
			return fputs(kill_usage, stdout), 0;
		if (o != 's')
			return usage_error("kill", argv[optind - 1]);
		if ((sig = cl_signal_parse(optarg)) <= 0) {
			fprintf(stderr, "cloison: -s %s: not a signal\n", optarg);
			return CL_EXIT_FAILURE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "cloison: kill needs a jail's name (see cloison kill --help)\n");
		return CL_EXIT_FAILURE;
	}
	return each_jail(argc, argv, optind, true, true, kill_one, &sig);
}

static const char rm_usage[] =
    "Usage: cloison rm [-f] NAME...\n"
    "\n"
    "Remove each jail that has ended: its state directory and log.  A jail whose\n"
    "monitor was killed (lost) is cleaned up: its process, address lease and\n"
    "cgroups.\n"
    "\n"
    "  -f, --force             stop running ones first, at once (SIGKILL)\n";

int cl_cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool force = false;
	int status = 0, o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (o == 'h')
			return fputs(rm_usage, stdout), 0;
		if (o != 'f')
			return usage_error("rm", argv[optind - 1]);
		force = true;
	}
	if (optind >= argc) {
		fprintf(stderr, "cloison: rm needs a jail's name (see cloison rm --help)\n");
		return CL_EXIT_FAILURE;
	}
	for (int i = optind; i < argc; i++) {
		struct cl_state st;
		struct cl_err err = {0};
		int r = cl_state_open(&st, argv[i], true, &err);
		/* a run -d killed before it wrote the record; with -f, a record
		 * that cannot be read (the error said which) */
		if (r < 0 && cl_state_remove_orphan(argv[i], force && err.errnum != ENOENT)) {
			if (err.errnum != ENOENT)
				cl_warn("%s: removed", err.msg);
			puts(argv[i]);
			continue;
		}
		const char *status_now = r == 0 ? cl_state_status(&st) : "";
		bool lost = !strcmp(status_now, "lost");
		if (r == 0 && cl_status_live(status_now)) {
			if (!force)
				r = cl_fail(&err, 0,
					    "jail %s is %s: stop it first, or rm -f to kill it",
					    st.name, status_now);
			else
				r = stop_relock(&st, 0, &err);
		}
		if (r == 0 && lost)
			clean_lost(&st);
		if (r == 0)
			r = cl_state_remove(&st, &err);
		if (r < 0) {
			cl_err_print(&err);
			status = CL_EXIT_FAILURE;
		} else {
			puts(st.name);
		}
		cl_state_close(&st);
	}
	return status;
}

int cl_svc_load_spec(const struct cl_state *st, struct cl_spec *spec, struct cl_run_opts *ro,
		     struct cl_err *err)
{
	const char *text = cl_state_str(st, "spec");
	char where[PATH_MAX + 32];
	json_object *cmd;
	size_t n;

	/* the spec as validated when the jail was made, never the files and
	 * the directory it was read from: those may have changed since, and
	 * a profile may lie where the jail itself can write */
	if (!*text || !json_object_object_get_ex(st->j, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_array) || !(n = json_object_array_length(cmd)))
		return cl_fail(err, 0,
			       "jail %s: %s/state.json has no spec and command to make it again",
			       st->name, st->dir);
	snprintf(where, sizeof(where), "%s/state.json (spec)", st->dir);
	if (cl_profile_apply_text(spec, where, text, strlen(text), CL_PROFILE_NO_INCLUDE, err) < 0)
		return -1;
	if (!(spec->argv = calloc(n + 1, sizeof(char *))))
		return cl_fail(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (!(spec->argv[i] =
			  strdup(json_object_get_string(json_object_array_get_idx(cmd, i)))))
			return cl_fail(err, ENOMEM, "out of memory");
	load_opts(st, &ro->svc);
	return 0;
}

/* Makes the jail of @st (locked, not live) again from what it was made
 * with, and starts it under a new monitor. */
static int start_again(struct cl_state *st, struct cl_err *err)
{
	struct cl_spec spec;
	struct cl_run_opts ro = {.svc = CL_SVC_OPTS_INIT};
	int r = -1;

	cl_spec_init(&spec);
	if (cl_svc_load_spec(st, &spec, &ro, err) == 0 && cl_spec_validate(&spec, err) == 0) {
		cl_state_set_int(st, "restarts", 0);
		json_object_object_del(st->j, "exit_code");
		json_object_object_del(st->j, "finished");
		spec.res.accounting = true; /* for ps and stats, as run -d */
		r = cl_monitor_spawn(&spec, st, &ro.svc, false, err);
	}
	cl_spec_free(&spec);
	return r;
}

static const char start_usage[] = "Usage: cloison start NAME...\n"
				  "\n"
				  "Start each jail that has ended (exited or stopped) again, from "
				  "the options\n"
				  "it was made with, under a new monitor.\n";

static int start_one(struct cl_state *st, void *data, struct cl_err *err)
{
	const char *now = cl_state_status(st);

	if (cl_status_live(now) || !strcmp(now, "lost"))
		return cl_fail(err, 0,
			       "jail %s is %s: only an exited or stopped jail can be started",
			       st->name, now);
	return start_again(st, err);
}

int cl_cmd_start(int argc, char **argv)
{
	int r = names_only("start", start_usage, argc, argv);

	if (r)
		return r > 0 ? 0 : CL_EXIT_FAILURE;
	return each_jail(argc, argv, 1, true, true, start_one, NULL);
}

static int restart_one(struct cl_state *st, void *t, struct cl_err *err)
{
	if (cl_status_live(cl_state_status(st)) && stop_relock(st, *(int *)t, err) < 0)
		return -1;
	if (!strcmp(cl_state_status(st), "lost"))
		return not_live(st, "restart", err);
	return start_again(st, err);
}

int cl_cmd_restart(int argc, char **argv)
{
	static const char restart_usage[] = "Usage: cloison restart [-t SECONDS] NAME...\n"
					    "\n"
					    "Stop each jail (as cloison stop, when it runs), then "
					    "start it again.\n";
	int t = -1, r = parse_time(argc, argv, "restart", restart_usage, &t);

	if (r)
		return r > 0 ? 0 : CL_EXIT_FAILURE;
	return each_jail(argc, argv, optind, true, true, restart_one, &t);
}

int cl_svc_gc(bool dry, void (*said)(const char *name, const char *why, void *data), void *data)
{
	struct cl_err ignored;
	char **names = cl_state_list(&ignored);
	int n = 0;

	for (char **p = names; p && *p; p++) {
		struct cl_state st;
		if (cl_state_open(&st, *p, false, &ignored) < 0) {
			if (ignored.errnum == ENOENT &&
			    (dry || cl_state_remove_orphan(*p, false))) {
				said(*p, "never started", data);
				n++;
			}
			continue;
		}
		if (!strcmp(cl_state_status(&st), "lost") && cl_state_lock(&st, &ignored) == 0 &&
		    cl_state_reload(&st, &ignored) == 0 && !strcmp(cl_state_status(&st), "lost")) {
			if (!dry) {
				clean_lost(&st);
				cl_state_remove(&st, &ignored);
			}
			said(*p, "its monitor was killed", data);
			n++;
		}
		cl_state_close(&st);
	}
	cl_strv_free(names);
	return n;
}
