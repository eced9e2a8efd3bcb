/* The guest kernel's modules, seen from the host: which files to ship for a
 * set of module names (modules.dep of /lib/modules/<ver>), in load order,
 * and their contents decompressed (.ko.xz with liblzma, .ko.zst with libzstd,
 * each dlopen'ed on first use: see util/lazylib.h) because the guest init
 * loads them with a plain finit_module(2). */
#ifndef CL_VM_KMOD_H
#define CL_VM_KMOD_H

#include <stddef.h>

#include "util/error.h"

struct cl_kmod_list {
	char **paths; /* relative to the modules dir, dependencies first */
	size_t n;
};

/* Resolve @names (NULL-terminated; '-' and '_' alike) against
 * @modules_dir/modules.dep.  Names built into the kernel (modules.builtin)
 * or unknown to it are left out: the kernel either has them or cannot. */
int cl_kmod_resolve(const char *modules_dir, const char *const *names, struct cl_kmod_list *out,
		    struct cl_err *err);
void cl_kmod_list_free(struct cl_kmod_list *l);

/* Read the module at @path, decompressing by its suffix; *data is malloc'ed. */
int cl_kmod_read(const char *path, void **data, size_t *len, struct cl_err *err);

/* "virtio_blk.ko" for "kernel/drivers/block/virtio_blk.ko.xz": the name the
 * module has in the initramfs; written into @buf. */
const char *cl_kmod_basename(const char *path, char *buf, size_t len);

#endif
