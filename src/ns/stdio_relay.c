#include "ns/stdio_relay.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns/tty.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Our stdout and stderr are the same file (2>&1, a terminal). */
static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* A pipe whose end @ours is ours (non-blocking) and the other the command's. */
static int make_pipe(int *ours, int *theirs, bool to_command, struct cl_err *err)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return cl_fail(err, errno, "cannot create a pipe for the command's stdio");
	*ours = p[to_command ? 1 : 0];
	*theirs = p[to_command ? 0 : 1];
	fcntl(*ours, F_SETFL, O_NONBLOCK);
	return 0;
}

int cl_stdio_fill(struct cl_err *err)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return cl_fail(err, errno, "cannot open /dev/null as fd %d", fd);
	return 0;
}

int cl_stdio_relay_open(struct cl_stdio_relay *r, bool keep_stdin, struct cl_err *err)
{
	r->to_in = r->from[0] = r->from[1] = -1;
	r->child[0] = r->child[1] = r->child[2] = -1;
	r->off = r->len = 0;
	/* a closed 0, 1 or 2 of ours would be taken by a pipe below */
	if (cl_stdio_fill(err) < 0)
		return -1;
	r->merged = same_file(STDOUT_FILENO, STDERR_FILENO);
	if ((keep_stdin && make_pipe(&r->to_in, &r->child[0], true, err) < 0) ||
	    make_pipe(&r->from[0], &r->child[1], false, err) < 0 ||
	    (!r->merged && make_pipe(&r->from[1], &r->child[2], false, err) < 0)) {
		cl_stdio_relay_close(r);
		return -1;
	}
	return 0;
}

int cl_stdio_relay_child(struct cl_stdio_relay *r, struct cl_err *err)
{
	int theirs[3] = {r->child[0], r->child[1], r->merged ? r->child[1] : r->child[2]};

	/* all of them above 2 (cl_stdio_relay_open): none overwritten here */
	for (int fd = 0; fd < 3; fd++)
		if (theirs[fd] >= 0 && dup2(theirs[fd], fd) < 0)
			return cl_fail(err, errno, "cannot attach a pipe to fd %d", fd);
	cl_stdio_relay_close(r);
	return 0;
}

void cl_stdio_relay_started(struct cl_stdio_relay *r)
{
	for (int fd = 0; fd < 3; fd++)
		close_fd(&r->child[fd]);
}

void cl_stdio_relay_poll(const struct cl_stdio_relay *r, struct pollfd p[CL_STDIO_RELAY_NFDS])
{
	/* stdin is read once what was read of it is written */
	p[0] =
	    (struct pollfd){.fd = r->to_in >= 0 && !r->len ? STDIN_FILENO : -1, .events = POLLIN};
	p[1] = (struct pollfd){.fd = r->len ? r->to_in : -1, .events = POLLOUT};
	p[2] = (struct pollfd){.fd = r->from[0], .events = POLLIN};
	p[3] = (struct pollfd){.fd = r->from[1], .events = POLLIN};
}

/* Relays what is ready on the command's stdout or stderr @i; the end of
 * ours closes the pipe. */
static ssize_t pump_out(struct cl_stdio_relay *r, int i)
{
	bool eof = false, broken = false;
	ssize_t n = cl_fd_copy(r->from[i], i ? STDERR_FILENO : STDOUT_FILENO, &eof, &broken);

	if (eof || broken)
		close_fd(&r->from[i]);
	return n;
}

static void end_stdin(struct cl_stdio_relay *r)
{
	close_fd(&r->to_in);
	r->len = 0;
}

void cl_stdio_relay_pump(struct cl_stdio_relay *r, const struct pollfd p[CL_STDIO_RELAY_NFDS])
{
	if (p[0].revents && !r->len) {
		ssize_t n = read(STDIN_FILENO, r->buf, sizeof(r->buf));
		if (n > 0) {
			r->off = 0;
			r->len = (size_t)n;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			end_stdin(r); /* its end is the command's */
		}
	}
	/* right away when it fits: the pipe is seldom full */
	if (r->len) {
		ssize_t w = write(r->to_in, r->buf + r->off, r->len);
		if (w > 0) {
			r->off += (size_t)w;
			r->len -= (size_t)w;
		} else if (w < 0 && errno != EINTR && errno != EAGAIN) {
			end_stdin(r); /* the command closed its stdin */
		}
	}
	for (int i = 0; i < 2; i++)
		if (p[2 + i].revents)
			pump_out(r, i);
}

void cl_stdio_relay_drain(struct cl_stdio_relay *r)
{
	for (int i = 0; i < 2; i++) {
		int queued = 0;
		if (r->from[i] < 0 || ioctl(r->from[i], FIONREAD, &queued) < 0)
			continue;
		while (queued > 0 && r->from[i] >= 0) {
			ssize_t n = pump_out(r, i);
			if (n <= 0)
				break;
			queued -= (int)n;
		}
	}
}

void cl_stdio_relay_close(struct cl_stdio_relay *r)
{
	close_fd(&r->to_in);
	for (int i = 0; i < 2; i++)
		close_fd(&r->from[i]);
	for (int fd = 0; fd < 3; fd++)
		close_fd(&r->child[fd]);
}
