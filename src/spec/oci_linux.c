/* config.json's linux.* into the spec: namespaces, id mappings, devices,
 * the cgroup and its resources, sysctl, masked and read-only paths, the
 * rootfs's propagation, seccomp. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "spec/oci_internal.h"
#include "spec/oci_seccomp.h"
#include "spec/resources.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *type;
	int flag;
	enum cl_ns_kind kind;
} ns_types[] = {
    {"user", CLONE_NEWUSER, CL_NS_USER},       {"mount", CLONE_NEWNS, CL_NS_MNT},
    {"pid", CLONE_NEWPID, CL_NS_PID},	       {"network", CLONE_NEWNET, CL_NS_NET},
    {"ipc", CLONE_NEWIPC, CL_NS_IPC},	       {"uts", CLONE_NEWUTS, CL_NS_UTS},
    {"cgroup", CLONE_NEWCGROUP, CL_NS_CGROUP}, {"time", CLONE_NEWTIME, CL_NS_TIME},
};

static int parse_namespaces(const struct oci_ctx *x, json_object *a, struct cl_spec *s)
{
	int seen = 0;
	char field[64];

	s->explicit_ns = true;
	s->ns_flags = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		_cleanup_free_ char *type = NULL, *path = NULL;
		size_t k;

		snprintf(field, sizeof(field), "linux.namespaces[%zu]", i);
		if (!e || !json_object_is_type(e, json_type_object))
			return cl_oci_bad(x, field, "must be an object");
		snprintf(field, sizeof(field), "linux.namespaces[%zu].type", i);
		if (cl_oci_str(x, e, "type", field, &type) < 0)
			return -1;
		for (k = 0; type && k < sizeof(ns_types) / sizeof(ns_types[0]); k++)
			if (!strcmp(type, ns_types[k].type))
				break;
		if (!type || k == sizeof(ns_types) / sizeof(ns_types[0]))
			return cl_oci_bad(x, field,
					  "unknown namespace type '%s' (user, mount, pid, network, "
					  "ipc, uts, cgroup, time)",
					  type ? type : "");
		if (seen & ns_types[k].flag)
			return cl_oci_bad(x, field, "namespace '%s' listed twice", type);
		seen |= ns_types[k].flag;
		snprintf(field, sizeof(field), "linux.namespaces[%zu].path", i);
		if (cl_oci_str(x, e, "path", field, &path) < 0)
			return -1;
		if (path && path[0]) {
			if (path[0] != '/')
				return cl_oci_bad(x, field, "'%s' must be an absolute path", path);
			/* joined by the jail's process; a user, mount or time
			 * namespace of another's would need a different set-up */
			if (ns_types[k].flag & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWTIME))
				return cl_oci_bad(x, field,
						  "cloison cannot join an existing %s namespace "
						  "(it makes its own)",
						  type);
			s->ns_path[ns_types[k].kind] = path;
			path = NULL;
			continue;
		}
		s->ns_flags |= ns_types[k].flag;
	}
	if (!(s->ns_flags & CLONE_NEWNS))
		return cl_oci_bad(x, "linux.namespaces",
				  "a mount namespace is needed (cloison pivots into the rootfs)");
	s->userns = s->ns_flags & CLONE_NEWUSER;
	return 0;
}

static int parse_idmaps(const struct oci_ctx *x, json_object *a, const char *name,
			struct cl_idmap *maps, size_t *n)
{
	char field[64];

	*n = 0;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);
		int64_t in = -1, out = -1, size = -1;

		snprintf(field, sizeof(field), "linux.%s[%zu]", name, i);
		if (!e || !json_object_is_type(e, json_type_object))
			return cl_oci_bad(x, field, "must be an object");
		if (i >= CL_MAX_IDMAPS)
			return cl_oci_bad(x, field, "at most %d mappings", CL_MAX_IDMAPS);
		if (cl_oci_i64(x, e, "containerID", field, &in) < 0 ||
		    cl_oci_i64(x, e, "hostID", field, &out) < 0 ||
		    cl_oci_i64(x, e, "size", field, &size) < 0)
			return -1;
		if (in < 0 || out < 0 || size < 1 || in > UINT32_MAX || out > UINT32_MAX ||
		    size > UINT32_MAX || in + size - 1 > UINT32_MAX || out + size - 1 > UINT32_MAX)
			return cl_oci_bad(x, field,
					  "containerID, hostID and size must be given, "
					  "and the ranges fit in 32 bits");
		maps[(*n)++] = (struct cl_idmap){(uint32_t)in, (uint32_t)out, (uint32_t)size};
	}
	return 0;
}

static int parse_devices(const struct oci_ctx *x, json_object *a, struct cl_spec *s)
{
	size_t n = a ? json_object_array_length(a) : 0;
	char field[64];

	s->devices = calloc(n ? n : 1, sizeof(*s->devices));
	if (!s->devices)
		return cl_fail(x->err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		struct cl_device *d = &s->devices[s->n_devices];
		_cleanup_free_ char *path = NULL, *type = NULL;
		int64_t major = -1, minor = -1, mode = 0666, uid = 0, gid = 0;

		snprintf(field, sizeof(field), "linux.devices[%zu]", i);
		if (!e || !json_object_is_type(e, json_type_object))
			return cl_oci_bad(x, field, "must be an object");
		if (cl_oci_str(x, e, "path", field, &path) < 0 ||
		    cl_oci_str(x, e, "type", field, &type) < 0 ||
		    cl_oci_i64(x, e, "major", field, &major) < 0 ||
		    cl_oci_i64(x, e, "minor", field, &minor) < 0 ||
		    cl_oci_i64(x, e, "fileMode", field, &mode) < 0 ||
		    cl_oci_i64(x, e, "uid", field, &uid) < 0 ||
		    cl_oci_i64(x, e, "gid", field, &gid) < 0)
			return -1;
		if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
			return cl_oci_bad(x, field, "type '%s': c, b, u or p", type ? type : "");
		if (type[0] != 'p' && (major < 0 || minor < 0 || major > 0xfff || minor > 0xfffff))
			return cl_oci_bad(x, field, "major and minor numbers must be given");
		if (mode < 0 || mode > 07777 || uid < 0 || gid < 0 || uid > UINT32_MAX - 1 ||
		    gid > UINT32_MAX - 1)
			return cl_oci_bad(x, field, "fileMode, uid or gid out of range");
		snprintf(field, sizeof(field), "linux.devices[%zu].path", i);
		if (cl_oci_jail_path(x, field, path, &d->path) < 0)
			return -1;
		if (strncmp(d->path, "/dev/", 5)) {
			free(d->path);
			return cl_oci_bad(x, field, "'%s' is not below /dev", path);
		}
		d->type = type[0] == 'u' ? 'c' : type[0];
		d->major = major;
		d->minor = minor;
		d->mode = (uint32_t)mode;
		d->uid = (uid_t)uid;
		d->gid = (gid_t)gid;
		s->n_devices++;
	}
	return 0;
}

static int add_dev_rule(const struct oci_ctx *x, struct cl_spec *s, struct cl_dev_rule r)
{
	struct cl_dev_rule *nr = realloc(s->res.devices, (s->res.n_devices + 1) * sizeof(*nr));

	if (!nr)
		return cl_fail(x->err, ENOMEM, "out of memory");
	s->res.devices = nr;
	nr[s->res.n_devices++] = r;
	return 0;
}

/* The device cgroup: OCI's ordered allow/deny list, as runc and podman
 * write it (deny all, then what is allowed), into cloison's allow-list.
 * "Allow all" is a jail without one (--privileged). */
static int parse_dev_rules(const struct oci_ctx *x, json_object *a, struct cl_spec *s)
{
	char field[64];
	size_t n = a ? json_object_array_length(a) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		_cleanup_free_ char *type = NULL, *access = NULL;
		int64_t major = -1, minor = -1;
		bool allow = false;
		struct cl_dev_rule r = {0};

		snprintf(field, sizeof(field), "linux.resources.devices[%zu]", i);
		if (!e || !json_object_is_type(e, json_type_object))
			return cl_oci_bad(x, field, "must be an object");
		if (cl_oci_bool(x, e, "allow", field, &allow) < 0 ||
		    cl_oci_str(x, e, "type", field, &type) < 0 ||
		    cl_oci_str(x, e, "access", field, &access) < 0 ||
		    cl_oci_i64(x, e, "major", field, &major) < 0 ||
		    cl_oci_i64(x, e, "minor", field, &minor) < 0)
			return -1;
		r.type = type && type[0] ? type[0] : 'a';
		if (strlen(type ? type : "a") != 1 || !strchr("abc", r.type))
			return cl_oci_bad(x, field, "type '%s': a, b or c", type);
		for (const char *c = access ? access : "rwm"; *c; c++) {
			if (*c == 'r')
				r.access |= CL_DEV_READ;
			else if (*c == 'w')
				r.access |= CL_DEV_WRITE;
			else if (*c == 'm')
				r.access |= CL_DEV_MKNOD;
			else
				return cl_oci_bad(x, field, "access '%s': r, w, m", access);
		}
		r.major = major;
		r.minor = minor;
		bool all = r.type == 'a' && r.access == (CL_DEV_READ | CL_DEV_WRITE | CL_DEV_MKNOD);
		if (!allow) {
			/* deny everything: where the allow-list starts anyway */
			if (all && i == 0)
				continue;
			if (all && !s->res.no_device_cgroup && !s->res.n_devices)
				continue;
			return cl_oci_bad(x, field,
					  "cloison's device cgroup is an allow-list: a deny rule "
					  "can only come first, for every device");
		}
		if (all) {
			s->res.no_device_cgroup = true;
			continue;
		}
		if (add_dev_rule(x, s, r) < 0)
			return -1;
	}
	return 0;
}

/* linux.devices are made whatever the device cgroup's rules (runc makes
 * them before it writes the rules): the right to make each one, no more.
 * Reading or writing it is the rules' to allow. */
static int allow_mknod(const struct oci_ctx *x, struct cl_spec *s)
{
	if (s->res.no_device_cgroup)
		return 0;
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct cl_device *d = &s->devices[i];
		if (d->type == 'p')
			continue;
		if (add_dev_rule(x, s,
				 (struct cl_dev_rule){.type = d->type,
						      .major = d->major,
						      .minor = d->minor,
						      .access = CL_DEV_MKNOD}) < 0)
			return -1;
	}
	return 0;
}

static const char *const unsupported_resources[] = {"hugepageLimits", "network", "rdma", "unified",
						    NULL};

static int refuse_nonzero(const struct oci_ctx *x, json_object *o, const char *prefix,
			  const char *const *keys)
{
	for (; *keys; keys++) {
		json_object *v = cl_oci_get(o, *keys);
		char field[96];
		if (!v ||
		    (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 0) ||
		    (json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v)) ||
		    (json_object_is_type(v, json_type_array) && !json_object_array_length(v)) ||
		    (json_object_is_type(v, json_type_object) && !json_object_object_length(v)) ||
		    (json_object_is_type(v, json_type_string) && !json_object_get_string_len(v)))
			continue;
		snprintf(field, sizeof(field), "%s%s", prefix, *keys);
		return cl_oci_bad(x, field, "not supported by cloison");
	}
	return 0;
}

static int parse_io(const struct oci_ctx *x, json_object *io, struct cl_spec *s)
{
	static const char *const unsupported[] = {"leafWeight", "weightDevice", NULL};
	static const struct {
		const char *key;
		size_t off;
	} throttles[] = {
	    {"throttleReadBpsDevice", offsetof(struct cl_io_limit, rbps)},
	    {"throttleWriteBpsDevice", offsetof(struct cl_io_limit, wbps)},
	    {"throttleReadIOPSDevice", offsetof(struct cl_io_limit, riops)},
	    {"throttleWriteIOPSDevice", offsetof(struct cl_io_limit, wiops)},
	};
	int64_t w = 0;
	char field[96];

	if (refuse_nonzero(x, io, "linux.resources.blockIO.", unsupported) < 0 ||
	    cl_oci_i64(x, io, "weight", "linux.resources.blockIO.weight", &w) < 0)
		return -1;
	if (w && (w < 10 || w > 1000))
		return cl_oci_bad(x, "linux.resources.blockIO.weight", "out of range (10-1000)");
	if (w) /* v1's 10-1000 onto v2's 1-10000, as runc */
		s->res.io_weight = (unsigned)(1 + (w - 10) * 9999 / 990);
	for (size_t t = 0; t < sizeof(throttles) / sizeof(throttles[0]); t++) {
		json_object *a;
		snprintf(field, sizeof(field), "linux.resources.blockIO.%s", throttles[t].key);
		if (cl_oci_arr(x, io, throttles[t].key, field, &a) < 0)
			return -1;
		for (size_t i = 0; a && i < json_object_array_length(a); i++) {
			json_object *e = json_object_array_get_idx(a, i);
			int64_t major = -1, minor = -1, rate = -1;
			snprintf(field, sizeof(field), "linux.resources.blockIO.%s[%zu]",
				 throttles[t].key, i);
			if (cl_oci_i64(x, e, "major", field, &major) < 0 ||
			    cl_oci_i64(x, e, "minor", field, &minor) < 0 ||
			    cl_oci_i64(x, e, "rate", field, &rate) < 0)
				return -1;
			if (major < 0 || minor < 0 || rate < 0)
				return cl_oci_bad(x, field, "major, minor and rate must be given");
			struct cl_io_limit *l = NULL;
			for (size_t k = 0; k < s->res.n_io_max; k++)
				if (s->res.io_max[k].major == major &&
				    s->res.io_max[k].minor == minor)
					l = &s->res.io_max[k];
			if (!l) {
				struct cl_io_limit *nl =
				    realloc(s->res.io_max, (s->res.n_io_max + 1) * sizeof(*nl));
				if (!nl)
					return cl_fail(x->err, ENOMEM, "out of memory");
				s->res.io_max = nl;
				l = &nl[s->res.n_io_max++];
				*l = (struct cl_io_limit){.major = (unsigned)major,
							  .minor = (unsigned)minor};
				if (asprintf(&l->dev, "%lld:%lld", (long long)major,
					     (long long)minor) < 0)
					return cl_fail(x->err, ENOMEM, "out of memory");
			}
			*(uint64_t *)((char *)l + throttles[t].off) = (uint64_t)rate;
		}
	}
	return 0;
}

static int parse_resources(const struct oci_ctx *x, json_object *r, struct cl_spec *s)
{
	static const char *const mem_unsupported[] = {
	    "kernel",	    "kernelTCP",	 "swappiness", "disableOOMKiller",
	    "useHierarchy", "checkBeforeUpdate", NULL};
	static const char *const cpu_unsupported[] = {
	    "realtimeRuntime", "realtimePeriod", "mems", "idle", "burst", NULL};
	json_object *mem, *cpu, *pids, *io, *devs;
	int64_t v;

	if (refuse_nonzero(x, r, "linux.resources.", unsupported_resources) < 0)
		return -1;
	if (cl_oci_arr(x, r, "devices", "linux.resources.devices", &devs) < 0 ||
	    parse_dev_rules(x, devs, s) < 0)
		return -1;
	if (cl_oci_obj(x, r, "memory", "linux.resources.memory", &mem) < 0 ||
	    cl_oci_obj(x, r, "cpu", "linux.resources.cpu", &cpu) < 0 ||
	    cl_oci_obj(x, r, "pids", "linux.resources.pids", &pids) < 0 ||
	    cl_oci_obj(x, r, "blockIO", "linux.resources.blockIO", &io) < 0)
		return -1;
	if (mem) {
		if (refuse_nonzero(x, mem, "linux.resources.memory.", mem_unsupported) < 0)
			return -1;
		v = 0;
		if (cl_oci_i64(x, mem, "limit", "linux.resources.memory.limit", &v) < 0)
			return -1;
		if (v > 0)
			s->memory = (uint64_t)v;
		v = 0;
		if (cl_oci_i64(x, mem, "swap", "linux.resources.memory.swap", &v) < 0)
			return -1;
		if (v == -1)
			s->res.memory_swap = CL_UNLIMITED;
		else if (v > 0)
			s->res.memory_swap = (uint64_t)v;
		v = 0;
		if (cl_oci_i64(x, mem, "reservation", "linux.resources.memory.reservation", &v) < 0)
			return -1;
		if (v > 0)
			s->res.memory_low = (uint64_t)v; /* a protection, as runc */
	}
	if (cpu) {
		int64_t shares = 0, quota = 0, period = 0;
		_cleanup_free_ char *cpus = NULL;
		if (refuse_nonzero(x, cpu, "linux.resources.cpu.", cpu_unsupported) < 0 ||
		    cl_oci_i64(x, cpu, "shares", "linux.resources.cpu.shares", &shares) < 0 ||
		    cl_oci_i64(x, cpu, "quota", "linux.resources.cpu.quota", &quota) < 0 ||
		    cl_oci_i64(x, cpu, "period", "linux.resources.cpu.period", &period) < 0 ||
		    cl_oci_str(x, cpu, "cpus", "linux.resources.cpu.cpus", &cpus) < 0)
			return -1;
		if (shares && (shares < 2 || shares > 262144))
			return cl_oci_bad(x, "linux.resources.cpu.shares",
					  "out of range (2-262144)");
		if (shares) /* v1 shares onto v2 weight, as runc */
			s->res.cpu_weight = (unsigned)(1 + ((shares - 2) * 9999) / 262142);
		s->res.cpu_shares = (uint64_t)shares; /* v1 writes them as given */
		if (quota > 0) {
			if (!period)
				period = 100000;
			if (period < 1000 || period > 1000000)
				return cl_oci_bad(x, "linux.resources.cpu.period",
						  "out of range (1000-1000000 us)");
			/* up to 65536 CPUs: the thousandths fit in 32 bits */
			if (quota / period >= 65536)
				return cl_oci_bad(x, "linux.resources.cpu.quota", "out of range");
			uint64_t milli = (uint64_t)quota * 1000 / (uint64_t)period;
			if (!milli || (uint64_t)quota * 1000 % (uint64_t)period)
				return cl_oci_bad(x, "linux.resources.cpu.quota",
						  "%lld/%lld us is not a whole thousandth of a CPU",
						  (long long)quota, (long long)period);
			s->res.cpus_milli = (unsigned)milli;
		}
		if (cpus && cpus[0]) {
			s->res.cpuset = cpus;
			cpus = NULL;
		}
	}
	if (pids) {
		v = 0;
		if (cl_oci_i64(x, pids, "limit", "linux.resources.pids.limit", &v) < 0)
			return -1;
		if (v > 0)
			s->res.pids = (uint64_t)v;
	}
	if (io && parse_io(x, io, s) < 0)
		return -1;
	return 0;
}

/* Only what the jail's own namespaces isolate, as runc allows. */
static int parse_sysctl(const struct oci_ctx *x, json_object *o, struct cl_spec *s)
{
	size_t n = json_object_object_length(o), i = 0;
	char field[160];

	s->sysctl = calloc(n + 1, sizeof(*s->sysctl));
	if (!s->sysctl)
		return cl_fail(x->err, ENOMEM, "out of memory");
	json_object_object_foreach(o, k, v)
	{
		snprintf(field, sizeof(field), "linux.sysctl.%s", k);
		if (!v || !json_object_is_type(v, json_type_string))
			return cl_oci_bad(x, field, "must be a string");
		bool ipc = !strncmp(k, "fs.mqueue.", 10) || !strcmp(k, "kernel.msgmax") ||
			   !strcmp(k, "kernel.msgmnb") || !strcmp(k, "kernel.msgmni") ||
			   !strcmp(k, "kernel.sem") || !strcmp(k, "kernel.shmall") ||
			   !strcmp(k, "kernel.shmmax") || !strcmp(k, "kernel.shmmni") ||
			   !strcmp(k, "kernel.shm_rmid_forced");
		bool net = !strncmp(k, "net.", 4);
		bool uts = !strcmp(k, "kernel.hostname") || !strcmp(k, "kernel.domainname");
		if (!ipc && !net && !uts)
			return cl_oci_bad(x, field,
					  "not a namespaced sysctl: it would change the host");
		if ((ipc && !(s->ns_flags & CLONE_NEWIPC) && !s->ns_path[CL_NS_IPC]) ||
		    (net && !(s->ns_flags & CLONE_NEWNET) && !s->ns_path[CL_NS_NET]) ||
		    (uts && !(s->ns_flags & CLONE_NEWUTS)))
			return cl_oci_bad(x, field,
					  "the jail shares this namespace with the host: it "
					  "would change the host's");
		if (strstr(k, "..") || strchr(k, '/') || strlen(k) > 100)
			return cl_oci_bad(x, field, "invalid name");
		if (asprintf(&s->sysctl[i++], "%s=%s", k, json_object_get_string(v)) < 0)
			return cl_fail(x->err, ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_paths(const struct oci_ctx *x, json_object *l, const char *key, char ***out)
{
	char field[64], **raw = NULL;

	snprintf(field, sizeof(field), "linux.%s", key);
	if (cl_oci_strv(x, l, key, field, &raw) < 0)
		return -1;
	size_t n = 0;
	while (raw && raw[n])
		n++;
	*out = calloc(n + 1, sizeof(**out));
	if (!*out) {
		cl_strv_free(raw);
		return cl_fail(x->err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "linux.%s[%zu]", key, i);
		if (raw[i][0] != '/') {
			cl_strv_free(raw);
			return cl_oci_bad(x, field, "must be an absolute path");
		}
		if (cl_oci_jail_path(x, field, raw[i], &(*out)[i]) < 0) {
			cl_strv_free(raw);
			return -1;
		}
	}
	cl_strv_free(raw);
	return 0;
}

int cl_oci_linux(const struct oci_ctx *x, json_object *l, struct cl_spec *s, struct cl_oci *o)
{
	static const char *const unsupported[] = {
	    "mountLabel",   "intelRdt",	  "personality", "timeOffsets",
	    "memoryPolicy", "netDevices", "clos",	 NULL};
	json_object *a, *res, *sysctl;
	_cleanup_free_ char *prop = NULL;

	if (refuse_nonzero(x, l, "linux.", unsupported) < 0)
		return -1;
	if (cl_oci_arr(x, l, "namespaces", "linux.namespaces", &a) < 0 ||
	    parse_namespaces(x, a, s) < 0)
		return -1;
	if (cl_oci_arr(x, l, "uidMappings", "linux.uidMappings", &a) < 0 ||
	    parse_idmaps(x, a, "uidMappings", s->uid_map, &s->n_uid_map) < 0 ||
	    cl_oci_arr(x, l, "gidMappings", "linux.gidMappings", &a) < 0 ||
	    parse_idmaps(x, a, "gidMappings", s->gid_map, &s->n_gid_map) < 0)
		return -1;
	if (s->userns && (!s->n_uid_map || !s->n_gid_map))
		return cl_oci_bad(x, "linux.uidMappings",
				  "a user namespace needs uidMappings and gidMappings");
	if (!s->userns && (s->n_uid_map || s->n_gid_map))
		return cl_oci_bad(x, "linux.uidMappings", "mappings without a user namespace");
	if (cl_oci_arr(x, l, "devices", "linux.devices", &a) < 0 || parse_devices(x, a, s) < 0)
		return -1;
	if (cl_oci_str(x, l, "cgroupsPath", "linux.cgroupsPath", &o->cgroups_path) < 0)
		return -1;
	if (o->cgroups_path && o->cgroups_path[0]) {
		const char *cp = o->cgroups_path;
		if (strchr(cp, ':'))
			return cl_oci_bad(x, "linux.cgroupsPath",
					  "'%s' is a systemd slice:prefix:name, and cloison "
					  "manages cgroups itself (cgroupfs)",
					  cp);
		if (strstr(cp, ".."))
			return cl_oci_bad(x, "linux.cgroupsPath", "'%s' has \"..\"", cp);
		const char *slash = strrchr(cp, '/');
		if (!slash || !slash[1]) {
			s->res.name = strdup(slash ? "" : cp);
		} else {
			s->res.name = strdup(slash + 1);
			s->res.cgroup_parent = slash == cp ? strdup("/") : strndup(cp, slash - cp);
			if (!s->res.cgroup_parent)
				return cl_fail(x->err, ENOMEM, "out of memory");
		}
		if (!s->res.name || !s->res.name[0])
			return cl_oci_bad(x, "linux.cgroupsPath", "'%s' names no cgroup", cp);
	}
	if (cl_oci_obj(x, l, "resources", "linux.resources", &res) < 0 ||
	    (res && parse_resources(x, res, s) < 0) || allow_mknod(x, s) < 0)
		return -1;
	if (cl_oci_obj(x, l, "sysctl", "linux.sysctl", &sysctl) < 0 ||
	    (sysctl && parse_sysctl(x, sysctl, s) < 0))
		return -1;
	if (parse_paths(x, l, "maskedPaths", &s->masked_paths) < 0 ||
	    parse_paths(x, l, "readonlyPaths", &s->readonly_paths) < 0)
		return -1;
	if (cl_oci_str(x, l, "rootfsPropagation", "linux.rootfsPropagation", &prop) < 0)
		return -1;
	if (prop && prop[0] && cl_oci_propagation(prop, &s->rootfs_propagation) < 0)
		return cl_oci_bad(x, "linux.rootfsPropagation", "unknown propagation '%s'", prop);
	/* no seccomp section: no filter */
	return cl_oci_seccomp(cl_oci_get(l, "seccomp"), s, x->where, x->err);
}
