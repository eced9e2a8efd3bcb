/* A hidden test entry point (tests/guest/vmrun.c; the CLI may expose it as
 * "cloison __vm-boot"): boot a kernel with the console on stdin/stdout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "vm/acpi.h"
#include "vm/layout.h"
#include "vm/vm.h"

static int dump_acpi(const char *dir, unsigned ncpus, unsigned nmmio, struct cl_err *err)
{
	static uint8_t area[CL_ACPI_SIZE];
	struct cl_acpi_mmio mmio[CL_VM_MMIO_MAX];
	struct cl_acpi_config ac = {.ncpus = ncpus, .mmio = mmio, .nmmio = nmmio};
	uint64_t rsdp;

	for (unsigned i = 0; i < nmmio && i < CL_VM_MMIO_MAX; i++)
		mmio[i] = (struct cl_acpi_mmio){CL_VM_MMIO_BASE + i * CL_VM_MMIO_STRIDE, 0x200,
						CL_VM_MMIO_GSI_BASE + i};
	if (cl_acpi_build(area, CL_ACPI_ADDR, sizeof(area), &ac, &rsdp, err) < 0)
		return -1;
	return cl_acpi_dump(area, CL_ACPI_ADDR, sizeof(area), dir, err);
}

/* A placeholder virtio-mmio device (device ID 0: "no device") so that the
 * DSDT and the MMIO path can be tested without the virtio back ends. */
static int dummy_read(struct cl_vm_dev *d, uint64_t off, void *data, unsigned len,
		      struct cl_err *err)
{
	uint32_t v = off == 0 ? 0x74726976 : off == 4 ? 2 : off == 0xc ? 0x554d4551 : 0;

	memset(data, 0, len);
	memcpy(data, &v, len < 4 ? len : 4);
	return 0;
}

static int dummy_write(struct cl_vm_dev *d, uint64_t off, const void *data, unsigned len,
		       struct cl_err *err)
{
	return 0;
}

int cl_vm_main_debug(int argc, char **argv)
{
	static struct cl_vm_dev dummy[CL_VM_MMIO_MAX];
	static struct cl_vm_dev *dummy_p[CL_VM_MMIO_MAX];
	static const struct option opts[] = {
	    {"vcpus", required_argument, NULL, 'c'},
	    {"mem", required_argument, NULL, 'm'},
	    {"initrd", required_argument, NULL, 'i'},
	    {"timeout", required_argument, NULL, 't'},
	    {"force", no_argument, NULL, 'f'},
	    {"dump-acpi", required_argument, NULL, 'd'},
	    {"mmio-devs", required_argument, NULL, 'n'},
	    {"probe", no_argument, NULL, 'p'},
	    {"is-stock", no_argument, NULL, 's'},
	    {"stdin", no_argument, NULL, 'I'},
	    {"dummy-mmio", required_argument, NULL, 'D'},
	    {NULL, 0, NULL, 0},
	};
	struct cl_vm_config cfg = {.console_in = -1, .console_out = STDOUT_FILENO};
	struct cl_err err = {0};
	const char *dump = NULL;
	unsigned nmmio = 0;
	int o, status = 0, is_stock = 0;

	optind = 1;
	while ((o = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (o) {
		case 'c': cfg.vcpus = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'm': cfg.mem_bytes = strtoull(optarg, NULL, 0) << 20; break;
		case 'i': cfg.initrd = optarg; break;
		case 't': cfg.timeout_ms = (unsigned)strtoul(optarg, NULL, 0) * 1000; break;
		case 'f': cfg.force = true; break;
		case 'd': dump = optarg; break;
		case 'n': nmmio = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'p': {
			char desc[256];

			cl_kvm_probe(desc, sizeof(desc));
			printf("%s\n", desc);
			return 0;
		}
		case 's': is_stock = 1; break;
		case 'I': cfg.console_in = STDIN_FILENO; break;
		case 'D':
			cfg.n_extra_devs = strtoul(optarg, NULL, 0);
			if (cfg.n_extra_devs > CL_VM_MMIO_MAX)
				cfg.n_extra_devs = CL_VM_MMIO_MAX;
			for (size_t i = 0; i < cfg.n_extra_devs; i++) {
				dummy[i] = (struct cl_vm_dev){.name = "dummy-virtio-mmio",
							      .base = CL_VM_MMIO_BASE +
								      i * CL_VM_MMIO_STRIDE,
							      .len = 0x200,
							      .irq = CL_VM_MMIO_GSI_BASE + (int)i,
							      .read = dummy_read,
							      .write = dummy_write};
				dummy_p[i] = &dummy[i];
			}
			cfg.extra_devs = dummy_p;
			break;
		default:
			dprintf(STDERR_FILENO,
				"usage: %s [--vcpus N] [--mem MiB] [--initrd F] [--timeout S] "
				"[--force] [--stdin] [--dummy-mmio N] [--dump-acpi DIR "
				"[--mmio-devs N]] "
				"[--probe] [--is-stock] "
				"KERNEL [CMDLINE]\n",
				argv[0]);
			return CL_EXIT_FAILURE;
		}
	}
	if (dump) {
		if (dump_acpi(dump, cfg.vcpus ? cfg.vcpus : 1, nmmio, &err) < 0)
			goto fail;
		return 0;
	}
	if (optind >= argc) {
		dprintf(STDERR_FILENO, "cloison: no kernel given\n");
		return CL_EXIT_FAILURE;
	}
	cfg.kernel = argv[optind];
	cfg.cmdline = optind + 1 < argc ? argv[optind + 1] : "";
	if (is_stock) {
		int r = cl_vm_kernel_is_stock(cfg.kernel, &err);

		if (r < 0)
			goto fail;
		printf("%s\n", r ? "stock" : "testguest");
		return 0;
	}
	if (cl_vm_run(&cfg, &status, &err) < 0)
		goto fail;
	return status;
fail:
	cl_err_print(&err);
	return err.exit_code ? err.exit_code : CL_EXIT_FAILURE;
}
