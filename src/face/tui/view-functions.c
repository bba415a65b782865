/* The functions view: the table `report` prints, live, sortable. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tui-priv.h"
#include "xalloc.h"

struct fview {
	struct func_table table;
	size_t *shown; /* rows of table passing the name filter */
	size_t nshown;
	struct ui_list list;
	struct func_cols cols;
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

static void fv_update(struct tui *t, struct view *v)
{
	struct fview *f = v->priv;
	uint32_t keep = fv_selected(t, v);
	bool at_top = f->list.cur == 0;

	if (v->gen != t->gen) {
		func_table_free(&f->table);
		query_functions(t->prof, &t->filter, t->sort, t->reverse, &f->table);
	}
	free(f->shown);
	f->shown = xcalloc(f->table.n ? f->table.n : 1, sizeof(*f->shown));
	f->nshown = 0;
	for (size_t i = 0; i < f->table.n; i++)
		if (!t->name_filter ||
		    ui_fn_matches(t->prof, f->table.rows[i].function, t->name_filter))
			f->shown[f->nshown++] = i;
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
	int rows = r->h - 2;

	snprintf(left, sizeof(left), "Functions (%zu%s) by %s", f->nshown,
		 f->nshown != f->table.n ? " shown" : "", sort_title(t->sort));
	ui_title(t, r->y, left, NULL);
	if (r->h < 2)
		return;
	table_layout(r->w, &f->cols);
	t->colhead_y = r->y + 1;
	table_header(t, r->y + 1, r->x, &f->cols, t->sort, t->reverse, true);
	list_fit(&f->list, rows);
	if (!f->nshown && rows > 0) {
		ui_put(r->y + 2, 2,
		       f->table.n	   ? "no function matches the filter (\\ to change it)"
		       : t->prof->nsamples ? "no samples in this range or thread"
					   : "no samples yet",
		       r->w - 2, ui_attr(t, UC_DIM));
		return;
	}
	for (int i = 0; i < rows && f->list.top + (size_t)i < f->nshown; i++) {
		size_t k = f->list.top + (size_t)i;

		table_row(t, r->y + 2 + i, r->x, &f->cols, row_at(f, k), k == f->list.cur);
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
	case KEY_F(6):
	case '>':
	case '.':
		return step_sort(t, 1);
	case '<':
	case ',':
		return step_sort(t, -1);
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		fn = fv_selected(t, v);
		if (fn != PROF_NONE)
			tui_push(t, view_lines_new(t, fn));
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

static bool fv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct fview *f = v->priv;

	for (size_t k = next ? 1 : 0; k <= f->nshown && f->nshown; k++) {
		size_t i = (f->list.cur + k) % f->nshown;

		if (ui_fn_matches(t->prof, row_at(f, i)->function, needle)) {
			list_goto(&f->list, i);
			return true;
		}
	}
	return false;
}

static void fv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct fview *f = v->priv;
	int s;

	if (y == r->y + 1) {
		s = table_column_sort(&f->cols, r->x, x);
		if (s >= 0 && set_sort(t, (enum query_sort)s, s == (int)t->sort) & KR_REQUERY)
			v->gen = UINT64_MAX;
		return;
	}
	if (y >= r->y + 2 && f->list.top + (size_t)(y - r->y - 2) < f->nshown)
		f->list.cur = f->list.top + (size_t)(y - r->y - 2);
}

static void fv_leave(struct tui *t, struct view *v)
{
	struct fview *f = v->priv;

	func_table_free(&f->table);
	free(f->shown);
}

const struct view_ops view_functions_ops = {
	.name = "functions",
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
