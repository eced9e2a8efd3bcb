/* cloison bench's output: the table (each place's median, its spread and
 * its percentage of the host's), the goals as PASS/MISS lines, the JSON
 * with every sample (json-c) and an SVG bar chart, host = 100 %. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bench.h"
#include "util/json.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

bool cl_bench_stats(const struct cl_bench_series *s, double *med, double *min, double *max)
{
	double *v;

	if (s->status != CL_BS_OK || !s->n)
		return false;
	v = malloc(s->n * sizeof(*v));
	if (!v)
		return false;
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp);
	*med = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	*min = v[0];
	*max = v[s->n - 1];
	free(v);
	return true;
}

bool cl_bench_percent(const struct cl_bench *b, size_t m, int place, double *pct)
{
	double h, p, lo, hi;

	if (!cl_bench_stats(&b->s[m][CL_BP_HOST], &h, &lo, &hi) ||
	    !cl_bench_stats(&b->s[m][place], &p, &lo, &hi) || h <= 0 || p <= 0)
		return false;
	*pct = cl_bench_metrics[m].higher ? 100.0 * p / h : 100.0 * h / p;
	return true;
}

static bool shown(const struct cl_bench *b, size_t m)
{
	for (int p = 0; p < CL_BP_N; p++)
		if (b->s[m][p].status != CL_BS_NONE)
			return true;
	return false;
}

static const char *place_title(int p)
{
	return p == CL_BP_HOST ? "host" : p == CL_BP_CONTAINER ? "container" : "micro-VM";
}

/* "12.3 ±4%" or "failed"/"missing"/"n/a" */
static void cell(const struct cl_bench_series *s, char *buf, size_t len)
{
	double med, min, max;

	switch (s->status) {
	case CL_BS_OK:
		cl_bench_stats(s, &med, &min, &max);
		if (s->n > 1 && med > 0)
			snprintf(buf, len, "%.4g ±%.0f%%", med, 50.0 * (max - min) / med);
		else
			snprintf(buf, len, "%.4g", med);
		break;
	case CL_BS_FAILED: snprintf(buf, len, "FAILED"); break;
	case CL_BS_MISSING: snprintf(buf, len, "missing"); break;
	case CL_BS_NA: snprintf(buf, len, "n/a"); break;
	default: snprintf(buf, len, "-");
	}
}

static bool same_reason(const struct cl_bench_series *t, const struct cl_bench_series *s)
{
	return t->status == s->status && !strcmp(t->why, s->why);
}

/* Each distinct reason once, with the figures and places it stands for
 * ("every figure of the micro-VM" when that is what it is). */
static void print_reasons(const struct cl_bench *b)
{
	bool done[64][CL_BP_N] = {{false}};

	for (size_t m = 0; m < cl_bench_n_metrics && m < 64; m++)
		for (int p = 0; p < CL_BP_N; p++) {
			const struct cl_bench_series *s = &b->s[m][p];
			size_t same = 0, of_place = 0;
			bool one_place = true, whole;
			const char *sep = "";

			if (done[m][p] ||
			    (s->status != CL_BS_FAILED && s->status != CL_BS_MISSING) || !s->why[0])
				continue;
			for (size_t m2 = 0; m2 < cl_bench_n_metrics; m2++) {
				for (int p2 = 0; p2 < CL_BP_N; p2++)
					if (same_reason(&b->s[m2][p2], s)) {
						same++;
						one_place &= p2 == p;
					}
				of_place += b->s[m2][p].status != CL_BS_NONE &&
					    b->s[m2][p].status != CL_BS_NA;
			}
			whole = one_place && same == of_place && same > 3;
			printf("  %s (", s->status == CL_BS_FAILED ? "FAILED" : "missing");
			if (whole)
				printf("every figure of the %s", place_title(p));
			for (size_t m2 = m; m2 < cl_bench_n_metrics && m2 < 64; m2++)
				for (int p2 = 0; p2 < CL_BP_N; p2++) {
					if (done[m2][p2] || !same_reason(&b->s[m2][p2], s))
						continue;
					done[m2][p2] = true;
					if (!whole)
						printf("%s%s %s", sep, cl_bench_metrics[m2].name,
						       place_title(p2));
					sep = ", ";
				}
			printf("): %s\n", s->why);
		}
}

void cl_bench_print_table(const struct cl_bench *b)
{
	char c[CL_BP_N][48];

	printf("cloison bench: the same workloads on the host, in a container and in a "
	       "micro-VM%s%s%s\n",
	       b->label ? " (" : "", b->label ? b->label : "", b->label ? ")" : "");
	printf("  CPU: %s\n  virtualisation: %s\n  kernel: %s\n  cgroups: %s\n", b->host_cpu,
	       b->host_virt, b->host_kernel, b->host_cgroups);
	if (b->host_mitigations[0]) {
		const char *p = b->host_mitigations;

		printf("  mitigations:\n");
		while (*p) {
			const char *nl = strchr(p, '\n');
			int n = nl ? (int)(nl - p) : (int)strlen(p);

			printf("    %.*s\n", n, p);
			p += n + (nl != NULL);
		}
	}
	printf("  %u run%s, buffers and files of %lu MiB; median ±half the range; (%%) of "
	       "the host's figure, higher is better\n\n",
	       b->runs, b->runs > 1 ? "s" : "", b->size_mib);
	printf("%-15s %-14s %-16s %-24s %-24s\n", "workload", "unit", "host", "container",
	       "micro-VM");
	for (size_t m = 0; m < cl_bench_n_metrics; m++) {
		if (!shown(b, m))
			continue;
		for (int p = 0; p < CL_BP_N; p++) {
			double pct;

			cell(&b->s[m][p], c[p], sizeof(c[p]));
			if (p != CL_BP_HOST && cl_bench_percent(b, m, p, &pct)) {
				size_t n = strlen(c[p]);
				snprintf(c[p] + n, sizeof(c[p]) - n, " (%.0f%%)", pct);
			}
		}
		printf("%-15s %-14s %-16s %-24s %-24s\n", cl_bench_metrics[m].name,
		       cl_bench_metrics[m].unit, c[0], c[1], c[2]);
	}
	printf("\n");
	for (size_t m = 0; m < cl_bench_n_metrics; m++)
		for (int p = 0; p < CL_BP_N; p++)
			if (b->s[m][p].note[0])
				printf("  %s, %s: %s\n", cl_bench_metrics[m].name, place_title(p),
				       b->s[m][p].note);
	print_reasons(b);
	fflush(stdout);
}

/* The goals: a container within 1 % of the host on CPU, memory,
 * page faults and file I/O, within 5 % on system calls; a micro-VM within
 * 5 % on CPU and memory bandwidth. */
struct goal {
	int place;
	enum cl_bench_group group;
	double min_pct;
};
static const struct goal goals[] = {
    {CL_BP_CONTAINER, CL_BG_CPU, 99},
    {CL_BP_CONTAINER, CL_BG_MEM, 99},
    {CL_BP_CONTAINER, CL_BG_FAULTS, 99},
    {CL_BP_CONTAINER, CL_BG_IO, 99},
    {CL_BP_CONTAINER, CL_BG_SYSCALL, 95},
    {CL_BP_VM, CL_BG_CPU, 95},
    {CL_BP_VM, CL_BG_MEM, 95},
};

typedef void (*goal_fn)(void *arg, const struct goal *g, size_t m, double pct, bool pass);

static int each_goal(const struct cl_bench *b, goal_fn fn, void *arg)
{
	int n = 0;

	for (size_t g = 0; g < sizeof(goals) / sizeof(goals[0]); g++)
		for (size_t m = 0; m < cl_bench_n_metrics; m++) {
			double pct;

			if (cl_bench_metrics[m].group != goals[g].group ||
			    !cl_bench_percent(b, m, goals[g].place, &pct))
				continue;
			fn(arg, &goals[g], m, pct, pct >= goals[g].min_pct);
			n++;
		}
	return n;
}

static void print_goal(void *arg, const struct goal *g, size_t m, double pct, bool pass)
{
	const struct cl_bench *b = arg;

	bool lab = g->place == CL_BP_VM && b->label;

	printf("%s %s %s: %.1f%% of the host (goal: at least %.0f%%)%s%s%s\n",
	       pass ? "PASS" : "MISS", place_title(g->place), cl_bench_metrics[m].name, pct,
	       g->min_pct, lab ? " [" : "", lab ? b->label : "", lab ? "]" : "");
}

int cl_bench_print_goals(const struct cl_bench *b)
{
	int n;

	printf("\n");
	n = each_goal(b, print_goal, (void *)b);
	if (!n)
		printf("no goal checked: the workloads they need did not run in both places\n");
	fflush(stdout);
	return n;
}

/* ---- JSON ---- */

/* one decimal (no libm for one call) */
static double tenth(double v)
{
	return (double)(long long)(v * 10 + (v < 0 ? -0.5 : 0.5)) / 10;
}

static const char *status_name(enum cl_bench_status s)
{
	return s == CL_BS_OK	    ? "ok"
	       : s == CL_BS_FAILED  ? "failed"
	       : s == CL_BS_MISSING ? "missing"
				    : "n/a";
}

static void json_goal(void *arg, const struct goal *g, size_t m, double pct, bool pass)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "place", json_object_new_string(cl_bench_place_names[g->place]));
	json_object_object_add(o, "metric", json_object_new_string(cl_bench_metrics[m].name));
	json_object_object_add(o, "min_percent", json_object_new_double(g->min_pct));
	json_object_object_add(o, "percent", json_object_new_double(tenth(pct)));
	json_object_object_add(o, "result", json_object_new_string(pass ? "PASS" : "MISS"));
	json_object_array_add(arg, o);
}

int cl_bench_write_json(const struct cl_bench *b, const char *path)
{
	json_object *root = json_object_new_object(), *host = json_object_new_object(),
		    *set = json_object_new_object(), *ms = json_object_new_array(),
		    *places = json_object_new_array(), *gs = json_object_new_array(),
		    *mit = json_object_new_object();
	const char *p = b->host_mitigations;
	int r;

	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "cloison_version", json_object_new_string(CL_VERSION));
	json_object_object_add(root, "label", b->label ? json_object_new_string(b->label) : NULL);
	json_object_object_add(set, "runs", json_object_new_int((int)b->runs));
	json_object_object_add(set, "size_mib", json_object_new_int64((int64_t)b->size_mib));
	json_object_object_add(set, "density_max", json_object_new_int((int)b->density_max));
	json_object_object_add(set, "only", json_object_new_string(b->only));
	json_object_object_add(set, "rootfs", b->rootfs ? json_object_new_string(b->rootfs) : NULL);
	json_object_object_add(set, "kernel",
			       b->vm_kernel[0] ? json_object_new_string(b->vm_kernel) : NULL);
	json_object_object_add(root, "settings", set);
	json_object_object_add(host, "cpu", json_object_new_string(b->host_cpu));
	json_object_object_add(host, "virtualisation", json_object_new_string(b->host_virt));
	json_object_object_add(host, "kernel", json_object_new_string(b->host_kernel));
	json_object_object_add(host, "cgroups", json_object_new_string(b->host_cgroups));
	while (*p) {
		const char *nl = strchr(p, '\n'), *colon = strchr(p, ':');
		int n = nl ? (int)(nl - p) : (int)strlen(p);
		char key[64];

		if (colon && colon < p + n && colon - p < (int)sizeof(key)) {
			snprintf(key, sizeof(key), "%.*s", (int)(colon - p), p);
			json_object_object_add(
			    mit, key,
			    json_object_new_string_len(colon + 2, (int)(p + n - colon - 2)));
		}
		p += n + (nl != NULL);
	}
	json_object_object_add(host, "mitigations", mit);
	json_object_object_add(root, "host", host);
	for (int i = 0; i < CL_BP_N; i++)
		json_object_array_add(places, json_object_new_string(cl_bench_place_names[i]));
	json_object_object_add(root, "places", places);
	for (size_t m = 0; m < cl_bench_n_metrics; m++) {
		json_object *o, *res;

		if (!shown(b, m))
			continue;
		o = json_object_new_object();
		res = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(cl_bench_metrics[m].name));
		json_object_object_add(o, "workload",
				       json_object_new_string(cl_bench_metrics[m].workload));
		json_object_object_add(o, "unit", json_object_new_string(cl_bench_metrics[m].unit));
		json_object_object_add(
		    o, "better",
		    json_object_new_string(cl_bench_metrics[m].higher ? "higher" : "lower"));
		json_object_object_add(o, "what", json_object_new_string(cl_bench_metrics[m].what));
		for (int pl = 0; pl < CL_BP_N; pl++) {
			const struct cl_bench_series *s = &b->s[m][pl];
			json_object *r1 = json_object_new_object(), *sa;
			double med, min, max, pct;

			if (s->status == CL_BS_NONE)
				continue;
			json_object_object_add(r1, "status",
					       json_object_new_string(status_name(s->status)));
			if (s->why[0])
				json_object_object_add(r1, "reason",
						       json_object_new_string(s->why));
			if (s->note[0])
				json_object_object_add(r1, "note", json_object_new_string(s->note));
			if (cl_bench_stats(s, &med, &min, &max)) {
				sa = json_object_new_array();
				for (size_t i = 0; i < s->n; i++)
					json_object_array_add(sa, json_object_new_double(s->v[i]));
				json_object_object_add(r1, "samples", sa);
				json_object_object_add(r1, "median", json_object_new_double(med));
				json_object_object_add(r1, "min", json_object_new_double(min));
				json_object_object_add(r1, "max", json_object_new_double(max));
				if (cl_bench_percent(b, m, pl, &pct))
					json_object_object_add(r1, "percent_of_host",
							       json_object_new_double(tenth(pct)));
			}
			json_object_object_add(res, cl_bench_place_names[pl], r1);
		}
		json_object_object_add(o, "results", res);
		json_object_array_add(ms, o);
	}
	json_object_object_add(root, "metrics", ms);
	each_goal(b, json_goal, gs);
	json_object_object_add(root, "goals", gs);
	r = json_object_to_file_ext(path, root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	json_object_put(root);
	if (r < 0) {
		fprintf(stderr, "cloison: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- SVG ---- */

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			fputs("&lt;", f);
		else if (*s == '>')
			fputs("&gt;", f);
		else if (*s == '&')
			fputs("&amp;", f);
		else if (*s == '"')
			fputs("&quot;", f);
		else
			fputc(*s, f);
	}
}

/* One group of bars per figure: each place's percentage of the host's
 * (host = 100 %, capped at 200 % on the axis, the number written above). */
int cl_bench_write_svg(const struct cl_bench *b, const char *path)
{
	static const char *const colours[CL_BP_N] = {"#7f7f7f", "#1f77b4", "#d62728"};
	const double top = 70, h = 260, base = top + h, gw = 96, bw = 24, left = 60;
	size_t n = 0, i = 0;
	double width;
	FILE *f;

	for (size_t m = 0; m < cl_bench_n_metrics; m++)
		n += shown(b, m);
	width = left + (double)n * gw + 40;
	if (width < 820)
		width = 820;
	f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "cloison: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		"viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"11\">\n"
		"<title>cloison bench</title>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%.0f\" y=\"20\" font-size=\"14\" font-weight=\"bold\">",
		width, base + 110, width, base + 110, left);
	fputs("cloison bench: percentage of the host's figure (higher is better)", f);
	fprintf(f, "</text>\n<text x=\"%.0f\" y=\"38\">", left);
	xml_text(f, b->host_cpu);
	fputs("; ", f);
	if (b->label) {
		xml_text(f, b->label);
	} else { /* what /dev/kvm is, without the explanation in brackets */
		char v[sizeof(b->host_virt)];

		snprintf(v, sizeof(v), "%s", b->host_virt);
		v[strcspn(v, "(;")] = 0;
		xml_text(f, v);
	}
	fputs("</text>\n", f);
	for (int p = 0; p < CL_BP_N; p++)
		fprintf(f,
			"<rect x=\"%.0f\" y=\"46\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%.0f\" y=\"56\">%s</text>\n",
			left + p * 110, colours[p], left + p * 110 + 16, place_title(p));
	/* axis: 0, 50, 100, 150, 200 % */
	for (int t = 0; t <= 200; t += 50) {
		double y = base - h * t / 200.0;

		fprintf(f,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"%s\"/><text x=\"%.0f\" y=\"%.1f\" "
			"text-anchor=\"end\">%d%%</text>\n",
			left - 4, y, width - 20, y, t == 100 ? "#000" : "#ddd",
			t == 100 ? "1" : "0.5", left - 8, y + 4, t);
	}
	for (size_t m = 0; m < cl_bench_n_metrics; m++) {
		double x0;

		if (!shown(b, m))
			continue;
		x0 = left + (double)i++ * gw + (gw - CL_BP_N * bw) / 2;
		fprintf(f, "<g class=\"workload\" id=\"w-%s\">\n", cl_bench_metrics[m].name);
		for (int p = 0; p < CL_BP_N; p++) {
			const struct cl_bench_series *s = &b->s[m][p];
			double pct, x = x0 + p * bw, bh, med, lo, hi;

			if (!cl_bench_percent(b, m, p, &pct) &&
			    b->s[m][CL_BP_HOST].status == CL_BS_NA &&
			    cl_bench_stats(s, &med, &lo, &hi)) {
				/* no host figure to compare with (VM exits): the value */
				fprintf(f,
					"<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" "
					"text-anchor=\"start\" fill=\"%s\" transform=\"rotate(-90 "
					"%.1f %.1f)\">%.*f %s</text>\n",
					x + bw / 2, base - 4, colours[p], x + bw / 2, base - 4,
					med < 100 ? 1 : 0, med, cl_bench_metrics[m].unit);
				continue;
			}
			if (!cl_bench_percent(b, m, p, &pct)) {
				fprintf(f,
					"<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" "
					"text-anchor=\"middle\" fill=\"%s\">%s</text>\n",
					x + bw / 2, base - 4, colours[p],
					s->status == CL_BS_FAILED    ? "fail"
					: s->status == CL_BS_MISSING ? "—"
								     : "n/a");
				continue;
			}
			bh = h * (pct > 200 ? 200 : pct) / 200.0;
			fprintf(f,
				"<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" "
				"height=\"%.1f\" fill=\"%s\"><title>%s %s: %.1f%%</title></rect>\n"
				"<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" "
				"text-anchor=\"middle\">%.0f</text>\n",
				cl_bench_place_names[p], x, base - bh, bw - 3, bh, colours[p],
				place_title(p), cl_bench_metrics[m].name, pct, x + bw / 2 - 1.5,
				base - bh - 3, pct);
		}
		fprintf(f,
			"<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"end\" "
			"transform=\"rotate(-40 %.1f %.0f)\">%s</text>\n</g>\n",
			x0 + CL_BP_N * bw / 2, base + 16, x0 + CL_BP_N * bw / 2, base + 16,
			cl_bench_metrics[m].name);
	}
	fputs("</svg>\n", f);
	if (fclose(f) != 0) {
		fprintf(stderr, "cloison: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}
