/* Writing a child's uid/gid maps from the parent. */
#ifndef CL_NS_USERNS_H
#define CL_NS_USERNS_H

#include "spec/spec.h"

/* As root: writes /proc/PID/{uid,gid}_map.  Rootless with only our own id:
 * "deny" to setgroups, then the maps.  Rootless with /etc/subuid ranges:
 * newuidmap/newgidmap. */
int cl_userns_write_maps(const struct cl_spec *s, pid_t pid, struct cl_err *err);

/* The host id that @id inside maps to, (uint32_t)-1 when unmapped. */
uint32_t cl_userns_host_id(const struct cl_idmap *m, size_t n, uint32_t id);

/* True when setgroups(2) is denied in the jail (unprivileged single mapping). */
bool cl_userns_setgroups_denied(const struct cl_spec *s);

#endif
