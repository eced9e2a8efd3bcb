/* The cgroup part of `cloison check` (ns/cgroup_probe.c). */
#ifndef CL_NS_CGROUP_PROBE_H
#define CL_NS_CGROUP_PROBE_H

#include <stdbool.h>

struct cl_cgroup_report_row {
	const char *name; /* "libcgroup", then a controller: "memory", "io", ... */
	bool ok;	  /* a context can use it */
	char detail[256];
};

/* One row for libcgroup and one per controller cloison uses; returns how
 * many of @max rows it filled.  Changes nothing on the host. */
int cl_cgroup_report(struct cl_cgroup_report_row *rows, int max);

#endif
