/* The test guest's virtio-net driver, just enough to check cloison's
 * device on PVM (where Linux cannot boot): "cloison run --vm --net bridge
 * -- testguest-net" sets the device up, sends an ARP request for the
 * gateway (the bridge's address, from the spec's gw= record) and waits for
 * the reply on the receive queue; "testguest-net-hostile" first sends a
 * packet shorter than its header (the device must fail, not the VMM),
 * resets the device and then does the same.  Polled: no interrupts. */
#include "guest.h"

#define VNET_BASE(d) (0xd0000000ULL + (d)*0x1000ULL)
#define QSZ	     8
#define HDR	     12

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct ring {
	struct desc desc[QSZ];
	uint16_t avail_flags, avail_idx, avail_ring[QSZ], used_event;
	uint8_t pad[4096 - QSZ * 16 - 4 - 2 * QSZ - 2];
	uint16_t used_flags, used_idx;
	struct {
		uint32_t id, len;
	} used[QSZ];
	uint16_t avail_event;
} __attribute__((aligned(4096)));

static struct ring rxq, txq;
static uint8_t rxbuf[QSZ][2048] __attribute__((aligned(64)));
static uint8_t txbuf[HDR + 64] __attribute__((aligned(64)));

/* The value of the spec record "@key=..." in the initrd's last 4 KiB. */
static int spec_value(const uint8_t *bp, const char *key, char *out, size_t len)
{
	uint64_t addr = *(const uint32_t *)(bp + 0x218), size = *(const uint32_t *)(bp + 0x21c);
	size_t kl = strlen(key);
	uint64_t from = size > 4096 ? size - 4096 : 0;

	for (uint64_t i = from + 1; addr && i + kl < size; i++) {
		const char *p = (const char *)(addr + i);
		size_t n = 0;

		if (p[-1] != 0 || memcmp(p, key, kl) || p[kl] != '=')
			continue;
		for (p += kl + 1; n + 1 < len && i + kl + 1 + n < size && p[n]; n++)
			out[n] = p[n];
		out[n] = 0;
		return 0;
	}
	return -1;
}

static int parse_ip(const char *s, uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, d = 0;

		while (*s >= '0' && *s <= '9' && d < 4)
			v = v * 10 + (unsigned)(*s++ - '0'), d++;
		if (!d || v > 255 || (i < 3 && *s++ != '.'))
			return -1;
		ip[i] = (uint8_t)v;
	}
	return 0;
}

static void put_ip(const uint8_t ip[4])
{
	for (int i = 0; i < 4; i++) {
		putu(ip[i]);
		if (i < 3)
			puts_(".");
	}
}

static uint64_t find_net(void)
{
	for (unsigned d = 0; d < 8; d++)
		if (mmio_read32(VNET_BASE(d)) == 0x74726976 && mmio_read32(VNET_BASE(d) + 8) == 1)
			return VNET_BASE(d);
	return 0;
}

static void queue(uint64_t base, unsigned q, struct ring *r)
{
	memset(r, 0, sizeof(*r));
	mmio_write32(base + 0x30, q);
	mmio_write32(base + 0x38, QSZ);
	mmio_write32(base + 0x80, (uint32_t)(uint64_t)r->desc);
	mmio_write32(base + 0x84, 0);
	mmio_write32(base + 0x90, (uint32_t)(uint64_t)&r->avail_flags);
	mmio_write32(base + 0x94, 0);
	mmio_write32(base + 0xa0, (uint32_t)(uint64_t)&r->used_flags);
	mmio_write32(base + 0xa4, 0);
	mmio_write32(base + 0x44, 1);
}

/* Reset, VERSION_1 only, both queues, receive buffers posted. */
static int setup(uint64_t base)
{
	mmio_write32(base + 0x70, 0);
	mmio_write32(base + 0x70, 1 | 2);
	mmio_write32(base + 0x24, 1);
	mmio_write32(base + 0x20, 1); /* VERSION_1 (bit 32) */
	mmio_write32(base + 0x24, 0);
	mmio_write32(base + 0x20, 0);
	mmio_write32(base + 0x70, 1 | 2 | 8);
	if (!(mmio_read32(base + 0x70) & 8))
		return -1;
	queue(base, 0, &rxq);
	queue(base, 1, &txq);
	for (unsigned i = 0; i < QSZ; i++) {
		rxq.desc[i] = (struct desc){(uint64_t)rxbuf[i], sizeof(rxbuf[i]), 2, 0};
		rxq.avail_ring[i] = (uint16_t)i;
	}
	__asm__ volatile("" ::: "memory");
	rxq.avail_idx = QSZ;
	mmio_write32(base + 0x70, 1 | 2 | 8 | 4);
	mmio_write32(base + 0x50, 0);
	return 0;
}

static void send(uint64_t base, uint32_t len)
{
	uint16_t slot = txq.avail_idx % QSZ;

	txq.desc[slot] = (struct desc){(uint64_t)txbuf, len, 0, 0};
	txq.avail_ring[slot] = slot;
	__asm__ volatile("" ::: "memory");
	txq.avail_idx++;
	mmio_write32(base + 0x50, 1);
}

/* ARP who-has @gw from @ip, then wait for the answer. */
static int arp(uint64_t base, const uint8_t ip[4], const uint8_t gw[4])
{
	uint8_t mac[6], *f = txbuf + HDR;
	uint16_t seen = 0;

	for (int i = 0; i < 6; i++)
		mac[i] = *(volatile uint8_t *)(base + 0x100 + i);
	memset(txbuf, 0, sizeof(txbuf));
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08, f[13] = 0x06;		    /* ARP */
	f[14] = 0, f[15] = 1, f[16] = 8, f[17] = 0; /* Ethernet, IPv4 */
	f[18] = 6, f[19] = 4, f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, ip, 4);
	memcpy(f + 38, gw, 4);
	for (unsigned try = 0; try < 5; try++) {
		send(base, HDR + 60);
		for (uint64_t spin = 0; spin < (1ULL << 26); spin++) {
			__asm__ volatile("pause" ::: "memory");
			while (seen != *(volatile uint16_t *)&rxq.used_idx) {
				unsigned id = rxq.used[seen % QSZ].id % QSZ;
				uint32_t len = rxq.used[seen % QSZ].len;
				const uint8_t *r = rxbuf[id] + HDR;

				seen++;
				if (len >= HDR + 42 && r[12] == 8 && r[13] == 6 && r[21] == 2 &&
				    !memcmp(r + 28, gw, 4) && !memcmp(r + 32, mac, 6)) {
					puts_("testguest: net: arp reply from ");
					put_ip(gw);
					puts_("\n");
					return 0;
				}
				/* give the buffer back */
				rxq.avail_ring[rxq.avail_idx % QSZ] = (uint16_t)id;
				__asm__ volatile("" ::: "memory");
				rxq.avail_idx++;
				mmio_write32(base + 0x50, 0);
			}
		}
	}
	return -1;
}

void net_test(const uint8_t *bp, int hostile)
{
	char ipv[40], gwv[40];
	uint8_t ip[4], gw[4];
	uint64_t base = find_net();

	if (!base) {
		puts_("testguest: FAIL: no virtio-net device\n");
		guest_exit(3);
	}
	if (spec_value(bp, "ip", ipv, sizeof(ipv)) < 0 ||
	    spec_value(bp, "gw", gwv, sizeof(gwv)) < 0 || parse_ip(ipv, ip) < 0 ||
	    parse_ip(gwv, gw) < 0) {
		puts_("testguest: FAIL: no ip= and gw= in the spec\n");
		guest_exit(4);
	}
	if (setup(base) < 0) {
		puts_("testguest: FAIL: FEATURES_OK refused\n");
		guest_exit(5);
	}
	if (hostile) {
		/* a packet shorter than its own header: the device fails itself */
		send(base, 4);
		for (uint64_t spin = 0; spin < (1ULL << 28); spin++)
			if (mmio_read32(base + 0x70) & 0x40)
				break;
		if (!(mmio_read32(base + 0x70) & 0x40)) {
			puts_("testguest: FAIL: no DEVICE_NEEDS_RESET after a short packet\n");
			guest_exit(6);
		}
		puts_("testguest: net: the device failed itself; resetting\n");
		if (setup(base) < 0) {
			puts_("testguest: FAIL: FEATURES_OK refused after the reset\n");
			guest_exit(5);
		}
	}
	if (arp(base, ip, gw) < 0) {
		puts_("testguest: FAIL: no ARP reply from the gateway\n");
		guest_exit(7);
	}
	guest_exit(hostile ? 42 : 0);
}
