/* The guest's network, from the spec (guest/spec.h): lo up always; with
 * --net bridge, eth0 (virtio-net) up with the leased addresses and default
 * routes, and /etc/hosts and /etc/resolv.conf as the host wrote them.
 * Plain ioctls: init is static and carries no netlink library. */
#include "guest/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NET_DIR "/dev/.cloison-net" /* devtmpfs: writable whatever the root is */

/* From linux/ipv6.h, which does not mix with glibc's headers. */
struct cl_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

static int if_up(int fd, const char *name, struct cl_err *err)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return cl_fail(err, errno, "cannot read the flags of %s", name);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return cl_fail(err, errno, "cannot bring %s up", name);
	return 0;
}

/* "A.B.C.D/P" or "ADDR/P" into its address (@af) and prefix. */
static int parse_cidr(int af, const char *s, void *addr, unsigned *prefix, struct cl_err *err)
{
	char buf[64], *slash, *end;
	unsigned long p;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (!slash)
		return cl_fail(err, 0, "bad address '%s' in the spec (no /prefix)", s);
	*slash = 0;
	p = strtoul(slash + 1, &end, 10);
	if (*end || p > (af == AF_INET ? 32u : 128u) || inet_pton(af, buf, addr) != 1)
		return cl_fail(err, 0, "bad address '%s' in the spec", s);
	*prefix = (unsigned)p;
	return 0;
}

/* eth0 appears as virtio_net probes, which is done when its module is in;
 * wait a little anyway (an interrupt-driven probe elsewhere). */
static unsigned wait_eth0(void)
{
	for (int i = 0; i < 200; i++) {
		unsigned idx = if_nametoindex("eth0");
		struct timespec t = {.tv_nsec = 10000000};

		if (idx)
			return idx;
		nanosleep(&t, NULL);
	}
	return 0;
}

static int ipv4(int fd, const struct cl_guest_spec *s, struct cl_err *err)
{
	struct ifreq ifr = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	struct in_addr a, gw;
	unsigned prefix;
	struct rtentry rt = {0};

	if (parse_cidr(AF_INET, s->net_ip, &a, &prefix, err) < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "eth0");
	sin->sin_family = AF_INET;
	sin->sin_addr = a;
	if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
		return cl_fail(err, errno, "cannot give eth0 the address %s", s->net_ip);
	sin->sin_addr.s_addr = prefix ? htonl(~0u << (32 - prefix)) : 0;
	if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
		return cl_fail(err, errno, "cannot set eth0's netmask (/%u)", prefix);
	if (if_up(fd, "eth0", err) < 0)
		return -1;
	if (!s->net_gw)
		return 0;
	if (inet_pton(AF_INET, s->net_gw, &gw) != 1)
		return cl_fail(err, 0, "bad gateway '%s' in the spec", s->net_gw);
	((struct sockaddr_in *)&rt.rt_dst)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_genmask)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_gateway)->sin_family = AF_INET;
	((struct sockaddr_in *)&rt.rt_gateway)->sin_addr = gw;
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = "eth0";
	if (ioctl(fd, SIOCADDRT, &rt) < 0)
		return cl_fail(err, errno, "cannot add the default route via %s", s->net_gw);
	return 0;
}

static int ipv6(unsigned idx, const struct cl_guest_spec *s, struct cl_err *err)
{
	struct cl_in6_ifreq r = {.ifindex = (int)idx};
	struct in6_rtmsg rt = {0};
	int fd, ret = 0, dad;

	/* no duplicate address detection: the host leased the address, and
	 * the command may use it at once */
	dad = open("/proc/sys/net/ipv6/conf/eth0/accept_dad", O_WRONLY | O_CLOEXEC);
	if (dad >= 0) {
		(void)!write(dad, "0", 1);
		close(dad);
	}
	if (parse_cidr(AF_INET6, s->net_ip6, &r.addr, &r.prefixlen, err) < 0)
		return -1;
	/* a guest kernel without IPv6 (or with it off on eth0) runs on IPv4,
	 * as a container whose host has it off does (ns/net_ipv6.c) */
	fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT) {
		dprintf(STDERR_FILENO,
			"cloison-init: warning: no IPv6 in the guest kernel: "
			"%s not set, IPv4 only\n",
			s->net_ip6);
		return 0;
	}
	if (fd < 0)
		return cl_fail(err, errno, "cannot make an IPv6 socket for %s", s->net_ip6);
	if (ioctl(fd, SIOCSIFADDR, &r) < 0) {
		if (errno == EACCES || errno == EAFNOSUPPORT) {
			dprintf(STDERR_FILENO,
				"cloison-init: warning: IPv6 is off on eth0: %s not set, IPv4 "
				"only\n",
				s->net_ip6);
			close(fd);
			return 0;
		}
		ret = cl_fail(err, errno, "cannot give eth0 the address %s", s->net_ip6);
	}
	if (!ret && s->net_gw6) {
		if (inet_pton(AF_INET6, s->net_gw6, &rt.rtmsg_gateway) != 1)
			ret = cl_fail(err, 0, "bad gateway '%s' in the spec", s->net_gw6);
		rt.rtmsg_flags = RTF_UP | RTF_GATEWAY;
		rt.rtmsg_metric = 1;
		rt.rtmsg_ifindex = (int)idx;
		if (!ret && ioctl(fd, SIOCADDRT, &rt) < 0)
			ret =
			    cl_fail(err, errno, "cannot add the default route via %s", s->net_gw6);
	}
	close(fd);
	return ret;
}

/* @text over @target, read-only, as the container's binds are. */
static int put_file(const char *name, const char *text, const char *target, struct cl_err *err)
{
	char path[64];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), NET_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd);
		return cl_fail(err, errno, "cannot write %s", path);
	}
	close(fd);
	/* a root without the file (or with a dangling link there) gets one
	 * where it can, else the bind below says why */
	if (access(target, F_OK) < 0) {
		(void)mkdir("/etc", 0755); /* a bare --disk root: /etc too */
		unlink(target);
		fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	if (mount(path, target, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return cl_fail(err, errno, "cannot bind %s over %s", path, target);
	return 0;
}

int cl_guest_net_setup(const struct cl_guest_spec *s, struct cl_err *err)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;
	unsigned idx;

	if (fd < 0)
		return cl_fail(err, errno, "cannot make a socket to configure the network");
	r = if_up(fd, "lo", err);
	if (r < 0)
		goto out;
	if (!s->net_ip)
		goto out;
	idx = wait_eth0();
	if (!idx) {
		r = cl_fail(err, ENODEV,
			    "no eth0: the guest kernel found no virtio-net device (or has "
			    "no driver for it)");
		goto out;
	}
	r = ipv4(fd, s, err);
	if (!r && s->net_ip6)
		r = ipv6(idx, s, err);
	if (!r && (s->net_hosts || s->net_resolv) && mkdir(NET_DIR, 0755) < 0 && errno != EEXIST)
		r = cl_fail(err, errno, "cannot create " NET_DIR);
	if (!r && s->net_hosts)
		r = put_file("hosts", s->net_hosts, "/etc/hosts", err);
	if (!r && s->net_resolv)
		r = put_file("resolv.conf", s->net_resolv, "/etc/resolv.conf", err);
out:
	close(fd);
	return r < 0 ? -1 : 0;
}
