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

/* A message may quote what a user or a jail wrote (a hostname, a path, a
 * profile line): control characters and bytes above 0x7e are written as
 * \xHH, so that none reaches the terminal raw (escape sequences). */
static void put_escaped(const char *prefix, const char *msg)
{
	char out[4 * CL_ERR_MSG_MAX + 64];
	size_t o = (size_t)snprintf(out, sizeof(out), "%s", prefix);

	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 6 < sizeof(out); p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '\\')
			o += (size_t)snprintf(out + o, sizeof(out) - o,
					      *p == '\\' ? "\\\\" : "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o++] = '\n';
	(void)!write(STDERR_FILENO, out, o);
}

void cl_err_print(const struct cl_err *e)
{
	char msg[CL_ERR_MSG_MAX];

	/* terminated whatever filled it (a child, a jailed VMM) */
	snprintf(msg, sizeof(msg), "%.*s", (int)sizeof(e->msg) - 1, e->msg);
	put_escaped("cloison: ", msg[0] ? msg : "unknown error");
}

void cl_warn(const char *fmt, ...)
{
	char buf[CL_ERR_MSG_MAX];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_escaped("cloison: warning: ", buf);
	errno = saved;
}
