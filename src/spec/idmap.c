#include "spec/idmap.h"

#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

int cl_subid_lookup(const char *file, const char *name, unsigned long id, uint32_t *start,
		    uint32_t *count)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[256], idstr[32];

	if (!f)
		return -1;
	snprintf(idstr, sizeof(idstr), "%lu", id);
	while (fgets(line, sizeof(line), f)) {
		char *who = strtok(line, ":\n"), *s = strtok(NULL, ":\n"), *c = strtok(NULL, ":\n");
		if (!who || !s || !c)
			continue;
		if ((name && strcmp(who, name) == 0) || strcmp(who, idstr) == 0) {
			unsigned long vs = strtoul(s, NULL, 10), vc = strtoul(c, NULL, 10);
			if (vc == 0 || vs > UINT32_MAX || vc > UINT32_MAX - vs)
				continue;
			*start = vs;
			*count = vc;
			return 0;
		}
	}
	return -1;
}

static void set_map(struct cl_idmap *m, size_t *n, uint32_t in, uint32_t out, uint32_t count)
{
	m[*n] = (struct cl_idmap){.inside = in, .outside = out, .count = count};
	(*n)++;
}

/* How many ids from 0 up @file (/proc/self/uid_map) maps without a gap,
 * or 0 when it maps them all (the initial user namespace's "0 0
 * 4294967295") or cannot be read. */
static uint32_t mapped_from_zero(const char *file)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	unsigned long in, out, count;
	struct cl_idmap m[340];
	size_t n = 0;
	uint64_t next = 0;
	bool grew = true;

	if (!f)
		return 0;
	while (n < sizeof(m) / sizeof(m[0]) && fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3) {
		if (in == 0 && out == 0 && count == 4294967295UL)
			return 0;
		m[n++] = (struct cl_idmap){(uint32_t)in, (uint32_t)out, (uint32_t)count};
	}
	while (grew) {
		grew = false;
		for (size_t i = 0; i < n; i++)
			if (m[i].inside == next && m[i].count) {
				next += m[i].count;
				grew = true;
			}
	}
	return next > UINT32_MAX ? UINT32_MAX : (uint32_t)next;
}

int cl_idmap_default(struct cl_spec *s, struct cl_err *err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct passwd *pw = getpwuid(uid);
	const char *name = pw ? pw->pw_name : NULL;
	uint32_t start, count;

	s->n_uid_map = s->n_gid_map = 0;
	/* root of a user namespace made by another (cloison inside a
	 * container or a --nested jail): the pool's ids are not mapped here,
	 * so the jail gets this namespace's own (its root is ours) */
	uint32_t here = uid == 0 ? mapped_from_zero("/proc/self/uid_map") : 0;
	if (here) {
		uint32_t g = mapped_from_zero("/proc/self/gid_map");
		uint32_t n = here < CL_IDRANGE_COUNT ? here : CL_IDRANGE_COUNT;
		if (g && g < n)
			n = g;
		set_map(s->uid_map, &s->n_uid_map, 0, 0, n);
		set_map(s->gid_map, &s->n_gid_map, 0, 0, n);
		cl_warn("in a user namespace of %u ids (not the host's): the jail's ids are this "
			"namespace's own 0-%u, not a range of its own",
			here, n - 1);
		return 0;
	}
	if (uid == 0) {
		/* a 64K range of its own, picked when the jail is made
		 * (ns/idrange.h): outside is filled in then */
		set_map(s->uid_map, &s->n_uid_map, 0, 0, CL_IDRANGE_COUNT);
		set_map(s->gid_map, &s->n_gid_map, 0, 0, CL_IDRANGE_COUNT);
		s->idmap_pick = true;
		return 0;
	}
	set_map(s->uid_map, &s->n_uid_map, 0, uid, 1);
	set_map(s->gid_map, &s->n_gid_map, 0, gid, 1);
	/* Ranges need the setuid helpers; without them we keep the single mapping. */
	if (access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0) {
		if (cl_subid_lookup("/etc/subuid", name, uid, &start, &count) == 0)
			set_map(s->uid_map, &s->n_uid_map, 1, start, count);
		if (cl_subid_lookup("/etc/subgid", name, uid, &start, &count) == 0)
			set_map(s->gid_map, &s->n_gid_map, 1, start, count);
	}
	(void)err;
	return 0;
}
