/* The spec's seccomp (issue 3: profiles and seccomp) part: its fields, defaults and validation. */
#ifndef CL_SPEC_SECCOMP_POLICY_H
#define CL_SPEC_SECCOMP_POLICY_H

struct cl_spec;
struct cl_err;

struct cl_seccomp_policy {
	int unused; /* filled by the seccomp (issue 3: profiles and seccomp) work */
};

void cl_seccomp_policy_init(struct cl_spec *s);
void cl_seccomp_policy_free(struct cl_spec *s);
int cl_seccomp_policy_validate(struct cl_spec *s, struct cl_err *err);

#endif
