/* OCI hooks and the micro-VM handler (cli/oci_hooks.h). */
#include "cli/oci_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spec/spec.h"
#include "util/cleanup.h"
#include "ns/oci_hooks.h"
#include "vm/launch.h"

/* One hook: fork, exec, the state on stdin, wait (bounded). */
static int run_hook(json_object *h, const char *kind, size_t i, const char *state,
		    struct cl_err *err)
{
	json_object *v;
	const char *path =
	    json_object_object_get_ex(h, "path", &v) ? json_object_get_string(v) : "";
	int64_t timeout =
	    json_object_object_get_ex(h, "timeout", &v) ? json_object_get_int64(v) : 0;
	json_object *args = json_object_object_get_ex(h, "args", &v) ? v : NULL;
	json_object *env = json_object_object_get_ex(h, "env", &v) ? v : NULL;
	size_t na = args ? json_object_array_length(args) : 0,
	       ne = env ? json_object_array_length(env) : 0;
	char *argv[na + 2], *envp[ne + 1];
	for (size_t k = 0; k < na; k++)
		argv[k] = (char *)json_object_get_string(json_object_array_get_idx(args, k));
	if (!na)
		argv[na++] = (char *)path;
	argv[na] = NULL;
	for (size_t k = 0; k < ne; k++)
		envp[k] = (char *)json_object_get_string(json_object_array_get_idx(env, k));
	envp[ne] = NULL;
	struct cl_oci_hook hook = {
	    .path = (char *)path, .args = argv, .env = envp, .timeout = (int)timeout};

	return cl_oci_hook_run(&hook, kind, i, state, err);
}

static int run_hooks(json_object *hooks, enum cl_oci_hook_kind kind, const struct cl_state *st,
		     const char *status, struct cl_err *err)
{
	json_object *a;
	const char *name = cl_oci_hook_names[kind];

	if (!hooks || !json_object_object_get_ex(hooks, name, &a) || !a ||
	    !json_object_array_length(a))
		return 0;
	json_object *s = cl_oci_state_json(st, status);
	const char *text = json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	int r = 0;
	for (size_t i = 0; r == 0 && i < json_object_array_length(a); i++)
		r = run_hook(json_object_array_get_idx(a, i), name, i, text, err);
	json_object_put(s);
	return r;
}

int cl_oci_hooks_run(const struct cl_oci *o, enum cl_oci_hook_kind kind, const struct cl_state *st,
		     const char *status, struct cl_err *err)
{
	return run_hooks(cl_oci_get(o->config, "hooks"), kind, st, status, err);
}

int cl_oci_hooks_run_state(const struct cl_state *st, enum cl_oci_hook_kind kind,
			   struct cl_err *err)
{
	json_object *h = NULL;

	json_object_object_get_ex(st->j, "hooks", &h);
	return run_hooks(h, kind, st, kind == CL_HOOK_POSTSTOP ? "stopped" : NULL, err);
}

int cl_oci_vm_check(struct cl_spec *s, const struct cl_oci *o, struct cl_err *err)
{
	char kernel[4096];
	json_object *a = o->annotations;
	json_object *v;
	size_t n = 0;

	if (a && json_object_object_get_ex(a, "cloison.vm.kernel", &v)) {
		free(s->kernel);
		s->kernel = strdup(json_object_get_string(v));
	}
	if (a && json_object_object_get_ex(a, "cloison.vm.vcpus", &v))
		s->vcpus = (unsigned)atoi(json_object_get_string(v));
	if (a && json_object_object_get_ex(a, "cloison.vm.memory", &v) &&
	    cl_parse_size(json_object_get_string(v), &s->memory, err) < 0)
		return cl_wrap(err, "annotations.cloison.vm.memory");
	/* the guest mounts its own /proc, /sys, /dev; a bind travels as a
	 * read-only copy in the initramfs (what the guest writes stays there) */
	for (size_t i = 0; i < s->n_mounts; i++) {
		struct cl_mount *m = &s->mounts[i];
		if (m->kind != CL_MOUNT_BIND) {
			free(m->source);
			free(m->dest);
			free(m->type);
			free(m->data);
			continue;
		}
		m->readonly = true;
		s->mounts[n++] = *m;
	}
	s->n_mounts = n;
	s->explicit_mounts = false;
	s->backend = CL_BACKEND_VM;
	s->tty = false; /* a serial console: its output on the inherited stdout */
	s->keep_stdin = true;
	if (cl_spec_validate(s, err) < 0)
		return cl_wrap(err, "annotations.run.oci.handler=vm");
	if (cl_vm_preflight(s, kernel, sizeof(kernel), err) < 0)
		return cl_wrap(err, "annotations.run.oci.handler=vm: the micro-VM");
	return 0;
}

int cl_oci_vm_create(const struct cl_spec *s, int listen_fd, pid_t *pid, struct cl_err *err)
{
	pid_t p = fork();

	if (p < 0)
		return cl_fail(err, errno, "cannot fork the micro-VM's process");
	if (p == 0) {
		int conn, status = CL_EXIT_FAILURE;
		struct cl_err e = {0};

		/* its life is the engine's: a session of its own, and start's
		 * connection before the guest boots */
		setsid();
		while ((conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR)
			;
		if (conn < 0)
			_exit(CL_EXIT_FAILURE);
		close(listen_fd);
		close(conn); /* EOF: started */
		if (cl_vm_launch(s, &status, &e) < 0) {
			cl_err_print(&e);
			_exit(CL_EXIT_FAILURE);
		}
		_exit(status);
	}
	*pid = p;
	return 0;
}
