/* The VM back end's front door: spec -> guest spec + initramfs + devices ->
 * cl_vm_run(). */
#include "vm/launch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "guest/spec.h"
#include "ns/net.h"
#include "util/file.h"
#include "vm/agent_host.h"
#include "vm/guest_files.h"
#include "vm/initramfs.h"
#include "vm/jail.h"
#include "vm/virtio.h"
#include "vm/vm.h"

/* As Firecracker: no PCI probing, one UART, no PS/2 probing, a quiet boot. */
#define CL_VM_CMDLINE                                                                              \
	"console=ttyS0 panic=-1 pci=off 8250.nr_uarts=1 i8042.noaux i8042.nomux i8042.nopnp "      \
	"i8042.dumbkbd tsc=reliable no_timer_check reboot=k"
/* CLOISON_VM_DEBUG=1 shows the guest kernel's boot messages. */
#define CL_VM_CMDLINE_QUIET " quiet loglevel=1"
#define CL_VM_CMDLINE_DEBUG " loglevel=7"

static int newest(const char *pattern, char *buf, size_t len)
{
	glob_t g;
	time_t best = 0;
	int found = 0;

	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;
		if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime >= best) {
			best = st.st_mtime;
			snprintf(buf, len, "%s", g.gl_pathv[i]);
			found = 1;
		}
	}
	globfree(&g);
	return found;
}

int cl_vm_default_kernel(char *buf, size_t len, struct cl_err *err)
{
	if (newest("/boot/vmlinuz-*-cloud-amd64", buf, len) || newest("/boot/vmlinuz-*", buf, len))
		return 0;
	return cl_fail(
	    err, ENOENT,
	    "no guest kernel in /boot (apt-get install linux-image-cloud-amd64, or --kernel PATH)");
}

static void cache_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (geteuid() == 0)
		snprintf(buf, len, "/var/cache/cloison/initramfs");
	else if (xdg && *xdg)
		snprintf(buf, len, "%s/cloison/initramfs", xdg);
	else
		snprintf(buf, len, "%s/.cache/cloison/initramfs", home ? home : "/tmp");
}

/* CLOISON_VM_BOOT_WATCHDOG=SECONDS (0: off); see cl_vm_config. */
#define CL_VM_BOOT_WATCHDOG_S 15
static unsigned boot_watchdog_ms(void)
{
	const char *v = getenv("CLOISON_VM_BOOT_WATCHDOG");
	char *end;
	unsigned long n;

	if (!v || !*v)
		return CL_VM_BOOT_WATCHDOG_S * 1000;
	n = strtoul(v, &end, 10);
	if (*end || n > 3600)
		return CL_VM_BOOT_WATCHDOG_S * 1000;
	return (unsigned)n * 1000;
}

int cl_vm_preflight(const struct cl_spec *s, char *kernel, size_t len, struct cl_err *err)
{
	char kvm[256];
	int stock, kvm_ok;

	/* before any work: a user outside the kvm group learns it at once */
	kvm_ok = cl_kvm_probe(kvm, sizeof(kvm));
	if (kvm_ok < 0)
		return cl_fail(err, 0, "cannot use /dev/kvm: %s", kvm);
	if (s->kernel)
		snprintf(kernel, len, "%s", s->kernel);
	else if (cl_vm_default_kernel(kernel, len, err) < 0)
		return -1;
	stock = cl_vm_kernel_is_stock(kernel, err);
	if (stock < 0)
		return cl_wrap(err, "guest kernel %s", kernel);
	if (kvm_ok == 0 && stock == 1 && !s->vm_force)
		return cl_fail(
		    err, 0,
		    "cannot boot %s here: /dev/kvm is %s; a stock Linux guest needs hardware "
		    "virtualization (VT-x/AMD-V). Use --force to try anyway",
		    kernel, kvm);
	return 0;
}

/* A text file of the network's run directory (hosts, resolv.conf) as a
 * string for the guest spec (cl_read_file leaves room for its NUL). */
static char *read_text(const char *path, struct cl_err *err)
{
	uint8_t *buf;
	size_t len;

	if (cl_read_file(path, "network file", 1 << 16, &buf, &len, err) < 0)
		return NULL;
	buf[len] = 0;
	return (char *)buf;
}

/* --net bridge: the lease, the bridge's rules, the files and a tap on the
 * bridge, as a container gets them (ns/net.h); the guest init configures
 * eth0 from what the spec says. */
struct vm_net {
	struct cl_net net;
	int tap;
	char ip[INET_ADDRSTRLEN + 4], gw[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN + 5],
	    gw6[INET6_ADDRSTRLEN];
	char *hosts, *resolv;
	uint8_t mac[6];
};

static int vm_net_prepare(const struct cl_spec *s, struct vm_net *v, struct cl_guest_spec *g,
			  struct cl_err *err)
{
	const struct cl_netspec *c;

	if (s->net != CL_NET_BRIDGE)
		return 0;
	if (cl_net_prepare(s, &v->net, err) < 0)
		return -1;
	c = &cl_net_jail_spec(&v->net, s)->netcfg;
	inet_ntop(AF_INET, &c->ip, v->ip, sizeof(v->ip));
	snprintf(v->ip + strlen(v->ip), sizeof(v->ip) - strlen(v->ip), "/%u", c->ip_prefix);
	inet_ntop(AF_INET, &c->gateway, v->gw, sizeof(v->gw));
	g->net_ip = v->ip;
	g->net_gw = v->gw;
	if (c->ip6_prefix) {
		inet_ntop(AF_INET6, &c->ip6, v->ip6, sizeof(v->ip6));
		snprintf(v->ip6 + strlen(v->ip6), sizeof(v->ip6) - strlen(v->ip6), "/%u",
			 c->ip6_prefix);
		inet_ntop(AF_INET6, &c->gateway6, v->gw6, sizeof(v->gw6));
		g->net_ip6 = v->ip6;
		g->net_gw6 = v->gw6;
	}
	if (!(v->hosts = read_text(v->net.hosts, err)) ||
	    !(v->resolv = read_text(v->net.resolv, err)))
		return -1;
	g->net_hosts = v->hosts;
	g->net_resolv = v->resolv;
	/* locally administered, from the address: 0a:58:a.b.c.d, as
	 * Kubernetes' bridge plugins do */
	v->mac[0] = 0x0a;
	v->mac[1] = 0x58;
	memcpy(v->mac + 2, &c->ip, 4);
	return cl_net_attach_tap(s, &v->net, &v->tap, err);
}

/* --vsock PATH: the host side of the VM's virtio-vsock, a Unix socket that
 * only its owner (root, or the user) may connect to.  A stale socket (no
 * one listening) is replaced; anything else at PATH is refused. */
static int vsock_listen(const char *path, struct cl_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t mask;
	int fd, r, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cl_fail(err, ENAMETOOLONG, "--vsock %s: longer than a socket path can be",
			       path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode))
			return cl_fail(err, 0, "--vsock %s: exists and is not a socket", path);
		/* stale only when nothing listens (ECONNREFUSED); a full backlog
		 * or any other answer is somebody's live socket */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (probe < 0)
			return cl_fail(err, errno, "--vsock %s: cannot make a socket", path);
		r = connect(probe, (struct sockaddr *)&sa, sizeof(sa));
		e = errno;
		close(probe);
		if (r == 0 || e != ECONNREFUSED)
			return cl_fail(err, EADDRINUSE, "--vsock %s: in use (a VM listens there)",
				       path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cl_fail(err, errno, "--vsock %s: cannot make a socket", path);
	/* born 0600: no moment in which another user could connect */
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(mask);
	if (r < 0) {
		close(fd);
		return cl_fail(err, e, "--vsock %s: cannot bind there", path);
	}
	if (listen(fd, 16) < 0) {
		e = errno;
		close(fd);
		unlink(path); /* ours: we just bound it */
		return cl_fail(err, e, "--vsock %s: cannot listen there", path);
	}
	return fd;
}

static void vm_net_release(struct vm_net *v)
{
	if (v->tap >= 0)
		close(v->tap);
	free(v->hosts);
	free(v->resolv);
	cl_net_release(&v->net);
}

/* run --vm -t: the terminal's size follows it into the guest.  A resize
 * interrupts cloison's wait for the VMM (no SA_RESTART), which calls
 * forward_winch(): the new size goes to the guest agent, through the VM's
 * vsock socket, which sets the console's (the kernel then sends SIGWINCH to
 * the command's group).  A resize before the agent listens is lost. */
static volatile sig_atomic_t winch;
static const char *winch_sock;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

static void forward_winch(void)
{
	struct winsize w;
	struct cl_err e = {0};

	/* a resize during the request is sent after it: the last one counts */
	while (winch) {
		winch = 0;
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &w) == 0 ||
		    ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0)
			(void)cl_agent_console_size(winch_sock, w.ws_row, w.ws_col, 1.0, &e);
	}
}

int cl_vm_launch(const struct cl_spec *s, int *exit_status, struct cl_err *err)
{
	return cl_vm_launch_ready(s, exit_status, NULL, NULL, err);
}

int cl_vm_launch_ready(const struct cl_spec *s, int *exit_status,
		       void (*ready)(void *ctx, const char *addr), void *ctx, struct cl_err *err)
{
	char kernel[PATH_MAX], init[PATH_MAX], moddir[PATH_MAX], cache[PATH_MAX], initrd[PATH_MAX];
	struct cl_guest_spec g;
	struct cl_vm_dev *devs[CL_VM_MMIO_MAX];
	struct vm_net vn = {.tap = -1};
	struct cl_initramfs_bind *binds = NULL;
	char **ro_binds = NULL;
	size_t n = 0, nb = 0;
	int r = -1;
	static const int stops[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = cl_vm_stop_handler}, old[4];
	bool handled, vsock_made = false, tty_raw = false;
	struct termios saved_tty;
	struct sigaction wa = {.sa_handler = on_winch}, wold;
	/* -t without --vsock: a socket of our own, for the window size */
	const char *vsock = s->vsock;
	char tdir[32] = "", tsock[64];

	if (cl_vm_preflight(s, kernel, sizeof(kernel), err) < 0)
		return -1;

	/* a stop signal must not skip the release of the VM's network (and its
	 * vsock socket): from
	 * here it ends the VMM (or keeps it from being made), the network goes
	 * back, and then the signal ends us (below) */
	handled = (s->net == CL_NET_BRIDGE || s->vsock || s->tty) && cl_vm_jail_wanted();
	sigemptyset(&sa.sa_mask);
	for (int i = 0; handled && i < 4; i++)
		sigaction(stops[i], &sa, &old[i]);
	if (s->tty && !vsock && cl_vm_jail_wanted()) {
		snprintf(tdir, sizeof(tdir), "/tmp/cloison-tty-XXXXXX");
		if (!mkdtemp(tdir)) { /* 0700: ours alone */
			tdir[0] = 0;
			cl_fail(err, errno, "cannot make a directory in /tmp for the VM's vsock");
			goto out;
		}
		snprintf(tsock, sizeof(tsock), "%s/vsock.sock", tdir);
		vsock = tsock;
	}
	cl_guest_spec_from_spec(s, &g);
	if (s->tty) {
		/* -t: the guest's console a terminal of our size */
		struct winsize w;

		g.tty = true;
		if (ioctl(STDIN_FILENO, TIOCGWINSZ, &w) == 0 ||
		    ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0) {
			g.rows = w.ws_row;
			g.cols = w.ws_col;
		}
	}
	if (vm_net_prepare(s, &vn, &g, err) < 0)
		goto out;
	if (cl_guest_init_path(init, sizeof(init), err) < 0)
		goto out;
	cl_guest_modules_dir(kernel, moddir, sizeof(moddir));
	cache_dir(cache, sizeof(cache));
	binds = calloc(s->n_mounts + 1, sizeof(*binds));
	ro_binds = calloc(s->n_mounts + 1, sizeof(*ro_binds));
	if (!binds || !ro_binds) {
		cl_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		/* cl_spec_validate() let only read-only binds through */
		if (s->mounts[i].kind != CL_MOUNT_BIND || !s->mounts[i].readonly) {
			cl_fail(err, 0, "internal error: mount %s reached the micro-VM",
				s->mounts[i].dest);
			goto out;
		}
		binds[nb] = (struct cl_initramfs_bind){s->mounts[i].source, s->mounts[i].dest};
		ro_binds[nb++] = s->mounts[i].dest;
	}
	ro_binds[nb] = NULL;
	g.ro_binds = nb ? ro_binds : NULL;
	if (cl_initramfs_build(s->disk ? NULL : s->rootfs, binds, nb, &g, moddir[0] ? moddir : NULL,
			       init, cache, initrd, sizeof(initrd), err) < 0)
		goto out;

	if (s->disk) {
		uint64_t base;
		int irq;
		cl_virtio_mmio_slot((unsigned)n, &base, &irq);
		devs[n] = s->overlay && !s->readonly
			      ? cl_virtio_blk_new_snapshot(NULL, base, irq, s->disk, err)
			      : cl_virtio_blk_new(NULL, base, irq, s->disk, s->readonly, err);
		if (!devs[n])
			goto out; /* the message names the image */
		n++;
	}
	if (vsock) {
		uint64_t base;
		int irq, fd = vsock_listen(vsock, err);

		if (fd < 0)
			goto out;
		vsock_made = true;
		cl_virtio_mmio_slot((unsigned)n, &base, &irq);
		devs[n] = cl_virtio_vsock_new(NULL, base, irq, CL_VM_VSOCK_CID, fd, err);
		if (!devs[n])
			goto out;
		n++;
	}
	if (vn.tap >= 0) {
		uint64_t base;
		int irq;

		cl_virtio_mmio_slot((unsigned)n, &base, &irq);
		devs[n] = cl_virtio_net_new(NULL, base, irq, vn.tap, vn.mac, err);
		vn.tap = -1; /* the device's now, or closed */
		if (!devs[n])
			goto out;
		n++;
	}

	struct cl_vm_config cfg = {
	    .kernel = kernel,
	    .initrd = initrd,
	    .cmdline = getenv("CLOISON_VM_DEBUG") ? CL_VM_CMDLINE CL_VM_CMDLINE_DEBUG
						  : CL_VM_CMDLINE CL_VM_CMDLINE_QUIET,
	    .vcpus = s->vcpus,
	    .mem_bytes = s->memory,
	    .console_in = s->keep_stdin || s->tty ? STDIN_FILENO : -1,
	    .console_out = STDOUT_FILENO,
	    .console_in_after_exec = true,
	    .force = s->vm_force,
	    .timeout_ms = (unsigned)s->res.timeout_ms,
	    .boot_watchdog_ms = boot_watchdog_ms(),
	    .extra_devs = devs,
	    .n_extra_devs = n,
	    .attach = cl_virtio_attach_devs,
	    .start = cl_virtio_start_devs,
	    .stop = cl_virtio_stop_devs,
	    .name = s->res.name,
	    .accounting = s->res.accounting,
	};
	cfg.attach_ctx = &cfg;
	signal(SIGPIPE, SIG_IGN);
	if (ready) {
		char addr[INET_ADDRSTRLEN] = "";

		if (vn.net.bridged)
			snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(vn.ip, "/"), vn.ip);
		ready(ctx, addr);
	}
	/* -t: our terminal raw while the guest's console is the terminal */
	if (s->tty && tcgetattr(STDIN_FILENO, &saved_tty) == 0) {
		struct termios raw = saved_tty;

		cfmakeraw(&raw);
		tty_raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	if (s->tty && vsock && cl_vm_jail_wanted()) {
		winch_sock = vsock;
		cfg.on_signal = forward_winch;
		sigemptyset(&wa.sa_mask);
		sigaction(SIGWINCH, &wa, &wold);
	}
	r = cl_vm_run_jailed(&cfg, exit_status, err);
	if (s->tty && vsock && cl_vm_jail_wanted())
		sigaction(SIGWINCH, &wold, NULL);
out:
	for (int i = 0; handled && i < 4; i++)
		sigaction(stops[i], &old[i], NULL);
	for (size_t i = 0; i < n; i++)
		cl_virtio_free(devs[i]);
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	vm_net_release(&vn);
	if (vsock_made)
		unlink(vsock);
	if (tdir[0])
		rmdir(tdir);
	if (cl_vm_stop_signal) { /* as a stop signal would have, once released */
		signal(cl_vm_stop_signal, SIG_DFL);
		raise(cl_vm_stop_signal);
	}
	free(binds);
	free(ro_binds);
	if (r < 0)
		cl_wrap(err, "micro-VM (kernel %s)", kernel);
	return r;
}
