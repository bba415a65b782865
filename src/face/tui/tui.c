/* The interactive view: terminal setup and restore, the one event loop
 * (keys, signals, the collector's fds, the refresh timer), the view stack
 * and the keys every view shares. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "annotate.h"
#include "calls.h"
#include "collect.h"
#include "proclist.h"
#include "session.h"
#include "target.h"
#include "tui-priv.h"
#include "tui.h"
#include "xalloc.h"

#define MSG_MS	  4000
#define MAX_DEPTH 64 /* views on the stack */

/* For the fatal paths (signal handler, allocation failure): what must be
 * undone however proftop dies. */
static volatile sig_atomic_t screen_open;
static int saved_stderr = -1;
static volatile pid_t launched_pid;

static void restore_terminal(void)
{
	if (screen_open) {
		endwin();
		screen_open = 0;
	}
	if (saved_stderr >= 0) {
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
	}
}

/* fatal() and the crash handler: the terminal first, then the target we
 * launched (it would outlive us, writing to a closed pty). */
static void fatal_hook(void)
{
	restore_terminal();
	if (launched_pid > 0)
		kill(launched_pid, SIGTERM);
}

static void on_crash(int sig)
{
	static const char msg[] = "proftop: crashed; the terminal was restored\n";

	fatal_cleanup();
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing left to tell */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void crash_handlers(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(*sigs); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ---- views ---- */

struct view *view_alloc(const struct view_ops *ops, void *priv)
{
	struct view *v = xcalloc(1, sizeof(*v));

	v->ops = ops;
	v->priv = priv;
	v->gen = v->fgen = UINT64_MAX;
	return v;
}

static size_t depth(const struct tui *t)
{
	size_t n = 0;

	for (const struct view *v = t->top; v; v = v->below)
		n++;
	return n;
}

static void view_free(struct tui *t, struct view *v)
{
	if (v->ops->leave)
		v->ops->leave(t, v);
	free(v->priv);
	free(v);
}

void tui_push(struct tui *t, struct view *v)
{
	if (!v)
		return;
	if (depth(t) >= MAX_DEPTH) {
		tui_message(t, true, "too many views open: press Esc to go back first");
		view_free(t, v);
		return;
	}
	v->below = t->top;
	t->top = v;
	t->dirty = true;
}

void tui_pop(struct tui *t)
{
	struct view *v = t->top;

	if (!v || !v->below)
		return;
	t->top = v->below;
	view_free(t, v);
	t->dirty = true;
}

void tui_message(struct tui *t, bool err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_err = err;
	t->msg_until = loop_now_ns() + MSG_MS * 1000000ull;
	t->dirty = true;
}

/* The end of the data: now while running, the end of the run after. */
static uint64_t data_end(const struct tui *t)
{
	return t->running ? t->now_ns : t->prof->meta.duration_ns;
}

void tui_requery(struct tui *t)
{
	uint64_t end = data_end(t), win = (uint64_t)TUI_WINDOW_S * 1000000000ull;

	t->filter.t_from = t->window && end > win ? end - win : 0;
	t->filter.t_to = 0;
	t->gen++;
	t->seen_samples = t->prof->total_samples;
	t->renamed = false;
	t->seen_memory = t->prof->nmemory;
	t->seen_output = t->prof->output_len + t->prof->output_dropped;
	t->dirty = true;
}

/* ---- drawing ---- */

/* Recompute v's tables if the data or the filter moved on since. */
void tui_view_sync(struct tui *t, struct view *v)
{
	if (v->gen != t->gen || v->fgen != t->fgen) {
		v->ops->update(t, v);
		v->gen = t->gen;
		v->fgen = t->fgen;
	}
}

static void draw(struct tui *t)
{
	struct view *v = t->top;
	int head = LINES >= 10 ? 2 : 1, avail;

	t->dirty = false;
	erase();
	if (LINES < 4 || COLS < 16) {
		ui_put(0, 0, "proftop: terminal too small", COLS, A_BOLD);
		refresh();
		return;
	}
	avail = LINES - head - 1;
	t->mem_no_room = false; /* the memory view sets it, for its title */
	t->main = (struct rect){head, 0, avail, COLS};
	t->colhead_y = -1;
	tui_view_sync(t, v);
	v->ops->draw(t, v, &t->main);
	ui_header(t, head);
	ui_footer(t);
	refresh();
}

/* ---- state of the run ---- */

static void describe_end(struct tui *t)
{
	const struct prof_meta *m = &t->prof->meta;
	const char *sig = m->term_signal ? sigabbrev_np(m->term_signal) : NULL;
	char signame[32];

	if (sig)
		snprintf(signame, sizeof(signame), "SIG%s", sig);
	else
		snprintf(signame, sizeof(signame), "signal %d", m->term_signal);
	if (m->exited)
		snprintf(t->state, sizeof(t->state), "exited with status %d%s", m->exit_status,
			 m->stopped_by_proftop ? " (stopped by proftop)" : "");
	else if (m->term_signal)
		snprintf(t->state, sizeof(t->state), "%s %s",
			 m->stopped_by_proftop ? "stopped by proftop with" : "killed by", signame);
	else if (m->attached)
		snprintf(t->state, sizeof(t->state), "profiling ended; the process runs on");
	else
		snprintf(t->state, sizeof(t->state), "ended");
}

void tui_input(struct tui *t, bool on)
{
	if (on == t->input)
		return;
	if (on && (!t->opt->pass_stdin || !t->running || !t->launched)) {
		tui_message(t, true, "%s",
			    !t->opt->pass_stdin ? "the target reads /dev/null: start proftop with "
						  "--stdin to type to it"
						: "the target is not running");
		return;
	}
	t->input = on;
	/* The target reads the pty, never our terminal: we pass it the keys
	 * (forward_key) and the pty echoes them into its output. ^C stays
	 * ours (a signal, read in read_signals). */
	curs_set(on ? 1 : 0);
	t->dirty = true;
}

/* A key typed for the target, as the bytes a terminal would send. */
static void forward_key(struct tui *t, int key)
{
	char c;

	if (key == KEY_ENTER || key == '\r' || key == '\n')
		c = '\r'; /* the pty's ICRNL makes it a newline */
	else if (key == KEY_BACKSPACE || key == 127 || key == 8)
		c = 0x7f; /* the pty's erase character */
	else if (key >= 0 && key < 256 && key != 27)
		c = (char)key; /* printable, UTF-8 bytes, ^D, tab */
	else
		return; /* function and cursor keys mean nothing to a line reader */
	if (collector_write_input(t->col, &c, 1) < 0)
		tui_message(t, true, "the target is not reading its input");
}

static void finish_run(struct tui *t)
{
	if (!t->running)
		return;
	tui_input(t, false);
	loop_remove_source(t->loop, t->col);
	collector_finish(t->col);
	launched_pid = 0;
	t->running = false;
	t->paused = false;
	describe_end(t);
	tui_message(t, false, "target %s; the profile stays: explore it, q quits", t->state);
	tui_requery(t);
}

void tui_switch_run(struct tui *t, struct collector *col, struct profile *p)
{
	finish_run(t);
	while (t->top) {
		struct view *v = t->top;

		t->top = v->below;
		view_free(t, v);
	}
	memory_pane_free(t);
	collector_free(t->col);
	profile_free(t->prof);
	t->col = col;
	t->prof = p;
	t->running = true;
	loop_add_source(t->loop, &collector_loop_source, col);
	t->launched = t->paused = t->frozen = t->zeroed = false;
	t->filter.tid = 0;
	t->state[0] = t->live[0] = '\0';
	t->now_ns = 0;
	t->seen_samples = t->seen_memory = t->seen_output = 0;
	save_writer_attach(t);
	tui_push(t, view_functions_new(t));
	tui_requery(t);
}

/* While running: the target's state when it cannot run, for the header
 * (a stopped process gives no samples, and the header says why). Our own
 * ptrace stops (the ptrace backend) are not news. */
static void live_state(struct tui *t)
{
	pid_t pid = t->running && t->col ? collector_target(t->col)->pid : 0, tracer = 0;
	char st = pid > 0 ? proclist_read_state(NULL, pid, &tracer) : '\0';

	t->live[0] = '\0';
	if (st == 'T')
		snprintf(t->live, sizeof(t->live),
			 "stopped (SIGSTOP): no samples until it continues");
	else if (st == 't' && tracer != getpid())
		snprintf(t->live, sizeof(t->live),
			 "traced (held by pid %d): no samples while it is held", (int)tracer);
	else if (st == 'Z')
		snprintf(t->live, sizeof(t->live),
			 "zombie: it exited, its parent has not reaped it");
}

static void tick(struct tui *t)
{
	struct rusage ru;
	uint64_t wall = loop_now_ns(), cpu;
	const struct profile *p = t->prof;
	const char *note = t->col ? calls_message(collector_calls(t->col)) : NULL;

	if (note) /* --calls, --latency: one per tick, so each is seen */
		tui_message(t, true, "%s", note);

	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
		      (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
		if (t->last_wall_ns && wall > t->last_wall_ns)
			t->self_cpu = 100.0 * (double)(cpu - t->last_cpu_ns) /
				      (double)(wall - t->last_wall_ns);
		t->last_cpu_ns = cpu;
		t->last_wall_ns = wall;
	}
	if (t->running && wall > p->meta.start_ns)
		t->now_ns = wall - p->meta.start_ns;
	save_writer_tick(t);
	if (t->paused) { /* samples taken before the pause may still come in */
		t->draining = p->total_samples != t->pause_samples;
		t->pause_samples = p->total_samples;
	}
	live_state(t);
	/* The picker lists processes, not samples: a rescan every tick. */
	if (t->top && t->top->ops == &view_picker_ops)
		t->top->gen = UINT64_MAX;
	/* debuginfod's names arrive late, after the run too: the rows again */
	if (t->col && collector_names_changed(t->col))
		t->renamed = true;
	if (!t->frozen &&
	    (t->renamed || p->total_samples != t->seen_samples || p->nmemory != t->seen_memory ||
	     p->output_len + p->output_dropped != t->seen_output || (t->window && t->running)))
		tui_requery(t);
	t->dirty = true;
}

/* ---- the loop ---- */

static void read_stderr(struct tui *t, int fd)
{
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	char *line, *save = NULL;

	if (n <= 0)
		return;
	buf[n] = '\0';
	/* The last complete line wins: a library's complaint, shown, not painted over us. */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line)
			tui_message(t, true, "%s", line);
}

static void on_signal(void *arg, int signo)
{
	struct tui *t = arg;
	struct winsize ws;

	switch (signo) {
	case SIGWINCH:
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
			resizeterm(ws.ws_row, ws.ws_col);
		t->dirty = true;
		break;
	case SIGCHLD:
		break;
	case SIGINT: /* ^C: takes the keys back from the target, else quits */
		if (t->input)
			tui_input(t, false);
		else
			t->quit = true;
		break;
	default: /* SIGTERM, SIGHUP, SIGQUIT: leave, then die of it */
		t->quit = true;
		t->exit_sig = signo;
		break;
	}
}

/* The terminal as a loop source: keys, and proftop's own stderr (a pipe,
 * so that a library's complaint never paints over the screen). */
static size_t term_fds(void *arg, struct pollfd *fds, size_t max)
{
	struct tui *t = arg;
	size_t n = 0;

	if (n < max)
		fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
	if (t->err_fd >= 0 && n < max)
		fds[n++] = (struct pollfd){.fd = t->err_fd, .events = POLLIN};
	return n;
}

/* Wake up when the status line's message expires. */
static int term_timeout(void *arg)
{
	struct tui *t = arg;
	uint64_t now;

	if (!t->msg[0] || !t->msg_until)
		return -1;
	now = loop_now_ns();
	return t->msg_until > now ? (int)((t->msg_until - now) / 1000000 + 1) : 0;
}

static void term_dispatch(void *arg, const struct pollfd *fds, size_t n)
{
	struct tui *t = arg;
	int key;

	if (n > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
		t->quit = true; /* the terminal is gone */
		t->exit_sig = SIGHUP;
	}
	/* Keys first, drawn at once: the collector must not delay them. */
	if (n > 0 && (fds[0].revents & POLLIN)) {
		while ((key = getch()) != ERR && !t->quit) {
			if (t->input)
				forward_key(t, key);
			else
				tui_key(t, key);
		}
		if (t->dirty && !t->quit)
			draw(t);
	}
	if (n > 1 && (fds[1].revents & POLLIN))
		read_stderr(t, t->err_fd);
}

static const struct loop_source_ops term_source = {
	.fds = term_fds,
	.timeout_ms = term_timeout,
	.dispatch = term_dispatch,
};

static void on_tick(void *arg)
{
	tick(arg);
}

/* After every wakeup: notice the run's end, expire the message, draw once. */
static void after_wakeup(void *arg)
{
	struct tui *t = arg;

	if (t->running && collector_done(t->col))
		finish_run(t);
	if (t->msg_until && loop_now_ns() >= t->msg_until) {
		t->msg_until = 0;
		t->dirty = true;
	}
	if (t->quit)
		loop_quit(t->loop);
	else if (t->dirty)
		draw(t);
}

/* ---- setup ---- */

static int refuse_early(const struct tui_config *o)
{
	const char *term = getenv("TERM");

	if (o->input && o->output) {
		warnx_("-o saves a live run; to copy a saved session, open it with -i and press s");
		return 2;
	}
	if (!o->input && o->baseline) {
		warnx_("--baseline compares two saved sessions in the TUI: add -i NEW");
		return 2;
	}
	/* No target at all: the picker (view-picker.c) chooses one. */
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		warnx_("the live view needs a terminal on stdin and stdout; "
		       "use 'proftop report' to print a profile instead");
		return 1;
	}
	if (!term || !*term || !tui_term_known()) {
		warnx_("unknown terminal type '%s'; set TERM (e.g. TERM=xterm-256color)",
		       term ? term : "");
		return 1;
	}
	return 0;
}

static int open_screen(struct tui *t)
{
	const char *cs = setlocale(LC_CTYPE, NULL);
	SCREEN *s;

	if (!getenv("ESCDELAY"))
		set_escdelay(25);
	s = newterm(NULL, stdout, stdin);
	if (!s)
		return -1;
	set_term(s);
	screen_open = 1;
	t->utf8 = cs && (strstr(cs, "UTF-8") || strstr(cs, "utf8") || strstr(cs, "UTF8") ||
			 strstr(cs, "utf-8"));
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
	mouseinterval(0);
	ui_colors_init(t);
	return 0;
}

/* stderr through a pipe while the screen is up: a library's message
 * becomes a line on the screen, not a smear over it. */
static int capture_stderr(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (saved_stderr < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

/* Whatever was written to stderr and not shown yet, after the screen closed. */
static void flush_stderr(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) < 0)
			break;
}

static void tui_free(struct tui *t)
{
	while (t->top) {
		struct view *v = t->top;

		t->top = v->below;
		view_free(t, v);
	}
	free(t->name_filter);
	free(t->search);
	free(t->save_name);
	memory_pane_free(t);
	if (t->annot)
		annot_cache_free(t->annot);
}

void tui_open_static(struct tui *t, const struct tui_config *o, struct profile *p)
{
	memset(t, 0, sizeof(*t));
	t->opt = o;
	t->prof = p;
	t->color = !o->no_color;
	t->sort = o->sort;
	t->reverse = o->reverse;
	t->annot = annot_cache_new();
	describe_end(t);
	ui_colors_init(t);
	tui_push(t, view_functions_new(t));
	tui_requery(t);
}

void tui_redraw(struct tui *t)
{
	draw(t);
}

void tui_close_static(struct tui *t)
{
	tui_free(t);
}

/* -i FILE [--baseline OLD]: the profile (and its baseline) from files,
 * nothing to collect. 0, or 1 after printing why. */
static int open_saved(struct tui *t, const struct tui_config *o)
{
	struct session_info info;
	char err[512], date[64] = "?";
	const struct prof_meta *m;
	time_t when;
	struct tm tm;

	t->prof = session_load_within(o->input, o->collect.max_memory, &info, err, sizeof(err));
	if (!t->prof) {
		warnx_("%s", err);
		return 1;
	}
	if (o->baseline && !(t->base = session_load_within(o->baseline, o->collect.max_memory, NULL,
							   err, sizeof(err)))) {
		warnx_("%s", err);
		return 1;
	}
	m = &t->prof->meta;
	when = (time_t)m->start_realtime;
	if (when && localtime_r(&when, &tm))
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	t->saved = o->input;
	snprintf(t->saved_what, sizeof(t->saved_what), "saved session: %s, recorded %s on %s%s",
		 o->input, date, m->host ? m->host : "?",
		 info.complete ? "" : " (unfinished: ends at its last flush)");
	t->sort_delta = o->sort_delta;
	t->launched = !m->attached; /* its output was captured */
	describe_end(t);
	return 0;
}

int tui_run(const struct tui_config *o)
{
	struct tui t;
	sigset_t sigs;
	char err[512];
	double refresh = o->refresh > 0 ? o->refresh : 1.0;
	int rc = refuse_early(o);

	if (rc)
		return rc;
	setlocale(LC_CTYPE, "");
	memset(&t, 0, sizeof(t));
	t.opt = o;
	t.err_fd = -1;
	t.color = !o->no_color;
	t.sort = o->sort;
	t.reverse = o->reverse;
	t.filter.tid = o->filter.tid;
	t.filter.self_to_function = o->self_to_function;
	t.filter.wall = o->collect.wall;
	t.filter.idle = o->filter.idle;
	t.annot = annot_cache_new();
	t.launched = o->collect.argv != NULL;
	t.loop = loop_new();
	sigemptyset(&sigs); /* for the way out */
	if (o->input) {
		rc = open_saved(&t, o);
		if (!rc &&
		    report_clock_resolve(t.prof, o->clock, &t.filter.wall, err, sizeof(err)) < 0) {
			warnx_("%s", err);
			rc = 1;
		}
		if (rc)
			goto out;
	} else if (o->collect.argv || o->collect.npids) {
		t.prof = profile_new();
		t.col = collector_new(&o->collect, t.prof);
		calls_set_quiet(collector_calls(t.col), true); /* its messages: the status line */
	} else {
		t.prof = profile_new(); /* empty until the picker attaches */
	}

	sigaddset(&sigs, SIGWINCH);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGQUIT);
	sigaddset(&sigs, SIGCHLD);
	if (loop_signals(t.loop, &sigs, on_signal, &t) < 0) {
		warnx_("cannot set up the event loop: %s", strerror(errno));
		rc = 1;
		goto out;
	}

	/* Before the target starts: a file that cannot be written is known now. */
	if (o->output && save_writer_open(&t, o->output, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		rc = 1;
		goto out;
	}
	if (t.col) {
		save_writer_attach(&t);
		collector_set_output(t.col, COLLECT_OUTPUT_CAPTURE, o->pass_stdin);
		if (collector_start(t.col, err, sizeof(err)) < 0) {
			warnx_("%s", err);
			rc = 1;
			goto out;
		}
		t.running = true;
		loop_add_source(t.loop, &collector_loop_source, t.col);
	}
	if (t.launched && t.col)
		launched_pid = collector_target(t.col)->pid;
	if ((t.err_fd = capture_stderr()) < 0) {
		warnx_("cannot set up the event loop: %s", strerror(errno));
		rc = 1;
		goto out;
	}
	loop_add_source(t.loop, &term_source, &t);
	loop_timer(t.loop, refresh < 0.01 ? 10000000ull : (uint64_t)(refresh * 1e9), on_tick, &t);
	loop_after(t.loop, after_wakeup, &t);
	fatal_set_cleanup(fatal_hook);
	crash_handlers();
	if (open_screen(&t) < 0) {
		restore_terminal();
		warnx_("cannot open the terminal (TERM=%s)", getenv("TERM"));
		rc = 1;
		goto out;
	}
	tui_push(&t, t.base ? view_diff_new(&t) : view_functions_new(&t));
	if (!o->input && !t.col)
		tui_push(&t, view_picker_new(&t));
	tick(&t);
	tui_requery(&t);
	draw(&t);
	loop_run(t.loop, NULL, NULL);
	rc = 0;
out:
	if (t.running)
		collector_finish(t.col);
	launched_pid = 0;
	restore_terminal();
	fatal_set_cleanup(NULL);
	if (t.err_fd >= 0) {
		flush_stderr(t.err_fd);
		close(t.err_fd);
	}
	if (t.writer && rc == 0) {
		rc = save_writer_close(&t);
	} else if (t.writer) {
		session_writer_abort(t.writer);
		t.writer = NULL;
	}
	tui_free(&t);
	collector_free(t.col);
	profile_free(t.prof);
	profile_free(t.base);
	loop_free(t.loop);
	if (t.exit_sig) {
		/* Die of the signal that asked us to, the terminal restored. */
		signal(t.exit_sig, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &sigs, NULL);
		raise(t.exit_sig);
	}
	sigprocmask(SIG_UNBLOCK, &sigs, NULL);
	return rc;
}
