/* The functions view: the table `report` prints, live, sortable. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-priv.h"
#include "xalloc.h"

/* The frames (nearly) every sample passes through, _start to main, with
 * no time of their own: in the cumulative order they would fill the first
 * screen with 100% rows, so they fold into one line above the table. */
#define FOLD_PCT 95 /* of the samples shown (truncated stacks miss the root) */
#define FOLD_MAX 8

struct fview {
	struct func_table table;
	size_t *shown; /* rows of table passing the name filter, not folded */
	size_t nshown;
	size_t folded[FOLD_MAX]; /* rows of table folded into the line */
	size_t nfolded;
	/* their functions, innermost first (main before _start), for the line */
	uint32_t fold_fn[FOLD_MAX], fold_seen[FOLD_MAX];
	size_t nfold_seen;
	bool unfold; /* `u`: show them as rows */
	struct ui_list list;
	struct func_cols cols;
	int head_y; /* screen row of the column header, from the last draw */
};

/* F6 and < > walk the sortable columns left to right. */
static const enum query_sort sort_order[] = {SORT_CALLS, SORT_TOTTIME, SORT_CUMULATIVE, SORT_NAME};

static const char *sort_title(enum query_sort s)
{
	switch (s) {
	case SORT_CUMULATIVE:
		return "cumulative time (cumtime)";
	case SORT_TOTTIME:
		return "own time (tottime)";
	case SORT_CALLS:
		return "call count (ncalls)";
	case SORT_NAME:
		return "function name";
	}
	return "?";
}

static const struct func_row *row_at(const struct fview *f, size_t i)
{
	return i < f->nshown ? &f->table.rows[f->shown[i]] : NULL;
}

static uint32_t fv_selected(struct tui *t, struct view *v)
{
	const struct func_row *r = row_at(v->priv, ((struct fview *)v->priv)->list.cur);

	return r ? r->function : PROF_NONE;
}

/* A frame nearly every sample passes through, running next to no code of
 * its own: a stray sample or two in _start itself (one in a CI run) must
 * not unfold them all. */
#define FOLD_SELF_PERMILLE 2

static bool foldable(const struct func_table *tb, const struct func_row *row)
{
	return tb->total_samples &&
	       row->self_samples * 1000 <= tb->total_samples * FOLD_SELF_PERMILLE &&
	       row->total_samples * 100 >= tb->total_samples * FOLD_PCT;
}

/* by[j] = whether folded function j calls fn directly. */
static void folded_callers(struct tui *t, const uint32_t *fns, size_t n, uint32_t fn, bool *by)
{
	struct func_table callers;

	memset(by, 0, n * sizeof(*by));
	query_callers_live(t->prof, &t->filter, fn, &callers);
	for (size_t i = 0; i < callers.n; i++)
		for (size_t j = 0; j < n; j++)
			if (callers.rows[i].function == fns[j] && fns[j] != fn)
				by[j] = true;
	func_table_free(&callers);
}

/* The folded functions innermost first (main, then what called it, up to
 * _start): the chain of callers, followed from the one no other calls.
 * Their callers are asked only when the set changed. */
static void fold_order(struct tui *t, struct fview *f)
{
	bool by[FOLD_MAX][FOLD_MAX], placed[FOLD_MAX] = {false};
	uint32_t fns[FOLD_MAX];
	size_t n = f->nfolded, k = n;
	bool same = f->nfold_seen == n;

	for (size_t i = 0; i < n && same; i++)
		same = f->fold_seen[i] == f->table.rows[f->folded[i]].function;
	if (same)
		return;
	f->nfold_seen = n;
	for (size_t i = 0; i < n; i++)
		f->fold_seen[i] = fns[i] = f->table.rows[f->folded[i]].function;
	for (size_t i = 0; i < n; i++)
		folded_callers(t, fns, n, fns[i], by[i]);
	/* fill fold_fn from the end: outermost last */
	while (k > 0) {
		size_t pick = n;

		for (size_t i = 0; i < n && pick == n; i++) {
			bool ok = !placed[i];

			/* next: called by the one placed last, or by none at first */
			for (size_t j = 0; j < n && ok; j++)
				if (k == n ? by[i][j] : j == (size_t)f->fold_fn[k] && !by[i][j])
					ok = false;
			if (ok)
				pick = i;
		}
		for (size_t i = 0; i < n && pick == n; i++) /* no chain: the rest in order */
			if (!placed[i])
				pick = i;
		placed[pick] = true;
		f->fold_fn[--k] = (uint32_t)pick;
	}
	for (size_t i = 0; i < n; i++)
		f->fold_fn[i] = fns[f->fold_fn[i]];
}

/* In the plain cumulative order only: the leading foldable rows leave shown. */
static void fold(struct tui *t, struct fview *f)
{
	size_t k = 0;

	f->nfolded = 0;
	if (f->unfold || t->sort != SORT_CUMULATIVE || t->reverse || t->name_filter)
		return;
	while (k < f->nshown && f->nfolded < FOLD_MAX &&
	       foldable(&f->table, &f->table.rows[f->shown[k]]))
		f->folded[f->nfolded++] = f->shown[k++];
	if (k == f->nshown) { /* nothing else: fold nothing */
		f->nfolded = 0;
		return;
	}
	memmove(f->shown, f->shown + k, (f->nshown - k) * sizeof(*f->shown));
	f->nshown -= k;
	fold_order(t, f);
}

/* "all samples pass through main (from _start, ...; 99.9%; u shows them)" */
static void draw_folded(struct tui *t, struct fview *f, int y, const struct rect *r)
{
	char buf[1024];
	size_t o;
	double pct = 100;

	for (size_t i = 0; i < f->nfolded; i++)
		if (f->table.rows[f->folded[i]].total_pct < pct)
			pct = f->table.rows[f->folded[i]].total_pct;
	o = (size_t)snprintf(buf, sizeof(buf), "%s samples pass through %s (%.1f%%",
			     pct >= 99.95 ? "all" : "nearly all",
			     ui_fn_name(t->prof, f->fold_fn[0]), pct);
	for (size_t i = 1; i < f->nfolded && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", i == 1 ? "; from " : ", ",
				      ui_fn_name(t->prof, f->fold_fn[i]));
	if (o < sizeof(buf))
		snprintf(buf + o, sizeof(buf) - o, "; u shows them)");
	ui_fill(y, r->x, r->w, A_NORMAL);
	ui_put_cut(t, y, r->x + 1, buf, r->w - 1, 0, ui_attr(t, UC_DIM));
}

static void fv_update(struct tui *t, struct view *v)
{
	struct fview *f = v->priv;
	uint32_t keep = fv_selected(t, v);
	bool at_top = f->list.cur == 0;

	if (v->gen != t->gen) {
		func_table_free(&f->table);
		query_functions_live(t->prof, &t->filter, t->sort, t->reverse, &f->table);
	}
	free(f->shown);
	f->shown = xcalloc(f->table.n ? f->table.n : 1, sizeof(*f->shown));
	f->nshown = 0;
	for (size_t i = 0; i < f->table.n; i++)
		if (!t->name_filter ||
		    ui_fn_matches(t->prof, f->table.rows[i].function, t->name_filter))
			f->shown[f->nshown++] = i;
	fold(t, f);
	f->list.n = f->nshown;
	/* The cursor stays on its function as rows move, unless it sits on
	 * the first row, which then follows whatever is hottest. */
	if (at_top || keep == PROF_NONE) {
		f->list.cur = 0;
		return;
	}
	for (size_t i = 0; i < f->nshown; i++) {
		if (row_at(f, i)->function == keep) {
			f->list.cur = i;
			return;
		}
	}
}

static void fv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct fview *f = v->priv;
	char left[160];
	int head = r->y + 1 + (f->nfolded && r->h >= 6), rows = r->y + r->h - head - 1;

	/* the folded rows count: they are only drawn elsewhere */
	snprintf(left, sizeof(left), "Functions (%zu%s) by %s", f->nshown + f->nfolded,
		 f->nshown + f->nfolded != f->table.n ? " shown" : "", sort_title(t->sort));
	ui_title(t, r->y, left, NULL);
	if (r->h < 2)
		return;
	if (head > r->y + 1)
		draw_folded(t, f, r->y + 1, r);
	f->head_y = head;
	f->cols.wall = t->filter.wall; /* %off: the waits' share of cumtime */
	table_layout(r->w, func_rows_counted(f->table.rows, f->table.n), &f->cols);
	t->colhead_y = head;
	table_header(t, head, r->x, &f->cols, t->sort, t->reverse, true);
	list_fit(&f->list, rows);
	if (!f->nshown && rows > 0) {
		ui_put(head + 1, 2,
		       f->table.n	   ? "no function matches the filter (\\ to change it)"
		       : t->prof->nsamples ? "no samples in this range or thread"
					   : "no samples yet",
		       r->w - 2, ui_attr(t, UC_DIM));
		return;
	}
	for (int i = 0; i < rows && f->list.top + (size_t)i < f->nshown; i++) {
		size_t k = f->list.top + (size_t)i;

		table_row(t, head + 1 + i, r->x, &f->cols, row_at(f, k), k == f->list.cur);
	}
}

static int set_sort(struct tui *t, enum query_sort s, bool toggle_reverse)
{
	if (toggle_reverse)
		t->reverse = !t->reverse;
	else if (t->sort == s)
		return KR_HANDLED;
	t->sort = s;
	tui_message(t, false, "sorted by %s%s", sort_title(s), t->reverse ? ", reversed" : "");
	return KR_HANDLED | KR_REQUERY;
}

static int step_sort(struct tui *t, int dir)
{
	size_t n = sizeof(sort_order) / sizeof(*sort_order), i = 0;

	while (i < n && sort_order[i] != t->sort)
		i++;
	i = (i + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
	return set_sort(t, sort_order[i], false);
}

static int fv_key(struct tui *t, struct view *v, int key)
{
	struct fview *f = v->priv;
	uint32_t fn;

	if (list_key(&f->list, key))
		return KR_HANDLED;
	switch (key) {
	case '1':
		return set_sort(t, SORT_CUMULATIVE, false);
	case '2':
		return set_sort(t, SORT_TOTTIME, false);
	case '3':
		return set_sort(t, SORT_CALLS, false);
	case '4':
		return set_sort(t, SORT_NAME, false);
	case 'I':
		return set_sort(t, t->sort, true);
	case 'u':
		f->unfold = !f->unfold;
		tui_message(t, false,
			    f->unfold ? "the frames every sample passes through: shown"
				      : "the frames every sample passes through: folded");
		return KR_HANDLED | KR_REQUERY;
	case KEY_F(6):
	case '>':
	case '.':
		return step_sort(t, 1);
	case '<':
	case ',':
		return step_sort(t, -1);
	case KEY_LEFT:
	case KEY_RIGHT:
		return table_hscroll_key(&f->cols, key) ? KR_HANDLED : KR_IGNORED;
	case '\n':
	case '\r':
	case KEY_ENTER:
		fn = fv_selected(t, v);
		if (fn != PROF_NONE)
			tui_push(t, view_lines_new(t, fn));
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

struct fv_match {
	struct tui *t;
	struct fview *f;
	const char *needle;
};

static bool fv_matches(void *ctx, size_t i)
{
	struct fv_match *m = ctx;

	return ui_fn_matches(m->t->prof, row_at(m->f, i)->function, m->needle);
}

static bool fv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct fview *f = v->priv;
	struct fv_match m = {t, f, needle};

	return list_search(&f->list, f->nshown, next, fv_matches, &m);
}

static void fv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct fview *f = v->priv;
	int s;

	if (y == f->head_y) {
		s = table_column_sort(&f->cols, r->x, x);
		if (s >= 0 && set_sort(t, (enum query_sort)s, s == (int)t->sort) & KR_REQUERY)
			v->gen = UINT64_MAX;
		return;
	}
	if (y > f->head_y && f->list.top + (size_t)(y - f->head_y - 1) < f->nshown)
		f->list.cur = f->list.top + (size_t)(y - f->head_y - 1);
}

static void fv_leave(struct tui *t, struct view *v)
{
	struct fview *f = v->priv;

	func_table_free(&f->table);
	free(f->shown);
}

static const struct key_help fv_keys[] = {
	{"1 2 3 4", "sort by cumulative time, own time (tottime), calls, name", 0, NULL},
	{"F6 < >", "sort by the next / previous column", 6, "SortBy"},
	{"I", "invert the order", 0, NULL},
	{"u", "show or fold the frames every sample passes through (_start ... main)", 0, NULL},
	{"Left Right", "scroll long names sideways", 0, NULL},
	{"click", "a click on a column header sorts by it (again: inverts)", 0, NULL},
	{"Enter", "source lines of the function", 0, NULL},
	{NULL, NULL, 0, NULL},
};

const struct view_ops view_functions_ops = {
	.name = "functions",
	.help_title = "Functions view",
	.keys = fv_keys,
	.update = fv_update,
	.draw = fv_draw,
	.key = fv_key,
	.leave = fv_leave,
	.selected = fv_selected,
	.search = fv_search,
	.click = fv_click,
};

struct view *view_functions_new(struct tui *t)
{
	return view_alloc(&view_functions_ops, xcalloc(1, sizeof(struct fview)));
}
