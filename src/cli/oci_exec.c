/* OCI exec and update: being written (branch oci-exec). */
#include <stdio.h>

#include "cli/oci.h"
#include "cli/oci_hooks.h"

int cl_oci_exec(int argc, char **argv)
{
	struct cl_err e;

	(void)argc;
	(void)argv;
	cl_fail(&e, 0, "exec: not supported yet");
	return cl_oci_fail(&e);
}

int cl_oci_update(int argc, char **argv)
{
	struct cl_err e;

	(void)argc;
	(void)argv;
	cl_fail(&e, 0, "update: not supported yet");
	return cl_oci_fail(&e);
}
