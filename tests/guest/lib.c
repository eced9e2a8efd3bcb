/* Freestanding helpers: memory/string functions gcc may call, UART output
 * (polled, so no interrupts are needed), the exit and marker ports. */
#include "guest.h"

#define COM1	    0x3f8
#define PORT_EXIT   0x501
#define PORT_MARKER 0x504

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}
void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}
size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void putc_(char c)
{
	for (int i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(COM1, (uint8_t)c);
}
void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}
void putx(uint64_t v)
{
	char b[19];
	int i = 18;
	b[i] = 0;
	do {
		b[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	b[--i] = 'x';
	b[--i] = '0';
	puts_(b + i);
}
void putu(uint64_t v)
{
	char b[21];
	int i = 20;
	b[i] = 0;
	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_(b + i);
}
uint8_t sum8(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

const char *cmdline_arg(const char *c, const char *key, size_t *len)
{
	size_t kl = strlen(key);
	if (!c)
		return NULL;
	while (*c) {
		while (*c == ' ')
			c++;
		const char *w = c;
		while (*c && *c != ' ')
			c++;
		if ((size_t)(c - w) > kl && !memcmp(w, key, kl) && w[kl] == '=') {
			*len = (size_t)(c - w) - kl - 1;
			return w + kl + 1;
		}
	}
	return NULL;
}
uint64_t cmdline_num(const char *c, const char *key, uint64_t dflt)
{
	size_t n;
	const char *v = cmdline_arg(c, key, &n);
	uint64_t r = 0;
	if (!v || !n)
		return dflt;
	for (size_t i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++)
		r = r * 10 + (uint64_t)(v[i] - '0');
	return r;
}

void mark(uint8_t m)
{
	outb(PORT_MARKER, m);
}
void guest_exit(uint32_t status)
{
	outl(PORT_EXIT, status);
	for (;;)
		__asm__ volatile("cli; hlt");
}
