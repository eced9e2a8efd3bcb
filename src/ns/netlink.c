#include "ns/netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Sends one request and waits for its ACK; the kernel's errno comes back. */
static int nl_transact(struct mnl_socket *nl, struct nlmsghdr *nlh, const char *what,
		       struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	unsigned int seq = nlh->nlmsg_seq;
	ssize_t n;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return cl_fail(err, errno, "%s: netlink send", what);
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return cl_fail(err, errno, "%s: netlink receive", what);
	if (mnl_cb_run(buf, n, seq, portid, NULL, NULL) < 0)
		return cl_fail(err, errno, "%s", what);
	return 0;
}

int cl_nl_link_up(const char *ifname, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	unsigned int idx = if_nametoindex(ifname);
	char what[64];
	int r;

	if (!idx)
		return cl_fail(err, errno, "cannot bring %s up: no such interface", ifname);
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return cl_fail(err, errno, "cannot open a netlink socket");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(nl);
		return cl_fail(err, errno, "cannot bind a netlink socket");
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned int)time(NULL);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)idx;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	snprintf(what, sizeof(what), "cannot bring %s up", ifname);
	r = nl_transact(nl, nlh, what, err);
	mnl_socket_close(nl);
	return r;
}
