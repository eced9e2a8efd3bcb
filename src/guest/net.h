/* The micro-VM guest's network: lo, and eth0 from the spec's addresses. */
#ifndef CL_GUEST_NET_H
#define CL_GUEST_NET_H

#include "guest/spec.h"
#include "util/error.h"

/* lo up; with s->net_ip, eth0 up with its IPv4 (and IPv6) address and
 * default routes, /etc/hosts and /etc/resolv.conf bound read-only from the
 * spec's texts.  After the root is in place (switch_root, binds). */
int cl_guest_net_setup(const struct cl_guest_spec *s, struct cl_err *err);

#endif
