/* Errors that carry context: what was being done, to what, and why.
 *
 * Functions that can fail take a `struct cl_err *` and return -1 after filling
 * it with cl_fail(); the CLI prints it once, prefixed "cloison:".  The buffer
 * is fixed so the forked child can fill it and ship it over a pipe without
 * allocating. */
#ifndef CL_ERROR_H
#define CL_ERROR_H

#include <stddef.h>

#define CL_ERR_MSG_MAX 512

/* Exit statuses, as crun/runc/podman: the command's own status otherwise. */
enum {
	CL_EXIT_FAILURE = 125,	/* cloison itself failed */
	CL_EXIT_NOEXEC = 126,	/* command found but not executable */
	CL_EXIT_NOTFOUND = 127, /* command not found */
	CL_EXIT_TIMEOUT = 124,	/* --timeout reached (timeout(1)) */
};

/* What a jail or VM exits with for a child's wait status: its exit code, or
 * 128+N when signal N killed it (as shells and timeout(1) do). */
#include <sys/wait.h>
static inline int cl_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return CL_EXIT_FAILURE;
}

struct cl_err {
	int errnum;    /* errno behind the failure, 0 if none */
	int exit_code; /* exit status this error maps to (default 125) */
	char msg[CL_ERR_MSG_MAX];
};

/* Fill @e with "<fmt...>: strerror(errnum)" (errnum 0: no suffix); returns -1. */
int cl_fail(struct cl_err *e, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with an explicit exit status for the CLI. */
int cl_fail_code(struct cl_err *e, int exit_code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Prefix an existing error with more context: "<fmt...>: <old msg>". */
int cl_wrap(struct cl_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "cloison: <msg>" on stderr. */
void cl_err_print(const struct cl_err *e);
/* Print a warning "cloison: warning: ..." on stderr. */
void cl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
