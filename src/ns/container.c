/* The parent side of a container run: clone into the namespaces, write the
 * id maps, release the child, then relay signals (and the terminal) until the
 * command exits. */
#include "ns/container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/cgroup.h"
#include "ns/jail.h"
#include "ns/net.h"
#include "ns/tty.h"
#include "ns/userns.h"
#include "util/cleanup.h"

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

/* Internal fds must not land in the range --preserve-fds hands to the jail. */
static int relocate(int fd, int min)
{
	int n;

	if (fd < 0 || fd >= min)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, min);
	close(fd);
	return n;
}

static pid_t clone_jail(int flags)
{
	struct clone_args args = { .flags = (uint64_t)flags, .exit_signal = SIGCHLD };
	pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));

	/* A kernel without time namespaces: the rest still isolates. */
	if (pid < 0 && errno == EINVAL && (flags & CLONE_NEWTIME)) {
		args.flags &= ~(uint64_t)CLONE_NEWTIME;
		pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	}
	return pid;
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

/* Waits for the command, forwarding signals and relaying the terminal. */
static int supervise(const struct cl_spec *s, pid_t pid, int sigfd, struct cl_tty *tty)
{
	bool in_eof = !s->keep_stdin, out_eof = tty->master < 0;
	int status = 0;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = out_eof ? -1 : tty->master, .events = POLLIN },
			{ .fd = (in_eof || tty->master < 0) ? -1 : STDIN_FILENO, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
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
	return cl_exit_status(status);
}

int cl_container_run(const struct cl_spec *s, int *exit_status, struct cl_err *err)
{
	int min_fd = 3 + s->preserve_fds, sv[2], status;
	_cleanup_close_ int sync_fd = -1, child_fd = -1, init_fd = -1, sigfd = -1;
	struct cl_tty tty = { .master = -1, .slave = -1 };
	struct cl_jail j = { .spec = s, .pty_slave = -1, .init_fd = -1 };
	struct cl_cgroup cg = { 0 };
	struct cl_net net = { 0 };
	sigset_t mask, oldmask;
	struct cl_err child_err;
	ssize_t n;
	pid_t pid;
	int r = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cl_fail(err, errno, "cannot create the sync socket");
	sync_fd = relocate(sv[0], min_fd);
	child_fd = relocate(sv[1], min_fd);
	if (sync_fd < 0 || child_fd < 0)
		return cl_fail(err, errno, "cannot move the sync socket above --preserve-fds");
	if (s->init && (init_fd = relocate(cl_tinyinit_memfd(err), min_fd)) < 0)
		return -1;
	if (s->tty) {
		if (cl_tty_open(&tty, err) < 0)
			return -1;
		tty.master = relocate(tty.master, min_fd);
		tty.slave = relocate(tty.slave, min_fd);
	}

	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &oldmask);
	sigfd = relocate(signalfd(-1, &mask, SFD_CLOEXEC), min_fd);
	if (sigfd < 0) {
		cl_fail(err, errno, "cannot create a signalfd");
		goto out;
	}

	if (cl_cgroup_create(s, &cg, err) < 0 || cl_net_prepare(s, &net, err) < 0)
		goto out;

	/* decided here: in the child our euid is already the namespace's root */
	bool setgroups_denied = cl_userns_setgroups_denied(s);
	pid = clone_jail(s->ns_flags);
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
		kill(pid, SIGKILL);
		reap(pid, &status);
		goto out;
	}
	if (write(sync_fd, "g", 1) != 1) {
		cl_fail(err, errno, "cannot release the jail's process");
		kill(pid, SIGKILL);
		reap(pid, &status);
		goto out;
	}
	/* The child's end closes on execve: EOF means the command is running. */
	n = recv(sync_fd, &child_err, sizeof(child_err), 0);
	if (n == sizeof(child_err)) {
		child_err.msg[sizeof(child_err.msg) - 1] = '\0';
		*err = child_err;
		kill(pid, SIGKILL); /* with --init, pid 1 may still be running */
		reap(pid, &status);
		goto out;
	}
	*exit_status = supervise(s, pid, sigfd, &tty);
	r = 0;
out:
	cl_net_release(&net);
	cl_cgroup_destroy(&cg);
	cl_tty_close(&tty);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	return r;
}
