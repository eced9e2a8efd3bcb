/* The guest init's file systems: the API ones, and the optional root disk. */
#ifndef CL_GUEST_MOUNTS_H
#define CL_GUEST_MOUNTS_H

#include <stdbool.h>

#include "util/error.h"

/* Mount /proc, /sys, /dev (devtmpfs), /dev/pts and /dev/shm where they are not
 * mounted yet.  @jail: PID 1 of a container whose /dev the runtime made: only
 * /proc, and only if the runtime did not mount one. */
int cl_guest_mount_api(bool jail, struct cl_err *err);
/* Wait for @dev (up to a few seconds: devtmpfs fills in as drivers probe),
 * mount it with @fstype, move the API mounts into it and make it the root. */
int cl_guest_switch_root(const char *dev, const char *fstype, bool ro, struct cl_err *err);
/* Make @path (a tree the initramfs carries) a read-only bind mount of
 * itself; --bind SRC:DST:ro in a micro-VM. */
int cl_guest_bind_ro(const char *path, struct cl_err *err);
/* Remount the initramfs root read-only (--read-only without --disk); the
 * API mounts on it stay as they are. */
int cl_guest_root_ro(struct cl_err *err);

#endif
