/* From a policy to libseccomp filters.
 *
 * Semantics (cloison.profile(5)): for one system call every matching rule
 * applies and the strictest action wins; a call no rule matches gets the
 * default action; a call numbered above every call the policy names (newer
 * than it, or unknown to libseccomp) fails with ENOSYS when the default
 * action is an errno.  libseccomp keeps one action per syscall and argument
 * test, and drops conditional rules behind an unconditional one, so the
 * policy becomes a small stack of filters, which the kernel combines the
 * same way (strictest action wins; for equal actions the newest filter):
 *
 *   overlays  one per action other than allow used by a conditional rule:
 *             default allow, that action where the rule's conditions match;
 *   main      the default action, every unconditional rule, and an allow
 *             for the conditions of each call that only has conditional
 *             rules (the overlays then give their action);
 *   enosys    one per ABI, loaded last so its errno wins over main's:
 *             ENOSYS by default, allow for every call numbered up to the
 *             highest the policy names.  Loading it needs seccomp(2) after
 *             main, so main lets seccomp(SET_MODE_FILTER, TSYNC) through:
 *             a process may always narrow its own filter further.
 *
 * Filters are built here and loaded by cl_seccomp_load(); nothing here
 * touches the calling process, so the fuzzer can run it. */
#include "ns/seccomp.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static uint32_t to_scmp(struct cl_sc_action a)
{
	switch (a.kind) {
	case CL_SC_ALLOW: return SCMP_ACT_ALLOW;
	case CL_SC_LOG: return SCMP_ACT_LOG;
	case CL_SC_TRACE: return SCMP_ACT_TRACE((uint16_t)a.errnum);
	case CL_SC_NOTIFY: return SCMP_ACT_NOTIFY;
	case CL_SC_ERRNO: return SCMP_ACT_ERRNO((uint16_t)a.errnum);
	case CL_SC_TRAP: return SCMP_ACT_TRAP;
	case CL_SC_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
	case CL_SC_KILL_PROCESS: return SCMP_ACT_KILL_PROCESS;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static const uint32_t abi_arch[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};
static const char *const abi_name[] = {"x86_64", "i386", "x32"};

/* A filter with the policy's ABIs: x86_64 plus those it lets through. */
static int new_filter(struct cl_sc_filters *f, uint32_t def, uint32_t badarch, unsigned abis,
		      scmp_filter_ctx *out, struct cl_err *err)
{
	scmp_filter_ctx ctx;
	int r;

	if (f->n == CL_SC_MAX_FILTERS)
		return cl_fail(err, 0,
			       "the seccomp policy needs too many filters (use fewer different "
			       "actions in conditional rules)");
	if (!(ctx = seccomp_init(def)))
		return cl_fail(err, ENOMEM, "cannot create a seccomp filter");
	f->ctx[f->n++] = ctx;
	/* no_new_privs is the child's to set (child.c), not libseccomp's:
	 * its prctl would have to pass the filters loaded before */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch)) < 0)
		return cl_fail(err, -r, "cannot set the seccomp filter's attributes");
	/* a binary search over the syscall numbers: the list is long */
	(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (unsigned i = 1; i < 3; i++)
		if ((abis & (1u << (i - 1))) && (r = seccomp_arch_add(ctx, abi_arch[i])) < 0 &&
		    r != -EEXIST)
			return cl_fail(err, -r, "cannot add the %s ABI to the seccomp filter",
				       abi_name[i]);
	*out = ctx;
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, uint32_t act, const struct cl_sc_rule *r, bool conds,
		    struct cl_err *err)
{
	struct scmp_arg_cmp cmp[CL_SC_MAX_CONDS];
	static const enum scmp_compare ops[] = {
	    [CL_SC_EQ] = SCMP_CMP_EQ,
	    [CL_SC_NE] = SCMP_CMP_NE,
	    [CL_SC_LT] = SCMP_CMP_LT,
	    [CL_SC_LE] = SCMP_CMP_LE,
	    [CL_SC_GT] = SCMP_CMP_GT,
	    [CL_SC_GE] = SCMP_CMP_GE,
	    [CL_SC_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
	};
	unsigned n = conds ? r->n_conds : 0;
	int nr = seccomp_syscall_resolve_name(r->name), rc;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* the built-in policy names calls newer than libseccomp */
	for (unsigned i = 0; i < n; i++) {
		const struct cl_sc_cond *c = &r->conds[i];
		cmp[i] = (struct scmp_arg_cmp){c->arg, ops[c->op],
					       c->op == CL_SC_MASKED_EQ ? c->mask : c->value,
					       c->op == CL_SC_MASKED_EQ ? c->value : 0};
	}
	rc = seccomp_rule_add_array(ctx, act, nr, n, cmp);
	if (rc < 0 && rc != -EEXIST)
		return cl_fail(err, -rc, "cannot add the seccomp rule for %s%s%s", r->name,
			       n ? " " : "", n ? r->conds_text : "");
	return 0;
}

/* Whether @r may match the seccomp(SECCOMP_SET_MODE_FILTER, TSYNC, prog)
 * that loads the filters after the overlays (cl_seccomp_install); the
 * program's address is unknown, so a test of arg2..5 may hold. */
static bool may_refuse_load(const struct cl_sc_rule *r)
{
	static const uint64_t known[2] = {SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC};

	if (strcmp(r->name, "seccomp") != 0 || r->action.kind == CL_SC_ALLOW)
		return false;
	for (unsigned i = 0; i < r->n_conds; i++) {
		const struct cl_sc_cond *c = &r->conds[i];
		uint64_t v = c->arg < 2 ? known[c->arg] : 0;
		bool holds = c->op == CL_SC_EQ	 ? v == c->value
			     : c->op == CL_SC_NE ? v != c->value
			     : c->op == CL_SC_LT ? v < c->value
			     : c->op == CL_SC_LE ? v <= c->value
			     : c->op == CL_SC_GT ? v > c->value
			     : c->op == CL_SC_GE ? v >= c->value
						 : (v & c->mask) == c->value;
		if (c->arg < 2 && !holds)
			return false;
	}
	return true;
}

struct overlay {
	struct cl_sc_action action;
	scmp_filter_ctx ctx;
};

static int overlay_add(struct cl_sc_filters *f, struct overlay *ov, size_t *n_ov, unsigned abis,
		       const struct cl_sc_rule *r, struct cl_err *err)
{
	size_t i;

	for (i = 0; i < *n_ov; i++)
		if (cl_sc_action_eq(ov[i].action, r->action))
			break;
	if (i == *n_ov) {
		if (*n_ov == CL_SC_MAX_FILTERS)
			return cl_fail(err, 0,
				       "too many different actions in conditional seccomp rules");
		ov[i].action = r->action;
		if (new_filter(f, SCMP_ACT_ALLOW, SCMP_ACT_ALLOW, abis, &ov[i].ctx, err) < 0)
			return -1;
		(*n_ov)++;
	}
	return add_rule(ov[i].ctx, to_scmp(r->action), r, true, err);
}

/* ENOSYS for the ABI's calls numbered above the highest the policy names. */
static int enosys_filter(struct cl_sc_filters *f, unsigned abi, const struct cl_sc_rule *rules,
			 size_t n, struct cl_err *err)
{
	uint32_t arch = abi_arch[abi];
	int base = arch == SCMP_ARCH_X32 ? 0x40000000 : 0, top = -1, r;
	scmp_filter_ctx ctx;

	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name_arch(arch, rules[i].name);
		if (nr >= base && nr > top)
			top = nr;
	}
	if (top < 0)
		return 0;
	if (new_filter(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_ACT_ALLOW, 0, &ctx, err) < 0)
		return -1;
	if (arch != SCMP_ARCH_X86_64 && ((r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0 ||
					 (r = seccomp_arch_add(ctx, arch)) < 0))
		return cl_fail(err, -r, "cannot make the %s seccomp filter", abi_name[abi]);
	for (int nr = base; nr <= top; nr++) {
		_cleanup_free_ char *name =
		    seccomp_syscall_resolve_num_arch(arch, nr); /* ours to free */
		int native;
		if (!name || (native = seccomp_syscall_resolve_name(name)) == __NR_SCMP_ERROR)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, native, 0)) < 0 && r != -EEXIST)
			return cl_fail(err, -r, "cannot add %s to the %s ENOSYS filter", name,
				       abi_name[abi]);
	}
	return 0;
}

/* The policy's rules, the built-in ones first for "seccomp default". */
static int effective_rules(const struct cl_seccomp_policy *p, struct cl_sc_rule **rules, size_t *n,
			   struct cl_sc_action *def, struct cl_err *err)
{
	if (p->base == CL_SC_BASE_DEFAULT) {
		*def = (struct cl_sc_action){CL_SC_ERRNO, EPERM};
		if (cl_seccomp_default_rules(rules, n, err) < 0 ||
		    (p->nested && cl_seccomp_nested_rules(rules, n, err) < 0))
			return -1;
	} else {
		*def = p->default_action;
	}
	for (size_t i = 0; i < p->n_rules; i++)
		if (cl_sc_rules_add(rules, n, &p->rules[i], err) < 0)
			return -1;
	return 0;
}

static int build(const struct cl_seccomp_policy *p, struct cl_sc_rule *rules, size_t n,
		 struct cl_sc_action def, struct cl_sc_filters *f, struct cl_err *err)
{
	struct overlay ov[CL_SC_MAX_FILTERS];
	size_t n_ov = 0;
	scmp_filter_ctx main_ctx;
	/* only an errno default: trap and kill outrank errno in the kernel, so
	 * the layer would change nothing but open seccomp(2) */
	bool enosys = def.kind == CL_SC_ERRNO && def.errnum != ENOSYS;
	bool seccomp_ruled = false;
	_cleanup_free_ bool *done = calloc(n + 1, sizeof(bool));

	if (!done)
		return cl_fail(err, ENOMEM, "out of memory");
	/* overlays first (oldest), then main: they are created as met */
	for (size_t i = 0; i < n; i++) {
		const struct cl_sc_rule *u = NULL;
		if (rules[i].n_conds == 0 || rules[i].action.kind == CL_SC_ALLOW)
			continue;
		for (size_t k = 0; k < n; k++)
			if (rules[k].n_conds == 0 && strcmp(rules[k].name, rules[i].name) == 0)
				u = &rules[k];
		/* an unconditional rule at least as strict makes it moot */
		if (u && u->action.kind >= rules[i].action.kind)
			continue;
		/* an overlay is loaded before the rest, which it would refuse */
		if (may_refuse_load(&rules[i]))
			return cl_fail(
			    err, 0,
			    "the rule 'seccomp %s' would refuse the loading of the rest of "
			    "the filter (seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)): to stop "
			    "the command adding filters, deny seccomp without conditions",
			    rules[i].conds_text);
		if (overlay_add(f, ov, &n_ov, p->abis, &rules[i], err) < 0)
			return -1;
	}
	/* any rule stricter than allow on seccomp, with conditions or not,
	 * could refuse the load of the ENOSYS layer: then go without it */
	for (size_t i = 0; i < n; i++)
		if (strcmp(rules[i].name, "seccomp") == 0 && rules[i].action.kind != CL_SC_ALLOW)
			seccomp_ruled = true;
	if (new_filter(f, to_scmp(def), SCMP_ACT_KILL_PROCESS, p->abis, &main_ctx, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct cl_sc_rule *u = NULL;
		if (done[i])
			continue;
		for (size_t k = i; k < n; k++)
			if (strcmp(rules[k].name, rules[i].name) == 0 && rules[k].n_conds == 0)
				u = &rules[k];
		/* the allows by condition count, fewest first: libseccomp 2.5
		 * loses a longer rule's branch when a shorter one testing its
		 * first argument comes after it (podman's rules for socket:
		 * arg0 == AF_NETLINK and arg2 == NETLINK_AUDIT, then arg0 !=
		 * AF_NETLINK); all are allows, so the order changes nothing else */
		for (unsigned nc = 0; nc <= CL_SC_MAX_CONDS; nc++) {
			for (size_t k = i; k < n; k++) {
				if (rules[k].n_conds != nc || strcmp(rules[k].name, rules[i].name))
					continue;
				done[k] = true;
				if (u && &rules[k] == u && !cl_sc_action_eq(u->action, def) &&
				    add_rule(main_ctx, to_scmp(u->action), u, false, err) < 0)
					return -1;
				if (!u && def.kind != CL_SC_ALLOW &&
				    add_rule(main_ctx, SCMP_ACT_ALLOW, &rules[k], true, err) < 0)
					return -1;
			}
		}
	}
	bool ov_notify = false, main_notify = def.kind == CL_SC_NOTIFY;
	for (size_t i = 0; i < n_ov; i++)
		ov_notify |= ov[i].action.kind == CL_SC_NOTIFY;
	for (size_t i = 0; i < n; i++)
		main_notify |= rules[i].n_conds == 0 && rules[i].action.kind == CL_SC_NOTIFY;
	if (ov_notify && main_notify)
		return cl_fail(
		    err, 0,
		    "the notify action is used both with and without argument conditions "
		    "(or as the default action): the kernel gives a process one seccomp "
		    "listener, and cloison builds those into different filters");
	if (!enosys || seccomp_ruled)
		return 0; /* without the ENOSYS filter, unknown calls get the default */
	/* the flags cl_seccomp_install loads with: TSYNC and the policy's, and
	 * TSYNC_ESRCH where the kernel has it (libseccomp's seccomp_load) */
	for (unsigned flags = 0; flags < 2; flags++) {
		struct cl_sc_rule load = {
		    .name = "seccomp",
		    .action = {CL_SC_ALLOW, 0},
		    .n_conds = 2,
		    .conds = {{0, CL_SC_EQ, 0, SECCOMP_SET_MODE_FILTER},
			      {1, CL_SC_EQ, 0,
			       SECCOMP_FILTER_FLAG_TSYNC | (p->flags & CL_SC_FLAGS_EVERY_FILTER) |
				   (flags ? SECCOMP_FILTER_FLAG_TSYNC_ESRCH : 0)}},
		    .conds_text = "arg0 == SECCOMP_SET_MODE_FILTER arg1 == TSYNC",
		};
		if (add_rule(main_ctx, SCMP_ACT_ALLOW, &load, true, err) < 0)
			return -1;
	}
	for (unsigned abi = 0; abi < 3; abi++)
		if ((abi == 0 || (p->abis & (1u << (abi - 1)))) &&
		    enosys_filter(f, abi, rules, n, err) < 0)
			return -1;
	return 0;
}

int cl_seccomp_build(const struct cl_seccomp_policy *p, struct cl_sc_filters *f, struct cl_err *err)
{
	struct cl_sc_rule *rules = NULL;
	size_t n = 0;
	struct cl_sc_action def;
	int r;

	f->n = 0;
	if (p->base == CL_SC_BASE_UNCONFINED)
		return 0;
	r = effective_rules(p, &rules, &n, &def, err);
	if (r == 0)
		r = build(p, rules, n, def, f, err);
	cl_sc_rules_free(rules, n);
	if (r < 0)
		cl_seccomp_filters_free(f);
	return r;
}

void cl_seccomp_filters_free(struct cl_sc_filters *f)
{
	for (size_t i = 0; i < f->n; i++)
		seccomp_release(f->ctx[i]);
	f->n = 0;
}
