/* Profiles: finding them, reading them line by line into the spec through
 * the settings table, includes with cycle detection, ${VAR} expansion. */
#include "spec/profile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spec/settings.h"
#include "util/cleanup.h"

/* The files being read, outermost first: an include of one of them is a cycle. */
struct frame {
	const char *path;
	dev_t dev;
	ino_t ino;
};

struct ctx {
	struct cl_spec *s;
	unsigned flags;
	struct frame stack[CL_PROFILE_MAX_DEPTH];
	size_t depth;
	size_t n_files; /* read so far: a include b twice, b c twice... is 2^16 */
	bool located;	/* the error being returned already says FILE:LINE */
};

/* Where a bare NAME may come from: trusted places only.  The administrator's
 * directory, cloison's installed one, and for a build that is not installed
 * the profiles/ of the checkout it was built in, found next to the binary
 * (build/cloison -> profiles/), never the current directory: an untrusted
 * checkout must not be able to replace a shipped profile by shipping one of
 * the same name (cloison.profile(5)). */
static const char *dirs[] = {"/etc/cloison/profiles", CL_SHAREDIR "/profiles", NULL, NULL};

/* The checkout's profiles/ when the running binary is DIR/build/cloison and
 * DIR holds the project's Makefile and profiles/; NULL otherwise. */
static char *checkout_dir(void)
{
	char exe[PATH_MAX], *slash, *path = NULL;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 2; up++) /* DIR/build/cloison -> DIR */
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
	if (!slash || asprintf(&path, "%s/Makefile", exe) < 0)
		return NULL;
	bool ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	if (!ok || asprintf(&path, "%s/profiles", exe) < 0)
		return NULL;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && strcmp(path, dirs[1]) != 0)
		return path;
	free(path);
	return NULL;
}

const char *const *cl_profile_dirs(void)
{
	static bool done;

	if (!done) {
		dirs[2] = checkout_dir(); /* kept for the process's life */
		done = true;
	}
	return dirs;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* NAME -> DIR/NAME.profile for the first DIR of @first (may be NULL: the
 * directory of an including file) and the trusted search path where it
 * exists; a name with a slash is a path, relative to @first when it is
 * relative and @first is given. */
static int find(const char *name, const char *first, char **path, struct cl_err *err)
{
	const char *ext = has_suffix(name, ".profile") ? "" : ".profile";
	char looked[512] = "";
	size_t lk = 0;

	*path = NULL;
	if (!name[0])
		return cl_fail(err, 0, "empty profile name");
	if (strchr(name, '/')) {
		if (name[0] != '/' && first) {
			if (asprintf(path, "%s/%s", first, name) < 0)
				return *path = NULL, cl_fail(err, ENOMEM, "out of memory");
		} else if (!(*path = strdup(name))) {
			return cl_fail(err, ENOMEM, "out of memory");
		}
		return 0;
	}
	const char *const *trusted = cl_profile_dirs();
	for (int i = first ? -1 : 0; i < 0 || trusted[i]; i++) {
		const char *dir = i < 0 ? first : trusted[i];
		char *p;
		if (asprintf(&p, "%s/%s%s", dir, name, ext) < 0)
			return cl_fail(err, ENOMEM, "out of memory");
		if (access(p, F_OK) == 0) {
			*path = p;
			return 0;
		}
		free(p);
		if (lk < sizeof(looked))
			lk += (size_t)snprintf(looked + lk, sizeof(looked) - lk, "%s%s",
					       lk ? ", " : "", dir);
	}
	/* a file of the current directory is named with a slash: ./web.profile */
	if (!first && access(name, F_OK) == 0)
		return cl_fail(err, 0,
			       "cannot find profile '%s' in %s (a bare name is looked up only "
			       "there; for the file of the current directory say ./%s)",
			       name, looked, name);
	return cl_fail(err, 0, "cannot find profile '%s' (looked for %s%s in %s)", name, name, ext,
		       looked);
}

int cl_profile_find(const char *name_or_path, char **path, struct cl_err *err)
{
	return find(name_or_path, NULL, path, err);
}

/* ${NAME}, ${NAME:-DEFAULT} (PWD is the current directory), $$ for '$'. */
static int expand(const char *in, char *out, size_t size, struct cl_err *err)
{
	size_t o = 0;

	for (const char *p = in; *p;) {
		const char *add = p;
		size_t add_len = 1;
		char cwd[PATH_MAX];

		if (p[0] == '$' && p[1] == '$') {
			p += 2;
		} else if (p[0] == '$' && p[1] == '{') {
			const char *name = p + 2, *end = name, *close = strchr(name, '}'),
				   *def = NULL;
			char var[128];
			while (isalnum((unsigned char)*end) || *end == '_')
				end++;
			if (!close || end == name || isdigit((unsigned char)*name) ||
			    (end != close && strncmp(end, ":-", 2) != 0))
				return cl_fail(err, 0,
					       "invalid variable reference at '%.24s': expected "
					       "${NAME} or ${NAME:-DEFAULT}",
					       p);
			if ((size_t)(end - name) >= sizeof(var))
				return cl_fail(err, 0, "variable name too long at '%.24s'", p);
			memcpy(var, name, (size_t)(end - name));
			var[end - name] = '\0';
			if (end != close)
				def = end + 2;
			add = strcmp(var, "PWD") == 0 ? getcwd(cwd, sizeof(cwd)) : getenv(var);
			if (add && !add[0])
				add = NULL;
			if (add)
				add_len = strlen(add);
			else if (def) {
				add = def;
				add_len = (size_t)(close - def);
			} else {
				return cl_fail(err, 0,
					       "${%s} is not set (give a default: ${%s:-VALUE})",
					       var, var);
			}
			p = close + 1;
		} else {
			p++;
		}
		if (o + add_len >= size)
			return cl_fail(
			    err, 0,
			    "line too long once variables are expanded (more than %zu bytes)",
			    size - 1);
		memcpy(out + o, add, add_len);
		o += add_len;
	}
	out[o] = '\0';
	return 0;
}

static int apply_file(struct ctx *c, const char *path, struct cl_err *err);

static int do_include(struct ctx *c, const char *from, const char *name, struct cl_err *err)
{
	_cleanup_free_ char *dir = strdup(from), *path = NULL;
	char *slash;

	if (!dir)
		return cl_fail(err, ENOMEM, "out of memory");
	if (c->flags & CL_PROFILE_NO_INCLUDE)
		return cl_fail(err, 0, "include is not allowed here");
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	if (find(name, slash ? dir : ".", &path, err) < 0)
		return -1;
	return apply_file(c, path, err);
}

static int apply_line(struct ctx *c, const char *file, char *line, struct cl_err *err)
{
	char *key = line, *value, *end, expanded[2 * CL_PROFILE_MAX_LINE];
	const struct cl_setting *set;

	while (*key == ' ' || *key == '\t')
		key++;
	end = key + strlen(key);
	while (end > key && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (!*key || *key == '#')
		return 0;
	value = key + strcspn(key, " \t");
	if (*value) {
		*value++ = '\0';
		while (*value == ' ' || *value == '\t')
			value++;
		if (expand(value, expanded, sizeof(expanded), err) < 0)
			return -1;
		value = expanded;
	} else {
		value = NULL;
	}
	if (strcmp(key, "include") == 0) {
		if (!value)
			return cl_fail(err, 0, "include needs a profile name or path");
		return do_include(c, file, value, err);
	}
	set = cl_settings_find(key);
	if (!set) {
		const char *hint = cl_settings_nearest(key);
		if (hint)
			return cl_fail(err, 0, "unknown setting '%s' (did you mean %s?)", key,
				       hint);
		return cl_fail(err, 0, "unknown setting '%s' (see cloison.profile(5))", key);
	}
	if (set->flags & CL_SETTING_CLI_ONLY)
		return cl_fail(err, 0,
			       "'%s' is a command-line option (--%s), not a profile setting", key,
			       key);
	if (!(set->flags & CL_SETTING_FLAG) && !value)
		return cl_fail(err, 0, "'%s' needs a value (%s)", key, set->value);
	return cl_setting_set(set, c->s, value, err);
}

static int apply_text(struct ctx *c, const char *file, const char *text, size_t len,
		      struct cl_err *err)
{
	char line[CL_PROFILE_MAX_LINE + 1];
	size_t lineno = 0;

	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (n && text[pos + n - 1] == '\r')
			n--;
		if (n > CL_PROFILE_MAX_LINE)
			return c->located = true,
			       cl_fail(err, 0, "%s:%zu: line too long (more than %d bytes)", file,
				       lineno, CL_PROFILE_MAX_LINE);
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)text[pos + i];
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return c->located = true,
				       cl_fail(err, 0,
					       "%s:%zu: unexpected control character 0x%02x: a "
					       "profile is text",
					       file, lineno, ch);
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos = nl ? (size_t)(nl - text) + 1 : len;
		if (apply_line(c, file, line, err) < 0) {
			/* an error inside an included file already names it */
			if (c->located)
				return -1;
			c->located = true;
			return cl_wrap(err, "%s:%zu", file, lineno);
		}
	}
	return 0;
}

static int apply_file(struct ctx *c, const char *path, struct cl_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (c->depth == CL_PROFILE_MAX_DEPTH)
		return cl_fail(err, 0, "includes nested more than %d deep", CL_PROFILE_MAX_DEPTH);
	if (++c->n_files > CL_PROFILE_MAX_FILES)
		return cl_fail(err, 0, "more than %d profiles read in all (includes of includes)",
			       CL_PROFILE_MAX_FILES);
	/* O_NONBLOCK: a FIFO must not hang us; only regular files are read */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0)
		return cl_fail(err, errno, "cannot read profile %s", path);
	if (!S_ISREG(st.st_mode))
		return cl_fail(err, 0, "cannot read profile %s: not a regular file", path);
	if (st.st_size > CL_PROFILE_MAX_SIZE)
		return cl_fail(err, 0, "cannot read profile %s: larger than %d bytes", path,
			       CL_PROFILE_MAX_SIZE);
	for (size_t i = 0; i < c->depth; i++) {
		if (c->stack[i].dev == st.st_dev && c->stack[i].ino == st.st_ino) {
			char chain[CL_ERR_MSG_MAX] = "";
			size_t k = 0;
			for (size_t j = i; j < c->depth && k < sizeof(chain); j++)
				k += (size_t)snprintf(chain + k, sizeof(chain) - k, "%s -> ",
						      c->stack[j].path);
			return cl_fail(err, 0, "include cycle: %s%s", chain, path);
		}
	}
	if (!(buf = malloc((size_t)st.st_size + 1)))
		return cl_fail(err, ENOMEM, "out of memory");
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cl_fail(err, errno, "cannot read profile %s", path);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	c->stack[c->depth++] = (struct frame){path, st.st_dev, st.st_ino};
	int r = apply_text(c, path, buf, len, err);
	c->depth--;
	return r;
}

int cl_profile_apply_text(struct cl_spec *s, const char *name, const char *text, size_t len,
			  unsigned flags, struct cl_err *err)
{
	struct ctx c = {.s = s, .flags = flags};

	return apply_text(&c, name, text, len, err);
}

int cl_profile_apply(struct cl_spec *s, const char *name_or_path, struct cl_err *err)
{
	struct ctx c = {.s = s};
	_cleanup_free_ char *path = NULL;

	if (find(name_or_path, NULL, &path, err) < 0)
		return -1;
	return apply_file(&c, path, err);
}

void cl_profile_print(const struct cl_spec *s, FILE *out)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	for (const struct cl_setting *p = cl_settings_next(NULL); p; p = cl_settings_next(p))
		if (!(p->flags & CL_SETTING_CLI_ONLY))
			p->show(s, f ? f : out);
	if (!f)
		return;
	/* values are written as they are: a '$' before '$' or '{' in one
	 * ("$${HOME}" read as "${HOME}") must be written $$ to read back the
	 * same; any other '$' reads as itself.  No key has one. */
	if (fclose(f) == 0)
		for (size_t i = 0; i < len; i++) {
			if (buf[i] == '$' && (buf[i + 1] == '$' || buf[i + 1] == '{'))
				fputc('$', out);
			fputc(buf[i], out);
		}
	free(buf);
}
