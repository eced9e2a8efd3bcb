/* linux.seccomp of an OCI config.json (runtime-spec config-linux.md,
 * "Seccomp") as the spec's seccomp policy.  Where the runtime-spec leaves a
 * choice, cloison does what runc and crun do:
 * - names libseccomp does not know are skipped (podman's and containerd's
 *   profiles name calls newer than the library);
 * - architectures: x86, x32 let those ABIs through; x86_64 is native; any
 *   other libseccomp knows (the aarch64, s390x... of profiles written for
 *   every host) cannot match on this kernel and is ignored, where crun adds
 *   it to a filter it never applies to; a name libseccomp does not know is
 *   an error, as in crun;
 * - args: the conditions of one entry are ANDed in one rule, unless two
 *   name the same argument: then, as runc, each becomes a rule of its own
 *   (ORed), libseccomp's old meaning that profiles were written for;
 * - errnoRet and defaultErrnoRet default to EPERM, and are an error with an
 *   action other than SCMP_ACT_ERRNO and SCMP_ACT_TRACE (the spec's MUST);
 * - flags: SECCOMP_FILTER_FLAG_TSYNC is always on (cloison syncs every
 *   thread); no flag is added when none is given (runc; crun adds
 *   SPEC_ALLOW). */
#include "spec/oci_seccomp.h"

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "spec/profile_syscalls.h"

#define PATH_MAX_LEN 96

/* "@where: @path: <fmt...>" */
__attribute__((format(printf, 4, 5))) static int bad(struct cl_err *err, const char *where,
						     const char *path, const char *fmt, ...)
{
	char msg[CL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cl_fail(err, 0, "%s: %s: %s", where, path, msg);
}

/* "@path.@member" into @buf (truncated paths stay readable) */
static const char *member(char *buf, size_t size, const char *path, const char *member)
{
	if (snprintf(buf, size, "%s.%s", path, member) >= (int)size)
		buf[size - 1] = '\0';
	return buf;
}

static int get_string(json_object *v, const char *where, const char *path, const char **out,
		      struct cl_err *err)
{
	if (!json_object_is_type(v, json_type_string))
		return bad(err, where, path, "expected a string");
	*out = json_object_get_string(v);
	return 0;
}

static int get_uint(json_object *v, const char *where, const char *path, uint64_t max,
		    uint64_t *out, struct cl_err *err)
{
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return bad(err, where, path, "expected an unsigned integer");
	*out = json_object_get_uint64(v);
	if (*out > max)
		return bad(err, where, path, "%llu is out of range (at most %llu)",
			   (unsigned long long)*out, (unsigned long long)max);
	return 0;
}

static int get_array(json_object *v, const char *where, const char *path, size_t *n,
		     struct cl_err *err)
{
	if (!json_object_is_type(v, json_type_array))
		return bad(err, where, path, "expected an array");
	*n = json_object_array_length(v);
	return 0;
}

static int parse_action(json_object *v, const char *where, const char *path, struct cl_sc_action *a,
			struct cl_err *err)
{
	static const struct {
		const char *name;
		enum cl_sc_act kind;
	} acts[] = {
	    {"SCMP_ACT_ALLOW", CL_SC_ALLOW},
	    {"SCMP_ACT_ERRNO", CL_SC_ERRNO},
	    {"SCMP_ACT_KILL", CL_SC_KILL_THREAD}, /* libseccomp's: the thread */
	    {"SCMP_ACT_KILL_THREAD", CL_SC_KILL_THREAD},
	    {"SCMP_ACT_KILL_PROCESS", CL_SC_KILL_PROCESS},
	    {"SCMP_ACT_TRAP", CL_SC_TRAP},
	    {"SCMP_ACT_LOG", CL_SC_LOG},
	    {"SCMP_ACT_TRACE", CL_SC_TRACE},
	    {"SCMP_ACT_NOTIFY", CL_SC_NOTIFY},
	};
	const char *name = "";

	if (!v)
		return bad(err, where, path, "missing (an action such as SCMP_ACT_ALLOW)");
	if (get_string(v, where, path, &name, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		if (strcmp(name, acts[i].name) == 0) {
			*a = (struct cl_sc_action){acts[i].kind, EPERM};
			if (acts[i].kind != CL_SC_ERRNO && acts[i].kind != CL_SC_TRACE)
				a->errnum = 0;
			return 0;
		}
	}
	return bad(err, where, path,
		   "unknown action %s (expected SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_THREAD, "
		   "_KILL_PROCESS, _TRAP, _LOG, _TRACE or _NOTIFY)",
		   name);
}

/* errnoRet, defaultErrnoRet (@v may be NULL: EPERM stays) */
static int parse_errno_ret(json_object *v, const char *where, const char *path,
			   struct cl_sc_action *a, struct cl_err *err)
{
	uint64_t e;

	if (!v)
		return 0;
	if (a->kind != CL_SC_ERRNO && a->kind != CL_SC_TRACE)
		return bad(err, where, path,
			   "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not this action");
	/* the kernel returns at most MAX_ERRNO; a tracer's message is 16 bits */
	if (get_uint(v, where, path, a->kind == CL_SC_ERRNO ? 4095 : 0xffff, &e, err) < 0)
		return -1;
	a->errnum = (int)e;
	return 0;
}

static int parse_arch(json_object *v, const char *where, const char *path, unsigned *abis,
		      struct cl_err *err)
{
	char lower[32];
	const char *name = "";
	uint32_t token;
	size_t i;

	if (get_string(v, where, path, &name, err) < 0)
		return -1;
	if (strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name + 10) >= sizeof(lower))
		return bad(err, where, path, "unknown architecture %s", name);
	for (i = 0; name[10 + i]; i++)
		lower[i] = (char)tolower((unsigned char)name[10 + i]);
	lower[i] = '\0';
	if (!(token = seccomp_arch_resolve_name(lower)))
		return bad(err, where, path, "unknown architecture %s", name);
	if (token == SCMP_ARCH_X86)
		*abis |= CL_SC_ABI_I386;
	else if (token == SCMP_ARCH_X32)
		*abis |= CL_SC_ABI_X32;
	return 0; /* x86_64 is native; another machine's never matches here */
}

static int parse_flag(json_object *v, const char *where, const char *path, unsigned *flags,
		      struct cl_err *err)
{
	static const struct {
		const char *name;
		unsigned flag;
	} names[] = {
	    {"SECCOMP_FILTER_FLAG_TSYNC", 0}, /* always */
	    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
	    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
	    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV},
	};
	const char *name = "";

	if (get_string(v, where, path, &name, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*flags |= names[i].flag;
			return 0;
		}
	}
	return bad(err, where, path,
		   "unknown flag %s (expected SECCOMP_FILTER_FLAG_TSYNC, _LOG, _SPEC_ALLOW or "
		   "_WAIT_KILLABLE_RECV)",
		   name);
}

static int parse_arg(json_object *v, const char *where, const char *path, struct cl_sc_cond *c,
		     struct cl_err *err)
{
	static const struct {
		const char *name;
		enum cl_sc_op op;
	} ops[] = {
	    {"SCMP_CMP_NE", CL_SC_NE},
	    {"SCMP_CMP_LT", CL_SC_LT},
	    {"SCMP_CMP_LE", CL_SC_LE},
	    {"SCMP_CMP_EQ", CL_SC_EQ},
	    {"SCMP_CMP_GE", CL_SC_GE},
	    {"SCMP_CMP_GT", CL_SC_GT},
	    {"SCMP_CMP_MASKED_EQ", CL_SC_MASKED_EQ},
	};
	char sub[PATH_MAX_LEN + 16];
	json_object *m;
	const char *op = "";
	uint64_t index, value, two = 0;
	size_t i;

	if (!json_object_is_type(v, json_type_object))
		return bad(err, where, path, "expected an object {index, value, valueTwo, op}");
	member(sub, sizeof(sub), path, "index");
	if (!json_object_object_get_ex(v, "index", &m))
		return bad(err, where, sub, "missing (the argument, 0 to 5)");
	if (get_uint(m, where, sub, 5, &index, err) < 0)
		return -1;
	member(sub, sizeof(sub), path, "value");
	if (!json_object_object_get_ex(v, "value", &m))
		return bad(err, where, sub, "missing");
	if (get_uint(m, where, sub, UINT64_MAX, &value, err) < 0)
		return -1;
	member(sub, sizeof(sub), path, "valueTwo");
	if (json_object_object_get_ex(v, "valueTwo", &m) &&
	    get_uint(m, where, sub, UINT64_MAX, &two, err) < 0)
		return -1;
	member(sub, sizeof(sub), path, "op");
	if (!json_object_object_get_ex(v, "op", &m))
		return bad(err, where, sub,
			   "missing (SCMP_CMP_EQ, _NE, _LT, _LE, _GT, _GE, _MASKED_EQ)");
	if (get_string(m, where, sub, &op, err) < 0)
		return -1;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i].name) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return bad(err, where, sub,
			   "unknown operator %s (expected SCMP_CMP_EQ, _NE, _LT, _LE, _GT, _GE or "
			   "_MASKED_EQ)",
			   op);
	/* MASKED_EQ: (arg & value) == valueTwo, libseccomp's datum_a, datum_b */
	*c = (struct cl_sc_cond){(unsigned)index, ops[i].op, 0, value};
	if (ops[i].op == CL_SC_MASKED_EQ)
		*c = (struct cl_sc_cond){(unsigned)index, CL_SC_MASKED_EQ, value, two};
	return 0;
}

/* Adds one rule per known name in @names, with the conditions @c. */
static int add_rules(struct cl_seccomp_policy *p, json_object *names, struct cl_sc_action a,
		     const struct cl_sc_cond *c, unsigned n_conds, const char *where,
		     const char *path, struct cl_err *err)
{
	char text[CL_SC_MAX_CONDS * 64] = "", sub[PATH_MAX_LEN + 16];
	struct cl_sc_rule r = {.action = a, .n_conds = n_conds, .conds_text = text};
	size_t pos = 0;

	for (unsigned k = 0; k < n_conds; k++) {
		r.conds[k] = c[k];
		cl_sc_cond_print(text + pos, sizeof(text) - pos, &c[k]);
		pos += strlen(text + pos);
		if (k + 1 < n_conds && pos + 1 < sizeof(text))
			text[pos++] = ' ', text[pos] = '\0';
	}
	for (size_t i = 0; i < json_object_array_length(names); i++) {
		const char *name = "";
		if (snprintf(sub, sizeof(sub), "%s.names[%zu]", path, i) >= (int)sizeof(sub))
			sub[sizeof(sub) - 1] = '\0';
		if (get_string(json_object_array_get_idx(names, i), where, sub, &name, err) < 0)
			return -1;
		if (!cl_syscall_known(name))
			continue; /* newer than libseccomp: runc and crun skip it too */
		r.name = (char *)name;
		if (cl_sc_rules_add(&p->rules, &p->n_rules, &r, err) < 0)
			return -1;
	}
	return 0;
}

static int parse_syscall(json_object *v, const char *where, const char *path,
			 struct cl_seccomp_policy *p, struct cl_err *err)
{
	char sub[PATH_MAX_LEN + 16];
	struct cl_sc_cond conds[CL_SC_MAX_CONDS];
	struct cl_sc_action a;
	json_object *names, *m;
	size_t n_names = 0, n_args = 0;
	unsigned seen = 0;
	bool repeated = false;

	if (!json_object_is_type(v, json_type_object))
		return bad(err, where, path, "expected an object {names, action, errnoRet, args}");
	member(sub, sizeof(sub), path, "names");
	if (!json_object_object_get_ex(v, "names", &names))
		return bad(err, where, sub, "missing (the system calls)");
	if (get_array(names, where, sub, &n_names, err) < 0)
		return -1;
	if (n_names == 0)
		return bad(err, where, sub, "expected at least one system call");
	member(sub, sizeof(sub), path, "action");
	if (parse_action(json_object_object_get_ex(v, "action", &m) ? m : NULL, where, sub, &a,
			 err) < 0)
		return -1;
	member(sub, sizeof(sub), path, "errnoRet");
	if (parse_errno_ret(json_object_object_get_ex(v, "errnoRet", &m) ? m : NULL, where, sub, &a,
			    err) < 0)
		return -1;
	member(sub, sizeof(sub), path, "args");
	if (json_object_object_get_ex(v, "args", &m) && !json_object_is_type(m, json_type_null)) {
		if (get_array(m, where, sub, &n_args, err) < 0)
			return -1;
		if (n_args > CL_SC_MAX_CONDS)
			return bad(err, where, sub, "%zu conditions: at most %d", n_args,
				   CL_SC_MAX_CONDS);
		for (size_t k = 0; k < n_args; k++) {
			if (snprintf(sub, sizeof(sub), "%s.args[%zu]", path, k) >= (int)sizeof(sub))
				sub[sizeof(sub) - 1] = '\0';
			if (parse_arg(json_object_array_get_idx(m, k), where, sub, &conds[k], err) <
			    0)
				return -1;
			repeated |= (seen >> conds[k].arg) & 1;
			seen |= 1u << conds[k].arg;
		}
	}
	if (!repeated)
		return add_rules(p, names, a, conds, (unsigned)n_args, where, path, err);
	for (size_t k = 0; k < n_args; k++)
		if (add_rules(p, names, a, &conds[k], 1, where, path, err) < 0)
			return -1;
	return 0;
}

static void policy_clear(struct cl_seccomp_policy *p)
{
	cl_sc_rules_free(p->rules, p->n_rules);
	free(p->listener_path);
	free(p->listener_metadata);
	p->rules = NULL;
	p->n_rules = 0;
	p->listener_path = p->listener_metadata = NULL;
}

/* linux.seccomp.@key, an array of names, each given to @fn with @bits */
static int each_name(json_object *sc, const char *key, const char *where,
		     int (*fn)(json_object *v, const char *where, const char *path, unsigned *bits,
			       struct cl_err *err),
		     unsigned *bits, struct cl_err *err)
{
	char path[PATH_MAX_LEN];
	json_object *m;
	size_t n = 0;

	if (!json_object_object_get_ex(sc, key, &m))
		return 0;
	snprintf(path, sizeof(path), "linux.seccomp.%s", key);
	if (get_array(m, where, path, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "linux.seccomp.%s[%zu]", key, i);
		if (fn(json_object_array_get_idx(m, i), where, path, bits, err) < 0)
			return -1;
	}
	return 0;
}

static int parse(json_object *sc, const char *where, struct cl_seccomp_policy *p,
		 struct cl_err *err)
{
	char path[PATH_MAX_LEN];
	json_object *m;
	const char *str = "";
	size_t n = 0;

	if (!json_object_is_type(sc, json_type_object))
		return bad(err, where, "linux.seccomp", "expected an object");
	if (parse_action(json_object_object_get_ex(sc, "defaultAction", &m) ? m : NULL, where,
			 "linux.seccomp.defaultAction", &p->default_action, err) < 0 ||
	    parse_errno_ret(json_object_object_get_ex(sc, "defaultErrnoRet", &m) ? m : NULL, where,
			    "linux.seccomp.defaultErrnoRet", &p->default_action, err) < 0)
		return -1;
	if (each_name(sc, "architectures", where, parse_arch, &p->abis, err) < 0 ||
	    each_name(sc, "flags", where, parse_flag, &p->flags, err) < 0)
		return -1;
	if (json_object_object_get_ex(sc, "listenerPath", &m)) {
		if (get_string(m, where, "linux.seccomp.listenerPath", &str, err) < 0)
			return -1;
		if (!str[0])
			return bad(err, where, "linux.seccomp.listenerPath",
				   "expected the path of a unix socket");
		if (!(p->listener_path = strdup(str)))
			return cl_fail(err, ENOMEM, "out of memory");
	}
	if (json_object_object_get_ex(sc, "listenerMetadata", &m)) {
		if (get_string(m, where, "linux.seccomp.listenerMetadata", &str, err) < 0)
			return -1;
		if (!(p->listener_metadata = strdup(str)))
			return cl_fail(err, ENOMEM, "out of memory");
	}
	if (json_object_object_get_ex(sc, "syscalls", &m) &&
	    !json_object_is_type(m, json_type_null)) {
		if (get_array(m, where, "linux.seccomp.syscalls", &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++) {
			snprintf(path, sizeof(path), "linux.seccomp.syscalls[%zu]", i);
			if (parse_syscall(json_object_array_get_idx(m, i), where, path, p, err) < 0)
				return -1;
		}
	}
	if (cl_seccomp_uses_notify(p) && !p->listener_path)
		return bad(err, where, "linux.seccomp.listenerPath",
			   "missing: SCMP_ACT_NOTIFY needs the unix socket to send the "
			   "listener to");
	return 0;
}

int cl_oci_seccomp(json_object *seccomp, struct cl_spec *s, const char *where, struct cl_err *err)
{
	struct cl_seccomp_policy *cur = &s->seccomp,
				 p = {.base = seccomp ? CL_SC_BASE_CUSTOM : CL_SC_BASE_UNCONFINED};

	if (seccomp && parse(seccomp, where, &p, err) < 0) {
		policy_clear(&p);
		return -1;
	}
	policy_clear(cur);
	p.learn = cur->learn;
	p.state_id = cur->state_id;
	p.state_bundle = cur->state_bundle;
	*cur = p;
	return 0;
}
