/* cl_vm_run_jailed() (src/vm/jail.c) facing a compromised VMM: the VMM
 * child runs the cl_vm_run() below instead of the real one, and sends
 * whatever result it likes.  The unconfined parent must terminate and
 * length-check every field (built with ASan: an over-read fails here).
 *
 * The confine-ROLE-CALL and sigsys cases run the real confinement
 * (cl_vm_jail_enter, cl_vm_jail_thread) in that child instead: they need a
 * build without ASan (its runtime makes calls the filters refuse).
 *
 *   test_vm_jail CASE   runs one case; exit 0 = pass (confine-*: 0 = the
 *                       call was allowed, 99 = the VMM died of SIGSYS) */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/jail.h"
#include "vm/vm.h"

static const char *which;
static int pipefd[3]; /* read end, write end, a dup of the write end */

/* A thread of the confined "VMM": take @role's filter, then try one call. */
struct probe {
	enum cl_vm_thread_role role;
	const char *call;
};

static void *prober(void *arg)
{
	struct probe *p = arg;
	struct cl_err err = {0};
	char c;

	/* a disk thread may write its irqfd (here the pipe's write end) */
	if (cl_vm_jail_thread(p->role, p->role == CL_VM_THREAD_BLK ? pipefd[1] : -1, &err) < 0)
		return (void *)1;
	if (!strcmp(p->call, "write")) /* the pipe: the irqfd of a disk thread */
		return (void *)(intptr_t)(write(pipefd[1], "x", 1) == 1 ? 0 : 6);
	if (!strcmp(p->call, "write2")) /* another fd: a dup of the pipe */
		return (void *)(intptr_t)(write(pipefd[2], "x", 1) == 1 ? 0 : 7);
	if (!strcmp(p->call, "read"))
		return (void *)(intptr_t)(read(pipefd[0], &c, 1) == 1 ? 0 : 2);
	if (!strcmp(p->call, "kvm-run")) /* on a pipe: ENOTTY if the filter lets it by */
		return (void *)(intptr_t)(ioctl(pipefd[0], KVM_RUN, 0) < 0 && errno == ENOTTY ? 0
											      : 3);
	if (!strcmp(p->call, "pwrite")) /* ESPIPE on a pipe if let by */
		return (void *)(intptr_t)(pwrite(pipefd[1], "x", 1, 0) < 0 ? 0 : 4);
	return (void *)5;
}

/* "confine-ROLE-CALL": the real cl_vm_jail_enter, then a thread of ROLE
 * makes CALL; a call outside the role's filter kills the whole VMM. */
static int confined_probe(const struct cl_vm_config *cfg, int *guest_status, struct cl_err *err)
{
	struct probe p;
	pthread_t t;
	void *ret;
	char role[16], call[16];

	if (sscanf(which, "confine-%15[^-]-%15s", role, call) != 2)
		return cl_fail(err, 0, "bad case %s", which);
	p = (struct probe){!strcmp(role, "vcpu")  ? CL_VM_THREAD_VCPU
			   : !strcmp(role, "blk") ? CL_VM_THREAD_BLK
						  : CL_VM_THREAD_IO,
			   call};
	if (pipe(pipefd) < 0 || (pipefd[2] = dup(pipefd[1])) < 0 || write(pipefd[1], "x", 1) != 1)
		return cl_fail(err, errno, "pipe");
	if (cfg->confine(cfg, err) < 0)
		return -1;
	if (pthread_create(&t, NULL, prober, &p) != 0 || pthread_join(t, &ret) != 0)
		return cl_fail(err, 0, "cannot run the probe thread");
	/* PID 1 of its own PID namespace (getuid is not in the filter: the
	 * uid is checked from the host, tests/vm-jail.bats) */
	*guest_status = (int)(intptr_t)ret;
	if (!*guest_status && getpid() != 1)
		*guest_status = 10;
	return 0;
}

/* The "VMM": what a guest that took it over could make it report. */
int cl_vm_run(const struct cl_vm_config *cfg, int *guest_status, struct cl_err *err)
{
	if (!strncmp(which, "confine-", 8))
		return confined_probe(cfg, guest_status, err);
	if (!strcmp(which, "sigsys")) {
		/* confined, then a call no VMM thread makes */
		if (cfg->confine(cfg, err) < 0)
			return -1;
		socket(AF_INET, SOCK_STREAM, 0);
		return cl_fail(err, 0, "socket() was allowed");
	}
	if (!strcmp(which, "unterminated")) {
		/* every byte of the message, no NUL, then garbage in the fields */
		memset(err->msg, 'A', sizeof(err->msg));
		err->exit_code = 125;
		return -1;
	}
	if (!strcmp(which, "escapes")) {
		snprintf(err->msg, sizeof(err->msg), "bad\033]0;pwned\007\r\nline");
		err->exit_code = 125;
		return -1;
	}
	if (!strcmp(which, "status")) {
		*guest_status = 4242;
		return 0;
	}
	if (!strcmp(which, "exit-code")) {
		snprintf(err->msg, sizeof(err->msg), "odd exit code");
		err->exit_code = 0;
		return -1;
	}
	if (!strcmp(which, "flood") || !strcmp(which, "short")) {
		/* past child(): raw bytes on its result pipe (the only
		 * close-on-exec one), then exit 0 */
		char junk[4096];
		size_t n = !strcmp(which, "flood") ? sizeof(junk) : 10;
		struct stat st;

		memset(junk, 0xff, sizeof(junk));
		for (int fd = 3; fd < 64; fd++)
			if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
			    (fcntl(fd, F_GETFD) & FD_CLOEXEC) && write(fd, junk, n) < 0)
				continue;
		_exit(0);
	}
	if (!strcmp(which, "ok")) {
		*guest_status = 42;
		return 0;
	}
	return -1;
}

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s: check failed: %s (msg '%s')\n", which, #c, err.msg);  \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int main(int argc, char **argv)
{
	struct cl_vm_config cfg = {.kernel = "/nonexistent"};
	struct cl_err err;
	int status = -1, r;

	if (argc == 2 && !strncmp(argv[1], "confine-", 8)) {
		which = argv[1];
		memset(&err, 0, sizeof(err));
		r = cl_vm_run_jailed(&cfg, &status, &err);
		printf("%s: r=%d status=%d msg='%s'\n", which, r, status, err.msg);
		/* allowed: the call returned as it should (status 0, confined as
		 * an unprivileged PID 1); denied: the VMM was killed (SIGSYS) */
		return r == 0 ? status : strstr(err.msg, "(SIGSYS)") ? 99 : 98;
	}
	if (argc == 2 && !strcmp(argv[1], "sigsys")) {
		which = argv[1];
		memset(&err, 0, sizeof(err));
		r = cl_vm_run_jailed(&cfg, &status, &err);
		printf("%s: r=%d msg='%s'\n", which, r, err.msg);
		return r == -1 && err.exit_code == 125 && strstr(err.msg, "seccomp allow-list") ? 0
												: 1;
	}
	if (argc != 2) {
		fprintf(
		    stderr,
		    "usage: test_vm_jail unterminated|escapes|status|exit-code|flood|short|ok\n");
		return 2;
	}
	which = argv[1];
	memset(&err, 0, sizeof(err));
	r = cl_vm_run_jailed(&cfg, &status, &err);
	/* ASan: reads past err.msg if the parent copied an unterminated text */
	size_t len = strlen(err.msg);
	printf("%s: r=%d status=%d exit_code=%d msg='%s'\n", which, r, status, err.exit_code,
	       err.msg);
	if (!strcmp(which, "ok")) {
		CHECK(r == 0 && status == 42);
		return 0;
	}
	CHECK(r == -1);
	CHECK(len < sizeof(err.msg));
	CHECK(err.exit_code == 125);
	for (const char *p = err.msg; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	if (!strcmp(which, "status") || !strcmp(which, "exit-code"))
		CHECK(strstr(err.msg, "malformed result"));
	if (!strcmp(which, "flood") || !strcmp(which, "short"))
		CHECK(strstr(err.msg, "byte result"));
	return 0;
}
