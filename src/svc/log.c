/* A detached jail's log (svc/log.h). */
#include "svc/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define MAX_ROTATED 64

static const char *const stream_name[] = {"stdout", "stderr"};

static void stamp(char *buf, size_t len, const struct timespec *ts)
{
	struct tm tm;

	gmtime_r(&ts->tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09ldZ", ts->tv_nsec);
}

static void rotated_name(char *buf, size_t len, unsigned i)
{
	if (i == 0)
		snprintf(buf, len, "log");
	else
		snprintf(buf, len, "log.%u", i);
}

static int reopen(struct cl_log *l, struct cl_err *err)
{
	struct stat st;

	if (l->fd >= 0)
		close(l->fd);
	l->fd =
	    openat(l->dir_fd, "log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (l->fd < 0)
		return err ? cl_fail(err, errno, "cannot open the jail's log") : -1;
	l->size = fstat(l->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

/* log -> log.1 -> ... -> log.N-1; the oldest is dropped. */
static void rotate(struct cl_log *l)
{
	char from[32], to[32];

	if (l->max_files <= 1) {
		if (ftruncate(l->fd, 0) == 0)
			l->size = 0;
		return;
	}
	for (unsigned i = l->max_files - 1; i > 0; i--) {
		rotated_name(from, sizeof(from), i - 1);
		rotated_name(to, sizeof(to), i);
		renameat(l->dir_fd, from, l->dir_fd, to);
	}
	reopen(l, NULL);
}

int cl_log_open(struct cl_log *l, int dir_fd, uint64_t max_size, unsigned max_files,
		struct cl_err *err)
{
	*l = (struct cl_log){.dir_fd = dir_fd,
			     .fd = -1,
			     .max_size = max_size,
			     .max_files = max_files ? max_files : 1};
	return reopen(l, err);
}

static void record(struct cl_log *l, const char *stream, char tag, const char *line, size_t n)
{
	char head[64];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	stamp(head, sizeof(head) - 16, &ts);
	size_t hn = strlen(head);
	hn += (size_t)snprintf(head + hn, sizeof(head) - hn, " %s %c ", stream, tag);
	if (l->fd < 0)
		return;
	if (l->max_size && l->size && l->size + hn + n + 1 > l->max_size)
		rotate(l);
	struct iovec iov[3] = {{head, hn}, {(void *)line, n}, {"\n", 1}};
	ssize_t w = writev(l->fd, iov, 3);
	if (w > 0)
		l->size += (uint64_t)w;
}

void cl_log_write(struct cl_log *l, int stream, const char *buf, size_t n)
{
	char *part = l->part[stream];
	size_t *plen = &l->part_len[stream];

	while (n > 0) {
		const char *nl = memchr(buf, '\n', n);
		size_t take = nl ? (size_t)(nl - buf) : n;

		if (*plen + take >= CL_LOG_LINE_MAX) {
			/* too long for one record: what fits goes out as a part */
			size_t fit = CL_LOG_LINE_MAX - *plen;
			memcpy(part + *plen, buf, fit);
			record(l, stream_name[stream], 'P', part, CL_LOG_LINE_MAX);
			*plen = 0;
			buf += fit;
			n -= fit;
			continue;
		}
		memcpy(part + *plen, buf, take);
		*plen += take;
		if (!nl)
			return;
		/* a terminal ends its lines with CR LF: one line, not a CR in it */
		if (*plen && part[*plen - 1] == '\r')
			(*plen)--;
		record(l, stream_name[stream], 'F', part, *plen);
		*plen = 0;
		buf += take + 1;
		n -= take + 1;
	}
}

void cl_log_flush(struct cl_log *l)
{
	for (int s = 0; s < 2; s++)
		if (l->part_len[s]) {
			record(l, stream_name[s], 'F', l->part[s], l->part_len[s]);
			l->part_len[s] = 0;
		}
}

void cl_log_note(struct cl_log *l, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		record(l, "stderr", 'F', line,
		       (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void cl_log_close(struct cl_log *l)
{
	cl_log_flush(l);
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

int cl_log_parse_since(const char *when, char *out, size_t len, struct cl_err *err)
{
	struct timespec ts = {0};
	struct tm tm = {0};
	char *end;

	if (!*when)
		return cl_fail(err, 0, "--since: a time is needed");
	/* a duration before now: 90s, 10m, 1h30m, 2d */
	const char *p = when;
	long long secs = 0;
	bool duration = true;
	while (*p) {
		long long v = strtoll(p, &end, 10);
		if (end == p || v < 0)
			break;
		int mul = *end == 's'	? 1
			  : *end == 'm' ? 60
			  : *end == 'h' ? 3600
			  : *end == 'd' ? 86400
					: 0;
		if (!mul) {
			duration = false;
			break;
		}
		secs += v * mul;
		p = end + 1;
	}
	if (duration && !*p) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec -= secs;
	} else if ((ts.tv_sec = strtoll(when, &end, 10), *end == '\0' || *end == '.')) {
		/* seconds since the epoch */
		if (*end == '.')
			ts.tv_nsec = (long)(strtod(end, NULL) * 1e9);
	} else {
		const char *rest = strptime(when, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!rest) {
			tm = (struct tm){0};
			rest = strptime(when, "%Y-%m-%d", &tm);
		}
		if (rest && *rest == '.') {
			ts.tv_nsec = (long)(strtod(rest, &end) * 1e9);
			rest = end;
		}
		if (!rest || (*rest && strcmp(rest, "Z")))
			return cl_fail(
			    err, 0,
			    "--since %s: not a time (RFC 3339 such as 2026-12-03T14:00:00Z, "
			    "a date, seconds since the epoch, or a duration such as 10m)",
			    when);
		ts.tv_sec = timegm(&tm);
	}
	stamp(out, len, &ts);
	return 0;
}

static void print_record(const struct cl_log_query *q, const char *r, size_t n)
{
	/* TS STREAM TAG TEXT */
	const char *sp1 = memchr(r, ' ', n);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - r)) : NULL;
	if (!sp2 || sp2 + 2 >= r + n + 1)
		return;
	if (q->since[0] && strncmp(r, q->since, (size_t)(sp1 - r)) < 0)
		return;
	FILE *out = !strncmp(sp1 + 1, "stderr", 6) ? stderr : stdout;
	char tag = sp2[1];
	const char *text = sp2 + 3 <= r + n ? sp2 + 3 : r + n;
	if (q->timestamps)
		fprintf(out, "%.*s ", (int)(sp1 - r), r);
	fwrite(text, 1, (size_t)(r + n - text), out);
	if (tag != 'P')
		fputc('\n', out);
	fflush(out);
}

/* Every whole line of @buf; returns how many bytes were used. */
static size_t print_lines(const struct cl_log_query *q, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		if (!nl)
			break;
		print_record(q, buf + off, (size_t)(nl - (buf + off)));
		off = (size_t)(nl - buf) + 1;
	}
	return off;
}

static int slurp(int dir_fd, const char *name, char **buf, size_t *len, struct cl_err *err)
{
	_cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT ? 0 : cl_fail(err, errno, "cannot open the log %s", name);
	if (fstat(fd, &st) < 0)
		return cl_fail(err, errno, "cannot read the log %s", name);
	char *nb = realloc(*buf, *len + (size_t)st.st_size + 1);
	if (!nb)
		return cl_fail(err, ENOMEM, "out of memory");
	*buf = nb;
	ssize_t n, got = 0;
	while (got < st.st_size && (n = read(fd, nb + *len + got, (size_t)(st.st_size - got))) > 0)
		got += n;
	*len += (size_t)got;
	return 0;
}

int cl_log_print(int dir_fd, const struct cl_log_query *q, struct cl_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, start = 0;
	char name[32];
	struct stat st;

	/* oldest first; the live log last, and where -f goes on reading */
	for (unsigned i = MAX_ROTATED; i > 0; i--) {
		rotated_name(name, sizeof(name), i);
		if (slurp(dir_fd, name, &buf, &len, err) < 0)
			return -1;
	}
	_cleanup_close_ int fd = openat(dir_fd, "log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0 && fstat(fd, &st) == 0) {
		char *nb = realloc(buf, len + (size_t)st.st_size + 1);
		if (!nb)
			return cl_fail(err, ENOMEM, "out of memory");
		buf = nb;
		ssize_t n;
		while ((n = read(fd, buf + len, (size_t)st.st_size)) > 0 &&
		       (size_t)n <= (size_t)st.st_size) {
			len += (size_t)n;
			st.st_size -= n;
		}
	}
	/* whole records only; --tail: the last N of them */
	size_t whole = len;
	while (whole > 0 && buf[whole - 1] != '\n')
		whole--;
	start = 0;
	if (q->tail >= 0) {
		start = whole;
		for (long lines = 0; start > 0 && lines < q->tail; lines++) {
			size_t b = start - 1; /* the newline ending the record before */
			while (b > 0 && buf[b - 1] != '\n')
				b--;
			start = b;
		}
	}
	print_lines(q, buf + start, whole - start);
	if (!q->follow || fd < 0)
		return 0;

	/* -f: the rest as it comes, across rotations, until the jail is gone */
	size_t pend = len - whole;
	memmove(buf, buf + whole, pend);
	struct stat now;
	bool last = false;
	fstat(fd, &st);
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			char *nb = realloc(buf, pend + (size_t)n + 1);
			if (!nb)
				return cl_fail(err, ENOMEM, "out of memory");
			buf = nb;
			memcpy(buf + pend, chunk, (size_t)n);
			pend += (size_t)n;
			size_t used = print_lines(q, buf, pend);
			memmove(buf, buf + used, pend - used);
			pend -= used;
			continue;
		}
		/* emptied in place (--log-max-files 1): from its start again */
		struct stat cur;
		off_t at = lseek(fd, 0, SEEK_CUR);
		if (fstat(fd, &cur) == 0 && at > cur.st_size) {
			lseek(fd, 0, SEEK_SET);
			continue;
		}
		/* rotated: go on in the new file once the old one is drained */
		if (fstatat(dir_fd, "log", &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_ino != st.st_ino) {
			int nfd = openat(dir_fd, "log", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				fstat(fd, &st);
				continue;
			}
		}
		if (last)
			return 0;
		/* gone: one more read for what it wrote last */
		if (!q->alive(q->data)) {
			last = true;
			continue;
		}
		usleep(100000);
	}
}
