/* The words of a profile's seccomp lines: system call names (libseccomp's),
 * errno names, and the symbolic constants argument comparisons may use. */
#include "spec/profile_syscalls.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/ioctl.h>

#include "spec/settings.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

bool cl_syscall_known(const char *name)
{
	/* native numbers, or libseccomp's negative pseudo-numbers for calls
	 * only another ABI has (socketcall on i386) */
	return name[0] && seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

const char *cl_syscall_nearest(const char *word)
{
	static const char *names[1100];
	static size_t n;

	if (!n) {
		for (int nr = 0; nr < 1024 && n < 1099; nr++) {
			/* allocated by libseccomp, kept for the process's life */
			const char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
			if (s)
				names[n++] = s;
		}
		names[n] = NULL;
	}
	return cl_nearest(word, names);
}

int cl_errno_from_name(const char *s)
{
	unsigned long v;

	if (s[0] >= '0' && s[0] <= '9')
		return cl_setting_uint(s, 1, 4095, &v, NULL) < 0 ? -1 : (int)v;
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && strcmp(n, s) == 0)
			return e;
	}
	return -1;
}

const char *cl_errno_name(int e, char buf[16])
{
	const char *n = strerrorname_np(e);

	if (n)
		return n;
	snprintf(buf, 16, "%d", e);
	return buf;
}

struct sc_const {
	const char *name;
	uint64_t value;
};

#define C(x)                                                                                       \
	{                                                                                          \
#x, (uint64_t)(x)                                                                  \
	}
static const struct sc_const consts[] = {
    /* address families: socket(2) arg0 */
    C(AF_UNSPEC),
    C(AF_UNIX),
    C(AF_LOCAL),
    C(AF_INET),
    C(AF_INET6),
    C(AF_NETLINK),
    C(AF_PACKET),
    C(AF_KEY),
    C(AF_ALG),
    C(AF_BLUETOOTH),
    C(AF_VSOCK),
    C(AF_CAN),
    C(AF_TIPC),
    C(AF_APPLETALK),
    C(AF_X25),
    C(AF_AX25),
    C(AF_RDS),
    C(AF_XDP),
    /* socket types: arg1 */
    C(SOCK_STREAM),
    C(SOCK_DGRAM),
    C(SOCK_RAW),
    C(SOCK_SEQPACKET),
    C(SOCK_PACKET),
    C(SOCK_NONBLOCK),
    C(SOCK_CLOEXEC),
    /* clone(2) arg0, unshare(2) arg0 */
    C(CLONE_VM),
    C(CLONE_FS),
    C(CLONE_FILES),
    C(CLONE_SIGHAND),
    C(CLONE_PIDFD),
    C(CLONE_PTRACE),
    C(CLONE_VFORK),
    C(CLONE_PARENT),
    C(CLONE_THREAD),
    C(CLONE_NEWNS),
    C(CLONE_SYSVSEM),
    C(CLONE_SETTLS),
    C(CLONE_PARENT_SETTID),
    C(CLONE_CHILD_CLEARTID),
    C(CLONE_UNTRACED),
    C(CLONE_CHILD_SETTID),
    C(CLONE_NEWCGROUP),
    C(CLONE_NEWUTS),
    C(CLONE_NEWIPC),
    C(CLONE_NEWUSER),
    C(CLONE_NEWPID),
    C(CLONE_NEWNET),
    C(CLONE_IO),
    C(CLONE_NEWTIME),
    /* cloison's own: every namespace flag clone(2) takes (CLONE_NEWTIME
     * shares its bit with the exit signal there) */
    {"CLONE_NS_FLAGS", CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
			   CLONE_NEWPID | CLONE_NEWNET},
    /* mmap(2), mprotect(2) */
    C(PROT_NONE),
    C(PROT_READ),
    C(PROT_WRITE),
    C(PROT_EXEC),
    C(MAP_SHARED),
    C(MAP_PRIVATE),
    C(MAP_FIXED),
    C(MAP_ANONYMOUS),
    /* open(2) flags */
    C(O_RDONLY),
    C(O_WRONLY),
    C(O_RDWR),
    C(O_CREAT),
    C(O_EXCL),
    C(O_TRUNC),
    C(O_APPEND),
    C(O_NONBLOCK),
    C(O_DIRECTORY),
    C(O_NOFOLLOW),
    C(O_CLOEXEC),
    C(O_PATH),
    C(O_TMPFILE),
    /* personality(2) */
    C(PER_LINUX),
    C(PER_LINUX32),
    C(UNAME26),
    C(ADDR_NO_RANDOMIZE),
    C(READ_IMPLIES_EXEC),
    C(ADDR_LIMIT_32BIT),
    C(MMAP_PAGE_ZERO),
    /* ioctl(2) requests */
    C(TIOCSTI),
    C(TIOCLINUX),
    C(TIOCSCTTY),
    C(FIONREAD),
    C(FIONBIO),
    /* ptrace(2) requests */
    C(PTRACE_TRACEME),
    C(PTRACE_ATTACH),
    C(PTRACE_SEIZE),
    C(PTRACE_PEEKDATA),
    /* prctl(2) options */
    C(PR_SET_NAME),
    C(PR_GET_NAME),
    C(PR_SET_SECCOMP),
    C(PR_SET_NO_NEW_PRIVS),
    C(PR_SET_DUMPABLE),
    C(PR_SET_PDEATHSIG),
    {NULL, 0},
};
#undef C

static int one_value(const char *t, uint64_t *out, struct cl_err *err)
{
	const char *names[sizeof(consts) / sizeof(consts[0])];
	char *end;
	size_t n = 0;

	if ((t[0] >= '0' && t[0] <= '9') || (t[0] == '-' && t[1] >= '0' && t[1] <= '9')) {
		errno = 0;
		if (t[0] == '-')
			*out = (uint64_t)strtoll(t, &end, 0);
		else
			*out = strtoull(t, &end, 0);
		if (errno || *end)
			return cl_fail(err, 0, "invalid number '%s'", t);
		return 0;
	}
	for (const struct sc_const *c = consts; c->name; c++) {
		if (strcmp(c->name, t) == 0) {
			*out = c->value;
			return 0;
		}
		names[n++] = c->name;
	}
	names[n] = NULL;
	const char *hint = t[0] ? cl_nearest(t, names) : NULL;
	if (hint)
		return cl_fail(err, 0, "unknown constant '%s' (did you mean %s?)", t, hint);
	return cl_fail(err, 0,
		       "unknown constant '%s': expected a number or a name such as AF_NETLINK or "
		       "CLONE_NEWUSER",
		       t);
}

int cl_sc_value(const char *text, uint64_t *out, struct cl_err *err)
{
	char part[64];
	uint64_t v = 0;

	for (const char *p = text;;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		uint64_t one;

		if (len == 0 || len >= sizeof(part))
			return cl_fail(
			    err, 0,
			    "invalid value '%s': expected a number or constants joined by '|'",
			    text);
		memcpy(part, p, len);
		part[len] = '\0';
		if (one_value(part, &one, err) < 0)
			return -1;
		v |= one;
		if (!bar)
			break;
		p = bar + 1;
	}
	*out = v;
	return 0;
}
