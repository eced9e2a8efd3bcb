/* Address leases in "<state dir>/leases", one per line:
 *   NETNS BRIDGE ADDR PID START
 * read and rewritten (to a temporary file, then renamed) under an flock on
 * "<state dir>/lock".  Only bridge mode ever touches any of this. */
#include "ns/net_ipam.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

const char *cl_net_state_dir(void)
{
	const char *d = getenv("CLOISON_NET_DIR");

	return d && d[0] == '/' ? d : "/run/cloison/net";
}

unsigned long cl_netns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? (unsigned long)st.st_ino : 0;
}

unsigned long long cl_proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	_cleanup_close_ int fd = -1;
	unsigned long long start = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	/* field 22, counted after the command name, which may hold spaces */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	for (int field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%llu", &start);
	return start;
}

bool cl_owner_alive(pid_t pid, unsigned long long start)
{
	unsigned long long now;

	if (pid <= 0)
		return false;
	errno = 0;
	now = cl_proc_start(pid);
	/* unreadable for another reason than the process being gone (EMFILE,
	 * ENOMEM...): alive, so that a live lease is never taken away */
	if (!now)
		return errno != ENOENT && errno != ESRCH;
	return now == start;
}

int cl_ipam_run_dir(char *buf, size_t size, pid_t pid, unsigned long long start)
{
	int n = snprintf(buf, size, "%s/ctx-%d-%llu", cl_net_state_dir(), (int)pid, start);

	return n > 0 && (size_t)n < size ? 0 : -1;
}

void cl_ipam_remove_run_dir(const char *dir)
{
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d;
	struct dirent *e;

	if (dfd < 0)
		return;
	d = fdopendir(dfd);
	if (!d)
		return;
	dfd = -1; /* now owned by d */
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(dir);
}

static int mkdir_p(const char *path, struct cl_err *err)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return cl_fail(err, ENAMETOOLONG, "cannot create %s", path);
	strcpy(buf, path);
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		/* 0711: a jail in a user namespace must reach its files to bind them */
		if (mkdir(buf, 0711) < 0 && errno != EEXIST)
			return cl_fail(err, errno, "cannot create the network state directory %s",
				       buf);
		if (!c)
			return 0;
		*p = c;
	}
}

static int load(struct cl_ipam *st, struct cl_err *err)
{
	char path[PATH_MAX], line[256], addr[INET_ADDRSTRLEN + 1];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/leases", cl_net_state_dir());
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : cl_fail(err, errno, "cannot read %s", path);
	while (fgets(line, sizeof(line), f)) {
		struct cl_lease l = {0};
		int pid;
		if (sscanf(line, "%lu %15s %16s %d %llu", &l.netns, l.bridge, addr, &pid,
			   &l.start) != 5 ||
		    inet_pton(AF_INET, addr, &l.addr) != 1)
			continue; /* a damaged line: dropped on the next write */
		l.pid = pid;
		struct cl_lease *nv = realloc(st->leases, (st->n + 1) * sizeof(*nv));
		if (!nv)
			return cl_fail(err, ENOMEM, "out of memory");
		st->leases = nv;
		st->leases[st->n++] = l;
	}
	return 0;
}

static int save(struct cl_ipam *st, struct cl_err *err)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], addr[INET_ADDRSTRLEN];
	FILE *f;

	snprintf(path, sizeof(path), "%s/leases", cl_net_state_dir());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	/* 0644 whatever the umask: a lease line decides which veth gc deletes */
	if (!f || fchmod(fileno(f), 0644) < 0) {
		int e = errno;
		if (f)
			fclose(f);
		return cl_fail(err, e, "cannot write %s", tmp);
	}
	for (size_t i = 0; i < st->n; i++) {
		const struct cl_lease *l = &st->leases[i];
		inet_ntop(AF_INET, &l->addr, addr, sizeof(addr));
		fprintf(f, "%lu %s %s %d %llu\n", l->netns, l->bridge, addr, (int)l->pid, l->start);
	}
	if (fflush(f) != 0 || ferror(f)) {
		int e = errno;
		fclose(f);
		unlink(tmp);
		return cl_fail(err, e, "cannot write %s", tmp);
	}
	fclose(f);
	if (rename(tmp, path) < 0)
		return cl_fail(err, errno, "cannot replace %s", path);
	return 0;
}

int cl_ipam_open(struct cl_ipam *st, struct cl_err *err)
{
	char path[PATH_MAX];

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	if (mkdir_p(cl_net_state_dir(), err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/lock", cl_net_state_dir());
	st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lock_fd < 0)
		return cl_fail(err, errno, "cannot open %s", path);
	while (flock(st->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return cl_fail(err, errno, "cannot lock %s", path);
	return load(st, err);
}

int cl_ipam_close(struct cl_ipam *st, struct cl_err *err)
{
	int r = 0;

	if (st->lock_fd >= 0 && st->dirty)
		r = save(st, err);
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* and the lock with it */
	free(st->leases);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	return r;
}

static void remove_at(struct cl_ipam *st, size_t i)
{
	memmove(&st->leases[i], &st->leases[i + 1], (st->n - i - 1) * sizeof(st->leases[0]));
	st->n--;
	st->dirty = true;
}

/* Run directories whose owner is gone (it was killed before cleaning up). */
static void sweep_run_dirs(void)
{
	DIR *d = opendir(cl_net_state_dir());
	struct dirent *e;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((e = readdir(d))) {
		int pid;
		unsigned long long start;
		if (sscanf(e->d_name, "ctx-%d-%llu", &pid, &start) != 2 ||
		    cl_owner_alive(pid, start))
			continue;
		if (cl_ipam_run_dir(path, sizeof(path), pid, start) == 0)
			cl_ipam_remove_run_dir(path);
	}
	closedir(d);
}

size_t cl_ipam_reconcile(struct cl_ipam *st, void (*fn)(const struct cl_lease *l, void *data),
			 void *data)
{
	size_t dropped = 0;

	for (size_t i = 0; i < st->n;) {
		if (cl_owner_alive(st->leases[i].pid, st->leases[i].start)) {
			i++;
			continue;
		}
		if (fn)
			fn(&st->leases[i], data);
		remove_at(st, i);
		dropped++;
	}
	sweep_run_dirs();
	return dropped;
}

static const struct cl_lease *holder(const struct cl_ipam *st, const struct cl_lease *key,
				     struct in_addr a)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct cl_lease *l = &st->leases[i];
		if (l->netns == key->netns && strcmp(l->bridge, key->bridge) == 0 &&
		    l->addr.s_addr == a.s_addr)
			return l;
	}
	return NULL;
}

int cl_ipam_reserve(struct cl_ipam *st, const struct cl_lease *key, struct in_addr net,
		    unsigned prefix, struct in_addr gw, struct in_addr want, struct in_addr *got,
		    struct cl_err *err)
{
	uint32_t mask = prefix ? ~0U << (32 - prefix) : 0, base = ntohl(net.s_addr) & mask;
	uint32_t last = base | ~mask; /* the broadcast address */
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];
	struct cl_lease l = *key, *nv;

	inet_ntop(AF_INET, &(struct in_addr){htonl(base)}, n, sizeof(n));
	if (want.s_addr) {
		uint32_t w = ntohl(want.s_addr);
		const struct cl_lease *h = holder(st, key, want);
		inet_ntop(AF_INET, &want, a, sizeof(a));
		if ((w & mask) != base)
			return cl_fail(err, 0, "address %s is outside %s's subnet %s/%u", a,
				       key->bridge, n, prefix);
		if (w == base || w == last || want.s_addr == gw.s_addr)
			return cl_fail(err, 0, "address %s is the %s address of %s/%u", a,
				       w == base   ? "network"
				       : w == last ? "broadcast"
						   : "bridge's",
				       n, prefix);
		if (h)
			return cl_fail(
			    err, 0,
			    "address %s is already used by another jail on %s (cloison pid %d)", a,
			    key->bridge, (int)h->pid);
		l.addr = want;
	} else {
		l.addr.s_addr = 0;
		for (uint32_t c = base + 1; c < last; c++) {
			struct in_addr ca = {htonl(c)};
			if (ca.s_addr != gw.s_addr && !holder(st, key, ca)) {
				l.addr = ca;
				break;
			}
		}
		if (!l.addr.s_addr)
			return cl_fail(err, EADDRNOTAVAIL, "no free address left in %s/%u on %s", n,
				       prefix, key->bridge);
	}
	nv = realloc(st->leases, (st->n + 1) * sizeof(*nv));
	if (!nv)
		return cl_fail(err, ENOMEM, "out of memory");
	st->leases = nv;
	st->leases[st->n++] = l;
	st->dirty = true;
	*got = l.addr;
	return 0;
}

void cl_ipam_drop(struct cl_ipam *st, pid_t pid, unsigned long long start)
{
	for (size_t i = 0; i < st->n;) {
		if (st->leases[i].pid == pid && st->leases[i].start == start)
			remove_at(st, i);
		else
			i++;
	}
}

bool cl_ipam_in_use(const struct cl_ipam *st, unsigned long netns, const char *bridge, pid_t pid)
{
	for (size_t i = 0; i < st->n; i++) {
		const struct cl_lease *l = &st->leases[i];
		if (l->netns == netns && (!bridge || strcmp(l->bridge, bridge) == 0) &&
		    (!pid || l->pid == pid) && cl_owner_alive(l->pid, l->start))
			return true;
	}
	return false;
}
