#include "ns/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
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

/* Mount attributes from MS_* flags (only the ones that can be *set*: the flags
 * the kernel locked in a user namespace are never cleared this way). */
static uint64_t attrs_of(unsigned long flags)
{
	uint64_t a = 0;

	if (flags & MS_RDONLY) a |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID) a |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV) a |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC) a |= MOUNT_ATTR_NOEXEC;
	return a;
}

static int set_attrs(int dfd, const char *path, unsigned int at_flags, unsigned long flags,
		     const char *what, struct cl_err *err)
{
	struct mount_attr attr = { .attr_set = attrs_of(flags) };

	if (attr.attr_set && syscall(SYS_mount_setattr, dfd, path, at_flags, &attr, sizeof(attr)) < 0)
		return cl_fail(err, errno, "cannot set the mount flags of %s", what);
	return 0;
}

/* Bind mount with the new mount API: clone the tree at @src (recursively with
 * MS_REC), set its flags while it is still detached (so no writable window,
 * and ro/nodev reach every submount), then attach it on @target_fd. */
static int bind_tree(int src_dfd, const char *src, int target_fd, unsigned long flags,
		     const char *what, struct cl_err *err)
{
	unsigned int rec = (flags & MS_REC) ? AT_RECURSIVE : 0;
	_cleanup_close_ int tree = (int)syscall(SYS_open_tree, src_dfd, src,
						 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec |
							 (src[0] ? 0 : AT_EMPTY_PATH));

	if (tree < 0)
		return cl_fail(err, errno, "cannot bind %s", what);
	if (set_attrs(tree, "", AT_EMPTY_PATH | rec, flags, what, err) < 0)
		return -1;
	if (syscall(SYS_move_mount, tree, "", target_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cl_fail(err, errno, "cannot attach the bind mount of %s", what);
	return 0;
}

/* Mount onto @dest resolved beneath @rootfd, creating it as a dir or file.
 * For MS_BIND, @src is a host path. */
static int mount_at(int rootfd, const char *src, const char *dest, const char *type,
		    unsigned long flags, const char *data, bool file, struct cl_err *err)
{
	_cleanup_close_ int fd = cl_mkpath_beneath(rootfd, dest, file, file ? 0644 : 0755, err);
	char p[CL_FDPATH_MAX];

	if (fd < 0)
		return cl_wrap(err, "cannot mount %s on %s", type ? type : src, dest);
	if (flags & MS_BIND)
		return bind_tree(AT_FDCWD, src, fd, flags, dest, err);
	if (mount(src, cl_fdpath(fd, p), type, flags, data) < 0)
		return cl_fail(err, errno, "cannot mount %s on %s", type ? type : src, dest);
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
		if (mount_at(rootfd, "/sys", "/sys", NULL, MS_BIND | MS_REC | MS_RDONLY | nsne, NULL,
			     false, err) < 0)
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

/* Creates /dev/@name in the fresh /dev tmpfs (nothing else can have
 * written there, so plain *at calls are safe) and returns an O_PATH fd. */
static int dev_entry(int devfd, const char *name, bool dir, struct cl_err *err)
{
	int fd;

	if (dir) {
		if (mkdirat(devfd, name, 0755) < 0)
			return cl_fail(err, errno, "cannot create /dev/%s", name);
		fd = openat(devfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	} else {
		fd = openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	}
	if (fd < 0)
		return cl_fail(err, errno, "cannot create /dev/%s", name);
	return fd;
}

static int setup_dev(const struct cl_spec *s, int rootfd, int console_fd, struct cl_err *err)
{
	_cleanup_close_ int devfd = -1;
	char src[64], p[CL_FDPATH_MAX], opts[80];

	/* /dev itself is nodev: a node made in it with CAP_MKNOD cannot be
	 * opened; only the binds below (which keep the host's devtmpfs flags) can. */
	if (mount_at(rootfd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
		     "mode=755,size=65536k", false, err) < 0)
		return -1;
	devfd = cl_open_beneath(rootfd, "/dev", O_DIRECTORY | O_RDONLY, err);
	if (devfd < 0)
		return -1;
	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		_cleanup_close_ int fd = dev_entry(devfd, dev_nodes[i], false, err);
		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		if (fd < 0)
			return -1;
		if (mount(src, cl_fdpath(fd, p), NULL, MS_BIND, NULL) < 0)
			return cl_fail(err, errno, "cannot bind %s into the jail", src);
	}
	snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620%s",
		 gid_mapped(s, 5) ? ",gid=5" : "");
	static const struct {
		const char *name, *type, *data;
		unsigned long flags;
	} fs[] = {
		{ "pts", "devpts", NULL, MS_NOSUID | MS_NOEXEC },
		{ "shm", "tmpfs", "mode=1777,size=65536k", MS_NOSUID | MS_NODEV | MS_NOEXEC },
		{ "mqueue", "mqueue", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC },
	};
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		_cleanup_close_ int fd = dev_entry(devfd, fs[i].name, true, err);
		if (fd < 0)
			return -1;
		const char *data = strcmp(fs[i].type, "devpts") == 0 ? opts : fs[i].data;
		if (mount(fs[i].type, cl_fdpath(fd, p), fs[i].type, fs[i].flags, data) < 0)
			return cl_fail(err, errno, "cannot mount %s on /dev/%s", fs[i].type, fs[i].name);
	}
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" },		   { "/proc/self/fd", "fd" },
		{ "/proc/self/fd/0", "stdin" },	   { "/proc/self/fd/1", "stdout" },
		{ "/proc/self/fd/2", "stderr" },   { "/proc/kcore", "core" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][0], devfd, links[i][1]) < 0)
			return cl_fail(err, errno, "cannot create symlink /dev/%s", links[i][1]);
	if (console_fd >= 0) {
		_cleanup_close_ int fd = dev_entry(devfd, "console", false, err);
		if (fd < 0)
			return -1;
		if (bind_tree(console_fd, "", fd, 0, "the terminal on /dev/console", err) < 0)
			return -1;
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
		if (bind_tree(fd, "", fd, MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, path,
			      err) < 0)
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
	if (set_attrs(AT_FDCWD, "/", 0,
		      MS_NODEV | (s->no_new_privs ? MS_NOSUID : 0) | (s->readonly ? MS_RDONLY : 0),
		      "the rootfs", err) < 0)
		return -1;
	return 0;
}
