/* Passing a file descriptor over a unix socket (SCM_RIGHTS). */
#ifndef CL_UTIL_FDPASS_H
#define CL_UTIL_FDPASS_H

#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Sends @fd with the one byte @tag; 0, or -1 (errno set). */
static inline int cl_send_fd(int sock, int fd, char tag)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&tag, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Receives up to @len bytes into @buf and, if one came along, an fd into
 * *@fd (close-on-exec; -1 otherwise).  Returns what recvmsg did. */
static inline ssize_t cl_recv_fd(int sock, void *buf, size_t len, int *fd, int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {buf, len};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | flags);
	struct cmsghdr *c;

	*fd = -1;
	if (n >= 0)
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(fd, CMSG_DATA(c), sizeof(int));
	return n;
}

#endif
