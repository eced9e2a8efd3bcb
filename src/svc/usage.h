/* What a detached jail uses now, read from the cgroups its state records
 * (either layout) and its network namespace.  A value the host cannot give
 * is -1. */
#ifndef CL_SVC_USAGE_H
#define CL_SVC_USAGE_H

#include <stdint.h>

#include "svc/state.h"

struct cl_usage {
	int64_t cpu_ns; /* CPU time used so far */
	/* bytes in use less the inactive file cache (as docker stats: the
	 * cache the kernel drops first under the limit); limit -1 when none */
	int64_t mem, mem_limit;
	int64_t pids, pids_limit;    /* limit -1 when none */
	int64_t blk_read, blk_write; /* bytes */
	int64_t net_rx, net_tx;	     /* bytes; cl_usage_read_net() */
};

/* The cgroups' figures; net_rx and net_tx are left -1. */
void cl_usage_read(const struct cl_state *st, struct cl_usage *u);
/* The cgroups of process @pid whose path ends in /@name, in state.json's
 * form (an array of {path, v2, controllers}), from /proc/PID/cgroup and the
 * mount table: for a micro-VM, the VMM's group.  NULL when none. */
json_object *cl_usage_cgroups_of(pid_t pid, const char *name);
/* The bytes received and sent on the interfaces of the running jail's
 * network namespace but lo (/proc/PID/net/dev).  Left -1 when the jail has
 * no namespace of its own (--net host, or a micro-VM: its VMM's would be
 * the host's) or is gone. */
void cl_usage_read_net(const struct cl_state *st, struct cl_usage *u);
/* "12.3MiB" */
const char *cl_usage_size(int64_t bytes, char buf[16]);

#endif
