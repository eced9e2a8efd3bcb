/* virtio-net (virtio 1.x §5.1) over a tap device, served off the vCPUs.
 *
 * Two queues, receive (0) and transmit (1), no control queue.  The tap is
 * opened with IFF_VNET_HDR and a 12-byte header, the virtio_net_hdr_v1 the
 * guest uses with VERSION_1, so headers (checksum and segmentation offload)
 * pass through unchanged both ways: the tap's kernel side validates what
 * the guest sends, and what the host sends was made by the kernel.
 *
 * The device's I/O thread (virtio_io.c: woken by KVM_IOEVENTFD, under the
 * seccomp role CL_VM_THREAD_NET) does all the queue work and waits on the
 * tap while the guest can take frames, so a vCPU never copies a packet and
 * never waits on the tap.
 *
 * Every descriptor is the guest's and hostile (virtqueue.h): a chain whose
 * readable part is shorter than the header or longer than a packet can be
 * fails the device (the guest's own NIC, never the VMM); a packet the tap
 * refuses (a header it finds invalid) is dropped and counted; a received
 * frame waits in the device while the guest has no room for it. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vm/dev/virtio_mmio.h"
#include "vm/virtio.h"
#include "vm/vm.h"

#define VIRTIO_ID_NET 1

#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_S_LINK_UP	1

#define RXQ	  0
#define TXQ	  1
#define NET_QUEUE 256
#define NET_HDR	  12 /* struct virtio_net_hdr_v1 */
/* A frame either way: the header and at most a 64 KiB GSO packet with its
 * Ethernet and VLAN headers. */
#define NET_MAX (NET_HDR + 65536 + 14 + 4)
#define BATCH	64	   /* packets per turn, then the other direction */
#define NONE	UINT64_MAX /* no driver accepts every feature bit */

struct net {
	int tap;
	bool offload_ok;  /* the tap takes TUNSETOFFLOAD */
	uint64_t applied; /* driver features the tap's offloads follow (NONE: apply) */
	size_t pending;	  /* a received frame waiting for guest buffers */
	bool tap_dead;	  /* a read failed (the link was deleted): no more polling */
	unsigned long tx_dropped, rx_dropped;
	uint8_t config[12];	       /* mac[6], status, max_virtqueue_pairs */
	struct cl_vq_chain first, cur; /* receive: the frame's first chain, the next */
	uint8_t rx[NET_MAX];
};

static struct net *net_of(struct cl_virtio *v)
{
	return v->priv;
}

static void net_reset(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	n->pending = 0;
	n->applied = NONE;
}

/* What the guest can take from the tap follows what it accepted: the tap
 * must not hand it a GSO packet or a partial checksum it did not ask for. */
static void apply_offloads(struct cl_virtio *v)
{
	struct net *n = net_of(v);
	uint64_t f = v->driver_features;
	unsigned off = 0;

	if (n->applied == f)
		return;
	if (f & (1ull << VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (f & (1ull << VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (f & (1ull << VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
	}
	if (n->offload_ok && ioctl(n->tap, TUNSETOFFLOAD, off) < 0 && v->nr_failures == 0)
		cl_warn("virtio-net: cannot set the tap's offloads: %s", strerror(errno));
	n->applied = f;
}

/* Lock held.  Sends what the guest queued; 0, or -1 + @err (guest error). */
static int do_tx(struct cl_virtio *v, struct cl_err *err)
{
	struct net *n = net_of(v);
	struct cl_vq *vq = &v->vq[TXQ];
	struct iovec iov[CL_VQ_MAX_SIZE];
	unsigned done = 0;
	int r;

	/* a batch per turn when a thread serves it, all of it otherwise */
	while ((done < BATCH || !v->io.started) && (r = cl_vq_pop(vq, &n->cur, err)) > 0) {
		struct cl_vq_chain *c = &n->cur;
		int k;

		if (c->read_len < NET_HDR || c->read_len > NET_MAX)
			return cl_fail(
			    err, 0,
			    "virtio-net: transmit queue: a packet of %llu bytes with its "
			    "header (%d to %d)",
			    (unsigned long long)c->read_len, NET_HDR, NET_MAX);
		k = cl_vq_chain_iov(c, false, 0, c->read_len, iov, CL_VQ_MAX_SIZE);
		if (k < 0 || writev(n->tap, iov, k) < 0)
			n->tx_dropped++; /* refused by the tap (its checks), or full */
		cl_vq_push(vq, c, 0);
		done++;
	}
	if (r < 0)
		return -1;
	if (done)
		cl_virtio_used(v, TXQ);
	if (done == BATCH)
		cl_virtio_io_signal(v->io.kick[TXQ]); /* more: after a turn of receive */
	return 0;
}

/* What the guest accepted decides what it may be given: a frame the tap
 * made under offloads set before a reset (GSO, or a checksum to complete)
 * is dropped when the guest did not accept them; the checksum flags (the
 * tap also says DATA_VALID) are cleared for a guest without GUEST_CSUM. */
static bool rx_acceptable(struct cl_virtio *v, uint8_t *hdr)
{
	uint64_t f = v->driver_features;
	uint8_t gso = hdr[1] & 0x7f; /* VIRTIO_NET_HDR_GSO_ECN aside */

	if (!(f & (1ull << VIRTIO_NET_F_GUEST_CSUM))) {
		if (hdr[0] & 1) /* NEEDS_CSUM */
			return false;
		hdr[0] = 0;
	}
	if (gso == 0)
		return true;
	if (gso == 1) /* TCPV4 */
		return f & (1ull << VIRTIO_NET_F_GUEST_TSO4);
	if (gso == 4) /* TCPV6 */
		return f & (1ull << VIRTIO_NET_F_GUEST_TSO6);
	return false; /* UDP and others: never offered */
}

/* Lock held.  Copies the pending frame into the guest's receive buffers:
 * 1 when it went (or was dropped: too big for a guest without mergeable
 * buffers), 0 when the guest has no room yet, -1 + @err on a guest error. */
static int place_rx(struct cl_virtio *v, struct cl_err *err)
{
	struct net *n = net_of(v);
	struct cl_vq *vq = &v->vq[RXQ];
	bool mrg = v->driver_features & (1ull << VIRTIO_NET_F_MRG_RXBUF);
	size_t off = 0, len = n->pending;
	uint16_t bufs = 0, nbuf;
	uint32_t first_len = 0;
	uint16_t heads[CL_VQ_MAX_SIZE];
	uint32_t lens[CL_VQ_MAX_SIZE];
	int r;

	if (!rx_acceptable(v, n->rx)) {
		n->rx_dropped++;
		n->pending = 0;
		return 1;
	}
	while (off < len) {
		struct cl_vq_chain *c = bufs ? &n->cur : &n->first;
		size_t k;

		if (bufs == CL_VQ_MAX_SIZE || (bufs && !mrg))
			break;
		r = cl_vq_pop(vq, c, err);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		if (c->nr_read)
			return cl_fail(err, 0,
				       "virtio-net: receive queue: a buffer the device "
				       "would have to read");
		if (!bufs && c->write_len < NET_HDR)
			return cl_fail(err, 0,
				       "virtio-net: receive queue: a buffer of %llu bytes, shorter "
				       "than the header",
				       (unsigned long long)c->write_len);
		k = cl_vq_chain_write(c, 0, n->rx + off, len - off);
		heads[bufs] = c->head;
		lens[bufs] = (uint32_t)k;
		if (!bufs)
			first_len = (uint32_t)k;
		bufs++;
		off += k;
	}
	if (off < len) {
		/* not room for all of it: give the buffers back, unused */
		cl_vq_unpop(vq, bufs);
		/* one buffer is all this guest gives, or the whole ring cannot
		 * hold it: the frame can never fit, waiting would stall receive */
		if ((!mrg && bufs) || bufs >= vq->num || bufs == CL_VQ_MAX_SIZE) {
			n->rx_dropped++;
			n->pending = 0;
			return 1;
		}
		return 0;
	}
	nbuf = htole16(bufs);
	cl_vq_chain_write(&n->first, 10, &nbuf, sizeof(nbuf)); /* num_buffers */
	for (uint16_t i = 0; i < bufs; i++) {
		struct cl_vq_chain h = {.head = heads[i]};

		cl_vq_push(vq, &h, i ? lens[i] : first_len);
	}
	n->pending = 0;
	return 1;
}

/* Lock held: the guest notified queue @q (or DRIVER_OK kicked it). */
static int net_notify(struct cl_virtio *v, unsigned q, struct cl_err *err)
{
	struct net *n = net_of(v);
	int r;

	apply_offloads(v);
	if (q == TXQ)
		return do_tx(v, err);
	if (!n->pending)
		return 0;
	r = place_rx(v, err);
	if (r > 0)
		cl_virtio_used(v, RXQ);
	return r < 0 ? -1 : 0;
}

/* The I/O thread waits on the tap only while the guest can take frames:
 * none pending, the device running (a frame before that would wake it for
 * nothing, again and again). */
static int net_tap_wanted(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	if (n->pending || n->tap_dead)
		return -1;
	return cl_virtio_running(v) && v->vq[RXQ].ready ? n->tap : -1;
}

/* Frames from the tap, as long as the guest takes them (a batch at most). */
static void net_receive(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	for (unsigned i = 0; i < BATCH; i++) {
		struct cl_err err = {0};
		ssize_t got;
		int r;

		pthread_mutex_lock(&v->lock);
		r = net_tap_wanted(v);
		if (r >= 0)
			apply_offloads(v); /* what the tap makes follows the guest */
		pthread_mutex_unlock(&v->lock);
		if (r < 0)
			return;
		/* the tap gives whole frames, header first; the guest's memory is
		 * not touched here, so no lock while the read copies */
		got = read(n->tap, n->rx, sizeof(n->rx));
		if (got < 0 && errno != EAGAIN && errno != EINTR) {
			/* the link was deleted under us (EBADFD, and POLLERR for
			 * ever): stop waiting on it, say so once */
			pthread_mutex_lock(&v->lock);
			n->tap_dead = true;
			pthread_mutex_unlock(&v->lock);
			cl_warn("virtio-net: the tap is gone (%s): the guest's network is down",
				strerror(errno));
			return;
		}
		if (got < 0)
			return; /* nothing more now */
		if (got < NET_HDR)
			continue;
		pthread_mutex_lock(&v->lock);
		n->pending = (size_t)got;
		if (cl_virtio_running(v) && v->vq[RXQ].ready) {
			r = place_rx(v, &err);
			if (r < 0)
				cl_virtio_fail(v, &err);
			else if (r > 0)
				cl_virtio_used(v, RXQ);
		}
		pthread_mutex_unlock(&v->lock);
	}
}

static void net_free(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	if (n->tap >= 0)
		close(n->tap);
}

static int net_io_fds(struct cl_virtio *v, struct pollfd *pf, int max)
{
	int fd = net_tap_wanted(v);

	if (fd < 0 || max < 1)
		return 0;
	pf[0] = (struct pollfd){.fd = fd, .events = POLLIN};
	return 1;
}

static void net_io_ready(struct cl_virtio *v, const struct pollfd *pf, int n)
{
	(void)pf;
	(void)n;
	net_receive(v);
}

static const struct cl_virtio_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .num_queues = 2,
    .queue_max = NET_QUEUE,
    .notify = net_notify,
    .reset = net_reset,
    .free = net_free,
    .io_thread = true,
    .io_role = CL_VM_THREAD_NET,
    .io_fds = net_io_fds,
    .io_ready = net_io_ready,
};

static struct cl_vm_dev *net_new(const struct cl_vm_mem *mem, uint64_t base, int irq, int tap,
				 const uint8_t mac[6], bool is_tap, struct cl_err *err)
{
	uint64_t features = (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_HOST_TSO4) |
			    (1ull << VIRTIO_NET_F_HOST_TSO6) | (1ull << VIRTIO_NET_F_MAC) |
			    (1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VIRTIO_NET_F_STATUS) |
			    (1ull << CL_VIRTIO_F_INDIRECT_DESC) | (1ull << CL_VIRTIO_F_EVENT_IDX);
	int hdr = NET_HDR, fl;
	bool offload_ok;
	struct cl_virtio *v;
	struct net *n;

	/* the header both sides use, and offloads the tap can take: probed
	 * with all of them, then none until the guest says what it accepts */
	if (is_tap && ioctl(tap, TUNSETVNETHDRSZ, &hdr) < 0) {
		cl_fail(err, errno, "virtio-net: the tap takes no virtio header");
		close(tap);
		return NULL;
	}
	offload_ok = is_tap && ioctl(tap, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0;
	if (offload_ok) {
		features |= (1ull << VIRTIO_NET_F_GUEST_CSUM) | (1ull << VIRTIO_NET_F_GUEST_TSO4) |
			    (1ull << VIRTIO_NET_F_GUEST_TSO6);
		ioctl(tap, TUNSETOFFLOAD, 0);
	}
	fl = fcntl(tap, F_GETFL);
	if (fl < 0 || fcntl(tap, F_SETFL, fl | O_NONBLOCK) < 0) {
		cl_fail(err, errno, "virtio-net: cannot make the tap non-blocking");
		close(tap);
		return NULL;
	}
	v = cl_virtio_alloc(&net_ops, mem, base, irq, features, sizeof(*n), err);
	if (!v) {
		close(tap);
		return NULL;
	}
	n = net_of(v);
	n->tap = tap;
	n->applied = NONE;
	n->offload_ok = offload_ok;
	memcpy(n->config, mac, 6);
	n->config[6] = VIRTIO_NET_S_LINK_UP; /* status, little-endian */
	n->config[8] = 1;		     /* max_virtqueue_pairs */
	cl_virtio_set_config(v, n->config, sizeof(n->config));
	return &v->dev;
}

struct cl_vm_dev *cl_virtio_net_new(const struct cl_vm_mem *mem, uint64_t base, int irq, int tap,
				    const uint8_t mac[6], struct cl_err *err)
{
	return net_new(mem, base, irq, tap, mac, true, err);
}

struct cl_vm_dev *cl_virtio_net_new_socket(const struct cl_vm_mem *mem, uint64_t base, int irq,
					   int fd, const uint8_t mac[6], struct cl_err *err)
{
	return net_new(mem, base, irq, fd, mac, false, err);
}

void cl_virtio_net_poll(struct cl_vm_dev *d)
{
	struct cl_virtio *v = cl_virtio_of(d);

	pthread_mutex_lock(&v->lock);
	for (unsigned q = 0; q < 2; q++) {
		struct cl_err err = {0};

		if (cl_virtio_running(v) && v->vq[q].ready && net_notify(v, q, &err) < 0)
			cl_virtio_fail(v, &err);
	}
	pthread_mutex_unlock(&v->lock);
	net_receive(v);
}

void cl_virtio_net_counters(struct cl_vm_dev *d, unsigned long *tx_dropped,
			    unsigned long *rx_dropped)
{
	struct cl_virtio *v = cl_virtio_of(d);
	struct net *n = net_of(v);

	pthread_mutex_lock(&v->lock);
	*tx_dropped = n->tx_dropped;
	*rx_dropped = n->rx_dropped;
	pthread_mutex_unlock(&v->lock);
}
