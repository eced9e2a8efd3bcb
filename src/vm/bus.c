/* The device table (kvmtool style): port I/O and MMIO exits are dispatched to
 * the device whose [base, base+len) holds the address.  Nobody's addresses
 * read as all ones and swallow writes; they are only counted, so a guest
 * probing or flooding them cannot crash or wedge the monitor. */
#include <string.h>

#include "util/error.h"
#include "vm/kvm.h"
#include "vm/vm_internal.h"

static void dev_set_irq(struct cl_vm_dev *d, int level)
{
	struct cl_vm *vm = d->vm;

	if (d->irq >= 0)
		cl_kvm_irq_line(vm->vm_fd, d->irq, level);
}

int cl_bus_add(struct cl_vm *vm, struct cl_vm_dev *d, struct cl_err *err)
{
	if (vm->ndevs == CL_VM_MAX_DEVS)
		return cl_fail(err, 0, "too many devices (at most %d)", CL_VM_MAX_DEVS);
	if (!d->len || d->base + d->len < d->base)
		return cl_fail(err, 0, "device %s has an empty or wrapping range", d->name);
	for (unsigned i = 0; i < vm->ndevs; i++) {
		struct cl_vm_dev *o = vm->devs[i];

		if (o->pio == d->pio && d->base < o->base + o->len && o->base < d->base + d->len)
			return cl_fail(err, 0, "device %s at 0x%llx overlaps %s", d->name,
				       (unsigned long long)d->base, o->name);
	}
	d->vm = vm;
	d->vm_fd = vm->vm_fd;
	d->set_irq = dev_set_irq;
	vm->devs[vm->ndevs++] = d;
	return 0;
}

static struct cl_vm_dev *find(struct cl_vm *vm, bool pio, uint64_t addr)
{
	for (unsigned i = 0; i < vm->ndevs; i++) {
		struct cl_vm_dev *d = vm->devs[i];

		if (d->pio == pio && addr >= d->base && addr - d->base < d->len)
			return d;
	}
	return NULL;
}

static int bus_access(struct cl_vm *vm, bool pio, uint64_t addr, uint8_t *data, unsigned len,
		      bool write, struct cl_err *err)
{
	struct cl_vm_dev *d = find(vm, pio, addr);
	int r = 0;

	if (!d || (write ? !d->write : !d->read)) {
		if (!write)
			memset(data, 0xff, len);
		atomic_fetch_add(pio ? &vm->pio_unknown : &vm->mmio_unknown, 1);
		return 0;
	}
	/* virtio devices have a lock each: vCPUs on different devices (and the
	 * devices' I/O threads) do not wait for one another */
	if (!d->own_lock)
		pthread_mutex_lock(&vm->bus_lock);
	if (write)
		r = d->write(d, addr - d->base, data, len, err);
	else
		r = d->read(d, addr - d->base, data, len, err);
	if (!d->own_lock)
		pthread_mutex_unlock(&vm->bus_lock);
	if (r < 0 && !err->msg[0])
		cl_fail(err, 0, "device %s failed", d->name);
	return r < 0 ? -1 : 0;
}

int cl_bus_pio(struct cl_vm *vm, struct kvm_run *run, struct cl_err *err)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size;

	if (size != 1 && size != 2 && size != 4)
		return cl_fail(err, 0, "port I/O of odd size %u", size);
	for (uint32_t i = 0; i < run->io.count; i++, data += size)
		if (bus_access(vm, true, run->io.port, data, size,
			       run->io.direction == KVM_EXIT_IO_OUT, err) < 0)
			return -1;
	return 0;
}

int cl_bus_mmio(struct cl_vm *vm, struct kvm_run *run, struct cl_err *err)
{
	unsigned len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data))
		return cl_fail(err, 0, "MMIO access of odd size %u", len);
	return bus_access(vm, false, run->mmio.phys_addr, run->mmio.data, len, run->mmio.is_write,
			  err);
}
