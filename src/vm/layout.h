/* Guest physical memory map used by the boot code, ACPI and the run loop. */
#ifndef CL_VM_LAYOUT_H
#define CL_VM_LAYOUT_H

#define CL_GDT_ADDR	  0x500ULL  /* 5 descriptors, see boot_cpu.c */
#define CL_PVH_INFO_ADDR  0x6000ULL /* hvm_start_info + memmap + modlist */
#define CL_ZERO_PAGE_ADDR 0x7000ULL /* struct boot_params */
#define CL_BOOT_STACK	  0x8ff0ULL
#define CL_PML4_ADDR	  0x9000ULL /* identity map of the first 4 GiB: */
#define CL_PDPT_ADDR	  0xa000ULL /*  PML4, PDPT, 4 PDs of 2 MiB pages */
#define CL_PD_ADDR	  0xb000ULL
#define CL_CMDLINE_ADDR	  0x20000ULL
#define CL_CMDLINE_MAX	  0x10000ULL
#define CL_EBDA_START	  0x9fc00ULL
#define CL_ACPI_ADDR	  0xe0000ULL /* RSDP first, then the other tables */
#define CL_ACPI_SIZE	  0x20000ULL
#define CL_KERNEL_ADDR	  0x100000ULL /* bzImage protected-mode part */
#define CL_MIN_MEM	  (8ULL << 20)

#define CL_IOAPIC_ADDR	     0xfec00000ULL
#define CL_LAPIC_ADDR	     0xfee00000ULL
#define CL_IDENTITY_MAP_ADDR 0xfffbc000ULL /* KVM's EPT identity page */
#define CL_TSS_ADDR	     0xfffbd000ULL /* KVM's real-mode TSS, 3 pages */

/* GDT selectors (Linux boot protocol: __BOOT_CS 0x10, __BOOT_DS 0x18). */
#define CL_SEL_CODE32 0x08
#define CL_SEL_CODE64 0x10
#define CL_SEL_DATA   0x18
#define CL_SEL_TSS    0x20

#endif
