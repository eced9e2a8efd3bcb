/* In-process tests of the virtio-mmio transport, virtqueues, virtio-blk and
 * virtio-console (the hostile-guest and console cases are in
 * test_virtio_hostile.c and test_virtio_console.c).  A plain buffer stands in
 * for guest RAM and virtio_guest.c plays the guest driver through the MMIO
 * register handlers.  Prints TAP. */
#include "virtio_guest.h"

/* ================= transport ================= */

static void t_probe(void)
{
	struct cl_vm_dev *d = new_blk(false);
	uint64_t cap;
	uint64_t w = 0xabcd;
	struct cl_err e;

	CHECK(rd(d, 0x000) == 0x74726976, "magic %#x", rd(d, 0));
	CHECK(rd(d, 0x004) == 2, "version %u", rd(d, 4));
	CHECK(rd(d, 0x008) == 2, "device id %u", rd(d, 8));
	wr(d, 0x014, 1);
	CHECK(rd(d, 0x010) & 1, "VERSION_1 not offered");
	wr(d, 0x014, 7);
	CHECK(rd(d, 0x010) == 0, "feature word 7 not 0");
	wr(d, 0x030, 0);
	CHECK(rd(d, 0x034) == 128, "QueueNumMax %u", rd(d, 0x34));
	wr(d, 0x030, 1);
	CHECK(rd(d, 0x034) == 0, "QueueNumMax of missing queue %u", rd(d, 0x34));
	CHECK(rd(d, 0x044) == 0, "QueueReady of missing queue");
	cap = rd(d, 0x100) | (uint64_t)rd(d, 0x104) << 32;
	CHECK(cap == DISK_SECTORS, "capacity %llu", (unsigned long long)cap);
	CHECK(d->read(d, 0x002, &w, 2, &e) == 0 && w == 0, "16-bit register read gave %#llx",
	      (unsigned long long)w);
	CHECK(d->read(d, 0x100 + 0x3e, &w, 4, &e) == 0 && w == 0, "config read past end");
	CHECK(d->read(d, 0x1000, &w, 2, &e) == 0 && w == 0, "read far past config");
	CHECK(rd(d, 0x0fc) == 0, "config generation");
	CHECK(rd(d, 0x0b0) == 0xffffffff && rd(d, 0x0b4) == 0xffffffff,
	      "shared memory length not -1");
	CHECK(cl_virtio_mmio_is(d), "not recognised as virtio-mmio");
	cl_virtio_free(d);
}

static void t_features(void)
{
	struct cl_vm_dev *d = new_blk(false);

	CHECK(!negotiate(d, 0), "FEATURES_OK kept without VERSION_1");
	wr(d, 0x070, 0);
	wr(d, 0x070, 3);
	wr(d, 0x024, 0);
	wr(d, 0x020, 1u << 20); /* not offered */
	wr(d, 0x024, 1);
	wr(d, 0x020, 1);
	wr(d, 0x070, 3 | CL_VIRTIO_S_FEATURES_OK);
	CHECK(!(rd(d, 0x070) & CL_VIRTIO_S_FEATURES_OK), "FEATURES_OK kept with unknown feature");
	CHECK(negotiate(d, V1 | INDIRECT), "FEATURES_OK refused for a valid set");
	wr(d, 0x070, 0);
	CHECK(rd(d, 0x070) == 0, "status not reset");
	cl_virtio_free(d);
}

static void t_slots(void)
{
	uint64_t base;
	int irq;
	char buf[80];
	struct cl_vm_dev *d;
	struct cl_virtio_mmio_desc ds[4];

	CHECK(cl_virtio_mmio_slot(0, &base, &irq) == 0 && base == 0xd0000000 && irq == 16,
	      "slot 0");
	CHECK(cl_virtio_mmio_slot(3, &base, &irq) == 0 && base == 0xd0003000 && irq == 19,
	      "slot 3");
	CHECK(cl_virtio_mmio_slot(CL_VM_MMIO_MAX, &base, &irq) < 0, "slot past the end");
	d = new_blk(false);
	CHECK(cl_virtio_mmio_cmdline(d, buf, sizeof(buf)) == 0 &&
		  !strcmp(buf, "virtio_mmio.device=0x200@0xd0000000:5"),
	      "cmdline %s", buf);
	struct cl_vm_dev other = {.name = "uart"}, *list[2] = {&other, d};
	CHECK(cl_virtio_mmio_describe(list, 2, ds, 4) == 1 && ds[0].base == 0xd0000000 &&
		  ds[0].len == 0x200 && ds[0].irq == 5 && ds[0].device_id == 2,
	      "describe");
	cl_virtio_free(d);
}

/* ================= virtio-blk ================= */

static void t_blk_new_errors(void)
{
	struct cl_err e = {0};
	struct cl_vm_dev *d, *d2;
	char small[] = "/tmp/cloison-test-small.XXXXXX";
	int fd = mkstemp(small);

	CHECK(!cl_virtio_blk_new(&mem, 0, 5, "/nonexistent/disk.img", false, &e) &&
		  !strcmp(e.msg, "virtio-blk: cannot open disk image /nonexistent/disk.img: "
				 "No such file or directory"),
	      "missing image: %s", e.msg);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1, "small image");
	close(fd);
	CHECK(!cl_virtio_blk_new(&mem, 0, 5, small, false, &e) &&
		  strstr(e.msg, "smaller than one 512-byte sector (1 bytes)") &&
		  strstr(e.msg, small),
	      "small image: %s", e.msg);
	unlink(small);
	d = cl_virtio_blk_new(&mem, 0, 5, disk_path, false, &e);
	d2 = cl_virtio_blk_new(&mem, 0x1000, 6, disk_path, true, &e);
	CHECK(d && !d2 && strstr(e.msg, "in use by another VM"), "second user: %s", e.msg);
	cl_virtio_free(d);
	cl_virtio_free(d2);
	d = cl_virtio_blk_new(&mem, 0, 5, disk_path, true, &e);
	d2 = cl_virtio_blk_new(&mem, 0x1000, 6, disk_path, true, &e);
	CHECK(d && d2, "two read-only users: %s", e.msg);
	cl_virtio_free(d);
	cl_virtio_free(d2);
}

static void t_blk_rw(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, 0, 8);

	memset(mem.host + 0x20000, 'z', 1024);
	blk_req3(d, &q, 0, 1, 3, 0x20000, 1024, 0x30000); /* OUT sectors 3-4 */
	CHECK(used_idx(&q) == 1, "used idx %u", used_idx(&q));
	CHECK(used_id(&q, 0) == 0 && used_len(&q, 0) == 1, "used elem %u/%u", used_id(&q, 0),
	      used_len(&q, 0));
	CHECK(mem.host[0x30000] == 0, "status %u", mem.host[0x30000]);
	CHECK(disk_byte(3 * 512) == 'z' && disk_byte(5 * 512 - 1) == 'z' &&
		  disk_byte(5 * 512) == 'A' + 5 && disk_byte(3 * 512 - 1) == 'A' + 2,
	      "disk contents after write");
	CHECK(irq_level == 1 && irq_raises == 1, "irq level %d raises %d", irq_level, irq_raises);
	CHECK(rd(d, 0x060) == CL_VIRTIO_ISR_USED, "ISR %u", rd(d, 0x060));
	wr(d, 0x064, CL_VIRTIO_ISR_USED);
	CHECK(irq_level == 0 && rd(d, 0x060) == 0, "ACK did not lower the line");

	blk_req3(d, &q, 3, 0, 2, 0x40000, 1536, 0x30001); /* IN sectors 2-4 */
	CHECK(mem.host[0x30001] == 0, "status %u", mem.host[0x30001]);
	CHECK(used_len(&q, 1) == 1537, "IN used len %u", used_len(&q, 1));
	CHECK(mem.host[0x40000] == 'A' + 2 && mem.host[0x40000 + 511] == 'A' + 2 &&
		  mem.host[0x40000 + 512] == 'z' && mem.host[0x40000 + 1535] == 'z',
	      "data read back");
	CHECK(irq_raises == 2, "raises %d", irq_raises);
	CHECK(!cl_virtio_failure(d), "device failed");
	cl_virtio_free(d);
}

/* Once the VMM starts the devices' threads, a request is served by the
 * device's I/O thread, not in the notifying thread; stopped cleanly. */
static void t_blk_thread(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, 0, 8);
	struct cl_vm_config cfg = {.extra_devs = &d, .n_extra_devs = 1};
	struct cl_err e = {0};

	CHECK(cl_virtio_start_devs(&cfg, NULL, &e) == 0, "start: %s", e.msg);
	memset(mem.host + 0x20000, 'y', 512);
	blk_req3(d, &q, 0, 1, 6, 0x20000, 512, 0x30000); /* OUT sector 6 */
	for (int i = 0; i < 500 && used_idx(&q) == 0; i++)
		usleep(2000);
	CHECK(used_idx(&q) == 1 && mem.host[0x30000] == 0, "thread: used %u status %u",
	      used_idx(&q), mem.host[0x30000]);
	CHECK(disk_byte(6 * 512) == 'y' && disk_byte(7 * 512 - 1) == 'y', "written by the thread");
	cl_virtio_stop_devs(&cfg);
	cl_virtio_free(d);
}

/* Header split in two, data scattered, status sharing the last data segment. */
static void t_blk_scatter(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, 0, 8);

	hdr(0x20000, 0, 7);
	desc(&q, 5, 0x20000, 5, F_NEXT, 2);
	desc(&q, 2, 0x20005, 11, F_NEXT, 7);
	desc(&q, 7, 0x41000, 100, F_NEXT | F_WRITE, 0);
	desc(&q, 0, 0x42000, 400, F_NEXT | F_WRITE, 1);
	desc(&q, 1, 0x43000, 13, F_WRITE, 0); /* 12 data bytes + status */
	mem.host[0x4300c] = 0xff;
	submit(d, &q, 5);
	CHECK(mem.host[0x4300c] == 0, "status %u", mem.host[0x4300c]);
	CHECK(mem.host[0x41000] == 'A' + 7 && mem.host[0x42000 + 399] == 'A' + 7 &&
		  mem.host[0x43000 + 11] == 'A' + 7,
	      "scattered read");
	CHECK(used_len(&q, 0) == 513, "used len %u", used_len(&q, 0));
	cl_virtio_free(d);
}

static void t_blk_indirect(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, INDIRECT, 8);

	hdr(0x20000, 0, 1);
	idesc(IND, 0, 0x20000, 16, F_NEXT, 1);
	idesc(IND, 1, 0x41000, 512, F_NEXT | F_WRITE, 2);
	idesc(IND, 2, 0x43000, 1, F_WRITE, 0);
	desc(&q, 4, IND, 48, F_INDIRECT, 0);
	submit(d, &q, 4);
	CHECK(mem.host[0x43000] == 0 && mem.host[0x41000] == 'B', "indirect read: status %u",
	      mem.host[0x43000]);
	CHECK(used_id(&q, 0) == 4, "used id %u", used_id(&q, 0));
	cl_virtio_free(d);
}

static void t_blk_errors(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, 0, 16);
	char id[21] = {0};

	hdr(0x20000, 4, 0); /* FLUSH */
	desc(&q, 0, 0x20000, 16, F_NEXT, 1);
	desc(&q, 1, 0x30000, 1, F_WRITE, 0);
	mem.host[0x30000] = 0xff;
	submit(d, &q, 0);
	CHECK(mem.host[0x30000] == 0, "flush status %u", mem.host[0x30000]);

	blk_req3(d, &q, 2, 8, 0, 0x41000, 20, 0x30001); /* GET_ID */
	memcpy(id, mem.host + 0x41000, 20);
	CHECK(mem.host[0x30001] == 0 && !strncmp(id, "cloison-test-virtio", 19), "id '%s'", id);
	CHECK(used_len(&q, 1) == 21, "GET_ID used len %u", used_len(&q, 1));

	blk_req3(d, &q, 5, 99, 0, 0x41000, 512, 0x30002);
	CHECK(mem.host[0x30002] == 2, "unknown type status %u", mem.host[0x30002]);

	blk_req3(d, &q, 8, 0, DISK_SECTORS - 1, 0x41000, 1024, 0x30003);
	CHECK(mem.host[0x30003] == 1, "read past capacity status %u", mem.host[0x30003]);

	blk_req3(d, &q, 11, 1, UINT64_MAX, 0x41000, 512, 0x30004);
	CHECK(mem.host[0x30004] == 1, "sector 2^64-1 status %u", mem.host[0x30004]);

	blk_req3(d, &q, 2, 0, 0, 0x41000, 100, 0x30005);
	CHECK(mem.host[0x30005] == 1, "odd length status %u", mem.host[0x30005]);

	blk_req3(d, &q, 5, 1, UINT64_MAX / 512 + 1, 0x41000, 512, 0x30006);
	CHECK(mem.host[0x30006] == 1, "sector*512 overflow status %u", mem.host[0x30006]);

	blk_req3(d, &q, 8, 0, DISK_SECTORS, 0x41000, 0, 0x30007); /* empty read at the end */
	CHECK(mem.host[0x30007] == 0, "zero-length read at capacity status %u", mem.host[0x30007]);
	CHECK(used_idx(&q) == 8, "used idx %u", used_idx(&q));
	CHECK(!cl_virtio_failure(d), "bad requests failed the device: %s", cl_virtio_failure(d));
	cl_virtio_free(d);
}

static void t_blk_ro(void)
{
	struct gq q;
	struct cl_vm_dev *d = new_blk(true);

	wr(d, 0x014, 0);
	CHECK(rd(d, 0x010) & (1u << 5), "VIRTIO_BLK_F_RO not offered");
	negotiate(d, V1 | (1u << 5));
	queue_setup(d, &q, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	driver_ok(d);
	memset(mem.host + 0x20000, 'w', 512);
	blk_req3(d, &q, 0, 1, 0, 0x20000, 512, 0x30000);
	CHECK(mem.host[0x30000] == 1, "write to read-only disk status %u", mem.host[0x30000]);
	CHECK(disk_byte(0) == 'A', "read-only disk modified");
	blk_req3(d, &q, 3, 0, 0, 0x20000, 512, 0x30001);
	CHECK(mem.host[0x30001] == 0 && mem.host[0x20000] == 'A', "read from read-only disk");
	cl_virtio_free(d);
}

/* --overlay: the guest writes and reads back; the image stays as it was,
 * and no VM may write it meanwhile. */
static void t_blk_snapshot(void)
{
	struct cl_err e = {0};
	struct gq q;
	struct cl_vm_dev *d = cl_virtio_blk_new_snapshot(&mem, 0, 5, disk_path, &e), *w;

	CHECK(d, "%s", e.msg);
	if (!d)
		return;
	d->set_irq = set_irq;
	wr(d, 0x014, 0);
	CHECK(!(rd(d, 0x010) & (1u << 5)), "VIRTIO_BLK_F_RO offered");
	negotiate(d, V1);
	queue_setup(d, &q, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	driver_ok(d);
	memset(mem.host + 0x20000, 's', 1024);
	blk_req3(d, &q, 0, 1, 3, 0x20000, 1024, 0x30000); /* OUT sectors 3-4 */
	CHECK(mem.host[0x30000] == 0, "write status %u", mem.host[0x30000]);
	memset(mem.host + 0x40000, 0, 2048);
	blk_req3(d, &q, 3, 0, 2, 0x40000, 2048, 0x30001); /* IN sectors 2-5 */
	CHECK(mem.host[0x30001] == 0 && mem.host[0x40000] == 'A' + 2 &&
		  mem.host[0x40000 + 512] == 's' && mem.host[0x40000 + 1535] == 's' &&
		  mem.host[0x40000 + 1536] == 'A' + 5,
	      "read back through the snapshot");
	CHECK(disk_byte(3 * 512) == 'A' + 3 && disk_byte(5 * 512 - 1) == 'A' + 4,
	      "the image was written");
	w = cl_virtio_blk_new(&mem, 0x1000, 6, disk_path, false, &e);
	CHECK(!w && strstr(e.msg, "in use by another VM"), "a writer while a snapshot runs: %s",
	      e.msg);
	cl_virtio_free(w);
	cl_virtio_free(d);
}

/* Host-side failures become a status byte, never a device failure. */
static void t_blk_host_errors(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, 0, 8);

	if (truncate(disk_path, 8 * 512) < 0) /* the image shrinks under the VM */
		exit(1);
	blk_req3(d, &q, 0, 0, 20, 0x41000, 512, 0x30000);
	CHECK(mem.host[0x30000] == 1, "read past the shrunk end: status %u", mem.host[0x30000]);
	CHECK(used_len(&q, 0) == 1, "used len %u", used_len(&q, 0));
	blk_req3(d, &q, 3, 0, 2, 0x41000, 512, 0x30001);
	CHECK(mem.host[0x30001] == 0, "read inside: status %u", mem.host[0x30001]);
	CHECK(!cl_virtio_failure(d), "failed: %s", cl_virtio_failure(d));
	cl_virtio_free(d);
	if (truncate(disk_path, DISK_SECTORS * 512 + 100) < 0)
		exit(1);
	disk_fill();
}

/* 70000 requests on a 4-entry queue: avail and used indices wrap at 65536. */
static void t_blk_wrap(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, 0, 4);
	unsigned bad = 0;

	hdr(0x20000, 0, 9);
	desc(&q, 0, 0x20000, 16, F_NEXT, 1);
	desc(&q, 1, 0x41000, 512, F_NEXT | F_WRITE, 2);
	desc(&q, 2, 0x30000, 1, F_WRITE, 0);
	for (unsigned i = 0; i < 70000; i++) {
		mem.host[0x30000] = 0xff;
		submit(d, &q, 0);
		if (mem.host[0x30000] != 0 || used_idx(&q) != (uint16_t)(i + 1))
			bad++;
		wr(d, 0x064, 1);
	}
	CHECK(bad == 0, "%u requests went wrong", bad);
	CHECK(used_idx(&q) == (uint16_t)70000, "used idx %u", used_idx(&q));
	CHECK(!cl_virtio_failure(d), "failed: %s", cl_virtio_failure(d));
	cl_virtio_free(d);
}

static void t_event_idx(void)
{
	struct gq q;
	struct cl_vm_dev *d = blk_ready(&q, EVENT_IDX, 8);

	g16(Q_AVAIL + 4 + 2 * 8, 5); /* used_event: interrupt me after entry 5 */
	blk_req3(d, &q, 0, 0, 0, 0x41000, 512, 0x30000);
	CHECK(used_idx(&q) == 1 && irq_raises == 0, "interrupt despite used_event (raises %d)",
	      irq_raises);
	CHECK(r16(Q_USED + 4 + 8 * 8) == 1, "avail_event %u", r16(Q_USED + 4 + 8 * 8));
	g16(Q_AVAIL + 4 + 2 * 8, 1); /* the next one (used idx 1 -> 2) */
	blk_req3(d, &q, 3, 0, 0, 0x41000, 512, 0x30000);
	CHECK(irq_raises == 1, "no interrupt at used_event (raises %d)", irq_raises);
	cl_virtio_free(d);

	d = blk_ready(&q, 0, 8);
	g16(Q_AVAIL, 1); /* VIRTQ_AVAIL_F_NO_INTERRUPT */
	blk_req3(d, &q, 0, 0, 0, 0x41000, 512, 0x30000);
	CHECK(used_idx(&q) == 1 && irq_raises == 0, "interrupt despite NO_INTERRUPT");
	cl_virtio_free(d);
}

/* Requests queued before DRIVER_OK are served when it is set, not before. */
static void t_before_driver_ok(void)
{
	struct cl_vm_dev *d = new_blk(false);
	struct gq q;

	negotiate(d, V1);
	queue_setup(d, &q, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	blk_req3(d, &q, 0, 0, 0, 0x41000, 512, 0x30000);
	CHECK(used_idx(&q) == 0, "served before DRIVER_OK");
	driver_ok(d);
	CHECK(used_idx(&q) == 1 && mem.host[0x30000] == 0, "not served at DRIVER_OK");
	wr(d, 0x050, 7); /* notify of a queue that does not exist */
	wr(d, 0x050, 0xffffffff);
	CHECK(!cl_virtio_failure(d), "bogus notify failed the device");
	cl_virtio_free(d);
}

/* Devices made before guest RAM exists get it through attach. */
static void t_attach(void)
{
	struct cl_err e = {0};
	struct cl_vm_dev *d =
	    cl_virtio_blk_new(NULL, CL_VIRTIO_MMIO_BASE, 16, disk_path, false, &e);
	struct cl_vm_dev *other = NULL, *devs[2];
	struct cl_vm_config cfg = {0};
	struct gq q;

	CHECK(d, "%s", e.msg);
	if (!d)
		return;
	d->set_irq = set_irq;
	negotiate(d, V1);
	queue_setup(d, &q, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	CHECK(failed_with(d, "enabled before guest memory was attached"), "queue without memory");
	devs[0] = d;
	other = calloc(1, sizeof(*other));
	devs[1] = other;
	cfg.extra_devs = devs;
	cfg.n_extra_devs = 2;
	CHECK(cl_virtio_attach_devs(&cfg, &mem, &e) == 0, "attach");
	negotiate(d, V1);
	queue_setup(d, &q, 0, 8, Q_DESC, Q_AVAIL, Q_USED);
	driver_ok(d);
	blk_req3(d, &q, 0, 0, 1, 0x41000, 512, 0x30000);
	CHECK(mem.host[0x30000] == 0 && mem.host[0x41000] == 'B', "I/O after attach");
	cl_virtio_detach(d);
	blk_req3(d, &q, 3, 0, 1, 0x41000, 512, 0x30001);
	CHECK(mem.host[0x30001] == 0xff && used_idx(&q) == 1, "I/O after detach");
	CHECK(rd(d, 0x070) == 0 && rd(d, 0x044) == 0, "detached device still set up");
	free(other);
	cl_virtio_free(d);
}

int main(void)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mem.size = MEM_SIZE;
	mem.host = aligned_alloc(4096, MEM_SIZE);
	fd = mkstemp(disk_path);
	if (fd < 0 || ftruncate(fd, DISK_SECTORS * 512 + 100) < 0) { /* +100: partial sector */
		perror("disk image");
		return 1;
	}
	close(fd);
	disk_fill();

	run("mmio: identification registers and config space", t_probe);
	run("mmio: feature negotiation", t_features);
	run("mmio: slot convention, ACPI description, cmdline", t_slots);
	run("blk: constructor errors and image locking", t_blk_new_errors);
	run("blk: write then read back", t_blk_rw);
	run("blk: the device's I/O thread serves requests", t_blk_thread);
	run("blk: scattered header, data and status", t_blk_scatter);
	disk_fill();
	run("blk: indirect descriptors", t_blk_indirect);
	run("blk: flush, get-id, unsupported, out-of-range", t_blk_errors);
	run("blk: read-only disk", t_blk_ro);
	run("blk: snapshot (--overlay): writes stay in the VMM", t_blk_snapshot);
	run("blk: host I/O errors give IOERR", t_blk_host_errors);
	run("blk: 70000 requests wrap the ring indices", t_blk_wrap);
	run("blk: EVENT_IDX and NO_INTERRUPT suppress interrupts", t_event_idx);
	run("blk: queued before DRIVER_OK, bogus notify", t_before_driver_ok);
	run("attach: devices made before guest memory", t_attach);
	virtio_hostile_tests();
	virtio_console_tests();
	virtio_net_tests();
	virtio_vsock_tests();

	unlink(disk_path);
	free(mem.host);
	printf("1..%d\n", test_no);
	return failures_total ? 1 : 0;
}
