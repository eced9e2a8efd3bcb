/* virtio-vsock: the host side's CONNECT/OK handshake on a Unix socket, the
 * stream both ways with credit, a guest beyond its credit, refused guest
 * connections, hostile headers. */
#include <sys/socket.h>
#include <sys/un.h>

#include "virtio_guest.h"

#define VH	 44
#define Q2_DESC	 0x7000
#define Q2_AVAIL 0x7400
#define Q2_USED	 0x7800
#define RXBUF	 0x40000 /* 8 receive buffers of 4 KiB */
#define TXBUF	 0x50000

struct vh {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

static char sock_path[108];

static struct cl_vm_dev *vsock_ready(struct gq *rx, struct gq *tx, struct gq *ev)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct cl_err e = {0};
	struct cl_vm_dev *d;
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sock_path, sizeof(sock_path), "/tmp/cl-vsock-test-%d.sock", (int)getpid());
	unlink(sock_path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4) < 0)
		exit(1);
	d = cl_virtio_vsock_new(&mem, CL_VIRTIO_MMIO_BASE + 0x3000, 8, 3, l, &e);
	CHECK(d, "cl_virtio_vsock_new: %s", e.msg);
	if (!d)
		return NULL;
	d->set_irq = set_irq;
	CHECK(rd(d, 0x008) == 19, "device id %u", rd(d, 8));
	CHECK(rd(d, 0x100) == 3 && rd(d, 0x104) == 0, "guest_cid");
	CHECK(negotiate(d, V1), "features");
	queue_setup(d, rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	queue_setup(d, ev, 2, 8, Q2_DESC, Q2_AVAIL, Q2_USED);
	driver_ok(d);
	for (unsigned i = 0; i < 8; i++) {
		desc(rx, i, RXBUF + 0x1000 * i, 0x1000, F_WRITE, 0);
		submit(d, rx, (uint16_t)i);
	}
	return d;
}

static int host_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		exit(1);
	return fd;
}

/* The @i-th packet the device put on the receive queue. */
static struct vh rx_pkt(struct gq *rx, uint16_t i)
{
	struct vh h;
	uint32_t id = used_id(rx, i);

	memcpy(&h, mem.host + RXBUF + 0x1000 * id, sizeof(h));
	return h;
}

/* Give back receive buffer of used entry @i. */
static void rx_recycle(struct cl_vm_dev *d, struct gq *rx, uint16_t i)
{
	submit(d, rx, (uint16_t)used_id(rx, i));
}

static void guest_send(struct cl_vm_dev *d, struct gq *tx, uint16_t op, uint32_t sport,
		       uint32_t dport, const void *data, uint32_t len, uint32_t fwd)
{
	static uint16_t slot;
	struct vh h = {.src_cid = 3,
		       .dst_cid = 2,
		       .src_port = sport,
		       .dst_port = dport,
		       .len = len,
		       .type = 1,
		       .op = op,
		       .buf_alloc = 65536,
		       .fwd_cnt = fwd};
	uint64_t a = TXBUF + 0x20000 * (slot % 2);

	memcpy(mem.host + a, &h, sizeof(h));
	if (len)
		memcpy(mem.host + a + VH, data, len);
	desc(tx, slot % 8, a, VH + len, 0, 0);
	submit(d, tx, slot % 8);
	slot++;
}

static bool wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 2000) == 1;
}

static void t_vsock(void)
{
	struct gq rx, tx, ev;
	struct cl_vm_dev *d = vsock_ready(&rx, &tx, &ev);
	char buf[128] = {0};
	uint32_t hport;
	struct vh h;
	int fd, n;

	if (!d)
		return;
	fd = host_connect();
	CHECK(write(fd, "CONNECT 5000\n", 13) == 13, "write CONNECT");
	cl_virtio_vsock_poll(d); /* accept */
	cl_virtio_vsock_poll(d); /* the line: REQUEST to the guest */
	CHECK(used_idx(&rx) == 1, "REQUEST delivered: used %u", used_idx(&rx));
	h = rx_pkt(&rx, 0);
	CHECK(h.op == 1 && h.src_cid == 2 && h.dst_cid == 3 && h.dst_port == 5000 && h.type == 1 &&
		  h.len == 0,
	      "REQUEST header op %u ports %u->%u", h.op, h.src_port, h.dst_port);
	hport = h.src_port;
	rx_recycle(d, &rx, 0);
	/* the guest accepts: the host reads OK */
	guest_send(d, &tx, 2, 5000, hport, NULL, 0, 0);
	CHECK(wait_readable(fd) && (n = (int)read(fd, buf, sizeof(buf) - 1)) > 0, "OK line");
	snprintf(buf + 100, 28, "OK %u\n", hport);
	CHECK(!strcmp(buf, buf + 100), "handshake '%s'", buf);
	/* host to guest */
	CHECK(write(fd, "hello", 5) == 5, "write");
	cl_virtio_vsock_poll(d);
	CHECK(used_idx(&rx) == 2, "RW delivered: used %u", used_idx(&rx));
	h = rx_pkt(&rx, 1);
	CHECK(h.op == 5 && h.len == 5 && used_len(&rx, 1) == VH + 5 &&
		  !memcmp(mem.host + RXBUF + 0x1000 * used_id(&rx, 1) + VH, "hello", 5),
	      "RW op %u len %u", h.op, h.len);
	rx_recycle(d, &rx, 1);
	/* guest to host */
	guest_send(d, &tx, 5, 5000, hport, "world", 5, 5);
	memset(buf, 0, sizeof(buf));
	CHECK(wait_readable(fd) && read(fd, buf, sizeof(buf)) == 5 && !memcmp(buf, "world", 5),
	      "guest data '%s'", buf);
	/* host EOF: SHUTDOWN(send) to the guest */
	shutdown(fd, SHUT_WR);
	cl_virtio_vsock_poll(d);
	CHECK(used_idx(&rx) == 3 && rx_pkt(&rx, 2).op == 4 && rx_pkt(&rx, 2).flags == 2,
	      "SHUTDOWN: used %u op %u", used_idx(&rx), rx_pkt(&rx, 2).op);
	rx_recycle(d, &rx, 2);
	/* beyond the credit it was given: the connection is reset */
	{
		static uint8_t big[65536 + 1];

		guest_send(d, &tx, 5, 5000, hport, big, sizeof(big), 5);
		CHECK(used_idx(&rx) == 4 && rx_pkt(&rx, 3).op == 3, "RST after overrun: op %u",
		      rx_pkt(&rx, 3).op);
		CHECK(wait_readable(fd) && read(fd, buf, sizeof(buf)) == 0, "host side closed");
		rx_recycle(d, &rx, 3);
	}
	/* a connection the guest makes to the host: refused */
	guest_send(d, &tx, 1, 6000, 7000, NULL, 0, 0);
	CHECK(used_idx(&rx) == 5 && rx_pkt(&rx, 4).op == 3 && rx_pkt(&rx, 4).dst_port == 6000,
	      "guest REQUEST refused: op %u", rx_pkt(&rx, 4).op);
	CHECK(!cl_virtio_failure(d), "device failed: %s", cl_virtio_failure(d));
	close(fd);
	cl_virtio_free(d);
	unlink(sock_path);
}

static void t_vsock_hostile(void)
{
	struct gq rx, tx, ev;
	struct cl_vm_dev *d = vsock_ready(&rx, &tx, &ev);
	struct vh h = {.src_cid = 3, .dst_cid = 2, .len = 1000, .type = 1, .op = 5};

	if (!d)
		return;
	/* shorter than its header */
	desc(&tx, 0, TXBUF, 20, 0, 0);
	submit(d, &tx, 0);
	CHECK(failed_with(d, "shorter than its header"), "short: %s",
	      cl_virtio_failure(d) ? cl_virtio_failure(d) : "not failed");
	/* a length field that lies */
	wr(d, 0x070, 0);
	memset(mem.host + Q_DESC, 0, 0x8000 - Q_DESC);
	CHECK(negotiate(d, V1), "features");
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	queue_setup(d, &ev, 2, 8, Q2_DESC, Q2_AVAIL, Q2_USED);
	driver_ok(d);
	memcpy(mem.host + TXBUF, &h, sizeof(h));
	desc(&tx, 0, TXBUF, VH + 10, 0, 0);
	submit(d, &tx, 0);
	CHECK(failed_with(d, "a header says 1000 bytes"), "lying length: %s",
	      cl_virtio_failure(d) ? cl_virtio_failure(d) : "not failed");
	/* a host client that sends garbage instead of CONNECT is dropped */
	wr(d, 0x070, 0);
	{
		int fd = host_connect();
		char c;

		CHECK(write(fd, "HELLO there\n", 12) == 12, "write");
		cl_virtio_vsock_poll(d); /* nothing: the device is not running */
		CHECK(negotiate(d, V1), "features");
		memset(mem.host + Q_DESC, 0, 0x8000 - Q_DESC);
		queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
		queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
		queue_setup(d, &ev, 2, 8, Q2_DESC, Q2_AVAIL, Q2_USED);
		driver_ok(d);
		cl_virtio_vsock_poll(d);
		cl_virtio_vsock_poll(d);
		CHECK(wait_readable(fd) && read(fd, &c, 1) == 0, "garbage line: closed");
		close(fd);
	}
	cl_virtio_free(d);
	unlink(sock_path);
}

void virtio_vsock_tests(void)
{
	run("vsock: CONNECT/OK, the stream both ways, credit, refusals", t_vsock);
	run("vsock: hostile headers fail the device; a bad host line is dropped", t_vsock_hostile);
}
