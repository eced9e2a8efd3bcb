/* The jail's cgroups: created under cloison's own cgroup, limits written,
 * the whole process joined, everything killed and removed at the end.
 *
 * Placement: <own cgroup>/cloison/<name-or-id> in each hierarchy used (v1),
 * or in the unified tree (v2); --cgroup-parent replaces "<own>/cloison".
 * cloison creates, writes to and removes only the directories it made; an
 * existing group of the same name is an error.  A guardian process, forked
 * once the groups exist, removes them if cloison dies without doing so
 * (ns/cgroup_guard.c).  The split between libcgroup and direct file writes
 * is explained in README.md (Cgroups). */
#ifndef CL_NS_CGROUP_H
#define CL_NS_CGROUP_H

#include <linux/sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "spec/spec.h"

/* The controllers cloison uses.  In the unified tree CL_CG_IO is "io", and
 * cpuacct (cpu.stat), freezer (cgroup.kill) and devices (a BPF program) are
 * built into every group. */
enum cl_cg_ctrl {
	CL_CG_CPU,
	CL_CG_CPUACCT,
	CL_CG_CPUSET,
	CL_CG_MEMORY,
	CL_CG_PIDS,
	CL_CG_IO,
	CL_CG_FREEZER,
	CL_CG_DEVICES,
	CL_CG_NCTRL
};

#define CL_CG_MAX_MADE 8 /* parent directories cloison may create per hierarchy */

/* The context's directory in one hierarchy. */
struct cl_cgroup_dir {
	char *path;	/* the context's own cgroup directory */
	unsigned ctrls; /* 1 << enum cl_cg_ctrl this directory serves */
	unsigned hier;	/* every controller of its hierarchy (v1 cpuset needs filling) */
	bool v2;	/* in the unified tree */
	char *made[CL_CG_MAX_MADE]; /* parents made by this run, outermost first */
	int n_made;
	bool made_self; /* @path made by this run (and so ours to remove) */
	int lock_fd;	/* @path open with an flock: the group has a live owner
			   (cloison, then its guardian), -1 when none */
};

/* What a cl_cgroup holds before cl_cgroup_create(): safe to destroy. */
#define CL_CGROUP_INIT                                                                             \
	{                                                                                          \
		.v2_fd = -1, .guard_fd = -1, .v2_dir = -1                                          \
	}

struct cl_cgroup {
	int version; /* 0: no cgroup (not needed, or not possible); 1: v1 hierarchies
		      * (with, on a hybrid layout, a unified-tree group); 2: v2 only */
	const struct cl_spec *spec;
	char name[96]; /* "cloison/<id>" (or "<parent>/<name>"), for messages */
	struct cl_cgroup_dir dir[CL_CG_NCTRL + 1]; /* one per hierarchy used */
	int n_dirs;
	int v2_dir;	    /* the unified-tree one, -1 if none */
	bool shared_parent; /* in cloison's own "cloison" directory, which the last run removes */
	int by_ctrl[CL_CG_NCTRL]; /* index into dir[], -1 when not used */
	int v2_fd;		  /* the unified-tree directory, for clone3's CLONE_INTO_CGROUP */
	pid_t guard_pid;	  /* the guardian (ns/cgroup_guard.c), 0 if none */
	int guard_fd;
	struct cl_cgroup *guard_cg; /* the guardian's copy, in the memory it shares */
	bool reap_guard;	    /* a long-lived owner (a monitor): reap the guardian and
				       free its memory once it is done, not at our exit */
	bool detach;		    /* OCI create: the groups outlive us, no guardian
				       (the state records them, delete removes them) */
	void *guard_map;
	size_t guard_map_size;
	/* rootless, a delegated cgroup2 subtree (ns/cgroup_deleg.c): cloison
	 * moved itself from its own group @deleg_top into the leaf @deleg_leaf
	 * to enable there the controllers @deleg_enabled; undone at the end */
	char *deleg_top, *deleg_leaf;
	unsigned deleg_enabled;
	bool sample_pids, sample_mem; /* peaks the kernel does not keep: sampled */
	uint64_t peak_pids, peak_mem;
	struct timespec started;
};

/* Before clone: create the context's cgroup(s) and write the limits.  With
 * no limit asked for, a failure to create is not an error (cloison then runs
 * without a cgroup, as where cgroupfs is read-only). */
int cl_cgroup_create(const struct cl_spec *s, struct cl_cgroup *cg, struct cl_err *err);
/* For clone3: on v2, start the child in the cgroup (CLONE_INTO_CGROUP). */
void cl_cgroup_clone_args(const struct cl_cgroup *cg, struct clone_args *args);
/* After a clone that could not start the child in its v2 group (clone3
 * refused): moves @pid there; nothing to do without one. */
int cl_cgroup_move_v2(struct cl_cgroup *cg, pid_t pid, struct cl_err *err);
/* After clone, before the child is released: attach the v2 device program
 * (loaded here so that it overlaps the child's mounts) and move @pid (the
 * whole process) into the v1 groups. */
int cl_cgroup_attach(struct cl_cgroup *cg, pid_t pid, struct cl_err *err);
/* Moves the calling process into the existing group @dir (cgroup.procs):
 * `cloison exec` joining a running jail's. */
int cl_cgroup_join(const char *dir, struct cl_err *err);
/* Kill every process in the context (cgroup.kill; v1: freezer + SIGKILL)
 * and wait, a bounded time, for it to be empty. */
void cl_cgroup_kill(struct cl_cgroup *cg);
/* Called every CL_CG_SAMPLE_MS while the command runs when it returns true:
 * updates the peaks the kernel does not record. */
#define CL_CG_SAMPLE_MS 20
bool cl_cgroup_wants_samples(const struct cl_cgroup *cg);
void cl_cgroup_sample(struct cl_cgroup *cg);
/* Processes the OOM killer killed in the context so far. */
uint64_t cl_cgroup_oom_kills(const struct cl_cgroup *cg);
/* At the end, on every path: kill what is left, remove what we created. */
void cl_cgroup_destroy(struct cl_cgroup *cg);
/* OCI create: lets go of the groups without killing in them or removing
 * them (fds closed, memory freed). */
void cl_cgroup_release(struct cl_cgroup *cg);
/* The name of dir[@i]'s hierarchy as mounted ("memory", "cpu,cpuacct";
 * "unified" for the unified tree beside v1 ones; "" for v2 alone). */
int cl_cgroup_hier_name(const struct cl_cgroup *cg, int i, char *buf, size_t n);

/* `update` (runc's): new limits for a running context's existing groups,
 * in runtime-spec LinuxResources units; CL_CG_KEEP leaves a value as it is,
 * -1 is "unlimited" where the spec allows it (ns/cgroup_update.c). */
#define CL_CG_KEEP INT64_MIN
struct cl_cgroup_update {
	int64_t memory, memory_swap, memory_reservation; /* bytes */
	int64_t cpu_shares;				 /* v1 shares, 2-262144 */
	int64_t cpu_quota, cpu_period;			 /* microseconds */
	const char *cpuset_cpus, *cpuset_mems;		 /* NULL: kept */
	int64_t pids;
	int64_t blkio_weight; /* 10-1000 */
};
#define CL_CGROUP_UPDATE_INIT                                                                      \
	{                                                                                          \
		.memory = CL_CG_KEEP, .memory_swap = CL_CG_KEEP, .memory_reservation = CL_CG_KEEP, \
		.cpu_shares = CL_CG_KEEP, .cpu_quota = CL_CG_KEEP, .cpu_period = CL_CG_KEEP,       \
		.pids = CL_CG_KEEP, .blkio_weight = CL_CG_KEEP                                     \
	}
/* Writes @u into the groups @dirs (the context's, one per hierarchy, of
 * either layout): each value goes to the one group whose controller has its
 * file.  A value none of them can take is an error naming its field
 * ("memory.limit: ..."); what was written before it stays. */
int cl_cgroup_update(const char *const *dirs, size_t n, const struct cl_cgroup_update *u,
		     struct cl_err *err);

/* Accounting, read from the cgroup files of either layout (ns/cgroup_stats.c).
 * A value the host cannot give is -1 (printed "-", null in JSON). */
struct cl_cgroup_stats {
	double wall_s, user_s, system_s;
	int64_t peak_memory, peak_pids, oom_kills, read_bytes, written_bytes;
	bool peak_memory_sampled, peak_pids_sampled;
	int64_t pids_limit_hits;	    /* forks refused by --pids */
	int64_t cpu_periods, cpu_throttled; /* --cpus enforcement periods */
	double cpu_throttled_s;
	int exit_status;
	bool timed_out;
	const char *io_source, *cpu_source; /* "cgroup", "processes" or NULL */
};
void cl_cgroup_read_stats(struct cl_cgroup *cg, struct cl_cgroup_stats *st);
/* The group's memory use now, in bytes (v2 memory.current, v1
 * memory.usage_in_bytes; descendants included), -1 without a memory
 * controller; @dir (may be NULL): that group's directory. */
int64_t cl_cgroup_memory_current(const struct cl_cgroup *cg, const char **dir);
/* what the kernel counted for the command's processes (wait4's
 * @ru of pid 1: itself and all it reaped) where the cgroup counts less or
 * nothing: v1 blkio counts no buffered writes, and on Linux 6.10+ no I/O at
 * all on a queue no throttle rule was ever set for; no cgroup (rootless
 * without delegation) counts no CPU time. */
struct rusage;
void cl_cgroup_stats_add_rusage(struct cl_cgroup_stats *st, const struct rusage *ru);
void cl_cgroup_stats_print(const struct cl_cgroup *cg, const struct cl_cgroup_stats *st, FILE *out);
int cl_cgroup_stats_write_json(const struct cl_cgroup *cg, const struct cl_cgroup_stats *st,
			       const char *path, struct cl_err *err);

/* Removes the groups of contexts whose cloison and guardian are both gone
 * (an empty <own>/cloison/<id> made over a minute ago), in every hierarchy;
 * returns how many were removed, or -1.  For `cloison gc`; the guardian
 * makes it rarely needed (after the guardian itself was killed, a reboot of
 * a persistent cgroupfs...). */
int cl_cgroup_gc(struct cl_err *err);
/* The same, telling @said about each (stale) group, removing nothing when
 * @dry_run. */
int cl_cgroup_gc_ext(bool dry_run, void (*said)(const char *path, void *data), void *data,
		     struct cl_err *err);

#endif
