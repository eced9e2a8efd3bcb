/* Profiles: the hand-written form of the spec (see cloison.profile(5)).
 *
 * A profile is a text file with one setting per line ("hostname web",
 * "read-only", "deny ptrace"), comments (#), and "include OTHER".  Every key
 * is a setting of spec/settings.h, applied in order: later lines override
 * earlier ones, and CLI flags applied afterwards override the profile. */
#ifndef CL_SPEC_PROFILE_H
#define CL_SPEC_PROFILE_H

#include <stdio.h>

#include "spec/spec.h"

#define CL_PROFILE_MAX_LINE  4096      /* bytes, newline excluded */
#define CL_PROFILE_MAX_SIZE  (1 << 20) /* bytes per file */
#define CL_PROFILE_MAX_DEPTH 16	       /* nested includes */
#define CL_PROFILE_MAX_FILES 256       /* files read in all, includes included */

enum {
	CL_PROFILE_NO_INCLUDE = 1 << 0, /* "include" is an error (the fuzzer) */
};

/* Find the profile @name_or_path (a path when it holds a slash, else
 * NAME.profile in /etc/cloison/profiles, the installed share directory, then
 * the checkout's profiles/ of an uninstalled build: never the current
 * directory) and apply its settings to @s in order.  Errors name FILE:LINE:. */
int cl_profile_apply(struct cl_spec *s, const char *name_or_path, struct cl_err *err);

/* Apply the profile text @text (@len bytes, NULs included), called @name in
 * messages.  Relative includes are looked up next to @name. */
int cl_profile_apply_text(struct cl_spec *s, const char *name, const char *text, size_t len,
			  unsigned flags, struct cl_err *err);

/* The search path for profile names, NULL-terminated. */
const char *const *cl_profile_dirs(void);

/* Resolve @name_or_path as cl_profile_apply() does; *@path is malloc'ed. */
int cl_profile_find(const char *name_or_path, char **path, struct cl_err *err);

/* Print @s as profile lines: every setting whose value is not the default. */
void cl_profile_print(const struct cl_spec *s, FILE *out);

#endif
