/* The state directory of a detached jail (svc/state.h). */
#include "svc/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ns/net_ipam.h"
#include "util/cleanup.h"

#define LOCK_WAIT_MS 10000

int cl_state_root(char *buf, size_t len, bool make, struct cl_err *err)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	char base[PATH_MAX];

	if (geteuid() == 0)
		snprintf(base, sizeof(base), "/run/cloison");
	else if (xdg && xdg[0] == '/')
		snprintf(base, sizeof(base), "%s/cloison", xdg);
	else
		return cl_fail(err, 0,
			       "XDG_RUNTIME_DIR is not set: no place for a rootless jail's state");
	if ((size_t)snprintf(buf, len, "%s/jails", base) >= len)
		return cl_fail(err, ENAMETOOLONG, "state directory %s/jails", base);
	if (!make)
		return 0;
	if ((mkdir(base, 0700) < 0 && errno != EEXIST) || (mkdir(buf, 0700) < 0 && errno != EEXIST))
		return cl_fail(err, errno, "cannot create the state directory %s", buf);
	return 0;
}

int cl_state_check_name(const char *name, struct cl_err *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > CL_NAME_MAX)
		return cl_fail(err, 0, "jail name '%s': 1 to %d characters", name, CL_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return cl_fail(err, 0,
				       "jail name '%s': letters, digits, '_', '.' and '-' only, "
				       "starting with a letter or digit",
				       name);
	}
	return 0;
}

/* An OCI container's ID (runc's rule): 1-255 of [A-Za-z0-9_+.-]. */
static int check_oci_id(const char *id, struct cl_err *err)
{
	size_t n = strlen(id);

	if (n == 0 || n > 255 || !strcmp(id, ".") || !strcmp(id, ".."))
		return cl_fail(err, 0, "container ID '%s': 1 to 255 characters", id);
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-",
			    id[i]))
			return cl_fail(err, 0,
				       "container ID '%s': letters, digits, '_', '+', '.' and '-' "
				       "only",
				       id);
	return 0;
}

static int open_dir_at(struct cl_state *st, const char *oci_root, const char *name, bool make,
		       struct cl_err *err)
{
	char root[PATH_MAX];

	if (oci_root) {
		if (check_oci_id(name, err) < 0)
			return -1;
		snprintf(root, sizeof(root), "%s", oci_root);
		if (make && mkdir(root, 0700) < 0 && errno != EEXIST) {
			/* its parent (/run/cloison) first */
			char parent[PATH_MAX], *slash;
			snprintf(parent, sizeof(parent), "%s", root);
			if ((slash = strrchr(parent, '/')) && slash != parent) {
				*slash = '\0';
				mkdir(parent, 0700);
			}
			if (mkdir(root, 0700) < 0 && errno != EEXIST)
				return cl_fail(err, errno, "cannot create the state directory %s",
					       root);
		}
	} else if (cl_state_check_name(name, err) < 0 ||
		   cl_state_root(root, sizeof(root), make, err) < 0) {
		return -1;
	}
	snprintf(st->name, sizeof(st->name), "%s", name);
	if ((size_t)snprintf(st->dir, sizeof(st->dir), "%s/%s", root, name) >= sizeof(st->dir))
		return cl_fail(err, ENAMETOOLONG, "state directory of %s", name);
	if (make && mkdir(st->dir, 0700) < 0) {
		if (errno == EEXIST)
			return cl_fail(err, EEXIST, "a %s named %s exists already (%s)",
				       oci_root ? "container" : "jail", name, st->dir);
		return cl_fail(err, errno, "cannot create %s", st->dir);
	}
	st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dir_fd < 0) {
		if (errno == ENOENT)
			return cl_fail_code(err, CL_EXIT_FAILURE, ENOENT, "no such %s: %s",
					    oci_root ? "container" : "jail", name);
		return cl_fail(err, errno, "cannot open %s", st->dir);
	}
	return 0;
}

static int open_dir(struct cl_state *st, const char *name, bool make, struct cl_err *err)
{
	return open_dir_at(st, NULL, name, make, err);
}

int cl_state_lock(struct cl_state *st, struct cl_err *err)
{
	if (st->lock_fd >= 0)
		return 0;
	st->lock_fd = openat(st->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lock_fd < 0)
		return cl_fail(err, errno, "cannot open %s/lock", st->dir);
	for (int waited = 0; flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0; waited += 10) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= LOCK_WAIT_MS) {
			int e = errno;
			close(st->lock_fd);
			st->lock_fd = -1;
			return cl_fail(err, e,
				       "jail %s: its lock %s/lock is held by another command "
				       "(gave up after %d s)",
				       st->name, st->dir, LOCK_WAIT_MS / 1000);
		}
		usleep(10000);
	}
	return 0;
}

void cl_state_unlock(struct cl_state *st)
{
	if (st->lock_fd >= 0) {
		close(st->lock_fd); /* the lock goes with the last fd of its file */
		st->lock_fd = -1;
	}
}

int cl_state_reload(struct cl_state *st, struct cl_err *err)
{
	_cleanup_close_ int fd =
	    openat(st->dir_fd, "state.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;

	if (fd < 0) {
		if (errno == ENOENT)
			return cl_fail_code(err, CL_EXIT_FAILURE, ENOENT,
					    "no such jail: %s (%s has no state.json)", st->name,
					    st->dir);
		return cl_fail(err, errno, "cannot open %s/state.json", st->dir);
	}
	do {
		if (len + 4096 > cap) {
			char *b = realloc(buf, cap = cap * 2 + 8192);
			if (!b)
				return cl_fail(err, ENOMEM, "out of memory");
			buf = b;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno != EINTR)
			return cl_fail(err, errno, "cannot read %s/state.json", st->dir);
		len += n > 0 ? (size_t)n : 0;
	} while (n != 0);
	buf[len] = '\0';

	json_tokener *tok = json_tokener_new();
	json_object *j = tok ? json_tokener_parse_ex(tok, buf, (int)len + 1) : NULL;
	enum json_tokener_error je = tok ? json_tokener_get_error(tok) : json_tokener_error_depth;
	size_t at = tok ? json_tokener_get_parse_end(tok) : 0;
	if (tok)
		json_tokener_free(tok);
	if (!j || je != json_tokener_success || !json_object_is_type(j, json_type_object)) {
		json_object_put(j);
		return cl_fail(err, 0, "jail %s: %s/state.json is corrupt (%s, at byte %zu)",
			       st->name, st->dir,
			       je != json_tokener_success ? json_tokener_error_desc(je)
							  : "not a JSON object",
			       at);
	}
	json_object *v;
	int64_t version =
	    json_object_object_get_ex(j, "version", &v) ? json_object_get_int64(v) : 0;
	if (version < 1 || version > CL_STATE_VERSION) {
		json_object_put(j);
		return cl_fail(err, 0,
			       "jail %s: %s/state.json has format version %lld; this cloison "
			       "reads 1 to %d",
			       st->name, st->dir, (long long)version, CL_STATE_VERSION);
	}
	json_object_put(st->j);
	st->j = j;
	return 0;
}

int cl_state_create_at(struct cl_state *st, const char *root, const char *name, struct cl_err *err)
{
	*st = (struct cl_state)CL_STATE_INIT;
	if (open_dir_at(st, root, name, true, err) < 0)
		return -1;
	if (cl_state_lock(st, err) < 0 || !(st->j = json_object_new_object())) {
		cl_state_remove(st, err);
		return -1;
	}
	cl_state_set_int(st, "version", CL_STATE_VERSION);
	cl_state_set_str(st, "name", name);
	return 0;
}

int cl_state_create(struct cl_state *st, const char *name, struct cl_err *err)
{
	return cl_state_create_at(st, NULL, name, err);
}

int cl_state_open(struct cl_state *st, const char *name, bool lock, struct cl_err *err)
{
	return cl_state_open_at(st, NULL, name, lock, err);
}

int cl_state_open_at(struct cl_state *st, const char *root, const char *name, bool lock,
		     struct cl_err *err)
{
	*st = (struct cl_state)CL_STATE_INIT;
	if (open_dir_at(st, root, name, false, err) < 0 || (lock && cl_state_lock(st, err) < 0) ||
	    cl_state_reload(st, err) < 0) {
		cl_state_close(st);
		return -1;
	}
	return 0;
}

int cl_state_save(struct cl_state *st, struct cl_err *err)
{
	const char *text = json_object_to_json_string_ext(
	    st->j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(text), off = 0;
	int fd = openat(st->dir_fd, "state.json.tmp",
			O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return cl_fail(err, errno, "cannot write %s/state.json.tmp", st->dir);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			close(fd);
			unlinkat(st->dir_fd, "state.json.tmp", 0);
			return cl_fail(err, e, "cannot write %s/state.json", st->dir);
		}
		off += (size_t)n;
	}
	if (write(fd, "\n", 1) != 1 || close(fd) < 0) {
		int e = errno;
		unlinkat(st->dir_fd, "state.json.tmp", 0);
		return cl_fail(err, e, "cannot write %s/state.json", st->dir);
	}
	if (renameat(st->dir_fd, "state.json.tmp", st->dir_fd, "state.json") < 0)
		return cl_fail(err, errno, "cannot replace %s/state.json", st->dir);
	return 0;
}

/* A directory of the state's (notify/, the jail's notify socket): its
 * entries, then itself. */
static void remove_subdir(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	unlinkat(dir_fd, name, AT_REMOVEDIR);
}

int cl_state_remove(struct cl_state *st, struct cl_err *err)
{
	int fd = st->dir_fd >= 0 ? dup(st->dir_fd) : -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return st->dir[0] ? cl_fail(err, errno, "cannot open %s", st->dir) : 0;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    unlinkat(st->dir_fd, e->d_name, 0) < 0 && errno == EISDIR)
			remove_subdir(st->dir_fd, e->d_name);
	closedir(d);
	if (rmdir(st->dir) < 0 && errno != ENOENT)
		r = cl_fail(err, errno, "cannot remove %s", st->dir);
	return r;
}

void cl_state_close(struct cl_state *st)
{
	cl_state_unlock(st);
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	st->dir_fd = -1;
	json_object_put(st->j);
	st->j = NULL;
}

int cl_state_remove_orphan(const char *name, bool unreadable)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_err ignored;
	int r = 0;

	if (open_dir(&st, name, false, &ignored) < 0)
		return 0;
	st.lock_fd = openat(st.dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st.lock_fd >= 0 && flock(st.lock_fd, LOCK_EX | LOCK_NB) == 0 &&
	    (unreadable || (faccessat(st.dir_fd, "state.json", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
			    errno == ENOENT)))
		r = cl_state_remove(&st, &ignored) == 0;
	cl_state_close(&st);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cl_state_list(struct cl_err *err)
{
	return cl_state_list_at(NULL, err);
}

char **cl_state_list_at(const char *oci_root, struct cl_err *err)
{
	char root[PATH_MAX];
	size_t n = 0, cap = 16;
	char **v;
	DIR *d;
	struct dirent *e;

	if (oci_root)
		snprintf(root, sizeof(root), "%s", oci_root);
	else if (cl_state_root(root, sizeof(root), false, err) < 0)
		return NULL;
	if (!(v = calloc(cap, sizeof(*v))))
		return NULL;
	if (!(d = opendir(root))) {
		if (errno == ENOENT)
			return v;
		cl_fail(err, errno, "cannot read %s", root);
		free(v);
		return NULL;
	}
	while ((e = readdir(d))) {
		struct cl_err ignored;
		if (e->d_name[0] == '.' ||
		    (oci_root ? check_oci_id(e->d_name, &ignored)
			      : cl_state_check_name(e->d_name, &ignored)) < 0)
			continue;
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if ((v[n] = strdup(e->d_name)))
			v[++n] = NULL;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	return v;
}

int64_t cl_state_int(const struct cl_state *st, const char *key)
{
	json_object *v;

	return st->j && json_object_object_get_ex(st->j, key, &v) ? json_object_get_int64(v) : 0;
}

const char *cl_state_str(const struct cl_state *st, const char *key)
{
	json_object *v;

	if (!st->j || !json_object_object_get_ex(st->j, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

void cl_state_set_int(struct cl_state *st, const char *key, int64_t v)
{
	json_object_object_add(st->j, key, json_object_new_int64(v));
}

void cl_state_set_str(struct cl_state *st, const char *key, const char *v)
{
	json_object_object_add(st->j, key, json_object_new_string(v ? v : ""));
}

int64_t cl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

unsigned long long cl_pid_start(pid_t pid)
{
	return cl_proc_start(pid);
}

/* A zombie is not alive: killed, and not yet reaped by whoever inherited
 * it. */
static bool zombie(pid_t pid)
{
	char path[64], buf[512];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

bool cl_pid_alive(pid_t pid, unsigned long long start)
{
	return pid > 0 && start && cl_pid_start(pid) == start && !zombie(pid);
}

bool cl_state_monitor_alive(const struct cl_state *st)
{
	return cl_pid_alive((pid_t)cl_state_int(st, "monitor_pid"),
			    (unsigned long long)cl_state_int(st, "monitor_start"));
}

bool cl_status_live(const char *status)
{
	return !strcmp(status, "created") || !strcmp(status, "running") ||
	       !strcmp(status, "restarting") || !strcmp(status, "stopping");
}

const char *cl_state_status(const struct cl_state *st)
{
	const char *s = cl_state_str(st, "status");

	if (cl_status_live(s) && !cl_state_monitor_alive(st))
		return "lost";
	return s[0] ? s : "unknown";
}
