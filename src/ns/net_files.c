/* The jail's /etc/hosts and /etc/resolv.conf, written into the run's
 * directory and bind-mounted read-only over the rootfs's files. */
#include "ns/net_files.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "util/cleanup.h"

static int write_hosts(const struct cl_spec *s, const char *path, struct in_addr addr,
		       const struct in6_addr *addr6, struct cl_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "we");
	char a[INET6_ADDRSTRLEN];

	/* 0644 whatever the umask: only root may change what the jail resolves */
	if (!f || fchmod(fileno(f), 0644) < 0)
		return cl_fail(err, errno, "cannot write %s", path);
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	fprintf(f, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n", a,
		s->hostname);
	if (addr6)
		fprintf(f, "%s\t%s\n", inet_ntop(AF_INET6, addr6, a, sizeof(a)), s->hostname);
	for (size_t i = 0; i < s->netcfg.n_add_hosts; i++) {
		const char *h = s->netcfg.add_hosts[i], *colon = strchr(h, ':');
		fprintf(f, "%s\t%.*s\n", colon + 1, (int)(colon - h), h);
	}
	if (fflush(f) != 0)
		return cl_fail(err, errno, "cannot write %s", path);
	return 0;
}

/* A nameserver on the host's loopback cannot be reached from the jail. */
static bool loopback(const char *addr)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, addr, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

static int write_resolv(const struct cl_spec *s, const char *path, struct cl_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "we");
	_cleanup_fclose_ FILE *host = NULL;
	char line[512], ns[256];
	int kept = 0;

	if (!f || fchmod(fileno(f), 0644) < 0)
		return cl_fail(err, errno, "cannot write %s", path);
	fputs("# written by cloison for this jail\n", f);
	for (size_t i = 0; i < s->netcfg.n_dns; i++, kept++)
		fprintf(f, "nameserver %s\n", s->netcfg.dns[i]);
	/* the host's search and options lines, and its nameservers unless
	 * --dns was given */
	host = fopen("/etc/resolv.conf", "re");
	while (host && fgets(line, sizeof(line), host)) {
		if (strncmp(line, "search", 6) == 0 || strncmp(line, "domain", 6) == 0 ||
		    strncmp(line, "options", 7) == 0) {
			fputs(line, f);
			if (!strchr(line, '\n'))
				fputc('\n', f);
		} else if (!s->netcfg.n_dns && sscanf(line, "nameserver %255s", ns) == 1 &&
			   !loopback(ns)) {
			fprintf(f, "nameserver %s\n", ns);
			kept++;
		}
	}
	if (!kept)
		fputs("# no nameserver: the host's are on its loopback (give one with --dns)\n", f);
	if (fflush(f) != 0)
		return cl_fail(err, errno, "cannot write %s", path);
	return 0;
}

int cl_net_write_files(const struct cl_spec *s, const char *dir, struct in_addr addr,
		       const struct in6_addr *addr6, struct cl_err *err)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/hosts", dir);
	if (write_hosts(s, path, addr, addr6, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	return write_resolv(s, path, err);
}
