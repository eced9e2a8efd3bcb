/* ACPI tables.  Debian's cloud kernel finds virtio-mmio devices only through
 * ACPI (no CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES) and CPUs/IOAPIC only through
 * the MADT (no CONFIG_X86_MPPARSE), so this is the machine's description:
 * the FADT says "hardware-reduced" (no PM blocks, no SCI, no legacy
 * firmware), the MADT lists one LAPIC per vCPU and the IOAPIC, and the DSDT
 * holds COM1 and one LNRO0005 (virtio-mmio) device per MMIO device. */
#include "vm/acpi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/error.h"
#include "vm/aml.h"
#include "vm/layout.h"

#define HDR_LEN 36

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, "CLOISN", 6);
	memcpy(t + 16, "CLOISON ", 8);
	put32(t + 24, 1);
	memcpy(t + 28, "CLSN", 4);
	put32(t + 32, 1);
}

static void finish(uint8_t *t)
{
	t[9] = 0;
	t[9] = checksum(t, get32(t + 4));
}

/* Generic Address Structure */
static void gas(uint8_t *p, uint8_t space, uint8_t bits, uint8_t access, uint64_t addr)
{
	p[0] = space;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;
	put64(p + 4, addr);
}

static size_t build_fadt(uint8_t *t, uint64_t dsdt)
{
	const uint32_t len = 276; /* revision 6 */

	header(t, "FACP", len, 6);
	t[45] = 0;					   /* preferred PM profile: unspecified */
	put16(t + 109, (1u << 2) | (1u << 3) | (1u << 5)); /* no VGA, no MSI, no CMOS RTC */
	/* WBINVD, no fixed power/sleep buttons, reset register, hardware-reduced */
	put32(t + 112, (1u << 0) | (1u << 4) | (1u << 5) | (1u << 10) | (1u << 20));
	gas(t + 116, 1 /* system I/O */, 8, 1, 0x64); /* i8042 reset */
	t[128] = 0xfe;
	t[131] = 0;	      /* FADT minor version */
	put64(t + 140, dsdt); /* X_DSDT */
	finish(t);
	return len;
}

static size_t build_madt(uint8_t *t, unsigned ncpus)
{
	size_t off = HDR_LEN + 8;

	put32(t + 36, (uint32_t)CL_LAPIC_ADDR);
	put32(t + 40, 1); /* PCAT_COMPAT: 8259s present (masked by the OS) */
	for (unsigned i = 0; i < ncpus; i++, off += 8) {
		t[off] = 0; /* processor local APIC */
		t[off + 1] = 8;
		t[off + 2] = (uint8_t)i; /* processor UID */
		t[off + 3] = (uint8_t)i; /* APIC id */
		put32(t + off + 4, 1);	 /* enabled */
	}
	t[off] = 1; /* I/O APIC */
	t[off + 1] = 12;
	t[off + 2] = (uint8_t)ncpus; /* IOAPIC id after the LAPICs */
	t[off + 3] = 0;
	put32(t + off + 4, (uint32_t)CL_IOAPIC_ADDR);
	put32(t + off + 8, 0);
	off += 12;
	t[off] = 2; /* interrupt source override: ISA IRQ 0 (PIT) is GSI 2 */
	t[off + 1] = 10;
	t[off + 2] = 0;
	t[off + 3] = 0;
	put32(t + off + 4, 2);
	put16(t + off + 8, 0); /* conforms to the bus: edge, active high */
	off += 10;
	t[off] = 4; /* local APIC NMI: all processors, LINT1 */
	t[off + 1] = 6;
	t[off + 2] = 0xff;
	put16(t + off + 3, 0);
	t[off + 5] = 1;
	off += 6;
	header(t, "APIC", (uint32_t)off, 5);
	finish(t);
	return off;
}

static void resource_template(struct cl_aml *a, struct cl_aml *res)
{
	static const uint8_t buffer_op = 0x11;
	size_t m;

	cl_aml_res_end(res);
	m = cl_aml_open(a, &buffer_op, 1);
	cl_aml_integer(a, res->len);
	cl_aml_bytes(a, res->buf, res->len);
	cl_aml_close(a, m);
}

static size_t build_dsdt(uint8_t *t, size_t cap, const struct cl_acpi_config *ac,
			 struct cl_err *err)
{
	static const uint8_t scope_op = 0x10, device_op[] = {0x5b, 0x82};
	struct cl_aml a = {.buf = t + HDR_LEN, .cap = cap - HDR_LEN};
	uint8_t rbuf[64];
	size_t sb, dev;

	sb = cl_aml_open(&a, &scope_op, 1);
	cl_aml_bytes(&a, "\\_SB_", 5);

	dev = cl_aml_open(&a, device_op, 2);
	cl_aml_bytes(&a, "COM1", 4);
	cl_aml_name(&a, "_HID");
	cl_aml_integer(&a, 0x0105d041); /* EISAID("PNP0501") */
	cl_aml_name(&a, "_UID");
	cl_aml_integer(&a, 0);
	cl_aml_name(&a, "_CRS");
	{
		struct cl_aml r = {.buf = rbuf, .cap = sizeof(rbuf)};

		cl_aml_res_io(&r, 0x3f8, 8);
		cl_aml_res_irq(&r, 4);
		resource_template(&a, &r);
	}
	cl_aml_close(&a, dev);

	for (unsigned i = 0; i < ac->nmmio; i++) {
		struct cl_aml r = {.buf = rbuf, .cap = sizeof(rbuf)};
		char name[8];

		snprintf(name, sizeof(name), "V%03X", i & 0xfff);
		dev = cl_aml_open(&a, device_op, 2);
		cl_aml_bytes(&a, name, 4);
		cl_aml_name(&a, "_HID");
		cl_aml_string(&a, "LNRO0005");
		cl_aml_name(&a, "_UID");
		cl_aml_integer(&a, i);
		cl_aml_name(&a, "_CCA"); /* cache-coherent DMA */
		cl_aml_integer(&a, 1);
		cl_aml_name(&a, "_CRS");
		cl_aml_res_mem32fixed(&r, (uint32_t)ac->mmio[i].base, (uint32_t)ac->mmio[i].len);
		cl_aml_res_interrupt(&r, ac->mmio[i].gsi, 1, 0);
		resource_template(&a, &r);
		cl_aml_close(&a, dev);
	}
	cl_aml_close(&a, sb);
	if (a.overflow) {
		cl_fail(err, 0, "ACPI DSDT does not fit in %zu bytes", cap);
		return 0;
	}
	header(t, "DSDT", (uint32_t)(HDR_LEN + a.len), 2);
	finish(t);
	return HDR_LEN + a.len;
}

int cl_acpi_build(uint8_t *area, uint64_t gpa, size_t size, const struct cl_acpi_config *ac,
		  uint64_t *rsdp, struct cl_err *err)
{
	size_t off = 64, xsdt, fadt, madt, dsdt, n;

	if (ac->ncpus == 0 || ac->ncpus > 254)
		return cl_fail(err, 0, "ACPI: %u CPUs cannot be described", ac->ncpus);
	if (size < 4096 + ac->ncpus * 8 + ac->nmmio * 128)
		return cl_fail(err, 0, "ACPI area too small");
	dsdt = off;
	n = build_dsdt(area + dsdt, size / 2, ac, err);
	if (!n)
		return -1;
	off = (dsdt + n + 15) & ~(size_t)15;
	fadt = off;
	off += (build_fadt(area + fadt, gpa + dsdt) + 15) & ~(size_t)15;
	madt = off;
	off += (build_madt(area + madt, ac->ncpus) + 15) & ~(size_t)15;
	xsdt = off;
	header(area + xsdt, "XSDT", HDR_LEN + 16, 1);
	put64(area + xsdt + HDR_LEN, gpa + fadt);
	put64(area + xsdt + HDR_LEN + 8, gpa + madt);
	finish(area + xsdt);

	/* RSDP, ACPI 2.0+: checksum over the first 20 bytes, extended over 36 */
	memcpy(area, "RSD PTR ", 8);
	memcpy(area + 9, "CLOISN", 6);
	area[15] = 2;
	put32(area + 16, 0);
	put32(area + 20, 36);
	put64(area + 24, gpa + xsdt);
	area[8] = checksum(area, 20);
	area[32] = checksum(area, 36);
	*rsdp = gpa;
	return 0;
}

static int write_file(const char *dir, const char *name, const uint8_t *p, size_t n,
		      struct cl_err *err)
{
	char path[4096];
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return cl_fail(err, errno, "cannot create %s", path);
	if (write(fd, p, n) != (ssize_t)n)
		return cl_fail(err, errno, "cannot write %s", path);
	return 0;
}

int cl_acpi_dump(const uint8_t *area, uint64_t gpa, size_t size, const char *dir,
		 struct cl_err *err)
{
	uint64_t xsdt = 0;
	uint32_t xlen;

	memcpy(&xsdt, area + 24, 8);
	if (write_file(dir, "RSDP", area, 36, err) < 0)
		return -1;
	if (xsdt < gpa || xsdt - gpa + HDR_LEN > size)
		return cl_fail(err, 0, "ACPI: XSDT outside the table area");
	xsdt -= gpa;
	xlen = get32(area + xsdt + 4);
	if (write_file(dir, "XSDT", area + xsdt, xlen, err) < 0)
		return -1;
	for (uint32_t o = HDR_LEN; o + 8 <= xlen; o += 8) {
		uint64_t t;
		char sig[5] = {0};

		memcpy(&t, area + xsdt + o, 8);
		t -= gpa;
		memcpy(sig, area + t, 4);
		if (write_file(dir, sig, area + t, get32(area + t + 4), err) < 0)
			return -1;
		if (!strcmp(sig, "FACP")) {
			uint64_t d;

			memcpy(&d, area + t + 140, 8);
			d -= gpa;
			if (write_file(dir, "DSDT", area + d, get32(area + d + 4), err) < 0)
				return -1;
		}
	}
	return 0;
}
