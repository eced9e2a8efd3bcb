/* The jail's filesystem: private propagation, the rootfs bind, /proc, /sys,
 * /dev, the spec's mounts, masked and read-only paths, then pivot_root. */
#ifndef CL_NS_MOUNTS_H
#define CL_NS_MOUNTS_H

#include "spec/spec.h"

/* Runs in the child, inside the new mount namespace.  @console_fd is the pty
 * slave to bind on /dev/console (-1 for none).  On return "/" is the rootfs. */
int cl_mounts_setup(const struct cl_spec *s, int console_fd, struct cl_err *err);

#endif
