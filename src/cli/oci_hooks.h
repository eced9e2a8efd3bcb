/* OCI hooks (runtime-spec "POSIX-platform Hooks") and the micro-VM handler
 * of the OCI front end. */
#ifndef CL_CLI_OCI_HOOKS_H
#define CL_CLI_OCI_HOOKS_H

#include <json-c/json.h>

#include "spec/oci.h"
#include "svc/state.h"

/* Runs the config's hooks of @kind in order, each with the container's
 * state (status @status) on its stdin, bounded by its timeout; the first
 * that fails (or times out) is the error, naming it. */
int cl_oci_hooks_run(const struct cl_oci *o, enum cl_oci_hook_kind kind, const struct cl_state *st,
		     const char *status, struct cl_err *err);
/* The same, with the hooks the container's record kept (start, delete). */
int cl_oci_hooks_run_state(const struct cl_state *st, enum cl_oci_hook_kind kind,
			   struct cl_err *err);

/* run.oci.handler=vm: the bundle as a micro-VM's spec (cloison.vm.kernel,
 * .vcpus, .memory annotations), checked as `run --vm` would be, the host's
 * KVM included: a host that cannot boot the guest refuses here. */
int cl_oci_vm_check(struct cl_spec *s, const struct cl_oci *o, struct cl_err *err);
/* The micro-VM's process: it waits for start on @listen_fd, then boots the
 * guest and exits with the command's status (its console on our stdout). */
int cl_oci_vm_create(const struct cl_spec *s, int listen_fd, pid_t *pid, struct cl_err *err);

/* cli/oci.c */
json_object *cl_oci_state_json(const struct cl_state *st, const char *status);
/* rmdir of the recorded groups (and the parents made for them); -1 when
 * one stays (busy). */
int cl_oci_remove_cgroups(const struct cl_state *st, struct cl_err *err);
int cl_oci_signal_all(const struct cl_state *st, int sig);
/* Every process of the container (its cgroup's), at most @max. */
size_t cl_oci_pids(const struct cl_state *st, pid_t *out, size_t max);
/* The seccomp part of `features`. */
json_object *cl_oci_seccomp_features(void);

/* cli/oci_exec.c */
/* Connects to the unix socket @path and sends @fd (SCM_RIGHTS, one byte):
 * --console-socket, --pidfd-socket. */
int cl_oci_send_fd(const char *path, int fd, struct cl_err *err);
/* --pid-file: @pid written whole (a temporary file renamed). */
int cl_oci_pid_file(const char *path, pid_t pid, struct cl_err *err);
/* --preserve-fds N: fds 3..3+N-1 are the caller's to pass on; one it did
 * not open becomes /dev/null, so that none of ours lands there and leaks
 * into the container. */
void cl_oci_hold_preserved(int n);

#endif
