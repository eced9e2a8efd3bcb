/* The spec's seccomp part: the policy a jail's filter is built from, its
 * settings ("seccomp", "allow", "deny", "syscall", "no-new-privileges",
 * "learn-seccomp"), defaults and validation.  ns/seccomp*.c turns it into
 * libseccomp filters; cloison.profile(5) describes the language. */
#ifndef CL_SPEC_SECCOMP_POLICY_H
#define CL_SPEC_SECCOMP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct cl_spec;
struct cl_err;

/* Actions, from the least to the most restrictive (the kernel's order):
 * when several lines match one call, the strictest wins. */
enum cl_sc_act {
	CL_SC_ALLOW = 0,
	CL_SC_LOG,
	CL_SC_TRACE,  /* a ptrace(2) tracer decides (PTRACE_EVENT_SECCOMP) */
	CL_SC_NOTIFY, /* a user-space agent decides (OCI listenerPath) */
	CL_SC_ERRNO,
	CL_SC_TRAP,
	CL_SC_KILL_THREAD,
	CL_SC_KILL_PROCESS,
};

struct cl_sc_action {
	enum cl_sc_act kind;
	int errnum; /* CL_SC_ERRNO: the errno; CL_SC_TRACE: the tracer's message */
};

enum cl_sc_op { CL_SC_EQ, CL_SC_NE, CL_SC_LT, CL_SC_LE, CL_SC_GT, CL_SC_GE, CL_SC_MASKED_EQ };

/* argN OP VALUE; MASKED_EQ: (argN & mask) == value */
struct cl_sc_cond {
	unsigned arg;
	enum cl_sc_op op;
	uint64_t mask, value;
};

#define CL_SC_MAX_CONDS 6

struct cl_sc_rule {
	char *name; /* the system call */
	struct cl_sc_action action;
	unsigned n_conds;
	struct cl_sc_cond conds[CL_SC_MAX_CONDS];
	char *conds_text; /* the conditions as written (normalised), "" for none */
};

enum cl_sc_base {
	CL_SC_BASE_DEFAULT = 0, /* the built-in Docker-like policy, plus the rules */
	CL_SC_BASE_UNCONFINED,	/* no filter */
	CL_SC_BASE_CUSTOM,	/* only the rules, then default_action */
};

enum { CL_SC_ABI_I386 = 1 << 0, CL_SC_ABI_X32 = 1 << 1 };

struct cl_seccomp_policy {
	enum cl_sc_base base;
	struct cl_sc_action default_action; /* CL_SC_BASE_CUSTOM */
	unsigned abis;			    /* other ABIs let through the filter */
	struct cl_sc_rule *rules;	    /* in order, see cl_sc_rules_add() */
	size_t n_rules;
	char *learn;	/* --learn-seccomp OUT: record the calls, write an allow-list */
	bool nested;	/* --nested: the built-in policy lets namespace set-up through */
	unsigned flags; /* seccomp(2) SECCOMP_FILTER_FLAG_LOG, _SPEC_ALLOW (OCI "flags") */
	/* CL_SC_NOTIFY (OCI config.json only): after loading, the filter's
	 * listener is sent to the unix socket @listener_path with the container
	 * process state (runtime-spec), which names @state_id and @state_bundle
	 * when the OCI front end sets them (create's arguments) */
	char *listener_path, *listener_metadata;
	char *state_id, *state_bundle;
};

void cl_seccomp_policy_init(struct cl_spec *s);
void cl_seccomp_policy_free(struct cl_spec *s);
int cl_seccomp_policy_validate(struct cl_spec *s, struct cl_err *err);
/* Whether the policy lets io_uring through while it has rules with argument
 * conditions, which io_uring's operations bypass (validation warns). */
bool cl_seccomp_io_uring_bypass(const struct cl_spec *s);

/* Parse one rule line's value "NAME... [argN OP VALUE]..." with @action
 * into @rules; @lenient skips system calls libseccomp does not know (the
 * built-in policy names newer ones) instead of failing. */
int cl_sc_parse_rules(struct cl_sc_rule **rules, size_t *n, struct cl_sc_action action,
		      const char *value, bool lenient, struct cl_err *err);
/* Add a copy of @r: one without conditions replaces every earlier rule for
 * its system call; one with conditions is added to them. */
int cl_sc_rules_add(struct cl_sc_rule **rules, size_t *n, const struct cl_sc_rule *r,
		    struct cl_err *err);
void cl_sc_rules_free(struct cl_sc_rule *rules, size_t n);

/* "allow", "kill-process", "errno:EPERM" (also "errno EPERM"), "trace:N",
 * "notify" */
int cl_sc_parse_action(const char *text, struct cl_sc_action *a, struct cl_err *err);
/* Prints @a as cl_sc_parse_action reads it; @errno_sep: ':' or ' '. */
void cl_sc_print_action(FILE *out, struct cl_sc_action a, char errno_sep);
bool cl_sc_action_eq(struct cl_sc_action a, struct cl_sc_action b);
/* Whether a rule or the default action of the policy is CL_SC_NOTIFY. */
bool cl_seccomp_uses_notify(const struct cl_seccomp_policy *p);
/* "argN OP VALUE" as cl_sc_parse_rules reads it, into @buf. */
void cl_sc_cond_print(char *buf, size_t size, const struct cl_sc_cond *c);

/* Write @rules as profile lines, unconditional ones of one action grouped. */
void cl_sc_print_rules(FILE *out, const struct cl_sc_rule *rules, size_t n);

#endif
