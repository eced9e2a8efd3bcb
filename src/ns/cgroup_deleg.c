/* Rootless limits: a cgroup2 subtree delegated to the user (what systemd's
 * user@.service does with Delegate=yes: the user owns the groups below it
 * and their cgroup.procs and cgroup.subtree_control).
 *
 * The jail's group goes, as always, below the group cloison runs in (@top).
 * But cgroup v2 lets a group give controllers to its children only when it
 * holds no process itself, and cloison is in @top.  So, when @top is
 * delegated to the caller and holds no process but cloison, cloison moves
 * itself into a leaf of its own, @top/cloison-PID, enables the controllers
 * the limits need in @top, and undoes all of it at the end (or its guardian
 * does, after a kill -9): the controllers disabled again, cloison (or the
 * guardian) back in @top, the leaf removed.  It moves no other process:
 * @top holding another one is an error saying how to start cloison in a
 * group of its own (systemd-run --user --scope).
 *
 * Only with a limit asked for (a required controller): the default path
 * never comes here. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns/cgroup_internal.h"

#define BIT(c) (1U << (c))

/* The first pid in @dir/cgroup.procs other than @self, or 0. */
static long other_process(const char *dir, pid_t self)
{
	char buf[4096];

	if (cl_cg_read(dir, "cgroup.procs", buf, sizeof(buf)) < 0)
		return 0;
	for (char *p = buf; *p;) {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 0 && pid != self)
			return pid;
		p = end;
		while (*p == '\n')
			p++;
	}
	return 0;
}

const char *cl_cg_deleg_why(const char *top, const char *ctrl, uid_t uid, pid_t self, char *buf,
			    size_t size)
{
	struct stat st;
	char path[PATH_MAX], parent[PATH_MAX], *slash;
	long other;

	if (cl_cg_listed(top, "cgroup.subtree_control", ctrl))
		return NULL; /* given to the children already */
	if (stat(top, &st) < 0) {
		snprintf(buf, size, "cannot read the cgroup %s: %s", top, strerror(errno));
		return buf;
	}
	if (st.st_uid != uid) {
		snprintf(buf, size,
			 "not delegated: the cgroup %s is owned by uid %u, not uid %u (systemd "
			 "delegates user@UID.service's subtree: run it from there, e.g. "
			 "systemd-run --user --scope)",
			 top, (unsigned)st.st_uid, (unsigned)uid);
		return buf;
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", top);
	if (stat(path, &st) < 0 || st.st_uid != uid) {
		snprintf(buf, size, "not delegated: %s is not owned by uid %u", path,
			 (unsigned)uid);
		return buf;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", top);
	if (stat(path, &st) < 0 || st.st_uid != uid) {
		snprintf(buf, size, "not delegated: %s is not owned by uid %u", path,
			 (unsigned)uid);
		return buf;
	}
	if (!cl_cg_listed(top, "cgroup.controllers", ctrl)) {
		snprintf(parent, sizeof(parent), "%s", top);
		if ((slash = strrchr(parent, '/')))
			*slash = '\0';
		snprintf(buf, size,
			 "not enabled in the parent's cgroup.subtree_control (%s does not give %s "
			 "to %s)",
			 parent, ctrl, top);
		return buf;
	}
	if (self && (other = other_process(top, self))) {
		snprintf(buf, size,
			 "the cgroup %s holds other processes (pid %ld): cgroup v2 gives "
			 "controllers only to the children of a group without processes; start "
			 "cloison in a cgroup of its own (systemd-run --user --scope cloison ...)",
			 top, other);
		return buf;
	}
	return NULL;
}

int cl_cg_deleg_enter(struct cl_cgroup *cg, const char *top, unsigned ctrls, struct cl_err *err)
{
	char why[512], leaf[PATH_MAX], add[128] = "";
	size_t k = 0;
	unsigned enable = 0;

	for (int c = 0; c < CL_CG_NCTRL; c++) {
		const char *name = cl_cg_v2_name(c);
		const char *r;
		if (!(ctrls & BIT(c)) || !name)
			continue;
		if (!(r = cl_cg_deleg_why(top, name, geteuid(), getpid(), why, sizeof(why)))) {
			if (!cl_cg_listed(top, "cgroup.subtree_control", name)) {
				enable |= BIT(c);
				k += (size_t)snprintf(add + k, sizeof(add) - k, "%s+%s",
						      k ? " " : "", name);
			}
			continue;
		}
		return cl_fail(err, 0, "the %s limit as an ordinary user: %s", name, r);
	}
	if (!enable)
		return 0;
	if (snprintf(leaf, sizeof(leaf), "%s/cloison-%d", top, (int)getpid()) >= (int)sizeof(leaf))
		return cl_fail(err, ENAMETOOLONG, "cgroup path %s", top);
	if (mkdir(leaf, 0755) < 0)
		return cl_fail(err, errno, "cannot create the cgroup %s", leaf);
	if (!(cg->deleg_top = strdup(top)) || !(cg->deleg_leaf = strdup(leaf))) {
		rmdir(leaf);
		return cl_fail(err, ENOMEM, "out of memory");
	}
	if (cl_cg_write(leaf, "cgroup.procs", "0", err) < 0) {
		cl_wrap(err, "cannot move cloison into its own leaf cgroup");
		cl_cg_deleg_restore(cg);
		return -1;
	}
	if (cl_cg_write(top, "cgroup.subtree_control", add, err) < 0) {
		cl_wrap(err, "cannot enable the controllers in the delegated cgroup %s", top);
		cl_cg_deleg_restore(cg);
		return -1;
	}
	cg->deleg_enabled = enable;
	return 0;
}

void cl_cg_deleg_restore(struct cl_cgroup *cg)
{
	char del[128] = "", pid[16];
	size_t k = 0;

	if (!cg->deleg_top || !cg->deleg_leaf)
		return;
	for (int c = 0; c < CL_CG_NCTRL; c++)
		if ((cg->deleg_enabled & BIT(c)) && cl_cg_v2_name(c))
			k += (size_t)snprintf(del + k, sizeof(del) - k, "%s-%s", k ? " " : "",
					      cl_cg_v2_name(c));
	if (k)
		cl_cg_write(cg->deleg_top, "cgroup.subtree_control", del, NULL);
	cg->deleg_enabled = 0;
	cl_cg_write(cg->deleg_top, "cgroup.procs", "0", NULL);
	if (cg->guard_pid > 0) {
		snprintf(pid, sizeof(pid), "%d", (int)cg->guard_pid);
		cl_cg_write(cg->deleg_top, "cgroup.procs", pid, NULL);
	}
	/* what is still in the leaf (an exiting helper) leaves it shortly */
	cl_cg_wait_empty(cg->deleg_leaf, 1000);
	rmdir(cg->deleg_leaf);
}
