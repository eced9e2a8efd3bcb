/* build/tests/cl-vsock: both ends of a vsock stream for tests/vm/inner/
 * 16-vm-vsock (static: it runs in the outer test guest and, bound in, in
 * a nested micro-VM).
 *
 *   cl-vsock listen PORT           in the guest: accept one connection on
 *                                  vsock PORT, answer its first line with
 *                                  "echo: LINE", exit 0
 *   cl-vsock connect UDS PORT TEXT on the host: "CONNECT PORT" on the VM's
 *                                  --vsock socket, then TEXT; print the
 *                                  "OK ..." line and the answer */
#include <errno.h>
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "cl-vsock: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Up to and with the first newline (or EOF), into @buf. */
static ssize_t read_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			break;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = 0;
	return (ssize_t)n;
}

static int listen_vsock(unsigned port)
{
	struct sockaddr_vm sa = {
	    .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = port};
	int l = socket(AF_VSOCK, SOCK_STREAM, 0), c;
	char line[256], out[300];

	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0)
		return die("vsock listen");
	printf("listening on vsock port %u\n", port);
	fflush(stdout);
	c = accept(l, NULL, NULL);
	if (c < 0)
		return die("accept");
	read_line(c, line, sizeof(line));
	snprintf(out, sizeof(out), "echo: %s", line);
	if (write(c, out, strlen(out)) < 0)
		return die("write");
	close(c);
	return 0;
}

static int connect_uds(const char *path, const char *port, const char *text)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char line[256];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return die(path);
	dprintf(fd, "CONNECT %s\n", port);
	if (read_line(fd, line, sizeof(line)) <= 0)
		return die("no answer to CONNECT");
	printf("%s", line);
	dprintf(fd, "%s\n", text);
	while (read_line(fd, line, sizeof(line)) > 0)
		printf("%s", line);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "listen"))
		return listen_vsock((unsigned)strtoul(argv[2], NULL, 10));
	if (argc == 5 && !strcmp(argv[1], "connect"))
		return connect_uds(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: cl-vsock listen PORT | connect UDS PORT TEXT\n");
	return 2;
}
