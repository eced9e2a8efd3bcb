/* The host's side of a micro-VM's guest agent (guest/agent_proto.h),
 * through the VM's --vsock socket. */
#ifndef CL_VM_AGENT_HOST_H
#define CL_VM_AGENT_HOST_H

#include <stdbool.h>

#include "spec/spec.h"
#include "util/error.h"

/* Run @s's command (argv, env, cwd, uid, gid) in the VM behind @sock:
 * its stdout and stderr to ours, our stdin to it when @interactive (else
 * it gets an empty one), SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and
 * SIGUSR2 passed on; with @tty, on a pseudo-terminal in the guest sized
 * as ours (our terminal raw meanwhile, SIGWINCH passed on as its new
 * size); 0 with its *@status, or -1 + @err (exit code 127/126 when it could
 * not be run). */
int cl_agent_exec(const char *sock, const struct cl_spec *s, bool interactive, bool tty,
		  int *status, struct cl_err *err);
/* What the guest says of itself (cloison stats). */
struct cl_guest_stats {
	long long mem_total, mem_available; /* bytes */
	double load[3];
	unsigned procs;
};
int cl_agent_stats(const char *sock, struct cl_guest_stats *g, double timeout_s,
		   struct cl_err *err);
/* Send @sig to the VM's own command (graceful stop); bounded by @timeout_s. */
int cl_agent_signal(const char *sock, int sig, double timeout_s, struct cl_err *err);
/* run --vm -t: the console's new window size (SIGWINCH in the guest). */
int cl_agent_console_size(const char *sock, unsigned rows, unsigned cols, double timeout_s,
			  struct cl_err *err);

#endif
