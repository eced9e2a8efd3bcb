/* Link, address and route operations over rtnetlink with libmnl. */
#ifndef CL_NS_NETLINK_H
#define CL_NS_NETLINK_H

#include "util/error.h"

/* Brings interface @ifname up in the current network namespace. */
int cl_nl_link_up(const char *ifname, struct cl_err *err);

#endif
