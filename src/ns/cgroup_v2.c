/* cgroup v2: the context's directory in the unified tree (on a hybrid
 * layout too, for the device program, cgroup.kill and cpu.stat).  The child
 * starts in it (clone3 CLONE_INTO_CGROUP, no cgroup.procs write); the
 * controllers the limits need were enabled in the parents cloison made
 * (ns/cgroup.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns/cgroup_internal.h"

const char *cl_cg_v2_name(enum cl_cg_ctrl c)
{
	switch (c) {
	case CL_CG_CPU: return "cpu";
	case CL_CG_CPUSET: return "cpuset";
	case CL_CG_MEMORY: return "memory";
	case CL_CG_PIDS: return "pids";
	case CL_CG_IO: return "io";
	default: return NULL; /* cpu.stat, cgroup.freeze/kill and device programs are built in */
	}
}

static int memory_limits(const char *d, const struct cl_spec *s, struct cl_err *err)
{
	const struct cl_resources *r = &s->res;

	if (s->memory) {
		if (cl_cg_write_u64(d, "memory.max", s->memory, err) < 0)
			return cl_wrap(err, "--memory");
		/* v2's swap limit is swap alone; --memory-swap is memory plus swap */
		if (cl_cg_has(d, "memory.swap.max")) {
			int rc = r->memory_swap == CL_UNLIMITED
				     ? cl_cg_write(d, "memory.swap.max", "max", err)
				     : cl_cg_write_u64(
					   d, "memory.swap.max",
					   r->memory_swap ? r->memory_swap - s->memory : 0, err);
			if (rc < 0)
				return cl_wrap(err, "--memory-swap");
		} else if (r->memory_swap) {
			return cl_fail(err, 0,
				       "--memory-swap: this kernel does not account swap (no "
				       "memory.swap.max)");
		}
	}
	if (r->memory_low && cl_cg_write_u64(d, "memory.low", r->memory_low, err) < 0)
		return cl_wrap(err, "linux.resources.memory.reservation");
	if (r->memory_high && cl_cg_write_u64(d, "memory.high", r->memory_high, err) < 0)
		return cl_wrap(err, "--memory-high");
	return 0;
}

static int cpu_limits(const char *d, const struct cl_resources *r, struct cl_err *err)
{
	char buf[64];

	if (r->cpus_milli) {
		snprintf(buf, sizeof(buf), "%llu %u",
			 (unsigned long long)r->cpus_milli * CL_CG_PERIOD_US / 1000,
			 CL_CG_PERIOD_US);
		if (cl_cg_write(d, "cpu.max", buf, err) < 0)
			return cl_wrap(err, "--cpus");
	}
	if (r->cpu_weight && cl_cg_write_u64(d, "cpu.weight", r->cpu_weight, err) < 0)
		return cl_wrap(err, "--cpu-weight");
	return 0;
}

/* io.weight is blk-iocost's: it weighs nothing until the root's io.cost.qos
 * enables the controller on a disk. */
static bool iocost_enabled(void)
{
	static const char *const roots[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	char buf[1024];

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (cl_cg_read(roots[i], "io.cost.qos", buf, sizeof(buf)) > 0 &&
		    strstr(buf, "enable=1"))
			return true;
	return false;
}

static int io_limits(const char *d, const struct cl_resources *r, struct cl_err *err)
{
	char buf[160];

	if (r->io_weight) {
		const char *f = cl_cg_has(d, "io.weight") && iocost_enabled() ? "io.weight"
				: cl_cg_has(d, "io.bfq.weight") && cl_cg_bfq_in_use()
				    ? "io.bfq.weight"
				    : NULL;
		unsigned w = r->io_weight;
		if (!f)
			return cl_fail(
			    err, 0,
			    "--io-weight: no proportional I/O control on this host "
			    "(no disk with the io.cost controller enabled in io.cost.qos, "
			    "and none whose I/O scheduler is BFQ: echo bfq > "
			    "/sys/block/DISK/queue/scheduler)");
		if (f[3] == 'b') /* BFQ: 1-1000 */
			w = 1 + (w - 1) * 999 / 9999;
		snprintf(buf, sizeof(buf), "default %u", w);
		if (cl_cg_write(d, f, buf, err) < 0)
			return cl_wrap(err, "--io-weight");
	}
	for (size_t i = 0; i < r->n_io_max; i++) {
		const struct cl_io_limit *l = &r->io_max[i];
		size_t k = (size_t)snprintf(buf, sizeof(buf), "%u:%u", l->major, l->minor);
		if (l->rbps)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, " rbps=%llu",
					      (unsigned long long)l->rbps);
		if (l->wbps)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, " wbps=%llu",
					      (unsigned long long)l->wbps);
		if (l->riops)
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, " riops=%llu",
					      (unsigned long long)l->riops);
		if (l->wiops)
			snprintf(buf + k, sizeof(buf) - k, " wiops=%llu",
				 (unsigned long long)l->wiops);
		if (cl_cg_write(d, "io.max", buf, err) < 0)
			return cl_wrap(err, "--io-max %s", l->dev);
	}
	return 0;
}

/* @c's directory if it is the unified-tree one */
static const char *v2(const struct cl_cgroup *cg, enum cl_cg_ctrl c)
{
	return cl_cg_is_v2(cg, c) ? cl_cg_dir(cg, c) : NULL;
}

/* The device program is loaded after clone3 (cl_cgroup_attach), while the
 * child makes its mounts: the child runs nothing of the command's before
 * cloison says go, and the load (the verifier, the JIT) is the costliest
 * step of a group's set-up. */
int cl_cg_v2_devices(struct cl_cgroup *cg, const struct cl_spec *s, struct cl_err *err)
{
	return v2(cg, CL_CG_DEVICES) ? cl_cg_devices_v2(cg->v2_fd, s, err) : 0;
}

int cl_cg_v2_limits(struct cl_cgroup *cg, const struct cl_spec *s, struct cl_err *err)
{
	const char *d;

	if ((d = v2(cg, CL_CG_MEMORY)) && memory_limits(d, s, err) < 0)
		return -1;
	if ((d = v2(cg, CL_CG_CPU)) && cpu_limits(d, &s->res, err) < 0)
		return -1;
	if ((d = v2(cg, CL_CG_CPUSET)) && s->res.cpuset &&
	    cl_cg_write(d, "cpuset.cpus", s->res.cpuset, err) < 0)
		return cl_wrap(err, "--cpuset");
	if ((d = v2(cg, CL_CG_PIDS)) && s->res.pids &&
	    cl_cg_write_u64(d, "pids.max", s->res.pids, err) < 0)
		return cl_wrap(err, "--pids");
	if ((d = v2(cg, CL_CG_IO)) && io_limits(d, &s->res, err) < 0)
		return -1;
	return 0;
}

/* cgroup.kill (Linux 5.14) kills every process, forks in flight included;
 * older kernels: freeze, kill what is listed, thaw. */
void cl_cg_v2_kill(const char *d)
{
	if (!d || cl_cg_empty(d))
		return;
	if (cl_cg_write(d, "cgroup.kill", "1", NULL) < 0 &&
	    cl_cg_write(d, "cgroup.freeze", "1", NULL) == 0) {
		for (int i = 0; i < 500 && cl_cg_read_key(d, "cgroup.events", "frozen") == 0; i++)
			usleep(1000);
		cl_cg_kill_listed(d);
		cl_cg_write(d, "cgroup.freeze", "0", NULL);
	}
	for (int i = 0; i < 200 && cl_cg_wait_empty(d, 10) < 0; i++)
		cl_cg_kill_listed(d);
}

static void io_bytes(const char *d, struct cl_cgroup_stats *st)
{
	char buf[8192];

	if (cl_cg_read(d, "io.stat", buf, sizeof(buf)) < 0)
		return;
	st->read_bytes = st->written_bytes = 0;
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
		if (!strncmp(tok, "rbytes=", 7))
			st->read_bytes += strtoll(tok + 7, NULL, 10);
		else if (!strncmp(tok, "wbytes=", 7))
			st->written_bytes += strtoll(tok + 7, NULL, 10);
	}
}

void cl_cg_v2_stats(struct cl_cgroup *cg, struct cl_cgroup_stats *st)
{
	const char *d;
	int64_t a, b;

	if ((d = v2(cg, CL_CG_CPUACCT))) {
		a = cl_cg_read_key(d, "cpu.stat", "user_usec");
		b = cl_cg_read_key(d, "cpu.stat", "system_usec");
		if (a >= 0 && b >= 0) {
			st->user_s = (double)a / 1e6;
			st->system_s = (double)b / 1e6;
		}
	}
	if ((d = v2(cg, CL_CG_CPU))) {
		st->cpu_periods = cl_cg_read_key(d, "cpu.stat", "nr_periods");
		st->cpu_throttled = cl_cg_read_key(d, "cpu.stat", "nr_throttled");
		a = cl_cg_read_key(d, "cpu.stat", "throttled_usec");
		st->cpu_throttled_s = a >= 0 ? (double)a / 1e6 : -1;
	}
	if ((d = v2(cg, CL_CG_MEMORY))) {
		if (cg->sample_mem) {
			st->peak_memory = (int64_t)cg->peak_mem;
			st->peak_memory_sampled = true;
		} else {
			st->peak_memory = cl_cg_read_num(d, "memory.peak");
		}
		st->oom_kills = cl_cg_read_key(d, "memory.events", "oom_kill");
	}
	if ((d = v2(cg, CL_CG_PIDS))) {
		if (cg->sample_pids) {
			st->peak_pids = (int64_t)cg->peak_pids;
			st->peak_pids_sampled = true;
		} else {
			st->peak_pids = cl_cg_read_num(d, "pids.peak");
		}
		st->pids_limit_hits = cl_cg_read_key(d, "pids.events", "max");
	}
	if ((d = v2(cg, CL_CG_IO)))
		io_bytes(d, st);
}
