/* Boot-time CPU state: a flat GDT, identity page tables for the first 4 GiB,
 * and the segment/control registers of the 64-bit (bzImage) and 32-bit (PVH)
 * entries. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#include "util/error.h"
#include "vm/cpu.h"
#include "vm/layout.h"

#define CR0_PE	 0x1ULL
#define CR0_ET	 0x10ULL
#define CR0_NE	 0x20ULL
#define CR0_PG	 0x80000000ULL
#define CR4_PAE	 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

static const uint64_t gdt[] = {
    0,
    0x00cf9b000000ffffULL, /* 0x08: 32-bit code, flat */
    0x00af9b000000ffffULL, /* 0x10: 64-bit code */
    0x00cf93000000ffffULL, /* 0x18: data, flat */
    0x00008b0000000067ULL, /* 0x20: TSS (busy), base 0, limit 0x67 */
};

static struct kvm_segment seg_from_gdt(uint16_t sel)
{
	uint64_t d = gdt[sel >> 3];
	struct kvm_segment s = {
	    .base = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000)),
	    .limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000)),
	    .selector = sel,
	    .type = (uint8_t)((d >> 40) & 0xf),
	    .present = (uint8_t)((d >> 47) & 1),
	    .dpl = (uint8_t)((d >> 45) & 3),
	    .db = (uint8_t)((d >> 54) & 1),
	    .s = (uint8_t)((d >> 44) & 1),
	    .l = (uint8_t)((d >> 53) & 1),
	    .g = (uint8_t)((d >> 55) & 1),
	};
	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

void cl_boot_write_gdt_pagetables(uint8_t *ram)
{
	uint64_t *pml4 = (uint64_t *)(ram + CL_PML4_ADDR);
	uint64_t *pdpt = (uint64_t *)(ram + CL_PDPT_ADDR);
	uint64_t *pd = (uint64_t *)(ram + CL_PD_ADDR);

	memcpy(ram + CL_GDT_ADDR, gdt, sizeof(gdt));
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = CL_PDPT_ADDR | 3; /* present, writable */
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (CL_PD_ADDR + i * 4096ULL) | 3;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* 2 MiB page, writable, present */
}

static int set_sregs(struct cl_vcpu *c, bool long_mode, struct cl_err *err)
{
	struct kvm_sregs s;
	struct kvm_segment data = seg_from_gdt(CL_SEL_DATA);

	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		return cl_fail(err, errno, "cannot read the registers of vCPU %u", c->id);
	s.cs = seg_from_gdt(long_mode ? CL_SEL_CODE64 : CL_SEL_CODE32);
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.tr = seg_from_gdt(CL_SEL_TSS);
	s.gdt.base = CL_GDT_ADDR;
	s.gdt.limit = sizeof(gdt) - 1;
	s.idt.base = 0;
	s.idt.limit = 0;
	if (long_mode) {
		s.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
		s.cr3 = CL_PML4_ADDR;
		s.cr4 = CR4_PAE;
		s.efer = EFER_LME | EFER_LMA;
	} else {
		s.cr0 = CR0_PE | CR0_ET | CR0_NE;
		s.cr3 = 0;
		s.cr4 = 0;
		s.efer = 0;
	}
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		return cl_fail(err, errno, "cannot set the system registers of vCPU %u", c->id);
	return 0;
}

int cl_vcpu_enter_long_mode(struct cl_vcpu *c, uint64_t rip, uint64_t rsi, struct cl_err *err)
{
	struct kvm_regs r = {.rip = rip, .rsi = rsi, .rsp = CL_BOOT_STACK, .rflags = 2};

	if (set_sregs(c, true, err) < 0)
		return -1;
	if (ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return cl_fail(err, errno, "cannot set the registers of vCPU %u", c->id);
	return 0;
}

int cl_vcpu_enter_prot32(struct cl_vcpu *c, uint32_t eip, uint32_t ebx, struct cl_err *err)
{
	struct kvm_regs r = {.rip = eip, .rbx = ebx, .rflags = 2};

	if (set_sregs(c, false, err) < 0)
		return -1;
	if (ioctl(c->fd, KVM_SET_REGS, &r) < 0)
		return cl_fail(err, errno, "cannot set the registers of vCPU %u", c->id);
	return 0;
}
