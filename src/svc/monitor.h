/* A detached jail's monitor (conmon's role): a small process forked from
 * `cloison run -d` (or `start`) that owns what a foreground run owns: the
 * jail's stdout and stderr (to its log), reaping it, its exit status, the
 * restart policy, and the teardown once it ends for good.  It lives in a
 * session of its own, so it survives the CLI exiting, a terminal hanging up
 * and kill -9 of any CLI process.  Killed itself, it takes the jail along
 * (the jail's parent-death signal, the cgroup's guardian): `ps` shows the
 * jail as lost and `rm` or `gc` remove what is left.
 *
 * Commands reach it by signal (pidfd_send_signal, checked against its start
 * time): CL_SIG_STOP with the grace period in seconds as its value, and
 * CL_SIG_KILL with a signal number to pass on.  SIGTERM is a stop with the
 * jail's own stop timeout (what systemd sends a unit's main process). */
#ifndef CL_SVC_MONITOR_H
#define CL_SVC_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "spec/spec.h"
#include "svc/state.h"

#define CL_SIG_STOP (SIGRTMIN + 0)
#define CL_SIG_KILL (SIGRTMIN + 1)

enum cl_restart {
	CL_RESTART_NO = 0,
	CL_RESTART_ON_FAILURE,
	CL_RESTART_ALWAYS,
	CL_RESTART_UNLESS_STOPPED
};

struct cl_svc_opts {
	enum cl_restart restart;
	unsigned restart_max;  /* on-failure:MAX; 0 = no limit */
	int stop_signal;       /* default SIGTERM */
	unsigned stop_timeout; /* seconds before SIGKILL, default 10 */
	uint64_t log_max_size; /* bytes; 0 = unbounded */
	unsigned log_max_files;
	bool sd_notify_container; /* --sd-notify=container: the jail reports readiness */
};

#define CL_SVC_OPTS_INIT                                                                           \
	{                                                                                          \
		.stop_signal = SIGTERM, .stop_timeout = 10, .log_max_size = 10 << 20,              \
		.log_max_files = 2                                                                 \
	}

int cl_svc_parse_restart(const char *v, struct cl_svc_opts *o, struct cl_err *err);
const char *cl_svc_restart_name(enum cl_restart r);

/* Records @o and @s in @st (created, locked), forks the monitor and waits
 * for it to report: 0 once the command is exec'd, or -1 with @err (the
 * command's 126/127 included) after the monitor removed the state.  The
 * monitor's copy of @s gets the jail's notify socket (--sd-notify=container).
 * The monitor exits with the command's last exit status, or 0 once stopped
 * on request: what systemd judges a unit by (cloison-generate(1)). */
int cl_monitor_spawn(struct cl_spec *s, struct cl_state *st, const struct cl_svc_opts *o,
		     bool fresh, struct cl_err *err);

#endif
