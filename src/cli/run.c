/* cloison run: the CLI front end of the spec. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "spec/caps.h"
#include "ns/container.h"
#include "spec/spec.h"
#include "vm/launch.h"
#include "util/cleanup.h"

static const char run_usage[] =
	"Usage: cloison run [OPTIONS] -- CMD [ARG...]\n"
	"\n"
	"Run CMD in a new jail: namespaces (pid, mount, net, uts, ipc, cgroup, time;\n"
	"user with --userns or when not run by root), pivot_root onto the rootfs,\n"
	"capabilities trimmed to Docker's default set, no_new_privs.\n"
	"\n"
	"Root filesystem and mounts:\n"
	"  --rootfs DIR            root filesystem (default: $CLOISON_ROOTFS, else the\n"
	"                          rootfs 'make run' builds next to the binary, else\n"
	"                          " CL_STATEDIR "/rootfs)\n"
	"  --read-only             mount the rootfs read-only\n"
	"  --bind SRC:DST[:ro|:rw] bind-mount host SRC on DST, recursively (nodev;\n"
	"                          read-only all the way down with :ro)\n"
	"  --tmpfs DST[:size=N]    a tmpfs on DST (N: bytes, or with a K, M, G or T\n"
	"                          suffix, optionally followed by B)\n"
	"\n"
	"Process:\n"
	"  -e, --env KEY=VALUE     set an environment variable (repeatable)\n"
	"  -w, --cwd DIR           working directory inside the jail (default /)\n"
	"  -u, --user UID[:GID]    run as this uid and gid inside the jail (default 0:0;\n"
	"                          GID defaults to UID)\n"
	"  --hostname NAME         hostname inside the jail (default cloison)\n"
	"  -i, --interactive       keep stdin attached (otherwise /dev/null)\n"
	"  -t, --tty               allocate a pseudo-terminal (raw mode, window size\n"
	"                          and SIGWINCH forwarded)\n"
	"  --init                  run a tiny PID 1 that reaps zombies and forwards signals\n"
	"  --preserve-fds N        pass fds 3..3+N-1 to the command (others are closed)\n"
	"\n"
	"Privileges and namespaces:\n"
	"  --cap-add CAP           add a capability (CAP_NET_ADMIN, net_admin, ALL)\n"
	"  --cap-drop CAP          drop a capability (ALL drops every one)\n"
	"  --userns                use a user namespace mapped to an unprivileged id range\n"
	"                          (always on when not run by root: rootless)\n"
	"  --net none|host         none: a new network namespace with only lo, up\n"
	"                          (default); host: share the host's (weaker)\n"
	"\n"
	"Micro-VM mode (the same rootfs and command in a KVM virtual machine):\n"
	"  --vm                    run in a micro-VM with its own kernel, not a container\n"
	"  --kernel PATH           guest kernel: bzImage or PVH vmlinux (default: the\n"
	"                          newest /boot/vmlinuz-*-cloud-amd64)\n"
	"  --vcpus N               virtual CPUs (default 1)\n"
	"  --memory SIZE           guest RAM (default 256M)\n"
	"  --disk IMG              boot from this ext4 image (rootfs-tools/mkimage-ext4)\n"
	"                          instead of an initramfs of --rootfs; --read-only\n"
	"                          attaches it read-only\n"
	"  --force                 boot a stock kernel even where /dev/kvm cannot (PVM)\n"
	"\n"
	"Exit status: the command's own; 128+N when killed by signal N; 125 when\n"
	"cloison itself fails, 126 when CMD cannot be executed, 127 when not found.\n"
	"SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to the\n"
	"command (as PID 1 it only sees those it handles: use --init).\n";

enum {
	OPT_ROOTFS = 256, OPT_HOSTNAME, OPT_READONLY, OPT_BIND, OPT_TMPFS, OPT_CAPADD, OPT_CAPDROP,
	OPT_NET, OPT_INIT, OPT_PRESERVE, OPT_USERNS, OPT_VM, OPT_KERNEL, OPT_VCPUS, OPT_MEMORY,
	OPT_DISK, OPT_FORCE,
};

static const struct option run_options[] = {
	{ "rootfs", required_argument, NULL, OPT_ROOTFS },
	{ "hostname", required_argument, NULL, OPT_HOSTNAME },
	{ "read-only", no_argument, NULL, OPT_READONLY },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "tmpfs", required_argument, NULL, OPT_TMPFS },
	{ "user", required_argument, NULL, 'u' },
	{ "env", required_argument, NULL, 'e' },
	{ "cwd", required_argument, NULL, 'w' },
	{ "cap-add", required_argument, NULL, OPT_CAPADD },
	{ "cap-drop", required_argument, NULL, OPT_CAPDROP },
	{ "net", required_argument, NULL, OPT_NET },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "init", no_argument, NULL, OPT_INIT },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
	{ "userns", no_argument, NULL, OPT_USERNS },
	{ "vm", no_argument, NULL, OPT_VM },
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "vcpus", required_argument, NULL, OPT_VCPUS },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int replace(char **field, const char *value, struct cl_err *err)
{
	char *d = strdup(value);

	if (!d)
		return cl_fail(err, ENOMEM, "out of memory");
	free(*field);
	*field = d;
	return 0;
}

static int parse_uint(const char *str, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!str[0] || str[0] == '-')
		return -1;
	*out = strtoul(str, &end, 10);
	return (errno || *end || *out > max) ? -1 : 0;
}

static int parse_user(struct cl_spec *s, const char *arg, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(arg);
	char *colon = dup ? strchr(dup, ':') : NULL;
	unsigned long uid, gid;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	if (colon)
		*colon = '\0';
	if (parse_uint(dup, UINT_MAX - 1, &uid) < 0)
		return cl_fail(err, 0, "invalid --user '%s': expected UID[:GID] (numbers)", arg);
	gid = uid;
	if (colon && parse_uint(colon + 1, UINT_MAX - 1, &gid) < 0)
		return cl_fail(err, 0, "invalid --user '%s': expected UID[:GID] (numbers)", arg);
	s->uid = (uid_t)uid;
	s->gid = (gid_t)gid;
	return 0;
}

static int parse_bind(struct cl_spec *s, const char *arg, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(arg);
	struct cl_mount m = { .kind = CL_MOUNT_BIND };
	char *dst, *opt;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	dst = strchr(dup, ':');
	if (!dst || dst == dup || !dst[1])
		return cl_fail(err, 0, "invalid --bind '%s': expected SRC:DST[:ro]", arg);
	*dst++ = '\0';
	opt = strchr(dst, ':');
	if (opt) {
		*opt++ = '\0';
		if (strcmp(opt, "ro") == 0)
			m.readonly = true;
		else if (strcmp(opt, "rw") != 0)
			return cl_fail(err, 0, "invalid --bind '%s': option '%s' is not ro or rw", arg, opt);
	}
	m.source = dup;
	m.dest = dst;
	return cl_spec_add_mount(s, &m, err);
}

static int parse_tmpfs(struct cl_spec *s, const char *arg, struct cl_err *err)
{
	_cleanup_free_ char *dup = strdup(arg);
	struct cl_mount m = { .kind = CL_MOUNT_TMPFS };
	char *opt;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	opt = strchr(dup, ':');
	if (opt) {
		*opt++ = '\0';
		if (strncmp(opt, "size=", 5) != 0)
			return cl_fail(err, 0, "invalid --tmpfs '%s': expected DST[:size=N]", arg);
		if (cl_parse_size(opt + 5, &m.size, err) < 0)
			return cl_wrap(err, "--tmpfs %s", arg);
	}
	m.dest = dup;
	return cl_spec_add_mount(s, &m, err);
}

static int parse_cap(struct cl_spec *s, const char *arg, bool add, struct cl_err *err)
{
	uint64_t all = cl_caps_bounding(); /* ALL: every capability we can pass on */
	int c;

	if (strcasecmp(arg, "ALL") == 0) {
		s->caps = add ? all : 0;
		return 0;
	}
	c = cl_cap_from_name(arg);
	if (c < 0 || c > cl_cap_last())
		return cl_fail(err, 0, "unknown capability '%s'", arg);
	if (add)
		s->caps |= 1ULL << c;
	else
		s->caps &= ~(1ULL << c);
	return 0;
}

static char *default_rootfs(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 16];
	const char *env = getenv("CLOISON_ROOTFS");
	ssize_t n;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(path, sizeof(path), "%s/rootfs", exe);
			if (access(path, F_OK) == 0)
				return strdup(path);
		}
	}
	return strdup(CL_STATEDIR "/rootfs");
}

/* Fills @s from the command line; returns 1 after --help. */
static int parse_run(struct cl_spec *s, int argc, char **argv, struct cl_err *err)
{
	unsigned long v;
	int o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:e:w:u:ith", run_options, NULL)) != -1) {
		int r = 0;
		switch (o) {
		case OPT_ROOTFS: r = replace(&s->rootfs, optarg, err); break;
		case OPT_HOSTNAME: r = replace(&s->hostname, optarg, err); break;
		case OPT_READONLY: s->readonly = true; break;
		case OPT_BIND: r = parse_bind(s, optarg, err); break;
		case OPT_TMPFS: r = parse_tmpfs(s, optarg, err); break;
		case 'u': r = parse_user(s, optarg, err); break;
		case 'e': r = cl_spec_add_env(s, optarg, err); break;
		case 'w': r = replace(&s->cwd, optarg, err); break;
		case OPT_CAPADD: r = parse_cap(s, optarg, true, err); break;
		case OPT_CAPDROP: r = parse_cap(s, optarg, false, err); break;
		case OPT_NET:
			if (strcmp(optarg, "none") == 0)
				s->net = CL_NET_NONE;
			else if (strcmp(optarg, "host") == 0)
				s->net = CL_NET_HOST;
			else
				r = cl_fail(err, 0, "invalid --net '%s': expected none or host", optarg);
			break;
		case 'i': s->keep_stdin = true; break;
		case 't': s->tty = true; break;
		case OPT_INIT: s->init = true; break;
		case OPT_PRESERVE:
			if (parse_uint(optarg, 1024, &v) < 0)
				r = cl_fail(err, 0, "invalid --preserve-fds '%s': expected 0-1024", optarg);
			s->preserve_fds = (int)v;
			break;
		case OPT_USERNS: s->userns = true; break;
		case OPT_VM: s->backend = CL_BACKEND_VM; break;
		case OPT_KERNEL: r = replace(&s->kernel, optarg, err); break;
		case OPT_VCPUS:
			if (parse_uint(optarg, 64, &v) < 0 || v == 0)
				r = cl_fail(err, 0, "invalid --vcpus '%s': expected 1-64", optarg);
			s->vcpus = (unsigned)v;
			break;
		case OPT_MEMORY:
			r = cl_parse_size(optarg, &s->memory, err);
			if (r < 0)
				cl_wrap(err, "--memory");
			break;
		case OPT_DISK: r = replace(&s->disk, optarg, err); break;
		case OPT_FORCE: s->vm_force = true; break;
		case 'h': fputs(run_usage, stdout); return 1;
		case ':': return cl_fail(err, 0, "option %s needs a value (see cloison run --help)", argv[optind - 1]);
		default: return cl_fail(err, 0, "unknown option %s (see cloison run --help)", argv[optind - 1]);
		}
		if (r < 0)
			return -1;
	}
	if (optind >= argc)
		return cl_fail(err, 0, "no command given (cloison run [OPTIONS] -- CMD [ARG...])");
	s->argv = calloc((size_t)(argc - optind + 1), sizeof(char *));
	if (!s->argv)
		return cl_fail(err, ENOMEM, "out of memory");
	for (int i = optind; i < argc; i++)
		if (!(s->argv[i - optind] = strdup(argv[i])))
			return cl_fail(err, ENOMEM, "out of memory");
	if (!s->rootfs && !(s->rootfs = default_rootfs()))
		return cl_fail(err, ENOMEM, "out of memory");
	return 0;
}

int cl_cmd_run(int argc, char **argv)
{
	struct cl_spec spec;
	struct cl_err err = { 0 };
	int r, status = CL_EXIT_FAILURE;

	cl_spec_init(&spec);
	r = parse_run(&spec, argc, argv, &err);
	if (r == 0)
		r = cl_spec_validate(&spec, &err);
	if (r == 0)
		r = spec.backend == CL_BACKEND_VM ? cl_vm_launch(&spec, &status, &err)
						  : cl_container_run(&spec, &status, &err);
	cl_spec_free(&spec);
	if (r < 0) {
		cl_err_print(&err);
		return err.exit_code ? err.exit_code : CL_EXIT_FAILURE;
	}
	return r == 1 ? 0 : status;
}
