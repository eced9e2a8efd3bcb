/* --nested: what the jail's mount namespace holds so that the sandboxes it
 * makes (cloison, bubblewrap, podman, Nix, Bazel) can mount a proc and a
 * sysfs of their own. */
#ifndef CL_NS_NESTED_H
#define CL_NS_NESTED_H

#include "util/error.h"
#include "util/path.h"

/* In the child, before /dev is mounted: a tmpfs on the rootfs's /dev
 * holding a proc and a sysfs with nothing mounted over them, on which the
 * jail's own /dev then goes (mkpath-made mount points recorded in @made).
 *
 * Why: in a user namespace the kernel mounts a new proc (or sysfs) only if
 * one already in the mount namespace is "fully visible": mounted from its
 * root with no locked mount over anything but an empty directory
 * (fs/namespace.c, mount_too_revealing).  The jail's own /proc has the
 * masks over /proc/kcore and the rest, locked in every namespace made
 * inside: these unmasked copies, beneath /dev where nothing can reach
 * them, are the ones the kernel finds.  The jail's processes see the
 * masked /proc; a process that makes a user namespace and mounts a proc of
 * its own sees an unmasked one (cloison-run(1), --nested). */
int cl_nested_hidden_mounts(int rootfd, struct cl_made *made, struct cl_err *err);

#endif
