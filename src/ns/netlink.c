/* rtnetlink with libmnl: one request, one answer (an ACK, a reply or a
 * dump), errors named after what was being done. */
#include "ns/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Large enough for any reply or dump chunk the kernel sends us. */
#define NL_BUF_SIZE 32768

int cl_nl_open(struct cl_nl *nl, struct cl_err *err)
{
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		return cl_fail(err, errno, "cannot open a netlink socket");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return cl_fail(err, e, "cannot bind a netlink socket");
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = 0;
	return 0;
}

void cl_nl_close(struct cl_nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

static struct nlmsghdr *nl_msg(struct cl_nl *nl, char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	/* an ACK ends every answer that is not a dump, so we know when to stop */
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if ((flags & NLM_F_DUMP) != NLM_F_DUMP) /* NLM_F_EXCL shares a bit with it */
		nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Sends @nlh and reads until its ACK, its reply or the end of its dump,
 * calling @cb for each message.  On failure the kernel's errno is reported
 * as "<what>: <strerror>". */
static int nl_transact(struct cl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
		       struct cl_err *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int nl_transact(struct cl_nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data,
		       struct cl_err *err, const char *fmt, ...)
{
	char *buf = malloc(NL_BUF_SIZE), what[256];
	unsigned int seq = nlh->nlmsg_seq;
	int r = MNL_CB_OK, e = 0;
	va_list ap;

	if (!buf) {
		e = ENOMEM;
	} else if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0) {
		e = errno;
	} else {
		while (r > MNL_CB_STOP) {
			ssize_t n = mnl_socket_recvfrom(nl->sock, buf, NL_BUF_SIZE);
			if (n < 0) {
				r = -1;
				break;
			}
			r = mnl_cb_run(buf, (size_t)n, seq, nl->portid, cb, data);
		}
		if (r < 0)
			e = errno ? errno : EIO;
	}
	free(buf);
	if (!e)
		return 0;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return cl_fail(err, e, "%s", what);
}

/* --- links --- */

struct link_attrs {
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct nlattr *info[IFLA_INFO_MAX + 1];
};

static int link_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int info_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static void copy_str(char *dst, size_t size, const struct nlattr *a)
{
	size_t len = a ? mnl_attr_get_payload_len(a) : 0;

	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(dst, mnl_attr_get_payload(a), len);
	dst[len] = '\0';
}

static void parse_link(const struct nlmsghdr *nlh, struct cl_nl_link *l)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link_attrs a = {0};

	memset(l, 0, sizeof(*l));
	l->index = ifm->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifm), link_attr_cb, a.tb);
	copy_str(l->name, sizeof(l->name), a.tb[IFLA_IFNAME]);
	copy_str(l->alias, sizeof(l->alias), a.tb[IFLA_IFALIAS]);
	if (a.tb[IFLA_MASTER])
		l->master = (int)mnl_attr_get_u32(a.tb[IFLA_MASTER]);
	if (a.tb[IFLA_LINKINFO]) {
		mnl_attr_parse_nested(a.tb[IFLA_LINKINFO], info_attr_cb, a.info);
		copy_str(l->kind, sizeof(l->kind), a.info[IFLA_INFO_KIND]);
	}
}

static int get_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nlh->nlmsg_type == RTM_NEWLINK)
		parse_link(nlh, data);
	return MNL_CB_OK;
}

/* A link message naming its link by @name (the kernel looks it up). */
static struct nlmsghdr *link_msg(struct cl_nl *nl, char *buf, uint16_t type, uint16_t flags,
				 const char *name)
{
	struct nlmsghdr *nlh = nl_msg(nl, buf, type, flags);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

int cl_nl_link_get(struct cl_nl *nl, const char *name, struct cl_nl_link *l, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, 0, name);

	memset(l, 0, sizeof(*l));
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_transact(nl, nlh, get_cb, l, err, "cannot look up link %s", name) < 0)
		return err->errnum == ENODEV ? 0 : -1;
	return l->index > 0;
}

struct dump_ctx {
	int (*fn)(const struct cl_nl_link *l, void *data);
	void *data;
	int stop;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	struct cl_nl_link l;

	if (nlh->nlmsg_type != RTM_NEWLINK || c->stop)
		return MNL_CB_OK; /* read the dump to its end either way */
	parse_link(nlh, &l);
	c->stop = c->fn(&l, c->data);
	return MNL_CB_OK;
}

int cl_nl_link_dump(struct cl_nl *nl, int (*fn)(const struct cl_nl_link *l, void *data), void *data,
		    struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_GETLINK, NLM_F_DUMP, NULL);
	struct dump_ctx c = {fn, data, 0};

	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_transact(nl, nlh, dump_cb, &c, err, "cannot list the network links") < 0)
		return -1;
	return c.stop;
}

int cl_nl_bridge_add(struct cl_nl *nl, const char *name, const char *alias, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	if (nl_transact(nl, nlh, NULL, NULL, err, "cannot create bridge %s", name) < 0)
		return -1;
	/* the kernel takes an alias on an existing link only */
	nlh = link_msg(nl, buf, RTM_NEWLINK, 0, name);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, alias);
	return nl_transact(nl, nlh, NULL, NULL, err, "cannot set the alias of bridge %s", name);
}

int cl_nl_veth_add(struct cl_nl *nl, const char *name, int master, const char *peer, pid_t peer_pid,
		   struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh), *pifm;
	struct nlattr *info, *data, *p;

	ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	if (master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifm)); /* the peer's own ifinfomsg */
	pifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)peer_pid);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_transact(nl, nlh, NULL, NULL, err,
			   "cannot create veth pair %s/%s (peer in pid %d's namespace)", name, peer,
			   (int)peer_pid);
}

int cl_nl_link_up(struct cl_nl *nl, const char *name, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, 0, name);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	return nl_transact(nl, nlh, NULL, NULL, err, "cannot bring %s up", name);
}

int cl_nl_link_enslave_up(struct cl_nl *nl, const char *name, int master, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_NEWLINK, 0, name);
	struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	ifm->ifi_flags = ifm->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	return nl_transact(nl, nlh, NULL, NULL, err, "cannot put %s on its bridge and up", name);
}

int cl_nl_link_del(struct cl_nl *nl, const char *name, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_msg(nl, buf, RTM_DELLINK, 0, name);

	if (nl_transact(nl, nlh, NULL, NULL, err, "cannot delete link %s", name) < 0)
		return err->errnum == ENODEV ? 0 : -1;
	return 0;
}

/* --- addresses and routes --- */

static int ifindex_of(struct cl_nl *nl, const char *ifname, const char *what, struct cl_err *err)
{
	struct cl_nl_link l;
	int r = cl_nl_link_get(nl, ifname, &l, err);

	if (r == 0)
		return cl_fail(err, ENODEV, "%s", what);
	if (r < 0)
		return cl_wrap(err, "%s", what);
	return l.index;
}

int cl_nl_port_hairpin(struct cl_nl *nl, const char *name, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	struct nlattr *nest;
	int index;

	snprintf(what, sizeof(what), "cannot turn hairpin mode on for %s", name);
	if ((index = ifindex_of(nl, name, what, err)) < 0)
		return -1;
	nlh = nl_msg(nl, buf, RTM_SETLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_BRIDGE;
	ifm->ifi_index = index;
	nest = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MODE, 1);
	mnl_attr_nest_end(nlh, nest);
	return nl_transact(nl, nlh, NULL, NULL, err, "%s", what);
}

int cl_nl_addr_add(struct cl_nl *nl, const char *ifname, struct in_addr addr, unsigned prefix,
		   struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[96], a[INET_ADDRSTRLEN];
	struct in_addr brd = {addr.s_addr | (prefix < 32 ? htonl(~0U >> prefix) : 0)};
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int index;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(what, sizeof(what), "cannot add address %s/%u to %s", a, prefix, ifname);
	if ((index = ifindex_of(nl, ifname, what, err)) < 0)
		return -1;
	nlh = nl_msg(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	if (prefix < 31)
		mnl_attr_put(nlh, IFA_BROADCAST, sizeof(brd), &brd);
	return nl_transact(nl, nlh, NULL, NULL, err, "%s", what);
}

struct addr_query {
	int index;
	struct in_addr addr;
	unsigned prefix;
};

static int addr_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	struct addr_query *q = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET ||
	    (int)ifa->ifa_index != q->index || q->addr.s_addr)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && mnl_attr_get_payload_len(a) == sizeof(q->addr)) {
		memcpy(&q->addr, mnl_attr_get_payload(a), sizeof(q->addr));
		q->prefix = ifa->ifa_prefixlen;
	}
	return MNL_CB_OK;
}

int cl_nl_addr_get(struct cl_nl *nl, const char *ifname, struct in_addr *addr, unsigned *prefix,
		   struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct addr_query q = {0};
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	snprintf(what, sizeof(what), "cannot read the addresses of %s", ifname);
	if ((q.index = ifindex_of(nl, ifname, what, err)) < 0)
		return -1;
	nlh = nl_msg(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	if (nl_transact(nl, nlh, addr_cb, &q, err, "%s", what) < 0)
		return -1;
	*addr = q.addr;
	*prefix = q.prefix;
	return 0;
}

int cl_nl_route_add_default(struct cl_nl *nl, struct in_addr gw, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], a[INET_ADDRSTRLEN];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gw), &gw);
	inet_ntop(AF_INET, &gw, a, sizeof(a));
	return nl_transact(nl, nlh, NULL, NULL, err, "cannot add the default route via %s", a);
}

/* --- IPv6 --- */

int cl_nl_addr6_add(struct cl_nl *nl, const char *ifname, const struct in6_addr *addr,
		    unsigned prefix, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[128], a[INET6_ADDRSTRLEN];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int index;

	inet_ntop(AF_INET6, addr, a, sizeof(a));
	snprintf(what, sizeof(what), "cannot add address %s/%u to %s", a, prefix, ifname);
	if ((index = ifindex_of(nl, ifname, what, err)) < 0)
		return -1;
	nlh = nl_msg(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	/* no duplicate address detection: the address is ours (leased), and
	 * usable at once instead of "tentative" for a second or more */
	ifa->ifa_flags = IFA_F_NODAD;
	ifa->ifa_index = (unsigned)index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(*addr), addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(*addr), addr);
	return nl_transact(nl, nlh, NULL, NULL, err, "%s", what);
}

struct addr6_query {
	int index;
	bool found;
	struct in6_addr addr;
	unsigned prefix;
};

static int addr6_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {0};
	struct addr6_query *q = data;
	const struct nlattr *a;

	/* global scope only: every IPv6 link has a link-local address */
	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET6 ||
	    (int)ifa->ifa_index != q->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE || q->found)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr_cb, tb);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a && mnl_attr_get_payload_len(a) == sizeof(q->addr)) {
		memcpy(&q->addr, mnl_attr_get_payload(a), sizeof(q->addr));
		q->prefix = ifa->ifa_prefixlen;
		q->found = true;
	}
	return MNL_CB_OK;
}

int cl_nl_addr6_get(struct cl_nl *nl, const char *ifname, struct in6_addr *addr, unsigned *prefix,
		    struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct addr6_query q = {0};
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	snprintf(what, sizeof(what), "cannot read the IPv6 addresses of %s", ifname);
	if ((q.index = ifindex_of(nl, ifname, what, err)) < 0)
		return -1;
	nlh = nl_msg(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	if (nl_transact(nl, nlh, addr6_cb, &q, err, "%s", what) < 0)
		return -1;
	*addr = q.addr;
	*prefix = q.found ? q.prefix : 0;
	return 0;
}

int cl_nl_route6_add_default(struct cl_nl *nl, const struct in6_addr *gw, struct cl_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], a[INET6_ADDRSTRLEN];
	struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(*gw), gw);
	inet_ntop(AF_INET6, gw, a, sizeof(a));
	return nl_transact(nl, nlh, NULL, NULL, err, "cannot add the IPv6 default route via %s", a);
}
