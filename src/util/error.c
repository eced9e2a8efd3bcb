#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int vfail(struct cl_err *e, int code, int errnum, const char *fmt, va_list ap)
{
	int n;

	if (!e)
		return -1;
	e->errnum = errnum;
	e->exit_code = code;
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (n < 0)
		n = 0;
	if (errnum && (size_t)n < sizeof(e->msg))
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(errnum));
	return -1;
}

int cl_fail(struct cl_err *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, CL_EXIT_FAILURE, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int cl_fail_code(struct cl_err *e, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(e, code, errnum, fmt, ap);
	va_end(ap);
	return -1;
}

int cl_wrap(struct cl_err *e, const char *fmt, ...)
{
	char prefix[CL_ERR_MSG_MAX], old[CL_ERR_MSG_MAX];
	va_list ap;

	if (!e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	size_t n = strnlen(prefix, sizeof(e->msg) - 1);
	memcpy(e->msg, prefix, n);
	if (n + 2 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 2);
		n += 2;
		size_t m = strnlen(old, sizeof(e->msg) - 1 - n);
		memcpy(e->msg + n, old, m);
		n += m;
	}
	e->msg[n] = '\0';
	return -1;
}

void cl_err_print(const struct cl_err *e)
{
	dprintf(STDERR_FILENO, "cloison: %s\n", e->msg[0] ? e->msg : "unknown error");
}

void cl_warn(const char *fmt, ...)
{
	char buf[CL_ERR_MSG_MAX];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "cloison: warning: %s\n", buf);
	errno = saved;
}
