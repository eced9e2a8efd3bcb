/* The jail's cgroups. */
#include "ns/cgroup.h"

int cl_cgroup_create(const struct cl_spec *s, struct cl_cgroup *cg, struct cl_err *err)
{
	(void)s;
	(void)cg;
	(void)err;
	return 0;
}

int cl_cgroup_attach(struct cl_cgroup *cg, pid_t pid, struct cl_err *err)
{
	(void)cg;
	(void)pid;
	(void)err;
	return 0;
}

void cl_cgroup_destroy(struct cl_cgroup *cg)
{
	(void)cg;
}
