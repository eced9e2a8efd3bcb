/* The OCI runtime-spec's linux.seccomp object (config.json) as the spec's
 * seccomp policy (spec/seccomp_policy.h). */
#ifndef CL_SPEC_OCI_SECCOMP_H
#define CL_SPEC_OCI_SECCOMP_H

#include <json-c/json.h>

#include "spec/spec.h"

/* Replaces @s->seccomp's policy with @seccomp's: base CL_SC_BASE_CUSTOM,
 * default_action (defaultAction, defaultErrnoRet), abis (architectures),
 * flags, rules (syscalls, in order, cl_sc_rules_add()'s semantics),
 * listener_path and listener_metadata.  @seccomp NULL (no linux.seccomp):
 * CL_SC_BASE_UNCONFINED, as runc and crun.  Leaves learn, state_id and
 * state_bundle alone.  Unknown system call names are skipped (profiles name
 * calls newer than libseccomp); unknown action, architecture, operator and
 * flag names, wrong types and out-of-range numbers fail with an error that
 * names the member: "@where: linux.seccomp.syscalls[3].action: ...".
 * Unknown members are ignored, as the runtime-spec requires.  On failure
 * @s->seccomp is unchanged. */
int cl_oci_seccomp(json_object *seccomp, struct cl_spec *s, const char *where, struct cl_err *err);

#endif
