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
/* "12.3MiB" */
const char *cl_usage_size(int64_t bytes, char buf[16]);

#endif
