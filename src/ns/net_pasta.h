/* --net pasta: user-mode networking by pasta (Debian's passt package), the
 * way podman and nsjail use it.  pasta is attached to the jail's network
 * namespace once the jail exists (before its command runs): it makes eth0
 * there (a tap) with the host's address and routes, carries the jail's
 * traffic through ordinary sockets of cloison's own namespace, and forwards
 * the published ports (-p) to the jail.  It needs no privilege: the only
 * networking an ordinary user can have beyond loopback.
 *
 * Lifetime: pasta daemonizes once it is set up (its launcher's exit is the
 * readiness signal, bounded); cloison keeps a pidfd of it and stops it at
 * the end.  A small keeper process (cloison's own code) holds the read end
 * of a pipe and, should cloison die without stopping pasta (kill -9), stops
 * it through its pidfd: pasta never outlives the jail. */
#ifndef CL_NS_NET_PASTA_H
#define CL_NS_NET_PASTA_H

#include <sys/types.h>

#include "spec/spec.h"
#include "util/error.h"

struct cl_pasta {
	pid_t pid;     /* pasta itself, 0 when none */
	int pidfd;     /* -1 when none */
	pid_t keeper;  /* stops pasta if cloison cannot, 0 when none */
	int keeper_fd; /* the keeper's pipe (write end), -1 when none */
};
#define CL_PASTA_INIT                                                                              \
	{                                                                                          \
		.pidfd = -1, .keeper_fd = -1                                                       \
	}

/* Starts pasta in the network namespace of @jail (and, when the jail has
 * one, in its user namespace), publishing @s's ports; returns once pasta is
 * ready.  Errors name pasta's own message. */
int cl_pasta_start(const struct cl_spec *s, pid_t jail, struct cl_pasta *p, struct cl_err *err);
/* Stops pasta (SIGTERM, then SIGKILL), and the keeper.  Safe on a zeroed
 * or CL_PASTA_INIT struct. */
void cl_pasta_stop(struct cl_pasta *p);

#endif
