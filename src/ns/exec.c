/* Finding and executing the jail's command. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ns/jail.h"
#include "util/cleanup.h"
#include "util/path.h"

static const char *env_path(const struct cl_spec *s)
{
	for (size_t i = 0; s->env && s->env[i]; i++)
		if (strncmp(s->env[i], "PATH=", 5) == 0)
			return s->env[i] + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int exec_error(const char *cmd, int e, struct cl_err *err)
{
	if (e == ENOENT || e == ENOTDIR)
		return cl_fail_code(err, CL_EXIT_NOTFOUND, e, "cannot execute %s", cmd);
	return cl_fail_code(err, CL_EXIT_NOEXEC, e, "cannot execute %s", cmd);
}

int cl_exec_lookup(const struct cl_spec *s, struct cl_err *err)
{
	const char *cmd = s->argv[0];
	char buf[4096];
	int first = 0;

	if (strchr(cmd, '/'))
		return access(cmd, X_OK) == 0 ? 0 : exec_error(cmd, errno, err);
	for (const char *p = env_path(s); p && *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		struct stat st;

		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, p, n ? "/" : "", cmd);
		if (stat(buf, &st) == 0 && !S_ISDIR(st.st_mode)) {
			if (access(buf, X_OK) == 0)
				return 0;
			first = first ? first : errno;
		}
		p = colon ? colon + 1 : NULL;
	}
	if (first)
		return exec_error(cmd, first, err);
	return cl_fail_code(err, CL_EXIT_NOTFOUND, 0,
			    "exec: \"%s\": executable file not found in $PATH", cmd);
}

static bool maybe_at(const struct cl_spec *s, int rootfd, const char *path)
{
	struct cl_err e;
	int fd;

	for (size_t i = 0; i < s->n_mounts; i++)
		if (!strcmp(path, s->mounts[i].dest) || cl_path_below(path, s->mounts[i].dest))
			return true;
	fd = cl_open_beneath(rootfd, path, O_PATH, &e);
	if (fd >= 0)
		close(fd);
	return fd >= 0 || (e.errnum != ENOENT && e.errnum != ENOTDIR);
}

bool cl_exec_maybe_in(const struct cl_spec *s, int rootfd)
{
	const char *cmd = s->argv[0];
	char buf[4096];

	if (strchr(cmd, '/'))
		return cmd[0] != '/' || maybe_at(s, rootfd, cmd);
	for (const char *p = env_path(s); p && *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);

		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, cmd);
		if (buf[0] != '/' || maybe_at(s, rootfd, buf))
			return true;
		p = colon ? colon + 1 : NULL;
	}
	return false;
}

int cl_exec_command(const struct cl_spec *s, struct cl_err *err)
{
	const char *cmd = s->argv[0];
	char buf[4096];
	int first_eacces = 0;

	if (strchr(cmd, '/')) {
		execve(cmd, s->argv, s->env);
		return exec_error(cmd, errno, err);
	}
	for (const char *p = env_path(s); p && *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);

		if (n == 0)
			snprintf(buf, sizeof(buf), "%s", cmd);
		else
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, cmd);
		execve(buf, s->argv, s->env);
		if (errno == EACCES || errno == ENOEXEC || errno == EPERM)
			first_eacces = first_eacces ? first_eacces : errno;
		p = colon ? colon + 1 : NULL;
	}
	if (first_eacces)
		return exec_error(cmd, first_eacces, err);
	return cl_fail_code(err, CL_EXIT_NOTFOUND, 0,
			    "cannot execute %s: command not found in PATH", cmd);
}

extern const unsigned char cl_tinyinit_start[], cl_tinyinit_end[];

int cl_tinyinit_memfd(struct cl_err *err)
{
	_cleanup_close_ int fd = memfd_create("cloison-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t len = (size_t)(cl_tinyinit_end - cl_tinyinit_start), off = 0;

	if (fd < 0)
		return cl_fail(err, errno, "cannot create the memfd for --init");
	while (off < len) {
		ssize_t w = write(fd, cl_tinyinit_start + off, len - off);
		if (w < 0)
			return cl_fail(err, errno, "cannot write the --init binary to its memfd");
		off += (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return cl_fail(err, errno, "cannot seal the --init memfd");
	return cl_steal_fd(&fd);
}
