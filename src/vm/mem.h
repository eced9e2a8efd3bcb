/* Guest memory as the VMM's devices see it, and the MMIO/PIO device table.
 * Every guest-supplied address goes through cl_gpa(): it returns NULL unless
 * [gpa, gpa+len) lies wholly inside guest RAM, so a hostile guest cannot make
 * a device read or write outside its memory. */
#ifndef CL_VM_MEM_H
#define CL_VM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cl_vm_mem {
	uint8_t *host; /* mapping of guest physical 0..size */
	uint64_t size;
};

static inline void *cl_gpa(const struct cl_vm_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->host + gpa;
}

/* An emulated device on the MMIO or port I/O bus.  Handlers get the offset
 * from @base; a return of -1 means "the guest did something fatal" and stops
 * the VM with the message the device left in its cl_err. */
struct cl_err;
struct cl_vm_dev {
	const char *name;
	bool pio; /* port I/O rather than MMIO */
	uint64_t base, len;
	int irq; /* GSI, -1 for none */
	void *opaque;
	int (*read)(struct cl_vm_dev *d, uint64_t off, void *data, unsigned len,
		    struct cl_err *err);
	int (*write)(struct cl_vm_dev *d, uint64_t off, const void *data, unsigned len,
		     struct cl_err *err);
	/* Set by the VMM before the first access: raise/lower this device's IRQ line. */
	void (*set_irq)(struct cl_vm_dev *d, int level);
	void *vm;      /* back pointer for set_irq */
	int vm_fd;     /* set with set_irq: the KVM VM's fd (ioeventfds), 0 before */
	bool own_lock; /* its handlers lock what they share: no bus lock around them */
};

#endif
