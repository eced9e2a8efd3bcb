/* Kernel modules the guest kernel has as =m (virtio_mmio, virtio_blk, ...),
 * shipped decompressed in the initramfs by the host's initramfs writer. */
#ifndef CL_GUEST_KMOD_H
#define CL_GUEST_KMOD_H

#include "util/error.h"

/* Load every module named in @dir/order (one "NAME.ko" a line, dependencies
 * first) with finit_module(2).  Already-loaded modules are fine; a missing
 * order file means there is nothing to load. */
int cl_guest_load_modules(const char *dir, struct cl_err *err);

#endif
