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

/* What cl_mkpath_beneath() created, newest last, so that a set-up that fails
 * can take it back out of the rootfs: each entry by the directory it was
 * made in (an fd: a path could lead elsewhere by then) and its identity. */
#define CL_MADE_MAX 64
struct cl_made_entry {
	int dirfd;
	char *name;
	dev_t dev;
	ino_t ino;
	bool dir;
};
struct cl_made {
	size_t n;
	struct cl_made_entry e[CL_MADE_MAX];
};
/* Removes what is still what was made (same inode, never through a
 * symlink), newest first, then forgets it all. */
void cl_made_undo(struct cl_made *m);
void cl_made_free(struct cl_made *m);

/* Like cl_open_beneath(O_PATH), creating what is missing: parent directories,
 * and the last component as a directory or (when @file) an empty file, each
 * recorded in @made.  With @made NULL nothing is created: a missing path is
 * an error (a read-only rootfs is never written to). */
int cl_mkpath_beneath(int rootfd, const char *path, bool file, mode_t mode, struct cl_made *made,
		      struct cl_err *err);

/* @path lies strictly below @dir, both absolute, compared by components
 * ("/run//x/" is below "/run/"); a "." or ".." in @path: false. */
bool cl_path_below(const char *path, const char *dir);

/* "/proc/self/fd/N" for mount(2) and friends. */
#define CL_FDPATH_MAX 32
const char *cl_fdpath(int fd, char buf[CL_FDPATH_MAX]);

#endif
