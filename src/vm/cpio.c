#include "vm/cpio.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

void cl_cpio_init(struct cl_cpio *c, FILE *f, const char *path)
{
	c->f = f;
	c->path = path;
	c->next_ino = 1; /* each entry its own inode: hard links become copies */
}

static int pad4(struct cl_cpio *c, struct cl_err *err)
{
	static const char zeros[4];
	long pos = ftell(c->f);

	if (pos < 0)
		return cl_fail(err, errno, "cannot write %s", c->path);
	if (pos % 4 && fwrite(zeros, 1, 4 - pos % 4, c->f) != (size_t)(4 - pos % 4))
		return cl_fail(err, errno, "cannot write %s", c->path);
	return 0;
}

static int header(struct cl_cpio *c, const char *name, const struct cl_cpio_meta *m, uint64_t size,
		  struct cl_err *err)
{
	size_t namesize = strlen(name) + 1;
	bool dir = S_ISDIR(m->mode);
	char h[111];

	if (size > UINT32_MAX)
		return cl_fail(err, EFBIG, "cannot put %s in %s: newc holds files under 4 GiB",
			       name, c->path);
	snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 c->next_ino++, (unsigned)m->mode, (unsigned)m->uid, (unsigned)m->gid,
		 dir ? 2u : 1u, (unsigned)m->mtime, (unsigned)size, 0u, 0u,
		 (unsigned)major(m->rdev), (unsigned)minor(m->rdev), (unsigned)namesize, 0u);
	if (fwrite(h, 1, 110, c->f) != 110 || fwrite(name, 1, namesize, c->f) != namesize)
		return cl_fail(err, errno, "cannot write %s", c->path);
	return pad4(c, err);
}

int cl_cpio_add(struct cl_cpio *c, const char *name, const struct cl_cpio_meta *m, const void *data,
		size_t len, struct cl_err *err)
{
	if (header(c, name, m, len, err) < 0)
		return -1;
	if (len && fwrite(data, 1, len, c->f) != len)
		return cl_fail(err, errno, "cannot write %s", c->path);
	return pad4(c, err);
}

int cl_cpio_add_fd(struct cl_cpio *c, const char *name, const struct cl_cpio_meta *m, int fd,
		   uint64_t size, struct cl_err *err)
{
	char buf[65536];
	uint64_t left = size;

	if (header(c, name, m, size, err) < 0)
		return -1;
	while (left) {
		ssize_t n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			/* the header promised @size bytes: a file that shrank is an error */
			return cl_fail(err, n < 0 ? errno : EIO,
				       "cannot read %s (changed while archived?)", name);
		if (fwrite(buf, 1, n, c->f) != (size_t)n)
			return cl_fail(err, errno, "cannot write %s", c->path);
		left -= n;
	}
	return pad4(c, err);
}

int cl_cpio_finish(struct cl_cpio *c, struct cl_err *err)
{
	struct cl_cpio_meta m = {.mode = 0};

	if (cl_cpio_add(c, "TRAILER!!!", &m, NULL, 0, err) < 0)
		return -1;
	if (fflush(c->f) != 0)
		return cl_fail(err, errno, "cannot write %s", c->path);
	return 0;
}
