/* cloison's freestanding test guest: shared helpers. */
#ifndef TESTGUEST_H
#define TESTGUEST_H

#include <stddef.h>
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
void puts_(const char *s);
void putx(uint64_t v);
void putu(uint64_t v);
uint8_t sum8(const void *p, size_t n);
/* Value of "key=" on the command line, or NULL; *len set to its length. */
const char *cmdline_arg(const char *cmdline, const char *key, size_t *len);
uint64_t cmdline_num(const char *cmdline, const char *key, uint64_t dflt);
void guest_exit(uint32_t status) __attribute__((noreturn));
void mark(uint8_t m);

/* checks.c / acpi.c: 0 = pass, else a failure code */
int check_zero_page(const uint8_t *bp);
int check_cpu(const uint8_t *bp);
int check_acpi(const uint8_t *bp, const char *cmdline);
/* main.c: bench=MODE from the command line or the patched-in tg_args */
const char *bench_arg(const char *cmdline, size_t *len);
void bench(const char *mode, size_t len) __attribute__((noreturn));
/* net.c: the virtio-net check (ARP to the gateway); exits */
void net_test(const uint8_t *bp, int hostile) __attribute__((noreturn));
/* hostile.c: runs the variant; returns only for unknown names */
void hostile(const char *name, size_t len, const uint8_t *bp);

#define FAIL(code, msg)                                                                            \
	do {                                                                                       \
		puts_("testguest: FAIL: ");                                                        \
		puts_(msg);                                                                        \
		puts_("\n");                                                                       \
		return (code);                                                                     \
	} while (0)

#endif
