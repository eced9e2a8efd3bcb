#include "guest/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

#include "vm/ports.h"

static enum cl_report_mode mode = CL_REPORT_PORT;
static int report_fd = -1;
static int ports_ok;

int cl_guest_report_open(enum cl_report_mode m, const char *target, struct cl_err *err)
{
	char *end;
	long n;

	mode = m;
	switch (m) {
	case CL_REPORT_PORT:
		if (ioperm(CL_PORT_EXIT, 4, 1) < 0 || ioperm(CL_PORT_MARKER, 1, 1) < 0)
			return cl_fail(err, errno, "cannot get I/O ports %#x and %#x", CL_PORT_EXIT,
				       CL_PORT_MARKER);
		ports_ok = 1;
		return 0;
	case CL_REPORT_FILE:
		report_fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (report_fd < 0)
			return cl_fail(err, errno, "cannot open the status file %s", target);
		return 0;
	case CL_REPORT_FD:
		errno = 0;
		n = strtol(target, &end, 10);
		if (errno || !*target || *end || n < 0 || n > 65535)
			return cl_fail(err, EINVAL, "bad status fd '%s'", target);
		if (fcntl((int)n, F_GETFD) < 0)
			return cl_fail(err, errno, "status fd %ld", n);
		report_fd = (int)n;
		fcntl(report_fd, F_SETFD, FD_CLOEXEC);
		return 0;
	}
	return cl_fail(err, EINVAL, "bad report mode %d", (int)m);
}

int cl_guest_report_is_vm(void)
{
	return mode == CL_REPORT_PORT;
}

void cl_guest_marker(int marker)
{
	if (mode == CL_REPORT_PORT && ports_ok)
		outb((unsigned char)marker, CL_PORT_MARKER);
}

void cl_guest_report(int status)
{
	char buf[16];
	int n;

	status &= 0xff;
	if (mode == CL_REPORT_PORT) {
		if (ports_ok)
			outl((unsigned)status, CL_PORT_EXIT);
		return;
	}
	if (report_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "%d\n", status);
	if (write(report_fd, buf, n) != n)
		dprintf(STDERR_FILENO, "cloison-init: cannot write the status: %s\n",
			strerror(errno));
	fsync(report_fd);
}

void cl_guest_report_drop(void)
{
	if (ports_ok) {
		ioperm(CL_PORT_EXIT, 4, 0);
		ioperm(CL_PORT_MARKER, 1, 0);
	}
	if (report_fd >= 0)
		close(report_fd);
}
