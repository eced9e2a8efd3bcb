/* systemd's readiness protocol for the monitor (svc/notify.h). */
#include "svc/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/path.h"

int cl_sd_notify(const char *socket_path, const char *msg)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(socket_path);
	ssize_t sent;
	int fd, e;

	if (!n || n >= sizeof(sa.sun_path))
		return errno = EINVAL, -1;
	memcpy(sa.sun_path, socket_path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sent = sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	e = errno;
	close(fd);
	errno = e;
	return sent < 0 ? -1 : 0;
}

/* What the jail may say: how the service is and its timing.  Never what
 * names a process (MAINPID=), holds file descriptors (FDSTORE=, FDNAME=,
 * FDPOLL=, BARRIER=) or changes who may notify (NOTIFYACCESS=). */
static const char *const passed[] = {
    "READY",
    "RELOADING",
    "STOPPING",
    "STATUS",
    "ERRNO",
    "BUSERROR",
    "EXIT_STATUS",
    "MONOTONIC_USEC",
    "WATCHDOG",
    "WATCHDOG_USEC",
    "EXTEND_TIMEOUT_USEC",
};

static bool passes(const char *line, size_t len)
{
	const char *eq = memchr(line, '=', len);

	if (!eq)
		return false;
	for (size_t i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
		if (strlen(passed[i]) == (size_t)(eq - line) && !memcmp(line, passed[i], eq - line))
			return true;
	return false;
}

size_t cl_notify_filter(const char *msg, char *out, size_t len)
{
	size_t k = 0;

	for (const char *line = msg; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n && passes(line, n) && k + n + 1 < len) {
			memcpy(out + k, line, n);
			k += n;
			out[k++] = '\n';
		}
		line += n + (nl ? 1 : 0);
	}
	out[k] = '\0';
	return k;
}

int cl_notify_check(const struct cl_spec *s, struct cl_err *err)
{
	if (s->backend == CL_BACKEND_VM)
		return cl_fail(err, 0,
			       "--sd-notify container: a micro-VM's command cannot reach a host "
			       "socket (use --sd-notify monitor)");
	if (!s->readonly)
		return 0;
	/* nothing is created in a read-only rootfs: the mount point must be
	 * there already, or in a tmpfs of the jail's */
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].kind == CL_MOUNT_TMPFS &&
		    cl_path_below(CL_NOTIFY_JAIL_DIR, s->mounts[i].dest))
			return 0;
	_cleanup_close_ int root = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct cl_err ignored;
	_cleanup_close_ int fd =
	    root < 0 ? -1
		     : cl_open_beneath(root, CL_NOTIFY_JAIL_DIR, O_PATH | O_DIRECTORY, &ignored);
	if (fd < 0)
		return cl_fail(err, 0,
			       "--sd-notify container with --read-only: the rootfs %s has no "
			       "directory " CL_NOTIFY_JAIL_DIR
			       " to mount the jail's notify socket on, and nothing is created in "
			       "it: make that directory there, or mount a tmpfs on /run "
			       "(--tmpfs /run)",
			       s->rootfs);
	return 0;
}

int cl_notify_open(struct cl_spec *s, int dir_fd, const char *dir, struct cl_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char src[PATH_MAX];
	_cleanup_close_ int d = -1, fd = -1;

	/* The directory is bound in the jail: whoever the jail runs as (-u,
	 * --userns: a host id that is not ours) searches it and writes to the
	 * socket as "other".  On the host it stays behind the state root, which
	 * is 0700. */
	if (mkdirat(dir_fd, "notify", 0711) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cannot create %s/notify", dir);
	d = openat(dir_fd, "notify", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0 || fchmodat(dir_fd, "notify", 0711, 0) < 0)
		return cl_fail(err, errno, "cannot open %s/notify", dir);
	if (unlinkat(d, "notify.sock", 0) < 0 && errno != ENOENT)
		return cl_fail(err, errno, "cannot remove the old %s/notify/notify.sock", dir);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cl_fail(err, errno, "cannot create the jail's notify socket");
	/* through our fd: the state directory's path may be longer than
	 * sun_path (108 bytes) */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/notify.sock", d);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchmodat(d, "notify.sock", 0666, 0) < 0)
		return cl_fail(err, errno, "cannot make %s/notify/notify.sock", dir);
	if (snprintf(src, sizeof(src), "%s/notify", dir) >= (int)sizeof(src))
		return cl_fail(err, ENAMETOOLONG, "%s/notify", dir);
	struct cl_mount m = {.kind = CL_MOUNT_BIND,
			     .source = src,
			     .dest = (char *)CL_NOTIFY_JAIL_DIR,
			     .readonly = true};
	if (cl_spec_add_mount(s, &m, err) < 0 ||
	    cl_spec_add_env(s, "NOTIFY_SOCKET=" CL_NOTIFY_JAIL_SOCKET, err) < 0)
		return -1;
	return cl_steal_fd(&fd);
}
