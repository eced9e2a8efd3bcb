/* One vCPU: its fd, its kvm_run page, CPUID/MSR/LAPIC/FPU set-up and the
 * register state for the two boot entries. */
#ifndef CL_VM_CPU_H
#define CL_VM_CPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>

struct cl_err;
struct cl_vm;

struct cl_vcpu {
	unsigned id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	int started;
	struct cl_vm *vm;
	/* watchdog sample, written by the vCPU thread after a kick */
	int sample_gen, sample_idle, sample_hlt_noint;
};

/* Create vCPU @id of @ncpus with CPUID, MSRs, FPU and LAPIC set up. */
int cl_vcpu_create(struct cl_vcpu *c, int kvm_fd, int vm_fd, unsigned id, unsigned ncpus,
		   struct cl_err *err);
void cl_vcpu_destroy(struct cl_vcpu *c);

/* Writes the GDT and the identity page tables into guest memory. */
void cl_boot_write_gdt_pagetables(uint8_t *ram);
/* 64-bit long mode at @rip with RSI = @rsi (Linux 64-bit boot protocol). */
int cl_vcpu_enter_long_mode(struct cl_vcpu *c, uint64_t rip, uint64_t rsi, struct cl_err *err);
/* 32-bit protected mode, paging off, at @eip with EBX = @ebx (PVH). */
int cl_vcpu_enter_prot32(struct cl_vcpu *c, uint32_t eip, uint32_t ebx, struct cl_err *err);

#endif
