/* A writer for the "newc" cpio format, the one the Linux kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst):
 * a 110-byte ASCII header per entry, the NUL-terminated name, the data, each
 * padded to 4 bytes, and a "TRAILER!!!" entry at the end. */
#ifndef CL_VM_CPIO_H
#define CL_VM_CPIO_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "util/error.h"

struct cl_cpio {
	FILE *f;
	const char *path; /* for messages */
	uint32_t next_ino;
};

struct cl_cpio_meta {
	mode_t mode; /* type and permission bits */
	uid_t uid;
	gid_t gid;
	uint32_t mtime;
	dev_t rdev; /* device nodes */
};

void cl_cpio_init(struct cl_cpio *c, FILE *f, const char *path);
/* Any entry whose data is in memory (regular file, symlink target, or none
 * for directories, devices and fifos).  @name has no leading '/'. */
int cl_cpio_add(struct cl_cpio *c, const char *name, const struct cl_cpio_meta *m, const void *data,
		size_t len, struct cl_err *err);
/* A regular file whose data is read from @fd (@size bytes). */
int cl_cpio_add_fd(struct cl_cpio *c, const char *name, const struct cl_cpio_meta *m, int fd,
		   uint64_t size, struct cl_err *err);
/* The closing "TRAILER!!!" entry. */
int cl_cpio_finish(struct cl_cpio *c, struct cl_err *err);

#endif
