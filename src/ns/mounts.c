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
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ns/cgroup.h"
#include "ns/copyup.h"
#include "ns/jail.h"
#include "ns/nested.h"
#include "ns/overlay.h"
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
static int mount_at_made(int rootfd, const char *src, const char *dest, const char *type,
			 unsigned long flags, const char *data, bool file, struct cl_made *m,
			 struct cl_err *err)
{
	_cleanup_close_ int fd = cl_mkpath_beneath(rootfd, dest, file, file ? 0644 : 0755, m, err);
	char p[CL_FDPATH_MAX];

	if (fd < 0)
		return cl_wrap(err, "cannot mount %s on %s", type ? type : src, dest);
	if (flags & MS_BIND)
		return bind_tree(AT_FDCWD, src, fd, flags, dest, err);
	if (mount(src, cl_fdpath(fd, p), type, flags, data) < 0)
		return cl_fail(err, errno, "cannot mount %s on %s", type ? type : src, dest);
	return 0;
}

static int mount_at(int rootfd, const char *src, const char *dest, const char *type,
		    unsigned long flags, const char *data, bool file, struct cl_err *err)
{
	return mount_at_made(rootfd, src, dest, type, flags, data, file, made, err);
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

/* The nodes every /dev has (binds of the host's: they keep the devtmpfs
 * flags), its links, and the terminal on /dev/console. */
static int populate_dev(int devfd, int console_fd, bool tolerant, struct cl_err *err)
{
	char src[64];

	for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
		if (tolerant && faccessat(devfd, dev_nodes[i], F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		_cleanup_close_ int fd = dev_entry(devfd, dev_nodes[i], false, err);
		snprintf(src, sizeof(src), "/dev/%s", dev_nodes[i]);
		if (fd < 0)
			return -1;
		if (bind_tree(AT_FDCWD, src, fd, MS_NOSUID | MS_NOEXEC, src, err) < 0)
			return -1;
	}
	static const char *const links[][2] = {
	    {"pts/ptmx", "ptmx"},	   {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},  {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][0], devfd, links[i][1]) < 0 &&
		    !(tolerant && errno == EEXIST))
			return cl_fail(err, errno, "cannot create symlink /dev/%s", links[i][1]);
	if (console_fd >= 0) {
		if (tolerant)
			unlinkat(devfd, "console", 0);
		_cleanup_close_ int fd = dev_entry(devfd, "console", false, err);
		if (fd < 0)
			return -1;
		if (bind_tree(console_fd, "", fd, 0, "the terminal on /dev/console", err) < 0)
			return -1;
	}
	return 0;
}

int cl_dev_populate(const struct cl_spec *s, int rootfd, int console_fd, struct cl_err *err)
{
	_cleanup_close_ int devfd = cl_open_beneath(rootfd, "/dev", O_DIRECTORY | O_RDONLY, err);

	(void)s;
	return devfd < 0 ? -1 : populate_dev(devfd, console_fd, true, err);
}

static int setup_dev(const struct cl_spec *s, int rootfd, int console_fd, struct cl_err *err)
{
	_cleanup_close_ int devfd = -1;
	char p[CL_FDPATH_MAX], opts[80];

	/* /dev itself is nodev: a node made in it with CAP_MKNOD cannot be
	 * opened; only the binds below (which keep the host's devtmpfs flags) can. */
	if (mount_at(rootfd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_STRICTATIME,
		     "mode=755,size=65536k", false, err) < 0)
		return -1;
	devfd = cl_open_beneath(rootfd, "/dev", O_DIRECTORY | O_RDONLY, err);
	if (devfd < 0)
		return -1;
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
	return populate_dev(devfd, console_fd, false, err);
}

/* Where the mount point of mount @i may be created: in the rootfs unless it
 * is read-only; below an earlier tmpfs of the jail's own (--tmpfs /run with
 * --read-only) in any case, with nothing to take back (it goes with the
 * tmpfs). */
static struct cl_made *made_for(const struct cl_spec *s, size_t i, struct cl_made *scratch)
{
	for (size_t j = 0; !made && j < i; j++)
		if ((s->mounts[j].kind == CL_MOUNT_TMPFS ||
		     (s->mounts[j].kind == CL_MOUNT_FS && !strcmp(s->mounts[j].type, "tmpfs"))) &&
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

static int setup_masks(const struct cl_spec *s, int rootfd, struct cl_err *err)
{
	size_t n_masked = sizeof(masked_paths) / sizeof(masked_paths[0]),
	       n_ro = sizeof(readonly_paths) / sizeof(readonly_paths[0]);
	const char *const *masked = masked_paths, *const *ro = readonly_paths;
	char p[CL_FDPATH_MAX];

	if (s->explicit_mounts) { /* OCI: as the config lists them */
		masked = (const char *const *)s->masked_paths;
		ro = (const char *const *)s->readonly_paths;
		for (n_masked = 0; masked && masked[n_masked]; n_masked++)
			;
		for (n_ro = 0; ro && ro[n_ro]; n_ro++)
			;
	}
	for (size_t i = 0; i < n_masked; i++) {
		const char *path = masked[i];
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
	for (size_t i = 0; i < n_ro; i++) {
		const char *path = ro[i];
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

/* The tree @fd is the file the privacy check saw (or none was made). */
static bool same(int fd, const struct cl_path_id *id)
{
	struct stat st;

	return !id->ino || (fstat(fd, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino);
}

/* The rootfs and each bind source, resolved here with the caller's own
 * privileges: seen from a user namespace, they may lie beyond a directory
 * its ids cannot search (a checkout under Debian's 0700 /root). */

int cl_mounts_open(const struct cl_spec *s, const char *rootfs, struct cl_mount_trees *t,
		   int min_fd, struct cl_err *err)
{
	t->rootfs = -1;
	t->n = 0;
	t->overlay = NULL;
	t->n_overlay = 0;
	t->binds = calloc(s->n_mounts ? s->n_mounts : 1, sizeof(*t->binds));
	if (!t->binds)
		return cl_fail(err, ENOMEM, "out of memory");
	t->rootfs = cl_fd_above((int)syscall(SYS_open_tree, AT_FDCWD, rootfs ? rootfs : s->rootfs,
					     OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE),
				min_fd);
	if (t->rootfs < 0)
		return cl_fail(err, errno, "cannot open the rootfs %s", s->rootfs);
	if (!same(t->rootfs, &t->rootfs_id))
		return cl_fail(err, 0, "rootfs %s changed while cloison checked it", s->rootfs);
	if (s->overlay) {
		t->overlay = malloc((s->n_layers + 1) * sizeof(*t->overlay));
		if (!t->overlay)
			return cl_fail(err, ENOMEM, "out of memory");
		for (size_t i = 0; i <= s->n_layers; i++)
			t->overlay[i] = -1;
		t->n_overlay = s->n_layers + 1;
		if (cl_overlay_open(s, t->overlay_dir, t->overlay, &t->overlay[s->n_layers], min_fd,
				    err) < 0)
			return -1;
	}
	for (size_t i = 0; i < s->n_mounts; i++, t->n++) {
		const struct cl_mount *m = &s->mounts[i];
		/* OCI: recursive or not, and its flags as given; nodev always */
		unsigned long flags =
		    m->flags_given
			? MS_BIND | MS_NODEV |
			      (m->flags & (MS_REC | MS_RDONLY | MS_NOSUID | MS_NOEXEC)) |
			      (s->no_new_privs ? MS_NOSUID : 0)
			: MS_BIND | MS_REC | MS_NODEV | (s->no_new_privs ? MS_NOSUID : 0) |
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
		for (size_t k = 0; k < t->n_bind_ids; k++)
			if (t->bind_ids[k].src == m->source && !same(t->binds[i], &t->bind_ids[k]))
				return cl_fail(err, 0, "--bind %s changed while cloison checked it",
					       m->source);
	}
	return 0;
}

int cl_mounts_open_cgroups(const struct cl_spec *s, const struct cl_cgroup *cg,
			   struct cl_mount_trees *t, int min_fd, struct cl_err *err)
{
	unsigned long ro = 0;
	bool wanted = false;

	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].kind == CL_MOUNT_FS && !strcmp(s->mounts[i].type, "cgroup")) {
			wanted = true;
			ro |= s->mounts[i].flags & MS_RDONLY;
		}
	for (int i = 0; wanted && i < cg->n_dirs && t->n_cg < 9; i++) {
		if (cl_cgroup_hier_name(cg, i, t->cg_name[t->n_cg], sizeof(t->cg_name[0])) < 0)
			continue;
		t->cg[t->n_cg] = cl_fd_above(detached_tree(AT_FDCWD, cg->dir[i].path,
							   MS_NOSUID | MS_NODEV | MS_NOEXEC | ro,
							   cg->dir[i].path, err),
					     min_fd);
		if (t->cg[t->n_cg] < 0)
			return -1;
		t->n_cg++;
	}
	return 0;
}

void cl_mounts_close(struct cl_mount_trees *t)
{
	for (int i = 0; i < t->n_cg; i++)
		close(t->cg[i]);
	t->n_cg = 0;
	if (t->rootfs >= 0)
		close(t->rootfs);
	for (size_t i = 0; t->binds && i < t->n; i++)
		if (t->binds[i] >= 0)
			close(t->binds[i]);
	free(t->binds);
	t->binds = NULL;
	free(t->bind_ids);
	t->bind_ids = NULL;
	t->n_bind_ids = 0;
	for (size_t i = 0; t->overlay && i < t->n_overlay; i++)
		if (t->overlay[i] >= 0)
			close(t->overlay[i]);
	free(t->overlay);
	t->overlay = NULL;
	t->rootfs = -1;
	t->n = 0;
}

int cl_rootfs_private(const char *rootfs, enum cl_private what, char resolved[PATH_MAX],
		      struct cl_path_id *id, struct cl_err *err)
{
	char path[PATH_MAX];
	struct stat st;

	if (!realpath(rootfs, path))
		return cl_fail(err, errno, "%s %s", what == CL_PRIVATE_ROOTFS ? "rootfs" : "--bind",
			       rootfs);
	memcpy(resolved, path, sizeof(path));
	if (stat(path, &st) < 0)
		return cl_fail(err, errno, "cannot stat %s", path);
	if (id) {
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
	/* a file's own mode closes nothing: the jail may chmod it */
	bool known = S_ISDIR(st.st_mode); /* @st is @path's */
	if (!known) {
		char *slash = strrchr(path, '/');
		slash[slash == path ? 1 : 0] = '\0';
	}
	for (;; known = false) {
		if (!known && stat(path, &st) < 0)
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
	if (what != CL_PRIVATE_ROOTFS)
		return cl_fail(
		    err, 0,
		    "--bind %s can be reached by other host users (no directory on its "
		    "path is root's with mode 0700), and the jail's root is host root: a "
		    "set-user-ID file or device node it writes there would be theirs to "
		    "use.  Keep it under a 0700 directory, or use :ro, --userns, or "
		    "--allow-shared-rootfs (warns)",
		    rootfs);
	return cl_fail(
	    err, 0,
	    "rootfs %s can be reached by other host users (no directory on its path is root's "
	    "with mode 0700), and the jail's root is host root: a set-user-ID file "
	    "or device node it writes there would be theirs to use.  Keep it under a 0700 "
	    "directory (rootfs-tools do), or use --userns, --read-only, --overlay, or "
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
		      cl_before_pivot_fn before_pivot, struct cl_made *mine, struct cl_err *err);

/* --- OCI: the mounts as listed ------------------------------------------ */

/* A "cgroup" mount: the jail's own groups, read-only unless asked, on a
 * tmpfs with one directory per hierarchy (v1), or the group itself (v2). */
static int mount_cgroups(const struct cl_mount *m, const struct cl_mount_trees *t, int rootfd,
			 struct cl_err *err)
{
	char p[CL_FDPATH_MAX], sub[PATH_MAX];

	if (t->n_cg == 1 && !t->cg_name[0][0]) {
		_cleanup_close_ int fd = cl_mkpath_beneath(rootfd, m->dest, false, 0755, made, err);
		if (fd < 0)
			return cl_wrap(err, "cannot mount cgroup on %s", m->dest);
		return attach_tree(t->cg[0], fd, m->dest, err);
	}
	if (mount_at(rootfd, "tmpfs", m->dest, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		     "mode=755", false, err) < 0)
		return -1;
	_cleanup_close_ int dir = cl_open_beneath(rootfd, m->dest, O_DIRECTORY | O_RDONLY, err);
	if (dir < 0)
		return -1;
	for (int i = 0; i < t->n_cg; i++) {
		const char *name = t->cg_name[i];
		if (mkdirat(dir, name, 0755) < 0)
			return cl_fail(err, errno, "cannot create %s/%s", m->dest, name);
		_cleanup_close_ int fd = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW);
		snprintf(sub, sizeof(sub), "%s/%s", m->dest, name);
		if (fd < 0)
			return cl_fail(err, errno, "cannot open %s", sub);
		if (attach_tree(t->cg[i], fd, sub, err) < 0)
			return -1;
		/* co-mounted controllers: cpu -> cpu,cpuacct, as systemd does */
		if (strchr(name, ',')) {
			char copy[32];
			snprintf(copy, sizeof(copy), "%s", name);
			for (char *c = strtok(copy, ","); c; c = strtok(NULL, ","))
				if (symlinkat(name, dir, c) < 0 && errno != EEXIST)
					return cl_fail(err, errno, "cannot link %s/%s", m->dest, c);
		}
	}
	if (m->flags & MS_RDONLY)
		return set_attrs(dir, "", AT_EMPTY_PATH, MS_RDONLY, m->dest, err);
	(void)p;
	return 0;
}

static int setup_listed_mounts(const struct cl_spec *s, const struct cl_mount_trees *t, int rootfd,
			       struct cl_err *err)
{
	char p[CL_FDPATH_MAX];

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct cl_mount *m = &s->mounts[i];
		struct cl_made scratch = {0};
		int r;

		if (m->kind == CL_MOUNT_FS && !strcmp(m->type, "cgroup")) {
			r = mount_cgroups(m, t, rootfd, err);
		} else if (m->kind == CL_MOUNT_FS) {
			unsigned long flags = m->flags & ~(MS_BIND | MS_REC);
			/* tmpcopyup: the directory below, held before it is covered */
			_cleanup_close_ int below =
			    m->copyup
				? cl_open_beneath(rootfd, m->dest, O_DIRECTORY | O_RDONLY, err)
				: -1;
			if (m->copyup && below < 0 && err->errnum != ENOENT)
				return cl_wrap(err, "tmpcopyup");
			r = mount_at_made(rootfd, m->source ? m->source : m->type, m->dest, m->type,
					  flags, m->data, false, made_for(s, i, &scratch), err);
			cl_made_free(&scratch);
			if (r == 0 && below >= 0) {
				_cleanup_close_ int top = cl_open_beneath(
				    rootfd, m->dest, O_DIRECTORY | O_RDONLY | O_NOFOLLOW, err);
				r = top < 0 ? -1 : cl_copy_tree(below, top, 0, err);
				/* and the directory's own owner and mode, unless given */
				struct stat st;
				if (r == 0 && fstat(below, &st) == 0 &&
				    (!m->data || !strstr(m->data, "mode=")) &&
				    (fchown(top, st.st_uid, st.st_gid) < 0 ||
				     fchmod(top, st.st_mode & 07777) < 0))
					r = cl_fail(err, errno, "tmpcopyup: %s", m->dest);
			}
			/* sysfs needs a network namespace of the jail's user
			 * namespace: the host's, read-only, otherwise */
			if (r < 0 && !strcmp(m->type, "sysfs") && err->errnum == EPERM &&
			    (s->ns_flags & CLONE_NEWUSER))
				r = mount_at(rootfd, "/sys", m->dest, NULL,
					     MS_BIND | MS_REC | MS_RDONLY | flags, NULL, false,
					     err);
		} else {
			struct stat st;
			if (i >= t->n || t->binds[i] < 0 || fstat(t->binds[i], &st) < 0)
				return cl_fail(err, 0,
					       "cannot bind %s on %s: its source was not opened",
					       m->source, m->dest);
			_cleanup_close_ int fd = cl_mkpath_beneath(
			    rootfd, m->dest, !S_ISDIR(st.st_mode),
			    S_ISDIR(st.st_mode) ? 0755 : 0644, made_for(s, i, &scratch), err);
			cl_made_free(&scratch);
			if (fd < 0)
				return cl_wrap(err, "cannot bind %s on %s", m->source, m->dest);
			r = attach_tree(t->binds[i], fd, m->dest, err);
		}
		if (r < 0)
			return -1;
		if (m->propagation) {
			_cleanup_close_ int fd = cl_open_beneath(rootfd, m->dest, O_PATH, err);
			if (fd < 0 || mount(NULL, cl_fdpath(fd, p), NULL, m->propagation, NULL) < 0)
				return cl_fail(err, errno, "cannot set the propagation of %s",
					       m->dest);
		}
	}
	return 0;
}

/* linux.devices: made as nodes (root: the /dev tmpfs is not nodev, and the
 * device cgroup decides), or bound from the host's (a user namespace, where
 * mknod is refused). */
static int make_device(const struct cl_spec *s, int rootfd, const struct cl_device *d,
		       struct cl_err *err)
{
	char dir[PATH_MAX], p[CL_FDPATH_MAX];
	const char *base = strrchr(d->path, '/') + 1;
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	dev_t dev = makedev((unsigned)d->major, (unsigned)d->minor);
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - d->path), d->path);
	_cleanup_close_ int dfd = cl_mkpath_beneath(rootfd, dir, false, 0755, NULL, err);
	if (dfd < 0)
		return cl_wrap(err, "linux.devices %s", d->path);
	_cleanup_close_ int dirfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs fs;
	if (dirfd < 0 || fstatfs(dirfd, &fs) < 0)
		return cl_fail(err, errno, "linux.devices %s", d->path);
	/* never a node in the image on disk, nor a file of it unlinked */
	if (fs.f_type != TMPFS_MAGIC)
		return cl_fail(
		    err, 0,
		    "linux.devices %s: its directory is not on a tmpfs of the container's "
		    "(mount a tmpfs on /dev)",
		    d->path);
	unlinkat(dirfd, base, 0); /* a default node of the same name */
	if (!(s->ns_flags & CLONE_NEWUSER)) {
		if (mknodat(dirfd, base, type | (d->mode & 07777 ? d->mode & 07777 : 0666), dev) <
		    0)
			return cl_fail(err, errno, "cannot make the device %s", d->path);
		if (fchownat(dirfd, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(dirfd, base, d->mode & 07777 ? d->mode & 07777 : 0666, 0) < 0)
			return cl_fail(err, errno, "cannot set the owner or mode of %s", d->path);
		return 0;
	}
	if (stat(d->path, &st) < 0 || (st.st_mode & S_IFMT) != type || st.st_rdev != dev)
		return cl_fail(err, 0,
			       "linux.devices %s: in a user namespace the host's node is bound, "
			       "and the host has no such device at that path",
			       d->path);
	_cleanup_close_ int fd =
	    openat(dirfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return cl_fail(err, errno, "cannot create %s", d->path);
	(void)p;
	return bind_tree(AT_FDCWD, d->path, fd, MS_NOSUID | MS_NOEXEC, d->path, err);
}

/* What every container's /dev has (runtime-spec "Default Devices"), when
 * the config mounts a /dev of its own. */
static int setup_listed_dev(const struct cl_spec *s, int rootfd, int console_fd, struct cl_err *err)
{
	bool dev = false;

	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(s->mounts[i].dest, "/dev") && s->mounts[i].kind != CL_MOUNT_BIND)
			dev = true;
	if (dev && cl_dev_populate(s, rootfd, console_fd, err) < 0)
		return -1;
	for (size_t i = 0; i < s->n_devices; i++)
		if (make_device(s, rootfd, &s->devices[i], err) < 0)
			return -1;
	return 0;
}

/* linux.sysctl, through the jail's own /proc (its namespaces' values). */
static int write_sysctls(const struct cl_spec *s, int rootfd, struct cl_err *err)
{
	for (char **kv = s->sysctl; kv && *kv; kv++) {
		char path[PATH_MAX], *eq = strchr(*kv, '=');
		size_t n = snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - *kv), *kv);
		for (char *c = path + 10; c < path + n; c++)
			if (*c == '.')
				*c = '/';
		_cleanup_close_ int fd = cl_open_beneath(rootfd, path, O_WRONLY | O_NOFOLLOW, err);
		struct statfs fs;
		if (fd < 0)
			return cl_wrap(err, "linux.sysctl %.*s", (int)(eq - *kv), *kv);
		if (fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC)
			return cl_fail(err, 0,
				       "linux.sysctl %.*s: /proc is not the container's procfs",
				       (int)(eq - *kv), *kv);
		if (write(fd, eq + 1, strlen(eq + 1)) < 0)
			return cl_fail(err, errno, "cannot write linux.sysctl %s", *kv);
	}
	return 0;
}

static int setup(const struct cl_spec *s, const struct cl_mount_trees *t, int rootfd,
		 int console_fd, struct cl_err *err)
{
	if (s->explicit_mounts)
		return setup_listed_mounts(s, t, rootfd, err) < 0 ||
			       setup_listed_dev(s, rootfd, console_fd, err) < 0 ||
			       write_sysctls(s, rootfd, err) < 0 || setup_masks(s, rootfd, err) < 0
			   ? -1
			   : 0;
	if (setup_proc_sys(s, rootfd, err) < 0 ||
	    (s->nested && cl_nested_hidden_mounts(rootfd, made, err) < 0) ||
	    setup_dev(s, rootfd, console_fd, err) < 0 || setup_user_mounts(s, t, rootfd, err) < 0 ||
	    setup_masks(s, rootfd, err) < 0)
		return -1;
	return 0;
}

int cl_mounts_setup(const struct cl_spec *s, const struct cl_mount_trees *t, int console_fd,
		    cl_before_pivot_fn before_pivot, struct cl_err *err)
{
	struct cl_mount_trees own = {.rootfs = -1, .overlay_dir = t->overlay_dir};
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
	r = setup_root(s, t, console_fd, before_pivot, &mine, err);
	cl_made_free(&mine);
	cl_mounts_close(&own);
	return r;
}

/* A rootfs that lacked /proc (cloison made it) and has not the command
 * either is no root filesystem (a wrong --rootfs): the set-up fails, and
 * takes back what it made.  Asked only when a /proc was made: no cost to
 * a rootfs that has its mount points. */
static bool wrong_rootfs(const struct cl_spec *s, int rootfd, bool in_rootfs, struct cl_err *err)
{
	bool made_proc = false;

	for (size_t i = 0; made && in_rootfs && !s->explicit_mounts && i < made->n; i++)
		made_proc |= made->e[i].dir && strcmp(made->e[i].name, "proc") == 0;
	if (!made_proc || cl_exec_maybe_in(s, rootfd))
		return false;
	cl_fail_code(err, CL_EXIT_NOTFOUND, 0,
		     "rootfs %s has no /proc and no %s: is it a root filesystem? (nothing was "
		     "made in it)",
		     s->rootfs, s->argv[0]);
	return true;
}

static int setup_root(const struct cl_spec *s, const struct cl_mount_trees *t, int console_fd,
		      cl_before_pivot_fn before_pivot, struct cl_made *mine, struct cl_err *err)
{
	int rootfd = t->rootfs;
	_cleanup_close_ int overlay = -1;

	/* Nothing we do below may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return cl_fail(err, errno, "cannot make the mount tree private");
	/* The parent's copy of the rootfs goes on top of our "/": no path to
	 * resolve (our ids might not reach it), and pivot_root takes it from
	 * there.  Absolute paths still resolve on the old root until then.
	 * (With an overlay on a tmpfs of its own, it goes inside that tmpfs.) */
	if (!cl_overlay_own_tmpfs(s) &&
	    syscall(SYS_move_mount, rootfd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return cl_fail(err, errno, "cannot attach the rootfs %s", s->rootfs);
	/* --overlay: stacked on it, the jail's root from here on; read-only
	 * without a layer, there is nothing to merge */
	if (s->overlay && (!s->readonly || s->n_layers)) {
		overlay = cl_overlay_mount(s, rootfd, t->overlay, t->overlay[s->n_layers], err);
		if (overlay < 0)
			return -1;
		rootfd = overlay;
	}

	/* mount points: made in the upper layer with --overlay */
	made = s->readonly ? NULL : mine;
	if (setup(s, t, rootfd, console_fd, err) < 0 || wrong_rootfs(s, rootfd, overlay < 0, err) ||
	    (before_pivot && before_pivot(s, err) < 0)) {
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
	/* The old root, stacked on the new one now, is detached: private
	 * since the start (nothing propagates from its unmount), and made no
	 * slave here (runc's step), which would reach the new root's mounts
	 * through "." and lose the propagation the config asked for. */
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
	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return cl_fail(err, errno, "cannot set linux.rootfsPropagation");
	return 0;
}
