/* /dev/kvm and the VM file descriptor: capabilities, memory, irqchip, PIT. */
#ifndef CL_VM_KVM_H
#define CL_VM_KVM_H

#include <stdint.h>

struct cl_err;

/* Open /dev/kvm (O_CLOEXEC) and check the API version. */
int cl_kvm_open(struct cl_err *err);
/* Create a VM with TSS/identity pages, in-kernel irqchip with PC-style GSI
 * routing (ISA IRQ 0 on IOAPIC pin 2) and a PIT; returns the VM fd. */
int cl_kvm_create_vm(int kvm_fd, struct cl_err *err);
/* Map @size bytes of anonymous memory as guest RAM at 0; returns the mapping. */
uint8_t *cl_kvm_add_ram(int vm_fd, uint64_t size, struct cl_err *err);
/* Drive GSI @gsi to @level. */
void cl_kvm_irq_line(int vm_fd, int gsi, int level);

#endif
