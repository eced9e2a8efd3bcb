/* The virtio-mmio transport, as device models (virtio_blk.c, ...) see it.
 * The public API is vm/virtio.h. */
#ifndef CL_VM_DEV_VIRTIO_MMIO_H
#define CL_VM_DEV_VIRTIO_MMIO_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"
#include "vm/mem.h"
#include "vm/vm.h"
#include "vm/virtqueue.h"

#define CL_VIRTIO_MAX_QUEUES   3
#define CL_VIRTIO_IO_MAX_FDS   72 /* host fds one device's I/O thread waits on */
#define CL_VIRTIO_MAX_WARNINGS 3

/* Device status bits (virtio 1.x §2.1). */
#define CL_VIRTIO_S_ACKNOWLEDGE 1
#define CL_VIRTIO_S_DRIVER	2
#define CL_VIRTIO_S_DRIVER_OK	4
#define CL_VIRTIO_S_FEATURES_OK 8
#define CL_VIRTIO_S_NEEDS_RESET 64
#define CL_VIRTIO_S_FAILED	128

/* InterruptStatus bits. */
#define CL_VIRTIO_ISR_USED   1
#define CL_VIRTIO_ISR_CONFIG 2

struct cl_virtio;

struct cl_virtio_ops {
	const char *name; /* "virtio-blk" */
	uint32_t device_id;
	unsigned num_queues; /* <= CL_VIRTIO_MAX_QUEUES */
	uint16_t queue_max;  /* <= CL_VQ_MAX_SIZE, a power of two */
	/* Queue @q was kicked (or DRIVER_OK was just set).  Called with the
	 * lock held, only while the device runs and @q is ready.  -1 + @err
	 * for a guest error: the transport then fails the device. */
	int (*notify)(struct cl_virtio *v, unsigned q, struct cl_err *err);
	void (*reset)(struct cl_virtio *v); /* optional, lock held */
	void (*free)(struct cl_virtio *v);  /* optional: release priv */
	/* An I/O thread of its own (virtio_io.c) under seccomp role @io_role
	 * serves the notifications once the VMM runs; optionally it also waits
	 * on the host fds io_fds() puts in @pf (lock held; at most @max, their
	 * count returned, 0: none now) and calls io_ready() with them and their
	 * revents (lock not held) when one is ready. */
	bool io_thread;
	enum cl_vm_thread_role io_role;
	int (*io_fds)(struct cl_virtio *v, struct pollfd *pf, int max);
	void (*io_ready)(struct cl_virtio *v, const struct pollfd *pf, int n);
};

/* The I/O thread's state (virtio_io.c). */
struct cl_virtio_io {
	int kick[CL_VIRTIO_MAX_QUEUES]; /* eventfds: the guest notified queue q */
	int stop;
	bool ioeventfd; /* KVM signals kick[] itself */
	int irqfd;	/* KVM_IRQFD: a write asserts the GSI; -1: KVM_IRQ_LINE */
	int resample;	/* signalled at the guest's EOI, when KVM lowered it */
	bool started;	/* notifications go to the thread (lock held to change) */
	pthread_t thread;
	cl_vm_confine_fn confine;
	int confined; /* 0 pending, 1 done, -1 failed (cerr) */
	struct cl_err cerr;
	pthread_cond_t cond;
};

struct cl_virtio {
	struct cl_vm_dev dev; /* what the VMM's device table points to */
	const struct cl_virtio_ops *ops;
	void *priv;
	struct cl_vm_mem mem; /* a copy: {NULL, 0} until attached */
	uint64_t host_features, driver_features;
	const uint8_t *config; /* device config space, little-endian */
	uint32_t config_len;
	uint32_t status, isr, dev_feat_sel, drv_feat_sel, queue_sel;
	bool irq_level;
	bool failed;
	struct cl_err failure;
	unsigned nr_failures; /* warnings stop after CL_VIRTIO_MAX_WARNINGS */
	struct cl_vq vq[CL_VIRTIO_MAX_QUEUES];
	/* A device may serve a request with the lock dropped (virtio-blk's
	 * image I/O): it counts itself in @busy and pushes the request only
	 * if @gen is unchanged.  A reset, a queue's disable or the detach
	 * bumps @gen, then waits (cl_virtio_quiesce) until @busy is 0: no
	 * write to guest buffers the driver took back. */
	unsigned gen, busy;
	pthread_cond_t idle;
	pthread_mutex_t lock;
	struct cl_virtio_io io;
};

/* Allocate a transport with @priv_size bytes of zeroed device state at
 * v->priv.  VERSION_1 is added to @features.  @mem may be NULL (attach later). */
struct cl_virtio *cl_virtio_alloc(const struct cl_virtio_ops *ops, const struct cl_vm_mem *mem,
				  uint64_t base, int irq, uint64_t features, size_t priv_size,
				  struct cl_err *err);
void cl_virtio_set_config(struct cl_virtio *v, const void *config, uint32_t len);

/* Is the driver done with set-up (FEATURES_OK|DRIVER_OK) and the device not failed? */
bool cl_virtio_running(const struct cl_virtio *v);
/* After pushing used buffers on @q: interrupt the driver if it wants one. */
void cl_virtio_used(struct cl_virtio *v, unsigned q);
/* Enter the failed state for a guest error (see vm/virtio.h). Lock held. */
void cl_virtio_fail(struct cl_virtio *v, const struct cl_err *err);
/* Lock held: a new generation, once no request is served unlocked. */
void cl_virtio_quiesce(struct cl_virtio *v);
/* Lock held, around a request served with the lock dropped (see gen). */
void cl_virtio_unlock_busy(struct cl_virtio *v);
void cl_virtio_lock_busy(struct cl_virtio *v);

/* virtio_io.c, for the transport: set-up at alloc, eventfds and
 * ioeventfds at attach, the thread at start and stop, all of it at free;
 * cl_virtio_io_signal() wakes an eventfd. */
void cl_virtio_io_init(struct cl_virtio *v);
int cl_virtio_io_attach(struct cl_virtio *v, struct cl_err *err);
int cl_virtio_io_start(struct cl_virtio *v, cl_vm_confine_fn confine, struct cl_err *err);
void cl_virtio_io_stop(struct cl_virtio *v);
void cl_virtio_io_free(struct cl_virtio *v);
void cl_virtio_io_signal(int fd);
/* Lock held: the interrupt line to @level through the irqfd, if the thread
 * serves one (true); false: the caller uses dev.set_irq. */
bool cl_virtio_io_irq(struct cl_virtio *v, bool level);

static inline struct cl_virtio *cl_virtio_of(struct cl_vm_dev *d)
{
	return (struct cl_virtio *)d;
}

#endif
