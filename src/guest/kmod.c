#include "guest/kmod.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

int cl_guest_load_modules(const char *dir, struct cl_err *err)
{
	char path[PATH_MAX], line[256];
	_cleanup_fclose_ FILE *order = NULL;

	snprintf(path, sizeof(path), "%s/order", dir);
	if (!(order = fopen(path, "re")))
		return errno == ENOENT ? 0 : cl_fail(err, errno, "cannot open %s", path);
	while (fgets(line, sizeof(line), order)) {
		_cleanup_close_ int fd = -1;

		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		if (strchr(line, '/'))
			return cl_fail(err, EINVAL, "bad module name '%s' in %s/order", line, dir);
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return cl_fail(err, errno, "cannot open module %s", path);
		if (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)
			return cl_fail(err, errno, "cannot load module %s", path);
	}
	return 0;
}
