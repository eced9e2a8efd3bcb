/* The spec's resources part: cgroup limits, device access, the context's
 * cgroup placement and name, the deadline and the accounting report.  One
 * setting per limit in cl_settings_resources[] (--memory 64M = "memory 64M"
 * in a profile).  The container back end realises them (ns/cgroup.h); a
 * micro-VM takes only `memory`, as its guest RAM (s->memory). */
#ifndef CL_SPEC_RESOURCES_H
#define CL_SPEC_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cl_spec;
struct cl_err;

#define CL_UNLIMITED UINT64_MAX

/* --io-max DEV:rbps=N,wbps=N,riops=N,wiops=N; 0 = that one is not limited */
struct cl_io_limit {
	char *dev; /* as given, for show(): /dev/sda or 8:0 */
	unsigned major, minor;
	uint64_t rbps, wbps, riops, wiops;
};

/* A device-cgroup rule, as devices.allow writes it: "c 1:3 rwm". */
enum { CL_DEV_MKNOD = 1, CL_DEV_READ = 2, CL_DEV_WRITE = 4 }; /* = BPF_DEVCG_ACC_* */
struct cl_dev_rule {
	char type;	      /* 'a' (any), 'b' or 'c' */
	int64_t major, minor; /* -1 = any ('*') */
	unsigned access;      /* CL_DEV_* */
};

struct cl_resources {
	/* memory: the limit itself is s->memory (also a micro-VM's guest RAM) */
	uint64_t memory_swap; /* memory + swap; 0 = as --memory (no swap), CL_UNLIMITED */
	uint64_t memory_high; /* throttling threshold (v1: the soft limit); 0 = none */
	unsigned cpus_milli;  /* --cpus in thousandths of a CPU; 0 = no quota */
	unsigned cpu_weight;  /* 1-10000 (v1: cpu.shares scaled); 0 = default */
	uint64_t cpu_shares;  /* OCI: v1 shares as given (v1 writes them as they are) */
	uint64_t memory_low;  /* OCI memory.reservation: v2 memory.low, v1 soft limit */
	char *cpuset;	      /* "0-1,3" or NULL */
	uint64_t pids;	      /* 0 = no limit */
	unsigned io_weight;   /* 1-10000; 0 = default */
	struct cl_io_limit *io_max;
	size_t n_io_max;
	struct cl_dev_rule *devices; /* --device-cgroup-rule: allowed besides /dev's set */
	size_t n_devices;
	uint64_t timeout_ms; /* --timeout; 0 = none */
	/* at the deadline, stop_signal (run's --stop-signal, 0:
	 * SIGTERM) to pid 1, SIGKILL after timeout_grace_ms (0: at once) */
	uint64_t timeout_grace_ms;
	int stop_signal;
	char *cgroup_parent;   /* NULL: "cloison" below cloison's own cgroup */
	char *name;	       /* the context's name: its cgroup is <parent>/<name> */
	bool no_device_cgroup; /* --device-cgroup none: no device allow-list (weaker) */
	bool stats;	       /* --stats: print the accounting table on exit */
	bool accounting;       /* a detached jail: memory, CPU, pids and I/O counted */
	char *stats_json;      /* --stats-json FILE */
};

/* --timeout-grace when not given: docker stop's 10 s */
#define CL_TIMEOUT_GRACE_DEFAULT_MS 10000

void cl_resources_init(struct cl_spec *s);
void cl_resources_free(struct cl_spec *s);
int cl_resources_validate(struct cl_spec *s, struct cl_err *err);

/* Whether the spec asks for a limit (not counting the device rules, which
 * every context gets), or for the accounting. */
bool cl_resources_limited(const struct cl_spec *s);

/* Whether the jail must not run without its device allow-list: always,
 * unless --device-cgroup none, or the jail is in a user namespace (where the
 * kernel itself refuses device nodes the jail makes: every mount made there
 * is nodev) and no --device-cgroup-rule asks for more. */
bool cl_resources_devices_required(const struct cl_spec *s);

/* The devices every container may use: its /dev set (null, zero, full,
 * random, urandom, tty, console, ptmx, the pts). */
extern const struct cl_dev_rule cl_dev_defaults[];
extern const size_t cl_n_dev_defaults;

/* "64M", "1G", "1536K" or "1000" (bytes): the shortest exact form. */
const char *cl_format_size(uint64_t bytes, char buf[32]);

#endif
