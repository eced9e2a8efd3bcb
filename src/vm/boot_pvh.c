/* PVH boot of an ELF vmlinux (the fast path, as in Firecracker and QEMU):
 * PT_LOAD segments at their physical addresses, a struct hvm_start_info
 * (xen/include/public/arch-x86/hvm/start_info.h) with the command line,
 * initrd module, RSDP and memory map, and entry at the
 * XEN_ELFNOTE_PHYS32_ENTRY address in 32-bit protected mode, EBX = info. */
#include <string.h>

#include "util/error.h"
#include "vm/boot_image.h"
#include "vm/layout.h"
#include "vm/vm_internal.h"

#define HVM_START_MAGIC 0x336ec578

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define MEMMAP_MAX 16

int cl_boot_load_pvh(struct cl_vm *vm, const uint8_t *buf, const struct cl_boot_image *bi,
		     uint64_t rsdp, struct cl_boot_entry *entry, struct cl_err *err)
{
	struct hvm_start_info *si = (void *)(vm->mem.host + CL_PVH_INFO_ADDR);
	struct hvm_memmap_entry *mm = (void *)(si + 1);
	struct hvm_modlist_entry *mod = (void *)(mm + MEMMAP_MAX);
	const char *cmdline = vm->cfg->cmdline ? vm->cfg->cmdline : "";
	size_t clen = strlen(cmdline);
	uint64_t kend = 0, initrd, initrd_size;
	struct cl_e820 e820[MEMMAP_MAX];
	unsigned ne;

	for (unsigned i = 0; i < bi->nseg; i++) {
		const struct cl_boot_seg *s = &bi->seg[i];
		uint8_t *dst = cl_gpa(&vm->mem, s->paddr, s->memsz);

		if (!dst || s->paddr < CL_KERNEL_ADDR)
			return cl_fail(err, 0,
				       "kernel segment at 0x%llx (%llu bytes) is outside guest RAM",
				       (unsigned long long)s->paddr, (unsigned long long)s->memsz);
		memcpy(dst, buf + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
		if (s->paddr + s->memsz > kend)
			kend = s->paddr + s->memsz;
	}
	if (clen >= CL_CMDLINE_MAX)
		return cl_fail(err, 0, "kernel command line too long (%zu bytes)", clen);
	memcpy(vm->mem.host + CL_CMDLINE_ADDR, cmdline, clen + 1);

	memset(si, 0, sizeof(*si));
	si->magic = HVM_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = CL_CMDLINE_ADDR;
	si->rsdp_paddr = rsdp;
	if (cl_boot_load_initrd(vm, (kend + 0xfff) & ~0xfffULL, UINT32_MAX, &initrd, &initrd_size,
				err) < 0)
		return -1;
	if (initrd_size) {
		memset(mod, 0, sizeof(*mod));
		mod->paddr = initrd;
		mod->size = initrd_size;
		si->nr_modules = 1;
		si->modlist_paddr = CL_PVH_INFO_ADDR + ((uint8_t *)mod - (uint8_t *)si);
	}
	ne = cl_e820_build(vm->mem.size, e820, MEMMAP_MAX);
	for (unsigned i = 0; i < ne; i++)
		mm[i] = (struct hvm_memmap_entry){e820[i].addr, e820[i].size, e820[i].type, 0};
	si->memmap_paddr = CL_PVH_INFO_ADDR + sizeof(*si);
	si->memmap_entries = ne;

	entry->long_mode = 0;
	entry->rip = bi->pvh_entry;
	entry->arg = CL_PVH_INFO_ADDR;
	return 0;
}
