/* JSON values of the figures cloison reports (json-c): an unknown figure,
 * kept negative in C, is null. */
#ifndef CL_UTIL_JSON_H
#define CL_UTIL_JSON_H

#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>

static inline json_object *cl_json_int(int64_t v)
{
	return v < 0 ? NULL : json_object_new_int64(v);
}

/* Printed with @decimals digits (0.43, not 0.42883701299999999). */
static inline json_object *cl_json_fixed(double v, int decimals)
{
	char buf[32];

	if (v < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return json_object_new_double_s(v, buf);
}

#endif
