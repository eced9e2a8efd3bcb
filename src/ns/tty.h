/* -t: a pseudo-terminal for the jail, relayed by the parent. */
#ifndef CL_NS_TTY_H
#define CL_NS_TTY_H

#include <stdbool.h>
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
/* Copies the window size of our stdin to the pty (SIGWINCH). */
void cl_tty_resize(struct cl_tty *t);
void cl_tty_close(struct cl_tty *t);

#endif
