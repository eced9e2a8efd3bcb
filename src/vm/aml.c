#include "vm/aml.h"

#include <string.h>

void cl_aml_bytes(struct cl_aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = 1;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void cl_aml_byte(struct cl_aml *a, uint8_t b)
{
	cl_aml_bytes(a, &b, 1);
}

size_t cl_aml_open(struct cl_aml *a, const uint8_t *op, size_t oplen)
{
	cl_aml_bytes(a, op, oplen);
	return a->len;
}

/* PkgLength counts itself: 1 byte up to 63, else a lead byte (count in bits
 * 7:6, low nibble of the length) and 1-3 more bytes. */
void cl_aml_close(struct cl_aml *a, size_t mark)
{
	size_t body = a->len - mark, n, total;
	uint8_t pl[4];

	if (a->overflow)
		return;
	if (body + 1 <= 63)
		n = 1;
	else if (body + 2 < (1u << 12))
		n = 2;
	else if (body + 3 < (1u << 20))
		n = 3;
	else
		n = 4;
	total = body + n;
	if (n == 1) {
		pl[0] = (uint8_t)total;
	} else {
		pl[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (size_t i = 1; i < n; i++)
			pl[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	if (n > a->cap - a->len) {
		a->overflow = 1;
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark, body);
	memcpy(a->buf + mark, pl, n);
	a->len += n;
}

void cl_aml_name(struct cl_aml *a, const char *seg4)
{
	cl_aml_byte(a, 0x08);
	cl_aml_bytes(a, seg4, 4);
}

void cl_aml_string(struct cl_aml *a, const char *s)
{
	cl_aml_byte(a, 0x0d);
	cl_aml_bytes(a, s, strlen(s) + 1);
}

void cl_aml_integer(struct cl_aml *a, uint64_t v)
{
	uint8_t b[8];
	size_t n;

	if (v == 0) {
		cl_aml_byte(a, 0x00);
		return;
	}
	if (v == 1) {
		cl_aml_byte(a, 0x01);
		return;
	}
	if (v <= 0xff) {
		cl_aml_byte(a, 0x0a);
		n = 1;
	} else if (v <= 0xffff) {
		cl_aml_byte(a, 0x0b);
		n = 2;
	} else if (v <= 0xffffffff) {
		cl_aml_byte(a, 0x0c);
		n = 4;
	} else {
		cl_aml_byte(a, 0x0e);
		n = 8;
	}
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	cl_aml_bytes(a, b, n);
}

static void le(struct cl_aml *a, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		cl_aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void cl_aml_res_mem32fixed(struct cl_aml *a, uint32_t base, uint32_t len)
{
	cl_aml_byte(a, 0x86);
	le(a, 9, 2);
	cl_aml_byte(a, 1); /* read-write */
	le(a, base, 4);
	le(a, len, 4);
}

void cl_aml_res_interrupt(struct cl_aml *a, uint32_t gsi, int level, int active_low)
{
	cl_aml_byte(a, 0x89); /* extended interrupt */
	le(a, 6, 2);
	/* consumer; bit 1: edge; bit 2: active low; exclusive */
	cl_aml_byte(a, (uint8_t)(0x01 | (level ? 0 : 0x02) | (active_low ? 0x04 : 0)));
	cl_aml_byte(a, 1);
	le(a, gsi, 4);
}

void cl_aml_res_io(struct cl_aml *a, uint16_t port, uint8_t len)
{
	cl_aml_byte(a, 0x47);
	cl_aml_byte(a, 1); /* 16-bit decode */
	le(a, port, 2);
	le(a, port, 2);
	cl_aml_byte(a, 1);
	cl_aml_byte(a, len);
}

void cl_aml_res_irq(struct cl_aml *a, unsigned irq)
{
	cl_aml_byte(a, 0x22); /* IRQNoFlags: edge, active high */
	le(a, 1u << irq, 2);
}

void cl_aml_res_end(struct cl_aml *a)
{
	cl_aml_byte(a, 0x79);
	cl_aml_byte(a, 0x00);
}
