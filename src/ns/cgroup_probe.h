/* The cgroup part of `cloison check` (ns/cgroup_probe.c). */
#ifndef CL_NS_CGROUP_PROBE_H
#define CL_NS_CGROUP_PROBE_H

#include <stdbool.h>
#include <sys/types.h>

struct cl_cgroup_report_row {
	const char *name; /* "libcgroup", then a controller: "memory", "io", ... */
	bool ok;	  /* a context can use it */
	char detail[256];
};

/* One row for libcgroup and one per controller cloison uses; returns how
 * many of @max rows it filled.  Changes nothing on the host. */
int cl_cgroup_report(struct cl_cgroup_report_row *rows, int max);

/* Which controllers an ordinary user @uid can use for limits (rootless,
 * ns/cgroup_deleg.c), one row each with the reason when not: in the
 * caller's own cgroup when @uid is the caller's, else in systemd's
 * user@UID.service (what `check --user NAME` asks as root). */
int cl_cgroup_rootless_report(uid_t uid, struct cl_cgroup_report_row *rows, int max);

#endif
