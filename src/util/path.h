/* Paths inside a rootfs, resolved without leaving it. */
#ifndef CL_PATH_H
#define CL_PATH_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* Opens @path (absolute or relative, taken relative to @rootfd) with
 * RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS: a symlink or ".." that would leave the
 * rootfs is refused (EXDEV) rather than followed to the host. */
int cl_open_beneath(int rootfd, const char *path, int flags, struct cl_err *err);

/* Like cl_open_beneath(O_PATH), creating what is missing: parent directories,
 * and the last component as a directory or (when @file) an empty file. */
int cl_mkpath_beneath(int rootfd, const char *path, bool file, mode_t mode, struct cl_err *err);

/* "/proc/self/fd/N" for mount(2) and friends. */
#define CL_FDPATH_MAX 32
const char *cl_fdpath(int fd, char buf[CL_FDPATH_MAX]);

#endif
