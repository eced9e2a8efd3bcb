/* The words of a profile's seccomp lines: system call names (libseccomp's),
 * errno names, and the symbolic constants argument comparisons may use. */
#ifndef CL_SPEC_PROFILE_SYSCALLS_H
#define CL_SPEC_PROFILE_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

/* Whether libseccomp knows @name on x86_64, i386 or x32. */
bool cl_syscall_known(const char *name);
/* The known system call name nearest to @word, or NULL. */
const char *cl_syscall_nearest(const char *word);

/* "EPERM" or "1" -> 1; -1 when it is neither a known name nor 1..4095. */
int cl_errno_from_name(const char *s);
/* 1 -> "EPERM" (a number as text when unnamed): a static or @buf. */
const char *cl_errno_name(int e, char buf[16]);

/* An argument value: a number (decimal, 0x hex, 0 octal, '-' for negative
 * values), a constant (AF_NETLINK, CLONE_NEWUSER, ...), or several joined
 * with '|'.  Errors name the unknown constant and the nearest one. */
int cl_sc_value(const char *text, uint64_t *out, struct cl_err *err);

#endif
