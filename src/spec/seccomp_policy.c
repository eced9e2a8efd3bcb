/* The spec's seccomp (issue 3: profiles and seccomp) part: settings, defaults, validation. */
#include "spec/seccomp_policy.h"

#include "spec/settings.h"

void cl_seccomp_policy_init(struct cl_spec *s)
{
	(void)s;
}

void cl_seccomp_policy_free(struct cl_spec *s)
{
	(void)s;
}

int cl_seccomp_policy_validate(struct cl_spec *s, struct cl_err *err)
{
	(void)s;
	(void)err;
	return 0;
}

const struct cl_setting cl_settings_seccomp[] = {
	{ NULL, 0, 0, NULL, NULL, NULL },
};
