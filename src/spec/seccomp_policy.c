/* The spec's seccomp part: the policy language's settings, defaults and
 * validation.  The filter itself is built in ns/seccomp_build.c. */
#include "spec/seccomp_policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <seccomp.h>
#include <sys/capability.h>

#include "spec/profile_syscalls.h"
#include "spec/settings.h"
#include "util/cleanup.h"

void cl_seccomp_policy_init(struct cl_spec *s)
{
	/* the built-in policy (ns/seccomp_default.c), as profiles/default.profile says */
	s->seccomp = (struct cl_seccomp_policy){.base = CL_SC_BASE_DEFAULT};
}

void cl_sc_rules_free(struct cl_sc_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].name);
		free(rules[i].conds_text);
	}
	free(rules);
}

void cl_seccomp_policy_free(struct cl_spec *s)
{
	cl_sc_rules_free(s->seccomp.rules, s->seccomp.n_rules);
	free(s->seccomp.learn);
	free(s->seccomp.listener_path);
	free(s->seccomp.listener_metadata);
	free(s->seccomp.state_id);
	free(s->seccomp.state_bundle);
	s->seccomp.rules = NULL;
	s->seccomp.n_rules = 0;
	s->seccomp.learn = s->seccomp.listener_path = s->seccomp.listener_metadata = NULL;
	s->seccomp.state_id = s->seccomp.state_bundle = NULL;
}

bool cl_seccomp_uses_notify(const struct cl_seccomp_policy *p)
{
	if (p->base == CL_SC_BASE_UNCONFINED)
		return false;
	if (p->base == CL_SC_BASE_CUSTOM && p->default_action.kind == CL_SC_NOTIFY)
		return true;
	for (size_t i = 0; i < p->n_rules; i++)
		if (p->rules[i].action.kind == CL_SC_NOTIFY)
			return true;
	return false;
}

static bool has_filter(const struct cl_seccomp_policy *p)
{
	return p->base != CL_SC_BASE_UNCONFINED || p->learn;
}

/* The action the policy gives @name when no condition is involved: the last
 * unconditional rule for it, else the base's default (the built-in policy
 * denies every io_uring call). */
static bool allows(const struct cl_seccomp_policy *p, const char *name)
{
	int verdict = p->base == CL_SC_BASE_CUSTOM ? (int)p->default_action.kind : CL_SC_ERRNO;

	for (size_t i = 0; i < p->n_rules; i++)
		if (!p->rules[i].n_conds && strcmp(p->rules[i].name, name) == 0)
			verdict = (int)p->rules[i].action.kind;
	return verdict == CL_SC_ALLOW || verdict == CL_SC_LOG;
}

bool cl_seccomp_io_uring_bypass(const struct cl_spec *s)
{
	const struct cl_seccomp_policy *p = &s->seccomp;
	bool conds = p->base == CL_SC_BASE_DEFAULT; /* the built-in policy has some */

	if (p->base == CL_SC_BASE_UNCONFINED || s->backend == CL_BACKEND_VM)
		return false;
	for (size_t i = 0; i < p->n_rules && !conds; i++)
		conds = p->rules[i].n_conds > 0;
	return conds && allows(p, "io_uring_setup"); /* no ring without it */
}

int cl_seccomp_policy_validate(struct cl_spec *s, struct cl_err *err)
{
	const struct cl_seccomp_policy *p = &s->seccomp;

	if (s->backend == CL_BACKEND_VM) {
		if (p->learn)
			return cl_fail(err, 0,
				       "--learn-seccomp needs a container: a micro-VM's guest has "
				       "its own kernel");
		if (p->base == CL_SC_BASE_CUSTOM || p->n_rules || p->abis)
			return cl_fail(err, 0,
				       "seccomp policies apply to containers: a micro-VM's guest "
				       "has its own kernel "
				       "(use 'seccomp default' or 'seccomp unconfined' with --vm)");
		return 0;
	}
	if (cl_seccomp_uses_notify(p) && !p->listener_path)
		return cl_fail(err, 0,
			       "the seccomp action notify needs a listener to hand the filter to "
			       "(an OCI config.json's linux.seccomp.listenerPath)");
	if (p->learn && (p->base != CL_SC_BASE_DEFAULT || p->n_rules || p->abis))
		return cl_fail(
		    err, 0,
		    "--learn-seccomp runs the command under a recording filter of its own: "
		    "it cannot be combined with a seccomp policy (seccomp, allow, deny, syscall)");
	/* io_uring's operations (IORING_OP_SOCKET, _OPENAT...) are made by the
	 * kernel, not through system calls: no argument filter sees them */
	if (cl_seccomp_io_uring_bypass(s))
		cl_warn("the seccomp policy allows io_uring: its operations bypass the argument "
			"conditions of the policy's rules (an IORING_OP_SOCKET is not a socket(2) "
			"call); deny io_uring_setup unless the command needs it");
	if (!s->no_new_privs && has_filter(p) && !(s->caps & (1ULL << CAP_SYS_ADMIN)))
		return cl_fail(
		    err, 0,
		    "'no-new-privileges false' with a seccomp filter needs CAP_SYS_ADMIN "
		    "(the kernel refuses the filter otherwise): add it, or use 'seccomp "
		    "unconfined'");
	return 0;
}

/* ---- actions ---- */

static const struct {
	const char *name;
	enum cl_sc_act kind;
} act_names[] = {
    {"allow", CL_SC_ALLOW},
    {"log", CL_SC_LOG},
    {"trace", CL_SC_TRACE},
    {"notify", CL_SC_NOTIFY},
    {"trap", CL_SC_TRAP},
    {"kill", CL_SC_KILL_THREAD},
    {"kill-thread", CL_SC_KILL_THREAD},
    {"kill-process", CL_SC_KILL_PROCESS},
};

int cl_sc_parse_action(const char *text, struct cl_sc_action *a, struct cl_err *err)
{
	if (strncmp(text, "errno", 5) == 0 && (text[5] == ':' || text[5] == ' ')) {
		const char *v = text + 6;
		while (*v == ' ')
			v++;
		int e = cl_errno_from_name(v);
		if (e < 0)
			return cl_fail(err, 0,
				       "invalid errno '%s': expected a name such as EPERM or a "
				       "number from 1 to 4095",
				       v);
		*a = (struct cl_sc_action){CL_SC_ERRNO, e};
		return 0;
	}
	if (strncmp(text, "trace", 5) == 0 && (text[5] == ':' || text[5] == ' ')) {
		char *end;
		unsigned long v = strtoul(text + 6, &end, 0);
		if (!isdigit((unsigned char)text[6]) || *end || v > 0xffff)
			return cl_fail(
			    err, 0, "invalid trace message '%s': expected a number from 0 to 65535",
			    text + 6);
		*a = (struct cl_sc_action){CL_SC_TRACE, (int)v};
		return 0;
	}
	if (strcmp(text, "deny") == 0) {
		*a = (struct cl_sc_action){CL_SC_ERRNO, EPERM};
		return 0;
	}
	for (size_t i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++) {
		if (strcmp(text, act_names[i].name) == 0) {
			*a = (struct cl_sc_action){act_names[i].kind, 0};
			return 0;
		}
	}
	if (strcmp(text, "errno") == 0)
		return cl_fail(err, 0,
			       "'errno' needs a value: errno:EPERM, errno:EACCES, errno:38, ...");
	return cl_fail(
	    err, 0,
	    "invalid action '%s': expected allow, deny, errno:N, kill, kill-process, trap, log, "
	    "trace[:N] or notify",
	    text);
}

void cl_sc_print_action(FILE *out, struct cl_sc_action a, char errno_sep)
{
	char buf[16];

	if (a.kind == CL_SC_ERRNO) {
		fprintf(out, "errno%c%s", errno_sep, cl_errno_name(a.errnum, buf));
		return;
	}
	if (a.kind == CL_SC_TRACE && a.errnum) {
		fprintf(out, "trace%c%d", errno_sep, a.errnum);
		return;
	}
	for (size_t i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++) {
		if (act_names[i].kind == a.kind) {
			fputs(act_names[i].name, out);
			return;
		}
	}
}

bool cl_sc_action_eq(struct cl_sc_action a, struct cl_sc_action b)
{
	return a.kind == b.kind &&
	       ((a.kind != CL_SC_ERRNO && a.kind != CL_SC_TRACE) || a.errnum == b.errnum);
}

void cl_sc_cond_print(char *buf, size_t size, const struct cl_sc_cond *c)
{
	static const char *const ops[] = {
	    [CL_SC_EQ] = "==", [CL_SC_NE] = "!=", [CL_SC_LT] = "<",	   [CL_SC_LE] = "<=",
	    [CL_SC_GT] = ">",  [CL_SC_GE] = ">=", [CL_SC_MASKED_EQ] = "&",
	};

	if (c->op == CL_SC_MASKED_EQ)
		snprintf(buf, size, "arg%u & %#llx == %#llx", c->arg, (unsigned long long)c->mask,
			 (unsigned long long)c->value);
	else
		snprintf(buf, size, "arg%u %s %#llx", c->arg, ops[c->op],
			 (unsigned long long)c->value);
}

/* ---- rules ---- */

static int parse_cond(char **tok, size_t n_tok, size_t *used, struct cl_sc_cond *c,
		      struct cl_err *err)
{
	static const struct {
		const char *text;
		enum cl_sc_op op;
	} ops[] = {{"==", CL_SC_EQ}, {"!=", CL_SC_NE}, {"<", CL_SC_LT},	      {"<=", CL_SC_LE},
		   {">", CL_SC_GT},  {">=", CL_SC_GE}, {"&", CL_SC_MASKED_EQ}};
	const char *a = tok[0];
	size_t i;

	if (strncmp(a, "arg", 3) != 0 || a[3] < '0' || a[3] > '5' || a[4])
		return cl_fail(err, 0, "invalid condition at '%s': expected argN (N from 0 to 5)",
			       a);
	c->arg = (unsigned)(a[3] - '0');
	if (n_tok < 3)
		return cl_fail(err, 0,
			       "incomplete condition '%s...': expected %s OP VALUE (OP: ==, !=, <, "
			       "<=, >, >=, &)",
			       a, a);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(tok[1], ops[i].text) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return cl_fail(err, 0,
			       "invalid operator '%s' after %s: expected ==, !=, <, <=, >, >= or &",
			       tok[1], a);
	c->op = ops[i].op;
	if (cl_sc_value(tok[2], c->op == CL_SC_MASKED_EQ ? &c->mask : &c->value, err) < 0)
		return -1;
	*used = 3;
	if (c->op == CL_SC_MASKED_EQ) {
		/* argN & MASK [== VALUE]: without a value, every bit of MASK is set */
		c->value = c->mask;
		if (n_tok >= 5 && strcmp(tok[3], "==") == 0) {
			if (cl_sc_value(tok[4], &c->value, err) < 0)
				return -1;
			*used = 5;
		} else if (n_tok >= 4 && strncmp(tok[3], "arg", 3) != 0) {
			return cl_fail(err, 0,
				       "invalid condition at '%s': expected '== VALUE' or the next "
				       "argN after %s & %s",
				       tok[3], a, tok[2]);
		}
	}
	return 0;
}

static void rule_clear(struct cl_sc_rule *r)
{
	free(r->name);
	free(r->conds_text);
	r->name = r->conds_text = NULL;
}

int cl_sc_rules_add(struct cl_sc_rule **rules, size_t *n, const struct cl_sc_rule *r,
		    struct cl_err *err)
{
	struct cl_sc_rule *nr, copy = *r;
	size_t keep = 0;

	if (r->n_conds == 0) {
		for (size_t i = 0; i < *n; i++) {
			if (strcmp((*rules)[i].name, r->name) == 0)
				rule_clear(&(*rules)[i]);
			else
				(*rules)[keep++] = (*rules)[i];
		}
		*n = keep;
	}
	nr = realloc(*rules, (*n + 1) * sizeof(*nr));
	if (!nr)
		return cl_fail(err, ENOMEM, "out of memory");
	*rules = nr;
	copy.name = strdup(r->name);
	copy.conds_text = strdup(r->conds_text ? r->conds_text : "");
	if (!copy.name || !copy.conds_text) {
		rule_clear(&copy);
		return cl_fail(err, ENOMEM, "out of memory");
	}
	nr[(*n)++] = copy;
	return 0;
}

#define MAX_TOKENS 128

int cl_sc_parse_rules(struct cl_sc_rule **rules, size_t *n, struct cl_sc_action action,
		      const char *value, bool lenient, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(value ? value : ""), *text = NULL;
	char *tok[MAX_TOKENS], *save = NULL;
	size_t n_tok = 0, n_names, pos = 0;
	struct cl_sc_rule r = {.action = action};
	unsigned seen = 0;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	for (char *t = strtok_r(dup, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n_tok == MAX_TOKENS)
			return cl_fail(err, 0, "too many words in one line (at most %d)",
				       MAX_TOKENS);
		tok[n_tok++] = t;
	}
	for (n_names = 0; n_names < n_tok; n_names++)
		if (strncmp(tok[n_names], "arg", 3) == 0 && isdigit((unsigned char)tok[n_names][3]))
			break;
	if (n_names == 0)
		return cl_fail(
		    err, 0,
		    "expected a system call name (then optional conditions: argN OP VALUE)");
	if (!(text = calloc(1, strlen(value) + 1)))
		return cl_fail(err, ENOMEM, "out of memory");
	for (size_t i = n_names; i < n_tok;) {
		size_t used;
		if (r.n_conds == CL_SC_MAX_CONDS)
			return cl_fail(err, 0, "too many conditions (at most %d)", CL_SC_MAX_CONDS);
		if (parse_cond(tok + i, n_tok - i, &used, &r.conds[r.n_conds], err) < 0)
			return -1;
		if (seen & (1u << r.conds[r.n_conds].arg))
			return cl_fail(err, 0,
				       "%s is compared twice: one comparison per argument and line "
				       "(libseccomp's rule), split the line",
				       tok[i]);
		seen |= 1u << r.conds[r.n_conds].arg;
		r.n_conds++;
		for (size_t k = 0; k < used; k++)
			pos += (size_t)sprintf(text + pos, "%s%s", pos ? " " : "", tok[i + k]);
		i += used;
	}
	r.conds_text = text;
	for (size_t i = 0; i < n_names; i++) {
		if (!cl_syscall_known(tok[i])) {
			const char *hint;
			if (lenient)
				continue;
			if ((hint = cl_syscall_nearest(tok[i])))
				return cl_fail(err, 0,
					       "unknown system call '%s' (did you mean %s?)",
					       tok[i], hint);
			return cl_fail(err, 0,
				       "unknown system call '%s' (not known to libseccomp %u.%u)",
				       tok[i], seccomp_version()->major, seccomp_version()->minor);
		}
		r.name = tok[i];
		if (cl_sc_rules_add(rules, n, &r, err) < 0)
			return -1;
	}
	return 0;
}

static bool wants_group(const struct cl_sc_rule *r)
{
	return r->n_conds == 0;
}

/* Prints the key of a rule line; returns its width. */
static long print_key(FILE *out, struct cl_sc_action a)
{
	char buf[16];

	if (a.kind == CL_SC_ALLOW)
		return fputs("allow", out), 5;
	if (a.kind == CL_SC_ERRNO && a.errnum == EPERM)
		return fputs("deny", out), 4;
	fputs("syscall ", out);
	cl_sc_print_action(out, a, ':');
	return 8 + (long)(a.kind == CL_SC_ERRNO ? 6 + strlen(cl_errno_name(a.errnum, buf)) : 12);
}

void cl_sc_print_rules(FILE *out, const struct cl_sc_rule *rules, size_t n)
{
	for (size_t i = 0; i < n;) {
		const struct cl_sc_rule *r = &rules[i];
		long key = print_key(out, r->action), width = key;

		if (!wants_group(r)) {
			fprintf(out, " %s %s\n", r->name, r->conds_text);
			i++;
			continue;
		}
		/* one line per action, wrapped near 72 columns */
		for (;
		     i < n && wants_group(&rules[i]) && cl_sc_action_eq(rules[i].action, r->action);
		     i++) {
			size_t len = strlen(rules[i].name) + 1;
			if (width + (long)len > 72 && width > key) {
				fputc('\n', out);
				width = print_key(out, r->action);
			}
			fprintf(out, " %s", rules[i].name);
			width += (long)len;
		}
		fputc('\n', out);
	}
}

/* ---- settings ---- */

static int no_filter_error(struct cl_err *err)
{
	return cl_fail(err, 0,
		       "'seccomp unconfined' has no filter to add rules to "
		       "(for a deny-list, start with 'seccomp default-action allow')");
}

static int set_seccomp(struct cl_spec *s, const char *v, struct cl_err *err)
{
	struct cl_seccomp_policy *p = &s->seccomp;

	if (strcmp(v, "default") == 0 || strcmp(v, "unconfined") == 0) {
		cl_sc_rules_free(p->rules, p->n_rules);
		p->rules = NULL;
		p->n_rules = 0;
		p->abis = 0;
		p->base = v[0] == 'd' ? CL_SC_BASE_DEFAULT : CL_SC_BASE_UNCONFINED;
		return 0;
	}
	if (strncmp(v, "default-action", 14) == 0 && (v[14] == ' ' || v[14] == '\t')) {
		const char *a = v + 15;
		struct cl_sc_action act;
		while (*a == ' ' || *a == '\t')
			a++;
		if (cl_sc_parse_action(a, &act, err) < 0)
			return -1;
		cl_sc_rules_free(p->rules, p->n_rules);
		p->rules = NULL;
		p->n_rules = 0;
		p->abis = 0;
		p->base = CL_SC_BASE_CUSTOM;
		p->default_action = act;
		return 0;
	}
	if (strncmp(v, "allow-abi", 9) == 0 && (v[9] == ' ' || v[9] == '\t')) {
		const char *a = v + 10;
		while (*a == ' ' || *a == '\t')
			a++;
		if (p->base == CL_SC_BASE_UNCONFINED)
			return no_filter_error(err);
		if (strcmp(a, "i386") == 0)
			p->abis |= CL_SC_ABI_I386;
		else if (strcmp(a, "x32") == 0)
			p->abis |= CL_SC_ABI_X32;
		else
			return cl_fail(err, 0, "invalid ABI '%s': expected i386 or x32", a);
		return 0;
	}
	return cl_fail(err, 0,
		       "invalid seccomp setting '%s': expected default, unconfined, "
		       "default-action ACTION or allow-abi i386|x32",
		       v);
}

static void show_seccomp(const struct cl_spec *s, FILE *out)
{
	const struct cl_seccomp_policy *p = &s->seccomp;

	if (p->base == CL_SC_BASE_UNCONFINED)
		fputs("seccomp unconfined\n", out);
	if (p->base == CL_SC_BASE_CUSTOM) {
		fputs("seccomp default-action ", out);
		cl_sc_print_action(out, p->default_action, ' ');
		fputc('\n', out);
	}
	if (p->abis & CL_SC_ABI_I386)
		fputs("seccomp allow-abi i386\n", out);
	if (p->abis & CL_SC_ABI_X32)
		fputs("seccomp allow-abi x32\n", out);
	cl_sc_print_rules(out, p->rules, p->n_rules);
}

static int add_rules(struct cl_spec *s, struct cl_sc_action a, const char *v, struct cl_err *err)
{
	if (s->seccomp.base == CL_SC_BASE_UNCONFINED)
		return no_filter_error(err);
	return cl_sc_parse_rules(&s->seccomp.rules, &s->seccomp.n_rules, a, v, false, err);
}

static int set_allow(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return add_rules(s, (struct cl_sc_action){CL_SC_ALLOW, 0}, v, err);
}

static int set_deny(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return add_rules(s, (struct cl_sc_action){CL_SC_ERRNO, EPERM}, v, err);
}

static int set_syscall(struct cl_spec *s, const char *v, struct cl_err *err)
{
	size_t len = strcspn(v, " \t");
	char act_text[32];
	struct cl_sc_action a;

	if (len == 0 || len >= sizeof(act_text) || !v[len])
		return cl_fail(err, 0,
			       "invalid rule '%s': expected ACTION NAME... [argN OP VALUE]...", v);
	memcpy(act_text, v, len);
	act_text[len] = '\0';
	if (cl_sc_parse_action(act_text, &a, err) < 0)
		return -1;
	return add_rules(s, a, v + len, err);
}

static void show_none(const struct cl_spec *s, FILE *out)
{
	(void)s;
	(void)out;
}

static int set_nnp(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_setting_bool(v, &s->no_new_privs, err);
}

static void show_nnp(const struct cl_spec *s, FILE *out)
{
	if (!s->no_new_privs)
		fputs("no-new-privileges false\n", out);
}

static int set_learn(struct cl_spec *s, const char *v, struct cl_err *err)
{
	if (!v[0])
		return cl_fail(err, 0, "expected the path of the profile to write");
	return cl_setting_replace(&s->seccomp.learn, v, err);
}

const struct cl_setting cl_settings_seccomp[] = {
    {"no-new-privileges", 0, CL_SETTING_FLAG, "true|false", set_nnp, show_nnp, CL_BE_NS},
    {"seccomp", 0, 0, "default|unconfined|default-action ACTION|allow-abi ABI", set_seccomp,
     show_seccomp, CL_BE_ALL},
    {"allow", 0, CL_SETTING_REPEAT, "SYSCALL... [argN OP VALUE]...", set_allow, show_none,
     CL_BE_NS},
    {"deny", 0, CL_SETTING_REPEAT, "SYSCALL... [argN OP VALUE]...", set_deny, show_none, CL_BE_NS},
    {"syscall", 0, CL_SETTING_REPEAT, "ACTION SYSCALL... [argN OP VALUE]...", set_syscall,
     show_none, CL_BE_NS},
    {"learn-seccomp", 0, CL_SETTING_CLI_ONLY, "FILE", set_learn, show_none, CL_BE_NS},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
