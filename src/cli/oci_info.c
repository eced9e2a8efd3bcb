/* The OCI commands that describe or steer a container without changing its
 * life: spec, features, ps, pause, resume. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/oci.h"
#include "cli/oci_hooks.h"
#include "spec/caps.h"
#include "spec/oci.h"
#include "util/cleanup.h"

/* --- spec ------------------------------------------------------------------ */

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

static json_object *jstrv(const char *const *v)
{
	json_object *a = json_object_new_array();

	for (; *v; v++)
		json_object_array_add(a, jstr(*v));
	return a;
}

static json_object *mount_json(const char *dest, const char *type, const char *src,
			       const char *const *opts)
{
	json_object *m = json_object_new_object();

	json_object_object_add(m, "destination", jstr(dest));
	json_object_object_add(m, "type", jstr(type));
	json_object_object_add(m, "source", jstr(src));
	json_object_object_add(m, "options", jstrv(opts));
	return m;
}

static json_object *template(bool rootless)
{
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     "/sys/devices/virtual/powercap",
					     NULL};
	static const char *const ro[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	json_object *c = json_object_new_object(), *p = json_object_new_object(),
		    *user = json_object_new_object(), *cs = json_object_new_object(),
		    *root = json_object_new_object(), *mounts = json_object_new_array(),
		    *l = json_object_new_object(), *ns = json_object_new_array(),
		    *res = json_object_new_object(), *devs = json_object_new_array(),
		    *deny = json_object_new_object(), *rl = json_object_new_object(),
		    *rls = json_object_new_array();

	json_object_object_add(c, "ociVersion", jstr("1.1.0"));
	json_object_object_add(p, "terminal", json_object_new_boolean(true));
	json_object_object_add(user, "uid", json_object_new_int(0));
	json_object_object_add(user, "gid", json_object_new_int(0));
	json_object_object_add(p, "user", user);
	json_object_object_add(p, "args", jstrv((const char *const[]){"sh", NULL}));
	json_object_object_add(p, "env", jstrv(env));
	json_object_object_add(p, "cwd", jstr("/"));
	for (const char *const *set =
		 (const char *const[]){"bounding", "effective", "permitted", NULL};
	     *set; set++)
		json_object_object_add(cs, *set, jstrv(caps));
	json_object_object_add(p, "capabilities", cs);
	json_object_object_add(rl, "type", jstr("RLIMIT_NOFILE"));
	json_object_object_add(rl, "hard", json_object_new_int(1024));
	json_object_object_add(rl, "soft", json_object_new_int(1024));
	json_object_array_add(rls, rl);
	json_object_object_add(p, "rlimits", rls);
	json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(true));
	json_object_object_add(c, "process", p);
	json_object_object_add(root, "path", jstr("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(true));
	json_object_object_add(c, "root", root);
	json_object_object_add(c, "hostname", jstr("cloison"));

	json_object_array_add(mounts,
			      mount_json("/proc", "proc", "proc", (const char *const[]){NULL}));
	json_object_array_add(mounts,
			      mount_json("/dev", "tmpfs", "tmpfs",
					 (const char *const[]){"nosuid", "strictatime", "mode=755",
							       "size=65536k", NULL}));
	json_object_array_add(
	    mounts, mount_json("/dev/pts", "devpts", "devpts",
			       rootless ? (const char *const[]){"nosuid", "noexec", "newinstance",
								"ptmxmode=0666", "mode=0620", NULL}
					: (const char *const[]){"nosuid", "noexec", "newinstance",
								"ptmxmode=0666", "mode=0620",
								"gid=5", NULL}));
	json_object_array_add(mounts,
			      mount_json("/dev/shm", "tmpfs", "shm",
					 (const char *const[]){"nosuid", "noexec", "nodev",
							       "mode=1777", "size=65536k", NULL}));
	json_object_array_add(mounts,
			      mount_json("/dev/mqueue", "mqueue", "mqueue",
					 (const char *const[]){"nosuid", "noexec", "nodev", NULL}));
	if (rootless)
		json_object_array_add(mounts,
				      mount_json("/sys", "none", "/sys",
						 (const char *const[]){"rbind", "nosuid", "noexec",
								       "nodev", "ro", NULL}));
	else
		json_object_array_add(
		    mounts,
		    mount_json("/sys", "sysfs", "sysfs",
			       (const char *const[]){"nosuid", "noexec", "nodev", "ro", NULL}));
	json_object_array_add(mounts, mount_json("/sys/fs/cgroup", "cgroup", "cgroup",
						 (const char *const[]){"nosuid", "noexec", "nodev",
								       "relatime", "ro", NULL}));
	json_object_object_add(c, "mounts", mounts);

	json_object_object_add(deny, "allow", json_object_new_boolean(false));
	json_object_object_add(deny, "access", jstr("rwm"));
	json_object_array_add(devs, deny);
	json_object_object_add(res, "devices", devs);
	if (!rootless)
		json_object_object_add(l, "resources", res);
	else
		json_object_put(res);
	for (const char *const *t = rootless ? (const char *const[]){"pid", "ipc", "uts", "mount",
								     "cgroup", "user", NULL}
					     : (const char *const[]){"pid", "network", "ipc", "uts",
								     "mount", "cgroup", NULL};
	     *t; t++) {
		json_object *n = json_object_new_object();
		json_object_object_add(n, "type", jstr(*t));
		json_object_array_add(ns, n);
	}
	json_object_object_add(l, "namespaces", ns);
	if (rootless) {
		for (int k = 0; k < 2; k++) {
			json_object *a = json_object_new_array(), *m = json_object_new_object();
			json_object_object_add(m, "containerID", json_object_new_int(0));
			json_object_object_add(
			    m, "hostID", json_object_new_int64(k ? (int64_t)getegid() : geteuid()));
			json_object_object_add(m, "size", json_object_new_int(1));
			json_object_array_add(a, m);
			json_object_object_add(l, k ? "gidMappings" : "uidMappings", a);
		}
	}
	json_object_object_add(l, "maskedPaths", jstrv(masked));
	json_object_object_add(l, "readonlyPaths", jstrv(ro));
	json_object_object_add(c, "linux", l);
	return c;
}

int cl_oci_spec(int argc, char **argv)
{
	const char *bundle = ".";
	bool rootless = false;
	char path[PATH_MAX + 16];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rootless"))
			rootless = true;
		else if ((!strcmp(argv[i], "--bundle") || !strcmp(argv[i], "-b")) && i + 1 < argc)
			bundle = argv[++i];
		else if (!strncmp(argv[i], "--bundle=", 9))
			bundle = argv[i] + 9;
		else {
			fprintf(stderr, "Usage: cloison spec [--rootless] [--bundle DIR]\n");
			return strcmp(argv[i], "--help") ? 1 : 0;
		}
	}
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		struct cl_err e;
		cl_fail(&e, errno, "cannot create %s", path);
		return cl_oci_fail(&e);
	}
	json_object *c = template(rootless);
	const char *text = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PRETTY |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) && write(fd, "\n", 1) == 1;
	close(fd);
	json_object_put(c);
	return ok ? 0 : 1;
}

/* --- features -------------------------------------------------------------- */

json_object *cl_oci_seccomp_features(void)
{
	static const char *const actions[] = {"SCMP_ACT_ALLOW",	      "SCMP_ACT_ERRNO",
					      "SCMP_ACT_KILL",	      "SCMP_ACT_KILL_PROCESS",
					      "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
					      "SCMP_ACT_NOTIFY",      "SCMP_ACT_TRACE",
					      "SCMP_ACT_TRAP",	      NULL};
	static const char *const ops[] = {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
					  "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
					  "SCMP_CMP_NE", NULL};
	static const char *const archs[] = {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32",
					    NULL};
	static const char *const flags[] = {
	    "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
	    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
	json_object *o = json_object_new_object();

	json_object_object_add(o, "enabled", json_object_new_boolean(true));
	json_object_object_add(o, "actions", jstrv(actions));
	json_object_object_add(o, "operators", jstrv(ops));
	json_object_object_add(o, "archs", jstrv(archs));
	json_object_object_add(o, "knownFlags", jstrv(flags));
	json_object_object_add(o, "supportedFlags", jstrv(flags));
	return o;
}

int cl_oci_features(int argc, char **argv)
{
	static const char *const hooks[] = {"prestart", "createRuntime", "poststart", "poststop",
					    NULL};
	static const char *const mount_opts[] = {
	    "async",   "atime",	     "bind",	   "defaults",	    "dev",	   "diratime",
	    "dirsync", "exec",	     "mand",	   "noatime",	    "nodev",	   "nodiratime",
	    "noexec",  "nomand",     "norelatime", "nostrictatime", "nosuid",	   "private",
	    "rbind",   "relatime",   "rprivate",   "rshared",	    "rslave",	   "runbindable",
	    "ro",      "rw",	     "shared",	   "slave",	    "strictatime", "suid",
	    "sync",    "unbindable", NULL};
	static const char *const ns[] = {"cgroup", "ipc",  "mount", "network",
					 "pid",	   "user", "uts",   NULL};
	json_object *f = json_object_new_object(), *l = json_object_new_object(),
		    *cg = json_object_new_object(), *a = json_object_new_object();

	(void)argc;
	(void)argv;
	json_object_object_add(f, "ociVersionMin", jstr("1.0.0"));
	json_object_object_add(f, "ociVersionMax", jstr("1.1.0"));
	json_object_object_add(f, "hooks", jstrv(hooks));
	json_object_object_add(f, "mountOptions", jstrv(mount_opts));
	json_object_object_add(l, "namespaces", jstrv(ns));
	json_object_object_add(l, "capabilities", cl_oci_caps_json(~0ULL));
	json_object_object_add(cg, "v1", json_object_new_boolean(true));
	json_object_object_add(cg, "v2", json_object_new_boolean(true));
	json_object_object_add(cg, "systemd", json_object_new_boolean(false));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
	json_object_object_add(l, "cgroup", cg);
	json_object_object_add(l, "seccomp", cl_oci_seccomp_features());
	for (const char *const *k = (const char *const[]){"apparmor", "selinux", "intelRdt", NULL};
	     *k; k++) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "enabled", json_object_new_boolean(false));
		json_object_object_add(l, *k, o);
	}
	json_object *ext = json_object_new_object(), *idmap = json_object_new_object();
	json_object_object_add(idmap, "enabled", json_object_new_boolean(false));
	json_object_object_add(ext, "idmap", idmap);
	json_object_object_add(l, "mountExtensions", ext);
	json_object_object_add(f, "linux", l);
	json_object_object_add(a, "run.oci.handler", jstr("vm"));
	json_object_object_add(a, "org.opencontainers.runtime-spec.version", jstr("1.1.0"));
	json_object_object_add(a, "io.github.cloison.version", jstr(CL_VERSION));
	json_object_object_add(f, "annotations", a);
	puts(json_object_to_json_string_ext(f, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(f);
	return 0;
}

/* --- ps, pause, resume ----------------------------------------------------- */

static int open_live(const char *id, struct cl_state *st, struct cl_err *err)
{
	if (cl_state_open_at(st, cl_oci_root(), id, false, err) < 0)
		return -1;
	if (!strcmp(cl_oci_status(st), "stopped")) {
		cl_fail(err, 0, "container %s is not running", id);
		cl_state_close(st);
		return -1;
	}
	return 0;
}

int cl_oci_ps(int argc, char **argv)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	bool json = false;
	int i = 1;
	pid_t pids[4096];

	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc)
			json = !strcmp(argv[++i], "json");
		else if (!strcmp(argv[i], "--format=json"))
			json = true;
		else if (strcmp(argv[i], "--format=table"))
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "Usage: cloison ps [--format table|json] ID [PS OPTIONS]\n");
		return 1;
	}
	if (open_live(argv[i], &st, &err) < 0)
		return cl_oci_fail(&err);
	size_t n = cl_oci_pids(&st, pids, sizeof(pids) / sizeof(pids[0]));
	cl_state_close(&st);
	if (json) {
		printf("[");
		for (size_t k = 0; k < n; k++)
			printf("%s%d", k ? "," : "", pids[k]);
		printf("]\n");
		return 0;
	}
	/* as runc: ps(1) with the options given (-ef), its lines of our pids */
	char cmd[512] = "ps";
	for (int k = i + 1; k < argc; k++) {
		size_t len = strlen(cmd);
		if (strchr(argv[k], '\'')) { /* no quoting games */
			cl_fail(&err, 0, "ps option '%s': a quote is refused", argv[k]);
			return cl_oci_fail(&err);
		}
		snprintf(cmd + len, sizeof(cmd) - len, " '%s'", argv[k]);
	}
	if (i + 1 == argc)
		snprintf(cmd, sizeof(cmd), "ps -ef");
	FILE *p = popen(cmd, "re");
	char line[4096];
	int pid_col = -1;
	if (!p) {
		cl_fail(&err, errno, "cannot run ps");
		return cl_oci_fail(&err);
	}
	while (fgets(line, sizeof(line), p)) {
		if (pid_col < 0) {
			char copy[4096], *tok, *save;
			int col = 0;
			snprintf(copy, sizeof(copy), "%s", line);
			for (tok = strtok_r(copy, " \t\n", &save); tok;
			     tok = strtok_r(NULL, " \t\n", &save), col++)
				if (!strcmp(tok, "PID"))
					pid_col = col;
			fputs(line, stdout);
			continue;
		}
		char copy[4096], *tok, *save;
		int col = 0;
		snprintf(copy, sizeof(copy), "%s", line);
		for (tok = strtok_r(copy, " \t\n", &save); tok && col < pid_col;
		     tok = strtok_r(NULL, " \t\n", &save))
			col++;
		for (size_t k = 0; tok && k < n; k++)
			if (atoi(tok) == pids[k]) {
				fputs(line, stdout);
				break;
			}
	}
	return pclose(p) == 0 ? 0 : 1;
}

/* v1: freezer.state; v2: cgroup.freeze */
static int freeze(const char *id, bool on)
{
	struct cl_state st = CL_STATE_INIT;
	struct cl_err err = {0};
	json_object *a;
	int r = -1;

	if (open_live(id, &st, &err) < 0)
		return cl_oci_fail(&err);
	if (!strcmp(cl_oci_status(&st), "created") && on) {
		cl_fail(&err, 0, "container %s is not running (created)", id);
		goto out;
	}
	if (json_object_object_get_ex(st.j, "cgroups", &a))
		for (size_t i = 0; r < 0 && i < json_object_array_length(a); i++) {
			const char *d = json_object_get_string(json_object_array_get_idx(a, i));
			char path[PATH_MAX];
			const char *v = on ? "FROZEN" : "THAWED";
			snprintf(path, sizeof(path), "%s/freezer.state", d);
			if (access(path, F_OK) < 0) {
				snprintf(path, sizeof(path), "%s/cgroup.freeze", d);
				v = on ? "1" : "0";
				if (access(path, F_OK) < 0)
					continue;
			}
			_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, v, strlen(v)) < 0) {
				cl_fail(&err, errno, "cannot write %s", path);
				goto out;
			}
			r = 0;
		}
	if (r < 0 && !err.msg[0])
		cl_fail(&err, 0, "container %s has no freezer cgroup", id);
out:
	cl_state_close(&st);
	return r < 0 ? cl_oci_fail(&err) : 0;
}

int cl_oci_pause(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "Usage: cloison pause ID\n");
		return 1;
	}
	return freeze(argv[1], true);
}

int cl_oci_resume(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "Usage: cloison resume ID\n");
		return 1;
	}
	return freeze(argv[1], false);
}
