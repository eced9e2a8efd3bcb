/* Hostile behaviours, chosen with hostile=NAME on the command line, that the
 * monitor must contain: stop with a clear error, or survive and let the
 * guest report (status 42 means "the monitor survived the flood"). */
#include "guest.h"

static int is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(name, want, len);
}

static void virtio_garbage(const uint8_t *bp)
{
	/* Every virtio-mmio device found by probing the MMIO window: set up
	 * queue 0 with rings outside RAM and a descriptor chain of garbage. */
	static uint8_t ring[3 * 4096] __attribute__((aligned(4096)));
	uint64_t *desc = (uint64_t *)ring;

	for (unsigned i = 0; i < 16; i++) {	     /* loop: next = itself */
		desc[2 * i] = 0xfffffffffff00000ULL; /* addr */
		desc[2 * i + 1] = 0xffffffffULL | (uint64_t)(1 | 2) << 32 |
				  (uint64_t)i << 48; /* len, NEXT|WRITE, next */
	}
	*(uint16_t *)(ring + 4096 + 2) = 0xffff; /* avail idx: far ahead */
	for (unsigned d = 0; d < 8; d++) {
		uint64_t base = 0xd0000000ULL + d * 0x1000;
		if (mmio_read32(base) != 0x74726976)
			continue;
		puts_("testguest: hostile: garbage to virtio device ");
		putu(d);
		puts_("\n");
		mmio_write32(base + 0x70, 0);	/* reset */
		mmio_write32(base + 0x70, 3);	/* ACKNOWLEDGE | DRIVER */
		mmio_write32(base + 0x70, 0xb); /* FEATURES_OK */
		for (unsigned q = 0; q < 2; q++) {
			mmio_write32(base + 0x30, q);
			mmio_write32(base + 0x38, 0xffff); /* bogus size */
			mmio_write32(base + 0x38, 16);
			mmio_write32(base + 0x80, q ? 0xfffff000 : (uint32_t)(uint64_t)ring);
			mmio_write32(base + 0x84, q ? 0xffffffff : 0);
			mmio_write32(base + 0x90, (uint32_t)(uint64_t)(ring + 4096));
			mmio_write32(base + 0x94, 0);
			mmio_write32(base + 0xa0, 0xfffffff0);
			mmio_write32(base + 0xa4, 0x7fffffff);
			mmio_write32(base + 0x44, 1);
		}
		mmio_write32(base + 0x70, 0xf); /* DRIVER_OK */
		for (unsigned q = 0; q < 4; q++)
			mmio_write32(base + 0x50, q);
		mmio_write32(base + 0x64, 0xffffffff);
		mmio_write32(base + 0x1000 - 4, 0xdeadbeef); /* past the registers */
	}
	(void)bp;
	guest_exit(42);
}

void hostile(const char *name, size_t len, const uint8_t *bp)
{
	puts_("testguest: hostile: ");
	for (size_t i = 0; i < len; i++) {
		char c[2] = {name[i], 0};
		puts_(c);
	}
	puts_("\n");

	if (is(name, len, "triplefault")) {
		struct __attribute__((packed)) {
			uint16_t l;
			uint64_t b;
		} idt = {0, 0};
		__asm__ volatile("lidt %0; ud2" : : "m"(idt));
	} else if (is(name, len, "pioflood")) {
		for (unsigned i = 0; i < 3000; i++) {
			uint16_t port = (uint16_t)(0x1000 + i * 7);
			outb(port, (uint8_t)i);
			outl(port & ~3, i);
			(void)inb(port);
			(void)inl(0xcfc);
		}
		outb(0x502, 1); /* next to the exit port: ignored */
		guest_exit(42);
	} else if (is(name, len, "mmioflood")) {
		for (unsigned i = 0; i < 2000; i++) {
			uint64_t a = 0xd8000000ULL + (uint64_t)i * 4096;
			mmio_write32(a, i);
			if (mmio_read32(a + 4) != 0xffffffff)
				guest_exit(41);
			(void)mmio_read32(0xfed00000ULL + (i & 0xff) * 4); /* HPET: absent */
		}
		guest_exit(42);
	} else if (is(name, len, "exitbyte")) {
		outb(0x501, 7);
	} else if (is(name, len, "exitword")) {
		outw(0x501, 7);
	} else if (is(name, len, "exitbig")) {
		outl(0x501, 0x12345);
	} else if (is(name, len, "hltcli")) {
		for (;;)
			__asm__ volatile("cli; hlt");
	} else if (is(name, len, "jumpwild")) {
		__asm__ volatile("jmp *%0" : : "r"(0xdead00000000beefULL));
	} else if (is(name, len, "jumpmmio")) {
		__asm__ volatile("jmp *%0" : : "r"(0xd8000000ULL));
	} else if (is(name, len, "panic")) {
		puts_("Kernel panic - not syncing: testguest hostile panic\n");
		__asm__ volatile("sti");
		for (;;)
			__asm__ volatile("pause");
	} else if (is(name, len, "reset")) {
		outb(0x64, 0xfe);
	} else if (is(name, len, "virtio")) {
		virtio_garbage(bp);
	} else {
		puts_("testguest: unknown hostile variant\n");
		return;
	}
	/* still here: the monitor did not stop us */
	puts_("testguest: hostile variant was not stopped\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}
