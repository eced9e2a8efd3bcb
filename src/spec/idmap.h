/* Default uid/gid maps for a user namespace. */
#ifndef CL_IDMAP_H
#define CL_IDMAP_H

#include "spec/spec.h"

#define CL_IDRANGE_COUNT 65536u

/* Fills s->uid_map/gid_map: as root, 0 -> a 64K range of the jail's own,
 * picked when it is made (s->idmap_pick, ns/idrange.h); as an ordinary user
 * (rootless), 0 -> the caller's own id, plus 1 -> the caller's /etc/subuid
 * range when one is granted. */
int cl_idmap_default(struct cl_spec *s, struct cl_err *err);

/* Looks up NAME (or the decimal ID) in an /etc/subuid-style file: 0 if found. */
int cl_subid_lookup(const char *file, const char *name, unsigned long id, uint32_t *start,
		    uint32_t *count);

#endif
