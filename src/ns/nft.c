/* nftables with libnftnl: every change is one batch (a transaction: all of
 * it or none), acknowledged message by message; the chains are listed with
 * a dump.  Rules are built from the kernel's expressions directly (what
 * `nft --debug=netlink` shows), in an inet table, so each rule starts by
 * matching its family. */
#include "ns/nft.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ns/net_ipam.h"

/* a batch holds at most this much (2 chains x 64 ports x ~300 bytes) */
#define BATCH_LIMIT (128 * 1024)
#define DUMP_SIZE   32768
#define CHAIN_MAX   64 /* "br-" + 15 + "-guard4", "jail-PID-START-fwd" */

/* chain priorities (nft's names) */
#define PRIO_RAW    -300
#define PRIO_DSTNAT -100
#define PRIO_FILTER 0
#define PRIO_SRCNAT 100

struct nft {
	struct mnl_socket *sock;
	unsigned portid;
	uint32_t seq;
	char *buf;
	struct mnl_nlmsg_batch *batch;
	int failed; /* an errno from building the batch (ENOMEM, ENOBUFS) */
	struct nftnl_rule *r;
};

static int nft_open(struct nft *t, struct cl_err *err)
{
	memset(t, 0, sizeof(*t));
	t->sock = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!t->sock)
		return cl_fail(err, errno, "cannot open a netfilter netlink socket");
	if (mnl_socket_bind(t->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(t->sock);
		t->sock = NULL;
		return cl_fail(err, e, "cannot bind a netfilter netlink socket");
	}
	t->portid = mnl_socket_get_portid(t->sock);
	t->seq = (uint32_t)time(NULL);
	return 0;
}

static void nft_close(struct nft *t)
{
	if (t->r)
		nftnl_rule_free(t->r);
	if (t->batch)
		mnl_nlmsg_batch_stop(t->batch);
	free(t->buf);
	if (t->sock)
		mnl_socket_close(t->sock);
	memset(t, 0, sizeof(*t));
}

static char *cur(struct nft *t)
{
	return mnl_nlmsg_batch_current(t->batch);
}

static void next(struct nft *t)
{
	if (!mnl_nlmsg_batch_next(t->batch) && !t->failed)
		t->failed = ENOBUFS;
}

static int batch_begin(struct nft *t, struct cl_err *err)
{
	/* libmnl lets the last message run over the limit: twice the room */
	t->buf = malloc(2 * BATCH_LIMIT);
	if (!t->buf || !(t->batch = mnl_nlmsg_batch_start(t->buf, BATCH_LIMIT)))
		return cl_fail(err, ENOMEM, "out of memory");
	nftnl_batch_begin(cur(t), t->seq++);
	next(t);
	return 0;
}

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	int *first = data;

	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error && !*first)
		*first = -e->error;
	return MNL_CB_OK;
}

/* The kernel handles a batch while we send it: every answer is queued
 * when sendto returns, so reading until the queue is empty reads them all. */
static int batch_commit(struct nft *t, struct cl_err *err, const char *what)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_ERROR] = ack_cb};
	char buf[DUMP_SIZE];
	int first = 0;

	nftnl_batch_end(cur(t), t->seq++);
	next(t);
	if (t->failed)
		return cl_fail(err, t->failed, "%s", what);
	if (mnl_socket_sendto(t->sock, mnl_nlmsg_batch_head(t->batch),
			      mnl_nlmsg_batch_size(t->batch)) < 0)
		return cl_fail(err, errno, "%s", what);
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(t->sock), buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return cl_fail(err, errno, "%s", what);
		if (mnl_cb_run2(buf, (size_t)n, 0, t->portid, NULL, &first, ctl, NLMSG_MIN_TYPE) <
			0 &&
		    !first)
			first = errno;
	}
	return first ? cl_fail(err, first, "%s", what) : 0;
}

static void put_table(struct nft *t, uint16_t type, uint16_t flags)
{
	struct nftnl_table *tb = nftnl_table_alloc();

	if (!tb) {
		t->failed = ENOMEM;
		return;
	}
	nftnl_table_set_str(tb, NFTNL_TABLE_NAME, CL_NFT_TABLE);
	nftnl_table_nlmsg_build_payload(
	    nftnl_nlmsg_build_hdr(cur(t), type, NFPROTO_INET, flags | NLM_F_ACK, t->seq++), tb);
	nftnl_table_free(tb);
	next(t);
}

/* @type NULL: a chain to delete, no hook; @dev: an ingress hook's device. */
static void put_chain_dev(struct nft *t, uint16_t msg, const char *name, const char *type, int hook,
			  int prio, const char *dev)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c) {
		t->failed = ENOMEM;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, CL_NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	}
	if (dev)
		nftnl_chain_set_str(c, NFTNL_CHAIN_DEV, dev);
	nftnl_chain_nlmsg_build_payload(nftnl_nlmsg_build_hdr(cur(t), msg, NFPROTO_INET,
							      (type ? NLM_F_CREATE : 0) | NLM_F_ACK,
							      t->seq++),
					c);
	nftnl_chain_free(c);
	next(t);
}

static void put_chain(struct nft *t, uint16_t msg, const char *name, const char *type, int hook,
		      int prio)
{
	put_chain_dev(t, msg, name, type, hook, prio, NULL);
}

/* Deleting the rules of a chain: a DELRULE naming only the chain. */
static void flush_chain(struct nft *t, const char *name)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r) {
		t->failed = ENOMEM;
		return;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, CL_NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
	nftnl_rule_nlmsg_build_payload(
	    nftnl_nlmsg_build_hdr(cur(t), NFT_MSG_DELRULE, NFPROTO_INET, NLM_F_ACK, t->seq++), r);
	nftnl_rule_free(r);
	next(t);
}

static void rule_begin(struct nft *t, const char *chain)
{
	t->r = nftnl_rule_alloc();
	if (!t->r) {
		t->failed = ENOMEM;
		return;
	}
	nftnl_rule_set_str(t->r, NFTNL_RULE_TABLE, CL_NFT_TABLE);
	nftnl_rule_set_str(t->r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(t->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
}

static void rule_end(struct nft *t)
{
	if (!t->r)
		return;
	nftnl_rule_nlmsg_build_payload(
	    nftnl_nlmsg_build_hdr(cur(t), NFT_MSG_NEWRULE, NFPROTO_INET,
				  NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, t->seq++),
	    t->r);
	nftnl_rule_free(t->r);
	t->r = NULL;
	next(t);
}

static struct nftnl_expr *expr(struct nft *t, const char *name)
{
	struct nftnl_expr *e = t->r ? nftnl_expr_alloc(name) : NULL;

	if (e)
		nftnl_rule_add_expr(t->r, e);
	else
		t->failed = ENOMEM;
	return e;
}

#define WITH(e) for (struct nftnl_expr *_e = (e); _e; _e = NULL)

static void load_meta(struct nft *t, uint32_t key)
{
	WITH(expr(t, "meta"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	}
}

static void cmp(struct nft *t, enum nft_cmp_ops op, const void *data, uint32_t len)
{
	WITH(expr(t, "cmp"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(_e, NFTNL_EXPR_CMP_DATA, data, len);
	}
}

static void mask(struct nft *t, const void *m, uint32_t len)
{
	static const char zero[16];

	WITH(expr(t, "bitwise"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_BITWISE_LEN, len);
		nftnl_expr_set(_e, NFTNL_EXPR_BITWISE_MASK, m, len);
		nftnl_expr_set(_e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	}
}

/* meta nfproto ipv4|ipv6 */
static void match_family(struct nft *t, int family)
{
	uint8_t p = family == AF_INET6 ? NFPROTO_IPV6 : NFPROTO_IPV4;

	load_meta(t, NFT_META_NFPROTO);
	cmp(t, NFT_CMP_EQ, &p, 1);
}

/* ip|ip6 saddr|daddr ==|!= ADDR/PREFIX */
static void match_addr_op(struct nft *t, int family, bool src, const void *addr, unsigned prefix,
			  enum nft_cmp_ops op)
{
	bool v6 = family == AF_INET6;
	uint32_t len = v6 ? 16 : 4;
	unsigned char m[16] = {0}, a[16];

	WITH(expr(t, "payload"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_OFFSET,
				   v6 ? (src ? 8 : 24) : (src ? 12 : 16));
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	memcpy(a, addr, len);
	for (unsigned i = 0; i < len * 8; i++)
		if (i < prefix)
			m[i / 8] |= (unsigned char)(0x80 >> (i % 8));
	for (unsigned i = 0; i < len; i++)
		a[i] &= m[i];
	if (prefix < len * 8)
		mask(t, m, len);
	cmp(t, op, a, len);
}

static void match_addr(struct nft *t, int family, bool src, const void *addr, unsigned prefix)
{
	match_addr_op(t, family, src, addr, prefix, NFT_CMP_EQ);
}

/* iifname|oifname ==|!= NAME */
static void match_ifname(struct nft *t, uint32_t key, enum nft_cmp_ops op, const char *name)
{
	char n[IFNAMSIZ] = {0};

	snprintf(n, sizeof(n), "%s", name);
	load_meta(t, key);
	cmp(t, op, n, sizeof(n));
}

/* ct status dnat: traffic to a published port */
static void match_dnat(struct nft *t)
{
	uint32_t m = IPS_DST_NAT, zero = 0;

	WITH(expr(t, "ct"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	mask(t, &m, sizeof(m));
	cmp(t, NFT_CMP_NEQ, &zero, sizeof(zero));
}

static void verdict(struct nft *t, int v)
{
	WITH(expr(t, "immediate"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	}
}

static void masquerade(struct nft *t)
{
	expr(t, "masq");
}

static int write_sysctl(const char *path, const char *value, struct cl_err *err)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e;

	if (fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value))
		return close(fd);
	e = errno;
	if (fd >= 0)
		close(fd);
	return cl_fail(err, e, "cannot write %s to %s", value, path);
}

/* IPv6 forwarding on makes every interface a router, which ignores router
 * advertisements: one that takes them (accept_ra 1) takes them even so
 * (2), or the host would lose its SLAAC default route. */
static int ipv6_forwarding(struct cl_err *err)
{
	static const char conf[] = "/proc/sys/net/ipv6/conf";
	char path[sizeof(conf) + 256 + 16], v[8] = "";
	DIR *d;
	int fd;

	fd = open("/proc/sys/net/ipv6/conf/all/forwarding", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, v, sizeof(v) - 1);
		close(fd);
		if (n > 0 && v[0] == '1')
			return 0;
	}
	if ((d = opendir(conf))) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char ra[8] = "";
			if (e->d_name[0] == '.' || !strcmp(e->d_name, "all") ||
			    !strcmp(e->d_name, "default") || !strcmp(e->d_name, "lo"))
				continue;
			snprintf(path, sizeof(path), "%s/%s/accept_ra", conf, e->d_name);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
				continue;
			ssize_t n = read(fd, ra, sizeof(ra) - 1);
			close(fd);
			struct cl_err ignored;
			if (n > 0 && ra[0] == '1')
				write_sysctl(path, "2", &ignored);
		}
		closedir(d);
	}
	return write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1", err);
}

static int route_localnet(const char *bridge, const char *value, struct cl_err *err)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", bridge);
	return write_sysctl(path, value, err);
}

int cl_nft_bridge_nat(const char *bridge, int family, const void *subnet, unsigned prefix,
		      struct cl_err *err)
{
	const struct in_addr loopback = {htonl(INADDR_LOOPBACK)};
	bool v6 = family == AF_INET6;
	char chain[CHAIN_MAX], guard[CHAIN_MAX], fwd[CHAIN_MAX], what[128];
	struct nft t;
	int r = -1;

	snprintf(chain, sizeof(chain), "br-%s-nat%c", bridge, v6 ? '6' : '4');
	snprintf(fwd, sizeof(fwd), "br-%s-fwd%c", bridge, v6 ? '6' : '4');
	snprintf(guard, sizeof(guard), "br-%s-guard4", bridge);
	snprintf(what, sizeof(what), "cannot set up NAT (nftables) for bridge %s", bridge);
	if (nft_open(&t, err) < 0 || batch_begin(&t, err) < 0)
		goto out;
	put_table(&t, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	put_chain(&t, NFT_MSG_NEWCHAIN, chain, "nat", NF_INET_POST_ROUTING, PRIO_SRCNAT);
	flush_chain(&t, chain);
	/* egress: from the subnet, out through anything but the bridge */
	rule_begin(&t, chain);
	match_family(&t, family);
	match_addr(&t, family, true, subnet, prefix);
	match_ifname(&t, NFT_META_OIFNAME, NFT_CMP_NEQ, bridge);
	masquerade(&t);
	rule_end(&t);
	/* hairpin: a jail to a published port (its own too) comes back through
	 * the bridge; the answer must go through us, not jail to jail */
	rule_begin(&t, chain);
	match_family(&t, family);
	match_ifname(&t, NFT_META_OIFNAME, NFT_CMP_EQ, bridge);
	match_addr(&t, family, true, subnet, prefix);
	match_dnat(&t);
	masquerade(&t);
	rule_end(&t);
	/* Forwarding on, the jails are routable from wherever routes to this
	 * host: nothing starts a connection to them from outside the bridge
	 * unless to a published port (DNAT) */
	put_chain(&t, NFT_MSG_NEWCHAIN, fwd, "filter", NF_INET_FORWARD, PRIO_FILTER);
	flush_chain(&t, fwd);
	rule_begin(&t, fwd);
	match_family(&t, family);
	match_ifname(&t, NFT_META_OIFNAME, NFT_CMP_EQ, bridge);
	match_ifname(&t, NFT_META_IIFNAME, NFT_CMP_NEQ, bridge);
	{
		uint8_t original = 0; /* IP_CT_DIR_ORIGINAL */
		uint32_t m = IPS_DST_NAT, zero = 0;
		WITH(expr(&t, "ct"))
		{
			nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_KEY, NFT_CT_DIRECTION);
			nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
		}
		cmp(&t, NFT_CMP_EQ, &original, 1);
		WITH(expr(&t, "ct"))
		{
			nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
			nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
		}
		mask(&t, &m, sizeof(m));
		cmp(&t, NFT_CMP_EQ, &zero, sizeof(zero));
	}
	verdict(&t, NF_DROP);
	rule_end(&t);
	if (!v6) {
		/* 127.0.0.1:PORT: route_localnet lets it out to the bridge, the
		 * jail sees the bridge's address */
		rule_begin(&t, chain);
		match_family(&t, family);
		match_ifname(&t, NFT_META_OIFNAME, NFT_CMP_EQ, bridge);
		match_addr(&t, family, true, &loopback, 8);
		match_dnat(&t);
		masquerade(&t);
		rule_end(&t);
		/* ... and nothing from the jails may reach the host's loopback
		 * services through it (CVE-2020-8558) */
		put_chain(&t, NFT_MSG_NEWCHAIN, guard, "filter", NF_INET_PRE_ROUTING, PRIO_RAW);
		flush_chain(&t, guard);
		rule_begin(&t, guard);
		match_family(&t, family);
		match_ifname(&t, NFT_META_IIFNAME, NFT_CMP_EQ, bridge);
		match_addr(&t, family, false, &loopback, 8);
		verdict(&t, NF_DROP);
		rule_end(&t);
		/* route_localnet also lifts the martian-source check: nothing
		 * claiming to come from loopback may come in on it either */
		rule_begin(&t, guard);
		match_family(&t, family);
		match_ifname(&t, NFT_META_IIFNAME, NFT_CMP_EQ, bridge);
		match_addr(&t, family, true, &loopback, 8);
		verdict(&t, NF_DROP);
		rule_end(&t);
	}
	if (batch_commit(&t, err, what) < 0)
		goto out;
	if (v6)
		r = ipv6_forwarding(err);
	else
		r = (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1", err) < 0 ||
		     route_localnet(bridge, "1", err) < 0)
			? -1
			: 0;
out:
	nft_close(&t);
	return r;
}

struct chains {
	char (*name)[CHAIN_MAX];
	size_t n;
	int failed;
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct chains *l = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *table, *name;

	if (!c) {
		l->failed = ENOMEM;
		return MNL_CB_OK;
	}
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    (table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)) &&
	    (name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME)) && strcmp(table, CL_NFT_TABLE) == 0 &&
	    strlen(name) < CHAIN_MAX) {
		void *nv = realloc(l->name, (l->n + 1) * sizeof(*l->name));
		if (nv) {
			l->name = nv;
			snprintf(l->name[l->n++], CHAIN_MAX, "%s", name);
		} else {
			l->failed = ENOMEM;
		}
	}
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

/* The chains of our table (none when there is no table). */
static int list_chains(struct nft *t, struct chains *l, struct cl_err *err)
{
	char buf[DUMP_SIZE];
	uint32_t seq = t->seq++;
	struct nlmsghdr *nlh =
	    nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, NFPROTO_INET, NLM_F_DUMP, seq);
	ssize_t n;
	int r;

	memset(l, 0, sizeof(*l));
	if (mnl_socket_sendto(t->sock, nlh, nlh->nlmsg_len) < 0)
		return cl_fail(err, errno, "cannot list the nftables chains");
	do {
		n = mnl_socket_recvfrom(t->sock, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cl_fail(err, errno, "cannot list the nftables chains");
		r = mnl_cb_run(buf, (size_t)n, seq, t->portid, chain_cb, l);
		if (r < 0)
			return cl_fail(err, errno, "cannot list the nftables chains");
	} while (r > 0);
	return l->failed ? cl_fail(err, l->failed, "cannot list the nftables chains") : 0;
}

/* Deletes the chains whose @drop is set, and the table when that is all. */
static int delete_chains(struct nft *t, const struct chains *l, const bool *drop,
			 struct cl_err *err)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++)
		n += drop[i];
	if (!n)
		return 0;
	if (batch_begin(t, err) < 0)
		return -1;
	if (n == l->n) {
		put_table(t, NFT_MSG_DELTABLE, 0);
	} else {
		for (size_t i = 0; i < l->n; i++)
			if (drop[i])
				put_chain(t, NFT_MSG_DELCHAIN, l->name[i], NULL, 0, 0);
	}
	return batch_commit(t, err, "cannot remove cloison's nftables chains");
}

static bool bridge_chain(const char *chain, const char *bridge)
{
	static const char *const kinds[] = {"nat4", "nat6", "guard4", "fwd4", "fwd6"};
	char want[CHAIN_MAX];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		snprintf(want, sizeof(want), "br-%s-%s", bridge, kinds[k]);
		if (strcmp(chain, want) == 0)
			return true;
	}
	return false;
}

static bool jail_chain(const char *chain, pid_t *pid, unsigned long long *start)
{
	int p, len = 0;
	char kind[8];

	if (sscanf(chain, "jail-%d-%llu-%7[a-z]%n", &p, start, kind, &len) != 3 ||
	    chain[len] != '\0')
		return false;
	*pid = p;
	return true;
}

int cl_nft_bridge_del(const char *bridge, struct cl_err *err)
{
	struct nft t;
	struct chains l = {0};
	bool *drop = NULL;
	int r = -1;

	if (nft_open(&t, err) < 0 || list_chains(&t, &l, err) < 0)
		goto out;
	drop = calloc(l.n + 1, sizeof(*drop));
	if (!drop) {
		cl_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++)
		drop[i] = bridge_chain(l.name[i], bridge);
	r = delete_chains(&t, &l, drop, err);
	if (r == 0) {
		struct cl_err ignored; /* the bridge itself may be gone */
		route_localnet(bridge, "0", &ignored);
	}
out:
	free(drop);
	free(l.name);
	nft_close(&t);
	return r;
}

static void jail_chain_name(char *buf, const struct cl_nft_jail *j, const char *kind)
{
	snprintf(buf, CHAIN_MAX, "jail-%d-%llu-%s", (int)j->owner, j->start, kind);
}

/* [ip daddr HOSTIP | fib daddr type local] PROTO dport HOSTPORT dnat to ADDR:JAILPORT */
static void dnat_rule(struct nft *t, const char *chain, const struct cl_publish *p,
		      struct in_addr to)
{
	uint8_t proto = (uint8_t)p->proto;
	uint16_t hport = htons(p->host_port), jport = htons(p->jail_port);
	uint32_t local = RTN_LOCAL;

	rule_begin(t, chain);
	match_family(t, AF_INET);
	if (p->host_ip.s_addr) {
		match_addr(t, AF_INET, false, &p->host_ip, 32);
	} else {
		WITH(expr(t, "fib"))
		{
			nftnl_expr_set_u32(_e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
			nftnl_expr_set_u32(_e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
			nftnl_expr_set_u32(_e, NFTNL_EXPR_FIB_DREG, NFT_REG_1);
		}
		cmp(t, NFT_CMP_EQ, &local, sizeof(local));
	}
	load_meta(t, NFT_META_L4PROTO);
	cmp(t, NFT_CMP_EQ, &proto, 1);
	WITH(expr(t, "payload"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_TRANSPORT_HEADER);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_OFFSET, 2);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_LEN, 2);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	}
	cmp(t, NFT_CMP_EQ, &hport, sizeof(hport));
	WITH(expr(t, "immediate"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(_e, NFTNL_EXPR_IMM_DATA, &to, sizeof(to));
	}
	WITH(expr(t, "immediate"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_IMM_DREG, NFT_REG_2);
		nftnl_expr_set(_e, NFTNL_EXPR_IMM_DATA, &jport, sizeof(jport));
	}
	WITH(expr(t, "nat"))
	{
		nftnl_expr_set_u32(_e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(_e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	}
	rule_end(t);
}

int cl_nft_jail_add(const struct cl_nft_jail *j, struct cl_err *err)
{
	char fwd[CHAIN_MAX], pre[CHAIN_MAX], out[CHAIN_MAX], a[INET_ADDRSTRLEN], what[128];
	struct nft t;
	int r = -1;

	if (!j->no_egress && !j->n_publish)
		return 0;
	inet_ntop(AF_INET, &j->addr, a, sizeof(a));
	snprintf(what, sizeof(what), "cannot set up the nftables rules of jail %s (%s%s%s)", a,
		 j->no_egress ? "--no-egress" : "", j->no_egress && j->n_publish ? ", " : "",
		 j->n_publish ? "--publish" : "");
	jail_chain_name(fwd, j, "fwd");
	jail_chain_name(pre, j, "pre");
	jail_chain_name(out, j, "out");
	if (nft_open(&t, err) < 0 || batch_begin(&t, err) < 0)
		goto done;
	put_table(&t, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	if (j->no_egress)
		put_chain(&t, NFT_MSG_NEWCHAIN, fwd, "filter", NF_INET_FORWARD, PRIO_FILTER);
	for (int f = 0; j->no_egress && f < 2; f++) {
		int family = f ? AF_INET6 : AF_INET;
		uint8_t original = 0; /* IP_CT_DIR_ORIGINAL */
		if (f && !j->addr6)
			break;
		/* what it starts beyond the bridge; answers to its published
		 * ports still go out */
		rule_begin(&t, fwd);
		match_family(&t, family);
		match_addr(&t, family, true, f ? (const void *)j->addr6 : (const void *)&j->addr,
			   f ? 128 : 32);
		match_ifname(&t, NFT_META_OIFNAME, NFT_CMP_NEQ, j->bridge);
		WITH(expr(&t, "ct"))
		{
			nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_KEY, NFT_CT_DIRECTION);
			nftnl_expr_set_u32(_e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
		}
		cmp(&t, NFT_CMP_EQ, &original, 1);
		/* rejected, not dropped: a job fails at once instead of
		 * waiting out its connect timeouts */
		WITH(expr(&t, "reject"))
		{
			nftnl_expr_set_u32(_e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
			nftnl_expr_set_u8(_e, NFTNL_EXPR_REJECT_CODE,
					  NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
		}
		rule_end(&t);
	}
	if (j->n_publish) {
		/* from elsewhere (and from the jails: hairpin) / from this host */
		put_chain(&t, NFT_MSG_NEWCHAIN, pre, "nat", NF_INET_PRE_ROUTING, PRIO_DSTNAT);
		put_chain(&t, NFT_MSG_NEWCHAIN, out, "nat", NF_INET_LOCAL_OUT, PRIO_DSTNAT);
		for (size_t i = 0; i < j->n_publish; i++) {
			dnat_rule(&t, pre, &j->publish[i], j->addr);
			dnat_rule(&t, out, &j->publish[i], j->addr);
		}
	}
	r = batch_commit(&t, err, what);
done:
	nft_close(&t);
	return r;
}

int cl_nft_jail_guard(const struct cl_nft_jail *j, const char *dev, struct cl_err *err)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;
	const struct in6_addr ll = {{{0xfe, 0x80}}};
	char in[CHAIN_MAX], a[INET_ADDRSTRLEN], what[128];
	struct nft t;
	int r = -1;

	inet_ntop(AF_INET, &j->addr, a, sizeof(a));
	snprintf(what, sizeof(what),
		 "cannot set up the nftables rules of jail %s (--no-egress: its source addresses)",
		 a);
	jail_chain_name(in, j, "in");
	if (nft_open(&t, err) < 0 || batch_begin(&t, err) < 0)
		goto done;
	put_table(&t, NFT_MSG_NEWTABLE, NLM_F_CREATE);
	/* a base chain on the jail's own port: ingress of its host end */
	put_chain_dev(&t, NFT_MSG_NEWCHAIN, in, "filter", NF_INET_INGRESS, PRIO_FILTER, dev);
	/* IPv4 from anything but its lease */
	rule_begin(&t, in);
	match_family(&t, AF_INET);
	match_addr_op(&t, AF_INET, true, &j->addr, 32, NFT_CMP_NEQ);
	verdict(&t, NF_DROP);
	rule_end(&t);
	/* IPv6 from anything but its address, link-local or unspecified
	 * (neighbour discovery) */
	rule_begin(&t, in);
	match_family(&t, AF_INET6);
	if (j->addr6)
		match_addr_op(&t, AF_INET6, true, j->addr6, 128, NFT_CMP_NEQ);
	match_addr_op(&t, AF_INET6, true, &ll, 10, NFT_CMP_NEQ);
	match_addr_op(&t, AF_INET6, true, &any6, 128, NFT_CMP_NEQ);
	verdict(&t, NF_DROP);
	rule_end(&t);
	r = batch_commit(&t, err, what);
done:
	nft_close(&t);
	return r;
}

int cl_nft_jail_del(pid_t owner, unsigned long long start, struct cl_err *err)
{
	struct nft t;
	struct chains l = {0};
	bool *drop = NULL;
	int r = -1;

	if (nft_open(&t, err) < 0 || list_chains(&t, &l, err) < 0)
		goto out;
	drop = calloc(l.n + 1, sizeof(*drop));
	if (!drop) {
		cl_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		pid_t p;
		unsigned long long s;
		drop[i] = jail_chain(l.name[i], &p, &s) && p == owner && s == start;
	}
	r = delete_chains(&t, &l, drop, err);
out:
	free(drop);
	free(l.name);
	nft_close(&t);
	return r;
}

int cl_nft_sweep(bool (*bridge_used)(const char *bridge, void *data),
		 void (*said)(const char *chain, void *data), void *data, bool dry,
		 struct cl_err *err)
{
	struct nft t;
	struct chains l = {0};
	bool *drop = NULL;
	int r = -1, n = 0;

	if (nft_open(&t, err) < 0 || list_chains(&t, &l, err) < 0)
		goto out;
	drop = calloc(l.n + 1, sizeof(*drop));
	if (!drop) {
		cl_fail(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < l.n; i++) {
		const char *c = l.name[i], *dash = strrchr(c, '-');
		pid_t p;
		unsigned long long s;
		if (jail_chain(c, &p, &s)) {
			drop[i] = !cl_owner_alive(p, s);
		} else if (strncmp(c, "br-", 3) == 0 && dash && dash > c + 3) {
			char bridge[IFNAMSIZ + 1];
			snprintf(bridge, sizeof(bridge), "%.*s", (int)(dash - c - 3), c + 3);
			drop[i] = bridge_chain(c, bridge) && !bridge_used(bridge, data);
		}
		if (drop[i] && said)
			said(c, data);
		n += drop[i];
	}
	r = dry ? 0 : delete_chains(&t, &l, drop, err);
	/* a bridge's guard gone, route_localnet goes too: never one without
	 * the other (CVE-2020-8558) */
	for (size_t i = 0; r == 0 && !dry && i < l.n; i++) {
		size_t len = strlen(l.name[i]);
		if (drop[i] && len > 10 && strcmp(l.name[i] + len - 7, "-guard4") == 0) {
			char bridge[IFNAMSIZ + 1];
			struct cl_err ignored; /* the bridge itself may be gone */
			snprintf(bridge, sizeof(bridge), "%.*s", (int)(len - 10), l.name[i] + 3);
			route_localnet(bridge, "0", &ignored);
		}
	}
out:
	free(drop);
	free(l.name);
	nft_close(&t);
	return r < 0 ? -1 : n;
}
