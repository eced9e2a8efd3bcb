/* What the VM back end hands the guest, derived from the spec and the host:
 * the guest spec, the cloison-init binary, the guest kernel's modules. */
#ifndef CL_VM_GUEST_FILES_H
#define CL_VM_GUEST_FILES_H

#include <stddef.h>

#include "guest/spec.h"
#include "spec/spec.h"
#include "util/error.h"

/* The guest spec for @s: argv, env, cwd, uid, gid, hostname; with a disk
 * (s->disk) the root is /dev/vda, read-only when s->readonly.  Strings are
 * borrowed from @s: @g lives no longer than @s and is not freed. */
void cl_guest_spec_from_spec(const struct cl_spec *s, struct cl_guest_spec *g);

/* The cloison-init binary: $CLOISON_INIT, else next to the running cloison
 * (the build tree), else CL_SHAREDIR/cloison-init (installed). */
int cl_guest_init_path(char *buf, size_t len, struct cl_err *err);

/* /lib/modules/<ver> for a kernel image named .../vmlinuz-<ver>, else for the
 * release in the image's own kernel_version string; "" when there is none (a
 * kernel with virtio built in needs none). */
void cl_guest_modules_dir(const char *kernel, char *buf, size_t len);

#endif
