#include "util/path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

const char *cl_fdpath(int fd, char buf[CL_FDPATH_MAX])
{
	snprintf(buf, CL_FDPATH_MAX, "/proc/self/fd/%d", fd);
	return buf;
}

static const char *relpath(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static int open_beneath(int rootfd, const char *path, int flags)
{
	struct open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, rootfd, relpath(path), &how, sizeof(how));
}

int cl_open_beneath(int rootfd, const char *path, int flags, struct cl_err *err)
{
	int fd = open_beneath(rootfd, path, flags);

	if (fd >= 0)
		return fd;
	if (errno == EXDEV || errno == ELOOP)
		return cl_fail(err, errno, "path %s leaves the rootfs through a symlink or '..'",
			       path);
	return cl_fail(err, errno, "cannot open %s in the rootfs", path);
}

void cl_made_free(struct cl_made *m)
{
	for (size_t i = 0; i < m->n; i++) {
		close(m->e[i].dirfd);
		free(m->e[i].name);
	}
	m->n = 0;
}

void cl_made_undo(struct cl_made *m)
{
	for (size_t i = m->n; i-- > 0;) {
		struct cl_made_entry *e = &m->e[i];
		struct stat st;

		if (fstatat(e->dirfd, e->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    st.st_dev == e->dev && st.st_ino == e->ino && S_ISDIR(st.st_mode) == e->dir)
			unlinkat(e->dirfd, e->name, e->dir ? AT_REMOVEDIR : 0);
	}
	cl_made_free(m);
}

/* @name, just made in @parent: remembered by @parent's fd and its inode. */
static int record(struct cl_made *made, int parent, const char *name, bool dir, struct cl_err *err)
{
	struct cl_made_entry *e = &made->e[made->n];
	struct stat st;

	if (made->n == CL_MADE_MAX)
		return cl_fail(err, 0, "too many mount points to create (%d at most)", CL_MADE_MAX);
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cl_fail(err, errno, "cannot stat %s, just made", name);
	e->dirfd = fcntl(parent, F_DUPFD_CLOEXEC, 0);
	e->name = strdup(name);
	if (e->dirfd < 0 || !e->name) {
		if (e->dirfd >= 0)
			close(e->dirfd);
		free(e->name);
		return cl_fail(err, ENOMEM, "cannot remember the mount point %s", name);
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->dir = dir;
	made->n++;
	return 0;
}

int cl_mkpath_beneath(int rootfd, const char *path, bool file, mode_t mode, struct cl_made *made,
		      struct cl_err *err)
{
	_cleanup_free_ char *dup = NULL;
	_cleanup_close_ int parent = -1;
	char *slash, *name;
	int fd;

	fd = open_beneath(rootfd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT)
		return fd >= 0 ? fd : cl_open_beneath(rootfd, path, O_PATH, err);
	if (!made)
		return cl_fail(
		    err, 0,
		    "mount point %s does not exist in the read-only rootfs, where nothing is "
		    "created: make it there, or run without --read-only",
		    path);

	dup = strdup(relpath(path));
	if (!dup)
		return cl_fail(err, ENOMEM, "cannot create %s", path);
	/* strip trailing slashes, split into parent and name */
	for (size_t n = strlen(dup); n > 1 && dup[n - 1] == '/'; n--)
		dup[n - 1] = '\0';
	slash = strrchr(dup, '/');
	if (slash) {
		*slash = '\0';
		name = slash + 1;
		parent = cl_mkpath_beneath(rootfd, dup, false, 0755, made, err);
		if (parent < 0)
			return -1;
		/* re-open as a real directory fd for the *at calls */
		int d = cl_open_beneath(parent, ".", O_DIRECTORY | O_RDONLY, err);
		if (d < 0)
			return -1;
		close(parent);
		parent = d;
	} else {
		name = dup;
		parent = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
		if (parent < 0)
			return cl_fail(err, errno, "cannot create %s", path);
	}
	if (file) {
		fd = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			    mode);
		if (fd < 0 && errno != EEXIST)
			return cl_fail(err, errno, "cannot create file %s in the rootfs", path);
		if (fd >= 0) {
			close(fd);
			if (record(made, parent, name, false, err) < 0)
				return -1;
		}
	} else if (mkdirat(parent, name, mode) < 0) {
		if (errno != EEXIST)
			return cl_fail(err, errno, "cannot create directory %s in the rootfs",
				       path);
	} else if (record(made, parent, name, true, err) < 0) {
		return -1;
	}
	return cl_open_beneath(parent, name, O_PATH, err);
}

bool cl_path_below(const char *path, const char *dir)
{
	bool deeper = false;

	for (;;) {
		while (*path == '/')
			path++;
		while (*dir == '/')
			dir++;
		size_t np = strcspn(path, "/"), nd = strcspn(dir, "/");
		if ((np == 1 && path[0] == '.') || (np == 2 && !memcmp(path, "..", 2)))
			return false;
		if (!np)
			return deeper && !nd;
		if (!nd)
			deeper = true;
		else if (np != nd || memcmp(path, dir, np))
			return false;
		path += np;
		dir += nd;
	}
}
