/* cloison stats: the running jails' resource use, live (svc/stats.h).  On a
 * terminal a view redrawn every second, as top; otherwise one block of
 * lines (or one JSON document) per sample. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "vm/agent_host.h"
#include "svc/stats.h"

#define FIRST_MS    500 /* the first sample's interval */
#define INTERVAL_MS 1000

static const char stats_usage[] =
    "Usage: cloison stats [--no-stream] [--format json] [NAME...]\n"
    "\n"
    "Show what the running detached jails use (every one, or each NAME): CPU %\n"
    "over the last interval (100 % = one CPU), memory and limit, network bytes\n"
    "received and sent (lo left out), block I/O read and written, pids and\n"
    "limit; then their total against the host's CPUs and memory.  On a terminal\n"
    "the view is redrawn every second until q or ^C; otherwise a block of lines\n"
    "per sample.  Jails that end drop out.\n"
    "\n"
    "  --no-stream             one sample (two readings half a second apart), exit\n"
    "  --format json           one JSON document per sample, one line each\n"
    "  -h, --help              this text\n";

struct view {
	bool json, stream, tty; /* tty: redrawn on the terminal */
	int sigfd;		/* tty: the signals that end or redraw it, -1 */
	bool raw;		/* tty: stdin is the terminal, in raw mode */
	bool keys;		/* tty: keys are read from it (until it hangs up) */
	struct termios saved;
};

/* ---- the terminal ---- */

static void term_enter(struct view *v)
{
	struct termios raw;

	if (v->raw) {
		raw = v->saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		raw.c_cc[VMIN] = 0;
		raw.c_cc[VTIME] = 0;
		tcsetattr(0, TCSANOW, &raw);
	}
	/* the alternate screen, the cursor hidden: left as found on exit */
	fputs("\033[?1049h\033[?25l", stdout);
	fflush(stdout);
}

static void term_leave(struct view *v)
{
	fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (v->raw)
		tcsetattr(0, TCSANOW, &v->saved);
}

static int term_setup(struct view *v)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGTSTP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((v->sigfd = signalfd(-1, &set, SFD_CLOEXEC)) < 0)
		return -1;
	v->raw = v->keys = isatty(0) && tcgetattr(0, &v->saved) == 0;
	term_enter(v);
	return 0;
}

enum wake { WAKE_TIME, WAKE_REDRAW, WAKE_QUIT };

/* Waits @ms on a terminal: for the time, a key (q ends), a signal. */
static enum wake term_wait(struct view *v, int ms)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	for (;;) {
		struct pollfd p[2] = {{v->sigfd, POLLIN, 0}, {v->keys ? 0 : -1, POLLIN, 0}};
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left =
		    (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			return WAKE_TIME;
		if (poll(p, 2, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return WAKE_QUIT;
		}
		if (p[1].revents) {
			char c[64];
			ssize_t n = read(0, c, sizeof(c));
			if (n <= 0)
				v->keys = false; /* hung up: only signals now */
			for (ssize_t i = 0; i < n; i++)
				if (c[i] == 'q' || c[i] == 'Q')
					return WAKE_QUIT;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(v->sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGWINCH)
				return WAKE_REDRAW;
			if (si.ssi_signo != SIGTSTP)
				return WAKE_QUIT;
			/* ^Z: the terminal as found while stopped */
			term_leave(v);
			kill(getpid(), SIGSTOP);
			term_enter(v);
			return WAKE_REDRAW;
		}
	}
}

static void wait_ms(struct view *v, int ms, enum wake *w)
{
	if (v->tty) {
		*w = term_wait(v, ms);
		return;
	}
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
	*w = WAKE_TIME;
}

/* Home, the sample's lines (each cleared to its end, cut to the terminal),
 * the rest of the screen cleared: no flicker. */
static void draw(const struct cl_stats *s)
{
	struct winsize ws = {0};
	char *buf = NULL, tbuf[32];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	time_t now = (time_t)(s->time / 1000000000LL);
	struct tm tm;

	if (ioctl(1, TIOCGWINSZ, &ws) < 0 || !ws.ws_col)
		ws.ws_col = 80, ws.ws_row = 24;
	if (!f)
		return;
	localtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	fprintf(f, "cloison stats  %s  every %d s  (q quits)\n\n", tbuf, INTERVAL_MS / 1000);
	cl_stats_print_table(s, f, ws.ws_col);
	fclose(f);
	/* too many jails for the screen: the first ones, then the totals */
	int rows = ws.ws_row > 4 ? ws.ws_row - 1 : 3, n = 0;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	fputs("\033[H", stdout);
	char *line = buf;
	for (int i = 0; i < n; i++) {
		char *nl = strchr(line, '\n');
		bool tail = i >= n - 2;
		if (i < rows - 3 || tail || n <= rows)
			printf("%.*s\033[K\n", (int)(nl - line), line);
		else if (i == rows - 3)
			printf("... %d more\033[K\n", n - 2 - i);
		line = nl + 1;
	}
	fputs("\033[J", stdout);
	fflush(stdout);
	free(buf);
}

static void show(const struct view *v, const struct cl_stats *s)
{
	if (v->json) {
		cl_stats_print_json(s, stdout);
	} else if (v->tty) {
		draw(s);
		return;
	} else {
		cl_stats_print_table(s, stdout, 0);
		if (v->stream)
			putchar('\n');
	}
	fflush(stdout);
}

/* ---- the command ---- */

/* Each NAME is a jail, live: else the error, naming it. */
static int check_names(char *const *names, struct cl_err *err)
{
	for (char *const *n = names; *n; n++) {
		struct cl_state st;
		if (cl_state_open(&st, *n, false, err) < 0) {
			if (err->errnum == ENOENT)
				cl_fail(err, 0, "no such jail: %s", *n);
			return -1;
		}
		const char *status = cl_state_status(&st);
		int r = cl_status_live(status)
			    ? 0
			    : cl_fail(err, 0, "jail %s is not running (%s)", st.name, status);
		cl_state_close(&st);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Micro-VM jails: their guest agent's view (memory, load), a second at most
 * each; a guest that does not answer just has none. */
static void guest_views(struct cl_stats *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct cl_stats_jail *j = &s->jail[i];
		struct cl_guest_stats g;
		struct cl_state st;
		struct cl_err e = {0};

		if (strcmp(j->mode, "vm") || cl_state_open(&st, j->name, false, &e) < 0)
			continue;
		if (cl_state_str(&st, "vsock")[0] &&
		    cl_agent_stats(cl_state_str(&st, "vsock"), &g, 1.0, &e) == 0) {
			j->guest = true;
			j->guest_mem_total = g.mem_total;
			j->guest_mem_available = g.mem_available;
			memcpy(j->guest_load, g.load, sizeof(g.load));
			j->guest_procs = g.procs;
		}
		cl_state_close(&st);
	}
}

static int loop(struct view *v, char *const *names, struct cl_err *err)
{
	struct cl_stats prev, cur;
	enum wake w = WAKE_TIME;

	if (cl_stats_sample(&prev, names, NULL, err) < 0)
		return -1;
	wait_ms(v, FIRST_MS, &w);
	while (w != WAKE_QUIT) {
		if (w == WAKE_REDRAW) {
			draw(&prev);
		} else {
			if (cl_stats_sample(&cur, names, &prev, err) < 0)
				break;
			guest_views(&cur);
			cl_stats_free(&prev);
			prev = cur;
			show(v, &prev);
			/* every jail asked for has ended */
			if (!v->stream || (names && !prev.live))
				break;
		}
		wait_ms(v, INTERVAL_MS, &w);
	}
	cl_stats_free(&prev);
	return err->msg[0] ? -1 : 0;
}

int cl_cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {{"no-stream", no_argument, NULL, 'n'},
					     {"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct view v = {.stream = true, .sigfd = -1};
	struct cl_err err = {0};
	int o;

	optind = 1;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'n') {
			v.stream = false;
		} else if (o == 'f' && !strcmp(optarg, "json")) {
			v.json = true;
		} else if (o == 'f') {
			fprintf(stderr, "cloison: --format %s: only json\n", optarg);
			return CL_EXIT_FAILURE;
		} else if (o == 'h') {
			fputs(stats_usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "cloison: unknown option %s (see cloison stats --help)\n",
				argv[optind - 1]);
			return CL_EXIT_FAILURE;
		}
	}
	char *const *names = optind < argc ? argv + optind : NULL;
	if (names && check_names(names, &err) < 0) {
		cl_err_print(&err);
		return CL_EXIT_FAILURE;
	}
	v.tty = v.stream && !v.json && isatty(1);
	if (v.tty && term_setup(&v) < 0) {
		fprintf(stderr, "cloison: cannot watch for signals: %s\n", strerror(errno));
		return CL_EXIT_FAILURE;
	}
	int r = loop(&v, names, &err);
	if (v.tty) {
		term_leave(&v);
		close(v.sigfd);
	}
	if (r < 0) {
		cl_err_print(&err);
		return CL_EXIT_FAILURE;
	}
	return 0;
}
