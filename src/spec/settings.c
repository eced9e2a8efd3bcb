/* Walking the settings tables, and the small parsers setters share. */
#include "spec/settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct cl_setting *const tables[] = {
    cl_settings_core,
    cl_settings_seccomp,
    cl_settings_resources,
    cl_settings_net,
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

const struct cl_setting *cl_settings_next(const struct cl_setting *prev)
{
	size_t t = 0;

	if (prev) {
		for (t = 0; t < N_TABLES; t++) {
			const struct cl_setting *first = tables[t], *p = first;
			while (p->name)
				p++;
			if (prev >= first && prev < p)
				break;
		}
		if (t == N_TABLES)
			return NULL;
		if ((++prev)->name)
			return prev;
		t++;
	}
	for (; t < N_TABLES; t++)
		if (tables[t][0].name)
			return &tables[t][0];
	return NULL;
}

const struct cl_setting *cl_settings_find(const char *name)
{
	for (const struct cl_setting *p = cl_settings_next(NULL); p; p = cl_settings_next(p))
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* The setting's position over all the tables: its bit in s->settings_used. */
static int setting_index(const struct cl_setting *set)
{
	int i = 0;

	for (const struct cl_setting *p = cl_settings_next(NULL); p; p = cl_settings_next(p), i++)
		if (p == set)
			return i < CL_SPEC_MAX_SETTINGS ? i : -1;
	return -1;
}

int cl_setting_set(const struct cl_setting *set, struct cl_spec *s, const char *value,
		   struct cl_err *err)
{
	int i = setting_index(set);

	if (set->set(s, value, err) < 0)
		return -1;
	if (i < 0) /* more settings than the bitmap holds: a build error, fail closed */
		return cl_fail(err, 0, "internal error: setting '%s' has no bit in settings_used",
			       set->name);
	s->settings_used[i / 64] |= 1ULL << (i % 64);
	return 0;
}

const struct cl_setting *cl_settings_unsupported(const struct cl_spec *s)
{
	int i = 0;

	for (const struct cl_setting *p = cl_settings_next(NULL); p && i < CL_SPEC_MAX_SETTINGS;
	     p = cl_settings_next(p), i++)
		if ((s->settings_used[i / 64] >> (i % 64) & 1) &&
		    !(p->backends & (1u << s->backend)))
			return p;
	return NULL;
}

int cl_setting_apply(const struct cl_setting *set, struct cl_spec *s, const char *value,
		     const char *where, struct cl_err *err)
{
	if (!(set->flags & CL_SETTING_FLAG) && !value)
		return cl_fail(err, 0, "%s: '%s' needs a value (%s)", where, set->name, set->value);
	if (cl_setting_set(set, s, value, err) < 0)
		return cl_wrap(err, "%s", where);
	return 0;
}

int cl_setting_bool(const char *value, bool *out, struct cl_err *err)
{
	static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
										    "off", "0"};

	if (!value) {
		*out = true;
		return 0;
	}
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(value, yes[i]) == 0)
			return *out = true, 0;
		if (strcasecmp(value, no[i]) == 0)
			return *out = false, 0;
	}
	return cl_fail(err, 0, "invalid value '%s': expected true or false", value);
}

int cl_setting_uint(const char *value, unsigned long min, unsigned long max, unsigned long *out,
		    struct cl_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!value[0] || value[0] == '-' || value[0] == '+' || value[0] == ' ')
		goto bad;
	v = strtoul(value, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	return cl_fail(err, 0, "invalid value '%s': expected a whole number from %lu to %lu", value,
		       min, max);
}

int cl_setting_replace(char **field, const char *value, struct cl_err *err)
{
	char *d = strdup(value);

	if (!d)
		return cl_fail(err, ENOMEM, "out of memory");
	free(*field);
	*field = d;
	return 0;
}

/* Levenshtein distance, case-insensitive, for short names only. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64];

	if (la >= 63 || lb >= 63)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = (a[i - 1] | 0x20) == (b[j - 1] | 0x20) ? 0 : 1;
			size_t best = diag + cost;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (up + 1 < best)
				best = up + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *cl_nearest(const char *word, const char *const *names)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, limit = strlen(word) / 3 + 1;

	for (size_t i = 0; names[i]; i++) {
		size_t d = distance(word, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best_d <= limit && best_d > 0 ? best : NULL;
}

const char *cl_settings_nearest(const char *word)
{
	const char *names[256];
	size_t n = 0;

	for (const struct cl_setting *p = cl_settings_next(NULL); p && n < 255;
	     p = cl_settings_next(p))
		names[n++] = p->name;
	names[n] = NULL;
	return cl_nearest(word, names);
}
