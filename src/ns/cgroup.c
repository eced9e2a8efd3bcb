/* The jail's cgroups: where they go, creating them, joining, killing,
 * removing.  The per-layout files are written by cgroup_v1.c and
 * cgroup_v2.c, device access by cgroup_devices.c, the accounting read by
 * cgroup_stats.c; the guardian lives in cgroup_guard.c.
 *
 * This is the per-start hot path, so it writes the cgroup files directly
 * and never calls libcgroup: cgroup_init() alone costs 0.7-1.6 ms here, half
 * of cloison's whole start-up, where the discovery below (a read of
 * /proc/self/cgroup and a statfs per hierarchy) costs tens of microseconds
 * and a whole create + join + remove with no limit ~0.3 ms of CPU.
 * libcgroup serves `cloison check` (ns/cgroup_probe.c; README.md, Cgroups). */
#include "ns/cgroup.h"
#include "util/fd.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "ns/cgroup_internal.h"
#include "util/cleanup.h"

/* --- small file helpers ---------------------------------------------------- */

int cl_cg_write(const char *dir, const char *file, const char *val, struct cl_err *err)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "cannot open %s", path);
	n = write(fd, val, len);
	if (n != (ssize_t)len) {
		int e = n < 0 ? errno : EIO;
		close(fd);
		return cl_fail(err, e, "cannot write '%s' to %s", val, path);
	}
	close(fd);
	return 0;
}

int cl_cg_write_u64(const char *dir, const char *file, uint64_t v, struct cl_err *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return cl_cg_write(dir, file, buf, err);
}

int cl_cg_write_each(const char *dir, const char *file, const char *const *vals, size_t n,
		     struct cl_err *err)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cl_fail(err, errno, "cannot open %s", path);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(vals[i]);
		ssize_t w = write(fd, vals[i], len);
		if (w != (ssize_t)len) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return cl_fail(err, e, "cannot write '%s' to %s", vals[i], path);
		}
	}
	close(fd);
	return 0;
}

bool cl_cg_listed(const char *dir, const char *file, const char *name)
{
	char buf[512];
	size_t n = strlen(name);

	if (cl_cg_read(dir, file, buf, sizeof(buf)) < 0)
		return false;
	for (char *p = buf; (p = strstr(p, name)); p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

ssize_t cl_cg_read(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)got < size - 1 && (n = read(fd, buf + got, size - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

int64_t cl_cg_read_num(const char *dir, const char *file)
{
	char buf[64], *end;
	long long v;

	if (cl_cg_read(dir, file, buf, sizeof(buf)) <= 0)
		return -1;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end == buf)
		return -1;
	return v;
}

int64_t cl_cg_read_key(const char *dir, const char *file, const char *key)
{
	char buf[4096];
	size_t klen = strlen(key);

	if (cl_cg_read(dir, file, buf, sizeof(buf)) < 0)
		return -1;
	for (char *line = buf; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return strtoll(line + klen + 1, NULL, 10);
	return -1;
}

bool cl_cg_has(const char *dir, const char *file)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

const char *cl_cg_dir(const struct cl_cgroup *cg, enum cl_cg_ctrl c)
{
	return cg->version && cg->by_ctrl[c] >= 0 ? cg->dir[cg->by_ctrl[c]].path : NULL;
}

bool cl_cg_is_v2(const struct cl_cgroup *cg, enum cl_cg_ctrl c)
{
	return cg->version && cg->by_ctrl[c] >= 0 && cg->dir[cg->by_ctrl[c]].v2;
}

bool cl_cg_empty(const char *dir)
{
	char buf[16];
	/* v2 lists a zombie in cgroup.procs until it is reaped (by whoever
	 * inherited it, when cloison is gone): "populated" is what rmdir checks */
	int64_t populated = cl_cg_read_key(dir, "cgroup.events", "populated");

	if (populated >= 0)
		return populated == 0;
	return cl_cg_read(dir, "cgroup.procs", buf, sizeof(buf)) <= 0;
}

/* No stdio, no malloc: the guardian runs this after cloison was killed,
 * perhaps in the middle of a malloc, in the memory it shared. */
int cl_cg_kill_listed(const char *dir)
{
	char path[PATH_MAX], buf[4096];
	long pid = 0;
	bool digits = false;
	ssize_t got;
	int fd, n = 0;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	while ((got = read(fd, buf, sizeof(buf))) > 0 || (got < 0 && errno == EINTR)) {
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				pid = pid * 10 + (buf[i] - '0');
				digits = true;
				continue;
			}
			if (digits && pid > 0) {
				kill((pid_t)pid, SIGKILL);
				n++;
			}
			pid = 0;
			digits = false;
		}
	}
	if (digits && pid > 0) {
		kill((pid_t)pid, SIGKILL);
		n++;
	}
	close(fd);
	return n;
}

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

int cl_cg_wait_empty(const char *dir, int patience_ms)
{
	for (int waited = 0, step = 1;; waited += step, step = step < 32 ? step * 2 : step) {
		if (cl_cg_empty(dir))
			return 0;
		if (waited >= patience_ms)
			return -1;
		sleep_ms(step);
	}
}

int cl_cg_remove(struct cl_cgroup *cg, int patience_ms, bool free_strings)
{
	int r = 0;

	for (int i = 0; i < cg->n_dirs; i++) {
		struct cl_cgroup_dir *d = &cg->dir[i];

		if (d->made_self && d->path) {
			for (int waited = 0, step = 1;;
			     waited += step, step = step < 32 ? step * 2 : step) {
				if (rmdir(d->path) == 0 || errno == ENOENT) {
					d->made_self = false;
					break;
				}
				if (errno != EBUSY || waited >= patience_ms) {
					r = -1;
					break;
				}
				sleep_ms(step);
			}
		}
		if (d->made_self)
			continue;
		/* cloison's own "cloison" directory goes when it is empty, whoever
		 * made it: its maker may have ended while another run used it */
		if (cg->shared_parent && d->n_made == 0 && d->path) {
			char parent[PATH_MAX], *slash;
			snprintf(parent, sizeof(parent), "%s", d->path);
			if ((slash = strrchr(parent, '/')))
				*slash = '\0';
			rmdir(parent); /* EBUSY, ENOTEMPTY: still in use */
		}
		/* Our parents, innermost first.  Another run may be using one
		 * (EBUSY, ENOTEMPTY): it is then that run's to remove, or the
		 * last one's (above). */
		while (d->n_made > 0) {
			if (rmdir(d->made[d->n_made - 1]) < 0 && errno != ENOENT)
				break;
			if (free_strings)
				free(d->made[d->n_made - 1]);
			d->n_made--;
		}
		/* what is left (another run's now, or busy) the caller frees */
	}
	return r;
}

/* --- discovery ------------------------------------------------------------- */

const char *const cl_cg_v1_names[CL_CG_NCTRL] = {
    [CL_CG_CPU] = "cpu",	 [CL_CG_CPUACCT] = "cpuacct", [CL_CG_CPUSET] = "cpuset",
    [CL_CG_MEMORY] = "memory",	 [CL_CG_PIDS] = "pids",	      [CL_CG_IO] = "blkio",
    [CL_CG_FREEZER] = "freezer", [CL_CG_DEVICES] = "devices",
};

static unsigned ctrl_bits(const char *list)
{
	_cleanup_free_ char *dup = strdup(list);
	unsigned bits = 0;
	char *save = NULL;

	if (!dup)
		return 0;
	for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
		for (int c = 0; c < CL_CG_NCTRL; c++)
			if (strcmp(t, cl_cg_v1_names[c]) == 0)
				bits |= 1U << c;
	return bits;
}

/* own directory = mount point + (path - the mount's root) */
static void own_dir(struct cl_cg_hier *h)
{
	const char *rel = h->rel;
	size_t rl = strlen(h->root);

	if (strcmp(h->root, "/") != 0 && strncmp(rel, h->root, rl) == 0 &&
	    (rel[rl] == '/' || rel[rl] == '\0'))
		rel += rl;
	if (snprintf(h->own, sizeof(h->own), "%s%s", h->mnt, strcmp(rel, "/") == 0 ? "" : rel) >=
	    (int)sizeof(h->own))
		h->own[0] = '\0';
}

/* The usual layout, checked without generating mountinfo: each v1
 * hierarchy at /sys/fs/cgroup/<its controllers>, the unified tree at
 * /sys/fs/cgroup/unified (hybrid) or /sys/fs/cgroup, mounted from their
 * roots, so that cloison's own cgroup is there.  Anything else (a
 * container's bind of a subtree, another mount point) fails a check and is
 * read from mountinfo. */
static bool usual_mount(struct cl_cg_hier *h, const char *mnt, long magic)
{
	struct statfs sf;

	snprintf(h->mnt, sizeof(h->mnt), "%s", mnt);
	strcpy(h->root, "/");
	own_dir(h);
	/* one statfs each: cloison's own directory exists, on a cgroup mount */
	return h->own[0] && statfs(h->own, &sf) == 0 && (long)sf.f_type == magic;
}

/* /proc/self/cgroup gives the hierarchies and where cloison is in each;
 * /proc/self/mountinfo where each is mounted (and from which root). */
int cl_cg_discover(struct cl_cg_layout *L)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 256], names[CL_CG_NCTRL][64];
	bool v2_line = false, usual = true;

	memset(L, 0, sizeof(*L));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if (c1[1] == '\0') {
			v2_line = true;
			snprintf(L->v2.rel, sizeof(L->v2.rel), "%s", c2 + 1);
			continue;
		}
		unsigned bits = ctrl_bits(c1 + 1);
		if (bits && L->n < CL_CG_NCTRL) {
			L->h[L->n].ctrls = bits;
			snprintf(L->h[L->n].rel, sizeof(L->h[0].rel), "%s", c2 + 1);
			snprintf(names[L->n], sizeof(names[0]), "%s", c1 + 1);
			L->n++;
		}
	}
	fclose(f);
	f = NULL;
	for (int i = 0; i < L->n && usual; i++) {
		char mnt[128];
		snprintf(mnt, sizeof(mnt), "/sys/fs/cgroup/%.100s", names[i]);
		usual = usual_mount(&L->h[i], mnt, CGROUP_SUPER_MAGIC);
	}
	if (usual && v2_line)
		usual = L->has_v2 =
		    usual_mount(&L->v2, L->n ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup",
				CGROUP2_SUPER_MAGIC);
	if (!usual) {
		for (int i = 0; i < L->n; i++)
			L->h[i].mnt[0] = '\0';
		L->v2.mnt[0] = '\0';
		f = fopen("/proc/self/mountinfo", "re");
	}
	while (f && fgets(line, sizeof(line), f)) {
		char root[512], mnt[512], fstype[32], opts[512], *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
		    sscanf(sep, " - %31s %*s %511s", fstype, opts) != 2)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && v2_line && !L->v2.mnt[0]) {
			snprintf(L->v2.mnt, sizeof(L->v2.mnt), "%s", mnt);
			snprintf(L->v2.root, sizeof(L->v2.root), "%s", root);
		} else if (strcmp(fstype, "cgroup") == 0) {
			unsigned bits = ctrl_bits(opts);
			for (int i = 0; bits && i < L->n; i++)
				if (L->h[i].ctrls == bits && !L->h[i].mnt[0]) {
					snprintf(L->h[i].mnt, sizeof(L->h[i].mnt), "%s", mnt);
					snprintf(L->h[i].root, sizeof(L->h[i].root), "%s", root);
				}
		}
	}
	if (!usual) {
		/* keep the mounted v1 hierarchies */
		int k = 0;
		for (int i = 0; i < L->n; i++)
			if (L->h[i].mnt[0]) {
				own_dir(&L->h[i]);
				L->h[k++] = L->h[i];
			}
		L->n = k;
		if (L->v2.mnt[0]) {
			own_dir(&L->v2);
			L->has_v2 = L->v2.own[0] != '\0';
		}
	}
	if (L->has_v2)
		L->v2.ctrls = (1U << CL_CG_NCTRL) - 1;
	L->version = L->n ? 1 : L->has_v2 ? 2 : 0;
	return 0;
}

/* --- placement ------------------------------------------------------------- */

static void make_id(const struct cl_spec *s, char *buf, size_t size)
{
	unsigned char r[6];

	if (s->res.name) {
		snprintf(buf, size, "%s", s->res.name);
		return;
	}
	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		snprintf(buf, size, "%d-%lx", getpid(), (unsigned long)t.tv_nsec);
		return;
	}
	snprintf(buf, size, "%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4], r[5]);
}

#define BIT(c) (1U << (c))
/* what a unified-tree group has without any controller: device programs,
 * cgroup.kill/freeze, cpu.stat */
#define V2_BUILTIN (BIT(CL_CG_DEVICES) | BIT(CL_CG_FREEZER) | BIT(CL_CG_CPUACCT))

/* The controllers this spec needs, and which of them it cannot do without. */
static unsigned needed(const struct cl_spec *s, unsigned *required)
{
	const struct cl_resources *r = &s->res;
	unsigned need = BIT(CL_CG_DEVICES) | BIT(CL_CG_FREEZER), req = 0;

	if (s->memory || r->memory_swap || r->memory_high || r->memory_low)
		req |= BIT(CL_CG_MEMORY);
	if (r->cpus_milli || r->cpu_weight)
		req |= BIT(CL_CG_CPU);
	if (r->cpuset)
		req |= BIT(CL_CG_CPUSET);
	if (r->pids)
		req |= BIT(CL_CG_PIDS);
	if (r->io_weight || r->n_io_max)
		req |= BIT(CL_CG_IO);
	if (r->stats || r->stats_json || r->accounting)
		need |= BIT(CL_CG_MEMORY) | BIT(CL_CG_CPUACCT) | BIT(CL_CG_PIDS) | BIT(CL_CG_IO);
	if (r->no_device_cgroup)
		need &= ~BIT(CL_CG_DEVICES);
	if (cl_resources_devices_required(s))
		req |= BIT(CL_CG_DEVICES);
	*required = req;
	return need | req;
}

static const char *setting_for(enum cl_cg_ctrl c)
{
	switch (c) {
	case CL_CG_MEMORY: return "--memory";
	case CL_CG_CPU: return "--cpus/--cpu-weight";
	case CL_CG_CPUSET: return "--cpuset";
	case CL_CG_PIDS: return "--pids";
	case CL_CG_IO: return "--io-weight/--io-max";
	case CL_CG_DEVICES:
		return "the device allow-list (--device-cgroup none goes without, weaker)";
	case CL_CG_FREEZER: return "CLOISON_CGROUP_DEVICES=v1";
	default: return "cloison";
	}
}

/* Is @c enabled for the children of @dir (v2)? */
static bool v2_delegates(const char *dir, const char *c)
{
	char buf[512];
	size_t n = strlen(c);

	if (cl_cg_read(dir, "cgroup.subtree_control", buf, sizeof(buf)) < 0)
		return false;
	for (char *p = buf; (p = strstr(p, c)); p += n)
		if ((p == buf || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static int v2_enable(const char *dir, unsigned ctrls, struct cl_err *err)
{
	char buf[128] = "";
	size_t k = 0;

	for (int c = 0; c < CL_CG_NCTRL; c++)
		if ((ctrls & BIT(c)) && cl_cg_v2_name(c) && !v2_delegates(dir, cl_cg_v2_name(c)))
			k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s+%s", k ? " " : "",
					      cl_cg_v2_name(c));
	return k ? cl_cg_write(dir, "cgroup.subtree_control", buf, err) : 0;
}

/* Creates @parent's missing components below @top (which exists), and
 * prepares each for children: v1 cpuset needs cpus and mems, v2 needs the
 * controllers enabled.  @ours: @parent is cloison's own "cloison" directory,
 * which it may prepare even when another run made it. */
static int make_parents(struct cl_cgroup_dir *d, const char *top, const char *parent,
			unsigned v2_ctrls, bool ours, struct cl_err *err)
{
	char path[PATH_MAX];
	size_t tl = strlen(top);
	const char *p = parent + tl;

	snprintf(path, sizeof(path), "%s", top);
	while (*p == '/')
		p++;
	while (*p) {
		const char *end = strchrnul(p, '/');
		bool made;
		size_t len = strlen(path);

		snprintf(path + len, sizeof(path) - len, "/%.*s", (int)(end - p), p);
		made = mkdir(path, 0755) == 0;
		if (!made && errno != EEXIST)
			return cl_fail(err, errno, "cannot create the cgroup %s", path);
		if (made) {
			if (d->n_made == CL_CG_MAX_MADE)
				return cl_fail(err, 0, "cgroup parent %s: too deep", parent);
			if (!(d->made[d->n_made++] = strdup(path)))
				return cl_fail(err, ENOMEM, "out of memory");
		}
		p = end;
		while (*p == '/')
			p++;
		if (!made && !(ours && !*p))
			continue;
		if (!d->v2 && (d->hier & BIT(CL_CG_CPUSET)) &&
		    cl_cg_v1_cpuset_fill(path, NULL, err) < 0)
			return -1;
		if (d->v2 && v2_enable(path, v2_ctrls, err) < 0)
			return -1;
	}
	return 0;
}

/* Where the context's group goes in one hierarchy: @parent, made below
 * @top, which exists (cloison's own cgroup, or the root for an absolute
 * --cgroup-parent). */
static int parent_of(const struct cl_spec *s, const struct cl_cg_hier *h, char top[PATH_MAX],
		     char parent[PATH_MAX], struct cl_err *err)
{
	const char *cp = s->res.cgroup_parent;
	int n;

	snprintf(top, PATH_MAX, "%s", cp && cp[0] == '/' ? h->mnt : h->own);
	if (!cp)
		n = snprintf(parent, PATH_MAX, "%s/cloison", h->own);
	else if (cp[0] == '/')
		n = snprintf(parent, PATH_MAX, "%s%s", h->mnt, cp);
	else
		n = snprintf(parent, PATH_MAX, "%s/%s", h->own, cp);
	if (n >= PATH_MAX - 100)
		return cl_fail(err, ENAMETOOLONG, "cgroup path %s", parent);
	while (strlen(parent) > 1 && parent[strlen(parent) - 1] == '/')
		parent[strlen(parent) - 1] = '\0';
	return 0;
}

/* Ownership: the run that made a group holds an flock on it, and so does its
 * guardian (which inherits the fd), until the group is gone.  A group whose
 * lock is free has no live owner: a run killed before its guardian started
 * left it (the window is a few system calls wide, but real). */
static int own(struct cl_cgroup_dir *d, int min_fd, struct cl_err *err)
{
	struct stat a, b;

	d->lock_fd = cl_fd_above(open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), min_fd);
	if (d->lock_fd < 0) {
		d->made_self = false; /* not provably ours: never killed in nor removed */
		return cl_fail(err, errno, "cannot open the cgroup %s", d->path);
	}
	/* a run that found it before we locked it may have reclaimed it, and
	 * made it again as its own */
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0 || fstat(d->lock_fd, &a) < 0 ||
	    stat(d->path, &b) < 0 || a.st_ino != b.st_ino) {
		d->made_self = false;
		return cl_fail(err, 0, "the cgroup %s was taken by another context of this name",
			       d->path);
	}
	return 0;
}

/* @path exists: when nobody holds it (waiting up to a second for a guardian
 * finishing its clean-up) and it holds no process, it is what a run killed
 * before its guardian started left: removed.  0 when it is gone; -1 (errno
 * set) when it has an owner or processes, which are never killed here. */
static int reclaim(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int i;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	for (i = 0; i < 100 && flock(fd, LOCK_EX | LOCK_NB) < 0; i++) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		usleep(10000);
	}
	if (i == 100 || !cl_cg_empty(path))
		return errno = EBUSY, -1;
	return rmdir(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Makes <parent>/<id> in one hierarchy: the parents first (kept if another
 * run made them), then the group itself, which must not exist. */
static int place(struct cl_cgroup *cg, struct cl_cgroup_dir *d, const struct cl_cg_hier *h,
		 const char *id, unsigned v2_ctrls, struct cl_err *err)
{
	const char *cp = cg->spec->res.cgroup_parent;
	char parent[PATH_MAX], top[PATH_MAX], path[PATH_MAX];

	if (parent_of(cg->spec, h, top, parent, err) < 0)
		return -1;
	/* rootless: a subtree delegated to the user can give it (cgroup_deleg.c) */
	if (d->v2 && v2_ctrls && geteuid() != 0 && cl_cg_deleg_enter(cg, top, v2_ctrls, err) < 0)
		return -1;
	/* v2: the outermost existing directory must delegate what we need */
	for (int c = 0; d->v2 && c < CL_CG_NCTRL; c++)
		if ((v2_ctrls & BIT(c)) && cl_cg_v2_name(c) && !v2_delegates(top, cl_cg_v2_name(c)))
			return cl_fail(
			    err, 0,
			    "%s needs the %s controller, but the cgroup %s does not delegate "
			    "it to its children (its cgroup.subtree_control lacks %s; the "
			    "service manager that started cloison must enable it)",
			    setting_for(c), cl_cg_v2_name(c), top, cl_cg_v2_name(c));
	if (snprintf(path, sizeof(path), "%s/%s", parent, id) >= (int)sizeof(path))
		return cl_fail(err, ENAMETOOLONG, "cgroup path %s", parent);
	/* a concurrent run may remove a parent it made between our two mkdirs */
	for (int tries = 0;; tries++) {
		if (make_parents(d, top, parent, v2_ctrls, !cp, err) < 0)
			return -1;
		if (mkdir(path, 0755) == 0)
			break;
		/* in cloison's own parent, an empty group nobody holds is a
		 * dead run's: reclaimed at once (never one of --cgroup-parent,
		 * which may be anybody's) */
		if (errno == EEXIST) {
			if (tries == 3 || cp || reclaim(path) < 0)
				return cl_fail(
				    err, 0,
				    "the cgroup %s already exists: another context runs "
				    "under this name%s",
				    path, cp ? " (or a group of that name is not cloison's)" : "");
			continue;
		}
		if (errno != ENOENT)
			return cl_fail(err, errno, "cannot create the cgroup %s", path);
		if (tries == 3)
			return cl_fail(err, errno, "cannot create the cgroup %s", path);
	}
	d->made_self = true;
	if (!(d->path = strdup(path)))
		return cl_fail(err, ENOMEM, "out of memory");
	return own(d, 3 + cg->spec->preserve_fds, err);
}

static int v1_hierarchy(const struct cl_cg_layout *L, enum cl_cg_ctrl c)
{
	for (int i = 0; i < L->n; i++)
		if (L->h[i].ctrls & BIT(c))
			return i;
	return -1;
}

bool cl_cg_bfq_in_use(void)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char buf[256];
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "/sys/block/%.200s/queue", e->d_name);
		found = cl_cg_read(buf, "scheduler", buf, sizeof(buf)) > 0 && strstr(buf, "[bfq]");
	}
	if (d)
		closedir(d);
	return found;
}

/* Fail closed: without its device allow-list, root in a jail with
 * CAP_MKNOD could make and open any device node of the host. */
#define NO_DEVICES                                                                                 \
	"cannot install the jail's device allow-list (--device-cgroup none runs without it, "      \
	"weaker): "

/* CLOISON_CGROUP_DEVICES=v1: the device rules in v1's devices controller
 * and the final kill by v1's freezer, even where the unified tree could
 * carry them: the v1-only hosts' path, testable on a hybrid one.  Required
 * then: a jail never runs without its device rules. */
bool cl_cg_force_v1_devices(void)
{
	const char *v = getenv("CLOISON_CGROUP_DEVICES");

	return v && strcmp(v, "v1") == 0;
}

/* The unified-tree group, whenever the tree is mounted (on a hybrid layout
 * too): the child is born in it (clone3 CLONE_INTO_CGROUP), so it costs no
 * migration, and it carries the device program, cgroup.kill and cpu.stat.
 * A v1 migration (a cgroup.procs write) waits for an RCU grace period
 * (cgroup_threadgroup_rwsem): 5-7.5 ms here, twice cloison's whole
 * start-up, so v1 groups are made only for the controllers asked for. */
static int create_v2(const struct cl_spec *s, struct cl_cgroup *cg, const struct cl_cg_layout *L,
		     unsigned need, unsigned required, const char *id, struct cl_err *err)
{
	char top[PATH_MAX], parent[PATH_MAX];
	unsigned v2 = 0;
	struct cl_cgroup_dir *d = &cg->dir[cg->n_dirs];

	if (parent_of(s, &L->v2, top, parent, err) < 0)
		return -1;
	/* a controller v1 does not have: what the limits need must be
	 * delegated, what only the accounting would like is used where it is */
	for (int c = 0; c < CL_CG_NCTRL; c++) {
		if (!(need & BIT(c)) || !cl_cg_v2_name(c) || v1_hierarchy(L, c) >= 0)
			continue;
		if ((required & BIT(c)) || v2_delegates(top, cl_cg_v2_name(c)))
			v2 |= BIT(c);
	}
	d->v2 = true;
	d->hier = (1U << CL_CG_NCTRL) - 1;
	cg->v2_dir = cg->n_dirs++;
	if (place(cg, d, &L->v2, id, v2, err) < 0)
		return -1;
	d->ctrls = v2 | V2_BUILTIN;
	if (cl_cg_force_v1_devices())
		d->ctrls &= ~(BIT(CL_CG_DEVICES) | BIT(CL_CG_FREEZER));
	if (s->res.no_device_cgroup)
		d->ctrls &= ~BIT(CL_CG_DEVICES);
	for (int c = 0; c < CL_CG_NCTRL; c++)
		if (d->ctrls & BIT(c))
			cg->by_ctrl[c] = cg->v2_dir;
	cg->v2_fd =
	    cl_fd_above(open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), 3 + s->preserve_fds);
	if (cg->v2_fd < 0)
		return cl_fail(err, errno, "cannot open the cgroup %s", d->path);
	return 0;
}

static int create(const struct cl_spec *s, struct cl_cgroup *cg, const struct cl_cg_layout *L,
		  struct cl_err *err)
{
	unsigned required, need = needed(s, &required);
	char id[80];

	if (cl_cg_force_v1_devices())
		required |= BIT(CL_CG_DEVICES) | BIT(CL_CG_FREEZER);

	make_id(s, id, sizeof(id));
	snprintf(cg->name, sizeof(cg->name), "%s/%s",
		 s->res.cgroup_parent ? s->res.cgroup_parent : "cloison", id);
	cg->shared_parent = !s->res.cgroup_parent;
	cg->version = L->version;
	/* rootless limits are a delegated cgroup2 subtree's (cgroup_deleg.c) */
	unsigned limits = required & ~(BIT(CL_CG_DEVICES) | BIT(CL_CG_FREEZER));
	for (int c = 0; limits && c < CL_CG_NCTRL && geteuid() != 0; c++)
		if ((limits & BIT(c)) && v1_hierarchy(L, c) >= 0)
			return cl_fail(
			    err, 0,
			    "%s as an ordinary user needs a cgroup2 subtree delegated to "
			    "it; the %s controller is on cgroup v1 here, which is never "
			    "delegated to users (see cloison check)",
			    setting_for(c), cl_cg_v1_names[c]);
	if (L->has_v2 && create_v2(s, cg, L, need, required, id, err) < 0)
		return -1;
	for (int c = 0; c < CL_CG_NCTRL; c++) {
		if (!(need & BIT(c)) || cg->by_ctrl[c] >= 0)
			continue;
		int i = v1_hierarchy(L, c);
		if (i < 0) {
			if (required & BIT(c))
				return cl_fail(
				    err, 0,
				    "%s needs the %s cgroup controller, which is not mounted",
				    setting_for(c), cl_cg_v1_names[c]);
			continue;
		}
		/* one directory per hierarchy: co-mounted controllers share it */
		int di = -1;
		for (int k = 0; k < cg->n_dirs && di < 0; k++)
			if (!cg->dir[k].v2 && cg->dir[k].hier == L->h[i].ctrls)
				di = k;
		if (di < 0) {
			di = cg->n_dirs++;
			cg->dir[di].hier = L->h[i].ctrls;
			if (place(cg, &cg->dir[di], &L->h[i], id, 0, err) < 0)
				return -1;
		}
		cg->dir[di].ctrls |= BIT(c);
		cg->by_ctrl[c] = di;
	}
	return 0;
}

/* The first setting that needs the jail's own cgroup, for the refusal. */
static const char *limit_asked(const struct cl_spec *s)
{
	const struct cl_resources *r = &s->res;
	static const char *const names[] = {
	    "--memory",	    "--memory-swap", "--memory-high",	"--memory-low", "--cpus",
	    "--cpu-weight", "--cpuset",	     "--pids",		"--io-weight",	"--io-max",
	    "--stats",	    "--stats-json",  "--cgroup-parent", "--name"};
	const bool given[] = {s->memory,	r->memory_swap, r->memory_high, r->memory_low,
			      r->cpus_milli,	r->cpu_weight,	r->cpuset,	r->pids,
			      r->io_weight,	r->n_io_max,	r->stats,	r->stats_json,
			      r->cgroup_parent, r->name};

	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++)
		if (given[i])
			return names[i];
	return "CLOISON_CGROUP_DEVICES=v1";
}

/* Root without a cgroup of its own (inside a container, a CI runner, a
 * --nested jail): said once, never silently.  Rootless, that is the rule
 * (cloison check says which controllers a user may use). */
static void warn_no_cgroup(const char *why, const char *detail)
{
	if (geteuid() == 0)
		cl_warn("%s%s%s%s: no cgroup limits, no accounting (the jail runs without a cgroup "
			"of its own)",
			why, detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
}

/* --stats without a cgroup of its own: said, never silent */
static void stats_without(const struct cl_spec *s, const char *why)
{
	if (s->res.stats || s->res.stats_json)
		cl_warn("--stats%s: no cgroup of its own (%s): CPU time and I/O as the processes "
			"counted them, no peak memory or pids",
			s->res.stats_json ? "-json" : "", why);
}

int cl_cgroup_create(const struct cl_spec *s, struct cl_cgroup *cg, struct cl_err *err)
{
	struct cl_cg_layout L;
	struct cl_err e = {0};
	/* forced v1 device rules (CLOISON_CGROUP_DEVICES=v1): never dropped */
	bool must = cl_resources_limited(s) || cl_cg_force_v1_devices(),
	     devices = cl_resources_devices_required(s);

	bool reap = cg->reap_guard, detach = cg->detach;

	memset(cg, 0, sizeof(*cg));
	cg->reap_guard = reap;
	cg->detach = detach;
	cg->spec = s;
	cg->v2_fd = cg->guard_fd = cg->v2_dir = -1;
	for (size_t i = 0; i < sizeof(cg->dir) / sizeof(cg->dir[0]); i++)
		cg->dir[i].lock_fd = -1;
	for (int c = 0; c < CL_CG_NCTRL; c++)
		cg->by_ctrl[c] = -1;
	clock_gettime(CLOCK_MONOTONIC, &cg->started);

	if (cl_cg_discover(&L) < 0 || L.version == 0) {
		if (must)
			return cl_fail(
			    err, 0,
			    "%s needs a cgroup of the jail's own, and no cgroup hierarchy "
			    "is mounted here",
			    limit_asked(s));
		if (devices)
			return cl_fail(err, 0,
				       NO_DEVICES
				       "no cgroup hierarchy is mounted here (`ip netns exec` "
				       "mounts a /sys without them: nsenter --net=/run/netns/NAME "
				       "keeps them; inside a container, --userns needs none)");
		warn_no_cgroup("no cgroup hierarchy is mounted here", NULL);
		stats_without(s, "no cgroup hierarchy is mounted");
		return 0;
	}
	if (create(s, cg, &L, &e) < 0)
		goto fail;
	if (cg->n_dirs == 0) {
		stats_without(s, "none of the controllers it counts with is available");
		cg->version = 0;
		return 0;
	}
	/* from here the guardian removes the groups if cloison dies (OCI
	 * create: delete does, whenever it comes) */
	if (!cg->detach && cl_cg_guard_start(cg, 3 + s->preserve_fds, &e) < 0)
		goto fail;
	if (cl_cg_v1_limits(cg, s, &e) < 0 || cl_cg_v2_limits(cg, s, &e) < 0)
		goto fail;
	if (s->res.stats || s->res.stats_json) {
		const char *pd = cl_cg_dir(cg, CL_CG_PIDS), *md = cl_cg_dir(cg, CL_CG_MEMORY);
		cg->sample_pids = pd && !cl_cg_has(pd, "pids.peak");
		cg->sample_mem =
		    md && cl_cg_is_v2(cg, CL_CG_MEMORY) && !cl_cg_has(md, "memory.peak");
	}
	return 0;
fail:
	cl_cgroup_destroy(cg);
	/* no limit asked for, and the kernel refuses device nodes anyway (a user
	 * namespace) or the user said so: cgroups are a bonus (rootless) */
	if (!must && !devices && (e.errnum == EACCES || e.errnum == EPERM || e.errnum == EROFS)) {
		stats_without(s, e.msg);
		cg->version = 0;
		warn_no_cgroup(e.errnum == EROFS ? "the cgroup tree is read-only here"
						 : "cloison may not make cgroups here",
			       e.msg);
		return 0;
	}
	*err = e;
	if (!must && devices)
		cl_wrap(err, NO_DEVICES "it needs its own cgroup");
	else if (must && (e.errnum == EACCES || e.errnum == EPERM || e.errnum == EROFS))
		cl_wrap(err,
			"%s needs a cgroup of the jail's own, and cloison cannot make one here",
			limit_asked(s));
	return -1;
}

void cl_cgroup_clone_args(const struct cl_cgroup *cg, struct clone_args *args)
{
	if (cg->v2_fd >= 0) {
		args->flags |= CLONE_INTO_CGROUP;
		args->cgroup = (uint64_t)cg->v2_fd;
	}
}

int cl_cgroup_move_v2(struct cl_cgroup *cg, pid_t pid, struct cl_err *err)
{
	char buf[16];

	if (cg->v2_dir < 0)
		return 0;
	snprintf(buf, sizeof(buf), "%d", pid);
	if (cl_cg_write(cg->dir[cg->v2_dir].path, "cgroup.procs", buf, err) < 0)
		return cl_wrap(err, "cannot move the jail into its cgroup");
	return 0;
}

int cl_cgroup_attach(struct cl_cgroup *cg, pid_t pid, struct cl_err *err)
{
	const struct cl_spec *s = cg->spec;
	struct cl_err e = {0};
	char buf[16];

	/* the unified-tree group: clone3 started the child in it; its device
	 * program goes on now, before the child is released.  Without limits
	 * or device rules asked for, a kernel that refuses the program (no
	 * CAP_BPF) leaves the group without one, as it would leave cloison
	 * without groups when mkdir is refused. */
	if (s && cl_cg_v2_devices(cg, s, &e) < 0) {
		/* rootless (a delegated subtree): the kernel refuses the user
		 * the program, and device nodes to the jail's user namespace */
		bool must = (cl_resources_limited(s) && geteuid() == 0) ||
			    cl_resources_devices_required(s) || cl_cg_force_v1_devices();
		if (must || (e.errnum != EPERM && e.errnum != EACCES)) {
			*err = e;
			if (cl_resources_devices_required(s))
				cl_wrap(err, NO_DEVICES "its program was refused");
			return -1;
		}
	}
	snprintf(buf, sizeof(buf), "%d", pid);
	for (int i = 0; i < cg->n_dirs; i++)
		if (!cg->dir[i].v2 && cl_cg_write(cg->dir[i].path, "cgroup.procs", buf, err) < 0)
			return cl_wrap(err, "cannot move the jail into its cgroup");
	return 0;
}

int cl_cgroup_join(const char *dir, struct cl_err *err)
{
	return cl_cg_write(dir, "cgroup.procs", "0", err);
}

void cl_cgroup_kill(struct cl_cgroup *cg)
{
	/* every process of the context is in its unified-tree group */
	if (cg->v2_dir >= 0 && cl_cg_is_v2(cg, CL_CG_FREEZER)) {
		/* removed already: the name may be another run's */
		if (cg->dir[cg->v2_dir].made_self)
			cl_cg_v2_kill(cg->dir[cg->v2_dir].path);
	} else if (cg->n_dirs) {
		cl_cg_v1_kill(cg);
	}
}

bool cl_cgroup_wants_samples(const struct cl_cgroup *cg)
{
	return cg->sample_pids || cg->sample_mem;
}

void cl_cgroup_sample(struct cl_cgroup *cg)
{
	int64_t v;

	if (cg->sample_pids &&
	    (v = cl_cg_read_num(cl_cg_dir(cg, CL_CG_PIDS), "pids.current")) > 0 &&
	    (uint64_t)v > cg->peak_pids)
		cg->peak_pids = (uint64_t)v;
	if (cg->sample_mem &&
	    (v = cl_cg_read_num(cl_cg_dir(cg, CL_CG_MEMORY), "memory.current")) > 0 &&
	    (uint64_t)v > cg->peak_mem)
		cg->peak_mem = (uint64_t)v;
}

uint64_t cl_cgroup_oom_kills(const struct cl_cgroup *cg)
{
	const char *md = cl_cg_dir(cg, CL_CG_MEMORY);
	int64_t n;

	if (!md)
		return 0;
	n = cl_cg_is_v2(cg, CL_CG_MEMORY) ? cl_cg_read_key(md, "memory.events", "oom_kill")
					  : cl_cg_read_key(md, "memory.oom_control", "oom_kill");
	return n > 0 ? (uint64_t)n : 0;
}

void cl_cgroup_destroy(struct cl_cgroup *cg)
{
	bool clean;

	if (cg->v2_fd >= 0) {
		close(cg->v2_fd);
		cg->v2_fd = -1;
	}
	if (cg->n_dirs == 0 && !cg->guard_pid)
		return;
	cl_cgroup_kill(cg);
	clean = cl_cg_remove(cg, 2000, true) == 0;
	if (clean)
		cl_cg_deleg_restore(cg); /* rootless, delegated: cloison back in its group */
	/* left busy: the guardian keeps trying after we are gone */
	cl_cg_guard_stop(cg, clean);
	cl_cgroup_release(cg);
}

void cl_cgroup_release(struct cl_cgroup *cg)
{
	if (cg->v2_fd >= 0)
		close(cg->v2_fd);
	cg->v2_fd = -1;
	for (int i = 0; i < cg->n_dirs; i++) {
		if (cg->dir[i].lock_fd >= 0)
			close(cg->dir[i].lock_fd);
		cg->dir[i].lock_fd = -1;
		free(cg->dir[i].path);
		cg->dir[i].path = NULL;
		while (cg->dir[i].n_made > 0)
			free(cg->dir[i].made[--cg->dir[i].n_made]);
	}
	cg->n_dirs = 0;
	cg->version = 0;
	cg->v2_dir = -1;
	free(cg->deleg_top);
	free(cg->deleg_leaf);
	cg->deleg_top = cg->deleg_leaf = NULL;
}

int cl_cgroup_hier_name(const struct cl_cgroup *cg, int i, char *buf, size_t n)
{
	struct cl_cg_layout L;
	const char *path = cg->dir[i].path;

	if (cl_cg_discover(&L) < 0)
		return -1;
	for (int k = 0; k <= L.n; k++) {
		const struct cl_cg_hier *h = k < L.n ? &L.h[k] : &L.v2;
		size_t len = strlen(h->mnt);
		if ((k == L.n && !L.has_v2) || cg->dir[i].v2 != (k == L.n) ||
		    strncmp(path, h->mnt, len) || (path[len] && path[len] != '/'))
			continue;
		if (cg->dir[i].v2 && L.n == 0)
			snprintf(buf, n, "%s", "");
		else if (cg->dir[i].v2)
			snprintf(buf, n, "%s", "unified");
		else
			snprintf(buf, n, "%s", strrchr(h->mnt, '/') + 1);
		return 0;
	}
	return -1;
}

/* --- gc -------------------------------------------------------------------- */

/* A group is stale when it holds no process and no child and nobody holds
 * its lock (its run and guardian are gone, see own()); not in the instant
 * between a run's mkdir and its lock. */
static int gc_dir(const char *parent, bool dry_run, void (*said)(const char *, void *), void *data)
{
	DIR *d = opendir(parent);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[PATH_MAX];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", parent, e->d_name) >= (int)sizeof(path))
			continue;
		struct stat st;
		_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		/* (a group made this very moment is not locked yet: let it be) */
		if (fd < 0 || fstat(fd, &st) < 0 || time(NULL) - st.st_mtime < 2 ||
		    flock(fd, LOCK_EX | LOCK_NB) < 0 || !cl_cg_empty(path))
			continue;
		if (dry_run || rmdir(path) == 0) {
			n++;
			if (said)
				said(path, data);
		}
	}
	closedir(d);
	if (!dry_run)
		rmdir(parent); /* EBUSY/ENOTEMPTY: still in use */
	return n;
}

int cl_cgroup_gc_ext(bool dry_run, void (*said)(const char *path, void *data), void *data,
		     struct cl_err *err)
{
	struct cl_cg_layout L;
	int n = 0;

	if (cl_cg_discover(&L) < 0)
		return cl_fail(err, errno, "cannot read /proc/self/cgroup");
	for (int i = 0; i <= L.n; i++) {
		const struct cl_cg_hier *h = i < L.n ? &L.h[i] : &L.v2;
		char parent[PATH_MAX];
		if (i == L.n && !L.has_v2)
			break;
		snprintf(parent, sizeof(parent), "%s/cloison", h->own);
		n += gc_dir(parent, dry_run, said, data);
	}
	return n;
}

int cl_cgroup_gc(struct cl_err *err)
{
	return cl_cgroup_gc_ext(false, NULL, NULL, err);
}
