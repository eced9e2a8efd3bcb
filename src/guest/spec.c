#include "guest/spec.h"
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* A growing byte buffer for the encoder. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sbuf_add(struct sbuf *b, const char *key, const char *val)
{
	size_t kl = strlen(key), vl = strlen(val), need = kl + 1 + vl + 1;

	if (b->oom)
		return;
	if (b->len + need > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + need;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, key, kl);
	b->p[b->len + kl] = '=';
	memcpy(b->p + b->len + kl + 1, val, vl + 1);
	b->len += need;
}

int cl_guest_spec_encode(const struct cl_guest_spec *s, char **buf, size_t *len, struct cl_err *err)
{
	struct sbuf b = {0};
	char num[32];

	if (!s->argv || !s->argv[0])
		return cl_fail(err, EINVAL, "cannot encode the guest spec: no command");
	/* "key=value" with the magic's own '=' split off */
	sbuf_add(&b, "cloison-guest-spec", "1");
	for (char **a = s->argv; *a; a++)
		sbuf_add(&b, "arg", *a);
	for (char **e = s->env; e && *e; e++) {
		if (!strchr(*e, '=')) {
			free(b.p);
			return cl_fail(err, EINVAL,
				       "cannot encode the guest spec: env entry '%s' has no '='",
				       *e);
		}
		sbuf_add(&b, "env", *e);
	}
	if (s->cwd)
		sbuf_add(&b, "cwd", s->cwd);
	snprintf(num, sizeof(num), "%" PRIu32, (uint32_t)s->uid);
	sbuf_add(&b, "uid", num);
	snprintf(num, sizeof(num), "%" PRIu32, (uint32_t)s->gid);
	sbuf_add(&b, "gid", num);
	if (s->hostname)
		sbuf_add(&b, "hostname", s->hostname);
	if (s->root_dev) {
		sbuf_add(&b, "root", s->root_dev);
		sbuf_add(&b, "rootfstype", s->root_fstype ? s->root_fstype : "ext4");
	}
	if (s->root_dev || s->root_ro)
		sbuf_add(&b, "rootro", s->root_ro ? "1" : "0");
	for (char **m = s->ro_binds; m && *m; m++)
		sbuf_add(&b, "robind", *m);
	if (s->console)
		sbuf_add(&b, "console", s->console);
	if (s->tty) {
		sbuf_add(&b, "tty", "1");
		snprintf(num, sizeof(num), "%u", s->rows);
		sbuf_add(&b, "rows", num);
		snprintf(num, sizeof(num), "%u", s->cols);
		sbuf_add(&b, "cols", num);
	}
	if (s->net_ip)
		sbuf_add(&b, "ip", s->net_ip);
	if (s->net_gw)
		sbuf_add(&b, "gw", s->net_gw);
	if (s->net_ip6)
		sbuf_add(&b, "ip6", s->net_ip6);
	if (s->net_gw6)
		sbuf_add(&b, "gw6", s->net_gw6);
	if (s->net_hosts)
		sbuf_add(&b, "hosts", s->net_hosts);
	if (s->net_resolv)
		sbuf_add(&b, "resolv", s->net_resolv);
	if (b.oom) {
		free(b.p);
		return cl_fail(err, ENOMEM, "cannot encode the guest spec");
	}
	*buf = b.p;
	*len = b.len;
	return 0;
}

static int push(char ***arr, size_t *n, const char *v)
{
	char **a = realloc(*arr, (*n + 2) * sizeof(char *));

	if (!a)
		return -1;
	*arr = a;
	if (!(a[*n] = strdup(v)))
		return -1;
	a[++*n] = NULL;
	return 0;
}

static int parse_id(const char *v, unsigned *out)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (errno || !*v || *end || x > UINT32_MAX - 1)
		return -1;
	*out = (unsigned)x;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	free(*dst);
	return (*dst = strdup(v)) ? 0 : -1;
}

int cl_guest_spec_decode(const char *buf, size_t len, struct cl_guest_spec *s, struct cl_err *err)
{
	size_t off = 0, nargv = 0, nenv = 0, nbinds = 0;
	unsigned id;
	int r = 0;

	memset(s, 0, sizeof(*s));
	if (len == 0 || buf[len - 1] != '\0')
		return cl_fail(err, 0, "cannot parse the guest spec: not NUL-terminated");
	if (strcmp(buf, CL_GUEST_SPEC_MAGIC) != 0)
		return cl_fail(err, 0, "cannot parse the guest spec: bad magic (want '%s')",
			       CL_GUEST_SPEC_MAGIC);
	off = strlen(buf) + 1;
	while (off < len && r == 0) {
		const char *rec = buf + off, *eq = strchr(rec, '='), *v;
		size_t kl;

		off += strlen(rec) + 1;
		if (!eq) {
			cl_guest_spec_free(s);
			return cl_fail(err, 0,
				       "cannot parse the guest spec: record '%s' has no '='", rec);
		}
		kl = eq - rec;
		v = eq + 1;
#define KEY(k) (kl == sizeof(k) - 1 && memcmp(rec, k, kl) == 0)
		if (KEY("arg"))
			r = push(&s->argv, &nargv, v);
		else if (KEY("env"))
			r = push(&s->env, &nenv, v);
		else if (KEY("cwd"))
			r = set_str(&s->cwd, v);
		else if (KEY("hostname"))
			r = set_str(&s->hostname, v);
		else if (KEY("root"))
			r = set_str(&s->root_dev, v);
		else if (KEY("rootfstype"))
			r = set_str(&s->root_fstype, v);
		else if (KEY("console"))
			r = set_str(&s->console, v);
		else if (KEY("tty"))
			s->tty = strcmp(v, "1") == 0;
		else if (KEY("rows") || KEY("cols")) {
			if (parse_id(v, &id) < 0 || id > 65535) {
				cl_guest_spec_free(s);
				return cl_fail(err, 0, "cannot parse the guest spec: bad size '%s'",
					       rec);
			}
			*(KEY("rows") ? &s->rows : &s->cols) = id;
		} else if (KEY("ip"))
			r = set_str(&s->net_ip, v);
		else if (KEY("gw"))
			r = set_str(&s->net_gw, v);
		else if (KEY("ip6"))
			r = set_str(&s->net_ip6, v);
		else if (KEY("gw6"))
			r = set_str(&s->net_gw6, v);
		else if (KEY("hosts"))
			r = set_str(&s->net_hosts, v);
		else if (KEY("resolv"))
			r = set_str(&s->net_resolv, v);
		else if (KEY("robind")) {
			if (v[0] != '/') {
				cl_guest_spec_free(s);
				return cl_fail(
				    err, 0,
				    "cannot parse the guest spec: '%s' is not an absolute "
				    "path",
				    rec);
			}
			r = push(&s->ro_binds, &nbinds, v);
		} else if (KEY("rootro"))
			s->root_ro = strcmp(v, "1") == 0;
		else if (KEY("uid") || KEY("gid")) {
			if (parse_id(v, &id) < 0) {
				cl_guest_spec_free(s);
				return cl_fail(err, 0, "cannot parse the guest spec: bad id '%s'",
					       rec);
			}
			if (KEY("uid"))
				s->uid = id;
			else
				s->gid = id;
		} else {
			cl_guest_spec_free(s);
			return cl_fail(err, 0, "cannot parse the guest spec: unknown key in '%s'",
				       rec);
		}
#undef KEY
	}
	if (r < 0) {
		cl_guest_spec_free(s);
		return cl_fail(err, ENOMEM, "cannot parse the guest spec");
	}
	if (!s->argv) {
		cl_guest_spec_free(s);
		return cl_fail(err, 0, "cannot parse the guest spec: no command");
	}
	if (!s->env &&
	    push(&s->env, &nenv,
		 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0) {
		cl_guest_spec_free(s);
		return cl_fail(err, ENOMEM, "cannot parse the guest spec");
	}
	return 0;
}

int cl_guest_spec_read(const char *path, struct cl_guest_spec *s, struct cl_err *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t len;

	if (cl_read_file(path, "the guest spec", 1 << 24, &buf, &len, err) < 0)
		return -1;
	if (cl_guest_spec_decode((const char *)buf, len, s, err) < 0)
		return cl_wrap(err, "%s", path);
	return 0;
}

void cl_guest_spec_free(struct cl_guest_spec *s)
{
	cl_strv_free(s->argv);
	cl_strv_free(s->env);
	cl_strv_free(s->ro_binds);
	free(s->cwd);
	free(s->hostname);
	free(s->root_dev);
	free(s->root_fstype);
	free(s->console);
	free(s->net_ip);
	free(s->net_gw);
	free(s->net_ip6);
	free(s->net_gw6);
	free(s->net_hosts);
	free(s->net_resolv);
	memset(s, 0, sizeof(*s));
}
