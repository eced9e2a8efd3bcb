/* A tiny AML (ACPI Machine Language) writer: just the terms the DSDT needs. */
#ifndef CL_VM_AML_H
#define CL_VM_AML_H

#include <stddef.h>
#include <stdint.h>

struct cl_aml {
	uint8_t *buf;
	size_t len, cap;
	int overflow;
};

void cl_aml_byte(struct cl_aml *a, uint8_t b);
void cl_aml_bytes(struct cl_aml *a, const void *p, size_t n);
/* Start a PkgLength-prefixed term after @op (one or two opcode bytes);
 * returns a mark for cl_aml_close(). */
size_t cl_aml_open(struct cl_aml *a, const uint8_t *op, size_t oplen);
void cl_aml_close(struct cl_aml *a, size_t mark);
void cl_aml_name(struct cl_aml *a, const char *seg4); /* NameOp + NameSeg */
void cl_aml_string(struct cl_aml *a, const char *s);
void cl_aml_integer(struct cl_aml *a, uint64_t v);
/* Resource descriptors, inside a Buffer. */
void cl_aml_res_mem32fixed(struct cl_aml *a, uint32_t base, uint32_t len);
void cl_aml_res_interrupt(struct cl_aml *a, uint32_t gsi, int level, int active_low);
void cl_aml_res_io(struct cl_aml *a, uint16_t port, uint8_t len);
void cl_aml_res_irq(struct cl_aml *a, unsigned irq);
void cl_aml_res_end(struct cl_aml *a);

#endif
