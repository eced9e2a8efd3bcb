/* Shared by ns/cgroup*.c only: file helpers and the per-layout parts. */
#ifndef CL_NS_CGROUP_INTERNAL_H
#define CL_NS_CGROUP_INTERNAL_H

#include <limits.h>
#include <stdint.h>

#include "ns/cgroup.h"

#define CL_CG_PERIOD_US 100000 /* the CFS period --cpus uses */

/* Writes @val to @dir/@file, in one write(2) as cgroupfs wants.  Errors read
 * "cannot write 'VAL' to DIR/FILE: ...". */
int cl_cg_write(const char *dir, const char *file, const char *val, struct cl_err *err);
/* The same with a number. */
int cl_cg_write_u64(const char *dir, const char *file, uint64_t v, struct cl_err *err);
/* Writes each of @vals to @dir/@file, one write(2) apiece on one open file
 * (devices.allow takes a rule per write). */
int cl_cg_write_each(const char *dir, const char *file, const char *const *vals, size_t n,
		     struct cl_err *err);
/* Reads @dir/@file into @buf (NUL-terminated); returns its length or -1. */
ssize_t cl_cg_read(const char *dir, const char *file, char *buf, size_t size);
/* Whether the word @name is in @dir/@file (cgroup.controllers, ...). */
bool cl_cg_listed(const char *dir, const char *file, const char *name);
/* The number in @dir/@file, or -1 when it is absent or not a number. */
int64_t cl_cg_read_num(const char *dir, const char *file);
/* The value N of the line "KEY N" in @dir/@file (cpu.stat, memory.events),
 * or -1. */
int64_t cl_cg_read_key(const char *dir, const char *file, const char *key);
/* Whether @dir/@file exists. */
bool cl_cg_has(const char *dir, const char *file);
/* The context's directory for @ctrl, or NULL when that controller is unused;
 * whether that directory is in the unified tree. */
const char *cl_cg_dir(const struct cl_cgroup *cg, enum cl_cg_ctrl ctrl);
bool cl_cg_is_v2(const struct cl_cgroup *cg, enum cl_cg_ctrl ctrl);
/* Whether @dir holds no process. */
bool cl_cg_empty(const char *dir);
/* Whether some disk's I/O scheduler is BFQ: its weight files exist once the
 * module is loaded, but weigh only the disks that use it. */
bool cl_cg_bfq_in_use(void);
/* Sends SIGKILL to every process listed in @dir/cgroup.procs; returns how
 * many were listed. */
int cl_cg_kill_listed(const char *dir);
/* Removes what cg made, innermost first, waiting up to @patience_ms for a
 * group that is still busy; returns 0 when everything made is gone.
 * @free_strings: the parents' paths are cg's own (not the guardian's copy). */
int cl_cg_remove(struct cl_cgroup *cg, int patience_ms, bool free_strings);
/* Sleeps until @dir is empty or @patience_ms passed; returns 0 when empty. */
int cl_cg_wait_empty(const char *dir, int patience_ms);

/* The hierarchies cloison would use, from /proc/self/cgroup (and statfs, or
 * /proc/self/mountinfo; ns/cgroup.c): the mounted v1 controller hierarchies,
 * and the unified tree when cgroup2 is mounted.  version: 1 when any v1
 * hierarchy is (a hybrid layout counts as v1), else 2 when cgroup2 is, else
 * 0. */
struct cl_cg_hier {
	unsigned ctrls; /* every known controller of this hierarchy */
	char own[1024]; /* cloison's own cgroup directory in it */
	char rel[1024]; /* the same, relative to the hierarchy (/proc/self/cgroup) */
	char mnt[512];	/* its mount point */
	char root[512]; /* the mount's root in the hierarchy */
};
struct cl_cg_layout {
	int version;
	struct cl_cg_hier h[CL_CG_NCTRL]; /* v1 hierarchies */
	int n;
	struct cl_cg_hier v2; /* the unified tree, if has_v2 */
	bool has_v2;
};
int cl_cg_discover(struct cl_cg_layout *L);
extern const char *const cl_cg_v1_names[CL_CG_NCTRL];
/* CLOISON_CGROUP_DEVICES=v1: devices and freezer in v1 even beside a
 * unified tree (cloison-run(1), ENVIRONMENT). */
bool cl_cg_force_v1_devices(void); /* "cpu", ..., "blkio", ... */

/* cgroup v1 (ns/cgroup_v1.c): the limits of the controllers in v1 groups,
 * the freezer kill, the accounting they hold */
int cl_cg_v1_limits(struct cl_cgroup *cg, const struct cl_spec *s, struct cl_err *err);
int cl_cg_v1_cpuset_fill(const char *dir, const char *cpus, struct cl_err *err);
void cl_cg_v1_kill(struct cl_cgroup *cg);
void cl_cg_v1_stats(struct cl_cgroup *cg, struct cl_cgroup_stats *st);
/* cgroup v2 (ns/cgroup_v2.c): the same for the unified-tree group */
int cl_cg_v2_limits(struct cl_cgroup *cg, const struct cl_spec *s, struct cl_err *err);
int cl_cg_v2_devices(struct cl_cgroup *cg, const struct cl_spec *s, struct cl_err *err);
void cl_cg_v2_kill(const char *dir);
void cl_cg_v2_stats(struct cl_cgroup *cg, struct cl_cgroup_stats *st);
/* The v2 name of a controller ("memory", "io", ...), NULL for built-ins. */
const char *cl_cg_v2_name(enum cl_cg_ctrl c);

/* Device access (ns/cgroup_devices.c): devices.deny/allow on v1, a
 * BPF_CGROUP_DEVICE program attached to the directory on v2. */
int cl_cg_devices_v1(const char *dir, const struct cl_spec *s, struct cl_err *err);
int cl_cg_devices_v2(int dirfd, const struct cl_spec *s, struct cl_err *err);
/* Loads (and closes) the default program: whether v2 device control works
 * here; 0 or an errno.  For `cloison check`. */
int cl_cg_devices_bpf_probe(void);

/* Rootless limits in a delegated cgroup2 subtree (ns/cgroup_deleg.c).
 * Why @uid cannot have @ctrl ("memory", ...) in groups below @top, or NULL
 * when it can; @other_procs: @top's processes other than @self (0: none
 * counted) are a reason too. */
const char *cl_cg_deleg_why(const char *top, const char *ctrl, uid_t uid, pid_t self, char *buf,
			    size_t size);
/* Makes @top give @ctrls to its children: checks that it is delegated to
 * us, moves cloison (alone in it) into a leaf below, enables them. */
int cl_cg_deleg_enter(struct cl_cgroup *cg, const char *top, unsigned ctrls, struct cl_err *err);
/* Undoes it, once the context's groups are gone: the controllers, then
 * the calling process (and cloison's guardian) back into @top, the leaf
 * removed.  No malloc, no stdio: the guardian runs it after cloison died. */
void cl_cg_deleg_restore(struct cl_cgroup *cg);

/* The guardian (ns/cgroup_guard.c). */
int cl_cg_guard_start(struct cl_cgroup *cg, int min_fd, struct cl_err *err);
/* @clean: cloison removed everything itself, the guardian just exits. */
void cl_cg_guard_stop(struct cl_cgroup *cg, bool clean);

#endif
