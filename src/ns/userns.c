#include "ns/userns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

static bool needs_helper(const struct cl_idmap *m, size_t n, unsigned long own)
{
	if (geteuid() == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (m[i].outside != own || m[i].count != 1)
			return true;
	return false;
}

uint32_t cl_userns_host_id(const struct cl_idmap *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].inside && id - m[i].inside < m[i].count)
			return m[i].outside + (id - m[i].inside);
	return (uint32_t)-1;
}

bool cl_userns_setgroups_denied(const struct cl_spec *s)
{
	return (s->ns_flags & CLONE_NEWUSER) && geteuid() != 0 &&
	       !needs_helper(s->gid_map, s->n_gid_map, getegid());
}

static int write_file(const char *path, const char *data, struct cl_err *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(data);

	if (fd < 0)
		return cl_fail(err, errno, "cannot open %s", path);
	if (write(fd, data, len) != (ssize_t)len)
		return cl_fail(err, errno, "cannot write '%.*s' to %s", (int)strcspn(data, "\n"),
			       data, path);
	return 0;
}

static int run_helper(const char *helper, pid_t pid, const struct cl_idmap *m, size_t n,
		      struct cl_err *err)
{
	char args[CL_MAX_IDMAPS * 3][16], pidstr[16];
	const char *argv[2 + 1 + CL_MAX_IDMAPS * 3 + 1];
	size_t a = 0;
	int status;
	pid_t c;

	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	argv[a++] = helper;
	argv[a++] = pidstr;
	for (size_t i = 0; i < n; i++) {
		snprintf(args[3 * i], 16, "%u", m[i].inside);
		snprintf(args[3 * i + 1], 16, "%u", m[i].outside);
		snprintf(args[3 * i + 2], 16, "%u", m[i].count);
		argv[a++] = args[3 * i];
		argv[a++] = args[3 * i + 1];
		argv[a++] = args[3 * i + 2];
	}
	argv[a] = NULL;
	c = fork();
	if (c < 0)
		return cl_fail(err, errno, "cannot fork %s", helper);
	if (c == 0) {
		execv(helper, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(c, &status, 0) < 0)
		if (errno != EINTR)
			return cl_fail(err, errno, "cannot wait for %s", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cl_fail(err, 0, "%s failed for pid %d (check /etc/subuid and /etc/subgid)",
			       helper, pid);
	return 0;
}

static void format_map(char *buf, size_t len, const struct cl_idmap *m, size_t n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%u %u %u\n", m[i].inside,
					m[i].outside, m[i].count);
}

int cl_userns_write_maps(const struct cl_spec *s, pid_t pid, struct cl_err *err)
{
	char path[64], buf[256];

	if (needs_helper(s->uid_map, s->n_uid_map, geteuid())) {
		if (run_helper("/usr/bin/newuidmap", pid, s->uid_map, s->n_uid_map, err) < 0)
			return -1;
	} else {
		format_map(buf, sizeof(buf), s->uid_map, s->n_uid_map);
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		if (write_file(path, buf, err) < 0)
			return -1;
	}
	if (needs_helper(s->gid_map, s->n_gid_map, getegid()))
		return run_helper("/usr/bin/newgidmap", pid, s->gid_map, s->n_gid_map, err);
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
		if (write_file(path, "deny", err) < 0)
			return -1;
	}
	format_map(buf, sizeof(buf), s->gid_map, s->n_gid_map);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	return write_file(path, buf, err);
}
