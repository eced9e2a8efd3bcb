/* Container mode: realise a spec with namespaces, pivot_root, capabilities.
 *
 * A run is four stages over one context object, so that a foreground run,
 * a detached jail's monitor (svc/monitor.c) and an OCI create/start split
 * share them:
 *   create   namespaces, mounts, cgroup, network; the child waits for "go"
 *   start    release the child; returns once the command is exec'd
 *   wait     relay signals (and the terminal, or the monitor's log) until
 *            the command exits, then tell the outcome
 *   destroy  kill what is left; cgroup, network, id range, mounts, tty
 * Whoever runs the stages owns what the context holds: the child's parent
 * death signal, the cgroup's guardian and the network lease are keyed to
 * that process (the CLI in the foreground, the monitor when detached). */
#ifndef CL_NS_CONTAINER_H
#define CL_NS_CONTAINER_H

#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>

#include "ns/cgroup.h"
#include "ns/idrange.h"
#include "ns/jail.h"
#include "ns/net.h"
#include "ns/seccomp.h"
#include "ns/tty.h"
#include "spec/spec.h"

struct cl_container;

/* What a detached jail's monitor adds to the wait stage. */
struct cl_container_hooks {
	void *data;
	sigset_t signals; /* taken by on_signal rather than forwarded */
	/* the command is exec'd */
	void (*started)(void *data, struct cl_container *c);
	/* one of @signals arrived */
	void (*on_signal)(void *data, struct cl_container *c, const struct signalfd_siginfo *si);
	/* extra fds to watch while the command runs (its log pipes, a notify
	 * socket): @fds[i] < 0 is skipped; on_fd is told which is readable */
	int fds[4];
	void (*on_fd)(void *data, struct cl_container *c, int i);
	/* OCI create: the jail outlives whoever made it (no cgroup guardian,
	 * no parent-death signal once set up); its process, set up, waits
	 * for a connection on @exec_listen (OCI start) before its seccomp
	 * filter and execve.  See cl_container_detach(). */
	bool detach;
	int exec_listen;
};

struct cl_container {
	const struct cl_spec *s; /* the spec, or @picked */
	struct cl_spec picked;	 /* --userns as root: with the id range it got */
	const struct cl_container_hooks *hooks;
	struct cl_jail j;
	int sync_fd, child_fd, init_fd, sigfd;
	int kill_fd; /* timerfd: the --timeout deadline or a stop's grace period */
	struct cl_tty tty;
	struct cl_cgroup cg;
	struct cl_net net;
	struct cl_seccomp_learner learn;
	struct cl_sc_program scp;
	struct cl_mount_trees trees;
	struct cl_idrange ids;
	int overlay_lock; /* --overlay-dir, held while the jail runs */
	sigset_t oldmask;
	bool masked;
	pid_t pid; /* the jail's process (pid 1 of its namespace), 0 before clone */
	bool timed_out, deadline, ran;
	struct rusage ru; /* pid 1's, with all it reaped (wait4) */
	/* the deadline's stop signal was sent (sig), or skipped for
	 * the reason in @why; killed: SIGKILL ended it */
	struct {
		int sig;
		char why[128];
		bool killed;
	} timeout;
	char checked[4096]; /* the rootfs's real path, as checked private */
};

/* Stages: each returns 0, or -1 with @err filled; after any of them, on
 * every path, cl_container_destroy() releases what the context holds.
 * @hooks may be NULL (a foreground run). */
int cl_container_create(struct cl_container *c, const struct cl_spec *s,
			const struct cl_container_hooks *hooks, struct cl_err *err);
int cl_container_start(struct cl_container *c, struct cl_err *err);
/* Until the command exits; returns what cloison should exit with (the
 * command's status, 128+N for a signal; 124 at the deadline; 137 after the
 * OOM killer), having told why on stderr. */
int cl_container_wait(struct cl_container *c);
/* Asks the command to stop: @sig now, SIGKILL to the whole context after
 * @timeout_s seconds (at once when 0). */
void cl_container_stop(struct cl_container *c, int sig, unsigned timeout_s);
/* Returns @r, or -1 when --learn-seccomp cannot write its profile. */
int cl_container_destroy(struct cl_container *c, int r, struct cl_err *err);

/* OCI create, after cl_container_create with hooks->detach: releases the
 * child and waits until it is set up and waiting for start; then lets go
 * of everything (the cgroups stay, for delete to remove; c->pid is kept for
 * the caller, and not killed by cl_container_destroy). */
int cl_container_detach(struct cl_container *c, struct cl_err *err);

/* All four: runs the spec's command in a new jail and waits for it.  Returns
 * 0 and sets @exit_status to what cloison should exit with (see
 * cl_container_wait; 126/127 when it cannot be executed), or -1 with @err
 * filled. */
int cl_container_run(const struct cl_spec *s, int *exit_status, struct cl_err *err);

#endif
