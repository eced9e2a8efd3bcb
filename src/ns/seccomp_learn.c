/* Learning mode, the parent's side: serve the child's user-notification
 * filter (libseccomp's notify API), note every system call, let each one
 * continue, and write the calls seen as an allow-list profile.
 *
 * Why user notification rather than SCMP_ACT_LOG and a log reader: the
 * notifications come to us, for this jail only, with nothing lost; LOG goes
 * to the kernel audit log (or dmesg), shared by the host, rate-limited, and
 * needs auditd or root's kmsg to read back.  The price is a round trip per
 * call, which only a learning run pays.  SECCOMP_USER_NOTIF_FLAG_CONTINUE
 * is not a security decision here: a learning run is not confined. */
#include "ns/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |             \
	 CLONE_NEWPID | CLONE_NEWNET)

static void *serve(void *arg)
{
	struct cl_seccomp_learner *l = arg;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;

	if (seccomp_notify_alloc(&req, &resp) < 0) {
		close(l->fd);
		l->fd = -1;
		return NULL;
	}
	while (!l->stop) {
		struct pollfd p = {.fd = l->fd, .events = POLLIN};
		int n = poll(&p, 1, 100);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (!(p.revents & POLLIN))
			break;		      /* POLLHUP: every task under the filter is gone */
		memset(req, 0, sizeof(*req)); /* the kernel wants it zeroed */
		if ((n = seccomp_notify_receive(l->fd, req)) < 0) {
			if (n == -ENOENT || n == -EINTR)
				continue; /* the caller died meanwhile */
			break;
		}
		if (req->data.arch == SCMP_ARCH_X86_64 && req->data.nr >= 0 &&
		    req->data.nr < CL_SC_LEARN_NR) {
			l->seen[req->data.nr / 8] |= (uint8_t)(1u << (req->data.nr % 8));
			if (req->data.nr == SYS_clone && (req->data.args[0] & CLONE_NS_FLAGS))
				l->clone_ns = true;
		}
		l->n_notes++;
		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		(void)seccomp_notify_respond(l->fd, resp);
	}
	seccomp_notify_free(req, resp);
	if (!l->stop) {
		/* cannot serve any more: without a listener the jail's calls fail
		 * with ENOSYS instead of waiting for us forever */
		close(l->fd);
		l->fd = -1;
	}
	return NULL;
}

ssize_t cl_seccomp_learn_recv(struct cl_seccomp_learner *l, int sync_fd, void *buf, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	ssize_t n;

	while ((n = recvmsg(sync_fd, &msg, MSG_CMSG_CLOEXEC)) < 0 &&
	       (errno == EINTR || errno == ECONNRESET))
		;
	cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
		return n; /* an error report, or EOF: no learning filter */
	memcpy(&l->fd, CMSG_DATA(cm), sizeof(int));
	l->stop = 0;
	if (pthread_create(&l->thread, NULL, serve, l) != 0) {
		/* without a server the child would wait forever: end it */
		close(l->fd);
		l->fd = -1;
		errno = EAGAIN;
		return -1;
	}
	l->running = true;
	while ((n = recv(sync_fd, buf, len, 0)) < 0 && (errno == EINTR || errno == ECONNRESET))
		;
	return n;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool seen(const struct cl_seccomp_learner *l, int nr)
{
	return nr >= 0 && nr < CL_SC_LEARN_NR && (l->seen[nr / 8] & (1u << (nr % 8)));
}

static int write_profile(const struct cl_seccomp_learner *l, const struct cl_spec *s, FILE *f,
			 struct cl_err *err)
{
	/* what a run needs besides what it was seen to call: exit, signal
	 * returns, restarts after a stop, and execve itself */
	static const char *const always[] = {"execve", "exit", "exit_group", "rt_sigreturn",
					     "restart_syscall"};
	char *names[CL_SC_LEARN_NR + 8];
	struct cl_sc_rule *rules = NULL;
	size_t n = 0, n_rules = 0;
	int r = 0;

	for (int nr = 0; nr < CL_SC_LEARN_NR; nr++) {
		/* libseccomp's names are ours to free */
		char *name = seen(l, nr) && nr != SYS_clone && nr != SYS_clone3
				 ? seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr)
				 : NULL;
		if (name)
			names[n++] = name;
	}
	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup = dup || strcmp(names[k], always[i]) == 0;
		if (!dup && (names[n] = strdup(always[i])))
			n++;
	}
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct cl_sc_rule rule = {.name = names[i], .action = {CL_SC_ALLOW, 0}};
		r = cl_sc_rules_add(&rules, &n_rules, &rule, err);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);

	time_t now = time(NULL);
	char when[32] = "";
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&now));
	fprintf(f, "# Learned by cloison run --learn-seccomp on %s from:\n#  ", when);
	for (size_t i = 0; s->argv[i]; i++)
		fprintf(f, " %s", s->argv[i]);
	fprintf(f,
		"\n# An allow-list of the %zu system calls it made (%lu calls in all): any\n"
		"# other fails with EPERM, or ENOSYS when it is newer than all of these.\n"
		"# Run the command with the same options and this profile:\n"
		"#   cloison run --profile FILE [OPTIONS] -- CMD...\n",
		n, l->n_notes);
	fputs("seccomp default-action errno EPERM\n", f);
	if (r == 0)
		cl_sc_print_rules(f, rules, n_rules);
	cl_sc_rules_free(rules, n_rules);
	if (seen(l, SYS_clone) || seen(l, SYS_clone3)) {
		fputs("# clone is checked for namespace flags unless the command used them\n", f);
		fputs(l->clone_ns ? "allow clone\n" : "allow clone arg0 & CLONE_NS_FLAGS == 0\n",
		      f);
	}
	if (seen(l, SYS_clone3))
		fputs("# clone3's flags cannot be checked: ENOSYS makes glibc use clone\n"
		      "syscall errno:ENOSYS clone3\n",
		      f);
	return r;
}

int cl_seccomp_learn_finish(struct cl_seccomp_learner *l, const struct cl_spec *s, const char *out,
			    struct cl_err *err)
{
	_cleanup_free_ char *tmp = NULL;
	FILE *f;
	int fd;

	if (l->running) {
		l->stop = 1;
		pthread_join(l->thread, NULL);
		l->running = false;
	}
	if (l->fd >= 0) {
		close(l->fd);
		l->fd = -1;
	}
	if (!out)
		return 0;
	if (asprintf(&tmp, "%s.XXXXXX", out) < 0) {
		tmp = NULL;
		return cl_fail(err, ENOMEM, "out of memory");
	}
	if ((fd = mkstemp(tmp)) < 0)
		return cl_fail(err, errno, "cannot write the learned profile %s", out);
	fchmod(fd, 0644);
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return cl_fail(err, errno, "cannot write the learned profile %s", out);
	}
	if (write_profile(l, s, f, err) < 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (ferror(f) | (fclose(f) != 0)) {
		unlink(tmp);
		return cl_fail(err, errno ? errno : EIO, "cannot write the learned profile %s",
			       out);
	}
	if (rename(tmp, out) < 0) {
		unlink(tmp);
		return cl_fail(err, errno, "cannot write the learned profile %s", out);
	}
	return 0;
}
