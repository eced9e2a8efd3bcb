/* The VMM confines itself once the VM is built (in the spirit of
 * Firecracker's jailer): a guest that escapes into the monitor finds a process
 * with no host path, no network, no capabilities and a seccomp allow-list
 * fitted to the run loop.
 *
 * cl_vm_run_jailed() runs the VMM in a child process, PID 1 of a new PID
 * namespace and in a cgroup of its own below cloison's, so that cloison (the
 * parent) survives a seccomp kill and can report it; the child calls
 * cl_vm_run() with cfg->jail set, and cl_vm_run() calls cl_vm_jail_enter() in
 * its main thread after set-up, before it starts any thread.
 *
 * CLOISON_VM_NOJAIL=1 disables all of it (the VMM then runs in cloison's own
 * process, as before), for debugging with strace or gdb. */
#ifndef CL_VM_JAIL_H
#define CL_VM_JAIL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"
#include "vm/vm.h"

/* The jailed VMM's pid while cl_vm_run_jailed() runs it (0 otherwise), and
 * a handler for the signals that stop cloison: it records the signal and
 * SIGKILLs the VMM (or the VMM it is about to make), so that the caller gets
 * control back, releases what the VM held (its network) and then ends by
 * that signal (cl_vm_launch does, with --net bridge). */
extern volatile sig_atomic_t cl_vm_jailed_pid, cl_vm_stop_signal;
void cl_vm_stop_handler(int sig);

/* false when CLOISON_VM_NOJAIL is set to anything but "" or "0". */
bool cl_vm_jail_wanted(void);

/* The VMM's uid and gid when cloison runs as root: this base plus the VMM's
 * pid, a range no account or subordinate-id range uses (Firecracker's jailer
 * takes --uid/--gid; cloison picks one per VMM so that two VMMs never share
 * an identity, and RLIMIT_NPROC counts only that VMM's threads). */
#define CL_VM_JAIL_ID_BASE 0x7f000000u
uid_t cl_vm_jail_uid(pid_t vmm_pid);

/* Confine the calling process: namespaces (mount, ipc, uts, net; a user
 * namespace too when not privileged), an empty read-only tmpfs as root,
 * the bounding set emptied, rlimits lowered (open files, threads, core,
 * locked memory...), the VMM's own uid/gid (as root), not dumpable, no
 * capabilities, no_new_privs, then the process-wide seccomp filter on every
 * thread.  Call it single-threaded: unshare(CLONE_NEWNS) and chroot only
 * change the calling thread's view. */
int cl_vm_jail_enter(const struct cl_vm_config *cfg, struct cl_err *err);

/* In a vCPU or I/O thread, before it touches guest state: stack the
 * smaller filter of its role on the process one (a vCPU thread may run the
 * guest and serve device I/O on open fds, but not read the console or
 * poll; the console input thread may read and poll, but not run the guest
 * or touch the disk).  A no-op in a process that is not confined. */
int cl_vm_jail_thread(enum cl_vm_thread_role role, int irqfd, struct cl_err *err);

/* cl_vm_run() in a jailed child (or in-process if the jail is disabled).
 * Same contract as cl_vm_run(); a child killed by its seccomp filter (SIGSYS)
 * or by any other signal becomes an error naming it. */
int cl_vm_run_jailed(const struct cl_vm_config *cfg, int *guest_status, struct cl_err *err);

#endif
