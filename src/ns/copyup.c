/* tmpcopyup (podman's, crun's): a tmpfs mounted on a directory of the
 * rootfs starts with a copy of what the directory held. */
#include "ns/copyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

static int copy_file(int from, int to, struct cl_err *err)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(from, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(to, buf + off, (size_t)(n - off));
			if (w < 0)
				return cl_fail(err, errno, "tmpcopyup: cannot write");
			off += w;
		}
	return n < 0 ? cl_fail(err, errno, "tmpcopyup: cannot read") : 0;
}

int cl_copy_tree(int src, int dst, int depth, struct cl_err *err)
{
	_cleanup_close_ int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d)
		return cl_fail(err, errno, "tmpcopyup: cannot read a directory");
	fd = -1; /* the DIR's now */
	if (depth > 64) {
		closedir(d);
		return cl_fail(err, ELOOP, "tmpcopyup: too deep");
	}
	while (r == 0 && (e = readdir(d))) {
		struct stat st;
		const char *n = e->d_name;

		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = cl_fail(err, errno, "tmpcopyup: cannot stat %s", n);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst, n, st.st_mode & 07777) < 0 && errno != EEXIST) {
				r = cl_fail(err, errno, "tmpcopyup: cannot make %s", n);
				break;
			}
			_cleanup_close_ int s2 =
			    openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int d2 =
			    openat(dst, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0)
				r = cl_fail(err, errno, "tmpcopyup: cannot open %s", n);
			else
				r = cl_copy_tree(s2, d2, depth + 1, err);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t len = readlinkat(dirfd(d), n, target, sizeof(target) - 1);
			if (len < 0) {
				r = cl_fail(err, errno, "tmpcopyup: cannot read the link %s", n);
				break;
			}
			target[len] = '\0';
			if (symlinkat(target, dst, n) < 0)
				r = cl_fail(err, errno, "tmpcopyup: cannot link %s", n);
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_close_ int in =
			    openat(dirfd(d), n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int out =
			    openat(dst, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				   st.st_mode & 07777);
			if (in < 0 || out < 0)
				r = cl_fail(err, errno, "tmpcopyup: cannot copy %s", n);
			else
				r = copy_file(in, out, err);
		} else {
			continue; /* sockets, fifos, device nodes: not copied */
		}
		if (r == 0 &&
		    (fchownat(dst, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
		     (!S_ISLNK(st.st_mode) && fchmodat(dst, n, st.st_mode & 07777, 0) < 0)))
			r = cl_fail(err, errno, "tmpcopyup: cannot set the owner or mode of %s", n);
	}
	closedir(d);
	return r;
}
