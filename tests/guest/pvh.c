/* The PVH entry of the test guest (ELF with XEN_ELFNOTE_PHYS32_ENTRY): check
 * struct hvm_start_info, then the ACPI tables it points to. */
#include "guest.h"

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

extern char __bss_end[];
void pvh_main(const struct hvm_start_info *si);

static int check_start_info(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *mm = (const void *)si->memmap_paddr;
	int covers = 0;

	if (si->magic != 0x336ec578)
		FAIL(60, "hvm_start_info magic wrong");
	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries || si->memmap_entries > 128)
		FAIL(61, "hvm_start_info version or memory map missing");
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		if (mm[i].type == 1 && mm[i].addr <= 0x100000 &&
		    mm[i].addr + mm[i].size >= (uint64_t)__bss_end)
			covers = 1;
	if (!covers)
		FAIL(62, "PVH memory map does not cover the kernel");
	if (!si->cmdline_paddr || !si->rsdp_paddr)
		FAIL(63, "hvm_start_info lacks the command line or the RSDP");
	puts_("testguest: PVH start info ok\n");
	return 0;
}

void pvh_main(const struct hvm_start_info *si)
{
	static uint8_t bp[4096];
	const char *cmdline;
	int r;

	const char *b;
	size_t bl;

	mark(1);
	b = bench_arg((const char *)si->cmdline_paddr, &bl);
	if (b)
		bench(b, bl);
	puts_("testguest: started via PVH\n");
	r = check_start_info(si);
	if (!r) {
		cmdline = (const char *)si->cmdline_paddr;
		/* the ACPI checks read the RSDP from a boot_params-like page */
		memcpy(bp + 0x70, &si->rsdp_paddr, 8);
		r = check_acpi(bp, cmdline);
	}
	if (!r)
		puts_("testguest: all checks passed\n");
	guest_exit((uint32_t)r);
}
