/* The jail's /etc/hosts and /etc/resolv.conf (bridge mode). */
#ifndef CL_NS_NET_FILES_H
#define CL_NS_NET_FILES_H

#include <netinet/in.h>

#include "spec/spec.h"

/* Writes DIR/hosts (localhost, the jail's @addr and @addr6 (NULL: none)
 * under its hostname, the
 * add-host entries) and DIR/resolv.conf (the dns nameservers, else the
 * host's that are not on its loopback; its search and options lines). */
int cl_net_write_files(const struct cl_spec *s, const char *dir, struct in_addr addr,
		       const struct in6_addr *addr6, struct cl_err *err);

#endif
