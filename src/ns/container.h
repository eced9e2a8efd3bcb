/* Container mode: realise a spec with namespaces, pivot_root, capabilities. */
#ifndef CL_NS_CONTAINER_H
#define CL_NS_CONTAINER_H

#include "spec/spec.h"

/* Runs the spec's command in a new jail and waits for it.  Returns 0 and sets
 * @exit_status to what cloison should exit with (the command's status, 128+N
 * for a signal, 126/127 when it cannot be executed), or -1 with @err filled. */
int cl_container_run(const struct cl_spec *s, int *exit_status, struct cl_err *err);

#endif
