/* `update`: new limits written into a running context's existing groups
 * (ns/cgroup.h).  The groups are found by the files their controllers have,
 * so the same code serves v1 hierarchies, a v2 tree, and a hybrid layout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ns/cgroup_internal.h"

struct target {
	const char *const *dirs;
	size_t n;
	struct cl_err *err;
};

/* The group that has @file, or NULL. */
static const char *with(const struct target *t, const char *file)
{
	for (size_t i = 0; i < t->n; i++)
		if (cl_cg_has(t->dirs[i], file))
			return t->dirs[i];
	return NULL;
}

static int none(const struct target *t, const char *field, const char *ctrl)
{
	return cl_fail(t->err, 0,
		       "%s: container has no %s cgroup to change (cloison makes only the groups "
		       "its config limited at create)",
		       field, ctrl);
}

/* "-1" / "max" for unlimited, the number otherwise */
static int put(const char *d, const char *file, int64_t v, bool v2, const char *field,
	       struct cl_err *err)
{
	char buf[32];

	if (v < 0)
		snprintf(buf, sizeof(buf), "%s", v2 ? "max" : "-1");
	else
		snprintf(buf, sizeof(buf), "%" PRId64, v);
	if (cl_cg_write(d, file, buf, err) < 0)
		return cl_wrap(err, "%s", field);
	return 0;
}

/* v1: memsw (memory + swap) may never be below the limit, so the order of
 * the two writes depends on the direction.  Without a new swap value, a
 * group that had none (memsw equal to the limit, cloison's "no swap") keeps
 * none. */
static int memory_v1(const struct target *t, const char *d, const struct cl_cgroup_update *u)
{
	bool sw = cl_cg_has(d, "memory.memsw.limit_in_bytes");
	int64_t lim = cl_cg_read_num(d, "memory.limit_in_bytes");
	int64_t cur_sw = sw ? cl_cg_read_num(d, "memory.memsw.limit_in_bytes") : -1;
	int64_t new_lim = u->memory == CL_CG_KEEP ? CL_CG_KEEP : u->memory;
	int64_t new_sw = u->memory_swap;

	if (new_sw != CL_CG_KEEP && !sw)
		return cl_fail(t->err, 0,
			       "memory.swap: this kernel does not account swap (no "
			       "memory.memsw.limit_in_bytes; boot with swapaccount=1)");
	if (new_sw == CL_CG_KEEP && new_lim != CL_CG_KEEP && sw && cur_sw == lim)
		new_sw = new_lim;
	/* growing: memsw first; shrinking: the limit first */
	bool sw_first = new_sw != CL_CG_KEEP &&
			(new_sw < 0 || (cur_sw >= 0 && new_sw > cur_sw) || new_lim == CL_CG_KEEP);
	if (sw_first &&
	    put(d, "memory.memsw.limit_in_bytes", new_sw, false, "memory.swap", t->err) < 0)
		return -1;
	if (new_lim != CL_CG_KEEP &&
	    put(d, "memory.limit_in_bytes", new_lim, false, "memory.limit", t->err) < 0)
		return -1;
	if (!sw_first && new_sw != CL_CG_KEEP &&
	    put(d, "memory.memsw.limit_in_bytes", new_sw, false, "memory.swap", t->err) < 0)
		return -1;
	if (u->memory_reservation != CL_CG_KEEP &&
	    put(d, "memory.soft_limit_in_bytes", u->memory_reservation, false, "memory.reservation",
		t->err) < 0)
		return -1;
	return 0;
}

/* v2: memory.swap.max is swap alone, the spec's swap is memory + swap */
static int memory_v2(const struct target *t, const char *d, const struct cl_cgroup_update *u)
{
	if (u->memory != CL_CG_KEEP &&
	    put(d, "memory.max", u->memory, true, "memory.limit", t->err) < 0)
		return -1;
	if (u->memory_swap != CL_CG_KEEP) {
		int64_t lim = u->memory != CL_CG_KEEP ? u->memory : cl_cg_read_num(d, "memory.max");
		int64_t v = u->memory_swap;
		if (v >= 0 && lim < 0)
			return cl_fail(
			    t->err, 0,
			    "memory.swap: a swap limit needs a memory limit (cgroup v2)");
		if (v >= 0 && v < lim)
			return cl_fail(t->err, 0,
				       "memory.swap: %" PRId64 " is below memory.limit %" PRId64, v,
				       lim);
		if (!cl_cg_has(d, "memory.swap.max"))
			return cl_fail(t->err, 0, "memory.swap: this kernel does not account swap");
		if (put(d, "memory.swap.max", v >= 0 ? v - lim : -1, true, "memory.swap", t->err) <
		    0)
			return -1;
	}
	if (u->memory_reservation != CL_CG_KEEP &&
	    put(d, "memory.low", u->memory_reservation, true, "memory.reservation", t->err) < 0)
		return -1;
	return 0;
}

static int cpu(const struct target *t, const struct cl_cgroup_update *u)
{
	const char *d;

	if (u->cpu_shares != CL_CG_KEEP) {
		if (u->cpu_shares < 2 || u->cpu_shares > 262144)
			return cl_fail(t->err, 0, "cpu.shares: %" PRId64 " out of range (2-262144)",
				       u->cpu_shares);
		if ((d = with(t, "cpu.shares"))) {
			if (put(d, "cpu.shares", u->cpu_shares, false, "cpu.shares", t->err) < 0)
				return -1;
		} else if ((d = with(t, "cpu.weight"))) {
			/* runc's conversion onto v2's 1-10000 */
			int64_t w = 1 + ((u->cpu_shares - 2) * 9999) / 262142;
			if (put(d, "cpu.weight", w, true, "cpu.shares", t->err) < 0)
				return -1;
		} else {
			return none(t, "cpu.shares", "cpu");
		}
	}
	if (u->cpu_quota == CL_CG_KEEP && u->cpu_period == CL_CG_KEEP)
		return 0;
	if (u->cpu_period != CL_CG_KEEP && (u->cpu_period < 1000 || u->cpu_period > 1000000))
		return cl_fail(t->err, 0, "cpu.period: %" PRId64 " out of range (1000-1000000 us)",
			       u->cpu_period);
	if (u->cpu_quota != CL_CG_KEEP && u->cpu_quota >= 0 && u->cpu_quota < 1000)
		return cl_fail(t->err, 0, "cpu.quota: %" PRId64 " below 1000 us (-1: no quota)",
			       u->cpu_quota);
	if ((d = with(t, "cpu.cfs_quota_us"))) {
		if (u->cpu_period != CL_CG_KEEP &&
		    put(d, "cpu.cfs_period_us", u->cpu_period, false, "cpu.period", t->err) < 0)
			return -1;
		if (u->cpu_quota != CL_CG_KEEP &&
		    put(d, "cpu.cfs_quota_us", u->cpu_quota, false, "cpu.quota", t->err) < 0)
			return -1;
		return 0;
	}
	if ((d = with(t, "cpu.max"))) {
		char cur[64] = "", q[24], line[64];
		long long period = 100000;
		cl_cg_read(d, "cpu.max", cur, sizeof(cur));
		if (sscanf(cur, "%23s %lld", q, &period) < 1)
			snprintf(q, sizeof(q), "max");
		if (u->cpu_quota != CL_CG_KEEP)
			snprintf(q, sizeof(q), "%" PRId64, u->cpu_quota);
		if (u->cpu_quota < 0 && u->cpu_quota != CL_CG_KEEP)
			snprintf(q, sizeof(q), "max");
		if (u->cpu_period != CL_CG_KEEP)
			period = u->cpu_period;
		snprintf(line, sizeof(line), "%s %lld", q, period);
		if (cl_cg_write(d, "cpu.max", line, t->err) < 0)
			return cl_wrap(t->err, "%s",
				       u->cpu_quota != CL_CG_KEEP ? "cpu.quota" : "cpu.period");
		return 0;
	}
	return none(t, u->cpu_quota != CL_CG_KEEP ? "cpu.quota" : "cpu.period", "cpu");
}

static int cpuset(const struct target *t, const char *file, const char *v, const char *field)
{
	const char *d;

	if (!v)
		return 0;
	if (!(d = with(t, file)))
		return none(t, field, "cpuset");
	if (cl_cg_write(d, file, v, t->err) < 0)
		return cl_wrap(t->err, "%s", field);
	return 0;
}

static int blkio(const struct target *t, int64_t w)
{
	const char *d;

	if (w == CL_CG_KEEP)
		return 0;
	if (w < 10 || w > 1000)
		return cl_fail(t->err, 0, "blockIO.weight: %" PRId64 " out of range (10-1000)", w);
	if ((d = with(t, "blkio.weight")))
		return put(d, "blkio.weight", w, false, "blockIO.weight", t->err);
	if ((d = with(t, "io.weight"))) /* runc's conversion onto 1-10000 */
		return put(d, "io.weight", 1 + (w - 10) * 9999 / 990, true, "blockIO.weight",
			   t->err);
	if ((d = with(t, "blkio.bfq.weight")) || (d = with(t, "io.bfq.weight")))
		return put(d,
			   cl_cg_has(d, "blkio.bfq.weight") ? "blkio.bfq.weight" : "io.bfq.weight",
			   w, false, "blockIO.weight", t->err);
	return none(t, "blockIO.weight", "blkio (io)");
}

int cl_cgroup_update(const char *const *dirs, size_t n, const struct cl_cgroup_update *u,
		     struct cl_err *err)
{
	const struct target T = {dirs, n, err}, *t = &T;
	const char *d;

	if (u->memory != CL_CG_KEEP || u->memory_swap != CL_CG_KEEP ||
	    u->memory_reservation != CL_CG_KEEP) {
		if ((d = with(t, "memory.limit_in_bytes"))) {
			if (memory_v1(t, d, u) < 0)
				return -1;
		} else if ((d = with(t, "memory.max"))) {
			if (memory_v2(t, d, u) < 0)
				return -1;
		} else {
			return none(t,
				    u->memory != CL_CG_KEEP	   ? "memory.limit"
				    : u->memory_swap != CL_CG_KEEP ? "memory.swap"
								   : "memory.reservation",
				    "memory");
		}
	}
	if (cpu(t, u) < 0 || cpuset(t, "cpuset.cpus", u->cpuset_cpus, "cpu.cpus") < 0 ||
	    cpuset(t, "cpuset.mems", u->cpuset_mems, "cpu.mems") < 0)
		return -1;
	if (u->pids != CL_CG_KEEP) {
		if (!(d = with(t, "pids.max")))
			return none(t, "pids.limit", "pids");
		/* both layouts spell "unlimited" max */
		if (put(d, "pids.max", u->pids, true, "pids.limit", err) < 0)
			return -1;
	}
	return blkio(t, u->blkio_weight);
}
