/* The notify action (OCI SCMP_ACT_NOTIFY): an agent outside the jail
 * decides the calls the policy hands it.  As runc and crun do, the filter's
 * listener goes to the unix socket at linux.seccomp.listenerPath in one
 * message, with the container process state of the runtime-spec
 * (config-linux.md, "The Container Process State") as its data:
 *
 *   {"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": PID,
 *    "metadata": listenerMetadata,
 *    "state": {"ociVersion": "1.0.2", "id": ID, "status": "creating",
 *              "pid": PID, "bundle": BUNDLE}}
 *
 * and the connection is then shut down.  PID is the jail's process as the
 * runtime sees it; "id" and "bundle" are there when the OCI front end set
 * them.
 *
 * Who does what, and why:
 * - the parent connects before clone (cl_seccomp_notify_open, from
 *   cl_seccomp_compile): the child, in its new root, cannot name the path;
 * - the child, last before execve, starts a helper process sharing its fd
 *   table (CLONE_FILES, as crun), loads the filters, and publishes the
 *   listener's fd in shared memory; the helper, made before the filter and
 *   so not under it, sends it: the policy need not allow sendmsg, and a
 *   policy that notifies sendmsg cannot hang the child on an agent that has
 *   no listener yet.  The child then waits for the helper (wait4). */
#include "ns/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"

#define OCI_STATE_VERSION "1.0.2" /* the first with the seccomp state */

/* the shared word: WAITING, then the listener's fd, NONE or FAILED */
enum { WAITING = -1, NONE = -2, FAILED = -3 };
#define HELPER_WAIT_MS 10000

int cl_seccomp_notify_open(const struct cl_spec *s, struct cl_sc_program *p, struct cl_err *err)
{
	const char *path = s->seccomp.listener_path;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;

	if (!path)
		return cl_fail(err, 0, "the seccomp action notify needs a listener path");
	if (strlen(path) >= sizeof(sa.sun_path))
		return cl_fail(err, ENAMETOOLONG, "cannot connect to the seccomp listener %s",
			       path);
	memcpy(sa.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return cl_fail(err, errno, "cannot create a socket for the seccomp listener");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cl_fail(err, errno, "cannot connect to the seccomp listener %s", path);
	/* the runtime's /proc: there, "self" is the jail's pid as we see it */
	if ((p->proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return cl_fail(err, errno, "cannot open /proc");
	p->notify_fd = fd;
	fd = -1;
	p->notify = true;
	return 0;
}

void cl_seccomp_notify_close(struct cl_sc_program *p)
{
	if (!p->notify)
		return;
	close(p->notify_fd);
	close(p->proc_fd);
	p->notify = false;
}

static char *state_json(const struct cl_seccomp_policy *sp, pid_t pid)
{
	json_object *o = json_object_new_object(), *st = json_object_new_object(),
		    *fds = json_object_new_array();
	char *out = NULL;

	if (!o || !st || !fds) {
		json_object_put(o);
		json_object_put(st);
		json_object_put(fds);
		return NULL;
	}
	json_object_array_add(fds, json_object_new_string("seccompFd"));
	json_object_object_add(o, "ociVersion", json_object_new_string(OCI_STATE_VERSION));
	json_object_object_add(o, "fds", fds);
	json_object_object_add(o, "pid", json_object_new_int(pid));
	if (sp->listener_metadata)
		json_object_object_add(o, "metadata",
				       json_object_new_string(sp->listener_metadata));
	json_object_object_add(st, "ociVersion", json_object_new_string(OCI_STATE_VERSION));
	if (sp->state_id)
		json_object_object_add(st, "id", json_object_new_string(sp->state_id));
	json_object_object_add(st, "status", json_object_new_string("creating"));
	json_object_object_add(st, "pid", json_object_new_int(pid));
	if (sp->state_bundle)
		json_object_object_add(st, "bundle", json_object_new_string(sp->state_bundle));
	json_object_object_add(o, "state", st);
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

/* The helper: wait for the listener, send it with @state; exits with 0 or
 * an errno. */
static int helper(int sock, atomic_int *word, const char *state)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = (void *)state, .iov_len = strlen(state)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int fd, waited = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while ((fd = atomic_load(word)) == WAITING) {
		if (waited++ == HELPER_WAIT_MS)
			return ETIMEDOUT;
		usleep(1000);
	}
	if (fd == FAILED)
		return 0; /* the child reports why */
	if (fd >= 0) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		if (sendmsg(sock, &msg, MSG_NOSIGNAL) != (ssize_t)iov.iov_len)
			return errno ? errno : EIO;
	}
	/* the parent holds the connection too: this ends it for the agent */
	shutdown(sock, SHUT_RDWR);
	return 0;
}

int cl_seccomp_notify_load(const struct cl_spec *s, const struct cl_sc_program *p,
			   struct cl_err *err)
{
	const char *path = s->seccomp.listener_path;
	_cleanup_free_ char *state = NULL;
	char buf[32];
	ssize_t n = readlinkat(p->proc_fd, "self", buf, sizeof(buf) - 1);
	atomic_int *word;
	int listener = -1, r, status = 0;
	pid_t child, w;

	close(p->proc_fd); /* before the command can see it */
	if (n <= 0)
		return cl_fail(err, errno, "cannot read the jail's pid in the runtime's /proc");
	buf[n] = '\0';
	if (!(state = state_json(&s->seccomp, (pid_t)atoi(buf))))
		return cl_fail(err, ENOMEM, "out of memory");
	word = mmap(NULL, sizeof(*word), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (word == MAP_FAILED)
		return cl_fail(err, errno, "cannot map memory for the seccomp listener's hand-off");
	atomic_store(word, WAITING);
	child = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (child < 0)
		return cl_fail(err, errno, "cannot start the seccomp listener's hand-off process");
	if (child == 0)
		_exit(helper(p->notify_fd, word, state));
	r = cl_seccomp_install(p, &listener, err);
	/* no system call between the load and this store */
	atomic_store(word, r < 0 ? FAILED : listener >= 0 ? listener : NONE);
	while ((w = waitpid(child, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	if (w < 0)
		return cl_fail(err, errno,
			       "cannot wait for the process that sends the seccomp listener to %s "
			       "(the policy must allow wait4)",
			       path);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return cl_fail(err, WIFEXITED(status) ? WEXITSTATUS(status) : 0,
			       "cannot send the seccomp listener to %s", path);
	/* the agent has its copy; ours is close-on-exec anyway */
	if (listener >= 0)
		close(listener);
	close(p->notify_fd);
	return 0;
}
