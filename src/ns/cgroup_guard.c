/* The guardian: a small process started once the context's cgroups exist,
 * whose only job is to remove them if cloison cannot.
 *
 * It waits on a pipe.  cloison, having removed everything itself, writes 'd'
 * and the guardian exits; if instead the pipe closes without it (cloison was
 * killed, even with SIGKILL, or crashed), the guardian kills whatever is left
 * in the groups (cgroup.kill; v1: freezer + SIGKILL) and removes the groups
 * and the parents this run made.  Unlike a reconciliation on the next run,
 * it leaves nothing behind in the meantime.  It runs in a session of its own
 * and keeps cloison's blocked signal mask, so a signal to cloison's process
 * group (timeout(1), a terminal's ^C) does not stop it.
 *
 * It is cheap: started with clone(CLONE_VM) on a stack of its own, like
 * posix_spawn's child, it shares cloison's memory instead of copying it, so
 * neither the page tables nor the copy-on-write faults that follow a fork
 * are paid (fork: ~0.25 ms more per start here).  Sharing is safe because
 * while cloison lives the guardian makes only two system calls and a read;
 * it touches anything else (libc, the heap) only once cloison has exited and
 * the memory is its own, and what it needs then (the groups' paths) is a
 * copy in a mapping cloison never frees (cloison marks there what it removed
 * itself, before closing the pipe).  It uses no malloc nor stdio then:
 * cloison may have been killed inside either.  cloison does not wait for
 * it: it exits on its own and whoever inherits it reaps it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/cgroup_internal.h"
#include "util/file.h"

#define GUARD_STACK (256 << 10)

struct guard {
	struct cl_cgroup cg; /* a copy: its paths point into strings[] */
	int fd;		     /* the pipe's read end */
	pid_t parent;
	size_t used;
	char strings[];
};

/* Until cloison has exited (its pipe may close a little before). */
static void wait_parent(pid_t parent)
{
	int pfd = (int)syscall(SYS_pidfd_open, parent, 0);

	/* reparented already: cloison is gone, and its pid, once reaped, may
	 * be another process's (cloison is still our parent when the pidfd was
	 * taken, the pidfd is cloison's: children are reparented before their
	 * parent can be reaped) */
	if (getppid() != parent) {
		if (pfd >= 0)
			close(pfd);
		return;
	}
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		while (poll(&p, 1, -1) < 0 && errno == EINTR)
			;
		close(pfd);
		return;
	}
	while (getppid() == parent)
		usleep(1000);
}

/* Not instrumented by ASan: on a stack ASan does not know (clone's), its
 * no-return hook (before _exit) would only warn of false positives. */
__attribute__((no_sanitize("address"))) static int guard_main(void *arg)
{
	struct guard *g = arg;
	unsigned fd = (unsigned)g->fd;
	char c = 0;
	ssize_t n;

	/* While cloison runs: these system calls, and nothing else.  First hold
	 * none of its files: not the jail's sync socket (cloison waits for its
	 * EOF), not the pipe's write end, not its stdout (a reader waits for
	 * EOF) nor a terminal; but the pipe, and the groups' locks, which say
	 * the groups have an owner until this guardian is done with them. */
	unsigned keep[CL_CG_NCTRL + 2], n_keep = 0, from = 0;
	keep[n_keep++] = fd;
	for (int i = 0; i < g->cg.n_dirs; i++)
		if (g->cg.dir[i].lock_fd >= 0)
			keep[n_keep++] = (unsigned)g->cg.dir[i].lock_fd;
	for (unsigned i = 1; i < n_keep; i++) /* ascending */
		for (unsigned k = i; k > 0 && keep[k - 1] > keep[k]; k--) {
			unsigned t = keep[k];
			keep[k] = keep[k - 1];
			keep[k - 1] = t;
		}
	for (unsigned i = 0; i < n_keep; from = keep[i++] + 1)
		if (keep[i] > from)
			syscall(SYS_close_range, from, keep[i] - 1, 0U);
	syscall(SYS_close_range, from, ~0U, 0U);
	for (unsigned i = 0; i < 3; i++) {
		bool kept = false;
		for (unsigned k = 0; k < n_keep; k++)
			kept = kept || keep[k] == i;
		if (!kept && open("/dev/null", O_RDWR) < 0)
			_exit(1);
	}
	setsid();
	prctl(PR_SET_NAME, "cloison-guard");
	do
		n = read(g->fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && c == 'd')
		_exit(0);
	wait_parent(g->parent);

	/* the memory is ours alone now */
	cl_set_title("cloison-guard"); /* only once the memory is ours alone */
	if (chdir("/") < 0)
		_exit(1);
	cl_cgroup_kill(&g->cg);
	if (cl_cg_remove(&g->cg, 30000, false) == 0) /* patient: nobody else will come back */
		cl_cg_deleg_restore(&g->cg);	     /* rootless, delegated: undone */
	_exit(0);
}

static char *keep(struct guard *g, size_t size, const char *s)
{
	size_t len = strlen(s) + 1;
	char *d;

	if (g->used + len > size)
		return NULL;
	d = g->strings + g->used;
	memcpy(d, s, len);
	g->used += len;
	return d;
}

int cl_cg_guard_start(struct cl_cgroup *cg, int min_fd, struct cl_err *err)
{
	const size_t strsize = 64 << 10;
	size_t size = GUARD_STACK + sizeof(struct guard) + strsize;
	struct guard *g;
	char *map;
	int p[2];
	pid_t pid;

	/* never unmapped: after cloison's exit it is the guardian's */
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1,
		   0);
	if (map == MAP_FAILED)
		return cl_fail(err, errno, "cannot map the cgroup guardian's memory");
	g = (struct guard *)(map + GUARD_STACK);
	g->cg = *cg;
	g->cg.spec = NULL;
	g->cg.guard_cg = NULL;
	for (int i = 0; i < cg->n_dirs; i++) {
		struct cl_cgroup_dir *d = &g->cg.dir[i];
		if (d->path && !(d->path = keep(g, strsize, d->path)))
			goto toolong;
		for (int k = 0; k < d->n_made; k++)
			if (!(d->made[k] = keep(g, strsize, d->made[k])))
				goto toolong;
	}
	if ((cg->deleg_top && !(g->cg.deleg_top = keep(g, strsize, cg->deleg_top))) ||
	    (cg->deleg_leaf && !(g->cg.deleg_leaf = keep(g, strsize, cg->deleg_leaf))))
		goto toolong;
	if (pipe2(p, O_CLOEXEC) < 0) {
		munmap(map, size);
		return cl_fail(err, errno, "cannot create the cgroup guardian's pipe");
	}
	/* above the fds --preserve-fds hands to the jail; before the guardian
	 * starts: were it to fail after, the guardian would see the pipe close
	 * at once and, once we exit, clean up groups that may be another
	 * run's by then */
	if (p[1] < min_fd) {
		int n = fcntl(p[1], F_DUPFD_CLOEXEC, min_fd), e = errno;
		close(p[1]);
		if (n < 0) {
			close(p[0]);
			munmap(map, size);
			return cl_fail(err, e,
				       "cannot move the cgroup guardian's pipe above "
				       "--preserve-fds");
		}
		p[1] = n;
	}
	g->fd = p[0];
	g->parent = getpid();
	pid = clone(guard_main, map + GUARD_STACK, CLONE_VM | SIGCHLD, g);
	close(p[0]);
	if (pid < 0) {
		int e = errno;
		close(p[1]);
		munmap(map, size);
		return cl_fail(err, e, "cannot start the cgroup guardian");
	}
	cg->guard_pid = pid;
	cg->guard_fd = p[1];
	cg->guard_cg = &g->cg;
	cg->guard_map = map;
	cg->guard_map_size = size;
	return 0;
toolong:
	munmap(map, size);
	return cl_fail(err, ENAMETOOLONG, "cgroup paths too long for the guardian");
}

void cl_cg_guard_stop(struct cl_cgroup *cg, bool clean)
{
	if (!cg->guard_pid)
		return;
	/* Whatever is left (busy), the guardian goes on with what is still
	 * ours.  What we removed may already be another run's (same --name):
	 * it must neither kill in nor remove it.  The guardian reads its copy
	 * only once we are gone (the pipe's EOF, then our exit, order these
	 * writes before). */
	if (cg->guard_cg) {
		for (int i = 0; i < cg->n_dirs && i < cg->guard_cg->n_dirs; i++) {
			cg->guard_cg->dir[i].made_self = cg->dir[i].made_self;
			if (cg->dir[i].n_made < cg->guard_cg->dir[i].n_made)
				cg->guard_cg->dir[i].n_made = cg->dir[i].n_made;
		}
	}
	if (cg->guard_fd >= 0) {
		if (clean)
			(void)!write(cg->guard_fd, "d", 1);
		close(cg->guard_fd);
		cg->guard_fd = -1;
	}
	/* a monitor lives on: the guardian, told it is done, exits at once;
	 * reaped, its stack and copy are ours to free (left mapped while it
	 * still has work: it runs on them, and is reaped later) */
	if (cg->reap_guard && clean) {
		while (waitpid(cg->guard_pid, NULL, 0) < 0 && errno == EINTR)
			;
		munmap(cg->guard_map, cg->guard_map_size);
	}
	cg->guard_map = NULL;
	cg->guard_pid = 0;
	cg->guard_cg = NULL;
}
