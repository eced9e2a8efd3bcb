/* cloison bench: the same workloads, from the same static binary
 * (cloison-bench-work, src/bench/work.c), directly on the host, in a
 * container and in a micro-VM, each with cloison's defaults; the places
 * take turns run by run so that drift hits all three alike.
 *
 * A context runs the workload binary once with every in-context workload
 * selected (a second one, "disk", for the file I/O that needs a disk: a
 * bind in the container, an ext4 image on virtio-blk in the VM); start-up
 * and density are timed and counted from out here.  Output: cli/bench_report.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench.h"
#include "cli/cli.h"
#include "ns/cgroup.h"
#include "spec/spec.h"
#include "util/error.h"
#include "util/sha256.h"
#include "vm/launch.h"
#include "vm/vm.h"

const char *const cl_bench_place_names[CL_BP_N] = {"host", "container", "vm"};

const struct cl_bench_metric cl_bench_metrics[] = {
    {"startup-p50", "startup", "ms", "launch to exit of a static true: median", false, CL_BG_NONE},
    {"startup-p99", "startup", "ms", "launch to exit of a static true: 99th percentile", false,
     CL_BG_NONE},
    {"exec", "exec", "ms",
     "cloison exec of a static true into a running context (a VM: its guest agent)", false,
     CL_BG_NONE},
    {"density", "density", "contexts", "idle contexts started in a 1 GiB memory cgroup", true,
     CL_BG_NONE},
    {"idle-memory", "density", "MiB", "memory charged per idle context (cgroup)", false,
     CL_BG_NONE},
    {"cloison-memory", "density", "MiB",
     "cloison's own processes per context (PSS; a VMM's holds its guest's RAM)", false, CL_BG_NONE},
    {"getppid", "getppid", "ns/call", "getppid(2) (the seccomp filter's cost per call)", false,
     CL_BG_SYSCALL},
    {"openclose", "openclose", "ns/pair", "open(2) + close(2) of a file on a tmpfs", false,
     CL_BG_SYSCALL},
    {"walk", "walk", "ns/entry", "readdir + fstatat over 2,000 entries on a tmpfs", false,
     CL_BG_SYSCALL},
    {"forkexec", "forkexec", "us/process", "fork + execve + wait of a static binary", false,
     CL_BG_NONE},
    {"faults", "faults", "ns/fault", "first touch of fresh anonymous memory, 4 KiB pages", false,
     CL_BG_FAULTS},
    {"sha256", "sha256", "MiB/s", "SHA-256 over a buffer in memory", true, CL_BG_CPU},
    {"memcpy", "memcpy", "MiB/s", "memcpy between two buffers", true, CL_BG_MEM},
    {"tmpfs-write", "tmpfs", "MiB/s", "sequential write + fsync on a tmpfs", true, CL_BG_IO},
    {"tmpfs-read", "tmpfs", "MiB/s", "sequential read back from the tmpfs", true, CL_BG_IO},
    {"disk-write", "disk", "MiB/s",
     "sequential write + fsync on a disk (a bind; an ext4 image on virtio-blk in the VM)", true,
     CL_BG_IO},
    {"disk-read", "disk", "MiB/s", "sequential read back (its page cache dropped)", true, CL_BG_IO},
    {"fsync", "fsync", "us/op", "a 4 KiB write + fdatasync on the disk", false, CL_BG_IO},
    {"tcp-stream", "tcp", "MiB/s",
     "TCP to a peer on the host (loopback; the bridge for a container)", true, CL_BG_NONE},
    {"tcp-rr", "tcp", "us/round-trip", "1-byte TCP request/response with that peer", false,
     CL_BG_NONE},
    {"exit-pio", "vmexits", "ns/exit",
     "VM exit to cloison's VMM and back: port I/O (a UART register; cloison's test guest)", false,
     CL_BG_NONE},
    {"exit-mmio", "vmexits", "ns/exit", "VM exit to the VMM and back: MMIO (a virtio register)",
     false, CL_BG_NONE},
    {"exit-cpuid", "vmexits", "ns/exit", "VM exit handled in the kernel: cpuid", false, CL_BG_NONE},
};
const size_t cl_bench_n_metrics = sizeof(cl_bench_metrics) / sizeof(cl_bench_metrics[0]);

/* what --only takes: workloads, and groups of them */
static const char *const workloads[] = {
    "startup", "exec",	 "density", "getppid", "openclose", "walk", "forkexec", "faults",
    "sha256",  "memcpy", "tmpfs",   "disk",    "fsync",	    "tcp",  "vmexits",	NULL};
static const struct {
	const char *name, *list;
} aliases[] = {{"syscalls", "getppid,openclose,walk"},
	       {"cpu", "sha256"},
	       {"memory", "memcpy"},
	       {"io", "tmpfs,disk,fsync"},
	       {"net", "tcp"},
	       {"all", "startup,exec,density,getppid,openclose,walk,forkexec,faults,sha256,memcpy,"
		       "tmpfs,disk,fsync,tcp,vmexits"}};

#define NW (sizeof(workloads) / sizeof(workloads[0]) - 1)
_Static_assert(NW == CL_BENCH_NW, "CL_BENCH_NW is the number of workloads");

static const char usage[] =
    "Usage: cloison bench [--rootfs DIR] [--kernel K] [--only LIST] [--runs N]\n"
    "                     [--size MIB] [--startup-runs N] [--dir DIR]\n"
    "                     [--density-max N] [--label TEXT]\n"
    "                     [--json FILE] [--svg FILE]\n"
    "       cloison bench --peer IPV4\n"
    "\n"
    "Run the same workloads directly on the host, in a container and in a\n"
    "micro-VM (each with cloison's defaults), the places taking turns run by\n"
    "run, and print each figure with its percentage of the host's.\n"
    "\n"
    "  --rootfs DIR       the rootfs of the container and the VM (default: run's)\n"
    "  --kernel K         the VM's guest kernel (default: run --vm's)\n"
    "  --only LIST        workloads, comma-separated: startup, exec, density, getppid,\n"
    "                     openclose, walk, forkexec, faults, sha256, memcpy, tmpfs,\n"
    "                     disk, fsync, tcp, vmexits; or groups: syscalls, cpu,\n"
    "                     memory, io, net, all (the default)\n"
    "  --runs N           runs of each workload in each place (default 5)\n"
    "                     (1 to 100000; --size up to 65536)\n"
    "  --startup-runs N   launches of the start-up workload per run (default 20)\n"
    "  --size MIB         the buffers and files of the memory, CPU and I/O\n"
    "                     workloads (default 256; loop counts follow)\n"
    "  --dir DIR          where the bench's private directory goes: the disk\n"
    "                     workloads write there, the VM's disk image too\n"
    "                     (default /var/tmp; root's, or sticky)\n"
    "  --density-max N    stop counting idle contexts at N (default 200)\n"
    "  --label TEXT       say where the figures come from (\"nested emulation\")\n"
    "  --json FILE        every sample, the host facts and the goals, as JSON\n"
    "  --svg FILE         a bar chart: one group per workload, host = 100 %\n"
    "  --peer IPV4        only serve the tcp workload's peer, on IPV4 and\n"
    "                     127.0.0.1, until SIGINT or SIGTERM: for running\n"
    "                     cloison-bench-work elsewhere (another VMM's guest)\n"
    "                     with the same peer; prints its port, token and the\n"
    "                     workload binary's path\n"
    "  -h, --help         this text\n"
    "\n"
    "Where /dev/kvm cannot boot Linux (PVM), the VM column says so; make\n"
    "bench-nested runs the whole bench in a guest with emulated AMD-V.\n"
    "See cloison-bench(1).\n";

volatile sig_atomic_t cl_bench_stopping;
static void on_signal(int sig)
{
	(void)sig;
	cl_bench_stopping = 1;
}

double cl_bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int widx(const char *name)
{
	for (size_t i = 0; i < NW; i++)
		if (!strcmp(workloads[i], name))
			return (int)i;
	return -1;
}

static int select_list(struct cl_bench_ctx *c, const char *list, struct cl_err *err)
{
	char buf[512], *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return cl_fail(err, 0, "--only: list too long");
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i = widx(t);
		size_t a;

		if (i >= 0) {
			c->sel[i] = true;
			continue;
		}
		for (a = 0; a < sizeof(aliases) / sizeof(aliases[0]); a++)
			if (!strcmp(aliases[a].name, t))
				break;
		if (a == sizeof(aliases) / sizeof(aliases[0]))
			return cl_fail(
			    err, 0, "--only: unknown workload '%s' (see cloison bench --help)", t);
		if (select_list(c, aliases[a].list, err) < 0)
			return -1;
	}
	return 0;
}

static bool sel(const struct cl_bench_ctx *c, const char *w)
{
	int i = widx(w);

	return i >= 0 && c->sel[i];
}

static int metric_index(const char *name)
{
	for (size_t m = 0; m < cl_bench_n_metrics; m++)
		if (!strcmp(cl_bench_metrics[m].name, name))
			return (int)m;
	return -1;
}

struct cl_bench_series *cl_bench_series_of(struct cl_bench_ctx *c, const char *metric, int place)
{
	int m = metric_index(metric);

	return m < 0 ? NULL : &c->b->s[m][place];
}

void cl_bench_add(struct cl_bench_series *s, double v)
{
	if (s->status == CL_BS_FAILED || s->status == CL_BS_MISSING)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv)
			return;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	s->status = CL_BS_OK;
}

/* A failed place stays failed: never a fast number from a broken run. */
void cl_bench_set_failed(struct cl_bench_series *s, const char *why)
{
	if (s->status == CL_BS_FAILED || s->status == CL_BS_MISSING)
		return;
	s->status = CL_BS_FAILED;
	snprintf(s->why, sizeof(s->why), "%.511s", why);
}

void cl_bench_set_status(struct cl_bench_ctx *c, const char *workload, int place,
			 enum cl_bench_status st, const char *why)
{
	for (size_t m = 0; m < cl_bench_n_metrics; m++)
		if (!strcmp(cl_bench_metrics[m].workload, workload)) {
			struct cl_bench_series *s = &c->b->s[m][place];

			s->status = st;
			snprintf(s->why, sizeof(s->why), "%s", why ? why : "");
		}
}

/* Keeps the tail of what a context says on stderr: the last message is the
 * one that matters. */
static void keep_tail(char *buf, size_t len, size_t *n, const char *tmp, size_t k)
{
	if (k >= len - 1) {
		memcpy(buf, tmp + k - (len - 1), len - 1);
		*n = len - 1;
	} else {
		if (*n + k > len - 1) {
			size_t drop = *n + k - (len - 1);

			memmove(buf, buf + drop, *n - drop);
			*n -= drop;
		}
		memcpy(buf + *n, tmp, k);
		*n += k;
	}
	buf[*n] = 0;
}

/* Runs @argv to its end or @timeout_s (or until the bench is interrupted:
 * then SIGTERM, and SIGKILL 10 s later), its stdout into @out and the tail
 * of its stderr into @errbuf.  Every wait is bounded.  Returns the wait
 * status, or -1 (errno set) when it could not be started, the bench is
 * stopping, or it could not be reaped. */
int cl_bench_run_capture(char *const argv[], double timeout_s, char *out, size_t outlen,
			 char *errbuf, size_t errlen)
{
	int po[2], pe[2], st = -1, phase = 0; /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	size_t no = 0, ne = 0;
	double deadline = cl_bench_now_ms() + timeout_s * 1000.0, drain = 0;
	bool reaped = false;
	pid_t pid;

	out[0] = errbuf[0] = 0;
	if (cl_bench_stopping) {
		errno = EINTR;
		return -1;
	}
	if (pipe2(po, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		return -1;
	}
	if (!pid) {
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

		signal(SIGPIPE, SIG_DFL);
		if (null >= 0)
			dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(argv[0], argv);
		dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* its pidfd wakes the poll when it ends: no sleeping between checks */
	struct pollfd pf[3] = {{.fd = po[0], .events = POLLIN},
			       {.fd = pe[0], .events = POLLIN},
			       {.fd = (int)syscall(SYS_pidfd_open, pid, 0), .events = POLLIN}};
	for (;;) {
		double now = cl_bench_now_ms(), left;
		int r;

		if (!reaped) {
			pid_t w = waitpid(pid, &st, WNOHANG);

			if (w == pid) {
				reaped = true;
				drain = now + 2000; /* what it left in the pipes */
				if (pf[2].fd >= 0)
					close(pf[2].fd);
				pf[2].fd = -1;
			} else if (w < 0 && errno != EINTR) {
				st = -1;
				break;
			}
		}
		if (reaped && ((pf[0].fd < 0 && pf[1].fd < 0) || now >= drain))
			break;
		if (!reaped && phase == 0 && (now >= deadline || cl_bench_stopping)) {
			kill(pid, SIGTERM);
			snprintf(errbuf, errlen, "%s after %.0f s",
				 cl_bench_stopping ? "interrupted" : "timed out",
				 timeout_s - (deadline - now) / 1000.0);
			ne = strlen(errbuf);
			phase = 1;
			deadline = now + 10000;
		} else if (!reaped && phase == 1 && now >= deadline) {
			kill(pid, SIGKILL);
			phase = 2;
			deadline = now + 10000;
		} else if (!reaped && phase == 2 && now >= deadline) {
			errno = ETIMEDOUT; /* not even SIGKILL ended it */
			st = -1;
			break;
		}
		left = (reaped ? drain : deadline) - now;
		/* no pidfd: look again every 5 ms */
		if (!reaped && pf[2].fd < 0 && left > 5)
			left = 5;
		r = poll(pf, 3, (int)(left > 200 ? 200 : left < 1 ? 1 : left));
		if (r < 0 && errno != EINTR) { /* cannot wait for it: end it */
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			break;
		}
		for (int i = 0; r > 0 && i < 2; i++) {
			char tmp[4096];
			ssize_t n;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(pf[i].fd, tmp, sizeof(tmp));
			if (n <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				continue;
			}
			if (i == 0) {
				size_t k =
				    (size_t)n < outlen - 1 - no ? (size_t)n : outlen - 1 - no;
				memcpy(out + no, tmp, k);
				no += k;
				out[no] = 0;
			} else if (!phase) {
				keep_tail(errbuf, errlen, &ne, tmp, (size_t)n);
			}
		}
	}
	for (int i = 0; i < 3; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	return st;
}

/* The last non-empty line of @s, for a reason. */
static const char *last_line(char *s)
{
	size_t n = strlen(s);
	char *p;

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = 0;
	p = strrchr(s, '\n');
	return p ? p + 1 : s;
}

/* The command line of a context of @kind in @place, running @wl. */
void cl_bench_make_cmd(struct cl_bench_ctx *c, struct cl_bench_cmd *k, int place,
		       enum cl_bench_kind kind, const char **wl, size_t nwl)
{
	const size_t max = sizeof(k->argv) / sizeof(k->argv[0]);
	size_t n = 0;

	memset(k, 0, sizeof(*k));
	snprintf(k->bind, sizeof(k->bind), "%s/bin:/mnt:ro", c->dir);
	snprintf(k->dbind, sizeof(k->dbind), "%s/disk:/mnt/disk", c->dir);
	snprintf(k->hdisk, sizeof(k->hdisk), "%s/hdisk", c->dir);
	if (place == CL_BP_HOST) {
		k->argv[n++] = c->work;
	} else {
		k->argv[n++] = c->self;
		k->argv[n++] = "run";
		if (place == CL_BP_VM) {
			k->argv[n++] = "--vm";
			k->argv[n++] = "--kernel";
			k->argv[n++] = c->b->vm_kernel;
			if (kind == CL_BK_MAIN || kind == CL_BK_DISK) {
				/* room for memcpy's two buffers and the tmpfs file */
				snprintf(k->mem, sizeof(k->mem), "%luM", 3 * c->b->size_mib + 256);
				k->argv[n++] = "--memory";
				k->argv[n++] = k->mem;
			}
		}
		if (place == CL_BP_VM && kind == CL_BK_DISK) {
			k->argv[n++] = "--disk";
			k->argv[n++] = c->vm_disk;
		} else {
			if (c->b->rootfs) {
				k->argv[n++] = "--rootfs";
				k->argv[n++] = (char *)c->b->rootfs;
			}
			k->argv[n++] = "--bind";
			k->argv[n++] = k->bind;
		}
		if (place == CL_BP_CONTAINER && kind == CL_BK_MAIN) {
			/* the jail's /dev/shm is 64M: a tmpfs of the size asked */
			snprintf(k->tmpfs, sizeof(k->tmpfs), "/mnt/tmp:size=%luM",
				 c->b->size_mib + 64);
			k->argv[n++] = "--tmpfs";
			k->argv[n++] = k->tmpfs;
		}
		if (place != CL_BP_HOST && kind == CL_BK_NET) {
			k->argv[n++] = "--net";
			k->argv[n++] = "bridge";
		}
		if (place == CL_BP_CONTAINER && kind == CL_BK_DISK) {
			k->argv[n++] = "--bind";
			k->argv[n++] = k->dbind;
		}
		k->argv[n++] = "--";
		k->argv[n++] = "/mnt/cloison-bench-work";
	}
	if (kind == CL_BK_TRUE) {
		k->argv[n++] = "true";
	} else if (kind == CL_BK_IDLE) {
		k->argv[n++] = "idle";
	} else {
		snprintf(k->size, sizeof(k->size), "%lu", c->b->size_mib);
		k->argv[n++] = "-s";
		k->argv[n++] = k->size;
		k->argv[n++] = "-t";
		k->argv[n++] = place == CL_BP_HOST	  ? c->hosttmp
			       : place == CL_BP_CONTAINER ? "/mnt/tmp"
							  : "/dev/shm";
		k->argv[n++] = "-d";
		k->argv[n++] = place == CL_BP_HOST ? k->hdisk : "/mnt/disk";
		if (c->port) {
			snprintf(k->port, sizeof(k->port), "%d", c->port);
			k->argv[n++] = "-p";
			k->argv[n++] = k->port;
			snprintf(k->token, sizeof(k->token), "%016llx",
				 (unsigned long long)c->token);
			k->argv[n++] = "-k";
			k->argv[n++] = k->token;
			if (place == CL_BP_HOST) {
				k->argv[n++] = "-a";
				k->argv[n++] = "127.0.0.1";
			}
		}
		for (size_t i = 0; i < nwl && n < max - 1; i++)
			k->argv[n++] = (char *)wl[i];
	}
	k->argv[n] = NULL;
}

static bool in_list(const char *w, const char **wl, size_t nwl)
{
	for (size_t i = 0; i < nwl; i++)
		if (!strcmp(wl[i], w))
			return true;
	return false;
}

/* Parse the workload binary's lines into the place's series: only the
 * figures of the workloads it was asked for, each once, finite and
 * positive, and only from a run that ended by itself (a run that was
 * timed out or killed by a signal counts no figure). */
static void take_output(struct cl_bench_ctx *c, int place, const char **wl, size_t nwl, char *out,
			int status, const char *err)
{
	enum { N = sizeof(cl_bench_metrics) / sizeof(cl_bench_metrics[0]) };
	char reason[300];
	bool seen[N] = {false}, have[N] = {false};
	double val[N];
	bool ended = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) <= 1;

	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char name[64] = "", rest[256] = "";
		bool failed = !strncmp(l, "FAIL ", 5);
		struct cl_bench_series *s;
		double v = 0;
		int m;

		if (failed ? sscanf(l + 5, "%63s %255[^\n]", name, rest) < 1
			   : sscanf(l, "%63s %lf %255[^\n]", name, &v, rest) < 2)
			continue;
		m = metric_index(name);
		if (m < 0 || !in_list(cl_bench_metrics[m].workload, wl, nwl))
			continue; /* not asked for: ignored */
		s = &c->b->s[m][place];
		if (seen[m]) {
			cl_bench_set_failed(s, "the workload printed this figure twice");
			have[m] = false;
			continue;
		}
		seen[m] = true;
		if (failed) {
			cl_bench_set_failed(s, rest[0] ? rest : "failed");
			continue;
		}
		if (!strcmp(name, "sha256")) {
			const char *d = strstr(rest, "sha256=");
			if (!d || strncmp(d + 7, c->sha, 2 * CL_SHA256_LEN)) {
				cl_bench_set_failed(s, "wrong SHA-256 digest");
				continue;
			}
		}
		if (!isfinite(v) || !(v > 0)) {
			cl_bench_set_failed(s, "not a positive figure");
			continue;
		}
		val[m] = v;
		have[m] = true;
	}
	/* why what should have been printed was not, or is not counted */
	if (status == -1)
		snprintf(reason, sizeof(reason), "cannot run it: %s", strerror(errno));
	else if (ended)
		snprintf(reason, sizeof(reason), "no figure printed");
	else
		snprintf(reason, sizeof(reason), "%s%s(%s %d)", err, err[0] ? " " : "",
			 WIFSIGNALED(status) ? "signal" : "exit",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	for (size_t m = 0; m < N; m++) {
		struct cl_bench_series *s = &c->b->s[m][place];

		if (!in_list(cl_bench_metrics[m].workload, wl, nwl))
			continue;
		if (!ended || !have[m])
			cl_bench_set_failed(s, reason); /* no-op when already failed */
		else if (!c->warmup)
			cl_bench_add(s, val[m]);
	}
}

static double ctx_timeout(const struct cl_bench_ctx *c, int place)
{
	double t = 120.0 + (double)c->b->size_mib; /* seconds */

	return place == CL_BP_VM ? 4 * t : t;
}

/* One run in @place of the in-context workloads of @kind: the main ones
 * (cloison's defaults: no network), the disk ones (a bind, virtio-blk),
 * the network one (the bridge). */
static void run_ctx(struct cl_bench_ctx *c, int place, enum cl_bench_kind kind)
{
	static const char *const mains[] = {"getppid", "openclose", "walk",   "forkexec",
					    "faults",  "sha256",    "memcpy", "tmpfs"};
	static const char *const disks[] = {"disk", "fsync"};
	static const char *const nets[] = {"tcp"};
	const char *const *all = kind == CL_BK_DISK ? disks : kind == CL_BK_NET ? nets : mains;
	size_t k = kind == CL_BK_DISK  ? sizeof(disks) / sizeof(disks[0])
		   : kind == CL_BK_NET ? sizeof(nets) / sizeof(nets[0])
				       : sizeof(mains) / sizeof(mains[0]);
	const char *wl[16];
	size_t nwl = 0;
	char out[8192], err[1024];
	struct cl_bench_cmd cmd;
	int st;

	for (size_t i = 0; i < k; i++) {
		const char *w = all[i];
		struct cl_bench_series *s;

		if (!sel(c, w))
			continue;
		/* already missing (no VM, no network) or failed: not run again */
		for (size_t m = 0; m < cl_bench_n_metrics; m++)
			if (!strcmp(cl_bench_metrics[m].workload, w)) {
				s = &c->b->s[m][place];
				if (s->status == CL_BS_MISSING || s->status == CL_BS_FAILED)
					goto next;
				break;
			}
		wl[nwl++] = w;
	next:;
	}
	if (!nwl || cl_bench_stopping)
		return;
	cl_bench_make_cmd(c, &cmd, place, kind, wl, nwl);
	st = cl_bench_run_capture(cmd.argv, ctx_timeout(c, place), out, sizeof(out), err,
				  sizeof(err));
	if (cl_bench_stopping)
		return; /* an interrupted run says nothing */
	take_output(c, place, wl, nwl, out, st, last_line(err));
}

static void run_startup(struct cl_bench_ctx *c, int place, struct cl_bench_series *s)
{
	char out[256], err[1024];
	struct cl_bench_cmd cmd;
	double t;
	int st;

	if (s->status == CL_BS_MISSING || s->status == CL_BS_FAILED)
		return;
	cl_bench_make_cmd(c, &cmd, place, CL_BK_TRUE, NULL, 0);
	t = cl_bench_now_ms();
	st = cl_bench_run_capture(cmd.argv, place == CL_BP_VM ? 300 : 60, out, sizeof(out), err,
				  sizeof(err));
	t = cl_bench_now_ms() - t;
	if (st != 0) {
		char why[600];

		snprintf(why, sizeof(why), "%s (status 0x%x)", last_line(err), st);
		cl_bench_set_failed(s, why);
		return;
	}
	cl_bench_add(s, t);
}

/* p50/p99 of the launches, kept in a scratch series per place */
static void startup_figures(struct cl_bench_ctx *c, int place, struct cl_bench_series *raw)
{
	struct cl_bench_series *p50 = cl_bench_series_of(c, "startup-p50", place),
			       *p99 = cl_bench_series_of(c, "startup-p99", place);
	double *v;

	if (raw->status != CL_BS_OK) {
		cl_bench_set_failed(p50, raw->why);
		cl_bench_set_failed(p99, raw->why);
		return;
	}
	/* the samples go into p50's series (its median is the p50); p99 is
	 * one figure, from the same samples */
	v = malloc(raw->n * sizeof(*v));
	if (!v)
		return;
	memcpy(v, raw->v, raw->n * sizeof(*v));
	for (size_t i = 0; i < raw->n; i++)
		cl_bench_add(p50, raw->v[i]);
	for (size_t i = 1; i < raw->n; i++) /* insertion sort: a few hundred */
		for (size_t j = i; j && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	cl_bench_add(p99, v[(size_t)((double)(raw->n - 1) * 0.99 + 0.5)]);
	free(v);
}

static int copy_file(const char *from, const char *to, mode_t mode, struct cl_err *err)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return cl_fail(err, errno, "cannot open %s", from);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		close(in);
		return cl_fail(err, errno, "cannot create %s", to);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	if (close(out) < 0 || n != 0)
		return cl_fail(err, errno, "cannot copy %s to %s", from, to);
	return 0;
}

static int find_work(struct cl_bench_ctx *c, struct cl_err *err)
{
	char *slash;
	ssize_t n = readlink("/proc/self/exe", c->self, sizeof(c->self) - 1);

	if (n <= 0)
		return cl_fail(err, errno, "cannot read /proc/self/exe");
	c->self[n] = 0;
	snprintf(c->work, sizeof(c->work), "%s", c->self);
	slash = strrchr(c->work, '/');
	if (slash && (size_t)(slash - c->work) + 20 < sizeof(c->work)) {
		strcpy(slash + 1, "cloison-bench-work");
		if (access(c->work, X_OK) == 0)
			return 0;
	}
	snprintf(c->work, sizeof(c->work), "%s", CL_SHAREDIR "/cloison-bench-work");
	if (access(c->work, X_OK) == 0)
		return 0;
	return cl_fail(err, errno,
		       "no workload binary: neither next to %s nor %s (make; make install)",
		       c->self, c->work);
}

static int mkdir_in(const char *dir, const char *name, mode_t mode, struct cl_err *err)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (mkdir(p, mode) < 0)
		return cl_fail(err, errno, "cannot create %s", p);
	return 0;
}

/* The bench's private directory: bin/ holds the workload binary and the
 * mount points below it (bound read-only at /mnt), disk/ the files the
 * container's disk workloads write (bound at /mnt/disk), hdisk/ the host's
 * (never one the jail can write to: no link planted there for root to
 * follow). */
static int make_dirs(struct cl_bench_ctx *c, struct cl_err *err)
{
	char p[PATH_MAX];
	struct stat st;

	/* a parent others can write to must be sticky (/tmp, /var/tmp): else
	 * one of them could move our directory away and put theirs there */
	if (stat(c->scratch, &st) < 0)
		return cl_fail(err, errno, "--dir %s", c->scratch);
	if (!S_ISDIR(st.st_mode))
		return cl_fail(err, 0, "--dir %s: not a directory", c->scratch);
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    ((st.st_mode & 0022) && !(st.st_mode & S_ISVTX)))
		return cl_fail(err, 0,
			       "--dir %s: another user can replace what the bench makes there "
			       "(owned by uid %u, mode %04o): choose a directory of root's, "
			       "or a sticky one like /var/tmp",
			       c->scratch, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	snprintf(c->dir, sizeof(c->dir), "%s/cloison-bench.XXXXXX", c->scratch);
	if (!mkdtemp(c->dir)) {
		c->dir[0] = 0;
		return cl_fail(err, errno, "cannot create a directory in %s (--dir)", c->scratch);
	}
	snprintf(c->hosttmp, sizeof(c->hosttmp), "/dev/shm/cloison-bench.XXXXXX");
	if (!mkdtemp(c->hosttmp)) {
		c->hosttmp[0] = 0;
		return cl_fail(err, errno, "cannot create a directory in /dev/shm");
	}
	snprintf(p, sizeof(p), "%s/bin", c->dir);
	if (mkdir_in(c->dir, "bin", 0755, err) < 0 || mkdir_in(c->dir, "disk", 0700, err) < 0 ||
	    mkdir_in(c->dir, "hdisk", 0700, err) < 0 || mkdir_in(p, "tmp", 0755, err) < 0 ||
	    mkdir_in(p, "disk", 0755, err) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/bin/cloison-bench-work", c->dir);
	return copy_file(c->work, p, 0755, err);
}

/* The VM's disk: an ext4 image (mke2fs -d, no mount) with the workload
 * binary and room for the files the disk workloads write. */
static int make_vm_disk(struct cl_bench_ctx *c, struct cl_err *err)
{
	static const char *const dirs[] = {"img",      "img/mnt", "img/mnt/disk", "img/dev",
					   "img/proc", "img/sys", "img/tmp",	  "img/run"};
	char p[PATH_MAX], size[32], out[512], e[512];
	int st;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mkdir_in(c->dir, dirs[i], 0755, err) < 0)
			return -1;
	snprintf(p, sizeof(p), "%s/img/mnt/cloison-bench-work", c->dir);
	if (copy_file(c->work, p, 0755, err) < 0)
		return -1;
	snprintf(c->vm_disk, sizeof(c->vm_disk), "%s/vm.img", c->dir);
	snprintf(p, sizeof(p), "%s/img", c->dir);
	snprintf(size, sizeof(size), "%luM", c->b->size_mib + 96);
	char *argv[] = {access("/usr/sbin/mke2fs", X_OK) == 0 ? "/usr/sbin/mke2fs" : "/sbin/mke2fs",
			"-q",
			"-F",
			"-t",
			"ext4",
			"-d",
			p,
			c->vm_disk,
			size,
			NULL};
	st = cl_bench_run_capture(argv, 120, out, sizeof(out), e, sizeof(e));
	if (st != 0) {
		c->vm_disk[0] = 0;
		return cl_fail(err, 0, "cannot make the VM's disk image: mke2fs: %s",
			       st == -1 ? strerror(errno) : last_line(e));
	}
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* The bench's own directories, in-process (no rm to start while the bench
 * is being stopped): depth first, no symbolic link followed, no other file
 * system entered. */
static void rm_rf(const char *path)
{
	if (path[0])
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* cloison's test guest: next to the binary (a build), else installed. */
static void vmexits_check(struct cl_bench_ctx *c)
{
	char desc[256], *slash;

	snprintf(c->guest, sizeof(c->guest), "%s", c->self);
	slash = strrchr(c->guest, '/');
	if (slash && (size_t)(slash - c->guest) + 20 < sizeof(c->guest))
		strcpy(slash + 1, "testguest.bzImage");
	if (access(c->guest, R_OK) < 0)
		snprintf(c->guest, sizeof(c->guest), "%s", CL_SHAREDIR "/bench-guest.bzImage");
	if (access(c->guest, R_OK) < 0) {
		cl_bench_set_status(c, "vmexits", CL_BP_VM, CL_BS_MISSING,
				    "no test guest (testguest.bzImage next to cloison, or "
				    "bench-guest.bzImage in " CL_SHAREDIR ")");
		return;
	}
	if (cl_kvm_probe(desc, sizeof(desc)) < 0) {
		char why[300];

		snprintf(why, sizeof(why), "/dev/kvm: %.250s", desc);
		cl_bench_set_status(c, "vmexits", CL_BP_VM, CL_BS_MISSING, why);
	}
}

static void vm_check(struct cl_bench_ctx *c)
{
	char desc[256], *k = c->b->vm_kernel;
	struct cl_err err = {0};
	int r;

	if (c->b->kernel)
		snprintf(k, sizeof(c->b->vm_kernel), "%s", c->b->kernel);
	else if (cl_vm_default_kernel(k, sizeof(c->b->vm_kernel), &err) < 0) {
		snprintf(c->vm_missing, sizeof(c->vm_missing), "%s", err.msg);
		return;
	}
	if (access(k, R_OK) < 0) {
		snprintf(c->vm_missing, sizeof(c->vm_missing), "cannot read the kernel %.300s: %s",
			 k, strerror(errno));
		return;
	}
	r = cl_kvm_probe(desc, sizeof(desc));
	if (r == 0)
		snprintf(c->vm_missing, sizeof(c->vm_missing),
			 "/dev/kvm is %s: no Linux guest here (make bench-nested runs the "
			 "bench in a guest with emulated AMD-V)",
			 desc);
	else if (r < 0)
		snprintf(c->vm_missing, sizeof(c->vm_missing), "/dev/kvm: %.250s", desc);
}

/* The TSC's rate, in ticks per nanosecond (the guest's runs at the host's). */
static double tsc_per_ns(void)
{
	struct timespec d = {.tv_nsec = 50000000};
	double t0 = cl_bench_now_ms(), t1;
	uint64_t a = __builtin_ia32_rdtsc(), b;

	nanosleep(&d, NULL);
	b = __builtin_ia32_rdtsc();
	t1 = cl_bench_now_ms();
	return (double)(b - a) / ((t1 - t0) * 1e6);
}

/* The cost of VM exits, from cloison's freestanding test guest (it boots
 * where a Linux guest cannot: PVM).  One VM per run. */
static void run_vmexits(struct cl_bench_ctx *c)
{
	static const char *const names[] = {"exit-pio", "exit-mmio", "exit-cpuid"};
	char out[4096], err[1024], *l;
	unsigned long cyc[3];
	int st;

	if (cl_bench_series_of(c, "exit-pio", CL_BP_VM)->status >= CL_BS_FAILED)
		return;
	char *argv[] = {c->self, "run", "--vm", "--kernel", c->guest, "--", "testguest-bench-exits",
			NULL};
	st = cl_bench_run_capture(argv, 120, out, sizeof(out), err, sizeof(err));
	l = strstr(out, "testguest: exits pio ");
	if (st != 0 || !l ||
	    sscanf(l, "testguest: exits pio %lu mmio %lu cpuid %lu", &cyc[0], &cyc[1], &cyc[2]) !=
		3) {
		char why[1200];

		snprintf(why, sizeof(why), "the test guest did not report: %s (status 0x%x)",
			 last_line(err), st);
		cl_bench_set_status(c, "vmexits", CL_BP_VM, CL_BS_FAILED, why);
		return;
	}
	if (!c->tsc)
		c->tsc = tsc_per_ns();
	for (int i = 0; i < 3; i++)
		cl_bench_add(cl_bench_series_of(c, names[i], CL_BP_VM), (double)cyc[i] / c->tsc);
}

static void sha_expected(struct cl_bench_ctx *c)
{
	static uint8_t block[4096];
	uint8_t d[CL_SHA256_LEN];
	struct cl_sha256 h;

	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)(i * 131 + 7);
	cl_sha256_init(&h);
	for (size_t i = 0; i < c->b->size_mib * 256; i++)
		cl_sha256_update(&h, block, sizeof(block));
	cl_sha256_final(&h, d);
	for (int i = 0; i < CL_SHA256_LEN; i++)
		sprintf(c->sha + 2 * i, "%02x", d[i]);
}

static void cleanup(struct cl_bench_ctx *c)
{
	cl_bench_exec_cleanup(c);
	cl_bench_peer_stop();
	rm_rf(c->dir);
	rm_rf(c->hosttmp);
}

/* Setting up the network peer: loopback for the host; for the container,
 * the bridge's address (a first bridged jail makes the bridge). */
static void net_setup(struct cl_bench_ctx *c)
{
	struct cl_err err = {0};
	struct cl_bench_cmd cmd;
	char out[256], e[512];
	int st;

	if (!sel(c, "tcp"))
		return;
	cl_bench_make_cmd(c, &cmd, CL_BP_CONTAINER, CL_BK_NET, (const char *[]){"true"}, 1);
	st = cl_bench_run_capture(cmd.argv, 60, out, sizeof(out), e, sizeof(e));
	if (st != 0 || cl_bench_bridge_ip(c->bridge_ip, sizeof(c->bridge_ip)) < 0)
		snprintf(c->ct_net_missing, sizeof(c->ct_net_missing),
			 "no bridge for the container: %s",
			 st != 0 ? last_line(e) : "cl-br0 has no IPv4 address");
	if (getrandom(&c->token, sizeof(c->token), 0) != sizeof(c->token) ||
	    cl_bench_peer_start(&c->port, c->ct_net_missing[0] ? NULL : c->bridge_ip, c->token,
				&err) < 0) {
		if (!err.msg[0])
			cl_fail(&err, errno, "no random token for the bench's TCP peer");
		for (int p = 0; p < CL_BP_N; p++)
			cl_bench_set_status(c, "tcp", p, CL_BS_FAILED, err.msg);
		return;
	}
	if (c->ct_net_missing[0]) {
		cl_bench_set_status(c, "tcp", CL_BP_CONTAINER, CL_BS_MISSING, c->ct_net_missing);
		if (!c->vm_missing[0])
			cl_bench_set_status(c, "tcp", CL_BP_VM, CL_BS_MISSING, c->ct_net_missing);
	}
}

/* --peer: the tcp workload's peer alone, for a guest that another VMM runs
 * (tests/vm/bench/io.sh: QEMU microvm against cloison on one peer). */
static int serve_peer(struct cl_bench_ctx *c, const char *ip)
{
	struct in_addr a;
	struct cl_err err = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	sigset_t block, old;
	int port;

	if (inet_pton(AF_INET, ip, &a) != 1) {
		fprintf(stderr, "cloison: --peer %s: not an IPv4 address\n", ip);
		return 125;
	}
	if (find_work(c, &err) < 0)
		goto fail;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (getrandom(&c->token, sizeof(c->token), 0) != sizeof(c->token)) {
		cl_fail(&err, errno, "no random token for the bench's TCP peer");
		goto fail;
	}
	if (cl_bench_peer_start(&port, strcmp(ip, "127.0.0.1") ? ip : NULL, c->token, &err) < 0)
		goto fail;
	printf("peer %s port %d token %016llx work %s\n", ip, port, (unsigned long long)c->token,
	       c->work);
	fflush(stdout);
	while (!cl_bench_stopping)
		sigsuspend(&old);
	cl_bench_peer_stop();
	return 0;
fail:
	cl_err_print(&err);
	return 125;
}

int cl_cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {{"rootfs", required_argument, NULL, 'r'},
					     {"kernel", required_argument, NULL, 'k'},
					     {"only", required_argument, NULL, 'o'},
					     {"runs", required_argument, NULL, 'n'},
					     {"size", required_argument, NULL, 's'},
					     {"dir", required_argument, NULL, 'd'},
					     {"density-max", required_argument, NULL, 'D'},
					     {"startup-runs", required_argument, NULL, 'S'},
					     {"label", required_argument, NULL, 'l'},
					     {"json", required_argument, NULL, 'j'},
					     {"svg", required_argument, NULL, 'g'},
					     {"peer", required_argument, NULL, 'P'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct cl_bench b = {
	    .runs = 5, .size_mib = 256, .density_max = 200, .startup_runs = 20, .only = "all"};
	struct cl_bench_ctx c = {.b = &b, .scratch = "/var/tmp"};
	const char *json = NULL, *svg = NULL, *peer = NULL;
	struct cl_err err = {0};
	struct sigaction sa = {.sa_handler = on_signal};
	struct cl_bench_series raw[CL_BP_N] = {{0}};
	int opt, ret = 125;
	char *end;
	unsigned long v;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'r': b.rootfs = optarg; break;
		case 'k': b.kernel = optarg; break;
		case 'o': b.only = optarg; break;
		case 'n':
		case 's':
		case 'S':
		case 'D':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !v || v > (opt == 's' ? 65536UL : 100000UL)) {
				fprintf(stderr, "cloison: --%s %s: a whole number from 1 to %lu\n",
					opt == 'n'   ? "runs"
					: opt == 's' ? "size"
					: opt == 'S' ? "startup-runs"
						     : "density-max",
					optarg, opt == 's' ? 65536UL : 100000UL);
				return 125;
			}
			if (opt == 'n')
				b.runs = (unsigned)v;
			else if (opt == 's')
				b.size_mib = v;
			else if (opt == 'S')
				b.startup_runs = (unsigned)v;
			else
				b.density_max = (unsigned)v;
			break;
		case 'd': c.scratch = optarg; break;
		case 'l': b.label = optarg; break;
		case 'j': json = optarg; break;
		case 'g': svg = optarg; break;
		case 'P': peer = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 125;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cloison: bench takes no argument ('%s')\n%s", argv[optind], usage);
		return 125;
	}
	if (peer)
		return serve_peer(&c, peer);
	if (geteuid() != 0) {
		fprintf(stderr, "cloison: bench runs as root (its density count makes cgroups; "
				"rootless jails are measured as root's)\n");
		return 125;
	}
	if (select_list(&c, b.only, &err) < 0)
		goto fail;
	if (b.rootfs && access(b.rootfs, R_OK | X_OK) < 0) {
		cl_fail(&err, errno, "--rootfs %s", b.rootfs);
		goto fail;
	}
	b.s = calloc(cl_bench_n_metrics, sizeof(*b.s));
	if (!b.s || find_work(&c, &err) < 0)
		goto fail;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (make_dirs(&c, &err) < 0)
		goto fail;
	cl_bench_host_facts(&b);
	vm_check(&c);
	if (!c.vm_missing[0] && (sel(&c, "disk") || sel(&c, "fsync")) &&
	    make_vm_disk(&c, &err) < 0) {
		cl_bench_set_status(&c, "disk", CL_BP_VM, CL_BS_FAILED, err.msg);
		cl_bench_set_status(&c, "fsync", CL_BP_VM, CL_BS_FAILED, err.msg);
		err.msg[0] = 0;
	}
	if (sel(&c, "sha256"))
		sha_expected(&c);
	for (size_t m = 0; m < cl_bench_n_metrics; m++) {
		if (!sel(&c, cl_bench_metrics[m].workload))
			continue;
		if (!strcmp(cl_bench_metrics[m].workload, "vmexits")) {
			/* only the VM has exits */
			c.b->s[m][CL_BP_HOST].status = c.b->s[m][CL_BP_CONTAINER].status = CL_BS_NA;
			continue;
		}
		if (c.vm_missing[0])
			cl_bench_set_status(&c, cl_bench_metrics[m].workload, CL_BP_VM,
					    CL_BS_MISSING, c.vm_missing);
	}
	net_setup(&c);
	if (sel(&c, "vmexits"))
		vmexits_check(&c);

	fprintf(stderr, "cloison bench: %u run%s, %lu MiB%s%s\n", b.runs, b.runs > 1 ? "s" : "",
		b.size_mib, b.label ? ", " : "", b.label ? b.label : "");
	/* a warm-up run, not counted (page cache, the VM's initramfs, the
	 * bridge's first jail), then each run: the places in turn, starting
	 * one further each time */
	c.warmup = true;
	for (int p = 0; p < CL_BP_N && !cl_bench_stopping; p++)
		if (!(p == CL_BP_VM && c.vm_missing[0]))
			for (int k = CL_BK_MAIN; k <= CL_BK_NET; k++)
				run_ctx(&c, p, (enum cl_bench_kind)k);
	c.warmup = false;
	for (unsigned r = 0; r < b.runs && !cl_bench_stopping; r++) {
		for (int i = 0; i < CL_BP_N && !cl_bench_stopping; i++) {
			int p = (int)((r + (unsigned)i) % CL_BP_N);

			if (p == CL_BP_VM && sel(&c, "vmexits"))
				run_vmexits(&c);
			if (p == CL_BP_VM && c.vm_missing[0])
				continue;
			if (sel(&c, "startup"))
				for (unsigned k = 0; k < b.startup_runs && !cl_bench_stopping; k++)
					run_startup(&c, p, &raw[p]);
			if (sel(&c, "exec"))
				cl_bench_exec(&c, p);
			for (int k = CL_BK_MAIN; k <= CL_BK_NET; k++)
				run_ctx(&c, p, (enum cl_bench_kind)k);
		}
		fprintf(stderr, "cloison bench: run %u of %u done\n", r + 1, b.runs);
	}
	if (sel(&c, "startup"))
		for (int p = 0; p < CL_BP_N; p++)
			if (!(p == CL_BP_VM && c.vm_missing[0]))
				startup_figures(&c, p, &raw[p]);
	if (sel(&c, "density"))
		for (int p = 0; p < CL_BP_N && !cl_bench_stopping; p++)
			if (!(p == CL_BP_VM && c.vm_missing[0]))
				cl_bench_density(&c, p);
	for (int p = 0; p < CL_BP_N; p++)
		free(raw[p].v);
	cleanup(&c);
	if (cl_bench_stopping) {
		fprintf(stderr, "cloison: bench interrupted\n");
		ret = 130;
		goto out;
	}
	cl_bench_print_table(&b);
	cl_bench_print_goals(&b);
	ret = 0;
	if ((json && cl_bench_write_json(&b, json) < 0) || (svg && cl_bench_write_svg(&b, svg) < 0))
		ret = 125;
	goto out;
fail:
	cl_err_print(&err);
	cleanup(&c);
out:
	if (b.s) {
		for (size_t m = 0; m < cl_bench_n_metrics; m++)
			for (int p = 0; p < CL_BP_N; p++)
				free(b.s[m][p].v);
		free(b.s);
	}
	return ret;
}
