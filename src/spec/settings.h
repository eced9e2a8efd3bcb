/* Settings: the one table that both front ends share.
 *
 * A setting is one thing a person can say about a jail.  It has a single name
 * that is both the profile key ("memory 64M") and the long option
 * ("--memory 64M"), a single parser (set) that fills one spec field, and a
 * printer (show) that writes the profile lines reproducing the current value,
 * so `cloison profile show` output can be saved and read back.
 *
 * Each concern owns its table (core here, seccomp, resources, network in
 * their own files); cl_settings_find() and cl_settings_next() walk them all. */
#ifndef CL_SPEC_SETTINGS_H
#define CL_SPEC_SETTINGS_H

#include <stdbool.h>
#include <stdio.h>

#include "spec/spec.h"

enum {
	CL_SETTING_FLAG = 1 << 0,     /* a switch: "--name" / a bare "name" line; value NULL,
				       * or "true"/"false" (also yes/no, on/off, 1/0) */
	CL_SETTING_REPEAT = 1 << 1,   /* each use adds (bind, env, ...) instead of replacing */
	CL_SETTING_CLI_ONLY = 1 << 2, /* not allowed in a profile (e.g. vm-only run modes) */
};

/* The back ends that honour a setting (1 << enum cl_backend). */
#define CL_BE_NS  (1u << CL_BACKEND_NS)
#define CL_BE_VM  (1u << CL_BACKEND_VM)
#define CL_BE_ALL (CL_BE_NS | CL_BE_VM)

struct cl_setting {
	const char *name; /* profile key and long option */
	char short_opt;	  /* CLI short letter, or 0 */
	unsigned flags;
	const char *value; /* what the value looks like, for messages: "SIZE" */
	/* Parse @value into the spec; NULL for a bare flag.  Errors say what was
	 * expected; the caller adds where (FILE:LINE: or --name). */
	int (*set)(struct cl_spec *s, const char *value, struct cl_err *err);
	/* Write the lines ("name value\n", one per item for REPEAT) that give the
	 * spec's current value; write nothing when it is the default. */
	void (*show)(const struct cl_spec *s, FILE *out);
	/* CL_BE_*: where the setting means something.  cl_spec_validate()
	 * refuses a setting given (on the command line or in a profile) for a
	 * back end not listed here, naming it; value checks that depend on the
	 * back end (--bind needs :ro with --vm...) stay in the validators. */
	unsigned backends;
};

/* The tables, each ended by an entry with name == NULL. */
extern const struct cl_setting cl_settings_core[];
extern const struct cl_setting cl_settings_seccomp[];
extern const struct cl_setting cl_settings_resources[];
extern const struct cl_setting cl_settings_net[];

const struct cl_setting *cl_settings_find(const char *name);
/* Iterate over every setting: pass NULL first, then the previous result. */
const struct cl_setting *cl_settings_next(const struct cl_setting *prev);

/* Set @value through @set->set and record in @s that the setting was given
 * (for the back-end check); the profile parser and the CLI both use it. */
int cl_setting_set(const struct cl_setting *set, struct cl_spec *s, const char *value,
		   struct cl_err *err);
/* The first setting given to @s that its back end cannot honour, or NULL. */
const struct cl_setting *cl_settings_unsupported(const struct cl_spec *s);

/* Apply @value to @s through @set, wrapping an error with @where (e.g.
 * "--memory" or "web.profile:3"). */
int cl_setting_apply(const struct cl_setting *set, struct cl_spec *s, const char *value,
		     const char *where, struct cl_err *err);

/* Shared parsers for setters. */
int cl_setting_bool(const char *value, bool *out, struct cl_err *err);
int cl_setting_uint(const char *value, unsigned long min, unsigned long max, unsigned long *out,
		    struct cl_err *err);
int cl_setting_replace(char **field, const char *value, struct cl_err *err);

/* Nearest name in @names (NULL-terminated) to @word by edit distance, for
 * "did you mean ...?" hints; NULL when nothing is close. */
const char *cl_nearest(const char *word, const char *const *names);
/* Same over the setting names. */
const char *cl_settings_nearest(const char *word);

#endif
