/* Profiles: the hand-written form of the spec (see cloison.profile(5)). */
#ifndef CL_SPEC_PROFILE_H
#define CL_SPEC_PROFILE_H

#include "spec/spec.h"

/* Find the profile @name_or_path (a path when it holds a slash, else
 * ./profiles, /etc/cloison/profiles, the installed share directory) and apply
 * its settings to @s in order.  Errors name FILE:LINE:. */
int cl_profile_apply(struct cl_spec *s, const char *name_or_path, struct cl_err *err);

#endif
