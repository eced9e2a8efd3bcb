/* cgroup v1: one directory per hierarchy (cpu, cpuacct, cpuset, memory,
 * pids, blkio, and freezer and devices where there is no unified tree),
 * each written directly. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ns/cgroup_internal.h"

static bool blank(const char *s)
{
	return s[strspn(s, " \t\n")] == '\0';
}

/* A v1 cpuset group takes no process until its cpus and mems are set: give
 * it @cpus (NULL: its parent's) and its parent's mems. */
int cl_cg_v1_cpuset_fill(const char *dir, const char *cpus, struct cl_err *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	char parent[PATH_MAX], cur[4096];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", dir);
	if (!(slash = strrchr(parent, '/')))
		return 0;
	*slash = '\0';
	for (int i = 0; i < 2; i++) {
		if (i == 0 && cpus) {
			if (cl_cg_write(dir, files[i], cpus, err) < 0) {
				char avail[256] = "";
				cl_cg_read(parent, "cpuset.effective_cpus", avail, sizeof(avail));
				avail[strcspn(avail, "\n")] = '\0';
				return cl_fail(
				    err, 0,
				    "--cpuset %s: not among the CPUs this cgroup may use (%s)",
				    cpus, avail);
			}
			continue;
		}
		if (cl_cg_read(dir, files[i], cur, sizeof(cur)) < 0 || !blank(cur))
			continue;
		if (cl_cg_read(parent, files[i], cur, sizeof(cur)) < 0 || blank(cur))
			return cl_fail(err, 0,
				       "cannot set up the cpuset cgroup %s: its parent has no %s",
				       dir, files[i]);
		cur[strcspn(cur, "\n")] = '\0';
		if (cl_cg_write(dir, files[i], cur, err) < 0)
			return -1;
	}
	return 0;
}

static int memory_limits(const char *d, const struct cl_spec *s, struct cl_err *err)
{
	const struct cl_resources *r = &s->res;

	if (s->memory) {
		if (cl_cg_write_u64(d, "memory.limit_in_bytes", s->memory, err) < 0)
			return cl_wrap(err, "--memory");
		/* memsw is memory plus swap: equal to the limit means no swap */
		if (cl_cg_has(d, "memory.memsw.limit_in_bytes")) {
			int rc =
			    r->memory_swap == CL_UNLIMITED
				? cl_cg_write(d, "memory.memsw.limit_in_bytes", "-1", err)
				: cl_cg_write_u64(d, "memory.memsw.limit_in_bytes",
						  r->memory_swap ? r->memory_swap : s->memory, err);
			if (rc < 0)
				return cl_wrap(err, "--memory-swap");
		} else if (r->memory_swap) {
			return cl_fail(err, 0,
				       "--memory-swap: this kernel does not account swap "
				       "(no memory.memsw.limit_in_bytes; boot with swapaccount=1)");
		}
	}
	if ((r->memory_high || r->memory_low) &&
	    cl_cg_write_u64(d, "memory.soft_limit_in_bytes",
			    r->memory_low ? r->memory_low : r->memory_high, err) < 0)
		return cl_wrap(err, "--memory-high");
	return 0;
}

static int cpu_limits(const char *d, const struct cl_resources *r, struct cl_err *err)
{
	if (r->cpus_milli &&
	    (cl_cg_write_u64(d, "cpu.cfs_period_us", CL_CG_PERIOD_US, err) < 0 ||
	     cl_cg_write_u64(d, "cpu.cfs_quota_us",
			     (uint64_t)r->cpus_milli * CL_CG_PERIOD_US / 1000, err) < 0))
		return cl_wrap(err, "--cpus");
	/* v2's weight 1-10000 (default 100) onto v1's shares 2-262144 (default
	 * 1024), the conversion runc and crun use the other way round */
	if (r->cpu_weight &&
	    cl_cg_write_u64(d, "cpu.shares",
			    r->cpu_shares ? r->cpu_shares
					  : 2 + ((uint64_t)(r->cpu_weight - 1) * 262142) / 9999,
			    err) < 0)
		return cl_wrap(err, "--cpu-weight");
	return 0;
}

static int io_limits(const char *d, const struct cl_resources *r, struct cl_err *err)
{
	static const char *const files[] = {
	    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};

	if (r->io_weight) {
		/* 1-10000 onto CFQ's 10-1000 or BFQ's 1-1000 */
		uint64_t w = r->io_weight;
		int rc;
		if (cl_cg_has(d, "blkio.weight"))
			rc = cl_cg_write_u64(d, "blkio.weight", 10 + (w - 1) * 990 / 9999, err);
		else if (cl_cg_has(d, "blkio.bfq.weight") && cl_cg_bfq_in_use())
			rc = cl_cg_write_u64(d, "blkio.bfq.weight", 1 + (w - 1) * 999 / 9999, err);
		else
			return cl_fail(err, 0,
				       "--io-weight: no proportional I/O control on this host "
				       "(no blkio.weight, and no disk whose I/O scheduler is BFQ: "
				       "echo bfq > /sys/block/DISK/queue/scheduler)");
		if (rc < 0)
			return cl_wrap(err, "--io-weight");
	}
	for (size_t i = 0; i < r->n_io_max; i++) {
		const struct cl_io_limit *l = &r->io_max[i];
		const uint64_t v[4] = {l->rbps, l->wbps, l->riops, l->wiops};
		for (int k = 0; k < 4; k++) {
			char buf[64];
			if (!v[k])
				continue;
			snprintf(buf, sizeof(buf), "%u:%u %llu", l->major, l->minor,
				 (unsigned long long)v[k]);
			if (cl_cg_write(d, files[k], buf, err) < 0)
				return cl_wrap(err, "--io-max %s", l->dev);
		}
	}
	return 0;
}

/* @c's directory if it is a v1 one */
static const char *v1(const struct cl_cgroup *cg, enum cl_cg_ctrl c)
{
	return cl_cg_is_v2(cg, c) ? NULL : cl_cg_dir(cg, c);
}

int cl_cg_v1_limits(struct cl_cgroup *cg, const struct cl_spec *s, struct cl_err *err)
{
	const char *d;

	for (int i = 0; i < cg->n_dirs; i++)
		if (!cg->dir[i].v2 && (cg->dir[i].hier & (1U << CL_CG_CPUSET)) &&
		    cl_cg_v1_cpuset_fill(cg->dir[i].path, s->res.cpuset, err) < 0)
			return -1;
	if ((d = v1(cg, CL_CG_DEVICES)) && cl_cg_devices_v1(d, s, err) < 0)
		return -1;
	if ((d = v1(cg, CL_CG_MEMORY)) && memory_limits(d, s, err) < 0)
		return -1;
	if ((d = v1(cg, CL_CG_CPU)) && cpu_limits(d, &s->res, err) < 0)
		return -1;
	if ((d = v1(cg, CL_CG_PIDS)) && s->res.pids &&
	    cl_cg_write_u64(d, "pids.max", s->res.pids, err) < 0)
		return cl_wrap(err, "--pids");
	if ((d = v1(cg, CL_CG_IO)) && io_limits(d, &s->res, err) < 0)
		return -1;
	return 0;
}

/* Freeze, kill what is listed, thaw: a frozen process cannot fork, so no
 * child escapes the sweep, and a pid read cannot be reused before the kill.
 * Without the freezer, sweep until the group is empty. */
void cl_cg_v1_kill(struct cl_cgroup *cg)
{
	const char *fz = v1(cg, CL_CG_FREEZER), *any = NULL;

	/* only in groups still ours: one removed may be another run's now */
	if (fz && !cg->dir[cg->by_ctrl[CL_CG_FREEZER]].made_self)
		fz = NULL;
	for (int i = 0; i < cg->n_dirs && !any; i++)
		if (cg->dir[i].made_self)
			any = cg->dir[i].path;
	if (fz)
		any = fz;
	if (!any || cl_cg_empty(any))
		return;
	if (fz && cl_cg_write(fz, "freezer.state", "FROZEN", NULL) == 0) {
		char st[32] = "";
		for (int i = 0; i < 500; i++) {
			if (cl_cg_read(fz, "freezer.state", st, sizeof(st)) < 0 ||
			    strncmp(st, "FROZEN", 6) == 0)
				break;
			usleep(1000);
		}
		cl_cg_kill_listed(fz);
		cl_cg_write(fz, "freezer.state", "THAWED", NULL);
	}
	for (int i = 0; i < 200 && cl_cg_kill_listed(any) > 0; i++)
		if (cl_cg_wait_empty(any, 10) == 0)
			break;
	cl_cg_wait_empty(any, 2000);
}

static void io_bytes(const char *d, struct cl_cgroup_stats *st)
{
	char buf[8192];

	if (cl_cg_read(d, "blkio.throttle.io_service_bytes_recursive", buf, sizeof(buf)) < 0 &&
	    cl_cg_read(d, "blkio.io_service_bytes_recursive", buf, sizeof(buf)) < 0)
		return;
	st->read_bytes = st->written_bytes = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char op[16];
		unsigned long long v;
		if (sscanf(line, "%*u:%*u %15s %llu", op, &v) != 2)
			continue;
		if (!strcmp(op, "Read"))
			st->read_bytes += (int64_t)v;
		else if (!strcmp(op, "Write"))
			st->written_bytes += (int64_t)v;
	}
}

void cl_cg_v1_stats(struct cl_cgroup *cg, struct cl_cgroup_stats *st)
{
	const char *d;
	int64_t a, b;

	if ((d = v1(cg, CL_CG_CPUACCT))) {
		a = cl_cg_read_num(d, "cpuacct.usage_user");
		b = cl_cg_read_num(d, "cpuacct.usage_sys");
		if (a >= 0 && b >= 0) {
			st->user_s = (double)a / 1e9;
			st->system_s = (double)b / 1e9;
		} else {
			double hz = (double)sysconf(_SC_CLK_TCK);
			a = cl_cg_read_key(d, "cpuacct.stat", "user");
			b = cl_cg_read_key(d, "cpuacct.stat", "system");
			if (a >= 0 && b >= 0) {
				st->user_s = (double)a / hz;
				st->system_s = (double)b / hz;
			}
		}
	}
	if ((d = v1(cg, CL_CG_MEMORY))) {
		st->peak_memory = cl_cg_read_num(d, "memory.max_usage_in_bytes");
		st->oom_kills = cl_cg_read_key(d, "memory.oom_control", "oom_kill");
	}
	if ((d = v1(cg, CL_CG_PIDS))) {
		if (cg->sample_pids) {
			st->peak_pids = (int64_t)cg->peak_pids;
			st->peak_pids_sampled = true;
		} else {
			st->peak_pids = cl_cg_read_num(d, "pids.peak");
		}
		st->pids_limit_hits = cl_cg_read_key(d, "pids.events", "max");
	}
	if ((d = v1(cg, CL_CG_IO)))
		io_bytes(d, st);
	if ((d = v1(cg, CL_CG_CPU))) {
		st->cpu_periods = cl_cg_read_key(d, "cpu.stat", "nr_periods");
		st->cpu_throttled = cl_cg_read_key(d, "cpu.stat", "nr_throttled");
		a = cl_cg_read_key(d, "cpu.stat", "throttled_time");
		st->cpu_throttled_s = a >= 0 ? (double)a / 1e9 : -1;
	}
}
