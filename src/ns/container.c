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
#include "ns/seccomp.h"
#include "ns/tty.h"
#include "ns/userns.h"
#include "util/cleanup.h"
#include "util/fd.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static pid_t clone_jail(int flags, const struct cl_cgroup *cg)
{
	struct clone_args args = {.flags = (uint64_t)flags, .exit_signal = SIGCHLD};
	pid_t pid;

	cl_cgroup_clone_args(cg, &args); /* v2: born in its cgroup */
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

	/* A kernel without time namespaces: the rest still isolates. */
	if (pid < 0 && errno == EINVAL && (flags & CLONE_NEWTIME)) {
		args.flags &= ~(uint64_t)CLONE_NEWTIME;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	return pid;
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

static void copy_some(int from, int to, bool *eof)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			*eof = true;
		return;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;
		}
		off += w;
	}
}

/* --timeout: a timerfd in the supervise loop; -1 when there is none. */
static int deadline_fd(const struct cl_spec *s)
{
	uint64_t ms = s->res.timeout_ms;
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
		cl_warn("cannot arm --timeout (timerfd): %s", strerror(errno));
	return fd;
}

/* Waits for the command, forwarding signals and relaying the terminal; at
 * the --timeout deadline kills the whole context; samples the accounting
 * the kernel does not keep.  Returns the command's wait status. */
static int supervise(const struct cl_spec *s, pid_t pid, int sigfd, struct cl_tty *tty,
		     struct cl_cgroup *cg, bool *timed_out)
{
	bool in_eof = !s->keep_stdin, out_eof = tty->master < 0,
	     sample = cl_cgroup_wants_samples(cg);
	_cleanup_close_ int tfd = deadline_fd(s);
	int status = 0;

	for (;;) {
		struct pollfd p[4] = {
		    {.fd = sigfd, .events = POLLIN},
		    {.fd = out_eof ? -1 : tty->master, .events = POLLIN},
		    {.fd = (in_eof || tty->master < 0) ? -1 : STDIN_FILENO, .events = POLLIN},
		    {.fd = tfd, .events = POLLIN},
		};
		if (poll(p, 4, sample ? CL_CG_SAMPLE_MS : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (sample)
			cl_cgroup_sample(cg);
		if (p[3].revents & POLLIN) {
			*timed_out = true;
			cl_cgroup_kill(cg);
			kill(pid, SIGKILL); /* without a cgroup: pid 1 takes its namespace along */
			close(tfd);
			tfd = -1;
		}
		if (p[1].revents)
			copy_some(tty->master, STDOUT_FILENO, &out_eof);
		if (p[2].revents) {
			copy_some(STDIN_FILENO, tty->master, &in_eof);
			if (in_eof)
				(void)!write(tty->master, "\x04", 1); /* EOF for the jail's tty */
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH)
				cl_tty_resize(tty);
			else if (si.ssi_signo != SIGCHLD)
				kill(pid, (int)si.ssi_signo);
			else if (waitpid(pid, &status, WNOHANG) == pid)
				break;
		}
	}
	/* drain what the command wrote last */
	if (tty->master >= 0) {
		fcntl(tty->master, F_SETFL, O_NONBLOCK);
		while (!out_eof)
			copy_some(tty->master, STDOUT_FILENO, &out_eof);
	}
	return status;
}

/* After the command: what is left in the context is killed, then the
 * outcome is told: the deadline (124), the OOM killer (137), the accounting.
 * Returns cloison's exit status. */
static int finish(const struct cl_spec *s, struct cl_cgroup *cg, int wstatus, bool timed_out)
{
	int status = cl_exit_status(wstatus);
	uint64_t ooms;
	char limit[48] = "", b[32];

	cl_cgroup_kill(cg);
	if (s->memory)
		snprintf(limit, sizeof(limit), " (memory limit %s)", cl_format_size(s->memory, b));
	if (timed_out) {
		uint64_t ms = s->res.timeout_ms;
		fprintf(stderr,
			"cloison: --timeout %llu%s%.*llus reached: the context was killed\n",
			(unsigned long long)(ms / 1000), ms % 1000 ? "." : "", ms % 1000 ? 3 : 0,
			(unsigned long long)(ms % 1000));
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

int cl_container_run(const struct cl_spec *s, int *exit_status, struct cl_err *err)
{
	int min_fd = 3 + s->preserve_fds, sv[2], status;
	_cleanup_close_ int sync_fd = -1, child_fd = -1, init_fd = -1, sigfd = -1;
	struct cl_tty tty = {.master = -1, .slave = -1};
	struct cl_jail j = {.spec = s, .pty_slave = -1, .init_fd = -1};
	struct cl_cgroup cg = CL_CGROUP_INIT; /* fd 0 is not "none" */
	struct cl_net net = {0};
	struct cl_seccomp_learner learn = {.fd = -1};
	struct cl_sc_program scp = {0};
	struct cl_mount_trees trees = {.rootfs = -1};
	struct cl_idrange ids = {.fd = -1};
	struct cl_spec picked;
	sigset_t mask, oldmask;
	struct cl_err child_err;
	ssize_t n;
	pid_t pid;
	int r = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cl_fail(err, errno, "cannot create the sync socket");
	sync_fd = cl_fd_above(sv[0], min_fd);
	child_fd = cl_fd_above(sv[1], min_fd);
	if (sync_fd < 0 || child_fd < 0)
		return cl_fail(err, errno, "cannot move the sync socket above --preserve-fds");
	if (s->init && (init_fd = cl_fd_above(cl_tinyinit_memfd(err), min_fd)) < 0)
		return -1;
	if (s->tty) {
		if (cl_tty_open(&tty, err) < 0)
			return -1;
		tty.master = cl_fd_above(tty.master, min_fd);
		tty.slave = cl_fd_above(tty.slave, min_fd);
	}

	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sigfd = cl_fd_above(signalfd(-1, &mask, SFD_CLOEXEC), min_fd);
	if (sigfd < 0) {
		cl_fail(err, errno, "cannot create a signalfd");
		goto out;
	}

	if (s->res.no_device_cgroup && !(s->ns_flags & CLONE_NEWUSER))
		cl_warn("--device-cgroup none: the jail has no device allow-list (root in it may "
			"make and open host device nodes)");
	/* --userns as root: a host id range of the jail's own, held until it ends */
	if (s->idmap_pick) {
		if (cl_idrange_acquire(&ids, min_fd, err) < 0)
			goto out;
		picked = *s;
		picked.uid_map[0].outside = picked.gid_map[0].outside = ids.start;
		s = &picked;
		j.spec = s;
	}
	/* -t in a user namespace: the terminal belongs to the jail's user (as
	 * its host id), or the jail could not open it by name */
	if (tty.slave >= 0 && (s->ns_flags & CLONE_NEWUSER) && geteuid() == 0 &&
	    fchown(tty.slave, cl_userns_host_id(s->uid_map, s->n_uid_map, s->uid),
		   cl_userns_host_id(s->gid_map, s->n_gid_map, s->gid)) < 0) {
		cl_fail(err, errno, "cannot give the terminal %s to the jail's user", tty.name);
		goto out;
	}
	/* The jail's root is host root: what it writes in a rootfs that others
	 * can reach (a set-user-ID file, a device node) would be theirs to use. */
	char checked[PATH_MAX] = "";
	if (!(s->ns_flags & CLONE_NEWUSER) && !s->readonly &&
	    cl_rootfs_private(s->rootfs, checked, err) < 0) {
		if (!s->allow_shared_rootfs)
			goto out;
		cl_warn("%s (--allow-shared-rootfs)", err->msg);
	}
	if (cl_seccomp_compile(s, &scp, err) < 0)
		goto out;
	j.seccomp = &scp;
	j.trees = &trees;
	if (cl_cgroup_create(s, &cg, err) < 0 || cl_net_prepare(s, &net, err) < 0)
		goto out;
	j.spec = cl_net_jail_spec(&net, s); /* bridge mode: its address, hosts, resolv.conf */
	/* As root: the rootfs and bind sources (the bridge's files included)
	 * resolved here; rootless, the child does it with the same ids.  Also
	 * the child when it would hold CAP_SYS_ADMIN in its user namespace:
	 * trees made out here reach it without the kernel's mount locks, and it
	 * could clear a read-only or nosuid flag they inherited from the host
	 * (its own clones keep them).  And when the kernel refuses us open_tree
	 * (root without CAP_SYS_ADMIN, inside another container). */
	bool child_opens =
	    (j.spec->ns_flags & CLONE_NEWUSER) && (j.spec->caps & (1ULL << CAP_SYS_ADMIN));
	if (geteuid() == 0 && !child_opens &&
	    cl_mounts_open(j.spec, checked[0] ? checked : NULL, &trees, min_fd, err) < 0) {
		if (trees.rootfs >= 0 || err->errnum != EPERM)
			goto out;
		cl_mounts_close(&trees);
	}

	/* decided here: in the child our euid is already the namespace's root */
	bool setgroups_denied = cl_userns_setgroups_denied(s);
	/* the cgroup namespace comes later, once the child is in its cgroups */
	pid = clone_jail(s->ns_flags & ~CLONE_NEWCGROUP, &cg);
	if (pid < 0) {
		cl_fail(err, errno, "cannot create the jail's namespaces (clone3)");
		goto out;
	}
	if (pid == 0) {
		close(sync_fd);
		close(sigfd);
		if (tty.master >= 0)
			close(tty.master);
		j.sync_fd = child_fd;
		j.pty_slave = tty.slave;
		j.pty_name = tty.name;
		j.init_fd = init_fd;
		j.setgroups_denied = setgroups_denied;
		cl_jail_child(&j);
	}
	close(child_fd);
	child_fd = -1;
	if (tty.slave >= 0) {
		close(tty.slave);
		tty.slave = -1;
	}

	if (((s->ns_flags & CLONE_NEWUSER) && cl_userns_write_maps(s, pid, err) < 0) ||
	    cl_cgroup_attach(&cg, pid, err) < 0 || cl_net_attach(s, &net, pid, err) < 0) {
		/* a child that failed first (its netns gone with it) says why */
		if (recv_child(sync_fd, &child_err, MSG_DONTWAIT) == sizeof(child_err))
			*err = child_err;
		kill(pid, SIGKILL);
		reap(pid, &status);
		goto out;
	}
	/* Without a user namespace the child made its mounts meanwhile and may
	 * have failed already: then its error is waiting on the socket. */
	if (send(sync_fd, "g", 1, MSG_NOSIGNAL) != 1) {
		if (recv_child(sync_fd, &child_err, MSG_DONTWAIT) == sizeof(child_err)) {
			*err = child_err;
		} else {
			cl_fail(err, errno, "cannot release the jail's process");
		}
		kill(pid, SIGKILL);
		reap(pid, &status);
		goto out;
	}
	/* The child's end closes on execve: EOF means the command is running. */
	n = s->seccomp.learn ? cl_seccomp_learn_recv(&learn, sync_fd, &child_err, sizeof(child_err))
			     : recv_child(sync_fd, &child_err, 0);
	if (n == sizeof(child_err)) {
		child_err.msg[sizeof(child_err.msg) - 1] = '\0';
		*err = child_err;
		kill(pid, SIGKILL); /* with --init, pid 1 may still be running */
		reap(pid, &status);
		goto out;
	}
	/* the command runs: the jail has attached the trees it needed */
	cl_mounts_close(&trees);
	bool timed_out = false;
	int wstatus = supervise(s, pid, sigfd, &tty, &cg, &timed_out);
	*exit_status = finish(s, &cg, wstatus, timed_out);
	r = 0;
out:
	/* --learn-seccomp: stop recording; write the profile if the command ran */
	if (s->seccomp.learn &&
	    cl_seccomp_learn_finish(&learn, s, r == 0 ? s->seccomp.learn : NULL, err) < 0)
		r = -1;
	cl_net_release(&net);
	cl_cgroup_destroy(&cg);
	cl_seccomp_program_free(&scp);
	cl_mounts_close(&trees);
	cl_idrange_release(&ids);
	cl_tty_close(&tty);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return r;
}
