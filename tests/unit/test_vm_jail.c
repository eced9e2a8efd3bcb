/* cl_vm_run_jailed() (src/vm/jail.c) facing a compromised VMM: the VMM
 * child runs the cl_vm_run() below instead of the real one, and sends
 * whatever result it likes.  The unconfined parent must terminate and
 * length-check every field (built with ASan: an over-read fails here).
 *
 *   test_vm_jail CASE   runs one case; exit 0 = pass */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vm/jail.h"
#include "vm/vm.h"

static const char *which;

/* The "VMM": what a guest that took it over could make it report. */
int cl_vm_run(const struct cl_vm_config *cfg, int *guest_status, struct cl_err *err)
{
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
