/* Hostile guests: every malformed ring is contained (DEVICE_NEEDS_RESET and
 * a clear message), never an out-of-bounds access or an endless walk. */
#include "virtio_guest.h"

/* ================= hostile guests ================= */

/* Set up a device, let @build write descriptors and submit, expect failure. */
static void hostile(const char *what, uint64_t f, uint16_t num,
		    void (*build)(struct cl_vm_dev *, struct gq *))
{
	struct gq q;
	struct cl_vm_dev *d;
	uint16_t used_before;

	memset(mem.host, 0, MEM_SIZE); /* fresh rings, as a new driver would have */
	d = blk_ready(&q, f, num);
	irq_raises = 0;
	build(d, &q);
	CHECK(failed_with(d, what), "expected failure: %s", what);
	CHECK(rd(d, 0x060) & CL_VIRTIO_ISR_CONFIG, "no config-change interrupt");
	CHECK(irq_level == 1, "irq line not raised");
	/* a failed device ignores the guest... */
	used_before = used_idx(&q);
	blk_req3(d, &q, 0, 0, 0, 0x41000, 512, 0x30000);
	CHECK(used_idx(&q) == used_before, "failed device still served a request");
	/* ...until it resets the device, after which all is well */
	wr(d, 0x070, 0);
	CHECK(rd(d, 0x070) == 0 && !cl_virtio_failure(d) && irq_level == 0, "reset");
	memset(mem.host + Q_DESC, 0, 0x3000);
	CHECK(negotiate(d, V1 | f), "renegotiation");
	queue_setup(d, &q, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	driver_ok(d);
	blk_req3(d, &q, 0, 0, 1, 0x41000, 512, 0x30000);
	CHECK(mem.host[0x30000] == 0 && mem.host[0x41000] == 'B', "I/O after reset");
	cl_virtio_free(d);
}

static void b_loop2(struct cl_vm_dev *d, struct gq *q)
{
	hdr(0x20000, 0, 0);
	desc(q, 0, 0x20000, 16, F_NEXT, 1);
	desc(q, 1, 0x41000, 512, F_NEXT, 0);
	submit(d, q, 0);
}
static void b_selfloop(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 3, 0x20000, 16, F_NEXT, 3);
	submit(d, q, 3);
}
static void b_next_range(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, 0x20000, 16, F_NEXT, 200);
	submit(d, q, 0);
}
static void b_head_range(struct cl_vm_dev *d, struct gq *q)
{
	submit(d, q, 500);
}
static void b_addr_end(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, MEM_SIZE - 4, 16, 0, 0);
	submit(d, q, 0);
}
static void b_addr_wrap(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, UINT64_MAX - 7, 16, 0, 0);
	submit(d, q, 0);
}
static void b_huge_len(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, 0x20000, 0xffffffff, 0, 0);
	submit(d, q, 0);
}
/* 129 indirect entries of 2 MiB each (all of RAM): 258 MiB in one chain. */
static void b_huge_total(struct cl_vm_dev *d, struct gq *q)
{
	for (unsigned i = 0; i < 129; i++)
		idesc(IND, i, 0, MEM_SIZE, F_NEXT, i + 1);
	idesc(IND, 128, 0, MEM_SIZE, 0, 0);
	desc(q, 0, IND, 129 * 16, F_INDIRECT, 0);
	submit(d, q, 0);
}
static void b_avail_jump(struct cl_vm_dev *d, struct gq *q)
{
	g16(q->avail + 2, 200);
	wr(d, 0x050, 0);
}
static void b_indirect_unneg(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, IND, 48, F_INDIRECT, 0);
	submit(d, q, 0);
}
static void b_indirect_nested(struct cl_vm_dev *d, struct gq *q)
{
	idesc(IND, 0, IND, 16, F_INDIRECT, 0);
	desc(q, 0, IND, 16, F_INDIRECT, 0);
	submit(d, q, 0);
}
static void b_indirect_len(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, IND, 17, F_INDIRECT, 0);
	submit(d, q, 0);
}
static void b_indirect_next(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, IND, 32, F_INDIRECT | F_NEXT, 1);
	submit(d, q, 0);
}
static void b_indirect_loop(struct cl_vm_dev *d, struct gq *q)
{
	idesc(IND, 0, 0x20000, 16, F_NEXT, 1);
	idesc(IND, 1, 0x20000, 16, F_NEXT, 2);
	idesc(IND, 2, 0x20000, 16, F_NEXT, 1);
	desc(q, 0, IND, 48, F_INDIRECT, 0);
	submit(d, q, 0);
}
static void b_indirect_outside(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, MEM_SIZE - 16, 32, F_INDIRECT, 0);
	submit(d, q, 0);
}
static void b_read_after_write(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, 0x41000, 16, F_NEXT | F_WRITE, 1);
	desc(q, 1, 0x20000, 16, 0, 0);
	submit(d, q, 0);
}
static void b_no_status(struct cl_vm_dev *d, struct gq *q)
{
	hdr(0x20000, 0, 0);
	desc(q, 0, 0x20000, 16, 0, 0);
	submit(d, q, 0);
}
static void b_short_header(struct cl_vm_dev *d, struct gq *q)
{
	desc(q, 0, 0x20000, 8, F_NEXT, 1);
	desc(q, 1, 0x30000, 1, F_WRITE, 0);
	submit(d, q, 0);
}

static void t_hostile_chains(void)
{
	hostile("descriptor chain loops at index 0", 0, 8, b_loop2);
	hostile("descriptor chain loops at index 3", 0, 8, b_selfloop);
	hostile("next index 200 beyond table size 8", 0, 8, b_next_range);
	hostile("holds descriptor 500 beyond queue size 8", 0, 8, b_head_range);
	hostile("outside guest memory", 0, 8, b_addr_end);
	hostile("outside guest memory", 0, 8, b_addr_wrap);
	hostile("0x20000+4294967295 is outside guest memory", 0, 8, b_huge_len);
	hostile("describes more than", INDIRECT, 8, b_huge_total);
	hostile("avail index jumped from 0 to 200", 0, 8, b_avail_jump);
	hostile("VIRTIO_F_INDIRECT_DESC was not negotiated", 0, 8, b_indirect_unneg);
	hostile("nested indirect", INDIRECT, 8, b_indirect_nested);
	hostile("bad indirect table length 17", INDIRECT, 8, b_indirect_len);
	hostile("also has NEXT", INDIRECT, 8, b_indirect_next);
	hostile("loops at index 1 of an indirect table", INDIRECT, 8, b_indirect_loop);
	hostile("indirect table", INDIRECT, 8, b_indirect_outside);
	hostile("readable buffer after a writable one", 0, 8, b_read_after_write);
	hostile("lacks a status byte", 0, 8, b_no_status);
	hostile("lacks a 16-byte header", 0, 8, b_short_header);
}

/* Queue layouts rejected at QueueReady. */
static void bad_queue(const char *what, uint32_t num, uint64_t dsc, uint64_t avail, uint64_t used)
{
	struct cl_vm_dev *d = new_blk(false);
	struct gq q;

	negotiate(d, V1);
	queue_setup(d, &q, 0, num, dsc, avail, used);
	CHECK(failed_with(d, what), "expected failure: %s", what);
	wr(d, 0x070, rd(d, 0x070) | CL_VIRTIO_S_DRIVER_OK);
	wr(d, 0x050, 0); /* must not touch anything */
	cl_virtio_free(d);
}

static void t_bad_queues(void)
{
	bad_queue("size 6 is not a power of two", 6, Q_DESC, Q_AVAIL, Q_USED);
	bad_queue("size 256 is larger than the maximum 128", 256, Q_DESC, Q_AVAIL, Q_USED);
	bad_queue("size 65535 is larger", 0x10000, Q_DESC, Q_AVAIL, Q_USED);
	bad_queue("enabled with size 0", 0, Q_DESC, Q_AVAIL, Q_USED);
	bad_queue("descriptor table at", 8, MEM_SIZE - 64, Q_AVAIL, Q_USED);
	bad_queue("used ring at", 8, Q_DESC, Q_AVAIL, MEM_SIZE - 8);
	bad_queue("avail ring at", 8, Q_DESC, UINT64_MAX - 1, Q_USED);
	bad_queue("misaligned rings", 8, Q_DESC + 8, Q_AVAIL, Q_USED);
	bad_queue("misaligned rings", 8, Q_DESC, Q_AVAIL, Q_USED + 2);
}

/* Registers of a ready queue cannot be changed under the device. */
static void t_ready_queue_locked(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, 0, 8);

	wr(d, 0x030, 0);
	wr(d, 0x038, 64);
	wr(d, 0x080, MEM_SIZE - 16);
	CHECK(rd(d, 0x038) == 8 && rd(d, 0x080) == Q_DESC, "ready queue registers changed");
	blk_req3(d, &q, 0, 0, 0, 0x41000, 512, 0x30000);
	CHECK(mem.host[0x30000] == 0, "I/O after attempted change");
	wr(d, 0x044, 0);
	CHECK(rd(d, 0x044) == 0, "QueueReady not cleared");
	cl_virtio_free(d);
}

/* A guest that fails, resets and fails again does not flood the host's stderr. */
static void t_warning_flood(void)
{
	struct cl_vm_dev *d = new_blk(false);
	char log[] = "/tmp/cloison-test-warn.XXXXXX", buf[4096] = {0};
	int fd = mkstemp(log), saved = dup(STDERR_FILENO), lines = 0;
	struct gq q;

	dup2(fd, STDERR_FILENO);
	for (int i = 0; i < 10; i++) {
		negotiate(d, V1);
		queue_setup(d, &q, 0, 6, Q_DESC, Q_AVAIL, Q_USED); /* not a power of two */
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
		buf[0] = 0;
	close(fd);
	unlink(log);
	for (char *p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	CHECK(lines == 3 && strstr(buf, "further failures not reported"),
	      "%d warning lines for 10 failures:\n%s", lines, buf);
	CHECK(failed_with(d, "size 6 is not a power of two"), "last failure still recorded");
	cl_virtio_free(d);
}

void virtio_hostile_tests(void)
{
	run("hostile: chains (loops, ranges, addresses, lengths, indirect)", t_hostile_chains);
	run("hostile: queue sizes and ring placement", t_bad_queues);
	run("hostile: ready queue registers are locked", t_ready_queue_locked);
	run("hostile: repeated failures warn 3 times only", t_warning_flood);
}
