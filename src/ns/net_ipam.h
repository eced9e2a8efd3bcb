/* Bridge-mode state shared by every cloison on the machine: the address
 * leases (one line per running jail, in a file under a lock) and each run's
 * directory (its /etc/hosts and resolv.conf).  A lease names its owner by
 * pid and start time, so one whose cloison is gone (even after SIGKILL) is
 * reclaimed by the next run or by `cloison gc`. */
#ifndef CL_NS_NET_IPAM_H
#define CL_NS_NET_IPAM_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* The ifalias of the bridges cloison creates: `cloison gc` removes only
 * those, and only when unused. */
#define CL_NET_BRIDGE_ALIAS "cloison"

struct cl_lease {
	unsigned long netns; /* inode of the network namespace of the bridge */
	char bridge[IFNAMSIZ];
	struct in_addr addr;
	pid_t pid;		  /* the cloison that holds it ... */
	unsigned long long start; /* ... and its start time (a recycled pid is not it) */
};

struct cl_ipam {
	int lock_fd;
	struct cl_lease *leases;
	size_t n;
	bool dirty;
};

/* $CLOISON_NET_DIR, else /run/cloison/net. */
const char *cl_net_state_dir(void);
/* The current network namespace's inode. */
unsigned long cl_netns_id(void);
/* Start time of @pid (clock ticks since boot), 0 if it does not exist. */
unsigned long long cl_proc_start(pid_t pid);
bool cl_owner_alive(pid_t pid, unsigned long long start);
/* "<state dir>/ctx-PID-START": the run directory of an owner. */
int cl_ipam_run_dir(char *buf, size_t size, pid_t pid, unsigned long long start);
void cl_ipam_remove_run_dir(const char *dir);

/* Takes the lock (creating the state directory) and reads the leases. */
int cl_ipam_open(struct cl_ipam *st, struct cl_err *err);
/* Writes the leases back if they changed, then unlocks and frees. */
int cl_ipam_close(struct cl_ipam *st, struct cl_err *err);

/* Drops the leases and run directories of owners that are gone, calling
 * @fn (may be NULL) for each dropped lease.  Returns how many. */
size_t cl_ipam_reconcile(struct cl_ipam *st, void (*fn)(const struct cl_lease *l, void *data),
			 void *data);
/* Leases an address of @net/@prefix on @key's bridge to @key's owner: @want
 * if not 0.0.0.0 (refused when taken, the network, broadcast or @gw
 * address, or outside the subnet), else the lowest free one. */
int cl_ipam_reserve(struct cl_ipam *st, const struct cl_lease *key, struct in_addr net,
		    unsigned prefix, struct in_addr gw, struct in_addr want, struct in_addr *got,
		    struct cl_err *err);
/* Drops the leases of one owner. */
void cl_ipam_drop(struct cl_ipam *st, pid_t pid, unsigned long long start);
/* Whether a live lease exists in @netns on @bridge (NULL: any bridge) for
 * @pid (0: any owner). */
bool cl_ipam_in_use(const struct cl_ipam *st, unsigned long netns, const char *bridge, pid_t pid);

#endif
