/* The spec's network part: the mode, and for bridge mode the address, the
 * published ports and what the jail's /etc/hosts and resolv.conf say. */
#ifndef CL_SPEC_NETSPEC_H
#define CL_SPEC_NETSPEC_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cl_net_mode {
	CL_NET_NONE = 0, /* a new network namespace with only lo */
	CL_NET_HOST,	 /* the host's namespace (weaker) */
	CL_NET_BRIDGE,	 /* a veth on a bridge, eth0 in the jail */
	CL_NET_PASTA,	 /* user-mode networking by pasta (ns/net_pasta.c), eth0 */
};

#define CL_NET_BRIDGE_DEFAULT "cl-br0"
#define CL_NET_SUBNET_DEFAULT "10.88.0.0/16"
/* The most ports one jail can publish (the relay keeps them all open). */
#define CL_NET_PUBLISH_MAX 64

struct cl_spec;
struct cl_err;

struct cl_publish {
	/* 0: no HOSTIP, every IPv4 and IPv6 address of the host; AF_INET:
	 * host_ip (0.0.0.0: every IPv4 one); AF_INET6: host_ip6 ([::]: every
	 * IPv6 one) */
	int family;
	struct in_addr host_ip;
	struct in6_addr host_ip6;
	uint16_t host_port, jail_port;
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
};

struct cl_netspec {
	char *bridge;		/* bridge mode: the bridge's name (NULL: cl-br0) */
	struct in_addr subnet;	/* the bridge's subnet when cloison creates it */
	unsigned subnet_prefix; /* 0: the default, 10.88.0.0/16 */
	struct in_addr ip;	/* --ip, or 0.0.0.0: allocated */
	unsigned ip_prefix;	/* 0: the bridge's */
	struct cl_publish *publish;
	size_t n_publish;
	char **dns; /* nameservers for resolv.conf (NULL: the host's) */
	size_t n_dns;
	char **add_hosts; /* extra /etc/hosts entries, "NAME:ADDR" */
	size_t n_add_hosts;
	bool no_egress; /* on the bridge, kept off everything beyond it */
	bool no_ipv6;	/* bridge mode: IPv4 only (no ULA address, no IPv6 route) */
	/* Resolved by the container back end in the jail's copy of the spec:
	 * the address (ip, ip_prefix) it got and the bridge's address. */
	struct in_addr gateway;
	/* ... and its IPv6 address and the bridge's (ip6_prefix 0: none) */
	struct in6_addr ip6, gateway6;
	unsigned ip6_prefix;
};

void cl_netspec_init(struct cl_spec *s);
void cl_netspec_free(struct cl_spec *s);
int cl_netspec_validate(struct cl_spec *s, struct cl_err *err);

/* "10.88.0.0/16" -> address and prefix; false when malformed. */
bool cl_parse_cidr(const char *str, struct in_addr *addr, unsigned *prefix);
/* "" (no HOSTIP), "10.0.0.1" or "[::1]": @p's host address as -p spells
 * it, for messages and state. */
void cl_publish_host(const struct cl_publish *p, char *buf, size_t size);
/* The bridge's name, defaulted. */
const char *cl_netspec_bridge(const struct cl_spec *s);

#endif
