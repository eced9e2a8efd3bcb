/* The jail's seccomp filter, built with libseccomp from the spec's policy. */
#ifndef CL_NS_SECCOMP_H
#define CL_NS_SECCOMP_H

#include "spec/spec.h"

/* Load the spec's filter on the calling process (all threads).  Runs in the
 * jail's child last, after no_new_privs, just before execve. */
int cl_seccomp_load(const struct cl_spec *s, struct cl_err *err);

#endif
