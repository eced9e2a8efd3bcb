/* libFuzzer target for the virtio-mmio transport, the split virtqueues and
 * the virtio-blk / virtio-console request paths.
 *
 * Input:  byte 0      bit 0: console (else blk), bit 1: blk read-only,
 *                     bit 2: net (frames through a datagram socket pair),
 *                     bit 3: vsock (its host socket listening, op 8 a host
 *                     connection that sends the bytes: "CONNECT 5\n..." reaches
 *                     the guest)
 *         bytes 1-2   length L of the op stream (little-endian)
 *         L bytes     ops, see run_ops()
 *         rest        guest memory image (64 KiB guest RAM, zero-filled)
 * Guest RAM is a heap buffer of exactly 64 KiB, so ASan catches any device
 * access outside it; the ops drive the MMIO registers like a driver would
 * (with macros for the common set-up so the fuzzer reaches the rings). */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm/dev/virtio_mmio.h"
#include "vm/virtio.h"
#include "vm/vm.h"

#define MEM_SIZE 0x10000u

static struct cl_vm_mem mem;
static int disk_fd = -1, in_pipe[2] = {-1, -1}, out_fd = -1, net_sock[2] = {-1, -1};

struct gq {
	uint16_t num, avail_idx;
	uint64_t avail;
};

struct in {
	const uint8_t *p;
	size_t n;
};

static bool take(struct in *in, void *out, size_t n)
{
	if (in->n < n)
		return false;
	memcpy(out, in->p, n);
	in->p += n;
	in->n -= n;
	return true;
}

static void set_irq(struct cl_vm_dev *d, int level)
{
}

static void wr(struct cl_vm_dev *d, uint64_t off, uint32_t v)
{
	struct cl_err e;

	if (d->write(d, off, &v, 4, &e) < 0)
		abort(); /* guest errors must never be fatal */
}

static uint32_t rd(struct cl_vm_dev *d, uint64_t off)
{
	struct cl_err e;
	uint32_t v;

	if (d->read(d, off, &v, 4, &e) < 0)
		abort();
	return v;
}

/* An abstract Unix socket listening for the vsock device (a new one each
 * run: the device takes it over). */
static const char vsock_name[] = "\0cl-fuzz-vsock";
static int vsock_listener(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, vsock_name, sizeof(vsock_name));
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sa,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof(vsock_name))) < 0 ||
	    listen(fd, 4) < 0)
		abort();
	return fd;
}

static void init_once(void)
{
	if (mem.host)
		return;
	mem.size = MEM_SIZE;
	mem.host = malloc(MEM_SIZE); /* exact size: ASan red zones on both sides */
	disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (!mem.host || disk_fd < 0 || ftruncate(disk_fd, 128 * 512) < 0 ||
	    pipe2(in_pipe, O_NONBLOCK | O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, net_sock) < 0)
		abort();
	out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
}

static void console_input(struct cl_vm_dev *d, const uint8_t *buf, size_t n)
{
	struct pollfd pfd[CL_VIRTIO_CONSOLE_POLLFDS];
	struct cl_err e;
	int k;

	if (n && write(in_pipe[1], buf, n) < 0)
		return;
	k = cl_virtio_console_pollfds(d, pfd);
	if (poll(pfd, k, 0) > 0)
		cl_virtio_console_poll_input(d, pfd, k, &e);
}

/* Net: a frame from the "tap" (n bytes, the header included), then a
 * turn of the device; what it sent is read and dropped. */
static void net_turn(struct cl_vm_dev *d, const uint8_t *buf, size_t n)
{
	uint8_t drain[65536 + 64];

	if (n && send(net_sock[1], buf, n, 0) < 0)
		return;
	cl_virtio_net_poll(d);
	while (recv(net_sock[1], drain, sizeof(drain), 0) > 0)
		;
}

/* Vsock: a host connection that sends @buf, then turns of the device. */
static void vsock_host(struct cl_vm_dev *d, const uint8_t *buf, size_t n)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	memcpy(sa.sun_path, vsock_name, sizeof(vsock_name));
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa,
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + sizeof(vsock_name))) ==
		0 &&
	    n)
		(void)!write(fd, buf, n);
	for (int i = 0; i < 3; i++)
		cl_virtio_vsock_poll(d);
	close(fd);
	cl_virtio_vsock_poll(d);
}

static void run_ops(struct cl_vm_dev *d, struct in *in, bool console, bool net, bool vsock)
{
	struct gq q[CL_VIRTIO_MAX_QUEUES] = {0};
	uint8_t op;

	while (take(in, &op, 1)) {
		switch (op % 12) {
		case 0: { /* raw 32-bit register write anywhere in the window */
			uint16_t off;
			uint32_t v;

			if (!take(in, &off, 2) || !take(in, &v, 4))
				return;
			wr(d, off % 0x200, v);
			break;
		}
		case 1: { /* odd-sized access */
			uint16_t off;
			uint8_t len;
			uint64_t v = 0;
			struct cl_err e;

			if (!take(in, &off, 2) || !take(in, &len, 1))
				return;
			len = 1u << (len % 4);
			if (op & 0x80) {
				if (d->read(d, off % 0x400, &v, len, &e) < 0)
					abort();
			} else if (take(in, &v, len)) {
				if (d->write(d, off % 0x400, &v, len, &e) < 0)
					abort();
			}
			break;
		}
		case 2: { /* register read */
			uint16_t off;

			if (!take(in, &off, 2))
				return;
			rd(d, off % 0x200);
			break;
		}
		case 3: { /* negotiate + set up a queue + ready */
			struct {
				uint8_t q;
				uint16_t num, desc, avail, used;
				uint8_t feat;
			} __attribute__((packed)) s;
			uint32_t lo = 0, hi = 1; /* VERSION_1 */
			unsigned qi;

			if (!take(in, &s, sizeof(s)))
				return;
			qi = s.q % CL_VIRTIO_MAX_QUEUES;
			if (s.feat & 1)
				lo |= 1u << CL_VIRTIO_F_INDIRECT_DESC;
			if (s.feat & 2)
				lo |= 1u << CL_VIRTIO_F_EVENT_IDX;
			lo |= (uint32_t)(s.feat >> 2) << 1; /* some device bits */
			if (!(s.feat & 0x80)) {
				wr(d, 0x070, 0);
				wr(d, 0x070, 3);
				wr(d, 0x024, 0);
				wr(d, 0x020, lo);
				wr(d, 0x024, 1);
				wr(d, 0x020, hi);
				wr(d, 0x070, 3 | CL_VIRTIO_S_FEATURES_OK);
			}
			wr(d, 0x030, qi);
			wr(d, 0x038, s.num);
			wr(d, 0x080, s.desc);
			wr(d, 0x084, 0);
			wr(d, 0x090, s.avail);
			wr(d, 0x094, 0);
			wr(d, 0x0a0, s.used);
			wr(d, 0x0a4, 0);
			wr(d, 0x044, 1);
			q[qi] = (struct gq){.num = s.num, .avail = s.avail};
			break;
		}
		case 4: /* DRIVER_OK */ wr(d, 0x070, rd(d, 0x070) | CL_VIRTIO_S_DRIVER_OK); break;
		case 5: { /* notify */
			uint8_t qi;

			if (!take(in, &qi, 1))
				return;
			wr(d, 0x050, qi % 4);
			break;
		}
		case 6: { /* poke guest memory (as another vCPU would) */
			uint16_t off, v;

			if (!take(in, &off, 2) || !take(in, &v, 2))
				return;
			if ((uint32_t)off + 2 <= MEM_SIZE)
				memcpy(mem.host + off, &v, 2);
			break;
		}
		case 7: { /* add a head to the avail ring and kick */
			uint8_t qi;
			uint16_t head;
			struct gq *g;

			if (!take(in, &qi, 1) || !take(in, &head, 2))
				return;
			g = &q[qi % CL_VIRTIO_MAX_QUEUES];
			if (g->num && g->avail + 4 + 2ull * g->num + 2 <= MEM_SIZE) {
				uint64_t slot = g->avail + 4 + 2ull * (g->avail_idx % g->num);

				memcpy(mem.host + slot, &head, 2);
				g->avail_idx++;
				memcpy(mem.host + g->avail + 2, &g->avail_idx, 2);
			}
			wr(d, 0x050, qi % CL_VIRTIO_MAX_QUEUES);
			break;
		}
		case 8: { /* console input */
			uint8_t n, buf[255];

			if (!take(in, &n, 1) || !take(in, buf, n))
				return;
			if (console)
				console_input(d, buf, n);
			if (net)
				net_turn(d, buf, n);
			if (vsock)
				vsock_host(d, buf, n);
			break;
		}
		case 9: /* ACK everything */ wr(d, 0x064, rd(d, 0x060)); break;
		case 10: /* reset */ wr(d, 0x070, 0); break;
		case 11: /* console: hold input until output, or not */
			if (console)
				cl_virtio_console_hold_input_until_output(d, op & 0x80);
			break;
		}
		if (net)
			net_turn(d, NULL, 0); /* the I/O thread's turn */
		if (vsock)
			cl_virtio_vsock_poll(d);
		/* the failed state is always visible to the guest */
		if (cl_virtio_failure(d) && !(rd(d, 0x070) & CL_VIRTIO_S_NEEDS_RESET))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_vm_dev *d;
	struct cl_err e;
	struct in ops;
	uint16_t len;
	uint8_t cfg, drain[4096];
	bool console, net, vsock;
	static const uint8_t mac[6] = {0x0a, 0x58, 10, 88, 0, 2};

	init_once();
	if (size < 3)
		return 0;
	cfg = data[0];
	memcpy(&len, data + 1, 2);
	data += 3;
	size -= 3;
	if (len > size)
		len = size;
	ops = (struct in){data, len};
	memset(mem.host, 0, MEM_SIZE);
	memcpy(mem.host, data + len, size - len < MEM_SIZE ? size - len : MEM_SIZE);

	console = cfg & 1;
	net = !console && (cfg & 4);
	vsock = !console && !net && (cfg & 8);
	if (vsock)
		d = cl_virtio_vsock_new(&mem, CL_VM_MMIO_BASE, 5, 3, vsock_listener(), &e);
	else if (net)
		d = cl_virtio_net_new_socket(&mem, CL_VM_MMIO_BASE, 5, dup(net_sock[0]), mac, &e);
	else if (console)
		d = cl_virtio_console_new(&mem, CL_VM_MMIO_BASE, 5, in_pipe[0], out_fd, &e);
	else
		d = cl_virtio_blk_new_fd(&mem, CL_VM_MMIO_BASE, 5, dup(disk_fd), cfg & 2, "fuzz",
					 &e);
	if (!d)
		abort();
	d->set_irq = set_irq;
	run_ops(d, &ops, console, net, vsock);
	cl_virtio_free(d);
	while (read(in_pipe[0], drain, sizeof(drain)) > 0)
		;
	while (recv(net_sock[0], drain, sizeof(drain), 0) > 0)
		;
	return 0;
}
