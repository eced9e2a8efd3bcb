/* The nftables side of bridge mode (the rules themselves: ns/nft.h):
 * the bridge's masquerade, made with its first jail and removed with its
 * last; a jail's --no-egress drop and --publish DNAT, removed with it; and
 * what jails killed before cleaning up left, swept by the next bridged run
 * and by `cloison gc`.  --net none and host never come here. */
#ifndef CL_NS_NET_NAT_H
#define CL_NS_NET_NAT_H

#include <stdbool.h>
#include <netinet/in.h>

#include "ns/net.h"
#include "ns/net_ipam.h"

/* Under the state lock, leases reconciled: removes the rules of jails
 * whose cloison is gone and of bridges without a live lease here, reporting
 * each through @said (may be NULL).  Returns how many, or -1. */
int cl_net_nat_sweep(const struct cl_ipam *st, bool dry,
		     void (*said)(const char *chain, void *data), void *data, struct cl_err *err);
/* Under the state lock, the bridge up: its first jail sets up the
 * masquerade for @gw/@prefix, and for the bridge's IPv6 prefix @v6 (if it
 * has one; also when this run gave it the prefix).  Failing that, a
 * warning: the jails then reach only the host, as before cloison had NAT. */
void cl_net_nat_bridge(const char *bridge, bool first, struct in_addr gw, unsigned prefix,
		       const struct cl_net6 *v6);
/* The jail's own rules: --no-egress (an error when nftables cannot), and
 * the published ports, held (bound, so a port in use is refused) and sent
 * to @addr by DNAT; when nftables cannot, or CLOISON_PUBLISH_RELAY=1, by
 * the userspace relay, with a warning in the first case.  Their IPv6 side
 * is the relay's in every case (to @addr too: a service listening on IPv4
 * only is published on IPv6 as well, and [::1] cannot be DNATed off the
 * host). */
int cl_net_nat_jail(const struct cl_spec *s, struct cl_net *n, struct in_addr addr,
		    struct cl_err *err);
/* After the veth is made, before the jail runs: --no-egress's guard on
 * its port (no forged source address gets past the egress rule). */
int cl_net_nat_guard(const struct cl_spec *s, struct cl_net *n, struct cl_err *err);
/* Outside the lock: the jail's rules and held ports. */
void cl_net_nat_release_jail(struct cl_net *n);
/* Under the state lock, its lease dropped: the bridge's rules when no
 * jail is left on it. */
void cl_net_nat_release_bridge(const struct cl_ipam *st, const struct cl_net *n);

#endif
