/* The jail's network, in the order the container back end calls it:
 *   prepare  (parent, before clone) bridge mode only: under the state lock,
 *            reclaim stale leases, find or plan the bridge, lease an address,
 *            create the bridge if needed, its IPv6 prefix and the jail's
 *            IPv6 address (net_ipv6.h), and its NAT (net_nat.h) with its
 *            first jail; then write hosts/resolv.conf, and the jail's own
 *            rules (--no-egress, --publish DNAT, or the relay);
 *   attach   (parent, after clone) the veth pair, host end on the bridge,
 *            peer created as eth0 directly in the jail's namespace;
 *   child    (jail, after its mounts) lo up; eth0 up, address, default route
 *            (and their IPv6 twins, net_ipv6.h);
 *   release  (parent, always) relay, the jail's rules, host end, lease, the
 *            bridge's NAT with its last jail, run directory.
 * --net none costs one netlink request (lo up) and touches no state. */
#include "ns/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns/net_files.h"
#include "ns/net_ipam.h"
#include "ns/net_nat.h"
#include "ns/net_proxy.h"
#include "ns/netlink.h"

static char etc_hosts[] = "/etc/hosts", etc_resolv[] = "/etc/resolv.conf";

enum bridge_state { BRIDGE_READY, BRIDGE_NO_ADDRESS, BRIDGE_MISSING };

/* The bridge's subnet and address: read from the link when it exists (and
 * checked against --subnet), else what cloison will give it. */
static int bridge_plan(struct cl_nl *nl, const struct cl_spec *s, const char *name,
		       enum bridge_state *state, struct in_addr *gw, unsigned *prefix,
		       struct cl_err *err)
{
	const struct cl_netspec *c = &s->netcfg;
	struct cl_nl_link l;
	struct in_addr net;
	int r = cl_nl_link_get(nl, name, &l, err);

	if (r < 0)
		return -1;
	*state = r ? BRIDGE_NO_ADDRESS : BRIDGE_MISSING;
	if (r && strcmp(l.kind, "bridge") != 0)
		return cl_fail(err, 0, "%s exists and is not a bridge", name);
	if (r && cl_nl_addr_get(nl, name, gw, prefix, err) < 0)
		return -1;
	if (r && gw->s_addr) {
		uint32_t mask;
		char have[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, gw, have, sizeof(have));
		/* a /0 too: the shift below would be undefined, the range absurd */
		if (*prefix < 1 || *prefix > 30)
			return cl_fail(err, 0,
				       "bridge %s's subnet %s/%u cannot hold jails (prefix 1-30)",
				       name, have, *prefix);
		mask = htonl(~0U << (32 - *prefix));
		if (c->subnet_prefix &&
		    (c->subnet_prefix != *prefix || (gw->s_addr & mask) != c->subnet.s_addr))
			return cl_fail(err, 0,
				       "bridge %s already has %s/%u, outside --subnet %s/%u", name,
				       have, *prefix, inet_ntoa(c->subnet), c->subnet_prefix);
		*state = BRIDGE_READY;
		return 0;
	}
	if (r && strcmp(l.alias, CL_NET_BRIDGE_ALIAS) != 0)
		return cl_fail(
		    err, 0,
		    "bridge %s has no IPv4 address (give it one, or use a bridge cloison creates)",
		    name);
	if (c->subnet_prefix) {
		net = c->subnet;
		*prefix = c->subnet_prefix;
	} else if (!cl_parse_cidr(CL_NET_SUBNET_DEFAULT, &net, prefix)) {
		return cl_fail(err, EINVAL, "bad default subnet");
	}
	gw->s_addr = htonl(ntohl(net.s_addr) + 1);
	return 0;
}

static int bridge_make(struct cl_nl *nl, const char *name, enum bridge_state state,
		       struct in_addr gw, unsigned prefix, struct cl_err *err)
{
	if (state == BRIDGE_MISSING && cl_nl_bridge_add(nl, name, CL_NET_BRIDGE_ALIAS, err) < 0)
		return -1;
	if (cl_nl_addr_add(nl, name, gw, prefix, err) < 0 || cl_nl_link_up(nl, name, err) < 0)
		return -1;
	return 0;
}

/* Under the state lock: the lease and, when needed, the bridge. */
static int lease(const struct cl_spec *s, struct cl_net *n, struct cl_nl *nl, struct in_addr *addr,
		 struct in_addr *gw, unsigned *prefix, struct cl_err *err)
{
	const struct cl_netspec *c = &s->netcfg;
	struct cl_lease key = {.netns = cl_netns_id(), .pid = n->owner, .start = n->start};
	struct cl_ipam st;
	struct cl_err ignored;
	enum bridge_state state;
	struct in_addr net;
	bool first;

	snprintf(key.bridge, sizeof(key.bridge), "%s", n->bridge);
	if (cl_ipam_open(&st, err) < 0) {
		cl_ipam_close(&st, &ignored);
		return -1;
	}
	cl_ipam_reconcile(&st, NULL, NULL);
	if (cl_net_nat_sweep(&st, false, NULL, NULL, &ignored) < 0)
		cl_warn("%s", ignored.msg);
	first = !cl_ipam_in_use(&st, key.netns, n->bridge, 0);
	if (bridge_plan(nl, s, n->bridge, &state, gw, prefix, err) < 0)
		goto fail;
	if (c->ip.s_addr && c->ip_prefix && c->ip_prefix != *prefix) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &c->ip, a, sizeof(a));
		cl_fail(err, 0, "--ip %s/%u: the subnet of bridge %s is a /%u", a, c->ip_prefix,
			n->bridge, *prefix);
		goto fail;
	}
	net.s_addr = gw->s_addr & htonl(~0U << (32 - *prefix));
	if (cl_ipam_reserve(&st, &key, net, *prefix, *gw, c->ip, addr, err) < 0)
		goto fail;
	n->leased = true;
	if (state != BRIDGE_READY && bridge_make(nl, n->bridge, state, *gw, *prefix, err) < 0)
		goto fail;
	/* the bridge's prefix even for --no-ipv6: it is the bridge's, not the jail's */
	cl_net6_plan(nl, n->bridge, CL_NET_BRIDGE_ALIAS, *gw, *prefix, *addr, !c->no_ipv6, &n->v6);
	cl_net_nat_bridge(n->bridge, first, *gw, *prefix, &n->v6);
	return cl_ipam_close(&st, err);
fail:
	cl_ipam_close(&st, &ignored);
	return -1;
}

/* The jail's copy of the spec: the resolved address, and hosts and
 * resolv.conf bound read-only before the spec's own mounts (which win). */
static int jail_spec(const struct cl_spec *s, struct cl_net *n, struct in_addr addr,
		     struct in_addr gw, unsigned prefix, struct cl_err *err)
{
	if (cl_ipam_run_dir(n->dir, sizeof(n->dir), n->owner, n->start) < 0)
		return cl_fail(err, ENAMETOOLONG, "network state directory name too long");
	cl_ipam_remove_run_dir(n->dir); /* a stale one of a recycled pid */
	if (mkdir(n->dir, 0755) < 0)
		return cl_fail(err, errno, "cannot create %s", n->dir);
	if (cl_net_write_files(s, n->dir, addr, n->v6.on ? &n->v6.addr : NULL, err) < 0)
		return -1;
	snprintf(n->hosts, sizeof(n->hosts), "%s/hosts", n->dir);
	snprintf(n->resolv, sizeof(n->resolv), "%s/resolv.conf", n->dir);
	n->mounts = calloc(s->n_mounts + 2, sizeof(*n->mounts));
	if (!n->mounts)
		return cl_fail(err, ENOMEM, "out of memory");
	n->mounts[0] = (struct cl_mount){
	    .kind = CL_MOUNT_BIND, .source = n->hosts, .dest = etc_hosts, .readonly = true};
	n->mounts[1] = (struct cl_mount){
	    .kind = CL_MOUNT_BIND, .source = n->resolv, .dest = etc_resolv, .readonly = true};
	if (s->n_mounts)
		memcpy(n->mounts + 2, s->mounts, s->n_mounts * sizeof(*n->mounts));
	n->jail = *s;
	n->jail.mounts = n->mounts;
	n->jail.n_mounts = s->n_mounts + 2;
	n->jail.netcfg.ip = addr;
	n->jail.netcfg.ip_prefix = prefix;
	n->jail.netcfg.gateway = gw;
	if (n->v6.on) {
		n->jail.netcfg.ip6 = n->v6.addr;
		n->jail.netcfg.ip6_prefix = n->v6.prefix;
		n->jail.netcfg.gateway6 = n->v6.gw;
	}
	return 0;
}

int cl_net_prepare(const struct cl_spec *s, struct cl_net *n, struct cl_err *err)
{
	struct cl_nl nl = {0};
	struct in_addr addr, gw;
	unsigned prefix;
	int r = -1;

	if (s->net != CL_NET_BRIDGE)
		return 0;
	n->bridged = true;
	n->owner = getpid();
	n->start = cl_proc_start(n->owner);
	snprintf(n->bridge, sizeof(n->bridge), "%s", cl_netspec_bridge(s));
	snprintf(n->veth, sizeof(n->veth), "clv%d", (int)n->owner);
	if (cl_nl_open(&nl, err) < 0)
		return -1;
	if (lease(s, n, &nl, &addr, &gw, &prefix, err) < 0 ||
	    jail_spec(s, n, addr, gw, prefix, err) < 0)
		goto out;
	if (cl_net_nat_jail(s, n, addr, err) < 0)
		goto out;
	r = 0;
out:
	cl_nl_close(&nl);
	return r;
}

const struct cl_spec *cl_net_jail_spec(const struct cl_net *n, const struct cl_spec *s)
{
	return n->bridged ? &n->jail : s;
}

/* The bridge's interface index: > 0, or -1 + @err. */
static int bridge_index(struct cl_nl *nl, const struct cl_net *n, struct cl_err *err)
{
	struct cl_nl_link br;
	int r = cl_nl_link_get(nl, n->bridge, &br, err);

	if (r == 0)
		return cl_fail(err, ENODEV, "bridge %s is gone", n->bridge);
	return r < 0 ? -1 : br.index;
}

/* The jail's port on the bridge exists: hairpin for its published ports
 * (served by DNAT, net_nat.c), and the --no-egress guard on it. */
static int port_rules(struct cl_nl *nl, const struct cl_spec *s, struct cl_net *n,
		      struct cl_err *err)
{
	if (n->n_held && cl_nl_port_hairpin(nl, n->veth, err) < 0)
		return -1;
	return cl_net_nat_guard(s, n, err);
}

int cl_net_attach(const struct cl_spec *s, struct cl_net *n, pid_t pid, struct cl_err *err)
{
	struct cl_nl nl = {0};
	int r, br;

	/* --net pasta: pasta attaches to the jail's namespace (ns/net_pasta.c) */
	if (s->net == CL_NET_PASTA)
		return cl_pasta_start(s, pid, &n->pasta, err);
	if (!n->bridged)
		return 0;
	if (cl_nl_open(&nl, err) < 0)
		return -1;
	r = br = bridge_index(&nl, n, err);
	if (br > 0) {
		r = cl_nl_veth_add(&nl, n->veth, br, "eth0", pid, err);
		/* a host end left by an earlier cloison with our pid (killed, and
		 * its namespace not yet freed): ours now */
		if (r < 0 && err->errnum == EEXIST && cl_nl_link_del(&nl, n->veth, err) == 0)
			r = cl_nl_veth_add(&nl, n->veth, br, "eth0", pid, err);
	}
	n->veth_made = r >= 0;
	if (r >= 0)
		r = port_rules(&nl, s, n, err);
	cl_nl_close(&nl);
	return r < 0 ? -1 : 0;
}

int cl_net_attach_tap(const struct cl_spec *s, struct cl_net *n, int *fd, struct cl_err *err)
{
	struct ifreq ifr = {.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR};
	struct cl_nl nl = {0};
	struct cl_nl_link l;
	int r, tap;

	*fd = -1;
	if (!n->bridged)
		return 0;
	if (cl_nl_open(&nl, err) < 0)
		return -1;
	/* our name taken: a veth host end left by an earlier cloison with our
	 * pid (killed, its namespace not yet freed) is ours to remove; a tap
	 * is somebody's (a persistent one): TUNSETIFF would attach us to it */
	r = cl_nl_link_get(&nl, n->veth, &l, err);
	if (r > 0 && strcmp(l.kind, "veth") != 0) {
		cl_nl_close(&nl);
		return cl_fail(err, EEXIST, "cannot create the tap %s: a %s of that name exists",
			       n->veth, l.kind[0] ? l.kind : "link");
	}
	if ((r > 0 && cl_nl_link_del(&nl, n->veth, err) < 0) || r < 0) {
		cl_nl_close(&nl);
		return -1;
	}
	tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap < 0) {
		cl_nl_close(&nl);
		return cl_fail(err, errno, "cannot open /dev/net/tun for the micro-VM's tap");
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->veth);
	if (ioctl(tap, TUNSETIFF, &ifr) < 0) {
		r = cl_fail(err, errno, "cannot create the tap %s", n->veth);
		cl_nl_close(&nl);
		close(tap);
		return r;
	}
	/* released as a veth's host end is (gone already, usually) */
	n->veth_made = true;
	r = bridge_index(&nl, n, err);
	if (r > 0)
		r = cl_nl_link_enslave_up(&nl, n->veth, r, err);
	if (r >= 0)
		r = port_rules(&nl, s, n, err);
	cl_nl_close(&nl);
	if (r < 0) {
		close(tap);
		return -1;
	}
	*fd = tap;
	return 0;
}

int cl_net_child(const struct cl_spec *s, struct cl_err *err)
{
	const struct cl_netspec *c = &s->netcfg;
	struct cl_nl nl = {0};
	int r;

	if (!(s->ns_flags & CLONE_NEWNET))
		return 0;
	if (cl_nl_open(&nl, err) < 0)
		return -1;
	r = cl_nl_link_up(&nl, "lo", err);
	if (r == 0 && s->net == CL_NET_BRIDGE)
		r = (cl_nl_link_up(&nl, "eth0", err) < 0 ||
		     cl_nl_addr_add(&nl, "eth0", c->ip, c->ip_prefix, err) < 0 ||
		     cl_nl_route_add_default(&nl, c->gateway, err) < 0 ||
		     cl_net6_child(&nl, c, err) < 0)
			? -1
			: 0;
	cl_nl_close(&nl);
	return r;
}

void cl_net_release(struct cl_net *n)
{
	struct cl_err e = {0}, e2 = {0};
	struct cl_nl nl = {0};
	struct cl_ipam st;

	if (n->pasta.pid > 0)
		cl_pasta_stop(&n->pasta); /* --net pasta */
	if (!n->bridged)
		return;
	cl_proxy_stop(n->proxy);
	cl_net_nat_release_jail(n);
	/* the host end first: the jail's namespace may take a while to go, and
	 * the address must not be handed out while eth0 still has it */
	if (n->veth_made && (cl_nl_open(&nl, &e) < 0 || cl_nl_link_del(&nl, n->veth, &e) < 0))
		cl_warn("%s", e.msg);
	cl_nl_close(&nl);
	if (n->leased) {
		if (cl_ipam_open(&st, &e2) == 0) {
			cl_ipam_drop(&st, n->owner, n->start);
			cl_net_nat_release_bridge(&st, n);
		}
		if (cl_ipam_close(&st, &e2) < 0 || e2.msg[0])
			cl_warn("cannot release the address lease (cloison gc will): %s", e2.msg);
	}
	if (n->dir[0])
		cl_ipam_remove_run_dir(n->dir);
	free(n->mounts);
	memset(n, 0, sizeof(*n));
}
