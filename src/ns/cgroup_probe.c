/* What `cloison check` says about cgroups: for each controller cloison
 * uses, whether a context can use it here and where.
 *
 * The mount points and cloison's own cgroup come from libcgroup (loaded
 * with dlopen, only here: its cgroup_init() costs 1.0-1.6 ms, too much for
 * every `cloison run`, which reads /proc itself, ns/cgroup.c).  Without
 * libcgroup the same facts come from that /proc reading.  Nothing is
 * created or written: usable means the directory is writable (v1) or the
 * controller is delegated to cloison's cgroup (v2). */
#include <errno.h>
#include <libcgroup.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ns/cgroup_internal.h"
#include "ns/cgroup_probe.h"
#include "util/lazylib.h"

#define LCG_FNS(X)                                                                                 \
	X(cgroup_init)                                                                             \
	X(cgroup_get_controller_begin)                                                             \
	X(cgroup_get_controller_next)                                                              \
	X(cgroup_get_controller_end) X(cgroup_get_current_controller_path) X(cgroup_strerror)
CL_LAZYLIB_DEFINE(lcg, "libcgroup.so.2", "libcgroup2", LCG_FNS);

struct where {
	bool found;
	char mnt[512], own[1024];
};

static void add(struct cl_cgroup_report_row *rows, int *n, int max, const char *name, bool ok,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add(struct cl_cgroup_report_row *rows, int *n, int max, const char *name, bool ok,
		const char *fmt, ...)
{
	va_list ap;

	if (*n >= max)
		return;
	rows[*n].name = name;
	rows[*n].ok = ok;
	va_start(ap, fmt);
	vsnprintf(rows[*n].detail, sizeof(rows[*n].detail), fmt, ap);
	va_end(ap);
	(*n)++;
}

/* libcgroup's view: each controller's mount point and cloison's cgroup. */
static int from_libcgroup(struct where w[CL_CG_NCTRL], int version, char *why, size_t why_size)
{
	struct cl_err err = {0};
	struct cgroup_mount_point mp;
	void *h = NULL;
	int r;

	if (cl_lazylib_load(&lcg.lib, &err, "find the cgroup controllers") < 0) {
		snprintf(why, why_size, "%s", err.msg);
		return -1;
	}
	if ((r = lcg.fn.cgroup_init()) != 0) {
		snprintf(why, why_size, "cgroup_init: %s", lcg.fn.cgroup_strerror(r));
		return -1;
	}
	for (r = lcg.fn.cgroup_get_controller_begin(&h, &mp); r == 0;
	     r = lcg.fn.cgroup_get_controller_next(&h, &mp)) {
		for (int c = 0; c < CL_CG_NCTRL; c++) {
			const char *name = cl_cg_v1_names[c];
			char *cur = NULL;
			if (!name || strcmp(name, mp.name) != 0 || w[c].found)
				continue;
			w[c].found = true;
			snprintf(w[c].mnt, sizeof(w[c].mnt), "%.500s", mp.path);
			if (lcg.fn.cgroup_get_current_controller_path(getpid(), name, &cur) == 0 &&
			    cur)
				snprintf(w[c].own, sizeof(w[c].own), "%.500s%.500s", mp.path,
					 strcmp(cur, "/") ? cur : "");
			else
				snprintf(w[c].own, sizeof(w[c].own), "%.500s", mp.path);
			free(cur);
		}
	}
	lcg.fn.cgroup_get_controller_end(&h);
	return 0;
}

/* What libcgroup did not list (or everything, without it): v1 controllers
 * only, the unified tree's are checked in its own directory. */
static void from_proc(struct where w[CL_CG_NCTRL], const struct cl_cg_layout *L)
{
	for (int c = 0; c < CL_CG_NCTRL; c++)
		for (int i = 0; i < L->n && !w[c].found; i++)
			if (L->h[i].ctrls & (1U << c)) {
				w[c].found = true;
				snprintf(w[c].mnt, sizeof(w[c].mnt), "%s", L->h[i].mnt);
				snprintf(w[c].own, sizeof(w[c].own), "%s", L->h[i].own);
			}
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int a = 0, b = 0;

	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &a, &b) == 2 &&
	       (a > major || (a == major && b >= minor));
}

int cl_cgroup_report(struct cl_cgroup_report_row *rows, int max)
{
	struct cl_cg_layout L;
	struct where w[CL_CG_NCTRL];
	char why[CL_ERR_MSG_MAX] = "";
	int n = 0;

	memset(w, 0, sizeof(w));
	if (cl_cg_discover(&L) < 0 || L.version == 0) {
		add(rows, &n, max, "controllers", false,
		    "no cgroup hierarchy mounted: limits cannot be applied");
		return n;
	}
	bool lib = from_libcgroup(w, L.version, why, sizeof(why)) == 0;
	if (lib)
		add(rows, &n, max, "libcgroup", true, "found the controllers below");
	else
		add(rows, &n, max, "libcgroup", false, "%.200s; found them in /proc/self/mountinfo",
		    why);
	if (L.n == 0)
		memset(w, 0, sizeof(w)); /* v2 only: each is checked in cloison's own directory */
	from_proc(w, &L);		 /* fills in what libcgroup did not list */

	for (int c = 0; L.n && c < CL_CG_NCTRL; c++) {
		const char *name = cl_cg_v1_names[c];
		bool builtin = c == CL_CG_CPUACCT || ((c == CL_CG_FREEZER || c == CL_CG_DEVICES) &&
						      !cl_cg_force_v1_devices());
		if (!w[c].found || (L.has_v2 && builtin))
			continue;
		bool ok = access(w[c].own, W_OK) == 0;
		add(rows, &n, max, name, ok, "v1 %.200s%s%.200s", w[c].own, ok ? "" : ": ",
		    ok ? "" : strerror(errno));
	}
	if (!L.has_v2) {
		for (int c = 0; c < CL_CG_NCTRL; c++)
			if (!w[c].found)
				add(rows, &n, max, cl_cg_v1_names[c], false, "not mounted");
		return n;
	}
	/* the unified tree: the jail's own group, born in it; controllers v1
	 * does not have */
	const char *own = L.v2.own;
	bool writable = access(own, W_OK) == 0;
	add(rows, &n, max, "unified", writable, "%.200s%s%.200s", own,
	    writable ? ": the jail's group" : ": ", writable ? "" : strerror(errno));
	for (int c = 0; c < CL_CG_NCTRL; c++) {
		const char *name = cl_cg_v2_name(c);
		if (!name || (L.n && w[c].found))
			continue;
		if (cl_cg_listed(own, "cgroup.subtree_control", name))
			add(rows, &n, max, name, true, "v2 %.200s delegates it", own);
		else if (cl_cg_listed(own, "cgroup.controllers", name))
			add(rows, &n, max, name, false,
			    "v2 %.200s has it but does not delegate it (cgroup.subtree_control)",
			    own);
		else
			add(rows, &n, max, name, false, "v2: not available in %.200s", own);
	}
	if (L.n && cl_cg_force_v1_devices())
		return n; /* freezer and devices: v1, above */
	bool kill = kernel_at_least(5, 14);
	add(rows, &n, max, "freezer", true, "v2 built in: %s",
	    kill ? "cgroup.kill" : "cgroup.freeze (no cgroup.kill before Linux 5.14)");
	int e = cl_cg_devices_bpf_probe();
	add(rows, &n, max, "devices", e == 0, "v2 BPF_CGROUP_DEVICE program: %s",
	    e ? strerror(e) : "loads");
	return n;
}

int cl_cgroup_rootless_report(uid_t uid, struct cl_cgroup_report_row *rows, int max)
{
	static const enum cl_cg_ctrl ctrls[] = {CL_CG_MEMORY, CL_CG_PIDS, CL_CG_CPU, CL_CG_CPUSET,
						CL_CG_IO};
	struct cl_cg_layout L;
	char top[1100], why[512];
	bool self = uid == geteuid();
	int n = 0;

	if (cl_cg_discover(&L) < 0 || L.version == 0) {
		add(rows, &n, max, "controllers", false, "no cgroup hierarchy mounted");
		return n;
	}
	if (self)
		snprintf(top, sizeof(top), "%s", L.v2.own);
	else
		snprintf(top, sizeof(top), "%s/user.slice/user-%u.slice/user@%u.service", L.v2.mnt,
			 (unsigned)uid, (unsigned)uid);
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		enum cl_cg_ctrl c = ctrls[i];
		const char *name = cl_cg_v2_name(c), *r;
		bool v1 = false;
		for (int h = 0; h < L.n; h++)
			v1 = v1 || (L.h[h].ctrls & (1U << c));
		if (v1)
			add(rows, &n, max, name, false,
			    "on cgroup v1 here: rootless limits need a delegated cgroup2 subtree");
		else if (!L.has_v2)
			add(rows, &n, max, name, false, "no cgroup2 mounted");
		else if (!self && access(top, F_OK) < 0)
			add(rows, &n, max, name, false,
			    "no %.300s (no systemd user manager for uid %u: not logged in?)", top,
			    (unsigned)uid);
		else if ((r = cl_cg_deleg_why(top, name, uid, self ? getpid() : 0, why,
					      sizeof(why))))
			add(rows, &n, max, name, false, "%.250s", r);
		else
			add(rows, &n, max, name, true, "delegated: %.200s", top);
	}
	return n;
}
