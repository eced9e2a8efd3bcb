/* virtio-vsock (virtio 1.x §5.10): stream sockets between the host and the
 * guest, the host side a Unix socket as Firecracker's: a host process
 * connects to it, writes "CONNECT <port>\n", and once the guest accepted
 * the connection on that vsock port it reads "OK <host port>\n" and then
 * the stream.  Connections the guest makes to the host are refused (RST):
 * nothing listens on the host side yet.
 *
 * Three queues: receive (0: to the guest), transmit (1), events (2, never
 * used).  Every packet starts with a 44-byte header; flow control is by
 * credit: each side says how much it can buffer (buf_alloc) and how much
 * it consumed (fwd_cnt), and the other never sends beyond that.  The
 * device keeps that promise to the guest and holds the guest to it: a
 * guest that sends beyond the credit it was given loses that connection.
 *
 * The device's I/O thread (virtio_io.c, role CL_VM_THREAD_VSOCK) waits on
 * the listening socket and the connections.  The guest is hostile: headers
 * are copied out and checked (a chain shorter than a header or whose
 * length field lies fails the device), ports and ids are only looked up. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vm/dev/virtio_mmio.h"
#include "vm/virtio.h"

#define VIRTIO_ID_VSOCK 19

#define RXQ 0
#define TXQ 1

#define HOST_CID       2
#define VSOCK_HDR      44
#define TYPE_STREAM    1
#define OP_REQUEST     1
#define OP_RESPONSE    2
#define OP_RST	       3
#define OP_SHUTDOWN    4
#define OP_RW	       5
#define OP_CREDIT_UPD  6
#define OP_CREDIT_REQ  7
#define SHUT_RCV_F     1
#define SHUT_SEND_F    2
#define CONN_MAX       64
#define CONN_BUF       (64u * 1024) /* what a connection buffers from the guest */
#define CTRL_MAX       (4 * CONN_MAX)
#define HOST_PORT_BASE (1u << 30) /* host ports of the connections, as Firecracker's */

struct vhdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));
_Static_assert(sizeof(struct vhdr) == VSOCK_HDR, "virtio_vsock_hdr is 44 bytes");

/* C_DEAD: the device was reset (on a vCPU thread, which may not close
 * fds): the I/O thread closes it at its next turn */
enum cstate { C_FREE, C_LINE, C_CONNECTING, C_OPEN, C_DEAD };

struct conn {
	enum cstate st;
	int fd;
	char line[32];
	size_t nline;
	uint32_t host_port, guest_port;
	uint32_t peer_buf_alloc, peer_fwd_cnt; /* the guest's receive window */
	uint32_t tx_cnt;		       /* bytes sent to the guest */
	uint32_t fwd_cnt, told_fwd;	       /* guest bytes written to fd; last said */
	uint8_t *buf;			       /* guest bytes not yet written to fd */
	size_t blen;
	bool host_eof;	    /* fd said EOF: the guest was told (SHUTDOWN send) */
	bool guest_no_send; /* the guest will send no more */
	bool guest_no_recv; /* the guest takes no more */
};

struct vsock {
	uint64_t cid;
	uint8_t config[8];
	int listen_fd;
	uint32_t next_port;
	bool rx_starved; /* no receive buffer: wait for the guest's kick */
	struct conn c[CONN_MAX];
	struct vhdr ctrl[CTRL_MAX]; /* control packets waiting for receive buffers */
	unsigned ctrl_head, ctrl_n;
	struct cl_vq_chain chain;
	uint8_t tmp[CONN_BUF];
};

static struct vsock *vs_of(struct cl_virtio *v)
{
	return v->priv;
}

static struct vhdr mkhdr(const struct vsock *s, const struct conn *c, uint16_t op, uint32_t flags)
{
	struct vhdr h = {
	    .src_cid = htole64(HOST_CID),
	    .dst_cid = htole64(s->cid),
	    .src_port = htole32(c->host_port),
	    .dst_port = htole32(c->guest_port),
	    .type = htole16(TYPE_STREAM),
	    .op = htole16(op),
	    .flags = htole32(flags),
	    .buf_alloc = htole32(CONN_BUF),
	    .fwd_cnt = htole32(c->fwd_cnt),
	};
	return h;
}

/* A receive buffer must be the device's to write, with room for a header. */
static bool bad_rx_chain(const struct cl_vq_chain *c, struct cl_err *err)
{
	if (!c->nr_read && c->write_len >= VSOCK_HDR)
		return false;
	cl_fail(err, 0,
		"virtio-vsock: receive queue: a buffer of %llu bytes the device cannot write a "
		"header into",
		(unsigned long long)c->write_len);
	return true;
}

/* Lock held.  Control packets to the guest, in order, as far as it gave
 * receive buffers; -1 + @err for a guest error. */
static int flush_ctrl(struct cl_virtio *v, struct cl_err *err)
{
	struct vsock *s = vs_of(v);
	bool pushed = false;

	while (s->ctrl_n) {
		int r = cl_vq_pop(&v->vq[RXQ], &s->chain, err);

		if (r < 0)
			return -1;
		if (r == 0) {
			s->rx_starved = true;
			break;
		}
		if (bad_rx_chain(&s->chain, err))
			return -1;
		cl_vq_chain_write(&s->chain, 0, &s->ctrl[s->ctrl_head], VSOCK_HDR);
		cl_vq_push(&v->vq[RXQ], &s->chain, VSOCK_HDR);
		s->ctrl_head = (s->ctrl_head + 1) % CTRL_MAX;
		s->ctrl_n--;
		pushed = true;
	}
	if (pushed)
		cl_virtio_used(v, RXQ);
	return 0;
}

static void send_ctrl(struct vsock *s, struct vhdr h)
{
	/* full only when a guest floods packets and gives no receive buffer
	 * for the answers: it loses answers it did not make room for */
	if (s->ctrl_n == CTRL_MAX)
		return;
	s->ctrl[(s->ctrl_head + s->ctrl_n) % CTRL_MAX] = h;
	s->ctrl_n++;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->st = C_FREE;
}

/* The connection ends: the guest is told (RST), the host side closed. */
static void conn_reset(struct vsock *s, struct conn *c)
{
	if (c->st == C_CONNECTING || c->st == C_OPEN)
		send_ctrl(s, mkhdr(s, c, OP_RST, 0));
	conn_close(c);
}

static struct conn *find(struct vsock *s, uint32_t host_port, uint32_t guest_port)
{
	for (int i = 0; i < CONN_MAX; i++) {
		struct conn *c = &s->c[i];

		if ((c->st == C_CONNECTING || c->st == C_OPEN) && c->host_port == host_port &&
		    c->guest_port == guest_port)
			return c;
	}
	return NULL;
}

/* Write what the guest sent to the host side; credit back to the guest
 * once half its window was consumed. */
static void flush_host(struct vsock *s, struct conn *c)
{
	while (c->blen) {
		ssize_t w = send(c->fd, c->buf, c->blen, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w <= 0) {
			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			conn_reset(s, c); /* the host side is gone */
			return;
		}
		memmove(c->buf, c->buf + w, c->blen - (size_t)w);
		c->blen -= (size_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	if (c->fwd_cnt - c->told_fwd >= CONN_BUF / 2) {
		send_ctrl(s, mkhdr(s, c, OP_CREDIT_UPD, 0));
		c->told_fwd = c->fwd_cnt;
	}
	if (!c->blen && c->guest_no_send) {
		if (c->guest_no_recv) {
			conn_reset(s, c); /* the guest closed: all of it was written */
			return;
		}
		shutdown(c->fd, SHUT_WR);
	}
}

/* Lock held: one packet from the guest. */
static int guest_packet(struct cl_virtio *v, const struct cl_vq_chain *ch, struct cl_err *err)
{
	struct vsock *s = vs_of(v);
	struct vhdr h;
	uint32_t len, sport, dport, flags;
	uint16_t op;
	struct conn *c;

	if (ch->read_len < VSOCK_HDR)
		return cl_fail(err, 0,
			       "virtio-vsock: transmit queue: a packet of %llu bytes, "
			       "shorter than its header",
			       (unsigned long long)ch->read_len);
	cl_vq_chain_read(ch, 0, &h, sizeof(h));
	len = le32toh(h.len);
	if (len > ch->read_len - VSOCK_HDR)
		return cl_fail(err, 0,
			       "virtio-vsock: transmit queue: a header says %u bytes, the packet "
			       "holds %llu",
			       len, (unsigned long long)(ch->read_len - VSOCK_HDR));
	op = le16toh(h.op);
	sport = le32toh(h.src_port);
	dport = le32toh(h.dst_port);
	flags = le32toh(h.flags);
	if (le64toh(h.dst_cid) != HOST_CID || le64toh(h.src_cid) != s->cid ||
	    le16toh(h.type) != TYPE_STREAM)
		return 0; /* not for us, or a type we do not offer: dropped */
	c = find(s, dport, sport);
	if (!c) {
		/* a connection to the host (nothing listens), or a packet of
		 * one that is gone: refused, unless it was a reset itself */
		if (op != OP_RST) {
			struct conn tmp = {.host_port = dport, .guest_port = sport};

			send_ctrl(s, mkhdr(s, &tmp, OP_RST, 0));
		}
		return 0;
	}
	c->peer_buf_alloc = le32toh(h.buf_alloc);
	c->peer_fwd_cnt = le32toh(h.fwd_cnt);
	switch (op) {
	case OP_RESPONSE:
		if (c->st == C_CONNECTING) {
			char ok[32];
			int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);

			c->st = C_OPEN;
			if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n)
				conn_reset(s, c);
		} else {
			conn_reset(s, c);
		}
		break;
	case OP_RW:
		if (c->st != C_OPEN || c->guest_no_send || c->blen + len > CONN_BUF) {
			conn_reset(s, c); /* beyond the credit it was given */
			break;
		}
		cl_vq_chain_read(ch, VSOCK_HDR, c->buf + c->blen, len);
		c->blen += len;
		flush_host(s, c);
		break;
	case OP_CREDIT_UPD: break; /* the window, read above */
	case OP_CREDIT_REQ: send_ctrl(s, mkhdr(s, c, OP_CREDIT_UPD, 0)); break;
	case OP_SHUTDOWN:
		/* what it sent still reaches the host; flush_host ends the
		 * connection once both ways are shut and nothing is left */
		c->guest_no_send |= (flags & SHUT_SEND_F) != 0;
		c->guest_no_recv |= (flags & SHUT_RCV_F) != 0;
		flush_host(s, c);
		break;
	case OP_RST: conn_close(c); break;
	default: conn_reset(s, c); break;
	}
	return 0;
}

/* Lock held: the guest kicked queue @q. */
static int vs_notify(struct cl_virtio *v, unsigned q, struct cl_err *err)
{
	struct vsock *s = vs_of(v);
	int r = 0;

	if (q == TXQ) {
		bool done = false;

		while ((r = cl_vq_pop(&v->vq[TXQ], &s->chain, err)) > 0) {
			if (guest_packet(v, &s->chain, err) < 0)
				return -1;
			cl_vq_push(&v->vq[TXQ], &s->chain, 0);
			done = true;
		}
		if (done)
			cl_virtio_used(v, TXQ);
		if (r < 0)
			return -1;
	}
	if (q == RXQ)
		s->rx_starved = false;
	return flush_ctrl(v, err); /* replies to what it sent, or what waited */
}

/* Lock held, on the vCPU that wrote Status 0: the connections are the I/O
 * thread's to close (its seccomp role has close(2), a vCPU's has not; and
 * it polls them), so they are only marked, and it is woken. */
static void vs_reset(struct cl_virtio *v)
{
	struct vsock *s = vs_of(v);

	for (int i = 0; i < CONN_MAX; i++)
		if (s->c[i].st != C_FREE)
			s->c[i].st = C_DEAD;
	s->ctrl_n = s->ctrl_head = 0;
	s->rx_starved = false;
	if (v->io.started)
		cl_virtio_io_signal(v->io.kick[RXQ]);
	else
		for (int i = 0; i < CONN_MAX; i++) /* no thread: here (tests) */
			if (s->c[i].st == C_DEAD)
				conn_close(&s->c[i]);
}

/* Lock held: what the I/O thread waits on. */
static int vs_io_fds(struct cl_virtio *v, struct pollfd *pf, int max)
{
	struct vsock *s = vs_of(v);
	bool up = cl_virtio_running(v) && v->vq[RXQ].ready && v->vq[TXQ].ready;
	int n = 0, free_slots = 0;

	for (int i = 0; i < CONN_MAX; i++)
		if (s->c[i].st == C_DEAD)
			conn_close(&s->c[i]); /* this is the I/O thread */
	for (int i = 0; i < CONN_MAX && n < max - 1; i++) {
		struct conn *c = &s->c[i];
		short ev = 0;

		if (c->st == C_FREE) {
			free_slots++;
			continue;
		}
		/* a device that is down (failed, reset, not set up) serves no
		 * connection: polling them would wake us for nothing, again */
		if (!up)
			continue;
		if (c->st == C_LINE)
			ev = POLLIN;
		else if (c->st == C_OPEN) {
			uint32_t credit = c->peer_buf_alloc - (c->tx_cnt - c->peer_fwd_cnt);

			/* host bytes only where they can go at once: credit, a
			 * receive buffer, no control packet before them */
			if (!c->host_eof && !c->guest_no_recv && credit && !s->rx_starved &&
			    !s->ctrl_n)
				ev |= POLLIN;
			if (c->blen)
				ev |= POLLOUT;
		}
		pf[n++] = (struct pollfd){.fd = c->fd, .events = ev};
	}
	if (up && free_slots && n < max)
		pf[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
	return n;
}

static struct conn *by_fd(struct vsock *s, int fd)
{
	for (int i = 0; i < CONN_MAX; i++)
		if (s->c[i].st != C_FREE && s->c[i].fd == fd)
			return &s->c[i];
	return NULL;
}

static void host_accept(struct vsock *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < CONN_MAX; i++)
		if (s->c[i].st == C_FREE) {
			s->c[i] = (struct conn){.st = C_LINE, .fd = fd};
			return;
		}
	close(fd);
}

/* "CONNECT <port>\n", then the guest is asked (REQUEST). */
static void host_line(struct vsock *s, struct conn *c)
{
	ssize_t r = read(c->fd, c->line + c->nline, sizeof(c->line) - 1 - c->nline);
	unsigned long port;
	char *nl, *end;

	if (r <= 0) {
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	c->nline += (size_t)r;
	c->line[c->nline] = 0;
	nl = strchr(c->line, '\n');
	if (!nl) {
		if (c->nline == sizeof(c->line) - 1)
			conn_close(c); /* no line that long is valid */
		return;
	}
	*nl = 0;
	if (strncmp(c->line, "CONNECT ", 8) || !c->line[8]) {
		conn_close(c);
		return;
	}
	errno = 0;
	port = strtoul(c->line + 8, &end, 10);
	if (errno || *end || port > UINT32_MAX) {
		conn_close(c);
		return;
	}
	c->buf = malloc(CONN_BUF);
	if (!c->buf) {
		conn_close(c);
		return;
	}
	c->guest_port = (uint32_t)port;
	c->host_port = HOST_PORT_BASE + s->next_port++ % HOST_PORT_BASE;
	c->st = C_CONNECTING;
	send_ctrl(s, mkhdr(s, c, OP_REQUEST, 0));
}

/* Lock held: host bytes to the guest, as far as its credit and receive
 * buffers go; EOF becomes SHUTDOWN(send). */
static int host_data(struct cl_virtio *v, struct conn *c, struct cl_err *err)
{
	struct vsock *s = vs_of(v);
	uint32_t credit = c->peer_buf_alloc - (c->tx_cnt - c->peer_fwd_cnt);
	struct vhdr h;
	size_t room;
	ssize_t got;
	int r;

	if (!credit || s->ctrl_n) /* control packets first, in order */
		return 0;
	r = cl_vq_pop(&v->vq[RXQ], &s->chain, err);
	if (r <= 0) {
		s->rx_starved = r == 0;
		return r;
	}
	if (bad_rx_chain(&s->chain, err))
		return -1;
	room = s->chain.write_len - VSOCK_HDR;
	if (!room) { /* a buffer with room for a header only: for control packets */
		cl_vq_unpop(&v->vq[RXQ], 1);
		s->rx_starved = true;
		return 0;
	}
	if (room > credit)
		room = credit;
	if (room > sizeof(s->tmp))
		room = sizeof(s->tmp);
	got = read(c->fd, s->tmp, room);
	if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
		cl_vq_unpop(&v->vq[RXQ], 1);
		return 0;
	}
	if (got <= 0) {
		cl_vq_unpop(&v->vq[RXQ], 1);
		if (got < 0) {
			conn_reset(s, c);
		} else {
			c->host_eof = true;
			send_ctrl(s, mkhdr(s, c, OP_SHUTDOWN, SHUT_SEND_F));
		}
		return flush_ctrl(v, err);
	}
	h = mkhdr(s, c, OP_RW, 0);
	h.len = htole32((uint32_t)got);
	cl_vq_chain_write(&s->chain, 0, &h, VSOCK_HDR);
	cl_vq_chain_write(&s->chain, VSOCK_HDR, s->tmp, (size_t)got);
	cl_vq_push(&v->vq[RXQ], &s->chain, VSOCK_HDR + (uint32_t)got);
	cl_virtio_used(v, RXQ);
	c->tx_cnt += (uint32_t)got;
	c->told_fwd = c->fwd_cnt;
	return 0;
}

static void vs_io_ready(struct cl_virtio *v, const struct pollfd *pf, int n)
{
	struct vsock *s = vs_of(v);
	struct cl_err err = {0};

	pthread_mutex_lock(&v->lock);
	for (int i = 0; i < n && !v->failed; i++) {
		struct conn *c;

		if (!pf[i].revents)
			continue;
		if (pf[i].fd == s->listen_fd) {
			host_accept(s);
			continue;
		}
		c = by_fd(s, pf[i].fd);
		if (!c)
			continue;
		if (c->st == C_LINE) {
			host_line(s, c);
		} else if (c->st == C_OPEN) {
			if (pf[i].revents & POLLOUT)
				flush_host(s, c);
			if (c->st != C_OPEN)
				continue;
			if (pf[i].revents & (POLLHUP | POLLERR)) {
				/* the host side is gone both ways: so is the connection */
				conn_reset(s, c);
			} else if ((pf[i].revents & POLLIN) && !c->host_eof && !c->guest_no_recv &&
				   host_data(v, c, &err) < 0) {
				cl_virtio_fail(v, &err);
			}
		} else if (pf[i].revents & (POLLHUP | POLLERR)) {
			conn_reset(s, c); /* gone while the guest was asked */
		}
	}
	if (!v->failed && cl_virtio_running(v) && v->vq[RXQ].ready && flush_ctrl(v, &err) < 0)
		cl_virtio_fail(v, &err);
	pthread_mutex_unlock(&v->lock);
}

static void vs_free(struct cl_virtio *v)
{
	struct vsock *s = vs_of(v);

	for (int i = 0; i < CONN_MAX; i++)
		if (s->c[i].st != C_FREE)
			conn_close(&s->c[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
}

static const struct cl_virtio_ops vsock_ops = {
    .name = "virtio-vsock",
    .device_id = VIRTIO_ID_VSOCK,
    .num_queues = 3,
    .queue_max = 256,
    .notify = vs_notify,
    .reset = vs_reset,
    .free = vs_free,
    .io_thread = true,
    .io_role = CL_VM_THREAD_VSOCK,
    .io_fds = vs_io_fds,
    .io_ready = vs_io_ready,
};

struct cl_vm_dev *cl_virtio_vsock_new(const struct cl_vm_mem *mem, uint64_t base, int irq,
				      uint64_t cid, int listen_fd, struct cl_err *err)
{
	struct cl_virtio *v;
	struct vsock *s;
	int fl = fcntl(listen_fd, F_GETFL);

	if (cid < 3 || cid > UINT32_MAX) {
		cl_fail(err, EINVAL, "virtio-vsock: guest CID %llu (3 to 2^32-1)",
			(unsigned long long)cid);
		close(listen_fd);
		return NULL;
	}
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		cl_fail(err, errno, "virtio-vsock: cannot make its host socket non-blocking");
		close(listen_fd);
		return NULL;
	}
	v = cl_virtio_alloc(&vsock_ops, mem, base, irq, 0, sizeof(*s), err);
	if (!v) {
		close(listen_fd);
		return NULL;
	}
	s = vs_of(v);
	s->cid = cid;
	s->listen_fd = listen_fd;
	for (int i = 0; i < CONN_MAX; i++)
		s->c[i].fd = -1;
	for (int i = 0; i < 8; i++)
		s->config[i] = (uint8_t)(cid >> (8 * i));
	cl_virtio_set_config(v, s->config, sizeof(s->config));
	return &v->dev;
}

void cl_virtio_vsock_poll(struct cl_vm_dev *d)
{
	struct cl_virtio *v = cl_virtio_of(d);
	struct pollfd pf[CL_VIRTIO_IO_MAX_FDS];
	int n;

	pthread_mutex_lock(&v->lock);
	n = vs_io_fds(v, pf, CL_VIRTIO_IO_MAX_FDS);
	pthread_mutex_unlock(&v->lock);
	if (n > 0 && poll(pf, (nfds_t)n, 0) > 0)
		vs_io_ready(v, pf, n);
}
