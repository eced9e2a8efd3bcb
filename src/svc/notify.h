/* systemd's readiness protocol (sd_notify) for a detached jail's monitor,
 * spoken directly: no libsystemd.
 *
 * The monitor notifies $NOTIFY_SOCKET (systemd's, inherited from the CLI)
 * with its own pid as MAINPID.  With --sd-notify=container the jail gets a
 * socket of its own: <state dir>/notify/notify.sock, bound in the jail on
 * /run/notify/notify.sock (read-only, as podman does) and named by the
 * jail's $NOTIFY_SOCKET.  The monitor reads it and passes on to systemd only
 * the lines that say how the service is (READY=, STATUS=, ERRNO=...), never
 * one that would change what systemd manages (MAINPID=, FDSTORE=...). */
#ifndef CL_SVC_NOTIFY_H
#define CL_SVC_NOTIFY_H

#include <stddef.h>
#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

#define CL_NOTIFY_JAIL_DIR    "/run/notify"
#define CL_NOTIFY_JAIL_SOCKET CL_NOTIFY_JAIL_DIR "/notify.sock"

/* Sends @msg as one datagram to @socket: a path, or '@' and a name in the
 * abstract namespace.  0, or -1 with errno. */
int cl_sd_notify(const char *socket, const char *msg);

/* Copies to @out the lines of @msg (NUL-terminated, NEWLINE-separated) that
 * a jail may pass on, each followed by a newline; returns their length (0:
 * none).  @out holds at least as much as @msg plus one. */
size_t cl_notify_filter(const char *msg, char *out, size_t len);

/* What --sd-notify=container needs of the jail, checked before the monitor
 * is forked: a container, and with --read-only a place to mount the socket
 * on (/run/notify in the rootfs, or a --tmpfs on /run). */
int cl_notify_check(const struct cl_spec *s, struct cl_err *err);

/* In the monitor: makes the socket in the state directory @dir (@dir_fd)
 * and adds its mount and $NOTIFY_SOCKET to @s.  Returns the socket
 * (non-blocking, close-on-exec) or -1. */
int cl_notify_open(struct cl_spec *s, int dir_fd, const char *dir, struct cl_err *err);

#endif
