/* Live resource use of the running detached jails, and what they use
 * together against the host's capacity: what `cloison stats` shows.
 *
 * A sample reads every jail's counters (svc/usage.h); CPU % is the CPU
 * time a jail used since the previous sample over the time between the
 * two (100 % = one CPU, as docker stats), so a first sample has none. */
#ifndef CL_SVC_STATS_H
#define CL_SVC_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "svc/state.h"
#include "svc/usage.h"

struct cl_stats_jail {
	char name[CL_NAME_MAX + 1];
	char mode[16];
	pid_t pid;
	unsigned long long pid_start; /* a restart is a new process: no rate */
	int64_t at;		      /* CLOCK_MONOTONIC ns of the reading */
	struct cl_usage u;
	double cpu; /* % of one CPU since the previous sample; -1 none */
	/* a micro-VM's own view from its guest agent (cli/stats.c), if it said */
	bool guest;
	int64_t guest_mem_total, guest_mem_available; /* bytes */
	double guest_load[3];
	unsigned guest_procs;
};

/* The jails' sums; the host's capacity. */
struct cl_stats_host {
	long cpus;	   /* online CPUs */
	int64_t mem_total; /* MemTotal of /proc/meminfo, bytes */
	double cpu;	   /* the jails' CPU % summed (100 = one CPU) */
	int64_t mem, pids; /* summed over the jails that report them */
	int64_t net_rx, net_tx, blk_read, blk_write;
};

struct cl_stats {
	struct cl_stats_jail *jail;
	size_t n;
	struct cl_stats_host host;
	int64_t time; /* CLOCK_REALTIME ns */
	size_t live;  /* of the names asked for, how many are still live */
};

/* Reads the running jails: every one (@names NULL) or those of @names
 * (NULL-terminated), in name order.  @prev, the previous sample or NULL,
 * gives the CPU rates. */
int cl_stats_sample(struct cl_stats *s, char *const *names, const struct cl_stats *prev,
		    struct cl_err *err);
void cl_stats_free(struct cl_stats *s);

/* The table: a header, one line per jail, a TOTAL line and a line on the
 * host; each line cut at @width columns (0: not cut). */
void cl_stats_print_table(const struct cl_stats *s, FILE *f, int width);
/* One JSON document on one line: {"time", "jails": [...], "host": {...}}. */
void cl_stats_print_json(const struct cl_stats *s, FILE *f);

#endif
