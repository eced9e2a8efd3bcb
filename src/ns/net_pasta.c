/* --net pasta (see net_pasta.h).  pasta 0.0~git20230309 (Debian 12):
 *   - the namespaces are given as /proc/self/fd/N, files cloison opened:
 *     pasta opens its targets after dropping capabilities, and could then
 *     not open the namespace files of a process with more of them than it has;
 *   - as root it must be told --runas 0 (it would switch to nobody, who
 *     cannot enter a namespace of root's); it still drops its capabilities
 *     and seccomp-confines itself;
 *   - -t/-u default to "auto" (every port the jail binds is published) and
 *     -T/-U to forwarding the host's loopback ports into the jail: both
 *     are "none" unless ports are published, and --no-map-gw keeps the
 *     gateway address from reaching the host's loopback;
 *   - -P writes the daemon's pid (into a pipe here) before the launcher
 *     exits, after --config-net set up eth0: that exit is the readiness. */
#include "ns/net_pasta.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/close_range.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

#define PASTA_READY_MS 10000 /* set-up time allowed (it takes a few ms) */
#define PASTA_STOP_MS  2000

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Until the process of @pidfd exits or @ms pass: true when it exited. */
static bool wait_exit(int pidfd, int ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int r;

	while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return r > 0;
}

static void stop(int pidfd, int ms)
{
	syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
	if (!wait_exit(pidfd, ms)) {
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		wait_exit(pidfd, ms);
	}
}

/* Each published port as pasta's -t/-u option, into @argv from @a:
 * [HOSTIP/]HOSTPORT:JAILPORT, one spec per option (an address prefix
 * applies to a whole list); every port, none dropped.  Returns the new a. */
static int ports(const struct cl_netspec *n, const char **argv, int a,
		 char spec[][INET6_ADDRSTRLEN + 16])
{
	bool tcp = false, udp = false;

	for (size_t i = 0; i < n->n_publish && i < CL_NET_PUBLISH_MAX; i++)
		*(n->publish[i].proto == IPPROTO_UDP ? &udp : &tcp) = true;
	/* none of a protocol: "none" (pasta's default, "auto", would forward
	 * whatever the jail listens on) */
	if (!tcp) {
		argv[a++] = "-t";
		argv[a++] = "none";
	}
	if (!udp) {
		argv[a++] = "-u";
		argv[a++] = "none";
	}
	for (size_t i = 0; i < n->n_publish && i < CL_NET_PUBLISH_MAX; i++) {
		const struct cl_publish *p = &n->publish[i];
		char ip[INET6_ADDRSTRLEN] = "";
		if (p->family == AF_INET)
			inet_ntop(AF_INET, &p->host_ip, ip, sizeof(ip));
		else if (p->family == AF_INET6)
			inet_ntop(AF_INET6, &p->host_ip6, ip, sizeof(ip));
		snprintf(spec[i], INET6_ADDRSTRLEN + 16, "%s%s%u:%u", ip, ip[0] ? "/" : "",
			 p->host_port, p->jail_port);
		argv[a++] = p->proto == IPPROTO_UDP ? "-u" : "-t";
		argv[a++] = spec[i];
	}
	return a;
}

/* The keeper: waits for cloison's end of the pipe to close, then stops
 * pasta through its pidfd (which cannot name another process). */
__attribute__((noreturn)) static void keeper(int rfd, int pidfd)
{
	char c;
	int lo = rfd < pidfd ? rfd : pidfd, hi = rfd < pidfd ? pidfd : rfd;

	if (lo > 0)
		syscall(SYS_close_range, 0U, (unsigned)lo - 1, 0U);
	if (hi > lo + 1)
		syscall(SYS_close_range, (unsigned)lo + 1, (unsigned)hi - 1, 0U);
	syscall(SYS_close_range, (unsigned)hi + 1, ~0U, 0U);
	setsid(); /* a terminal's ^C is for the jail */
	prctl(PR_SET_NAME, "cloison-pasta");
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	stop(pidfd, PASTA_STOP_MS);
	_exit(0);
}

/* What pasta said on stderr, without the lines about the system logger it
 * cannot reach: its last line. */
static void pasta_message(int fd, char *out, size_t size)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	snprintf(out, size, "no message");
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "Failed to send", 14) != 0 && line[0])
			snprintf(out, size, "%s", line);
}

int cl_pasta_start(const struct cl_spec *s, pid_t jail, struct cl_pasta *p, struct cl_err *err)
{
	char spec[CL_NET_PUBLISH_MAX][INET6_ADDRSTRLEN + 16];
	char netns[32], userns[32], pidarg[32], path[64], msg[256];
	_cleanup_close_ int nfd = -1, ufd = -1, lfd = -1;
	int pidp[2] = {-1, -1}, errp[2] = {-1, -1}, keep[2] = {-1, -1}, status, r = -1;
	pid_t launcher;

	*p = (struct cl_pasta)CL_PASTA_INIT;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)jail);
	if ((nfd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return cl_fail(err, errno, "--net pasta: cannot open %s", path);
	if (s->ns_flags & CLONE_NEWUSER) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)jail);
		if ((ufd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return cl_fail(err, errno, "--net pasta: cannot open %s", path);
	}
	if (pipe2(pidp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		cl_fail(err, errno, "--net pasta: cannot create a pipe");
		goto out;
	}
	snprintf(netns, sizeof(netns), "/proc/self/fd/%d", nfd);
	snprintf(userns, sizeof(userns), "/proc/self/fd/%d", ufd);
	snprintf(pidarg, sizeof(pidarg), "/proc/self/fd/%d", pidp[1]);

	launcher = fork();
	if (launcher < 0) {
		cl_fail(err, errno, "--net pasta: cannot fork");
		goto out;
	}
	if (launcher == 0) {
		/* 12 fixed, 2 a port, 6 more at most, the NULL */
		const char *argv[20 + 2 * CL_NET_PUBLISH_MAX + 1];
		int a = 0;
		sigset_t none;
		int devnull = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 ||
		    dup2(errp[1], 2) < 0)
			_exit(127);
		/* pasta gets these three, nothing else of ours (--preserve-fds's
		 * are the jail's) */
		syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
		fcntl(nfd, F_SETFD, 0);
		fcntl(pidp[1], F_SETFD, 0);
		if (ufd >= 0)
			fcntl(ufd, F_SETFD, 0);
		argv[a++] = "pasta";
		argv[a++] = "--config-net";
		argv[a++] = "--ns-ifname";
		argv[a++] = "eth0";
		argv[a++] = "--quiet";
		argv[a++] = "--no-map-gw";
		argv[a++] = "--pid";
		argv[a++] = pidarg;
		argv[a++] = "-T";
		argv[a++] = "none";
		argv[a++] = "-U";
		argv[a++] = "none";
		a = ports(&s->netcfg, argv, a, spec);
		if (geteuid() == 0) {
			argv[a++] = "--runas";
			argv[a++] = "0";
		}
		if (ufd >= 0) {
			argv[a++] = "--userns";
			argv[a++] = userns;
		}
		argv[a++] = "--netns";
		argv[a++] = netns;
		argv[a] = NULL;
		execvp("pasta", (char *const *)argv);
		dprintf(2, "cannot run pasta: %s (install Debian's passt package)\n",
			strerror(errno));
		_exit(127);
	}
	close(errp[1]);
	errp[1] = -1;
	close(pidp[1]);
	pidp[1] = -1;
	/* ready: the launcher exited, having written the daemon's pid */
	lfd = pidfd_open(launcher);
	if (lfd >= 0 && !wait_exit(lfd, PASTA_READY_MS)) {
		kill(launcher, SIGKILL);
		waitpid(launcher, NULL, 0);
		cl_fail(err, ETIMEDOUT, "--net pasta: pasta was not ready after %d s",
			PASTA_READY_MS / 1000);
		goto out;
	}
	while (waitpid(launcher, &status, 0) < 0 && errno == EINTR)
		;
	fcntl(errp[0], F_SETFL, O_NONBLOCK);
	fcntl(pidp[0], F_SETFL, O_NONBLOCK);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		pasta_message(errp[0], msg, sizeof(msg));
		cl_fail(err, 0, "--net pasta: pasta failed (%s %d): %s",
			WIFEXITED(status) ? "status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), msg);
		goto out;
	}
	char buf[32] = "";
	ssize_t n = read(pidp[0], buf, sizeof(buf) - 1);
	long pid = n > 0 ? (buf[n] = '\0', strtol(buf, NULL, 10)) : 0;
	if (pid <= 0 || (p->pidfd = pidfd_open((pid_t)pid)) < 0) {
		cl_fail(err, pid > 0 ? errno : 0, "--net pasta: pasta did not say its pid (%.20s)",
			buf);
		goto out;
	}
	p->pid = (pid_t)pid;
	/* the keeper, for a cloison killed before it could stop pasta */
	if (pipe2(keep, O_CLOEXEC) < 0) {
		cl_fail(err, errno, "--net pasta: cannot create a pipe");
		goto out;
	}
	p->keeper = fork();
	if (p->keeper == 0)
		keeper(keep[0], p->pidfd);
	if (p->keeper < 0) {
		p->keeper = 0;
		cl_fail(err, errno, "--net pasta: cannot fork");
		goto out;
	}
	p->keeper_fd = keep[1];
	keep[1] = -1;
	r = 0;
out:
	for (int *fd = pidp; fd < pidp + 2; fd++)
		if (*fd >= 0)
			close(*fd);
	for (int *fd = errp; fd < errp + 2; fd++)
		if (*fd >= 0)
			close(*fd);
	for (int *fd = keep; fd < keep + 2; fd++)
		if (*fd >= 0)
			close(*fd);
	if (r < 0)
		cl_pasta_stop(p);
	return r;
}

void cl_pasta_stop(struct cl_pasta *p)
{
	if (p->pid > 0) {
		stop(p->pidfd, PASTA_STOP_MS);
		close(p->pidfd);
	}
	if (p->keeper > 0) {
		close(p->keeper_fd);
		while (waitpid(p->keeper, NULL, 0) < 0 && errno == EINTR)
			;
	}
	*p = (struct cl_pasta)CL_PASTA_INIT;
}
