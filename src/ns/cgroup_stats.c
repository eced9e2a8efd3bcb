/* Accounting: what the context used, read from its cgroup files when the
 * command has ended (before the groups are removed), printed as a short
 * table (--stats) or written as JSON with json-c (--stats-json FILE).
 *
 *   wall time      cloison's clock, from the cgroup's creation to the end
 *   cpu user/sys   v1 cpuacct.usage_user/usage_sys (cpuacct.stat ticks on old
 *                  kernels); v2 cpu.stat user_usec/system_usec
 *   peak memory    v1 memory.max_usage_in_bytes; v2 memory.peak (recent
 *                  kernels), else memory.current sampled every CL_CG_SAMPLE_MS
 *   peak pids      pids.peak (recent kernels, both layouts), else pids.current
 *                  sampled every CL_CG_SAMPLE_MS (a burst between two
 *                  samples is missed: the output says "sampled")
 *   OOM kills      v1 memory.oom_control oom_kill; v2 memory.events oom_kill
 *   read/written   v1 blkio.throttle.io_service_bytes_recursive; v2 io.stat
 *                  (I/O that reached a block device: page-cache hits and
 *                  tmpfs do not count); or, where more, the processes' own
 *                  accounting (cl_cgroup_stats_add_rusage) */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ns/cgroup_internal.h"
#include "util/json.h"

void cl_cgroup_read_stats(struct cl_cgroup *cg, struct cl_cgroup_stats *st)
{
	struct timespec now;

	st->user_s = st->system_s = -1;
	st->peak_memory = st->peak_pids = st->oom_kills = st->read_bytes = st->written_bytes = -1;
	st->peak_memory_sampled = st->peak_pids_sampled = false;
	st->pids_limit_hits = st->cpu_periods = st->cpu_throttled = -1;
	st->cpu_throttled_s = -1;
	st->io_source = st->cpu_source = NULL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	st->wall_s = (double)(now.tv_sec - cg->started.tv_sec) +
		     (double)(now.tv_nsec - cg->started.tv_nsec) / 1e9;
	/* each controller from the files of the layout it is in */
	if (cg->version) {
		cl_cg_v1_stats(cg, st);
		cl_cg_v2_stats(cg, st);
	}
}

void cl_cgroup_stats_add_rusage(struct cl_cgroup_stats *st, const struct rusage *ru)
{
	/* blocks of 512 bytes: what the processes read from storage, and what
	 * they dirtied for it (counted when written to, not at writeback) */
	int64_t rb = (int64_t)ru->ru_inblock * 512, wb = (int64_t)ru->ru_oublock * 512;

	if (st->read_bytes >= 0 || st->written_bytes >= 0)
		st->io_source = "cgroup";
	if (rb + wb > (st->read_bytes > 0 ? st->read_bytes : 0) +
			  (st->written_bytes > 0 ? st->written_bytes : 0)) {
		st->read_bytes = rb;
		st->written_bytes = wb;
		st->io_source = "processes";
	}
	if (st->user_s >= 0 && st->system_s >= 0) {
		st->cpu_source = "cgroup";
	} else {
		st->user_s = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6;
		st->system_s = (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
		st->cpu_source = "processes";
	}
}

static const char *bytes(int64_t v, char *buf, size_t size)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double d = (double)v;
	int u = 0;

	if (v < 0)
		return "-";
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lld B", (long long)v);
	else
		snprintf(buf, size, "%.1f %s", d, unit[u]);
	return buf;
}

static const char *seconds(double v, char *buf, size_t size)
{
	if (v < 0)
		return "-";
	snprintf(buf, size, "%.3f s", v);
	return buf;
}

static const char *count(int64_t v, bool sampled, char *buf, size_t size)
{
	if (v < 0)
		return "-";
	snprintf(buf, size, "%lld%s", (long long)v, sampled ? " (sampled)" : "");
	return buf;
}

void cl_cgroup_stats_print(const struct cl_cgroup *cg, const struct cl_cgroup_stats *st, FILE *out)
{
	char b[64];

	if (cg->version)
		fprintf(out, "cloison: resources used by %s (cgroup v%d):\n", cg->name,
			cg->version);
	else
		fputs("cloison: resources used by the jail (no cgroup: what its processes "
		      "counted):\n",
		      out);
	fprintf(out, "  %-14s %s\n", "wall time", seconds(st->wall_s, b, sizeof(b)));
	fprintf(out, "  %-14s %s\n", "cpu user", seconds(st->user_s, b, sizeof(b)));
	fprintf(out, "  %-14s %s\n", "cpu system", seconds(st->system_s, b, sizeof(b)));
	fprintf(out, "  %-14s %s%s\n", "peak memory", bytes(st->peak_memory, b, sizeof(b)),
		st->peak_memory >= 0 && st->peak_memory_sampled ? " (sampled)" : "");
	fprintf(out, "  %-14s %s\n", "peak pids",
		count(st->peak_pids, st->peak_pids_sampled, b, sizeof(b)));
	fprintf(out, "  %-14s %s\n", "oom kills", count(st->oom_kills, false, b, sizeof(b)));
	fprintf(out, "  %-14s %s\n", "read", bytes(st->read_bytes, b, sizeof(b)));
	fprintf(out, "  %-14s %s%s\n", "written", bytes(st->written_bytes, b, sizeof(b)),
		st->io_source && !strcmp(st->io_source, "processes")
		    ? " (read and written: the processes' own count)"
		    : "");
	if (st->pids_limit_hits > 0)
		fprintf(out, "  %-14s %lld\n", "forks refused", (long long)st->pids_limit_hits);
	if (st->cpu_throttled > 0)
		fprintf(out, "  %-14s %lld of %lld periods\n", "cpu throttled",
			(long long)st->cpu_throttled, (long long)st->cpu_periods);
}

/* Seconds to the microsecond. */
static json_object *jdouble(double v)
{
	return cl_json_fixed(v, 6);
}

int cl_cgroup_stats_write_json(const struct cl_cgroup *cg, const struct cl_cgroup_stats *st,
			       const char *path, struct cl_err *err)
{
	json_object *o = json_object_new_object();
	int r = 0;

	if (!o)
		return cl_fail(err, ENOMEM, "out of memory");
	json_object_object_add(o, "cgroup", cg->version ? json_object_new_string(cg->name) : NULL);
	json_object_object_add(o, "cgroup_version", json_object_new_int(cg->version));
	json_object_object_add(o, "exit_status", json_object_new_int(st->exit_status));
	json_object_object_add(o, "timed_out", json_object_new_boolean(st->timed_out));
	json_object_object_add(o, "wall_seconds", jdouble(st->wall_s));
	json_object_object_add(o, "user_seconds", jdouble(st->user_s));
	json_object_object_add(o, "system_seconds", jdouble(st->system_s));
	json_object_object_add(o, "peak_memory_bytes", cl_json_int(st->peak_memory));
	json_object_object_add(o, "peak_memory_sampled",
			       json_object_new_boolean(st->peak_memory_sampled));
	json_object_object_add(o, "peak_pids", cl_json_int(st->peak_pids));
	json_object_object_add(o, "peak_pids_sampled",
			       json_object_new_boolean(st->peak_pids_sampled));
	json_object_object_add(o, "oom_kills", cl_json_int(st->oom_kills));
	json_object_object_add(o, "read_bytes", cl_json_int(st->read_bytes));
	json_object_object_add(o, "written_bytes", cl_json_int(st->written_bytes));
	json_object_object_add(o, "io_source",
			       st->io_source ? json_object_new_string(st->io_source) : NULL);
	json_object_object_add(o, "cpu_source",
			       st->cpu_source ? json_object_new_string(st->cpu_source) : NULL);
	json_object_object_add(o, "pids_limit_hits", cl_json_int(st->pids_limit_hits));
	json_object_object_add(o, "cpu_periods", cl_json_int(st->cpu_periods));
	json_object_object_add(o, "cpu_throttled_periods", cl_json_int(st->cpu_throttled));
	json_object_object_add(o, "cpu_throttled_seconds", jdouble(st->cpu_throttled_s));
	if (json_object_to_file_ext(path, o,
				    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
		r = cl_fail(err, errno, "cannot write the accounting to %s", path);
	json_object_put(o);
	return r;
}

int64_t cl_cgroup_memory_current(const struct cl_cgroup *cg, const char **dir)
{
	const char *d = cg->version ? cl_cg_dir(cg, CL_CG_MEMORY) : NULL;

	if (dir)
		*dir = d;
	if (!d)
		return -1;
	return cl_cg_read_num(d, cl_cg_is_v2(cg, CL_CG_MEMORY) ? "memory.current"
							       : "memory.usage_in_bytes");
}
