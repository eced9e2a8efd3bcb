/* --env-file FILE: docker's environment files.
 *
 * KEY=VALUE lines, '#' comments and blank lines skipped, a bare KEY takes
 * cloison's own value (skipped when unset); no quotes, no escapes, no
 * expansion: the value is the rest of the line.  Entries are kept apart from
 * -e/env ones, which win whatever their order (as docker does), and merged
 * into the environment at validation. */
#ifndef CL_SPEC_ENVFILE_H
#define CL_SPEC_ENVFILE_H

#include <stdio.h>

#include "spec/spec.h"

/* Reads @path into s->env_file (a later file's KEY replaces an earlier
 * one's); errors name PATH:LINE. */
int cl_env_file_read(struct cl_spec *s, const char *path, struct cl_err *err);
/* As profile lines: "env KEY=VALUE" for each entry -e does not override, so
 * the spec read back (run -d's record) has the same environment. */
void cl_env_file_show(const struct cl_spec *s, FILE *out);
/* The entries -e did not set, into s->env; the file list emptied. */
int cl_env_file_merge(struct cl_spec *s, struct cl_err *err);

#endif
