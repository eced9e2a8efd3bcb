/* A detached jail's resource use, from its cgroups (svc/usage.h). */
#include "svc/usage.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns/cgroup.h"
#include "ns/cgroup_internal.h"

/* Usage less the inactive file cache (v1's hierarchical total_ key). */
static int64_t read_mem(const char *dir, bool v2)
{
	int64_t use = cl_cg_read_num(dir, v2 ? "memory.current" : "memory.usage_in_bytes");
	int64_t cache =
	    cl_cg_read_key(dir, "memory.stat", v2 ? "inactive_file" : "total_inactive_file");

	if (use >= 0 && cache > 0)
		use = cache < use ? use - cache : 0;
	return use;
}

/* v1 blkio.throttle.io_service_bytes ("MAJ:MIN Read N") or v2 io.stat
 * ("MAJ:MIN rbytes=N wbytes=N ..."), summed over the devices. */
static void read_io(const char *dir, bool v2, struct cl_usage *u)
{
	char buf[16384];

	if (cl_cg_read(dir, v2 ? "io.stat" : "blkio.throttle.io_service_bytes", buf, sizeof(buf)) <
	    0)
		return;
	u->blk_read = u->blk_write = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *p;
		long long v;
		if (v2) {
			if ((p = strstr(line, "rbytes=")))
				u->blk_read += strtoll(p + 7, NULL, 10);
			if ((p = strstr(line, "wbytes=")))
				u->blk_write += strtoll(p + 7, NULL, 10);
		} else if ((p = strrchr(line, ' ')) && sscanf(p + 1, "%lld", &v) == 1) {
			if (strstr(line, " Read "))
				u->blk_read += v;
			else if (strstr(line, " Write "))
				u->blk_write += v;
		}
	}
}

void cl_usage_read(const struct cl_state *st, struct cl_usage *u)
{
	json_object *dirs;

	*u = (struct cl_usage){.cpu_ns = -1,
			       .mem = -1,
			       .mem_limit = -1,
			       .pids = -1,
			       .pids_limit = -1,
			       .blk_read = -1,
			       .blk_write = -1,
			       .net_rx = -1,
			       .net_tx = -1};
	if (!st->j || !json_object_object_get_ex(st->j, "cgroups", &dirs))
		return;
	for (size_t i = 0; i < json_object_array_length(dirs); i++) {
		json_object *d = json_object_array_get_idx(dirs, i), *v;
		const char *path =
		    json_object_object_get_ex(d, "path", &v) ? json_object_get_string(v) : NULL;
		bool v2 = json_object_object_get_ex(d, "v2", &v) && json_object_get_boolean(v);
		unsigned ctrls = json_object_object_get_ex(d, "controllers", &v)
				     ? (unsigned)json_object_get_int(v)
				     : 0;
		if (!path)
			continue;
		if (v2) {
			int64_t us = cl_cg_read_key(path, "cpu.stat", "usage_usec");
			if (us >= 0)
				u->cpu_ns = us * 1000;
			if (ctrls & (1u << CL_CG_MEMORY)) {
				u->mem = read_mem(path, true);
				u->mem_limit = cl_cg_read_num(path, "memory.max");
			}
			if (ctrls & (1u << CL_CG_PIDS)) {
				u->pids = cl_cg_read_num(path, "pids.current");
				u->pids_limit = cl_cg_read_num(path, "pids.max");
			}
			if (ctrls & (1u << CL_CG_IO))
				read_io(path, true, u);
			continue;
		}
		if (ctrls & (1u << CL_CG_CPUACCT))
			u->cpu_ns = cl_cg_read_num(path, "cpuacct.usage");
		if (ctrls & (1u << CL_CG_MEMORY)) {
			u->mem = read_mem(path, false);
			u->mem_limit = cl_cg_read_num(path, "memory.limit_in_bytes");
			/* v1 says "no limit" with a page-rounded LONG_MAX */
			if (u->mem_limit >= (1LL << 60))
				u->mem_limit = -1;
		}
		if (ctrls & (1u << CL_CG_PIDS)) {
			u->pids = cl_cg_read_num(path, "pids.current");
			u->pids_limit = cl_cg_read_num(path, "pids.max");
		}
		if (ctrls & (1u << CL_CG_IO))
			read_io(path, false, u);
	}
}

static bool same_netns(pid_t a, pid_t b)
{
	char pa[64], pb[64];
	struct stat sa, sb;

	snprintf(pa, sizeof(pa), "/proc/%d/ns/net", (int)a);
	snprintf(pb, sizeof(pb), "/proc/%d/ns/net", (int)b);
	return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

void cl_usage_read_net(const struct cl_state *st, struct cl_usage *u)
{
	pid_t pid = (pid_t)cl_state_int(st, "pid");
	pid_t monitor = (pid_t)cl_state_int(st, "monitor_pid");
	char path[64], buf[16384];
	int64_t rx = 0, tx = 0;

	/* a namespace shared with the monitor is its creator's: the host's
	 * counters, not the jail's */
	if (pid <= 0 || strcmp(cl_state_str(st, "mode"), "container") ||
	    !cl_pid_alive(pid, (unsigned long long)cl_state_int(st, "pid_start")) ||
	    same_netns(pid, monitor))
		return;
	snprintf(path, sizeof(path), "/proc/%d/net", (int)pid);
	if (cl_cg_read(path, "dev", buf, sizeof(buf)) < 0)
		return;
	/* two header lines, then "  NAME: rx_bytes 7 more, tx_bytes 7 more" */
	char *line = strchr(buf, '\n');
	line = line ? strchr(line + 1, '\n') : NULL;
	for (; line && *++line; line = strchr(line, '\n')) {
		char *colon = strchr(line, ':');
		unsigned long long v[9];
		if (!colon)
			break;
		char *name = line + strspn(line, " ");
		if (colon - name == 2 && !strncmp(name, "lo", 2))
			continue;
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
			rx += (int64_t)v[0];
			tx += (int64_t)v[8];
		}
	}
	u->net_rx = rx;
	u->net_tx = tx;
}

const char *cl_usage_size(int64_t b, char buf[16])
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int i = 0;

	if (b < 0)
		return "-";
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, 16, i ? "%.1f%s" : "%.0f%s", v, unit[i]);
	return buf;
}

static unsigned ctrl_bits(const char *list)
{
	static const struct {
		const char *name;
		int ctrl;
	} map[] = {
	    {"cpu", CL_CG_CPU},	      {"cpuacct", CL_CG_CPUACCT}, {"cpuset", CL_CG_CPUSET},
	    {"memory", CL_CG_MEMORY}, {"pids", CL_CG_PIDS},	  {"blkio", CL_CG_IO},
	    {"io", CL_CG_IO},	      {"freezer", CL_CG_FREEZER}, {"devices", CL_CG_DEVICES}};
	unsigned bits = 0;
	char buf[256];

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *w = strtok_r(buf, ", \n", &save); w; w = strtok_r(NULL, ", \n", &save))
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (!strcmp(w, map[i].name))
				bits |= 1u << map[i].ctrl;
	return bits;
}

/* The mount point of the hierarchy with these controllers ("" = cgroup2). */
static bool hierarchy_mount(const char *ctrls, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char root[256], point[512], type[32], opts[512];
		const char *dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %255s %511s", root, point) != 2 ||
		    sscanf(dash + 3, "%31s %*s %511s", type, opts) != 2 || strcmp(root, "/"))
			continue;
		if (!*ctrls) {
			found = !strcmp(type, "cgroup2");
		} else if (!strcmp(type, "cgroup")) {
			unsigned want = ctrl_bits(ctrls);
			found = want && (ctrl_bits(opts) & want) == want;
		}
		if (found)
			snprintf(out, len, "%s", point);
	}
	fclose(f);
	return found;
}

json_object *cl_usage_cgroups_of(pid_t pid, const char *name)
{
	char path[64], line[1024];
	json_object *a = NULL;
	size_t nl = strlen(name);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (!(f = fopen(path, "re")))
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, mnt[512],
		     dir[1536];
		if (!c2)
			continue;
		*c2 = '\0';
		char *cg = c2 + 1;
		cg[strcspn(cg, "\n")] = '\0';
		size_t cl = strlen(cg);
		if (cl <= nl || cg[cl - nl - 1] != '/' || strcmp(cg + cl - nl, name) ||
		    !hierarchy_mount(c1 + 1, mnt, sizeof(mnt)))
			continue;
		bool v2 = c1[1] == '\0';
		snprintf(dir, sizeof(dir), "%s%s", mnt, cg);
		unsigned bits = 0;
		if (v2) {
			char ctl[256];
			bits = (1u << CL_CG_CPUACCT) | (1u << CL_CG_FREEZER);
			if (cl_cg_read(dir, "cgroup.controllers", ctl, sizeof(ctl)) >= 0)
				bits |= ctrl_bits(ctl);
		} else {
			bits = ctrl_bits(c1 + 1);
		}
		json_object *d = json_object_new_object();
		json_object_object_add(d, "path", json_object_new_string(dir));
		json_object_object_add(d, "v2", json_object_new_boolean(v2));
		json_object_object_add(d, "controllers", json_object_new_int((int)bits));
		if (!a)
			a = json_object_new_array();
		json_object_array_add(a, d);
	}
	fclose(f);
	return a;
}
