/* The spec's resources part: the settings (limits, devices, placement,
 * deadline, accounting), their defaults and validation.  ns/cgroup*.c turn
 * them into cgroup files; nothing here touches the host. */
#include "spec/resources.h"

#include <ctype.h>
#include <sched.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "spec/settings.h"
#include "util/cleanup.h"

/* The /dev set of container mode (ns/mounts.c), plus the terminal nodes. */
const struct cl_dev_rule cl_dev_defaults[] = {
    {'c', 1, 3, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* null */
    {'c', 1, 5, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* zero */
    {'c', 1, 7, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* full */
    {'c', 1, 8, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* random */
    {'c', 1, 9, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* urandom */
    {'c', 5, 0, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* tty */
    {'c', 5, 1, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* console */
    {'c', 5, 2, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE},    /* ptmx */
    {'c', 136, -1, CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE}, /* pts/N */
};
const size_t cl_n_dev_defaults = sizeof(cl_dev_defaults) / sizeof(cl_dev_defaults[0]);

void cl_resources_init(struct cl_spec *s)
{
	memset(&s->res, 0, sizeof(s->res));
	s->res.timeout_grace_ms = CL_TIMEOUT_GRACE_DEFAULT_MS;
}

void cl_resources_free(struct cl_spec *s)
{
	struct cl_resources *r = &s->res;

	free(r->cpuset);
	for (size_t i = 0; i < r->n_io_max; i++)
		free(r->io_max[i].dev);
	free(r->io_max);
	free(r->devices);
	free(r->cgroup_parent);
	free(r->name);
	free(r->stats_json);
	memset(r, 0, sizeof(*r));
}

bool cl_resources_limited(const struct cl_spec *s)
{
	const struct cl_resources *r = &s->res;

	return (s->backend == CL_BACKEND_NS && s->memory) || r->memory_swap || r->memory_high ||
	       r->memory_low || r->cpus_milli || r->cpu_weight || r->cpuset || r->pids ||
	       r->io_weight || r->n_io_max || r->cgroup_parent || r->name;
	/* not --stats/--stats-json: without a cgroup of its own (rootless,
	 * no delegation) the processes' own accounting stands in, with a warning */
}

bool cl_resources_devices_required(const struct cl_spec *s)
{
	return s->backend == CL_BACKEND_NS && !s->res.no_device_cgroup &&
	       (!(s->ns_flags & CLONE_NEWUSER) || s->res.n_devices);
}

const char *cl_format_size(uint64_t b, char buf[32])
{
	static const char units[] = "KMGT";
	int u = -1;

	while (u < 3 && b && b % 1024 == 0) {
		b /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, 32, "%llu", (unsigned long long)b);
	else
		snprintf(buf, 32, "%llu%c", (unsigned long long)b, units[u]);
	return buf;
}

/* "1", "0.5", "2.25": a decimal with at most three fractional digits, in
 * thousandths.  No sign, no exponent: "-1" and "1e3" are refused. */
static int parse_milli(const char *v, uint64_t max_milli, uint64_t *out)
{
	uint64_t whole = 0, frac = 0;
	int digits = 0;
	const char *p = v;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > max_milli / 1000)
			return -1;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			if (digits >= 3)
				return -1;
			frac = frac * 10 + (uint64_t)(*p - '0');
		}
		if (digits == 0)
			return -1;
		while (digits++ < 3)
			frac *= 10;
	}
	if (*p)
		return -1;
	*out = whole * 1000 + frac;
	return *out <= max_milli ? 0 : -1;
}

/* "1.5", "2", "0.25": thousandths printed without trailing zeros. */
static void print_milli(FILE *out, const char *name, uint64_t m)
{
	char frac[8];
	int len;

	if (m % 1000 == 0) {
		fprintf(out, "%s %llu\n", name, (unsigned long long)(m / 1000));
		return;
	}
	len = snprintf(frac, sizeof(frac), "%03u", (unsigned)(m % 1000));
	while (len > 1 && frac[len - 1] == '0')
		frac[--len] = '\0';
	fprintf(out, "%s %llu.%s\n", name, (unsigned long long)(m / 1000), frac);
}

/* --- memory ---------------------------------------------------------------- */

/* Containers: the cgroup's memory limit; micro-VM: the guest's RAM. */
static int set_memory(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_parse_size(v, &s->memory, err);
}

static void show_memory(const struct cl_spec *s, FILE *out)
{
	char b[32];

	if (s->memory)
		fprintf(out, "memory %s\n", cl_format_size(s->memory, b));
}

static int set_memory_swap(struct cl_spec *s, const char *v, struct cl_err *err)
{
	if (strcasecmp(v, "max") == 0 || strcmp(v, "-1") == 0) {
		s->res.memory_swap = CL_UNLIMITED;
		return 0;
	}
	if (cl_parse_size(v, &s->res.memory_swap, err) < 0)
		return cl_fail(err, 0, "invalid value '%s': expected a size such as 128M, or max",
			       v);
	return 0;
}

static void show_memory_swap(const struct cl_spec *s, FILE *out)
{
	char b[32];

	if (s->res.memory_swap == CL_UNLIMITED)
		fputs("memory-swap max\n", out);
	else if (s->res.memory_swap)
		fprintf(out, "memory-swap %s\n", cl_format_size(s->res.memory_swap, b));
}

static int set_memory_high(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_parse_size(v, &s->res.memory_high, err);
}

static void show_memory_high(const struct cl_spec *s, FILE *out)
{
	char b[32];

	if (s->res.memory_high)
		fprintf(out, "memory-high %s\n", cl_format_size(s->res.memory_high, b));
}

/* --- cpu ------------------------------------------------------------------- */

static int set_cpus(struct cl_spec *s, const char *v, struct cl_err *err)
{
	uint64_t m;

	/* the kernel's smallest quota is 1 ms per 100 ms period: 0.01 CPU */
	if (parse_milli(v, 1024 * 1000, &m) < 0 || m < 10)
		return cl_fail(err, 0,
			       "invalid value '%s': expected a number of CPUs from 0.01 to 1024, "
			       "such as 0.5 or 2",
			       v);
	s->res.cpus_milli = (unsigned)m;
	return 0;
}

static void show_cpus(const struct cl_spec *s, FILE *out)
{
	if (s->res.cpus_milli)
		print_milli(out, "cpus", s->res.cpus_milli);
}

static int set_cpu_weight(struct cl_spec *s, const char *v, struct cl_err *err)
{
	unsigned long w;

	if (cl_setting_uint(v, 1, 10000, &w, err) < 0)
		return -1;
	s->res.cpu_weight = (unsigned)w;
	return 0;
}

static void show_cpu_weight(const struct cl_spec *s, FILE *out)
{
	if (s->res.cpu_weight)
		fprintf(out, "cpu-weight %u\n", s->res.cpu_weight);
}

/* "0", "0-3", "0,2-3": the kernel's list format, checked here so that a typo
 * is refused before anything is created. */
static int set_cpuset(struct cl_spec *s, const char *v, struct cl_err *err)
{
	const char *p = v;

	for (;;) {
		char *end;
		unsigned long a, b;

		if (!isdigit((unsigned char)*p))
			goto bad;
		a = strtoul(p, &end, 10);
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			b = strtoul(p, &end, 10);
			p = end;
			if (b < a)
				goto bad;
		}
		if (a > 8191)
			goto bad;
		if (*p == '\0')
			break;
		if (*p++ != ',')
			goto bad;
	}
	return cl_setting_replace(&s->res.cpuset, v, err);
bad:
	return cl_fail(err, 0, "invalid CPU list '%s': expected numbers and ranges such as 0-1,3",
		       v);
}

static void show_cpuset(const struct cl_spec *s, FILE *out)
{
	if (s->res.cpuset)
		fprintf(out, "cpuset %s\n", s->res.cpuset);
}

/* --- pids ------------------------------------------------------------------ */

static int set_pids(struct cl_spec *s, const char *v, struct cl_err *err)
{
	unsigned long n;

	if (cl_setting_uint(v, 1, 4194304, &n, err) < 0)
		return -1;
	s->res.pids = n;
	return 0;
}

static void show_pids(const struct cl_spec *s, FILE *out)
{
	if (s->res.pids)
		fprintf(out, "pids %llu\n", (unsigned long long)s->res.pids);
}

/* --- io -------------------------------------------------------------------- */

static int set_io_weight(struct cl_spec *s, const char *v, struct cl_err *err)
{
	unsigned long w;

	if (cl_setting_uint(v, 1, 10000, &w, err) < 0)
		return -1;
	s->res.io_weight = (unsigned)w;
	return 0;
}

static void show_io_weight(const struct cl_spec *s, FILE *out)
{
	if (s->res.io_weight)
		fprintf(out, "io-weight %u\n", s->res.io_weight);
}

/* DEV is a block device path or MAJ:MIN. */
static int parse_block_dev(const char *dev, unsigned *major, unsigned *minor, struct cl_err *err)
{
	struct stat st;
	char *end;

	if (dev[0] != '/') {
		unsigned long a, b;

		if (!isdigit((unsigned char)dev[0]))
			goto bad;
		a = strtoul(dev, &end, 10);
		if (*end != ':' || !isdigit((unsigned char)end[1]))
			goto bad;
		b = strtoul(end + 1, &end, 10);
		if (*end || a > 4095 || b > 1048575)
			goto bad;
		*major = (unsigned)a;
		*minor = (unsigned)b;
		return 0;
	}
	if (stat(dev, &st) < 0)
		return cl_fail(err, errno, "block device %s", dev);
	if (!S_ISBLK(st.st_mode))
		return cl_fail(err, 0, "%s is not a block device", dev);
	*major = major(st.st_rdev);
	*minor = minor(st.st_rdev);
	return 0;
bad:
	return cl_fail(err, 0, "invalid device '%s': expected a block device path or MAJOR:MINOR",
		       dev);
}

static int set_io_max(struct cl_spec *s, const char *v, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(v);
	struct cl_io_limit l = {0}, *nl;
	char *eq, *colon, *opt, *save = NULL;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	/* the options start after the last ':' before the first '=' (DEV may be 8:0) */
	eq = strchr(dup, '=');
	if (!eq)
		goto bad;
	*eq = '\0';
	colon = strrchr(dup, ':');
	*eq = '=';
	if (!colon || colon == dup)
		goto bad;
	*colon = '\0';
	if (parse_block_dev(dup, &l.major, &l.minor, err) < 0)
		return -1;
	for (opt = strtok_r(colon + 1, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *val = strchr(opt, '=');
		uint64_t *field;

		if (!val)
			goto bad;
		*val++ = '\0';
		if (!strcmp(opt, "rbps"))
			field = &l.rbps;
		else if (!strcmp(opt, "wbps"))
			field = &l.wbps;
		else if (!strcmp(opt, "riops"))
			field = &l.riops;
		else if (!strcmp(opt, "wiops"))
			field = &l.wiops;
		else
			return cl_fail(
			    err, 0,
			    "invalid io-max '%s': unknown key '%s' (rbps, wbps, riops, wiops)", v,
			    opt);
		if (opt[1] == 'b') {
			if (cl_parse_size(val, field, err) < 0)
				return -1;
		} else {
			unsigned long n;
			if (cl_setting_uint(val, 1, ULONG_MAX, &n, err) < 0)
				return -1;
			*field = n;
		}
		if (*field == 0)
			return cl_fail(err, 0, "invalid io-max '%s': %s must be above 0", v, opt);
	}
	if (!(l.dev = strdup(dup)))
		return cl_fail(err, ENOMEM, "out of memory");
	nl = realloc(s->res.io_max, (s->res.n_io_max + 1) * sizeof(*nl));
	if (!nl) {
		free(l.dev);
		return cl_fail(err, ENOMEM, "out of memory");
	}
	s->res.io_max = nl;
	nl[s->res.n_io_max++] = l;
	return 0;
bad:
	return cl_fail(err, 0, "invalid io-max '%s': expected DEV:rbps=N,wbps=N,riops=N,wiops=N",
		       v);
}

static void show_io_max(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->res.n_io_max; i++) {
		const struct cl_io_limit *l = &s->res.io_max[i];
		const char *sep = "";
		char b[32];

		fprintf(out, "io-max %s:", l->dev);
		if (l->rbps)
			fprintf(out, "%srbps=%s", sep, cl_format_size(l->rbps, b)), sep = ",";
		if (l->wbps)
			fprintf(out, "%swbps=%s", sep, cl_format_size(l->wbps, b)), sep = ",";
		if (l->riops)
			fprintf(out, "%sriops=%llu", sep, (unsigned long long)l->riops), sep = ",";
		if (l->wiops)
			fprintf(out, "%swiops=%llu", sep, (unsigned long long)l->wiops);
		fputc('\n', out);
	}
}

/* --- devices --------------------------------------------------------------- */

static int parse_devnum(const char *p, char **end, int64_t *out)
{
	if (*p == '*') {
		*out = -1;
		*end = (char *)p + 1;
		return 0;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	unsigned long v = strtoul(p, end, 10);
	if (errno || v > 1048575)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* "c 1:3 rwm", "b 7:* r", "c 10:200" (rwm), "a" (everything). */
static int set_device_rule(struct cl_spec *s, const char *v, struct cl_err *err)
{
	struct cl_dev_rule r = {.major = -1, .minor = -1}, *nr;
	const char *p = v;
	char *end;

	if (*p != 'a' && *p != 'b' && *p != 'c')
		goto bad;
	r.type = *p++;
	if (*p == ' ') {
		while (*p == ' ')
			p++;
		if (parse_devnum(p, &end, &r.major) < 0 || *end != ':' ||
		    parse_devnum(end + 1, &end, &r.minor) < 0)
			goto bad;
		p = end;
	}
	while (*p == ' ')
		p++;
	if (!*p)
		r.access = CL_DEV_MKNOD | CL_DEV_READ | CL_DEV_WRITE;
	for (; *p; p++) {
		unsigned a = *p == 'r'	 ? CL_DEV_READ
			     : *p == 'w' ? CL_DEV_WRITE
			     : *p == 'm' ? CL_DEV_MKNOD
					 : 0;
		if (!a || (r.access & a))
			goto bad;
		r.access |= a;
	}
	nr = realloc(s->res.devices, (s->res.n_devices + 1) * sizeof(*nr));
	if (!nr)
		return cl_fail(err, ENOMEM, "out of memory");
	s->res.devices = nr;
	nr[s->res.n_devices++] = r;
	return 0;
bad:
	return cl_fail(
	    err, 0,
	    "invalid device rule '%s': expected TYPE MAJOR:MINOR ACCESS, such as 'c 10:200 rwm' "
	    "(TYPE a, b or c; '*' for any number; ACCESS of r, w, m)",
	    v);
}

static void show_device_rule(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->res.n_devices; i++) {
		const struct cl_dev_rule *r = &s->res.devices[i];
		char maj[24] = "*", min[24] = "*";

		if (r->major >= 0)
			snprintf(maj, sizeof(maj), "%lld", (long long)r->major);
		if (r->minor >= 0)
			snprintf(min, sizeof(min), "%lld", (long long)r->minor);
		fprintf(out, "device-cgroup-rule %c %s:%s %s%s%s\n", r->type, maj, min,
			r->access & CL_DEV_READ ? "r" : "", r->access & CL_DEV_WRITE ? "w" : "",
			r->access & CL_DEV_MKNOD ? "m" : "");
	}
}

/* --- deadline, placement, accounting ------------------------------------ */

static int set_timeout(struct cl_spec *s, const char *v, struct cl_err *err)
{
	uint64_t m;

	if (parse_milli(v, 10000000ULL * 1000, &m) < 0 || m == 0)
		return cl_fail(
		    err, 0, "invalid value '%s': expected seconds above 0, such as 30 or 0.5", v);
	s->res.timeout_ms = m;
	return 0;
}

static void show_timeout(const struct cl_spec *s, FILE *out)
{
	if (s->res.timeout_ms)
		print_milli(out, "timeout", s->res.timeout_ms);
}

/* the grace period between the deadline's stop signal and SIGKILL */
static int set_timeout_grace(struct cl_spec *s, const char *v, struct cl_err *err)
{
	uint64_t m;

	if (parse_milli(v, 86400ULL * 1000, &m) < 0)
		return cl_fail(err, 0,
			       "invalid value '%s': expected seconds from 0 (SIGKILL at the "
			       "deadline) to 86400, such as 10 or 0.5",
			       v);
	s->res.timeout_grace_ms = m;
	return 0;
}

static void show_timeout_grace(const struct cl_spec *s, FILE *out)
{
	if (s->res.timeout_grace_ms != CL_TIMEOUT_GRACE_DEFAULT_MS)
		print_milli(out, "timeout-grace", s->res.timeout_grace_ms);
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

static int set_name(struct cl_spec *s, const char *v, struct cl_err *err)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64 || !isalnum((unsigned char)v[0]))
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!name_char(v[i]))
			goto bad;
	return cl_setting_replace(&s->res.name, v, err);
bad:
	return cl_fail(err, 0,
		       "invalid name '%s': 1-64 letters, digits, '-', '_' or '.', "
		       "starting with a letter or digit",
		       v);
}

static void show_name(const struct cl_spec *s, FILE *out)
{
	if (s->res.name)
		fprintf(out, "name %s\n", s->res.name);
}

/* Relative: below the cgroup cloison runs in; absolute: from the root of
 * each hierarchy.  Each component a plain name: no "..", nothing empty. */
static int set_cgroup_parent(struct cl_spec *s, const char *v, struct cl_err *err)
{
	const char *p = v[0] == '/' ? v + 1 : v;

	if (strlen(v) > 512 || !*p)
		goto bad;
	while (*p) {
		const char *start = p;
		while (*p && *p != '/') {
			if (!name_char(*p) && *p != ':' && *p != '@')
				goto bad;
			p++;
		}
		if (p == start || (p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			goto bad;
		if (*p == '/' && !*++p)
			break;
	}
	return cl_setting_replace(&s->res.cgroup_parent, v, err);
bad:
	return cl_fail(err, 0,
		       "invalid cgroup parent '%s': a path of names (letters, digits, '-', '_', "
		       "'.', ':', '@'), without '.' or '..' components",
		       v);
}

static void show_cgroup_parent(const struct cl_spec *s, FILE *out)
{
	if (s->res.cgroup_parent)
		fprintf(out, "cgroup-parent %s\n", s->res.cgroup_parent);
}

static int set_device_cgroup(struct cl_spec *s, const char *v, struct cl_err *err)
{
	if (strcmp(v, "required") == 0)
		s->res.no_device_cgroup = false;
	else if (strcmp(v, "none") == 0)
		s->res.no_device_cgroup = true;
	else
		return cl_fail(err, 0, "invalid value '%s': expected required or none", v);
	return 0;
}

static void show_device_cgroup(const struct cl_spec *s, FILE *out)
{
	if (s->res.no_device_cgroup)
		fputs("device-cgroup none\n", out);
}

static int set_stats(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_setting_bool(v, &s->res.stats, err);
}

static void show_stats(const struct cl_spec *s, FILE *out)
{
	if (s->res.stats)
		fputs("stats\n", out);
}

static int set_stats_json(struct cl_spec *s, const char *v, struct cl_err *err)
{
	if (!*v)
		return cl_fail(err, 0, "expected a file name");
	return cl_setting_replace(&s->res.stats_json, v, err);
}

static void show_stats_json(const struct cl_spec *s, FILE *out)
{
	if (s->res.stats_json)
		fprintf(out, "stats-json %s\n", s->res.stats_json);
}

/* --- validation ------------------------------------------------------------ */

int cl_resources_validate(struct cl_spec *s, struct cl_err *err)
{
	const struct cl_resources *r = &s->res;
	char b1[32], b2[32];

	/* the cgroup settings are container-only: cl_spec_validate() refused
	 * them already (their CL_BE_NS) */
	if (s->backend == CL_BACKEND_VM)
		return 0;
	if (s->memory && s->memory < (4ULL << 20))
		return cl_fail(err, 0, "--memory %s is too small for a container (at least 4M)",
			       cl_format_size(s->memory, b1));
	if (r->memory_swap && r->memory_swap != CL_UNLIMITED) {
		if (!s->memory)
			return cl_fail(err, 0,
				       "--memory-swap needs --memory (it is memory plus swap)");
		if (r->memory_swap < s->memory)
			return cl_fail(
			    err, 0,
			    "--memory-swap %s is below --memory %s (it is memory plus swap)",
			    cl_format_size(r->memory_swap, b1), cl_format_size(s->memory, b2));
	}
	if (r->memory_swap == CL_UNLIMITED && !s->memory)
		return cl_fail(err, 0, "--memory-swap needs --memory (it is memory plus swap)");
	if (r->no_device_cgroup && r->n_devices)
		return cl_fail(
		    err, 0,
		    "--device-cgroup-rule needs the device cgroup (--device-cgroup none drops it)");
	return 0;
}

const struct cl_setting cl_settings_resources[] = {
    {"memory", 0, 0, "SIZE", set_memory, show_memory, CL_BE_ALL},
    {"memory-swap", 0, 0, "SIZE|max", set_memory_swap, show_memory_swap, CL_BE_NS},
    {"memory-high", 0, 0, "SIZE", set_memory_high, show_memory_high, CL_BE_NS},
    {"cpus", 0, 0, "N.N", set_cpus, show_cpus, CL_BE_NS},
    {"cpu-weight", 0, 0, "N", set_cpu_weight, show_cpu_weight, CL_BE_NS},
    {"cpuset", 0, 0, "LIST", set_cpuset, show_cpuset, CL_BE_NS},
    {"pids", 0, 0, "N", set_pids, show_pids, CL_BE_NS},
    {"io-weight", 0, 0, "N", set_io_weight, show_io_weight, CL_BE_NS},
    {"io-max", 0, CL_SETTING_REPEAT, "DEV:rbps=N,wbps=N,riops=N,wiops=N", set_io_max, show_io_max,
     CL_BE_NS},
    {"device-cgroup-rule", 0, CL_SETTING_REPEAT, "'TYPE MAJ:MIN ACCESS'", set_device_rule,
     show_device_rule, CL_BE_NS},
    {"device-cgroup", 0, 0, "required|none", set_device_cgroup, show_device_cgroup, CL_BE_NS},
    {"timeout", 0, 0, "SECONDS", set_timeout, show_timeout, CL_BE_ALL},
    {"timeout-grace", 0, 0, "SECONDS", set_timeout_grace, show_timeout_grace, CL_BE_NS},
    {"name", 0, 0, "NAME", set_name, show_name, CL_BE_ALL},
    {"cgroup-parent", 0, 0, "PATH", set_cgroup_parent, show_cgroup_parent, CL_BE_NS},
    {"stats", 0, CL_SETTING_FLAG, "true|false", set_stats, show_stats, CL_BE_NS},
    {"stats-json", 0, 0, "FILE", set_stats_json, show_stats_json, CL_BE_NS},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
