/* cloison-bench-work: the workloads of `cloison bench`, one static binary
 * that runs the same way on the host, in a container and in a micro-VM (it
 * needs nothing from the rootfs: no shell, no libc of its own, no tools).
 *
 *   cloison-bench-work [-s MIB] [-t TMPDIR] [-d DISKDIR] [-p PORT] [-k TOKEN]
 *                      [-a ADDR] WORKLOAD...
 *
 * Each workload times only its own loop and prints one line per figure:
 *   METRIC VALUE [key=value...]
 * or, when its result is wrong or it cannot run:
 *   FAIL METRIC reason
 * The exit status is 0 when every workload succeeded.  Checks: the SHA-256
 * digest is printed (the caller compares it), copies and files are read
 * back and compared, the network peer's byte count is checked.
 *
 * Special ones: `true` exits at once (start-up), `idle` prints "ready" and
 * waits for a signal (density), `exec-true` is what forkexec executes. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/sha256.h"

#define MIB (1024UL * 1024UL)

static size_t size_mib = 256; /* the big buffers and files */
static double scale = 1.0;    /* loop counts follow the size: size/256 */
static const char *tmpdir = "/dev/shm";
static const char *diskdir = "/var/tmp";
static const char *addr; /* the network peer (default: the gateway) */
static int port;
static uint64_t token;	/* sent first: the bench's peer serves no one else */
static char self[4096]; /* this binary, for forkexec */
static int failed;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static unsigned long count(unsigned long base)
{
	unsigned long n = (unsigned long)((double)base * scale);

	return n ? n : 1;
}

static void fail(const char *metric, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(const char *metric, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s ", metric);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed = 1;
}

static void report(const char *metric, double value, const char *extra)
{
	printf("%s %.6g%s%s\n", metric, value, extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

/* The bytes every buffer and file holds: a 4 KiB block, repeated (cheap to
 * reproduce elsewhere: the test recomputes the digest with Python). */
/* A new file of ours at @path: what was there is removed first and the
 * create is exclusive, no symbolic link followed (a link planted there
 * never makes the bench write elsewhere). */
static int make_file(const char *path, int flags)
{
	unlink(path);
	return open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static void fill(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i % 4096) * 131 + 7);
}

static void *big(size_t len, int huge)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return p;
}

static void w_getppid(void)
{
	unsigned long n = count(2000000);
	double t = now_ns();

	for (unsigned long i = 0; i < n; i++)
		syscall(SYS_getppid); /* not glibc's wrapper: no caching, ever */
	report("getppid", (now_ns() - t) / (double)n, "unit=ns/call");
}

static void w_openclose(void)
{
	char path[4200];
	unsigned long n = count(200000);
	int fd;
	double t;

	snprintf(path, sizeof(path), "%s/cl-bench-open", tmpdir);
	fd = make_file(path, O_WRONLY);
	if (fd < 0)
		return fail("openclose", "cannot create %s: %s", path, strerror(errno));
	close(fd);
	t = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			unlink(path);
			return fail("openclose", "cannot open %s: %s", path, strerror(errno));
		}
		close(fd);
	}
	report("openclose", (now_ns() - t) / (double)n, "unit=ns/pair");
	unlink(path);
}

/* A stat-heavy walk: 20 directories of 100 files, listed and stat'ed (as
 * make, find or a build tool does), many times over. */
#define WALK_DIRS  20
#define WALK_FILES 100
static long walk_dir(int dfd)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	struct stat st;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			closedir(d);
			return -1;
		}
		n++;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			long k = sub < 0 ? -1 : walk_dir(sub);

			if (k < 0) {
				closedir(d);
				return -1;
			}
			n += k;
		}
	}
	closedir(d);
	return n;
}

static void rm_tree(const char *root)
{
	char p[4300];

	for (int i = 0; i < WALK_DIRS; i++) {
		for (int j = 0; j < WALK_FILES; j++) {
			snprintf(p, sizeof(p), "%s/d%02d/f%03d", root, i, j);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/d%02d", root, i);
		rmdir(p);
	}
	rmdir(root);
}

static void w_walk(void)
{
	char root[4200], p[4300];
	unsigned long passes = count(100);
	long expect = WALK_DIRS * (WALK_FILES + 1), got = 0;
	double t;

	snprintf(root, sizeof(root), "%s/cl-bench-walk", tmpdir);
	rm_tree(root);
	if (mkdir(root, 0700) < 0)
		return fail("walk", "cannot create %s: %s", root, strerror(errno));
	for (int i = 0; i < WALK_DIRS; i++) {
		snprintf(p, sizeof(p), "%s/d%02d", root, i);
		if (mkdir(p, 0700) < 0)
			goto bad;
		for (int j = 0; j < WALK_FILES; j++) {
			int fd;

			snprintf(p, sizeof(p), "%s/d%02d/f%03d", root, i, j);
			fd = make_file(p, O_WRONLY);
			if (fd < 0)
				goto bad;
			close(fd);
		}
	}
	t = now_ns();
	for (unsigned long k = 0; k < passes; k++) {
		int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		got = fd < 0 ? -1 : walk_dir(fd);
		if (got != expect) {
			rm_tree(root);
			return fail("walk", "the walk saw %ld entries, not %ld", got, expect);
		}
	}
	report("walk", (now_ns() - t) / (double)(passes * (unsigned long)expect), "unit=ns/entry");
	rm_tree(root);
	return;
bad:
	fail("walk", "cannot create %s: %s", p, strerror(errno));
	rm_tree(root);
}

static void w_forkexec(void)
{
	unsigned long n = count(500);
	double t = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		int st;
		pid_t pid = fork();

		if (pid < 0)
			return fail("forkexec", "fork: %s", strerror(errno));
		if (!pid) {
			char *argv[] = {self, "exec-true", NULL};

			execve(self, argv, (char *[]){NULL});
			_exit(127);
		}
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			return fail("forkexec", "%s exec-true did not exit 0 (status 0x%x)", self,
				    st);
	}
	report("forkexec", (now_ns() - t) / (double)n / 1000.0, "unit=us/process");
}

/* Fresh anonymous memory touched a page at a time: one fault per 4 KiB page
 * (no transparent huge pages), the cost shadow paging or EPT/NPT shows. */
static void w_faults(void)
{
	size_t len = size_mib * MIB;
	uint8_t *p = big(len, 0);
	double t;

	if (!p)
		return fail("faults", "cannot map %zu MiB", size_mib);
	t = now_ns();
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	t = now_ns() - t;
	munmap(p, len);
	report("faults", t / (double)(len / 4096), "unit=ns/fault");
}

static void w_sha256(void)
{
	size_t len = size_mib * MIB;
	uint8_t *p = big(len, 1), out[CL_SHA256_LEN];
	char hex[2 * CL_SHA256_LEN + 8];
	struct cl_sha256 c;
	double t;

	if (!p)
		return fail("sha256", "cannot map %zu MiB", size_mib);
	fill(p, len);
	t = now_ns();
	cl_sha256_init(&c);
	cl_sha256_update(&c, p, len);
	cl_sha256_final(&c, out);
	t = now_ns() - t;
	munmap(p, len);
	strcpy(hex, "sha256=");
	for (int i = 0; i < CL_SHA256_LEN; i++)
		sprintf(hex + 7 + 2 * i, "%02x", out[i]);
	report("sha256", (double)len / MIB / (t / 1e9), hex);
}

static void w_memcpy(void)
{
	size_t len = size_mib * MIB;
	uint8_t *a = big(len, 1), *b = big(len, 1);
	unsigned long rounds = 4;
	double t;

	if (!a || !b)
		return fail("memcpy", "cannot map 2 x %zu MiB", size_mib);
	fill(a, len);
	memset(b, 0, len);
	t = now_ns();
	for (unsigned long i = 0; i < rounds; i++) {
		memcpy(b, a, len);
		__asm__ volatile("" : : "r"(b) : "memory");
	}
	t = now_ns() - t;
	if (memcmp(a, b, len))
		fail("memcpy", "the copy differs from its source");
	else
		report("memcpy", (double)(len * rounds) / MIB / (t / 1e9), "unit=MiB/s");
	munmap(a, len);
	munmap(b, len);
}

/* Sequential write + fsync, then read back (after dropping the file's clean
 * pages where the file system allows it), 1 MiB at a time. */
static void file_io(const char *dir, const char *name)
{
	char path[4200], wm[32], rm[32];
	size_t len = size_mib * MIB, chunk = MIB;
	uint8_t *buf = big(chunk, 0), *rd = big(chunk, 0);
	double t, tw, tr;
	int fd;

	snprintf(wm, sizeof(wm), "%s-write", name);
	snprintf(rm, sizeof(rm), "%s-read", name);
	if (!buf || !rd)
		return fail(wm, "cannot map buffers");
	fill(buf, chunk);
	snprintf(path, sizeof(path), "%s/cl-bench-file", dir);
	fd = make_file(path, O_RDWR);
	if (fd < 0) {
		fail(wm, "cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	t = now_ns();
	for (size_t off = 0; off < len; off += chunk)
		if (write(fd, buf, chunk) != (ssize_t)chunk) {
			fail(wm, "cannot write %s: %s", path, strerror(errno));
			goto out_close;
		}
	if (fsync(fd) < 0) {
		fail(wm, "cannot fsync %s: %s", path, strerror(errno));
		goto out_close;
	}
	tw = now_ns() - t;
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	t = now_ns();
	for (size_t off = 0; off < len; off += chunk)
		if (pread(fd, rd, chunk, (off_t)off) != (ssize_t)chunk || memcmp(rd, buf, chunk)) {
			/* what was written is not what was read: neither counts */
			fail(wm, "%s read back differs at %zu", path, off);
			fail(rm, "%s read back differs at %zu", path, off);
			goto out_close;
		}
	tr = now_ns() - t;
	report(wm, (double)len / MIB / (tw / 1e9), "unit=MiB/s");
	report(rm, (double)len / MIB / (tr / 1e9), "unit=MiB/s");
out_close:
	close(fd);
	unlink(path);
out:
	if (buf)
		munmap(buf, chunk);
	if (rd)
		munmap(rd, chunk);
}

static void w_fsync(void)
{
	char path[4200], block[4096];
	unsigned long n = count(200);
	double t;
	int fd;

	memset(block, 'f', sizeof(block));
	snprintf(path, sizeof(path), "%s/cl-bench-fsync", diskdir);
	fd = make_file(path, O_WRONLY);
	if (fd < 0)
		return fail("fsync", "cannot create %s: %s", path, strerror(errno));
	t = now_ns();
	for (unsigned long i = 0; i < n; i++)
		if (pwrite(fd, block, sizeof(block), (off_t)(i % 256) * 4096) != sizeof(block) ||
		    fdatasync(fd) < 0) {
			fail("fsync", "cannot write and sync %s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			return;
		}
	report("fsync", (now_ns() - t) / (double)n / 1000.0, "unit=us/write+fdatasync");
	close(fd);
	unlink(path);
}

/* The default peer: the default route's gateway (the bridge, for a
 * container; the host for a VM), else loopback. */
static const char *gateway(void)
{
	static char buf[INET_ADDRSTRLEN];
	char line[256], ifn[64];
	unsigned dst, gw, flags;
	FILE *f = fopen("/proc/net/route", "re");

	if (!f)
		return "127.0.0.1";
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %x %x %x", ifn, &dst, &gw, &flags) == 4 && !dst && gw) {
			struct in_addr a = {.s_addr = gw};

			fclose(f);
			return inet_ntop(AF_INET, &a, buf, sizeof(buf));
		}
	fclose(f);
	return "127.0.0.1";
}

static int peer(const char *metric, char mode)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	const char *a = addr ? addr : gateway();
	struct timeval tv = {.tv_sec = 30};
	int one = 1, fd;

	if (!port || inet_pton(AF_INET, a, &sa.sin_addr) != 1) {
		fail(metric, "no peer (-p PORT, -a IPV4)");
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fail(metric, "cannot connect to %s:%d: %s", a, port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char hello[9];

	memcpy(hello, &token, sizeof(token));
	hello[8] = mode;
	if (write(fd, hello, sizeof(hello)) != sizeof(hello)) {
		fail(metric, "cannot talk to %s:%d: %s", a, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* TCP stream: size MiB to the peer, which answers with the count it read. */
static void w_tcp_stream(void)
{
	size_t len = size_mib * MIB, chunk = 128 * 1024;
	uint8_t *buf = big(chunk, 0);
	uint64_t got = 0;
	double t;
	int fd;

	if (!buf)
		return fail("tcp-stream", "cannot map a buffer");
	fill(buf, chunk);
	fd = peer("tcp-stream", 's');
	if (fd < 0)
		goto out;
	t = now_ns();
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, buf, chunk);

		if (w <= 0) {
			fail("tcp-stream", "send: %s", w < 0 ? strerror(errno) : "closed");
			goto out_close;
		}
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	if (read(fd, &got, sizeof(got)) != sizeof(got) || got != len) {
		fail("tcp-stream", "the peer read %llu bytes of %zu", (unsigned long long)got, len);
		goto out_close;
	}
	t = now_ns() - t;
	report("tcp-stream", (double)len / MIB / (t / 1e9), "unit=MiB/s");
out_close:
	close(fd);
out:
	munmap(buf, chunk);
}

/* TCP request/response: one byte each way, the peer echoes it. */
static void w_tcp_rr(void)
{
	unsigned long n = count(10000);
	int fd = peer("tcp-rr", 'r');
	double t;

	if (fd < 0)
		return;
	t = now_ns();
	for (unsigned long i = 0; i < n; i++) {
		char c = (char)('a' + i % 26), r = 0;

		if (write(fd, &c, 1) != 1 || read(fd, &r, 1) != 1 || r != c) {
			fail("tcp-rr", "round trip %lu: %s", i,
			     r != c ? "wrong echo" : strerror(errno));
			close(fd);
			return;
		}
	}
	report("tcp-rr", (now_ns() - t) / (double)n / 1000.0, "unit=us/round-trip");
	close(fd);
}

static void on_term(int sig)
{
	(void)sig;
	_exit(0);
}

static int run(const char *w)
{
	if (!strcmp(w, "getppid"))
		w_getppid();
	else if (!strcmp(w, "openclose"))
		w_openclose();
	else if (!strcmp(w, "walk"))
		w_walk();
	else if (!strcmp(w, "forkexec"))
		w_forkexec();
	else if (!strcmp(w, "faults"))
		w_faults();
	else if (!strcmp(w, "sha256"))
		w_sha256();
	else if (!strcmp(w, "memcpy"))
		w_memcpy();
	else if (!strcmp(w, "tmpfs"))
		file_io(tmpdir, "tmpfs");
	else if (!strcmp(w, "disk"))
		file_io(diskdir, "disk");
	else if (!strcmp(w, "fsync"))
		w_fsync();
	else if (!strcmp(w, "true"))
		; /* nothing: a context that only starts */
	else if (!strcmp(w, "tcp")) {
		w_tcp_stream();
		w_tcp_rr();
	} else {
		fprintf(stderr, "cloison-bench-work: unknown workload %s\n", w);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	ssize_t n;
	int c;

	if (argc == 2 && (!strcmp(argv[1], "true") || !strcmp(argv[1], "exec-true")))
		return 0;
	if (argc == 2 && !strcmp(argv[1], "idle")) {
		signal(SIGTERM, on_term);
		signal(SIGINT, on_term);
		if (write(1, "ready\n", 6) != 6)
			return 1;
		for (;;)
			pause();
	}
	while ((c = getopt(argc, argv, "s:t:d:p:k:a:")) != -1) {
		switch (c) {
		case 's':
			size_mib = strtoul(optarg, NULL, 10);
			if (!size_mib || size_mib > 65536) {
				fprintf(stderr, "cloison-bench-work: -s %s: MiB from 1 to 65536\n",
					optarg);
				return 2;
			}
			scale = (double)size_mib / 256.0;
			break;
		case 't': tmpdir = optarg; break;
		case 'd': diskdir = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'k': token = strtoull(optarg, NULL, 16); break;
		case 'a': addr = optarg; break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr,
			"usage: cloison-bench-work [-s MIB] [-t TMPDIR] [-d DISKDIR] [-p PORT] "
			"[-k TOKEN] [-a IPV4] WORKLOAD...\n");
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0)
		self[n] = 0;
	else
		snprintf(self, sizeof(self), "%s", argv[0]);
	for (int i = optind; i < argc; i++)
		if (run(argv[i]) < 0)
			return 2;
	return failed;
}
