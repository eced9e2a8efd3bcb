/* The relay behind --publish.  One process per jail, one epoll loop:
 *   TCP: accept, connect to the jail (non-blocking), then move bytes each
 *        way through a pipe with splice(2) (no copy to user space); a FIN is
 *        passed on as shutdown(SHUT_WR), so half-closed streams work.  Both
 *        sockets are registered once, edge-triggered.
 *   UDP: one connected socket toward the jail per client address, so
 *        replies find their way back; idle flows expire after a minute.
 * A port published without HOSTIP listens on every IPv4 and every IPv6
 * address (two sockets, the IPv6 one IPV6_V6ONLY); clients of either family
 * reach the jail's IPv4 address, which every bridged jail has.
 * It runs as nobody without capabilities once the ports are bound. */
#include "ns/net_proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPLICE_MAX	 (1 << 20)
#define UDP_IDLE_SECONDS 60
#define UDP_MAX_FLOWS	 4096
/* Bytes one connection may move per turn, datagrams one UDP socket may
 * take: one busy client must not keep the loop from the others. */
#define PUMP_BUDGET (1 << 20)
#define UDP_BUDGET  64
/* Listening sockets: one per published port, two (IPv4 and IPv6) for one
 * without HOSTIP. */
#define LISTEN_MAX (2 * CL_PROXY_MAX)
/* Descriptors kept out of the connection and flow budgets: 0-2, epoll,
 * the spare below, the pipe pool, the listeners. */
#define FD_RESERVE (16 + 2 * PIPE_POOL + LISTEN_MAX)

enum kind { K_TCP_LISTEN, K_UDP_LISTEN, K_TCP_END, K_UDP_FLOW };

struct item {
	enum kind kind;
	int fd;
};

struct listener {
	struct item it;
	struct sockaddr_in jail; /* where its traffic goes */
};

struct conn;
struct end {
	struct item it;
	struct conn *c;
};

/* end[0] is the client, end[1] the jail; pipe[d] carries bytes read from
 * end[d] to end[!d]. */
struct conn {
	struct end end[2];
	int pipe[2][2];
	size_t queued[2];
	bool eof[2], full[2], shut[2], connecting, dead, ready;
	struct conn *next_dead, *next_ready;
};

/* A client's address, IPv4 or IPv6. */
union peer {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct flow {
	struct item it;
	struct listener *l;
	union peer client;
	socklen_t client_len;
	time_t last;
	struct flow *next;
};

static int epfd = -1, spare_fd = -1;
static struct conn *dead_conns, *ready_conns; /* ready: its budget ran out */
static struct flow *flows;
static size_t n_flows, max_flows = UDP_MAX_FLOWS, n_conns, max_conns;

/* Empty pipes of closed connections, for the next ones: two pipe2() and
 * four close() fewer per connection. */
#define PIPE_POOL 64
static int pipe_pool[PIPE_POOL][2];
static int n_pipes;

static int pipe_get(int p[2])
{
	if (n_pipes) {
		n_pipes--;
		p[0] = pipe_pool[n_pipes][0];
		p[1] = pipe_pool[n_pipes][1];
		return 0;
	}
	return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

static void pipe_put(int p[2], bool empty)
{
	if (p[0] < 0)
		return;
	if (empty && n_pipes < PIPE_POOL) {
		pipe_pool[n_pipes][0] = p[0];
		pipe_pool[n_pipes++][1] = p[1];
	} else {
		close(p[0]);
		close(p[1]);
	}
}

static void conn_close(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	n_conns--;
	for (int i = 0; i < 2; i++) {
		if (c->end[i].it.fd >= 0)
			close(c->end[i].it.fd); /* which takes it out of the epoll set */
		pipe_put(c->pipe[i], c->queued[i] == 0);
	}
	c->next_dead = dead_conns; /* freed after this batch of events */
	dead_conns = c;
}

/* Moves what can move from end[d] to end[!d] until nothing does: both
 * ends are in the epoll set edge-triggered, so every chance is taken
 * before waiting again, unless @budget bytes moved first (1: come back
 * without waiting).  -1: the connection failed. */
static int pump_one(struct conn *c, int d, size_t budget)
{
	int from = c->end[d].it.fd, to = c->end[!d].it.fd;
	size_t total = 0;

	for (;;) {
		bool moved = false;
		ssize_t n;

		if (!c->eof[d] && !c->full[d]) {
			n = splice(from, NULL, c->pipe[d][1], NULL, SPLICE_MAX,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				c->queued[d] += (size_t)n;
				total += (size_t)n;
			} else if (n == 0) {
				c->eof[d] = true;
			} else if (errno == EAGAIN) {
				/* the socket is empty, or the pipe full: with bytes
				 * queued, read again once they have moved */
				c->full[d] = c->queued[d] > 0;
			} else if (errno != EINTR) {
				return -1;
			}
			moved = n >= 0;
		}
		if (c->queued[d]) {
			n = splice(c->pipe[d][0], NULL, to, NULL, c->queued[d],
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				c->queued[d] -= (size_t)n;
				c->full[d] = false;
				moved = true;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				return -1;
			}
		}
		if (c->eof[d] && !c->queued[d] && !c->shut[d]) {
			shutdown(to, SHUT_WR); /* pass the FIN on */
			c->shut[d] = true;
		}
		if (!moved)
			return 0;
		if (total >= budget)
			return 1;
	}
}

static void tcp_event(struct end *e)
{
	struct conn *c = e->c;

	if (c->dead || (c->connecting && e == &c->end[0]))
		return; /* the client's bytes wait in its socket until we are connected */
	if (c->connecting) {
		int so = 0;
		socklen_t len = sizeof(so);
		if (getsockopt(c->end[1].it.fd, SOL_SOCKET, SO_ERROR, &so, &len) < 0 || so) {
			conn_close(c);
			return;
		}
		c->connecting = false;
	}
	int r0 = pump_one(c, 0, PUMP_BUDGET), r1 = r0 < 0 ? -1 : pump_one(c, 1, PUMP_BUDGET);
	if (r0 < 0 || r1 < 0 || (c->shut[0] && c->shut[1])) {
		conn_close(c);
	} else if ((r0 || r1) && !c->ready) {
		c->ready = true;
		c->next_ready = ready_conns;
		ready_conns = c;
	}
}

/* Over the budget of connections, or out of descriptors: take the client
 * off the backlog and close it, rather than spin on a listener that stays
 * readable. */
static void tcp_refuse(struct listener *l)
{
	int fd = accept4(l->it.fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
		close(spare_fd);
		fd = accept4(l->it.fd, NULL, NULL, SOCK_CLOEXEC);
		spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0)
		close(fd);
}

static void tcp_accept(struct listener *l)
{
	for (;;) {
		/* TCP_NODELAY comes from the listener */
		int cfd, one = 1;
		struct conn *c;

		if (n_conns >= max_conns) {
			tcp_refuse(l);
			return;
		}
		cfd = accept4(l->it.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				tcp_refuse(l);
			return;
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			close(cfd);
			continue;
		}
		n_conns++;
		c->pipe[0][0] = c->pipe[1][0] = -1;
		c->end[0] = (struct end){{K_TCP_END, cfd}, c};
		c->end[1] = (struct end){
		    {K_TCP_END, socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)}, c};
		if (c->end[1].it.fd < 0 || pipe_get(c->pipe[0]) < 0 || pipe_get(c->pipe[1]) < 0) {
			conn_close(c);
			continue;
		}
		setsockopt(c->end[1].it.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (int s = 0; s < 2; s++) {
			struct epoll_event ee = {.events =
						     EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
						 .data.ptr = &c->end[s].it};
			epoll_ctl(epfd, EPOLL_CTL_ADD, c->end[s].it.fd, &ee);
		}
		if (connect(c->end[1].it.fd, (struct sockaddr *)&l->jail, sizeof(l->jail)) == 0)
			tcp_event(&c->end[1]);
		else if (errno == EINPROGRESS)
			c->connecting = true; /* EPOLLOUT on end[1] says when */
		else
			conn_close(c);
	}
}

static struct flow *flow_for(struct listener *l, const union peer *from, socklen_t len)
{
	struct epoll_event ee = {.events = EPOLLIN};
	struct flow *f;

	for (f = flows; f; f = f->next)
		if (f->l == l && f->client_len == len && memcmp(&f->client, from, len) == 0)
			return f;
	if (n_flows >= max_flows || !(f = calloc(1, sizeof(*f))))
		return NULL;
	f->it = (struct item){K_UDP_FLOW,
			      socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)};
	ee.data.ptr = &f->it;
	if (f->it.fd < 0 || connect(f->it.fd, (struct sockaddr *)&l->jail, sizeof(l->jail)) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, f->it.fd, &ee) < 0) {
		if (f->it.fd >= 0)
			close(f->it.fd);
		free(f);
		return NULL;
	}
	f->l = l;
	memcpy(&f->client, from, len);
	f->client_len = len;
	f->next = flows;
	flows = f;
	n_flows++;
	return f;
}

static void udp_in(struct listener *l, char *buf, size_t size)
{
	for (int i = 0; i < UDP_BUDGET; i++) { /* level-triggered: the rest next turn */
		union peer from = {0};
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(l->it.fd, buf, size, 0, &from.sa, &len);
		struct flow *f;

		if (n < 0)
			return;
		if (len > sizeof(from))
			continue;
		/* the jail's own service port as the client: a datagram loop */
		if (from.sa.sa_family == AF_INET &&
		    from.in.sin_addr.s_addr == l->jail.sin_addr.s_addr &&
		    from.in.sin_port == l->jail.sin_port)
			continue;
		if ((f = flow_for(l, &from, len))) {
			f->last = time(NULL);
			(void)!send(f->it.fd, buf, (size_t)n, 0);
		}
	}
}

static void udp_back(struct flow *f, char *buf, size_t size)
{
	for (int i = 0; i < UDP_BUDGET; i++) {
		ssize_t n = recv(f->it.fd, buf, size, 0);
		if (n < 0)
			return;
		f->last = time(NULL);
		(void)!sendto(f->l->it.fd, buf, (size_t)n, 0, &f->client.sa, f->client_len);
	}
}

static void udp_expire(time_t now)
{
	for (struct flow **pp = &flows; *pp;) {
		struct flow *f = *pp;
		if (now - f->last < UDP_IDLE_SECONDS) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		close(f->it.fd);
		free(f);
		n_flows--;
	}
}

/* Nothing the relay needs after binding: no uid 0, no capabilities.  A
 * step that fails ends the relay (cloison then reports it): it never
 * serves with privileges. */
static bool drop_privileges(void)
{
	cap_t none = cap_init();
	bool ok = none != NULL;

	if (ok && getuid() == 0)
		ok = setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
		     setresuid(65534, 65534, 65534) == 0;
	if (ok)
		ok = cap_set_proc(none) == 0;
	if (none)
		cap_free(none);
	return ok && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
}

/* Keeps 0-2 (on /dev/null), the listeners and @ready, closes the rest: the
 * relay must not hold cloison's sync socket or terminal. */
static void close_others(const struct listener *ls, size_t n, int ready)
{
	int keep[LISTEN_MAX + 1], nk = 0, devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	unsigned prev = 2;

	for (int fd = 0; fd < 3 && devnull >= 0; fd++)
		dup2(devnull, fd);
	keep[nk++] = ready;
	for (size_t i = 0; i < n && nk <= LISTEN_MAX; i++)
		keep[nk++] = ls[i].it.fd;
	for (int i = 1; i < nk; i++) /* insertion sort: a handful of fds */
		for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (int i = 0; i < nk; i++) {
		if ((unsigned)keep[i] > prev + 1)
			syscall(SYS_close_range, prev + 1, (unsigned)keep[i] - 1, 0);
		prev = (unsigned)keep[i];
	}
	syscall(SYS_close_range, prev + 1, ~0U, 0);
}

/* Descriptors for connections (six each) and UDP flows (one each), half
 * and half, out of what RLIMIT_NOFILE leaves. */
static void set_budgets(size_t n_listeners)
{
	struct rlimit rl;
	size_t avail = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > FD_RESERVE + n_listeners)
		avail = (size_t)(rl.rlim_cur - FD_RESERVE - n_listeners);
	max_conns = avail / 2 / 6 ? avail / 2 / 6 : 1;
	max_flows = avail / 2 < UDP_MAX_FLOWS ? (avail / 2 ? avail / 2 : 1) : UDP_MAX_FLOWS;
}

/* The connections whose budget ran out, once more each. */
static void run_ready(void)
{
	struct conn *c = ready_conns;

	ready_conns = NULL;
	while (c) {
		struct conn *next = c->next_ready;
		c->ready = false;
		if (!c->dead)
			tcp_event(&c->end[1]);
		c = next;
	}
}

__attribute__((noreturn)) static void relay(struct listener *ls, size_t n, pid_t parent, int ready)
{
	static char buf[65536];
	struct epoll_event ev[64];
	struct rlimit rl;
	sigset_t none;
	time_t swept = time(NULL);

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	prctl(PR_SET_NAME, "cloison-publish");
	setpgid(0, 0); /* the terminal's ^C is for the jail, not for us */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	close_others(ls, n, ready);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	set_budgets(n);
	if (!drop_privileges())
		_exit(1);
	/* a change of credentials clears the parent-death signal: again */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (epfd < 0)
		_exit(1);
	for (size_t i = 0; i < n; i++) {
		struct epoll_event ee = {.events = EPOLLIN, .data.ptr = &ls[i].it};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, ls[i].it.fd, &ee) < 0)
			_exit(1);
	}
	if (write(ready, "k", 1) != 1)
		_exit(1);
	close(ready);
	for (;;) {
		int k = epoll_wait(epfd, ev, 64, ready_conns ? 0 : flows ? 10000 : -1);
		for (int i = 0; i < k; i++) {
			struct item *it = ev[i].data.ptr;
			switch (it->kind) {
			case K_TCP_LISTEN: tcp_accept((struct listener *)it); break;
			case K_UDP_LISTEN: udp_in((struct listener *)it, buf, sizeof(buf)); break;
			case K_TCP_END: tcp_event((struct end *)it); break;
			case K_UDP_FLOW: udp_back((struct flow *)it, buf, sizeof(buf)); break;
			}
		}
		run_ready(); /* before the frees: it may hold dead ones */
		while (dead_conns) {
			struct conn *c = dead_conns;
			dead_conns = c->next_dead;
			free(c);
		}
		if (flows && time(NULL) - swept >= 10) {
			swept = time(NULL);
			udp_expire(swept);
		}
	}
}

static const char *proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

/* One listening socket of @p: IPv4 (@family AF_INET, @p's host_ip or
 * every address) or IPv6 (AF_INET6, host_ip6 or every address).  1: made;
 * 0: skipped (IPv6 for a port without HOSTIP on a host without IPv6);
 * -1: failed. */
static int listen_on(const struct cl_publish *p, int family, struct listener *l,
		     struct in_addr jail, struct cl_err *err)
{
	bool udp = p->proto == IPPROTO_UDP, v6 = family == AF_INET6;
	union peer a = {0};
	char host[INET6_ADDRSTRLEN + 3] = "";
	int one = 1,
	    fd = socket(family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
	    e = errno;

	if (v6) {
		a.in6 = (struct sockaddr_in6){.sin6_family = AF_INET6,
					      .sin6_port = htons(p->host_port),
					      .sin6_addr = p->family ? p->host_ip6 : in6addr_any};
	} else {
		a.in = (struct sockaddr_in){
		    .sin_family = AF_INET, .sin_port = htons(p->host_port), .sin_addr = p->host_ip};
	}
	l->it = (struct item){udp ? K_UDP_LISTEN : K_TCP_LISTEN, fd};
	l->jail = (struct sockaddr_in){
	    .sin_family = AF_INET, .sin_port = htons(p->jail_port), .sin_addr = jail};
	if (fd < 0 && v6 && !p->family && e == EAFNOSUPPORT)
		return 0;
	if (p->family)
		cl_publish_host(p, host, sizeof(host) - 1);
	else if (v6)
		strcpy(host, "[::]");
	if (host[0])
		strcat(host, ":");
	if (fd < 0)
		return cl_fail(err, e, "cannot publish port %s%u/%s", host, p->host_port,
			       proto_name(p->proto));
	if (!udp) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* for accepted ones */
	}
	/* the IPv4 addresses are the other socket's (or not asked for) */
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &a.sa, v6 ? sizeof(a.in6) : sizeof(a.in)) < 0 ||
	    (!udp && listen(fd, SOMAXCONN) < 0))
		return cl_fail(err, errno, "cannot publish port %s%u/%s", host, p->host_port,
			       proto_name(p->proto));
	return 1;
}

pid_t cl_proxy_start(const struct cl_netspec *n, struct in_addr jail, bool ipv6_only,
		     struct cl_err *err)
{
	struct listener *ls = calloc(LISTEN_MAX, sizeof(*ls));
	pid_t parent = getpid(), pid = -1;
	int ready[2] = {-1, -1};
	size_t nl = 0;
	char ok;

	if (!ls)
		return cl_fail(err, ENOMEM, "out of memory");
	if (n->n_publish > CL_PROXY_MAX) {
		cl_fail(err, 0, "at most %d ports can be published", CL_PROXY_MAX);
		goto out;
	}
	for (size_t i = 0; i < n->n_publish; i++) {
		const struct cl_publish *p = &n->publish[i];
		for (int k = 0; k < 2; k++) {
			int family = k ? AF_INET6 : AF_INET, r;
			if ((p->family && p->family != family) || (ipv6_only && family == AF_INET))
				continue;
			r = listen_on(p, family, &ls[nl], jail, err);
			if (ls[nl].it.fd >= 0)
				nl++; /* closed below, made or not */
			if (r < 0)
				goto out;
		}
	}
	if (!nl) { /* IPv6 only, on a host without IPv6 */
		pid = 0;
		goto out;
	}
	/* the relay says when it serves, unprivileged; EOF: it could not */
	if (pipe2(ready, O_CLOEXEC) < 0) {
		cl_fail(err, errno, "cannot start the relay for the published ports");
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		relay(ls, nl, parent, ready[1]);
	}
	if (pid < 0)
		cl_fail(err, errno, "cannot start the relay for the published ports");
	close(ready[1]);
	if (pid > 0 && TEMP_FAILURE_RETRY(read(ready[0], &ok, 1)) != 1) {
		cl_proxy_stop(pid);
		pid = -1;
		cl_fail(err, 0,
			"the relay for the published ports could not start "
			"(cannot drop its privileges to nobody?)");
	}
	close(ready[0]);
out:
	while (nl-- > 0)
		close(ls[nl].it.fd);
	free(ls);
	return pid;
}

void cl_proxy_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}
