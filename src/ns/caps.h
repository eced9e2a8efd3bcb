/* Capabilities with libcap: bounding set cut to the spec, then the process
 * sets after the identity switch (ambient for a non-root user). */
#ifndef CL_NS_CAPS_H
#define CL_NS_CAPS_H

#include "spec/spec.h"

/* Drops every capability not in @caps from the bounding set (needs CAP_SETPCAP,
 * so it runs before the identity switch). */
int cl_caps_drop_bounding(uint64_t caps, struct cl_err *err);
/* After setuid(): permitted/effective/inheritable = @caps for root; for any
 * other @uid only the capabilities in @added (named with --cap-add), which
 * are also made ambient so the command keeps them across execve. */
int cl_caps_apply(uint64_t caps, uint64_t added, uid_t uid, struct cl_err *err);

/* OCI: the effective, permitted, inheritable and ambient sets as given
 * (after the identity switch). */
int cl_caps_apply_sets(const struct cl_spec *s, struct cl_err *err);

#endif
