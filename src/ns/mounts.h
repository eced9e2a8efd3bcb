/* The jail's filesystem: private propagation, the rootfs bind, /proc, /sys,
 * /dev, the spec's mounts, masked and read-only paths, then pivot_root. */
#ifndef CL_NS_MOUNTS_H
#define CL_NS_MOUNTS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "spec/spec.h"

/* What the parent resolves before clone, with its own privileges: the rootfs
 * and every bind source as detached mount trees (open_tree), their flags
 * already set.  The child attaches them without resolving a host path, which
 * its ids may not be allowed to do (a user namespace, a 0700 parent). */
struct cl_path_id {
	dev_t dev;
	ino_t ino;
	const char *src; /* a bind's source (the spec's string) */
};

struct cl_mount_trees {
	int rootfs;
	int *binds; /* one per spec mount: -1 for a tmpfs */
	size_t n;
	/* --overlay: each --layer, then --overlay-dir's (-1: none); NULL
	 * without --overlay */
	int *overlay;
	size_t n_overlay;
	int overlay_dir; /* --overlay-dir, checked and locked (not ours to close) */
	/* what the privacy checks saw (cl_rootfs_private): the trees opened
	 * must be those very files (ino 0: unchecked); bind_ids: one per
	 * mount of the caller's spec (n_bind_ids), found by their source
	 * string (bridge mode's spec has two mounts more, in front), or NULL */
	struct cl_path_id rootfs_id, *bind_ids;
	size_t n_bind_ids;
	/* OCI "cgroup" mounts: the jail's own group in each hierarchy, and
	 * the hierarchy's name ("memory", "cpu,cpuacct"; "" for v2 alone) */
	int cg[9];
	char cg_name[9][32];
	int n_cg;
};

/* OCI: what runs in the jail's mount namespace before pivot_root (its
 * createContainer hooks). */
typedef int (*cl_before_pivot_fn)(const struct cl_spec *s, struct cl_err *err);
/* @rootfs: the path to open instead of s->rootfs (its resolved form, as
 * cl_rootfs_private() checked it), or NULL. */
int cl_mounts_open(const struct cl_spec *s, const char *rootfs, struct cl_mount_trees *t,
		   int min_fd, struct cl_err *err);
void cl_mounts_close(struct cl_mount_trees *t);
/* The jail's cgroup directories, for a config.json mount of type cgroup. */
struct cl_cgroup;
int cl_mounts_open_cgroups(const struct cl_spec *s, const struct cl_cgroup *cg,
			   struct cl_mount_trees *t, int min_fd, struct cl_err *err);

/* Whether host users other than root can reach the rootfs (or a writable
 * bind source: @what): 0 when some directory on its path
 * (itself included, when a directory) is root's and closed to them;
 * otherwise -1 with @err saying so.  @resolved: the path checked (symbolic
 * links resolved), to be opened as it is; @id (may be NULL): its identity. */
enum cl_private { CL_PRIVATE_ROOTFS, CL_PRIVATE_BIND };
int cl_rootfs_private(const char *rootfs, enum cl_private what, char resolved[PATH_MAX],
		      struct cl_path_id *id, struct cl_err *err);

/* Runs in the child, inside the new mount namespace.  @console_fd is the pty
 * slave to bind on /dev/console (-1 for none).  On return "/" is the rootfs.
 * On failure, the mount points it created in the rootfs are removed again. */
int cl_mounts_setup(const struct cl_spec *s, const struct cl_mount_trees *t, int console_fd,
		    cl_before_pivot_fn before_pivot, struct cl_err *err);

/* In the child: /dev's nodes, links and console, in a /dev the config
 * mounted (OCI). */
int cl_dev_populate(const struct cl_spec *s, int rootfd, int console_fd, struct cl_err *err);

#endif
