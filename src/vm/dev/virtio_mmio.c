/* virtio-mmio transport, version 2 ("modern", virtio 1.x §4.2).
 *
 * The register block is 0x100 bytes of 32-bit registers followed by the
 * device's configuration space.  Register accesses that are not aligned
 * 32-bit ones are ignored (reads return 0): the spec forbids them, and
 * ignoring is the harmless answer.  Interrupt and failure policy: vm/virtio.h. */
#include "vm/dev/virtio_mmio.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/virtio.h"
#include "vm/vm.h"

enum {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010,
	REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020,
	REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044,
	REG_QUEUE_NOTIFY = 0x050,
	REG_INTERRUPT_STATUS = 0x060,
	REG_INTERRUPT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080,
	REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090,
	REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0,
	REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_SHM_LEN_LOW = 0x0b0,
	REG_SHM_LEN_HIGH = 0x0b4,
	REG_SHM_BASE_LOW = 0x0b8,
	REG_SHM_BASE_HIGH = 0x0bc,
	REG_CONFIG_GENERATION = 0x0fc,
	REG_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC   0x74726976 /* "virt" */
#define VIRTIO_MMIO_VERSION 2
#define CL_VIRTIO_VENDOR    0x4e534c43 /* "CLSN" */

int cl_virtio_mmio_slot(unsigned i, uint64_t *base, int *irq)
{
	if (i >= CL_VM_MMIO_MAX)
		return -1;
	*base = CL_VM_MMIO_BASE + i * CL_VM_MMIO_STRIDE;
	*irq = CL_VM_MMIO_GSI_BASE + (int)i;
	return 0;
}

void cl_virtio_attach(struct cl_vm_dev *d, const struct cl_vm_mem *mem)
{
	struct cl_virtio *v = cl_virtio_of(d);

	pthread_mutex_lock(&v->lock);
	v->mem = *mem;
	pthread_mutex_unlock(&v->lock);
}

void cl_virtio_detach(struct cl_vm_dev *d)
{
	struct cl_virtio *v = cl_virtio_of(d);

	pthread_mutex_lock(&v->lock);
	/* a quiet reset: the VM (and the IRQ line) may be gone already */
	cl_virtio_quiesce(v);
	v->status = v->isr = 0;
	v->irq_level = false;
	for (unsigned i = 0; i < CL_VIRTIO_MAX_QUEUES; i++)
		cl_vq_reset(&v->vq[i]);
	v->mem = (struct cl_vm_mem){0};
	pthread_mutex_unlock(&v->lock);
}

/* The config's extra device @i if it is one of ours, else NULL. */
static struct cl_virtio *virtio_dev(const struct cl_vm_config *cfg, size_t i)
{
	return cl_virtio_mmio_is(cfg->extra_devs[i]) ? cl_virtio_of(cfg->extra_devs[i]) : NULL;
}

int cl_virtio_attach_devs(void *vm_config, const struct cl_vm_mem *mem, struct cl_err *err)
{
	const struct cl_vm_config *cfg = vm_config;

	for (size_t i = 0; i < cfg->n_extra_devs; i++) {
		struct cl_virtio *v = virtio_dev(cfg, i);

		if (!v)
			continue;
		cl_virtio_attach(&v->dev, mem);
		/* KVM's ioeventfds only when a thread will serve them */
		if (cfg->start && cl_virtio_io_attach(v, err) < 0)
			return -1;
	}
	return 0;
}

int cl_virtio_start_devs(void *vm_config, cl_vm_confine_fn confine, struct cl_err *err)
{
	const struct cl_vm_config *cfg = vm_config;

	for (size_t i = 0; i < cfg->n_extra_devs; i++) {
		struct cl_virtio *v = virtio_dev(cfg, i);

		if (v && cl_virtio_io_start(v, confine, err) < 0)
			return -1;
	}
	return 0;
}

void cl_virtio_stop_devs(void *vm_config)
{
	const struct cl_vm_config *cfg = vm_config;

	for (size_t i = 0; i < cfg->n_extra_devs; i++) {
		struct cl_virtio *v = virtio_dev(cfg, i);

		if (v)
			cl_virtio_io_stop(v);
	}
}

void cl_virtio_quiesce(struct cl_virtio *v)
{
	v->gen++;
	while (v->busy)
		pthread_cond_wait(&v->idle, &v->lock);
}

void cl_virtio_unlock_busy(struct cl_virtio *v)
{
	v->busy++;
	pthread_mutex_unlock(&v->lock);
}

void cl_virtio_lock_busy(struct cl_virtio *v)
{
	pthread_mutex_lock(&v->lock);
	if (!--v->busy)
		pthread_cond_broadcast(&v->idle);
}

static void update_irq(struct cl_virtio *v)
{
	bool level = v->isr != 0;

	/* irqfd: every new interrupt asserts the line again (KVM merges
	 * them; one that came between the guest's ACK and its EOI is not
	 * left to the resample); lowering is KVM's, at the EOI */
	if (cl_virtio_io_irq(v, level)) {
		v->irq_level = level;
		return;
	}
	if (level == v->irq_level)
		return;
	v->irq_level = level;
	if (v->dev.set_irq)
		v->dev.set_irq(&v->dev, level);
}

bool cl_virtio_running(const struct cl_virtio *v)
{
	uint32_t need = CL_VIRTIO_S_FEATURES_OK | CL_VIRTIO_S_DRIVER_OK;

	return !v->failed && (v->status & need) == need;
}

void cl_virtio_used(struct cl_virtio *v, unsigned q)
{
	if (cl_vq_should_notify(&v->vq[q])) {
		v->isr |= CL_VIRTIO_ISR_USED;
		update_irq(v);
	}
}

void cl_virtio_fail(struct cl_virtio *v, const struct cl_err *err)
{
	if (v->failed)
		return;
	v->failed = true;
	v->failure = *err;
	v->status |= CL_VIRTIO_S_NEEDS_RESET;
	/* Messages start with the device name ("virtio-blk: queue 0: ...").  A
	 * guest that fails, resets and fails again must not flood stderr. */
	if (v->nr_failures < CL_VIRTIO_MAX_WARNINGS)
		cl_warn("%s (device at 0x%llx stopped until the guest resets it)%s", err->msg,
			(unsigned long long)v->dev.base,
			v->nr_failures + 1 == CL_VIRTIO_MAX_WARNINGS
			    ? "; further failures not reported"
			    : "");
	v->nr_failures++;
	if (v->status & CL_VIRTIO_S_DRIVER_OK) {
		v->isr |= CL_VIRTIO_ISR_CONFIG;
		update_irq(v);
	}
}

static void device_reset(struct cl_virtio *v)
{
	v->status = 0;
	v->driver_features = 0;
	v->dev_feat_sel = v->drv_feat_sel = v->queue_sel = 0;
	cl_virtio_quiesce(v);
	v->failed = false;
	memset(&v->failure, 0, sizeof(v->failure));
	for (unsigned i = 0; i < CL_VIRTIO_MAX_QUEUES; i++)
		cl_vq_reset(&v->vq[i]);
	if (v->ops->reset)
		v->ops->reset(v);
	v->isr = 0;
	update_irq(v);
}

static void kick(struct cl_virtio *v, unsigned q)
{
	struct cl_err err = {0};

	if (!cl_virtio_running(v) || q >= v->ops->num_queues || !v->vq[q].ready)
		return;
	if (v->io.started) { /* its I/O thread serves it (virtio_io.c) */
		cl_virtio_io_signal(v->io.kick[q]);
		return;
	}
	if (v->ops->notify(v, q, &err) < 0)
		cl_virtio_fail(v, &err);
}

static void write_status(struct cl_virtio *v, uint32_t val)
{
	uint32_t old = v->status;

	if (val == 0) {
		device_reset(v);
		return;
	}
	val &= 0xff;
	if ((val & CL_VIRTIO_S_FEATURES_OK) && !(old & CL_VIRTIO_S_FEATURES_OK)) {
		/* Accept only a subset of what we offer, including VERSION_1
		 * (this is a modern-only transport); else leave FEATURES_OK clear
		 * so the driver sees the refusal (§3.1.1). */
		if ((v->driver_features & ~v->host_features) ||
		    !(v->driver_features & (1ull << CL_VIRTIO_F_VERSION_1)))
			val &= ~CL_VIRTIO_S_FEATURES_OK;
	}
	if (v->failed)
		val |= CL_VIRTIO_S_NEEDS_RESET;
	v->status = val;
	/* Buffers the driver queued before DRIVER_OK are served now. */
	if ((val & CL_VIRTIO_S_DRIVER_OK) && !(old & CL_VIRTIO_S_DRIVER_OK))
		for (unsigned q = 0; q < v->ops->num_queues; q++)
			kick(v, q);
}

static void set_half(uint64_t *x, bool high, uint32_t val)
{
	if (high)
		*x = (*x & 0xffffffffull) | ((uint64_t)val << 32);
	else
		*x = (*x & ~0xffffffffull) | val;
}

static struct cl_vq *cur_vq(struct cl_virtio *v)
{
	return v->queue_sel < v->ops->num_queues ? &v->vq[v->queue_sel] : NULL;
}

static void write_reg(struct cl_virtio *v, uint64_t off, uint32_t val)
{
	struct cl_vq *vq = cur_vq(v);
	struct cl_err err = {0};

	switch (off) {
	case REG_DEVICE_FEATURES_SEL: v->dev_feat_sel = val; break;
	case REG_DRIVER_FEATURES:
		if (!(v->status & CL_VIRTIO_S_FEATURES_OK) && v->drv_feat_sel < 2)
			set_half(&v->driver_features, v->drv_feat_sel, val);
		break;
	case REG_DRIVER_FEATURES_SEL: v->drv_feat_sel = val; break;
	case REG_QUEUE_SEL: v->queue_sel = val; break;
	case REG_QUEUE_NUM:
		if (vq && !vq->ready)
			vq->num = val > 0xffff ? 0xffff : val; /* 0xffff: rejected when enabled */
		break;
	case REG_QUEUE_READY:
		if (!vq || v->failed)
			break;
		if (!(val & 1)) {
			cl_virtio_quiesce(v);
			vq->ready = false;
		} else if (!vq->ready) {
			if (cl_vq_enable(vq, v->ops->queue_max, v->driver_features, &err) < 0)
				cl_virtio_fail(v, &err);
		}
		break;
	case REG_QUEUE_NOTIFY: kick(v, val); break;
	case REG_INTERRUPT_ACK:
		v->isr &= ~val;
		update_irq(v);
		break;
	case REG_STATUS: write_status(v, val); break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
		if (vq && !vq->ready)
			set_half(&vq->desc_gpa, off == REG_QUEUE_DESC_HIGH, val);
		break;
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
		if (vq && !vq->ready)
			set_half(&vq->avail_gpa, off == REG_QUEUE_DRIVER_HIGH, val);
		break;
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH:
		if (vq && !vq->ready)
			set_half(&vq->used_gpa, off == REG_QUEUE_DEVICE_HIGH, val);
		break;
	default: break; /* read-only or unknown: ignored */
	}
}

static uint32_t read_reg(struct cl_virtio *v, uint64_t off)
{
	struct cl_vq *vq = cur_vq(v);

	switch (off) {
	case REG_MAGIC: return VIRTIO_MMIO_MAGIC;
	case REG_VERSION: return VIRTIO_MMIO_VERSION;
	case REG_DEVICE_ID: return v->ops->device_id;
	case REG_VENDOR_ID: return CL_VIRTIO_VENDOR;
	case REG_DEVICE_FEATURES:
		return v->dev_feat_sel < 2 ? (uint32_t)(v->host_features >> (32 * v->dev_feat_sel))
					   : 0;
	case REG_QUEUE_NUM_MAX: return vq ? v->ops->queue_max : 0;
	case REG_QUEUE_NUM: return vq ? vq->num : 0;
	case REG_QUEUE_READY: return vq ? vq->ready : 0;
	case REG_INTERRUPT_STATUS: return v->isr;
	case REG_STATUS: return v->status;
	case REG_QUEUE_DESC_LOW: return vq ? (uint32_t)vq->desc_gpa : 0;
	case REG_QUEUE_DESC_HIGH: return vq ? (uint32_t)(vq->desc_gpa >> 32) : 0;
	case REG_QUEUE_DRIVER_LOW: return vq ? (uint32_t)vq->avail_gpa : 0;
	case REG_QUEUE_DRIVER_HIGH: return vq ? (uint32_t)(vq->avail_gpa >> 32) : 0;
	case REG_QUEUE_DEVICE_LOW: return vq ? (uint32_t)vq->used_gpa : 0;
	case REG_QUEUE_DEVICE_HIGH: return vq ? (uint32_t)(vq->used_gpa >> 32) : 0;
	case REG_SHM_LEN_LOW:
	case REG_SHM_LEN_HIGH:
	case REG_SHM_BASE_LOW:
	case REG_SHM_BASE_HIGH: return 0xffffffff; /* no shared memory region: length -1 */
	case REG_CONFIG_GENERATION: return 0;	   /* our config space never changes */
	default: return 0;
	}
}

static int mmio_read(struct cl_vm_dev *d, uint64_t off, void *data, unsigned len,
		     struct cl_err *err)
{
	struct cl_virtio *v = cl_virtio_of(d);

	memset(data, 0, len);
	pthread_mutex_lock(&v->lock);
	if (off >= REG_CONFIG) {
		uint64_t c = off - REG_CONFIG;

		if (len <= 8 && c < v->config_len && len <= v->config_len - c)
			memcpy(data, v->config + c, len);
	} else if (len == 4 && off % 4 == 0) {
		uint32_t val = htole32(read_reg(v, off));

		memcpy(data, &val, 4);
	}
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static int mmio_write(struct cl_vm_dev *d, uint64_t off, const void *data, unsigned len,
		      struct cl_err *err)
{
	struct cl_virtio *v = cl_virtio_of(d);
	uint32_t val;

	if (off >= REG_CONFIG || len != 4 || off % 4)
		return 0; /* config space is read-only for our devices */
	memcpy(&val, data, 4);
	pthread_mutex_lock(&v->lock);
	write_reg(v, off, le32toh(val));
	pthread_mutex_unlock(&v->lock);
	return 0;
}

struct cl_virtio *cl_virtio_alloc(const struct cl_virtio_ops *ops, const struct cl_vm_mem *mem,
				  uint64_t base, int irq, uint64_t features, size_t priv_size,
				  struct cl_err *err)
{
	struct cl_virtio *v = calloc(1, sizeof(*v) + priv_size);

	if (!v) {
		cl_fail(err, errno, "cannot allocate %s", ops->name);
		return NULL;
	}
	v->ops = ops;
	if (mem)
		v->mem = *mem;
	v->priv = priv_size ? (void *)(v + 1) : NULL;
	v->host_features = features | (1ull << CL_VIRTIO_F_VERSION_1);
	v->dev.name = ops->name;
	v->dev.pio = false;
	v->dev.base = base;
	v->dev.len = CL_VIRTIO_MMIO_SIZE;
	v->dev.irq = irq;
	v->dev.opaque = v;
	v->dev.read = mmio_read;
	v->dev.write = mmio_write;
	v->dev.own_lock = true; /* v->lock */
	for (unsigned i = 0; i < CL_VIRTIO_MAX_QUEUES; i++) {
		v->vq[i].name = ops->name;
		v->vq[i].index = i;
		v->vq[i].mem = &v->mem;
		cl_vq_reset(&v->vq[i]);
	}
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->idle, NULL);
	cl_virtio_io_init(v);
	return v;
}

void cl_virtio_set_config(struct cl_virtio *v, const void *config, uint32_t len)
{
	v->config = config;
	v->config_len = len;
}

bool cl_virtio_mmio_is(const struct cl_vm_dev *d)
{
	return d && d->read == mmio_read;
}

size_t cl_virtio_mmio_describe(struct cl_vm_dev *const *devs, size_t n,
			       struct cl_virtio_mmio_desc *out, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		if (!cl_virtio_mmio_is(devs[i]))
			continue;
		out[k++] = (struct cl_virtio_mmio_desc){
		    .base = devs[i]->base,
		    .len = devs[i]->len,
		    .irq = devs[i]->irq,
		    .device_id = cl_virtio_of(devs[i])->ops->device_id,
		};
	}
	return k;
}

int cl_virtio_mmio_cmdline(const struct cl_vm_dev *d, char *buf, size_t size)
{
	int n = snprintf(buf, size, "virtio_mmio.device=0x%llx@0x%llx:%d",
			 (unsigned long long)d->len, (unsigned long long)d->base, d->irq);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

const char *cl_virtio_failure(struct cl_vm_dev *d)
{
	struct cl_virtio *v = cl_virtio_of(d);
	const char *r;

	pthread_mutex_lock(&v->lock);
	r = v->failed ? v->failure.msg : NULL;
	pthread_mutex_unlock(&v->lock);
	return r;
}

void cl_virtio_free(struct cl_vm_dev *d)
{
	struct cl_virtio *v;

	if (!d)
		return;
	v = cl_virtio_of(d);
	cl_virtio_io_free(v); /* its thread first: ops->free may close its fds */
	if (v->ops->free)
		v->ops->free(v);
	pthread_cond_destroy(&v->idle);
	pthread_mutex_destroy(&v->lock);
	free(v);
}
