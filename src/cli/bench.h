/* cloison bench: the same workloads on the host, in a container and in a
 * micro-VM (cli/bench.c runs them, cli/bench_report.c prints the table,
 * the JSON, the SVG chart and the goals). */
#ifndef CL_CLI_BENCH_H
#define CL_CLI_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cl_bench_place { CL_BP_HOST, CL_BP_CONTAINER, CL_BP_VM, CL_BP_N };

/* What a goal compares (cli/bench_report.c). */
enum cl_bench_group { CL_BG_NONE, CL_BG_CPU, CL_BG_MEM, CL_BG_FAULTS, CL_BG_IO, CL_BG_SYSCALL };

struct cl_bench_metric {
	const char *name;     /* as the workload binary prints it */
	const char *workload; /* what --only selects */
	const char *unit;
	const char *what; /* one line for the table's legend and the man page */
	bool higher;	  /* higher is better (throughput); else lower (time) */
	enum cl_bench_group group;
};

enum cl_bench_status { CL_BS_NONE, CL_BS_OK, CL_BS_FAILED, CL_BS_MISSING, CL_BS_NA };

struct cl_bench_series {
	enum cl_bench_status status;
	double *v;
	size_t n, cap;
	char why[512]; /* failed or missing: the reason */
	char note[96]; /* e.g. "bound reached" */
};

extern const struct cl_bench_metric cl_bench_metrics[];
extern const size_t cl_bench_n_metrics;
extern const char *const cl_bench_place_names[CL_BP_N];

struct cl_bench {
	unsigned runs;
	unsigned long size_mib;
	unsigned density_max, startup_runs;
	const char *rootfs, *kernel, *label, *only;
	char host_cpu[160], host_virt[640], host_kernel[256], host_cgroups[160];
	char host_mitigations[1024]; /* "name: text" lines */
	char vm_kernel[4096];
	struct cl_bench_series (*s)[CL_BP_N]; /* [cl_bench_n_metrics][CL_BP_N] */
};

/* Median, min and max of a series (sorted copy); false when empty. */
bool cl_bench_stats(const struct cl_bench_series *s, double *med, double *min, double *max);
/* The place's figure as a percentage of the host's (higher: better);
 * false when either is missing. */
bool cl_bench_percent(const struct cl_bench *b, size_t m, int place, double *pct);

void cl_bench_print_table(const struct cl_bench *b);
/* PASS/MISS lines; returns how many goals were checked. */
int cl_bench_print_goals(const struct cl_bench *b);
int cl_bench_write_json(const struct cl_bench *b, const char *path);
int cl_bench_write_svg(const struct cl_bench *b, const char *path);

/* ---- between cli/bench.c, bench_host.c and bench_density.c ---- */
#include <limits.h>
#include <signal.h>
#include "util/error.h"
#include "util/sha256.h"

#define CL_BENCH_NW 15
struct cl_bench_ctx {
	struct cl_bench *b;
	bool sel[CL_BENCH_NW]; /* by workloads[] in cli/bench.c */
	char self[PATH_MAX], work[PATH_MAX];
	char dir[2048];		/* private (0700): bin/ (read-only bind), disk/ (the container's,
				   bound writable), hdisk/ (the host's), vm.img */
	char hosttmp[256];	/* the host's tmpfs directory (/dev/shm) */
	const char *scratch;	/* --dir */
	char vm_missing[512];	/* why there is no VM column, "" when there is */
	char vm_disk[PATH_MAX]; /* the VM's disk image, "" when none */
	char sha[2 * CL_SHA256_LEN + 1];
	int port;
	uint64_t token;	      /* the TCP peer serves only who sends it first */
	char guest[PATH_MAX]; /* cloison's test guest, for the VM exits */
	double tsc;	      /* TSC ticks per ns */
	bool warmup;	      /* results not counted (failures are) */
	char bridge_ip[64];
	char ct_net_missing[256];
};

/* the in-context kinds run in this order: main, disk, net */
enum cl_bench_kind { CL_BK_TRUE, CL_BK_IDLE, CL_BK_MAIN, CL_BK_DISK, CL_BK_NET };

/* One context's command line and the strings it points to. */
struct cl_bench_cmd {
	char *argv[48];
	char mem[32], tmpfs[64], size[32], port[16], token[24];
	char bind[PATH_MAX + 16], dbind[PATH_MAX + 16], hdisk[PATH_MAX];
};

extern volatile sig_atomic_t cl_bench_stopping;

double cl_bench_now_ms(void);
void cl_bench_make_cmd(struct cl_bench_ctx *c, struct cl_bench_cmd *k, int place,
		       enum cl_bench_kind kind, const char **wl, size_t nwl);
struct cl_bench_series *cl_bench_series_of(struct cl_bench_ctx *c, const char *metric, int place);
void cl_bench_add(struct cl_bench_series *s, double v);
void cl_bench_set_failed(struct cl_bench_series *s, const char *why);
void cl_bench_set_status(struct cl_bench_ctx *c, const char *workload, int place,
			 enum cl_bench_status st, const char *why);
int cl_bench_run_capture(char *const argv[], double timeout_s, char *out, size_t outlen,
			 char *errbuf, size_t errlen);

void cl_bench_host_facts(struct cl_bench *b);
int cl_bench_peer_start(int *port, const char *bridge_ip, uint64_t token, struct cl_err *err);
void cl_bench_peer_stop(void);
int cl_bench_bridge_ip(char *buf, size_t len);
void cl_bench_density(struct cl_bench_ctx *c, int place);
/* The exec workload in @place (cli/bench_exec.c), and its services' end. */
void cl_bench_exec(struct cl_bench_ctx *c, int place);
void cl_bench_exec_cleanup(struct cl_bench_ctx *c);

#endif
