#include "vm/guest_files.h"
#include "vm/boot_image.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CL_SHAREDIR
#define CL_SHAREDIR "/usr/local/share/cloison"
#endif

void cl_guest_spec_from_spec(const struct cl_spec *s, struct cl_guest_spec *g)
{
	*g = (struct cl_guest_spec){
	    .argv = s->argv,
	    .env = s->env,
	    .cwd = s->cwd,
	    .uid = s->uid,
	    .gid = s->gid,
	    .hostname = s->hostname,
	    .root_dev = s->disk ? "/dev/vda" : NULL,
	    .root_ro = s->readonly, /* the disk, or else the initramfs root */
	};
}

static int usable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int cl_guest_init_path(char *buf, size_t len, struct cl_err *err)
{
	const char *env = getenv("CLOISON_INIT");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		if (!usable(env))
			return cl_fail(err, errno ? errno : EACCES,
				       "CLOISON_INIT=%s is not an executable file", env);
		snprintf(buf, len, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			*slash = '\0';
			if (snprintf(buf, len, "%s/cloison-init", self) < (int)len && usable(buf))
				return 0;
		}
	}
	if (snprintf(buf, len, "%s/cloison-init", CL_SHAREDIR) < (int)len && usable(buf))
		return 0;
	return cl_fail(err, ENOENT,
		       "cannot find cloison-init next to cloison or in %s (set CLOISON_INIT)",
		       CL_SHAREDIR);
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The release the image itself declares (bzImage kernel_version: "6.1.0-56-
 * cloud-amd64 (debian-kernel@...) #1 SMP ..."), for kernels not named
 * vmlinuz-<release>. */
static void release_from_image(const char *kernel, char *rel, size_t len)
{
	struct cl_boot_image bi;
	struct cl_err err;
	struct stat st;
	int fd = open(kernel, O_RDONLY | O_CLOEXEC);
	void *map;

	rel[0] = '\0';
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED) {
		if (cl_boot_image_parse(map, (size_t)st.st_size, &bi, &err) == 0)
			snprintf(rel, len, "%.*s", (int)strcspn(bi.version, " "), bi.version);
		munmap(map, (size_t)st.st_size);
	}
	close(fd);
}

void cl_guest_modules_dir(const char *kernel, char *buf, size_t len)
{
	const char *v = strstr(kernel, "vmlinuz-");
	char rel[80];

	buf[0] = '\0';
	if (v && !strchr(v, '/') &&
	    snprintf(buf, len, "/lib/modules/%s", v + strlen("vmlinuz-")) < (int)len && is_dir(buf))
		return;
	release_from_image(kernel, rel, sizeof(rel));
	if (rel[0] && snprintf(buf, len, "/lib/modules/%s", rel) < (int)len && is_dir(buf))
		return;
	buf[0] = '\0';
}
