#include "ns/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fd.h"
#include "util/path.h"

/* As crun/Docker: files hidden behind /dev/null, directories behind an empty
 * read-only tmpfs. */
static const char *const masked_paths[] = {
    "/proc/acpi",	 "/proc/asound",	"/proc/interrupts", "/proc/kcore",
    "/proc/keys",	 "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/scsi",		"/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

/* Mount attributes from MS_* flags (only the ones that can be *set*: the flags
 * the kernel locked in a user namespace are never cleared this way). */
static uint64_t attrs_of(unsigned long flags)
{
	uint64_t a = 0;

	if (flags & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	return a;
}

static int set_attrs(int dfd, const char *path, unsigned int at_flags, unsigned long flags,
		     const char *what, struct cl_err *err)
{
	struct mount_attr attr = {.attr_set = attrs_of(flags)};

	if (attr.attr_set &&
	    syscall(SYS_mount_setattr, dfd, path, at_flags, &attr, sizeof(attr)) < 0)
		return cl_fail(err, errno, "cannot set the mount flags of %s", what);
	return 0;
}

/* A detached copy of the tree at @src (recursively with MS_REC), its flags set
 * while it is still detached (so no writable window, and ro/nodev reach every
 * submount).  Returns its fd, or -1. */
static int detached_tree(int src_dfd, const char *src, unsigned long flags, const char *what,
			 struct cl_err *err)
{
	unsigned int rec = (flags & MS_REC) ? AT_RECURSIVE : 0;
	_cleanup_close_ int tree =
	    (int)syscall(SYS_open_tree, src_dfd, src,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec | (src[0] ? 0 : AT_EMPTY_PATH));
	int fd;

	if (tree < 0)
		return cl_fail(err, errno, "cannot bind %s", what);
	if (set_attrs(tree, "", AT_EMPTY_PATH | rec, flags, what, err) < 0)
		return -1;
	fd = tree;
	tree = -1;
	return fd;
}

static int attach_tree(int tree, int target_fd, const char *what, struct cl_err *err)
{
	if (syscall(SYS_move_mount, tree, "", target_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cl_fail(err, errno, "cannot attach the bind mount of %s", what);
	return 0;
}

/* Bind mount with the new mount API: a detached copy attached on @target_fd. */
static int bind_tree(int src_dfd, const char *src, int target_fd, unsigned long flags,
		     const char *what, struct cl_err *err)
{
	_cleanup_close_ int tree = detached_tree(src_dfd, src, flags, what, err);

	return tree < 0 ? -1 : attach_tree(tree, target_fd, what, err);
}

/* Mount points the child creates in the rootfs (none in a read-only one),
 * taken back if the set-up fails.  The child is single-threaded. */
static struct cl_made *made;

/* Mount onto @dest resolved beneath @rootfd, creating it as a dir or file.
 * For MS_BIND, @src is a host path. */
static int mount_at(int rootfd, const char *src, const char *dest, const char *type,
		    unsigned long flags, const char *data, bool file, struct cl_err *err)
{
	_cleanup_close_ int fd =
	    cl_mkpath_beneath(rootfd, dest, file, file ? 0644 : 0755, made, err);
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
		if (mount_at(rootfd, "/sys", "/sys", NULL, MS_BIND | MS_REC | MS_RDONLY | nsne,
			     NULL, false, err) < 0)
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
		fd =
		    openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
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
		if (bind_tree(AT_FDCWD, src, fd, MS_NOSUID | MS_NOEXEC, src, err) < 0)
			return -1;
	}
	snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620%s",
		 gid_mapped(s, 5) ? ",gid=5" : "");
	static const struct {
		const char *name, *type, *data;
		unsigned long flags;
	} fs[] = {
	    {"pts", "devpts", NULL, MS_NOSUID | MS_NOEXEC},
	    {"shm", "tmpfs", "mode=1777,size=65536k", MS_NOSUID | MS_NODEV | MS_NOEXEC},
	    {"mqueue", "mqueue", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC},
	};
	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		_cleanup_close_ int fd = dev_entry(devfd, fs[i].name, true, err);
		if (fd < 0)
			return -1;
		const char *data = strcmp(fs[i].type, "devpts") == 0 ? opts : fs[i].data;
		if (mount(fs[i].type, cl_fdpath(fd, p), fs[i].type, fs[i].flags, data) < 0)
			return cl_fail(err, errno, "cannot mount %s on /dev/%s", fs[i].type,
				       fs[i].name);
	}
	static const char *const links[][2] = {
	    {"pts/ptmx", "ptmx"},	   {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},  {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
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

/* Where the mount point of mount @i may be created: in the rootfs unless it
 * is read-only; below an earlier tmpfs of the jail's own (--tmpfs /run with
 * --read-only) in any case, with nothing to take back (it goes with the
 * tmpfs). */
static struct cl_made *made_for(const struct cl_spec *s, size_t i, struct cl_made *scratch)
{
	for (size_t j = 0; !made && j < i; j++)
		if (s->mounts[j].kind == CL_MOUNT_TMPFS &&
		    cl_path_below(s->mounts[i].dest, s->mounts[j].dest))
			return scratch;
	return made;
}

static int setup_user_mounts(const struct cl_spec *s, const struct cl_mount_trees *t, int rootfd,
			     struct cl_err *err)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct cl_mount *m = &s->mounts[i];
		unsigned long ro = m->readonly ? MS_RDONLY : 0;

		if (m->kind == CL_MOUNT_TMPFS) {
			char data[64] = "mode=1777";
			if (m->size)
				snprintf(data, sizeof(data), "mode=1777,size=%llu",
					 (unsigned long long)m->size);
			if (mount_at(rootfd, "tmpfs", m->dest, "tmpfs", MS_NOSUID | MS_NODEV | ro,
				     data, false, err) < 0)
				return -1;
			continue;
		}
		/* the parent's detached copy of the source (cl_mounts_open) */
		struct stat st;
		struct cl_made scratch = {0};
		if (i >= t->n || t->binds[i] < 0)
			return cl_fail(err, 0, "cannot bind %s on %s: its source was not opened",
				       m->source, m->dest);
		if (fstat(t->binds[i], &st) < 0)
			return cl_fail(err, errno, "cannot bind %s on %s", m->source, m->dest);
		_cleanup_close_ int fd = cl_mkpath_beneath(rootfd, m->dest, !S_ISDIR(st.st_mode),
							   S_ISDIR(st.st_mode) ? 0755 : 0644,
							   made_for(s, i, &scratch), err);
		cl_made_free(&scratch);
		if (fd < 0)
			return cl_wrap(err, "cannot bind %s on %s", m->source, m->dest);
		if (attach_tree(t->binds[i], fd, m->dest, err) < 0)
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
			if (mount("tmpfs", cl_fdpath(fd, p), "tmpfs",
				  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
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
		if (bind_tree(fd, "", fd, MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			      path, err) < 0)
			return -1;
	}
	return 0;
}

/* The rootfs and each bind source, resolved here with the caller's own
 * privileges: seen from a user namespace, they may lie beyond a directory
 * its ids cannot search (a checkout under Debian's 0700 /root). */
int cl_mounts_open(const struct cl_spec *s, const char *rootfs, struct cl_mount_trees *t,
		   int min_fd, struct cl_err *err)
{
	t->rootfs = -1;
	t->n = 0;
	t->binds = calloc(s->n_mounts ? s->n_mounts : 1, sizeof(*t->binds));
	if (!t->binds)
		return cl_fail(err, ENOMEM, "out of memory");
	t->rootfs = cl_fd_above((int)syscall(SYS_open_tree, AT_FDCWD, rootfs ? rootfs : s->rootfs,
					     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE),
				min_fd);
	if (t->rootfs < 0)
		return cl_fail(err, errno, "cannot open the rootfs %s", s->rootfs);
	for (size_t i = 0; i < s->n_mounts; i++, t->n++) {
		const struct cl_mount *m = &s->mounts[i];
		unsigned long flags = MS_BIND | MS_REC | MS_NODEV |
				      (s->no_new_privs ? MS_NOSUID : 0) |
				      (m->readonly ? MS_RDONLY : 0);
		char what[PATH_MAX + 8];

		t->binds[i] = -1;
		if (m->kind != CL_MOUNT_BIND)
			continue;
		snprintf(what, sizeof(what), "%s on %s", m->source, m->dest);
		t->binds[i] =
		    cl_fd_above(detached_tree(AT_FDCWD, m->source, flags, what, err), min_fd);
		if (t->binds[i] < 0)
			return -1;
	}
	return 0;
}

void cl_mounts_close(struct cl_mount_trees *t)
{
	if (t->rootfs >= 0)
		close(t->rootfs);
	for (size_t i = 0; t->binds && i < t->n; i++)
		if (t->binds[i] >= 0)
			close(t->binds[i]);
	free(t->binds);
	t->binds = NULL;
	t->rootfs = -1;
	t->n = 0;
}

int cl_rootfs_private(const char *rootfs, char resolved[PATH_MAX], struct cl_err *err)
{
	char path[PATH_MAX];
	struct stat st;

	if (!realpath(rootfs, path))
		return cl_fail(err, errno, "rootfs %s", rootfs);
	memcpy(resolved, path, sizeof(path));
	for (;;) {
		if (stat(path, &st) < 0)
			return cl_fail(err, errno, "cannot stat %s", path);
		/* root's, and no search right for others (nor for a group
		 * other than root's) */
		if (st.st_uid == 0 && !(st.st_mode & S_IXOTH) &&
		    (!(st.st_mode & S_IXGRP) || st.st_gid == 0))
			return 0;
		char *slash = strrchr(path, '/');
		if (!slash || path[1] == '\0')
			break;
		slash[slash == path ? 1 : 0] = '\0';
	}
	return cl_fail(
	    err, 0,
	    "rootfs %s can be reached by other host users (no directory on its path is "
	    "root's with mode 0700), and the jail's root is host root: a set-user-ID file "
	    "or device node it writes there would be theirs to use.  Keep it under a 0700 "
	    "directory (rootfs-tools do), or use --userns, --read-only, or "
	    "--allow-shared-rootfs (warns)",
	    rootfs);
}

/* A set-up that failed takes back the mount points it created in the
 * rootfs: the tree is detached first (nothing is mounted on them in our
 * namespace then), each removed through the directory it was made in and
 * only if it is still the same inode (the rootfs may be shared with a jail
 * that swapped a path for a symlink meanwhile). */
static void undo_made(int rootfd)
{
	char p[CL_FDPATH_MAX];

	umount2(cl_fdpath(rootfd, p), MNT_DETACH);
	cl_made_undo(made);
}

static int setup_root(const struct cl_spec *s, const struct cl_mount_trees *t, int console_fd,
		      struct cl_made *mine, struct cl_err *err);

static int setup(const struct cl_spec *s, const struct cl_mount_trees *t, int rootfd,
		 int console_fd, struct cl_err *err)
{
	if (setup_proc_sys(s, rootfd, err) < 0 || setup_dev(s, rootfd, console_fd, err) < 0 ||
	    setup_user_mounts(s, t, rootfd, err) < 0 || setup_masks(rootfd, err) < 0)
		return -1;
	return 0;
}

int cl_mounts_setup(const struct cl_spec *s, const struct cl_mount_trees *t, int console_fd,
		    struct cl_err *err)
{
	struct cl_mount_trees own = {.rootfs = -1};
	struct cl_made mine = {0};
	int r;

	/* Rootless, the parent could not make the trees (open_tree needs
	 * CAP_SYS_ADMIN) but our ids are its own: make them here. */
	if (t->rootfs < 0) {
		if (cl_mounts_open(s, NULL, &own, 3 + s->preserve_fds, err) < 0) {
			if (err->errnum == EACCES && (s->ns_flags & CLONE_NEWUSER) &&
			    geteuid() == 0)
				cl_wrap(
				    err,
				    "the jail's ids cannot reach it, and with CAP_SYS_ADMIN in its "
				    "user namespace cloison does not open it for them (the jail "
				    "could lift the mount's flags): put it where they can, or drop "
				    "CAP_SYS_ADMIN");
			cl_mounts_close(&own);
			return -1;
		}
		t = &own;
	}
	r = setup_root(s, t, console_fd, &mine, err);
	cl_made_free(&mine);
	cl_mounts_close(&own);
	return r;
}

static int setup_root(const struct cl_spec *s, const struct cl_mount_trees *t, int console_fd,
		      struct cl_made *mine, struct cl_err *err)
{
	int rootfd = t->rootfs;

	/* Nothing we do below may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cl_fail(err, errno, "cannot make the mount tree private");
	/* The parent's copy of the rootfs goes on top of our "/": no path to
	 * resolve (our ids might not reach it), and pivot_root takes it from
	 * there.  Absolute paths still resolve on the old root until then. */
	if (syscall(SYS_move_mount, rootfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return cl_fail(err, errno, "cannot attach the rootfs %s", s->rootfs);

	made = s->readonly ? NULL : mine;
	if (setup(s, t, rootfd, console_fd, err) < 0) {
		if (made)
			undo_made(rootfd);
		return -1;
	}

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
