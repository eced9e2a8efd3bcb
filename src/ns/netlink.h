/* Link, address and route operations over rtnetlink with libmnl: the one
 * place cloison talks to the kernel's network configuration.  Every call
 * works in the network namespace the socket was opened in, and fails with a
 * message naming the operation and its object, e.g.
 * "cannot add address 10.88.0.5/16 to eth0: File exists". */
#ifndef CL_NS_NETLINK_H
#define CL_NS_NETLINK_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

struct mnl_socket;

struct cl_nl {
	struct mnl_socket *sock;
	unsigned int seq, portid;
};

/* What a link dump reports about each link. */
struct cl_nl_link {
	int index;
	int master; /* ifindex of its bridge, 0 if none */
	char name[IFNAMSIZ];
	char kind[16]; /* "bridge", "veth", ... ("" for none) */
	char alias[64];
};

/* A socket in the current network namespace. */
int cl_nl_open(struct cl_nl *nl, struct cl_err *err);
void cl_nl_close(struct cl_nl *nl);

/* Fills @l for link @name: 1 when found, 0 (no error) when there is none. */
int cl_nl_link_get(struct cl_nl *nl, const char *name, struct cl_nl_link *l, struct cl_err *err);
/* Calls @fn for every link; stops early (returning its value) when @fn
 * returns non-zero. */
int cl_nl_link_dump(struct cl_nl *nl, int (*fn)(const struct cl_nl_link *l, void *data), void *data,
		    struct cl_err *err);

/* A new bridge @name, down, tagged with @alias (ifalias) so that cloison
 * can tell the bridges it made from the administrator's. */
int cl_nl_bridge_add(struct cl_nl *nl, const char *name, const char *alias, struct cl_err *err);
/* A veth pair: @name here, up, enslaved to @master (an ifindex, 0 for none);
 * its peer @peer created directly in the network namespace of process
 * @peer_pid, so it never exists in ours. */
int cl_nl_veth_add(struct cl_nl *nl, const char *name, int master, const char *peer, pid_t peer_pid,
		   struct cl_err *err);
int cl_nl_link_up(struct cl_nl *nl, const char *name, struct cl_err *err);
/* Make @name a port of the bridge of index @master, and bring it up. */
int cl_nl_link_enslave_up(struct cl_nl *nl, const char *name, int master, struct cl_err *err);
/* Bridge port @name may send a frame back where it came from: a jail
 * reaching its own published port through the host (DNAT) needs it. */
int cl_nl_port_hairpin(struct cl_nl *nl, const char *name, struct cl_err *err);
/* Deletes @name; a link that is already gone is not an error. */
int cl_nl_link_del(struct cl_nl *nl, const char *name, struct cl_err *err);

int cl_nl_addr_add(struct cl_nl *nl, const char *ifname, struct in_addr addr, unsigned prefix,
		   struct cl_err *err);
/* The first IPv4 address of @ifname, or 0.0.0.0 when it has none. */
int cl_nl_addr_get(struct cl_nl *nl, const char *ifname, struct in_addr *addr, unsigned *prefix,
		   struct cl_err *err);
/* default via @gw (on the link that reaches it). */
int cl_nl_route_add_default(struct cl_nl *nl, struct in_addr gw, struct cl_err *err);

/* IPv6: @addr/@prefix on @ifname, without duplicate address detection
 * (usable at once: IFA_F_NODAD). */
int cl_nl_addr6_add(struct cl_nl *nl, const char *ifname, const struct in6_addr *addr,
		    unsigned prefix, struct cl_err *err);
/* The first global-scope IPv6 address of @ifname; *@prefix is 0 when it has
 * none. */
int cl_nl_addr6_get(struct cl_nl *nl, const char *ifname, struct in6_addr *addr, unsigned *prefix,
		    struct cl_err *err);
/* default via @gw (an address on a link's prefix). */
int cl_nl_route6_add_default(struct cl_nl *nl, const struct in6_addr *gw, struct cl_err *err);

#endif
