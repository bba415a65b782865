/* The top-down call tree, opened along the hottest path. Expansion is
 * remembered by the path of functions from the root, so it survives the
 * tree being recomputed on every refresh. With a baseline (--baseline),
 * each node shows the change of its cumulative and own time per run since
 * the same path in the baseline, with the interval (diff.h); D toggles. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "tui-priv.h"
#include "xalloc.h"

#define COLS_W	   32 /* "%total  %self  cumtime  tottime " */
#define COLS_W_PCT 14 /* "%total  %self " alone, on narrow screens */
#define COLS_W_D   45 /* "%total  Dcumtime  +-half  Dtottime  +-half " */
#define COLS_W_D1  17 /* "%total  Dcumtime " alone */

/* A set of path hashes (open addressing; 0 is empty). */
struct hset {
	uint64_t *k;
	size_t cap, n;
};

struct tview {
	struct call_tree tree;
	uint64_t *hash; /* per node: its path from the root */
	uint32_t *rows; /* visible nodes, in display order */
	size_t nrows;
	struct hset open;
	struct ui_list list;
	bool opened; /* the hottest path was opened once */
	/* With a name filter (\\): per node, whether it or a node below it
	 * matches; the others hide, the ones above matches open. NULL: none. */
	bool *keep;
	/* Against the baseline: per node (NULL without one, or with D off). */
	struct diff_node *dn;
	bool delta, delta_set; /* D: show the change; on by default with a baseline */
	/* what it counts: MEASURE_TIME, time (mem_scope_filter) */
	struct mem_scope scope;
};

static size_t hset_slot(const struct hset *s, uint64_t k)
{
	size_t i = (size_t)(k * 0x9e3779b97f4a7c15ull) & (s->cap - 1);

	while (s->k[i] && s->k[i] != k)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static bool hset_has(const struct hset *s, uint64_t k)
{
	return s->cap && s->k[hset_slot(s, k)] == k;
}

static void hset_put(struct hset *s, uint64_t k)
{
	if ((s->n + 1) * 2 > s->cap) {
		struct hset big = {xcalloc(s->cap ? s->cap * 2 : 64, sizeof(uint64_t)),
				   s->cap ? s->cap * 2 : 64, 0};

		for (size_t i = 0; i < s->cap; i++)
			if (s->k[i])
				hset_put(&big, s->k[i]);
		free(s->k);
		*s = big;
	}
	if (s->k[hset_slot(s, k)] != k) {
		s->k[hset_slot(s, k)] = k;
		s->n++;
	}
}

/* Removal by rebuilding without k: expansions are few. */
static void hset_del(struct hset *s, uint64_t k)
{
	struct hset keep = {NULL, 0, 0};

	for (size_t i = 0; i < s->cap; i++)
		if (s->k[i] && s->k[i] != k)
			hset_put(&keep, s->k[i]);
	free(s->k);
	*s = keep;
}

static uint64_t path_hash(uint64_t parent, uint32_t fn)
{
	uint64_t h = (parent ^ ((uint64_t)fn + 1)) * 0x100000001b3ull;

	h ^= h >> 29;
	return h ? h : 1;
}

static bool has_children(const struct tview *tv, uint32_t node)
{
	return tv->tree.nodes[node].first_child != PROF_NONE;
}

static bool is_open(const struct tview *tv, uint32_t node)
{
	return node == 0 || hset_has(&tv->open, tv->hash[node]) || (tv->keep && tv->keep[node]);
}

/* Mark the nodes matching the filter and those above them. */
static void filter_tree(struct tui *t, struct tview *tv)
{
	const struct call_tree *tr = &tv->tree;

	free(tv->keep);
	tv->keep = NULL;
	if (!t->name_filter || !tr->n)
		return;
	tv->keep = xcalloc(tr->n, sizeof(*tv->keep));
	/* a child always comes after its parent: one pass from the leaves */
	for (size_t i = tr->n; i-- > 1;) {
		if (ui_fn_matches(t->prof, tr->nodes[i].function, t->name_filter))
			tv->keep[i] = true;
		if (tv->keep[i])
			tv->keep[tr->nodes[i].parent] = true;
	}
}

/* Hashes of every node, and the visible rows by an explicit DFS (stacks
 * can be deeper than the C stack likes). */
static void flatten(struct tview *tv)
{
	const struct call_tree *tr = &tv->tree;
	uint32_t *stack = xcalloc(tr->n ? tr->n : 1, sizeof(*stack));
	size_t sp = 0;

	free(tv->hash);
	free(tv->rows);
	tv->hash = xcalloc(tr->n ? tr->n : 1, sizeof(*tv->hash));
	tv->rows = xcalloc(tr->n ? tr->n : 1, sizeof(*tv->rows));
	tv->nrows = 0;
	if (!tr->n)
		goto out;
	/* a child always comes after its parent (query.h) */
	tv->hash[0] = 1;
	for (size_t i = 1; i < tr->n; i++)
		tv->hash[i] = path_hash(tv->hash[tr->nodes[i].parent], tr->nodes[i].function);
	stack[sp++] = 0;
	while (sp) {
		uint32_t node = stack[--sp], c, nc = 0;

		if (tv->keep && !tv->keep[node])
			continue;
		if (node)
			tv->rows[tv->nrows++] = node;
		/* push children in reverse so the hottest comes out first */
		for (c = tr->nodes[node].first_child; c != PROF_NONE; c = tr->nodes[c].next_sibling)
			nc++;
		if (!is_open(tv, node))
			continue;
		sp += nc;
		c = tr->nodes[node].first_child;
		for (size_t i = 0; i < nc; i++, c = tr->nodes[c].next_sibling)
			stack[sp - 1 - i] = c;
	}
out:
	free(stack);
	tv->list.n = tv->nrows;
}

static uint32_t cur_node(const struct tview *tv)
{
	return tv->list.cur < tv->nrows ? tv->rows[tv->list.cur] : PROF_NONE;
}

static void open_hot_path(struct tview *tv)
{
	const struct call_tree *tr = &tv->tree;

	for (uint32_t n = 0; n < tr->n && tr->nodes[n].first_child != PROF_NONE;
	     n = tr->nodes[n].first_child)
		if (n)
			hset_put(&tv->open, tv->hash[n]);
}

static void tv_update(struct tui *t, struct view *v)
{
	struct tview *tv = v->priv;
	uint32_t node = cur_node(tv);
	uint64_t keep = node != PROF_NONE ? tv->hash[node] : 0;
	struct query_filter f;

	mem_scope_filter(t, &tv->scope, &f);
	call_tree_free(&tv->tree);
	query_call_tree_live(t->prof, &f, &tv->tree);
	if (!tv->delta_set) {
		tv->delta = t->base != NULL;
		tv->delta_set = true;
	}
	free(tv->dn);
	tv->dn = NULL;
	if (t->base && tv->delta && !mem_scoped(&tv->scope)) {
		struct diff_opts o;

		tui_diff_opts(t, &o);
		tv->dn = xcalloc(tv->tree.n + 1, sizeof(*tv->dn));
		diff_tree(t->prof, &tv->tree, t->base, &t->filter, &o, tv->dn);
	}
	filter_tree(t, tv);
	flatten(tv);
	if (!tv->opened && tv->tree.n > 1) {
		open_hot_path(tv);
		flatten(tv);
		tv->opened = true;
	}
	for (size_t i = 0; keep && i < tv->nrows; i++) {
		if (tv->hash[tv->rows[i]] == keep) {
			tv->list.cur = i;
			break;
		}
	}
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* A change of time and its interval: "+0.412", " \u00b10.031" (dim when not
 * significant; slower and significant in the error colour), "new" when
 * the path has no samples in the baseline. */
static void delta_cols(struct tui *t, int y, int x, int w, const struct diff_estimate *e,
		       bool in_base, bool wide, attr_t base, bool cur)
{
	attr_t a = cur		     ? base
		   : !e->significant ? ui_attr(t, UC_DIM)
		   : e->delta > 0    ? ui_attr(t, UC_ERR)
				     : base;
	char buf[48];

	snprintf(buf, sizeof(buf), " %+9.3f", e->delta);
	ui_put(y, x, buf, w, a);
	if (!wide || w <= 10)
		return;
	if (!in_base)
		snprintf(buf, sizeof(buf), " %-7s", "new");
	else if (isfinite(e->half))
		snprintf(buf, sizeof(buf), " %s%-6.3f", t->utf8 ? "\u00b1" : "+-", e->half);
	else
		buf[0] = '\0';
	ui_put(y, x + 10, buf, w - 10, cur ? base : ui_attr(t, UC_DIM));
}

static void tv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct tview *tv = v->priv;
	int rows = r->h - 2, namew,
	    cols_w = tv->dn	  ? (r->w >= 80 ? COLS_W_D : COLS_W_D1)
		     : r->w >= 60 ? COLS_W
				  : COLS_W_PCT;
	const char *head;
	char buf[512];

	if (tv->dn) {
		snprintf(buf, sizeof(buf), "Call tree compared with %s: change per run (D: plain)",
			 t->opt->baseline);
		ui_title(t, r->y, buf, NULL);
	} else if (mem_scoped(&tv->scope)) {
		char range[96];

		snprintf(buf, sizeof(buf), "Call tree of %s%s (+ - * Enter expand, collapse)",
			 mem_measure_name(tv->scope.measure),
			 mem_scope_range(&tv->scope, range, sizeof(range)));
		ui_title(t, r->y, buf, NULL);
	} else {
		ui_title(t, r->y, "Call tree (+ - * Enter expand, collapse)", NULL);
	}
	if (r->h < 2)
		return;
	t->colhead_y = r->y + 1;
	ui_fill(r->y + 1, r->x, r->w, ui_attr(t, UC_COLHEAD));
	if (cols_w == COLS_W_D)
		head = t->utf8 ? " %total  \u0394cumtime        \u00b1  \u0394tottime        "
				 "\u00b1  function"
			       : " %total  dcumtime       +-  dtottime       +-  function";
	else if (cols_w == COLS_W_D1)
		head = t->utf8 ? " %total  \u0394cumtime  function" : " %total  dcumtime  function";
	else if (cols_w == COLS_W && mem_scoped(&tv->scope))
		head = " %total  %self    total     self  function";
	else if (cols_w == COLS_W)
		head = " %total  %self  cumtime  tottime  function";
	else
		head = " %total  %self  function";
	ui_put(r->y + 1, r->x, head, r->w, ui_attr(t, UC_COLHEAD));
	list_fit(&tv->list, rows);
	if (!tv->nrows && rows > 0)
		ui_put(r->y + 2, 2,
		       tv->keep			? "no function matches the filter (\\ to change it)"
		       : mem_scoped(&tv->scope) ? "no memory records in this range or thread"
		       : t->prof->nsamples	? "no samples in this range or thread"
						: "no samples yet",
		       r->w - 2, ui_attr(t, UC_DIM));
	for (int i = 0; i < rows && tv->list.top + (size_t)i < tv->nrows; i++) {
		size_t k = tv->list.top + (size_t)i;
		uint32_t node = tv->rows[k];
		const struct tree_node *tn = &tv->tree.nodes[node];
		bool cur = k == tv->list.cur;
		attr_t base = cur ? ui_attr(t, UC_CURSOR) : A_NORMAL;
		double tp = pct(tn->total_ns, tv->tree.total_ns),
		       sp = pct(tn->self_ns, tv->tree.total_ns);
		int y = r->y + 2 + i, x = r->x, indent;
		const char *glyph;
		char *label;

		ui_fill(y, r->x, r->w, base);
		snprintf(buf, sizeof(buf), "%6.1f%%", tp);
		ui_put(y, x, buf, r->w, cur ? base : ui_heat(t, tp));
		if (tv->dn) {
			const struct diff_node *d = &tv->dn[node];
			bool wide = cols_w == COLS_W_D;

			delta_cols(t, y, x + 7, r->w - 7, &d->total, d->in_base, wide, base, cur);
			if (wide)
				delta_cols(t, y, x + 26, r->w - 26, &d->self, d->in_base, true,
					   base, cur);
		} else {
			snprintf(buf, sizeof(buf), "%6.1f%%", sp);
			ui_put(y, x + 7, buf, r->w - 7, cur ? base : ui_heat(t, sp));
		}
		if (!tv->dn && cols_w == COLS_W && mem_scoped(&tv->scope)) {
			char a[32], b[32];

			snprintf(buf, sizeof(buf), "%9s%9s",
				 mem_fmt(tv->scope.measure, tn->total_ns, a, sizeof(a)),
				 mem_fmt(tv->scope.measure, tn->self_ns, b, sizeof(b)));
			ui_put(y, x + 14, buf, r->w - 14, base);
		} else if (!tv->dn && cols_w == COLS_W) {
			snprintf(buf, sizeof(buf), "%9.3f%9.3f", tn->total_ns / 1e9,
				 tn->self_ns / 1e9);
			ui_put(y, x + 14, buf, r->w - 14, base);
		}
		namew = r->w - cols_w - 2;
		if (namew < 4)
			continue;
		indent = (int)(tn->depth > 0 ? tn->depth - 1 : 0) * 2;
		if (indent > namew / 2)
			indent = namew / 2; /* deep stacks: the name stays readable */
		if (!has_children(tv, node))
			glyph = t->utf8 ? "\u00b7 " : "  ";
		else if (is_open(tv, node))
			glyph = t->utf8 ? "\u25be " : "- ";
		else
			glyph = t->utf8 ? "\u25b8 " : "+ ";
		x = r->x + cols_w + 2 + indent;
		x += ui_put(y, x, glyph, namew - indent, cur ? base : ui_attr(t, UC_MARK));
		label = func_label(t->prof, tn->function);
		ui_put_cut(t, y, x, label, r->x + r->w - x, 0, base);
		free(label);
	}
}

static void expand_all(struct tview *tv, uint32_t node)
{
	const struct call_tree *tr = &tv->tree;
	uint32_t *stack = xcalloc(tr->n ? tr->n : 1, sizeof(*stack));
	size_t sp = 0;

	stack[sp++] = node;
	while (sp) {
		uint32_t n = stack[--sp];

		if (has_children(tv, n))
			hset_put(&tv->open, tv->hash[n]);
		for (uint32_t c = tr->nodes[n].first_child; c != PROF_NONE;
		     c = tr->nodes[c].next_sibling)
			stack[sp++] = c;
	}
	free(stack);
}

static int tv_key(struct tui *t, struct view *v, int key)
{
	struct tview *tv = v->priv;
	uint32_t node = cur_node(tv);

	if (list_key(&tv->list, key))
		return KR_HANDLED;
	if (node == PROF_NONE)
		return KR_IGNORED;
	switch (key) {
	case '+':
	case '=':
	case KEY_RIGHT:
		if (has_children(tv, node))
			hset_put(&tv->open, tv->hash[node]);
		break;
	case '-':
	case KEY_LEFT:
		if (has_children(tv, node) && is_open(tv, node)) {
			hset_del(&tv->open, tv->hash[node]);
		} else if (key == KEY_LEFT) {
			/* on a closed node: to its parent */
			uint32_t parent = tv->tree.nodes[node].parent;

			for (size_t i = 0; i < tv->nrows; i++)
				if (tv->rows[i] == parent)
					tv->list.cur = i;
		}
		break;
	case '*':
		expand_all(tv, node);
		break;
	case 'D':
		if (!t->base || mem_scoped(&tv->scope)) {
			tui_message(
				t, true, "%s",
				!t->base ? "no baseline: compare with proftop -i NEW --baseline OLD"
					 : "the comparison is of time: t from a time view");
			return KR_HANDLED;
		}
		tv->delta = !tv->delta;
		return KR_HANDLED | KR_REQUERY;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (!has_children(tv, node))
			return KR_HANDLED;
		if (is_open(tv, node))
			hset_del(&tv->open, tv->hash[node]);
		else
			hset_put(&tv->open, tv->hash[node]);
		break;
	default:
		return KR_IGNORED;
	}
	flatten(tv);
	for (size_t i = 0; i < tv->nrows; i++)
		if (tv->rows[i] == node && key != KEY_LEFT)
			tv->list.cur = i;
	return KR_HANDLED;
}

static uint32_t tv_selected(struct tui *t, struct view *v)
{
	struct tview *tv = v->priv;
	uint32_t node = cur_node(tv);

	return node != PROF_NONE ? tv->tree.nodes[node].function : PROF_NONE;
}

struct tv_match {
	struct tui *t;
	struct tview *tv;
	const char *needle;
};

static bool tv_matches(void *ctx, size_t i)
{
	struct tv_match *m = ctx;

	return ui_fn_matches(m->t->prof, m->tv->tree.nodes[m->tv->rows[i]].function, m->needle);
}

static bool tv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct tview *tv = v->priv;
	struct tv_match m = {t, tv, needle};

	return list_search(&tv->list, tv->nrows, next, tv_matches, &m);
}

static void tv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct tview *tv = v->priv;
	size_t k = tv->list.top + (size_t)(y - r->y - 2);

	if (y < r->y + 2 || k >= tv->nrows)
		return;
	if (k == tv->list.cur)
		tv_key(t, v, '\n'); /* a second click toggles */
	else
		tv->list.cur = k;
}

static const struct mem_scope *tv_scope(struct tui *t, struct view *v)
{
	struct tview *tv = v->priv;

	return mem_scoped(&tv->scope) ? &tv->scope : NULL;
}

static void tv_leave(struct tui *t, struct view *v)
{
	struct tview *tv = v->priv;

	call_tree_free(&tv->tree);
	free(tv->hash);
	free(tv->rows);
	free(tv->open.k);
	free(tv->keep);
	free(tv->dn);
}

static const struct key_help tv_keys[] = {
	{"+ Right", "expand", 0, NULL},
	{"- Left", "collapse (Left again: to the parent)", 0, NULL},
	{"*", "expand everything below", 0, NULL},
	{"Enter", "expand / collapse", 0, NULL},
	{"D", "with --baseline: change of each node's time since the baseline / plain", 0, NULL},
	{NULL, NULL, 0, NULL},
};

const struct view_ops view_tree_ops = {
	.name = "tree",
	.help_title = "Call tree",
	.keys = tv_keys,
	.update = tv_update,
	.draw = tv_draw,
	.key = tv_key,
	.leave = tv_leave,
	.selected = tv_selected,
	.search = tv_search,
	.click = tv_click,
	.scope = tv_scope,
};

struct view *view_tree_scoped(struct tui *t, const struct mem_scope *s)
{
	struct tview *tv = xcalloc(1, sizeof(*tv));

	if (s)
		tv->scope = *s;
	return view_alloc(&view_tree_ops, tv);
}

struct view *view_tree_new(struct tui *t)
{
	return view_tree_scoped(t, NULL);
}
