/* --env-file: docker's environment file format (see envfile.h). */
#include "spec/envfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* The index of @kv's KEY in @v (n entries), or -1. */
static ssize_t find_key(char *const *v, size_t n, const char *kv)
{
	size_t klen = strcspn(kv, "=") + 1;

	for (size_t i = 0; i < n; i++)
		if (!strncmp(v[i], kv, klen))
			return (ssize_t)i;
	return -1;
}

static int add(struct cl_spec *s, char *kv, struct cl_err *err)
{
	ssize_t i = find_key(s->env_file, s->n_env_file, kv);
	char **nv;

	if (i >= 0) {
		free(s->env_file[i]);
		s->env_file[i] = kv;
		return 0;
	}
	if (!(nv = realloc(s->env_file, (s->n_env_file + 2) * sizeof(*nv)))) {
		free(kv);
		return cl_fail(err, ENOMEM, "out of memory");
	}
	s->env_file = nv;
	nv[s->n_env_file++] = kv;
	nv[s->n_env_file] = NULL;
	return 0;
}

/* One line (its newline gone): 0 and *@kv NULL when it says nothing. */
static int parse_line(char *line, size_t len, char **kv, const char *where, struct cl_err *err)
{
	char *p = line, *eq;

	*kv = NULL;
	if (strlen(line) != len)
		return cl_fail(err, 0, "%s: a NUL byte (not text)", where);
	if (len && line[len - 1] == '\r') /* as docker: CRLF files read as LF ones */
		line[--len] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	eq = strchr(p, '=');
	size_t klen = eq ? (size_t)(eq - p) : strlen(p);
	if (!klen)
		return cl_fail(err, 0, "%s: no variable name before '=' (the format is KEY=VALUE)",
			       where);
	for (size_t i = 0; i < klen; i++)
		if (!isgraph((unsigned char)p[i]))
			return cl_fail(err, 0,
				       "%s: invalid variable name '%.*s': no spaces or control "
				       "characters in a name (the format is KEY=VALUE, no quotes)",
				       where, (int)klen, p);
	if (eq) {
		*kv = strdup(p);
	} else {
		/* a bare KEY: cloison's own value, nothing when unset */
		const char *v = getenv(p);
		if (v && asprintf(kv, "%s=%s", p, v) < 0)
			*kv = NULL;
		else if (!v)
			return 0;
	}
	return *kv ? 0 : cl_fail(err, ENOMEM, "out of memory");
}

int cl_env_file_read(struct cl_spec *s, const char *path, struct cl_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned lineno = 0;

	if (!f)
		return cl_fail(err, errno, "cannot open %s", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		char where[4096 + 32], *kv;
		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		/* a UTF-8 byte order mark, as docker skips it */
		char *start = line;
		if (lineno == 1 && !strncmp(start, "\xef\xbb\xbf", 3)) {
			start += 3;
			n -= 3;
		}
		snprintf(where, sizeof(where), "%s:%u", path, lineno);
		if (parse_line(start, (size_t)n, &kv, where, err) < 0)
			return -1;
		if (kv && add(s, kv, err) < 0)
			return -1;
	}
	if (ferror(f))
		return cl_fail(err, errno, "cannot read %s", path);
	return 0;
}

void cl_env_file_show(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->n_env_file; i++)
		if (find_key(s->env, s->n_env, s->env_file[i]) < 0)
			fprintf(out, "env %s\n", s->env_file[i]);
}

int cl_env_file_merge(struct cl_spec *s, struct cl_err *err)
{
	for (size_t i = 0; i < s->n_env_file; i++)
		if (find_key(s->env, s->n_env, s->env_file[i]) < 0 &&
		    cl_spec_add_env(s, s->env_file[i], err) < 0)
			return -1;
	cl_strv_free(s->env_file);
	s->env_file = NULL;
	s->n_env_file = 0;
	return 0;
}
