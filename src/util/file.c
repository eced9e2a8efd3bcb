#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util/cleanup.h"

int cl_read_file(const char *path, const char *what, size_t max, uint8_t **buf, size_t *len,
		 struct cl_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ uint8_t *b = NULL;
	struct stat st;
	size_t done = 0;

	if (fd < 0)
		return cl_fail(err, errno, "cannot open %s %s", what, path);
	if (fstat(fd, &st) < 0)
		return cl_fail(err, errno, "cannot stat %s %s", what, path);
	if (!S_ISREG(st.st_mode))
		return cl_fail(err, 0, "%s %s is not a regular file", what, path);
	if ((uint64_t)st.st_size > max)
		return cl_fail(err, EFBIG, "cannot read %s %s (%lld bytes, at most %zu)", what,
			       path, (long long)st.st_size, max);
	if (!(b = malloc((size_t)st.st_size + 1)))
		return cl_fail(err, ENOMEM, "cannot read %s %s", what, path);
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, b + done, (size_t)st.st_size - done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cl_fail(err, errno, "cannot read %s %s", what, path);
		if (r == 0)
			break; /* shrank under us: what we have is what there is */
		done += (size_t)r;
	}
	*len = done;
	*buf = cl_steal_ptr(&b);
	return 0;
}

void cl_set_title(const char *title)
{
	char buf[4096];
	ssize_t len = 0, n;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		len += n;
	close(fd);
	if (len > 1) {
		memset(program_invocation_name, 0, (size_t)len);
		snprintf(program_invocation_name, (size_t)len, "%s", title);
	}
	prctl(PR_SET_NAME, title);
}
