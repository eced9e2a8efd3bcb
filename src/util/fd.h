/* Small fd helpers. */
#ifndef CL_UTIL_FD_H
#define CL_UTIL_FD_H

#include <fcntl.h>
#include <unistd.h>

/* Moves @fd to a CLOEXEC fd >= @min (closing the old one), so internal fds
 * never land in the range --preserve-fds hands to the jail; returns the new
 * fd, @fd itself when already there (or < 0), or -1. */
static inline int cl_fd_above(int fd, int min)
{
	int n;

	if (fd < 0 || fd >= min)
		return fd;
	n = fcntl(fd, F_DUPFD_CLOEXEC, min);
	close(fd);
	return n;
}

#endif
