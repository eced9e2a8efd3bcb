/* A detached jail's resource use, from its cgroups (svc/usage.h). */
#include "svc/usage.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns/cgroup.h"

static int read_small(const char *dir, const char *file, char *buf, size_t len)
{
	char path[4200];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* A number, "max" (no limit: -1), or a key's value in a flat keyed file. */
static int64_t read_value(const char *dir, const char *file, const char *key)
{
	char buf[4096];

	if (read_small(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	if (!key)
		return !strncmp(buf, "max", 3) ? -1 : strtoll(buf, NULL, 10);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		size_t k = strlen(key);
		if (!strncmp(line, key, k) && line[k] == ' ')
			return strtoll(line + k + 1, NULL, 10);
	}
	return -1;
}

/* v1 blkio.throttle.io_service_bytes ("MAJ:MIN Read N") or v2 io.stat
 * ("MAJ:MIN rbytes=N wbytes=N ..."), summed over the devices. */
static void read_io(const char *dir, bool v2, struct cl_usage *u)
{
	char buf[16384];

	if (read_small(dir, v2 ? "io.stat" : "blkio.throttle.io_service_bytes", buf, sizeof(buf)) <
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

	*u = (struct cl_usage){-1, -1, -1, -1, -1, -1, -1};
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
			int64_t us = read_value(path, "cpu.stat", "usage_usec");
			if (us >= 0)
				u->cpu_ns = us * 1000;
			if (ctrls & (1u << CL_CG_MEMORY)) {
				u->mem = read_value(path, "memory.current", NULL);
				u->mem_limit = read_value(path, "memory.max", NULL);
			}
			if (ctrls & (1u << CL_CG_PIDS)) {
				u->pids = read_value(path, "pids.current", NULL);
				u->pids_limit = read_value(path, "pids.max", NULL);
			}
			if (ctrls & (1u << CL_CG_IO))
				read_io(path, true, u);
			continue;
		}
		if (ctrls & (1u << CL_CG_CPUACCT))
			u->cpu_ns = read_value(path, "cpuacct.usage", NULL);
		if (ctrls & (1u << CL_CG_MEMORY)) {
			u->mem = read_value(path, "memory.usage_in_bytes", NULL);
			u->mem_limit = read_value(path, "memory.limit_in_bytes", NULL);
			/* v1 says "no limit" with a page-rounded LONG_MAX */
			if (u->mem_limit >= (1LL << 60))
				u->mem_limit = -1;
		}
		if (ctrls & (1u << CL_CG_PIDS)) {
			u->pids = read_value(path, "pids.current", NULL);
			u->pids_limit = read_value(path, "pids.max", NULL);
		}
		if (ctrls & (1u << CL_CG_IO))
			read_io(path, false, u);
	}
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
