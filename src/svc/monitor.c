/* A detached jail's monitor (svc/monitor.h). */
#include "svc/monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ns/container.h"
#include "svc/log.h"
#include "svc/notify.h"
#include "svc/usage.h"
#include "util/file.h"
#include "vm/agent_host.h"
#include "vm/launch.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS	 30000
#define BACKOFF_RESET_S	 10 /* a run this long starts the back-off again */

static const char *const restart_names[] = {"no", "on-failure", "always", "unless-stopped"};

const char *cl_svc_restart_name(enum cl_restart r)
{
	return restart_names[r];
}

int cl_svc_parse_restart(const char *v, struct cl_svc_opts *o, struct cl_err *err)
{
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);

	for (int i = 0; i < 4; i++)
		if (strlen(restart_names[i]) == n && !strncmp(v, restart_names[i], n)) {
			o->restart = (enum cl_restart)i;
			o->restart_max = 0;
			if (!colon)
				return 0;
			char *end;
			unsigned long max = strtoul(colon + 1, &end, 10);
			if (i == CL_RESTART_ON_FAILURE && colon[1] && !*end && max > 0 &&
			    max < 1000000) {
				o->restart_max = (unsigned)max;
				return 0;
			}
			break;
		}
	return cl_fail(err, 0,
		       "--restart %s: no, on-failure[:MAX] (MAX a count above 0), always or "
		       "unless-stopped",
		       v);
}

/* What the monitor tells the CLI that forked it, once. */
struct report {
	int ok;
	pid_t pid;
	struct cl_err err;
};

struct monitor {
	struct cl_spec *s; /* the monitor's copy: its notify socket is added */
	char *vm_addr;	   /* a micro-VM's address on the bridge ("" none) */
	struct cl_state *st;
	struct cl_svc_opts o;
	struct cl_log log;
	int out[2];		 /* read ends: the jail's stdout and stderr */
	int report_fd;		 /* to the CLI until the first start */
	int sigfd;		 /* between runs */
	int notify_fd;		 /* --sd-notify=container: the jail's readiness socket, -1 */
	char notify_socket[108]; /* $NOTIFY_SOCKET: systemd's, "" when none */
	bool stop;		 /* stopped by request: no restart */
	bool fresh; /* run -d: a first run that fails leaves nothing, not even the name */
	bool ran;   /* this attempt's command was exec'd */
	unsigned stop_timeout;
	pid_t pid;		/* the jail's process while it runs */
	struct cl_container *c; /* container mode, while it runs */
	struct timespec run_start;
};

static void report(struct monitor *m, const struct report *r)
{
	if (m->report_fd < 0)
		return;
	(void)!write(m->report_fd, r, sizeof(*r));
	close(m->report_fd);
	m->report_fd = -1;
}

/* To systemd's $NOTIFY_SOCKET, when there is one (svc/notify.h). */
static void sd_notify(struct monitor *m, const char *msg)
{
	if (m->notify_socket[0] && cl_sd_notify(m->notify_socket, msg) < 0)
		cl_log_note(&m->log, "cloison: cannot notify %s: %s", m->notify_socket,
			    strerror(errno));
}

/* Reads the record under the lock, for a change that commit() writes. */
static bool begin(struct monitor *m)
{
	struct cl_err err;

	if (cl_state_lock(m->st, &err) == 0 && cl_state_reload(m->st, &err) == 0)
		return true;
	cl_log_note(&m->log, "cloison: %s", err.msg);
	cl_state_unlock(m->st);
	return false;
}

static void commit(struct monitor *m)
{
	struct cl_err err;

	if (cl_state_save(m->st, &err) < 0)
		cl_log_note(&m->log, "cloison: %s", err.msg);
	cl_state_unlock(m->st);
}

static void started(struct monitor *m, pid_t pid)
{
	m->pid = pid;
	m->ran = true;
	clock_gettime(CLOCK_MONOTONIC, &m->run_start);
	if (begin(m)) {
		cl_state_set_str(m->st, "status", "running");
		cl_state_set_int(m->st, "pid", pid);
		cl_state_set_int(m->st, "pid_start", (int64_t)cl_pid_start(pid));
		cl_state_set_int(m->st, "started", cl_now_ns());
		if (m->c) {
			const struct cl_cgroup *cg = &m->c->cg;
			json_object *a = json_object_new_array();
			for (int i = 0; i < cg->n_dirs; i++) {
				json_object *d = json_object_new_object();
				json_object_object_add(d, "path",
						       json_object_new_string(cg->dir[i].path));
				json_object_object_add(d, "v2",
						       json_object_new_boolean(cg->dir[i].v2));
				json_object_object_add(d, "controllers",
						       json_object_new_int((int)cg->dir[i].ctrls));
				json_object_array_add(a, d);
			}
			json_object_object_add(m->st->j, "cgroups", a);
			char addr[INET_ADDRSTRLEN] = "";
			if (m->c->net.bridged)
				inet_ntop(AF_INET, &m->c->net.jail.netcfg.ip, addr, sizeof(addr));
			cl_state_set_str(m->st, "address", addr);
		} else { /* a micro-VM: its launcher said its address */
			cl_state_set_str(m->st, "address", m->vm_addr ? m->vm_addr : "");
			cl_state_set_str(m->st, "vsock", m->s->vsock ? m->s->vsock : "");
		}
		commit(m);
	}
	/* idle from here on: what the set-up touched goes back */
	cl_trim_memory();
	/* the CLI tells systemd (MAINPID: us; READY=1 unless the jail says
	 * it), as the unit's main process until it exits: NotifyAccess=main */
	if (m->report_fd >= 0) {
		struct report r = {.ok = 1, .pid = pid};
		report(m, &r);
	}
}

/* One read: a jail that keeps its pipe full must not keep the monitor from
 * its signals and timers (stop, SIGCHLD).  @all: until empty (the jail is
 * gone, what it wrote is finite). */
static void drain(struct monitor *m, int i, bool all)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(m->out[i], buf, sizeof(buf))) > 0) {
		cl_log_write(&m->log, i, buf, (size_t)n);
		if (!all)
			break;
	}
}

/* What the jail says of its readiness (--sd-notify=container): passed on
 * to systemd with our pid as the main one; nothing else it says is
 * (cl_notify_filter).  Without a $NOTIFY_SOCKET of ours, read and dropped.
 * A datagram's file descriptors are never received: recv() drops them. */
static void relay_notify(struct monitor *m)
{
	char buf[4096], out[4096 + 32];
	ssize_t n;

	/* a few datagrams a round, for the same reason as drain() */
	for (int round = 0;
	     round < 16 && (n = recv(m->notify_fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0;
	     round++) {
		buf[n] = '\0';
		size_t k = cl_notify_filter(buf, out, sizeof(out) - 32);
		if (k) {
			snprintf(out + k, sizeof(out) - k, "MAINPID=%d", (int)getpid());
			sd_notify(m, out);
		}
	}
}

static void ask_stop(struct monitor *m, unsigned timeout)
{
	m->stop = true;
	if (begin(m)) {
		cl_state_set_str(m->st, "status", "stopping");
		cl_state_set_int(m->st, "stop_requested", 1);
		commit(m);
	}
	if (m->c) {
		cl_container_stop(m->c, m->o.stop_signal, timeout);
	} else if (m->pid > 0) {
		struct cl_err e = {0};

		/* a micro-VM: its guest agent gives the VM's command the stop
		 * signal, and the guest powers off once it ended; without an
		 * agent, the VMM's launcher gets it; at the end of the grace
		 * period the launcher's SIGTERM, then SIGKILL (run_vm's timer) */
		m->stop_timeout = timeout;
		if (timeout && m->s->vsock &&
		    cl_agent_signal(m->s->vsock, m->o.stop_signal, 2, &e) == 0)
			return;
		kill(m->pid, timeout ? m->o.stop_signal : SIGKILL);
	}
}

/* A signal for the monitor itself; true when it was one. */
static bool own_signal(struct monitor *m, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	if (sig == SIGTERM || sig == SIGINT) {
		ask_stop(m, m->o.stop_timeout);
	} else if (sig == CL_SIG_STOP) {
		/* the grace period rides with a queued signal (cloison stop); a
		 * plain kill -RTMIN is a stop with the jail's own */
		ask_stop(m, si->ssi_code == SI_QUEUE ? (unsigned)si->ssi_int : m->o.stop_timeout);
	} else if (sig == CL_SIG_KILL) {
		if (si->ssi_code == SI_QUEUE && m->pid > 0 && si->ssi_int > 0 && si->ssi_int < 65)
			kill(m->pid, si->ssi_int);
	} else if (sig == SIGHUP) {
		/* no terminal to lose: a reload request for the command */
		if (m->pid > 0)
			kill(m->pid, SIGHUP);
	} else {
		return false;
	}
	return true;
}

static void hook_started(void *data, struct cl_container *c)
{
	struct monitor *m = data;

	m->c = c;
	started(m, c->pid);
}

static void hook_signal(void *data, struct cl_container *c, const struct signalfd_siginfo *si)
{
	own_signal(data, si);
}

static void hook_fd(void *data, struct cl_container *c, int i)
{
	struct monitor *m = data;

	if (i < 2)
		drain(m, i, c->pid == 0); /* after the command: all that is left */
	else
		relay_notify(m);
}

static void monitor_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, CL_SIG_STOP);
	sigaddset(set, CL_SIG_KILL);
}

static int run_container(struct monitor *m, int *status, struct cl_err *err)
{
	struct cl_container_hooks h = {.data = m,
				       .started = hook_started,
				       .on_signal = hook_signal,
				       .fds = {m->out[0], m->out[1], m->notify_fd, -1},
				       .on_fd = hook_fd};
	struct cl_container c;
	int r = -1;

	monitor_signals(&h.signals);
	if (cl_container_create(&c, m->s, &h, err) == 0 && cl_container_start(&c, err) == 0) {
		*status = cl_container_wait(&c);
		/* what the wait said last (the --timeout outcome, the OOM
		 * killer, --stats) went to our own stderr, the log pipe */
		fflush(NULL);
		drain(m, 0, true);
		drain(m, 1, true);
		r = 0;
	}
	r = cl_container_destroy(&c, r, err);
	m->c = NULL;
	m->pid = 0;
	return r;
}

/* The VMM (the launcher's child that is not its cgroup guardian) once it
 * exists, and its cgroups recorded for ps and stats.  Bounded: 5 s. */
static void record_vmm_cgroups(struct monitor *m, pid_t launcher)
{
	char path[96], comm[32];
	json_object *a = NULL;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)launcher, (int)launcher);
	for (int tries = 0; tries < 100 && !a; tries++) {
		FILE *f = fopen(path, "re");
		int child;
		while (f && !a && fscanf(f, "%d", &child) == 1) {
			char cp[64];
			snprintf(cp, sizeof(cp), "/proc/%d/comm", child);
			FILE *c = fopen(cp, "re");
			bool guard = c && fgets(comm, sizeof(comm), c) &&
				     !strncmp(comm, "cloison-guard", 13);
			if (c)
				fclose(c);
			if (!guard)
				a = cl_usage_cgroups_of(child, m->st->name);
		}
		if (f)
			fclose(f);
		if (!a)
			usleep(50000);
	}
	if (a && begin(m)) {
		json_object_object_add(m->st->j, "cgroups", a);
		commit(m);
	} else {
		json_object_put(a);
	}
}

/* What the VMM's launcher tells the monitor once the VM is about to boot
 * (or why it could not get there). */
struct vm_ready {
	int ok;
	char addr[INET_ADDRSTRLEN]; /* on the bridge, "" without */
	struct cl_err err;
};

struct vm_pipe {
	int fd;
	bool told; /* ready went: a later error is the log's */
};

static void vm_ready(void *ctx, const char *addr)
{
	struct vm_pipe *p = ctx;
	struct vm_ready r = {.ok = 1};

	snprintf(r.addr, sizeof(r.addr), "%s", addr);
	(void)!write(p->fd, &r, sizeof(r));
	close(p->fd);
	p->told = true;
}

/* Micro-VM mode: the VMM runs in a child of the monitor, its console on the
 * log pipes; stop is its stop signal, then SIGKILL after the grace period. */
static int run_vm(struct monitor *m, int *status, struct cl_err *err)
{
	int p[2], ws = 0;
	struct vm_ready r = {0};
	pid_t pid;

	/* its guest agent's way in (exec, stop): a vsock socket in the state
	 * directory unless the spec names one */
	if (!m->s->vsock) {
		if (asprintf(&m->s->vsock, "%s/vsock.sock", m->st->dir) < 0) {
			m->s->vsock = NULL;
			return cl_fail(err, ENOMEM, "out of memory");
		}
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return cl_fail(err, errno, "cannot create a pipe");
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return cl_fail(err, e, "cannot fork the micro-VM's monitor");
	}
	if (pid == 0) {
		sigset_t none;
		int st = CL_EXIT_FAILURE;
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* none of the monitor's files (its log, the state directory, the
		 * report pipe) for a VMM a guest may take over: stdio, and the
		 * pipe that says the VM is about to boot (the boot is the start;
		 * its address, with --net bridge), close-on-exec */
		if (p[1] != 3 && (dup3(p[1], 3, O_CLOEXEC) < 0 || close(p[1]) < 0))
			_exit(CL_EXIT_FAILURE);
		syscall(SYS_close_range, 4, ~0U, 0);
		struct vm_pipe vp = {.fd = 3};
		if (cl_vm_launch_ready(m->s, &st, vm_ready, &vp, &r.err) < 0) {
			/* before the boot: the error goes back to run -d too */
			r.ok = 0;
			if (!vp.told)
				(void)!write(vp.fd, &r, sizeof(r));
			cl_err_print(&r.err);
			_exit(r.err.exit_code ? r.err.exit_code : CL_EXIT_FAILURE);
		}
		_exit(st);
	}
	close(p[1]);
	if (read(p[0], &r, sizeof(r)) != sizeof(r) || !r.ok) {
		close(p[0]);
		waitpid(pid, &ws, 0);
		if (r.err.msg[0]) {
			*err = r.err;
			return -1;
		}
		return cl_fail(err, 0, "the micro-VM's monitor failed to start");
	}
	close(p[0]);
	free(m->vm_addr);
	m->vm_addr = strdup(r.addr);
	started(m, pid);
	record_vmm_cgroups(m, pid);

	struct timespec kill_at = {0}; /* the end of a stop's grace period, 0 none */
	bool armed = false, termed = false;
	for (;;) {
		struct pollfd pf[3] = {
		    {m->sigfd, POLLIN, 0}, {m->out[0], POLLIN, 0}, {m->out[1], POLLIN, 0}};
		unsigned before = m->stop_timeout;
		struct timespec now;
		int wait = -1;
		if (armed) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			long left = (kill_at.tv_sec - now.tv_sec) * 1000 +
				    (kill_at.tv_nsec - now.tv_nsec) / 1000000;
			if (left <= 0 && !termed) {
				/* the grace period is over: the launcher ends the VMM at
				 * once and gives its network back (its stop handler);
				 * SIGKILL if even that does not end it in 5 s */
				kill(pid, SIGTERM);
				termed = true;
				kill_at = now;
				kill_at.tv_sec += 5;
				wait = 5000;
			} else if (left <= 0) {
				kill(pid, SIGKILL);
				armed = false;
			} else {
				wait = (int)left;
			}
		}
		int n = poll(pf, 3, wait);
		if (n < 0 && errno != EINTR) {
			/* never leave the VMM unreaped */
			kill(pid, SIGKILL);
			while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
				;
			break;
		}
		for (int i = 0; i < 2; i++)
			if (pf[1 + i].revents)
				drain(m, i, false);
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(m->sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (own_signal(m, &si)) {
				if (m->stop && !armed && (m->stop_timeout || before)) {
					clock_gettime(CLOCK_MONOTONIC, &kill_at);
					kill_at.tv_sec += m->stop_timeout;
					armed = true;
				}
				continue;
			}
			if (si.ssi_signo == SIGCHLD && waitpid(pid, &ws, WNOHANG) == pid)
				break;
		}
	}
	drain(m, 0, true);
	drain(m, 1, true);
	m->pid = 0;
	*status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return 0;
}

/* Waits @ms before a restart, or less when asked to stop meanwhile. */
static void back_off(struct monitor *m, int ms)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left =
		    (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0 || m->stop)
			return;
		struct pollfd p = {m->sigfd, POLLIN, 0};
		if (poll(&p, 1, (int)left) > 0) {
			struct signalfd_siginfo si;
			if (read(m->sigfd, &si, sizeof(si)) == sizeof(si))
				own_signal(m, &si);
		}
	}
}

static bool wants_restart(const struct monitor *m, int status, unsigned restarts)
{
	if (m->stop)
		return false;
	switch (m->o.restart) {
	case CL_RESTART_NO: return false;
	case CL_RESTART_ON_FAILURE:
		return status != 0 && (!m->o.restart_max || restarts < m->o.restart_max);
	default: return true;
	}
}

/* The first run failed before its command was exec'd: the CLI says why.
 * A jail made by run -d leaves nothing, not even its name; one started
 * again keeps its record and log, with the failure in them. */
__attribute__((noreturn)) static void fail_first(struct monitor *m, struct cl_err *err, int status)
{
	struct report rep = {.ok = 0, .err = *err};
	struct cl_err ignored;

	if (m->fresh) {
		cl_state_remove(m->st, &ignored);
	} else if (begin(m)) {
		cl_state_set_str(m->st, "status", "exited");
		cl_state_set_int(m->st, "exit_code", status);
		cl_state_set_int(m->st, "finished", cl_now_ns());
		cl_state_set_int(m->st, "pid", 0);
		cl_state_set_str(m->st, "error", err->msg);
		commit(m);
	}
	if (m->log.fd >= 0)
		cl_log_close(&m->log);
	report(m, &rep);
	_exit(CL_EXIT_FAILURE);
}

__attribute__((noreturn)) static void monitor_main(struct monitor *m)
{
	unsigned restarts = 0;
	int backoff = BACKOFF_FIRST_MS;
	struct cl_err err;
	sigset_t set;

	/* the CLI records us before it lets go of the lock: killed before
	 * that, it leaves a jail nobody could see, so none is started */
	if (!begin(m)) {
		cl_state_remove(m->st, &err);
		_exit(CL_EXIT_FAILURE);
	}
	cl_state_unlock(m->st);
	int last = 0; /* our exit status: the command's last, 0 once stopped */
	for (;;) {
		int status = CL_EXIT_FAILURE, r;

		err = (struct cl_err){0};
		m->ran = false;
		r = m->s->backend == CL_BACKEND_VM ? run_vm(m, &status, &err)
						   : run_container(m, &status, &err);
		cl_log_flush(&m->log);
		/* the cgroup guardians that ended meanwhile (not the jail: reaped) */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (r < 0) {
			cl_log_note(&m->log, "cloison: %s", err.msg);
			status = err.exit_code ? err.exit_code : CL_EXIT_FAILURE;
			if (m->report_fd >= 0)
				fail_first(m, &err, status);
		}
		/* back to the shortest back-off only after a run that lasted */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (m->ran && now.tv_sec - m->run_start.tv_sec >= BACKOFF_RESET_S)
			backoff = BACKOFF_FIRST_MS;
		last = status;
		bool again = wants_restart(m, status, restarts);
		if (begin(m)) {
			cl_state_set_str(m->st, "status",
					 again	   ? "restarting"
					 : m->stop ? "stopped"
						   : "exited");
			cl_state_set_int(m->st, "exit_code", status);
			cl_state_set_int(m->st, "finished", cl_now_ns());
			cl_state_set_int(m->st, "pid", 0);
			commit(m);
		}
		if (!again)
			break;
		cl_log_note(&m->log, "cloison: exited with %d; restart %u in %d ms", status,
			    restarts + 1, backoff);
		back_off(m, backoff);
		if (m->stop) {
			if (begin(m)) {
				cl_state_set_str(m->st, "status", "stopped");
				commit(m);
			}
			break;
		}
		restarts++;
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
		if (begin(m)) {
			cl_state_set_int(m->st, "restarts", restarts);
			commit(m);
		}
	}
	if (m->notify_socket[0])
		sd_notify(m, "STOPPING=1");
	cl_log_close(&m->log);
	(void)set;
	/* what systemd judges the service by (our pid is its MAINPID) */
	_exit(m->stop ? 0 : last & 0xff);
}

static int fd_at(int fd, int want)
{
	if (fd == want)
		return fd;
	if (dup3(fd, want, O_CLOEXEC) < 0)
		return -1;
	close(fd);
	return want;
}

/* In the forked monitor: its own session, its own fds, then the runs. */
__attribute__((noreturn)) static void monitor_child(struct monitor *m, int report_fd)
{
	int out[2], errp[2], null;
	sigset_t set;
	struct cl_err err;
	const char *ns = getenv("NOTIFY_SOCKET");

	setsid();
	/* hold no directory of the caller's busy (an unmount would fail) */
	if (chdir("/") < 0)
		_exit(CL_EXIT_FAILURE);
	/* its signals were blocked before the fork (a stop that comes at once
	 * waits for the signalfd); SIGPIPE blocked too, not ignored: an
	 * ignored disposition would be the jail's after execve */
	monitor_signals(&set);
	sigaddset(&set, SIGCHLD);
	snprintf(m->notify_socket, sizeof(m->notify_socket), "%s", ns ? ns : "");
	/* the CLI's lock is the CLI's: ours is taken when we write */
	m->st->lock_fd = -1;
	/* fds: 0 /dev/null, 1 and 2 the log pipes, 3 the report, 4 the state
	 * directory, 5 and 6 the pipes' read ends; nothing else of the CLI's */
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		_exit(CL_EXIT_FAILURE);
	int hi = 100;
	report_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, hi);
	int dir = fcntl(m->st->dir_fd, F_DUPFD_CLOEXEC, hi);
	out[0] = fcntl(out[0], F_DUPFD_CLOEXEC, hi);
	out[1] = fcntl(out[1], F_DUPFD_CLOEXEC, hi);
	errp[0] = fcntl(errp[0], F_DUPFD_CLOEXEC, hi);
	errp[1] = fcntl(errp[1], F_DUPFD_CLOEXEC, hi);
	null = fcntl(null, F_DUPFD_CLOEXEC, hi);
	if (report_fd < 0 || dir < 0 || out[0] < 0 || out[1] < 0 || errp[0] < 0 || errp[1] < 0 ||
	    null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0)
		_exit(CL_EXIT_FAILURE);
	m->report_fd = fd_at(report_fd, 3);
	m->st->dir_fd = fd_at(dir, 4);
	m->out[0] = fd_at(out[0], 5);
	m->out[1] = fd_at(errp[0], 6);
	syscall(SYS_close_range, 7, ~0U, 0);
	fcntl(m->out[0], F_SETFL, O_NONBLOCK);
	fcntl(m->out[1], F_SETFL, O_NONBLOCK);
	m->sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	m->notify_fd = -1;
	m->log.fd = -1;
	if (m->sigfd < 0 ||
	    cl_log_open(&m->log, m->st->dir_fd, m->o.log_max_size, m->o.log_max_files, &err) < 0 ||
	    (m->o.sd_notify_container &&
	     (m->notify_fd = cl_notify_open(m->s, m->st->dir_fd, m->st->dir, &err)) < 0)) {
		if (m->sigfd < 0)
			cl_fail(&err, errno, "cannot create the monitor's signalfd");
		fail_first(m, &err, CL_EXIT_FAILURE);
	}
	char title[96];
	snprintf(title, sizeof(title), "cloison-monitor %.63s", m->st->name);
	cl_set_title(title);
	monitor_main(m);
}

int cl_monitor_spawn(struct cl_spec *s, struct cl_state *st, const struct cl_svc_opts *o,
		     bool fresh, struct cl_err *err)
{
	struct monitor m = {
	    .s = s, .st = st, .o = *o, .report_fd = -1, .notify_fd = -1, .fresh = fresh};
	sigset_t set, old;
	struct report r = {0};
	int p[2], ws;
	pid_t pid;

	if (o->sd_notify_container && cl_notify_check(s, err) < 0)
		return -1;
	s->res.stop_signal = o->stop_signal; /* what --timeout sends first */
	if (pipe2(p, O_CLOEXEC) < 0)
		return cl_fail(err, errno, "cannot create a pipe");
	fflush(NULL);
	monitor_signals(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid < 0) {
		int e = errno;
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(p[0]);
		close(p[1]);
		return cl_fail(err, e, "cannot fork the monitor");
	}
	if (pid == 0) {
		close(p[0]);
		monitor_child(&m, p[1]);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(p[1]);
	cl_state_set_str(st, "status", "created");
	cl_state_set_int(st, "monitor_pid", pid);
	cl_state_set_int(st, "monitor_start", (int64_t)cl_pid_start(pid));
	cl_state_set_int(st, "pid", 0);
	cl_state_set_int(st, "stop_requested", 0);
	int saved = cl_state_save(st, err);
	cl_state_unlock(st);
	if (saved < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &ws, 0);
		close(p[0]);
		return -1;
	}
	ssize_t n;
	while ((n = read(p[0], &r, sizeof(r))) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == sizeof(r) && r.ok) {
		/* under systemd (Type=notify, NotifyAccess=main), as the unit's
		 * main process while we are: the monitor is it from now on */
		const char *ns = getenv("NOTIFY_SOCKET");
		if (ns && *ns) {
			char msg[64];
			snprintf(msg, sizeof(msg), "MAINPID=%d%s", (int)pid,
				 o->sd_notify_container ? "" : "\nREADY=1");
			if (cl_sd_notify(ns, msg) < 0)
				cl_warn("cannot notify %s: %s", ns, strerror(errno));
		}
		return 0;
	}
	if (n == sizeof(r)) {
		*err = r.err;
	} else {
		cl_fail(err, 0, "jail %s: its monitor died before the command started (see %s/log)",
			st->name, st->dir);
	}
	/* it removed the state; it is our child until it exits */
	waitpid(pid, &ws, 0);
	return -1;
}
