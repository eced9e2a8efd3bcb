/* i8042 keyboard controller at 0x60/0x64: only what Linux touches when it
 * reboots ("reboot=k", or the fallback of every other method) and when it
 * probes: the command byte, self-tests, and command 0xFE, the CPU reset
 * line, which stops the VM as a guest-initiated reset. */
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "vm/vm_internal.h"

struct i8042 {
	struct cl_vm_dev dev;
	struct cl_vm *vm;
	uint8_t ctr, cmd, out;
	bool has_out;
};

static int i8042_read(struct cl_vm_dev *d, uint64_t off, void *data, unsigned len,
		      struct cl_err *err)
{
	struct i8042 *k = d->opaque;
	uint8_t v;

	if (d->base + off == 0x64) {
		v = 0x04 | (k->has_out ? 0x01 : 0); /* system flag, output full */
	} else {
		v = k->out;
		k->has_out = false;
	}
	memset(data, 0, len);
	*(uint8_t *)data = v;
	return 0;
}

static int i8042_write(struct cl_vm_dev *d, uint64_t off, const void *data, unsigned len,
		       struct cl_err *err)
{
	struct i8042 *k = d->opaque;
	uint8_t v = *(const uint8_t *)data;

	if (d->base + off == 0x60) {
		if (k->cmd == 0x60)
			k->ctr = v;
		k->cmd = 0;
		return 0;
	}
	k->cmd = v;
	switch (v) {
	case 0x20: /* read command byte */
		k->out = k->ctr;
		k->has_out = true;
		break;
	case 0xaa: /* controller self-test: passed */
		k->out = 0x55;
		k->has_out = true;
		break;
	case 0xa9: /* aux port test: no error */
	case 0xab: /* kbd port test */
		k->out = 0x00;
		k->has_out = true;
		break;
	case 0xfe: /* pulse the CPU reset line */
		cl_vm_stop_fail(k->vm, CL_EXIT_FAILURE, "%s",
				"guest reset the machine (i8042 reset) before reporting an exit "
				"status");
		break;
	}
	return 0;
}

struct cl_vm_dev *cl_i8042_new(struct cl_vm *vm)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->vm = vm;
	k->ctr = 0x47;
	k->dev = (struct cl_vm_dev){.name = "i8042",
				    .pio = true,
				    .base = 0x60,
				    .len = 5,
				    .irq = -1,
				    .opaque = k,
				    .read = i8042_read,
				    .write = i8042_write};
	return &k->dev;
}
