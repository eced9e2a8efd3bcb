/* The host's side of the guest agent (src/vm/agent_host.c) against a fake,
 * hostile agent behind a Unix socket: every bad frame ends the exec with an
 * error naming it, bounded, without a crash (built with ASan and UBSan). */
#include <endian.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "guest/agent_proto.h"
#include "spec/spec.h"
#include "vm/agent_host.h"

static char path[108];
static int failures;

/* What the fake agent does once the host's exec request came. */
enum scene {
	S_NO_OK,
	S_BAD_VERSION,
	S_ZERO_FRAME,
	S_HUGE_FRAME,
	S_BAD_TYPE,
	S_SHORT_X,
	S_BIG_STATUS,
	S_GOOD,
	S_FAILURE
};

static void raw(int fd, const void *p, size_t n)
{
	if (write(fd, p, n) != (ssize_t)n)
		abort();
}

static void *serve(void *arg)
{
	long sc = (long)((void **)arg)[1];
	int lfd = (int)(long)((void **)arg)[0], c = accept(lfd, NULL, NULL);
	char line[64], type;
	uint8_t buf[4096];
	size_t n = 0, len;
	struct cl_err e = {0};
	uint32_t v = htole32(CL_AGENT_VERSION);

	if (c < 0)
		return NULL;
	while (n < sizeof(line) - 1 && read(c, line + n, 1) == 1 && line[n++] != '\n')
		;
	if (sc == S_NO_OK) {
		close(c);
		return NULL;
	}
	raw(c, "OK 1073741824\n", 14);
	if (cl_agent_recv(c, &type, buf, sizeof(buf), &len, &e) < 0)
		goto out;
	if (sc == S_BAD_VERSION)
		v = htole32(99);
	cl_agent_send(c, 'H', &v, sizeof(v));
	if (cl_agent_recv(c, &type, buf, sizeof(buf), &len, &e) < 0 || type != 'E')
		goto out;
	switch (sc) {
	case S_ZERO_FRAME: raw(c, "\0\0\0\0O", 5); break;
	case S_HUGE_FRAME: raw(c, "\xff\xff\xff\x7fO", 5); break;
	case S_BAD_TYPE: cl_agent_send(c, 'Z', "x", 1); break;
	case S_SHORT_X: cl_agent_send(c, 'X', "\0\0\0", 3); break;
	case S_BIG_STATUS: {
		int32_t st = (int32_t)htole32(300);
		cl_agent_send(c, 'X', &st, 4);
		break;
	}
	case S_GOOD: {
		int32_t st = (int32_t)htole32(7);
		cl_agent_send(c, 'R', "from the guest\n", 15);
		cl_agent_send(c, 'X', &st, 4);
		break;
	}
	case S_FAILURE: cl_agent_send(c, 'F', "cannot run 'x': No such file", 28); break;
	default: break;
	}
	/* then nothing: a host that waited for more would hang here */
	sleep(1);
out:
	close(c);
	return NULL;
}

static void check(const char *name, enum scene sc, int want_r, int want_status, const char *want)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), status = -1, r;
	char *argv[] = {"x", NULL};
	struct cl_spec s;
	struct cl_err e = {0};
	void *args[2];
	pthread_t t;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0)
		abort();
	args[0] = (void *)(long)lfd;
	args[1] = (void *)(long)sc;
	pthread_create(&t, NULL, serve, args);
	memset(&s, 0, sizeof(s));
	s.argv = argv;
	s.cwd = "/";
	r = cl_agent_exec(path, &s, false, false, &status, &e);
	pthread_join(t, NULL);
	close(lfd);
	if (r != want_r || (want_r == 0 && status != want_status) ||
	    (want && !strstr(e.msg, want))) {
		printf("not ok - %s: r %d status %d err '%s'\n", name, r, status, e.msg);
		failures++;
	} else {
		printf("ok - %s%s%s\n", name, e.msg[0] ? ": " : "", e.msg);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "/tmp/cl-agent-test-%d.sock", (int)getpid());
	check("no OK to CONNECT", S_NO_OK, -1, 0, "does not answer");
	check("another protocol version", S_BAD_VERSION, -1, 0, "another protocol");
	check("a frame of 0 bytes", S_ZERO_FRAME, -1, 0, "a frame of 0 bytes");
	check("a frame longer than the limit", S_HUGE_FRAME, -1, 0, "a frame of 2147483647 bytes");
	check("a frame type the guest may not send", S_BAD_TYPE, -1, 0, "may not ('Z'");
	check("an exit frame of 3 bytes", S_SHORT_X, -1, 0, "may not ('X', 3 bytes)");
	check("an exit status of 300", S_BIG_STATUS, -1, 0, "may not ('X', 4 bytes)");
	check("output then a status", S_GOOD, 0, 7, NULL);
	check("the guest could not run it", S_FAILURE, -1, 0, "in the micro-VM: cannot run 'x'");
	unlink(path);
	printf("1..9\n");
	return failures ? 1 : 0;
}
