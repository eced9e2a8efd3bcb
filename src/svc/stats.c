/* Samples of the running jails' resource use (svc/stats.h). */
#include "svc/stats.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/json.h"

static int64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int64_t mem_total(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	long long kb;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
			return kb * 1024;
	return -1;
}

static const struct cl_stats_jail *find(const struct cl_stats *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (!strcmp(s->jail[i].name, name))
			return &s->jail[i];
	return NULL;
}

/* Reads the jail of @st (running) into @j; @p is its previous reading. */
static void read_jail(const struct cl_state *st, const struct cl_stats_jail *p,
		      struct cl_stats_jail *j)
{
	snprintf(j->name, sizeof(j->name), "%.63s", st->name);
	snprintf(j->mode, sizeof(j->mode), "%s", cl_state_str(st, "mode"));
	j->pid = (pid_t)cl_state_int(st, "pid");
	j->pid_start = (unsigned long long)cl_state_int(st, "pid_start");
	j->at = mono_ns();
	cl_usage_read(st, &j->u);
	cl_usage_read_net(st, &j->u);
	j->cpu = -1;
	/* the same process, so the same cgroups: a restart made new ones */
	if (p && p->pid == j->pid && p->pid_start == j->pid_start && p->u.cpu_ns >= 0 &&
	    j->u.cpu_ns >= p->u.cpu_ns && j->at > p->at)
		j->cpu = 100.0 * (double)(j->u.cpu_ns - p->u.cpu_ns) / (double)(j->at - p->at);
}

static void add(int64_t *sum, int64_t v)
{
	if (v > 0)
		*sum += v;
}

static void sum_host(struct cl_stats *s)
{
	struct cl_stats_host *h = &s->host;

	*h =
	    (struct cl_stats_host){.cpus = sysconf(_SC_NPROCESSORS_ONLN), .mem_total = mem_total()};
	for (size_t i = 0; i < s->n; i++) {
		const struct cl_usage *u = &s->jail[i].u;
		if (s->jail[i].cpu > 0)
			h->cpu += s->jail[i].cpu;
		add(&h->mem, u->mem);
		add(&h->pids, u->pids);
		add(&h->net_rx, u->net_rx);
		add(&h->net_tx, u->net_tx);
		add(&h->blk_read, u->blk_read);
		add(&h->blk_write, u->blk_write);
	}
}

int cl_stats_sample(struct cl_stats *s, char *const *names, const struct cl_stats *prev,
		    struct cl_err *err)
{
	char **all = NULL;
	size_t n = 0;

	*s = (struct cl_stats){0};
	if (!names && !(names = all = cl_state_list(err)))
		return -1;
	while (names[n])
		n++;
	if (!(s->jail = calloc(n ? n : 1, sizeof(*s->jail)))) {
		cl_strv_free(all);
		return cl_fail(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct cl_state st;
		struct cl_err ignored;
		/* removed meanwhile: it drops out */
		if (cl_state_open(&st, names[i], false, &ignored) < 0)
			continue;
		const char *status = cl_state_status(&st);
		s->live += cl_status_live(status);
		if (!strcmp(status, "running"))
			read_jail(&st, find(prev, st.name), &s->jail[s->n++]);
		cl_state_close(&st);
	}
	cl_strv_free(all);
	s->time = cl_now_ns();
	sum_host(s);
	return 0;
}

void cl_stats_free(struct cl_stats *s)
{
	free(s->jail);
	*s = (struct cl_stats){0};
}

/* ---- output ---- */

static double percent(int64_t part, int64_t whole)
{
	return part < 0 || whole <= 0 ? -1 : 100.0 * (double)part / (double)whole;
}

/* Against the limit, or the host's memory when there is none (docker's). */
static double mem_percent(const struct cl_usage *u, int64_t total)
{
	return percent(u->mem, u->mem_limit > 0 ? u->mem_limit : total);
}

static const char *pct(double v, char buf[16])
{
	if (v < 0)
		return "--";
	snprintf(buf, 16, "%.1f%%", v);
	return buf;
}

/* "A / B", of two sizes or two counts; "A / -" for an unknown B */
static const char *pair(int64_t a, int64_t b, bool sizes, char buf[48])
{
	char x[24], y[24] = "-";

	if (a < 0)
		return "--";
	if (sizes) {
		cl_usage_size(a, x);
		if (b >= 0)
			cl_usage_size(b, y);
	} else {
		snprintf(x, sizeof(x), "%lld", (long long)a);
		if (b >= 0)
			snprintf(y, sizeof(y), "%lld", (long long)b);
	}
	snprintf(buf, 48, "%s / %s", x, y);
	return buf;
}

static void put_line(FILE *f, int width, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void put_line(FILE *f, int width, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* trailing blanks are the padding of an empty last column */
	size_t n = strlen(line);
	while (n && line[n - 1] == ' ')
		n--;
	if (width > 0 && n > (size_t)width)
		n = (size_t)width;
	fprintf(f, "%.*s\n", (int)n, line);
}

#define ROW "%-*s %7s  %-21s %6s  %-21s %-21s %s"

void cl_stats_print_table(const struct cl_stats *s, FILE *f, int width)
{
	const struct cl_stats_host *h = &s->host;
	char total[32], b[5][48], p[2][16];
	int w;

	snprintf(total, sizeof(total), "TOTAL (%zu jail%s)", s->n, s->n == 1 ? "" : "s");
	w = (int)strlen(total);
	for (size_t i = 0; i < s->n; i++)
		if ((int)strlen(s->jail[i].name) > w)
			w = (int)strlen(s->jail[i].name);
	put_line(f, width, ROW, w, "NAME", "CPU %", "MEM / LIMIT", "MEM %", "NET RX / TX",
		 "BLOCK READ / WRITE", "PIDS / LIMIT");
	for (size_t i = 0; i < s->n; i++) {
		const struct cl_stats_jail *j = &s->jail[i];
		const struct cl_usage *u = &j->u;
		put_line(f, width, ROW, w, j->name, pct(j->cpu, p[0]),
			 pair(u->mem, u->mem_limit, true, b[0]),
			 pct(mem_percent(u, h->mem_total), p[1]),
			 pair(u->net_rx, u->net_tx, true, b[1]),
			 pair(u->blk_read, u->blk_write, true, b[2]),
			 pair(u->pids, u->pids_limit, false, b[3]));
		if (j->guest) /* a micro-VM: what its guest says of itself */
			put_line(f, width,
				 "  %s's guest: memory %s used of %s, load %.2f %.2f %.2f, %u "
				 "processes",
				 j->name,
				 cl_usage_size(j->guest_mem_total - j->guest_mem_available, b[0]),
				 cl_usage_size(j->guest_mem_total, b[1]), j->guest_load[0],
				 j->guest_load[1], j->guest_load[2], j->guest_procs);
	}
	put_line(f, width, ROW, w, total, pct(h->cpu, p[0]), pair(h->mem, h->mem_total, true, b[0]),
		 pct(percent(h->mem, h->mem_total), p[1]), pair(h->net_rx, h->net_tx, true, b[1]),
		 pair(h->blk_read, h->blk_write, true, b[2]),
		 (snprintf(b[3], 48, "%lld", (long long)h->pids), b[3]));
	put_line(f, width,
		 "host: %ld CPU%s, %s; the jails use %.1f%% of its CPU, %.1f%% of its memory",
		 h->cpus, h->cpus == 1 ? "" : "s", cl_usage_size(h->mem_total, b[4]),
		 h->cpus > 0 ? h->cpu / (double)h->cpus : 0.0,
		 h->mem_total > 0 ? percent(h->mem, h->mem_total) : 0.0);
}

static json_object *dbl(double v)
{
	return cl_json_fixed(v, 2);
}

static void put(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

/* The byte counts a jail and the host have */
static void put_io(json_object *o, int64_t net_rx, int64_t net_tx, int64_t blk_read,
		   int64_t blk_write)
{
	put(o, "net_rx", cl_json_int(net_rx));
	put(o, "net_tx", cl_json_int(net_tx));
	put(o, "block_read", cl_json_int(blk_read));
	put(o, "block_write", cl_json_int(blk_write));
}

void cl_stats_print_json(const struct cl_stats *s, FILE *f)
{
	const struct cl_stats_host *h = &s->host;
	json_object *doc = json_object_new_object(), *jails = json_object_new_array();
	json_object *host = json_object_new_object();

	for (size_t i = 0; i < s->n; i++) {
		const struct cl_stats_jail *j = &s->jail[i];
		const struct cl_usage *u = &j->u;
		json_object *o = json_object_new_object();
		put(o, "name", json_object_new_string(j->name));
		put(o, "mode", json_object_new_string(j->mode));
		put(o, "pid", json_object_new_int(j->pid));
		put(o, "cpu_percent", dbl(j->cpu));
		put(o, "memory", cl_json_int(u->mem));
		put(o, "memory_limit", cl_json_int(u->mem_limit));
		put(o, "memory_percent", dbl(mem_percent(u, h->mem_total)));
		put(o, "pids", cl_json_int(u->pids));
		put(o, "pids_limit", cl_json_int(u->pids_limit));
		put_io(o, u->net_rx, u->net_tx, u->blk_read, u->blk_write);
		if (j->guest) {
			json_object *g = json_object_new_object();

			put(g, "memory_total", cl_json_int(j->guest_mem_total));
			put(g, "memory_available", cl_json_int(j->guest_mem_available));
			put(g, "load1", dbl(j->guest_load[0]));
			put(g, "load5", dbl(j->guest_load[1]));
			put(g, "load15", dbl(j->guest_load[2]));
			put(g, "processes", json_object_new_int((int)j->guest_procs));
			put(o, "guest", g);
		}
		json_object_array_add(jails, o);
	}
	put(host, "cpus", json_object_new_int64(h->cpus));
	put(host, "memory_total", cl_json_int(h->mem_total));
	put(host, "jails", json_object_new_int64((int64_t)s->n));
	put(host, "cpu_percent", dbl(h->cpu));
	put(host, "cpu_percent_of_host", dbl(h->cpus > 0 ? h->cpu / (double)h->cpus : -1));
	put(host, "memory", cl_json_int(h->mem));
	put(host, "memory_percent", dbl(percent(h->mem, h->mem_total)));
	put(host, "pids", cl_json_int(h->pids));
	put_io(host, h->net_rx, h->net_tx, h->blk_read, h->blk_write);
	put(doc, "time", json_object_new_int64(s->time));
	put(doc, "jails", jails);
	put(doc, "host", host);
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
							JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}
