/* Checks of what the boot protocol promises: boot_params and the CPU state
 * at the 64-bit entry. */
#include "guest.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

extern char __bss_end[];

int check_zero_page(const uint8_t *bp)
{
	unsigned n = bp[0x1e8];
	uint64_t prev_end = 0, ram = 0, kernel_end = (uint64_t)__bss_end;
	int covers_kernel = 0;
	uint32_t cmd = rd32(bp + 0x228);

	if (rd16(bp + 0x1fe) != 0xaa55 || memcmp(bp + 0x202, "HdrS", 4))
		FAIL(10, "boot_params has no setup header signature (0xAA55/HdrS)");
	if (bp[0x210] != 0xff)
		FAIL(11, "type_of_loader is not 0xff");
	if (!(bp[0x211] & 1))
		FAIL(12, "loadflags lacks LOADED_HIGH");
	if (n == 0 || n > 128)
		FAIL(13, "e820_entries out of range");
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e = bp + 0x2d0 + 20 * i;
		uint64_t a = rd64(e), s = rd64(e + 8);
		uint32_t t = rd32(e + 16);
		if (!s || a < prev_end || a + s < a)
			FAIL(14, "e820 map unsorted, overlapping or empty entry");
		prev_end = a + s;
		if (t == 1) {
			ram += s;
			if (a <= 0x100000 && a + s >= kernel_end)
				covers_kernel = 1;
		}
	}
	if (!covers_kernel || ram < (8u << 20))
		FAIL(15, "e820 RAM does not cover the kernel or is under 8 MiB");
	if (!cmd || cmd >= prev_end)
		FAIL(16, "cmd_line_ptr missing or outside RAM");
	if (strlen((const char *)(uint64_t)cmd) > 4096)
		FAIL(17, "command line not terminated");
	puts_("testguest: zero page ok (e820 ");
	putu(n);
	puts_(" entries, ");
	putu(ram >> 20);
	puts_(" MiB RAM)\n");
	return 0;
}

/* Walk the page tables for @va; returns the physical address or ~0. */
static uint64_t walk(uint64_t cr3, uint64_t va)
{
	uint64_t t = cr3 & ~0xfffULL;
	for (int lvl = 3; lvl >= 0; lvl--) {
		uint64_t e = ((uint64_t *)t)[(va >> (12 + 9 * lvl)) & 511];
		if (!(e & 1))
			return ~0ULL;
		if (lvl == 0 || (lvl <= 2 && (e & 0x80))) {
			uint64_t mask = (1ULL << (12 + 9 * lvl)) - 1;
			return (e & 0x000ffffffffff000ULL & ~mask) | (va & mask);
		}
		t = e & 0x000ffffffffff000ULL;
	}
	return ~0ULL;
}

int check_cpu(const uint8_t *bp)
{
	uint64_t cr0, cr3, cr4, efer = rdmsr(0xc0000080);
	uint16_t cs, ds, ss;
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} gdtr;
	uint32_t r[4];

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	__asm__ volatile("mov %%ds, %0" : "=r"(ds));
	__asm__ volatile("mov %%ss, %0" : "=r"(ss));
	__asm__ volatile("sgdt %0" : "=m"(gdtr));

	if ((cr0 & 0x80000001) != 0x80000001)
		FAIL(20, "CR0 lacks PE or PG");
	if (!(cr4 & 0x20))
		FAIL(21, "CR4 lacks PAE");
	if ((efer & 0x500) != 0x500)
		FAIL(22, "EFER lacks LME or LMA");
	if (cs != 0x10 || ds != 0x18 || ss != 0x18)
		FAIL(23, "segments are not __BOOT_CS 0x10 / __BOOT_DS 0x18");
	if (gdtr.limit < 0x1f)
		FAIL(24, "GDT too short");
	{
		uint64_t code = ((uint64_t *)gdtr.base)[cs >> 3];
		uint64_t data = ((uint64_t *)gdtr.base)[ds >> 3];
		if (!(code & (1ULL << 47)) || !(code & (1ULL << 53)) || !(code & (1ULL << 43)))
			FAIL(25, "GDT code descriptor is not present 64-bit code");
		if (!(data & (1ULL << 47)) || (data & (1ULL << 43)) || !(data & (1ULL << 41)))
			FAIL(26, "GDT data descriptor is not present writable data");
	}
	if (walk(cr3, (uint64_t)bp) != (uint64_t)bp || walk(cr3, 0x100200) != 0x100200 ||
	    walk(cr3, 0xfee00000) != 0xfee00000)
		FAIL(27, "page tables are not an identity map of the low 4 GiB");
	cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		FAIL(28, "CPUID lacks the hypervisor bit");
	if (r[1] >> 24 != 0)
		FAIL(29, "boot CPU APIC id is not 0");
	cpuid(0x40000000, 0, r);
	if (memcmp(&r[1], "KVMKVMKVM", 9) && memcmp(&r[1], "KVMKVMKVM\0\0\0", 12))
		FAIL(30, "CPUID 0x40000000 is not KVM's signature");
	puts_("testguest: cpu ok (long mode, GDT, identity map, CPUID)\n");
	return 0;
}
