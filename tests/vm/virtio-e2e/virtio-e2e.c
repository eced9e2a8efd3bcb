/* End-to-end check of cloison's virtio devices with a real Linux guest:
 *   cl-virtio-e2e KERNEL INITRD DISK HVC_OUT
 * boots KERNEL with a virtio-blk on DISK and a virtio-console whose output
 * goes to HVC_OUT and whose input is "ping\n"; the UART is on stdout. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vm/virtio.h"
#include "vm/vm.h"

int main(int argc, char **argv)
{
	struct cl_vm_config cfg = {0};
	struct cl_vm_dev *devs[3];
	struct cl_err err = {0};
	uint64_t base;
	int irq, status = -1, in[2], out, r;

	if (argc != 6) {
		fprintf(stderr, "usage: %s KERNEL INITRD DISK HVC_OUT RO_DISK\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (pipe(in) < 0 || write(in[1], "ping\n", 5) != 5)
		return 2;
	out = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	cl_virtio_mmio_slot(0, &base, &irq);
	devs[0] = cl_virtio_blk_new(NULL, base, irq, argv[3], false, &err);
	if (!devs[0])
		goto fail;
	cl_virtio_mmio_slot(1, &base, &irq);
	devs[1] = cl_virtio_console_new(NULL, base, irq, in[0], out, &err);
	if (!devs[1] || cl_virtio_console_start_input_thread(devs[1], &err) < 0)
		goto fail;
	cl_virtio_console_hold_input_until_output(devs[1], true);
	cl_virtio_mmio_slot(2, &base, &irq);
	devs[2] = cl_virtio_blk_new(NULL, base, irq, argv[5], true, &err);
	if (!devs[2])
		goto fail;
	cfg.kernel = argv[1];
	cfg.initrd = argv[2];
	cfg.cmdline = "console=ttyS0 loglevel=4 panic=-1";
	cfg.vcpus = 2;
	cfg.mem_bytes = 256 << 20;
	cfg.console_in = -1;
	cfg.console_out = STDOUT_FILENO;
	cfg.timeout_ms = 100000;
	cfg.extra_devs = devs;
	cfg.n_extra_devs = 3;
	cfg.attach = cl_virtio_attach_devs;
	cfg.attach_ctx = &cfg;
	r = cl_vm_run(&cfg, &status, &err);
	printf("E2E-HOST cl_vm_run=%d status=%d err=%s\n", r, status, r < 0 ? err.msg : "");
	for (int i = 0; i < 3; i++) {
		const char *f = cl_virtio_failure(devs[i]);
		printf("E2E-HOST %s failure: %s\n", devs[i]->name, f ? f : "none");
	}
	for (int i = 0; i < 3; i++)
		cl_virtio_free(devs[i]);
	return 0;
fail:
	fprintf(stderr, "cloison: %s\n", err.msg);
	return 1;
}
