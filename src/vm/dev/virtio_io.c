/* The I/O thread of a virtio-mmio device (kvmtool's shape): queue work off
 * the vCPUs.  A device whose ops set io_role gets, once the VMM is confined
 * (cl_virtio_start_devs), a thread of its own under the seccomp role
 * io_role (io_thread set).  The guest's QueueNotify writes reach it through one eventfd per
 * queue that KVM signals itself (KVM_IOEVENTFD, matched on the queue index,
 * registered when guest RAM is attached); where KVM cannot, the MMIO
 * handler signals the eventfd (virtio_mmio.c kick()).  The thread then calls
 * ops->notify with the device lock held, exactly as the synchronous path
 * does; a device that also waits on host fds (a tap, sockets) names them
 * with ops->io_fds and is called back with ops->io_ready.
 *
 * Its interrupt goes through KVM too (KVM_IRQFD): the GSI is level-triggered
 * (the DSDT says so), so the irqfd is a resampling one: a write asserts the
 * line, the guest's EOI lowers it and signals the resample eventfd, and the
 * thread asserts it again if the device still has an interrupt pending
 * (InterruptStatus != 0: the driver acknowledged only part of it, or new
 * work came while it ran).  Lowering is KVM's: no ioctl from any thread.
 *
 * Until the thread runs (unit tests, the fuzzer, a VMM that never starts
 * it) the notifications are served synchronously in the notifying thread:
 * the devices cannot tell the difference. */
#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm/dev/virtio_mmio.h"
#include "vm/virtio.h"

#define REG_QUEUE_NOTIFY 0x050

void cl_virtio_io_init(struct cl_virtio *v)
{
	struct cl_virtio_io *io = &v->io;

	io->stop = io->irqfd = io->resample = -1;
	for (unsigned q = 0; q < CL_VIRTIO_MAX_QUEUES; q++)
		io->kick[q] = -1;
	pthread_cond_init(&io->cond, NULL);
}

void cl_virtio_io_signal(int fd)
{
	uint64_t one = 1;

	if (fd >= 0)
		(void)!write(fd, &one, sizeof(one));
}

static void drain(int fd)
{
	uint64_t n;

	(void)!read(fd, &n, sizeof(n));
}

/* The device's GSI asserted by KVM from @io->irqfd, lowered at the guest's
 * EOI; best effort: without it the line is KVM_IRQ_LINE's (bus.c). */
static void irqfd_attach(struct cl_virtio *v)
{
	struct cl_virtio_io *io = &v->io;
	struct kvm_irqfd f = {.gsi = (uint32_t)v->dev.irq, .flags = KVM_IRQFD_FLAG_RESAMPLE};

	if (v->dev.irq < 0)
		return;
	io->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	io->resample = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f.fd = (uint32_t)io->irqfd;
	f.resamplefd = (uint32_t)io->resample;
	if (io->irqfd >= 0 && io->resample >= 0 && ioctl(v->dev.vm_fd, KVM_IRQFD, &f) == 0)
		return;
	if (io->irqfd >= 0)
		close(io->irqfd);
	if (io->resample >= 0)
		close(io->resample);
	io->irqfd = io->resample = -1;
}

bool cl_virtio_io_irq(struct cl_virtio *v, bool level)
{
	struct cl_virtio_io *io = &v->io;

	if (!io->started || io->irqfd < 0)
		return false;
	if (level)
		cl_virtio_io_signal(io->irqfd);
	return true;
}

/* Guest RAM exists, the VMM is not confined yet: the eventfds, and KVM's
 * ioeventfds on them (best effort: the MMIO path signals them otherwise)
 * and its irqfd. */
int cl_virtio_io_attach(struct cl_virtio *v, struct cl_err *err)
{
	struct cl_virtio_io *io = &v->io;

	if (!v->ops->io_thread || io->stop >= 0)
		return 0;
	io->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->stop < 0)
		return cl_fail(err, errno, "%s: cannot make its eventfds", v->ops->name);
	for (unsigned q = 0; q < v->ops->num_queues; q++) {
		io->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (io->kick[q] < 0)
			return cl_fail(err, errno, "%s: cannot make its eventfds", v->ops->name);
	}
	if (v->dev.vm_fd <= 0)
		return 0;
	irqfd_attach(v);
	for (unsigned q = 0; q < v->ops->num_queues; q++) {
		struct kvm_ioeventfd e = {.datamatch = q,
					  .addr = v->dev.base + REG_QUEUE_NOTIFY,
					  .len = 4,
					  .fd = io->kick[q],
					  .flags = KVM_IOEVENTFD_FLAG_DATAMATCH};

		if (ioctl(v->dev.vm_fd, KVM_IOEVENTFD, &e) < 0)
			break; /* kick() signals them instead */
		io->ioeventfd = q + 1 == v->ops->num_queues;
	}
	if (getenv("CLOISON_VM_DEBUG")) /* what the guest's I/O costs it */
		dprintf(STDERR_FILENO, "cloison: %s: notifications by %s, interrupts by %s\n",
			v->ops->name, io->ioeventfd ? "ioeventfd" : "MMIO exit",
			io->irqfd >= 0 ? "irqfd" : "KVM_IRQ_LINE");
	return 0;
}

static void *io_thread(void *arg)
{
	struct cl_virtio *v = arg;
	struct cl_virtio_io *io = &v->io;
	unsigned nq = v->ops->num_queues;
	struct cl_err err = {0};
	char name[16];
	int r;

	snprintf(name, sizeof(name), "%.15s", v->ops->name);
	pthread_setname_np(pthread_self(), name);
	/* its own filter before it touches the guest's queues */
	r = io->confine ? io->confine(v->ops->io_role, io->irqfd, &err) : 0;
	pthread_mutex_lock(&v->lock);
	io->confined = r < 0 ? -1 : 1;
	io->cerr = err;
	pthread_cond_signal(&io->cond);
	pthread_mutex_unlock(&v->lock);
	if (r < 0)
		return NULL;
	for (;;) {
		/* stop, the queues' kicks, the resample eventfd, the device's */
		struct pollfd pf[2 + CL_VIRTIO_MAX_QUEUES + CL_VIRTIO_IO_MAX_FDS];
		struct pollfd *rs = &pf[1 + nq], *xf = rs + 1;
		int nx = 0;
		bool ready = false;

		pf[0] = (struct pollfd){.fd = io->stop, .events = POLLIN};
		for (unsigned q = 0; q < nq; q++)
			pf[1 + q] = (struct pollfd){.fd = io->kick[q], .events = POLLIN};
		/* -1 (no irqfd): poll ignores it */
		*rs = (struct pollfd){.fd = io->resample, .events = POLLIN};
		if (v->ops->io_fds) {
			pthread_mutex_lock(&v->lock);
			nx = v->ops->io_fds(v, xf, CL_VIRTIO_IO_MAX_FDS);
			pthread_mutex_unlock(&v->lock);
		}
		if (poll(pf, 2 + nq + (nfds_t)nx, -1) < 0 && errno != EINTR)
			break;
		if (pf[0].revents) {
			/* the VM stopped (its vCPUs are gone, its RAM still there):
			 * what the guest queued last is served before we go -- the
			 * last bytes a program wrote to a socket as it exited */
			pthread_mutex_lock(&v->lock);
			for (unsigned q = 0; q < nq; q++) {
				memset(&err, 0, sizeof(err));
				if (cl_virtio_running(v) && v->vq[q].ready &&
				    v->ops->notify(v, q, &err) < 0)
					cl_virtio_fail(v, &err);
			}
			pthread_mutex_unlock(&v->lock);
			break;
		}
		pthread_mutex_lock(&v->lock);
		for (unsigned q = 0; q < nq; q++) {
			if (!pf[1 + q].revents)
				continue;
			drain(io->kick[q]);
			memset(&err, 0, sizeof(err));
			if (cl_virtio_running(v) && v->vq[q].ready &&
			    v->ops->notify(v, q, &err) < 0)
				cl_virtio_fail(v, &err);
		}
		if (rs->revents) {
			/* the guest's EOI lowered the line: still pending? */
			drain(io->resample);
			if (v->isr)
				cl_virtio_io_signal(io->irqfd);
		}
		pthread_mutex_unlock(&v->lock);
		for (int i = 0; i < nx; i++)
			ready |= xf[i].revents != 0;
		if (ready)
			v->ops->io_ready(v, xf, nx);
	}
	return NULL;
}

/* Starts the thread and waits until it is confined: a thread that could
 * not be fails the start (no device served by an unconfined thread). */
int cl_virtio_io_start(struct cl_virtio *v, cl_vm_confine_fn confine, struct cl_err *err)
{
	struct cl_virtio_io *io = &v->io;
	int r;

	if (!v->ops->io_thread || io->started)
		return 0;
	if (io->stop < 0 && cl_virtio_io_attach(v, err) < 0)
		return -1;
	io->confine = confine;
	io->confined = 0;
	r = pthread_create(&io->thread, NULL, io_thread, v);
	if (r)
		return cl_fail(err, r, "%s: cannot start its I/O thread", v->ops->name);
	pthread_mutex_lock(&v->lock);
	while (!io->confined)
		pthread_cond_wait(&io->cond, &v->lock);
	r = io->confined;
	/* from now on a notification only wakes the thread */
	io->started = r > 0;
	pthread_mutex_unlock(&v->lock);
	if (r < 0) {
		pthread_join(io->thread, NULL);
		*err = io->cerr;
		return cl_wrap(err, "%s's I/O thread", v->ops->name);
	}
	return 0;
}

void cl_virtio_io_stop(struct cl_virtio *v)
{
	struct cl_virtio_io *io = &v->io;
	bool started;

	pthread_mutex_lock(&v->lock);
	started = io->started;
	io->started = false;
	pthread_mutex_unlock(&v->lock);
	if (!started)
		return;
	cl_virtio_io_signal(io->stop);
	pthread_join(io->thread, NULL);
}

void cl_virtio_io_free(struct cl_virtio *v)
{
	struct cl_virtio_io *io = &v->io;

	cl_virtio_io_stop(v);
	for (unsigned q = 0; q < CL_VIRTIO_MAX_QUEUES; q++)
		if (io->kick[q] >= 0)
			close(io->kick[q]);
	if (io->stop >= 0)
		close(io->stop);
	if (io->irqfd >= 0)
		close(io->irqfd);
	if (io->resample >= 0)
		close(io->resample);
	pthread_cond_destroy(&io->cond);
}
