/* Split virtqueues, device side.  See virtqueue.h for the threat model.
 *
 * Layout (virtio 1.x §2.7): descriptor table 16*N bytes (16-aligned), driver
 * area "avail" = flags, idx, ring[N], used_event (2-aligned), device area
 * "used" = flags, idx, ring[N] of {id, len}, avail_event (4-aligned).  All
 * fields little-endian; the rings are validated once when the queue is
 * enabled, after which indices are always reduced modulo N, so the cached
 * host pointers can never be used out of range. */
#include "vm/virtqueue.h"

#include <endian.h>
#include <stdio.h>
#include <string.h>

#define VRING_DESC_F_NEXT	   1
#define VRING_DESC_F_WRITE	   2
#define VRING_DESC_F_INDIRECT	   4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Ring fields are naturally aligned (checked in cl_vq_enable), so these are
 * single, untorn accesses even while the guest writes concurrently. */
static uint16_t rd16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}
static void wr16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}
static void wr32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

static uint8_t *avail_ring(const struct cl_vq *vq, uint16_t i)
{
	return vq->avail + 4 + 2 * (size_t)(i % vq->num);
}
static uint8_t *used_event(const struct cl_vq *vq)
{
	return vq->avail + 4 + 2 * (size_t)vq->num;
}
static uint8_t *avail_event(const struct cl_vq *vq)
{
	return vq->used + 4 + 8 * (size_t)vq->num;
}

static int vq_fail(const struct cl_vq *vq, struct cl_err *err, const char *what)
{
	return cl_fail(err, 0, "%s: queue %u: %s", vq->name ? vq->name : "virtio", vq->index, what);
}
#define VQ_FAIL(vq, err, ...)                                                                      \
	({                                                                                         \
		char _m[256];                                                                      \
		snprintf(_m, sizeof(_m), __VA_ARGS__);                                             \
		vq_fail(vq, err, _m);                                                              \
	})

void cl_vq_reset(struct cl_vq *vq)
{
	vq->num = 0;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->ready = false;
	vq->event_idx = vq->indirect = false;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->desc = vq->avail = vq->used = NULL;
}

int cl_vq_enable(struct cl_vq *vq, uint16_t max, uint64_t features, struct cl_err *err)
{
	unsigned n = vq->num;

	if (!vq->mem || !vq->mem->host)
		return VQ_FAIL(vq, err, "enabled before guest memory was attached");
	if (n == 0)
		return VQ_FAIL(vq, err, "enabled with size 0");
	if (n > max)
		return VQ_FAIL(vq, err, "size %u is larger than the maximum %u", n, max);
	if (n & (n - 1))
		return VQ_FAIL(vq, err, "size %u is not a power of two", n);
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return VQ_FAIL(vq, err, "misaligned rings (desc 0x%llx, avail 0x%llx, used 0x%llx)",
			       (unsigned long long)vq->desc_gpa, (unsigned long long)vq->avail_gpa,
			       (unsigned long long)vq->used_gpa);
	vq->desc = cl_gpa(vq->mem, vq->desc_gpa, 16ull * n);
	vq->avail = cl_gpa(vq->mem, vq->avail_gpa, 6 + 2ull * n);
	vq->used = cl_gpa(vq->mem, vq->used_gpa, 6 + 8ull * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		uint64_t a = !vq->desc ? vq->desc_gpa : !vq->avail ? vq->avail_gpa : vq->used_gpa;
		const char *w = !vq->desc    ? "descriptor table"
				: !vq->avail ? "avail ring"
					     : "used ring";
		vq->desc = vq->avail = vq->used = NULL;
		return VQ_FAIL(vq, err, "%s at 0x%llx (size %u) is outside guest memory", w,
			       (unsigned long long)a, n);
	}
	vq->event_idx = features & (1ull << CL_VIRTIO_F_EVENT_IDX);
	vq->indirect = features & (1ull << CL_VIRTIO_F_INDIRECT_DESC);
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->ready = true;
	return 0;
}

/* Number of chains the driver has made available, checked against N. */
static int avail_count(struct cl_vq *vq, struct cl_err *err)
{
	uint16_t idx = rd16(vq->avail + 2);
	uint16_t n = idx - vq->last_avail;

	if (n > vq->num)
		return VQ_FAIL(vq, err, "avail index jumped from %u to %u (queue size %u)",
			       vq->last_avail, idx, vq->num);
	return n;
}

static int add_seg(struct cl_vq *vq, struct cl_vq_chain *c, const struct vring_desc *d, unsigned i,
		   uint64_t *total, struct cl_err *err)
{
	uint64_t addr = le64toh(d->addr);
	uint32_t len = le32toh(d->len);
	bool w = le16toh(d->flags) & VRING_DESC_F_WRITE;
	uint8_t *host;

	if (!w && c->nr_write)
		return VQ_FAIL(vq, err, "descriptor %u: readable buffer after a writable one", i);
	if (len == 0)
		return 0; /* nothing to access; harmless */
	host = cl_gpa(vq->mem, addr, len);
	if (!host)
		return VQ_FAIL(vq, err, "descriptor %u: buffer 0x%llx+%u is outside guest memory",
			       i, (unsigned long long)addr, len);
	*total += len;
	if (*total > CL_VQ_MAX_CHAIN_BYTES)
		return VQ_FAIL(vq, err, "chain at head %u describes more than %u bytes", c->head,
			       CL_VQ_MAX_CHAIN_BYTES);
	if (c->nr_read + c->nr_write >= CL_VQ_MAX_SIZE)
		return VQ_FAIL(vq, err, "chain at head %u has more than %u buffers", c->head,
			       CL_VQ_MAX_SIZE);
	c->seg[c->nr_read + c->nr_write] = (struct cl_vq_seg){host, len};
	if (w) {
		c->nr_write++;
		c->write_len += len;
	} else {
		c->nr_read++;
		c->read_len += len;
	}
	return 0;
}

/* Walk the chain at @head.  Each table (the ring's, then at most one indirect
 * table) is walked at most its own size times: a longer walk must revisit a
 * descriptor, i.e. the chain loops. */
static int walk_chain(struct cl_vq *vq, uint16_t head, struct cl_vq_chain *c, struct cl_err *err)
{
	const uint8_t *table = vq->desc;
	unsigned table_n = vq->num, seen = 0, i = head;
	bool in_indirect = false;
	uint64_t total = 0;

	c->head = head;
	c->nr_read = c->nr_write = 0;
	c->read_len = c->write_len = 0;
	for (;;) {
		struct vring_desc d;
		uint16_t flags;

		if (++seen > table_n)
			return VQ_FAIL(vq, err, "descriptor chain loops at index %u%s", i,
				       in_indirect ? " of an indirect table" : "");
		memcpy(&d, table + 16 * (size_t)i, sizeof(d)); /* one copy, then trust only it */
		flags = le16toh(d.flags);
		if (flags & VRING_DESC_F_INDIRECT) {
			uint32_t len = le32toh(d.len);
			uint64_t addr = le64toh(d.addr);

			if (!vq->indirect)
				return VQ_FAIL(vq, err,
					       "descriptor %u is indirect but "
					       "VIRTIO_F_INDIRECT_DESC was not negotiated",
					       i);
			if (in_indirect)
				return VQ_FAIL(vq, err, "nested indirect descriptor at index %u",
					       i);
			if (flags & VRING_DESC_F_NEXT)
				return VQ_FAIL(vq, err, "indirect descriptor %u also has NEXT", i);
			if (len == 0 || len % 16 || len / 16 > CL_VQ_MAX_SIZE)
				return VQ_FAIL(
				    vq, err, "descriptor %u: bad indirect table length %u", i, len);
			table = cl_gpa(vq->mem, addr, len);
			if (!table)
				return VQ_FAIL(vq, err,
					       "descriptor %u: indirect table 0x%llx+%u is "
					       "outside guest memory",
					       i, (unsigned long long)addr, len);
			table_n = len / 16;
			seen = 0;
			i = 0;
			in_indirect = true;
			continue;
		}
		if (add_seg(vq, c, &d, i, &total, err) < 0)
			return -1;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16toh(d.next);
		if (i >= table_n)
			return VQ_FAIL(vq, err,
				       "descriptor chain: next index %u beyond table size %u", i,
				       table_n);
	}
}

int cl_vq_pop(struct cl_vq *vq, struct cl_vq_chain *c, struct cl_err *err)
{
	int n;
	uint16_t head;

	if (!vq->ready)
		return 0;
	n = avail_count(vq, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		if (!vq->event_idx)
			return 0;
		/* Ask for a kick at the next entry, then look again: the driver
		 * may have added one before it could see our avail_event. */
		wr16(avail_event(vq), vq->last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		n = avail_count(vq, err);
		if (n <= 0)
			return n;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE); /* ring entry after idx */
	head = rd16(avail_ring(vq, vq->last_avail));
	if (head >= vq->num)
		return VQ_FAIL(vq, err,
			       "avail ring slot %u holds descriptor %u beyond queue size %u",
			       vq->last_avail % vq->num, head, vq->num);
	if (walk_chain(vq, head, c, err) < 0)
		return -1;
	vq->last_avail++;
	if (vq->event_idx)
		wr16(avail_event(vq), vq->last_avail);
	return 1;
}

void cl_vq_unpop(struct cl_vq *vq, uint16_t n)
{
	if (!vq->ready)
		return;
	vq->last_avail -= n;
	if (vq->event_idx) {
		wr16(avail_event(vq), (uint16_t)(vq->last_avail + n));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
}

void cl_vq_push(struct cl_vq *vq, const struct cl_vq_chain *c, uint32_t written)
{
	uint8_t *e;

	if (!vq->ready)
		return;
	e = vq->used + 4 + 8 * (size_t)(vq->used_idx % vq->num);
	wr32(e, c->head);
	wr32(e + 4, written);
	__atomic_thread_fence(__ATOMIC_RELEASE); /* element before idx */
	vq->used_idx++;
	wr16(vq->used + 2, vq->used_idx);
}

bool cl_vq_should_notify(struct cl_vq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;

	if (!vq->ready || old == now)
		return false;
	vq->signalled_used = now;
	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* used idx before reading suppression */
	if (vq->event_idx) {
		uint16_t ev = rd16(used_event(vq));
		return (uint16_t)(now - ev - 1) < (uint16_t)(now - old);
	}
	return !(rd16(vq->avail) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* Locate byte @off of the readable/writable stream: segment index and offset. */
static bool stream_seek(const struct cl_vq_chain *c, bool w, uint64_t off, unsigned *si,
			uint64_t *so)
{
	unsigned i = w ? c->nr_read : 0, end = w ? c->nr_read + c->nr_write : c->nr_read;

	for (; i < end; i++) {
		if (off < c->seg[i].len)
			break;
		off -= c->seg[i].len;
	}
	*si = i;
	*so = off;
	return i < end || off == 0;
}

static size_t stream_copy(const struct cl_vq_chain *c, bool w, uint64_t off, void *buf, size_t len)
{
	unsigned i, end = w ? c->nr_read + c->nr_write : c->nr_read;
	uint64_t so;
	size_t done = 0;

	if (!stream_seek(c, w, off, &i, &so))
		return 0;
	for (; i < end && done < len; i++, so = 0) {
		size_t n = c->seg[i].len - so;

		if (n > len - done)
			n = len - done;
		if (w)
			memcpy(c->seg[i].host + so, (const uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, c->seg[i].host + so, n);
		done += n;
	}
	return done;
}

size_t cl_vq_chain_read(const struct cl_vq_chain *c, uint64_t off, void *buf, size_t len)
{
	return stream_copy(c, false, off, buf, len);
}

size_t cl_vq_chain_write(const struct cl_vq_chain *c, uint64_t off, const void *buf, size_t len)
{
	return stream_copy(c, true, off, (void *)buf, len);
}

int cl_vq_chain_iov(const struct cl_vq_chain *c, bool w, uint64_t off, uint64_t len,
		    struct iovec *iov, int max)
{
	unsigned i, end = w ? c->nr_read + c->nr_write : c->nr_read;
	uint64_t so;
	int n = 0;

	if (off + len < off || off + len > (w ? c->write_len : c->read_len))
		return -1;
	if (!stream_seek(c, w, off, &i, &so))
		return -1;
	for (; i < end && len; i++, so = 0) {
		uint64_t k = c->seg[i].len - so;

		if (k > len)
			k = len;
		if (n >= max)
			return -1;
		iov[n++] = (struct iovec){c->seg[i].host + so, k};
		len -= k;
	}
	return len ? -1 : n;
}
