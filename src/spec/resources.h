/* The spec's cgroup limits (issue 4) part: its fields, defaults and validation. */
#ifndef CL_SPEC_RESOURCES_H
#define CL_SPEC_RESOURCES_H

struct cl_spec;
struct cl_err;

struct cl_resources {
	int unused; /* filled by the cgroup limits (issue 4) work */
};

void cl_resources_init(struct cl_spec *s);
void cl_resources_free(struct cl_spec *s);
int cl_resources_validate(struct cl_spec *s, struct cl_err *err);

#endif
