/* cloison check: what this host supports, as a table or JSON. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ns/cgroup_probe.h"
#include "vm/vm.h"
#include "util/cleanup.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct row {
	const char *section, *name;
	bool ok;
	char detail[256];
};

#define MAX_ROWS 48
static struct row rows[MAX_ROWS];
static int nrows;

static struct row *add(const char *section, const char *name, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static struct row *add(const char *section, const char *name, bool ok, const char *fmt, ...)
{
	struct row *r = &rows[nrows < MAX_ROWS - 1 ? nrows++ : nrows];
	va_list ap;

	r->section = section;
	r->name = name;
	r->ok = ok;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return r;
}

/* Tries unshare(flag) in a throw-away child: the only true answer. */
static int try_unshare(int flag)
{
	int status;
	pid_t p = fork();

	if (p < 0)
		return errno;
	if (p == 0)
		_exit(unshare(flag) < 0 ? (errno & 0xff) : 0);
	if (waitpid(p, &status, 0) < 0 || !WIFEXITED(status))
		return EIO;
	return WEXITSTATUS(status);
}

static void check_namespaces(void)
{
	static const struct {
		const char *name;
		int flag;
	} ns[] = {
	    {"user", CLONE_NEWUSER},	 {"pid", CLONE_NEWPID},	  {"mount", CLONE_NEWNS},
	    {"net", CLONE_NEWNET},	 {"uts", CLONE_NEWUTS},	  {"ipc", CLONE_NEWIPC},
	    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
	};
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		int e = try_unshare(ns[i].flag);
		add("namespaces", ns[i].name, e == 0, "%s", e ? strerror(e) : "yes");
	}
	/* user namespaces for this user: as root, ask what an ordinary user gets */
	FILE *f = fopen("/proc/sys/user/max_user_namespaces", "re");
	long max = -1;
	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = -1;
		fclose(f);
	}
	/* Debian's knob for unprivileged user namespaces, where the kernel has it */
	long unpriv = 1;
	f = fopen("/proc/sys/kernel/unprivileged_userns_clone", "re");
	if (f) {
		if (fscanf(f, "%ld", &unpriv) != 1)
			unpriv = -1;
		fclose(f);
	}
	bool ok = max > 0 && unpriv == 1;
	add("namespaces", "userns-for-user", ok, "%s (max_user_namespaces=%ld%s, uid %u)",
	    ok ? "yes" : "no", max, unpriv == 1 ? "" : ", unprivileged_userns_clone=0",
	    (unsigned)geteuid());
}

static void check_cgroups(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], v1[512] = "", v2path[1024] = "";
	size_t off = 0;

	while (f && fgets(line, sizeof(line), f)) {
		char mnt[1024], *sep = strstr(line, " - ");
		char fstype[64], src[256], opts[1024];
		if (!sep || sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1 ||
		    sscanf(sep, " - %63s %255s %1023s", fstype, src, opts) != 3)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && !v2path[0])
			snprintf(v2path, sizeof(v2path), "%s", mnt);
		else if (strcmp(fstype, "cgroup") == 0) {
			const char *name = strrchr(mnt, '/');
			off += (size_t)snprintf(v1 + off, off < sizeof(v1) ? sizeof(v1) - off : 0,
						"%s%s", off ? "," : "", name ? name + 1 : mnt);
		}
	}
	const char *layout = v2path[0] && v1[0] ? "hybrid"
			     : v2path[0]	? "v2 (unified)"
			     : v1[0]		? "v1"
						: "none";
	add("cgroups", "layout", v1[0] || v2path[0], "%s", layout);
	if (v1[0])
		add("cgroups", "v1", true, "%s", v1);
	if (v2path[0]) {
		char p[1100], ctl[256] = "";
		snprintf(p, sizeof(p), "%s/cgroup.controllers", v2path);
		_cleanup_fclose_ FILE *c = fopen(p, "re");
		if (c && fgets(ctl, sizeof(ctl), c))
			ctl[strcspn(ctl, "\n")] = '\0';
		add("cgroups", "v2", true, "%.100s: %.140s", v2path,
		    ctl[0] ? ctl : "(no controllers)");
	}
	/* which controllers a context can use, and where (ns/cgroup_probe.c) */
	struct cl_cgroup_report_row cg[16];
	int n = cl_cgroup_report(cg, 16);
	for (int i = 0; i < n; i++)
		add("cgroups", cg[i].name, cg[i].ok, "%s", cg[i].detail);
}

/* What an ordinary user can limit (rootless, a delegated cgroup2 subtree):
 * the caller, or as root the user named by --user. */
static void check_rootless(const char *user)
{
	struct cl_cgroup_report_row cg[8];
	uid_t uid = geteuid();

	if (user) {
		struct passwd *pw = getpwnam(user);
		char *end;
		unsigned long v = strtoul(user, &end, 10);
		if (pw)
			uid = pw->pw_uid;
		else if (*user && !*end)
			uid = (uid_t)v;
		else {
			add("rootless", "user", false, "no user %.200s", user);
			return;
		}
	} else if (uid == 0) {
		return; /* root: `check --user NAME` asks for a user */
	}
	int n = cl_cgroup_rootless_report(uid, cg, 8);
	for (int i = 0; i < n; i++)
		add("rootless", cg[i].name, cg[i].ok, "%s", cg[i].detail);
}

static void check_seccomp(void)
{
	char acts[256] = "";
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/seccomp/actions_avail", "re");
	bool ok = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0;

	if (f && fgets(acts, sizeof(acts), f))
		acts[strcspn(acts, "\n")] = '\0';
	add("security", "seccomp", ok, "%s%s%s", ok ? "yes" : "no", acts[0] ? ": " : "", acts);
	bool nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) >= 0;
	add("security", "no_new_privs", nnp, "%s", nnp ? "yes" : "no");
}

static void check_kvm(void)
{
	char desc[256];
	/* ok = a stock Linux guest can boot here (what --vm needs) */
	int ok = cl_kvm_probe(desc, sizeof(desc));

	add("kvm", "/dev/kvm", ok == 1, "KVM: %s", desc);
}

int cl_cmd_check(int argc, char **argv)
{
	bool json = false;
	const char *user = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--user") && i + 1 < argc)
			user = argv[++i];
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			puts(
			    "Usage: cloison check [--json] [--user NAME]\n\nReport what this host "
			    "supports: each namespace, user namespaces,\nthe cgroup layout and "
			    "controllers, which controllers an ordinary user\ncan limit (rootless: "
			    "the caller, or NAME), seccomp, and /dev/kvm.");
			return 0;
		} else {
			fprintf(stderr, "cloison: unknown option %s (see cloison check --help)\n",
				argv[i]);
			return 125;
		}
	}
	nrows = 0;
	check_namespaces();
	check_cgroups();
	check_rootless(user);
	check_seccomp();
	check_kvm();
	if (json) {
		json_object *root = json_object_new_object();
		for (int i = 0; i < nrows; i++) {
			json_object *sec = NULL;
			if (!json_object_object_get_ex(root, rows[i].section, &sec)) {
				sec = json_object_new_object();
				json_object_object_add(root, rows[i].section, sec);
			}
			json_object *o = json_object_new_object();
			json_object_object_add(o, "ok", json_object_new_boolean(rows[i].ok));
			json_object_object_add(o, "detail", json_object_new_string(rows[i].detail));
			json_object_object_add(sec, rows[i].name, o);
		}
		puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
		return 0;
	}
	const char *sec = "";
	for (int i = 0; i < nrows; i++) {
		if (strcmp(sec, rows[i].section)) {
			sec = rows[i].section;
			printf("%s%s:\n", i ? "\n" : "", sec);
		}
		printf("  %-16s %-4s %s\n", rows[i].name, rows[i].ok ? "ok" : "--", rows[i].detail);
	}
	return 0;
}
