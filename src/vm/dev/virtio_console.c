/* virtio-console (device ID 3, virtio 1.x §5.3) with a single port and no
 * MULTIPORT: queue 0 receives (host -> guest), queue 1 transmits.
 *
 * Output is written synchronously from the notifying vCPU thread (a stalled
 * reader stalls the guest's console, as a real serial line would).  Input is
 * read by the VMM's I/O loop into a small buffer and copied into the guest's
 * receive buffers; while that buffer is full the input fd is left out of the
 * poll set, and an eventfd wakes the loop when the guest posts buffers. */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/iov.h"
#include "vm/dev/virtio_mmio.h"
#include "vm/virtio.h"

#define VIRTIO_ID_CONSOLE 3
#define CON_QUEUE_SIZE	  64
#define CON_RX		  0
#define CON_TX		  1

struct con {
	int in_fd, out_fd, wake_fd, stop_fd;
	pthread_t thread;
	bool thread_running;
	bool in_eof, out_broken, stalled;
	bool hold_until_output, seen_output;
	size_t pend_len;
	uint8_t pend[4096];
	uint8_t config[12]; /* cols, rows, max_nr_ports, emerg_wr: all 0 */
	struct cl_vq_chain chain;
};

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t r = writev(fd, iov, n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = {.fd = fd, .events = POLLOUT};

				poll(&p, 1, -1);
				continue;
			}
			return -1;
		}
		cl_iov_advance(&iov, &n, (size_t)r);
	}
	return 0;
}

static int con_transmit(struct cl_virtio *v, struct cl_err *err)
{
	struct con *c = v->priv;
	struct iovec iov[CL_VQ_MAX_SIZE];
	int r;

	while ((r = cl_vq_pop(&v->vq[CON_TX], &c->chain, err)) > 0) {
		int n =
		    cl_vq_chain_iov(&c->chain, false, 0, c->chain.read_len, iov, CL_VQ_MAX_SIZE);

		if (n > 0)
			c->seen_output = true;
		if (n > 0 && c->out_fd >= 0 && !c->out_broken && write_all(c->out_fd, iov, n) < 0) {
			/* the reader went away: drop output rather than stop the guest */
			c->out_broken = true;
			cl_warn("virtio-console: output lost: %s", strerror(errno));
		}
		cl_vq_push(&v->vq[CON_TX], &c->chain, 0);
	}
	cl_virtio_used(v, CON_TX);
	return r;
}

/* Copy buffered input into the guest's receive buffers. */
static int con_deliver(struct cl_virtio *v, struct cl_err *err)
{
	struct con *c = v->priv;
	int r = 0;

	if (!cl_virtio_running(v) || (c->hold_until_output && !c->seen_output))
		return 0;
	while (c->pend_len > 0 && (r = cl_vq_pop(&v->vq[CON_RX], &c->chain, err)) > 0) {
		size_t n = cl_vq_chain_write(&c->chain, 0, c->pend, c->pend_len);

		memmove(c->pend, c->pend + n, c->pend_len - n);
		c->pend_len -= n;
		cl_vq_push(&v->vq[CON_RX], &c->chain, (uint32_t)n);
	}
	cl_virtio_used(v, CON_RX);
	return r < 0 ? -1 : 0;
}

/* Input may flow again (buffers posted, or first output seen): deliver what
 * waits and wake the I/O loop if it stopped polling the input. */
static int con_input_unblocked(struct cl_virtio *v, struct cl_err *err)
{
	struct con *c = v->priv;

	if (con_deliver(v, err) < 0)
		return -1;
	if (c->stalled && c->pend_len < sizeof(c->pend)) {
		uint64_t one = 1;

		c->stalled = false; /* let the I/O loop poll the input again */
		if (write(c->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			cl_warn("virtio-console: cannot wake the I/O loop: %s", strerror(errno));
	}
	return 0;
}

static int con_notify(struct cl_virtio *v, unsigned q, struct cl_err *err)
{
	struct con *c = v->priv;
	bool held = c->hold_until_output && !c->seen_output;

	if (q == CON_TX) {
		if (con_transmit(v, err) < 0)
			return -1;
		if (!held || !c->seen_output)
			return 0; /* nothing was held back */
	}
	return con_input_unblocked(v, err);
}

static void con_reset(struct cl_virtio *v)
{
	struct con *c = v->priv;

	c->seen_output = false; /* a new driver: hold input again if asked to */
}

void cl_virtio_console_hold_input_until_output(struct cl_vm_dev *d, bool hold)
{
	struct cl_virtio *v = cl_virtio_of(d);
	struct con *c = v->priv;
	struct cl_err err = {0};

	pthread_mutex_lock(&v->lock);
	c->hold_until_output = hold;
	if (con_input_unblocked(v, &err) < 0)
		cl_virtio_fail(v, &err);
	pthread_mutex_unlock(&v->lock);
}

int cl_virtio_console_pollfds(struct cl_vm_dev *d, struct pollfd *pfd)
{
	struct cl_virtio *v = cl_virtio_of(d);
	struct con *c = v->priv;
	int n = 0;

	pthread_mutex_lock(&v->lock);
	pfd[n++] = (struct pollfd){.fd = c->wake_fd, .events = POLLIN};
	if (c->in_fd >= 0 && !c->in_eof) {
		if (c->pend_len < sizeof(c->pend))
			pfd[n++] = (struct pollfd){.fd = c->in_fd, .events = POLLIN};
		else
			c->stalled = true;
	}
	pthread_mutex_unlock(&v->lock);
	return n;
}

int cl_virtio_console_poll_input(struct cl_vm_dev *d, const struct pollfd *pfd, int n,
				 struct cl_err *err)
{
	struct cl_virtio *v = cl_virtio_of(d);
	struct con *c = v->priv;
	struct cl_err gerr = {0};
	int ret = 0;

	pthread_mutex_lock(&v->lock);
	for (int i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == c->wake_fd) {
			uint64_t x;

			if (read(c->wake_fd, &x, sizeof(x)) < 0 && errno != EAGAIN)
				ret = cl_fail(err, errno, "virtio-console: eventfd");
		} else if (pfd[i].fd == c->in_fd && !c->in_eof && c->pend_len < sizeof(c->pend)) {
			ssize_t r =
			    read(c->in_fd, c->pend + c->pend_len, sizeof(c->pend) - c->pend_len);

			if (r > 0)
				c->pend_len += r;
			else if (r == 0 || errno == EIO) /* EOF, or the tty hung up */
				c->in_eof = true;
			else if (errno != EAGAIN && errno != EINTR) {
				c->in_eof = true;
				ret = cl_fail(err, errno, "virtio-console: cannot read input");
			}
		}
	}
	if (con_deliver(v, &gerr) < 0)
		cl_virtio_fail(v, &gerr);
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static void *input_thread(void *arg)
{
	struct cl_vm_dev *d = arg;
	struct con *c = cl_virtio_of(d)->priv;
	struct pollfd pfd[CL_VIRTIO_CONSOLE_POLLFDS + 1];
	struct cl_err err;

	for (;;) {
		int n = cl_virtio_console_pollfds(d, pfd);

		pfd[n] = (struct pollfd){.fd = c->stop_fd, .events = POLLIN};
		if (poll(pfd, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			cl_warn("virtio-console: poll: %s", strerror(errno));
			break;
		}
		if (pfd[n].revents)
			break;
		if (cl_virtio_console_poll_input(d, pfd, n, &err) < 0)
			cl_warn("%s", err.msg); /* input is then at EOF: keep serving wakes */
	}
	return NULL;
}

int cl_virtio_console_start_input_thread(struct cl_vm_dev *d, struct cl_err *err)
{
	struct con *c = cl_virtio_of(d)->priv;
	int r;

	if (c->thread_running)
		return 0;
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->stop_fd < 0)
		return cl_fail(err, errno, "virtio-console: eventfd");
	r = pthread_create(&c->thread, NULL, input_thread, d);
	if (r) {
		close(c->stop_fd);
		c->stop_fd = -1;
		return cl_fail(err, r, "virtio-console: cannot start the input thread");
	}
	c->thread_running = true;
	return 0;
}

void cl_virtio_console_stop_input_thread(struct cl_vm_dev *d)
{
	struct con *c = cl_virtio_of(d)->priv;
	uint64_t one = 1;

	if (!c->thread_running)
		return;
	if (write(c->stop_fd, &one, sizeof(one)) < 0)
		cl_warn("virtio-console: cannot stop the input thread: %s", strerror(errno));
	pthread_join(c->thread, NULL);
	close(c->stop_fd);
	c->stop_fd = -1;
	c->thread_running = false;
}

static void con_free(struct cl_virtio *v)
{
	struct con *c = v->priv;

	cl_virtio_console_stop_input_thread(&v->dev);
	if (c->wake_fd >= 0)
		close(c->wake_fd);
}

static const struct cl_virtio_ops con_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .num_queues = 2,
    .queue_max = CON_QUEUE_SIZE,
    .notify = con_notify,
    .reset = con_reset,
    .free = con_free,
};

struct cl_vm_dev *cl_virtio_console_new(const struct cl_vm_mem *mem, uint64_t base, int irq,
					int in_fd, int out_fd, struct cl_err *err)
{
	uint64_t features = (1ull << CL_VIRTIO_F_INDIRECT_DESC) | (1ull << CL_VIRTIO_F_EVENT_IDX);
	struct cl_virtio *v;
	struct con *c;
	int wfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (wfd < 0) {
		cl_fail(err, errno, "virtio-console: eventfd");
		return NULL;
	}
	v = cl_virtio_alloc(&con_ops, mem, base, irq, features, sizeof(*c), err);
	if (!v) {
		close(wfd);
		return NULL;
	}
	c = v->priv;
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->wake_fd = wfd;
	c->stop_fd = -1;
	cl_virtio_set_config(v, c->config, sizeof(c->config));
	return &v->dev;
}
