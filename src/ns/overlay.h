/* --overlay: the jail's root as an overlayfs whose lower layers are the
 * rootfs and the --layer dirs (never written: not even mount points, which
 * are made in the upper layer) and whose upper layer is a tmpfs of the
 * jail's own, gone with it, or --overlay-dir DIR/upper, kept. */
#ifndef CL_NS_OVERLAY_H
#define CL_NS_OVERLAY_H

#include <stdbool.h>

#include "spec/spec.h"

/* In the parent, before clone, with the caller's ids: makes DIR, DIR/upper
 * and DIR/work if missing (the upper's root owned by the jail's root, the
 * mode of the rootfs's root) and holds an exclusive lock on DIR for as long
 * as *lock_fd stays open (two jails on one upper layer would corrupt it).
 * A no-op without --overlay-dir (*lock_fd = -1). */
int cl_overlay_prepare(const struct cl_spec *s, int *lock_fd, struct cl_err *err);

/* In the parent (or the rootless child, cl_mounts_open): the --layer dirs
 * and DIR (@dir_fd, cl_overlay_prepare's) as detached trees in @layers
 * (n_layers of them) and *@upper. */
int cl_overlay_open(const struct cl_spec *s, int dir_fd, int *layers, int *upper, int min_fd,
		    struct cl_err *err);

/* Whether cl_overlay_mount makes a tmpfs of its own for the upper layer:
 * then the rootfs tree is not to be attached on "/" first (it is mounted
 * inside that tmpfs, which takes it along when it goes). */
bool cl_overlay_own_tmpfs(const struct cl_spec *s);

/* In the child, its mount namespace private, with the rootfs tree @rootfd
 * already attached on "/" (detached instead when cl_overlay_own_tmpfs):
 * the overlay over it, attached on "/".  Returns the overlay's mount fd
 * (the jail's new root), or -1. */
int cl_overlay_mount(const struct cl_spec *s, int rootfd, const int *layers, int upper,
		     struct cl_err *err);

#endif
