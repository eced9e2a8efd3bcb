/* Entering a running jail (`cloison exec`): a new process joins the jail's
 * namespaces and cgroups, takes on its confinement the way the jail's own
 * command did (ns/child.c: bounding set, identity, capabilities,
 * no_new_privs, seccomp) and runs a command there, while the caller relays
 * its terminal and signals and waits for it, as a foreground run does.
 *
 *   caller  pidfd of the jail's pid 1, checked against its start time
 *           -> setns(CLONE_NEWPID): only the caller's children change pid
 *              namespace, so the one below is born in the jail's
 *           -> clone3 into the jail's unified-tree group (CLONE_INTO_CGROUP)
 *   child   the jail's v1 groups (cgroup.procs, from the host's mount ns)
 *           -> setns(pidfd, every other namespace the jail has and we do
 *              not: user, mnt, net, uts, ipc, cgroup, time) -> root of the
 *              jail's user namespace -> -t: a terminal of the jail's devpts,
 *              its master sent to the caller -> cl_jail_stdio ->
 *              cl_jail_exec (the jail's child's own tail, seccomp last)
 *
 * The caller's own stdin, stdout and stderr never reach the jail: the child
 * leaves its session and puts pipes on them first thing (ns/stdio_relay.h),
 * or (-t) the terminal opened from the jail's devpts master.
 */
#ifndef CL_NS_JOIN_H
#define CL_NS_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec/spec.h"

/* One of the jail's cgroup directories, as its state records it. */
struct cl_join_cgroup {
	const char *path;
	bool v2; /* in the unified tree */
};

struct cl_join {
	const char *name;	      /* the jail's, for messages */
	const struct cl_spec *s;      /* the jail's spec, validated, with the command,
					 env, cwd, user, -i and -t of the exec */
	pid_t pid;		      /* the jail's pid 1 on the host ... */
	unsigned long long pid_start; /* ... and its start time */
	const struct cl_join_cgroup *cgroups;
	size_t n_cgroups;
	/* OCI exec (runc's) only; all zero for `cloison exec`: */
	bool inherit_stdio; /* the command gets our stdin, stdout and stderr as they
			       are (the engine's pipes), not pipes we relay */
	bool detach;	    /* return once it has exec'd: it outlives us (no
			       parent-death signal), reparented to our subreaper */
	/* -t: the terminal's master is handed to this (--console-socket) instead
	 * of relayed; our copy is closed after */
	int (*give_tty)(void *data, int master, struct cl_err *err);
	/* once the command has exec'd, with its pid (--pid-file) */
	int (*started)(void *data, pid_t pid, struct cl_err *err);
	void *data;
};

/* Runs @jn->s's command in the jail and waits for it (@jn->detach: until it
 * has exec'd, @exit_status 0).  Returns 0 and sets @exit_status as a run
 * does (the command's status, 128+N for a signal), or -1 with @err filled
 * (exit_code 126/127 when it cannot be executed). */
int cl_join_run(const struct cl_join *jn, int *exit_status, struct cl_err *err);

#endif
