/* virtio-net (virtio 1.x §5.1) over a tap device, served off the vCPUs.
 *
 * Two queues, receive (0) and transmit (1), no control queue.  The tap is
 * opened with IFF_VNET_HDR and a 12-byte header, the virtio_net_hdr_v1 the
 * guest uses with VERSION_1, so headers (checksum and segmentation offload)
 * pass through unchanged both ways: the tap's kernel side validates what
 * the guest sends, and what the host sends was made by the kernel.
 *
 * One I/O thread per device (kvmtool's shape) does all the queue work: the
 * guest's queue notifications reach it through an eventfd that KVM signals
 * itself (KVM_IOEVENTFD on QueueNotify, matched on the queue index; where
 * KVM cannot, the MMIO handler signals it), so a vCPU never copies a packet
 * and never waits on the tap.  The thread holds only the device's lock.
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
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
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

#define RXQ	   0
#define TXQ	   1
#define NET_QUEUE  256
#define NET_HDR	   12 /* struct virtio_net_hdr_v1 */
#define NET_MAX_RX (NET_HDR + 65536 + 14 + 4)
/* A transmit chain: the header and at most a 64 KiB GSO packet with its
 * Ethernet and VLAN headers. */
#define NET_MAX_TX	 (NET_HDR + 65536 + 14 + 4)
#define REG_QUEUE_NOTIFY 0x050
#define BATCH		 64 /* packets per turn, then the other direction */

struct net {
	int tap;
	int kick[2]; /* eventfds: the guest notified queue 0, 1 */
	int stop;    /* eventfd: the thread ends */
	bool ioeventfd;
	pthread_t thread;
	bool started;
	/* the thread's confinement: 0 pending, 1 done, -1 failed (cerr) */
	int (*confine)(enum cl_vm_thread_role role, struct cl_err *err);
	int confined;
	struct cl_err cerr;
	pthread_cond_t cond;
	bool offload_ok;    /* the tap takes TUNSETOFFLOAD */
	uint64_t applied;   /* driver features the tap's offloads follow */
	bool applied_valid; /* false: apply again (set-up, reset) */
	size_t pending;	    /* a received frame waiting for guest buffers */
	unsigned long tx_dropped, rx_dropped;
	uint8_t config[12];	       /* mac[6], status, max_virtqueue_pairs */
	struct cl_vq_chain first, cur; /* receive: the frame's first chain, the next */
	uint8_t rx[NET_MAX_RX];
};

static struct net *net_of(struct cl_virtio *v)
{
	return v->priv;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	(void)!write(fd, &one, sizeof(one));
}

static void drain_fd(int fd)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
}

/* Queue notifications without ioeventfd (vCPU thread, lock held), and the
 * kick of every queue at DRIVER_OK: wake the I/O thread. */
static int net_notify(struct cl_virtio *v, unsigned q, struct cl_err *err)
{
	(void)err;
	signal_fd(net_of(v)->kick[q]);
	return 0;
}

static void net_reset(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	n->pending = 0;
	n->applied_valid = false;
}

/* What the guest can take from the tap follows what it accepted: the tap
 * must not hand it a GSO packet or a partial checksum it did not ask for. */
static void apply_offloads(struct cl_virtio *v)
{
	struct net *n = net_of(v);
	uint64_t f = v->driver_features;
	unsigned off = 0;

	if (n->applied_valid && n->applied == f)
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
	n->applied_valid = true;
}

/* Lock held.  Sends what the guest queued; 0, or -1 + @err (guest error). */
static int do_tx(struct cl_virtio *v, struct cl_err *err)
{
	struct net *n = net_of(v);
	struct cl_vq *vq = &v->vq[TXQ];
	struct iovec iov[CL_VQ_MAX_SIZE];
	unsigned done = 0;
	int r;

	while (done < BATCH && (r = cl_vq_pop(vq, &n->cur, err)) > 0) {
		struct cl_vq_chain *c = &n->cur;
		int k;

		if (c->read_len < NET_HDR || c->read_len > NET_MAX_TX)
			return cl_fail(
			    err, 0,
			    "virtio-net: transmit queue: a packet of %llu bytes with its "
			    "header (%d to %d)",
			    (unsigned long long)c->read_len, NET_HDR, NET_MAX_TX);
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
		signal_fd(n->kick[TXQ]); /* more: after a turn of receive */
	return 0;
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
		if (!mrg && bufs) {
			/* one buffer is all this guest gives: the frame cannot fit */
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

/* Lock held: the transmit queue, and the pending frame if there is one. */
static void serve(struct cl_virtio *v)
{
	struct net *n = net_of(v);
	struct cl_err err = {0};

	if (!cl_virtio_running(v))
		return;
	apply_offloads(v);
	if (v->vq[TXQ].ready && do_tx(v, &err) < 0) {
		cl_virtio_fail(v, &err);
		return;
	}
	if (n->pending && v->vq[RXQ].ready) {
		int r = place_rx(v, &err);

		if (r < 0)
			cl_virtio_fail(v, &err);
		else if (r > 0)
			cl_virtio_used(v, RXQ);
	}
}

/* Frames from the tap, as long as the guest takes them (a batch at most). */
static void receive(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	for (unsigned i = 0; i < BATCH; i++) {
		ssize_t got;
		bool more;

		pthread_mutex_lock(&v->lock);
		more = !n->pending && cl_virtio_running(v) && v->vq[RXQ].ready;
		pthread_mutex_unlock(&v->lock);
		if (!more)
			return;
		/* the tap gives whole frames, header first; the guest's memory is
		 * not touched here, so no lock while the read copies */
		got = read(n->tap, n->rx, sizeof(n->rx));
		if (got < 0)
			return; /* EAGAIN: nothing more now */
		if (got < NET_HDR)
			continue;
		pthread_mutex_lock(&v->lock);
		n->pending = (size_t)got;
		serve(v);
		pthread_mutex_unlock(&v->lock);
	}
}

static void *io_thread(void *arg)
{
	struct cl_virtio *v = arg;
	struct net *n = net_of(v);
	struct cl_err err = {0};
	int r;

	pthread_setname_np(pthread_self(), "virtio-net");
	/* its own filter before it touches the guest's queues */
	r = n->confine ? n->confine(CL_VM_THREAD_NET, &err) : 0;
	pthread_mutex_lock(&v->lock);
	n->confined = r < 0 ? -1 : 1;
	n->cerr = err;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&v->lock);
	if (r < 0)
		return NULL;
	for (;;) {
		bool waiting;
		struct pollfd pf[4] = {{.fd = n->stop, .events = POLLIN},
				       {.fd = n->kick[RXQ], .events = POLLIN},
				       {.fd = n->kick[TXQ], .events = POLLIN},
				       {.fd = n->tap, .events = POLLIN}};

		/* the tap only while the guest can take frames: none pending,
		 * the device running (a frame before that would wake us for
		 * nothing, again and again) */
		pthread_mutex_lock(&v->lock);
		waiting = n->pending || !cl_virtio_running(v) || !v->vq[RXQ].ready;
		pthread_mutex_unlock(&v->lock);
		if (poll(pf, waiting ? 3 : 4, -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		if (pf[1].revents)
			drain_fd(n->kick[RXQ]);
		if (pf[2].revents)
			drain_fd(n->kick[TXQ]);
		pthread_mutex_lock(&v->lock);
		serve(v);
		pthread_mutex_unlock(&v->lock);
		if (!waiting && (pf[3].revents & POLLIN))
			receive(v);
	}
	return NULL;
}

/* Once guest RAM exists, before the VMM confines itself: KVM signals the
 * queue eventfds on the guest's QueueNotify writes. */
static int net_attach(struct cl_virtio *v, struct cl_err *err)
{
	struct net *n = net_of(v);

	(void)err;
	if (v->dev.vm_fd <= 0 || n->ioeventfd)
		return 0;
	for (unsigned q = 0; q < 2; q++) {
		struct kvm_ioeventfd io = {.datamatch = q,
					   .addr = v->dev.base + REG_QUEUE_NOTIFY,
					   .len = 4,
					   .fd = n->kick[q],
					   .flags = KVM_IOEVENTFD_FLAG_DATAMATCH};

		if (ioctl(v->dev.vm_fd, KVM_IOEVENTFD, &io) < 0)
			return 0; /* the MMIO handler signals them instead */
	}
	n->ioeventfd = true;
	return 0;
}

/* Starts the I/O thread and waits until it is confined: a thread that
 * could not be fails the start (the VM does not run with a NIC served by
 * an unconfined thread, nor without the NIC it was given). */
static int net_start(struct cl_virtio *v,
		     int (*confine)(enum cl_vm_thread_role role, struct cl_err *err),
		     struct cl_err *err)
{
	struct net *n = net_of(v);
	int r;

	n->confine = confine;
	n->confined = 0;
	r = pthread_create(&n->thread, NULL, io_thread, v);
	if (r)
		return cl_fail(err, r, "virtio-net: cannot start its I/O thread");
	n->started = true;
	pthread_mutex_lock(&v->lock);
	while (!n->confined)
		pthread_cond_wait(&n->cond, &v->lock);
	r = n->confined;
	pthread_mutex_unlock(&v->lock);
	if (r < 0) {
		*err = n->cerr;
		return cl_wrap(err, "virtio-net's I/O thread");
	}
	return 0;
}

static void net_stop(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	if (!n->started)
		return;
	signal_fd(n->stop);
	pthread_join(n->thread, NULL);
	n->started = false;
}

static void net_free(struct cl_virtio *v)
{
	struct net *n = net_of(v);

	net_stop(v);
	pthread_cond_destroy(&n->cond);
	for (int i = 0; i < 2; i++)
		if (n->kick[i] >= 0)
			close(n->kick[i]);
	if (n->stop >= 0)
		close(n->stop);
	if (n->tap >= 0)
		close(n->tap);
}

static const struct cl_virtio_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .num_queues = 2,
    .queue_max = NET_QUEUE,
    .notify = net_notify,
    .reset = net_reset,
    .attach = net_attach,
    .start = net_start,
    .stop = net_stop,
    .free = net_free,
};

struct cl_vm_dev *cl_virtio_net_new(const struct cl_vm_mem *mem, uint64_t base, int irq, int tap,
				    const uint8_t mac[6], struct cl_err *err)
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
	if (ioctl(tap, TUNSETVNETHDRSZ, &hdr) < 0) {
		cl_fail(err, errno, "virtio-net: the tap takes no virtio header");
		close(tap);
		return NULL;
	}
	offload_ok = ioctl(tap, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) == 0;
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
	n->kick[0] = n->kick[1] = n->stop = -1;
	pthread_cond_init(&n->cond, NULL);
	n->offload_ok = offload_ok;
	n->kick[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	n->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->kick[0] < 0 || n->kick[1] < 0 || n->stop < 0) {
		cl_fail(err, errno, "virtio-net: cannot make its eventfds");
		cl_virtio_free(&v->dev);
		return NULL;
	}
	memcpy(n->config, mac, 6);
	n->config[6] = VIRTIO_NET_S_LINK_UP; /* status, little-endian */
	n->config[8] = 1;		     /* max_virtqueue_pairs */
	cl_virtio_set_config(v, n->config, sizeof(n->config));
	return &v->dev;
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
