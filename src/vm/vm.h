/* cloison's micro-VM monitor: boot a Linux bzImage (or a PVH ELF vmlinux) in
 * a KVM virtual machine, wire its serial console to two file descriptors and
 * return the status the guest reports on the exit port (ports.h).
 *
 * Guest-visible machine: RAM from 0 (at most 3 GiB, no PCI), an 8250 UART at
 * 0x3f8/IRQ 4, an i8042 (reset only), the exit and marker ports, the in-kernel
 * PIC/IOAPIC/LAPIC and PIT, ACPI tables (RSDP at 0xE0000) describing the CPUs
 * and each extra MMIO device as a virtio-mmio ("LNRO0005") device.
 *
 * Hostile guests: port I/O or MMIO to an address no device claims is ignored
 * (reads give all ones, writes are dropped) and counted, so probing or flooding
 * costs the guest time but cannot crash or wedge the monitor.  A triple fault,
 * a KVM internal error, a failed VM entry, a CPU reset, a kernel panic seen on
 * the console, every vCPU halted with interrupts off, or a malformed exit-port
 * write stop the VM with an error; cl_vm_run() then returns -1. */
#ifndef CL_VM_VM_H
#define CL_VM_VM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "vm/mem.h"

/* Where extra MMIO devices should sit: device i at CL_VM_MMIO_BASE + i *
 * CL_VM_MMIO_STRIDE, on GSI CL_VM_MMIO_GSI_BASE + i (i < CL_VM_MMIO_MAX).  The
 * ACPI DSDT describes their interrupt as level-triggered, active high: a
 * device calls set_irq(d, 1) while it has an interrupt pending, set_irq(d, 0)
 * once the guest acknowledged it. */
#define CL_VM_MMIO_BASE	    0xd0000000ULL
#define CL_VM_MMIO_STRIDE   0x1000ULL
#define CL_VM_MMIO_GSI_BASE 16
#define CL_VM_MMIO_MAX	    8

/* cl_vm_run() installs a handler for this signal and sends it to its vCPU
 * threads to make KVM_RUN return; the rest of the program must leave it be. */
#define CL_VM_KICK_SIGNAL (SIGRTMIN + 3)

#define CL_VM_MAX_VCPUS 64
#define CL_VM_MAX_MEM	(3ULL << 30)

/* Timestamps (CLOCK_MONOTONIC, ns; 0 = did not happen). */
struct cl_vm_times {
	uint64_t start;			    /* cl_vm_run() entered */
	uint64_t setup;			    /* VM built, first vCPU about to run */
	uint64_t mark[4];		    /* marker port, indexed by enum cl_marker */
	uint64_t exit;			    /* VM stopped */
	uint64_t pio_unknown, mmio_unknown; /* accesses nobody claimed */
	uint64_t exits;			    /* KVM exits handled in user space */
};

/* What a VMM thread does, for its own seccomp filter (vm/jail.h). */
/* VCPU: runs the guest, serves MMIO and port I/O; IO: console input;
 * NET: a network device's queues and its tap (vm/dev/virtio_net.c); BLK: a
 * block device's queue and its image (vm/dev/virtio_blk.c); VSOCK: the vsock
 * device's queues and its host sockets (vm/dev/virtio_vsock.c). */
enum cl_vm_thread_role {
	CL_VM_THREAD_VCPU,
	CL_VM_THREAD_IO,
	CL_VM_THREAD_NET,
	CL_VM_THREAD_BLK,
	CL_VM_THREAD_VSOCK
};

/* Confines the calling thread to @role's filter; @irqfd, if >= 0, is the
 * one eventfd a NET, BLK or VSOCK thread may also write (its device's
 * interrupt: KVM_IRQFD), -1 for none. */
typedef int (*cl_vm_confine_fn)(enum cl_vm_thread_role role, int irqfd, struct cl_err *err);

struct cl_vm_config {
	const char *kernel;  /* bzImage, or ELF vmlinux with a PVH note */
	const char *initrd;  /* NULL: none */
	const char *cmdline; /* NULL: empty */
	unsigned vcpus;	     /* 0: 1 */
	uint64_t mem_bytes;  /* 0: 256 MiB */
	int console_in;	     /* -1: no console input */
	int console_out;     /* -1: discard guest console output */
	/* Hold console input back until the guest init marks CL_MARK_EXEC: the
	 * guest's serial driver resets its FIFO while it starts, so input sent
	 * earlier (a pipe's data and its EOF) would be lost. */
	bool console_in_after_exec;
	bool force;	     /* boot a stock kernel even where it cannot run (PVM) */
	unsigned timeout_ms; /* 0: none; else stop with exit 124 after this long */
	/* 0: none; else stop with an error when the guest, before its init
	 * marks CL_MARK_INIT, goes this long without a single exit to the VMM
	 * (no port or MMIO access, no console output): a boot that cannot
	 * make progress, such as a stock kernel on PVM, fails instead of
	 * spinning silently until killed. */
	unsigned boot_watchdog_ms;
	/* Devices of other engineers (virtio-mmio): the VMM sets their vm and
	 * set_irq before the first access and calls attach, if set, once guest
	 * memory exists.  Handlers run one at a time under the VMM's bus lock,
	 * unless the device says it locks for itself (own_lock: virtio's). */
	struct cl_vm_dev **extra_devs;
	size_t n_extra_devs;
	int (*attach)(void *ctx, const struct cl_vm_mem *mem, struct cl_err *err);
	void *attach_ctx;
	/* Optional, with attach_ctx: once the VMM is confined, before the
	 * vCPUs start (devices' I/O threads, each confined with @confine: this
	 * config's confine_thread, which the jailed VMM sets on its own copy),
	 * and at the end, before guest memory is unmapped (start may not have
	 * been called). */
	int (*start)(void *ctx, cl_vm_confine_fn confine, struct cl_err *err);
	void (*stop)(void *ctx);
	struct cl_vm_times *times; /* optional: filled on return */
	/* Called once the VM is built (memory, image, devices, vCPU fds), in
	 * the calling thread before any other thread starts; -1 (err set)
	 * stops.  cl_vm_run_jailed() (vm/jail.h) sets it to cl_vm_jail_enter. */
	int (*confine)(const struct cl_vm_config *cfg, struct cl_err *err);
	/* Called by each vCPU and I/O thread first thing (cl_vm_jail_thread). */
	cl_vm_confine_fn confine_thread;
	/* cloison's process, waiting for the jailed VMM: a signal handler
	 * interrupted the wait (run --vm -t: SIGWINCH).  Optional. */
	void (*on_signal)(void);
	const char *name; /* --name: the VMM's cgroup is <parent>/NAME; NULL: an id */
	bool accounting;  /* a detached jail: memory, CPU, pids and I/O counted */
};

/* Run the VM to completion.  0: the guest reported *guest_status (0..255) on
 * the exit port; -1: @err filled (exit_code 125, or 124 on timeout).
 * CLOISON_VM_TIMES=1 prints the timestamps on stderr;
 * CLOISON_VM_DUMP_ACPI=DIR writes the ACPI tables to DIR/<SIG>.dat. */
int cl_vm_run(const struct cl_vm_config *cfg, int *guest_status, struct cl_err *err);

/* Describe /dev/kvm: "hardware (AMD-V)", "hardware (VT-x)",
 * "PVM — stock guest kernels cannot run", "absent", or "permission denied
 * for user ...: add the user to the kvm group ...".  Returns 1 when a stock
 * Linux kernel can boot, 0 when it cannot (PVM), -1 when /dev/kvm cannot be
 * opened at all (absent, or this user may not). */
int cl_kvm_probe(char *desc, size_t len);
/* The "permission denied ..." text above: user, group, what to do. */
void cl_kvm_denied_hint(char *buf, size_t len);

/* 1: @path is a stock Linux kernel (bzImage or PVH vmlinux); 0: it is
 * cloison's own freestanding test guest (it carries CL_TESTGUEST_SIGNATURE as
 * its kernel_version string); -1: not a bootable image (@err says why). */
int cl_vm_kernel_is_stock(const char *path, struct cl_err *err);

/* Print the timestamps of a run as one line on stderr. */
void cl_vm_times_print(const struct cl_vm_times *t);

/* Test/debug entry point the CLI can expose as a hidden sub-command:
 *   ARGV0 [--vcpus N] [--mem MiB] [--initrd F] [--timeout S] [--force]
 *         [--stdin] [--dummy-mmio N] KERNEL [CMDLINE]
 *   ARGV0 --dump-acpi DIR [--vcpus N] [--mmio-devs N]   (no KVM needed)
 *   ARGV0 --probe | --is-stock KERNEL
 * Returns the guest status, or 125 after printing "cloison: <error>". */
int cl_vm_main_debug(int argc, char **argv);

#endif
