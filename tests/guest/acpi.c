/* Checks of the ACPI tables: RSDP -> XSDT -> FADT (hardware-reduced) ->
 * DSDT, MADT with one LAPIC per CPU and an IOAPIC, and every LNRO0005
 * (virtio-mmio) device the DSDT names answering with the virtio magic. */
#include "guest.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}
static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static int table_ok(const uint8_t *t, const char *sig)
{
	uint32_t len = rd32(t + 4);
	return !memcmp(t, sig, 4) && len >= 36 && len < (1u << 20) && sum8(t, len) == 0;
}

static int check_virtio(const uint8_t *dsdt, const char *cmdline)
{
	uint32_t len = rd32(dsdt + 4);
	unsigned found = 0;
	uint64_t want = cmdline_num(cmdline, "virtio", ~0ULL);

	for (uint32_t i = 36; i + 9 <= len; i++) {
		if (memcmp(dsdt + i, "LNRO0005", 9))
			continue;
		for (uint32_t j = i; j + 12 <= len; j++) {
			if (dsdt[j] == 0x86 && dsdt[j + 1] == 9 && dsdt[j + 2] == 0) {
				uint32_t base = rd32(dsdt + j + 4);
				if (mmio_read32(base) != 0x74726976)
					FAIL(50, "virtio-mmio device without the virtio magic");
				found++;
				break;
			}
		}
	}
	if (want != ~0ULL && found != want)
		FAIL(51, "number of virtio-mmio devices differs from virtio=N");
	puts_("testguest: virtio-mmio devices ok: ");
	putu(found);
	puts_("\n");
	return 0;
}

int check_acpi(const uint8_t *bp, const char *cmdline)
{
	const uint8_t *rsdp = (const uint8_t *)rd64(bp + 0x070), *xsdt, *fadt = 0, *madt = 0, *dsdt;
	unsigned cpus = 0, ioapics = 0;
	uint64_t want = cmdline_num(cmdline, "cpus", 1);

	if (!rsdp)
		FAIL(40, "boot_params.acpi_rsdp_addr is 0");
	if (memcmp(rsdp, "RSD PTR ", 8) || sum8(rsdp, 20) || rsdp[15] < 2 ||
	    rd32(rsdp + 20) != 36 || sum8(rsdp, 36))
		FAIL(41, "RSDP signature, revision or checksums wrong");
	xsdt = (const uint8_t *)rd64(rsdp + 24);
	if (!table_ok(xsdt, "XSDT"))
		FAIL(42, "XSDT signature, length or checksum wrong");
	for (uint32_t o = 36; o + 8 <= rd32(xsdt + 4); o += 8) {
		const uint8_t *t = (const uint8_t *)rd64(xsdt + o);
		if (!memcmp(t, "FACP", 4))
			fadt = t;
		if (!memcmp(t, "APIC", 4))
			madt = t;
	}
	if (!fadt || !table_ok(fadt, "FACP"))
		FAIL(43, "FADT missing or bad checksum");
	if (!(rd32(fadt + 112) & (1u << 20)))
		FAIL(44, "FADT is not hardware-reduced");
	dsdt = (const uint8_t *)(rd32(fadt + 4) >= 148 && rd64(fadt + 140) ? rd64(fadt + 140)
									   : rd32(fadt + 40));
	if (!table_ok(dsdt, "DSDT"))
		FAIL(45, "DSDT signature, length or checksum wrong");
	if (!madt || !table_ok(madt, "APIC"))
		FAIL(46, "MADT missing or bad checksum");
	for (uint32_t o = 44; o + 2 <= rd32(madt + 4) && madt[o + 1] >= 2; o += madt[o + 1]) {
		if (madt[o] == 0 && (rd32(madt + o + 4) & 1))
			cpus++;
		if (madt[o] == 9 && (rd32(madt + o + 8) & 1))
			cpus++;
		if (madt[o] == 1)
			ioapics++;
	}
	if (cpus != want)
		FAIL(47, "MADT CPU count differs from cpus=N");
	if (ioapics != 1)
		FAIL(48, "MADT does not list one IOAPIC");
	puts_("testguest: acpi ok (RSDP, XSDT, FADT, DSDT, MADT with ");
	putu(cpus);
	puts_(" CPUs)\n");
	return check_virtio(dsdt, cmdline);
}
