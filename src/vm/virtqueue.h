/* Split virtqueues (virtio 1.x, VIRTIO_F_VERSION_1), device side.
 *
 * The rings live in guest memory and every byte of them is hostile: this code
 * touches guest memory only through cl_gpa(), copies each descriptor once
 * before using it, and bounds every walk.  Any violation (bad address, chain
 * longer than the queue, index out of range, avail index jumping, ...) makes
 * the call return -1 with a cl_err naming the queue and what was wrong; the
 * transport (virtio_mmio.c) then puts the device in its failed state.  The
 * queue itself never decides policy. */
#ifndef CL_VM_VIRTQUEUE_H
#define CL_VM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/error.h"
#include "vm/mem.h"

/* Largest queue a device may offer (QueueNumMax); also the longest chain. */
#define CL_VQ_MAX_SIZE 256
/* Bound on the bytes one chain may describe (keeps used.len in 32 bits and
 * a single request reasonable; virtio-blk advertises SIZE_MAX*SEG_MAX below it). */
#define CL_VQ_MAX_CHAIN_BYTES (256u << 20)

/* Feature bits the queue layer understands. */
#define CL_VIRTIO_F_INDIRECT_DESC 28
#define CL_VIRTIO_F_EVENT_IDX	  29
#define CL_VIRTIO_F_VERSION_1	  32

struct cl_vq_seg {
	uint8_t *host; /* validated host pointer into guest RAM */
	uint32_t len;
};

/* One popped descriptor chain: device-readable segments first, then
 * device-writable ones (the order the spec requires of the driver). */
struct cl_vq_chain {
	uint16_t head;
	unsigned nr_read, nr_write;
	uint64_t read_len, write_len;
	struct cl_vq_seg seg[CL_VQ_MAX_SIZE]; /* [0,nr_read) readable, then writable */
};

struct cl_vq {
	/* set by the transport from the guest's register writes */
	uint16_t num;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool ready;
	/* state */
	const char *name; /* "virtio-blk" etc., for messages */
	unsigned index;
	const struct cl_vm_mem *mem;
	bool event_idx, indirect;
	uint16_t last_avail;	 /* next avail ring slot to consume */
	uint16_t used_idx;	 /* our copy; the guest's copy is never read back */
	uint16_t signalled_used; /* used_idx at the last notification decision */
	/* validated host views of the rings */
	uint8_t *desc, *avail, *used;
};

/* Forget everything (device reset); the queue keeps its name/index/mem. */
void cl_vq_reset(struct cl_vq *vq);
/* Check size and ring placement when the driver sets QueueReady, and fix the
 * negotiated features.  -1 + @err if the guest's layout is invalid. */
int cl_vq_enable(struct cl_vq *vq, uint16_t max, uint64_t features, struct cl_err *err);
/* Take the next available chain: 1 and @c filled, 0 if none, -1 + @err. */
int cl_vq_pop(struct cl_vq *vq, struct cl_vq_chain *c, struct cl_err *err);
/* Give back the last @n chains popped, unused (a received frame that did
 * not fit): they are popped again later; with EVENT_IDX the driver is asked
 * to notify once it adds a buffer beyond those. */
void cl_vq_unpop(struct cl_vq *vq, uint16_t n);
/* Put @c back on the used ring with @written bytes written by the device. */
void cl_vq_push(struct cl_vq *vq, const struct cl_vq_chain *c, uint32_t written);
/* After a batch of pushes: does the driver want an interrupt now? */
bool cl_vq_should_notify(struct cl_vq *vq);

/* Chain data as a byte stream: copy @len bytes at @off of the readable
 * (resp. writable) part.  Return the bytes copied (short at the end). */
size_t cl_vq_chain_read(const struct cl_vq_chain *c, uint64_t off, void *buf, size_t len);
size_t cl_vq_chain_write(const struct cl_vq_chain *c, uint64_t off, const void *buf, size_t len);
/* Fill @iov (at most @max entries) with [off, off+len) of the readable or
 * writable stream; returns the entry count, or -1 if the range is outside. */
int cl_vq_chain_iov(const struct cl_vq_chain *c, bool writable, uint64_t off, uint64_t len,
		    struct iovec *iov, int max);

#endif
