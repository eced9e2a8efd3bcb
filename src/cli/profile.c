/* cloison profile: list, show, check the profiles; list the settings. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ns/seccomp.h"
#include "spec/profile.h"
#include "spec/settings.h"
#include "spec/spec.h"
#include "util/cleanup.h"

static const char profile_usage[] =
    "Usage: cloison profile list\n"
    "       cloison profile show [--seccomp-default] [NAME|PATH...]\n"
    "       cloison profile check NAME|PATH...\n"
    "       cloison profile keys\n"
    "\n"
    "Profiles are the hand-written form of a jail's settings (cloison.profile(5)):\n"
    "one setting per line, named as the long options of 'cloison run'.\n"
    "A NAME is looked up as NAME.profile in /etc/cloison/profiles, " CL_SHAREDIR "/profiles\n"
    "and, for a build that is not installed, the checkout's profiles/, in that\n"
    "order (never the current directory); a PATH holds a slash (./web.profile).\n"
    "\n"
    "  list               the profiles found on the search path, with what each is for\n"
    "  show [NAME...]     the settings the profiles give, merged in order, as a profile\n"
    "                     (without NAME: the built-in defaults)\n"
    "  --seccomp-default  with show: the built-in 'seccomp default' policy as rules\n"
    "  check NAME...      read each profile and check the settings it gives; exit 1\n"
    "                     if any is invalid\n"
    "  keys               every setting a profile may use, with its value\n";

struct entry {
	char *name, *path, *about;
};

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* The first paragraph of comments, on one line, without "# " and a leading
 * "NAME: ". */
static char *about(const char *path, const char *name)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[256], text[512] = "";
	size_t n = 0, nl = strlen(name);

	while (f && fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		if (*p != '#')
			break;
		p += strspn(p, "# \t");
		p[strcspn(p, "\r\n")] = '\0';
		if (!*p) {
			if (n)
				break;
			continue;
		}
		if (!n && strncmp(p, name, nl) == 0 && p[nl] == ':')
			p += nl + 1 + strspn(p + nl + 1, " ");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", n ? " " : "", p);
		if (n >= sizeof(text))
			break;
	}
	return strdup(text);
}

static int cmd_list(void)
{
	struct entry *e = NULL;
	size_t n = 0;

	for (const char *const *dir = cl_profile_dirs(); *dir; dir++) {
		DIR *d = opendir(*dir);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			bool dup = false;
			if (len <= 8 || strcmp(de->d_name + len - 8, ".profile") != 0 ||
			    de->d_name[0] == '.')
				continue;
			for (size_t i = 0; i < n; i++)
				dup = dup || (strlen(e[i].name) == len - 8 &&
					      !strncmp(e[i].name, de->d_name, len - 8));
			struct entry *ne = dup ? NULL : realloc(e, (n + 1) * sizeof(*e));
			if (!ne)
				continue;
			e = ne;
			e[n].name = strndup(de->d_name, len - 8);
			if (asprintf(&e[n].path, "%s/%s", *dir, de->d_name) < 0)
				e[n].path = NULL;
			if (!e[n].name || !e[n].path)
				break;
			e[n].about = about(e[n].path, e[n].name);
			n++;
		}
		if (d)
			closedir(d);
	}
	qsort(e, n, sizeof(*e), cmp_entry);
	for (size_t i = 0; i < n; i++) {
		printf("%-12s %s\n%-12s [%s]\n", e[i].name, e[i].about ? e[i].about : "", "",
		       e[i].path);
		free(e[i].name);
		free(e[i].path);
		free(e[i].about);
	}
	free(e);
	return 0;
}

static int cmd_show(int argc, char **argv)
{
	struct cl_spec spec;
	struct cl_err err = {0};
	int first = 1;

	if (argc > 1 && strcmp(argv[1], "--seccomp-default") == 0) {
		if (argc > 2) {
			fputs("cloison: profile show --seccomp-default takes no profile\n", stderr);
			return CL_EXIT_FAILURE;
		}
		fputs("# The built-in 'seccomp default' policy, as rules\n", stdout);
		if (cl_seccomp_default_print(stdout, &err) < 0) {
			cl_err_print(&err);
			return CL_EXIT_FAILURE;
		}
		return 0;
	}
	cl_spec_init(&spec);
	for (int i = first; i < argc; i++) {
		if (cl_profile_apply(&spec, argv[i], &err) < 0) {
			cl_err_print(&err);
			cl_spec_free(&spec);
			return CL_EXIT_FAILURE;
		}
	}
	fputs("# cloison profile show", stdout);
	for (int i = first; i < argc; i++)
		printf(" %s", argv[i]);
	fputs(argc > first ? "\n" : " (the built-in defaults: nothing differs from them)\n",
	      stdout);
	cl_profile_print(&spec, stdout);
	cl_spec_free(&spec);
	return 0;
}

/* Read the profile, then validate the spec it gives (with a stand-in command
 * and, when it names none, rootfs). */
static int check_one(const char *name)
{
	struct cl_spec spec;
	struct cl_err err = {0};
	_cleanup_free_ char *path = NULL;
	int r;

	cl_spec_init(&spec);
	r = cl_profile_find(name, &path, &err);
	if (r == 0)
		r = cl_profile_apply(&spec, path, &err);
	if (r == 0) {
		spec.argv = calloc(2, sizeof(char *));
		if (!spec.argv || !(spec.argv[0] = strdup("true")) ||
		    (!spec.rootfs && !(spec.rootfs = strdup("/"))))
			r = cl_fail(&err, ENOMEM, "out of memory");
		else if ((r = cl_spec_validate(&spec, &err)) < 0)
			cl_wrap(&err, "%s", path);
	}
	cl_spec_free(&spec);
	if (r < 0) {
		cl_err_print(&err);
		return 1;
	}
	printf("%s: ok\n", path);
	return 0;
}

static int cmd_keys(void)
{
	for (const struct cl_setting *p = cl_settings_next(NULL); p; p = cl_settings_next(p))
		printf("%-20s %s%s%s%s\n", p->name, p->flags & CL_SETTING_FLAG ? "[" : "", p->value,
		       p->flags & CL_SETTING_FLAG ? "]" : "",
		       p->flags & CL_SETTING_CLI_ONLY ? "  (command line only)" : "");
	return 0;
}

int cl_cmd_profile(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(profile_usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "list") && argc == 2)
		return cmd_list();
	if (!strcmp(cmd, "show"))
		return cmd_show(argc - 1, argv + 1);
	if (!strcmp(cmd, "keys") && argc == 2)
		return cmd_keys();
	if (!strcmp(cmd, "check") && argc > 2) {
		int status = 0;
		for (int i = 2; i < argc; i++)
			status |= check_one(argv[i]);
		return status;
	}
	fprintf(stderr, "cloison: %s%s%s\n%s",
		cmd[0] ? "invalid use of 'profile " : "profile needs a command", cmd,
		cmd[0] ? "'" : "", profile_usage);
	return CL_EXIT_FAILURE;
}
