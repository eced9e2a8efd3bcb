/* cloison bench's exec workload: launch to exit of the workload binary's
 * `true` in a context that already runs -- `cloison exec` into a detached
 * container (setns, its cgroup, its confinement), or into a detached
 * micro-VM through its guest agent (vsock round trip, fork and exec in the
 * guest); on the host, a plain fork and exec.  One service per place for
 * the whole bench, started at its first run, removed at the end. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/bench.h"

/* The place's service: its name, "" until started. */
static char svc[CL_BP_N][64];

static bool ready(struct cl_bench_ctx *c, int place, char *why, size_t wl)
{
	struct cl_bench_cmd cmd;
	char *argv[56], out[512], err[1024];
	size_t n = 0;
	int st;

	if (svc[place][0])
		return true;
	snprintf(svc[place], sizeof(svc[place]), "cloison-bench-exec-%d-%s", (int)getpid(),
		 cl_bench_place_names[place]);
	cl_bench_make_cmd(c, &cmd, place, CL_BK_IDLE, NULL, 0);
	/* cloison run -d --name NAME [its options] -- work idle */
	for (size_t i = 0; cmd.argv[i] && n < sizeof(argv) / sizeof(argv[0]) - 4; i++) {
		argv[n++] = cmd.argv[i];
		if (i == 1) {
			argv[n++] = "-d";
			argv[n++] = "--name";
			argv[n++] = svc[place];
		}
	}
	argv[n] = NULL;
	st = cl_bench_run_capture(argv, place == CL_BP_VM ? 300 : 60, out, sizeof(out), err,
				  sizeof(err));
	if (st != 0) {
		snprintf(why, wl, "cannot start a service to exec into: %.400s (status 0x%x)", err,
			 st);
		return false; /* what it left, cl_bench_exec_cleanup removes */
	}
	/* a micro-VM's agent answers once its guest booted: wait for it */
	for (double t0 = cl_bench_now_ms(); !cl_bench_stopping;) {
		char *ex[] = {c->self, "exec", svc[place], "--", "/mnt/cloison-bench-work",
			      "true",  NULL};

		st = cl_bench_run_capture(ex, 60, out, sizeof(out), err, sizeof(err));
		if (st == 0)
			return true;
		if (cl_bench_now_ms() - t0 > (place == CL_BP_VM ? 300e3 : 30e3))
			break;
		usleep(500000);
	}
	snprintf(why, wl, "exec into the service does not work: %.400s (status 0x%x)", err, st);
	return false;
}

void cl_bench_exec(struct cl_bench_ctx *c, int place)
{
	struct cl_bench_series *s = cl_bench_series_of(c, "exec", place);
	char why[600] = "", out[256], err[1024];

	if (s->status == CL_BS_MISSING || s->status == CL_BS_FAILED)
		return;
	if (place != CL_BP_HOST && !ready(c, place, why, sizeof(why))) {
		cl_bench_set_failed(s, why);
		return;
	}
	for (unsigned k = 0; k < c->b->startup_runs && !cl_bench_stopping; k++) {
		char *host[] = {c->work, "true", NULL};
		char *ex[] = {c->self, "exec", svc[place], "--", "/mnt/cloison-bench-work",
			      "true",  NULL};
		double t = cl_bench_now_ms();
		int st = cl_bench_run_capture(place == CL_BP_HOST ? host : ex, 60, out, sizeof(out),
					      err, sizeof(err));

		t = cl_bench_now_ms() - t;
		if (cl_bench_stopping)
			return;
		if (st != 0) {
			snprintf(why, sizeof(why), "%.400s (status 0x%x)", err, st);
			cl_bench_set_failed(s, why);
			return;
		}
		if (!c->warmup)
			cl_bench_add(s, t);
	}
}

void cl_bench_exec_cleanup(struct cl_bench_ctx *c)
{
	bool was = cl_bench_stopping;

	for (int p = 0; p < CL_BP_N; p++) {
		char *argv[] = {c->self, "rm", "-f", svc[p], NULL};
		char out[256], err[512];

		if (!svc[p][0])
			continue;
		/* the services go even when the bench was interrupted */
		cl_bench_stopping = 0;
		cl_bench_run_capture(argv, 120, out, sizeof(out), err, sizeof(err));
		cl_bench_stopping = was;
		svc[p][0] = 0;
	}
}
