/* --overlay (overlay.h).  Every layer reaches the kernel as a magic link,
 * /proc/self/fd/N: no host path is parsed into the mount options (a ':' or
 * ',' in a path would split them), and none is resolved again in the child,
 * whose ids may not reach it.  Each tree is attached (stacked on "/") before
 * the overlay takes it: kernels before 6.15 refuse a layer on a mount that
 * is not in the mounter's namespace. */
#include "ns/overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "ns/userns.h"
#include "util/cleanup.h"
#include "util/fd.h"
#include "util/path.h"

/* DIR/NAME as a directory, made when missing; never through a symlink.
 * As made, or as a jail with other ids left it, the jail's root owns it
 * (the kernel would refuse it the writes: a --userns range picked anew). */
static int subdir(int dfd, const char *dir, const char *name, mode_t mode, uid_t uid, gid_t gid,
		  struct cl_err *err)
{
	_cleanup_close_ int fd = -1;
	bool made = mkdirat(dfd, name, 0700) == 0;
	struct stat st;

	if (!made && errno != EEXIST)
		return cl_fail(err, errno, "--overlay-dir %s: cannot make %s", dir, name);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return cl_fail(err, errno, "--overlay-dir %s: %s is not a directory", dir, name);
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0)
		return cl_fail(err, errno, "--overlay-dir %s: cannot give %s to the jail's root",
			       dir, name);
	if (made && fchmod(fd, mode) < 0)
		return cl_fail(err, errno, "--overlay-dir %s: cannot set the mode of %s", dir,
			       name);
	return 0;
}

int cl_overlay_prepare(const struct cl_spec *s, int *lock_fd, struct cl_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat root;

	*lock_fd = -1;
	if (!s->overlay_dir)
		return 0;
	uid_t uid = geteuid();
	gid_t gid = getegid();
	if (stat(s->rootfs, &root) < 0)
		return cl_fail(err, errno, "rootfs %s", s->rootfs);
	/* as root with --userns, the jail's root is an id of its range */
	if (uid == 0 && (s->ns_flags & CLONE_NEWUSER)) {
		uid = cl_userns_host_id(s->uid_map, s->n_uid_map, 0);
		gid = cl_userns_host_id(s->gid_map, s->n_gid_map, 0);
	}
	/* made 0700: what the jail writes there is for its owner alone */
	bool made = mkdir(s->overlay_dir, 0700) == 0;
	if (!made && errno != EEXIST)
		return cl_fail(err, errno, "--overlay-dir %s: cannot make it", s->overlay_dir);
	/* From here on, this directory by its fd, never by its path again (the
	 * tree the child mounts is made from it): whoever may rename entries
	 * beside it cannot swap it.  Its owner must be the caller and nobody
	 * else may write in it, or "upper" and "work" could be swapped in it;
	 * with the jail's root host root, nobody else may even search it (what
	 * the jail writes there would be theirs to use). */
	fd = open(s->overlay_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "--overlay-dir %s", s->overlay_dir);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cl_fail(err, errno, "--overlay-dir %s", s->overlay_dir);
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return cl_fail(err, 0,
			       "--overlay-dir %s must be yours and written by you alone (it is "
			       "uid %u's, mode %04o)",
			       s->overlay_dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	if (!(s->ns_flags & CLONE_NEWUSER) && (st.st_mode & 077)) {
		cl_fail(err, 0,
			"--overlay-dir %s can be reached by other host users (mode %04o), and the "
			"jail's root is host root: a set-user-ID file or device node it writes "
			"there would be theirs to use.  Make it 0700, or use --userns, or "
			"--allow-shared-rootfs (warns)",
			s->overlay_dir, (unsigned)(st.st_mode & 07777));
		if (!s->allow_shared_rootfs)
			return -1;
		cl_warn("%s (--allow-shared-rootfs)", err->msg);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		return cl_fail(err, errno == EWOULDBLOCK ? EBUSY : errno,
			       "--overlay-dir %s: another jail uses it", s->overlay_dir);
	if (subdir(fd, s->overlay_dir, "upper", root.st_mode & 07777, uid, gid, err) < 0 ||
	    subdir(fd, s->overlay_dir, "work", 0700, uid, gid, err) < 0) {
		if (made) { /* nothing left of what failed */
			unlinkat(fd, "work", AT_REMOVEDIR);
			unlinkat(fd, "upper", AT_REMOVEDIR);
			rmdir(s->overlay_dir);
		}
		return -1;
	}
	*lock_fd = cl_fd_above(fd, 3 + s->preserve_fds);
	fd = -1;
	return *lock_fd < 0 ? cl_fail(err, errno, "--overlay-dir %s", s->overlay_dir) : 0;
}

static int tree(const char *path, const char *what, int min_fd, struct cl_err *err)
{
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (fd < 0)
		return cl_fail(err, errno, "%s %s", what, path);
	fd = cl_fd_above(fd, min_fd);
	return fd < 0 ? cl_fail(err, errno, "%s %s", what, path) : fd;
}

int cl_overlay_open(const struct cl_spec *s, int dir_fd, int *layers, int *upper, int min_fd,
		    struct cl_err *err)
{
	for (size_t i = 0; i < s->n_layers; i++)
		if ((layers[i] = tree(s->layers[i], "--layer", min_fd, err)) < 0)
			return -1;
	if (!s->overlay_dir)
		return 0;
	/* the directory cl_overlay_prepare checked and locked, by its fd; in
	 * the rootless child, whose mount namespace is a copy (the kernel
	 * clones no tree of another namespace), by its path, if it still
	 * leads to the same directory */
	*upper = (int)syscall(SYS_open_tree, dir_fd, "",
			      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (*upper < 0 && errno == EINVAL) {
		struct stat a, b;
		*upper = tree(s->overlay_dir, "--overlay-dir", min_fd, err);
		if (*upper < 0)
			return -1;
		if (fstat(*upper, &a) < 0 || fstat(dir_fd, &b) < 0 || a.st_dev != b.st_dev ||
		    a.st_ino != b.st_ino)
			return cl_fail(err, 0, "--overlay-dir %s was replaced while cloison set up",
				       s->overlay_dir);
	}
	if (*upper < 0 || (*upper = cl_fd_above(*upper, min_fd)) < 0)
		return cl_fail(err, errno, "--overlay-dir %s", s->overlay_dir);
	return 0;
}

static int attach(int fd, const char *what, struct cl_err *err)
{
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return cl_fail(err, errno, "cannot attach %s", what);
	return 0;
}

static int detach(int fd)
{
	char p[CL_FDPATH_MAX];

	return fd < 0 ? 0 : umount2(cl_fdpath(fd, p), MNT_DETACH);
}

static int config(int fsfd, const char *key, const char *value, struct cl_err *err)
{
	if (syscall(SYS_fsconfig, fsfd, value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, key, value,
		    0) < 0)
		return cl_fail(err, errno, "overlay option %s%s%s", key, value ? "=" : "",
			       value ? value : "");
	return 0;
}

/* Half of --memory, else half of RAM (what tmpfs takes by default): the
 * pages are charged to the jail's memory cgroup all the same. */
static uint64_t default_size(const struct cl_spec *s)
{
	struct sysinfo si;

	if (s->memory)
		return s->memory / 2;
	if (sysinfo(&si) < 0)
		return 1ULL << 30;
	return (uint64_t)si.totalram * si.mem_unit / 2;
}

/* The upper layer's own tmpfs, "upper" and "work" in it; the upper's root
 * gets the rootfs root's mode (it is the jail's "/"). */
static int make_tmpfs(const struct cl_spec *s, int rootfd, bool userxattr, struct cl_err *err)
{
	_cleanup_close_ int fsfd = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	char size[32];
	struct stat st;
	int mfd;

	if (fsfd < 0)
		return cl_fail(err, errno, "cannot make the overlay's tmpfs");
	snprintf(size, sizeof(size), "%llu",
		 (unsigned long long)(s->overlay_size ? s->overlay_size : default_size(s)));
	if (config(fsfd, "size", size, err) < 0 || config(fsfd, "mode", "0700", err) < 0)
		return -1;
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return cl_fail(err, errno, "cannot make the overlay's tmpfs");
	mfd =
	    (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID);
	if (mfd < 0)
		return cl_fail(err, errno, "cannot mount the overlay's tmpfs");
	if (fstat(rootfd, &st) < 0 || mkdirat(mfd, "upper", st.st_mode & 07777) < 0 ||
	    fchmodat(mfd, "upper", st.st_mode & 07777, 0) < 0 || mkdirat(mfd, "work", 0700) < 0 ||
	    mkdirat(mfd, "lower", 0700) < 0) {
		cl_fail(err, errno, "cannot make the overlay's upper layer");
		close(mfd);
		return -1;
	}
	for (size_t i = 0; i < s->n_layers; i++) {
		char name[32];
		snprintf(name, sizeof(name), "lower%zu", i);
		if (mkdirat(mfd, name, 0700) < 0) {
			cl_fail(err, errno, "cannot make the overlay's upper layer");
			close(mfd);
			return -1;
		}
	}
	/* overlayfs would mount without them, then fail whiteouts and opaque
	 * directories one by one: say so at once (tmpfs has user.* xattrs
	 * since Linux 6.6) */
	if (userxattr) {
		_cleanup_close_ int up = openat(mfd, "upper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (up < 0 ||
		    (fsetxattr(up, "user.cloison", "", 0, 0) < 0 && errno == EOPNOTSUPP)) {
			cl_fail(err, 0,
				"--overlay in a user namespace needs user.* extended attributes on "
				"its tmpfs (Linux 6.6 or later): use --overlay-dir on a filesystem "
				"that has them (ext4, xfs, btrfs)");
			close(mfd);
			return -1;
		}
		fremovexattr(up, "user.cloison");
	}
	return mfd;
}

/* The initial user namespace maps every id to itself: not there (a user
 * namespace of ours, or cloison itself run in one), overlayfs keeps its
 * metadata in user.overlay.* xattrs, the trusted.* ones being root's. */
static bool in_user_namespace(const struct cl_spec *s)
{
	char buf[64] = "";
	_cleanup_close_ int fd = -1;
	unsigned a, b, n;

	if (s->ns_flags & CLONE_NEWUSER)
		return true;
	fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		return false;
	return !(sscanf(buf, "%u %u %u", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295U);
}

bool cl_overlay_own_tmpfs(const struct cl_spec *s)
{
	return s->overlay && !s->readonly && !s->overlay_dir;
}

/* Tree @fd mounted on NAME in the overlay's tmpfs @tmp (attached) */
static int nest(int fd, int tmp, const char *name, const char *what, struct cl_err *err)
{
	if (syscall(SYS_move_mount, fd, "", tmp, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return cl_fail(err, errno, "cannot attach %s", what);
	return 0;
}

int cl_overlay_mount(const struct cl_spec *s, int rootfd, const int *layers, int upper,
		     struct cl_err *err)
{
	_cleanup_close_ int tmp = -1, fsfd = -1;
	/* top first: the last --layer, ..., the first, the rootfs */
	size_t cap = (s->n_layers + 1) * 32 + 1; /* "/proc/self/fd/2147483647:" */
	_cleanup_free_ char *lower = malloc(cap);
	char dir[64];
	size_t len = 0;
	int mfd;

	if (!lower)
		return cl_fail(err, ENOMEM, "out of memory");
	bool userxattr = in_user_namespace(s);
	/* The tmpfs first, attached on "/", and every layer (the rootfs too)
	 * mounted inside it, beside the upper layer: the overlay takes its own
	 * clones, and one detach of the tmpfs then releases them all (each
	 * unmount waits for an RCU grace period: ~0.1-0.3 ms here).  Without
	 * a tmpfs of ours, stacked on "/" and detached one by one. */
	if (cl_overlay_own_tmpfs(s)) {
		if ((tmp = make_tmpfs(s, rootfd, userxattr, err)) < 0 ||
		    attach(tmp, "the overlay's tmpfs", err) < 0 ||
		    nest(rootfd, tmp, "lower", s->rootfs, err) < 0)
			return -1;
	}
	for (size_t i = s->n_layers; i-- > 0;) {
		if (tmp >= 0) {
			snprintf(dir, sizeof(dir), "lower%zu", i);
			if (nest(layers[i], tmp, dir, s->layers[i], err) < 0)
				return -1;
		} else if (attach(layers[i], s->layers[i], err) < 0) {
			return -1;
		}
		len += (size_t)snprintf(lower + len, cap - len, "/proc/self/fd/%d:", layers[i]);
	}
	snprintf(lower + len, cap - len, "/proc/self/fd/%d", rootfd);
	if (s->overlay_dir && attach(upper, s->overlay_dir, err) < 0)
		return -1;

	fsfd = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return cl_fail(err, errno == ENODEV ? ENODEV : errno,
			       "--overlay: cannot use overlayfs (modprobe overlay?)");
	if (config(fsfd, "source", "cloison-overlay", err) < 0 ||
	    config(fsfd, "lowerdir", lower, err) < 0)
		return -1;
	/* read-only: the layers merged, no upper (kept read-only below too) */
	if (tmp >= 0 || s->overlay_dir) {
		int ufd = tmp >= 0 ? tmp : upper;
		snprintf(dir, sizeof(dir), "/proc/self/fd/%d/upper", ufd);
		if (config(fsfd, "upperdir", dir, err) < 0)
			return -1;
		snprintf(dir, sizeof(dir), "/proc/self/fd/%d/work", ufd);
		if (config(fsfd, "workdir", dir, err) < 0)
			return -1;
	}
	/* no redirects followed nor made, no metacopy: a layer is data, never
	 * a pointer to another file (what Docker's overlay2 does too) */
	if ((userxattr && config(fsfd, "userxattr", NULL, err) < 0) ||
	    config(fsfd, "redirect_dir", "nofollow", err) < 0 ||
	    config(fsfd, "metacopy", "off", err) < 0 || config(fsfd, "index", "off", err) < 0)
		return -1;
	if (syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		if (errno == EPERM)
			return cl_fail(err, errno,
				       "--overlay: overlayfs refused (in a user namespace it "
				       "needs Linux 5.11)");
		return cl_fail(err, errno, "--overlay: cannot mount the overlay of %s", s->rootfs);
	}
	mfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return cl_fail(err, errno, "--overlay: cannot mount the overlay of %s", s->rootfs);
	/* The overlay holds clones of its layers: theirs go (with the tmpfs,
	 * all at once), and it takes the rootfs's place, the one mount on "/"
	 * (pivot_root then detaches the old root as without --overlay; with
	 * mounts between them it would detach the wrong one).  A path through
	 * a stack reaches its top: in the reverse order of their stacking. */
	bool ok = detach(tmp) == 0 && detach(s->overlay_dir ? upper : -1) == 0;
	for (size_t i = 0; ok && tmp < 0 && i < s->n_layers; i++)
		ok = detach(layers[i]) == 0;
	if (!ok || (tmp < 0 && detach(rootfd) < 0)) {
		cl_fail(err, errno, "--overlay: cannot detach the layers");
		close(mfd);
		return -1;
	}
	if (attach(mfd, "the overlay", err) < 0) {
		close(mfd);
		return -1;
	}
	return mfd;
}
