/* The services commands (cli/svc.c) and what run shares with them. */
#ifndef CL_CLI_SVC_H
#define CL_CLI_SVC_H

#include <stdbool.h>

#include "spec/spec.h"
#include "svc/monitor.h"
#include "svc/state.h"

struct cl_run_opts {
	bool detach; /* -d */
	struct cl_svc_opts svc;
};

/* run's parser (cli/run.c): fills @s and @ro; 1 after --help. */
int cl_run_parse(struct cl_spec *s, struct cl_run_opts *ro, int argc, char **argv,
		 struct cl_err *err);
/* run -d: the state directory, the monitor; prints the name.  @args: the
 * run options as given, kept to make the jail again on `start`. */
int cl_run_detached(struct cl_spec *s, const struct cl_run_opts *ro, int nargs, char **args,
		    struct cl_err *err);
/* cloison gc: removes the jails whose monitor was killed (lost) and the
 * directories of run -d's killed before they wrote a record; @said is told
 * each.  Returns how many. */
int cl_svc_gc(bool dry, void (*said)(const char *name, const char *why, void *data), void *data);
/* The spec of the jail of @st, made again from the run options it was made
 * with (run in the directory it was made in: this one changes to it), and
 * its service options; not validated. */
int cl_svc_load_spec(const struct cl_state *st, struct cl_spec *spec, struct cl_run_opts *ro,
		     struct cl_err *err);
/* Fills @err for a jail that is not running: why, and what to do ("jail N is
 * not running (exited): cannot @what it"; a lost one: rm it). */
int cl_svc_not_live(const struct cl_state *st, const char *what, struct cl_err *err);
/* "TERM", "SIGTERM", "15", "RTMIN+2": the number, or -1. */
int cl_signal_parse(const char *name);

#endif
