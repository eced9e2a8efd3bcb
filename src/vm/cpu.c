/* vCPU creation: CPUID from KVM_GET_SUPPORTED_CPUID with this vCPU's APIC id
 * and the topology, boot MSRs, FPU defaults and the LAPIC's LINT pins. */
#include "vm/cpu.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/error.h"

#define CPUID_MAX_ENT 256

struct cpuid_buf {
	struct kvm_cpuid2 c;
	struct kvm_cpuid_entry2 e[CPUID_MAX_ENT];
};

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

static void fix_cpuid(struct cpuid_buf *cb, unsigned id, unsigned ncpus)
{
	for (unsigned i = 0; i < cb->c.nent; i++) {
		struct kvm_cpuid_entry2 *e = &cb->e[i];

		switch (e->function) {
		case 1:
			/* APIC id, logical processor count (HTT), and "hypervisor". */
			e->ebx = (e->ebx & 0xffff) | (id << 24) | ((ncpus & 0xff) << 16);
			if (ncpus > 1)
				e->edx |= 1u << 28;
			e->ecx |= 1u << 31;
			break;
		case 0xb:
		case 0x1f:
			/* one thread per core, ncpus cores in one package */
			e->edx = id;
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = 1u << 8;
			} else if (e->index == 1) {
				e->eax = bits_for(ncpus);
				e->ebx = ncpus;
				e->ecx = 2u << 8 | 1;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			break;
		case 0x8000001e: e->eax = id; break;
		case 0x40000000:
			/* "KVMKVMKVM": lets Linux use kvm-clock and the other PV features */
			if (e->eax < 0x40000001)
				e->eax = 0x40000001;
			break;
		}
	}
}

static int setup_msrs(struct cl_vcpu *c, struct cl_err *err)
{
	static const uint32_t zero[] = {
	    0x174,	0x175,	    0x176,	/* SYSENTER_CS/ESP/EIP */
	    0xc0000081, 0xc0000082, 0xc0000083, /* STAR, LSTAR, CSTAR */
	    0xc0000084, 0xc0000102,		/* SYSCALL_MASK, KERNEL_GS_BASE */
	};
	struct {
		struct kvm_msrs m;
		struct kvm_msr_entry e[16];
	} b;
	unsigned n = 0;
	int r;

	memset(&b, 0, sizeof(b));
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		b.e[n++].index = zero[i];
	b.e[n].index = 0x1a0; /* IA32_MISC_ENABLE: fast strings */
	b.e[n++].data = 1;
	b.e[n].index = 0x2ff; /* MTRRdefType: enabled, write-back */
	b.e[n++].data = (1u << 11) | 6;
	b.m.nmsrs = n;
	r = ioctl(c->fd, KVM_SET_MSRS, &b);
	if (r < 0)
		return cl_fail(err, errno, "cannot set the MSRs of vCPU %u", c->id);
	/* KVM stops at the first MSR it refuses; those that follow are optional. */
	if (r < (int)n - 2)
		return cl_fail(err, 0, "KVM refused MSR 0x%x of vCPU %u", b.e[r].index, c->id);
	return 0;
}

static int setup_lapic(struct cl_vcpu *c, struct cl_err *err)
{
	struct kvm_lapic_state l;
	uint32_t v;

	if (ioctl(c->fd, KVM_GET_LAPIC, &l) < 0)
		return cl_fail(err, errno, "cannot read the LAPIC of vCPU %u", c->id);
	/* LINT0: ExtINT (the 8259), LINT1: NMI, as firmware leaves them. */
	memcpy(&v, l.regs + 0x350, 4);
	v = (v & ~0x700u & ~0x10000u) | 0x700;
	memcpy(l.regs + 0x350, &v, 4);
	memcpy(&v, l.regs + 0x360, 4);
	v = (v & ~0x700u & ~0x10000u) | 0x400;
	memcpy(l.regs + 0x360, &v, 4);
	if (ioctl(c->fd, KVM_SET_LAPIC, &l) < 0)
		return cl_fail(err, errno, "cannot set the LAPIC of vCPU %u", c->id);
	return 0;
}

int cl_vcpu_create(struct cl_vcpu *c, int kvm_fd, int vm_fd, unsigned id, unsigned ncpus,
		   struct cl_err *err)
{
	static struct cpuid_buf supported;
	static int have_supported;
	struct cpuid_buf cb;
	struct kvm_fpu fpu;
	int sz;

	memset(c, 0, sizeof(*c));
	c->id = id;
	c->fd = ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (c->fd < 0)
		return cl_fail(err, errno, "cannot create vCPU %u", id);
	sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return cl_fail(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
	c->run_size = (size_t)sz;
	c->run = mmap(NULL, c->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		return cl_fail(err, errno, "cannot map the run area of vCPU %u", id);
	}

	/* vCPUs are created one after the other by one thread: caching is safe. */
	if (!have_supported) {
		supported.c.nent = CPUID_MAX_ENT;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, &supported) < 0)
			return cl_fail(err, errno, "KVM_GET_SUPPORTED_CPUID");
		have_supported = 1;
	}
	cb = supported;
	fix_cpuid(&cb, id, ncpus);
	if (ioctl(c->fd, KVM_SET_CPUID2, &cb) < 0)
		return cl_fail(err, errno, "cannot set the CPUID of vCPU %u", id);
	if (setup_msrs(c, err) < 0 || setup_lapic(c, err) < 0)
		return -1;
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(c->fd, KVM_SET_FPU, &fpu) < 0)
		return cl_fail(err, errno, "cannot set the FPU of vCPU %u", id);
	return 0;
}

void cl_vcpu_destroy(struct cl_vcpu *c)
{
	if (c->run)
		munmap(c->run, c->run_size);
	if (c->fd > 0)
		close(c->fd);
	c->run = NULL;
	c->fd = -1;
}
