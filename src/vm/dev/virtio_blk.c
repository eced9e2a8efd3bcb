/* virtio-blk (device ID 2, virtio 1.x §5.2) on a raw image, one request
 * queue.  Requests are served synchronously with preadv/pwritev straight into
 * or out of guest memory; a snapshot (--overlay) is a private mapping of the
 * image instead, whose written pages are the VMM's own.  Bad requests from a well-formed chain
 * (sector out of range, odd length, write to a read-only disk, unknown type) get a status byte; a
 * malformed chain (no header, no status byte) fails the device. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/iov.h"
#include "vm/dev/virtio_mmio.h"
#include "vm/virtio.h"

#define VIRTIO_ID_BLOCK 2

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_T_IN	    0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR	       512u
#define BLK_QUEUE_SIZE 128
#define BLK_SEG_MAX    (BLK_QUEUE_SIZE - 2) /* header and status take two */
#define BLK_SIZE_MAX   (1u << 20)	    /* 126 MiB per request < CL_VQ_MAX_CHAIN_BYTES */
#define BLK_ID_BYTES   20

/* Offsets in struct virtio_blk_config. */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX  12
#define CFG_LEN	     0x40

struct blk {
	int fd;
	bool ro;
	uint8_t *map; /* a snapshot: the image, mapped private (writes stay here) */
	size_t map_len;
	uint64_t capacity; /* sectors */
	char serial[BLK_ID_BYTES];
	uint8_t config[CFG_LEN];
	struct cl_vq_chain chain;
};

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* preadv/pwritev the whole of @iov at @off, resuming after short transfers. */
static int rw_all(int fd, bool write, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1; /* error, or the image shrank under us */
		off += r;
		cl_iov_advance(&iov, &n, (size_t)r);
	}
	return 0;
}

static uint8_t blk_rw(struct blk *b, const struct cl_vq_chain *c, bool write, uint64_t sector,
		      uint64_t len)
{
	struct iovec iov[CL_VQ_MAX_SIZE];
	int n;

	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (len % SECTOR || sector > b->capacity || len / SECTOR > b->capacity - sector)
		return VIRTIO_BLK_S_IOERR;
	if (len == 0)
		return VIRTIO_BLK_S_OK;
	/* data: readable bytes after the 16-byte header, or writable bytes
	 * before the status byte */
	n = cl_vq_chain_iov(c, !write, write ? sizeof(struct blk_req_hdr) : 0, len, iov,
			    CL_VQ_MAX_SIZE);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	if (b->map) {
		uint8_t *p = b->map + sector * SECTOR;
		for (int i = 0; i < n; p += iov[i].iov_len, i++)
			if (write)
				memcpy(p, iov[i].iov_base, iov[i].iov_len);
			else
				memcpy(iov[i].iov_base, p, iov[i].iov_len);
		return VIRTIO_BLK_S_OK;
	}
	if (rw_all(b->fd, write, iov, n, (off_t)(sector * SECTOR)) < 0)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/* Serve one chain; *@written is what the device wrote into it. */
static int blk_request(struct blk *b, const struct cl_vq_chain *c, uint32_t *written,
		       struct cl_err *err)
{
	struct blk_req_hdr h;
	uint64_t data_len = 0;
	uint8_t st;

	if (c->read_len < sizeof(h) || c->write_len < 1)
		return cl_fail(err, 0, "virtio-blk: request at descriptor %u lacks a %s", c->head,
			       c->read_len < sizeof(h) ? "16-byte header" : "status byte");
	cl_vq_chain_read(c, 0, &h, sizeof(h));
	switch (le32toh(h.type)) {
	case VIRTIO_BLK_T_IN:
		data_len = c->write_len - 1;
		st = blk_rw(b, c, false, le64toh(h.sector), data_len);
		if (st != VIRTIO_BLK_S_OK)
			data_len = 0;
		break;
	case VIRTIO_BLK_T_OUT:
		st = blk_rw(b, c, true, le64toh(h.sector), c->read_len - sizeof(h));
		break;
	case VIRTIO_BLK_T_FLUSH:
		st =
		    b->ro || b->map || fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		data_len = c->write_len - 1 < BLK_ID_BYTES ? c->write_len - 1 : BLK_ID_BYTES;
		cl_vq_chain_write(c, 0, b->serial, data_len);
		st = VIRTIO_BLK_S_OK;
		break;
	default: st = VIRTIO_BLK_S_UNSUPP; break;
	}
	cl_vq_chain_write(c, c->write_len - 1, &st, 1);
	*written = (uint32_t)data_len + 1;
	return 0;
}

static int blk_notify(struct cl_virtio *v, unsigned q, struct cl_err *err)
{
	struct blk *b = v->priv;
	int r;

	while ((r = cl_vq_pop(&v->vq[0], &b->chain, err)) > 0) {
		uint32_t written = 0;
		unsigned gen = v->gen;
		/* the image's I/O without the device lock, in the I/O thread
		 * (the only notifier then): a vCPU reading or acknowledging the
		 * interrupt does not wait for the disk; a reset waits for the
		 * request, which it drops (the driver gave it up) */
		bool unlocked = v->io.started;

		if (unlocked)
			cl_virtio_unlock_busy(v);
		r = blk_request(b, &b->chain, &written, err);
		if (unlocked)
			cl_virtio_lock_busy(v);
		if (gen != v->gen || !cl_virtio_running(v)) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		cl_vq_push(&v->vq[0], &b->chain, written);
		/* each completion as it comes (EVENT_IDX batches them) */
		cl_virtio_used(v, 0);
	}
	cl_virtio_used(v, 0); /* for what was served, even before an error */
	return r;
}

static void blk_free(struct cl_virtio *v)
{
	struct blk *b = v->priv;

	if (b->fd >= 0)
		close(b->fd);
	if (b->map)
		munmap(b->map, b->map_len);
}

static const struct cl_virtio_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .queue_max = BLK_QUEUE_SIZE,
    .notify = blk_notify,
    .free = blk_free,
    /* requests served off the vCPUs (virtio_io.c) */
    .io_thread = true,
    .io_role = CL_VM_THREAD_BLK,
};

/* @snapshot: @fd is read-only, the guest writes to a private mapping */
static struct cl_vm_dev *blk_create(const struct cl_vm_mem *mem, uint64_t base, int irq, int fd,
				    bool ro, bool snapshot, const char *serial, struct cl_err *err)
{
	_cleanup_close_ int cfd = fd;
	uint64_t features = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
			    (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << CL_VIRTIO_F_INDIRECT_DESC) |
			    (1ull << CL_VIRTIO_F_EVENT_IDX);
	struct cl_virtio *v;
	struct blk *b;
	uint32_t v32;
	uint64_t v64;
	off_t size;

	/* Messages say what went wrong, not to what: callers add the path. */
	if (flock(cfd, (ro || snapshot ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			cl_fail(err, 0, "in use by another VM (locked)");
		else
			cl_fail(err, errno, "cannot lock");
		return NULL;
	}
	size = lseek(cfd, 0, SEEK_END);
	if (size < 0) {
		cl_fail(err, errno, "cannot get the size");
		return NULL;
	}
	if (size < (off_t)SECTOR) {
		cl_fail(err, 0, "smaller than one 512-byte sector (%lld bytes)", (long long)size);
		return NULL;
	}
	if (ro)
		features |= 1ull << VIRTIO_BLK_F_RO;
	v = cl_virtio_alloc(&blk_ops, mem, base, irq, features, sizeof(*b), err);
	if (!v)
		return NULL;
	b = v->priv;
	b->fd = cl_steal_fd(&cfd);
	b->ro = ro;
	if (snapshot) {
		b->map_len = (size_t)size / SECTOR * SECTOR;
		b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
			      b->fd, 0);
		if (b->map == MAP_FAILED) {
			b->map = NULL;
			cl_fail(err, errno, "cannot map it");
			cl_virtio_free(&v->dev);
			return NULL;
		}
	}
	b->capacity = (uint64_t)size / SECTOR;
	if (serial) /* 20 bytes, NUL-padded, not terminated when full: per spec */
		memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
	v64 = htole64(b->capacity);
	memcpy(b->config + CFG_CAPACITY, &v64, 8);
	v32 = htole32(BLK_SIZE_MAX);
	memcpy(b->config + CFG_SIZE_MAX, &v32, 4);
	v32 = htole32(BLK_SEG_MAX);
	memcpy(b->config + CFG_SEG_MAX, &v32, 4);
	cl_virtio_set_config(v, b->config, sizeof(b->config));
	return &v->dev;
}

struct cl_vm_dev *cl_virtio_blk_new_fd(const struct cl_vm_mem *mem, uint64_t base, int irq, int fd,
				       bool ro, const char *serial, struct cl_err *err)
{
	return blk_create(mem, base, irq, fd, ro, false, serial, err);
}

/* The image at @path opened as @ro or @snapshot want it (a snapshot only
 * reads it), the device made on it. */
static struct cl_vm_dev *blk_open(const struct cl_vm_mem *mem, uint64_t base, int irq,
				  const char *path, bool ro, bool snapshot, struct cl_err *err)
{
	_cleanup_free_ char *copy = strdup(path);
	struct cl_vm_dev *d;
	int fd;

	if (!copy) {
		cl_fail(err, errno, "virtio-blk: disk image %s", path);
		return NULL;
	}
	fd = open(path, (ro || snapshot ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		cl_fail(err, errno, "virtio-blk: cannot open disk image %s", path);
		return NULL;
	}
	d = blk_create(mem, base, irq, fd, ro, snapshot, basename(copy), err);
	if (!d)
		cl_wrap(err, "virtio-blk: disk image %s", path);
	return d;
}

struct cl_vm_dev *cl_virtio_blk_new(const struct cl_vm_mem *mem, uint64_t base, int irq,
				    const char *path, bool ro, struct cl_err *err)
{
	return blk_open(mem, base, irq, path, ro, false, err);
}

struct cl_vm_dev *cl_virtio_blk_new_snapshot(const struct cl_vm_mem *mem, uint64_t base, int irq,
					     const char *path, struct cl_err *err)
{
	return blk_open(mem, base, irq, path, false, true, err);
}
