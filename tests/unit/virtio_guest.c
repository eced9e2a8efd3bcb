/* See virtio_guest.h. */
#include "virtio_guest.h"

struct cl_vm_mem mem;
int irq_level, irq_raises;
char disk_path[] = "/tmp/cloison-test-virtio.XXXXXX";
int test_no, failures_total, cur_fail;

void run(const char *name, void (*fn)(void))
{
	cur_fail = 0;
	irq_level = irq_raises = 0;
	memset(mem.host, 0, mem.size);
	fn();
	printf("%s %d - %s\n", cur_fail ? "not ok" : "ok", ++test_no, name);
	fflush(stdout);
	if (cur_fail)
		failures_total++;
}

/* ---- guest memory ---- */
void g16(uint64_t a, uint16_t v)
{
	memcpy(mem.host + a, &v, 2);
}
void g32(uint64_t a, uint32_t v)
{
	memcpy(mem.host + a, &v, 4);
}
void g64(uint64_t a, uint64_t v)
{
	memcpy(mem.host + a, &v, 8);
}
uint16_t r16(uint64_t a)
{
	uint16_t v;
	memcpy(&v, mem.host + a, 2);
	return v;
}
uint32_t r32(uint64_t a)
{
	uint32_t v;
	memcpy(&v, mem.host + a, 4);
	return v;
}

/* ---- MMIO ---- */
uint32_t rd(struct cl_vm_dev *d, uint64_t off)
{
	struct cl_err e;
	uint32_t v = 0xdeadbeef;

	if (d->read(d, off, &v, 4, &e) < 0)
		printf("# read 0x%llx failed: %s\n", (unsigned long long)off, e.msg);
	return v;
}
void wr(struct cl_vm_dev *d, uint64_t off, uint32_t v)
{
	struct cl_err e;

	if (d->write(d, off, &v, 4, &e) < 0)
		printf("# write 0x%llx failed: %s\n", (unsigned long long)off, e.msg);
}

void set_irq(struct cl_vm_dev *d, int level)
{
	if (level && !irq_level)
		irq_raises++;
	irq_level = level;
}

void desc(const struct gq *q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
	  uint16_t next)
{
	uint64_t a = q->desc + 16ull * i;

	g64(a, addr);
	g32(a + 8, len);
	g16(a + 12, flags);
	g16(a + 14, next);
}

void idesc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint64_t a = table + 16ull * i;

	g64(a, addr);
	g32(a + 8, len);
	g16(a + 12, flags);
	g16(a + 14, next);
}

void submit(struct cl_vm_dev *d, struct gq *q, uint16_t head)
{
	g16(q->avail + 4 + 2 * (q->avail_idx % q->num), head);
	q->avail_idx++;
	g16(q->avail + 2, q->avail_idx);
	wr(d, 0x050, q->idx);
}

uint16_t used_idx(const struct gq *q)
{
	return r16(q->used + 2);
}
uint32_t used_len(const struct gq *q, uint16_t i)
{
	return r32(q->used + 4 + 8 * (i % q->num) + 4);
}
uint32_t used_id(const struct gq *q, uint16_t i)
{
	return r32(q->used + 4 + 8 * (i % q->num));
}

/* Driver initialisation (§3.1.1) up to FEATURES_OK. */
bool negotiate(struct cl_vm_dev *d, uint64_t want)
{
	uint64_t have;

	wr(d, 0x070, 0);
	wr(d, 0x070, CL_VIRTIO_S_ACKNOWLEDGE);
	wr(d, 0x070, CL_VIRTIO_S_ACKNOWLEDGE | CL_VIRTIO_S_DRIVER);
	wr(d, 0x014, 1);
	have = (uint64_t)rd(d, 0x010) << 32;
	wr(d, 0x014, 0);
	have |= rd(d, 0x010);
	want &= have;
	wr(d, 0x024, 1);
	wr(d, 0x020, want >> 32);
	wr(d, 0x024, 0);
	wr(d, 0x020, (uint32_t)want);
	wr(d, 0x070, CL_VIRTIO_S_ACKNOWLEDGE | CL_VIRTIO_S_DRIVER | CL_VIRTIO_S_FEATURES_OK);
	return rd(d, 0x070) & CL_VIRTIO_S_FEATURES_OK;
}

void queue_setup(struct cl_vm_dev *d, struct gq *q, unsigned idx, uint32_t num, uint64_t dsc,
		 uint64_t avail, uint64_t used)
{
	*q = (struct gq){.idx = idx, .num = num, .desc = dsc, .avail = avail, .used = used};
	wr(d, 0x030, idx);
	wr(d, 0x038, num);
	wr(d, 0x080, (uint32_t)dsc);
	wr(d, 0x084, dsc >> 32);
	wr(d, 0x090, (uint32_t)avail);
	wr(d, 0x094, avail >> 32);
	wr(d, 0x0a0, (uint32_t)used);
	wr(d, 0x0a4, used >> 32);
	wr(d, 0x044, 1);
}

void driver_ok(struct cl_vm_dev *d)
{
	wr(d, 0x070, rd(d, 0x070) | CL_VIRTIO_S_DRIVER_OK);
}

struct cl_vm_dev *new_blk(bool ro)
{
	struct cl_err e = {0};
	struct cl_vm_dev *d = cl_virtio_blk_new(&mem, CL_VIRTIO_MMIO_BASE, 5, disk_path, ro, &e);

	memset(mem.host, 0, mem.size); /* a fresh driver, fresh rings */
	irq_level = irq_raises = 0;
	if (!d) {
		printf("# cl_virtio_blk_new: %s\n", e.msg);
		exit(1);
	}
	d->set_irq = set_irq;
	return d;
}

/* A blk device with queue 0 ready and DRIVER_OK, features @f. */
struct cl_vm_dev *blk_ready(struct gq *q, uint64_t f, uint16_t num)
{
	struct cl_vm_dev *d = new_blk(false);

	negotiate(d, V1 | f);
	queue_setup(d, q, 0, num, Q_DESC, Q_AVAIL, Q_USED);
	driver_ok(d);
	return d;
}

/* Write a blk request header at @a. */
void hdr(uint64_t a, uint32_t type, uint64_t sector)
{
	g32(a, type);
	g32(a + 4, 0);
	g64(a + 8, sector);
}

/* Classic 3-descriptor request at head @h (descriptors h, h+1, h+2). */
void blk_req3(struct cl_vm_dev *d, struct gq *q, uint16_t h, uint32_t type, uint64_t sector,
	      uint64_t data, uint32_t len, uint64_t status)
{
	hdr(BUF + 0x100 * h, type, sector);
	desc(q, h, BUF + 0x100 * h, 16, F_NEXT, h + 1);
	desc(q, h + 1, data, len, F_NEXT | (type == 0 || type == 8 ? F_WRITE : 0), h + 2);
	desc(q, h + 2, status, 1, F_WRITE, 0);
	mem.host[status] = 0xff;
	submit(d, q, h);
}

bool failed_with(struct cl_vm_dev *d, const char *what)
{
	const char *f = cl_virtio_failure(d);

	if (!(rd(d, 0x070) & CL_VIRTIO_S_NEEDS_RESET)) {
		printf("#   device did not set DEVICE_NEEDS_RESET (expected \"%s\")\n", what);
		return false;
	}
	if (!f || !strstr(f, what)) {
		printf("#   failure \"%s\" does not mention \"%s\"\n", f ? f : "(none)", what);
		return false;
	}
	printf("#   contained: %s\n", f);
	return true;
}

void disk_fill(void)
{
	int fd = open(disk_path, O_RDWR);
	uint8_t s[512];

	for (unsigned i = 0; i < DISK_SECTORS; i++) {
		memset(s, 'A' + i % 26, sizeof(s));
		if (pwrite(fd, s, sizeof(s), i * 512) != 512)
			exit(1);
	}
	close(fd);
}

int disk_byte(uint64_t off)
{
	int fd = open(disk_path, O_RDONLY);
	uint8_t b = 0;

	if (pread(fd, &b, 1, off) != 1)
		b = 0;
	close(fd);
	return b;
}
