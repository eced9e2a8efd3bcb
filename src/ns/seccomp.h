/* The jail's seccomp filter, built with libseccomp from the spec's policy
 * (spec/seccomp_policy.h), and learning mode (--learn-seccomp). */
#ifndef CL_NS_SECCOMP_H
#define CL_NS_SECCOMP_H

#include <pthread.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "spec/spec.h"

/* ---- the compiled program (seccomp_cache.c) ---- */

#define CL_SC_MAX_FILTERS 12
#include <linux/filter.h>
#include <linux/seccomp.h>

/* The policy as BPF, ready for seccomp(2): made in the parent before clone
 * (from the cache, or compiled by libseccomp and cached), installed by the
 * child. */
struct cl_sc_program {
	struct sock_fprog prog[CL_SC_MAX_FILTERS];
	size_t n;
	char *key;
	unsigned flags; /* the policy's seccomp(2) flags */
	/* the notify action (seccomp_notify.c): opened by the parent */
	bool notify;
	int notify_fd; /* connected to the policy's listener_path */
	int proc_fd;   /* the host's /proc, where the jail's pid is its host pid */
};

/* The seccomp(2) flags of a policy that every filter is loaded with; the
 * others (WAIT_KILLABLE_RECV) go with the listener's filter only. */
#define CL_SC_FLAGS_EVERY_FILTER (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW)

int cl_seccomp_compile(const struct cl_spec *s, struct cl_sc_program *p, struct cl_err *err);
/* Loads @p's filters in order; the one that returns SECCOMP_RET_USER_NOTIF
 * (at most one) with a new listener, whose fd goes to *@listener (-1 when
 * none; @listener may be NULL for a policy without notify). */
int cl_seccomp_install(const struct cl_sc_program *p, int *listener, struct cl_err *err);
void cl_seccomp_program_free(struct cl_sc_program *p);
/* `cloison gc`: empty the compiled-filter cache (entries are remade on
 * demand; each build of cloison has its own); returns how many went. */
int cl_seccomp_cache_gc(bool dry_run, void (*said)(const char *name, void *data), void *data);

/* Load the spec's filter on the calling process (all threads, TSYNC): the
 * program compiled by the parent.  Runs in the jail's child last, after
 * no_new_privs, just before execve.  With --learn-seccomp, loads the
 * recording filter and sends its listener to the parent over @sync_fd. */
int cl_seccomp_load(const struct cl_spec *s, const struct cl_sc_program *p, int sync_fd,
		    struct cl_err *err);

/* ---- the notify action (seccomp_notify.c) ---- */

/* The parent, before clone: connects to the policy's listener_path, so that
 * the jail's child can reach it from inside its root. */
int cl_seccomp_notify_open(const struct cl_spec *s, struct cl_sc_program *p, struct cl_err *err);
/* The child: loads @p and sends the listener with the container process
 * state (runtime-spec) over the connection.  A helper process made before
 * the filter, sharing the child's fds, does the sending: the policy need not
 * allow it. */
int cl_seccomp_notify_load(const struct cl_spec *s, const struct cl_sc_program *p,
			   struct cl_err *err);
void cl_seccomp_notify_close(struct cl_sc_program *p);

/* ---- building (seccomp_build.c) ---- */

/* The filters a policy compiles to, in load order; see seccomp_build.c. */
struct cl_sc_filters {
	scmp_filter_ctx ctx[CL_SC_MAX_FILTERS];
	size_t n;
};

int cl_seccomp_build(const struct cl_seccomp_policy *p, struct cl_sc_filters *f,
		     struct cl_err *err);
void cl_seccomp_filters_free(struct cl_sc_filters *f);

/* ---- the built-in policy (seccomp_default.c) ---- */

/* Append the built-in "seccomp default" rules to @rules. */
int cl_seccomp_default_rules(struct cl_sc_rule **rules, size_t *n, struct cl_err *err);
/* Append what --nested adds to it (the calls that make and enter
 * namespaces and mount in them: Docker's profile gates them behind
 * CAP_SYS_ADMIN). */
int cl_seccomp_nested_rules(struct cl_sc_rule **rules, size_t *n, struct cl_err *err);
/* Print it in the profile language (cloison profile show --seccomp-default). */
int cl_seccomp_default_print(FILE *out, struct cl_err *err);

/* ---- learning mode, the parent's side (seccomp_learn.c) ---- */

#define CL_SC_LEARN_NR 1024
struct cl_seccomp_learner {
	int fd; /* the filter's listener, -1 when not started */
	pthread_t thread;
	bool running;
	volatile int stop;
	uint8_t seen[CL_SC_LEARN_NR / 8]; /* x86_64 numbers the command called */
	bool clone_ns;			  /* clone was called with namespace flags */
	unsigned long n_notes;
};

/* Receives what the child sends first on @sync_fd into @buf (as recv(2)
 * would); when it is the listener of a learning run, starts recording and
 * then waits for the next message.  Returns what recv would. */
ssize_t cl_seccomp_learn_recv(struct cl_seccomp_learner *l, int sync_fd, void *buf, size_t len);
/* Stops recording; with @out, writes the allow-list profile there. */
int cl_seccomp_learn_finish(struct cl_seccomp_learner *l, const struct cl_spec *s, const char *out,
			    struct cl_err *err);

#endif
