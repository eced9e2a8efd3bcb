/* The exit port (0x501: outl of the command's status stops the VM) and the
 * marker port (0x504: outb of an enum cl_marker records a timestamp). */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "vm/ports.h"
#include "vm/vm_internal.h"

static int exit_write(struct cl_vm_dev *d, uint64_t off, const void *data, unsigned len,
		      struct cl_err *err)
{
	uint32_t v = 0;

	if (off != 0 || len != 4)
		return cl_fail(err, 0,
			       "guest wrote %u byte(s) to exit port 0x%llx (expected a 4-byte "
			       "status at 0x%x)",
			       len, (unsigned long long)(d->base + off), CL_PORT_EXIT);
	memcpy(&v, data, 4);
	if (v > 255)
		return cl_fail(err, 0,
			       "guest reported an invalid exit status %u (0x%x) on port 0x%x", v, v,
			       CL_PORT_EXIT);
	cl_vm_stop_status(d->opaque, (int)v);
	return 0;
}

static int none_read(struct cl_vm_dev *d, uint64_t off, void *data, unsigned len,
		     struct cl_err *err)
{
	memset(data, 0xff, len);
	return 0;
}

static int marker_write(struct cl_vm_dev *d, uint64_t off, const void *data, unsigned len,
			struct cl_err *err)
{
	cl_vm_mark(d->opaque, *(const uint8_t *)data);
	return 0;
}

static struct cl_vm_dev *new_dev(struct cl_vm *vm, const char *name, uint16_t port,
				 int (*wr)(struct cl_vm_dev *, uint64_t, const void *, unsigned,
					   struct cl_err *))
{
	struct cl_vm_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	*d = (struct cl_vm_dev){.name = name,
				.pio = true,
				.base = port,
				.len = 1,
				.irq = -1,
				.opaque = vm,
				.read = none_read,
				.write = wr};
	return d;
}

struct cl_vm_dev *cl_exitport_new(struct cl_vm *vm)
{
	return new_dev(vm, "exit-port", CL_PORT_EXIT, exit_write);
}

struct cl_vm_dev *cl_marker_new(struct cl_vm *vm)
{
	return new_dev(vm, "marker-port", CL_PORT_MARKER, marker_write);
}
