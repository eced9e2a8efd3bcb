/* What the two halves of the config.json parser share: typed look-ups that
 * name the field they refuse. */
#ifndef CL_SPEC_OCI_INTERNAL_H
#define CL_SPEC_OCI_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/oci.h"

struct oci_ctx {
	const char *where; /* "config.json" or the file's path */
	struct cl_err *err;
};

/* "<where>: <field>: <message>"; returns -1. */
int cl_oci_bad(const struct oci_ctx *x, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Typed members: 0 when absent (out untouched), -1 (error named) when of
 * another type.  @field is the member's full path, for the message. */
int cl_oci_str(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       char **out);
int cl_oci_bool(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
		bool *out);
int cl_oci_i64(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       int64_t *out);
/* An unsigned integer up to UINT64_MAX; a negative one is refused. */
int cl_oci_u64(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       uint64_t *out);
int cl_oci_strv(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
		char ***out);
/* The member must be an object (or absent: NULL) / array. */
int cl_oci_obj(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       json_object **out);
int cl_oci_arr(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       json_object **out);

/* "rprivate" -> MS_PRIVATE | MS_REC; -1 when unknown. */
int cl_oci_propagation(const char *name, unsigned long *out);
/* A path inside the jail, made absolute; "..": refused. */
int cl_oci_jail_path(const struct oci_ctx *x, const char *field, const char *in, char **out);

/* linux.* (oci_linux.c) */
int cl_oci_linux(const struct oci_ctx *x, json_object *linux_, struct cl_spec *s, struct cl_oci *o);

#endif
