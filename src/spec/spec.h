/* The spec: one description of an isolated context, realised by either back
 * end.  It mirrors the OCI runtime-spec model.  Front ends (CLI flags, profiles,
 * config.json) fill it; cl_spec_init() sets every default in one place;
 * cl_spec_validate() checks it; back ends only read it. */
#ifndef CL_SPEC_H
#define CL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "spec/netspec.h"
#include "spec/resources.h"
#include "spec/seccomp_policy.h"
#include "util/error.h"

enum cl_backend { CL_BACKEND_NS = 0, CL_BACKEND_VM };
enum cl_mount_kind { CL_MOUNT_BIND = 0, CL_MOUNT_TMPFS };

struct cl_mount {
	enum cl_mount_kind kind;
	char *source; /* bind: host path */
	char *dest;   /* absolute path inside the rootfs */
	bool readonly;
	uint64_t size; /* tmpfs: bytes, 0 = kernel default */
};

struct cl_idmap {
	uint32_t inside, outside, count;
};

#define CL_MAX_IDMAPS 5 /* the kernel's own limit for unprivileged writers */

struct cl_spec {
	enum cl_backend backend;

	/* root */
	char *rootfs;
	bool readonly;
	bool allow_shared_rootfs; /* run (and warn) though other host users can
				     reach a rootfs the jail's host root writes */

	/* process */
	char **argv; /* NULL-terminated */
	char **env;  /* NULL-terminated KEY=VALUE */
	size_t n_env;
	char *cwd;
	uid_t uid;
	gid_t gid;
	bool keep_stdin;  /* -i */
	bool tty;	  /* -t */
	bool init;	  /* --init: tiny reaping PID 1 */
	int preserve_fds; /* fds 3..3+N-1 pass through */
	char *hostname;

	/* mounts, in order */
	struct cl_mount *mounts;
	size_t n_mounts;

	/* namespaces: CLONE_NEW* flags (CLONE_NEWUSER included when userns) */
	int ns_flags;
	bool userns; /* --userns (implied when not run by root) */
	struct cl_idmap uid_map[CL_MAX_IDMAPS], gid_map[CL_MAX_IDMAPS];
	size_t n_uid_map, n_gid_map;
	bool idmap_pick; /* map 0 -> a range picked for this jail alone (root, --userns) */

	/* privileges */
	uint64_t caps;	     /* bit N = capability N: bounding; permitted, effective for root */
	uint64_t caps_added; /* named by cap-add: a non-root user gets only these,
				as ambient (as podman); the rest of @caps stays
				in its bounding set */
	bool no_new_privs;

	/* seccomp (spec/seccomp_policy.h) */
	struct cl_seccomp_policy seccomp;

	/* network (spec/netspec.h) */
	enum cl_net_mode net;
	struct cl_netspec netcfg;

	/* cgroup limits (spec/resources.h) */
	struct cl_resources res;

	/* bytes of memory: a container's cgroup limit (0 = none), a micro-VM's
	 * guest RAM (0 = 256M) */
	uint64_t memory;

	/* micro-VM back end */
	char *kernel;
	unsigned vcpus;
	char *disk;
	bool vm_force;

	/* which settings (spec/settings.h) were given, by their position over
	 * all the tables: cl_spec_validate() refuses those the back end cannot
	 * honour */
#define CL_SPEC_MAX_SETTINGS 128
	uint64_t settings_used[CL_SPEC_MAX_SETTINGS / 64];
};

/* The Docker/crun default capability set. */
uint64_t cl_caps_default(void);

void cl_spec_init(struct cl_spec *s);
void cl_spec_free(struct cl_spec *s);
/* Checks the spec is whole and consistent; fills host-dependent defaults
 * (rootless user namespace and id maps).  Errors name the offending field. */
int cl_spec_validate(struct cl_spec *s, struct cl_err *err);

int cl_spec_add_env(struct cl_spec *s, const char *kv, struct cl_err *err);
int cl_spec_add_mount(struct cl_spec *s, const struct cl_mount *m, struct cl_err *err);

/* Parse a size such as 64M, 1g, 4096 into bytes. */
int cl_parse_size(const char *str, uint64_t *out, struct cl_err *err);

#endif
