/* cloison generate unit: a systemd service unit for a detached jail, made
 * from what its state directory recorded (the run options, the working
 * directory, the stop timeout, the restart policy). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/svc.h"
#include "util/cleanup.h"

static const char generate_usage[] =
    "Usage: cloison generate unit [--name UNITNAME] [-f] NAME\n"
    "\n"
    "Print a systemd service unit (Type=notify) that runs the detached jail NAME\n"
    "as it was made: cloison run -d with the same options, in the same working\n"
    "directory.  Starting the unit first removes a jail of that name (this one\n"
    "included); stopping it stops and removes the jail.  The restart policy\n"
    "stays the monitor's: systemd restarts the unit only when the monitor\n"
    "itself dies (Restart=on-abnormal, or Restart=no for --restart no).\n"
    "\n"
    "  --name UNITNAME         the unit's name (default cloison-NAME)\n"
    "  -f, --files             write UNITNAME.service in the current directory\n"
    "                          and print its path, instead of printing the unit\n"
    "  -h, --help              this text\n";

/* One word of an Exec*= command line (systemd.syntax(7), "Quoting"): bare
 * when it is plain, else double-quoted with C escapes; '%' (specifiers)
 * doubled, '$' (variables) too when @exec. */
static void put_word(FILE *f, const char *w, bool exec)
{
	static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-_./:=,+@^~";

	if (exec && !strcmp(w, ";")) {
		fputs("\\;", f); /* a lone ';' would separate two commands */
		return;
	}
	if (*w && strspn(w, plain) == strlen(w)) {
		fputs(w, f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)w; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '%')
			fputs("%%", f);
		else if (*p == '$' && exec)
			fputs("$$", f);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p >= 0x7f) /* UTF-8 or not, byte for byte */
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* An Exec*= line: @exe (after "-" when its failure is ignored: inside the
 * quotes, where systemd looks for it), then @words. */
static void put_exec(FILE *f, const char *key, bool ignore, const char *exe,
		     const char *const *words, int n)
{
	char first[PATH_MAX + 2];

	snprintf(first, sizeof(first), "%s%s", ignore ? "-" : "", exe);
	fprintf(f, "%s=", key);
	put_word(f, first, true);
	for (int i = 0; i < n; i++) {
		fputc(' ', f);
		put_word(f, words[i], true);
	}
	fputc('\n', f);
}

/* The jail's options, parsed again as start would: what ExecStart must add
 * (-d, --name) and whether the rootfs came from the CLI's environment. */
struct made_with {
	bool detach, named, rootfs_env;
	enum cl_net_mode net;
};

static int parse_args(const struct cl_state *st, json_object *args, struct made_with *w,
		      struct cl_err *err)
{
	int n = (int)json_object_array_length(args);
	_cleanup_free_ char **argv = calloc((size_t)n + 2, sizeof(*argv));
	struct cl_run_opts ro = {.svc = CL_SVC_OPTS_INIT};
	struct cl_spec spec;
	int r;

	if (!argv)
		return cl_fail(err, ENOMEM, "out of memory");
	argv[0] = "run";
	for (int i = 0; i < n; i++)
		argv[i + 1] = (char *)json_object_get_string(json_object_array_get_idx(args, i));
	/* systemd's environment has no $CLOISON_ROOTFS */
	unsetenv("CLOISON_ROOTFS");
	cl_spec_init(&spec);
	r = cl_run_parse(&spec, &ro, n + 1, argv, err);
	if (r == 0) {
		w->detach = ro.detach;
		w->named = spec.res.name && !strcmp(spec.res.name, st->name);
		w->rootfs_env = strcmp(spec.rootfs, cl_state_str(st, "rootfs")) != 0;
		w->net = spec.net;
	} else if (r > 0) {
		r = cl_fail(err, 0, "jail %s: its options ask for --help", st->name);
	} else {
		cl_wrap(err, "jail %s: its options no longer parse", st->name);
	}
	cl_spec_free(&spec);
	return r;
}

static int write_unit(FILE *f, const struct cl_state *st, json_object *args,
		      const struct made_with *w, const char *unit, struct cl_err *err)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	const char *cwd = cl_state_str(st, "cwd"), *name = st->name;
	int n = (int)json_object_array_length(args), k = 0;

	if (len <= 0)
		return cl_fail(err, errno, "cannot read /proc/self/exe");
	exe[len] = '\0';
	if (cwd[0] != '/' || strpbrk(cwd, "\n\r"))
		return cl_fail(err, 0,
			       "jail %s: its working directory %s cannot be a unit's "
			       "WorkingDirectory= (a line break in it)",
			       name, cwd);

	_cleanup_free_ const char **words = calloc((size_t)n + 4, sizeof(*words));
	if (!words)
		return cl_fail(err, ENOMEM, "out of memory");
	words[k++] = "run";
	if (!w->detach)
		words[k++] = "-d";
	if (!w->named) {
		words[k++] = "--name";
		words[k++] = name;
	}
	for (int i = 0; i < n; i++)
		words[k++] = json_object_get_string(json_object_array_get_idx(args, i));
	const char *rm[] = {"rm", "-f", name}, *stop[] = {"stop", name};

	fprintf(f,
		"# %s.service: the detached jail %s, made by\n"
		"#   cloison generate unit %s\n"
		"# Copy it to /etc/systemd/system, then: systemctl daemon-reload, and\n"
		"# systemctl enable --now %s.service\n"
		"\n"
		"[Unit]\n"
		"Description=cloison jail %s\n"
		"Documentation=man:cloison-generate(1)\n",
		unit, name, name, unit, name);
	if (w->net != CL_NET_NONE)
		fputs("Wants=network-online.target\nAfter=network-online.target\n", f);
	/* the monitor is the main process: it says when the jail is ready
	 * (--sd-notify) and ends with the jail's exit status, 0 once stopped */
	fputs("\n[Service]\nType=notify\nNotifyAccess=main\nWorkingDirectory=", f);
	for (const char *p = cwd; *p; p++) /* taken as it is, but for specifiers */
		*p == '%' ? fputs("%%", f) : fputc(*p, f);
	fputc('\n', f);
	if (w->rootfs_env) {
		char env[PATH_MAX + 32];
		snprintf(env, sizeof(env), "CLOISON_ROOTFS=%s", cl_state_str(st, "rootfs"));
		fputs("Environment=", f);
		put_word(f, env, false);
		fputc('\n', f);
	}
	/* removing a jail of the name first: a leftover, or the one this unit
	 * was generated from; stopping one that ended already is no failure */
	put_exec(f, "ExecStartPre", true, exe, rm, 3);
	put_exec(f, "ExecStart", false, exe, words, k);
	put_exec(f, "ExecStop", true, exe, stop, 2);
	put_exec(f, "ExecStopPost", true, exe, rm, 3);
	/* a stop is cloison stop's (the stop signal, the grace period, the
	 * teardown); systemd signals the monitor alone (SIGTERM: a stop too),
	 * and kills what is left only after TimeoutStopSec.  The jail's
	 * cgroups are made below the unit's: delegated. */
	fprintf(f,
		"KillMode=mixed\n"
		"Delegate=yes\n"
		"TimeoutStopSec=%lld\n"
		"Restart=%s\n"
		"\n"
		"[Install]\n"
		"WantedBy=multi-user.target\n",
		(long long)cl_state_int(st, "stop_timeout") + 30,
		strcmp(cl_state_str(st, "restart_policy"), "no") ? "on-abnormal" : "no");
	return ferror(f) ? cl_fail(err, EIO, "cannot write the unit") : 0;
}

static int check_unit_name(const char *u, struct cl_err *err)
{
	if (!*u || strlen(u) > 200 || u[0] == '.' ||
	    strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_.-") !=
		strlen(u))
		return cl_fail(
		    err, 0, "--name %s: a unit name of letters, digits, ':', '_', '.' and '-'", u);
	return 0;
}

static int generate_unit(const char *name, const char *unit_opt, bool files, struct cl_err *err)
{
	char unit[256], file[300];
	struct cl_state st;
	json_object *args;
	struct made_with w = {0};
	_cleanup_close_ int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = -1;

	if (here < 0)
		return cl_fail(err, errno, "cannot open the current directory");
	snprintf(unit, sizeof(unit), unit_opt ? "%s" : "cloison-%s", unit_opt ? unit_opt : name);
	size_t n = strlen(unit);
	if (n > 8 && !strcmp(unit + n - 8, ".service"))
		unit[n - 8] = '\0';
	if (unit_opt && check_unit_name(unit, err) < 0)
		return -1;
	if (cl_state_open(&st, name, false, err) < 0)
		return -1;
	if (!json_object_object_get_ex(st.j, "args", &args) ||
	    !json_object_is_type(args, json_type_array)) {
		cl_fail(err, 0, "jail %s: %s/state.json has no args to make it again", st.name,
			st.dir);
	} else if (chdir(cl_state_str(&st, "cwd")) < 0) {
		cl_fail(err, errno, "jail %s: cannot change to %s, where it was made", st.name,
			cl_state_str(&st, "cwd"));
	} else if (parse_args(&st, args, &w, err) == 0) {
		FILE *f = open_memstream(&text, &len);
		if (!f)
			cl_fail(err, errno, "out of memory");
		else if ((r = write_unit(f, &st, args, &w, unit, err)) == 0 && fclose(f) != 0)
			r = cl_fail(err, errno, "out of memory");
		else if (r < 0)
			fclose(f);
	}
	cl_state_close(&st);
	if (r < 0)
		return -1;
	if (!files) {
		fputs(text, stdout);
		return 0;
	}
	snprintf(file, sizeof(file), "%s.service", unit);
	_cleanup_close_ int fd =
	    openat(here, file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) < 0)
		return cl_fail(err, errno, "cannot write %s", file);
	if (fchdir(here) == 0) {
		char dir[PATH_MAX];
		printf("%s/%s\n", getcwd(dir, sizeof(dir)) ? dir : ".", file);
	}
	return 0;
}

int cl_cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {{"name", required_argument, NULL, 'n'},
					     {"files", no_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *unit = NULL;
	bool files = false;
	struct cl_err err = {0};
	int o;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(generate_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CL_EXIT_FAILURE : 0;
	}
	if (strcmp(argv[1], "unit")) {
		fprintf(stderr,
			"cloison: generate %s: only 'unit' can be generated (see cloison "
			"generate --help)\n",
			argv[1]);
		return CL_EXIT_FAILURE;
	}
	argc--, argv++;
	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (o == 'h')
			return fputs(generate_usage, stdout), 0;
		if (o == 'f') {
			files = true;
		} else if (o == 'n') {
			unit = optarg;
		} else {
			fprintf(stderr,
				"cloison: unknown option %s (see cloison generate --help)\n",
				argv[optind - 1]);
			return CL_EXIT_FAILURE;
		}
	}
	if (optind != argc - 1) {
		fputs("cloison: generate unit takes one jail's name (see cloison generate "
		      "--help)\n",
		      stderr);
		return CL_EXIT_FAILURE;
	}
	if (generate_unit(argv[optind], unit, files, &err) < 0) {
		cl_err_print(&err);
		return CL_EXIT_FAILURE;
	}
	return 0;
}
