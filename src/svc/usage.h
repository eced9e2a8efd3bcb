/* What a detached jail uses now, read from the cgroups its state records
 * (either layout).  A value the host cannot give is -1. */
#ifndef CL_SVC_USAGE_H
#define CL_SVC_USAGE_H

#include <stdint.h>

#include "svc/state.h"

struct cl_usage {
	int64_t cpu_ns;		     /* CPU time used so far */
	int64_t mem, mem_limit;	     /* bytes; limit -1 when none */
	int64_t pids, pids_limit;    /* limit -1 when none */
	int64_t blk_read, blk_write; /* bytes */
};

void cl_usage_read(const struct cl_state *st, struct cl_usage *u);
/* The cgroups of process @pid whose path ends in /@name, in state.json's
 * form (an array of {path, v2, controllers}), from /proc/PID/cgroup and the
 * mount table: for a micro-VM, the VMM's group.  NULL when none. */
json_object *cl_usage_cgroups_of(pid_t pid, const char *name);
/* "12.3MiB" */
const char *cl_usage_size(int64_t bytes, char buf[16]);

#endif
