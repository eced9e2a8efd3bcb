/* Published ports: a small relay process in cloison's network namespace
 * that accepts on HOSTPORT and forwards to the jail's JAILPORT (TCP with
 * splice, UDP datagram by datagram).  It dies with cloison (PDEATHSIG), so
 * nothing is left to reconcile after a SIGKILL. */
#ifndef CL_NS_NET_PROXY_H
#define CL_NS_NET_PROXY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "spec/netspec.h"
#include "util/error.h"

#define CL_PROXY_MAX CL_NET_PUBLISH_MAX

/* Binds every published port now (so "Address already in use" is reported
 * before the jail starts), only their IPv6 side if @ipv6_only (the DNAT
 * serves IPv4), then forks the relay, which drops to nobody without
 * capabilities.  Returns its pid, 0 when there is nothing to serve. */
pid_t cl_proxy_start(const struct cl_netspec *n, struct in_addr jail, bool ipv6_only,
		     struct cl_err *err);
/* Kills and reaps the relay. */
void cl_proxy_stop(pid_t pid);

#endif
