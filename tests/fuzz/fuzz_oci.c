/* libFuzzer target for the config.json parser (spec/oci*.c): any bytes
 * through json-c, then cl_oci_parse into a fresh spec, then both freed.
 * The parser reads no file (a relative root.path or bind source is only
 * joined to the bundle's path), so the bytes are the whole input. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spec/oci.h"
#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	struct cl_spec s;
	struct cl_oci o;
	struct cl_err err = {0};
	json_object *cfg;

	if (!tok)
		return 0;
	cfg = json_tokener_parse_ex(tok, (const char *)data,
				    (int)(size > INT32_MAX ? INT32_MAX : size));
	json_tokener_free(tok);
	if (!cfg)
		return 0;
	cl_spec_init(&s);
	memset(&o, 0, sizeof(o));
	o.config = cfg; /* cl_oci_free puts it */
	o.bundle = strdup("/fuzz/bundle");
	cl_oci_parse(cfg, "config.json", &s, &o, &err);
	cl_spec_free(&s);
	cl_oci_free(&o);
	return 0;
}
