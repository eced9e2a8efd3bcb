#include "guest/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define PROC_MAGIC   0x9fa0
#define SYSFS_MAGIC_ 0x62656572
#define DEVPTS_MAGIC 0x1cd1

static bool is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* Is @path a mount point (its device differs from its parent's)? */
static bool is_mountpoint(const char *path)
{
	char parent[PATH_MAX];
	struct stat a, b;

	snprintf(parent, sizeof(parent), "%s/..", path);
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

static int mount_one(const char *src, const char *dst, const char *type, unsigned long flags,
		     const char *data, struct cl_err *err)
{
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cannot create %s", dst);
	if (mount(src, dst, type, flags, data) < 0)
		return cl_fail(err, errno, "cannot mount %s on %s", type, dst);
	return 0;
}

int cl_guest_mount_api(bool jail, struct cl_err *err)
{
	const unsigned long nse = MS_NOSUID | MS_NOEXEC | MS_NODEV;

	/* a jail's runtime mounts a fresh /proc for the PID namespace itself */
	if (jail)
		return is_fs("/proc", PROC_MAGIC)
			   ? 0
			   : mount_one("proc", "/proc", "proc", nse, NULL, err);
	if (!is_fs("/proc", PROC_MAGIC) && mount_one("proc", "/proc", "proc", nse, NULL, err) < 0)
		return -1;
	if (!is_fs("/sys", SYSFS_MAGIC_) && mount_one("sysfs", "/sys", "sysfs", nse, NULL, err) < 0)
		return -1;
	if (!is_mountpoint("/dev") &&
	    mount_one("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755", err) < 0)
		return -1;
	if (!is_fs("/dev/pts", DEVPTS_MAGIC) &&
	    mount_one("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		      "newinstance,ptmxmode=0666,mode=0620", err) < 0)
		return -1;
	if (!is_mountpoint("/dev/shm") &&
	    mount_one("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", err) < 0)
		return -1;
	return 0;
}

static int wait_for(const char *dev, int ms)
{
	struct timespec ts = {0, 10 * 1000 * 1000};

	for (int waited = 0; access(dev, F_OK) < 0; waited += 10) {
		if (waited >= ms)
			return -1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int cl_guest_switch_root(const char *dev, const char *fstype, bool ro, struct cl_err *err)
{
	static const char *const moved[] = {"/dev", "/proc", "/sys"};
	const char *newroot = "/.cloison/root";
	char dst[PATH_MAX];

	if (wait_for(dev, 5000) < 0)
		return cl_fail(err, ENOENT, "root device %s did not appear", dev);
	if (mkdir("/.cloison", 0700) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cannot create /.cloison");
	if (mkdir(newroot, 0755) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cannot create %s", newroot);
	if (mount(dev, newroot, fstype ? fstype : "ext4", ro ? MS_RDONLY : 0, NULL) < 0)
		return cl_fail(err, errno, "cannot mount the root %s (%s) on %s", dev,
			       fstype ? fstype : "ext4", newroot);
	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		snprintf(dst, sizeof(dst), "%s%s", newroot, moved[i]);
		/* a read-only root without /proc etc. loses them: not fatal */
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			continue;
		if (mount(moved[i], dst, NULL, MS_MOVE, NULL) < 0)
			return cl_fail(err, errno, "cannot move %s to %s", moved[i], dst);
	}
	/* The initramfs cannot be pivot_root'ed away: move the new root over it
	 * and chroot, as switch_root(8) does.  Its few files stay in memory. */
	if (chdir(newroot) < 0)
		return cl_fail(err, errno, "cannot enter %s", newroot);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return cl_fail(err, errno, "cannot move %s to /", newroot);
	if (chroot(".") < 0)
		return cl_fail(err, errno, "cannot chroot into the new root");
	if (chdir("/") < 0)
		return cl_fail(err, errno, "cannot enter the new root");
	return 0;
}

int cl_guest_bind_ro(const char *path, struct cl_err *err)
{
	if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cl_fail(err, errno, "cannot bind %s on itself", path);
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) <
	    0)
		return cl_fail(err, errno, "cannot make %s read-only", path);
	return 0;
}

int cl_guest_root_ro(struct cl_err *err)
{
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return cl_fail(err, errno, "cannot remount the root read-only");
	return 0;
}
