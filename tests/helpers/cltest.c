/* cltest: a static helper copied into the test rootfs.  Each sub-command tries
 * one escape or checks one property from inside the jail, and says what
 * happened.  Exit 0 = the jail held, 1 = it did not, 2 = the test itself failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* The classic chroot-in-chroot escape: chroot into a subdirectory without
 * entering it, climb with "..", chroot to where we are. */
static int chroot_escape(void)
{
	mkdir("/tmp/cltest-esc", 0700);
	if (chroot("/tmp/cltest-esc") < 0) {
		printf("chroot: %s\n", strerror(errno));
		return 0; /* no CAP_SYS_CHROOT: held */
	}
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0)
			break;
	if (chroot(".") < 0) {
		printf("chroot .: %s\n", strerror(errno));
		return 2;
	}
	if (access("/.cloison-rootfs", F_OK) == 0) {
		puts("contained: still in the jail's rootfs");
		return 0;
	}
	puts("escaped: / is not the jail's rootfs");
	return 1;
}

static int tiocsti(void)
{
	char c = 'x';

	if (ioctl(0, TIOCSTI, &c) < 0) {
		printf("TIOCSTI refused: %s\n", strerror(errno));
		return 0;
	}
	puts("TIOCSTI injected a character");
	return 1;
}

/* CVE-2019-5736: can the runtime's binary (our PID 1's) be reopened for write? */
static int exe_write(void)
{
	char path[64];
	int fd = open("/proc/1/exe", O_PATH | O_CLOEXEC);

	if (fd < 0) {
		printf("open /proc/1/exe: %s\n", strerror(errno));
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int w = open(path, O_WRONLY | O_CLOEXEC);
	if (w < 0) {
		printf("reopen for write: %s\n", strerror(errno));
		return 0;
	}
	if (write(w, "", 0) < 0 || ftruncate(w, 0) < 0) {
		printf("write: %s\n", strerror(errno));
		return 0;
	}
	puts("the PID 1 executable is writable");
	return 1;
}

/* ---- system calls, for the seccomp suites ---- */

#define S(x)                                                                                       \
	{                                                                                          \
#x, SYS_##x                                                                        \
	}
static const struct {
	const char *name;
	long nr;
} syscalls[] = {
    S(getpid),
    S(getppid),
    S(getuid),
    S(uname),
    S(mkdirat),
    S(chroot),
    S(ioctl),
    S(socket),
    S(unshare),
    S(clone),
    S(clone3),
    S(personality),
    S(ptrace),
    S(mount),
    S(umount2),
    S(pivot_root),
    S(reboot),
    S(kexec_load),
    S(kexec_file_load),
    S(bpf),
    S(keyctl),
    S(add_key),
    S(request_key),
    S(open_by_handle_at),
    S(init_module),
    S(finit_module),
    S(delete_module),
    S(userfaultfd),
    S(perf_event_open),
    S(swapon),
    S(swapoff),
    S(setns),
    S(iopl),
    S(ioperm),
    S(syslog),
    S(acct),
    S(settimeofday),
    S(clock_settime),
    S(process_vm_readv),
    S(kcmp),
    S(fsopen),
    S(open_tree),
    S(move_mount),
    S(quotactl),
    S(pidfd_getfd),
    S(io_uring_setup),
    S(set_mempolicy),
    S(mbind),
    S(vhangup),
    S(getrandom),
    S(sysinfo),
    S(sched_yield),
    S(seccomp),
    {NULL, 0},
};
#undef S

/* NAME, or #N for a raw number (calls newer than libseccomp) */
static long syscall_nr(const char *name)
{
	if (name[0] == '#')
		return strtol(name + 1, NULL, 0);
	for (int i = 0; syscalls[i].name; i++)
		if (!strcmp(syscalls[i].name, name))
			return syscalls[i].nr;
	return -1;
}

static const char *result(long r, int e, char buf[64])
{
	if (r >= 0)
		snprintf(buf, 64, "ok");
	else
		snprintf(buf, 64, "%s", strerrorname_np(e) ? strerrorname_np(e) : "?");
	return buf;
}

/* A raw call; clone and clone3 children exit at once. */
static long do_call(long nr, const long *a, int *e)
{
	long r;

	if (nr == SYS_clone3) {
		struct clone_args ca = {.flags = (uint64_t)a[0], .exit_signal = SIGCHLD};
		r = syscall(SYS_clone3, &ca, sizeof(ca));
	} else {
		r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	*e = errno;
	if ((nr == SYS_clone || nr == SYS_clone3) && r == 0)
		syscall(SYS_exit_group, 0);
	if ((nr == SYS_clone || nr == SYS_clone3) && r > 0)
		waitpid((pid_t)r, NULL, __WALL);
	return r;
}

static volatile sig_atomic_t trapped;
static void on_sigsys(int sig)
{
	(void)sig;
	trapped = 1;
}

struct call {
	long nr;
	long a[6];
	long r;
	int e;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;
	c->r = do_call(c->nr, c->a, &c->e);
	return NULL;
}

/* cltest syscall [--thread|--sigsys] NAME [ARG...]: prints "NAME: ok" or
 * "NAME: EPERM"; exit 0 when it succeeded, 1 when it failed. */
static int try_syscall(int argc, char **argv)
{
	struct call c = {0};
	int thread = 0, sigsys = 0, i = 2;
	char buf[64];

	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		thread |= !strcmp(argv[i], "--thread");
		sigsys |= !strcmp(argv[i], "--sigsys");
	}
	if (i >= argc || (c.nr = syscall_nr(argv[i])) < 0) {
		fprintf(stderr, "cltest: unknown system call %s\n", i < argc ? argv[i] : "");
		return 2;
	}
	for (int k = 0; k < 6 && i + 1 + k < argc; k++)
		c.a[k] = (long)strtoull(argv[i + 1 + k], NULL, 0);
	if (sigsys)
		signal(SIGSYS, on_sigsys);
	if (thread) {
		pthread_t t;
		pthread_create(&t, NULL, call_thread, &c);
		pthread_join(t, NULL);
	} else {
		call_thread(&c);
	}
	if (trapped) {
		printf("%s: SIGSYS\n", argv[i]);
		return 1;
	}
	printf("%s: %s\n", argv[i], result(c.r, c.e, buf));
	return c.r < 0;
}

/* cltest probe NAME...: each call, with arguments that are harmless when it
 * goes through (with every capability it fails on EFAULT, EINVAL, ... or
 * does nothing), one line "NAME RESULT" each. */
static int probe(int argc, char **argv)
{
	static const struct {
		const char *name;
		long a[6];
	} probes[] = {
	    {"mount", {0}},
	    {"umount2", {1}},
	    {"pivot_root", {1, 1}},
	    {"reboot", {0}},
	    {"kexec_load", {0, 0, 0, 0xffff0000}},
	    {"kexec_file_load", {-1, -1, 0, 0, 0xffff}},
	    {"bpf", {-1}},
	    {"perf_event_open", {1, 0, -1, -1, 0}},
	    {"userfaultfd", {0xffff}},
	    {"keyctl", {-1}},
	    {"add_key", {1, 1}},
	    {"request_key", {1, 1}},
	    {"ptrace", {0 /* PTRACE_TRACEME */}},
	    {"process_vm_readv", {0 /* self, below */}},
	    {"kcmp", {0, 0, 99}},
	    {"open_by_handle_at", {-1, 1}},
	    {"init_module", {0}},
	    {"finit_module", {-1, 1}},
	    {"delete_module", {1}},
	    {"swapon", {1}},
	    {"swapoff", {1}},
	    {"unshare", {CLONE_NEWUSER}},
	    {"clone", {CLONE_NEWUSER | SIGCHLD}},
	    {"setns", {-1}},
	    {"iopl", {4}},
	    {"ioperm", {0x10000, 1, 1}},
	    {"syslog", {-1}},
	    {"acct", {1}},
	    {"settimeofday", {1}},
	    {"clock_settime", {0, 1}},
	    {"fsopen", {1}},
	    {"open_tree", {-1, 1}},
	    {"move_mount", {-1, 1, -1, 1}},
	    {"quotactl", {0, 1}},
	    {"pidfd_getfd", {-1}},
	    {"personality", {0x0400000 /* READ_IMPLIES_EXEC */}},
	    {"io_uring_setup", {0, 1}},
	    {"set_mempolicy", {0}},
	    {NULL, {0}},
	};
	char buf[64];

	for (int i = 2; i < argc; i++) {
		int k, e;
		for (k = 0; probes[k].name && strcmp(probes[k].name, argv[i]); k++)
			;
		if (!probes[k].name) {
			fprintf(stderr, "cltest: no probe for %s\n", argv[i]);
			return 2;
		}
		long a[6];
		memcpy(a, probes[k].a, sizeof(a));
		if (!strcmp(argv[i], "process_vm_readv") || !strcmp(argv[i], "kcmp"))
			a[0] = getpid(), a[1] = !strcmp(argv[i], "kcmp") ? getpid() : 0;
		long r = do_call(syscall_nr(argv[i]), a, &e);
		printf("%s %s\n", argv[i], result(r, e, buf));
	}
	return 0;
}

/* The 32-bit entry point from a 64-bit process: int 0x80 with i386 numbers. */
static long int80(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* cltest int80|x32 NAME [ARG]: getpid, getppid or unshare through the i386
 * (int 0x80) or x32 (syscall with bit 30 set) entry; prints the result. */
static int other_abi(int argc, char **argv)
{
	static const struct {
		const char *name;
		long i386, x32;
	} nrs[] = {{"getpid", 20, 39}, {"getppid", 64, 110}, {"unshare", 310, 272}, {NULL, 0, 0}};
	long arg = argc > 3 ? (long)strtoull(argv[3], NULL, 0) : 0, r;
	int k;

	for (k = 0; nrs[k].name && (argc < 3 || strcmp(nrs[k].name, argv[2])); k++)
		;
	if (!nrs[k].name) {
		fputs("cltest: int80|x32 getpid|getppid|unshare [ARG]\n", stderr);
		return 2;
	}
	if (!strcmp(argv[1], "int80")) {
		r = int80(nrs[k].i386, arg, 0, 0);
	} else {
		r = syscall(0x40000000L | nrs[k].x32, arg);
		r = r < 0 ? -errno : r;
	}
	if (r < 0 && r > -4096)
		printf("%s %s: %s\n", argv[1], argv[2], strerrorname_np((int)-r));
	else
		printf("%s %s: ok %ld\n", argv[1], argv[2], r);
	return r < 0;
}

/* cltest notify LINE...: one sd_notify datagram of the LINEs (newline-
 * separated) to $NOTIFY_SOCKET ('@': abstract), as libsystemd sends it. */
static int notify(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = getenv("NOTIFY_SOCKET");
	char msg[4096] = "";
	size_t k = 0, n = path ? strlen(path) : 0;
	int fd;

	if (!n || n >= sizeof(sa.sun_path)) {
		fputs("cltest notify: no usable $NOTIFY_SOCKET\n", stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		k += (size_t)snprintf(msg + k, sizeof(msg) - k, "%s%s", i > 2 ? "\n" : "", argv[i]);
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), 0, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0) {
		printf("notify %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 &&
	    !strcmp(argv[1], "ids")) { /* a set-user-ID copy shows whose power it gives */
		printf("ruid=%u euid=%u\n", (unsigned)getuid(), (unsigned)geteuid());
		return 0;
	}
	if (argc < 2) {
		fputs("usage: cltest "
		      "chroot-escape|tiocsti|exe-write|syscall|probe|int80|x32|ids|notify "
		      "...\n",
		      stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "chroot-escape"))
		return chroot_escape();
	if (!strcmp(argv[1], "tiocsti"))
		return tiocsti();
	if (!strcmp(argv[1], "exe-write"))
		return exe_write();
	if (!strcmp(argv[1], "syscall"))
		return try_syscall(argc, argv);
	if (!strcmp(argv[1], "probe"))
		return probe(argc, argv);
	if (!strcmp(argv[1], "int80") || !strcmp(argv[1], "x32"))
		return other_abi(argc, argv);
	if (!strcmp(argv[1], "notify"))
		return notify(argc, argv);
	fprintf(stderr, "cltest: unknown test %s\n", argv[1]);
	return 2;
}
