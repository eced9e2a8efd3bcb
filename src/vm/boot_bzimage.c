/* Linux x86 boot protocol, 64-bit entry (Documentation/arch/x86/boot.rst):
 * protected-mode kernel at 1 MiB, boot_params ("zero page") built from the
 * image's setup header, e820 map, command line, initrd and RSDP pointer;
 * entry at load address + 0x200 in long mode with RSI = zero page. */
#include <string.h>

#include "util/error.h"
#include "vm/boot_image.h"
#include "vm/layout.h"
#include "vm/vm_internal.h"

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

int cl_boot_load_bzimage(struct cl_vm *vm, const uint8_t *buf, const struct cl_boot_image *bi,
			 uint64_t rsdp, struct cl_boot_entry *entry, struct cl_err *err)
{
	uint8_t *zp = vm->mem.host + CL_ZERO_PAGE_ADDR;
	const char *cmdline = vm->cfg->cmdline ? vm->cfg->cmdline : "";
	size_t clen = strlen(cmdline);
	uint64_t kend = CL_KERNEL_ADDR + bi->init_size, initrd, initrd_size, max_end;
	struct cl_e820 e820[BP_E820_MAX];
	unsigned ne;

	if (kend > vm->mem.size)
		return cl_fail(err, 0, "kernel needs %u MiB from 1 MiB on; guest has %llu MiB",
			       bi->init_size >> 20, (unsigned long long)(vm->mem.size >> 20));
	memcpy(vm->mem.host + CL_KERNEL_ADDR, buf + bi->kernel_off, bi->kernel_size);

	memset(zp, 0, BP_SIZE);
	memcpy(zp + BP_SETUP_SECTS, buf + BP_SETUP_SECTS, bi->hdr_end - BP_SETUP_SECTS);
	zp[BP_TYPE_OF_LOADER] = 0xff; /* undefined boot loader */
	zp[BP_LOADFLAGS] =
	    (uint8_t)((zp[BP_LOADFLAGS] | LOADFLAG_CAN_USE_HEAP) & ~0x20 /* QUIET */);
	memcpy(zp + BP_HEAP_END_PTR, &(uint16_t){0xfe00}, 2);

	if (clen >= CL_CMDLINE_MAX || (bi->cmdline_size && clen > bi->cmdline_size))
		return cl_fail(err, 0, "kernel command line too long (%zu bytes, kernel takes %u)",
			       clen, bi->cmdline_size);
	memcpy(vm->mem.host + CL_CMDLINE_ADDR, cmdline, clen + 1);
	put32(zp + BP_CMD_LINE_PTR, (uint32_t)CL_CMDLINE_ADDR);

	max_end = (uint64_t)bi->initrd_addr_max + 1;
	if (!bi->initrd_addr_max)
		max_end = 0x38000000ULL; /* the protocol's default for old kernels */
	if (cl_boot_load_initrd(vm, (kend + 0xfff) & ~0xfffULL, max_end, &initrd, &initrd_size,
				err) < 0)
		return -1;
	put32(zp + BP_RAMDISK_IMAGE, (uint32_t)initrd);
	put32(zp + BP_RAMDISK_SIZE, (uint32_t)initrd_size);

	ne = cl_e820_build(vm->mem.size, e820, BP_E820_MAX);
	zp[BP_E820_ENTRIES] = (uint8_t)ne;
	for (unsigned i = 0; i < ne; i++) {
		uint8_t *p = zp + BP_E820_TABLE + i * 20;

		memcpy(p, &e820[i].addr, 8);
		memcpy(p + 8, &e820[i].size, 8);
		put32(p + 16, e820[i].type);
	}
	memcpy(zp + BP_ACPI_RSDP, &rsdp, 8);

	entry->long_mode = 1;
	entry->rip = CL_KERNEL_ADDR + 0x200;
	entry->arg = CL_ZERO_PAGE_ADDR;
	return 0;
}
