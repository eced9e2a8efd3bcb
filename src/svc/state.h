/* A detached jail's state directory: <root>/<name>/ holding state.json (the
 * jail's identity, status, pids with their start times, spec, cgroup,
 * network, restart policy), its lock and its log.  <root> is
 * /run/cloison/jails, or $XDG_RUNTIME_DIR/cloison/jails when not run by root.
 *
 * Every change is a read-modify-write under an flock(2) on <dir>/lock, and
 * state.json is replaced atomically (write a temporary file, rename).  The
 * JSON carries a format version: a newer cloison reads an older one's. */
#ifndef CL_SVC_STATE_H
#define CL_SVC_STATE_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/cleanup.h"
#include "util/error.h"

#define CL_STATE_VERSION 1
#define CL_NAME_MAX	 63

struct cl_state {
	char name[256]; /* a jail's name, or an OCI container's ID (up to 255) */
	char dir[PATH_MAX];
	int dir_fd;
	int lock_fd; /* held (LOCK_EX) while >= 0 */
	json_object *j;
};

#define CL_STATE_INIT                                                                              \
	{                                                                                          \
		.dir_fd = -1, .lock_fd = -1                                                        \
	}

/* The directory holding every jail's (made 0700 on demand when @make). */
int cl_state_root(char *buf, size_t len, bool make, struct cl_err *err);
/* A name is 1-63 of [A-Za-z0-9_.-], starting with a letter or digit. */
int cl_state_check_name(const char *name, struct cl_err *err);
/* A new jail's directory, locked: fails when the name is taken (of two
 * concurrent creators exactly one wins). */
int cl_state_create(struct cl_state *st, const char *name, struct cl_err *err);
/* An existing jail's, locked and loaded (@lock false: loaded only, for a
 * snapshot such as ps). */
int cl_state_open(struct cl_state *st, const char *name, bool lock, struct cl_err *err);
int cl_state_lock(struct cl_state *st, struct cl_err *err);
void cl_state_unlock(struct cl_state *st);
/* Re-reads state.json (after taking the lock again). */
int cl_state_reload(struct cl_state *st, struct cl_err *err);
int cl_state_save(struct cl_state *st, struct cl_err *err);
/* Removes the directory and everything in it. */
int cl_state_remove(struct cl_state *st, struct cl_err *err);
void cl_state_close(struct cl_state *st);
/* The same for an OCI container's directory in @root (runc's --root), by
 * its ID. */
int cl_state_create_at(struct cl_state *st, const char *root, const char *id, struct cl_err *err);
int cl_state_open_at(struct cl_state *st, const char *root, const char *id, bool lock,
		     struct cl_err *err);
/* A directory left by a `run -d` killed before it wrote state.json (its
 * lock free) is removed; with @unreadable, one whose state.json cannot be
 * read too (rm -f of a corrupt record).  Returns 1 when removed. */
int cl_state_remove_orphan(const char *name, bool unreadable);
/* The names of every jail, sorted; NULL-terminated, free with cl_strv_free. */
char **cl_state_list(struct cl_err *err);
/* The IDs of the OCI containers in @root (runc's --root), sorted. */
char **cl_state_list_at(const char *root, struct cl_err *err);

/* Field access on st->j. */
int64_t cl_state_int(const struct cl_state *st, const char *key);
const char *cl_state_str(const struct cl_state *st, const char *key);
void cl_state_set_int(struct cl_state *st, const char *key, int64_t v);
void cl_state_set_str(struct cl_state *st, const char *key, const char *v);

/* Nanoseconds since the epoch (CLOCK_REALTIME). */
int64_t cl_now_ns(void);
/* A process and its start time (/proc/PID/stat field 22): 0 when gone. */
unsigned long long cl_pid_start(pid_t pid);
bool cl_pid_alive(pid_t pid, unsigned long long start);

/* The jail's monitor is alive (pid and start time as recorded). */
bool cl_state_monitor_alive(const struct cl_state *st);
/* "created", "running", "restarting", "stopping", "exited", "stopped", or
 * "lost" when the record says it runs but its monitor is gone. */
const char *cl_state_status(const struct cl_state *st);
/* A status a jail is live in (created, running, restarting, stopping). */
bool cl_status_live(const char *status);

#endif
