/* The jail's cgroups: created under cloison's own cgroup, limits written,
 * the whole process joined, everything killed and removed at the end. */
#ifndef CL_NS_CGROUP_H
#define CL_NS_CGROUP_H

#include <sys/types.h>

#include "spec/spec.h"

struct cl_cgroup {
	int unused; /* filled by the cgroup work */
};

/* Before clone: create the context's cgroup(s) and write the limits. */
int cl_cgroup_create(const struct cl_spec *s, struct cl_cgroup *cg, struct cl_err *err);
/* After clone, before the child is released: move @pid (the whole process) in. */
int cl_cgroup_attach(struct cl_cgroup *cg, pid_t pid, struct cl_err *err);
/* At the end, on every path: kill what is left, remove what we created. */
void cl_cgroup_destroy(struct cl_cgroup *cg);

#endif
