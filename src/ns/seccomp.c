/* The jail's seccomp filter: built from the spec's policy with libseccomp
 * (seccomp_build.c) and loaded in the child, last before execve. */
#include "ns/seccomp.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* --learn-seccomp: every call is sent to the parent, which records it and
 * lets it continue.  Let through untold: the one sendmsg that hands the
 * listener to the parent (nothing can be served before it arrives: told by
 * its fd and unusual flags), and exit, so that a child that cannot hand it
 * over does not wait forever on itself.  The profile writer adds exit. */
#define HANDOFF_FLAGS (MSG_NOSIGNAL | MSG_DONTWAIT | MSG_EOR)
static int load_learner(int sync_fd, struct cl_err *err)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = "L", .iov_len = 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int r, fd;

	if (!ctx)
		return cl_fail(err, ENOMEM, "cannot create the learning seccomp filter");
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendmsg), 2,
				  SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sync_fd),
				  SCMP_A2(SCMP_CMP_EQ, HANDOFF_FLAGS))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit), 0)) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0)) < 0 ||
	    (r = seccomp_load(ctx)) < 0) {
		seccomp_release(ctx);
		return cl_fail(err, -r, "cannot load the learning seccomp filter");
	}
	fd = seccomp_notify_fd(ctx);
	if (fd < 0)
		_exit(CL_EXIT_FAILURE); /* reporting would wait on our own filter */
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sync_fd, &msg, HANDOFF_FLAGS) != 1)
		_exit(CL_EXIT_FAILURE);
	/* from here on the parent answers */
	close(fd);
	seccomp_release(ctx);
	return 0;
}

int cl_seccomp_load(const struct cl_spec *s, const struct cl_sc_program *p, int sync_fd,
		    struct cl_err *err)
{
	if (s->seccomp.learn)
		return load_learner(sync_fd, err);
	if (p->notify)
		return cl_seccomp_notify_load(s, p, err);
	return cl_seccomp_install(p, NULL, err);
}
