/* --nested: the unmasked proc and sysfs the kernel looks for before it
 * lets a user namespace mount its own (ns/nested.h). */
#include "ns/nested.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define NSNE (MS_NOSUID | MS_NODEV | MS_NOEXEC)

static int mount_in(int dirfd, const char *name, const char *type, unsigned long flags,
		    struct cl_err *err)
{
	char p[CL_FDPATH_MAX];
	_cleanup_close_ int fd = -1;

	if (mkdirat(dirfd, name, 0555) < 0)
		return cl_fail(err, errno, "--nested: cannot create /dev/cloison-nested/%s", name);
	fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "--nested: cannot open /dev/cloison-nested/%s", name);
	if (mount(type, cl_fdpath(fd, p), type, flags, NULL) < 0)
		return cl_fail(err, errno, "--nested: cannot mount %s on /dev/cloison-nested/%s",
			       type, name);
	return 0;
}

int cl_nested_hidden_mounts(int rootfd, struct cl_made *made, struct cl_err *err)
{
	_cleanup_close_ int dev = cl_mkpath_beneath(rootfd, "/dev", false, 0755, made, err);
	_cleanup_close_ int base = -1, dir = -1;
	char p[CL_FDPATH_MAX];

	if (dev < 0)
		return cl_wrap(err, "--nested: cannot mount a tmpfs on /dev");
	/* the base, covered by the jail's /dev next: a mount over its root is
	 * a child of the base, not of the proc and sysfs beside it */
	if (mount("tmpfs", cl_fdpath(dev, p), "tmpfs", NSNE, "mode=0711,size=16k,nr_inodes=8") < 0)
		return cl_fail(err, errno, "--nested: cannot mount a tmpfs on /dev");
	base = cl_open_beneath(rootfd, "/dev", O_DIRECTORY | O_RDONLY, err);
	if (base < 0)
		return -1;
	if (mkdirat(base, "cloison-nested", 0711) < 0 ||
	    (dir = openat(base, "cloison-nested",
			  O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return cl_fail(err, errno, "--nested: cannot create /dev/cloison-nested");
	/* as the jail's own: read-write proc, read-only sysfs (a new mount may
	 * not be less read-only than the visible one) */
	if (mount_in(dir, "proc", "proc", NSNE, err) < 0)
		return -1;
	/* sysfs needs a network namespace of the jail's user namespace: with
	 * --net host there is none, and the jail's /sys is a bind (mounts.c) */
	if (mount_in(dir, "sys", "sysfs", NSNE | MS_RDONLY, err) < 0 && err->errnum != EPERM)
		return -1;
	return 0;
}
