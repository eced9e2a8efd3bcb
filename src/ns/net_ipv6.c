/* IPv6 for bridge mode (see net_ipv6.h): only bridge mode calls it, so
 * --net none and host pay nothing. */
#include "ns/net_ipv6.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "util/cleanup.h"

/* The host part of an IPv4 address longer than this could not fit. */
#define PREFIX6_MAX 96

/* net.ipv6.conf.@dev.disable_ipv6 is 0 in this namespace (a missing file:
 * no ipv6 module, or booted with ipv6.disable=1). */
static bool enabled(const char *dev)
{
	char path[96], v = '1';
	_cleanup_close_ int fd = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd >= 0 && read(fd, &v, 1) == 1 && v == '0';
}

static void mask6(struct in6_addr *a, unsigned prefix)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
		a->s6_addr[i] &= bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
	}
}

/* @net with the host part of @a4 in @prefix4 in its low 32 bits. */
static struct in6_addr with_host(const struct in6_addr *net, struct in_addr a4, unsigned prefix4)
{
	uint32_t host = ntohl(a4.s_addr) & (prefix4 ? ~(~0U << (32 - prefix4)) : ~0U);
	struct in6_addr r = *net;

	for (int i = 0; i < 4; i++)
		r.s6_addr[15 - i] |= (uint8_t)(host >> (8 * i));
	return r;
}

/* RFC 4193: fd, a random 40-bit global ID, subnet 0, a /64. */
static int new_ula(struct in6_addr *net)
{
	memset(net, 0, sizeof(*net));
	net->s6_addr[0] = 0xfd;
	return getrandom(net->s6_addr + 1, 5, 0) == 5 ? 0 : -1;
}

void cl_net6_plan(struct cl_nl *nl, const char *bridge, const char *alias, struct in_addr gw4,
		  unsigned prefix4, struct in_addr addr4, bool jail, struct cl_net6 *p)
{
	struct cl_err err = {0};
	struct cl_nl_link l;
	struct in6_addr have;
	unsigned prefix;
	char a[INET6_ADDRSTRLEN];

	memset(p, 0, sizeof(*p));
	if (!enabled("all") || !enabled(bridge))
		return; /* IPv6 is off here: IPv4 only, as asked */
	if (cl_nl_addr6_get(nl, bridge, &have, &prefix, &err) < 0)
		goto warn;
	if (prefix) {
		inet_ntop(AF_INET6, &have, a, sizeof(a));
		if (prefix > PREFIX6_MAX) {
			cl_warn("bridge %s's IPv6 subnet %s/%u is longer than a /%u: the jail "
				"gets IPv4 only",
				bridge, a, prefix, PREFIX6_MAX);
			return;
		}
		p->net = have;
		mask6(&p->net, prefix);
		p->gw = have;
	} else {
		/* an administrator's bridge with IPv4 only is left so */
		if (cl_nl_link_get(nl, bridge, &l, &err) <= 0 || strcmp(l.alias, alias) != 0)
			return;
		prefix = 64;
		if (new_ula(&p->net) < 0) {
			cl_fail(&err, errno, "cannot pick an IPv6 prefix for bridge %s", bridge);
			goto warn;
		}
		p->gw = with_host(&p->net, gw4, prefix4);
		if (cl_nl_addr6_add(nl, bridge, &p->gw, prefix, &err) < 0)
			goto warn;
		p->made = true;
	}
	p->prefix = prefix;
	if (!jail)
		return;
	p->addr = with_host(&p->net, addr4, prefix4);
	if (memcmp(&p->addr, &p->gw, sizeof(p->addr)) == 0) {
		inet_ntop(AF_INET6, &p->addr, a, sizeof(a));
		cl_warn("the jail's IPv6 address %s would be bridge %s's own: the jail gets IPv4 "
			"only",
			a, bridge);
		memset(&p->addr, 0, sizeof(p->addr));
		return;
	}
	p->on = true;
	return;
warn:
	cl_warn("%s: the jail gets IPv4 only", err.msg);
	memset(p, 0, sizeof(*p));
}

int cl_net6_child(struct cl_nl *nl, const struct cl_netspec *c, struct cl_err *err)
{
	if (!c->ip6_prefix)
		return 0;
	if (cl_nl_addr6_add(nl, "eth0", &c->ip6, c->ip6_prefix, err) < 0)
		/* EACCES: IPv6 disabled on eth0 (the jail's namespace inherited
		 * disable_ipv6, net.core.devconf_inherit_init_net) */
		return err->errnum == EACCES ? (memset(err, 0, sizeof(*err)), 0) : -1;
	return cl_nl_route6_add_default(nl, &c->gateway6, err);
}
