/* The spec's network part: settings (net, ip, subnet, publish, dns,
 * add-host, no-egress, no-ipv6), defaults and validation. */
#include "spec/netspec.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spec/settings.h"
#include "util/cleanup.h"

void cl_netspec_init(struct cl_spec *s)
{
	memset(&s->netcfg, 0, sizeof(s->netcfg));
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cl_netspec_free(struct cl_spec *s)
{
	struct cl_netspec *n = &s->netcfg;

	free(n->bridge);
	free(n->publish);
	free_strs(n->dns, n->n_dns);
	free_strs(n->add_hosts, n->n_add_hosts);
	memset(n, 0, sizeof(*n));
}

const char *cl_netspec_bridge(const struct cl_spec *s)
{
	return s->netcfg.bridge ? s->netcfg.bridge : CL_NET_BRIDGE_DEFAULT;
}

/* ADDR[/PREFIX]; @prefix stays 0 when absent. */
static bool parse_addr(const char *str, struct in_addr *addr, unsigned *prefix)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end;
	unsigned long p;

	if (strlen(str) >= sizeof(buf))
		return false;
	strcpy(buf, str);
	*prefix = 0;
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!isdigit((unsigned char)*slash))
			return false;
		p = strtoul(slash, &end, 10);
		if (*end || p < 1 || p > 32)
			return false;
		*prefix = (unsigned)p;
	}
	return inet_pton(AF_INET, buf, addr) == 1;
}

bool cl_parse_cidr(const char *str, struct in_addr *addr, unsigned *prefix)
{
	return parse_addr(str, addr, prefix) && *prefix;
}

static int set_net(struct cl_spec *s, const char *v, struct cl_err *err)
{
	struct cl_netspec *n = &s->netcfg;

	if (strcmp(v, "none") == 0) {
		s->net = CL_NET_NONE;
	} else if (strcmp(v, "host") == 0) {
		s->net = CL_NET_HOST;
	} else if (strcmp(v, "pasta") == 0) { /* rootless parity (issue 12) */
		s->net = CL_NET_PASTA;
	} else if (strncmp(v, "bridge", 6) == 0 && (!v[6] || v[6] == '=')) {
		const char *name = v[6] ? v + 7 : CL_NET_BRIDGE_DEFAULT;
		size_t len = strlen(name);
		if (len == 0 || len >= 16 || strcspn(name, "/: \t\n") != len ||
		    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return cl_fail(
			    err, 0,
			    "invalid bridge name '%s': 1-15 characters, no '/', ':' or spaces",
			    name);
		if (cl_setting_replace(&n->bridge, name, err) < 0)
			return -1;
		s->net = CL_NET_BRIDGE;
	} else {
		return cl_fail(
		    err, 0,
		    "invalid network mode '%s': expected none, host, bridge[=NAME] or pasta", v);
	}
	return 0;
}

static void show_net(const struct cl_spec *s, FILE *out)
{
	if (s->net == CL_NET_HOST)
		fputs("net host\n", out);
	else if (s->net == CL_NET_PASTA)
		fputs("net pasta\n", out);
	else if (s->net == CL_NET_BRIDGE &&
		 strcmp(cl_netspec_bridge(s), CL_NET_BRIDGE_DEFAULT) == 0)
		fputs("net bridge\n", out);
	else if (s->net == CL_NET_BRIDGE)
		fprintf(out, "net bridge=%s\n", cl_netspec_bridge(s));
}

static int set_ip(struct cl_spec *s, const char *v, struct cl_err *err)
{
	struct cl_netspec *n = &s->netcfg;

	if (!parse_addr(v, &n->ip, &n->ip_prefix) || n->ip.s_addr == 0)
		return cl_fail(err, 0, "invalid address '%s': expected an IPv4 ADDR[/PREFIX]", v);
	return 0;
}

static void show_ip(const struct cl_spec *s, FILE *out)
{
	char a[INET_ADDRSTRLEN];

	if (!s->netcfg.ip.s_addr)
		return;
	inet_ntop(AF_INET, &s->netcfg.ip, a, sizeof(a));
	if (s->netcfg.ip_prefix)
		fprintf(out, "ip %s/%u\n", a, s->netcfg.ip_prefix);
	else
		fprintf(out, "ip %s\n", a);
}

static int set_subnet(struct cl_spec *s, const char *v, struct cl_err *err)
{
	struct cl_netspec *n = &s->netcfg;
	struct in_addr a;
	unsigned p;

	if (!cl_parse_cidr(v, &a, &p) || p > 30)
		return cl_fail(err, 0,
			       "invalid subnet '%s': expected an IPv4 ADDR/PREFIX, prefix 1-30", v);
	uint32_t mask = htonl(~0U << (32 - p));
	if (a.s_addr & ~mask)
		return cl_fail(err, 0,
			       "invalid subnet '%s': host bits are set (did you mean %s/%u?)", v,
			       inet_ntoa((struct in_addr){a.s_addr & mask}), p);
	n->subnet = a;
	n->subnet_prefix = p;
	return 0;
}

static void show_subnet(const struct cl_spec *s, FILE *out)
{
	if (s->netcfg.subnet_prefix)
		fprintf(out, "subnet %s/%u\n", inet_ntoa(s->netcfg.subnet),
			s->netcfg.subnet_prefix);
}

static int parse_port(const char *str, size_t len, uint16_t *port)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)str[i]))
			return -1;
		v = v * 10 + (unsigned long)(str[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

void cl_publish_host(const struct cl_publish *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (p->family == AF_INET6)
		snprintf(buf, size, "[%s]", inet_ntop(AF_INET6, &p->host_ip6, a, sizeof(a)));
	else if (p->family == AF_INET)
		snprintf(buf, size, "%s", inet_ntop(AF_INET, &p->host_ip, a, sizeof(a)));
	else if (size)
		buf[0] = '\0';
}

/* HOSTIP of a mapping: an IPv4 address, or an IPv6 one in brackets. */
static bool parse_host_ip(const char *str, struct cl_publish *p)
{
	size_t len = strlen(str);
	char buf[INET6_ADDRSTRLEN];

	if (str[0] != '[') {
		p->family = AF_INET;
		return inet_pton(AF_INET, str, &p->host_ip) == 1;
	}
	if (len < 3 || str[len - 1] != ']' || len - 2 >= sizeof(buf))
		return false;
	memcpy(buf, str + 1, len - 2);
	buf[len - 2] = '\0';
	p->family = AF_INET6;
	return inet_pton(AF_INET6, buf, &p->host_ip6) == 1;
}

/* [HOSTIP:]HOSTPORT:JAILPORT[/tcp|/udp], HOSTIP an IPv4 address or an
 * IPv6 one in brackets ([::1]:8080:80) */
static int set_publish(struct cl_spec *s, const char *v, struct cl_err *err)
{
	struct cl_netspec *n = &s->netcfg;
	struct cl_publish p = {.proto = IPPROTO_TCP};
	_cleanup_free_ char *dup = strdup(v);
	char *parts[3], *proto, *ports;
	size_t np = 0;

	if (!dup)
		return cl_fail(err, ENOMEM, "out of memory");
	ports = dup;
	if (dup[0] == '[') { /* the IPv6 address holds colons: split after its ']' */
		char *close = strchr(dup, ']');
		if (!close || close[1] != ':')
			goto bad;
		ports = close + 2;
		close[1] = '\0';
		parts[np++] = dup;
	}
	proto = strchr(ports, '/');
	if (proto) {
		*proto++ = '\0';
		if (strcmp(proto, "udp") == 0)
			p.proto = IPPROTO_UDP;
		else if (strcmp(proto, "tcp") != 0)
			goto bad;
	}
	for (char *t = ports;; t++) {
		char *colon = strchr(t, ':');
		if (np == 3)
			goto bad;
		parts[np++] = t;
		if (!colon)
			break;
		*colon = '\0';
		t = colon;
	}
	if (np < 2)
		goto bad;
	if (np == 3 && !parse_host_ip(parts[0], &p))
		goto bad;
	if (parse_port(parts[np - 2], strlen(parts[np - 2]), &p.host_port) < 0 ||
	    parse_port(parts[np - 1], strlen(parts[np - 1]), &p.jail_port) < 0)
		goto bad;
	for (size_t i = 0; i < n->n_publish; i++)
		if (n->publish[i].host_port == p.host_port && n->publish[i].proto == p.proto)
			return cl_fail(err, 0, "port %u/%s is already published", p.host_port,
				       p.proto == IPPROTO_UDP ? "udp" : "tcp");
	if (n->n_publish >= CL_NET_PUBLISH_MAX)
		return cl_fail(err, 0, "at most %d ports can be published", CL_NET_PUBLISH_MAX);
	struct cl_publish *np_ = realloc(n->publish, (n->n_publish + 1) * sizeof(*np_));
	if (!np_)
		return cl_fail(err, ENOMEM, "out of memory");
	n->publish = np_;
	n->publish[n->n_publish++] = p;
	return 0;
bad:
	return cl_fail(err, 0,
		       "invalid port mapping '%s': expected [HOSTIP:]HOSTPORT:JAILPORT[/tcp|/udp], "
		       "ports 1-65535, an IPv6 HOSTIP in brackets",
		       v);
}

static void show_publish(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->netcfg.n_publish; i++) {
		const struct cl_publish *p = &s->netcfg.publish[i];
		char host[INET6_ADDRSTRLEN + 2];
		cl_publish_host(p, host, sizeof(host));
		fprintf(out, "publish %s%s%u:%u%s\n", host, host[0] ? ":" : "", p->host_port,
			p->jail_port, p->proto == IPPROTO_UDP ? "/udp" : "");
	}
}

static int add_str(char ***v, size_t *n, const char *str, struct cl_err *err)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return cl_fail(err, ENOMEM, "out of memory");
	*v = nv;
	if (!(nv[*n] = strdup(str)))
		return cl_fail(err, ENOMEM, "out of memory");
	(*n)++;
	return 0;
}

static int set_dns(struct cl_spec *s, const char *v, struct cl_err *err)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, v, buf) != 1 && inet_pton(AF_INET6, v, buf) != 1)
		return cl_fail(err, 0, "invalid nameserver '%s': expected an IPv4 or IPv6 address",
			       v);
	return add_str(&s->netcfg.dns, &s->netcfg.n_dns, v, err);
}

static void show_dns(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->netcfg.n_dns; i++)
		fprintf(out, "dns %s\n", s->netcfg.dns[i]);
}

static bool valid_hostname(const char *h, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
			return false;
	return true;
}

/* NAME:ADDR (ADDR may be IPv6, so split at the first colon). */
static int set_add_host(struct cl_spec *s, const char *v, struct cl_err *err)
{
	const char *colon = strchr(v, ':');
	unsigned char buf[sizeof(struct in6_addr)];

	if (!colon || !valid_hostname(v, (size_t)(colon - v)) ||
	    (inet_pton(AF_INET, colon + 1, buf) != 1 && inet_pton(AF_INET6, colon + 1, buf) != 1))
		return cl_fail(err, 0, "invalid host entry '%s': expected NAME:ADDR", v);
	return add_str(&s->netcfg.add_hosts, &s->netcfg.n_add_hosts, v, err);
}

static void show_add_host(const struct cl_spec *s, FILE *out)
{
	for (size_t i = 0; i < s->netcfg.n_add_hosts; i++)
		fprintf(out, "add-host %s\n", s->netcfg.add_hosts[i]);
}

static int set_no_egress(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_setting_bool(v, &s->netcfg.no_egress, err);
}

static void show_no_egress(const struct cl_spec *s, FILE *out)
{
	if (s->netcfg.no_egress)
		fputs("no-egress\n", out);
}

static int set_no_ipv6(struct cl_spec *s, const char *v, struct cl_err *err)
{
	return cl_setting_bool(v, &s->netcfg.no_ipv6, err);
}

static void show_no_ipv6(const struct cl_spec *s, FILE *out)
{
	if (s->netcfg.no_ipv6)
		fputs("no-ipv6\n", out);
}

int cl_netspec_validate(struct cl_spec *s, struct cl_err *err)
{
	const struct cl_netspec *n = &s->netcfg;
	bool bridge_only =
	    n->ip.s_addr || n->n_dns || n->n_add_hosts || n->subnet_prefix || n->no_egress;
	static bool noted;

	/* rootless parity: an ordinary user cannot make a bridge and veths in
	 * cloison's namespace; pasta gives the jail a network (and -p) without
	 * privilege, so a rootless --net bridge asks for it, said once */
	if (s->net == CL_NET_BRIDGE && geteuid() != 0 && s->backend != CL_BACKEND_VM) {
		if (bridge_only)
			return cl_fail(err, 0,
				       "--net bridge as an ordinary user is user-mode networking "
				       "(--net pasta), which takes no --ip, --subnet, --dns, "
				       "--add-host or --no-egress");
		s->net = CL_NET_PASTA;
		if (!noted)
			fprintf(stderr, "cloison: note: --net bridge needs root; as an ordinary "
					"user the jail gets user-mode networking (--net pasta)\n");
		noted = true;
	}
	if (s->net == CL_NET_PASTA && bridge_only)
		return cl_fail(
		    err, 0,
		    "--ip, --subnet, --dns, --add-host and --no-egress need --net "
		    "bridge (--net pasta gives the jail the host's address and resolver)");
	if (s->net != CL_NET_BRIDGE && s->net != CL_NET_PASTA && (bridge_only || n->n_publish))
		return cl_fail(err, 0,
			       "--ip, --subnet, --publish, --dns, --add-host and --no-egress need "
			       "--net bridge");
	if (s->net != CL_NET_BRIDGE && n->no_ipv6)
		return cl_fail(err, 0, "--no-ipv6 needs --net bridge");
	/* a micro-VM's network is a virtio-net device on a tap on the bridge;
	 * the host's stack or pasta would need a NIC of another kind */
	if (s->backend == CL_BACKEND_VM && s->net != CL_NET_NONE && s->net != CL_NET_BRIDGE)
		return cl_fail(err, 0,
			       "--net %s is not supported with --vm (a micro-VM has --net bridge, "
			       "as root, or --net none)",
			       s->net == CL_NET_HOST ? "host" : "pasta");
	if (s->net != CL_NET_BRIDGE)
		return 0;
	if (geteuid() != 0)
		return cl_fail(err, 0,
			       "--net bridge needs root: cloison creates the bridge and the "
			       "veth in its own network namespace (rootless: --net pasta)");
	if (n->ip.s_addr && n->subnet_prefix) {
		uint32_t mask = htonl(~0U << (32 - n->subnet_prefix));
		char ip[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &n->ip, ip, sizeof(ip));
		inet_ntop(AF_INET, &n->subnet, net, sizeof(net));
		if ((n->ip.s_addr & mask) != n->subnet.s_addr)
			return cl_fail(err, 0, "--ip %s is outside --subnet %s/%u", ip, net,
				       n->subnet_prefix);
	}
	return 0;
}

const struct cl_setting cl_settings_net[] = {
    {"net", 0, 0, "none|host|bridge[=NAME]|pasta", set_net, show_net, CL_BE_ALL},
    {"ip", 0, 0, "ADDR[/PREFIX]", set_ip, show_ip, CL_BE_ALL},
    {"subnet", 0, 0, "ADDR/PREFIX", set_subnet, show_subnet, CL_BE_ALL},
    {"publish", 'p', CL_SETTING_REPEAT, "[HOSTIP:]HOSTPORT:JAILPORT[/tcp|/udp]", set_publish,
     show_publish, CL_BE_ALL},
    {"dns", 0, CL_SETTING_REPEAT, "ADDR", set_dns, show_dns, CL_BE_ALL},
    {"add-host", 0, CL_SETTING_REPEAT, "NAME:ADDR", set_add_host, show_add_host, CL_BE_ALL},
    {"no-egress", 0, CL_SETTING_FLAG, "true|false", set_no_egress, show_no_egress, CL_BE_ALL},
    {"no-ipv6", 0, CL_SETTING_FLAG, "true|false", set_no_ipv6, show_no_ipv6, CL_BE_ALL},
    {NULL, 0, 0, NULL, NULL, NULL, 0},
};
