/* The jail's network: loopback, or a veth on a bridge with an address, a
 * route, /etc/hosts and resolv.conf, and published ports. */
#ifndef CL_NS_NET_H
#define CL_NS_NET_H

#include <sys/types.h>

#include "spec/spec.h"

struct cl_net {
	int unused; /* filled by the network work */
};

/* Before clone: bridge, address allocation, files for the jail. */
int cl_net_prepare(const struct cl_spec *s, struct cl_net *n, struct cl_err *err);
/* After clone, before the child is released: veth into @pid's netns, configured. */
int cl_net_attach(const struct cl_spec *s, struct cl_net *n, pid_t pid, struct cl_err *err);
/* In the child, in its new namespaces, after the mounts: lo up and the rest. */
int cl_net_child(const struct cl_spec *s, struct cl_err *err);
/* At the end, on every path: release address, rules, host end. */
void cl_net_release(struct cl_net *n);

#endif
