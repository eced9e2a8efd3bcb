/* State shared by the run loop, the boot loaders and the built-in devices. */
#ifndef CL_VM_INTERNAL_H
#define CL_VM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "vm/cpu.h"
#include "vm/vm.h"

#define CL_VM_MAX_DEVS (16 + CL_VM_MMIO_MAX)

struct cl_uart;

struct cl_vm {
	const struct cl_vm_config *cfg;
	unsigned ncpus;
	int kvm_fd, vm_fd;
	struct cl_vm_mem mem;
	struct cl_vcpu vcpus[CL_VM_MAX_VCPUS];

	/* the device table: built-in devices first, then cfg->extra_devs */
	struct cl_vm_dev *devs[CL_VM_MAX_DEVS];
	unsigned ndevs;
	unsigned nbuiltin; /* devs[0..nbuiltin) are ours to free */
	pthread_mutex_t bus_lock;

	struct cl_uart *uart;
	struct cl_vm_dev *uart_dev; /* the console UART, for cl_uart_wake() */

	/* stopping: the first reason wins */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_int stopping;
	atomic_int input_open; /* console input may flow (see console_in_after_exec) */
	int stopped_ok;	       /* guest reported a status */
	int status;
	struct cl_err err;

	struct cl_vm_times t;
	atomic_ullong pio_unknown, mmio_unknown, exits;
	atomic_int watch_gen;
	char kvmdesc[256]; /* cl_kvm_probe()'s words, for messages */
};

uint64_t cl_vm_now(void);
/* Record the guest's exit status and stop the VM. */
void cl_vm_stop_status(struct cl_vm *vm, int status);
/* Stop the VM with an error (copied). */
void cl_vm_stop_err(struct cl_vm *vm, const struct cl_err *e);
/* Same, formatting the message. */
void cl_vm_stop_fail(struct cl_vm *vm, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_vm_mark(struct cl_vm *vm, unsigned marker);
/* Each line of console output (kernel panic detection). */
void cl_vm_console_line(struct cl_vm *vm, const char *line, size_t len);

/* bus.c: the device table */
int cl_bus_add(struct cl_vm *vm, struct cl_vm_dev *d, struct cl_err *err);
/* Handle one KVM_EXIT_IO / KVM_EXIT_MMIO of @c; -1 stops the VM (err set). */
int cl_bus_pio(struct cl_vm *vm, struct kvm_run *run, struct cl_err *err);
int cl_bus_mmio(struct cl_vm *vm, struct kvm_run *run, struct cl_err *err);

/* dev/: built-in devices */
struct cl_vm_dev *cl_uart_new(struct cl_vm *vm, int in_fd, int out_fd, struct cl_err *err);
/* Wake the UART's input thread (input_open or stopping changed). */
void cl_uart_wake(struct cl_vm_dev *d);
int cl_uart_start_input(struct cl_vm_dev *d, struct cl_err *err);
void cl_uart_free(struct cl_vm_dev *d);
struct cl_vm_dev *cl_i8042_new(struct cl_vm *vm);
struct cl_vm_dev *cl_exitport_new(struct cl_vm *vm);
struct cl_vm_dev *cl_marker_new(struct cl_vm *vm);

/* boot_bzimage.c / boot_pvh.c: load the image; fill the entry point */
struct cl_boot_image;
struct cl_boot_entry {
	int long_mode; /* 1: 64-bit, RSI = arg; 0: 32-bit, EBX = arg */
	uint64_t rip, arg;
};
int cl_boot_load_bzimage(struct cl_vm *vm, const uint8_t *buf, const struct cl_boot_image *bi,
			 uint64_t rsdp, struct cl_boot_entry *entry, struct cl_err *err);
int cl_boot_load_pvh(struct cl_vm *vm, const uint8_t *buf, const struct cl_boot_image *bi,
		     uint64_t rsdp, struct cl_boot_entry *entry, struct cl_err *err);
/* Load cfg->initrd at the top of RAM below @max_end; 0 size if none. */
int cl_boot_load_initrd(struct cl_vm *vm, uint64_t min_addr, uint64_t max_end, uint64_t *addr,
			uint64_t *size, struct cl_err *err);
/* The e820 map of this VM (type 1 RAM, 2 reserved); returns the count. */
struct cl_e820 {
	uint64_t addr, size;
	uint32_t type;
};
unsigned cl_e820_build(uint64_t mem_size, struct cl_e820 *out, unsigned max);

#endif
