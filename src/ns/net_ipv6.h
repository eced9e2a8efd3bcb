/* IPv6 on the bridge: a ULA /64 on each bridge cloison makes (fdXX:...,
 * a random 40-bit global ID picked once and kept on the bridge itself, so
 * it is read back, like the IPv4 subnet), and for each jail an address in
 * it derived from its IPv4 lease (the same host part: 10.88.0.5 is
 * PREFIX::5), so no second lease state exists.  Optional by nature: when
 * the namespace has IPv6 disabled or no ipv6 module, or the bridge is an
 * administrator's without an IPv6 address, the jail gets IPv4 only and
 * nothing fails. */
#ifndef CL_NS_NET_IPV6_H
#define CL_NS_NET_IPV6_H

#include <netinet/in.h>
#include <stdbool.h>

#include "ns/netlink.h"
#include "spec/netspec.h"

/* The bridge's IPv6 prefix (prefix 0: it has none, all zero) and what the
 * jail gets of it (on false: IPv4 only).  For the bridge's NAT:
 * net/prefix, and made when this run gave the bridge its prefix. */
struct cl_net6 {
	struct in6_addr net;  /* the bridge's prefix, host bits zero ... */
	unsigned prefix;      /* ... and its length (64 for cloison's ULA) */
	struct in6_addr gw;   /* the bridge's address: the jail's default route */
	bool made;	      /* the prefix was added to the bridge by this run */
	bool on;	      /* the jail gets ... */
	struct in6_addr addr; /* ... this address */
};

/* Under the state lock, the bridge made and the jail's IPv4 address
 * @addr4 leased in @gw4/@prefix4: reads the bridge's IPv6 prefix (giving a
 * bridge of cloison's, tagged @alias, a new ULA one if it has none) and,
 * if @jail (no --no-ipv6), derives the jail's address.  Never fails: @p->on
 * stays false when IPv6 cannot be had, with a warning when that is a
 * surprise. */
void cl_net6_plan(struct cl_nl *nl, const char *bridge, const char *alias, struct in_addr gw4,
		  unsigned prefix4, struct in_addr addr4, bool jail, struct cl_net6 *p);
/* In the jail, eth0 up: its IPv6 address and default route, if
 * @c->ip6_prefix.  IPv6 disabled in the jail's own namespace: IPv4 only. */
int cl_net6_child(struct cl_nl *nl, const struct cl_netspec *c, struct cl_err *err);

#endif
