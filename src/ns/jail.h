/* What the parent and the child of a container run share. */
#ifndef CL_NS_JAIL_H
#define CL_NS_JAIL_H

#include "ns/mounts.h"
#include "ns/seccomp.h"
#include "spec/spec.h"

struct cl_jail {
	const struct cl_spec *spec;
	int sync_fd;	       /* child's end: "go" comes in, a struct cl_err goes out */
	int pty_slave;	       /* -t: the terminal's slave end, -1 otherwise */
	const char *pty_name;  /* its path, to reopen in the jail's mount ns (run);
				  NULL: it is the jail's already (exec) */
	int init_fd;	       /* --init: sealed memfd holding the tiny init, -1 otherwise */
	bool setgroups_denied; /* unprivileged single mapping: setgroups(2) is EPERM */
	const struct cl_sc_program *seccomp; /* compiled by the parent */
	const struct cl_mount_trees *trees;  /* the rootfs and binds, opened by the parent */
	/* OCI create: once set up, say "ready" and wait for the start
	 * command's connection on this listening socket; -1 otherwise */
	int exec_listen;
	int ns_fds[CL_NS_N]; /* namespaces to join (OCI paths), opened by the parent; -1 */
};

#define CL_JAIL_INIT(s)                                                                            \
	{                                                                                          \
		.spec = (s), .pty_slave = -1, .init_fd = -1, .exec_listen = -1, .ns_fds = {        \
			-1,                                                                        \
			-1,                                                                        \
			-1,                                                                        \
			-1,                                                                        \
			-1,                                                                        \
			-1,                                                                        \
			-1,                                                                        \
			-1                                                                         \
		}                                                                                  \
	}

/* The child: everything between clone and execve, in order.  Never returns. */
__attribute__((noreturn)) void cl_jail_child(struct cl_jail *j);

/* Its parts that a process joining a running jail (ns/join.c) shares, once
 * in the jail's namespaces: */
/* a new session (unless it is one); stdin, stdout, stderr on the terminal
 * @j->pty_slave (reopened by @j->pty_name, if any), or stdin on /dev/null
 * (checked: the null device, not through a symlink) unless -i */
int cl_jail_stdio(struct cl_jail *j, struct cl_err *err);
/* then, in order: bounding set, identity, capabilities, no_new_privs, fds,
 * cwd, parent-death signal, seccomp (last), execve of the spec's command */
__attribute__((noreturn)) void cl_jail_exec(struct cl_jail *j);
/* sends @err to the parent over @j->sync_fd and exits with its status */
__attribute__((noreturn)) void cl_jail_die(struct cl_jail *j, struct cl_err *err);

/* Resolves argv[0] with the spec's PATH inside the jail and execs it; returns
 * only on failure, with exit_code 126 (not executable) or 127 (not found). */
int cl_exec_command(const struct cl_spec *s, struct cl_err *err);

/* The same search without the execve: 0 when the command is there and
 * executable for us, else the error execve would give (OCI create reports
 * it before start, as runc does). */
int cl_exec_lookup(const struct cl_spec *s, struct cl_err *err);
/* Before the mounts: whether the command may be in the rootfs @rootfd (or
 * below one of the spec's mounts, not there yet); false only when every
 * place it could be is missing. */
bool cl_exec_maybe_in(const struct cl_spec *s, int rootfd);

/* Creates a sealed memfd holding the embedded tiny init. */
int cl_tinyinit_memfd(struct cl_err *err);

#endif
