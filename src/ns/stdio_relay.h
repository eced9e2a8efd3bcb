/* Without -t: a command run in a jail (cloison exec) gets pipes for its
 * stdio, which the caller relays to and from its own stdin, stdout and
 * stderr.  The caller's own fds never reach the jail: once the command has
 * exec'd it is dumpable and runs as a jail's uid, so that any process of the
 * jail with that uid could open /proc/PID/fd/1 and keep the caller's file or
 * terminal for itself, after the exec too. */
#ifndef CL_NS_STDIO_RELAY_H
#define CL_NS_STDIO_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

struct cl_stdio_relay {
	int to_in;	 /* our end of the command's stdin (-i), -1 without or once ended */
	int from[2];	 /* our ends of its stdout and stderr, -1 without or once ended */
	int child[3];	 /* the command's ends, for its fds 0, 1, 2; -1: none */
	bool merged;	 /* our stdout and stderr are one file: one pipe for both keeps
			    their order */
	size_t off, len; /* what was read from our stdin, not yet written to @to_in */
	char buf[8192];
};

/* The poll(2) entries the relay needs, filled by cl_stdio_relay_poll. */
#define CL_STDIO_RELAY_NFDS 4

/* /dev/null on whichever of our fds 0, 1 and 2 is closed, before anything
 * else is opened there (and taken for our stdin, stdout or stderr). */
int cl_stdio_fill(struct cl_err *err);
/* The pipes: stdin only with @keep_stdin (otherwise the jail's /dev/null). */
int cl_stdio_relay_open(struct cl_stdio_relay *r, bool keep_stdin, struct cl_err *err);
/* In the command's process: its ends on fds 0, 1, 2 (all the others closed). */
int cl_stdio_relay_child(struct cl_stdio_relay *r, struct cl_err *err);
/* In the caller once the command's process holds its ends: closes ours of them. */
void cl_stdio_relay_started(struct cl_stdio_relay *r);
void cl_stdio_relay_poll(const struct cl_stdio_relay *r, struct pollfd p[CL_STDIO_RELAY_NFDS]);
/* One round, for what poll(2) found ready: the command's stdout and stderr to
 * ours (the end of ours makes the command's write fail with SIGPIPE, as it
 * would have without us); our stdin to the command's, closed at its end. */
void cl_stdio_relay_pump(struct cl_stdio_relay *r, const struct pollfd p[CL_STDIO_RELAY_NFDS]);
/* After the command's exit: what it left in its pipes, not what a process it
 * left behind (holding them open) writes later. */
void cl_stdio_relay_drain(struct cl_stdio_relay *r);
void cl_stdio_relay_close(struct cl_stdio_relay *r);

#endif
