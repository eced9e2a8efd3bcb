/* The fourth front end: an OCI bundle's config.json (runtime-spec 1.x) into
 * the spec, with json-c.  What the spec cannot hold, and what cloison cannot
 * do, is an error naming the field ("config.json: linux.intelRdt: ..."),
 * never dropped.  The parts only the runtime itself uses (hooks,
 * annotations, the cgroup path, the handler) are in struct cl_oci. */
#ifndef CL_SPEC_OCI_H
#define CL_SPEC_OCI_H

#include <json-c/json.h>
#include <stdbool.h>

#include "spec/spec.h"

enum cl_oci_hook_kind {
	CL_HOOK_PRESTART,
	CL_HOOK_CREATE_RUNTIME,
	CL_HOOK_CREATE_CONTAINER,
	CL_HOOK_START_CONTAINER,
	CL_HOOK_POSTSTART,
	CL_HOOK_POSTSTOP,
	CL_HOOK_N
};

struct cl_oci_hook {
	char *path;
	char **args; /* NULL-terminated, or NULL: just the path */
	char **env;  /* NULL-terminated, or NULL: empty */
	int timeout; /* seconds, 0 = none */
};

struct cl_oci {
	json_object *config;	  /* the whole document */
	json_object *annotations; /* in @config, or NULL */
	char *bundle;		  /* its absolute path */
	char *cgroups_path;	  /* linux.cgroupsPath, or NULL */
	bool vm;		  /* annotation run.oci.handler=vm */
	struct cl_oci_hook *hooks[CL_HOOK_N];
	size_t n_hooks[CL_HOOK_N];
};

extern const char *const cl_oci_hook_names[CL_HOOK_N];

/* Reads @bundle/config.json into @s (initialised by the caller with
 * cl_spec_init) and @o.  @s is then validated as any spec. */
int cl_oci_load(const char *bundle, struct cl_spec *s, struct cl_oci *o, struct cl_err *err);
/* The same from a parsed document (fuzzing, `exec --process`): @where
 * prefixes the errors. */
int cl_oci_parse(json_object *config, const char *where, struct cl_spec *s, struct cl_oci *o,
		 struct cl_err *err);
/* An exec's process object (runc exec --process F) over a copy of the
 * container's spec: args, env, cwd, user, terminal, capabilities, rlimits,
 * noNewPrivileges. */
int cl_oci_process(json_object *process, const char *where, struct cl_spec *s, struct cl_err *err);
void cl_oci_free(struct cl_oci *o);

/* @o's member @key, NULL when absent or null. */
json_object *cl_oci_get(json_object *o, const char *key);

/* The capability names of a mask, as a JSON array ("CAP_CHOWN", ...). */
json_object *cl_oci_caps_json(uint64_t caps);

#endif
