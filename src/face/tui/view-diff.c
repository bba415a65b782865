/* The comparison view (-i NEW --baseline OLD): the functions table with
 * each function's change since the baseline, as `report --baseline`
 * prints it (diff.h): own and cumulative time per run with the interval
 * of the change, sortable by the change; regressions flagged by
 * --threshold stand out. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "tui-priv.h"
#include "xalloc.h"

struct dview {
	struct diff_table table;
	size_t *shown; /* rows of table passing the name filter */
	size_t nshown;
	struct ui_list list;
};

/* Columns, left to right before the name: widths include the blank
 * before. %self, delta %self, delta tottime, its interval, its percent,
 * delta cumtime, its percent. */
#define W_PCT	7
#define W_DPCT	9
#define W_DTIME 10
#define W_HALF	9
#define W_REL	8
#define NAME_X	(W_PCT + W_DPCT + 2 * W_DTIME + W_HALF + 2 * W_REL + 2)

static const struct diff_row *row_at(const struct dview *d, size_t i)
{
	return i < d->nshown ? &d->table.rows[d->shown[i]] : NULL;
}

/* Only functions of the current profile open its other views. */
static uint32_t dv_selected(struct tui *t, struct view *v)
{
	const struct dview *d = v->priv;
	const struct diff_row *r = row_at(d, d->list.cur);

	return r && r->prof == t->prof ? r->row.function : PROF_NONE;
}

void tui_diff_opts(const struct tui *t, struct diff_opts *o)
{
	*o = (struct diff_opts){
		.sort = t->sort,
		.by_delta = t->sort_delta,
		.reverse = t->reverse,
		.flag = t->opt->flag,
		.threshold = t->opt->threshold,
		.unit = (enum diff_unit)t->opt->threshold_unit,
		.confidence = t->opt->confidence,
		.per_cur = t->opt->per_cur,
		.per_base = t->opt->per_base,
		.per_output = t->opt->per_output,
	};
}

static void dv_update(struct tui *t, struct view *v)
{
	struct dview *d = v->priv;
	struct diff_opts o;

	tui_diff_opts(t, &o);
	if (v->gen != t->gen) {
		diff_table_free(&d->table);
		diff_functions(t->prof, t->base, &t->filter, &o, &d->table);
	}
	free(d->shown);
	d->shown = xcalloc(d->table.n ? d->table.n : 1, sizeof(*d->shown));
	d->nshown = 0;
	for (size_t i = 0; i < d->table.n; i++) {
		const struct diff_row *r = &d->table.rows[i];

		if (!t->name_filter || ui_fn_matches(r->prof, r->row.function, t->name_filter))
			d->shown[d->nshown++] = i;
	}
	d->list.n = d->nshown;
}

static const char *sort_title(const struct tui *t)
{
	if (t->sort_delta)
		return "largest regression (delta own time)";
	switch (t->sort) {
	case SORT_CUMULATIVE:
		return "cumulative time";
	case SORT_TOTTIME:
		return "own time";
	case SORT_CALLS:
		return "call count";
	case SORT_NAME:
		return "function name";
	}
	return "?";
}

static void header(struct tui *t, int y, const struct rect *r)
{
	attr_t head = ui_attr(t, UC_COLHEAD), hot = ui_attr(t, UC_COLSORT);
	bool delta = t->sort_delta;
	char buf[64];
	int x = r->x;

	ui_fill(y, r->x, r->w, head);
	snprintf(buf, sizeof(buf), "%*s", W_PCT, "%self");
	x += ui_put(y, x, buf, W_PCT, !delta && t->sort == SORT_TOTTIME ? hot : head);
	snprintf(buf, sizeof(buf), "%*s", W_DPCT, "\u0394%self");
	x += ui_put(y, x, t->utf8 ? buf : "   d%self", W_DPCT, head);
	snprintf(buf, sizeof(buf), "%*s", W_DTIME, "\u0394tottime");
	x += ui_put(y, x, t->utf8 ? buf : " dtottime", W_DTIME, delta ? hot : head);
	/* "±" is two bytes and one column */
	snprintf(buf, sizeof(buf), " %-*s", t->utf8 ? W_HALF : W_HALF - 1,
		 t->utf8 ? "\u00b1" : "+-");
	x += ui_put(y, x, buf, W_HALF, head);
	snprintf(buf, sizeof(buf), "%*s", W_REL, "\u0394%");
	x += ui_put(y, x, t->utf8 ? buf : "      d%", W_REL, head);
	snprintf(buf, sizeof(buf), "%*s", W_DTIME, "\u0394cumtime");
	x += ui_put(y, x, t->utf8 ? buf : " dcumtime", W_DTIME,
		    !delta && t->sort == SORT_CUMULATIVE ? hot : head);
	snprintf(buf, sizeof(buf), "%*s", W_REL, "\u0394%");
	ui_put(y, x, t->utf8 ? buf : "      d%", W_REL, head);
	snprintf(buf, sizeof(buf), "function (file:line) [module]%s",
		 t->reverse ? "  (reversed)" : "");
	ui_put(y, r->x + NAME_X, buf, r->w - NAME_X, !delta && t->sort == SORT_NAME ? hot : head);
}

/* "+41.9%", "new" (no baseline time): W_REL - 1 wide, as the header */
static void rel_text(char *buf, size_t len, const struct diff_estimate *e)
{
	if (isinf(e->pct))
		snprintf(buf, len, "%*s", W_REL - 1, "new");
	else
		snprintf(buf, len, "%+*.1f%%", W_REL - 2, e->pct);
}

static void row_draw(struct tui *t, int y, const struct rect *r, const struct diff_row *dr,
		     bool cursor)
{
	attr_t base = cursor ? ui_attr(t, UC_CURSOR) : A_NORMAL;
	attr_t mark = cursor ? base : dr->regression ? ui_attr(t, UC_ERR) : base;
	attr_t dim = cursor ? base : ui_attr(t, UC_DIM);
	char buf[512];
	int x = r->x;

	ui_fill(y, r->x, r->w, base);
	snprintf(buf, sizeof(buf), "%6.1f%%", dr->row.self_pct);
	x += ui_put(y, x, buf, W_PCT, cursor ? base : ui_heat(t, dr->row.self_pct));
	snprintf(buf, sizeof(buf), "%+8.1f", dr->d_self_pct);
	x += ui_put(y, x, buf, W_DPCT, base);
	snprintf(buf, sizeof(buf), "%+9.3f", dr->self.delta);
	x += ui_put(y, x, buf, W_DTIME, mark);
	if (isfinite(dr->self.half))
		snprintf(buf, sizeof(buf), " %s%-*.3f", t->utf8 ? "\u00b1" : "+-",
			 W_HALF - (t->utf8 ? 2 : 3), dr->self.half);
	else
		buf[0] = '\0';
	x += ui_put(y, x, buf, W_HALF, dr->self.significant ? base : dim);
	rel_text(buf, sizeof(buf), &dr->self);
	x += ui_put(y, x, buf, W_REL, mark);
	snprintf(buf, sizeof(buf), "%+9.3f", dr->cum.delta);
	x += ui_put(y, x, buf, W_DTIME, base);
	rel_text(buf, sizeof(buf), &dr->cum);
	ui_put(y, x, buf, W_REL, base);
	ui_fn_label(dr->prof, dr->row.function, buf, sizeof(buf));
	ui_put_cut(t, y, r->x + NAME_X, buf, r->w - NAME_X, 0, mark);
	if (dr->regression && r->w > NAME_X + ui_width(buf) + 12)
		ui_put(y, r->x + NAME_X + ui_width(buf) + 1, " REGRESSION", 11,
		       cursor ? base : ui_attr(t, UC_ERR) | A_BOLD);
}

static void dv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct dview *d = v->priv;
	char left[256];
	int rows = r->h - 2;

	snprintf(left, sizeof(left), "Compared with %s: %zu functions%s by %s", t->opt->baseline,
		 d->nshown, d->nshown != d->table.n ? " shown" : "", sort_title(t));
	if (t->opt->flag)
		snprintf(left + strlen(left), sizeof(left) - strlen(left),
			 ", %zu regressions past %g%s", d->table.regressions, t->opt->threshold,
			 d->table.opts.unit == DIFF_PERCENT   ? "%"
			 : d->table.opts.unit == DIFF_SECONDS ? " s"
							      : " points");
	snprintf(left + strlen(left), sizeof(left) - strlen(left),
		 "; CPU per run %+.1f%%, %zu vs %zu runs%s", d->table.cpu.pct, d->table.cur_runs,
		 d->table.base_runs, t->opt->per_cur > 0 || t->opt->per_output ? ", per unit" : "");
	ui_title(t, r->y, left, NULL);
	if (r->h < 2 || r->w <= NAME_X)
		return;
	t->colhead_y = r->y + 1;
	header(t, r->y + 1, r);
	list_fit(&d->list, rows);
	if (!d->nshown && rows > 0)
		ui_put(r->y + 2, 2,
		       d->table.n ? "no function matches the filter (\\ to change it)"
				  : "no samples in either session",
		       r->w - 2, ui_attr(t, UC_DIM));
	for (int i = 0; i < rows && d->list.top + (size_t)i < d->nshown; i++) {
		size_t k = d->list.top + (size_t)i;

		row_draw(t, r->y + 2 + i, r, row_at(d, k), k == d->list.cur);
	}
}

/* A key chooses the order; a click on the sorted column reverses it. */
static int set_sort(struct tui *t, enum query_sort s, bool delta, bool click)
{
	if (t->sort == s && t->sort_delta == delta) {
		if (!click)
			return KR_HANDLED;
		t->reverse = !t->reverse;
	}
	t->sort = s;
	t->sort_delta = delta;
	tui_message(t, false, "sorted by %s%s", sort_title(t), t->reverse ? ", reversed" : "");
	return KR_HANDLED | KR_REQUERY;
}

static int dv_key(struct tui *t, struct view *v, int key)
{
	struct dview *d = v->priv;
	uint32_t fn;

	if (list_key(&d->list, key))
		return KR_HANDLED;
	switch (key) {
	case '1':
		return set_sort(t, SORT_CUMULATIVE, false, false);
	case '2':
		return set_sort(t, SORT_TOTTIME, false, false);
	case '3':
		return set_sort(t, SORT_CALLS, false, false);
	case '4':
		return set_sort(t, SORT_NAME, false, false);
	case '5':
	case 'd':
		return set_sort(t, t->sort, true, false);
	case 'I':
		t->reverse = !t->reverse;
		return KR_HANDLED | KR_REQUERY;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		fn = dv_selected(t, v);
		if (fn != PROF_NONE)
			tui_push(t, view_lines_new(t, fn));
		else if (row_at(d, d->list.cur))
			tui_message(t, true, "this function has no samples in %s", t->saved);
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

struct dv_match {
	struct dview *d;
	const char *needle;
};

static bool dv_matches(void *ctx, size_t i)
{
	struct dv_match *m = ctx;
	const struct diff_row *r = row_at(m->d, i);

	return ui_fn_matches(r->prof, r->row.function, m->needle);
}

static bool dv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct dview *d = v->priv;
	struct dv_match m = {d, needle};

	return list_search(&d->list, d->nshown, next, dv_matches, &m);
}

static void dv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct dview *d = v->priv;
	int cx = x - r->x, s = -1;

	if (y == r->y + 1) {
		if (cx < W_PCT)
			s = set_sort(t, SORT_TOTTIME, false, true);
		else if (cx < W_PCT + W_DPCT + W_DTIME + W_HALF + W_REL)
			s = set_sort(t, t->sort, true, true);
		else if (cx < NAME_X - 2)
			s = set_sort(t, SORT_CUMULATIVE, false, true);
		else
			s = set_sort(t, SORT_NAME, false, true);
		if (s & KR_REQUERY)
			v->gen = UINT64_MAX;
		return;
	}
	if (y >= r->y + 2 && d->list.top + (size_t)(y - r->y - 2) < d->nshown)
		d->list.cur = d->list.top + (size_t)(y - r->y - 2);
}

static void dv_leave(struct tui *t, struct view *v)
{
	struct dview *d = v->priv;

	diff_table_free(&d->table);
	free(d->shown);
}

static const struct key_help dv_keys[] = {
	{"1 2 3 4", "sort by the current session's cumulative, own time, calls, name", 0, NULL},
	{"5 d", "sort by the largest regression (growth of own time)", 0, NULL},
	{"I", "invert the order", 0, NULL},
	{"click", "on a column header: sort by it (again: inverts)", 0, NULL},
	{"Enter", "source lines of the function (in the current session)", 0, NULL},
	{NULL, NULL, 0, NULL},
};

const struct view_ops view_diff_ops = {
	.name = "comparison",
	.help_title = "Comparison view (-i NEW --baseline OLD)",
	.keys = dv_keys,
	.update = dv_update,
	.draw = dv_draw,
	.key = dv_key,
	.leave = dv_leave,
	.selected = dv_selected,
	.search = dv_search,
	.click = dv_click,
};

struct view *view_diff_new(struct tui *t)
{
	return view_alloc(&view_diff_ops, xcalloc(1, sizeof(struct dview)));
}
