/* cloison bench's density: idle contexts (the workload binary waiting for
 * a signal) started one after the other in a memory cgroup of 1 GiB with
 * no swap, each with everything it brings (cloison's own processes, the
 * jail's, a VMM and its guest), until the bound or until one does not
 * start or an earlier one is killed.  The count is measured, never
 * extrapolated; the memory the cgroup was charged, divided by the count,
 * is the memory per idle context. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/bench.h"
#include "ns/cgroup.h"
#include "spec/spec.h"

#define DENSITY_LIMIT (1ULL << 30)

/* PSS of the processes below @dir that are not the workload's, in bytes. */
static uint64_t cloison_pss(const char *dir, int depth)
{
	char path[4096], line[256];
	uint64_t sum = 0;
	struct dirent *e;
	FILE *f;
	DIR *d;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		char comm[64] = "", p2[64];
		unsigned long kb;
		FILE *g;
		int pid = atoi(line);

		snprintf(p2, sizeof(p2), "/proc/%d/comm", pid);
		g = fopen(p2, "re");
		if (g) {
			if (!fgets(comm, sizeof(comm), g))
				comm[0] = 0;
			fclose(g);
		}
		if (!strncmp(comm, "cloison-bench-w", 15))
			continue;
		snprintf(p2, sizeof(p2), "/proc/%d/smaps_rollup", pid);
		g = fopen(p2, "re");
		while (g && fgets(line, sizeof(line), g))
			if (sscanf(line, "Pss: %lu kB", &kb) == 1) {
				sum += (uint64_t)kb * 1024;
				break;
			}
		if (g)
			fclose(g);
	}
	if (f)
		fclose(f);
	if (depth > 8 || !(d = opendir(dir)))
		return sum;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			sum += cloison_pss(path, depth + 1);
		}
	closedir(d);
	return sum;
}

/* Starts one idle context in @cg: 0 once it said "ready", -1 otherwise
 * (*pid set when a process was made, to be ended by the caller). */
static int start_one(struct cl_bench_ctx *c, int place, struct cl_cgroup *cg, pid_t *pid, char *why,
		     size_t wl)
{
	struct cl_bench_cmd cmd;
	int out[2], go[2], null;
	double limit = place == CL_BP_HOST ? 10 : place == CL_BP_CONTAINER ? 30 : 300, t0;
	struct cl_err err = {0};
	char buf[64];
	size_t n = 0;

	*pid = 0;
	cl_bench_make_cmd(c, &cmd, place, CL_BK_IDLE, NULL, 0);
	if (pipe2(out, O_CLOEXEC) < 0)
		return snprintf(why, wl, "pipe: %s", strerror(errno)), -1;
	if (pipe2(go, O_CLOEXEC) < 0) {
		close(out[0]);
		close(out[1]);
		return snprintf(why, wl, "pipe: %s", strerror(errno)), -1;
	}
	fflush(NULL);
	*pid = fork();
	if (*pid == 0) {
		char x;

		close(go[1]);
		signal(SIGPIPE, SIG_DFL);
		if (read(go[0], &x, 1) != 1)
			_exit(125);
		null = open("/dev/null", O_RDWR | O_CLOEXEC);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(null, 2);
		execv(cmd.argv[0], cmd.argv);
		_exit(127);
	}
	close(out[1]);
	close(go[0]);
	/* v2: cgroup.procs of the unified group (cloison's own jails are born
	 * there with clone3); v1: each hierarchy's */
	if (*pid < 0 || cl_cgroup_move_v2(cg, *pid, &err) < 0 ||
	    cl_cgroup_attach(cg, *pid, &err) < 0 || write(go[1], "g", 1) != 1) {
		snprintf(why, wl, "cannot start it: %.200s",
			 err.msg[0] ? err.msg : strerror(errno));
		close(out[0]);
		close(go[1]);
		if (*pid < 0)
			*pid = 0;
		return -1;
	}
	close(go[1]);
	t0 = cl_bench_now_ms();
	while (!cl_bench_stopping) {
		struct pollfd pf = {.fd = out[0], .events = POLLIN};
		double left = t0 + limit * 1000 - cl_bench_now_ms();
		ssize_t r;
		int p;

		if (left <= 0) {
			snprintf(why, wl, "not ready within %.0f s", limit);
			break;
		}
		p = poll(&pf, 1, (int)(left > 500 ? 500 : left + 1));
		if (p < 0 && errno != EINTR) {
			snprintf(why, wl, "poll: %s", strerror(errno));
			break;
		}
		if (p <= 0)
			continue; /* the deadline and cl_bench_stopping, again */
		r = read(out[0], buf + n, sizeof(buf) - 1 - n);
		if (r <= 0) {
			snprintf(why, wl, "ended before it was ready");
			break;
		}
		n += (size_t)r;
		buf[n] = 0;
		if (strstr(buf, "ready\n")) {
			close(out[0]);
			return 0;
		}
		if (n >= sizeof(buf) - 1) /* a VM's console says more: keep the tail */
			memmove(buf, buf + n - 8, 8), n = 8;
	}
	close(out[0]);
	return -1;
}

/* SIGTERM (each stops its context as a user's ^C would), SIGKILL to what
 * is left after 30 s. */
static void stop_all(pid_t *pids, unsigned n)
{
	double t0 = cl_bench_now_ms();
	unsigned left = 0;

	for (unsigned i = 0; i < n; i++)
		if (pids[i] > 0 && kill(pids[i], SIGTERM) == 0)
			left++;
	while (left) {
		left = 0;
		for (unsigned i = 0; i < n; i++) {
			if (pids[i] <= 0)
				continue;
			if (waitpid(pids[i], NULL, WNOHANG) == pids[i])
				pids[i] = 0;
			else
				left++;
		}
		if (!left)
			break;
		if (cl_bench_now_ms() - t0 > 30000) {
			for (unsigned i = 0; i < n; i++)
				if (pids[i] > 0) {
					kill(pids[i], SIGKILL);
					waitpid(pids[i], NULL, 0);
					pids[i] = 0;
				}
			break;
		}
		usleep(20000);
	}
}

/* Removes the empty groups below @dir, depth first: those of contexts
 * that had to be SIGKILLed (their guardian may be slower than we are).
 * Returns how many are left (busy). */
static int rm_below(const char *dir, int depth)
{
	char path[4096];
	struct dirent *e;
	int left = 0;
	DIR *d;

	if (depth > 16 || !(d = opendir(dir)))
		return 0;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			left += rm_below(path, depth + 1);
			if (rmdir(path) < 0 && errno != ENOENT)
				left++;
		}
	closedir(d);
	return left;
}

/* The density group is ours, and so is every group below it (made by the
 * contexts we started): all go, within 10 s. */
static void drain_subgroups(struct cl_cgroup *cg)
{
	double t0 = cl_bench_now_ms();

	for (int i = 0; i < cg->n_dirs; i++)
		while (cg->dir[i].made_self && cg->dir[i].path && rm_below(cg->dir[i].path, 0) &&
		       cl_bench_now_ms() - t0 < 10000)
			usleep(50000);
}

void cl_bench_density(struct cl_bench_ctx *c, int place)
{
	struct cl_bench_series *cnt = cl_bench_series_of(c, "density", place),
			       *mem = cl_bench_series_of(c, "idle-memory", place),
			       *own = cl_bench_series_of(c, "cloison-memory", place);
	unsigned max = c->b->density_max, n = 0;
	struct cl_cgroup cg = CL_CGROUP_INIT;
	struct cl_err err = {0};
	struct cl_spec s;
	char name[64], why[300] = "";
	const char *mdir = NULL;
	int64_t base, used;
	uint64_t pss = 0;
	pid_t *pids;

	if (cnt->status == CL_BS_MISSING)
		return;
	pids = calloc(max, sizeof(*pids));
	cl_spec_init(&s);
	snprintf(name, sizeof(name), "cloison-bench-density-%d-%s", (int)getpid(),
		 cl_bench_place_names[place]);
	s.res.name = strdup(name);
	s.memory = DENSITY_LIMIT; /* memory_swap 0: as much, no swap */
	/* a parent that counts memory, not a jail: no device allow-list (the
	 * contexts' own cgroups below have theirs; a VMM needs /dev/kvm) */
	s.res.no_device_cgroup = true;
	if (!pids || !s.res.name || cl_cgroup_create(&s, &cg, &err) < 0 ||
	    (base = cl_cgroup_memory_current(&cg, &mdir)) < 0) {
		snprintf(why, sizeof(why), "no memory cgroup of 1 GiB: %.200s",
			 err.msg[0] ? err.msg : "no memory controller");
		cl_bench_set_status(c, "density", place, CL_BS_FAILED, why);
		goto out;
	}
	fprintf(stderr, "cloison bench: density, %s: up to %u idle contexts in 1 GiB\n",
		cl_bench_place_names[place], max);
	while (n < max && !cl_bench_stopping) {
		bool died = false;

		if (start_one(c, place, &cg, &pids[n], why, sizeof(why)) < 0) {
			/* the one that did not start: never counted, ended before
			 * the memory is read */
			stop_all(&pids[n], 1);
			break;
		}
		n++;
		/* an earlier one killed (the OOM killer): the cgroup is full */
		for (unsigned i = 0; i < n; i++)
			if (pids[i] > 0 && waitpid(pids[i], NULL, WNOHANG) == pids[i]) {
				pids[i] = 0;
				if (!died)
					snprintf(why, sizeof(why),
						 "context %u of %u ended (memory full)", i + 1, n);
				died = true;
			}
		if (died)
			break;
	}
	/* what is alive now is what fits: each started, none ended since */
	unsigned alive = 0;
	for (unsigned i = 0; i < n; i++) {
		if (pids[i] <= 0)
			continue;
		if (waitpid(pids[i], NULL, WNOHANG) == 0)
			alive++;
		else
			pids[i] = 0;
	}
	used = cl_cgroup_memory_current(&cg, NULL);
	if (place != CL_BP_HOST && mdir)
		pss = cloison_pss(mdir, 0);
	stop_all(pids, n);
	if (cl_bench_stopping)
		goto out;
	if (!alive) {
		cl_bench_set_status(c, "density", place, CL_BS_FAILED,
				    why[0] ? why : "no context started");
		goto out;
	}
	cl_bench_add(cnt, alive);
	if (alive == max)
		snprintf(cnt->note, sizeof(cnt->note), "bound (--density-max %u) reached", max);
	else
		snprintf(cnt->note, sizeof(cnt->note), "%s", why);
	/* nothing counted: the contexts were not in the group, not free */
	if (used <= base)
		cl_bench_set_failed(mem, "the cgroup counted no memory for the contexts");
	else
		cl_bench_add(mem, (double)(used - base) / alive / (1024.0 * 1024.0));
	if (place == CL_BP_HOST)
		own->status = CL_BS_NA;
	else if (!pss)
		cl_bench_set_failed(own, "no process of cloison's in the cgroup");
	else
		cl_bench_add(own, (double)pss / alive / (1024.0 * 1024.0));
out:
	drain_subgroups(&cg);
	cl_cgroup_destroy(&cg);
	cl_spec_free(&s);
	free(pids);
}
