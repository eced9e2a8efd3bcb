/* A host id range of its own for each --userns jail run by root, so that no
 * two jails (nor a jail and a real user) share host ids. */
#ifndef CL_NS_IDRANGE_H
#define CL_NS_IDRANGE_H

#include <stdbool.h>
#include <stdint.h>

#include "spec/idmap.h"
#include "util/error.h"

#define CL_IDRANGE_SIZE CL_IDRANGE_COUNT

/* Never handed out: the micro-VM monitors' own ids (vm/jail.h,
 * CL_VM_JAIL_ID_BASE + pid). */
#define CL_IDRANGE_VMM_START 0x7f000000u
#define CL_IDRANGE_VMM_COUNT 0x01000000u

/* The pool: the /etc/subuid (and /etc/subgid) entry of the user "cloison"
 * when there is one (as podman's "containers" for --userns=auto), else
 * 0x70000000-0xEFFFFFFF, a space no real user owns (systemd-nspawn's
 * --private-users=pick draws from the same kind of space). */
struct cl_idrange {
	uint32_t start; /* host id of the jail's 0 */
	int fd;		/* the slot's lock: held for the jail's life, -1 when none */
	char path[96];
};

/* Takes a free 64K slot of the pool under an flock(2) on its file in
 * /run/cloison/userns/ (the kernel drops the lock when its last holder dies:
 * a kill -9 frees the slot), skipping slots that hold an id of /etc/passwd,
 * /etc/group or any /etc/subuid or /etc/subgid entry.  @min_fd: the lock's
 * fd goes at or above it. */
int cl_idrange_acquire(struct cl_idrange *r, int min_fd, struct cl_err *err);
/* Gives the slot back (its file removed). */
void cl_idrange_release(struct cl_idrange *r);

/* cloison gc: removes the files of slots nobody holds; @said is told each. */
int cl_idrange_gc(bool dry, void (*said)(const char *path, void *data), void *data);

#endif
