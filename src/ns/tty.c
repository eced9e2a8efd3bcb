#include "ns/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

int cl_tty_open(struct cl_tty *t, struct cl_err *err)
{
	t->master = t->slave = -1;
	t->raw = false;
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->master < 0)
		return cl_fail(err, errno, "cannot open a pseudo-terminal");
	if (grantpt(t->master) < 0 || unlockpt(t->master) < 0 ||
	    ptsname_r(t->master, t->name, sizeof(t->name)) != 0) {
		cl_fail(err, errno, "cannot unlock the pseudo-terminal");
		cl_tty_close(t);
		return -1;
	}
	t->slave = open(t->name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave < 0) {
		cl_fail(err, errno, "cannot open %s", t->name);
		cl_tty_close(t);
		return -1;
	}
	cl_tty_resize(t);
	cl_tty_raw(t);
	return 0;
}

void cl_tty_raw(struct cl_tty *t)
{
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
		struct termios raw = t->saved;
		cfmakeraw(&raw);
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
			t->raw = true;
	}
}

ssize_t cl_fd_copy(int from, int to, bool *eof, bool *broken)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			*eof = true;
		return n;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*broken = true;
			return n;
		}
		off += w;
	}
	return n;
}

ssize_t cl_tty_copy(int from, int to, bool *eof)
{
	bool broken;

	return cl_fd_copy(from, to, eof, &broken);
}

void cl_tty_resize(struct cl_tty *t)
{
	struct winsize ws;

	if (t->master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
}

void cl_tty_close(struct cl_tty *t)
{
	if (t->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
	t->raw = false;
	if (t->master >= 0)
		close(t->master);
	if (t->slave >= 0)
		close(t->slave);
	t->master = t->slave = -1;
}

void cl_tty_pump(struct cl_tty *t, bool out_ready, bool in_ready, bool *out_eof, bool *in_eof)
{
	if (out_ready)
		cl_tty_copy(t->master, STDOUT_FILENO, out_eof);
	if (in_ready) {
		cl_tty_copy(STDIN_FILENO, t->master, in_eof);
		if (*in_eof)
			(void)!write(t->master, "\x04", 1); /* EOF for the jail's tty */
	}
}
