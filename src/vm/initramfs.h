/* The initramfs of a cloison micro-VM: cloison-init as /init, the guest
 * kernel's virtio modules decompressed under /.cloison/modules, the spec as
 * /.cloison/spec, and optionally a whole rootfs tree.  Written as cpio newc
 * by cloison itself (cpio.c) and cached by the hash of its inputs. */
#ifndef CL_VM_INITRAMFS_H
#define CL_VM_INITRAMFS_H

#include <stddef.h>

#include "util/error.h"

struct cl_guest_spec;

/* The modules cloison-init loads when the kernel has them as =m (virtio_pci
 * too, so that the same image boots under QEMU -M pc for tests and benches). */
#define CL_INITRAMFS_MODULES                                                                       \
	"virtio_mmio", "virtio_pci", "virtio_blk", "virtio_console", "virtio_net",                 \
	    "vmw_vsock_virtio_transport"

/* Build (or find in @cache_dir) the initramfs and put its path in @out_path.
 *   @rootfs_dir   tree to ship as the guest's root, or NULL when the root is a
 *                 disk (spec->root_dev) and the initramfs holds only init
 *   @spec         what init runs (src/guest/spec.h)
 *   @modules_dir  /lib/modules/<ver> of the guest kernel, or NULL for a kernel
 *                 with virtio built in
 *   @init_path    the static cloison-init binary
 *   @cache_dir    created if missing (0700)
 * Two cache levels, both named by a SHA-256 of their inputs: the heavy part
 * (rootfs, init, modules) as base-<hash>.cpio, and the whole image, base plus
 * a small second archive holding the spec (the kernel unpacks concatenated
 * archives), as <hash>.cpio.  A new command over the same rootfs thus only
 * copies the base.  The rootfs enters the hash through each entry's path,
 * type, mode, owner, size, mtime and ctime (any write changes ctime), so it
 * is not read twice; init and the modules the same way, the spec through
 * its bytes (SHA-256 in util/sha256.c: no libcrypto to load).  Files are
 * written to a temporary name and renamed, so concurrent builders are safe. */
struct cl_initramfs_bind {
	const char *source; /* host directory or regular file */
	const char *dest;   /* absolute path in the guest */
};
/* @binds (@n_binds, may be 0): host trees copied into the image at their
 * destination, hiding what the rootfs has there (--bind SRC:DST:ro; the
 * spec's ro_binds makes them read-only in the guest).  They enter the cache
 * key as the rootfs does. */
int cl_initramfs_build(const char *rootfs_dir, const struct cl_initramfs_bind *binds,
		       size_t n_binds, const struct cl_guest_spec *spec, const char *modules_dir,
		       const char *init_path, const char *cache_dir, char *out_path, size_t out_len,
		       struct cl_err *err);

#endif
