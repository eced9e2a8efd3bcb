#include "vm/kmod.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "util/cleanup.h"
#include "util/file.h"
#include "util/lazylib.h"

/* Loaded on the first compressed module, not linked: see util/lazylib.h. */
#define XZ_FNS(X) X(lzma_stream_decoder) X(lzma_code) X(lzma_end)
CL_LAZYLIB_DEFINE(xz, "liblzma.so.5", "liblzma5", XZ_FNS);
#define ZSTD_FNS(X) X(ZSTD_createDCtx) X(ZSTD_freeDCtx) X(ZSTD_decompressStream) X(ZSTD_isError)
CL_LAZYLIB_DEFINE(zstd, "libzstd.so.1", "libzstd1", ZSTD_FNS);

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* "kernel/x/virtio_blk.ko.xz" -> "virtio_blk" with '-' as '_' */
static void modname(const char *path, char *buf, size_t len)
{
	const char *b = base_name(path);
	size_t n = strcspn(b, ".");

	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = b[i] == '-' ? '_' : b[i];
	buf[n] = '\0';
}

const char *cl_kmod_basename(const char *path, char *buf, size_t len)
{
	const char *b = base_name(path);
	const char *ko = strstr(b, ".ko");

	snprintf(buf, len, "%.*s.ko", (int)(ko ? ko - b : (ptrdiff_t)strlen(b)), b);
	return buf;
}

static bool listed(const struct cl_kmod_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->paths[i], path))
			return true;
	return false;
}

static int append(struct cl_kmod_list *l, const char *path)
{
	char **p;

	if (listed(l, path))
		return 0;
	if (!(p = realloc(l->paths, (l->n + 1) * sizeof(*p))))
		return -1;
	l->paths = p;
	if (!(p[l->n] = strdup(path)))
		return -1;
	l->n++;
	return 0;
}

int cl_kmod_resolve(const char *modules_dir, const char *const *names, struct cl_kmod_list *out,
		    struct cl_err *err)
{
	char path[PATH_MAX], want[64], have[64];
	_cleanup_fclose_ FILE *dep = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/modules.dep", modules_dir);
	if (!(dep = fopen(path, "re")))
		return cl_fail(err, errno, "cannot open %s", path);
	for (const char *const *n = names; *n; n++) {
		bool found = false;

		modname(*n, want, sizeof(want));
		rewind(dep);
		while (!found && getline(&line, &cap, dep) > 0) {
			char *colon = strchr(line, ':'), *deps[64], *tok, *save;
			size_t nd = 0;

			if (!colon)
				continue;
			*colon = '\0';
			modname(line, have, sizeof(have));
			if (strcmp(want, have))
				continue;
			found = true;
			/* modules.dep lists the whole dependency closure, the ones
			 * to load last first (modprobe walks it backwards) */
			for (tok = strtok_r(colon + 1, " \t\n", &save); tok && nd < 64;
			     tok = strtok_r(NULL, " \t\n", &save))
				deps[nd++] = tok;
			while (nd--)
				if (append(out, deps[nd]) < 0)
					goto oom;
			if (append(out, line) < 0)
				goto oom;
		}
	}
	return 0;
oom:
	cl_kmod_list_free(out);
	return cl_fail(err, ENOMEM, "cannot resolve kernel modules in %s", modules_dir);
}

void cl_kmod_list_free(struct cl_kmod_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	memset(l, 0, sizeof(*l));
}

#define KMOD_MAX (256u << 20) /* no module is this big: a corrupt stream */

static int unxz(const char *path, const uint8_t *in, size_t inlen, void **data, size_t *len,
		struct cl_err *err)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = inlen * 4 + 4096;
	uint8_t *out;
	lzma_ret r;

	if (cl_lazylib_load(&xz.lib, err, "decompress %s", base_name(path)) < 0)
		return -1;
	out = malloc(cap);
	if (!out || xz.fn.lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) {
		free(out);
		return cl_fail(err, ENOMEM, "cannot decompress %s", path);
	}
	s.next_in = in;
	s.avail_in = inlen;
	s.next_out = out;
	s.avail_out = cap;
	while ((r = xz.fn.lzma_code(&s, LZMA_FINISH)) == LZMA_OK ||
	       (r == LZMA_BUF_ERROR && !s.avail_out)) {
		uint8_t *bigger;

		if (s.avail_out)
			continue;
		if (cap >= KMOD_MAX || !(bigger = realloc(out, cap * 2)))
			break;
		out = bigger;
		s.next_out = out + cap;
		s.avail_out = cap;
		cap *= 2;
	}
	*len = s.total_out;
	xz.fn.lzma_end(&s);
	if (r != LZMA_STREAM_END) {
		free(out);
		return cl_fail(err, 0, "cannot decompress %s: liblzma error %d", path, (int)r);
	}
	*data = out;
	return 0;
}

static int unzstd(const char *path, const uint8_t *in, size_t inlen, void **data, size_t *len,
		  struct cl_err *err)
{
	ZSTD_inBuffer ib = {in, inlen, 0};
	size_t cap = inlen * 4 + 4096, r = 1;
	ZSTD_outBuffer ob;
	ZSTD_DCtx *dc;
	uint8_t *out;

	if (cl_lazylib_load(&zstd.lib, err, "decompress %s", base_name(path)) < 0)
		return -1;
	dc = zstd.fn.ZSTD_createDCtx();
	out = malloc(cap);
	ob = (ZSTD_outBuffer){out, cap, 0};
	if (!dc || !out) {
		zstd.fn.ZSTD_freeDCtx(dc);
		free(out);
		return cl_fail(err, ENOMEM, "cannot decompress %s", path);
	}
	while (r != 0) {
		r = zstd.fn.ZSTD_decompressStream(dc, &ob, &ib);
		if (zstd.fn.ZSTD_isError(r))
			break;
		if (r != 0 && ib.pos == ib.size && ob.pos < ob.size) {
			r = (size_t)-1; /* truncated frame */
			break;
		}
		if (ob.pos == ob.size) {
			uint8_t *bigger;
			if (cap >= KMOD_MAX || !(bigger = realloc(out, cap * 2))) {
				r = (size_t)-1;
				break;
			}
			out = bigger;
			cap *= 2;
			ob.dst = out;
			ob.size = cap;
		}
	}
	zstd.fn.ZSTD_freeDCtx(dc);
	if (r != 0) {
		free(out);
		return cl_fail(err, 0, "cannot decompress %s: corrupt zstd stream", path);
	}
	*data = out;
	*len = ob.pos;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

int cl_kmod_read(const char *path, void **data, size_t *len, struct cl_err *err)
{
	_cleanup_free_ uint8_t *raw = NULL;
	size_t rawlen = 0;

	/* util/file.c: one owner of the buffer until it is handed out (slurp()
	 * here freed it on a read error, then its caller's cleanup again) */
	if (cl_read_file(path, "kernel module", KMOD_MAX, &raw, &rawlen, err) < 0)
		return -1;
	if (ends_with(path, ".xz"))
		return unxz(path, raw, rawlen, data, len, err);
	if (ends_with(path, ".zst"))
		return unzstd(path, raw, rawlen, data, len, err);
	if (!ends_with(path, ".ko"))
		return cl_fail(err, 0, "cannot read module %s: unknown compression", path);
	*data = cl_steal_ptr(&raw);
	*len = rawlen;
	return 0;
}
