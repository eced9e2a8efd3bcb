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

/* One hook (hooks.@kind[@i]): forked and exec'd with @state on its stdin,
 * waited for (bounded by its timeout); its failure is the error. */
int cl_oci_hook_run(const struct cl_oci_hook *h, const char *kind, size_t i, const char *state,
		    struct cl_err *err);

#endif
