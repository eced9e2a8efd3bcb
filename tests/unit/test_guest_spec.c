/* Unit tests of the guest spec codec (src/guest/spec.c), built with ASan and
 * UBSan: round trip, defaults, and every malformed or truncated input is
 * refused cleanly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/spec.h"

static int failures;
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c);      \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static int decode(const char *buf, size_t len, struct cl_guest_spec *s, struct cl_err *e)
{
	/* a private heap copy, so ASan sees any read past @len */
	char *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, buf, len);
	r = cl_guest_spec_decode(copy, len, s, e);
	free(copy);
	return r;
}

static void round_trip(void)
{
	char *argv[] = {"/bin/sh", "-c", "echo 'a=b' \"x\ny\"", NULL};
	char *env[] = {"PATH=/bin", "EMPTY=", "EQ=a=b", NULL};
	struct cl_guest_spec in = {.argv = argv,
				   .env = env,
				   .cwd = "/tmp",
				   .uid = 1000,
				   .gid = 4294967294u,
				   .hostname = "h",
				   .root_dev = "/dev/vda",
				   .root_ro = true,
				   .console = "/dev/hvc0"},
			     out;
	struct cl_err e = {0};
	char *buf;
	size_t len;

	CHECK(cl_guest_spec_encode(&in, &buf, &len, &e) == 0);
	CHECK(decode(buf, len, &out, &e) == 0);
	for (int i = 0; argv[i]; i++)
		CHECK(out.argv[i] && !strcmp(out.argv[i], argv[i]));
	CHECK(out.argv[3] == NULL);
	for (int i = 0; env[i]; i++)
		CHECK(out.env[i] && !strcmp(out.env[i], env[i]));
	CHECK(out.env[3] == NULL);
	CHECK(!strcmp(out.cwd, "/tmp") && out.uid == 1000 && out.gid == 4294967294u);
	CHECK(!strcmp(out.hostname, "h") && !strcmp(out.root_dev, "/dev/vda"));
	CHECK(!strcmp(out.root_fstype, "ext4") && out.root_ro);
	CHECK(!strcmp(out.console, "/dev/hvc0"));
	cl_guest_spec_free(&out);

	/* every proper prefix is either a valid shorter spec or refused */
	for (size_t n = 0; n < len; n++) {
		if (decode(buf, n, &out, &e) == 0)
			cl_guest_spec_free(&out);
	}
	free(buf);
}

static void defaults(void)
{
	char *argv[] = {"true", NULL};
	struct cl_guest_spec in = {.argv = argv}, out;
	struct cl_err e = {0};
	char *buf;
	size_t len;

	CHECK(cl_guest_spec_encode(&in, &buf, &len, &e) == 0);
	CHECK(decode(buf, len, &out, &e) == 0);
	CHECK(out.cwd == NULL && out.uid == 0 && out.hostname == NULL && out.root_dev == NULL);
	CHECK(out.env && out.env[0] && !strncmp(out.env[0], "PATH=", 5) && !out.env[1]);
	cl_guest_spec_free(&out);
	free(buf);
}

static void refused(const char *what, const char *buf, size_t len, const char *msg)
{
	struct cl_guest_spec out;
	struct cl_err e = {0};

	if (decode(buf, len, &out, &e) == 0) {
		fprintf(stderr, "%s: accepted\n", what);
		failures++;
		cl_guest_spec_free(&out);
	} else if (!strstr(e.msg, msg)) {
		fprintf(stderr, "%s: message '%s' lacks '%s'\n", what, e.msg, msg);
		failures++;
	}
}
#define REFUSED(what, lit, msg) refused(what, lit, sizeof(lit) - 1, msg)

int main(void)
{
	char *noargv[] = {NULL}, *badenv[] = {"NOEQUALS", NULL}, *argv[] = {"x", NULL};
	struct cl_guest_spec s = {.argv = noargv};
	struct cl_err e = {0};
	char *buf;
	size_t len;

	round_trip();
	defaults();
	CHECK(cl_guest_spec_encode(&s, &buf, &len, &e) < 0);
	s = (struct cl_guest_spec){.argv = argv, .env = badenv};
	CHECK(cl_guest_spec_encode(&s, &buf, &len, &e) < 0);
	REFUSED("empty", "", "NUL-terminated");
	REFUSED("no NUL", "cloison-guest-spec=1", "NUL-terminated");
	REFUSED("bad magic", "cloison-guest-spec=2\0arg=x\0", "bad magic");
	REFUSED("no command", "cloison-guest-spec=1\0cwd=/\0", "no command");
	REFUSED("unknown key", "cloison-guest-spec=1\0arg=x\0colour=red\0", "unknown key");
	REFUSED("no =", "cloison-guest-spec=1\0arg=x\0junk\0", "no '='");
	REFUSED("bad uid", "cloison-guest-spec=1\0arg=x\0uid=12a\0", "bad id");
	REFUSED("uid -1", "cloison-guest-spec=1\0arg=x\0uid=4294967295\0", "bad id");
	REFUSED("empty gid", "cloison-guest-spec=1\0arg=x\0gid=\0", "bad id");
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("guest spec codec: all checks passed\n");
	return failures != 0;
}
