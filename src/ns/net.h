/* The jail's network: loopback, or a veth on a bridge with an address, a
 * route, /etc/hosts and resolv.conf, and published ports. */
#ifndef CL_NS_NET_H
#define CL_NS_NET_H

#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "ns/net_pasta.h"
#include "ns/net_ipv6.h"
#include "spec/spec.h"

/* What a bridge-mode run holds, so that cl_net_release() can give it back
 * whatever step it got to.  All zero for --net none and host. */
struct cl_net {
	bool bridged;
	bool leased; /* an address lease is ours */
	pid_t owner; /* this cloison, and its start time: the lease's key */
	unsigned long long start;
	char bridge[IFNAMSIZ];
	char veth[IFNAMSIZ]; /* host end, "clv<owner pid>" (a micro-VM's tap) */
	bool veth_made;	     /* (a micro-VM's tap goes with its last fd anyway) */
	char dir[PATH_MAX];  /* the run directory (hosts, resolv.conf), "" if none */
	char hosts[PATH_MAX + 16], resolv[PATH_MAX + 16];
	pid_t proxy;		      /* the --publish relay, 0 if none */
	bool nft_jail;		      /* the jail's nftables chains exist (ns/net_nat.h) */
	int held[CL_NET_PUBLISH_MAX]; /* published ports held while the DNAT serves them */
	size_t n_held;
	struct cl_net6 v6;   /* the bridge's IPv6 prefix and the jail's address */
	struct cl_spec jail; /* the spec the jail sees: its address, the binds */
	struct cl_mount *mounts;
	struct cl_pasta pasta; /* --net pasta: pasta attached to the jail (pid 0: none) */
};

/* Before clone: bridge, address allocation, files for the jail, published
 * ports.  Nothing at all for --net none or host. */
int cl_net_prepare(const struct cl_spec *s, struct cl_net *n, struct cl_err *err);
/* The spec the child must use: @s, or its bridge-mode copy with the address
 * resolved and /etc/hosts and resolv.conf bound. */
const struct cl_spec *cl_net_jail_spec(const struct cl_net *n, const struct cl_spec *s);
/* After clone, before the child is released: veth into @pid's netns. */
int cl_net_attach(const struct cl_spec *s, struct cl_net *n, pid_t pid, struct cl_err *err);
/* A micro-VM's instead: a tap named as the veth's host end would be, on the
 * bridge, with the same hairpin and guard; its fd (IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, close-on-exec) in *@fd, for the VMM's virtio-net.  Not
 * persistent: the tap goes when the last process holding it ends, so a
 * VMM killed with SIGKILL leaves no port behind. */
int cl_net_attach_tap(const struct cl_spec *s, struct cl_net *n, int *fd, struct cl_err *err);
/* In the child, in its new namespaces, after the mounts: lo up, and in
 * bridge mode eth0 up with its address and the default route. */
int cl_net_child(const struct cl_spec *s, struct cl_err *err);
/* At the end, on every path: relay, host end, lease, run directory. */
void cl_net_release(struct cl_net *n);

#endif
