/* The parent side of a container run: clone into the namespaces, write the
 * id maps, release the child, then relay signals (and the terminal) until the
 * command exits. */
#include "ns/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/cgroup.h"
#include "ns/idrange.h"
#include "ns/jail.h"
#include "ns/net.h"
#include "ns/overlay.h"
#include "ns/seccomp.h"
#include "ns/tty.h"
#include "ns/userns.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/fdpass.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/* OCI namespaces[].path: opened here (the paths are the host's); the pid
 * and time ones joined here, as they take effect for our children. */
static int open_namespaces(struct cl_container *c, int min_fd, struct cl_err *err)
{
	const struct cl_spec *s = c->s;

	for (int k = 0; k < CL_NS_N; k++) {
		if (!s->ns_path[k])
			continue;
		int fd = cl_fd_above(open(s->ns_path[k], O_RDONLY | O_CLOEXEC), min_fd);
		if (fd < 0)
			return cl_fail(err, errno,
				       "cannot open the namespace %s (linux.namespaces)",
				       s->ns_path[k]);
		if (k == CL_NS_PID || k == CL_NS_TIME) {
			int r = setns(fd, 0);
			close(fd);
			if (r < 0)
				return cl_fail(err, errno, "cannot join the namespace %s",
					       s->ns_path[k]);
			continue;
		}
		c->j.ns_fds[k] = fd;
	}
	return 0;
}

static void close_namespaces(struct cl_container *c)
{
	for (int k = 0; k < CL_NS_N; k++)
		if (c->j.ns_fds[k] >= 0) {
			close(c->j.ns_fds[k]);
			c->j.ns_fds[k] = -1;
		}
}

/* @born_in: the child starts in its v2 group (else it must be moved). */
static pid_t clone_jail(int flags, const struct cl_cgroup *cg, bool *born_in)
{
	struct clone_args args = {.flags = (uint64_t)flags, .exit_signal = SIGCHLD};
	pid_t pid;

	cl_cgroup_clone_args(cg, &args); /* v2: born in its cgroup */
	*born_in = args.flags & CLONE_INTO_CGROUP;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

	/* A kernel without time namespaces: the rest still isolates. */
	if (pid < 0 && errno == EINVAL && (flags & CLONE_NEWTIME)) {
		args.flags &= ~(uint64_t)CLONE_NEWTIME;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	/* Inside a container whose seccomp policy answers clone3 with ENOSYS
	 * (Docker's, so that clone's flags can be checked): clone(2), and the
	 * child is moved into its v2 group by the caller. */
	if (pid < 0 && errno == ENOSYS) {
		/* clone(2) reads CLONE_NEWTIME's bit as part of the exit signal */
		if (args.flags & CLONE_NEWTIME)
			cl_warn("clone3 is refused here (ENOSYS): the jail has no time namespace "
				"of its own");
		*born_in = false;
		pid = (pid_t)syscall(
		    SYS_clone,
		    (unsigned long)(args.flags & ~(CLONE_INTO_CGROUP | CLONE_NEWTIME)) | SIGCHLD,
		    NULL, NULL, NULL, 0UL);
	}
	return pid;
}

/* Why the namespaces could not be made, where cloison itself is confined. */
static int clone_error(const struct cl_spec *s, int e, struct cl_err *err)
{
	if ((s->ns_flags & CLONE_NEWUSER) && (e == EPERM || e == ENOSPC || e == EUSERS)) {
		_cleanup_fclose_ FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
		long max = -1;
		if (f && fscanf(f, "%ld", &max) != 1)
			max = -1;
		if (max == 0 || e != EPERM)
			return cl_fail(err, e,
				       "cannot create the jail's user namespace "
				       "(user.max_user_namespaces is %ld here)",
				       max);
		return cl_fail(err, e,
			       "cannot create the jail's user namespace: user namespaces are "
			       "restricted here (the seccomp or AppArmor policy of the container "
			       "cloison runs in, kernel.unprivileged_userns_clone=0, or a cloison "
			       "jail run without --nested)");
	}
	if (e == EPERM && geteuid() == 0 && !(s->ns_flags & CLONE_NEWUSER))
		return cl_fail(err, e,
			       "cannot create the jail's namespaces: root here has no "
			       "CAP_SYS_ADMIN (inside a container?); --userns makes them in a user "
			       "namespace of the jail's own");
	return cl_fail(err, e, "cannot create the jail's namespaces (clone3)");
}

/* A child that ended with our "go" unread in its socket leaves ECONNRESET
 * pending, which recv reports before the error message it queued first:
 * read on past it (and past EINTR). */
static ssize_t recv_child(int fd, struct cl_err *e, int flags)
{
	ssize_t n;

	while ((n = recv(fd, e, sizeof(*e), flags)) < 0 && (errno == EINTR || errno == ECONNRESET))
		;
	if (n == sizeof(*e))
		e->msg[sizeof(e->msg) - 1] = '\0';
	return n;
}

static void reap(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
}

/* A timerfd for the supervise loop (the --timeout deadline, a stop's grace
 * period): -1 when @ms is 0 or it cannot be made. */
static int arm_kill_timer(uint64_t ms, const char *what)
{
	struct itimerspec it = {.it_value = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L}};
	int fd;

	if (!ms)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd >= 0 && timerfd_settime(fd, 0, &it, NULL) < 0) {
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		cl_warn("cannot arm %s (timerfd): %s", what, strerror(errno));
	return fd;
}

static void kill_context(struct cl_container *c)
{
	cl_cgroup_kill(&c->cg);
	kill(c->pid, SIGKILL); /* without a cgroup: pid 1 takes its namespace along */
}

void cl_container_stop(struct cl_container *c, int sig, unsigned timeout_s)
{
	if (c->pid <= 0)
		return;
	if (!timeout_s) {
		c->timeout.killed = c->timed_out;
		kill_context(c);
		return;
	}
	kill(c->pid, sig);
	/* a stop under way keeps its end, unless this one's comes sooner: a
	 * second stop never gives the command more time */
	struct itimerspec left;
	if (c->kill_fd >= 0 && !c->deadline && timerfd_gettime(c->kill_fd, &left) == 0 &&
	    (left.it_value.tv_sec < (time_t)timeout_s ||
	     (left.it_value.tv_sec == (time_t)timeout_s && left.it_value.tv_nsec == 0)))
		return;
	c->deadline = false;
	if (c->kill_fd >= 0)
		close(c->kill_fd);
	c->kill_fd = arm_kill_timer((uint64_t)timeout_s * 1000, "the stop timeout");
	if (c->kill_fd < 0) {
		c->timeout.killed = c->timed_out;
		kill_context(c);
	}
}

/* "2s", "0.500s" */
static const char *secs(uint64_t ms, char buf[32])
{
	snprintf(buf, 32, "%llu%s%.*llus", (unsigned long long)(ms / 1000), ms % 1000 ? "." : "",
		 ms % 1000 ? 3 : 0, (unsigned long long)(ms % 1000));
	return buf;
}

/* SIGTERM, or "signal 40" */
static const char *sig_name(int sig, char name[32])
{
	const char *a = sigabbrev_np(sig);

	if (a)
		snprintf(name, 32, "SIG%s", a);
	else
		snprintf(name, 32, "signal %d", sig);
	return name;
}

/* whether pid 1 of the jail would see @sig: the kernel drops a
 * signal sent to the init of a pid namespace from outside unless it has a
 * handler for it (or blocks it, to handle later).  Unknown: yes. */
static bool pid1_takes(pid_t pid, int sig)
{
	char path[64], line[128];
	unsigned long long cgt = ~0ULL, blk = 0;
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return true;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "SigBlk: %llx", &blk);
		sscanf(line, "SigCgt: %llx", &cgt);
	}
	return ((cgt | blk) >> (sig - 1)) & 1;
}

/* the --timeout deadline: the stop signal to pid 1 (as docker stop
 * does), SIGKILL to the whole context after --timeout-grace; at once when
 * there is no grace or pid 1 would never see the signal. */
static void deadline_reached(struct cl_container *c)
{
	const struct cl_spec *s = c->s;
	uint64_t g = s->res.timeout_grace_ms, ms = s->res.timeout_ms;
	int sig = s->res.stop_signal > 0 ? s->res.stop_signal : SIGTERM;
	char name[32], t1[32], t2[32];

	c->timed_out = true;
	if (!g)
		snprintf(c->timeout.why, sizeof(c->timeout.why), "--timeout-grace 0");
	else if (sig == SIGKILL)
		snprintf(c->timeout.why, sizeof(c->timeout.why), "its stop signal is SIGKILL");
	else if (!pid1_takes(c->pid, sig))
		snprintf(c->timeout.why, sizeof(c->timeout.why),
			 "its pid 1 has no handler for %s: it would never see it",
			 sig_name(sig, name));
	if (!c->timeout.why[0]) {
		fprintf(
		    stderr,
		    "cloison: --timeout %s reached: %s sent, SIGKILL after %s (--timeout-grace)\n",
		    secs(ms, t1), sig_name(sig, name), secs(g, t2));
		fflush(stderr);
		c->timeout.sig = sig;
		kill(c->pid, sig);
		if ((c->kill_fd = arm_kill_timer(g, "--timeout-grace")) >= 0)
			return;
	}
	c->timeout.killed = true;
	kill_context(c);
}

static bool hooked(const struct cl_container *c, int signo)
{
	return c->hooks && sigismember(&c->hooks->signals, signo) == 1;
}

/* Waits for the command, forwarding signals and relaying the terminal; at
 * the --timeout deadline (or a stop's) kills the whole context; samples the
 * accounting the kernel does not keep.  Returns the command's wait status. */
static int supervise(struct cl_container *c)
{
	const struct cl_spec *s = c->s;
	const struct cl_container_hooks *h = c->hooks;
	struct cl_tty *tty = &c->tty;
	bool in_eof = !s->keep_stdin, out_eof = tty->master < 0,
	     sample = cl_cgroup_wants_samples(&c->cg);
	int status = 0, n_hook = h ? 4 : 0;

	c->kill_fd = arm_kill_timer(s->res.timeout_ms, "--timeout");
	c->deadline = c->kill_fd >= 0;
	for (;;) {
		struct pollfd p[8] = {
		    {.fd = c->sigfd, .events = POLLIN},
		    {.fd = out_eof ? -1 : tty->master, .events = POLLIN},
		    {.fd = (in_eof || tty->master < 0) ? -1 : STDIN_FILENO, .events = POLLIN},
		    {.fd = c->kill_fd, .events = POLLIN},
		};
		for (int i = 0; i < n_hook; i++)
			p[4 + i] = (struct pollfd){.fd = h->fds[i], .events = POLLIN};
		if (poll(p, (nfds_t)(4 + n_hook), sample ? CL_CG_SAMPLE_MS : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sample)
			cl_cgroup_sample(&c->cg);
		if (p[3].revents & POLLIN) {
			bool deadline = c->deadline;
			close(c->kill_fd);
			c->kill_fd = -1;
			c->deadline = false;
			if (deadline) {
				deadline_reached(c);
			} else {
				c->timeout.killed = c->timed_out;
				kill_context(c);
			}
		}
		cl_tty_pump(tty, p[1].revents, p[2].revents, &out_eof, &in_eof);
		for (int i = 0; i < n_hook; i++)
			if (p[4 + i].revents)
				h->on_fd(h->data, c, i);
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(c->sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (hooked(c, (int)si.ssi_signo))
				h->on_signal(h->data, c, &si);
			else if (si.ssi_signo == SIGWINCH)
				cl_tty_resize(tty);
			else if (si.ssi_signo != SIGCHLD)
				kill(c->pid, (int)si.ssi_signo);
			else if (wait4(c->pid, &status, WNOHANG, &c->ru) == c->pid)
				break;
		}
	}
	c->pid = 0;
	/* drain what the command wrote last */
	if (tty->master >= 0) {
		fcntl(tty->master, F_SETFL, O_NONBLOCK);
		while (!out_eof)
			cl_tty_copy(tty->master, STDOUT_FILENO, &out_eof);
	}
	for (int i = 0; i < n_hook; i++)
		if (h->fds[i] >= 0)
			h->on_fd(h->data, c, i);
	return status;
}

/* After the command: what is left in the context is killed, then the
 * outcome is told: the deadline (124), the OOM killer (137), the accounting.
 * Returns cloison's exit status. */
static int finish(struct cl_container *c, int wstatus)
{
	const struct cl_spec *s = c->s;
	struct cl_cgroup *cg = &c->cg;
	bool timed_out = c->timed_out;
	int status = cl_exit_status(wstatus);
	uint64_t ooms;
	char limit[48] = "", b[32];

	cl_cgroup_kill(cg);
	if (s->memory)
		snprintf(limit, sizeof(limit), " (memory limit %s)", cl_format_size(s->memory, b));
	if (timed_out) {
		uint64_t ms = s->res.timeout_ms;
		char why[160] = "", name[32], t1[32];
		/* how it ended: within its grace, or killed (and why at once) */
		if (c->timeout.why[0])
			snprintf(why, sizeof(why), " (%s)", c->timeout.why);
		else if (c->timeout.killed)
			snprintf(why, sizeof(why), " after its grace period");
		if (c->timeout.killed || !c->timeout.sig)
			fprintf(stderr, "cloison: --timeout %s reached: the context was killed%s\n",
				secs(ms, t1), why);
		else
			fprintf(stderr,
				"cloison: --timeout %s reached: the command ended within its grace "
				"period, after %s\n",
				secs(ms, t1), sig_name(c->timeout.sig, name));
		status = CL_EXIT_TIMEOUT;
	} else if ((ooms = cl_cgroup_oom_kills(cg)) > 0) {
		/* under --init, pid 1 reports its command's SIGKILL as 137 */
		bool killed =
		    (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) ||
		    (s->init && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 128 + SIGKILL);
		if (killed) {
			fprintf(stderr, "cloison: killed by the OOM killer%s\n", limit);
			status = 128 + SIGKILL;
		} else {
			cl_warn("the OOM killer killed %llu process%s in the context%s",
				(unsigned long long)ooms, ooms > 1 ? "es" : "", limit);
		}
	}
	if (s->res.stats || s->res.stats_json) {
		struct cl_cgroup_stats st;
		struct cl_err e = {0};

		cl_cgroup_read_stats(cg, &st);
		cl_cgroup_stats_add_rusage(&st, &c->ru);
		st.exit_status = status;
		st.timed_out = timed_out;
		if (s->res.stats)
			cl_cgroup_stats_print(cg, &st, stderr);
		if (s->res.stats_json &&
		    cl_cgroup_stats_write_json(cg, &st, s->res.stats_json, &e) < 0)
			cl_err_print(&e);
	}
	return status;
}

int cl_container_create(struct cl_container *c, const struct cl_spec *s,
			const struct cl_container_hooks *hooks, struct cl_err *err)
{
	int min_fd = 3 + s->preserve_fds, sv[2], status;
	struct cl_err child_err;
	sigset_t mask;

	*c = (struct cl_container){.s = s,
				   .hooks = hooks,
				   .j = CL_JAIL_INIT(s),
				   .sync_fd = -1,
				   .child_fd = -1,
				   .init_fd = -1,
				   .sigfd = -1,
				   .kill_fd = -1,
				   .tty = {.master = -1, .slave = -1},
				   .cg = CL_CGROUP_INIT, /* fd 0 is not "none" */
				   .learn = {.fd = -1},
				   .trees = {.rootfs = -1, .overlay_dir = -1},
				   .ids = {.fd = -1},
				   .overlay_lock = -1};
	c->cg.reap_guard = hooks != NULL && !hooks->detach; /* a monitor: runs after runs */
	c->cg.detach = hooks && hooks->detach;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cl_fail(err, errno, "cannot create the sync socket");
	c->sync_fd = cl_fd_above(sv[0], min_fd);
	c->child_fd = cl_fd_above(sv[1], min_fd);
	if (c->sync_fd < 0 || c->child_fd < 0)
		return cl_fail(err, errno, "cannot move the sync socket above --preserve-fds");
	if (s->init && (c->init_fd = cl_fd_above(cl_tinyinit_memfd(err), min_fd)) < 0)
		return -1;
	/* OCI create: the child makes its terminal in its own devpts */
	if (s->tty && !(hooks && hooks->detach)) {
		if (cl_tty_open(&c->tty, err) < 0)
			return -1;
		c->tty.master = cl_fd_above(c->tty.master, min_fd);
		c->tty.slave = cl_fd_above(c->tty.slave, min_fd);
	}
	if (open_namespaces(c, min_fd, err) < 0)
		return -1;

	if (hooks)
		mask = hooks->signals;
	else
		sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &c->oldmask);
	c->masked = true;
	c->sigfd = cl_fd_above(signalfd(-1, &mask, SFD_CLOEXEC), min_fd);
	if (c->sigfd < 0)
		return cl_fail(err, errno, "cannot create a signalfd");

	if (s->res.no_device_cgroup && !(s->ns_flags & CLONE_NEWUSER))
		cl_warn("--device-cgroup none: the jail has no device allow-list (root in it may "
			"make and open host device nodes)");
	/* --userns as root: a host id range of the jail's own, held until it ends */
	if (s->idmap_pick) {
		if (cl_idrange_acquire(&c->ids, min_fd, err) < 0)
			return -1;
		c->picked = *s;
		c->picked.uid_map[0].outside = c->picked.gid_map[0].outside = c->ids.start;
		c->s = s = &c->picked;
		c->j.spec = s;
	}
	/* -t in a user namespace: the terminal belongs to the jail's user (as
	 * its host id), or the jail could not open it by name */
	if (c->tty.slave >= 0 && (s->ns_flags & CLONE_NEWUSER) && geteuid() == 0 &&
	    fchown(c->tty.slave, cl_userns_host_id(s->uid_map, s->n_uid_map, s->uid),
		   cl_userns_host_id(s->gid_map, s->n_gid_map, s->gid)) < 0)
		return cl_fail(err, errno, "cannot give the terminal %s to the jail's user",
			       c->tty.name);
	/* The jail's root is host root: what it writes in a rootfs that others
	 * can reach (a set-user-ID file, a device node) would be theirs to use.
	 * With --overlay it writes in its own tmpfs, or in --overlay-dir. */
	/* (--overlay-dir: cl_overlay_prepare checks it by its fd) */
	if (!(s->ns_flags & CLONE_NEWUSER) && !s->readonly && !s->overlay &&
	    cl_rootfs_private(s->rootfs, CL_PRIVATE_ROOTFS, c->checked, &c->trees.rootfs_id, err) <
		0) {
		if (!s->allow_shared_rootfs)
			return -1;
		cl_warn("%s (--allow-shared-rootfs)", err->msg);
	}
	/* The same for what it writes through a writable --bind (an OCI
	 * engine's mounts are the engine's: its storage is private) */
	for (size_t i = 0; !(s->ns_flags & CLONE_NEWUSER) && !s->explicit_mounts && i < s->n_mounts;
	     i++) {
		char checked[PATH_MAX];
		const struct cl_mount *m = &s->mounts[i];
		/* (a missing source is the bind's own error, later) */
		if (m->kind != CL_MOUNT_BIND || m->readonly || access(m->source, F_OK) < 0)
			continue;
		if (!c->trees.bind_ids &&
		    !(c->trees.bind_ids = calloc(s->n_mounts, sizeof(*c->trees.bind_ids))))
			return cl_fail(err, ENOMEM, "out of memory");
		c->trees.n_bind_ids = s->n_mounts;
		c->trees.bind_ids[i].src = m->source;
		if (cl_rootfs_private(m->source, CL_PRIVATE_BIND, checked, &c->trees.bind_ids[i],
				      err) == 0)
			continue;
		if (!s->allow_shared_rootfs)
			return -1;
		cl_warn("%s (--allow-shared-rootfs)", err->msg);
	}
	if (cl_overlay_prepare(s, &c->overlay_lock, err) < 0)
		return -1;
	c->trees.overlay_dir = c->overlay_lock;
	if (cl_seccomp_compile(s, &c->scp, err) < 0)
		return -1;
	c->j.seccomp = &c->scp;
	c->j.trees = &c->trees;
	if (cl_cgroup_create(s, &c->cg, err) < 0 || cl_net_prepare(s, &c->net, err) < 0)
		return -1;
	c->j.spec = cl_net_jail_spec(&c->net, s); /* bridge mode: its address, hosts, resolv.conf */
	/* As root: the rootfs and bind sources (the bridge's files included)
	 * resolved here; rootless, the child does it with the same ids.  Also
	 * the child when it would hold CAP_SYS_ADMIN in its user namespace:
	 * trees made out here reach it without the kernel's mount locks, and it
	 * could clear a read-only or nosuid flag they inherited from the host
	 * (its own clones keep them).  And when the kernel refuses us open_tree
	 * (root without CAP_SYS_ADMIN, inside another container). */
	bool child_opens =
	    (c->j.spec->ns_flags & CLONE_NEWUSER) && (c->j.spec->caps & (1ULL << CAP_SYS_ADMIN));
	if (geteuid() == 0 && !child_opens &&
	    cl_mounts_open(c->j.spec, c->checked[0] ? c->checked : NULL, &c->trees, min_fd, err) <
		0) {
		if (c->trees.rootfs >= 0 || err->errnum != EPERM)
			return -1;
		cl_mounts_close(&c->trees);
	}
	if (s->explicit_mounts && c->trees.rootfs >= 0 &&
	    cl_mounts_open_cgroups(s, &c->cg, &c->trees, min_fd, err) < 0)
		return -1;
	if (hooks && hooks->detach)
		c->j.exec_listen = hooks->exec_listen;

	/* decided here: in the child our euid is already the namespace's root */
	bool setgroups_denied = cl_userns_setgroups_denied(s);
	/* the cgroup namespace comes later, once the child is in its cgroups */
	bool born_in;
	pid_t pid = clone_jail(s->ns_flags & ~CLONE_NEWCGROUP, &c->cg, &born_in);
	if (pid < 0)
		return clone_error(s, errno, err);
	if (pid == 0) {
		close(c->sync_fd);
		close(c->sigfd);
		if (c->tty.master >= 0)
			close(c->tty.master);
		c->j.sync_fd = c->child_fd;
		c->j.pty_slave = c->tty.slave;
		c->j.pty_name = c->tty.name;
		c->j.init_fd = c->init_fd;
		c->j.setgroups_denied = setgroups_denied;
		cl_jail_child(&c->j);
	}
	close(c->child_fd);
	c->child_fd = -1;
	close_namespaces(c);
	if (c->tty.slave >= 0) {
		close(c->tty.slave);
		c->tty.slave = -1;
	}

	if (((s->ns_flags & CLONE_NEWUSER) && cl_userns_write_maps(s, pid, err) < 0) ||
	    (!born_in && cl_cgroup_move_v2(&c->cg, pid, err) < 0) ||
	    cl_cgroup_attach(&c->cg, pid, err) < 0 || cl_net_attach(s, &c->net, pid, err) < 0) {
		/* a child that failed first (its netns gone with it) says why */
		if (recv_child(c->sync_fd, &child_err, MSG_DONTWAIT) == sizeof(child_err))
			*err = child_err;
		kill(pid, SIGKILL);
		reap(pid, &status);
		return -1;
	}
	c->pid = pid;
	return 0;
}

int cl_container_start(struct cl_container *c, struct cl_err *err)
{
	const struct cl_spec *s = c->s;
	struct cl_err child_err;
	int status;
	ssize_t n;

	/* Without a user namespace the child made its mounts meanwhile and may
	 * have failed already: then its error is waiting on the socket. */
	if (send(c->sync_fd, "g", 1, MSG_NOSIGNAL) != 1) {
		if (recv_child(c->sync_fd, &child_err, MSG_DONTWAIT) == sizeof(child_err))
			*err = child_err;
		else
			cl_fail(err, errno, "cannot release the jail's process");
		goto fail;
	}
	/* The child's end closes on execve: EOF means the command is running. */
	n = s->seccomp.learn
		? cl_seccomp_learn_recv(&c->learn, c->sync_fd, &child_err, sizeof(child_err))
		: recv_child(c->sync_fd, &child_err, 0);
	if (n == sizeof(child_err)) {
		child_err.msg[sizeof(child_err.msg) - 1] = '\0';
		*err = child_err;
		goto fail;
	}
	/* the command runs: the jail has attached the trees it needed */
	cl_mounts_close(&c->trees);
	c->ran = true;
	if (c->hooks && c->hooks->started)
		c->hooks->started(c->hooks->data, c);
	return 0;
fail:
	kill(c->pid, SIGKILL); /* with --init, pid 1 may still be running */
	reap(c->pid, &status);
	c->pid = 0;
	return -1;
}

int cl_container_wait(struct cl_container *c)
{
	return finish(c, supervise(c));
}

int cl_container_destroy(struct cl_container *c, int r, struct cl_err *err)
{
	int status;

	if (c->pid > 0) {
		kill_context(c);
		reap(c->pid, &status);
		c->pid = 0;
	}
	/* --learn-seccomp: stop recording; write the profile if the command ran */
	if (c->s && c->s->seccomp.learn &&
	    cl_seccomp_learn_finish(&c->learn, c->s, c->ran ? c->s->seccomp.learn : NULL, err) < 0)
		r = -1;
	close_namespaces(c);
	cl_net_release(&c->net);
	cl_cgroup_destroy(&c->cg);
	cl_seccomp_program_free(&c->scp);
	cl_mounts_close(&c->trees);
	cl_idrange_release(&c->ids);
	cl_tty_close(&c->tty);
	if (c->overlay_lock >= 0) {
		close(c->overlay_lock);
		c->overlay_lock = -1;
	}
	for (int *fd = &c->sync_fd; fd <= &c->sigfd; fd++)
		if (*fd >= 0) {
			close(*fd);
			*fd = -1;
		}
	if (c->kill_fd >= 0) {
		close(c->kill_fd);
		c->kill_fd = -1;
	}
	if (c->masked) {
		sigprocmask(SIG_SETMASK, &c->oldmask, NULL);
		c->masked = false;
	}
	return r;
}

int cl_container_detach(struct cl_container *c, struct cl_err *err)
{
	struct cl_err child_err;
	ssize_t n;

	if (send(c->sync_fd, "g", 1, MSG_NOSIGNAL) != 1) {
		if (recv_child(c->sync_fd, &child_err, MSG_DONTWAIT) == sizeof(child_err))
			*err = child_err;
		else
			cl_fail(err, errno, "cannot release the jail's process");
		return -1;
	}
	/* its terminal's master first, with a terminal; then "r" */
	for (;;) {
		int fd;
		while ((n = cl_recv_fd(c->sync_fd, &child_err, sizeof(child_err), &fd, 0)) < 0 &&
		       (errno == EINTR || errno == ECONNRESET))
			;
		if (fd < 0)
			break;
		if (c->tty.master >= 0)
			close(c->tty.master);
		c->tty.master = fd;
	}
	if (n == sizeof(child_err)) {
		child_err.msg[sizeof(child_err.msg) - 1] = '\0';
		*err = child_err;
		return -1;
	}
	if (n != 1)
		return cl_fail(err, n < 0 ? errno : 0, "the jail's process died while set up");
	/* set up and waiting: what stays is the state's to hold */
	cl_mounts_close(&c->trees);
	cl_cgroup_release(&c->cg);
	c->ran = true;
	return 0;
}

int cl_container_run(const struct cl_spec *s, int *exit_status, struct cl_err *err)
{
	struct cl_container c;
	int r = -1;

	if (cl_container_create(&c, s, NULL, err) == 0 && cl_container_start(&c, err) == 0) {
		*exit_status = cl_container_wait(&c);
		r = 0;
	}
	return cl_container_destroy(&c, r, err);
}
