#include "spec/idmap.h"

#include <pwd.h>
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

int cl_idmap_default(struct cl_spec *s, struct cl_err *err)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	struct passwd *pw = getpwuid(uid);
	const char *name = pw ? pw->pw_name : NULL;
	uint32_t start, count;

	s->n_uid_map = s->n_gid_map = 0;
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
