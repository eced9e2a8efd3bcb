/* Virtio devices for the micro-VM: what the VMM core and the CLI call.
 *
 * Each device is a virtio-mmio (version 2) window presented as a
 * struct cl_vm_dev.  With cl_vm_run() (vm/vm.h):
 *
 *	cl_virtio_mmio_slot(0, &base, &irq);
 *	devs[n++] = cl_virtio_blk_new(NULL, base, irq, "disk.img", false, &err);
 *	cl_virtio_mmio_slot(1, &base, &irq);
 *	devs[n++] = cl_virtio_console_new(NULL, base, irq, in_fd, out_fd, &err);
 *	cfg.extra_devs = devs, cfg.n_extra_devs = n;
 *	cfg.attach = cl_virtio_attach_devs, cfg.attach_ctx = &cfg;
 *	cfg.start = cl_virtio_start_devs, cfg.stop = cl_virtio_stop_devs;
 *	... cl_vm_run(&cfg, ...); then cl_virtio_free() each.
 * (without start, blk and net serve their queues in the vCPU threads)
 *
 * The VMM sets dev->vm and dev->set_irq, describes each device in the DSDT
 * (LNRO0005, its base/len/irq) and calls attach once guest RAM exists;
 * devices may also be given the memory at construction (@mem non-NULL, as the
 * unit tests do).  Until then a queue cannot be enabled.
 *
 * Address convention (vm/vm.h): slot i at CL_VM_MMIO_BASE + i *
 * CL_VM_MMIO_STRIDE, CL_VIRTIO_MMIO_SIZE bytes, GSI CL_VM_MMIO_GSI_BASE + i.
 *
 * Interrupts, level-triggered as the DSDT says: the line follows
 * InterruptStatus != 0 (set_irq(d, 1) when it becomes non-zero, set_irq(d, 0)
 * when the guest ACKs it back to zero).  This also works if the GSI were
 * programmed edge-triggered: every new interrupt after an ACK that cleared
 * the status is a new edge, and Linux reads the used rings after ACKing.
 *
 * Guest errors (hostile or buggy rings, see virtqueue.h) never stop the VMM:
 * the device sets DEVICE_NEEDS_RESET, raises a configuration-change
 * interrupt, prints one warning and ignores the guest until it writes 0 to
 * Status.  Rationale: the guest can only break its own disk/console, the VMM
 * stays up to report the command's exit status, and this is what the spec
 * asks for (§2.1.2) and what QEMU does.  cl_virtio_failure() gives the reason.
 * The MMIO handlers therefore never return -1 (host I/O errors become a
 * VIRTIO_BLK_S_IOERR status, or dropped console output with one warning).
 *
 * Threads: each device has its own mutex (so no bus lock around it); its MMIO
 * handlers (vCPU threads) and cl_virtio_console_poll_input() (an I/O thread)
 * may run concurrently.  virtio-blk and virtio-net serve their queues in an
 * I/O thread of their own once cl_virtio_start_devs() ran (virtio_io.c:
 * KVM_IOEVENTFD, one eventfd per queue); before, and for the console,
 * requests are served synchronously in the notifying thread.  set_irq is
 * called with that mutex held: it must not call back into the device.  The
 * device owns dev->opaque; the VMM owns dev->vm and dev->set_irq.  Ignore
 * SIGPIPE in the VMM if the console output may be a pipe. */
#ifndef CL_VM_VIRTIO_H
#define CL_VM_VIRTIO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "vm/mem.h"

#define CL_VIRTIO_MMIO_SIZE 0x200ull /* registers 0x100 + config space */

/* Slot @i's base and GSI (the convention of vm/vm.h); -1 if @i >= CL_VM_MMIO_MAX. */
int cl_virtio_mmio_slot(unsigned i, uint64_t *base, int *irq);

/* Give a device the guest RAM (copied; call before the guest runs). */
void cl_virtio_attach(struct cl_vm_dev *d, const struct cl_vm_mem *mem);
/* Forget the guest RAM (before it is unmapped): queues stop, nothing touches
 * guest memory any more (e.g. a console input thread still running). */
void cl_virtio_detach(struct cl_vm_dev *d);
/* cl_vm_config.attach for a config whose extra_devs hold virtio devices
 * (others are skipped): set attach_ctx to the struct cl_vm_config itself. */
int cl_virtio_attach_devs(void *vm_config, const struct cl_vm_mem *mem, struct cl_err *err);

/* cl_vm_config.start and .stop for the same config: the devices' I/O
 * threads (virtio-blk's, virtio-net's), started once the VMM is confined
 * and ended before guest RAM is unmapped. */
int cl_virtio_start_devs(void *vm_config, cl_vm_confine_fn confine, struct cl_err *err);
void cl_virtio_stop_devs(void *vm_config);

/* Network device over the tap @tap (opened with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR; the device takes it over, closed on error too), with the
 * MAC address @mac.  Checksum and TSO offloads are offered where the tap
 * takes them. */
struct cl_vm_dev *cl_virtio_net_new(const struct cl_vm_mem *mem, uint64_t base, int irq, int tap,
				    const uint8_t mac[6], struct cl_err *err);
/* For tests and the fuzzer: the same device over @fd, a socket that keeps
 * frame boundaries (SOCK_DGRAM, SOCK_SEQPACKET) carrying the 12-byte
 * header first as a tap would, no offloads; start no thread, call
 * cl_virtio_net_poll() to serve the queues and take frames from @fd once. */
struct cl_vm_dev *cl_virtio_net_new_socket(const struct cl_vm_mem *mem, uint64_t base, int irq,
					   int fd, const uint8_t mac[6], struct cl_err *err);
void cl_virtio_net_poll(struct cl_vm_dev *d);
/* Packets dropped: refused by the tap (sent), too big for the guest (received). */
void cl_virtio_net_counters(struct cl_vm_dev *d, unsigned long *tx_dropped,
			    unsigned long *rx_dropped);

/* Socket device (virtio-vsock) of guest CID @cid (3 and up), its host side
 * the listening Unix socket @listen_fd (the device takes it over): a host
 * process connects, writes "CONNECT <port>\n" and, once the guest accepted
 * on that vsock port, reads "OK <host port>\n" and then the stream
 * (Firecracker's protocol).  Connections from the guest are refused. */
struct cl_vm_dev *cl_virtio_vsock_new(const struct cl_vm_mem *mem, uint64_t base, int irq,
				      uint64_t cid, int listen_fd, struct cl_err *err);
/* For tests: one turn of what its I/O thread does with the host sockets. */
void cl_virtio_vsock_poll(struct cl_vm_dev *d);

/* Block device backed by a raw image (regular file or block device).  The
 * capacity is the size rounded down to 512 bytes; @ro opens read-only and
 * advertises VIRTIO_BLK_F_RO.  The image is flock()ed (shared if @ro,
 * exclusive otherwise) so two VMs cannot write one image. */
struct cl_vm_dev *cl_virtio_blk_new(const struct cl_vm_mem *mem, uint64_t base, int irq,
				    const char *path, bool ro, struct cl_err *err);
/* A snapshot of the image at @path (--overlay): the guest reads and writes
 * it, its writes land in a private mapping (the VMM's memory, as much as it
 * wrote) and the image is never written; shared-locked, so no VM writes it
 * meanwhile. */
struct cl_vm_dev *cl_virtio_blk_new_snapshot(const struct cl_vm_mem *mem, uint64_t base, int irq,
					     const char *path, struct cl_err *err);
/* Same on an open @fd, which the device takes over (closed on error too);
 * @serial (<= 20 bytes used, may be NULL) is what GET_ID returns.  Error
 * messages do not name the image ("in use by another VM (locked)"): wrap
 * them with cl_wrap(err, "virtio-blk: disk image %s", name). */
struct cl_vm_dev *cl_virtio_blk_new_fd(const struct cl_vm_mem *mem, uint64_t base, int irq, int fd,
				       bool ro, const char *serial, struct cl_err *err);

/* Console with one port: what the guest writes to hvc0 goes to @out_fd, what
 * arrives on @in_fd (-1: none) is fed to the guest.  The fds stay the
 * caller's (not closed).  @out_fd may be non-blocking; output is then waited
 * for with poll(). */
struct cl_vm_dev *cl_virtio_console_new(const struct cl_vm_mem *mem, uint64_t base, int irq,
					int in_fd, int out_fd, struct cl_err *err);

/* Console input, for the VMM's I/O loop (a thread other than the vCPUs is
 * fine):
 *
 *	struct pollfd pfd[CL_VIRTIO_CONSOLE_POLLFDS];
 *	for (;;) {
 *		int n = cl_virtio_console_pollfds(con, pfd);
 *		poll(pfd, n, -1);   // plus the loop's own fds
 *		if (cl_virtio_console_poll_input(con, pfd, n, &err) < 0) ...
 *	}
 *
 * pollfds() always includes an internal eventfd, which wakes the loop when
 * the guest posts receive buffers after input had to wait; the input fd is
 * included only while the device has room to take more (so a guest that
 * never reads cannot make the loop spin).  poll_input() reads what is
 * ready, copies it into the guest's receive buffers and raises the IRQ;
 * it returns 0, or -1 + @err only for host errors other than EOF/EAGAIN. */
#define CL_VIRTIO_CONSOLE_POLLFDS 2
int cl_virtio_console_pollfds(struct cl_vm_dev *d, struct pollfd *pfd);
int cl_virtio_console_poll_input(struct cl_vm_dev *d, const struct pollfd *pfd, int n,
				 struct cl_err *err);
/* Or let the device run exactly that loop in a thread of its own (no change
 * to the VMM's run loop needed); cl_virtio_free() stops it too.  Host read
 * errors are warned about and end the input (as EOF).  The thread writes
 * guest RAM: before that RAM is unmapped, stop it or cl_virtio_detach() the
 * device (cl_vm_run() unmaps it before returning, so it needs a detach hook
 * next to attach for this). */
int cl_virtio_console_start_input_thread(struct cl_vm_dev *d, struct cl_err *err);
void cl_virtio_console_stop_input_thread(struct cl_vm_dev *d);

/* Linux drops console input that arrives while its virtio_console driver is
 * still registering the port (in_intr() flushes buffers of a port it does not
 * know yet), and the tty drops what it received if the last opener closes
 * /dev/hvc0.  Without MULTIPORT the device cannot see when the port is
 * opened; with @hold, input waits in the device (up to 4 KiB, then the
 * input fd is no longer polled) until the guest has written something to the
 * console, i.e. until its side is open.  Off by default; reset re-arms it. */
void cl_virtio_console_hold_input_until_output(struct cl_vm_dev *d, bool hold);

/* Is @d one of ours (a virtio-mmio device)? */
bool cl_virtio_mmio_is(const struct cl_vm_dev *d);

/* The virtio-mmio devices among @devs, in order (vm.c already builds its
 * DSDT from base/len/irq; this is for other users, e.g. cloison check). */
struct cl_virtio_mmio_desc {
	uint64_t base, len;
	int irq;
	uint32_t device_id; /* 1 net, 2 blk, 3 console */
};
size_t cl_virtio_mmio_describe(struct cl_vm_dev *const *devs, size_t n,
			       struct cl_virtio_mmio_desc *out, size_t max);

/* Alternative to ACPI: "virtio_mmio.device=0x200@0xd0000000:5" for the
 * kernel command line (needs CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES, which
 * Debian's cloud kernel does not have). */
int cl_virtio_mmio_cmdline(const struct cl_vm_dev *d, char *buf, size_t size);

/* Why the device is in its failed state, or NULL if it is not (valid until
 * the guest resets the device: copy it if the guest still runs). */
const char *cl_virtio_failure(struct cl_vm_dev *d);

void cl_virtio_free(struct cl_vm_dev *d);

#endif
