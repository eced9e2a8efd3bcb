/* cltest: a static helper copied into the test rootfs.  Each sub-command tries
 * one escape or checks one property from inside the jail, and says what
 * happened.  Exit 0 = the jail held, 1 = it did not, 2 = the test itself failed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: cltest chroot-escape|tiocsti|exe-write\n", stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(argv[1], "chroot-escape"))
		return chroot_escape();
	if (!strcmp(argv[1], "tiocsti"))
		return tiocsti();
	if (!strcmp(argv[1], "exe-write"))
		return exe_write();
	fprintf(stderr, "cltest: unknown test %s\n", argv[1]);
	return 2;
}
