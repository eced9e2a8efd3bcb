/* The OCI hooks run by the container's own process (createContainer,
 * startContainer); the runtime's own (prestart, createRuntime, poststart,
 * poststop) are cli/oci_hooks.c's. */
#ifndef CL_NS_OCI_HOOKS_H
#define CL_NS_OCI_HOOKS_H

#include "spec/oci.h"
#include "spec/spec.h"

/* Before pivot_root: remembers our pid as the host sees it, for the state
 * the hooks get. */
void cl_oci_hooks_note_pid(void);
/* Runs s->oci's hooks of @kind (0 when none), the state (@status) on their
 * stdin, each bounded by its timeout. */
int cl_oci_hooks_in_jail(const struct cl_spec *s, enum cl_oci_hook_kind kind, const char *status,
			 struct cl_err *err);

#endif
