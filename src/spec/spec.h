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
/* CL_MOUNT_FS: any file system type, its flags and data as given (OCI) */
enum cl_mount_kind { CL_MOUNT_BIND = 0, CL_MOUNT_TMPFS, CL_MOUNT_FS };

struct cl_oci;

struct cl_mount {
	enum cl_mount_kind kind;
	char *source; /* bind: host path */
	char *dest;   /* absolute path inside the rootfs */
	bool readonly;
	uint64_t size; /* tmpfs: bytes, 0 = kernel default */
	/* OCI (config.json): bind/rbind and CL_MOUNT_FS */
	char *type;		   /* CL_MOUNT_FS: proc, sysfs, devpts, tmpfs, ... */
	char *data;		   /* the options mount(2) passes on, or NULL */
	unsigned long flags;	   /* MS_* (MS_BIND|MS_REC for rbind) */
	unsigned long propagation; /* MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE
				      (| MS_REC), 0 = as it comes */
	bool flags_given;	   /* @flags as given: no nodev/nosuid added */
	bool copyup;		   /* tmpfs: starts with what the directory held */
};

/* A device node made in the jail's /dev (OCI linux.devices). */
struct cl_device {
	char *path; /* absolute, inside the jail */
	char type;  /* 'c', 'b' or 'p' */
	int64_t major, minor;
	uint32_t mode; /* permission bits, 0 = 0666 */
	uid_t uid;
	gid_t gid;
};

struct cl_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* The namespaces a jail joins instead of making (OCI namespaces[].path). */
enum cl_ns_kind {
	CL_NS_USER,
	CL_NS_MNT,
	CL_NS_PID,
	CL_NS_NET,
	CL_NS_IPC,
	CL_NS_UTS,
	CL_NS_CGROUP,
	CL_NS_TIME,
	CL_NS_N
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
	/* --overlay: the rootfs (and --layer dirs above it, lowest first) as the
	 * read-only lower layers of an overlayfs; the upper layer a tmpfs of
	 * overlay_size bytes (0: the default), or overlay_dir/upper, kept */
	bool overlay;
	uint64_t overlay_size;
	char *overlay_dir;
	char **layers; /* NULL-terminated, or NULL */
	size_t n_layers;

	/* process */
	char **argv; /* NULL-terminated */
	char **env;  /* NULL-terminated KEY=VALUE */
	size_t n_env;
	/* --env-file entries (spec/envfile.h), below env's */
	char **env_file;
	size_t n_env_file;
	char *cwd;
	uid_t uid;
	gid_t gid;
	bool keep_stdin;  /* -i */
	bool tty;	  /* -t */
	bool init;	  /* --init: tiny reaping PID 1 */
	int preserve_fds; /* fds 3..3+N-1 pass through */
	char *hostname;	  /* NULL (OCI, none given): the namespace's is kept */
	gid_t *groups;	  /* supplementary groups (OCI additionalGids) */
	size_t n_groups;
	int umask;	    /* -1: as inherited */
	bool oom_score_set; /* oom_score_adj written */
	int oom_score_adj;
	struct cl_rlimit *rlimits;
	size_t n_rlimits;
	bool new_keyring; /* OCI: a session keyring of its own (runc's default) */
	/* OCI: the document the spec came from, for the hooks the jail's own
	 * process runs (createContainer, startContainer); NULL otherwise */
	const struct cl_oci *oci;
	char **sysctl; /* KEY=VALUE, written below /proc/sys in the jail */

	/* mounts, in order */
	struct cl_mount *mounts;
	size_t n_mounts;
	/* OCI: the mounts are the whole list (no /proc, /sys, /dev of
	 * cloison's own); masked and read-only paths as given, not the
	 * built-in ones; device nodes to make */
	bool explicit_mounts;
	char **masked_paths, **readonly_paths; /* NULL-terminated, or NULL */
	struct cl_device *devices;
	size_t n_devices;
	unsigned long rootfs_propagation; /* MS_* | MS_REC, 0 = private */

	/* namespaces: CLONE_NEW* flags (CLONE_NEWUSER included when userns) */
	int ns_flags;
	char *ns_path[CL_NS_N]; /* join this namespace (OCI path) instead */
	bool explicit_ns;	/* OCI: ns_flags as given, no default added */
	bool userns;		/* --userns (implied when not run by root) */
	bool userns_refused;	/* --userns=false given (--nested refuses it) */
	/* --nested: the jail may make user, mount, pid, net... namespaces of
	 * its own (ns/nested.h); implies userns */
	bool nested;
	struct cl_idmap uid_map[CL_MAX_IDMAPS], gid_map[CL_MAX_IDMAPS];
	size_t n_uid_map, n_gid_map;
	bool idmap_pick; /* map 0 -> a range picked for this jail alone (root, --userns) */

	/* privileges */
	uint64_t caps;	     /* bit N = capability N: bounding; permitted, effective for root */
	uint64_t caps_added; /* named by cap-add: a non-root user gets only these,
				as ambient (as podman); the rest of @caps stays
				in its bounding set */
	bool no_new_privs;
	/* OCI: the five sets as given (@caps is the bounding set then) */
	bool caps_explicit;
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_ambient;

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
	char *vsock; /* --vsock: the host side of the VM's virtio-vsock, a Unix socket */
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
