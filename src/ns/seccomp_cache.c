/* The policy compiled once: libseccomp builds the filters (seccomp_build.c)
 * and exports their BPF; cloison keeps that BPF in a cache keyed by the
 * policy's own text, so a start costs a file read instead of a compile.
 *
 * Why: compiling Docker's default policy with libseccomp costs ~6 ms of CPU
 * here, twice cloison's whole start-up without it.  The program is made in
 * the parent, before clone; the child only installs it with seccomp(2), so
 * the privileged path stays short and does no allocation-heavy work.
 *
 * The cache lives in /run/cloison/seccomp (root) or $XDG_RUNTIME_DIR/
 * cloison/seccomp, a directory we own with mode 0700; an entry is used only
 * when it is a regular file we own, not writable by others, and its stored
 * key equals the key we computed byte for byte (the hash only names the
 * file).  The key holds the policy in the profile language, libseccomp's
 * version, the kernel release (libseccomp adapts the filter to the kernel's
 * API level), cloison's version and its executable's build-id (the built-in
 * policy and the compiler are code: a fixed build must not load the BPF of
 * an older one).  Anything odd: compile instead. */
#include "ns/seccomp.h"

#include <elf.h>
#include <dirent.h>
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "spec/settings.h"
#include "util/cleanup.h"

#define CACHE_MAGIC "cloison-seccomp-bpf 1\n"
#define MAX_INSNS   65536 /* BPF_MAXINSNS is 4096; stay well above, bound reads */

void cl_seccomp_program_free(struct cl_sc_program *p)
{
	cl_seccomp_notify_close(p);
	for (size_t i = 0; i < p->n; i++)
		free(p->prog[i].filter);
	free(p->key);
	memset(p, 0, sizeof(*p));
}

/* The GNU build-id of the cloison executable, as hex into @out: the
 * built-in policy and the compiler of seccomp_build.c are code, which a
 * rebuild can change without a new CL_VERSION.  @out stays "" without one. */
static int build_id_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	char *out = data;

	(void)size;
	if (info->dlpi_name && info->dlpi_name[0])
		return 1; /* the first object is the executable: only it counts */
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr),
			   *end = p + ph->p_memsz;
		if (ph->p_type != PT_NOTE)
			continue;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const char *desc = p + sizeof(*nh) + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p + sizeof(*nh), "GNU", 4) == 0 && nh->n_descsz <= 64 &&
			    desc + nh->n_descsz <= end) {
				for (size_t k = 0; k < nh->n_descsz; k++)
					sprintf(out + 2 * k, "%02x", (unsigned char)desc[k]);
				return 1;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return 1;
}

/* The key: everything the compiled program depends on. */
static char *make_key(const struct cl_spec *s)
{
	const struct scmp_version *v = seccomp_version();
	char build[129] = "";
	struct utsname u;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	dl_iterate_phdr(build_id_cb, build);
	if (!build[0])
		return NULL; /* cannot tell this build from another: no cache */
	if (!(f = open_memstream(&buf, &len)))
		return NULL;
	uname(&u);
	fprintf(f, "cloison %s\nbuild %s\nlibseccomp %u.%u.%u\nkernel %s %s\n", CL_VERSION, build,
		v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, u.release, u.machine);
	for (const struct cl_setting *p = cl_settings_seccomp; p->name; p++)
		p->show(s, f);
	/* not in the language, but in the filter (seccomp_build.c) */
	fprintf(f, "flags %#x\nnested %d\n", s->seccomp.flags, s->seccomp.nested);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The cache directory, made if needed; -1 when there is none we trust. */
static int cache_dir(void)
{
	const char *base = geteuid() == 0 ? "/run" : getenv("XDG_RUNTIME_DIR");
	char path[512];
	struct stat st;
	int fd;

	if (!base || base[0] != '/')
		return -1;
	snprintf(path, sizeof(path), "%s/cloison", base);
	mkdir(path, 0711); /* shared with the network state; ours is below */
	snprintf(path, sizeof(path), "%s/cloison/seccomp", base);
	mkdir(path, 0700);
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0022)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The whole of @len bytes, or -1. */
static int io_all(int fd, void *buf, size_t len, bool out)
{
	for (size_t off = 0; off < len;) {
		ssize_t r = out ? write(fd, (const char *)buf + off, len - off)
				: read(fd, (char *)buf + off, len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

static int read_all(int fd, void *buf, size_t len)
{
	return io_all(fd, buf, len, false);
}

static int write_all(int fd, const void *buf, size_t len)
{
	return io_all(fd, (void *)buf, len, true);
}

/* File: magic, key length (u32) and key, filter count (u32), then per
 * filter its instruction count (u32) and instructions. */
static int cache_read(int dir, const char *name, const char *key, struct cl_sc_program *p)
{
	/* O_NONBLOCK: a FIFO planted there must not hang the start */
	_cleanup_close_ int fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	char magic[sizeof(CACHE_MAGIC) - 1];
	size_t key_len = strlen(key);
	_cleanup_free_ char *stored = NULL;
	struct stat st;
	uint32_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0022))
		return -1;
	if (read_all(fd, magic, sizeof(magic)) < 0 || memcmp(magic, CACHE_MAGIC, sizeof(magic)) ||
	    read_all(fd, &n, sizeof(n)) < 0 || n != key_len || !(stored = malloc(key_len + 1)) ||
	    read_all(fd, stored, key_len) < 0 || memcmp(stored, key, key_len) ||
	    read_all(fd, &n, sizeof(n)) < 0 || n > CL_SC_MAX_FILTERS)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t len;
		struct sock_filter *insns;
		if (read_all(fd, &len, sizeof(len)) < 0 || len == 0 || len > MAX_INSNS ||
		    !(insns = malloc(len * sizeof(*insns))))
			return -1;
		p->prog[p->n].filter = insns;
		p->prog[p->n].len = (unsigned short)(len > 0xffff ? 0xffff : len);
		p->n++;
		if (len > 0xffff || read_all(fd, insns, len * sizeof(*insns)) < 0)
			return -1;
	}
	return 0;
}

static void cache_write(int dir, const char *name, const char *key, const struct cl_sc_program *p)
{
	char tmp[64];
	uint32_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), ".%s.%d", name, (int)getpid());
	fd = openat(dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	n = (uint32_t)strlen(key);
	bool ok = write_all(fd, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1) == 0 &&
		  write_all(fd, &n, sizeof(n)) == 0 && write_all(fd, key, n) == 0;
	n = (uint32_t)p->n;
	ok = ok && write_all(fd, &n, sizeof(n)) == 0;
	for (size_t i = 0; ok && i < p->n; i++) {
		uint32_t len = p->prog[i].len;
		ok = write_all(fd, &len, sizeof(len)) == 0 &&
		     write_all(fd, p->prog[i].filter, len * sizeof(struct sock_filter)) == 0;
	}
	ok = close(fd) == 0 && ok;
	if (!ok || renameat(dir, tmp, dir, name) < 0)
		unlinkat(dir, tmp, 0);
}

/* libseccomp's BPF for one filter, through a memfd. */
static int export(scmp_filter_ctx ctx, struct sock_fprog *out, struct cl_err *err)
{
	_cleanup_close_ int fd = memfd_create("cloison-seccomp", MFD_CLOEXEC);
	struct stat st;
	int r;

	if (fd < 0)
		return cl_fail(err, errno, "cannot create a memfd for the seccomp filter");
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		return cl_fail(err, -r, "cannot export the seccomp filter");
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > 0xffff)
		return cl_fail(err, EINVAL, "libseccomp exported a filter of odd size");
	out->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	if (!(out->filter = malloc((size_t)st.st_size)))
		return cl_fail(err, ENOMEM, "out of memory");
	if (lseek(fd, 0, SEEK_SET) < 0 || read_all(fd, out->filter, (size_t)st.st_size) < 0)
		return cl_fail(err, errno, "cannot read the exported seccomp filter back");
	return 0;
}

int cl_seccomp_compile(const struct cl_spec *s, struct cl_sc_program *p, struct cl_err *err)
{
	_cleanup_close_ int dir = -1;
	struct cl_sc_filters f;
	char name[32];
	int r = 0;

	memset(p, 0, sizeof(*p));
	if (s->seccomp.learn) /* the child loads the recording filter itself */
		return 0;
	p->flags = s->seccomp.flags;
	if (cl_seccomp_uses_notify(&s->seccomp) && cl_seccomp_notify_open(s, p, err) < 0)
		return -1;
	p->key = make_key(s); /* NULL: compile, and cache nothing */
	if (p->key)
		snprintf(name, sizeof(name), "%016llx.bpf", (unsigned long long)fnv1a(p->key));
	if (p->key && !getenv("CLOISON_SECCOMP_NOCACHE") && (dir = cache_dir()) >= 0) {
		if (cache_read(dir, name, p->key, p) == 0)
			return 0;
		for (size_t i = 0; i < p->n; i++)
			free(p->prog[i].filter);
		p->n = 0;
	}
	if (cl_seccomp_build(&s->seccomp, &f, err) < 0)
		return -1;
	for (size_t i = 0; i < f.n && r == 0; i++) {
		r = export(f.ctx[i], &p->prog[i], err);
		if (r == 0)
			p->n++;
	}
	cl_seccomp_filters_free(&f);
	if (r < 0)
		return -1;
	if (dir >= 0)
		cache_write(dir, name, p->key, p);
	return 0;
}

/* Whether the filter can return SECCOMP_RET_USER_NOTIF: it needs a listener. */
static bool notifies(const struct sock_fprog *prog)
{
	for (size_t i = 0; i < prog->len; i++)
		if (prog->filter[i].code == (BPF_RET | BPF_K) &&
		    (prog->filter[i].k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
			return true;
	return false;
}

int cl_seccomp_install(const struct cl_sc_program *p, int *listener, struct cl_err *err)
{
	unsigned every = SECCOMP_FILTER_FLAG_TSYNC | (p->flags & CL_SC_FLAGS_EVERY_FILTER);

	if (listener)
		*listener = -1;
	for (size_t i = 0; i < p->n; i++) {
		bool listen = listener && *listener < 0 && notifies(&p->prog[i]);
		/* TSYNC with a listener needs TSYNC_ESRCH (Linux 5.7) */
		unsigned flags = listen ? every | p->flags | SECCOMP_FILTER_FLAG_NEW_LISTENER |
					      SECCOMP_FILTER_FLAG_TSYNC_ESRCH
					: every;
		long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p->prog[i]);
		if (listen && r >= 0) {
			*listener = (int)r;
			continue;
		}
		if (r != 0)
			return cl_fail(err, r < 0 ? errno : EBUSY,
				       "cannot load seccomp filter %zu of the policy", i + 1);
	}
	return 0;
}

int cl_seccomp_cache_gc(bool dry_run, void (*said)(const char *name, void *data), void *data)
{
	_cleanup_close_ int dir = cache_dir();
	struct dirent *e;
	DIR *d;
	int n = 0;

	if (dir < 0 || !(d = fdopendir(dup(dir))))
		return 0;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		/* entries and the temporary files of an interrupted write */
		if (len < 5 || strcmp(e->d_name + len - 4, ".bpf") != 0)
			if (e->d_name[0] != '.' || !strstr(e->d_name, ".bpf."))
				continue;
		if (!dry_run && unlinkat(dir, e->d_name, 0) < 0)
			continue;
		said(e->d_name, data);
		n++;
	}
	closedir(d);
	return n;
}
