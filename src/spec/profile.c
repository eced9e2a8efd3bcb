/* Profiles: parsing, includes, search path. */
#include "spec/profile.h"

int cl_profile_apply(struct cl_spec *s, const char *name_or_path, struct cl_err *err)
{
	(void)s;
	return cl_fail(err, 0, "profile %s: profiles are not supported yet", name_or_path);
}
