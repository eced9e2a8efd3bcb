/* cloison gc: give back what jails killed before cleaning up left behind —
 * address leases and run directories of cloisons that are gone (any
 * network namespace), stray veth host ends, and, in the current network
 * namespace, the bridges cloison created that no jail uses any more and
 * the nftables chains (NAT, --no-egress, --publish) of gone jails and of
 * bridges without jails. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cli/cli.h"
#include "cli/svc.h"
#include "ns/cgroup.h"
#include "ns/idrange.h"
#include "ns/seccomp.h"
#include "ns/net_ipam.h"
#include "ns/net_nat.h"
#include "ns/netlink.h"

static const char gc_usage[] =
    "Usage: cloison gc [--dry-run]\n"
    "\n"
    "Release what jails that did not exit cleanly (killed with SIGKILL, or on a\n"
    "crash) left behind: address leases and run directories whose cloison is\n"
    "gone; in the current network namespace, veth host ends of such jails and\n"
    "the bridges cloison created that have no port and no lease left, and the\n"
    "chains of cloison's nftables table (inet cloison) that belong to such jails\n"
    "or to bridges without jails (masquerade, --no-egress, --publish DNAT).\n"
    "Bridges cloison did not create are never touched.  Also removes the\n"
    "cgroups of contexts whose cloison and guardian are both gone (empty\n"
    "cloison/<id> groups below cloison's own cgroup, made over a minute ago),\n"
    "the files of --userns id ranges no jail holds (/run/cloison/userns),\n"
    "the state of detached jails whose monitor was killed (lost, see cloison ps)\n"
    "and of run -d's killed before they recorded one, and empties the cache of\n"
    "compiled seccomp filters (remade on demand).\n"
    "\n"
    "  -n, --dry-run           say what would be removed, remove nothing\n";

struct gc {
	bool dry;
	int removed;
	unsigned long netns;
	struct cl_ipam *st;
	struct cl_nl *nl;
	/* bridges cloison made in this namespace, by ifindex */
	int bridges[64];
	char bridge_names[64][IFNAMSIZ];
	int n_bridges;
	int ports[64];
};

static void said_cgroup(const char *path, void *data)
{
	struct gc *g = data;

	printf("%s cgroup %s\n", g->dry ? "would remove" : "removed", path);
	g->removed++;
}

static void said_jail(const char *name, const char *why, void *data)
{
	struct gc *g = data;

	printf("%s jail %s (%s)\n", g->dry ? "would remove" : "removed", name, why);
	g->removed++;
}

static void said_idrange(const char *path, void *data)
{
	struct gc *g = data;

	printf("%s id range %s\n", g->dry ? "would remove" : "removed", path);
	g->removed++;
}

/* The filter cache is housekeeping, not a leftover: emptied quietly. */
static void said_filter(const char *name, void *data)
{
	(void)name;
	(void)data;
}

static void said_lease(const struct cl_lease *l, void *data)
{
	struct gc *g = data;
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &l->addr, a, sizeof(a));
	printf("%s lease %s on %s (cloison %d is gone)\n", g->dry ? "would release" : "released", a,
	       l->bridge, (int)l->pid);
	g->removed++;
}

static void said_chain(const char *chain, void *data)
{
	struct gc *g = data;

	printf("%s nftables chain %s\n", g->dry ? "would remove" : "removed", chain);
	g->removed++;
}

static int find_bridges(const struct cl_nl_link *l, void *data)
{
	struct gc *g = data;

	if (strcmp(l->kind, "bridge") == 0 && strcmp(l->alias, CL_NET_BRIDGE_ALIAS) == 0 &&
	    g->n_bridges < 64) {
		g->bridges[g->n_bridges] = l->index;
		snprintf(g->bridge_names[g->n_bridges], IFNAMSIZ, "%s", l->name);
		g->ports[g->n_bridges++] = 0;
	}
	return 0;
}

static int bridge_slot(const struct gc *g, int index)
{
	for (int i = 0; i < g->n_bridges; i++)
		if (g->bridges[i] == index)
			return i;
	return -1;
}

/* A port of one of our bridges named clv<PID> whose PID holds no live
 * lease here is a stray host end; other ports are counted. */
static int sweep_ports(const struct cl_nl_link *l, void *data)
{
	struct gc *g = data;
	int slot = bridge_slot(g, l->master), pid;
	char tail;
	struct cl_err err;

	if (slot < 0)
		return 0;
	if (sscanf(l->name, "clv%d%c", &pid, &tail) == 1 && strcmp(l->kind, "veth") == 0 &&
	    !cl_ipam_in_use(g->st, g->netns, g->bridge_names[slot], pid)) {
		printf("%s veth %s on %s\n", g->dry ? "would delete" : "deleted", l->name,
		       g->bridge_names[slot]);
		g->removed++;
		if (g->dry || cl_nl_link_del(g->nl, l->name, &err) == 0)
			return 0;
		cl_warn("%s", err.msg);
	}
	g->ports[slot]++;
	return 0;
}

static int collect(struct gc *g, struct cl_err *err)
{
	if (cl_nl_link_dump(g->nl, find_bridges, g, err) < 0 ||
	    cl_nl_link_dump(g->nl, sweep_ports, g, err) < 0)
		return -1;
	for (int i = 0; i < g->n_bridges; i++) {
		const char *name = g->bridge_names[i];
		if (g->ports[i] || cl_ipam_in_use(g->st, g->netns, name, 0))
			continue;
		printf("%s bridge %s (unused)\n", g->dry ? "would delete" : "deleted", name);
		g->removed++;
		if (!g->dry && cl_nl_link_del(g->nl, name, err) < 0)
			return -1;
	}
	return 0;
}

int cl_cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"dry-run", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cl_err err = {0}, ignored;
	struct cl_ipam st;
	struct cl_nl nl = {0};
	struct gc g = {.netns = cl_netns_id(), .st = &st, .nl = &nl};
	int o, r = -1;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+nh", opts, NULL)) != -1) {
		switch (o) {
		case 'n': g.dry = true; break;
		case 'h': fputs(gc_usage, stdout); return 0;
		default:
			fprintf(stderr, "cloison: unknown option %s (see cloison gc --help)\n",
				argv[optind - 1]);
			return CL_EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cloison: gc takes no arguments (see cloison gc --help)\n");
		return CL_EXIT_FAILURE;
	}
	/* the state lock, held throughout: no run can lease or create a bridge
	 * while we decide what is unused */
	/* first the lost jails: what they held is then stale below */
	cl_svc_gc(g.dry, said_jail, &g);
	if (cl_ipam_open(&st, &err) < 0 || cl_nl_open(&nl, &err) < 0)
		goto out;
	if (g.dry) {
		for (size_t i = 0; i < st.n; i++)
			if (!cl_owner_alive(st.leases[i].pid, st.leases[i].start))
				said_lease(&st.leases[i], &g);
	} else {
		cl_ipam_reconcile(&st, said_lease, &g);
	}
	if (collect(&g, &err) < 0 || cl_net_nat_sweep(&st, g.dry, said_chain, &g, &err) < 0 ||
	    cl_cgroup_gc_ext(g.dry, said_cgroup, &g, &err) < 0)
		goto out;
	cl_seccomp_cache_gc(g.dry, said_filter, NULL);
	cl_idrange_gc(g.dry, said_idrange, &g);
	r = 0;
out:
	cl_nl_close(&nl);
	if (g.dry)
		st.dirty = false;
	if (cl_ipam_close(&st, r < 0 ? &ignored : &err) < 0)
		r = -1;
	if (r < 0) {
		cl_err_print(&err);
		return CL_EXIT_FAILURE;
	}
	if (!g.removed)
		puts("nothing to clean up");
	return 0;
}
