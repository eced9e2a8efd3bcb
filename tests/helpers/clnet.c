/* clnet: the small network tool the network tests and benchmark run on
 * both sides of a jail (static, so it runs in the busybox rootfs, whose nc
 * has no UDP and forks too much to measure a connection rate).
 *
 * ADDR is IPv4 or IPv6; a server's PORT may be given as [::]:PORT to listen
 * on IPv6 as well as IPv4 (one dual-stack socket).
 *
 *   clnet udp-echo PORT [COUNT]          answer COUNT datagrams (default 1)
 *   clnet udp-send ADDR PORT MSG         send MSG, print the answer (2 s)
 *   clnet tcp-serve PORT [REPLY]         for each connection: read a byte,
 *                                        write REPLY (default: that byte;
 *                                        "@peer": the client's address),
 *                                        close (forever)
 *   clnet tcp-send ADDR PORT MSG         send MSG, print what comes back
 *   clnet conn-rate ADDR PORT SECONDS    connect, 1 byte each way, close, as
 *                                        fast as possible: prints conn/s
 *   clnet conn-hold ADDR PORT N          open N connections, send nothing,
 *                                        print "held", keep them (forever)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "clnet: %s: %s\n", what, strerror(errno));
	exit(1);
}

struct addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;
	socklen_t len;
};

/* HOST (IPv4 or IPv6; NULL: every IPv4 address) and PORT. */
static struct addr addr_of(const char *host, const char *port)
{
	struct addr a = {.u.in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))},
			 .len = sizeof(struct sockaddr_in)};

	if (!host || inet_pton(AF_INET, host, &a.u.in.sin_addr) == 1)
		return a;
	a.u.in6 = (struct sockaddr_in6){.sin6_family = AF_INET6,
					.sin6_port = htons((uint16_t)atoi(port))};
	a.len = sizeof(struct sockaddr_in6);
	if (inet_pton(AF_INET6, host, &a.u.in6.sin6_addr) != 1) {
		fprintf(stderr, "clnet: bad address %s\n", host);
		exit(2);
	}
	return a;
}

static int socket_for(const struct addr *a, int type)
{
	int fd = socket(a->u.sa.sa_family, type, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

/* PORT: every IPv4 address; [::]:PORT: every IPv6 and IPv4 one. */
static int bound(int type, const char *port)
{
	bool six = strncmp(port, "[::]:", 5) == 0;
	struct addr a = addr_of(six ? "::" : NULL, six ? port + 5 : port);
	int one = 1, zero = 0, fd = socket_for(&a, type);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (six)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, &a.u.sa, a.len) < 0)
		die("bind");
	return fd;
}

static int udp_echo(const char *port, int count)
{
	int fd = bound(SOCK_DGRAM, port);
	char buf[2048];

	printf("ready\n");
	fflush(stdout);
	for (int i = 0; i < count; i++) {
		struct sockaddr_storage from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
		if (n < 0)
			die("recvfrom");
		printf("got %.*s\n", (int)n, buf);
		fflush(stdout);
		if (sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&from, len) < 0)
			die("sendto");
	}
	return 0;
}

static int udp_send(const char *host, const char *port, const char *msg)
{
	struct addr a = addr_of(host, port);
	int fd = socket_for(&a, SOCK_DGRAM);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[2048];
	ssize_t n;

	if (connect(fd, &a.u.sa, a.len) < 0)
		die("connect");
	if (send(fd, msg, strlen(msg), 0) < 0)
		die("send");
	if (poll(&p, 1, 2000) != 1) {
		fprintf(stderr, "clnet: no answer\n");
		return 1;
	}
	if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
		die("recv");
	printf("%.*s\n", (int)n, buf);
	return 0;
}

__attribute__((noreturn)) static void tcp_serve(const char *port, const char *reply)
{
	int fd = bound(SOCK_STREAM, port), one = 1;

	if (listen(fd, 1024) < 0)
		die("listen");
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct addr peer = {.len = sizeof(peer.u)};
		int c = accept(fd, &peer.u.sa, &peer.len);
		char b, who[INET6_ADDRSTRLEN] = "?";
		if (c < 0)
			continue;
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (peer.u.sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&peer.u.in6.sin6_addr))
			inet_ntop(AF_INET, &peer.u.in6.sin6_addr.s6_addr[12], who, sizeof(who));
		else if (peer.u.sa.sa_family == AF_INET6)
			inet_ntop(AF_INET6, &peer.u.in6.sin6_addr, who, sizeof(who));
		else
			inet_ntop(AF_INET, &peer.u.in.sin_addr, who, sizeof(who));
		if (read(c, &b, 1) != 1)
			;
		else if (reply && strcmp(reply, "@peer") == 0)
			(void)!write(c, who, strlen(who));
		else
			(void)!(reply ? write(c, reply, strlen(reply)) : write(c, &b, 1));
		close(c);
	}
}

static int tcp_send(const char *host, const char *port, const char *msg)
{
	struct addr a = addr_of(host, port);
	int fd = socket_for(&a, SOCK_STREAM);
	char buf[4096];
	ssize_t n;

	if (connect(fd, &a.u.sa, a.len) < 0)
		die("connect");
	if (write(fd, msg, strlen(msg)) < 0)
		die("write");
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	putchar('\n');
	return n < 0;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int conn_rate(const char *host, const char *port, double seconds)
{
	struct addr a = addr_of(host, port);
	double start = now(), end = start + seconds;
	long n = 0, failed = 0;

	while (now() < end) {
		int fd = socket_for(&a, SOCK_STREAM), one = 1;
		struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT pile-up */
		char b = 'x';
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, &a.u.sa, a.len) == 0 && write(fd, &b, 1) == 1 &&
		    read(fd, &b, 1) == 1)
			n++;
		else
			failed++;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	printf("%.0f\n", (double)n / (now() - start));
	if (failed)
		fprintf(stderr, "clnet: %ld connections failed\n", failed);
	return n ? 0 : 1;
}

__attribute__((noreturn)) static void conn_hold(const char *host, const char *port, int count)
{
	struct addr a = addr_of(host, port);

	for (int i = 0; i < count; i++) {
		int fd = socket_for(&a, SOCK_STREAM);
		(void)!connect(fd, &a.u.sa, a.len); /* refused ones count too */
	}
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 3 && strcmp(argv[1], "udp-echo") == 0)
		return udp_echo(argv[2], argc > 3 ? atoi(argv[3]) : 1);
	if (argc == 5 && strcmp(argv[1], "udp-send") == 0)
		return udp_send(argv[2], argv[3], argv[4]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "tcp-serve") == 0)
		tcp_serve(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 5 && strcmp(argv[1], "tcp-send") == 0)
		return tcp_send(argv[2], argv[3], argv[4]);
	if (argc == 5 && strcmp(argv[1], "conn-rate") == 0)
		return conn_rate(argv[2], argv[3], atof(argv[4]));
	if (argc == 5 && strcmp(argv[1], "conn-hold") == 0)
		conn_hold(argv[2], argv[3], atoi(argv[4]));
	fprintf(
	    stderr,
	    "usage: clnet udp-echo PORT [COUNT] | udp-send ADDR PORT MSG | tcp-serve PORT [REPLY] |"
	    " tcp-send ADDR PORT MSG | conn-rate ADDR PORT SECONDS | conn-hold ADDR PORT N\n");
	return 2;
}
