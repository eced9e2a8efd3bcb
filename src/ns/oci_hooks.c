/* The OCI hooks the container's own process runs (runtime-spec):
 * createContainer in its mount namespace before pivot_root (the path is the
 * runtime's), startContainer in the container after start, before the
 * command (the path is the container's).  Each gets the state on stdin and
 * its timeout; the first that fails is the container's error. */
#include "ns/oci_hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

static pid_t host_pid;

void cl_oci_hooks_note_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	/* the host's /proc, still ours before pivot_root: the host's pid */
	if (n > 0) {
		buf[n] = '\0';
		host_pid = (pid_t)atoi(buf);
	}
}

static char *state_json(const struct cl_spec *s, const char *status)
{
	const struct cl_oci *o = s->oci;
	json_object *j = json_object_new_object();
	char *text;

	json_object_object_add(j, "ociVersion", json_object_new_string("1.1.0"));
	json_object_object_add(
	    j, "id", json_object_new_string(s->seccomp.state_id ? s->seccomp.state_id : ""));
	json_object_object_add(j, "status", json_object_new_string(status));
	json_object_object_add(j, "pid", json_object_new_int64(host_pid ? host_pid : getpid()));
	json_object_object_add(j, "bundle", json_object_new_string(o->bundle ? o->bundle : ""));
	json_object_object_add(j, "annotations",
			       o->annotations ? json_object_get(o->annotations)
					      : json_object_new_object());
	text = strdup(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return text;
}

int cl_oci_hook_run(const struct cl_oci_hook *h, const char *kind, size_t i, const char *state,
		    struct cl_err *err)
{
	int in[2], status;
	char *const none[] = {NULL};

	if (pipe2(in, O_CLOEXEC) < 0)
		return cl_fail(err, errno, "hooks.%s[%zu]: cannot make a pipe", kind, i);
	pid_t pid = fork();
	if (pid < 0) {
		close(in[0]);
		close(in[1]);
		return cl_fail(err, errno, "hooks.%s[%zu]: cannot fork", kind, i);
	}
	if (pid == 0) {
		sigset_t all;
		char *argv0[] = {h->path, NULL};
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		dup2(in[0], 0);
		execve(h->path, h->args ? h->args : argv0, h->env ? h->env : none);
		_exit(127);
	}
	close(in[0]);
	(void)!write(in[1], state, strlen(state));
	close(in[1]);
	_cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	if (pfd >= 0 && h->timeout > 0 && poll(&p, 1, h->timeout * 1000) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return cl_fail(err, 0, "hooks.%s[%zu] %s: timed out after %d s", kind, i, h->path,
			       h->timeout);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return cl_fail(err, 0, "hooks.%s[%zu] %s failed (exit status %d)", kind, i, h->path,
			       cl_exit_status(status));
	return 0;
}

int cl_oci_hooks_in_jail(const struct cl_spec *s, enum cl_oci_hook_kind kind, const char *status,
			 struct cl_err *err)
{
	const struct cl_oci *o = s->oci;
	int r = 0;

	if (!o || !o->n_hooks[kind])
		return 0;
	char *state = state_json(s, status);
	if (!state)
		return cl_fail(err, ENOMEM, "out of memory");
	/* the PATH of a hook's own environment is its business: none here */
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; r == 0 && i < o->n_hooks[kind]; i++)
		r = cl_oci_hook_run(&o->hooks[kind][i], cl_oci_hook_names[kind], i, state, err);
	signal(SIGPIPE, SIG_DFL);
	free(state);
	return r;
}
