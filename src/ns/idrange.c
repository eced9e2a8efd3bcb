/* Per-jail host id ranges (ns/idrange.h).  A slot is a file named by its
 * first host id; holding an exclusive flock on it is owning the range.  The
 * lock dies with its last holder, so nothing is left reserved by a jail
 * killed with SIGKILL; the file itself is removed on release (or by gc),
 * and a taker checks that the file it locked is still the one of that name
 * (an unlink may have raced it). */
#include "ns/idrange.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/idmap.h"
#include "util/cleanup.h"
#include "vm/jail.h"
#include "util/fd.h"

#define POOL_START 0x70000000u
#define POOL_END   0xF0000000u /* exclusive */
_Static_assert(CL_VM_JAIL_ID_BASE == CL_IDRANGE_VMM_START,
	       "the VMMs' ids are kept out of the pool");

static const char *dir(void)
{
	return "/run/cloison/userns";
}

/* Ids that belong to someone: the slot holding one is never handed out. */
struct taken {
	uint32_t (*r)[2]; /* [first, last] */
	size_t n, cap;
	bool failed;
};

static bool take(struct taken *t, uint64_t first, uint64_t count)
{
	if (!count || first > UINT32_MAX)
		return true;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		void *nr = realloc(t->r, cap * sizeof(*t->r));
		if (!nr)
			return t->failed = true, false; /* fail closed: nothing handed out */
		t->r = nr;
		t->cap = cap;
	}
	uint64_t last = first + count - 1;
	t->r[t->n][0] = (uint32_t)first;
	t->r[t->n][1] = last > UINT32_MAX ? UINT32_MAX : (uint32_t)last;
	t->n++;
	return true;
}

/* Every grant of the file but the pool's own entry. */
static void take_subids(struct taken *t, const char *file)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		char *a = strchr(line, ':'), *b = a ? strchr(a + 1, ':') : NULL;
		if (b && strncmp(line, "cloison:", 8) != 0)
			take(t, strtoull(a + 1, NULL, 10), strtoull(b + 1, NULL, 10));
	}
}

static void take_ids(struct taken *t)
{
	_cleanup_fclose_ FILE *p = fopen("/etc/passwd", "re");
	_cleanup_fclose_ FILE *g = fopen("/etc/group", "re");
	struct passwd *pw;
	struct group *gr;

	take_subids(t, "/etc/subuid");
	take_subids(t, "/etc/subgid");
	/* every account: a dedicated pool may lie anywhere */
	while (p && (pw = fgetpwent(p)))
		take(t, pw->pw_uid, 1);
	while (g && (gr = fgetgrent(g)))
		take(t, gr->gr_gid, 1);
	/* systemd's "foreign" range (mountfsd, nspawn's --private-users=foreign) */
	take(t, 0x7FFE0000u, 0x10000u);
}

/* A directory's users (SSSD, LDAP) are in no file: ask NSS about the
 * slot's first and last ids. */
static bool nss_owned(uint32_t base)
{
	return getpwuid(base) || getpwuid(base + CL_IDRANGE_SIZE - 1) || getgrgid(base) ||
	       getgrgid(base + CL_IDRANGE_SIZE - 1);
}

static bool overlaps(const struct taken *t, uint32_t start, uint32_t count)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i][0] <= start + (count - 1) && start <= t->r[i][1])
			return true;
	return false;
}

static int mkdirs(struct cl_err *err)
{
	char parent[64];
	const char *d = dir(), *slash = strrchr(d, '/');

	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - d), d);
	if (parent[0] && mkdir(parent, 0755) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cannot create %s", parent);
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cannot create %s", d);
	return 0;
}

/* Locks the slot file @path: 1 when ours, 0 when someone holds it, -1. */
static int lock_slot(const char *path, int min_fd, bool create, int *fd_out, struct cl_err *err)
{
	for (;;) {
		struct stat a, b;
		int fd = cl_fd_above(
		    open(path, O_RDWR | (create ? O_CREAT : 0) | O_CLOEXEC | O_NOFOLLOW, 0600),
		    min_fd);

		if (fd < 0 && !create && errno == ENOENT)
			return 0; /* gone meanwhile: nothing to collect */
		if (fd < 0)
			return cl_fail(err, errno, "cannot open the id range lock %s", path);
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				return 0;
			return cl_fail(err, e, "cannot lock %s", path);
		}
		/* the file we locked may have been removed by its last owner */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			*fd_out = fd;
			return 1;
		}
		close(fd);
	}
}

int cl_idrange_acquire(struct cl_idrange *r, int min_fd, struct cl_err *err)
{
	struct taken t = {0};
	uint32_t start = POOL_START, count = POOL_END - POOL_START, s2, c2;
	int rc = -1;

	r->fd = -1;
	take(&t, CL_IDRANGE_VMM_START, CL_IDRANGE_VMM_COUNT);
	/* a dedicated pool: the "cloison" entry of both files */
	if (cl_subid_lookup("/etc/subuid", "cloison", (unsigned long)-1, &start, &count) == 0) {
		if (cl_subid_lookup("/etc/subgid", "cloison", (unsigned long)-1, &s2, &c2) < 0 ||
		    s2 != start || c2 != count)
			return cl_fail(
			    err, 0,
			    "the /etc/subuid and /etc/subgid entries of 'cloison' differ: "
			    "the jails' id pool must be the same range in both");
	}
	take_ids(&t);
	if (t.failed) {
		rc = cl_fail(err, ENOMEM, "cannot list the host's ids");
		goto out;
	}
	uint32_t slots = count / CL_IDRANGE_SIZE;
	if (!slots) {
		rc = cl_fail(err, 0, "the /etc/subuid entry of 'cloison' holds less than %u ids",
			     CL_IDRANGE_SIZE);
		goto out;
	}
	if (mkdirs(err) < 0)
		goto out;
	/* start somewhere else each time: concurrent runs seldom meet */
	uint32_t first = (uint32_t)getpid() * 2654435761u % slots;
	for (uint32_t i = 0; i < slots; i++) {
		uint32_t base = start + ((first + i) % slots) * CL_IDRANGE_SIZE;
		if (overlaps(&t, base, CL_IDRANGE_SIZE) || nss_owned(base))
			continue;
		snprintf(r->path, sizeof(r->path), "%s/%u", dir(), base);
		int got = lock_slot(r->path, min_fd, true, &r->fd, err);
		if (got < 0)
			goto out;
		if (got) {
			char pid[16];
			int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
			if (ftruncate(r->fd, 0) == 0 && write(r->fd, pid, (size_t)n) != n)
				(void)0; /* for the curious only */
			r->start = base;
			rc = 0;
			goto out;
		}
	}
	rc = cl_fail(err, 0, "no free id range of %u ids left in %u-%u (%s)", CL_IDRANGE_SIZE,
		     start, start + (slots * CL_IDRANGE_SIZE - 1), dir());
out:
	free(t.r);
	return rc;
}

void cl_idrange_release(struct cl_idrange *r)
{
	if (r->fd < 0)
		return;
	unlink(r->path); /* while still locked: a taker re-checks the name */
	close(r->fd);
	r->fd = -1;
}

int cl_idrange_gc(bool dry, void (*said)(const char *path, void *data), void *data)
{
	DIR *d = opendir(dir());
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char path[512];
		int fd = -1;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir(), de->d_name);
		if (lock_slot(path, 0, false, &fd, NULL) != 1)
			continue;
		if (!dry)
			unlink(path);
		close(fd);
		said(path, data);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}
