/* The privileged path: everything between clone and execve, in order.
 *   [user ns: wait for the parent's go (id maps)] -> session and stdio
 *   -> mounts + pivot_root -> hostname -> [else: wait for go (the cgroup's
 *   device program, the network)] -> cgroup ns -> lo up -> bounding set
 *   -> identity -> capabilities
 *   -> no_new_privs -> fds -> cwd -> exec (directly, or under the tiny init).
 * From the bounding set on (cl_jail_exec) it is also the path of a command
 * that `cloison exec` starts in a running jail (ns/join.c).
 * Any failure is sent to the parent as a struct cl_err and the child exits. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ns/caps.h"
#include "ns/jail.h"
#include "ns/mounts.h"
#include "ns/net.h"
#include "ns/oci_hooks.h"
#include "ns/seccomp.h"
#include "util/fdpass.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void cl_jail_die(struct cl_jail *j, struct cl_err *err)
{
	/* after the seccomp filter, send may be denied where write is not */
	if (send(j->sync_fd, err, sizeof(*err), MSG_NOSIGNAL) < 0 && errno == EPERM)
		(void)!write(j->sync_fd, err, sizeof(*err));
	_exit(err->exit_code ? err->exit_code : CL_EXIT_FAILURE);
}

/* Stdin without -i.  Under exec, /dev is the jail's to change: its null
 * device or nothing, never a symlink followed. */
static int null_stdin(struct cl_err *err)
{
	int fd = open("/dev/null", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	int r = -1;

	if (fd < 0 || fstat(fd, &st) < 0)
		cl_fail(err, errno, "cannot open /dev/null as stdin");
	else if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		cl_fail(err, 0, "/dev/null is not the null device: refused as stdin");
	else if (fcntl(fd, F_SETFL, 0) < 0 || dup2(fd, 0) < 0)
		cl_fail(err, errno, "cannot open /dev/null as stdin");
	else
		r = 0;
	if (fd >= 0)
		close(fd);
	return r;
}

int cl_jail_stdio(struct cl_jail *j, struct cl_err *err)
{
	const struct cl_spec *s = j->spec;

	/* A new session: without -t the command has no controlling terminal, so
	 * TIOCSTI cannot push keystrokes into the caller's (CVE-2017-5226).
	 * (Exec makes it first thing.) */
	if (getsid(0) != getpid() && setsid() < 0)
		return cl_fail(err, errno, "cannot start a new session");
	if (j->pty_slave >= 0) {
		/* Reopen by name: a bind mount of /dev/console needs the file's
		 * mount to be one of our namespace's, not the parent's.  (Exec's
		 * terminal is the jail's already: no name to follow there.) */
		int fd = j->pty_name ? open(j->pty_name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
		if (j->pty_name && fd < 0)
			return cl_fail(err, errno, "cannot open the terminal %s", j->pty_name);
		if (fd >= 0 && dup3(fd, j->pty_slave, O_CLOEXEC) < 0)
			return cl_fail(err, errno, "cannot reopen the terminal");
		if (fd >= 0)
			close(fd);
		if (ioctl(j->pty_slave, TIOCSCTTY, 0) < 0)
			return cl_fail(err, errno, "cannot make the pty the controlling terminal");
		for (int fd = 0; fd < 3; fd++)
			if (dup2(j->pty_slave, fd) < 0)
				return cl_fail(err, errno, "cannot attach the pty to fd %d", fd);
	} else if (!s->keep_stdin) {
		return null_stdin(err);
	}
	return 0;
}

static int setup_identity(const struct cl_spec *s, bool setgroups_denied, struct cl_err *err)
{
	if (prctl(PR_SET_KEEPCAPS, 1) < 0)
		return cl_fail(err, errno, "cannot keep capabilities across setuid");
	if (s->n_groups && setgroups_denied)
		return cl_fail(err, EPERM, "cannot set the supplementary groups (additionalGids)");
	if (!setgroups_denied && setgroups(s->n_groups, s->groups) < 0)
		return cl_fail(err, errno, "cannot set the supplementary groups");
	if (setresgid(s->gid, s->gid, s->gid) < 0)
		return cl_fail(err, errno, "cannot switch to gid %u", (unsigned)s->gid);
	if (setresuid(s->uid, s->uid, s->uid) < 0)
		return cl_fail(err, errno, "cannot switch to uid %u", (unsigned)s->uid);
	if (prctl(PR_SET_KEEPCAPS, 0) < 0)
		return cl_fail(err, errno, "cannot reset keepcaps");
	return 0;
}

/* Fds 3..3+N-1 pass through; everything else above 2 is closed at execve. */
static int setup_fds(const struct cl_spec *s, struct cl_err *err)
{
	unsigned first = 3 + (unsigned)s->preserve_fds;

	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return cl_fail(err, errno, "cannot mark inherited fds close-on-exec");
	for (unsigned fd = 3; fd < first; fd++) {
		int fl = fcntl((int)fd, F_GETFD);
		if (fl >= 0 && fcntl((int)fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
			return cl_fail(err, errno, "cannot preserve fd %u", fd);
	}
	return 0;
}

/* The cwd must lie inside the new root: a leaked directory fd or a cwd
 * outside it is the CVE-2024-21626 escape. */
static int setup_cwd(const struct cl_spec *s, struct cl_err *err)
{
	char buf[4096];

	if (chdir(s->cwd) < 0)
		return cl_fail(err, errno, "cannot change to the working directory %s", s->cwd);
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return cl_fail(err, errno ? errno : EPERM,
			       "working directory %s is not inside the rootfs", s->cwd);
	return 0;
}

static bool parent_alive(int sync_fd)
{
	struct pollfd p = {.fd = sync_fd, .events = 0};

	return poll(&p, 1, 0) == 0 || !(p.revents & (POLLHUP | POLLERR));
}

/* As crun does: what the caller ignored (a command started with & or
 * nohup, cloison's own SIGPIPE) is not the command's business. */
static void default_signals(void)
{
	/* the kernel's struct: libc's sigaction() refuses its own two
	 * real-time signals (32, 33), which a caller may have ignored too */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl = {.handler = SIG_DFL};

	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

static void unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* --init: the command runs as pid 2 in its own foreground process group;
 * pid 1 becomes the tiny init from the sealed memfd, signals still blocked
 * so none is lost before its handlers are in place. */
__attribute__((noreturn)) static void exec_under_init(struct cl_jail *j, struct cl_err *err)
{
	char pidstr[16], b;
	int ready[2] = {-1, -1};
	pid_t c;

	/* The command starts once pid 1 is the init (its end closes on exec),
	 * so it never sees a half-made pid 1.  A policy that denies pipe2 only
	 * loses that wait. */
	if (pipe2(ready, O_CLOEXEC) < 0)
		ready[0] = ready[1] = -1;
	c = fork();

	if (c < 0) {
		cl_fail(err, errno, "cannot fork the command under --init");
		cl_jail_die(j, err);
	}
	if (c == 0) {
		if (ready[1] >= 0) {
			close(ready[1]);
			while (read(ready[0], &b, 1) < 0 && errno == EINTR)
				;
			close(ready[0]);
		}
		setpgid(0, 0);
		if (j->pty_slave >= 0) {
			signal(SIGTTOU, SIG_IGN);
			tcsetpgrp(0, getpid());
			signal(SIGTTOU, SIG_DFL);
		}
		close(j->init_fd);
		unblock_signals();
		cl_exec_command(j->spec, err);
		cl_jail_die(j, err);
	}
	if (ready[0] >= 0)
		close(ready[0]);
	snprintf(pidstr, sizeof(pidstr), "%d", c);
	char *const argv[] = {"cloison-init", pidstr, NULL};
	char *const envp[] = {NULL};
	syscall(SYS_execveat, j->init_fd, "", argv, envp, AT_EMPTY_PATH);
	cl_fail(err, errno, "cannot execute the --init binary");
	kill(c, SIGKILL);
	cl_jail_die(j, err);
}

/* The parent's "go": its part of the set-up is done.  EOF: it died. */
static bool wait_go(struct cl_jail *j)
{
	char go;

	return read(j->sync_fd, &go, 1) == 1;
}

/* OCI namespaces[].path: joined first thing (pid and time ones were
 * joined by the parent: they take effect for its children). */
static int join_namespaces(struct cl_jail *j, struct cl_err *err)
{
	static const char *const names[CL_NS_N] = {"user", "mount", "pid",    "network",
						   "ipc",  "uts",   "cgroup", "time"};

	for (int k = 0; k < CL_NS_N; k++) {
		if (j->ns_fds[k] < 0 || k == CL_NS_PID || k == CL_NS_TIME)
			continue;
		if (setns(j->ns_fds[k], 0) < 0)
			return cl_fail(err, errno, "cannot join the %s namespace %s", names[k],
				       j->spec->ns_path[k]);
		close(j->ns_fds[k]);
		j->ns_fds[k] = -1;
	}
	return 0;
}

static int write_proc_self(const char *file, const char *value, struct cl_err *err)
{
	char path[64];
	int fd, n = (int)strlen(value);

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "cannot open %s", path);
	if (write(fd, value, (size_t)n) != n) {
		int e = errno;
		close(fd);
		return cl_fail(err, e, "cannot write %s to %s", value, path);
	}
	close(fd);
	return 0;
}

/* createContainer: after the mounts, before pivot_root */
static int create_container_hooks(const struct cl_spec *s, struct cl_err *err)
{
	cl_oci_hooks_note_pid();
	return cl_oci_hooks_in_jail(s, CL_HOOK_CREATE_CONTAINER, "creating", err);
}

/* The jail's terminal from its own /dev/ptmx: the slave becomes
 * @j->pty_slave, the master goes to the parent. */
static int open_jail_pty(struct cl_jail *j, struct cl_err *err)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), slave;

	if (master < 0)
		return cl_fail(err, errno,
			       "cannot open /dev/ptmx in the container (process.terminal)");
	if (unlockpt(master) < 0 ||
	    (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
		close(master);
		return cl_fail(err, errno, "cannot open the container's terminal");
	}
	if (cl_send_fd(j->sync_fd, master, 't') < 0) {
		close(master);
		close(slave);
		return cl_fail(err, errno, "cannot pass the terminal on");
	}
	close(master);
	j->pty_slave = slave;
	j->pty_name = NULL;
	return 0;
}

void cl_jail_child(struct cl_jail *j)
{
	const struct cl_spec *s = j->spec;
	struct cl_err err = {0};

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* what we hold of the host's (trees, directories) is nobody's to take
	 * through /proc/PID/fd (CVE-2016-9962); in a user namespace the id
	 * change does it, and the parent still writes our maps */
	if (!(s->ns_flags & CLONE_NEWUSER))
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (join_namespaces(j, &err) < 0)
		cl_jail_die(j, &err);
	if (s->oom_score_set) {
		char v[16];
		snprintf(v, sizeof(v), "%d", s->oom_score_adj);
		if (write_proc_self("oom_score_adj", v, &err) < 0) {
			cl_wrap(&err, "process.oomScoreAdj %d%s", s->oom_score_adj,
				s->oom_score_adj < 0 ? " (lowering it needs CAP_SYS_RESOURCE)"
						     : "");
			cl_jail_die(j, &err);
		}
	}
	/* In a new user namespace the parent writes our id maps first: nothing
	 * before "go" would work without them.  Otherwise the mounts do not
	 * wait: the parent loads the cgroup's device program and attaches the
	 * network meanwhile, and says go before anything of the command runs. */
	if ((s->ns_flags & CLONE_NEWUSER) && !wait_go(j))
		_exit(CL_EXIT_FAILURE);
	/* In a new user namespace our host ids may be unmapped there: become
	 * its root so the files we create have an owner it can name. */
	if ((s->ns_flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		cl_fail(&err, errno, "cannot become root of the new user namespace");
		cl_jail_die(j, &err);
	}

	/* OCI create with a terminal: made in the jail's own devpts once it
	 * is mounted, as runc does (the engine gets its master) */
	bool jail_pty = s->tty && j->pty_slave < 0 && j->exec_listen >= 0;
	if (!jail_pty && cl_jail_stdio(j, &err) < 0)
		cl_jail_die(j, &err);
	/* OCI hooks of the jail's own: our host pid noted before pivot_root */
	bool jail_hooks = s->oci && (s->oci->n_hooks[CL_HOOK_CREATE_CONTAINER] ||
				     s->oci->n_hooks[CL_HOOK_START_CONTAINER]);
	if (cl_mounts_setup(s, j->trees, j->pty_slave, jail_hooks ? create_container_hooks : NULL,
			    &err) < 0)
		cl_jail_die(j, &err);
	if (jail_pty && (open_jail_pty(j, &err) < 0 || cl_jail_stdio(j, &err) < 0))
		cl_jail_die(j, &err);
	/* the jail's own uts namespace, or the one it joined (as runc) */
	if (((s->ns_flags & CLONE_NEWUTS) || s->ns_path[CL_NS_UTS]) && s->hostname &&
	    sethostname(s->hostname, strlen(s->hostname)) < 0) {
		cl_fail(&err, errno, "cannot set the hostname to %s", s->hostname);
		cl_jail_die(j, &err);
	}
	if (!(s->ns_flags & CLONE_NEWUSER) && !wait_go(j))
		_exit(CL_EXIT_FAILURE);
	/* Now in the context's own cgroups (v1 ones joined before "go"): make
	 * them the root of a new cgroup namespace.  At clone time the root
	 * would have been cloison's cgroup, and the jail would see its path
	 * below it. */
	if ((s->ns_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
		cl_fail(&err, errno, "cannot create the cgroup namespace");
		cl_jail_die(j, &err);
	}
	if (cl_net_child(s, &err) < 0)
		cl_jail_die(j, &err);
	if (j->pty_slave > 2)
		close(j->pty_slave);
	cl_jail_exec(j);
}

void cl_jail_exec(struct cl_jail *j)
{
	const struct cl_spec *s = j->spec;
	struct cl_err err = {0};

	for (size_t i = 0; i < s->n_rlimits; i++) {
		struct rlimit rl = {s->rlimits[i].soft, s->rlimits[i].hard};
		if (setrlimit(s->rlimits[i].resource, &rl) < 0) {
			cl_fail(&err, errno,
				"cannot set rlimit %d to %llu/%llu (process.rlimits[%zu])",
				s->rlimits[i].resource, (unsigned long long)rl.rlim_cur,
				(unsigned long long)rl.rlim_max, i);
			cl_jail_die(j, &err);
		}
	}
	if (cl_caps_drop_bounding(s->caps, &err) < 0 ||
	    setup_identity(s, j->setgroups_denied, &err) < 0 ||
	    (s->caps_explicit ? cl_caps_apply_sets(s, &err)
			      : cl_caps_apply(s->caps, s->caps_added, s->uid, &err)) < 0)
		cl_jail_die(j, &err);
	if (s->umask >= 0)
		umask((mode_t)s->umask);
	/* not the caller's session keyring (the engine's, root's): one of its
	 * own, made as its user so it can use it */
	if (s->new_keyring && syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL) < 0 &&
	    errno != ENOSYS) {
		cl_fail(&err, errno, "cannot make the container's session keyring");
		cl_jail_die(j, &err);
	}
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		cl_fail(&err, errno, "cannot set no_new_privs");
		cl_jail_die(j, &err);
	}
	if (setup_fds(s, &err) < 0 || setup_cwd(s, &err) < 0)
		cl_jail_die(j, &err);
	/* still blocked: a signal that comes now waits for the command */
	default_signals();
	if (j->exec_listen >= 0) {
		/* OCI create: set up; whoever made us exits now, the start
		 * command's connection releases us (and hears our errors).
		 * A command that is not there is create's error (as runc). */
		if (cl_exec_lookup(s, &err) < 0)
			cl_jail_die(j, &err);
		/* the wait may be long: not dumpable meanwhile (execve
		 * makes it so again) */
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		prctl(PR_SET_PDEATHSIG, 0);
		if (send(j->sync_fd, "r", 1, MSG_NOSIGNAL) != 1)
			_exit(CL_EXIT_FAILURE);
		int conn;
		while ((conn = accept4(j->exec_listen, NULL, NULL, SOCK_CLOEXEC)) < 0 &&
		       errno == EINTR)
			;
		if (conn < 0)
			_exit(CL_EXIT_FAILURE);
		close(j->exec_listen);
		j->exec_listen = -1;
		if (dup3(conn, j->sync_fd, O_CLOEXEC) < 0)
			_exit(CL_EXIT_FAILURE);
		close(conn);
		/* startContainer: in the container, before the command */
		if (cl_oci_hooks_in_jail(s, CL_HOOK_START_CONTAINER, "created", &err) < 0)
			cl_jail_die(j, &err);
	} else {
		/* setuid cleared the parent-death signal: set it again, then
		 * make sure the parent did not die in between. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!parent_alive(j->sync_fd))
			_exit(CL_EXIT_FAILURE);
	}
	/* last: the filter need not allow any of the set-up above */
	if (cl_seccomp_load(s, j->seccomp, j->sync_fd, &err) < 0)
		cl_jail_die(j, &err);
	if (s->init)
		exec_under_init(j, &err);
	unblock_signals();
	cl_exec_command(s, &err);
	cl_jail_die(j, &err);
}
