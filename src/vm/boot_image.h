/* Parsing of kernel images, as a pure function over a buffer (fuzzed by
 * tests/fuzz/fuzz_bootimage.c): a Linux bzImage (x86 boot protocol >= 2.12,
 * 64-bit entry) or an ELF64 vmlinux with a Xen PVH entry note. */
#ifndef CL_VM_BOOT_IMAGE_H
#define CL_VM_BOOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cl_err;

/* Marks cloison's freestanding test guest (tests/guest/): the bzImage's
 * kernel_version string starts with it; the ELF has a "CLOISON" note with it. */
#define CL_TESTGUEST_SIGNATURE "cloison-testguest"

#define CL_BOOT_MAX_SEGS 16

enum cl_boot_kind { CL_BOOT_BZIMAGE = 1, CL_BOOT_PVH };

struct cl_boot_seg {
	uint64_t offset, filesz, memsz, paddr;
};

struct cl_boot_image {
	enum cl_boot_kind kind;
	bool testguest;	  /* our test guest, not a stock kernel */
	char version[80]; /* kernel_version string ("" if none) */

	/* bzImage */
	uint16_t protocol;		/* 0x020f for 2.15 */
	size_t setup_size;		/* boot sector + setup sectors, in bytes */
	size_t hdr_end;			/* end of the setup header within the file */
	size_t kernel_off, kernel_size; /* protected-mode part */
	uint32_t init_size;		/* memory the kernel needs from its load address */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size; /* maximum length, without the NUL */
	uint16_t xloadflags;

	/* PVH ELF */
	uint32_t pvh_entry;
	struct cl_boot_seg seg[CL_BOOT_MAX_SEGS];
	unsigned nseg;
};

/* 0 and @out filled, or -1 with @err saying what is wrong with the image. */
int cl_boot_image_parse(const uint8_t *buf, size_t len, struct cl_boot_image *out,
			struct cl_err *err);

/* Offsets in the bzImage setup header / boot_params (Documentation/arch/x86/boot.rst). */
#define BP_ACPI_RSDP	     0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES	     0x1e8
#define BP_SETUP_SECTS	     0x1f1
#define BP_SYSSIZE	     0x1f4
#define BP_BOOT_FLAG	     0x1fe
#define BP_JUMP		     0x200
#define BP_HEADER	     0x202
#define BP_VERSION	     0x206
#define BP_KERNEL_VERSION    0x20e
#define BP_TYPE_OF_LOADER    0x210
#define BP_LOADFLAGS	     0x211
#define BP_RAMDISK_IMAGE     0x218
#define BP_RAMDISK_SIZE	     0x21c
#define BP_HEAP_END_PTR	     0x224
#define BP_CMD_LINE_PTR	     0x228
#define BP_INITRD_ADDR_MAX   0x22c
#define BP_KERNEL_ALIGNMENT  0x230
#define BP_RELOCATABLE	     0x234
#define BP_XLOADFLAGS	     0x236
#define BP_CMDLINE_SIZE	     0x238
#define BP_INIT_SIZE	     0x260
#define BP_E820_TABLE	     0x2d0
#define BP_E820_MAX	     128
#define BP_SIZE		     4096

#define LOADFLAG_LOADED_HIGH  0x01
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64	      0x01

#endif
