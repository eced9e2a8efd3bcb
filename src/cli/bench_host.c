/* cloison bench, the host's side: the facts that explain the figures, the
 * TCP peer the network workloads talk to, and the density count (idle
 * contexts started, one by one, in a memory cgroup of 1 GiB). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench.h"
#include "ns/cgroup.h"
#include "spec/spec.h"
#include "util/error.h"
#include "vm/vm.h"

/* ---- host facts ---- */

static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

void cl_bench_host_facts(struct cl_bench *b)
{
	char line[512], desc[256], *p = b->host_mitigations;
	size_t left = sizeof(b->host_mitigations);
	bool hypervisor = false;
	int cpus = 0;
	struct utsname u;
	struct dirent *e;
	FILE *f = fopen("/proc/cpuinfo", "re");
	DIR *d;

	snprintf(b->host_cpu, sizeof(b->host_cpu), "unknown CPU");
	while (f && fgets(line, sizeof(line), f)) {
		char *v = strchr(line, ':');

		if (!v)
			continue;
		v += 1 + (v[1] == ' ');
		v[strcspn(v, "\n")] = 0;
		if (!strncmp(line, "processor", 9))
			cpus++;
		else if (cpus == 1 && !strncmp(line, "model name", 10))
			snprintf(b->host_cpu, sizeof(b->host_cpu), "%s", v);
		else if (cpus == 1 && !strncmp(line, "flags", 5))
			hypervisor = strstr(v, " hypervisor") != NULL;
	}
	if (f)
		fclose(f);
	if (cpus) {
		size_t n = strlen(b->host_cpu);
		snprintf(b->host_cpu + n, sizeof(b->host_cpu) - n, ", %d CPU%s", cpus,
			 cpus > 1 ? "s" : "");
	}
	/* what /dev/kvm is, and what it means for the VM column */
	switch (cl_kvm_probe(desc, sizeof(desc))) {
	case 1:
		snprintf(b->host_virt, sizeof(b->host_virt), "%.250s%s", desc,
			 hypervisor ? "; this host is itself a guest: nested virtualisation "
				      "(VM exits go through the outer hypervisor)"
				    : "");
		break;
	case 0:
		snprintf(b->host_virt, sizeof(b->host_virt),
			 "%s (kvm_pvm: paravirtualised KVM inside a guest, no VT-x/AMD-V; only "
			 "guests made for it, or cloison's test guest, run)",
			 desc);
		break;
	default: snprintf(b->host_virt, sizeof(b->host_virt), "no usable /dev/kvm: %.250s", desc);
	}
	if (uname(&u) == 0)
		snprintf(b->host_kernel, sizeof(b->host_kernel), "Linux %s %s", u.release,
			 u.version);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		snprintf(b->host_cgroups, sizeof(b->host_cgroups), "v2 (unified)");
	else if (access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0)
		snprintf(b->host_cgroups, sizeof(b->host_cgroups),
			 "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)");
	else
		snprintf(b->host_cgroups, sizeof(b->host_cgroups), "v1");
	/* the mitigations: what slows system calls and VM exits down */
	p[0] = 0;
	d = opendir("/sys/devices/system/cpu/vulnerabilities");
	while (d && (e = readdir(d))) {
		char path[300];
		int n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/vulnerabilities/%s",
			 e->d_name);
		read_line(path, line, sizeof(line));
		if (!strcmp(line, "Not affected"))
			continue;
		n = snprintf(p, left, "%s: %s\n", e->d_name, line);
		if (n < 0 || (size_t)n >= left)
			break;
		p += n;
		left -= (size_t)n;
	}
	if (d)
		closedir(d);
}

/* ---- the TCP peer ---- */

static int lfd[2] = {-1, -1};
static int wake[2] = {-1, -1};
static pthread_t peer_thread;
static bool peer_running;
static uint64_t peer_token;

/* Waits until @fd is ready for @ev, the bench stops, or @deadline (ms). */
static bool ready(int fd, short ev, double deadline)
{
	for (;;) {
		double left = deadline - cl_bench_now_ms();
		struct pollfd pf[2] = {{.fd = fd, .events = ev}, {.fd = wake[0], .events = POLLIN}};
		int r;

		if (left <= 0)
			return false;
		r = poll(pf, 2, (int)left + 1);
		if (r < 0 && errno != EINTR)
			return false;
		if (r > 0)
			return !pf[1].revents && pf[0].revents;
	}
}

/* One connection: the token the bench gave its workloads, then a mode --
 * 's': read to the end and answer with the count; 'r': echo every byte.
 * Non-blocking, each wait bounded by the connection's deadline and ended
 * by cl_bench_peer_stop: nothing that connects can hold the bench. */
static void serve(int fd)
{
	double deadline = cl_bench_now_ms() + 600000.0;
	char buf[128 * 1024], mode = 0;
	unsigned char hello[9];
	size_t got = 0;
	uint64_t total = 0, tok;
	ssize_t n;

	while (got < sizeof(hello)) {
		if (!ready(fd, POLLIN, cl_bench_now_ms() + 10000.0))
			return;
		n = read(fd, hello + got, sizeof(hello) - got);
		if (n <= 0 && !(n < 0 && errno == EAGAIN))
			return;
		if (n > 0)
			got += (size_t)n;
	}
	memcpy(&tok, hello, sizeof(tok));
	mode = (char)hello[8];
	if (tok != peer_token || (mode != 's' && mode != 'r'))
		return;
	for (;;) {
		if (!ready(fd, POLLIN, deadline))
			return;
		n = read(fd, buf, mode == 'r' ? 1 : sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			continue;
		if (n < 0)
			return;
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (mode == 'r' && (!ready(fd, POLLOUT, deadline) || write(fd, buf, 1) != 1))
			return;
	}
	if (mode == 's' && ready(fd, POLLOUT, deadline))
		(void)!write(fd, &total, sizeof(total));
}

static void *peer_main(void *arg)
{
	(void)arg;
	for (;;) {
		struct pollfd pf[3] = {{.fd = wake[0], .events = POLLIN},
				       {.fd = lfd[0], .events = POLLIN},
				       {.fd = lfd[1], .events = POLLIN}};
		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			return NULL;
		if (pf[0].revents)
			return NULL;
		for (int i = 1; i < 3; i++)
			if (pf[i].fd >= 0 && (pf[i].revents & POLLIN)) {
				int fd =
				    accept4(pf[i].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

				if (fd >= 0) {
					serve(fd);
					close(fd);
				}
			}
	}
}

static int listen_on(const char *ip, int port, struct cl_err *err)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return cl_fail(err, errno, "cannot make the bench's TCP peer");
	inet_pton(AF_INET, ip, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0) {
		cl_fail(err, errno, "cannot listen on %s:%d for the bench's TCP peer", ip, port);
		close(fd);
		return -1;
	}
	return fd;
}

/* Listens on 127.0.0.1 (the host's workloads) and @bridge_ip (the
 * container's, through the bridge), on one port, until cl_bench_peer_stop;
 * a connection that does not begin with @token is closed. */
int cl_bench_peer_start(int *port, const char *bridge_ip, uint64_t token, struct cl_err *err)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	peer_token = token;
	lfd[0] = listen_on("127.0.0.1", 0, err);
	if (lfd[0] < 0)
		return -1;
	if (getsockname(lfd[0], (struct sockaddr *)&sa, &sl) < 0)
		goto fail;
	*port = ntohs(sa.sin_port);
	if (bridge_ip && (lfd[1] = listen_on(bridge_ip, *port, err)) < 0)
		goto fail;
	if (pipe2(wake, O_CLOEXEC) < 0 || pthread_create(&peer_thread, NULL, peer_main, NULL)) {
		cl_fail(err, errno, "cannot start the bench's TCP peer");
		goto fail;
	}
	peer_running = true;
	return 0;
fail:
	if (!err->msg[0])
		cl_fail(err, errno, "cannot start the bench's TCP peer");
	cl_bench_peer_stop();
	*port = 0;
	return -1;
}

void cl_bench_peer_stop(void)
{
	if (peer_running) {
		if (write(wake[1], "x", 1) == 1)
			pthread_join(peer_thread, NULL);
		peer_running = false;
	}
	for (int i = 0; i < 2; i++) {
		if (lfd[i] >= 0)
			close(lfd[i]);
		if (wake[i] >= 0)
			close(wake[i]);
		lfd[i] = wake[i] = -1;
	}
}

/* The IPv4 address of cloison's default bridge. */
int cl_bench_bridge_ip(char *buf, size_t len)
{
	struct ifaddrs *ifa, *i;
	int r = -1;

	if (getifaddrs(&ifa) < 0)
		return -1;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    !strcmp(i->ifa_name, "cl-br0")) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf,
				  (socklen_t)len);
			r = 0;
			break;
		}
	freeifaddrs(ifa);
	return r;
}
