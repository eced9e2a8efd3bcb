#include "ns/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"

/* As crun/Docker: files hidden behind /dev/null, directories behind an empty
 * read-only tmpfs. */
static const char *const masked_paths[] = {
	"/proc/acpi",	     "/proc/asound",	  "/proc/interrupts", "/proc/kcore",
	"/proc/keys",	     "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi",	  "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* Bind remounts must keep the flags the kernel locked on the source mount
 * (in a user namespace, clearing nosuid/nodev/noexec/ro is EPERM). */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
	return f;
}

static int remount_bind(const char *path, unsigned long add, const char *what, struct cl_err *err)
{
	unsigned long flags = MS_BIND | MS_REMOUNT | add | locked_flags(path);

	if (mount(NULL, path, NULL, flags, NULL) < 0)
		return cl_fail(err, errno, "cannot remount %s", what);
	return 0;
}

/* Adds ro/nosuid/nodev/noexec from @flags to the mount at @fd, recursively
 * when @flags has MS_REC.  Only ever sets attributes, so the flags the kernel
 * locked in a user namespace are never touched. */
static int set_attrs(int fd, unsigned long flags, const char *what, struct cl_err *err)
{
	struct mount_attr attr = { 0 };

	if (flags & MS_RDONLY) attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID) attr.attr_set |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV) attr.attr_set |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC) attr.attr_set |= MOUNT_ATTR_NOEXEC;
	if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | ((flags & MS_REC) ? AT_RECURSIVE : 0),
		    &attr, sizeof(attr)) < 0)
		return cl_fail(err, errno, "cannot set the mount flags of %s", what);
	return 0;
}

/* Mount onto @dest resolved beneath @rootfd, creating it as a dir or file. */
static int mount_at(int rootfd, const char *src, const char *dest, const char *type,
		    unsigned long flags, const char *data, bool file, struct cl_err *err)
{
	_cleanup_close_ int fd = cl_mkpath_beneath(rootfd, dest, file, file ? 0644 : 0755, err);
	char p[CL_FDPATH_MAX];

	if (fd < 0)
		return cl_wrap(err, "cannot mount %s on %s", type ? type : src, dest);
	if (mount(src, cl_fdpath(fd, p), type, flags, data) < 0)
		return cl_fail(err, errno, "cannot mount %s on %s", type ? type : src, dest);
	if ((flags & MS_BIND) && (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC))) {
		/* bind ignores the other flags: set them on the new mount and,
		 * for a recursive bind, on every mount below it too (a remount
		 * would only reach the top one). */
		_cleanup_close_ int nfd = cl_open_beneath(rootfd, dest, O_PATH, err);
		if (nfd < 0)
			return -1;
		return set_attrs(nfd, flags, dest, err);
	}
	return 0;
}

static int setup_proc_sys(const struct cl_spec *s, int rootfd, struct cl_err *err)
{
	const unsigned long nsne = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (mount_at(rootfd, "proc", "/proc", "proc", nsne, NULL, false, err) < 0)
		return -1;
	/* sysfs needs a network namespace we own; with --net host in a user
	 * namespace, fall back to a read-only recursive bind of the host's. */
	if (mount_at(rootfd, "sysfs", "/sys", "sysfs", nsne | MS_RDONLY, NULL, false, err) < 0) {
		if (!(s->ns_flags & CLONE_NEWUSER) || err->errnum != EPERM)
			return -1;
		if (mount_at(rootfd, "/sys", "/sys", NULL, MS_BIND | MS_REC, NULL, false, err) < 0)
			return -1;
		_cleanup_close_ int fd = cl_open_beneath(rootfd, "/sys", O_PATH, err);
		char p[CL_FDPATH_MAX];
		if (fd < 0 || remount_bind(cl_fdpath(fd, p), MS_RDONLY | nsne, "/sys", err) < 0)
			return -1;
	}
	return 0;
}

static bool gid_mapped(const struct cl_spec *s, gid_t g)
{
	if (!(s->ns_flags & CLONE_NEWUSER))
		return true;
	for (size_t i = 0; i < s->n_gid_map; i++)
		if (g >= s->gid_map[i].inside && g - s->gid_map[i].inside < s->gid_map[i].count)
			return true;
	return false;
}

static int setup_dev(const struct cl_spec *s, int rootfd, int console_fd, struct cl_err *err)
{
	const unsigned long nsne = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	_cleanup_close_ int devfd = -1;
	char path[64], p[CL_FDPATH_MAX];

	/* /dev itself is nodev: a node made in it with CAP_MKNOD cannot be
	 * opened; only the binds below (which keep the host's devtmpfs flags) can. */
	if (mount_at(rootfd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
		     "mode=755,size=65536k", false, err) < 0)
		return -1;
	devfd = cl_open_beneath(rootfd, "/dev", O_DIRECTORY | O_RDONLY, err);
	if (devfd < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
		if (mount_at(rootfd, path, path, NULL, MS_BIND, NULL, true, err) < 0)
			return -1;
		_cleanup_close_ int fd = cl_open_beneath(rootfd, path, O_PATH, err);
		if (fd < 0 || remount_bind(cl_fdpath(fd, p), MS_NOSUID | MS_NOEXEC, path, err) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "newinstance,ptmxmode=0666,mode=0620%s",
		 gid_mapped(s, 5) ? ",gid=5" : "");
	if (mount_at(rootfd, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, path, false, err) < 0)
		return -1;
	if (mount_at(rootfd, "shm", "/dev/shm", "tmpfs", nsne, "mode=1777,size=65536k", false, err) < 0)
		return -1;
	if (mount_at(rootfd, "mqueue", "/dev/mqueue", "mqueue", nsne, NULL, false, err) < 0)
		return -1;
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" },		   { "/proc/self/fd", "fd" },
		{ "/proc/self/fd/0", "stdin" },	   { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" },   { "/proc/kcore", "core" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][0], devfd, links[i][1]) < 0)
			return cl_fail(err, errno, "cannot create symlink /dev/%s", links[i][1]);
	if (console_fd >= 0) {
		_cleanup_close_ int fd = cl_mkpath_beneath(rootfd, "/dev/console", true, 0600, err);
		char src[CL_FDPATH_MAX];
		if (fd < 0)
			return -1;
		if (mount(cl_fdpath(console_fd, src), cl_fdpath(fd, p), NULL, MS_BIND, NULL) < 0)
			return cl_fail(err, errno, "cannot bind the terminal on /dev/console");
	}
	return 0;
}

static int setup_user_mounts(const struct cl_spec *s, int rootfd, struct cl_err *err)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct cl_mount *m = &s->mounts[i];
		unsigned long ro = m->readonly ? MS_RDONLY : 0;

		if (m->kind == CL_MOUNT_TMPFS) {
			char data[64] = "mode=1777";
			if (m->size)
				snprintf(data, sizeof(data), "mode=1777,size=%llu", (unsigned long long)m->size);
			if (mount_at(rootfd, "tmpfs", m->dest, "tmpfs", MS_NOSUID | MS_NODEV | ro, data,
				     false, err) < 0)
				return -1;
			continue;
		}
		struct stat st;
		if (stat(m->source, &st) < 0)
			return cl_fail(err, errno, "cannot bind %s on %s", m->source, m->dest);
		if (mount_at(rootfd, m->source, m->dest, NULL,
			     MS_BIND | MS_REC | MS_NODEV | (s->no_new_privs ? MS_NOSUID : 0) | ro, NULL,
			     !S_ISDIR(st.st_mode), err) < 0)
			return -1;
	}
	return 0;
}

static int setup_masks(int rootfd, struct cl_err *err)
{
	char p[CL_FDPATH_MAX];

	for (size_t i = 0; i < sizeof(masked_paths) / sizeof(masked_paths[0]); i++) {
		const char *path = masked_paths[i];
		struct stat st;
		_cleanup_close_ int fd = cl_open_beneath(rootfd, path, O_PATH | O_NOFOLLOW, err);
		if (fd < 0) {
			if (err->errnum == ENOENT)
				continue;
			return -1;
		}
		if (fstat(fd, &st) < 0)
			return cl_fail(err, errno, "cannot stat %s", path);
		if (S_ISDIR(st.st_mode)) {
			if (mount("tmpfs", cl_fdpath(fd, p), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				  "size=0") < 0)
				return cl_fail(err, errno, "cannot mask %s", path);
		} else if (mount("/dev/null", cl_fdpath(fd, p), NULL, MS_BIND, NULL) < 0) {
			return cl_fail(err, errno, "cannot mask %s", path);
		}
	}
	for (size_t i = 0; i < sizeof(readonly_paths) / sizeof(readonly_paths[0]); i++) {
		const char *path = readonly_paths[i];
		_cleanup_close_ int fd = cl_open_beneath(rootfd, path, O_PATH | O_NOFOLLOW, err);
		if (fd < 0) {
			if (err->errnum == ENOENT)
				continue;
			return -1;
		}
		cl_fdpath(fd, p);
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
			return cl_fail(err, errno, "cannot make %s read-only", path);
		_cleanup_close_ int nfd = cl_open_beneath(rootfd, path, O_PATH | O_NOFOLLOW, err);
		if (nfd < 0 || remount_bind(cl_fdpath(nfd, p), MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
					    path, err) < 0)
			return -1;
	}
	return 0;
}

int cl_mounts_setup(const struct cl_spec *s, int console_fd, struct cl_err *err)
{
	_cleanup_close_ int rootfd = -1;
	struct stat st;

	/* Nothing we do below may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cl_fail(err, errno, "cannot make the mount tree private");
	if (stat(s->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return cl_fail(err, errno ? errno : ENOTDIR, "rootfs %s", s->rootfs);
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cl_fail(err, errno, "cannot bind the rootfs %s", s->rootfs);
	rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cl_fail(err, errno, "cannot open the rootfs %s", s->rootfs);

	if (setup_proc_sys(s, rootfd, err) < 0 || setup_dev(s, rootfd, console_fd, err) < 0 ||
	    setup_user_mounts(s, rootfd, err) < 0 || setup_masks(rootfd, err) < 0)
		return -1;

	/* pivot_root with new and old root the same directory, then detach the
	 * old one: no chroot, no leftover directory (as runc and crun do). */
	if (fchdir(rootfd) < 0)
		return cl_fail(err, errno, "cannot enter the rootfs %s", s->rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return cl_fail(err, errno, "cannot pivot_root into %s", s->rootfs);
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return cl_fail(err, errno, "cannot make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return cl_fail(err, errno, "cannot detach the old root");
	if (chdir("/") < 0)
		return cl_fail(err, errno, "cannot chdir to the new root");
	/* The root mount: nodev always, nosuid unless new privileges are allowed,
	 * read-only on request. */
	if (remount_bind("/", MS_NODEV | (s->no_new_privs ? MS_NOSUID : 0) | (s->readonly ? MS_RDONLY : 0),
			 "the rootfs", err) < 0)
		return -1;
	return 0;
}
