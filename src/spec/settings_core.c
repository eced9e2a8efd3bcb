/* The core settings: root filesystem, mounts, process, identity,
 * capabilities, namespaces and the micro-VM back end.  One entry per
 * setting; the CLI (--name) and profiles ("name value") both use it. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "spec/caps.h"
#include "spec/envfile.h"
#include "spec/settings.h"
#include "util/cleanup.h"

#define STR_SETTING(fn, field, dflt)                                                               \
	static int set_##fn(struct cl_spec *s, const char *v, struct cl_err *err)                  \
	{                                                                                          \
		return cl_setting_replace(&s->field, v, err);                                      \
	}                                                                                          \
	static void show_##fn(const struct cl_spec *s, FILE *out)                                  \
	{                                                                                          \
		if (s->field && (!(dflt) || strcmp(s->field, (dflt) ? (dflt) : "") != 0))          \
			fprintf(out, "%s %s\n", #fn, s->field);                                    \
	}

#define BOOL_SETTING(fn, name, field)                                                              \
	static int set_##fn(struct cl_spec *s, const char *v, struct cl_err *err)                  \
	{                                                                                          \
		return cl_setting_bool(v, &s->field, err);                                         \
	}                                                                                          \
	static void show_##fn(const struct cl_spec *s, FILE *out)                                  \
	{                                                                                          \
		if (s->field)                                                                      \
			fprintf(out, "%s\n", name);                                                \
	}

STR_SETTING(rootfs, rootfs, NULL)
STR_SETTING(hostname, hostname, "cloison")
STR_SETTING(cwd, cwd, "/")
STR_SETTING(kernel, kernel, NULL)
STR_SETTING(disk, disk, NULL)
STR_SETTING(vsock, vsock, NULL)
BOOL_SETTING(readonly, "read-only", readonly)
BOOL_SETTING(shared_rootfs, "allow-shared-rootfs", allow_shared_rootfs)
BOOL_SETTING(overlay, "overlay", overlay)
BOOL_SETTING(interactive, "interactive", keep_stdin)
BOOL_SETTING(tty, "tty", tty)
BOOL_SETTING(init, "init", init)
BOOL_SETTING(nested, "nested", nested)
BOOL_SETTING(force, "force", vm_force)

/* --userns=false is remembered: --nested refuses it (validation). */
static int set_userns(struct cl_spec *s, const char *v, struct cl_err *err)
{
	if (cl_setting_bool(v, &s->userns, err) < 0)
		return -1;
	s->userns_refused = !s->userns;
	return 0;
}

static void show_userns(const struct cl_spec *s, FILE *out)
{
	if (s->userns)
		fputs("userns\n", out);
}

/* --overlay-dir and --layer imply --overlay: both only mean something
 * there.  Paths absolute, as a bind source's. */
static int set_overlay_dir(struct cl_spec *s, const char *v, struct cl_err *err)
{
	if (v[0] != '/')
		return cl_fail(err, 0, "'%s' must be an absolute host path", v);
	s->overlay = true;
	return cl_setting_replace(&s->overlay_dir, v, err);
}

static void show_overlay_dir(const struct cl_spec *s, FILE *out)
{
	if (s->overlay_dir)
		fprintf(out, "overlay-dir %s\n", s->overlay_dir);
}

static int set_overlay_size(struct cl_spec *s, const char *v, struct cl_err *err)
{
	uint64_t n;

	if (cl_parse_size(v, &n, err) < 0)
		return -1;
	/* to tmpfs, size=0 is no limit at all */
	if (n < 1 << 20)
		return cl_fail(err, 0, "'%s' is less than 1M (leave it out for the default)", v);
	s->overlay = true;
	s->overlay_size = n;
	return 0;
}

static void show_overlay_size(const struct cl_spec *s, FILE *out)
{
	if (s->overlay_size)
		fprintf(out, "overlay-size %llu\n", (unsigned long long)s->overlay_size);
}

static int set_layer(struct cl_spec *s, const char *v, struct cl_err *err)
{
	/* the kernel stacks at most 500 lower layers; a jail needs a few */
	enum { MAX_LAYERS = 32 };
	char **n;

	if (v[0] != '/')
		return cl_fail(err, 0, "'%s' must be an absolute host path", v);
	if (s->n_layers >= MAX_LAYERS)
		return cl_fail(err, 0, "at most %d layers", MAX_LAYERS);
	n = realloc(s->layers, (s->n_layers + 2) * sizeof(*n));
	if (!n)
		return cl_fail(err, ENOMEM, "out of memory");
	s->layers = n;
	if (!(n[s->n_layers] = strdup(v)))
		return cl_fail(err, ENOMEM, "out of memory");
	n[++s->n_layers] = NULL;
	s->overlay = true;
	return 0;
}

static void show_layer(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->n_layers; i++)
		fprintf(out, "layer %s\n", s->layers[i]);
}

static int set_vm(struct cl_spec *s, const char *v, struct cl_err *err)
{
	bool on;

	if (cl_setting_bool(v, &on, err) < 0)
		return -1;
	s->backend = on ? CL_BACKEND_VM : CL_BACKEND_NS;
	return 0;
}

static void show_vm(const struct cl_spec *s, FILE *out)
{
	if (s->backend == CL_BACKEND_VM)
		fputs("vm\n", out);
}

static int set_user(struct cl_spec *s, const char *arg, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(arg);
	char *colon = dup ? strchr(dup, ':') : NULL;
	unsigned long uid, gid;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	if (colon)
		*colon = '\0';
	if (cl_setting_uint(dup, 0, UINT_MAX - 1, &uid, err) < 0)
		return cl_fail(err, 0, "invalid user '%s': expected UID[:GID] (numbers)", arg);
	gid = uid;
	if (colon && cl_setting_uint(colon + 1, 0, UINT_MAX - 1, &gid, err) < 0)
		return cl_fail(err, 0, "invalid user '%s': expected UID[:GID] (numbers)", arg);
	s->uid = (uid_t)uid;
	s->gid = (gid_t)gid;
	return 0;
}

static void show_user(const struct cl_spec *s, FILE *out)
{
	if (s->uid || s->gid)
		fprintf(out, "user %u:%u\n", (unsigned)s->uid, (unsigned)s->gid);
}

static int set_env(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_spec_add_env(s, v, err);
}

static void show_env(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->n_env; i++)
		fprintf(out, "env %s\n", s->env[i]);
}

/* --env-file (spec/envfile.c) */
static int set_env_file(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_env_file_read(s, v, err);
}

static int set_bind(struct cl_spec *s, const char *arg, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(arg);
	struct cl_mount m = {.kind = CL_MOUNT_BIND};
	char *dst, *opt;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	dst = strchr(dup, ':');
	if (!dst || dst == dup || !dst[1])
		return cl_fail(err, 0, "invalid bind '%s': expected SRC:DST[:ro]", arg);
	*dst++ = '\0';
	opt = strchr(dst, ':');
	if (opt) {
		*opt++ = '\0';
		if (strcmp(opt, "ro") == 0)
			m.readonly = true;
		else if (strcmp(opt, "rw") != 0)
			return cl_fail(err, 0, "invalid bind '%s': option '%s' is not ro or rw",
				       arg, opt);
	}
	m.source = dup;
	m.dest = dst;
	return cl_spec_add_mount(s, &m, err);
}

static void show_bind(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct cl_mount *m = &s->mounts[i];
		if (m->kind == CL_MOUNT_BIND)
			fprintf(out, "bind %s:%s%s\n", m->source, m->dest,
				m->readonly ? ":ro" : "");
	}
}

static int set_tmpfs(struct cl_spec *s, const char *arg, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(arg);
	struct cl_mount m = {.kind = CL_MOUNT_TMPFS};
	char *opt;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	opt = strchr(dup, ':');
	if (opt) {
		*opt++ = '\0';
		if (strncmp(opt, "size=", 5) != 0)
			return cl_fail(err, 0, "invalid tmpfs '%s': expected DST[:size=N]", arg);
		if (cl_parse_size(opt + 5, &m.size, err) < 0)
			return -1;
		/* the kernel reads size=0 as no limit at all */
		if (m.size < 4096)
			return cl_fail(
			    err, 0,
			    "invalid tmpfs '%s': size=%s is less than a page (to the "
			    "kernel, 0 means unlimited: give a real size, or leave size= out for "
			    "its default, half of RAM)",
			    arg, opt + 5);
	}
	if (!dup[0])
		return cl_fail(err, 0, "invalid tmpfs '%s': expected DST[:size=N]", arg);
	m.dest = dup;
	return cl_spec_add_mount(s, &m, err);
}

static void show_tmpfs(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct cl_mount *m = &s->mounts[i];
		if (m->kind != CL_MOUNT_TMPFS)
			continue;
		if (m->size)
			fprintf(out, "tmpfs %s:size=%llu\n", m->dest, (unsigned long long)m->size);
		else
			fprintf(out, "tmpfs %s\n", m->dest);
	}
}

static int set_cap(struct cl_spec *s, const char *arg, bool add, struct cl_err *err)
{
	uint64_t all = cl_caps_bounding(); /* ALL: every capability we can pass on */
	int c;

	if (strcasecmp(arg, "ALL") == 0) {
		s->caps = s->caps_added = add ? all : 0;
		return 0;
	}
	c = cl_cap_from_name(arg);
	if (c < 0 || c > cl_cap_last()) {
		const char *hint = cl_cap_nearest(arg);
		if (hint)
			return cl_fail(err, 0, "unknown capability '%s' (did you mean %s?)", arg,
				       hint);
		return cl_fail(err, 0, "unknown capability '%s'", arg);
	}
	if (add) {
		s->caps |= 1ULL << c;
		s->caps_added |= 1ULL << c;
	} else {
		s->caps &= ~(1ULL << c);
		s->caps_added &= ~(1ULL << c);
	}
	return 0;
}

static int set_cap_add(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return set_cap(s, v, true, err);
}

static int set_cap_drop(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return set_cap(s, v, false, err);
}

static void print_cap(FILE *out, const char *key, int c)
{
	char *name = cap_to_name((cap_value_t)c);

	if (name) {
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		fprintf(out, "%s %s\n", key, name);
		cap_free(name);
	}
}

/* The default set's drops, then the capabilities named by cap-add: read
 * back, that gives the same set and the same added ones (which a non-root
 * user in the jail gets, spec.h). */
static void show_caps(const struct cl_spec *s, FILE *out)
{
	uint64_t dropped = cl_caps_default() & ~s->caps;

	if (dropped == cl_caps_default() && dropped) {
		fputs("cap-drop ALL\n", out);
		dropped = 0;
	}
	for (int c = 0; c <= cl_cap_last(); c++)
		if (dropped & (1ULL << c))
			print_cap(out, "cap-drop", c);
	for (int c = 0; c <= cl_cap_last(); c++)
		if (s->caps_added & (1ULL << c))
			print_cap(out, "cap-add", c);
}

static void show_none(const struct cl_spec *s, FILE *out)
{
	(void)s;
	(void)out;
}

static int set_preserve_fds(struct cl_spec *s, const char *v, struct cl_err *err)
{
	unsigned long n;

	if (cl_setting_uint(v, 0, 1024, &n, err) < 0)
		return -1;
	s->preserve_fds = (int)n;
	return 0;
}

static void show_preserve_fds(const struct cl_spec *s, FILE *out)
{
	if (s->preserve_fds)
		fprintf(out, "preserve-fds %d\n", s->preserve_fds);
}

static int set_vcpus(struct cl_spec *s, const char *v, struct cl_err *err)
{
	unsigned long n;

	if (cl_setting_uint(v, 1, 64, &n, err) < 0)
		return -1;
	s->vcpus = (unsigned)n;
	return 0;
}

static void show_vcpus(const struct cl_spec *s, FILE *out)
{
	if (s->vcpus != 1)
		fprintf(out, "vcpus %u\n", s->vcpus);
}

const struct cl_setting cl_settings_core[] = {
    {"rootfs", 0, 0, "DIR", set_rootfs, show_rootfs, CL_BE_ALL},
    {"read-only", 0, CL_SETTING_FLAG, "true|false", set_readonly, show_readonly, CL_BE_ALL},
    {"allow-shared-rootfs", 0, CL_SETTING_FLAG, "true|false", set_shared_rootfs, show_shared_rootfs,
     CL_BE_NS},
    {"overlay", 0, CL_SETTING_FLAG, "true|false", set_overlay, show_overlay, CL_BE_ALL},
    {"overlay-size", 0, 0, "SIZE", set_overlay_size, show_overlay_size, CL_BE_NS},
    {"overlay-dir", 0, 0, "DIR", set_overlay_dir, show_overlay_dir, CL_BE_NS},
    {"layer", 0, CL_SETTING_REPEAT, "DIR", set_layer, show_layer, CL_BE_NS},
    {"bind", 0, CL_SETTING_REPEAT, "SRC:DST[:ro|:rw]", set_bind, show_bind, CL_BE_ALL},
    {"tmpfs", 0, CL_SETTING_REPEAT, "DST[:size=N]", set_tmpfs, show_tmpfs, CL_BE_NS},
    /* before env, so that its lines come first in a profile shown */
    {"env-file", 0, CL_SETTING_REPEAT, "FILE", set_env_file, cl_env_file_show, CL_BE_ALL},
    {"env", 'e', CL_SETTING_REPEAT, "KEY=VALUE", set_env, show_env, CL_BE_ALL},
    {"cwd", 'w', 0, "DIR", set_cwd, show_cwd, CL_BE_ALL},
    {"user", 'u', 0, "UID[:GID]", set_user, show_user, CL_BE_ALL},
    {"hostname", 0, 0, "NAME", set_hostname, show_hostname, CL_BE_ALL},
    {"interactive", 'i', CL_SETTING_FLAG, "true|false", set_interactive, show_interactive,
     CL_BE_ALL},
    {"tty", 't', CL_SETTING_FLAG, "true|false", set_tty, show_tty, CL_BE_ALL},
    {"init", 0, CL_SETTING_FLAG, "true|false", set_init, show_init, CL_BE_ALL},
    {"preserve-fds", 0, 0, "N", set_preserve_fds, show_preserve_fds, CL_BE_NS},
    {"cap-add", 0, CL_SETTING_REPEAT, "CAP|ALL", set_cap_add, show_caps, CL_BE_NS},
    {"cap-drop", 0, CL_SETTING_REPEAT, "CAP|ALL", set_cap_drop, show_none, CL_BE_NS},
    {"userns", 0, CL_SETTING_FLAG, "true|false", set_userns, show_userns, CL_BE_NS},
    {"nested", 0, CL_SETTING_FLAG, "true|false", set_nested, show_nested, CL_BE_NS},
    {"vm", 0, CL_SETTING_FLAG, "true|false", set_vm, show_vm, CL_BE_ALL},
    {"kernel", 0, 0, "PATH", set_kernel, show_kernel, CL_BE_VM},
    {"vcpus", 0, 0, "N", set_vcpus, show_vcpus, CL_BE_VM},
    {"disk", 0, 0, "IMG", set_disk, show_disk, CL_BE_VM},
    {"vsock", 0, 0, "PATH", set_vsock, show_vsock, CL_BE_VM},
    {"force", 0, CL_SETTING_FLAG, "true|false", set_force, show_force, CL_BE_VM},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
