/* The spec's defaults (one place), its validation, and the small helpers the
 * front ends share to fill it. */
#include "spec/spec.h"

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/caps.h"
#include "spec/envfile.h"
#include "util/cleanup.h"
#include "spec/idmap.h"
#include "spec/settings.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

uint64_t cl_caps_default(void)
{
	static const cap_value_t docker[] = {
	    CAP_CHOWN,	 CAP_DAC_OVERRIDE, CAP_FSETID,		 CAP_FOWNER,
	    CAP_MKNOD,	 CAP_NET_RAW,	   CAP_SETGID,		 CAP_SETUID,
	    CAP_SETFCAP, CAP_SETPCAP,	   CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	    CAP_KILL,	 CAP_AUDIT_WRITE,
	};
	uint64_t set = 0;

	for (size_t i = 0; i < sizeof(docker) / sizeof(docker[0]); i++)
		set |= 1ULL << docker[i];
	return set;
}

void cl_spec_init(struct cl_spec *s)
{
	memset(s, 0, sizeof(*s));
	s->backend = CL_BACKEND_NS;
	s->cwd = strdup("/");
	s->hostname = strdup("cloison");
	s->ns_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
		      CLONE_NEWCGROUP | CLONE_NEWTIME;
	s->caps = cl_caps_default();
	s->no_new_privs = true;
	s->net = CL_NET_NONE;
	s->vcpus = 1;
	s->umask = -1;
	cl_seccomp_policy_init(s);
	cl_resources_init(s);
	cl_netspec_init(s);
}

void cl_spec_free(struct cl_spec *s)
{
	free(s->rootfs);
	free(s->overlay_dir);
	cl_strv_free(s->layers);
	cl_strv_free(s->argv);
	cl_strv_free(s->env);
	cl_strv_free(s->env_file);
	free(s->cwd);
	free(s->hostname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].source);
		free(s->mounts[i].dest);
		free(s->mounts[i].type);
		free(s->mounts[i].data);
	}
	free(s->mounts);
	free(s->groups);
	free(s->rlimits);
	cl_strv_free(s->sysctl);
	cl_strv_free(s->masked_paths);
	cl_strv_free(s->readonly_paths);
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	for (int i = 0; i < CL_NS_N; i++)
		free(s->ns_path[i]);
	free(s->kernel);
	free(s->disk);
	free(s->vsock);
	cl_seccomp_policy_free(s);
	cl_resources_free(s);
	cl_netspec_free(s);
	memset(s, 0, sizeof(*s));
}

int cl_spec_add_env(struct cl_spec *s, const char *kv, struct cl_err *err)
{
	const char *eq = strchr(kv, '=');
	size_t klen;
	char **nv;

	if (!eq || eq == kv)
		return cl_fail(err, 0, "invalid environment entry '%s': expected KEY=VALUE", kv);
	klen = eq - kv + 1;
	/* a later definition of the same key replaces the earlier one */
	for (size_t i = 0; i < s->n_env; i++) {
		if (strncmp(s->env[i], kv, klen) == 0) {
			char *dup = strdup(kv);
			if (!dup)
				return cl_fail(err, ENOMEM, "cannot store environment entry");
			free(s->env[i]);
			s->env[i] = dup;
			return 0;
		}
	}
	nv = realloc(s->env, (s->n_env + 2) * sizeof(*nv));
	if (!nv)
		return cl_fail(err, ENOMEM, "cannot store environment entry");
	s->env = nv;
	if (!(s->env[s->n_env] = strdup(kv)))
		return cl_fail(err, ENOMEM, "cannot store environment entry");
	s->env[++s->n_env] = NULL;
	return 0;
}

int cl_spec_add_mount(struct cl_spec *s, const struct cl_mount *m, struct cl_err *err)
{
	struct cl_mount *nm = realloc(s->mounts, (s->n_mounts + 1) * sizeof(*nm));

	if (!nm)
		return cl_fail(err, ENOMEM, "cannot store mount");
	s->mounts = nm;
	nm = &s->mounts[s->n_mounts];
	*nm = *m;
	nm->source = m->source ? strdup(m->source) : NULL;
	nm->dest = strdup(m->dest);
	nm->type = m->type ? strdup(m->type) : NULL;
	nm->data = m->data ? strdup(m->data) : NULL;
	if (!nm->dest || (m->source && !nm->source) || (m->type && !nm->type) ||
	    (m->data && !nm->data))
		return cl_fail(err, ENOMEM, "cannot store mount");
	s->n_mounts++;
	return 0;
}

int cl_parse_size(const char *str, uint64_t *out, struct cl_err *err)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (!str[0] || !isdigit((unsigned char)str[0]))
		return cl_fail(
		    err, 0,
		    "invalid size '%s': expected a number with an optional K, M, G or T suffix",
		    str);
	v = strtoull(str, &end, 10);
	if (errno)
		return cl_fail(err, 0, "invalid size '%s': out of range", str);
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k':
		shift = 10;
		end++;
		break;
	case 'm':
		shift = 20;
		end++;
		break;
	case 'g':
		shift = 30;
		end++;
		break;
	case 't':
		shift = 40;
		end++;
		break;
	default: end = "x"; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return cl_fail(
		    err, 0,
		    "invalid size '%s': expected a number with an optional K, M, G or T suffix",
		    str);
	if (shift && v > (UINT64_MAX >> shift))
		return cl_fail(err, 0, "invalid size '%s': out of range", str);
	*out = (uint64_t)v << shift;
	return 0;
}

static int valid_hostname(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 64)
		return 0;
	for (const char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return 0;
	return 1;
}

static bool idmap_has(const struct cl_idmap *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].inside && id - m[i].inside < m[i].count)
			return true;
	return false;
}

/* Adds KEY=VALUE unless KEY is already set. */
static int env_default(struct cl_spec *s, const char *kv, struct cl_err *err)
{
	size_t klen = strchr(kv, '=') - kv + 1;

	for (size_t i = 0; i < s->n_env; i++)
		if (strncmp(s->env[i], kv, klen) == 0)
			return 0;
	return cl_spec_add_env(s, kv, err);
}

/* Why a micro-VM cannot honour a container setting, for the refusal. */
static const char *vm_reason(const char *name)
{
	static const struct {
		const char *prefix, *why;
	} why[] = {
	    {"cap-", "runs the command as root of its own kernel, with every capability"},
	    {"preserve-fds", "cannot pass host file descriptors to its guest"},
	    {"userns", "is its own kernel: there is no host user namespace to use"},
	    {"nested",
	     "runs its command as root of its own kernel, which may make namespaces already"},
	    {"tmpfs", "has no tmpfs mounts of its own; use a directory in --rootfs"},
	    {"no-new-privileges", "runs its guest under its own kernel's rules"},
	    {"allow", "filters nothing in its guest: it has its own kernel"},
	    {"deny", "filters nothing in its guest: it has its own kernel"},
	    {"syscall", "filters nothing in its guest: it has its own kernel"},
	    {"learn-seccomp", "filters nothing in its guest: it has its own kernel"},
	    {"overlay-",
	     "has a throw-away copy of the rootfs as its root (--overlay is all it needs)"},
	    {"layer", "gets the rootfs as one copy in its initramfs: merge the layer into it"},

	    {"timeout-grace", "is stopped at once at its --timeout deadline: its guest gets no "
			      "stop signal"},
	};

	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		if (!strncmp(name, why[i].prefix, strlen(why[i].prefix)))
			return why[i].why;
	return "is limited by --memory, its RAM, --vcpus and --timeout only";
}

/* What only the micro-VM back end asks of settings both honour. */
static int vm_validate(const struct cl_spec *s, struct cl_err *err)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct cl_mount *m = &s->mounts[i];

		if (m->kind != CL_MOUNT_BIND)
			continue;
		if (!m->readonly)
			return cl_fail(err, 0,
				       "--bind %s:%s is not supported with --vm: the guest gets a "
				       "read-only copy of %s, say so with :ro",
				       m->source, m->dest, m->source);
		if (s->disk)
			return cl_fail(
			    err, 0,
			    "--bind %s:%s is not supported with --vm --disk (binds travel "
			    "in the initramfs, which a disk root replaces)",
			    m->source, m->dest);
	}
	return 0;
}

int cl_spec_validate(struct cl_spec *s, struct cl_err *err)
{
	struct stat st;

	if (!s->argv || !s->argv[0] || !s->argv[0][0])
		return cl_fail(err, 0, "no command given (cloison run [OPTIONS] -- CMD [ARG...])");
	if (!s->rootfs)
		return cl_fail(err, 0, "no rootfs given (--rootfs DIR)");
	/* each setting names the back ends that honour it: never drop one */
	const struct cl_setting *unsup = cl_settings_unsupported(s);
	if (unsup && s->backend == CL_BACKEND_VM)
		return cl_fail(err, 0, "--%s is not supported with --vm (a micro-VM %s)",
			       unsup->name, vm_reason(unsup->name));
	if (unsup)
		return cl_fail(err, 0, "--%s needs --vm", unsup->name);
	if (s->backend == CL_BACKEND_VM && vm_validate(s, err) < 0)
		return -1;
	if (s->overlay_dir && s->readonly)
		return cl_fail(err, 0,
			       "--overlay-dir with --read-only: the jail writes nothing to keep");
	for (size_t i = 0; i < s->n_layers; i++) {
		if (stat(s->layers[i], &st) < 0)
			return cl_fail(err, errno, "--layer %s", s->layers[i]);
		if (!S_ISDIR(st.st_mode))
			return cl_fail(err, ENOTDIR, "--layer %s", s->layers[i]);
	}
	if (s->cwd[0] != '/')
		return cl_fail(err, 0, "working directory '%s' must be an absolute path", s->cwd);
	if (s->hostname && !valid_hostname(s->hostname))
		return cl_fail(err, 0, "invalid hostname '%s': 1-64 letters, digits, '-' or '.'",
			       s->hostname);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct cl_mount *m = &s->mounts[i];
		if (m->dest[0] != '/')
			return cl_fail(err, 0, "mount destination '%s' must be an absolute path",
				       m->dest);
		if (strcmp(m->dest, "/") == 0)
			return cl_fail(err, 0,
				       "mount destination '/' is the rootfs itself: use --rootfs");
		if (m->kind == CL_MOUNT_BIND && !s->explicit_mounts &&
		    (!m->source || m->source[0] != '/'))
			return cl_fail(err, 0, "bind source '%s' must be an absolute host path",
				       m->source ? m->source : "");
	}
	bool needs_rootfs = !(s->backend == CL_BACKEND_VM && s->disk);
	if (needs_rootfs && stat(s->rootfs, &st) < 0)
		return cl_fail(err, errno, "rootfs %s", s->rootfs);
	if (needs_rootfs && !S_ISDIR(st.st_mode))
		return cl_fail(err, ENOTDIR, "rootfs %s", s->rootfs);
	/* --env-file's entries under -e's */
	if (s->n_env_file && cl_env_file_merge(s, err) < 0)
		return -1;
	/* OCI: the environment as given, but for HOME (as runc) */
	if ((!s->explicit_ns &&
	     env_default(s, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			 err) < 0) ||
	    env_default(s, s->uid == 0 ? "HOME=/root" : "HOME=/", err) < 0 ||
	    (s->tty && env_default(s, "TERM=xterm", err) < 0))
		return -1;
	if (s->preserve_fds < 0 || s->preserve_fds > 1024)
		return cl_fail(err, 0, "--preserve-fds %d out of range (0-1024)", s->preserve_fds);
	/* OCI: the namespaces as listed (a network namespace or not) */
	if (s->explicit_ns)
		s->net = (s->ns_flags & CLONE_NEWNET) || s->ns_path[CL_NS_NET] ? CL_NET_NONE
									       : CL_NET_HOST;
	else if (s->net == CL_NET_HOST)
		s->ns_flags &= ~CLONE_NEWNET;
	else
		s->ns_flags |= CLONE_NEWNET;
	/* --nested: the jail's root is root of a user namespace of its own,
	 * never host root, whatever else it may make */
	if (s->nested) {
		if (s->userns_refused)
			return cl_fail(err, 0,
				       "--nested needs a user namespace (nested namespaces are "
				       "made by the jail's root, which must not be host root): it "
				       "cannot go with --userns=false");
		s->userns = true;
		s->seccomp.nested = true;
	}
	/* Not root: a user namespace is the only way in (rootless). */
	if (geteuid() != 0 && !s->explicit_ns)
		s->userns = true;
	if (s->userns) {
		s->ns_flags |= CLONE_NEWUSER;
		if (s->n_uid_map == 0 && cl_idmap_default(s, err) < 0)
			return -1;
		if (!idmap_has(s->uid_map, s->n_uid_map, s->uid))
			return cl_fail(err, 0,
				       "uid %u is not mapped in the user namespace (it maps %u-%u)",
				       (unsigned)s->uid, s->uid_map[0].inside,
				       s->uid_map[0].inside + s->uid_map[0].count - 1);
		if (!idmap_has(s->gid_map, s->n_gid_map, s->gid))
			return cl_fail(err, 0,
				       "gid %u is not mapped in the user namespace (it maps %u-%u)",
				       (unsigned)s->gid, s->gid_map[0].inside,
				       s->gid_map[0].inside + s->gid_map[0].count - 1);
	}
	uint64_t missing = s->caps & ~cl_caps_bounding();
	if (missing && s->backend == CL_BACKEND_NS) {
		char *name = cap_to_name(__builtin_ctzll(missing));
		cl_fail(err, 0, "capability %s is not in cloison's own bounding set on this host",
			name);
		cap_free(name);
		return -1;
	}
	if (s->backend == CL_BACKEND_VM) {
		if (!s->memory)
			s->memory = 256ULL << 20;
		if (s->memory < (32ULL << 20) || s->memory > (3ULL << 30))
			return cl_fail(err, 0,
				       "--memory %llu MiB out of range for a micro-VM (32M-3G)",
				       (unsigned long long)(s->memory >> 20));
	}
	if (s->vcpus < 1 || s->vcpus > 64)
		return cl_fail(err, 0, "--vcpus %u out of range (1-64)", s->vcpus);
	if (cl_seccomp_policy_validate(s, err) < 0 || cl_resources_validate(s, err) < 0 ||
	    cl_netspec_validate(s, err) < 0)
		return -1;
	return 0;
}
