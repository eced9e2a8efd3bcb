/* cl_oci_seccomp() (src/spec/oci_seccomp.c) for real:
 * - podman's default profile (/usr/share/containers/seccomp.json, or the
 *   file given as argv[1]), rendered for x86_64 and podman's default
 *   capabilities as podman renders it into a config.json, becomes a policy
 *   that the filter builder compiles; forked children load it and find
 *   the calls it denies denied, with the profile's errno;
 * - hand-written sections: per-rule errnoRet, args on one index (ORed) and
 *   on several (ANDed), SCMP_ACT_TRACE, flags, and SCMP_ACT_NOTIFY with a
 *   listener this test serves (the state JSON, then an answered call);
 * - malformed sections fail with a message naming the member.
 * Prints TAP.  Run as root (no_new_privs is enough for the filters). */
#include <errno.h>
#include <json-c/json.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns/seccomp.h"
#include "spec/oci_seccomp.h"

static int n_test, failures;

static void ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++n_test);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures += !cond;
}

/* ---- podman's rendering of its profile (containers/common, setupSeccomp) ---- */

static bool in_list(json_object *arr, const char *s)
{
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++)
		if (strcasecmp(json_object_get_string(json_object_array_get_idx(arr, i)), s) == 0)
			return true;
	return false;
}

/* podman's default_capabilities (containers.conf) */
static bool has_cap(const char *name)
{
	static const char *const caps[] = {
	    "CAP_CHOWN",   "CAP_DAC_OVERRIDE",	   "CAP_FOWNER",    "CAP_FSETID",
	    "CAP_KILL",	   "CAP_NET_BIND_SERVICE", "CAP_SETFCAP",   "CAP_SETGID",
	    "CAP_SETPCAP", "CAP_SETUID",	   "CAP_SYS_CHROOT"};

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if (strcasecmp(caps[i], name) == 0)
			return true;
	return false;
}

/* Whether podman keeps the entry for amd64 and the default capabilities. */
static bool podman_keeps(json_object *call)
{
	json_object *inc = NULL, *exc = NULL, *arches = NULL, *caps = NULL;

	json_object_object_get_ex(call, "includes", &inc);
	json_object_object_get_ex(call, "excludes", &exc);
	if (inc && json_object_object_get_ex(inc, "arches", &arches) &&
	    json_object_array_length(arches) && !in_list(arches, "amd64"))
		return false;
	if (inc && json_object_object_get_ex(inc, "caps", &caps))
		for (size_t i = 0; i < json_object_array_length(caps); i++)
			if (!has_cap(json_object_get_string(json_object_array_get_idx(caps, i))))
				return false;
	if (exc && json_object_object_get_ex(exc, "arches", &arches) && in_list(arches, "amd64"))
		return false;
	if (exc && json_object_object_get_ex(exc, "caps", &caps))
		for (size_t i = 0; i < json_object_array_length(caps); i++)
			if (has_cap(json_object_get_string(json_object_array_get_idx(caps, i))))
				return false;
	return true;
}

static json_object *podman_render(json_object *prof)
{
	json_object *out = json_object_new_object(), *calls = json_object_new_array(), *archs, *v;

	json_object_object_get_ex(prof, "defaultAction", &v);
	json_object_object_add(out, "defaultAction", json_object_get(v));
	if (json_object_object_get_ex(prof, "defaultErrnoRet", &v))
		json_object_object_add(out, "defaultErrnoRet", json_object_get(v));
	archs = json_object_new_array();
	json_object_array_add(archs, json_object_new_string("SCMP_ARCH_X86_64"));
	json_object_array_add(archs, json_object_new_string("SCMP_ARCH_X86"));
	json_object_array_add(archs, json_object_new_string("SCMP_ARCH_X32"));
	json_object_object_add(out, "architectures", archs);
	json_object_object_get_ex(prof, "syscalls", &v);
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *c = json_object_array_get_idx(v, i), *o;
		if (!podman_keeps(c))
			continue;
		o = json_object_new_object();
		json_object_object_foreach(c, key, val)
		{
			if (strcmp(key, "includes") && strcmp(key, "excludes") &&
			    strcmp(key, "comment"))
				json_object_object_add(o, key, json_object_get(val));
		}
		json_object_array_add(calls, o);
	}
	json_object_object_add(out, "syscalls", calls);
	return out;
}

/* ---- helpers ---- */

static const struct cl_sc_rule *find_rule(const struct cl_spec *s, const char *name, size_t nth)
{
	for (size_t i = 0; i < s->seccomp.n_rules; i++)
		if (strcmp(s->seccomp.rules[i].name, name) == 0 && nth-- == 0)
			return &s->seccomp.rules[i];
	return NULL;
}

static size_t count_rules(const struct cl_spec *s, const char *name)
{
	size_t n = 0;

	while (find_rule(s, name, n))
		n++;
	return n;
}

static int parse_text(const char *json, struct cl_spec *s, struct cl_err *err)
{
	json_object *o = json_tokener_parse(json);
	int r;

	if (!o) {
		fprintf(stderr, "test bug: bad JSON %s\n", json);
		exit(2);
	}
	r = cl_oci_seccomp(o, s, "config.json", err);
	json_object_put(o);
	return r;
}

static bool builds(const struct cl_spec *s, size_t *n_filters, struct cl_err *err)
{
	struct cl_sc_filters f;

	if (cl_seccomp_build(&s->seccomp, &f, err) < 0)
		return false;
	*n_filters = f.n;
	cl_seccomp_filters_free(&f);
	return true;
}

/* Runs @probe in a child confined by @s's policy (loaded as the jail's child
 * does: compiled, then cl_seccomp_load after no_new_privs); the child's exit
 * status is the number of failed expectations, printed on stderr. */
static int confined(const struct cl_spec *s, int (*probe)(void))
{
	struct cl_sc_program p;
	struct cl_err err = {0};
	int status;
	pid_t pid;

	if (cl_seccomp_compile(s, &p, &err) < 0) {
		fprintf(stderr, "compile: %s\n", err.msg);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    cl_seccomp_load(s, &p, -1, &err) < 0) {
			fprintf(stderr, "load: %s\n", err.msg);
			_exit(100);
		}
		_exit(probe());
	}
	cl_seccomp_program_free(&p);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

static int expect(const char *what, long r, int want_errno)
{
	int e = r < 0 ? errno : 0;

	if (e == want_errno)
		return 0;
	fprintf(stderr, "  %s: got %s, expected %s\n", what, e ? strerror(e) : "success",
		want_errno ? strerror(want_errno) : "success");
	return 1;
}

/* ---- podman's default profile ---- */

static int podman_probe(void)
{
	int bad = 0;

	bad += expect("getpid", syscall(SYS_getpid), 0);
	/* ERRNO errnoRet 22 where arg0 == AF_NETLINK and arg2 == NETLINK_AUDIT */
	bad += expect("socket(AF_NETLINK, NETLINK_AUDIT)",
		      syscall(SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), EINVAL);
	bad += expect("socket(AF_UNIX)", syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0), 0);
	/* unconditional ERRNO errnoRet 1 (no CAP_SYS_ADMIN in the default set) */
	bad += expect("bpf", syscall(SYS_bpf, 0, NULL, 0), EPERM);
	bad += expect("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0xdead0000UL), EPERM);
	/* personality: allowed for 5 values, defaultErrnoRet 38 for others */
	bad += expect("personality(0xffffffff)", syscall(SYS_personality, 0xffffffffUL), 0);
	bad += expect("personality(0x0400000)", syscall(SYS_personality, 0x0400000UL), ENOSYS);
	/* not in the profile: the default action, errno 38 (arguments that
	 * fail harmlessly should the filter let them through) */
	bad += expect("add_key", syscall(SYS_add_key, NULL, NULL, NULL, 0, 0), ENOSYS);
	bad += expect("io_uring_setup", syscall(SYS_io_uring_setup, 0, NULL), ENOSYS);
	bad += expect("syscall 1000", syscall(1000), ENOSYS);
	return bad;
}

static void podman_profile(const char *file)
{
	json_object *prof = json_object_from_file(file), *cfg, *calls;
	struct cl_spec s;
	struct cl_err err = {0};
	const struct cl_sc_rule *r;
	size_t n_filters = 0, skipped = 0, unknown_present = 0;
	int bad;

	ok(prof != NULL, "podman profile %s read", file);
	if (!prof)
		return;
	cfg = podman_render(prof);
	cl_spec_init(&s);
	bad = cl_oci_seccomp(cfg, &s, "config.json", &err);
	ok(bad == 0, "podman profile parsed (%zu rules) %s", s.seccomp.n_rules, err.msg);
	ok(s.seccomp.base == CL_SC_BASE_CUSTOM && s.seccomp.default_action.kind == CL_SC_ERRNO &&
	       s.seccomp.default_action.errnum == ENOSYS,
	   "default action: errno ENOSYS (defaultErrnoRet 38)");
	ok(s.seccomp.abis == (CL_SC_ABI_I386 | CL_SC_ABI_X32), "architectures: i386 and x32");
	r = find_rule(&s, "read", 0);
	ok(r && r->action.kind == CL_SC_ALLOW && r->n_conds == 0, "read: allowed");
	r = find_rule(&s, "bpf", 0);
	ok(r && r->action.kind == CL_SC_ERRNO && r->action.errnum == EPERM,
	   "bpf: errno EPERM (errnoRet 1), its CAP_SYS_ADMIN allow left out by the rendering");
	ok(count_rules(&s, "personality") == 5, "personality: 5 conditional rules");
	r = find_rule(&s, "personality", 4);
	ok(r && r->n_conds == 1 && r->conds[0].op == CL_SC_EQ &&
	       r->conds[0].value == 0xffffffffULL &&
	       strcmp(r->conds_text, "arg0 == 0xffffffff") == 0,
	   "personality: arg0 == 0xffffffff (%s)", r ? r->conds_text : "none");
	r = find_rule(&s, "socket", 0);
	ok(r && r->action.kind == CL_SC_ERRNO && r->action.errnum == EINVAL && r->n_conds == 2 &&
	       r->conds[0].arg == 0 && r->conds[1].arg == 2,
	   "socket: errno EINVAL where arg0 == AF_NETLINK and arg2 == NETLINK_AUDIT (ANDed)");
	/* names libseccomp does not know: skipped, the rest kept */
	json_object_object_get_ex(cfg, "syscalls", &calls);
	for (size_t i = 0; i < json_object_array_length(calls); i++) {
		json_object *names;
		json_object_object_get_ex(json_object_array_get_idx(calls, i), "names", &names);
		for (size_t k = 0; k < json_object_array_length(names); k++) {
			const char *n = json_object_get_string(json_object_array_get_idx(names, k));
			if (seccomp_syscall_resolve_name(n) != __NR_SCMP_ERROR)
				continue;
			skipped++;
			unknown_present += count_rules(&s, n) > 0;
		}
	}
	ok(unknown_present == 0, "%zu names libseccomp %u.%u does not know: skipped", skipped,
	   seccomp_version()->major, seccomp_version()->minor);
	ok(builds(&s, &n_filters, &err), "podman profile compiles: %zu filters %s", n_filters,
	   err.msg);
	bad = confined(&s, podman_probe);
	ok(bad == 0, "podman profile loaded: calls get the profile's actions (status %d)", bad);
	cl_spec_free(&s);
	json_object_put(cfg);
	json_object_put(prof);
}

/* ---- hand-written sections ---- */

static int custom_probe(void)
{
	int bad = 0;

	bad += expect("getppid", syscall(SYS_getppid), 0);
	bad += expect("uname", syscall(SYS_uname, NULL), ENOSPC); /* errnoRet 28 */
	/* arg0 == 1 OR arg0 == 2 (two conditions on one index) */
	bad += expect("getpriority(PRIO_PGRP)", syscall(SYS_getpriority, PRIO_PGRP, 0), EACCES);
	bad += expect("getpriority(PRIO_USER)", syscall(SYS_getpriority, PRIO_USER, 0), EACCES);
	bad += expect("getpriority(PRIO_PROCESS)", syscall(SYS_getpriority, PRIO_PROCESS, 0), 0);
	/* arg0 == 1 AND arg1 == 0 */
	bad += expect("dup3(1, 0)", syscall(SYS_dup3, 1, 0, 0x7fff), EXDEV);
	bad += expect("dup3(1, 50)", syscall(SYS_dup3, 1, 50, 0), 0);
	/* MASKED_EQ: (arg1 & 0xf0) == 0x40 */
	bad += expect("madvise(.., 0x44, ..)", syscall(SYS_madvise, 0, 0x44, 0), ENOTTY);
	bad += expect("madvise(.., 0, ..)", syscall(SYS_madvise, 0, 0, 0), 0);
	/* SCMP_ACT_TRACE without a tracer: ENOSYS */
	bad += expect("getcwd (trace)", syscall(SYS_getcwd, NULL, 0), ENOSYS);
	/* not in the section: defaultErrnoRet 95 (ENOENT if let through) */
	bad += expect("mount",
		      syscall(SYS_mount, "none", "/nonexistent/cl-oci-seccomp", "tmpfs", 0, NULL),
		      EOPNOTSUPP);
	return bad;
}

/* default: errno (so the ENOSYS layer is loaded after main, through its
 * seccomp(2) rule: that rule must know the flags) */
static const char custom_json[] =
    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 95,"
    " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_AARCH64\"],"
    " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
    "             \"SECCOMP_FILTER_FLAG_TSYNC\"],"
    " \"syscalls\": ["
    "  {\"names\": [\"no_such_call_in_any_kernel\", \"getppid\", \"getpid\", \"exit_group\","
    "     \"exit\", \"write\", \"getpriority\", \"dup3\", \"madvise\", \"brk\"],"
    "   \"action\": \"SCMP_ACT_ALLOW\"},"
    "  {\"names\": [\"uname\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 28},"
    "  {\"names\": [\"getpriority\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 13,"
    "   \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
    "              {\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]},"
    "  {\"names\": [\"dup3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 18,"
    "   \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
    "              {\"index\": 1, \"value\": 0, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"}]},"
    "  {\"names\": [\"madvise\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 25,"
    "   \"args\": [{\"index\": 1, \"value\": 240, \"valueTwo\": 64,"
    "               \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
    "  {\"names\": [\"getcwd\"], \"action\": \"SCMP_ACT_TRACE\"}"
    " ]}";

static void custom_section(void)
{
	struct cl_spec s;
	struct cl_err err = {0};
	const struct cl_sc_rule *r;
	size_t n_filters = 0;
	int bad;

	cl_spec_init(&s);
	ok(parse_text(custom_json, &s, &err) == 0, "hand-written section parsed %s", err.msg);
	ok(s.seccomp.abis == 0, "architectures: x86_64 native, aarch64 ignored");
	ok(s.seccomp.flags == (SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW),
	   "flags: LOG and SPEC_ALLOW (TSYNC is always on)");
	ok(!find_rule(&s, "no_such_call_in_any_kernel", 0) && find_rule(&s, "getppid", 0),
	   "unknown name skipped, the others of its entry kept");
	ok(count_rules(&s, "getpriority") == 3,
	   "getpriority: one index twice: a rule per condition");
	r = find_rule(&s, "getpriority", 2);
	ok(r && r->n_conds == 1 && r->action.errnum == EACCES && r->conds[0].value == 2,
	   "getpriority: second rule arg0 == 2, errno EACCES");
	r = find_rule(&s, "madvise", 1);
	ok(r && r->conds[0].op == CL_SC_MASKED_EQ && r->conds[0].mask == 0xf0 &&
	       r->conds[0].value == 0x40 && strcmp(r->conds_text, "arg1 & 0xf0 == 0x40") == 0,
	   "MASKED_EQ: value is the mask, valueTwo the datum (%s)", r ? r->conds_text : "none");
	r = find_rule(&s, "getcwd", 0);
	ok(r && r->action.kind == CL_SC_TRACE && r->action.errnum == EPERM,
	   "SCMP_ACT_TRACE: message EPERM by default");
	ok(builds(&s, &n_filters, &err), "compiles: %zu filters %s", n_filters, err.msg);
	bad = confined(&s, custom_probe);
	ok(bad == 0,
	   "loaded with LOG|SPEC_ALLOW: errnoRet, ORed and ANDed args, MASKED_EQ, "
	   "trace (status %d)",
	   bad);
	cl_spec_free(&s);
}

/* ---- SCMP_ACT_NOTIFY: this process is the agent ---- */

static int notify_probe(void)
{
	/* the agent answers 4242 */
	return syscall(SYS_getppid) == 4242 ? 0 : (fprintf(stderr, "  getppid not 4242\n"), 1);
}

static void notify(void)
{
	char dir[] = "/tmp/cl-oci-seccomp.XXXXXX", path[64], json[512], buf[4096],
	     cbuf[CMSG_SPACE(sizeof(int))];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct cl_spec s;
	struct cl_err err = {0};
	struct cl_sc_program p;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;
	json_object *st = NULL, *m;
	int lfd, conn = -1, fd = -1, status = -1;
	ssize_t n;
	pid_t pid;

	if (!mkdtemp(dir)) {
		ok(false, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/listener.sock", dir);
	snprintf(json, sizeof(json),
		 "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"%s\","
		 " \"listenerMetadata\": \"MKNOD=/dev/null\","
		 " \"flags\": [\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
		 " \"syscalls\": [{\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}",
		 path);
	strcpy(sa.sun_path, path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	cl_spec_init(&s);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0) {
		ok(false, "listener socket: %s", strerror(errno));
		goto out;
	}
	ok(parse_text(json, &s, &err) == 0 && s.seccomp.listener_path &&
	       strcmp(s.seccomp.listener_path, path) == 0,
	   "notify section parsed: listenerPath %s", err.msg);
	s.seccomp.state_id = strdup("test-id");
	s.seccomp.state_bundle = strdup("/bundle");
	/* as the parent before clone: connects to the listener */
	if (cl_seccomp_compile(&s, &p, &err) < 0) {
		ok(false, "compile: %s", err.msg);
		goto out;
	}
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    cl_seccomp_load(&s, &p, -1, &err) < 0) {
			fprintf(stderr, "load: %s\n", err.msg);
			_exit(100);
		}
		_exit(notify_probe());
	}
	cl_seccomp_program_free(&p);
	conn = accept(lfd, NULL, NULL);
	n = conn < 0 ? -1 : recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	if (n > 0 && CMSG_FIRSTHDR(&msg) && CMSG_FIRSTHDR(&msg)->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	buf[n > 0 ? n : 0] = '\0';
	ok(fd >= 0, "the listener fd came with the state");
	st = json_tokener_parse(buf);
	ok(st && json_object_object_get_ex(st, "pid", &m) && json_object_get_int(m) == pid &&
	       json_object_object_get_ex(st, "metadata", &m) &&
	       strcmp(json_object_get_string(m), "MKNOD=/dev/null") == 0 &&
	       json_object_object_get_ex(st, "fds", &m) &&
	       strcmp(json_object_get_string(json_object_array_get_idx(m, 0)), "seccompFd") == 0 &&
	       json_object_object_get_ex(st, "state", &m) &&
	       json_object_object_get_ex(m, "id", &m) &&
	       strcmp(json_object_get_string(m), "test-id") == 0,
	   "state: %s", buf);
	ok(conn >= 0 && read(conn, buf, 1) == 0, "then the connection ends");
	if (fd >= 0 && seccomp_notify_alloc(&req, &resp) == 0 &&
	    seccomp_notify_receive(fd, req) == 0) {
		ok(req->data.nr == SYS_getppid && (pid_t)req->pid == pid,
		   "the child's getppid is notified");
		resp->id = req->id;
		resp->val = 4242;
		resp->error = 0;
		resp->flags = 0;
		ok(seccomp_notify_respond(fd, resp) == 0, "answered 4242");
	} else {
		ok(false, "no notification");
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child got the answer (status %d)",
	   status);
out:
	seccomp_notify_free(req, resp);
	json_object_put(st);
	if (fd >= 0)
		close(fd);
	if (conn >= 0)
		close(conn);
	if (lfd >= 0)
		close(lfd);
	unlink(path);
	rmdir(dir);
	cl_spec_free(&s);
}

/* ---- malformed sections ---- */

static void refused(const char *json, const char *msg)
{
	struct cl_spec s;
	struct cl_err err = {0};
	int r;

	cl_spec_init(&s);
	r = parse_text(json, &s, &err);
	ok(r < 0 && strstr(err.msg, msg) && s.seccomp.base == CL_SC_BASE_DEFAULT &&
	       s.seccomp.n_rules == 0,
	   "refused, spec unchanged: %s", r < 0 ? err.msg : "(accepted)");
	if (r < 0 && !strstr(err.msg, msg))
		printf("# expected: %s\n", msg);
	cl_spec_free(&s);
}

#define GOOD "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}"

static void errors(void)
{
	refused("{\"syscalls\": []}", "config.json: linux.seccomp.defaultAction: missing");
	refused("{\"defaultAction\": \"SCMP_ACT_FOO\"}",
		"config.json: linux.seccomp.defaultAction: unknown action SCMP_ACT_FOO");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [" GOOD "," GOOD "," GOOD
		", {\"names\": [\"write\"], \"action\": \"SCMP_ACT_FOO\"}]}",
		"config.json: linux.seccomp.syscalls[3].action: unknown action SCMP_ACT_FOO");
	refused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 5}",
		"config.json: linux.seccomp.defaultErrnoRet: only SCMP_ACT_ERRNO and "
		"SCMP_ACT_TRACE take an errno");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
		" \"action\": \"SCMP_ACT_KILL\", \"errnoRet\": 1}]}",
		"config.json: linux.seccomp.syscalls[0].errnoRet: only SCMP_ACT_ERRNO");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 5000}",
		"linux.seccomp.defaultErrnoRet: 5000 is out of range (at most 4095)");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86\","
		" \"SCMP_ARCH_PDP11\"]}",
		"config.json: linux.seccomp.architectures[1]: unknown architecture "
		"SCMP_ARCH_PDP11");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_FOO\"]}",
		"config.json: linux.seccomp.flags[0]: unknown flag SECCOMP_FILTER_FLAG_FOO");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
		" \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\":"
		" \"SCMP_CMP_EQ\"}, {\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_ABOUT\"}]}]}",
		"config.json: linux.seccomp.syscalls[0].args[1].op: unknown operator "
		"SCMP_CMP_ABOUT");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
		" \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 1, \"op\":"
		" \"SCMP_CMP_EQ\"}]}]}",
		"config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range");
	refused(
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"],"
	    " \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": -1, \"op\":"
	    " \"SCMP_CMP_EQ\"}]}]}",
	    "config.json: linux.seccomp.syscalls[0].args[0].value: expected an unsigned integer");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": \"read\","
		" \"action\": \"SCMP_ACT_ALLOW\"}]}",
		"config.json: linux.seccomp.syscalls[0].names: expected an array");
	refused("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}",
		"config.json: linux.seccomp.syscalls[0].action: missing");
	refused("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"],"
		" \"action\": \"SCMP_ACT_NOTIFY\"}]}",
		"config.json: linux.seccomp.listenerPath: missing");
	refused("[1, 2]", "config.json: linux.seccomp: expected an object");
}

static void no_section(void)
{
	struct cl_spec s;
	struct cl_err err = {0};

	cl_spec_init(&s);
	ok(cl_oci_seccomp(NULL, &s, "config.json", &err) == 0 &&
	       s.seccomp.base == CL_SC_BASE_UNCONFINED,
	   "no linux.seccomp: no filter (as runc and crun)");
	cl_spec_free(&s);
}

int main(int argc, char **argv)
{
	/* the compiled-filter cache is cloison's, not a test's */
	setenv("CLOISON_SECCOMP_NOCACHE", "1", 1);
	podman_profile(argc > 1 ? argv[1] : "/usr/share/containers/seccomp.json");
	custom_section();
	notify();
	errors();
	no_section();
	printf("1..%d\n", n_test);
	return failures != 0;
}
