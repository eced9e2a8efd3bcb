/* Test driver for the initramfs writer and the guest spec encoder:
 *   cl-mkinitramfs --init PATH --cache DIR [--rootfs DIR] [--modules DIR]
 *                  [--root DEV] [--rootro] [--hostname H] [--cwd D] [--uid N]
 *                  [--gid N] [--env K=V]... [--console DEV] -- CMD [ARG...]
 * prints the image's path;
 *   cl-mkinitramfs --spec-out FILE [same spec options] -- CMD [ARG...]
 * writes only the encoded spec (for running cloison-init in a jail);
 *   cl-mkinitramfs --sha256 FILE
 * prints the SHA-256 of FILE as util/sha256.c computes it, fed in uneven
 * pieces (the tests compare it with sha256sum). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include "guest/spec.h"
#include "util/sha256.h"
#include "vm/initramfs.h"

static int sha256_file(const char *path)
{
	struct cl_sha256 c;
	uint8_t buf[4096], d[CL_SHA256_LEN];
	ssize_t n;
	size_t piece = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		perror(path);
		return 1;
	}
	cl_sha256_init(&c);
	/* pieces of 1, 2, ... 97 bytes: every offset within a block is met */
	while ((n = read(fd, buf, piece)) > 0) {
		cl_sha256_update(&c, buf, (size_t)n);
		piece = piece % 97 + 1;
	}
	close(fd);
	cl_sha256_final(&c, d);
	for (int i = 0; i < CL_SHA256_LEN; i++)
		printf("%02x", d[i]);
	printf("\n");
	return n < 0;
}

int main(int argc, char **argv)
{
	const char *init = NULL, *cache = NULL, *rootfs = NULL, *modules = NULL, *spec_out = NULL;
	struct cl_guest_spec s = {0};
	char *env[64] = {NULL}, out[PATH_MAX];
	size_t nenv = 0;
	struct cl_err err = {0};
	int i;

	if (argc == 3 && !strcmp(argv[1], "--sha256"))
		return sha256_file(argv[2]);
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(o, "--rootro")) {
			s.root_ro = true;
			continue;
		}
		if (!v) {
			fprintf(stderr, "%s needs a value\n", o);
			return 2;
		}
		i++;
		if (!strcmp(o, "--init"))
			init = v;
		else if (!strcmp(o, "--cache"))
			cache = v;
		else if (!strcmp(o, "--rootfs"))
			rootfs = v;
		else if (!strcmp(o, "--modules"))
			modules = v;
		else if (!strcmp(o, "--spec-out"))
			spec_out = v;
		else if (!strcmp(o, "--root"))
			s.root_dev = (char *)v;
		else if (!strcmp(o, "--hostname"))
			s.hostname = (char *)v;
		else if (!strcmp(o, "--cwd"))
			s.cwd = (char *)v;
		else if (!strcmp(o, "--console"))
			s.console = (char *)v;
		else if (!strcmp(o, "--uid"))
			s.uid = atoi(v);
		else if (!strcmp(o, "--gid"))
			s.gid = atoi(v);
		else if (!strcmp(o, "--env") && nenv < 63)
			env[nenv++] = (char *)v;
		else {
			fprintf(stderr, "unknown option %s\n", o);
			return 2;
		}
	}
	if (i >= argc - 1) {
		fprintf(stderr, "usage: see the top of tests/vm/mkinitramfs.c\n");
		return 2;
	}
	s.argv = argv + i + 1;
	s.env = nenv ? env : NULL;
	if (spec_out) {
		char *buf;
		size_t len;
		FILE *f;
		if (cl_guest_spec_encode(&s, &buf, &len, &err) < 0) {
			cl_err_print(&err);
			return 1;
		}
		if (!(f = fopen(spec_out, "w")) || fwrite(buf, 1, len, f) != len || fclose(f)) {
			perror(spec_out);
			return 1;
		}
		free(buf);
		return 0;
	}
	if (!init || !cache) {
		fprintf(stderr, "--init and --cache are required\n");
		return 2;
	}
	if (cl_initramfs_build(rootfs, NULL, 0, &s, modules, init, cache, out, sizeof(out), &err) <
	    0) {
		cl_err_print(&err);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}
