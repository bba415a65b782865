/* Callers and callees of one function, gprof style: who calls it above,
 * the function itself, what it calls below. Enter on a relative moves
 * there; Enter on the function opens its source. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-priv.h"
#include "xalloc.h"

enum entry_kind { E_LABEL, E_CALLER, E_SELF, E_CALLEE };

struct entry {
	enum entry_kind kind;
	const struct func_row *row; /* NULL for labels */
	const char *text;	    /* labels */
};

struct cview {
	uint32_t fn;
	struct func_table callers, callees;
	struct func_row self;
	struct entry *e;
	size_t n;
	struct ui_list list;
	struct func_cols cols;
	char label[3][160];
	bool placed; /* the cursor was put on the function once */
	/* what it counts: MEASURE_TIME, time (mem_scope_filter) */
	struct mem_scope scope;
};

static void add(struct cview *c, enum entry_kind k, const struct func_row *row, const char *text)
{
	c->e[c->n++] = (struct entry){k, row, text};
}

static void cv_update(struct tui *t, struct view *v)
{
	struct cview *c = v->priv;
	const char *name = ui_fn_name(t->prof, c->fn);
	enum entry_kind was = c->n && c->list.cur < c->n ? c->e[c->list.cur].kind : E_SELF;
	size_t was_i = c->list.cur;
	bool mem = mem_scoped(&c->scope);
	const char *what = mem ? mem_measure_name(c->scope.measure) : "time";
	struct query_filter f;

	mem_scope_filter(t, &c->scope, &f);
	func_table_free(&c->callers);
	func_table_free(&c->callees);
	query_callers_live(t->prof, &f, c->fn, &c->callers);
	query_callees_live(t->prof, &f, c->fn, &c->callees);
	/* An edge's count is not the function's call count: none shown. */
	for (size_t i = 0; i < c->callers.n; i++)
		c->callers.rows[i].calls = -1;
	for (size_t i = 0; i < c->callees.n; i++)
		c->callees.rows[i].calls = -1;
	query_function_row_live(t->prof, &f, c->fn, &c->self);

	free(c->e);
	c->e = xcalloc(c->callers.n + c->callees.n + 8, sizeof(*c->e));
	c->n = 0;
	snprintf(c->label[0], sizeof(c->label[0]), "callers of %s (%s through each caller)", name,
		 what);
	snprintf(c->label[1], sizeof(c->label[1]), "callees of %s (%s below it in each callee)",
		 name, what);
	add(c, E_LABEL, NULL, c->label[0]);
	for (size_t i = 0; i < c->callers.n; i++)
		add(c, E_CALLER, &c->callers.rows[i], NULL);
	if (!c->callers.n)
		add(c, E_LABEL, NULL, "  (none: it is where its stacks start)");
	add(c, E_LABEL, NULL, "the function");
	add(c, E_SELF, &c->self, NULL);
	add(c, E_LABEL, NULL, c->label[1]);
	for (size_t i = 0; i < c->callees.n; i++)
		add(c, E_CALLEE, &c->callees.rows[i], NULL);
	if (!c->callees.n)
		add(c, E_LABEL, NULL,
		    mem ? "  (none: all its memory is its own)"
			: "  (none: all its time is its own)");
	c->list.n = c->n;
	if (!c->placed || was == E_SELF) {
		for (size_t i = 0; i < c->n; i++)
			if (c->e[i].kind == E_SELF)
				c->list.cur = i;
		c->placed = true;
	} else {
		c->list.cur = was_i < c->n ? was_i : c->n - 1;
	}
}

static void cv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct cview *c = v->priv;
	char left[200];
	int rows = r->h - 2;

	char range[96];
	bool mem = mem_scoped(&c->scope);

	snprintf(left, sizeof(left), "Callers and callees of %s", ui_fn_name(t->prof, c->fn));
	if (mem)
		snprintf(left + strlen(left), sizeof(left) - strlen(left), ": %s%s",
			 mem_measure_name(c->scope.measure),
			 mem_scope_range(&c->scope, range, sizeof(range)));
	ui_title(t, r->y, left, NULL);
	if (r->h < 2)
		return;
	c->cols.wall = t->filter.wall;
	table_layout(r->w, c->self.calls >= 0, &c->cols);
	t->colhead_y = r->y + 1;
	if (mem)
		mem_func_header(t, r->y + 1, r->x, r->w);
	else
		table_header(t, r->y + 1, r->x, &c->cols, SORT_CUMULATIVE, false, false);
	list_fit(&c->list, rows);
	for (int i = 0; i < rows && c->list.top + (size_t)i < c->n; i++) {
		size_t k = c->list.top + (size_t)i;
		const struct entry *e = &c->e[k];
		int y = r->y + 2 + i;

		if (e->kind == E_LABEL)
			ui_put(y, r->x + 1, e->text, r->w - 1, ui_attr(t, UC_HEADER) | A_BOLD);
		else if (mem)
			mem_func_row(t, y, r->x, r->w, c->scope.measure, e->row, c->self.total_ns,
				     k == c->list.cur, c->cols.hscroll);
		else
			table_row(t, y, r->x, &c->cols, e->row, k == c->list.cur);
		if (e->kind == E_SELF && k != c->list.cur && !mem)
			mvchgat(y, r->x + c->cols.name_x, c->cols.name_w, A_BOLD, 0, NULL);
	}
}

static uint32_t cv_selected(struct tui *t, struct view *v)
{
	struct cview *c = v->priv;

	if (c->list.cur < c->n && c->e[c->list.cur].row)
		return c->e[c->list.cur].row->function;
	return c->fn;
}

/* Labels are not stops: go on the way the cursor went, else back. */
static void skip_labels(struct cview *c, size_t old)
{
	long dir = c->list.cur >= old ? 1 : -1;

	for (int pass = 0; pass < 2; pass++, dir = -dir) {
		for (long j = (long)c->list.cur; j >= 0 && j < (long)c->n; j += dir) {
			if (c->e[j].kind != E_LABEL) {
				c->list.cur = (size_t)j;
				return;
			}
		}
	}
}

static int cv_key(struct tui *t, struct view *v, int key)
{
	struct cview *c = v->priv;
	size_t old = c->list.cur;
	const struct entry *e;

	if (list_key(&c->list, key)) {
		skip_labels(c, old);
		return KR_HANDLED;
	}
	switch (key) {
	case KEY_LEFT:
	case KEY_RIGHT:
		return table_hscroll_key(&c->cols, key) ? KR_HANDLED : KR_IGNORED;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (c->list.cur >= c->n)
			return KR_HANDLED;
		e = &c->e[c->list.cur];
		if (e->kind == E_SELF)
			tui_push(t, view_lines_scoped(t, c->fn, &c->scope));
		else if (e->row)
			tui_push(t, view_callers_scoped(t, e->row->function, &c->scope));
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

struct cv_match {
	struct tui *t;
	struct cview *c;
	const char *needle;
};

static bool cv_matches(void *ctx, size_t i)
{
	struct cv_match *m = ctx;

	return m->c->e[i].row && ui_fn_matches(m->t->prof, m->c->e[i].row->function, m->needle);
}

static bool cv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct cview *c = v->priv;
	struct cv_match m = {t, c, needle};

	return list_search(&c->list, c->n, next, cv_matches, &m);
}

static void cv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct cview *c = v->priv;
	size_t k = c->list.top + (size_t)(y - r->y - 2);

	if (y >= r->y + 2 && k < c->n && c->e[k].kind != E_LABEL)
		c->list.cur = k;
}

static const struct mem_scope *cv_scope(struct tui *t, struct view *v)
{
	struct cview *c = v->priv;

	return mem_scoped(&c->scope) ? &c->scope : NULL;
}

static void cv_leave(struct tui *t, struct view *v)
{
	struct cview *c = v->priv;

	func_table_free(&c->callers);
	func_table_free(&c->callees);
	free(c->e);
}

static const struct key_help cv_keys[] = {
	{"Enter", "on a caller or callee: its callers and callees; on the function: its source", 0,
	 NULL},
	{"Left Right", "scroll long names sideways", 0, NULL},
	{NULL, NULL, 0, NULL},
};

const struct view_ops view_callers_ops = {
	.name = "callers",
	.help_title = "Callers and callees",
	.keys = cv_keys,
	.update = cv_update,
	.draw = cv_draw,
	.key = cv_key,
	.leave = cv_leave,
	.selected = cv_selected,
	.search = cv_search,
	.click = cv_click,
	.scope = cv_scope,
};

struct view *view_callers_scoped(struct tui *t, uint32_t fn, const struct mem_scope *s)
{
	struct cview *c = xcalloc(1, sizeof(*c));

	c->fn = fn;
	if (s)
		c->scope = *s;
	return view_alloc(&view_callers_ops, c);
}

struct view *view_callers_new(struct tui *t, uint32_t fn)
{
	return view_callers_scoped(t, fn, NULL);
}
