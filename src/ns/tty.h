/* -t: a pseudo-terminal for the jail, relayed by the parent. */
#ifndef CL_NS_TTY_H
#define CL_NS_TTY_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "util/error.h"

struct cl_tty {
	int master, slave;
	char name[64]; /* the slave's path, for the child to open in its mount ns */
	bool raw;      /* we put our stdin in raw mode and must restore it */
	struct termios saved;
};

/* Opens a pty pair sized like our stdin, and puts stdin in raw mode when it
 * is a terminal. */
int cl_tty_open(struct cl_tty *t, struct cl_err *err);
/* Puts our stdin in raw mode when it is a terminal (restored on close). */
void cl_tty_raw(struct cl_tty *t);
/* Relays what is readable on @from to @to; sets *@eof once @from ends.
 * Returns what read(2) did: > 0 while there was something. */
ssize_t cl_tty_copy(int from, int to, bool *eof);
/* The same, setting *@broken when @to takes no more (what was read is lost). */
ssize_t cl_fd_copy(int from, int to, bool *eof, bool *broken);
/* One round of the relay, for what poll(2) found ready: the jail's output
 * to our stdout, our stdin to the jail (^D once it ends). */
void cl_tty_pump(struct cl_tty *t, bool out_ready, bool in_ready, bool *out_eof, bool *in_eof);
/* Copies the window size of our stdin to the pty (SIGWINCH). */
void cl_tty_resize(struct cl_tty *t);
void cl_tty_close(struct cl_tty *t);

#endif
