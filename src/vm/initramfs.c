#include "vm/initramfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "guest/spec.h"
#include "util/cleanup.h"
#include "util/sha256.h"
#include "vm/cpio.h"
#include "vm/kmod.h"

#define FORMAT_TAG "cloison-initramfs-2" /* bump when the layout changes */
#define HASH_HEX   32			 /* first 128 bits of SHA-256, in hex */

/* Length-prefixed, so that no two input sequences hash alike. */
static void hash_add(struct cl_sha256 *md, const void *data, size_t len)
{
	uint64_t n = len;

	cl_sha256_update(md, &n, sizeof(n));
	cl_sha256_update(md, data, len);
}

static void hash_str(struct cl_sha256 *md, const char *s)
{
	hash_add(md, s, strlen(s));
}

static void hash_hex(struct cl_sha256 *md, char hex[HASH_HEX + 1])
{
	uint8_t d[CL_SHA256_LEN];

	cl_sha256_final(md, d);
	for (int i = 0; i < HASH_HEX / 2; i++)
		sprintf(hex + 2 * i, "%02x", d[i]);
}

/* A file enters the key through its metadata, never its bytes: any write
 * changes ctime, which only root can set back (the clock). */
static void hash_stat(struct cl_sha256 *md, const struct stat *st)
{
	uint64_t meta[] = {st->st_mode,	       st->st_uid,	   st->st_gid,
			   st->st_size,	       st->st_rdev,	   st->st_ino,
			   st->st_dev,	       st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			   st->st_ctim.tv_sec, st->st_ctim.tv_nsec};

	hash_add(md, meta, sizeof(meta));
}

static int hash_file(struct cl_sha256 *md, const char *path, struct cl_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return cl_fail(err, errno, "cannot stat %s", path);
	hash_str(md, path);
	hash_stat(md, &st);
	return 0;
}

/* --- the rootfs tree ----------------------------------------------------- */

/* Called for every entry in name order, parents before children; @rel has no
 * leading '/'.  @dirfd/@name locate the entry itself.  Returns 0, 1 to leave
 * the entry and its subtree out, or -1 (err set). */
typedef int (*walk_fn)(void *ctx, const char *rel, int dirfd, const char *name,
		       const struct stat *st, struct cl_err *err);

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Walk the directory @fd (whose path is @rel), staying on @dev (as find -xdev:
 * a mount inside the rootfs is shipped as an empty directory). */
static int walk(int fd, const char *rel, dev_t dev, walk_fn fn, void *ctx, struct cl_err *err)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	char **names = NULL, child[PATH_MAX];
	size_t n = 0;
	int r = 0;

	if (!d) {
		close(fd);
		return cl_fail(err, errno, "cannot read the directory %s", rel[0] ? rel : "/");
	}
	while ((de = readdir(d))) {
		char **bigger;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* the image's own /init and /.cloison replace the rootfs's */
		if (!rel[0] && (!strcmp(de->d_name, "init") || !strcmp(de->d_name, ".cloison")))
			continue;
		if (!(bigger = realloc(names, (n + 1) * sizeof(*names))) ||
		    !(bigger[n] = strdup(de->d_name))) {
			free_names(bigger ? bigger : names, n);
			closedir(d);
			return cl_fail(err, ENOMEM, "cannot list %s", rel);
		}
		names = bigger;
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct stat st;

		if (snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "", names[i]) >=
		    (int)sizeof(child)) {
			r = cl_fail(err, ENAMETOOLONG, "path too long under %s", rel);
			break;
		}
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = cl_fail(err, errno, "cannot stat %s", child);
			break;
		}
		if (S_ISSOCK(st.st_mode))
			continue; /* a socket file means nothing in a new kernel */
		r = fn(ctx, child, dirfd(d), names[i], &st, err);
		if (r == 1) { /* the entry and what is below it are replaced */
			r = 0;
			continue;
		}
		if (r == 0 && S_ISDIR(st.st_mode) && st.st_dev == dev) {
			int sub = openat(dirfd(d), names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				r = cl_fail(err, errno, "cannot open %s", child);
			else
				r = walk(sub, child, dev, fn, ctx, err);
		}
	}
	free_names(names, n);
	closedir(d);
	return r;
}

static int walk_rootfs(const char *rootfs, walk_fn fn, void *ctx, struct cl_err *err)
{
	int fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return cl_fail(err, e, "cannot open the rootfs %s", rootfs);
	}
	if (walk(fd, "", st.st_dev, fn, ctx, err) < 0)
		return cl_wrap(err, "rootfs %s", rootfs);
	return 0;
}

static int hash_entry(void *ctx, const char *rel, int dirfd, const char *name,
		      const struct stat *st, struct cl_err *err)
{
	struct cl_sha256 *md = ctx;

	hash_str(md, rel);
	hash_stat(md, st);
	return 0;
}

struct writer {
	struct cl_cpio cpio;
	bool has_dev;
	const struct cl_initramfs_bind *binds;
	size_t n_binds;
};

/* Is @rel (no leading '/') the destination of a bind? */
static bool bind_target(const struct writer *w, const char *rel)
{
	for (size_t i = 0; i < w->n_binds; i++)
		if (!strcmp(w->binds[i].dest + strspn(w->binds[i].dest, "/"), rel))
			return true;
	return false;
}

static struct cl_cpio_meta meta_of(const struct stat *st)
{
	return (struct cl_cpio_meta){
	    .mode = st->st_mode,
	    .uid = st->st_uid,
	    .gid = st->st_gid,
	    .mtime = st->st_mtim.tv_sec < 0 ? 0 : (uint32_t)st->st_mtim.tv_sec,
	    .rdev = st->st_rdev,
	};
}

static int write_entry(void *ctx, const char *rel, int dirfd, const char *name,
		       const struct stat *st, struct cl_err *err)
{
	struct writer *w = ctx;
	struct cl_cpio_meta m = meta_of(st);

	if (bind_target(w, rel))
		return 1; /* a bind hides it, as in a container */
	if (!strcmp(rel, "dev") && S_ISDIR(st->st_mode))
		w->has_dev = true;
	if (S_ISREG(st->st_mode)) {
		_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return cl_fail(err, errno, "cannot open %s", rel);
		return cl_cpio_add_fd(&w->cpio, rel, &m, fd, st->st_size, err);
	}
	if (S_ISLNK(st->st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
		if (n < 0 || n == (ssize_t)sizeof(target))
			return cl_fail(err, n < 0 ? errno : ENAMETOOLONG, "cannot read the link %s",
				       rel);
		return cl_cpio_add(&w->cpio, rel, &m, target, n, err);
	}
	return cl_cpio_add(&w->cpio, rel, &m, NULL, 0, err); /* dir, device, fifo */
}

/* --- binds (--bind SRC:DST:ro) ------------------------------------------- */

/* The directories above @dest that @rootfs lacks, outermost first. */
static int add_parents(struct writer *w, const char *rootfs, const char *dest, struct cl_err *err)
{
	struct cl_cpio_meta dir = {.mode = S_IFDIR | 0755};
	char rel[PATH_MAX], path[PATH_MAX * 2];
	struct stat st;

	snprintf(rel, sizeof(rel), "%s", dest + strspn(dest, "/"));
	for (char *p = strchr(rel, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		snprintf(path, sizeof(path), "%s/%s", rootfs, rel);
		if (lstat(path, &st) < 0 && cl_cpio_add(&w->cpio, rel, &dir, NULL, 0, err) < 0)
			return -1;
		*p = '/';
	}
	return 0;
}

static int add_bind(struct writer *w, const char *rootfs, const struct cl_initramfs_bind *b,
		    struct cl_err *err)
{
	const char *rel = b->dest + strspn(b->dest, "/");
	_cleanup_close_ int fd = open(b->source, O_RDONLY | O_CLOEXEC);
	struct cl_cpio_meta m;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return cl_fail(err, errno, "cannot open the bind source %s", b->source);
	if (add_parents(w, rootfs, b->dest, err) < 0)
		return -1;
	m = meta_of(&st);
	if (S_ISREG(st.st_mode))
		return cl_cpio_add_fd(&w->cpio, rel, &m, fd, st.st_size, err);
	if (!S_ISDIR(st.st_mode))
		return cl_fail(err, 0, "bind source %s is neither a directory nor a regular file",
			       b->source);
	if (cl_cpio_add(&w->cpio, rel, &m, NULL, 0, err) < 0)
		return -1;
	if (walk(cl_steal_fd(&fd), rel, st.st_dev, write_entry, w, err) < 0)
		return cl_wrap(err, "bind source %s", b->source);
	return 0;
}

static int hash_bind(struct cl_sha256 *md, const struct cl_initramfs_bind *b, struct cl_err *err)
{
	struct stat st;

	hash_str(md, b->dest);
	if (stat(b->source, &st) < 0)
		return cl_fail(err, errno, "cannot open the bind source %s", b->source);
	if (!S_ISDIR(st.st_mode))
		return hash_file(md, b->source, err);
	hash_str(md, b->source);
	hash_stat(md, &st);
	return walk_rootfs(b->source, hash_entry, md, err);
}

/* --- the image ----------------------------------------------------------- */

static int add_modules(struct cl_cpio *c, const char *modules_dir, struct cl_err *err)
{
	static const char *const wanted[] = {CL_INITRAMFS_MODULES, NULL};
	struct cl_kmod_list l;
	struct cl_cpio_meta file = {.mode = S_IFREG | 0644};
	char path[PATH_MAX], base[NAME_MAX + 1], name[PATH_MAX];
	_cleanup_free_ char *order = NULL;
	size_t olen = 0;
	int r = 0;

	if (cl_kmod_resolve(modules_dir, wanted, &l, err) < 0)
		return -1;
	if (!(order = calloc(l.n + 1, NAME_MAX + 2))) {
		cl_kmod_list_free(&l);
		return cl_fail(err, ENOMEM, "cannot list the modules");
	}
	for (size_t i = 0; i < l.n && r == 0; i++) {
		_cleanup_free_ void *data = NULL;
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", modules_dir, l.paths[i]);
		cl_kmod_basename(l.paths[i], base, sizeof(base));
		snprintf(name, sizeof(name), "%s/%s", CL_GUEST_MODULES_DIR + 1, base);
		r = cl_kmod_read(path, &data, &len, err);
		if (r == 0)
			r = cl_cpio_add(c, name, &file, data, len, err);
		olen += sprintf(order + olen, "%s\n", base);
	}
	cl_kmod_list_free(&l);
	if (r == 0) {
		snprintf(name, sizeof(name), "%s/order", CL_GUEST_MODULES_DIR + 1);
		r = cl_cpio_add(c, name, &file, order, olen, err);
	}
	return r;
}

static int hash_modules(struct cl_sha256 *md, const char *modules_dir, struct cl_err *err)
{
	static const char *const wanted[] = {CL_INITRAMFS_MODULES, NULL};
	struct cl_kmod_list l;
	char path[PATH_MAX];
	int r = 0;

	if (cl_kmod_resolve(modules_dir, wanted, &l, err) < 0)
		return -1;
	for (size_t i = 0; i < l.n && r == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", modules_dir, l.paths[i]);
		hash_str(md, l.paths[i]);
		r = hash_file(md, path, err);
	}
	cl_kmod_list_free(&l);
	return r;
}

/* Write with @fill into a temporary file in @dir, then rename it to @final. */
static int write_atomically(const char *dir, const char *final,
			    int (*fill)(FILE *f, const char *path, void *ctx, struct cl_err *err),
			    void *ctx, struct cl_err *err)
{
	char tmp[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-XXXXXX", dir);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return cl_fail(err, errno, "cannot create a file in %s", dir);
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp);
		return cl_fail(err, errno, "cannot open %s", tmp);
	}
	if (fchmod(fd, 0644) < 0)
		r = cl_fail(err, errno, "cannot chmod %s", tmp);
	else if (fill(f, final, ctx, err) < 0)
		r = -1;
	else if (fflush(f) != 0 || fdatasync(fd) < 0)
		r = cl_fail(err, errno, "cannot write %s", tmp);
	if (r < 0) {
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, final) < 0) {
		int e = errno;
		unlink(tmp);
		return cl_fail(err, e, "cannot rename %s to %s", tmp, final);
	}
	return 0;
}

struct base_in {
	const char *rootfs, *modules, *init;
	const struct cl_initramfs_bind *binds;
	size_t n_binds;
};

static int fill_base(FILE *f, const char *path, void *ctx, struct cl_err *err)
{
	struct base_in *in = ctx;
	struct writer w = {.has_dev = false, .binds = in->binds, .n_binds = in->n_binds};
	struct cl_cpio_meta dir = {.mode = S_IFDIR | 0755}, priv = {.mode = S_IFDIR | 0700},
			    console = {.mode = S_IFCHR | 0600, .rdev = makedev(5, 1)},
			    exe = {.mode = S_IFREG | 0755};
	_cleanup_close_ int fd = -1;
	struct stat st;

	cl_cpio_init(&w.cpio, f, path);
	if (in->rootfs && walk_rootfs(in->rootfs, write_entry, &w, err) < 0)
		return -1;
	for (size_t i = 0; i < in->n_binds; i++)
		if (add_bind(&w, in->rootfs ? in->rootfs : "/nonexistent", &in->binds[i], err) < 0)
			return -1;
	/* the kernel opens /dev/console for init's stdio before init runs */
	if (!w.has_dev && cl_cpio_add(&w.cpio, "dev", &dir, NULL, 0, err) < 0)
		return -1;
	if (cl_cpio_add(&w.cpio, "dev/console", &console, NULL, 0, err) < 0)
		return -1;
	if (cl_cpio_add(&w.cpio, ".cloison", &priv, NULL, 0, err) < 0)
		return -1;
	if (in->modules) {
		if (cl_cpio_add(&w.cpio, CL_GUEST_MODULES_DIR + 1, &priv, NULL, 0, err) < 0 ||
		    add_modules(&w.cpio, in->modules, err) < 0)
			return -1;
	}
	if ((fd = open(in->init, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		return cl_fail(err, errno, "cannot open the guest init %s", in->init);
	if (cl_cpio_add_fd(&w.cpio, "init", &exe, fd, st.st_size, err) < 0)
		return -1;
	return cl_cpio_finish(&w.cpio, err);
}

struct final_in {
	const char *base;
	const char *spec;
	size_t spec_len;
};

static int fill_final(FILE *f, const char *path, void *ctx, struct cl_err *err)
{
	struct final_in *in = ctx;
	struct cl_cpio_meta file = {.mode = S_IFREG | 0600};
	_cleanup_close_ int src = open(in->base, O_RDONLY | O_CLOEXEC);
	struct cl_cpio c;
	ssize_t n;

	if (src < 0)
		return cl_fail(err, errno, "cannot open %s", in->base);
	if (fflush(f) != 0)
		return cl_fail(err, errno, "cannot write %s", path);
	/* in-kernel copy (a reflink where the file system can) */
	while ((n = copy_file_range(src, NULL, fileno(f), NULL, 1 << 30, 0)) > 0)
		;
	if (n < 0)
		return cl_fail(err, errno, "cannot copy %s", in->base);
	if (fseek(f, 0, SEEK_END) < 0)
		return cl_fail(err, errno, "cannot write %s", path);
	/* a second archive after the first one's trailer: the spec */
	cl_cpio_init(&c, f, path);
	if (cl_cpio_add(&c, CL_GUEST_SPEC_PATH + 1, &file, in->spec, in->spec_len, err) < 0)
		return -1;
	return cl_cpio_finish(&c, err);
}

static int mkdir_p(const char *dir, struct cl_err *err)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return cl_fail(err, ENAMETOOLONG, "cannot create %s", dir);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return cl_fail(err, errno, "cannot create %s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return cl_fail(err, errno, "cannot create %s", buf);
	return 0;
}

/* Keep the cache bounded: of the images whose names start with @prefix
 * ("base-" or a hex digit), keep the @keep most recently used.  A VMM that
 * already opened a removed image keeps reading it; losing a race with a
 * concurrent builder only costs a rebuild. */
#define KEEP_BASES  4
#define KEEP_IMAGES 16
struct aged {
	char name[64];
	struct timespec used;
};

static int newer_first(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? 1 : -1;
	return x->used.tv_nsec < y->used.tv_nsec ? 1 : x->used.tv_nsec > y->used.tv_nsec ? -1 : 0;
}

static void prune(const char *cache_dir, bool bases, size_t keep)
{
	DIR *d = opendir(cache_dir);
	struct aged *v = NULL;
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		bool is_base = !strncmp(de->d_name, "base-", 5);
		struct stat st;
		struct aged *bigger;

		if (len < 5 || len >= sizeof(v->name) || strcmp(de->d_name + len - 5, ".cpio") ||
		    is_base != bases || de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (!(bigger = realloc(v, (n + 1) * sizeof(*v))))
			break;
		v = bigger;
		snprintf(v[n].name, sizeof(v[n].name), "%s", de->d_name);
		v[n++].used = st.st_mtim;
	}
	if (n > keep) {
		qsort(v, n, sizeof(*v), newer_first);
		for (size_t i = keep; i < n; i++)
			unlinkat(dirfd(d), v[i].name, 0);
	}
	free(v);
	closedir(d);
}

/* A cache hit counts as a use: bump its mtime for prune(). */
static bool cached(const char *path)
{
	return utimensat(AT_FDCWD, path, NULL, 0) == 0 && access(path, R_OK) == 0;
}

int cl_initramfs_build(const char *rootfs_dir, const struct cl_initramfs_bind *binds,
		       size_t n_binds, const struct cl_guest_spec *spec, const char *modules_dir,
		       const char *init_path, const char *cache_dir, char *out_path, size_t out_len,
		       struct cl_err *err)
{
	struct cl_sha256 md_ctx, *md = &md_ctx;
	_cleanup_free_ char *spec_buf = NULL;
	char base_hash[HASH_HEX + 1], hash[HASH_HEX + 1], base[PATH_MAX], final[PATH_MAX];
	struct base_in bin = {rootfs_dir, modules_dir, init_path, binds, n_binds};
	struct final_in fin;
	size_t spec_len;

	cl_sha256_init(md);
	if (cl_guest_spec_encode(spec, &spec_buf, &spec_len, err) < 0)
		return -1;
	if (mkdir_p(cache_dir, err) < 0)
		return cl_wrap(err, "initramfs cache");

	/* the heavy part: rootfs, modules, init */
	hash_str(md, FORMAT_TAG);
	hash_str(md, rootfs_dir ? "rootfs" : "no rootfs");
	if (rootfs_dir && walk_rootfs(rootfs_dir, hash_entry, md, err) < 0)
		return -1;
	for (size_t i = 0; i < n_binds; i++) {
		hash_str(md, "bind");
		if (hash_bind(md, &binds[i], err) < 0)
			return -1;
	}
	hash_str(md, modules_dir ? "modules" : "no modules");
	if (modules_dir && hash_modules(md, modules_dir, err) < 0)
		return -1;
	if (hash_file(md, init_path, err) < 0)
		return cl_wrap(err, "guest init");
	hash_hex(md, base_hash);
	snprintf(base, sizeof(base), "%s/base-%s.cpio", cache_dir, base_hash);
	if (!cached(base)) {
		if (write_atomically(cache_dir, base, fill_base, &bin, err) < 0)
			return cl_wrap(err, "cannot build the initramfs %s", base);
		prune(cache_dir, true, KEEP_BASES);
	}

	/* the whole image: base + spec */
	cl_sha256_init(md);
	hash_str(md, base_hash);
	hash_add(md, spec_buf, spec_len);
	hash_hex(md, hash);
	if (snprintf(final, sizeof(final), "%s/%s.cpio", cache_dir, hash) >= (int)sizeof(final))
		return cl_fail(err, ENAMETOOLONG, "cache dir %s", cache_dir);
	fin = (struct final_in){base, spec_buf, spec_len};
	if (!cached(final)) {
		if (write_atomically(cache_dir, final, fill_final, &fin, err) < 0)
			return cl_wrap(err, "cannot build the initramfs %s", final);
		prune(cache_dir, false, KEEP_IMAGES);
	}
	if (snprintf(out_path, out_len, "%s", final) >= (int)out_len)
		return cl_fail(err, ENAMETOOLONG, "initramfs path %s", final);
	return 0;
}
