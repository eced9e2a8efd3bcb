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
#include "cli/svc.h"
#include "ns/container.h"
#include "spec/profile.h"
#include "spec/settings.h"
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
    "Profiles and system call filtering (cloison.profile(5)):\n"
    "  --profile NAME|PATH     apply a profile first: every option below can be\n"
    "                          a profile line; options given override it\n"
    "                          (repeatable; a NAME only in /etc/cloison/profiles,\n"
    "                          " CL_SHAREDIR "/profiles and, not\n"
    "                          installed, the checkout's profiles/; never the\n"
    "                          current directory: name your own by path)\n"
    "  --seccomp default|unconfined|'default-action ACTION'|'allow-abi i386|x32'\n"
    "                          the seccomp policy: Docker's default (the default),\n"
    "                          none, one of your own with its default action, or\n"
    "                          let 32-bit or x32 calls through it (blocked otherwise)\n"
    "  --allow 'SYSCALL... [argN OP VALUE]...'\n"
    "                          let these system calls through (when the arguments\n"
    "                          match: OP is ==, !=, <, <=, >, >= or &); repeatable\n"
    "  --deny 'SYSCALL... [argN OP VALUE]...'\n"
    "                          make them fail with EPERM; repeatable\n"
    "  --syscall 'ACTION SYSCALL... [argN OP VALUE]...'\n"
    "                          any action: allow, deny, errno:N, kill (the thread),\n"
    "                          kill-process, trap (SIGSYS), log; repeatable\n"
    "  --no-new-privileges[=false]\n"
    "                          no set-user-ID or file capability gain (default on)\n"
    "  --learn-seccomp FILE    run CMD under a filter that records every system\n"
    "                          call it makes, then write them to FILE as an\n"
    "                          allow-list profile (use with --profile FILE)\n"
    "\n"
    "Root filesystem and mounts:\n"
    "  --rootfs DIR            root filesystem (default: $CLOISON_ROOTFS, else the\n"
    "                          rootfs 'make run' builds next to the binary, else\n"
    "                          " CL_STATEDIR "/rootfs)\n"
    "  --read-only             mount the rootfs read-only (its mount points must\n"
    "                          exist: nothing is created in it)\n"
    "  --allow-shared-rootfs   run even though other host users can reach the\n"
    "                          writable rootfs (or a writable --bind source) of a\n"
    "                          jail whose root is host root (refused otherwise:\n"
    "                          keep it under a 0700 directory)\n"
    "  --overlay               copy-on-write root: the rootfs is the read-only lower\n"
    "                          layer of an overlayfs, the jail's writes go to a\n"
    "                          tmpfs of its own, gone when it ends\n"
    "  --overlay-size SIZE     that tmpfs's size (default: half of --memory, else\n"
    "                          half of RAM)\n"
    "  --overlay-dir DIR       keep the writes in DIR/upper instead (DIR/work is the\n"
    "                          kernel's; one jail at a time; implies --overlay)\n"
    "  --layer DIR             a read-only layer above the rootfs, later ones on top\n"
    "                          (repeatable; a kept DIR/upper works; implies --overlay)\n"
    "  --bind SRC:DST[:ro|:rw] bind-mount host SRC on DST, recursively (nodev;\n"
    "                          read-only all the way down with :ro)\n"
    "  --tmpfs DST[:size=N]    a tmpfs on DST (N: bytes, or with a K, M, G or T\n"
    "                          suffix, optionally followed by B)\n"
    "\n"
    "Process:\n"
    "  -e, --env KEY=VALUE     set an environment variable (repeatable)\n"
    "  --env-file FILE         KEY=VALUE lines (docker's format, no quotes; a bare\n"
    "                          KEY takes cloison's value; -e wins; repeatable)\n"
    "  -w, --cwd DIR           working directory inside the jail (default /)\n"
    "  -u, --user UID[:GID]    run as this uid and gid inside the jail (default 0:0;\n"
    "                          GID defaults to UID)\n"
    "  --hostname NAME         hostname inside the jail (default cloison)\n"
    "  -i, --interactive       keep stdin attached (otherwise /dev/null)\n"
    "  -t, --tty               allocate a pseudo-terminal (raw mode, window size\n"
    "                          and SIGWINCH forwarded; --vm: the guest's console)\n"
    "  --init                  run a tiny PID 1 that reaps zombies and forwards signals\n"
    "  --preserve-fds N        pass fds 3..3+N-1 to the command (others are closed)\n"
    "\n"
    "Privileges and namespaces:\n"
    "  --cap-add CAP           add a capability (CAP_NET_ADMIN, net_admin, ALL)\n"
    "  --cap-drop CAP          drop a capability (ALL drops every one)\n"
    "  --userns                use a user namespace mapped to an unprivileged id range\n"
    "                          (always on when not run by root: rootless)\n"
    "  --nested                let the jail make namespaces of its own and mount in\n"
    "                          them (cloison, bwrap, Nix or Bazel sandboxes inside);\n"
    "                          implies --userns; see cloison-run(1), NESTED SANDBOXES\n"
    "\n"
    "Network:\n"
    "  --net none|host|bridge[=NAME]|pasta\n"
    "                          none: a new network namespace with only lo, up\n"
    "                          (default); host: share the host's (weaker);\n"
    "                          bridge: eth0 on a veth to bridge NAME (default\n"
    "                          cl-br0, made on demand), an address, a default\n"
    "                          route, /etc/hosts and /etc/resolv.conf (root only;\n"
    "                          an ordinary user gets pasta, with a note);\n"
    "                          IPv6 too: a ULA /64 on the bridge, the jail's address\n"
    "                          derived from its IPv4 one (10.88.0.5: PREFIX::5);\n"
    "                          pasta: eth0 by pasta (Debian's passt), user-mode,\n"
    "                          the host's address, -p through pasta\n"
    "  --ip ADDR[/PREFIX]      the jail's address (default: the next free one)\n"
    "  --subnet ADDR/PREFIX    the subnet of a bridge cloison creates\n"
    "                          (default 10.88.0.0/16, the bridge at .1)\n"
    "  --no-ipv6               bridge mode: IPv4 only (no IPv6 address or route)\n"
    "  -p, --publish [HOSTIP:]HOSTPORT:JAILPORT[/tcp|/udp]\n"
    "                          forward HOSTPORT on the host's IPv4 and IPv6\n"
    "                          addresses (or HOSTIP; IPv6 in brackets: [::1]) to\n"
    "                          the jail's JAILPORT (nftables DNAT; with pasta, its\n"
    "                          port forwarding); repeatable\n"
    "  --no-egress             on the bridge, but nothing beyond it (bridge mode\n"
    "                          jails otherwise get out through the bridge's NAT)\n"
    "  --dns ADDR              nameserver for resolv.conf (default: the host's,\n"
    "                          except loopback ones); repeatable\n"
    "  --add-host NAME:ADDR    an extra /etc/hosts line; repeatable\n"
    "\n"
    "Resources (cgroups: each context gets its own, <cloison's cgroup>/cloison/ID):\n"
    "  (rootless: only in a cgroup2 subtree delegated to the user, e.g. under\n"
    "  systemd-run --user --scope; else a limit is an error; see cloison check)\n"
    "  --memory SIZE           memory limit; the OOM killer ends the command (137)\n"
    "  --memory-swap SIZE|max  memory plus swap (default: = --memory, no swap)\n"
    "  --memory-high SIZE      reclaim and throttle above this (v1: soft limit)\n"
    "  --cpus N.N              CPU time, in CPUs (0.5: 50 ms every 100 ms)\n"
    "  --cpu-weight N          share under contention, 1-10000 (default 100)\n"
    "  --cpuset LIST           run on these CPUs only (0-1,3)\n"
    "  --pids N                at most N processes and threads\n"
    "  --io-weight N           block I/O share, 1-10000 (default 100)\n"
    "  --io-max DEV:rbps=N,wbps=N,riops=N,wiops=N\n"
    "                          block I/O limits on DEV (a path or MAJ:MIN); repeatable\n"
    "  --device-cgroup-rule 'TYPE MAJ:MIN ACCESS'\n"
    "                          also allow this device ('c 10:200 rwm'; only the /dev\n"
    "                          set can be opened or made otherwise); repeatable\n"
    "  --device-cgroup required|none\n"
    "                          refuse to run when the device allow-list cannot\n"
    "                          be installed (default), or run without it (weaker)\n"
    "  --timeout SECONDS       at the deadline: the stop signal (--stop-signal) to\n"
    "                          pid 1, SIGKILL to the whole context after the grace\n"
    "                          period; exit 124\n"
    "  --timeout-grace S       that grace period (default 10; 0: SIGKILL at once)\n"
    "  --name NAME             the context's name: its cgroup is cloison/NAME\n"
    "                          (default: a random ID); one running context per name;\n"
    "                          with -d, the jail's name for the other commands\n"
    "  --cgroup-parent PATH    put the context's cgroup under PATH instead of\n"
    "                          cloison/ (relative: to cloison's own cgroup)\n"
    "  --stats                 print the resources used on exit (stderr)\n"
    "  --stats-json FILE       write them to FILE as JSON\n"
    "\n"
    "Services (detached jails; see cloison-ps(1), cloison-stop(1)...):\n"
    "  -d, --detach            start CMD detached under a monitor of its own: print\n"
    "                          the name and return once CMD is exec'd (its address\n"
    "                          and ports on stderr); its stdout and stderr go to\n"
    "                          its log (cloison logs)\n"
    "  --restart POLICY        no (default), on-failure[:MAX], always or\n"
    "                          unless-stopped: run CMD again when it ends (after\n"
    "                          0.1 s, doubling up to 30 s; back to 0.1 s once a run\n"
    "                          lasted 10 s); never after cloison stop\n"
    "  --stop-signal SIG       what cloison stop and --timeout send first\n"
    "                          (default SIGTERM)\n"
    "  --stop-timeout S        seconds cloison stop waits before SIGKILL (default 10)\n"
    "  --log-max-size SIZE     rotate the log at SIZE (default 10M; 0: never)\n"
    "  --log-max-files N       log files kept, the live one included (default 2)\n"
    "  --sd-notify monitor|container\n"
    "                          under systemd (Type=notify): READY=1 once CMD is\n"
    "                          exec'd (monitor, the default), or when CMD itself\n"
    "                          says so through $NOTIFY_SOCKET (container)\n"
    "\n"
    "Micro-VM mode (the same rootfs and command in a KVM virtual machine; of the\n"
    "options above it honours --rootfs, --read-only, --bind SRC:DST:ro (a read-only\n"
    "copy in the initramfs), -e, -w, -u, --hostname, -i, --init, --timeout,\n"
    "--name (the VMM's cgroup), --net none and -d with its options, and refuses\n"
    "the others by name):\n"
    "  --vm                    run in a micro-VM with its own kernel, not a container\n"
    "  --kernel PATH           guest kernel: bzImage or PVH vmlinux (default: the\n"
    "                          newest /boot/vmlinuz-*-cloud-amd64)\n"
    "  --vcpus N               virtual CPUs (default 1)\n"
    "  --memory SIZE           guest RAM (default 256M)\n"
    "  --disk IMG              boot from this ext4 image (rootfs-tools/mkimage-ext4)\n"
    "  --vsock PATH            a virtio-vsock device, its host side a Unix socket at\n"
    "                          PATH (CONNECT PORT, then OK: Firecracker's protocol)\n"
    "                          instead of an initramfs of --rootfs; --read-only\n"
    "                          attaches it read-only\n"
    "  --force                 boot a stock kernel even where /dev/kvm cannot (PVM);\n"
    "                          a boot that makes no progress for 15 s (no exit to\n"
    "                          the VMM before init) then fails with exit 125\n"
    "\n"
    "Exit status: the command's own; 128+N when killed by signal N; 125 when\n"
    "cloison itself fails, 126 when CMD cannot be executed, 127 when not found;\n"
    "124 at the --timeout deadline; 137 and a message when the OOM killer ends it.\n"
    "SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to the\n"
    "command (as PID 1 it only sees those it handles: use --init).\n";

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

enum {
	OPT_PROFILE = 1,
	OPT_HELP,
	OPT_DETACH,
	OPT_RESTART,
	OPT_STOP_SIGNAL,
	OPT_STOP_TIMEOUT,
	OPT_LOG_MAX_SIZE,
	OPT_LOG_MAX_FILES,
	OPT_SD_NOTIFY,
	OPT_SETTING = 256
};

/* The service options: run -d only, not settings of the jail itself. */
static const struct option svc_options[] = {
    {"detach", no_argument, NULL, OPT_DETACH},
    {"restart", required_argument, NULL, OPT_RESTART},
    {"stop-signal", required_argument, NULL, OPT_STOP_SIGNAL},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"log-max-size", required_argument, NULL, OPT_LOG_MAX_SIZE},
    {"log-max-files", required_argument, NULL, OPT_LOG_MAX_FILES},
    {"sd-notify", required_argument, NULL, OPT_SD_NOTIFY},
};
#define N_SVC_OPTIONS (sizeof(svc_options) / sizeof(svc_options[0]))

/* The long options: every setting (--name), plus the run-only ones. */
static struct option *build_options(char *shorts, size_t shorts_len)
{
	size_t n = 0, i = 0, k = 0;
	struct option *opts;

	for (const struct cl_setting *p = cl_settings_next(NULL); p; p = cl_settings_next(p))
		n++;
	opts = calloc(n + 3 + N_SVC_OPTIONS, sizeof(*opts));
	if (!opts)
		return NULL;
	k += (size_t)snprintf(shorts + k, shorts_len - k, "+:hd");
	for (const struct cl_setting *p = cl_settings_next(NULL); p; p = cl_settings_next(p), i++) {
		bool flag = p->flags & CL_SETTING_FLAG;
		opts[i] = (struct option){p->name, flag ? optional_argument : required_argument,
					  NULL, OPT_SETTING + (int)i};
		if (p->short_opt && k + 3 < shorts_len)
			k += (size_t)snprintf(shorts + k, shorts_len - k, "%c%s", p->short_opt,
					      flag ? "" : ":");
	}
	opts[i++] = (struct option){"profile", required_argument, NULL, OPT_PROFILE};
	opts[i++] = (struct option){"help", no_argument, NULL, OPT_HELP};
	for (size_t j = 0; j < N_SVC_OPTIONS; j++)
		opts[i++] = svc_options[j];
	return opts;
}

static const struct cl_setting *setting_at(int index)
{
	const struct cl_setting *p = cl_settings_next(NULL);

	while (p && index-- > 0)
		p = cl_settings_next(p);
	return p;
}

static const struct cl_setting *setting_by_short(int c)
{
	for (const struct cl_setting *p = cl_settings_next(NULL); p; p = cl_settings_next(p))
		if (p->short_opt == c)
			return p;
	return NULL;
}

struct cli_item {
	const struct cl_setting *set; /* NULL: a profile */
	const char *value;
};

static int parse_svc_option(int o, const char *v, struct cl_run_opts *ro, struct cl_err *err)
{
	struct cl_svc_opts *so = &ro->svc;
	unsigned long n;
	uint64_t size;

	switch (o) {
	case 'd':
	case OPT_DETACH: ro->detach = true; return 0;
	case OPT_RESTART: return cl_svc_parse_restart(v, so, err);
	case OPT_STOP_SIGNAL:
		if ((so->stop_signal = cl_signal_parse(v)) <= 0)
			return cl_fail(err, 0,
				       "--stop-signal %s: not a signal (TERM, SIGINT, 3...)", v);
		return 0;
	case OPT_STOP_TIMEOUT:
		if (cl_setting_uint(v, 0, 86400, &n, err) < 0)
			return cl_fail(err, 0, "--stop-timeout %s: seconds, 0 to 86400", v);
		so->stop_timeout = (unsigned)n;
		return 0;
	case OPT_LOG_MAX_SIZE:
		if (cl_parse_size(v, &size, err) < 0 || (size && size < 4096))
			return cl_fail(
			    err, 0, "--log-max-size %s: a size of 4K or more, or 0 (no limit)", v);
		so->log_max_size = size;
		return 0;
	case OPT_LOG_MAX_FILES:
		if (cl_setting_uint(v, 1, 64, &n, err) < 0)
			return cl_fail(err, 0, "--log-max-files %s: 1 to 64", v);
		so->log_max_files = (unsigned)n;
		return 0;
	case OPT_SD_NOTIFY:
		if (strcmp(v, "container") && strcmp(v, "conmon") && strcmp(v, "monitor"))
			return cl_fail(
			    err, 0,
			    "--sd-notify %s: monitor (READY=1 once the command is exec'd) or "
			    "container (the command says when it is ready)",
			    v);
		so->sd_notify_container = !strcmp(v, "container");
		return 0;
	}
	return 1;
}

/* Fills @s from the command line: profiles first (in order), then the flags,
 * which override them.  Returns 1 after --help. */
int cl_run_parse(struct cl_spec *s, struct cl_run_opts *ro, int argc, char **argv,
		 struct cl_err *err)
{
	_cleanup_free_ struct option *opts = NULL;
	_cleanup_free_ struct cli_item *items = calloc((size_t)argc + 1, sizeof(*items));
	size_t n_items = 0;
	char shorts[64];
	int o;

	if (!items || !(opts = build_options(shorts, sizeof(shorts))))
		return cl_fail(err, ENOMEM, "out of memory");
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		const struct cl_setting *set = NULL;

		if (o == OPT_HELP || o == 'h') {
			fputs(run_usage, stdout);
			return 1;
		}
		if (o == ':')
			return cl_fail(err, 0, "option %s needs a value (see cloison run --help)",
				       argv[optind - 1]);
		if (o == OPT_PROFILE) {
			items[n_items++] = (struct cli_item){NULL, optarg};
			continue;
		}
		int r = parse_svc_option(o, optarg, ro, err);
		if (r <= 0) {
			if (r < 0)
				return -1;
			continue;
		}
		if (o >= OPT_SETTING)
			set = setting_at(o - OPT_SETTING);
		else if (o != '?')
			set = setting_by_short(o);
		if (!set)
			return cl_fail(err, 0, "unknown option %s (see cloison run --help)",
				       argv[optind - 1]);
		items[n_items++] = (struct cli_item){set, optarg};
	}
	for (size_t i = 0; i < n_items; i++)
		if (!items[i].set && cl_profile_apply(s, items[i].value, err) < 0)
			return -1;
	for (size_t i = 0; i < n_items; i++) {
		char where[64];
		if (!items[i].set)
			continue;
		snprintf(where, sizeof(where), "--%s", items[i].set->name);
		if (cl_setting_apply(items[i].set, s, items[i].value, where, err) < 0)
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
	struct cl_run_opts ro = {.svc = CL_SVC_OPTS_INIT};
	struct cl_err err = {0};
	int r, status = CL_EXIT_FAILURE;

	cl_spec_init(&spec);
	r = cl_run_parse(&spec, &ro, argc, argv, &err);
	spec.res.stop_signal = ro.svc.stop_signal; /* what --timeout sends first */
	if (r == 0 && ro.detach)
		r = cl_run_detached(&spec, &ro, argc - 1, argv + 1, &err);
	else if (r == 0 && (r = cl_spec_validate(&spec, &err)) == 0)
		r = spec.backend == CL_BACKEND_VM ? cl_vm_launch(&spec, &status, &err)
						  : cl_container_run(&spec, &status, &err);
	cl_spec_free(&spec);
	if (r < 0) {
		cl_err_print(&err);
		return err.exit_code ? err.exit_code : CL_EXIT_FAILURE;
	}
	return r == 1 || ro.detach ? 0 : status;
}
