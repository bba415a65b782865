/* Drawing helpers: colours, safe text, the header and the footer. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "tui-priv.h"

/* Colour pairs: foreground for 8 colours, for 256, background, and the
 * attributes added; pair 0 is the terminal's default. */
struct color_def {
	short fg8, fg256, bg;
	attr_t extra;
	attr_t mono; /* without colour */
};

static const struct color_def color_defs[UC_COUNT] = {
	[UC_NORMAL] = {-1, -1, -1, 0, 0},
	[UC_HEADER] = {COLOR_CYAN, 75, -1, 0, 0},
	[UC_VALUE] = {-1, -1, -1, A_BOLD, A_BOLD},
	[UC_TITLE] = {COLOR_BLACK, 16, COLOR_CYAN, 0, A_REVERSE},
	[UC_COLHEAD] = {COLOR_BLACK, 16, COLOR_GREEN, 0, A_BOLD | A_UNDERLINE},
	[UC_COLSORT] = {COLOR_BLACK, 16, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD},
	[UC_CURSOR] = {COLOR_BLACK, 16, COLOR_CYAN, 0, A_REVERSE},
	[UC_DIM] = {COLOR_BLUE, 244, -1, 0, A_DIM},
	[UC_HEAT1] = {-1, 250, -1, 0, 0},
	[UC_HEAT2] = {COLOR_GREEN, 40, -1, 0, 0},
	[UC_HEAT3] = {COLOR_YELLOW, 184, -1, 0, 0},
	[UC_HEAT4] = {COLOR_RED, 208, -1, 0, A_BOLD},
	[UC_HEAT5] = {COLOR_RED, 196, -1, A_BOLD, A_BOLD | A_UNDERLINE},
	[UC_KEY] = {-1, -1, -1, A_BOLD, A_BOLD},
	[UC_KEYLABEL] = {COLOR_BLACK, 16, COLOR_CYAN, 0, A_REVERSE},
	[UC_MSG] = {COLOR_BLACK, 16, COLOR_YELLOW, 0, A_REVERSE | A_BOLD},
	[UC_ERR] = {COLOR_WHITE, 231, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD},
	[UC_STATE_RUN] = {COLOR_GREEN, 40, -1, A_BOLD, A_BOLD},
	[UC_STATE_END] = {COLOR_YELLOW, 214, -1, A_BOLD, A_BOLD | A_UNDERLINE},
	[UC_RSS] = {COLOR_GREEN, 40, -1, 0, A_BOLD},
	[UC_VMS] = {COLOR_CYAN, 75, -1, 0, 0},
	[UC_MARK] = {COLOR_MAGENTA, 170, -1, 0, A_BOLD},
};

void ui_colors_init(struct tui *t)
{
	t->ncolors = 0;
	if (t->color && has_colors() && start_color() != ERR) {
		use_default_colors();
		t->ncolors = COLORS >= 256 ? 256 : 8;
	}
	for (int i = 0; i < UC_COUNT; i++) {
		const struct color_def *d = &color_defs[i];

		if (!t->ncolors || i == UC_NORMAL) {
			t->attrs[i] = d->mono;
			continue;
		}
		/* A 256-colour background is the 8-colour one: cyan, green, red. */
		init_pair((short)i, t->ncolors == 256 ? d->fg256 : d->fg8, d->bg);
		t->attrs[i] = COLOR_PAIR(i) | d->extra;
	}
}

attr_t ui_attr(const struct tui *t, enum ui_color c)
{
	return t->attrs[c];
}

attr_t ui_heat(const struct tui *t, double pct)
{
	if (pct >= 50)
		return t->attrs[UC_HEAT5];
	if (pct >= 20)
		return t->attrs[UC_HEAT4];
	if (pct >= 5)
		return t->attrs[UC_HEAT3];
	if (pct >= 1)
		return t->attrs[UC_HEAT2];
	return t->attrs[UC_HEAT1];
}

int ui_putn(int y, int x, const char *s, size_t len, int w, attr_t a)
{
	wchar_t buf[1024];
	mbstate_t st;
	size_t i = 0, n = 0;
	int cols = 0;

	memset(&st, 0, sizeof(st));
	while (s && i < len && n < sizeof(buf) / sizeof(*buf) - 8 && cols < w) {
		unsigned char c = (unsigned char)s[i];
		wchar_t wc;
		size_t k = 1;
		int cw = 1;

		if (c == '\t') {
			/* tabs expand to the next multiple of 8 */
			do
				buf[n++] = L' ';
			while (++cols % 8 && cols < w);
			i++;
			continue;
		}
		if (c < 0x80) {
			wc = c < 0x20 || c == 0x7f ? L'?' : c;
		} else {
			k = mbrtowc(&wc, s + i, len - i, &st);
			if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
				wc = L'?';
				k = 1;
				memset(&st, 0, sizeof(st));
			} else if ((cw = wcwidth(wc)) < 0) {
				wc = L'?';
				cw = 1;
			}
		}
		if (cols + cw > w)
			break;
		buf[n++] = wc;
		cols += cw;
		i += k;
	}
	attrset(a);
	if (n)
		mvaddnwstr(y, x, buf, (int)n);
	attrset(A_NORMAL);
	return cols;
}

int ui_put(int y, int x, const char *s, int w, attr_t a)
{
	return s ? ui_putn(y, x, s, strlen(s), w, a) : 0;
}

/* The character at s + *i (of len bytes): its display width; *i moves
 * past it. Invalid bytes count one column each. */
static int next_char(const char *s, size_t len, size_t *i, mbstate_t *st)
{
	wchar_t wc;
	size_t k = (unsigned char)s[*i] < 0x80 ? 1 : mbrtowc(&wc, s + *i, len - *i, st);
	int cw = 1;

	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		k = 1;
		memset(st, 0, sizeof(*st));
	} else if (k > 1 && (cw = wcwidth(wc)) < 0) {
		cw = 1;
	}
	*i += k;
	return cw;
}

int ui_width(const char *s)
{
	mbstate_t st;
	size_t len = strlen(s), i = 0;
	int cols = 0;

	memset(&st, 0, sizeof(st));
	while (i < len)
		cols += next_char(s, len, &i, &st);
	return cols;
}

/* The byte offset in s after its first cols display columns. */
static size_t skip_columns(const char *s, int cols)
{
	mbstate_t st;
	size_t len = strlen(s), i = 0;

	memset(&st, 0, sizeof(st));
	while (i < len && cols > 0)
		cols -= next_char(s, len, &i, &st);
	return i;
}

int ui_put_cut(const struct tui *t, int y, int x, const char *s, int w, int skip, attr_t a)
{
	const char *more = t->utf8 ? "\u2026" : ">", *less = t->utf8 ? "\u2026" : "<";
	int n = 0;

	if (w <= 0 || !s)
		return 0;
	if (skip > 0) {
		s += skip_columns(s, skip);
		n = ui_put(y, x, less, 1, a);
	}
	if (n + ui_width(s) <= w)
		return n + ui_put(y, x + n, s, w - n, a);
	n += ui_put(y, x + n, s, w - n - 1, a);
	return n + ui_put(y, x + n, more, 1, a);
}

void ui_fill(int y, int x, int w, attr_t a)
{
	if (w <= 0)
		return;
	attrset(a);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

void ui_bar(const struct tui *t, int y, int x, int w, double frac, attr_t a)
{
	static const wchar_t eighths[] = L" \u258f\u258e\u258d\u258c\u258b\u258a\u2589\u2588";
	int cells8 = (int)(frac * w * 8 + 0.5);

	if (w <= 0)
		return;
	if (cells8 > w * 8)
		cells8 = w * 8;
	if (cells8 < 0)
		cells8 = 0;
	attrset(a);
	move(y, x);
	for (int i = 0; i < w; i++) {
		int e = cells8 - i * 8;

		e = e < 0 ? 0 : e > 8 ? 8 : e;
		if (t->utf8) {
			wchar_t wc[2] = {eighths[e], 0};

			addnwstr(wc, 1);
		} else {
			addch(e >= 4 ? '#' : ' ');
		}
	}
	attrset(A_NORMAL);
}

const char *ui_base(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash && slash[1] ? slash + 1 : path;
}

const char *ui_fn_name(const struct profile *p, uint32_t fn)
{
	return profile_function_name(p, fn);
}

char *ui_fn_label(const struct profile *p, uint32_t fn, char *buf, size_t len)
{
	char *label = func_label(p, fn);

	snprintf(buf, len, "%s", label);
	free(label);
	return buf;
}

bool ui_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	if (!n)
		return true;
	for (; hay && *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

bool ui_fn_matches(const struct profile *p, uint32_t fn, const char *needle)
{
	return ui_contains(ui_fn_name(p, fn), needle);
}

/* The modes every view shares, for the right end of a title. */
static void modes(const struct tui *t, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
#define ADD(...)                                                              \
	do {                                                                  \
		if (o < len)                                                  \
			o += (size_t)snprintf(buf + o, len - o, __VA_ARGS__); \
	} while (0)
	if (t->mem_no_room)
		ADD("no room for memory  ");
	if (t->frozen)
		ADD("FROZEN  ");
	ADD("%s", t->window ? "last " : "since start");
	if (t->window)
		ADD("%d s", TUI_WINDOW_S);
	if (t->filter.tid) {
		const struct prof_thread *th = profile_find_thread(t->prof, t->filter.tid);

		ADD(", thread %d%s%s", t->filter.tid, th && th->comm ? " " : "",
		    th && th->comm ? th->comm : "");
	}
	if (t->name_filter)
		ADD(", filter \"%s\"", t->name_filter);
#undef ADD
}

void ui_title(struct tui *t, int y, const char *left, const char *right)
{
	char m[160];
	int w = COLS, rw;

	modes(t, m, sizeof(m));
	if (!right)
		right = m;
	ui_fill(y, 0, w, ui_attr(t, UC_TITLE));
	rw = ui_width(right) + 1;
	if (rw > w / 2)
		rw = w / 2;
	ui_put_cut(t, y, 1, left, w - rw - 2, 0, ui_attr(t, UC_TITLE) | A_BOLD);
	ui_put(y, w - rw, right, rw - 1, ui_attr(t, UC_TITLE));
}

/* Pieces written left to right on one row, each cut to what is left. */
struct line {
	int y, x, w;
};

static void seg(struct line *l, const char *s, attr_t a)
{
	if (l->x < l->w)
		l->x += ui_put(l->y, l->x, s, l->w - l->x, a);
}

/* The command line, its program as a basename when room is short, cut to
 * w columns with an ellipsis. */
static void command(const struct tui *t, int w, char *buf, size_t len)
{
	const char *cmd = t->prof->meta.command ? t->prof->meta.command : "(no command)";
	const char *sp = strchr(cmd, ' '), *prog = cmd;
	size_t plen = sp ? (size_t)(sp - cmd) : strlen(cmd);

	if (ui_width(cmd) > w) {
		for (const char *c = cmd; c < cmd + plen; c++)
			if (*c == '/' && c + 1 < cmd + plen)
				prog = c + 1;
	}
	snprintf(buf, len, "%.*s%s", (int)(plen - (size_t)(prog - cmd)), prog, sp ? sp : "");
	if (ui_width(buf) > w && w > 3) {
		/* keep w - 1 columns (ASCII assumed for the cut) and mark it */
		size_t keep = (size_t)w - 1 < strlen(buf) ? (size_t)w - 1 : strlen(buf);

		while (keep && ((unsigned char)buf[keep] & 0xc0) == 0x80)
			keep--;
		snprintf(buf + keep, len - keep, "%s", t->utf8 ? "\u2026" : "+");
	}
}

/* 12K, 3.4M, 256M, 1.5G: the header's short sizes. */
static char *short_bytes(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	double x = (double)v / 1024;
	int u = 0;

	while (x >= 1024 && u < 3) {
		x /= 1024;
		u++;
	}
	if (x < 10)
		snprintf(buf, len, "%.1f%c", x, units[u]);
	else
		snprintf(buf, len, "%.0f%c", x, units[u]);
	return buf;
}

/* "mem 12M/256M": the profile's tables against --max-memory (only the
 * oldest samples can be folded: interned tables may pass it). */
static void header_memory(struct tui *t, struct line *l)
{
	uint64_t max = t->col ? collector_budget(t->col)->max_bytes : t->opt->collect.max_memory;
	uint64_t used = profile_memory_bytes(t->prof);
	char a[16], b[16], buf[40];

	short_bytes(used, a, sizeof(a));
	if (max)
		snprintf(buf, sizeof(buf), "%s/%s", a, short_bytes(max, b, sizeof(b)));
	else
		snprintf(buf, sizeof(buf), "%s", a);
	seg(l, "  mem ", ui_attr(t, UC_HEADER));
	seg(l, buf, max && used > max ? ui_attr(t, UC_HEAT4) : ui_attr(t, UC_VALUE));
}

void ui_header(struct tui *t, int rows)
{
	const struct profile *p = t->prof;
	const struct prof_meta *m = &p->meta;
	struct line l = {0, 0, COLS};
	struct mem_summary ms = {.valid = false};
	char buf[256], a[32], b[32];
	attr_t lab = ui_attr(t, UC_HEADER), val = ui_attr(t, UC_VALUE);
	const char *s;

	if (rows < 1)
		return;
	ui_fill(0, 0, COLS, A_NORMAL);
	if (!t->running && !m->command && m->pid <= 0) {
		/* before any target: nothing to report yet, but what to do */
		seg(&l,
		    t->top && t->top->ops == &view_picker_ops
			    ? "proftop: no target yet: pick a process to profile"
			    : "proftop: no target: A picks a process, q quits",
		    val);
		if (rows >= 2)
			ui_fill(1, 0, COLS, A_NORMAL);
		return;
	}
	command(t, COLS < 100 ? (COLS - 50 > 12 ? COLS - 50 : 12) : COLS / 2, buf, sizeof(buf));
	seg(&l, buf, val);
	if (m->pid > 0) {
		snprintf(buf, sizeof(buf), "%d", m->pid);
		seg(&l, "  pid ", lab);
		seg(&l, buf, val);
	}
	seg(&l, "  ", lab);
	if (t->running && t->live[0])
		seg(&l, t->live, ui_attr(t, UC_STATE_END));
	else if (t->running)
		seg(&l,
		    t->paused	  ? (t->draining ? "paused (draining)" : "paused")
		    : m->attached ? "running (attached)"
				  : "running",
		    ui_attr(t, UC_STATE_RUN));
	else
		seg(&l, t->state, ui_attr(t, UC_STATE_END));
	mem_fmt_time(t->running ? t->now_ns : m->duration_ns, buf, sizeof(buf));
	seg(&l, "  elapsed ", lab);
	seg(&l, buf, val);
	/* before the rate: on a narrow screen the clock is what to keep */
	seg(&l, "  clock ", lab);
	seg(&l, !t->filter.wall ? "cpu" : t->filter.idle ? "wall, idle shown" : "wall", val);
	/* the backend, always; with ptrace, what its stops cost the target */
	if (m->held_ns && p->total_weight)
		snprintf(buf, sizeof(buf), "%u Hz %s (held %.1f%%)", m->freq,
			 m->backend ? m->backend : "",
			 100.0 * (double)m->held_ns / (double)p->total_weight);
	else
		snprintf(buf, sizeof(buf), "%u Hz %s", m->freq, m->backend ? m->backend : "");
	seg(&l, "  rate ", lab);
	seg(&l, buf, val);
	if (rows < 2)
		return;
	l = (struct line){1, 0, COLS};
	ui_fill(1, 0, COLS, A_NORMAL);
	if (t->saved) {
		seg(&l, t->saved_what, ui_attr(t, UC_MSG));
		seg(&l, "  ", lab);
	}
	/* debug info coming from debuginfod: what, how far, or how it went */
	if (t->col && (s = collector_fetch_status(t->col))) {
		seg(&l, s, ui_attr(t, UC_MSG));
		seg(&l, "  ", lab);
	}
	seg(&l, "samples ", lab);
	seg(&l, fmt_count(p->total_samples, a, sizeof(a)), val);
	seg(&l, "  lost ", lab);
	seg(&l, fmt_count(m->lost, a, sizeof(a)), m->lost ? ui_attr(t, UC_HEAT4) : val);
	snprintf(buf, sizeof(buf), "%.1f%%",
		 p->total_samples ? 100.0 * (double)p->truncated_samples / (double)p->total_samples
				  : 0.0);
	seg(&l, "  truncated ", lab);
	seg(&l, buf, val);
	header_memory(t, &l);
	if (!t->saved) {
		snprintf(buf, sizeof(buf), "%.1f%%", t->self_cpu);
		seg(&l, "  proftop CPU ", lab);
		seg(&l, buf, val);
	}
	if (m->calls_budget > 0) { /* uprobes: their cost to the target, lately */
		snprintf(buf, sizeof(buf), "%.1f%%", m->calls_overhead);
		seg(&l, "  probes ", lab);
		seg(&l, buf, m->calls_overhead > m->calls_budget ? ui_attr(t, UC_HEAT4) : val);
	}
	query_memory(p, 0, &ms);
	if (ms.valid && ms.points) {
		seg(&l, "  RSS ", lab);
		seg(&l, fmt_bytes(ms.end_rss, a, sizeof(a)), ui_attr(t, UC_RSS) | A_BOLD);
		seg(&l, " peak ", lab);
		seg(&l, fmt_bytes(ms.peak_rss, b, sizeof(b)), val);
	}
}

/* The prompt of / \\ s; a search that finds nothing says so at once. */
static void footer_prompt(struct tui *t, int y)
{
	const char *what = "Filter: ";
	int x;

	if (t->prompt == PROMPT_SEARCH)
		what = "Search: ";
	else if (t->prompt == PROMPT_SAVE) /* after z the file holds only what came since */
		what = t->zeroed ? "Save (only the samples since z) to: " : "Save session to: ";
	x = ui_put(y, 0, what, COLS, ui_attr(t, UC_KEY));

	x += ui_putn(y, x, t->pbuf, t->plen, COLS - x - 1, ui_attr(t, UC_KEYLABEL));
	ui_put(y, x, " ", 1, ui_attr(t, UC_KEYLABEL) | A_REVERSE);
	if (t->prompt_failed)
		ui_put(y, x + 2, "  not found", COLS - x - 2, ui_attr(t, UC_ERR));
	else
		ui_put(y, x + 2, "  Enter: done  Esc: cancel", COLS - x - 2, ui_attr(t, UC_DIM));
}

void ui_footer(struct tui *t)
{
	struct footer_cell cells[10];
	size_t n;
	int y = LINES - 1, x = 0;
	uint64_t now = loop_now_ns();
	const char *hint;

	ui_fill(y, 0, COLS, A_NORMAL);
	if (t->input) {
		x = ui_put(y, 0, "input for the target (Ctrl-C gives the keys back): ", COLS,
			   ui_attr(t, UC_MSG));
		move(y, x < COLS ? x : COLS - 1);
		return;
	}
	if (t->prompt != PROMPT_NONE) {
		footer_prompt(t, y);
		return;
	}
	if (t->msg[0] && now < t->msg_until) {
		ui_fill(y, 0, COLS, ui_attr(t, t->msg_err ? UC_ERR : UC_MSG));
		ui_put(y, 0, t->msg, COLS, ui_attr(t, t->msg_err ? UC_ERR : UC_MSG));
		return;
	}
	/* keys.c lays the cells out, for the clicks too */
	n = keys_footer(t, cells, 10);
	for (size_t i = 0; i < n && cells[i].x < COLS; i++) {
		x = cells[i].x +
		    ui_put(y, cells[i].x, cells[i].name, COLS - cells[i].x, ui_attr(t, UC_KEY));
		if (x < COLS)
			x += ui_put(y, x, cells[i].label, COLS - x, ui_attr(t, UC_KEYLABEL));
	}
	if (x < COLS)
		ui_fill(y, x, COLS - x, ui_attr(t, UC_KEYLABEL));
	/* the view's own keys, where the F-keys leave room for all of them */
	hint = t->top ? t->top->ops->footer_hint : NULL;
	if (hint && x + 2 + ui_width(hint) <= COLS)
		ui_put(y, x + 2, hint, COLS - x - 2, ui_attr(t, UC_KEYLABEL) | A_BOLD);
}
