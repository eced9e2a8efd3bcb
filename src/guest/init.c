/* cloison-init: PID 1 of a cloison micro-VM (a static binary, /init in the
 * initramfs).
 *
 * In order: marker INIT; mount /proc, /sys, /dev; load the virtio modules;
 * read the spec; optionally switch to the root disk; make the --bind :ro trees
 * read-only; bring lo up, and eth0 with its addresses, routes, hosts and
 * resolv.conf (--net bridge); with --read-only and no disk, make the root
 * read-only; set the hostname; run
 * the command as a child on the console with the spec's env, cwd, uid and gid
 * (marker EXEC just before execve); reap every child until the command exits
 * (marker DONE); report its status (0..255, 128+N for signal N, 126 not
 * executable, 127 not found, 125 when init itself fails); power off.
 *
 * Options (also read from the environment, where the kernel puts unknown
 * key=value boot parameters, as CLOISON_INIT_SPEC / CLOISON_INIT_REPORT):
 *   --spec PATH          the spec (default /.cloison/spec)
 *   --report-file PATH   jail mode: write the status to PATH, no ports
 *   --report-fd N        jail mode: write the status to fd N, no ports
 * In jail mode (PID 1 of a container) init mounts only /proc, loads no
 * modules, never powers off: it exits with the status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <unistd.h>

#include "guest/agent.h"
#include "guest/kmod.h"
#include "guest/mounts.h"
#include "guest/net.h"
#include "guest/report.h"
#include "guest/spec.h"
#include "vm/ports.h"

extern char **environ;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char buf[CL_ERR_MSG_MAX + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "cloison-init: %s\n", buf);
}

/* The command's last output may still sit in the console's tty buffer,
 * going out a FIFO load per UART interrupt: let it reach the host before the
 * exit port stops the VM. */
static void drain_console(void)
{
	for (int fd = 1; fd <= 2; fd++)
		if (isatty(fd))
			while (tcdrain(fd) < 0 && errno == EINTR)
				;
}

/* The end of the road: report, then stop the VM or leave the jail. */
static __attribute__((noreturn)) void finish(int status)
{
	cl_guest_marker(CL_MARK_DONE);
	sync();
	drain_console();
	cl_guest_report(status);
	if (cl_guest_report_is_vm() && getpid() == 1) {
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	exit(status);
}

/* The console becomes init's controlling terminal, not the command's: when
 * a session leader exits, the kernel hangs its serial tty up and throws away
 * the output still queued for the UART (seen: the last line of a command
 * lost with 2 vCPUs).  Init stays the session leader until it has drained
 * the console; the command runs in its own foreground process group, so ^C,
 * job control and /dev/tty still work.  The host side is a pipe or a file
 * more often than a terminal: no echo of what the host sends, no \n -> \r\n,
 * so output arrives byte for byte; canonical input stays, so the ^D the VMM
 * sends at EOF ends the input.  Returns whether init holds the console. */
static bool take_console(const struct cl_guest_spec *s)
{
	struct termios t;

	if (s->console) {
		int fd = open(s->console, O_RDWR | O_NOCTTY);
		if (fd < 0) {
			say("cannot open the console %s: %s", s->console, strerror(errno));
			finish(CL_EXIT_FAILURE);
		}
		dup2(fd, 0), dup2(fd, 1), dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (!isatty(0))
		return false;
	if (s->tty) {
		/* -t: the host's terminal is raw, this one does the line
		 * discipline, at the host's size */
		struct winsize w = {.ws_row = (unsigned short)s->rows,
				    .ws_col = (unsigned short)s->cols};

		if (w.ws_row && w.ws_col)
			ioctl(0, TIOCSWINSZ, &w);
	} else if (tcgetattr(0, &t) == 0) {
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL);
		t.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(0, TCSANOW, &t);
	}
	/* PID 1 starts in no session of its own; elsewhere (jail mode) we may
	 * not get the tty, and the command then takes it as before. */
	if (setsid() < 0 && getsid(0) != getpid())
		return false;
	return ioctl(0, TIOCSCTTY, 0) == 0;
}

/* In the child: become the command. Never returns. */
static __attribute__((noreturn)) void run_command(const struct cl_guest_spec *s,
						  const sigset_t *oldmask, bool init_has_tty)
{
	const char *cwd = s->cwd ? s->cwd : "/";
	int e;

	if (init_has_tty) {
		/* SIGTTOU is still blocked: a background group may take the tty */
		setpgid(0, 0);
		tcsetpgrp(0, getpid());
	} else {
		setsid();
		if (isatty(0))
			ioctl(0, TIOCSCTTY, 0);
	}
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	if (getuid() == 0) {
		if (setgroups(0, NULL) < 0 || setgid(s->gid) < 0 || setuid(s->uid) < 0) {
			say("cannot become uid %u gid %u: %s", (unsigned)s->uid, (unsigned)s->gid,
			    strerror(errno));
			_exit(CL_EXIT_FAILURE);
		}
	}
	if (chdir(cwd) < 0) {
		say("cannot enter the working directory %s: %s", cwd, strerror(errno));
		_exit(CL_EXIT_FAILURE);
	}
	cl_guest_marker(CL_MARK_EXEC);
	cl_guest_report_drop();
	environ = s->env;
	/* execvp looks PATH up in environ, which is now the command's */
	execvp(s->argv[0], s->argv);
	e = errno;
	say("cannot run '%s': %s", s->argv[0], strerror(e));
	_exit(e == ENOENT || e == ENOTDIR ? CL_EXIT_NOTFOUND : CL_EXIT_NOEXEC);
}

/* Reap everything; return the command's status once it has exited.
 * Signals that would stop a normal process go to the command instead. */
static int supervise(pid_t child, const sigset_t *set)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si), wstatus;
		pid_t pid;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
			if (pid == child)
				return cl_exit_status(wstatus);
		if (pid < 0 && errno == ECHILD)
			return CL_EXIT_FAILURE;
	}
}

/* After the command: end its leftovers (only as a real PID 1, where kill(-1)
 * means "everyone in this VM or PID namespace"), and reap them. */
static void end_the_rest(void)
{
	if (getpid() != 1)
		return;
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	const char *spec_path = getenv("CLOISON_INIT_SPEC"), *rep = getenv("CLOISON_INIT_REPORT");
	enum cl_report_mode mode = CL_REPORT_PORT;
	const char *target = NULL;
	struct cl_guest_spec spec = {0};
	struct cl_err err = {0};
	sigset_t set, old;
	pid_t child;
	bool jail;

	if (!spec_path)
		spec_path = CL_GUEST_SPEC_PATH;
	/* CLOISON_INIT_REPORT=file:PATH or fd:N */
	if (rep && !strncmp(rep, "file:", 5))
		mode = CL_REPORT_FILE, target = rep + 5;
	else if (rep && !strncmp(rep, "fd:", 3))
		mode = CL_REPORT_FD, target = rep + 3;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--spec") && i + 1 < argc)
			spec_path = argv[++i];
		else if (!strcmp(argv[i], "--report-file") && i + 1 < argc)
			mode = CL_REPORT_FILE, target = argv[++i];
		else if (!strcmp(argv[i], "--report-fd") && i + 1 < argc)
			mode = CL_REPORT_FD, target = argv[++i];
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: cloison-init [--spec PATH] [--report-file PATH | "
			       "--report-fd N]\n");
			return 0;
		}
		/* the kernel passes other boot words through: ignore them */
	}
	jail = mode != CL_REPORT_PORT;
	if (cl_guest_report_open(mode, target, &err) < 0) {
		say("%s", err.msg);
		finish(CL_EXIT_FAILURE);
	}
	cl_guest_marker(CL_MARK_INIT);

	if (cl_guest_mount_api(jail, &err) < 0) {
		if (!jail) {
			say("%s", err.msg);
			finish(CL_EXIT_FAILURE);
		}
		say("warning: %s", err.msg);
	}
	if (!jail && cl_guest_load_modules(CL_GUEST_MODULES_DIR, &err) < 0) {
		say("%s", err.msg);
		finish(CL_EXIT_FAILURE);
	}
	if (cl_guest_spec_read(spec_path, &spec, &err) < 0) {
		say("%s", err.msg);
		finish(CL_EXIT_FAILURE);
	}
	if (spec.root_dev &&
	    cl_guest_switch_root(spec.root_dev, spec.root_fstype, spec.root_ro, &err) < 0) {
		say("%s", err.msg);
		finish(CL_EXIT_FAILURE);
	}
	for (char **b = spec.ro_binds; b && *b; b++) {
		if (cl_guest_bind_ro(*b, &err) < 0) {
			say("%s", err.msg);
			finish(CL_EXIT_FAILURE);
		}
	}
	/* in jail mode the runtime made the jail's network */
	if (!jail && cl_guest_net_setup(&spec, &err) < 0) {
		say("%s", err.msg);
		finish(CL_EXIT_FAILURE);
	}
	if (!spec.root_dev && spec.root_ro && cl_guest_root_ro(&err) < 0) {
		say("%s", err.msg);
		finish(CL_EXIT_FAILURE);
	}
	if (spec.hostname && sethostname(spec.hostname, strlen(spec.hostname)) < 0) {
		say("cannot set the hostname to %s: %s", spec.hostname, strerror(errno));
		finish(CL_EXIT_FAILURE);
	}

	/* Signals are taken synchronously in supervise(); the child restores. */
	sigfillset(&set);
	sigdelset(&set, SIGSEGV), sigdelset(&set, SIGBUS), sigdelset(&set, SIGILL);
	sigdelset(&set, SIGFPE), sigdelset(&set, SIGABRT);
	sigprocmask(SIG_BLOCK, &set, &old);
	bool has_tty = take_console(&spec);
	child = fork();
	if (child < 0) {
		say("cannot fork: %s", strerror(errno));
		finish(CL_EXIT_FAILURE);
	}
	if (child == 0)
		run_command(&spec, &old, has_tty);
	/* the agent for cloison exec and stop, in a micro-VM with a vsock
	 * device (it ends at once without one; end_the_rest ends it) */
	if (!jail)
		cl_guest_agent_start(child);

	int status = supervise(child, &set);
	end_the_rest();
	cl_guest_spec_free(&spec);
	finish(status);
}
