/* The host's side of the guest agent (guest/agent_proto.h): through a
 * micro-VM's --vsock socket, "CONNECT 1024", the hello, then an exec (its
 * stdio relayed, the usual signals passed on) or a signal to the VM's
 * command.  The guest is hostile: every frame is length-checked, only the
 * frames a request may get are taken, and every wait is bounded by what
 * the user started (the command) or by @timeout where there is one. */
#include "vm/agent_host.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "guest/agent_proto.h"
#include "guest/spec.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Waits for @fd to be readable until @deadline (ms, 0: none). */
static bool readable(int fd, double deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		double left = deadline ? deadline - now_ms() : -1;
		int r;

		if (deadline && left <= 0)
			return false;
		r = poll(&p, 1, deadline ? (int)left + 1 : -1);
		if (r > 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

/* Connected, the agent's hello taken: the socket, or -1 + @err. */
static int agent_open(const char *sock, double timeout_s, struct cl_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	double deadline = now_ms() + timeout_s * 1000;
	char line[64], type;
	size_t n = 0, len;
	uint32_t v = htole32(CL_AGENT_VERSION);
	int fd;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return cl_fail(err, ENAMETOOLONG, "the micro-VM's vsock socket %s", sock);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	/* non-blocking: a VMM that does not accept (its backlog full) is no
	 * agent, not a wait without end */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (fd >= 0 && errno == EAGAIN)
			goto gone;
		cl_fail(err, errno, "cannot reach the micro-VM's vsock socket %s", sock);
		goto fail;
	}
	/* then blocking, each read and write bounded: a guest that sends half
	 * a frame cannot hold us */
	{
		struct timeval tv = {
		    .tv_sec = (time_t)timeout_s,
		    .tv_usec = (suseconds_t)((timeout_s - (double)(time_t)timeout_s) * 1e6)};
		int fl = fcntl(fd, F_GETFL);

		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
		    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
			cl_fail(err, errno, "cannot set up the socket to the guest agent");
			goto fail;
		}
	}
	if (dprintf(fd, "CONNECT %u\n", CL_AGENT_PORT) < 0)
		goto gone;
	/* "OK <port>\n", a byte at a time: nothing of the stream after it */
	while (n < sizeof(line) - 1) {
		ssize_t r;

		if (!readable(fd, deadline))
			goto gone;
		r = read(fd, line + n, 1);
		if (r <= 0)
			goto gone;
		if (line[n++] == '\n')
			break;
	}
	line[n] = 0;
	if (strncmp(line, "OK ", 3) || line[n - 1] != '\n')
		goto gone;
	if (cl_agent_send(fd, 'H', &v, sizeof(v)) < 0 || !readable(fd, deadline) ||
	    cl_agent_recv(fd, &type, &v, sizeof(v), &len, err) < 0)
		goto gone;
	if (type != 'H' || len != 4 || le32toh(v) != CL_AGENT_VERSION) {
		cl_fail(err, 0, "the guest agent speaks another protocol (version %u, not %u)",
			le32toh(v), CL_AGENT_VERSION);
		goto fail;
	}
	return fd;
gone:
	cl_fail(err, 0,
		"the micro-VM's guest agent does not answer (cloison-init's agent listens on "
		"vsock port %u once the VM's command started)",
		CL_AGENT_PORT);
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

/* One request answered by 'X': the VM's own command signalled, the
 * console resized. */
static int request_x(const char *sock, char type, const void *p, size_t len, double timeout_s,
		     const char *what, struct cl_err *err)
{
	int32_t st;
	size_t n;
	char t;
	int fd = agent_open(sock, timeout_s, err), r = -1;

	if (fd < 0)
		return -1;
	if (cl_agent_send(fd, type, p, len) == 0 && readable(fd, now_ms() + timeout_s * 1000) &&
	    cl_agent_recv(fd, &t, &st, sizeof(st), &n, err) == 0 && t == 'X')
		r = 0;
	else if (!err->msg[0])
		cl_fail(err, 0, "the guest agent did not take the %s", what);
	close(fd);
	return r;
}

int cl_agent_signal(const char *sock, int sig, double timeout_s, struct cl_err *err)
{
	uint32_t s = htole32((uint32_t)sig);

	return request_x(sock, 'K', &s, sizeof(s), timeout_s, "signal", err);
}

int cl_agent_console_size(const char *sock, unsigned rows, unsigned cols, double timeout_s,
			  struct cl_err *err)
{
	uint16_t rc[2] = {htole16((uint16_t)rows), htole16((uint16_t)cols)};

	return request_x(sock, 'W', rc, sizeof(rc), timeout_s, "window size", err);
}

int cl_agent_stats(const char *sock, struct cl_guest_stats *g, double timeout_s, struct cl_err *err)
{
	char buf[1024], type;
	size_t len;
	int fd = agent_open(sock, timeout_s, err), r = -1;

	memset(g, 0, sizeof(*g));
	if (fd < 0)
		return -1;
	if (cl_agent_send(fd, 'T', NULL, 0) == 0 && readable(fd, now_ms() + timeout_s * 1000) &&
	    cl_agent_recv(fd, &type, buf, sizeof(buf) - 1, &len, err) == 0 && type == 'T') {
		char *save = NULL;

		buf[len] = 0;
		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			long long k;
			double d;

			/* figures a guest chose: bounded, finite */
			bool kib = sscanf(l, "%*s %lld", &k) == 1 && k >= 0 && k < (1LL << 40);
			bool fin =
			    sscanf(l, "%*s %lf", &d) == 1 && isfinite(d) && d >= 0 && d < 1e9;

			if (kib && !strncmp(l, "mem_total ", 10))
				g->mem_total = k * 1024;
			else if (kib && !strncmp(l, "mem_available ", 14))
				g->mem_available = k * 1024;
			else if (fin && !strncmp(l, "load1 ", 6))
				g->load[0] = d;
			else if (fin && !strncmp(l, "load5 ", 6))
				g->load[1] = d;
			else if (fin && !strncmp(l, "load15 ", 7))
				g->load[2] = d;
			else if (sscanf(l, "procs %lld", &k) == 1 && k >= 0 && k < 1 << 30)
				g->procs = (unsigned)k;
		}
		if (g->mem_available > g->mem_total)
			g->mem_available = g->mem_total;
		r = g->mem_total > 0 ? 0
				     : cl_fail(err, 0, "the guest agent sent no memory figures");
	} else if (!err->msg[0]) {
		cl_fail(err, 0, "the guest agent sent no stats");
	}
	close(fd);
	return r;
}

/* Frames from the agent until 'X' or 'F'. */
static int take(int fd, int *status, bool *done, struct cl_err *err)
{
	static uint8_t buf[CL_AGENT_FRAME_MAX];
	size_t len;
	char type;

	if (cl_agent_recv(fd, &type, buf, sizeof(buf), &len, err) < 0)
		return -1;
	switch (type) {
	case 'O':
	case 'R': {
		int out = type == 'O' ? STDOUT_FILENO : STDERR_FILENO;

		for (size_t off = 0; off < len;) {
			ssize_t w = write(out, buf + off, len - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break; /* our output is gone: the rest is dropped */
			off += (size_t)w;
		}
		return 0;
	}
	case 'X':
		if (len != 4)
			break;
		{
			int32_t st;

			memcpy(&st, buf, 4);
			st = (int32_t)le32toh((uint32_t)st);
			if (st < 0 || st > 255)
				break;
			*status = st;
			*done = true;
			return 0;
		}
	case 'F':
		cl_fail(err, 0, "in the micro-VM: %.*s", (int)(len < 400 ? len : 400), buf);
		err->exit_code = CL_EXIT_NOTFOUND;
		if (memmem(buf, len, "Permission denied", 17))
			err->exit_code = CL_EXIT_NOEXEC;
		return -1;
	default: break;
	}
	return cl_fail(err, 0, "the guest agent sent a frame it may not ('%c', %zu bytes)",
		       type >= 32 && type < 127 ? type : '?', len);
}

/* exec -t: the window size of our terminal, as a 'W' frame's payload. */
static bool winsize(uint16_t rc[2])
{
	struct winsize w;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &w) < 0 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) < 0)
		return false;
	rc[0] = htole16(w.ws_row);
	rc[1] = htole16(w.ws_col);
	return true;
}

int cl_agent_exec(const char *sock, const struct cl_spec *s, bool interactive, bool tty,
		  int *status, struct cl_err *err)
{
	static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	struct termios saved, raw;
	bool restore = false;
	uint16_t rc[2] = {0, 0};
	struct cl_guest_spec g;
	char *req = NULL;
	size_t rlen;
	sigset_t set, old;
	int fd, sfd = -1, r = -1;
	bool done = false, in_open;
	/* stdin as an 'I' frame on its way, written as the socket takes it:
	 * the agent's output is read meanwhile, so neither side waits on the
	 * other's full buffer */
	static uint8_t inbuf[5 + 65536];
	size_t inlen = 0, inoff = 0;

	/* what exec's command needs, nothing of the VM's boot */
	g = (struct cl_guest_spec){
	    .argv = s->argv, .env = s->env, .cwd = s->cwd, .uid = s->uid, .gid = s->gid};
	if (tty) {
		interactive = true; /* a terminal's keys go to the command */
		g.tty = true;
		if (winsize(rc)) {
			g.rows = le16toh(rc[0]);
			g.cols = le16toh(rc[1]);
		}
	}
	if (cl_guest_spec_encode(&g, &req, &rlen, err) < 0)
		return -1;
	in_open = interactive;
	fd = agent_open(sock, 10, err);
	if (fd < 0) {
		free(req);
		return -1;
	}
	if (cl_agent_send(fd, 'E', req, rlen) < 0 ||
	    (!in_open && cl_agent_send(fd, 'C', NULL, 0) < 0)) {
		cl_fail(err, errno, "cannot talk to the guest agent");
		goto out;
	}
	/* -t: our terminal raw, the guest's pty does the line discipline */
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	/* the signals a user sends exec go to the command in the guest */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(&set, fwd[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	while (!done) {
		struct pollfd pf[3] = {
		    {.fd = fd, .events = (short)(POLLIN | (inlen ? POLLOUT : 0))},
		    {.fd = in_open && !inlen ? STDIN_FILENO : -1, .events = POLLIN},
		    {.fd = sfd, .events = POLLIN}};

		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			cl_fail(err, errno, "poll");
			goto out_sig;
		}
		if ((pf[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    take(fd, status, &done, err) < 0)
			goto out_sig;
		if (inlen && (pf[0].revents & POLLOUT)) {
			ssize_t w =
			    send(fd, inbuf + inoff, inlen - inoff, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0 && (inoff += (size_t)w) == inlen)
				inlen = inoff = 0;
			if (w < 0 && errno != EAGAIN && errno != EINTR)
				in_open = false, inlen = inoff = 0;
		}
		if (pf[1].revents) {
			ssize_t n = read(STDIN_FILENO, inbuf + 5, sizeof(inbuf) - 5);

			if (n > 0) { /* an 'I' frame: length (type and data), type, data */
				uint32_t l = htole32((uint32_t)n + 1);

				memcpy(inbuf, &l, 4);
				inbuf[4] = 'I';
				inlen = 5 + (size_t)n;
				inoff = 0;
			}
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
				in_open = false;
				cl_agent_send(fd, 'C', NULL, 0);
			}
		}
		if (sfd >= 0 && pf[2].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGWINCH) {
				if (tty && winsize(rc))
					cl_agent_send(fd, 'W', rc, sizeof(rc));
			} else if (si.ssi_signo) {
				uint32_t sig = htole32(si.ssi_signo);

				cl_agent_send(fd, 'K', &sig, sizeof(sig));
			}
		}
	}
	r = 0;
out_sig:
	if (sfd >= 0)
		close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
out:
	free(req);
	close(fd);
	return r;
}
