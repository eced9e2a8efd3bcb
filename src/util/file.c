#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
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

void cl_trim_memory(void)
{
	struct {
		unsigned long start, end;
	} drop[64];
	int n = 0;
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512], perms[8] = "", name[64] = "";
	unsigned long start = 0, end = 0, inode = 0, here = (unsigned long)&n;

	malloc_trim(0);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b, kb;
		char p[8];
		if (sscanf(line, "%lx-%lx %7s %*x %*s %lu %63s", &a, &b, p, &inode, name) >= 4) {
			start = a;
			end = b;
			snprintf(perms, sizeof(perms), "%s", p);
			if (sscanf(line, "%*x-%*x %*s %*x %*s %*u %63s", name) != 1)
				name[0] = '\0';
			/* the stack below the caller's frame holds nothing live:
			 * what the set-up's deep calls used goes back */
			if (!strcmp(name, "[stack]") && here > a + 8192 && here < b && n < 64) {
				drop[n].start = a;
				drop[n++].end = (here & ~4095UL) - 8192;
			}
			continue;
		}
		/* never written (no private copy): the file holds what it held */
		if (sscanf(line, "Anonymous: %lu kB", &kb) == 1 && inode && kb == 0 &&
		    perms[1] != 'w' && perms[3] == 'p' && n < 64) {
			drop[n].start = start;
			drop[n++].end = end;
		}
	}
	fclose(f);
	/* last, in one go: reading the list above touched code of its own */
	for (int i = 0; i < n; i++)
		if (drop[i].end > drop[i].start)
			madvise((void *)drop[i].start, drop[i].end - drop[i].start, MADV_DONTNEED);
}
