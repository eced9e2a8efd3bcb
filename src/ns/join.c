/* Entering a running jail (ns/join.h). */
#include "ns/join.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/cgroup.h"
#include "ns/jail.h"
#include "ns/net_ipam.h"
#include "ns/seccomp.h"
#include "ns/stdio_relay.h"
#include "ns/tty.h"
#include "ns/userns.h"
#include "util/cleanup.h"
#include "util/fdpass.h"

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

static const struct {
	const char *name;
	int flag;
} ns_types[] = {
    {"user", CLONE_NEWUSER},	 {"mnt", CLONE_NEWNS},	  {"pid", CLONE_NEWPID},
    {"net", CLONE_NEWNET},	 {"uts", CLONE_NEWUTS},	  {"ipc", CLONE_NEWIPC},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

struct joiner {
	const struct cl_join *jn;
	int pidfd;
	int flags;		  /* the namespaces left to enter (CLONE_NEW*) */
	bool v2_joined;		  /* born in the unified-tree group */
	struct cl_jail j;	  /* what ns/child.c's tail needs */
	struct cl_stdio_relay io; /* without -t: the command's stdio */
};

/* The namespaces the jail's process is in and we are not: the user
 * namespace must not be entered when it is ours (setns refuses), and a
 * kernel without one kind (time) has no file for it. */
static int jail_namespaces(pid_t pid, int *flags, struct cl_err *err)
{
	char path[64];
	struct stat mine, its;

	*flags = 0;
	for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_types[i].name);
		if (stat(path, &its) < 0) {
			if (errno == ENOENT)
				continue;
			return cl_fail(err, errno, "cannot read %s", path);
		}
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_types[i].name);
		if (stat(path, &mine) < 0 || mine.st_ino != its.st_ino || mine.st_dev != its.st_dev)
			*flags |= ns_types[i].flag;
	}
	return 0;
}

/* What the child says on the sync socket: an error (a whole struct cl_err),
 * the terminal's master (@fd, -t), or nothing before its execve (0: EOF). */
static ssize_t recv_msg(int sock, struct cl_err *e, int *fd)
{
	ssize_t n;

	while ((n = cl_recv_fd(sock, e, sizeof(*e), fd, 0)) < 0 && errno == EINTR)
		;
	if (n == sizeof(*e))
		e->msg[sizeof(e->msg) - 1] = '\0';
	return n;
}

/* The multiplexer of the jail's devpts.  We still hold every capability
 * and the jail owns /dev (its /dev/ptmx is a symlink it may have replaced):
 * /dev/pts/ptmx is reached without following any symlink, and used only
 * once it is shown to be a devpts file system's ptmx (5:2). */
static int open_ptmx(const char *name, struct cl_err *err)
{
	struct open_how how = {.flags = O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
			       .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
	_cleanup_close_ int fd =
	    (int)syscall(SYS_openat2, AT_FDCWD, "/dev/pts/ptmx", &how, sizeof(how));
	struct stat st;
	struct statfs sf;

	if (fd < 0)
		return cl_fail(err, errno, "cannot open /dev/pts/ptmx in jail %s%s", name,
			       errno == ELOOP ? " (a symlink there is not followed)" : "");
	if (fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0)
		return cl_fail(err, errno, "cannot check /dev/pts/ptmx in jail %s", name);
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(5, 2) || sf.f_type != DEVPTS_SUPER_MAGIC)
		return cl_fail(err, 0,
			       "jail %s: /dev/pts/ptmx is not the pseudo-terminal multiplexer of a "
			       "devpts file system: no terminal for -t",
			       name);
	if (fcntl(fd, F_SETFL, 0) < 0)
		return cl_fail(err, errno, "cannot check /dev/pts/ptmx in jail %s", name);
	return cl_steal_fd(&fd);
}

/* -t: a terminal of the jail's own devpts, so that the command's tty(1)
 * names a device the jail can see.  The slave comes from the master (no
 * name looked up in the jail's /dev) and belongs to the command's user; the
 * master goes to the caller, sized like its own terminal before the command
 * can ask. */
static int open_pty(struct joiner *x, struct cl_err *err)
{
	const struct cl_spec *s = x->jn->s;
	_cleanup_close_ int master = open_ptmx(x->jn->name, err);
	struct winsize ws;
	unsigned n = 0;
	int slave;

	if (master < 0)
		return -1;
	if (unlockpt(master) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
		return cl_fail(err, errno, "cannot unlock a pseudo-terminal in jail %s",
			       x->jn->name);
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return cl_fail(err, errno, "cannot open /dev/pts/%u in jail %s", n, x->jn->name);
	x->j.pty_slave = slave;
	if (fchown(slave, s->uid, s->gid) < 0)
		return cl_fail(err, errno, "cannot give /dev/pts/%u to uid %u", n,
			       (unsigned)s->uid);
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
	if (cl_send_fd(x->j.sync_fd, master, 't') < 0)
		return cl_fail(err, errno, "cannot pass the terminal to cloison");
	return 0;
}

/* In the child: cgroups, namespaces, terminal, then the jail's own tail. */
__attribute__((noreturn)) static void join_child(struct joiner *x)
{
	const struct cl_join *jn = x->jn;
	struct cl_err err = {0};

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (jn->s->oom_score_set) {
		char v[16];
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		int n = snprintf(v, sizeof(v), "%d", jn->s->oom_score_adj);
		if (fd < 0 || write(fd, v, (size_t)n) != n) {
			cl_fail(&err, errno, "cannot set process.oomScoreAdj %d",
				jn->s->oom_score_adj);
			cl_jail_die(&x->j, &err);
		}
		close(fd);
	}
	/* Born in the jail's pid namespace with host root's capabilities, our
	 * root and cwd still the host's until setns: not dumpable, so that a
	 * jail process cannot reach us through /proc/PID (root, cwd, fd) or
	 * ptrace before cl_jail_exec drops them (runc's CVE-2016-9962).  The
	 * command's execve makes it dumpable again, as the jail's own is. */
	prctl(PR_SET_DUMPABLE, 0);
	/* Out of the caller's session (and terminal, which a path of the
	 * jail's might name: /dev/tty) and off its stdio: pipes instead. */
	setsid();
	if (!jn->s->tty && !jn->inherit_stdio && cl_stdio_relay_child(&x->io, &err) < 0)
		cl_jail_die(&x->j, &err);
	/* by path in the host's cgroupfs: before leaving its mount namespace */
	for (size_t i = 0; i < jn->n_cgroups; i++)
		if (!(jn->cgroups[i].v2 && x->v2_joined) &&
		    cl_cgroup_join(jn->cgroups[i].path, &err) < 0) {
			cl_wrap(&err, "cannot join the cgroups of jail %s", jn->name);
			cl_jail_die(&x->j, &err);
		}
	if (x->flags && setns(x->pidfd, x->flags) < 0) {
		cl_fail(&err, errno, "cannot enter the namespaces of jail %s", jn->name);
		cl_jail_die(&x->j, &err);
	}
	close(x->pidfd);
	/* our host ids mean nothing there: become its root, as the jail's own
	 * child did, so that what we create has an owner it can name */
	if ((x->flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		cl_fail(&err, errno, "cannot become root of the user namespace of jail %s",
			jn->name);
		cl_jail_die(&x->j, &err);
	}
	if ((jn->s->tty && open_pty(x, &err) < 0) || cl_jail_stdio(&x->j, &err) < 0)
		cl_jail_die(&x->j, &err);
	if (x->j.pty_slave > 2)
		close(x->j.pty_slave);
	cl_jail_exec(&x->j);
}

/* --detach: the child's last step before seccomp and execve is the OCI
 * create's hand-off (ns/child.c): it says "r", clears its parent-death
 * signal (it is to outlive us) and waits on a listening socket for our
 * connection, which then carries its errors.  The socket is in a directory
 * of its own, root's only, and the wait is bounded should we die first. */
struct handoff {
	char dir[40];
	struct sockaddr_un a;
	int fd;
};

static int handoff_open(struct handoff *h, struct cl_err *err)
{
	struct timeval tv = {.tv_sec = 60};

	snprintf(h->dir, sizeof(h->dir), "/tmp/cloison-exec-XXXXXX");
	if (!mkdtemp(h->dir)) {
		h->dir[0] = '\0';
		return cl_fail(err, errno, "cannot create a directory in /tmp");
	}
	h->a.sun_family = AF_UNIX;
	snprintf(h->a.sun_path, sizeof(h->a.sun_path), "%s/s", h->dir);
	h->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&h->a, sizeof(h->a)) < 0 ||
	    listen(h->fd, 1) < 0 || setsockopt(h->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return cl_fail(err, errno, "cannot listen on %s", h->a.sun_path);
	return 0;
}

static void handoff_close(struct handoff *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	if (h->dir[0]) {
		unlink(h->a.sun_path);
		rmdir(h->dir);
		h->dir[0] = '\0';
	}
}

/* Until the child's execve (EOF on the socket): the terminal's master on
 * the way (-t), the hand-off (--detach: the socket is then the connection),
 * or the error that stopped it. */
static int wait_exec(const struct cl_join *jn, int *sock, struct handoff *h, struct cl_tty *tty,
		     struct cl_err *err)
{
	struct cl_err e;
	int fd;

	for (;;) {
		ssize_t n = recv_msg(*sock, &e, &fd);
		if (fd >= 0 && jn->give_tty) {
			int r = jn->give_tty(jn->data, fd, err);
			close(fd);
			if (r < 0)
				return -1;
		} else if (fd >= 0 && !jn->detach) {
			tty->master = fd;
			cl_tty_raw(tty);
		} else if (fd >= 0) {
			close(fd);
		} else if (n == sizeof(e)) {
			*err = e;
			return -1;
		} else if (n == 1 && h->dir[0] && ((char *)&e)[0] == 'r') {
			int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
			if (c < 0 || connect(c, (struct sockaddr *)&h->a, sizeof(h->a)) < 0) {
				cl_fail(err, errno, "cannot connect to %s", h->a.sun_path);
				if (c >= 0)
					close(c);
				return -1;
			}
			close(*sock);
			*sock = c;
			handoff_close(h);
		} else if (n == 0 && jn->detach && h->dir[0]) {
			return cl_fail(err, 0, "the process ended before it was handed off");
		} else if (n == 0) {
			return 0;
		} else if (n < 0) {
			return cl_fail(err, errno, "cannot hear from the command's process");
		}
	}
}

/* Waits for the command, forwarding signals and relaying the terminal or
 * its pipes; returns its wait status. */
static int relay(pid_t pid, int sigfd, struct cl_tty *tty, struct cl_stdio_relay *io,
		 bool keep_stdin)
{
	bool out_eof = tty->master < 0, in_eof = out_eof || !keep_stdin;
	int status = 0;

	for (;;) {
		struct pollfd p[3 + CL_STDIO_RELAY_NFDS] = {
		    {.fd = sigfd, .events = POLLIN},
		    {.fd = out_eof ? -1 : tty->master, .events = POLLIN},
		    {.fd = in_eof ? -1 : STDIN_FILENO, .events = POLLIN},
		};
		cl_stdio_relay_poll(io, p + 3);
		if (poll(p, 3 + CL_STDIO_RELAY_NFDS, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		cl_tty_pump(tty, p[1].revents, p[2].revents, &out_eof, &in_eof);
		cl_stdio_relay_pump(io, p + 3);
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
	/* what the command wrote last; not what a process it left behind
	 * (holding the terminal open) writes later */
	if (tty->master >= 0 && !out_eof) {
		fcntl(tty->master, F_SETFL, O_NONBLOCK);
		while (!out_eof && cl_tty_copy(tty->master, STDOUT_FILENO, &out_eof) > 0)
			;
	}
	cl_stdio_relay_drain(io);
	return status;
}

/* Starts the child in the jail's pid namespace and unified-tree group. */
static pid_t clone_in(const struct cl_join *jn, struct joiner *x, struct cl_err *err)
{
	struct clone_args args = {.exit_signal = SIGCHLD};
	_cleanup_close_ int v2 = -1;
	pid_t pid;

	if ((x->flags & CLONE_NEWPID) && setns(x->pidfd, CLONE_NEWPID) < 0) {
		if (errno == ESRCH) /* a zombie whose parent is gone too */
			return cl_fail(err, 0, "jail %s: its process (pid %d) has ended", jn->name,
				       (int)jn->pid);
		return cl_fail(err, errno, "cannot enter the pid namespace of jail %s%s", jn->name,
			       errno == EPERM && geteuid() ? " (exec into a rootless jail: not yet)"
							   : "");
	}
	x->flags &= ~CLONE_NEWPID;
	for (size_t i = 0; i < jn->n_cgroups && v2 < 0; i++)
		if (jn->cgroups[i].v2 &&
		    (v2 = open(jn->cgroups[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return cl_fail(err, errno, "cannot open the cgroup %s of jail %s",
				       jn->cgroups[i].path, jn->name);
	if (v2 >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)v2;
	}
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (pid < 0 && errno == ENOMEM)
		return cl_fail(err, 0, "jail %s is ending: its pid namespace takes no new process",
			       jn->name);
	if (pid < 0 && errno == EAGAIN)
		return cl_fail(err, errno, "jail %s has no room for another process (--pids)",
			       jn->name);
	if (pid < 0)
		return cl_fail(err, errno, "cannot start a process in jail %s", jn->name);
	x->v2_joined = v2 >= 0;
	return pid;
}

int cl_join_run(const struct cl_join *jn, int *exit_status, struct cl_err *err)
{
	struct joiner x = {.jn = jn,
			   .pidfd = -1,
			   .j = CL_JAIL_INIT(jn->s),
			   .io = {.to_in = -1, .from = {-1, -1}, .child = {-1, -1, -1}}};
	struct cl_sc_program scp = {0};
	struct handoff h = {.fd = -1};
	struct cl_tty tty = {.master = -1, .slave = -1};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	int sv[2] = {-1, -1}, sigfd = -1, status, r = -1;
	sigset_t mask, old;
	pid_t pid = -1;

	x.pidfd = (int)syscall(SYS_pidfd_open, jn->pid, 0);
	/* the pid is the jail's as long as its start time is: checked once
	 * the pidfd holds it, every namespace is then entered through that */
	if (x.pidfd < 0 || cl_proc_start(jn->pid) != jn->pid_start) {
		cl_fail(err, 0, "jail %s: its process (pid %d) is gone", jn->name, (int)jn->pid);
		goto out;
	}
	if (jail_namespaces(jn->pid, &x.flags, err) < 0 || cl_seccomp_compile(jn->s, &scp, err) < 0)
		goto out;
	x.j.seccomp = &scp;
	x.j.setgroups_denied = cl_userns_setgroups_denied(jn->s);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		cl_fail(err, errno, "cannot create the sync socket");
		goto out;
	}
	if (!jn->s->tty && !jn->inherit_stdio &&
	    cl_stdio_relay_open(&x.io, jn->s->keep_stdin, err) < 0)
		goto out;
	if (jn->detach && handoff_open(&h, err) < 0)
		goto out;
	x.j.exec_listen = h.fd;
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	if ((sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		cl_fail(err, errno, "cannot create a signalfd");
		goto restore;
	}
	if ((pid = clone_in(jn, &x, err)) < 0)
		goto restore;
	if (pid == 0) {
		close(sv[0]);
		close(sigfd);
		x.j.sync_fd = sv[1];
		join_child(&x);
	}
	close(sv[1]);
	sv[1] = -1;
	if (h.fd >= 0)
		close(h.fd);
	h.fd = -1;
	cl_stdio_relay_started(&x.io);
	/* pipes: the end of our stdout or of the command's stdin is an EPIPE
	 * to act on, not our death (-t: as it was) */
	sigaction(SIGPIPE, jn->s->tty ? NULL : &ign, &old_pipe);
	if (wait_exec(jn, &sv[0], &h, &tty, err) == 0 &&
	    (!jn->started || jn->started(jn->data, pid, err) == 0)) {
		*exit_status =
		    jn->detach ? 0
			       : cl_exit_status(relay(pid, sigfd, &tty, &x.io, jn->s->keep_stdin));
		r = 0;
	} else {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	sigaction(SIGPIPE, &old_pipe, NULL);
	cl_tty_close(&tty);
restore:
	handoff_close(&h); /* before a pending signal can end us */
	sigprocmask(SIG_SETMASK, &old, NULL);
out:
	for (int *fd = &sv[0]; fd <= &sv[1]; fd++)
		if (*fd >= 0)
			close(*fd);
	if (sigfd >= 0)
		close(sigfd);
	if (x.pidfd >= 0)
		close(x.pidfd);
	handoff_close(&h);
	cl_stdio_relay_close(&x.io);
	cl_seccomp_program_free(&scp);
	return r;
}
