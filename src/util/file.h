/* Reading a whole file. */
#ifndef CL_FILE_H
#define CL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Reads the regular file @path (at most @max bytes) into a malloc'ed buffer
 * with one spare byte after the end; errors read "cannot read <what> <path>". */
int cl_read_file(const char *path, const char *what, size_t max, uint8_t **buf, size_t *len,
		 struct cl_err *err);

/* Shows the process as @title in ps and pgrep -f rather than as a copy of
 * cloison's command line (overwrites the argument area /proc/PID/cmdline
 * reads; a title longer than that area is cut). */
void cl_set_title(const char *title);

/* A long-lived idle process (a detached jail's monitor) gives back the
 * pages of program and library code and constants it touched while it set
 * things up: the file-backed mappings it never wrote to (MADV_DONTNEED:
 * re-read from the file on the next touch, so only what it still runs comes
 * back), and the heap's free memory. */
void cl_trim_memory(void);

#endif
