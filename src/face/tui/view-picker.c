/* The process picker: `proftop` with no target, and `A` from a session.
 * The system's processes (proclist.h), rescanned about once a second (the
 * loop's tick asks, see tui.c), sorted by CPU% over the last interval,
 * narrowed by what is typed (every printable key types, q included: F10,
 * Esc on an empty filter or ^C quit); Enter attaches (a new collector,
 * handed to tui_switch_run()), and a failure leaves the picker open with
 * the reason on the status line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calls.h"
#include "collect.h"
#include "proclist.h"
#include "tui-priv.h"
#include "xalloc.h"

#define RESCAN_NS 900000000ull /* htop's pace: a second, less the tick's jitter */

struct pview {
	struct proclist *pl;
	uint64_t scanned_ns; /* CLOCK_MONOTONIC of the last scan; 0: never */
	struct ui_list list;
	pid_t cur_pid; /* the cursor follows its process across rescans */
	char filter[64];
	size_t flen;
};

/* Columns in display order, with their widths (the blank before included:
 * a cell never touches its neighbour). */
static const struct {
	enum proclist_col col;
	int width;
	bool right;
} cols[] = {
	{PL_PID, 8, true}, {PL_USER, 10, false},  {PL_STATE, 2, false},	  {PL_CPU, 6, true},
	{PL_RSS, 7, true}, {PL_THREADS, 5, true}, {PL_COMMAND, 0, false},
};
#define NCOLS (sizeof(cols) / sizeof(*cols))

static void pv_update(struct tui *t, struct view *v)
{
	struct pview *pv = v->priv;
	uint64_t now = loop_now_ns();
	ssize_t i;

	/* Updates come with every tick and with the samples of a session
	 * under the picker: rescan at most once a second, for CPU% over a
	 * real interval. */
	if (!pv->scanned_ns || now - pv->scanned_ns >= RESCAN_NS) {
		if (proclist_scan(pv->pl, now) < 0)
			tui_message(t, true,
				    "cannot read /proc: the process list is not available");
		pv->scanned_ns = now;
	}
	pv->list.n = proclist_count(pv->pl);
	i = pv->cur_pid ? proclist_index(pv->pl, pv->cur_pid) : -1;
	if (i >= 0)
		pv->list.cur = (size_t)i;
	else if (pv->list.cur >= pv->list.n)
		pv->list.cur = pv->list.n ? pv->list.n - 1 : 0;
}

/* A session under the picker: a run going on or over (else `proftop`
 * started with no target and the picker is all there is). */
static bool has_target(const struct tui *t)
{
	return t->running || t->prof->meta.command || t->prof->meta.pid > 0;
}

static const struct proc_entry *cursor_entry(const struct pview *pv)
{
	return pv->list.cur < proclist_count(pv->pl) ? proclist_get(pv->pl, pv->list.cur) : NULL;
}

/* Attach to pid: on success the TUI goes on with the new run (this view is
 * gone); on failure the message says why and the picker stays. */
static void attach(struct tui *t, pid_t pid)
{
	struct collect_config cfg = t->opt->collect; /* copied by collector_new */
	struct collector *col;
	struct profile *p;
	char err[512];

	if (t->writer) {
		tui_message(t, true, "-o FILE records one target: quit, then start proftop again");
		return;
	}
	cfg.argv = NULL;
	cfg.pids = &pid;
	cfg.npids = 1;
	p = profile_new();
	col = collector_new(&cfg, p);
	calls_set_quiet(collector_calls(col), true);
	collector_set_output(col, COLLECT_OUTPUT_CAPTURE, false);
	if (collector_start(col, err, sizeof(err)) < 0) {
		tui_message(t, true, "%s", err);
		collector_free(col);
		profile_free(p);
		return;
	}
	t->saved = NULL;
	tui_switch_run(t, col, p);
	tui_message(t, false, "attached to %d: q detaches and leaves it running", (int)pid);
}

/* RSS in at most 6 columns, as htop: "812K", "6.8M", "1234M", "1.5G". */
static void compact_bytes(uint64_t b, char *buf, size_t len)
{
	double k = (double)b / 1024.0;

	if (k < 10000)
		snprintf(buf, len, "%.0fK", k);
	else if (k / 1024 < 100)
		snprintf(buf, len, "%.1fM", k / 1024);
	else if (k / 1024 < 10000)
		snprintf(buf, len, "%.0fM", k / 1024);
	else if (k / 1048576 < 100)
		snprintf(buf, len, "%.1fG", k / 1048576);
	else
		snprintf(buf, len, "%.0fG", k / 1048576);
}

static void cell(const struct proc_entry *e, enum proclist_col c, char *buf, size_t len)
{
	switch (c) {
	case PL_PID:
		snprintf(buf, len, "%d", (int)e->pid);
		break;
	case PL_USER:
		snprintf(buf, len, "%.9s", e->user);
		break;
	case PL_STATE:
		snprintf(buf, len, "%c", e->state ? e->state : '?');
		break;
	case PL_CPU:
		snprintf(buf, len, e->cpu_pct < 999.95 ? "%.1f" : "%.0f", e->cpu_pct);
		break;
	case PL_RSS:
		compact_bytes(e->rss, buf, len);
		break;
	case PL_THREADS:
		snprintf(buf, len, "%u", e->threads);
		break;
	default:
		snprintf(buf, len, "%s", e->command);
		break;
	}
}

static void pv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct pview *pv = v->priv;
	enum proclist_col sc = proclist_sort_col(pv->pl);
	attr_t head = ui_attr(t, UC_COLHEAD), hot = ui_attr(t, UC_COLSORT);
	int rows = r->h - 2, x = r->x;
	char buf[4096], title[160];

	snprintf(title, sizeof(title), "Pick a process to profile: %zu shown%s%s%s",
		 proclist_count(pv->pl), pv->flen ? ", filter \"" : "", pv->filter,
		 pv->flen ? "\"" : "");
	ui_title(t, r->y, title, "type to filter, Enter attaches, F10 quits");
	if (r->h < 2)
		return;
	t->colhead_y = r->y + 1;
	ui_fill(r->y + 1, r->x, r->w, head);
	for (size_t c = 0; c < NCOLS; c++) {
		int w = cols[c].width ? cols[c].width : r->w - (x - r->x);
		const char *name = proclist_col_name(cols[c].col);

		snprintf(buf, sizeof(buf), cols[c].right ? " %*s" : " %-*s", w - 1, name);
		ui_put(r->y + 1, x, buf, w, cols[c].col == sc ? hot : head);
		x += w;
	}
	list_fit(&pv->list, rows);
	if (!proclist_count(pv->pl) && rows > 0)
		ui_put(r->y + 2, 2, "no process matches (Backspace or Esc to change the filter)",
		       r->w - 2, ui_attr(t, UC_DIM));
	for (int i = 0; i < rows && pv->list.top + (size_t)i < proclist_count(pv->pl); i++) {
		size_t k = pv->list.top + (size_t)i;
		const struct proc_entry *e = proclist_get(pv->pl, k);
		attr_t a = k == pv->list.cur ? ui_attr(t, UC_CURSOR) : A_NORMAL;
		char c[64];
		int y = r->y + 2 + i;

		x = r->x;
		ui_fill(y, r->x, r->w, a);
		for (size_t j = 0; j < NCOLS; j++) {
			int w = cols[j].width ? cols[j].width : r->w - (x - r->x);

			if (w <= 0)
				break;
			if (cols[j].col == PL_COMMAND) {
				ui_put(y, x + 1, e->command, w - 1, a);
				break;
			}
			cell(e, cols[j].col, c, sizeof(c));
			snprintf(buf, sizeof(buf), cols[j].right ? " %*s" : " %-*s", w - 1, c);
			ui_put(y, x, buf, w, a);
			x += w;
		}
	}
}

static void sort_by(struct tui *t, struct pview *pv, enum proclist_col col, bool click)
{
	bool rev = click && proclist_sort_col(pv->pl) == col && !proclist_sort_reversed(pv->pl);

	proclist_sort(pv->pl, col, rev);
	tui_message(t, false, "processes sorted by %s%s", proclist_col_name(col),
		    rev ? ", reversed" : "");
}

static void set_filter(struct tui *t, struct pview *pv)
{
	pv->filter[pv->flen] = '\0';
	proclist_filter(pv->pl, pv->filter);
	pv->list.n = proclist_count(pv->pl);
	pv->list.cur = 0;
	pv->list.top = 0;
	pv->cur_pid = 0;
	t->dirty = true;
}

static int pv_key(struct tui *t, struct view *v, int key)
{
	struct pview *pv = v->priv;
	const struct proc_entry *e;
	int col;

	switch (key) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		e = cursor_entry(pv);
		if (!e)
			tui_message(t, true, "no process selected");
		else if (e->pid == getpid())
			tui_message(t, true, "that is proftop itself: pick another process");
		else
			attach(t, e->pid); /* frees this view on success */
		return KR_HANDLED;
	case 27: /* Esc: the filter, then back to the session, or quit if none */
		if (pv->flen) {
			pv->flen = 0;
			set_filter(t, pv);
			return KR_HANDLED;
		}
		if (v->below && has_target(t))
			return KR_IGNORED;
		t->quit = true;
		return KR_HANDLED;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (!pv->flen)
			return KR_HANDLED;
		pv->flen--;
		set_filter(t, pv);
		return KR_HANDLED;
	case 21: /* ^U */
		pv->flen = 0;
		set_filter(t, pv);
		return KR_HANDLED;
	case KEY_F(6):
	case '>':
	case '<':
		col = ((int)proclist_sort_col(pv->pl) + (key == '<' ? PL_NCOLS - 1 : 1)) % PL_NCOLS;
		sort_by(t, pv, (enum proclist_col)col, false);
		return KR_HANDLED;
	}
	/* Type to filter; a space only inside a filter ("sh -c"), so that an
	 * empty filter leaves space to the list. */
	if ((key > 32 && key < 127) || (key == ' ' && pv->flen > 0)) {
		if (pv->flen + 1 < sizeof(pv->filter))
			pv->filter[pv->flen++] = (char)key;
		set_filter(t, pv);
		return KR_HANDLED;
	}
	if (list_key(&pv->list, key)) {
		e = cursor_entry(pv);
		pv->cur_pid = e ? e->pid : 0;
		return KR_HANDLED;
	}
	/* F-keys of the session make no sense here; F10 quits */
	return key == KEY_F(10) ? KR_IGNORED : KR_HANDLED;
}

static void pv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct pview *pv = v->priv;
	const struct proc_entry *e;
	int cx = r->x;

	if (y == r->y + 1) {
		for (size_t c = 0; c < NCOLS; c++) {
			if (!cols[c].width || x < cx + cols[c].width) {
				sort_by(t, pv, cols[c].col, true);
				return;
			}
			cx += cols[c].width;
		}
		return;
	}
	if (y >= r->y + 2 && pv->list.top + (size_t)(y - r->y - 2) < proclist_count(pv->pl)) {
		pv->list.cur = pv->list.top + (size_t)(y - r->y - 2);
		e = cursor_entry(pv);
		pv->cur_pid = e ? e->pid : 0;
	}
}

struct pv_match {
	struct pview *pv;
	const char *needle;
};

static bool pv_matches(void *ctx, size_t i)
{
	struct pv_match *m = ctx;

	return ui_contains(proclist_get(m->pv->pl, i)->command, m->needle);
}

static bool pv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct pview *pv = v->priv;
	struct pv_match m = {pv, needle};

	if (!list_search(&pv->list, proclist_count(pv->pl), next, pv_matches, &m))
		return false;
	pv->cur_pid = proclist_get(pv->pl, pv->list.cur)->pid;
	return true;
}

static void pv_leave(struct tui *t, struct view *v)
{
	struct pview *pv = v->priv;

	proclist_free(pv->pl);
}

const struct view_ops view_picker_ops = {
	.name = "picker",
	.update = pv_update,
	.draw = pv_draw,
	.key = pv_key,
	.leave = pv_leave,
	.search = pv_search,
	.click = pv_click,
};

struct view *view_picker_new(struct tui *t)
{
	struct pview *pv = xcalloc(1, sizeof(*pv));

	pv->pl = proclist_new("/proc");
	proclist_sort(pv->pl, PL_CPU, false);
	return view_alloc(&view_picker_ops, pv);
}
