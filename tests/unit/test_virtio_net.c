/* virtio-net over a datagram socket pair standing in for the tap: transmit,
 * receive with and without mergeable buffers, a frame that waits for room,
 * hostile chains, the I/O thread. */
#include <sys/socket.h>

#include "virtio_guest.h"

#define NET_HDR 12
static const uint8_t mac[6] = {0x0a, 0x58, 10, 88, 0, 2};

static struct cl_vm_dev *net_ready(int sv[2], uint64_t features, struct gq *rx, struct gq *tx)
{
	struct cl_err e = {0};
	struct cl_vm_dev *d;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		exit(1);
	d = cl_virtio_net_new_socket(&mem, CL_VIRTIO_MMIO_BASE + 0x2000, 7, sv[0], mac, &e);
	CHECK(d, "cl_virtio_net_new_socket: %s", e.msg);
	if (!d)
		return NULL;
	d->set_irq = set_irq;
	CHECK(rd(d, 0x008) == 1, "device id %u", rd(d, 8));
	CHECK(negotiate(d, features), "features");
	queue_setup(d, rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	driver_ok(d);
	return d;
}

static void t_net(void)
{
	int sv[2];
	struct gq rx, tx;
	struct cl_vm_dev *d = net_ready(sv, V1, &rx, &tx);
	uint8_t frame[NET_HDR + 64], got[256];
	ssize_t n;

	if (!d)
		return;
	/* the MAC in the config space, then the status: link up */
	for (int i = 0; i < 8; i++) {
		struct cl_err e;
		uint8_t b = 0;

		d->read(d, 0x100 + (uint64_t)i, &b, 1, &e);
		CHECK(b == (i < 6 ? mac[i] : i == 6), "config byte %d: %u", i, b);
	}
	/* transmit: header and frame in two descriptors reach the "tap" as one */
	memset(frame, 0, sizeof(frame));
	memset(frame + NET_HDR, 0xab, 64);
	memcpy(mem.host + 0x20000, frame, NET_HDR);
	memcpy(mem.host + 0x21000, frame + NET_HDR, 64);
	desc(&tx, 0, 0x20000, NET_HDR, F_NEXT, 1);
	desc(&tx, 1, 0x21000, 64, 0, 0);
	submit(d, &tx, 0);
	cl_virtio_net_poll(d);
	n = recv(sv[1], got, sizeof(got), 0);
	CHECK(n == NET_HDR + 64 && !memcmp(got, frame, sizeof(frame)), "sent %zd bytes", n);
	CHECK(used_idx(&tx) == 1 && used_len(&tx, 0) == 0, "tx used %u", used_idx(&tx));
	wr(d, 0x064, 1);

	/* receive: a frame before any buffer waits, the kick delivers it */
	memset(frame + NET_HDR, 0xcd, 64);
	CHECK(send(sv[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "send");
	cl_virtio_net_poll(d);
	CHECK(used_idx(&rx) == 0, "rx used without buffers");
	desc(&rx, 0, 0x30000, 1526, F_WRITE, 0);
	submit(d, &rx, 0);
	cl_virtio_net_poll(d);
	CHECK(used_idx(&rx) == 1 && used_len(&rx, 0) == sizeof(frame), "rx used %u len %u",
	      used_idx(&rx), used_len(&rx, 0));
	CHECK(!memcmp(mem.host + 0x30000 + NET_HDR, frame + NET_HDR, 64), "rx data");
	CHECK(r16(0x30000 + 10) == 1, "num_buffers %u", r16(0x30000 + 10));
	CHECK(irq_level == 1, "rx irq");
	wr(d, 0x064, 1);

	/* a frame bigger than the one buffer a guest without mergeable
	 * buffers posts: dropped, the buffer kept for the next */
	{
		static uint8_t big[NET_HDR + 3000];
		unsigned long txd, rxd;

		memset(big, 1, sizeof(big));
		CHECK(send(sv[1], big, sizeof(big), 0) == (ssize_t)sizeof(big), "send big");
		desc(&rx, 1, 0x31000, 1526, F_WRITE, 0);
		submit(d, &rx, 1);
		cl_virtio_net_poll(d);
		cl_virtio_net_counters(d, &txd, &rxd);
		CHECK(rxd == 1 && used_idx(&rx) == 1, "big frame: dropped %lu, used %u", rxd,
		      used_idx(&rx));
		CHECK(send(sv[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "send");
		cl_virtio_net_poll(d);
		CHECK(used_idx(&rx) == 2 && used_id(&rx, 1) == 1, "next frame in the kept buffer");
	}
	cl_virtio_free(d);
	close(sv[1]);
}

static void t_net_mrg(void)
{
	int sv[2];
	struct gq rx, tx;
	struct cl_vm_dev *d = net_ready(sv, V1 | (1ull << 15), &rx, &tx);
	static uint8_t frame[NET_HDR + 3000];

	if (!d)
		return;
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	memset(frame, 0, NET_HDR); /* no offload: this guest accepted none */
	/* 2 buffers of 1024: not enough for 3012 bytes, the frame waits */
	desc(&rx, 0, 0x30000, 1024, F_WRITE, 0);
	desc(&rx, 1, 0x31000, 1024, F_WRITE, 0);
	desc(&rx, 2, 0x32000, 1024, F_WRITE, 0);
	submit(d, &rx, 0);
	submit(d, &rx, 1);
	CHECK(send(sv[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "send");
	cl_virtio_net_poll(d);
	CHECK(used_idx(&rx) == 0, "placed without room: used %u", used_idx(&rx));
	/* a third buffer: the frame goes into all three */
	submit(d, &rx, 2);
	cl_virtio_net_poll(d);
	CHECK(used_idx(&rx) == 3, "used %u", used_idx(&rx));
	CHECK(used_len(&rx, 0) == 1024 && used_len(&rx, 1) == 1024 && used_len(&rx, 2) == 964,
	      "lengths %u %u %u", used_len(&rx, 0), used_len(&rx, 1), used_len(&rx, 2));
	CHECK(r16(0x30000 + 10) == 3, "num_buffers %u", r16(0x30000 + 10));
	CHECK(!memcmp(mem.host + 0x30000 + NET_HDR, frame + NET_HDR, 1024 - NET_HDR) &&
		  !memcmp(mem.host + 0x31000, frame + 1024, 1024) &&
		  !memcmp(mem.host + 0x32000, frame + 2048, 964),
	      "data across the buffers");
	/* a GSO frame (the guest accepted no TSO) is dropped, the buffers kept */
	{
		unsigned long txd, rxd;

		frame[1] = 1; /* VIRTIO_NET_HDR_GSO_TCPV4 */
		for (int i = 3; i < 6; i++)
			desc(&rx, (unsigned)i, 0x33000 + 0x1000 * (unsigned)(i - 3), 1024, F_WRITE,
			     0);
		submit(d, &rx, 3);
		CHECK(send(sv[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "send");
		cl_virtio_net_poll(d);
		cl_virtio_net_counters(d, &txd, &rxd);
		CHECK(rxd == 1 && used_idx(&rx) == 3, "GSO frame: dropped %lu, used %u", rxd,
		      used_idx(&rx));
	}
	cl_virtio_free(d);
	close(sv[1]);
}

static void t_net_hostile(void)
{
	int sv[2];
	struct gq rx, tx;
	struct cl_vm_dev *d = net_ready(sv, V1, &rx, &tx);
	uint8_t frame[NET_HDR + 60] = {0};

	if (!d)
		return;
	/* a packet shorter than its header */
	desc(&tx, 0, 0x20000, 4, 0, 0);
	submit(d, &tx, 0);
	cl_virtio_net_poll(d);
	CHECK(failed_with(d, "a packet of 4 bytes"), "short packet: %s",
	      cl_virtio_failure(d) ? cl_virtio_failure(d) : "not failed");
	CHECK(recv(sv[1], frame, sizeof(frame), 0) < 0, "nothing sent");
	/* reset: works again; a receive buffer the device would read */
	wr(d, 0x070, 0);
	CHECK(!cl_virtio_failure(d), "reset clears the failure");
	memset(mem.host + Q_DESC, 0, Q1_USED + 0x1000 - Q_DESC); /* the rings, anew */
	CHECK(negotiate(d, V1), "features after reset");
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	driver_ok(d);
	desc(&rx, 0, 0x30000, 1526, 0, 0); /* not device-writable */
	submit(d, &rx, 0);
	CHECK(send(sv[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "send");
	cl_virtio_net_poll(d);
	CHECK(failed_with(d, "a buffer the device would have to read"), "readable rx: %s",
	      cl_virtio_failure(d) ? cl_virtio_failure(d) : "not failed");
	/* a buffer too short for the header */
	wr(d, 0x070, 0);
	memset(mem.host + Q_DESC, 0, Q1_USED + 0x1000 - Q_DESC);
	CHECK(negotiate(d, V1), "features after reset");
	queue_setup(d, &rx, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	queue_setup(d, &tx, 1, 8, Q1_DESC, Q1_AVAIL, Q1_USED);
	driver_ok(d);
	desc(&rx, 0, 0x30000, 8, F_WRITE, 0);
	submit(d, &rx, 0);
	CHECK(send(sv[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "send");
	cl_virtio_net_poll(d);
	CHECK(failed_with(d, "shorter than the header"), "short rx buffer: %s",
	      cl_virtio_failure(d) ? cl_virtio_failure(d) : "not failed");
	cl_virtio_free(d);
	close(sv[1]);
}

/* The device's own I/O thread: a frame in, a frame out, stopped cleanly. */
static void t_net_thread(void)
{
	int sv[2];
	struct gq rx, tx;
	struct cl_vm_dev *d = net_ready(sv, V1, &rx, &tx);
	struct cl_vm_config cfg = {.extra_devs = &d, .n_extra_devs = 1};
	struct cl_err e = {0};
	uint8_t frame[NET_HDR + 60], got[128];
	struct pollfd p = {.fd = sv[1], .events = POLLIN};

	if (!d)
		return;
	CHECK(cl_virtio_start_devs(&cfg, NULL, &e) == 0, "start: %s", e.msg);
	memset(frame, 0x5a, sizeof(frame));
	memset(frame, 0, NET_HDR);
	desc(&rx, 0, 0x30000, 1526, F_WRITE, 0);
	submit(d, &rx, 0);
	CHECK(send(sv[1], frame, sizeof(frame), 0) == (ssize_t)sizeof(frame), "send");
	for (int i = 0; i < 500 && used_idx(&rx) == 0; i++)
		usleep(2000);
	CHECK(used_idx(&rx) == 1 && used_len(&rx, 0) == sizeof(frame), "thread rx: used %u",
	      used_idx(&rx));
	memcpy(mem.host + 0x20000, frame, sizeof(frame));
	desc(&tx, 0, 0x20000, sizeof(frame), 0, 0);
	submit(d, &tx, 0);
	CHECK(poll(&p, 1, 1000) == 1 && recv(sv[1], got, sizeof(got), 0) == (ssize_t)sizeof(frame),
	      "thread tx");
	cl_virtio_stop_devs(&cfg);
	cl_virtio_free(d);
	close(sv[1]);
}

void virtio_net_tests(void)
{
	run("net: transmit, receive, a frame that waits, one too big", t_net);
	run("net: mergeable receive buffers", t_net_mrg);
	run("net: hostile chains fail the device, a reset recovers", t_net_hostile);
	run("net: the device's I/O thread", t_net_thread);
}
