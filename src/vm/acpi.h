/* ACPI tables for a hardware-reduced machine: RSDP, XSDT, FADT, MADT, DSDT. */
#ifndef CL_VM_ACPI_H
#define CL_VM_ACPI_H

#include <stddef.h>
#include <stdint.h>

struct cl_err;

struct cl_acpi_mmio {
	uint64_t base, len;
	uint32_t gsi;
};

struct cl_acpi_config {
	unsigned ncpus;
	const struct cl_acpi_mmio *mmio; /* virtio-mmio devices */
	unsigned nmmio;
};

/* Write the tables into @area (guest physical @gpa, @size bytes, zeroed by
 * the caller), RSDP first.  Returns 0 and the RSDP address, or -1. */
int cl_acpi_build(uint8_t *area, uint64_t gpa, size_t size, const struct cl_acpi_config *ac,
		  uint64_t *rsdp, struct cl_err *err);
/* Write each table of an area built by cl_acpi_build() to DIR/<SIG>.dat. */
int cl_acpi_dump(const uint8_t *area, uint64_t gpa, size_t size, const char *dir,
		 struct cl_err *err);

#endif
