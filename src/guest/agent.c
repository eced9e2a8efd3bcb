/* The guest agent (agent_proto.h): a child of cloison-init in a micro-VM
 * that listens on vsock port CL_AGENT_PORT and, one connection at a time
 * each in a process of its own, runs a command for `cloison exec` (its
 * stdio relayed in frames, its signals passed on, its status reported) or
 * signals the VM's own command for `cloison stop`.  Without a vsock device
 * it simply ends.  What the host sends is checked (frame lengths, the
 * spec's records) and a connection that breaks a rule is closed. */
#include "guest/agent.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "guest/agent_proto.h"
#include "guest/spec.h"

extern char **environ;

#define IN_MAX (4u << 20) /* stdin bytes waiting for the command */

/* A 'W' frame's payload: u16 rows, u16 cols, little-endian. */
static struct winsize winsize_of(const uint8_t *b)
{
	uint16_t rc[2];

	memcpy(rc, b, sizeof(rc));
	return (struct winsize){.ws_row = le16toh(rc[0]), .ws_col = le16toh(rc[1])};
}

static void fail(int c, const char *msg)
{
	cl_agent_send(c, 'F', msg, strlen(msg));
}

/* In the child: the command, on the three pipes.  Never returns. */
static __attribute__((noreturn)) void child(const struct cl_guest_spec *g, int in, int out,
					    int errfd, int report)
{
	int e;

	setsid();
	if (g->tty)
		ioctl(in, TIOCSCTTY, 0); /* the pty: its controlling terminal */
	dup2(in, 0);
	dup2(out, 1);
	dup2(errfd, 2);
	if (getuid() == 0 && (setgroups(0, NULL) < 0 || setgid(g->gid) < 0 || setuid(g->uid) < 0))
		goto bad;
	if (chdir(g->cwd ? g->cwd : "/") < 0)
		goto bad;
	environ = g->env;
	signal(SIGPIPE, SIG_DFL);
	execvp(g->argv[0], g->argv);
bad:
	e = errno;
	(void)!write(report, &e, sizeof(e));
	_exit(e == ENOENT || e == ENOTDIR ? CL_EXIT_NOTFOUND : CL_EXIT_NOEXEC);
}

/* One exec: relay until the command's stdout and stderr end, then its status. */
static void run_exec(int c, const uint8_t *req, size_t len)
{
	struct cl_guest_spec g;
	struct cl_err err = {0};
	int in[2], out[2], er[2], rep[2], e = 0, ws = 0;
	uint8_t *inbuf = NULL, buf[65536];
	size_t inlen = 0;
	bool in_closing = false, out_open = true, err_open = true, c_open = true;
	pid_t pid;

	if (cl_guest_spec_decode((const char *)req, len, &g, &err) < 0) {
		fail(c, err.msg);
		return;
	}
	if (g.tty) {
		/* -t: a pseudo-terminal of the host's size, all three on it */
		struct winsize wsz = {.ws_row = (unsigned short)g.rows,
				      .ws_col = (unsigned short)g.cols};
		char name[64];
		int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s = -1;

		if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 ||
		    ptsname_r(m, name, sizeof(name)) != 0 ||
		    (s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 ||
		    (in[1] = fcntl(m, F_DUPFD_CLOEXEC, 3)) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
			fail(c, "agent: cannot make a pseudo-terminal");
			return;
		}
		if (wsz.ws_row && wsz.ws_col)
			ioctl(m, TIOCSWINSZ, &wsz);
		in[0] = out[1] = er[1] = s;
		out[0] = m;
		er[0] = -1;
		err_open = false;
	} else if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
		   pipe2(er, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
		fail(c, "agent: cannot make pipes");
		return;
	}
	signal(SIGCHLD, SIG_DFL);
	pid = fork();
	if (pid < 0) {
		fail(c, "agent: cannot fork");
		return;
	}
	if (pid == 0)
		child(&g, in[0], out[1], er[1], rep[1]);
	close(in[0]);
	if (!g.tty) { /* with -t, the same pty end */
		close(out[1]);
		close(er[1]);
	}
	close(rep[1]);
	if (read(rep[0], &e, sizeof(e)) == sizeof(e)) {
		char msg[300];

		snprintf(msg, sizeof(msg), "cannot run '%s': %s", g.argv[0], strerror(e));
		waitpid(pid, &ws, 0);
		fail(c, msg);
		return;
	}
	close(rep[0]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	while (out_open || err_open) {
		struct pollfd pf[4] = {{.fd = out_open ? out[0] : -1, .events = POLLIN},
				       {.fd = err_open ? er[0] : -1, .events = POLLIN},
				       /* more stdin only once what came is taken */
				       {.fd = c_open && !inlen ? c : -1, .events = POLLIN},
				       {.fd = inlen ? in[1] : -1, .events = POLLOUT}};

		if (poll(pf, 4, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (!pf[i].revents)
				continue;
			n = read(i ? er[0] : out[0], buf, sizeof(buf));
			if (n > 0 && cl_agent_send(c, i ? 'R' : 'O', buf, (size_t)n) == 0)
				continue;
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			*(i ? &err_open : &out_open) = false; /* EOF, or EIO: the pty's end */
		}
		if (pf[3].revents) {
			ssize_t w = write(in[1], inbuf, inlen);

			if (w > 0) {
				memmove(inbuf, inbuf + w, inlen - (size_t)w);
				inlen -= (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				inlen = 0; /* it closed its stdin */
			}
		}
		if (in_closing && !inlen && in[1] >= 0) {
			close(in[1]);
			in[1] = -1;
		}
		if (pf[2].revents) {
			char type;
			size_t n;

			if (cl_agent_recv(c, &type, buf, sizeof(buf), &n, &err) < 0) {
				/* the host went away: so does the command */
				c_open = false;
				kill(-pid, SIGKILL);
				continue;
			}
			if (type == 'I' && !in_closing) {
				uint8_t *nb = realloc(inbuf, inlen + n);

				if (!nb || inlen + n > IN_MAX) {
					free(nb ? nb : inbuf);
					inbuf = NULL;
					inlen = 0;
					kill(-pid, SIGKILL);
					c_open = false;
					continue;
				}
				inbuf = nb;
				memcpy(inbuf + inlen, buf, n);
				inlen += n;
			} else if (type == 'C') {
				in_closing = true;
				if (!inlen && in[1] >= 0) {
					close(in[1]);
					in[1] = -1;
				}
			} else if (type == 'W' && n == 4 && g.tty) {
				struct winsize wsz = winsize_of(buf);

				ioctl(out[0], TIOCSWINSZ, &wsz); /* SIGWINCH to its group */
			} else if (type == 'K' && n == 4) {
				uint32_t sig;

				memcpy(&sig, buf, 4);
				sig = le32toh(sig);
				if (sig > 0 && sig < 65)
					kill(pid, (int)sig);
			}
		}
	}
	free(inbuf);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	{
		int32_t st = (int32_t)htole32((uint32_t)cl_exit_status(ws));

		cl_agent_send(c, 'X', &st, sizeof(st));
	}
	cl_guest_spec_free(&g);
}

/* The guest's own view: memory and load, for cloison stats. */
static void send_stats(int c)
{
	char out[512], line[256];
	unsigned long long total = 0, avail = 0;
	double l1 = 0, l5 = 0, l15 = 0;
	unsigned running = 0, procs = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "MemTotal: %llu kB", &total);
		sscanf(line, "MemAvailable: %llu kB", &avail);
	}
	if (f)
		fclose(f);
	f = fopen("/proc/loadavg", "re");
	if (f) {
		if (fscanf(f, "%lf %lf %lf %u/%u", &l1, &l5, &l15, &running, &procs) != 5)
			procs = 0;
		fclose(f);
	}
	snprintf(out, sizeof(out),
		 "mem_total %llu\nmem_available %llu\nload1 %.2f\nload5 %.2f\nload15 %.2f\n"
		 "procs %u\n",
		 total, avail, l1, l5, l15, procs);
	cl_agent_send(c, 'T', out, strlen(out));
}

static void serve(int c, pid_t cmd)
{
	static uint8_t buf[CL_AGENT_FRAME_MAX];
	struct cl_err err = {0};
	uint32_t v;
	size_t len;
	char type;

	if (cl_agent_recv(c, &type, buf, sizeof(buf), &len, &err) < 0 || type != 'H' || len != 4)
		return;
	v = htole32(CL_AGENT_VERSION);
	if (cl_agent_send(c, 'H', &v, sizeof(v)) < 0 ||
	    cl_agent_recv(c, &type, buf, sizeof(buf), &len, &err) < 0)
		return;
	if (type == 'K' && len == 4) {
		int32_t zero = 0;

		memcpy(&v, buf, 4);
		v = le32toh(v);
		if (v > 0 && v < 65 && cmd > 0)
			kill(cmd, (int)v);
		cl_agent_send(c, 'X', &zero, sizeof(zero));
		return;
	}
	if (type == 'T' && len == 0) {
		send_stats(c);
		return;
	}
	if (type == 'W' && len == 4) {
		/* run --vm -t: the console is the command's terminal; its new
		 * size makes the kernel send SIGWINCH to its foreground group */
		int32_t zero = 0;
		struct winsize wsz = winsize_of(buf);

		/* init's standard input, which we inherited, is the console
		 * (the root's /dev may have no console node) */
		if (ioctl(STDIN_FILENO, TIOCSWINSZ, &wsz) < 0) {
			int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);

			if (fd >= 0) {
				(void)ioctl(fd, TIOCSWINSZ, &wsz);
				close(fd);
			}
		}
		cl_agent_send(c, 'X', &zero, sizeof(zero));
		return;
	}
	if (type != 'E') {
		fail(c,
		     "agent: expected exec ('E'), signal ('K'), window size ('W') or stats ('T')");
		return;
	}
	run_exec(c, buf, len);
}

pid_t cl_guest_agent_start(pid_t cmd)
{
	struct sockaddr_vm sa = {
	    .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = CL_AGENT_PORT};
	sigset_t none;
	pid_t pid = fork();
	int l;

	if (pid != 0)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* the connections' processes reap themselves */
	l = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 8) < 0)
		_exit(0); /* no vsock device: no agent */
	for (;;) {
		struct sockaddr_vm peer = {0};
		socklen_t pl = sizeof(peer);
		int c = accept4(l, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
		pid_t h;

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		/* the host only: a guest user reaching this port over a
		 * loopback transport must not exec as root */
		if (peer.svm_family != AF_VSOCK || peer.svm_cid != VMADDR_CID_HOST) {
			close(c);
			continue;
		}
		h = fork();
		if (h == 0) {
			close(l);
			serve(c, cmd);
			_exit(0);
		}
		close(c);
	}
}
