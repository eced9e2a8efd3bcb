/* The guest agent's frames (agent_proto.h), both ends. */
#include "guest/agent_proto.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static int write_all(int fd, const void *p, size_t len)
{
	const char *b = p;

	while (len) {
		ssize_t w = write(fd, b, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t len)
{
	char *b = p;

	while (len) {
		ssize_t r = read(fd, b, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = 0; /* end of stream */
			return -1;
		}
		b += r;
		len -= (size_t)r;
	}
	return 0;
}

int cl_agent_send(int fd, char type, const void *payload, size_t len)
{
	uint8_t head[5];
	uint32_t n = htole32((uint32_t)len + 1);

	if (len + 1 > CL_AGENT_FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memcpy(head, &n, 4);
	head[4] = (uint8_t)type;
	if (write_all(fd, head, sizeof(head)) < 0)
		return -1;
	return len ? write_all(fd, payload, len) : 0;
}

int cl_agent_recv(int fd, char *type, void *buf, size_t cap, size_t *len, struct cl_err *err)
{
	uint8_t head[5];
	uint32_t n;

	if (read_all(fd, head, sizeof(head)) < 0)
		return errno ? cl_fail(err, errno, "agent: cannot read a frame")
			     : cl_fail(err, 0, "agent: the connection ended");
	memcpy(&n, head, 4);
	n = le32toh(n);
	if (n < 1 || n > CL_AGENT_FRAME_MAX || n - 1 > cap)
		return cl_fail(err, 0, "agent: a frame of %u bytes (1 to %zu here)", n,
			       cap + 1 < CL_AGENT_FRAME_MAX ? cap + 1 : (size_t)CL_AGENT_FRAME_MAX);
	*type = (char)head[4];
	*len = n - 1;
	if (*len && read_all(fd, buf, *len) < 0)
		return cl_fail(err, errno, "agent: a frame cut short");
	return 0;
}
