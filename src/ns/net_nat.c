/* Bridge mode's nftables rules, glued to the leases: a bridge "has jails"
 * exactly when it has live leases in this network namespace, so the same
 * question decides when its masquerade is made, removed and swept. */
#include "ns/net_nat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ns/net_proxy.h"
#include "ns/nft.h"

static bool bridge_used(const char *bridge, void *data)
{
	return cl_ipam_in_use(data, cl_netns_id(), bridge, 0);
}

struct sweep {
	void (*said)(const char *chain, void *data);
	void *data;
	const struct cl_ipam *st;
};

static bool sweep_used(const char *bridge, void *data)
{
	return bridge_used(bridge, (void *)((struct sweep *)data)->st);
}

static void sweep_said(const char *chain, void *data)
{
	struct sweep *w = data;

	if (w->said)
		w->said(chain, w->data);
}

int cl_net_nat_sweep(const struct cl_ipam *st, bool dry,
		     void (*said)(const char *chain, void *data), void *data, struct cl_err *err)
{
	struct sweep w = {said, data, st};

	return cl_nft_sweep(sweep_used, sweep_said, &w, dry, err);
}

void cl_net_nat_bridge(const char *bridge, bool first, struct in_addr gw, unsigned prefix,
		       const struct cl_net6 *v6)
{
	struct in_addr net = {gw.s_addr & htonl(~0U << (32 - prefix))};
	struct cl_err err = {0};

	if (first && cl_nft_bridge_nat(bridge, AF_INET, &net, prefix, &err) < 0)
		cl_warn("%s: jails on %s reach only this host", err.msg, bridge);
	memset(&err, 0, sizeof(err));
	if (v6->prefix && (first || v6->made) &&
	    cl_nft_bridge_nat(bridge, AF_INET6, &v6->net, v6->prefix, &err) < 0)
		cl_warn("%s: jails on %s reach only this host over IPv6", err.msg, bridge);
}

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* Bound, not listening: nobody else can take the port while the DNAT
 * sends its traffic to the jail.  IPv4 ones: the relay binds the others. */
static int hold_ports(const struct cl_netspec *c, struct cl_net *n, struct cl_err *err)
{
	for (size_t i = 0; i < c->n_publish; i++) {
		const struct cl_publish *p = &c->publish[i];
		if (p->family == AF_INET6)
			continue;
		struct sockaddr_in a = {
		    .sin_family = AF_INET, .sin_port = htons(p->host_port), .sin_addr = p->host_ip};
		int fd =
		    socket(AF_INET,
			   (p->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

		if (fd >= 0)
			n->held[n->n_held++] = fd;
		if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			char h[INET_ADDRSTRLEN + 1] = "";
			if (p->host_ip.s_addr) {
				inet_ntop(AF_INET, &p->host_ip, h, INET_ADDRSTRLEN);
				strcat(h, ":");
			}
			return cl_fail(err, errno, "cannot publish port %s%u/%s", h, p->host_port,
				       proto_name(p->proto));
		}
	}
	return 0;
}

static void drop_ports(struct cl_net *n)
{
	while (n->n_held > 0)
		close(n->held[--n->n_held]);
}

int cl_net_nat_jail(const struct cl_spec *s, struct cl_net *n, struct in_addr addr,
		    struct cl_err *err)
{
	const struct cl_netspec *c = &s->netcfg;
	const char *force = getenv("CLOISON_PUBLISH_RELAY");
	bool relay = c->n_publish && force && strcmp(force, "1") == 0, v6 = false;
	struct cl_publish v4[CL_NET_PUBLISH_MAX];
	struct cl_nft_jail j = {
	    .owner = n->owner,
	    .start = n->start,
	    .bridge = n->bridge,
	    .addr = addr,
	    .addr6 = n->v6.on ? &n->v6.addr : NULL,
	    .no_egress = c->no_egress,
	    .publish = v4,
	};

	/* DNAT for IPv4 (every address, or an IPv4 HOSTIP); the IPv6 side,
	 * without HOSTIP or with an IPv6 one, is the relay's */
	for (size_t i = 0; i < c->n_publish && i < CL_NET_PUBLISH_MAX && !relay; i++) {
		v6 |= c->publish[i].family != AF_INET;
		if (c->publish[i].family != AF_INET6)
			v4[j.n_publish++] = c->publish[i];
	}

	if (j.n_publish && hold_ports(c, n, err) < 0)
		return -1;
	if (cl_nft_jail_add(&j, err) < 0) {
		if (c->no_egress)
			return -1; /* never let it out for want of a rule */
		cl_warn("%s; the published ports go through the userspace relay instead", err->msg);
		memset(err, 0, sizeof(*err));
		drop_ports(n);
		relay = true;
	} else {
		n->nft_jail = j.no_egress || j.n_publish;
	}
	if ((relay || v6) && (n->proxy = cl_proxy_start(c, addr, !relay, err)) < 0) {
		n->proxy = 0;
		return -1;
	}
	return 0;
}

int cl_net_nat_guard(const struct cl_spec *s, struct cl_net *n, struct cl_err *err)
{
	struct cl_nft_jail j = {
	    .owner = n->owner,
	    .start = n->start,
	    .bridge = n->bridge,
	    .addr = n->jail.netcfg.ip,
	    .addr6 = n->v6.on ? &n->v6.addr : NULL,
	};

	if (!s->netcfg.no_egress)
		return 0;
	if (cl_nft_jail_guard(&j, n->veth, err) < 0)
		return -1; /* fail closed, as the egress rule itself */
	n->nft_jail = true;
	return 0;
}

void cl_net_nat_release_jail(struct cl_net *n)
{
	struct cl_err err = {0};

	if (n->nft_jail && cl_nft_jail_del(n->owner, n->start, &err) < 0)
		cl_warn("%s (cloison gc will remove them)", err.msg);
	n->nft_jail = false;
	drop_ports(n);
}

void cl_net_nat_release_bridge(const struct cl_ipam *st, const struct cl_net *n)
{
	struct cl_err err = {0};

	if (!bridge_used(n->bridge, (void *)st) && cl_nft_bridge_del(n->bridge, &err) < 0)
		cl_warn("%s (cloison gc will remove them)", err.msg);
}
