/* config.json into the spec (spec/oci.h): the document, process, root,
 * hostname, mounts, hooks and annotations; linux.* is in oci_linux.c. */
#include "spec/oci.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <unistd.h>

#include "spec/caps.h"
#include "spec/oci_internal.h"
#include "util/cleanup.h"

const char *const cl_oci_hook_names[CL_HOOK_N] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

int cl_oci_bad(const struct oci_ctx *x, const char *field, const char *fmt, ...)
{
	char msg[CL_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cl_fail(x->err, 0, "%s: %s: %s", x->where, field, msg);
}

json_object *cl_oci_get(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v; /* json null is NULL too */
}

int cl_oci_str(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       char **out)
{
	json_object *v = cl_oci_get(o, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return cl_oci_bad(x, field, "must be a string");
	free(*out);
	*out = strdup(json_object_get_string(v));
	return *out ? 0 : cl_fail(x->err, ENOMEM, "out of memory");
}

int cl_oci_bool(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
		bool *out)
{
	json_object *v = cl_oci_get(o, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return cl_oci_bad(x, field, "must be true or false");
	*out = json_object_get_boolean(v);
	return 0;
}

int cl_oci_i64(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       int64_t *out)
{
	json_object *v = cl_oci_get(o, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return cl_oci_bad(x, field, "must be an integer");
	errno = 0;
	*out = json_object_get_int64(v);
	/* json-c saturates what does not fit */
	if (errno == ERANGE)
		return cl_oci_bad(x, field, "out of range");
	return 0;
}

int cl_oci_u64(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       uint64_t *out)
{
	json_object *v = cl_oci_get(o, key);

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return cl_oci_bad(x, field, "must be an integer");
	/* json-c keeps what is above INT64_MAX as a uint64, what is below 0
	 * as an int64: get_int64 tells the sign, get_uint64 the value */
	if (json_object_get_int64(v) < 0)
		return cl_oci_bad(x, field, "must not be negative");
	*out = json_object_get_uint64(v);
	return 0;
}

int cl_oci_obj(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       json_object **out)
{
	json_object *v = cl_oci_get(o, key);

	*out = NULL;
	if (v && !json_object_is_type(v, json_type_object))
		return cl_oci_bad(x, field, "must be an object");
	*out = v;
	return 0;
}

int cl_oci_arr(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
	       json_object **out)
{
	json_object *v = cl_oci_get(o, key);

	*out = NULL;
	if (v && !json_object_is_type(v, json_type_array))
		return cl_oci_bad(x, field, "must be an array");
	*out = v;
	return 0;
}

int cl_oci_strv(const struct oci_ctx *x, json_object *o, const char *key, const char *field,
		char ***out)
{
	json_object *a;
	size_t n;
	char **v;

	if (cl_oci_arr(x, o, key, field, &a) < 0)
		return -1;
	if (!a)
		return 0;
	n = json_object_array_length(a);
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return cl_fail(x->err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		if (!e || !json_object_is_type(e, json_type_string)) {
			cl_strv_free(v);
			return cl_oci_bad(x, field, "element %zu must be a string", i);
		}
		if (!(v[i] = strdup(json_object_get_string(e)))) {
			cl_strv_free(v);
			return cl_fail(x->err, ENOMEM, "out of memory");
		}
	}
	cl_strv_free(*out);
	*out = v;
	return 0;
}

/* Fields cloison has no way to honour: refused when they say anything. */
static int refuse_set(const struct oci_ctx *x, json_object *o, const char *const *keys,
		      const char *prefix, const char *why)
{
	for (; *keys; keys++) {
		json_object *v = cl_oci_get(o, *keys);
		if (!v)
			continue;
		/* "" / [] / {} / false / 0 say nothing */
		if ((json_object_is_type(v, json_type_string) && !json_object_get_string_len(v)) ||
		    (json_object_is_type(v, json_type_array) && !json_object_array_length(v)) ||
		    (json_object_is_type(v, json_type_object) && !json_object_object_length(v)) ||
		    (json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v)))
			continue;
		char field[128];
		snprintf(field, sizeof(field), "%s%s", prefix, *keys);
		return cl_oci_bad(x, field, "not supported by cloison (%s)", why);
	}
	return 0;
}

/* --- process -------------------------------------------------------------- */

static const struct {
	const char *name;
	int res;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(const struct oci_ctx *x, json_object *a, struct cl_spec *s)
{
	size_t n = json_object_array_length(a);
	char field[64];

	free(s->rlimits);
	s->n_rlimits = 0;
	s->rlimits = calloc(n ? n : 1, sizeof(*s->rlimits));
	if (!s->rlimits)
		return cl_fail(x->err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		_cleanup_free_ char *type = NULL;
		uint64_t soft = 0, hard = 0;
		size_t k;

		snprintf(field, sizeof(field), "process.rlimits[%zu]", i);
		if (!e || !json_object_is_type(e, json_type_object))
			return cl_oci_bad(x, field, "must be an object");
		if (cl_oci_str(x, e, "type", field, &type) < 0)
			return -1;
		for (k = 0; type && k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
			if (!strcmp(type, rlimit_names[k].name))
				break;
		if (!type || k == sizeof(rlimit_names) / sizeof(rlimit_names[0]))
			return cl_oci_bad(x, field, "unknown rlimit type '%s'", type ? type : "");
		/* uint64: 18446744073709551615 is RLIM_INFINITY, as engines write it */
		if (!cl_oci_get(e, "soft") || !cl_oci_get(e, "hard") ||
		    cl_oci_u64(x, e, "soft", field, &soft) < 0 ||
		    cl_oci_u64(x, e, "hard", field, &hard) < 0)
			return cl_oci_bad(x, field, "soft and hard must be given, >= 0");
		if (soft > hard)
			return cl_oci_bad(x, field, "soft %llu is above hard %llu",
					  (unsigned long long)soft, (unsigned long long)hard);
		s->rlimits[s->n_rlimits++] =
		    (struct cl_rlimit){.resource = rlimit_names[k].res, .soft = soft, .hard = hard};
	}
	return 0;
}

static int parse_caps(const struct oci_ctx *x, json_object *caps, struct cl_spec *s)
{
	static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
					   "ambient"};
	uint64_t *dst[] = {&s->caps, &s->cap_effective, &s->cap_inheritable, &s->cap_permitted,
			   &s->cap_ambient};
	char field[64];

	s->caps_explicit = true;
	for (size_t i = 0; i < 5; i++) {
		char **names = NULL;
		snprintf(field, sizeof(field), "process.capabilities.%s", sets[i]);
		if (cl_oci_strv(x, caps, sets[i], field, &names) < 0)
			return -1;
		*dst[i] = 0;
		for (size_t k = 0; names && names[k]; k++) {
			int c = cl_cap_from_name(names[k]);
			if (c < 0) {
				cl_oci_bad(x, field, "unknown capability '%s'", names[k]);
				cl_strv_free(names);
				return -1;
			}
			*dst[i] |= 1ULL << c;
		}
		cl_strv_free(names);
	}
	return 0;
}

int cl_oci_process(json_object *p, const char *where, struct cl_spec *s, struct cl_err *err)
{
	static const char *const unsupported[] = {"selinuxLabel",    "ioPriority",  "scheduler",
						  "execCPUAffinity", "commandLine", NULL};
	const struct oci_ctx X = {where, err}, *x = &X;
	json_object *user, *caps, *rl, *env;
	int64_t v;

	if (!p || !json_object_is_type(p, json_type_object))
		return cl_oci_bad(x, "process", "must be an object");
	if (refuse_set(x, p, unsupported, "process.",
		       "no SELinux, I/O priority, scheduler or CPU affinity settings") < 0)
		return -1;
	if (cl_oci_strv(x, p, "args", "process.args", &s->argv) < 0)
		return -1;
	if (!s->argv || !s->argv[0] || !s->argv[0][0])
		return cl_oci_bad(x, "process.args", "must name the command to run");
	if (cl_oci_arr(x, p, "env", "process.env", &env) < 0)
		return -1;
	if (env) {
		cl_strv_free(s->env);
		s->env = NULL;
		s->n_env = 0;
		for (size_t i = 0; i < json_object_array_length(env); i++) {
			json_object *e = json_object_array_get_idx(env, i);
			char field[48];
			snprintf(field, sizeof(field), "process.env[%zu]", i);
			if (!e || !json_object_is_type(e, json_type_string))
				return cl_oci_bad(x, field, "must be a string");
			if (cl_spec_add_env(s, json_object_get_string(e), err) < 0)
				return cl_wrap(err, "%s: %s", where, field);
		}
	}
	if (cl_oci_str(x, p, "cwd", "process.cwd", &s->cwd) < 0)
		return -1;
	if (!s->cwd || s->cwd[0] != '/')
		return cl_oci_bad(x, "process.cwd", "must be an absolute path");
	if (cl_oci_bool(x, p, "terminal", "process.terminal", &s->tty) < 0 ||
	    cl_oci_bool(x, p, "noNewPrivileges", "process.noNewPrivileges", &s->no_new_privs) < 0)
		return -1;
	if (cl_oci_obj(x, p, "user", "process.user", &user) < 0)
		return -1;
	if (user) {
		json_object *groups;
		v = 0;
		if (cl_oci_i64(x, user, "uid", "process.user.uid", &v) < 0)
			return -1;
		if (v < 0 || v > UINT32_MAX - 1)
			return cl_oci_bad(x, "process.user.uid", "out of range");
		s->uid = (uid_t)v;
		v = 0;
		if (cl_oci_i64(x, user, "gid", "process.user.gid", &v) < 0)
			return -1;
		if (v < 0 || v > UINT32_MAX - 1)
			return cl_oci_bad(x, "process.user.gid", "out of range");
		s->gid = (gid_t)v;
		if (cl_oci_get(user, "umask")) {
			if (cl_oci_i64(x, user, "umask", "process.user.umask", &v) < 0)
				return -1;
			if (v < 0 || v > 0777)
				return cl_oci_bad(x, "process.user.umask", "out of range (0-0777)");
			s->umask = (int)v;
		}
		if (cl_oci_arr(x, user, "additionalGids", "process.user.additionalGids", &groups) <
		    0)
			return -1;
		size_t n = groups ? json_object_array_length(groups) : 0;
		free(s->groups);
		s->groups = calloc(n ? n : 1, sizeof(*s->groups));
		s->n_groups = 0;
		if (!s->groups)
			return cl_fail(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_object *g = json_object_array_get_idx(groups, i);
			if (!g || !json_object_is_type(g, json_type_int) ||
			    json_object_get_int64(g) < 0 ||
			    json_object_get_int64(g) > UINT32_MAX - 1)
				return cl_oci_bad(x, "process.user.additionalGids",
						  "element %zu must be a gid", i);
			s->groups[s->n_groups++] = (gid_t)json_object_get_int64(g);
		}
	}
	if (cl_oci_obj(x, p, "capabilities", "process.capabilities", &caps) < 0)
		return -1;
	if (caps && parse_caps(x, caps, s) < 0)
		return -1;
	if (!caps) { /* none given: none held */
		s->caps_explicit = true;
		s->caps = s->cap_effective = s->cap_permitted = s->cap_inheritable =
		    s->cap_ambient = 0;
	}
	if (cl_oci_arr(x, p, "rlimits", "process.rlimits", &rl) < 0)
		return -1;
	if (rl && parse_rlimits(x, rl, s) < 0)
		return -1;
	if (cl_oci_get(p, "oomScoreAdj")) {
		v = 0;
		if (cl_oci_i64(x, p, "oomScoreAdj", "process.oomScoreAdj", &v) < 0)
			return -1;
		if (v < -1000 || v > 1000)
			return cl_oci_bad(x, "process.oomScoreAdj", "out of range (-1000 to 1000)");
		s->oom_score_set = true;
		s->oom_score_adj = (int)v;
	}
	char *aa = NULL;
	if (cl_oci_str(x, p, "apparmorProfile", "process.apparmorProfile", &aa) < 0)
		return -1;
	if (aa && aa[0] && strcmp(aa, "unconfined")) {
		cl_oci_bad(x, "process.apparmorProfile",
			   "'%s': cloison does not apply AppArmor profiles (its own seccomp, "
			   "capabilities and mounts confine the jail)",
			   aa);
		free(aa);
		return -1;
	}
	free(aa);
	s->keep_stdin = !s->tty; /* stdio is inherited as it is */
	return 0;
}

/* --- mounts --------------------------------------------------------------- */

static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
    {"defaults", false, 0},
};

static const struct {
	const char *name;
	unsigned long flag;
} propagations[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

int cl_oci_propagation(const char *name, unsigned long *out)
{
	for (size_t i = 0; i < sizeof(propagations) / sizeof(propagations[0]); i++)
		if (!strcmp(name, propagations[i].name)) {
			*out = propagations[i].flag;
			return 0;
		}
	return -1;
}

/* A path inside the jail: absolute (a relative one is taken from /, as
 * runc does), with no ".." that could lead out of the rootfs. */
int cl_oci_jail_path(const struct oci_ctx *x, const char *field, const char *in, char **out)
{
	const char *p = in;

	if (!in || !in[0])
		return cl_oci_bad(x, field, "must be a path");
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return cl_oci_bad(x, field, "'%s' leads out of the rootfs (\"..\")", in);
		c += n;
		while (*c == '/')
			c++;
	}
	if (asprintf(out, "%s%s", in[0] == '/' ? "" : "/", in) < 0)
		return cl_fail(x->err, ENOMEM, "out of memory");
	return 0;
}

static int parse_mount(const struct oci_ctx *x, json_object *e, size_t i, const char *bundle,
		       struct cl_spec *s)
{
	_cleanup_free_ char *dest = NULL, *type = NULL, *source = NULL, *rdest = NULL;
	char **opts = NULL;
	char field[64], data[1024] = "";
	size_t dlen = 0;
	struct cl_mount m = {.kind = CL_MOUNT_FS, .flags_given = true};
	int r = -1;

	snprintf(field, sizeof(field), "mounts[%zu]", i);
	if (!e || !json_object_is_type(e, json_type_object))
		return cl_oci_bad(x, field, "must be an object");
	snprintf(field, sizeof(field), "mounts[%zu].destination", i);
	if (cl_oci_str(x, e, "destination", field, &dest) < 0 ||
	    cl_oci_jail_path(x, field, dest, &rdest) < 0)
		return -1;
	snprintf(field, sizeof(field), "mounts[%zu]", i);
	if (cl_oci_str(x, e, "type", field, &type) < 0 ||
	    cl_oci_str(x, e, "source", field, &source) < 0)
		return -1;
	if (cl_oci_get(e, "uidMappings") || cl_oci_get(e, "gidMappings"))
		return cl_oci_bad(x, field, "id-mapped mounts are not supported by cloison");
	snprintf(field, sizeof(field), "mounts[%zu].options", i);
	if (cl_oci_strv(x, e, "options", field, &opts) < 0)
		return -1;
	for (size_t k = 0; opts && opts[k]; k++) {
		const char *o = opts[k];
		size_t f;
		for (f = 0; f < sizeof(mount_flags) / sizeof(mount_flags[0]); f++)
			if (!strcmp(o, mount_flags[f].name))
				break;
		if (f < sizeof(mount_flags) / sizeof(mount_flags[0])) {
			if (mount_flags[f].clear)
				m.flags &= ~mount_flags[f].flag;
			else
				m.flags |= mount_flags[f].flag;
			continue;
		}
		if (cl_oci_propagation(o, &m.propagation) == 0)
			continue;
		if (!strcmp(o, "tmpcopyup")) {
			m.copyup = true;
			continue;
		}
		if (!strcmp(o, "notmpcopyup"))
			continue;
		if (!strcmp(o, "idmap") || !strcmp(o, "ridmap") || !strcmp(o, "copy-symlink") ||
		    !strcmp(o, "remount") || !strcmp(o, "z") || !strcmp(o, "Z") ||
		    !strcmp(o, "recursiveReadOnly") || !strncmp(o, "rro", 3)) {
			cl_oci_bad(x, field, "option '%s' is not supported by cloison", o);
			goto out;
		}
		/* the file system's own (mode=755, size=64m, newinstance, ...) */
		int n = snprintf(data + dlen, sizeof(data) - dlen, "%s%s", dlen ? "," : "", o);
		if (n < 0 || (size_t)n >= sizeof(data) - dlen) {
			cl_oci_bad(x, field, "too long");
			goto out;
		}
		dlen += (size_t)n;
	}
	if (type && !strcmp(type, "bind"))
		m.flags |= MS_BIND;
	if (m.flags & MS_BIND) {
		m.kind = CL_MOUNT_BIND;
		if (!source || !source[0]) {
			snprintf(field, sizeof(field), "mounts[%zu].source", i);
			cl_oci_bad(x, field, "a bind mount needs a source");
			goto out;
		}
		/* relative: from the bundle */
		if (source[0] != '/') {
			char *abs;
			if (asprintf(&abs, "%s/%s", bundle, source) < 0) {
				cl_fail(x->err, ENOMEM, "out of memory");
				goto out;
			}
			free(source);
			source = abs;
		}
		m.readonly = m.flags & MS_RDONLY;
	} else {
		if (!type || !type[0]) {
			snprintf(field, sizeof(field), "mounts[%zu].type", i);
			cl_oci_bad(x, field, "must name a file system type");
			goto out;
		}
		m.type = type;
		m.data = dlen ? data : NULL;
		if (m.copyup && strcmp(type, "tmpfs")) {
			cl_oci_bad(x, field, "tmpcopyup is for tmpfs mounts only");
			goto out;
		}
	}
	m.source = source;
	m.dest = rdest;
	r = cl_spec_add_mount(s, &m, x->err);
out:
	cl_strv_free(opts);
	return r;
}

/* --- hooks ---------------------------------------------------------------- */

static void hook_free(struct cl_oci_hook *h)
{
	free(h->path);
	cl_strv_free(h->args);
	cl_strv_free(h->env);
}

static int parse_hooks(const struct oci_ctx *x, json_object *hooks, struct cl_oci *o)
{
	char field[64];

	for (int k = 0; k < CL_HOOK_N; k++) {
		json_object *a;
		snprintf(field, sizeof(field), "hooks.%s", cl_oci_hook_names[k]);
		if (cl_oci_arr(x, hooks, cl_oci_hook_names[k], field, &a) < 0)
			return -1;
		size_t n = a ? json_object_array_length(a) : 0;
		if (!n)
			continue;
		o->hooks[k] = calloc(n, sizeof(*o->hooks[k]));
		if (!o->hooks[k])
			return cl_fail(x->err, ENOMEM, "out of memory");
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(a, i);
			struct cl_oci_hook *h = &o->hooks[k][o->n_hooks[k]++];
			int64_t t = 0;
			snprintf(field, sizeof(field), "hooks.%s[%zu]", cl_oci_hook_names[k], i);
			if (!e || !json_object_is_type(e, json_type_object))
				return cl_oci_bad(x, field, "must be an object");
			if (cl_oci_str(x, e, "path", field, &h->path) < 0 ||
			    cl_oci_strv(x, e, "args", field, &h->args) < 0 ||
			    cl_oci_strv(x, e, "env", field, &h->env) < 0 ||
			    cl_oci_i64(x, e, "timeout", field, &t) < 0)
				return -1;
			if (!h->path || h->path[0] != '/')
				return cl_oci_bad(x, field, "path must be absolute");
			if (t < 0 || t > 3600)
				return cl_oci_bad(x, field, "timeout out of range (1-3600)");
			h->timeout = (int)t;
		}
	}
	return 0;
}

void cl_oci_free(struct cl_oci *o)
{
	for (int k = 0; k < CL_HOOK_N; k++) {
		for (size_t i = 0; i < o->n_hooks[k]; i++)
			hook_free(&o->hooks[k][i]);
		free(o->hooks[k]);
	}
	if (o->config)
		json_object_put(o->config);
	free(o->bundle);
	free(o->cgroups_path);
	memset(o, 0, sizeof(*o));
}

/* --- the document --------------------------------------------------------- */

static int parse_annotations(const struct oci_ctx *x, json_object *cfg, struct cl_oci *o)
{
	json_object *a;

	if (cl_oci_obj(x, cfg, "annotations", "annotations", &a) < 0)
		return -1;
	o->annotations = a;
	if (!a)
		return 0;
	json_object_object_foreach(a, k, v)
	{
		char field[160];
		snprintf(field, sizeof(field), "annotations.%s", k);
		if (!v || !json_object_is_type(v, json_type_string))
			return cl_oci_bad(x, field, "must be a string");
		if (!strcmp(k, "run.oci.handler")) {
			const char *h = json_object_get_string(v);
			if (!strcmp(h, "vm") || !strcmp(h, "krun"))
				o->vm = true;
			else if (strcmp(h, "") && strcmp(h, "container"))
				return cl_oci_bad(x, field,
						  "unknown handler '%s' (cloison knows vm, "
						  "container)",
						  h);
		}
	}
	return 0;
}

int cl_oci_parse(json_object *cfg, const char *where, struct cl_spec *s, struct cl_oci *o,
		 struct cl_err *err)
{
	static const char *const unsupported[] = {"windows", "solaris", "vm", "zos", NULL};
	const struct oci_ctx X = {where, err}, *x = &X;
	_cleanup_free_ char *version = NULL, *domain = NULL;
	json_object *root, *mounts, *linux_, *hooks;

	if (!cfg || !json_object_is_type(cfg, json_type_object))
		return cl_fail(err, 0, "%s: not a JSON object", where);
	if (cl_oci_str(x, cfg, "ociVersion", "ociVersion", &version) < 0)
		return -1;
	if (!version || strncmp(version, "1.", 2))
		return cl_oci_bad(x, "ociVersion", "'%s': cloison reads runtime-spec 1.x",
				  version ? version : "");
	if (refuse_set(x, cfg, unsupported, "", "a Linux runtime") < 0)
		return -1;
	if (parse_annotations(x, cfg, o) < 0)
		return -1;
	if (cl_oci_process(cl_oci_get(cfg, "process"), where, s, err) < 0)
		return -1;

	if (cl_oci_obj(x, cfg, "root", "root", &root) < 0)
		return -1;
	if (!root || !cl_oci_get(root, "path"))
		return cl_oci_bad(x, "root.path", "must be given");
	if (cl_oci_str(x, root, "path", "root.path", &s->rootfs) < 0 ||
	    cl_oci_bool(x, root, "readonly", "root.readonly", &s->readonly) < 0)
		return -1;
	if (s->rootfs[0] != '/') {
		char *abs;
		if (asprintf(&abs, "%s/%s", o->bundle ? o->bundle : ".", s->rootfs) < 0)
			return cl_fail(err, ENOMEM, "out of memory");
		free(s->rootfs);
		s->rootfs = abs;
	}

	free(s->hostname);
	s->hostname = NULL;
	if (cl_oci_str(x, cfg, "hostname", "hostname", &s->hostname) < 0 ||
	    cl_oci_str(x, cfg, "domainname", "domainname", &domain) < 0)
		return -1;
	if (s->hostname && !s->hostname[0]) {
		free(s->hostname);
		s->hostname = NULL;
	}
	if (domain && domain[0])
		return cl_oci_bad(x, "domainname", "not supported by cloison");

	s->explicit_mounts = true;
	if (cl_oci_arr(x, cfg, "mounts", "mounts", &mounts) < 0)
		return -1;
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++)
		if (parse_mount(x, json_object_array_get_idx(mounts, i), i,
				o->bundle ? o->bundle : ".", s) < 0)
			return -1;
	if (cl_oci_obj(x, cfg, "hooks", "hooks", &hooks) < 0 ||
	    (hooks && parse_hooks(x, hooks, o) < 0))
		return -1;
	if (cl_oci_obj(x, cfg, "linux", "linux", &linux_) < 0)
		return -1;
	if (!linux_)
		return cl_oci_bad(x, "linux", "must be given (a Linux container)");
	if (cl_oci_linux(x, linux_, s, o) < 0)
		return -1;
	/* set in the jail's own uts namespace or in the one it joins (as
	 * runc), never in the host's */
	if (s->hostname && !(s->ns_flags & CLONE_NEWUTS) && !s->ns_path[CL_NS_UTS])
		return cl_oci_bad(x, "hostname", "'%s' needs a uts namespace (linux.namespaces)",
				  s->hostname);
	if (o->vm)
		s->backend = CL_BACKEND_VM;
	s->oci = o;
	return 0;
}

int cl_oci_load(const char *bundle, struct cl_spec *s, struct cl_oci *o, struct cl_err *err)
{
	char path[PATH_MAX + 16], abs[PATH_MAX];
	json_object *cfg;

	memset(o, 0, sizeof(*o));
	if (!realpath(bundle, abs))
		return cl_fail(err, errno, "bundle %s", bundle);
	if (!(o->bundle = strdup(abs)))
		return cl_fail(err, ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/config.json", abs);
	if (access(path, R_OK) < 0)
		return cl_fail(err, errno, "cannot read %s", path);
	cfg = json_object_from_file(path);
	if (!cfg)
		return cl_fail(err, 0, "%s: invalid JSON: %s", path, json_util_get_last_err());
	o->config = cfg;
	return cl_oci_parse(cfg, path, s, o, err);
}

json_object *cl_oci_caps_json(uint64_t caps)
{
	json_object *a = json_object_new_array();

	for (int c = 0; c <= cl_cap_last(); c++)
		if (caps & (1ULL << c)) {
			char *n = cap_to_name(c), up[64];
			size_t k;
			for (k = 0; n && n[k] && k < sizeof(up) - 1; k++)
				up[k] = (char)((n[k] >= 'a' && n[k] <= 'z') ? n[k] - 32 : n[k]);
			up[k] = '\0';
			json_object_array_add(a, json_object_new_string(up));
			cap_free(n);
		}
	return a;
}
