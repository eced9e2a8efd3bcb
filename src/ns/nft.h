/* nftables over netlink with libnftnl (on libmnl): cloison's one table,
 * "inet cloison", in the current network namespace.  Every rule lives in a
 * chain named after what owns it, so that removing an owner is deleting its
 * chains, and `cloison gc` can tell stale ones from their names alone:
 *   br-BRIDGE-nat4, -nat6   masquerade for the bridge's subnets (srcnat)
 *   br-BRIDGE-guard4        drop 127.0.0.0/8 arriving on the bridge (raw):
 *                           the other half of route_localnet
 *   jail-PID-START-fwd      --no-egress: what the jail starts beyond the bridge is rejected
 *   jail-PID-START-pre,-out --publish: DNAT of the published ports
 * PID and START are the owning cloison's (as in the address leases). */
#ifndef CL_NS_NFT_H
#define CL_NS_NFT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spec/netspec.h"
#include "util/error.h"

#define CL_NFT_TABLE "cloison"

/* Masquerade @family (AF_INET or AF_INET6) traffic from @subnet/@prefix
 * (a struct in_addr or in6_addr) that leaves through anything but @bridge,
 * and traffic to a published port that comes back through @bridge (from
 * the jails: hairpin; for AF_INET from 127.0.0.0/8 too, with route_localnet
 * on @bridge).  Replaces what an earlier call said for @bridge and @family;
 * turns forwarding on for @family in this namespace. */
int cl_nft_bridge_nat(const char *bridge, int family, const void *subnet, unsigned prefix,
		      struct cl_err *err);
/* Removes every chain of @bridge (the table too when it is then empty) and
 * turns route_localnet off again.  Nothing there is not an error. */
int cl_nft_bridge_del(const char *bridge, struct cl_err *err);

struct cl_nft_jail {
	pid_t owner;
	unsigned long long start;
	const char *bridge;
	struct in_addr addr;
	const struct in6_addr *addr6;	  /* its IPv6 address, NULL if none */
	bool no_egress;			  /* reject what it starts beyond @bridge (both families) */
	const struct cl_publish *publish; /* DNAT these to @addr */
	size_t n_publish;
};

/* The jail's chains, in one transaction: all or nothing. */
int cl_nft_jail_add(const struct cl_nft_jail *j, struct cl_err *err);
/* Removes the chains of @owner's jail; nothing there is not an error. */
/* --no-egress, once its veth's host end @dev exists: what the jail sends
 * with a source address not its own (a raw socket, IP_FREEBIND) is dropped
 * where it enters, so that the egress rule, which matches its addresses,
 * cannot be passed with a forged one.  Removed by cl_nft_jail_del. */
int cl_nft_jail_guard(const struct cl_nft_jail *j, const char *dev, struct cl_err *err);
int cl_nft_jail_del(pid_t owner, unsigned long long start, struct cl_err *err);

/* Finds the chains of jails whose cloison is gone and of bridges for which
 * @bridge_used says no, reports each through @said (may be NULL) and, unless
 * @dry, removes them (the table too when it is then empty).  Returns how
 * many, or -1.  No table: 0. */
int cl_nft_sweep(bool (*bridge_used)(const char *bridge, void *data),
		 void (*said)(const char *chain, void *data), void *data, bool dry,
		 struct cl_err *err);

#endif
