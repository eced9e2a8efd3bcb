/* The OCI runtime interface (runc's command line) on the same binary:
 * podman (conmon) and containerd (the runc shim) call it. */
#ifndef CL_CLI_OCI_H
#define CL_CLI_OCI_H

#include <stdbool.h>
#include <stdio.h>

#include "svc/state.h"
#include "util/error.h"

/* runc's global options */
struct cl_oci_globals {
	const char *root; /* --root: the containers' state, default /run/cloison/oci */
	const char *log;  /* --log FILE: errors (and --debug lines) go there too */
	bool json;	  /* --log-format json */
	bool debug;
	bool given; /* any of them: the command is the OCI one */
};

extern struct cl_oci_globals cl_oci_g;

/* Parses the global options at argv[1..]; returns how many words they
 * took, or -1 (error printed). */
int cl_oci_parse_globals(int argc, char **argv);
/* Whether @id names a container in the OCI root (for the commands both
 * interfaces have: start, kill, exec, ps). */
bool cl_oci_is_container(const char *id);
/* The root directory in use. */
const char *cl_oci_root(void);
/* Reports @e as runc does: stderr, and the --log file (json lines). */
int cl_oci_fail(const struct cl_err *e);
void cl_oci_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What a container's record says about it now: "created", "running",
 * "paused" or "stopped". */
const char *cl_oci_status(const struct cl_state *st);

int cl_oci_create(int argc, char **argv);
int cl_oci_start(int argc, char **argv);
int cl_oci_state(int argc, char **argv);
int cl_oci_kill(int argc, char **argv);
int cl_oci_delete(int argc, char **argv);
int cl_oci_run(int argc, char **argv);
int cl_oci_list(int argc, char **argv);
int cl_oci_ps(int argc, char **argv);
int cl_oci_spec(int argc, char **argv);
int cl_oci_features(int argc, char **argv);
int cl_oci_pause(int argc, char **argv);
int cl_oci_resume(int argc, char **argv);
int cl_oci_exec(int argc, char **argv);
int cl_oci_update(int argc, char **argv);

#endif
