/* The simulated guest driver and TAP helpers shared by the virtio unit tests
 * (test_virtio*.c): a plain buffer stands in for guest RAM, the functions
 * below play the driver through the MMIO register handlers. */
#ifndef CL_TEST_VIRTIO_GUEST_H
#define CL_TEST_VIRTIO_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vm/dev/virtio_mmio.h"
#include "vm/virtio.h"
#include "vm/vm.h"

#define CL_VIRTIO_MMIO_BASE CL_VM_MMIO_BASE

#define MEM_SIZE     (2u << 20)
#define Q_DESC	     0x1000
#define Q_AVAIL	     0x2000
#define Q_USED	     0x3000
#define Q1_DESC	     0x4000
#define Q1_AVAIL     0x5000
#define Q1_USED	     0x6000
#define BUF	     0x10000 /* data buffers from here */
#define IND	     0x8000  /* indirect tables */
#define DISK_SECTORS 64

#define F_NEXT	   1
#define F_WRITE	   2
#define F_INDIRECT 4

#define V1	  (1ull << CL_VIRTIO_F_VERSION_1)
#define INDIRECT  (1ull << CL_VIRTIO_F_INDIRECT_DESC)
#define EVENT_IDX (1ull << CL_VIRTIO_F_EVENT_IDX)

extern struct cl_vm_mem mem;
extern int irq_level, irq_raises;
extern char disk_path[];
extern int test_no, failures_total, cur_fail;

/* ---- TAP ---- */
#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("#   %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);        \
			printf(__VA_ARGS__);                                                       \
			printf("\n");                                                              \
			cur_fail++;                                                                \
		}                                                                                  \
	} while (0)

/* A guest-side queue. */
struct gq {
	unsigned idx;
	uint16_t num;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
};

void run(const char *name, void (*fn)(void));
void g16(uint64_t a, uint16_t v);
void g32(uint64_t a, uint32_t v);
void g64(uint64_t a, uint64_t v);
uint16_t r16(uint64_t a);
uint32_t r32(uint64_t a);
uint32_t rd(struct cl_vm_dev *d, uint64_t off);
void wr(struct cl_vm_dev *d, uint64_t off, uint32_t v);
void set_irq(struct cl_vm_dev *d, int level);
void desc(const struct gq *q, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
	  uint16_t next);
void idesc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next);
void submit(struct cl_vm_dev *d, struct gq *q, uint16_t head);
uint16_t used_idx(const struct gq *q);
uint32_t used_len(const struct gq *q, uint16_t i);
uint32_t used_id(const struct gq *q, uint16_t i);
bool negotiate(struct cl_vm_dev *d, uint64_t want);
void queue_setup(struct cl_vm_dev *d, struct gq *q, unsigned idx, uint32_t num, uint64_t dsc,
		 uint64_t avail, uint64_t used);
void driver_ok(struct cl_vm_dev *d);
struct cl_vm_dev *new_blk(bool ro);
struct cl_vm_dev *blk_ready(struct gq *q, uint64_t f, uint16_t num);
void hdr(uint64_t a, uint32_t type, uint64_t sector);
void blk_req3(struct cl_vm_dev *d, struct gq *q, uint16_t h, uint32_t type, uint64_t sector,
	      uint64_t data, uint32_t len, uint64_t status);
bool failed_with(struct cl_vm_dev *d, const char *what);
void disk_fill(void);
int disk_byte(uint64_t off);

/* Test groups of the other files. */
void virtio_hostile_tests(void);
void virtio_console_tests(void);
void virtio_net_tests(void);
void virtio_vsock_tests(void);

#endif
