/* A detached jail's log: what its command writes to stdout and stderr, one
 * record per line in the CRI format containerd and CRI-O write
 *   2026-12-03T14:37:07.123456789Z stdout F the line
 * (F: a full line; P: part of a longer one, continued by the next record),
 * kept in <state dir>/log and rotated by size to log.1 ... log.N-1. */
#ifndef CL_SVC_LOG_H
#define CL_SVC_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/error.h"

#define CL_LOG_LINE_MAX 8192 /* longer lines are split into P records */

struct cl_log {
	int dir_fd; /* the state directory (borrowed) */
	int fd;
	uint64_t size, max_size;
	unsigned max_files;
	char part[2][CL_LOG_LINE_MAX]; /* a line not ended yet, per stream */
	size_t part_len[2];
};

enum { CL_LOG_STDOUT = 0, CL_LOG_STDERR = 1 };

int cl_log_open(struct cl_log *l, int dir_fd, uint64_t max_size, unsigned max_files,
		struct cl_err *err);
/* Appends what @stream wrote; whole lines are written at once. */
void cl_log_write(struct cl_log *l, int stream, const char *buf, size_t n);
/* A line left unfinished is written as it is (the command ended). */
void cl_log_flush(struct cl_log *l);
void cl_log_close(struct cl_log *l);
/* Appends one line of cloison's own to the log (restarts, exits). */
void cl_log_note(struct cl_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reading, for `cloison logs`. */
struct cl_log_query {
	long tail;	 /* the last N lines only; -1: all */
	char since[40];	 /* records at or after this timestamp ("" all) */
	bool timestamps; /* print each line's timestamp */
	bool follow;	 /* then wait for more until @alive returns false */
	bool (*alive)(void *data);
	void *data;
};
/* @when: RFC 3339 ("2026-12-03T14:00:00Z", a date), seconds since the
 * epoch, or a duration before now ("90s", "10m", "1h30m"); written to @out
 * as a log timestamp to compare with. */
int cl_log_parse_since(const char *when, char *out, size_t len, struct cl_err *err);
/* Prints the log of the state directory @dir_fd: stdout records to stdout,
 * stderr ones to stderr. */
int cl_log_print(int dir_fd, const struct cl_log_query *q, struct cl_err *err);

#endif
