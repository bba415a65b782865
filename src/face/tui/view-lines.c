/* The line view: a function's source with self and total samples and a
 * heat bar per line, scrolled to the hottest line; its disassembly with
 * samples per instruction when the source cannot be read (or on `d`).
 * The rows come from annotate.h; this file only draws them. With a
 * baseline (--baseline), each source line also shows the change of its
 * own time per run since the same line of the baseline's function, with
 * the interval (diff_lines, as report --lines prints it); D toggles. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "diff.h"
#include "tui-priv.h"
#include "xalloc.h"

#define BAR_W	8
#define DELTA_W 18 /* " +0.412 +-0.031  " */

struct lview {
	uint32_t fn;
	struct annot_source src;
	struct annot_disasm dis;
	bool asm_mode;	 /* showing the disassembly */
	bool asm_auto;	 /* chosen because the source was unreadable */
	bool asm_chosen; /* by d: no automatic choice any more */
	bool have_dis;
	struct ui_list list;
	bool placed; /* the cursor went to the hottest row once */
	bool center; /* ...and is centred at the next draw */
	/* Against the baseline, per source row (NULL: no baseline, D off). */
	const struct diff_line **dl;
	struct diff_line_table dt;
	bool delta, delta_set;
	struct mem_scope scope; /* MEASURE_TIME: samples (mem_scope_filter) */
};

/* The self and total columns: samples, or a memory measure's figures. */
static int counts_w(const struct lview *l)
{
	return mem_scoped(&l->scope) ? 20 : 16;
}

static bool showing_delta(const struct lview *l)
{
	return l->dl && !l->asm_mode;
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

/* Each source row's line in the comparison (matched by file base name and
 * line, as diff_lines matches them). */
static void lv_compare(struct tui *t, struct lview *l)
{
	struct diff_opts o;

	free(l->dl);
	l->dl = NULL;
	diff_line_table_free(&l->dt);
	if (!l->delta_set) {
		l->delta = t->base != NULL;
		l->delta_set = true;
	}
	if (!t->base || !l->delta || l->asm_mode || mem_scoped(&l->scope))
		return;
	tui_diff_opts(t, &o);
	diff_lines(t->prof, t->base, &t->filter, l->fn, &o, &l->dt);
	l->dl = xcalloc(l->src.n + 1, sizeof(*l->dl));
	for (size_t i = 0; i < l->src.n; i++) {
		const struct annot_line *row = &l->src.rows[i];

		for (size_t j = 0; row->file && j < l->dt.n; j++)
			if (l->dt.rows[j].line == row->line &&
			    !strcmp(base_name(l->dt.rows[j].file), base_name(row->file))) {
				l->dl[i] = &l->dt.rows[j];
				break;
			}
	}
}

static size_t nrows(const struct lview *l)
{
	return l->asm_mode ? l->dis.n : l->src.n;
}

static size_t hottest(const struct lview *l)
{
	return l->asm_mode ? l->dis.hottest : l->src.hottest;
}

static void lv_update(struct tui *t, struct view *v)
{
	struct lview *l = v->priv;
	bool readable;
	struct query_filter f;

	mem_scope_filter(t, &l->scope, &f);
	annot_source_free(&l->src);
	readable = annot_source_build(t->annot, t->prof, &f, l->fn, &l->src) == 0;
	if (!l->placed && !readable && !l->asm_chosen) {
		l->asm_mode = l->asm_auto = true;
	}
	if (l->asm_mode) {
		annot_disasm_free(&l->dis);
		l->have_dis = annot_disasm_build(t->annot, t->prof, &f, l->fn, &l->dis) == 0;
		if (!l->have_dis && l->asm_auto)
			l->asm_mode = false; /* neither: the sampled lines without text */
	}
	lv_compare(t, l);
	l->list.n = nrows(l);
	if (!l->placed && hottest(l) != ANNOT_NONE) {
		l->list.cur = hottest(l);
		l->placed = l->center = true;
	}
}

/* Samples (self, total), or with a memory measure m its figures. */
static void counts(struct tui *t, int y, int x, const struct lview *l, uint64_t self,
		   uint64_t total, double heat, bool hot, attr_t base, bool cur)
{
	enum query_measure m = l->scope.measure;
	int w = counts_w(l);
	char buf[48], a[32], b[32];

	if (self || total) {
		if (mem_scoped(&l->scope))
			snprintf(buf, sizeof(buf), "%9s %9s ", mem_fmt(m, self, a, sizeof(a)),
				 mem_fmt(m, total, b, sizeof(b)));
		else
			snprintf(buf, sizeof(buf), "%7" PRIu64 " %7" PRIu64 " ", self, total);
		ui_put(y, x, buf, w, cur ? base : hot ? ui_attr(t, UC_HEAT5) : base);
		ui_bar(t, y, x + w, BAR_W, heat, cur ? base : ui_heat(t, heat * 100));
	}
}

/* " +0.412 \u00b10.031": the change of the line's own time per run; slower and
 * significant in the error colour, not significant dim. */
static void delta_col(struct tui *t, int y, int x, int w, const struct diff_line *d, attr_t base,
		      bool cur)
{
	char buf[48];
	attr_t a;

	if (!d || w <= 0)
		return;
	a = cur			   ? base
	    : !d->self.significant ? ui_attr(t, UC_DIM)
	    : d->self.delta > 0	   ? ui_attr(t, UC_ERR)
				   : base;
	snprintf(buf, sizeof(buf), "%+7.3f", d->self.delta);
	ui_put(y, x, buf, w, a);
	if (isfinite(d->self.half) && w > 8) {
		snprintf(buf, sizeof(buf), " %s%-6.3f", t->utf8 ? "\u00b1" : "+-", d->self.half);
		ui_put(y, x + 7, buf, w - 7, cur ? base : ui_attr(t, UC_DIM));
	}
}

static void draw_source(struct tui *t, struct lview *l, const struct rect *r, int rows)
{
	char buf[256];
	int dw = showing_delta(l) ? DELTA_W : 0, cw = counts_w(l);
	bool mem = mem_scoped(&l->scope);

	for (int i = 0; i < rows && l->list.top + (size_t)i < l->src.n; i++) {
		size_t k = l->list.top + (size_t)i;
		const struct annot_line *row = &l->src.rows[k];
		bool cur = k == l->list.cur;
		attr_t base = cur ? ui_attr(t, UC_CURSOR) : A_NORMAL;
		int y = r->y + 2 + i, x = r->x + 7 + cw + BAR_W + 1 + dw, w;

		ui_fill(y, r->x, r->w, base);
		if (row->line > 0)
			snprintf(buf, sizeof(buf), "%6d", row->line);
		else
			snprintf(buf, sizeof(buf), "%6s", "?");
		ui_put(y, r->x, buf, 6, cur ? base : ui_attr(t, UC_DIM));
		counts(t, y, r->x + 7, l, mem ? row->self_ns : row->self_samples,
		       mem ? row->total_ns : row->total_samples, row->heat, row->hottest, base,
		       cur);
		if (dw)
			delta_col(t, y, r->x + 7 + cw + BAR_W + 1,
				  r->x + r->w - (r->x + 7 + cw + BAR_W + 1), l->dl[k], base, cur);
		w = r->x + r->w - x;
		if (w <= 0)
			continue;
		if (k >= l->src.main_n && row->file) { /* another file: name it */
			snprintf(buf, sizeof(buf), "%s:%d: ", ui_base(row->file), row->line);
			x += ui_put(y, x, buf, w, cur ? base : ui_attr(t, UC_DIM));
		} else if (!row->file) {
			x += ui_put(y, x, "(samples of no known line)", w,
				    cur ? base : ui_attr(t, UC_DIM));
		}
		if (row->text)
			x += ui_put(y, x, row->text, r->x + r->w - x, base);
		if (row->inlined != PROF_NONE && row->inlined != l->fn) {
			snprintf(buf, sizeof(buf), "  \u2190 inlined: %s",
				 ui_fn_name(t->prof, row->inlined));
			if (!t->utf8)
				snprintf(buf, sizeof(buf), "  <- inlined: %s",
					 ui_fn_name(t->prof, row->inlined));
			x += ui_put(y, x, buf, r->x + r->w - x, cur ? base : ui_attr(t, UC_MARK));
		}
		if (row->callee != PROF_NONE && row->callee != row->inlined) {
			snprintf(buf, sizeof(buf), "  %s calls %s", t->utf8 ? "\u2192" : "->",
				 ui_fn_name(t->prof, row->callee));
			x += ui_put(y, x, buf, r->x + r->w - x, cur ? base : ui_attr(t, UC_MARK));
		}
		if (row->kernel_ns && l->src.total_ns && !mem) { /* a fault or a syscall here */
			snprintf(buf, sizeof(buf), "  (in kernel %.0f%%)",
				 100.0 * (double)row->kernel_ns / (double)l->src.total_ns);
			ui_put(y, x, buf, r->x + r->w - x, cur ? base : ui_attr(t, UC_DIM));
		}
	}
}

static void draw_asm(struct tui *t, struct lview *l, const struct rect *r, int rows)
{
	char buf[256];
	int cw = counts_w(l);
	bool mem = mem_scoped(&l->scope);

	for (int i = 0; i < rows && l->list.top + (size_t)i < l->dis.n; i++) {
		size_t k = l->list.top + (size_t)i;
		const struct annot_insn *in = &l->dis.insns[k];
		bool cur = k == l->list.cur;
		attr_t base = cur ? ui_attr(t, UC_CURSOR) : A_NORMAL;
		int y = r->y + 2 + i, x = r->x + 9 + cw + BAR_W + 1;

		ui_fill(y, r->x, r->w, base);
		snprintf(buf, sizeof(buf), "%8" PRIx64, in->address);
		ui_put(y, r->x, buf, 8, cur ? base : ui_attr(t, UC_DIM));
		counts(t, y, r->x + 9, l, mem ? in->self_ns : in->self_samples,
		       mem ? in->total_ns : in->total_samples, in->heat, in->hottest, base, cur);
		if (x >= r->x + r->w)
			continue;
		snprintf(buf, sizeof(buf), "%-7s %s", in->mnemonic ? in->mnemonic : "?",
			 in->operands ? in->operands : "");
		x += ui_put(y, x, buf, r->x + r->w - x,
			    cur				 ? base
			    : in->is_call || in->is_jump ? ui_attr(t, UC_MARK)
							 : base);
		if (in->is_call && in->callee_name) {
			snprintf(buf, sizeof(buf), "  %s %s", t->utf8 ? "\u2192" : "->",
				 in->callee_name);
			x += ui_put(y, x, buf, r->x + r->w - x, cur ? base : ui_attr(t, UC_MARK));
		}
		if (in->file && in->line > 0) {
			snprintf(buf, sizeof(buf), "  ; %s:%d", ui_base(in->file), in->line);
			ui_put(y, x, buf, r->x + r->w - x, cur ? base : ui_attr(t, UC_DIM));
		}
	}
}

static void lv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct lview *l = v->priv;
	const char *name = ui_fn_name(t->prof, l->fn);
	char title[320], head[160];
	int rows = r->h - 2;

	if (l->asm_mode)
		snprintf(title, sizeof(title), "Disassembly of %s (%s)%s", name,
			 ui_base(l->dis.path ? l->dis.path : "?"),
			 l->asm_auto ? ": no source, d for lines" : "");
	else if (l->src.readable)
		snprintf(title, sizeof(title), "Source of %s (%s:%d-%d)", name,
			 ui_base(l->src.file), l->src.first_line, l->src.last_line);
	else
		snprintf(title, sizeof(title), "Lines of %s: %s", name,
			 l->src.error ? l->src.error : "no source");
	if (showing_delta(l))
		snprintf(title + strlen(title), sizeof(title) - strlen(title),
			 ", compared with %s (D: plain)", t->opt->baseline);
	if (mem_scoped(&l->scope)) {
		char range[96];

		snprintf(title + strlen(title), sizeof(title) - strlen(title), ": %s per %s%s",
			 mem_measure_name(l->scope.measure), l->asm_mode ? "instruction" : "line",
			 mem_scope_range(&l->scope, range, sizeof(range)));
	}
	ui_title(t, r->y, title, NULL);
	if (r->h < 2)
		return;
	if (l->asm_mode && !l->have_dis) {
		ui_put(r->y + 2, 2, l->dis.error ? l->dis.error : "no disassembly", r->w - 2,
		       ui_attr(t, UC_ERR));
		return;
	}
	snprintf(head, sizeof(head), "%s%s %-*s %s%s", l->asm_mode ? " address" : "  line",
		 mem_scoped(&l->scope) ? "      self     total" : "    self   total", BAR_W, "heat",
		 !showing_delta(l) ? ""
		 : t->utf8	   ? "   \u0394own \u00b1         "
				   : "   down +-        ",
		 l->asm_mode ? "instruction" : "source");
	ui_fill(r->y + 1, r->x, r->w, ui_attr(t, UC_COLHEAD));
	ui_put(r->y + 1, r->x, head, r->w, ui_attr(t, UC_COLHEAD));
	t->colhead_y = r->y + 1;
	list_fit(&l->list, rows);
	if (l->center) {
		l->list.top = 0;
		list_goto(&l->list, l->list.cur);
		l->center = false;
	}
	if (!nrows(l) && rows > 0) {
		ui_put(r->y + 2, 2,
		       mem_scoped(&l->scope)
			       ? "no memory records of this function in this range or thread"
			       : "no samples of this function in this range or thread",
		       r->w - 2, ui_attr(t, UC_DIM));
		return;
	}
	if (l->asm_mode)
		draw_asm(t, l, r, rows);
	else
		draw_source(t, l, r, rows);
}

/* The function a call (or inlined code) on the cursor's row leads to. */
static uint32_t row_target(const struct lview *l)
{
	if (l->list.cur >= nrows(l))
		return PROF_NONE;
	if (l->asm_mode)
		return l->dis.insns[l->list.cur].callee;
	if (l->src.rows[l->list.cur].callee != PROF_NONE)
		return l->src.rows[l->list.cur].callee;
	return l->src.rows[l->list.cur].inlined;
}

static int lv_key(struct tui *t, struct view *v, int key)
{
	struct lview *l = v->priv;
	size_t i;
	uint32_t fn;

	if (list_key(&l->list, key))
		return KR_HANDLED;
	switch (key) {
	case 'n':
	case 'N':
		i = l->asm_mode ? annot_disasm_next_hot(&l->dis, l->list.cur, key == 'N')
				: annot_source_next_hot(&l->src, l->list.cur, key == 'N');
		if (i != ANNOT_NONE)
			list_goto(&l->list, i);
		return KR_HANDLED;
	case 'd':
		l->asm_mode = !l->asm_mode;
		l->asm_auto = false;
		l->asm_chosen = true;
		l->placed = false;
		l->list.cur = l->list.top = 0;
		return KR_HANDLED | KR_REQUERY;
	case 'D':
		if (!t->base) {
			tui_message(t, true,
				    "no baseline: compare with proftop -i NEW --baseline OLD");
			return KR_HANDLED;
		}
		if (l->asm_mode) {
			tui_message(t, true, "the change is per source line: d for the source");
			return KR_HANDLED;
		}
		l->delta = !l->delta;
		return KR_HANDLED | KR_REQUERY;
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		fn = row_target(l);
		if (fn != PROF_NONE && fn != l->fn)
			tui_push(t, view_lines_scoped(t, fn, &l->scope));
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

static uint32_t lv_selected(struct tui *t, struct view *v)
{
	return ((struct lview *)v->priv)->fn;
}

struct lv_match {
	struct lview *l;
	const char *needle;
};

static bool lv_matches(void *ctx, size_t i)
{
	struct lv_match *m = ctx;
	const char *s = m->l->asm_mode ? m->l->dis.insns[i].mnemonic : m->l->src.rows[i].text;

	return s && ui_contains(s, m->needle);
}

static bool lv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct lview *l = v->priv;
	struct lv_match m = {l, needle};

	return list_search(&l->list, nrows(l), next, lv_matches, &m);
}

static void lv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct lview *l = v->priv;
	size_t k = l->list.top + (size_t)(y - r->y - 2);

	if (y >= r->y + 2 && k < nrows(l))
		l->list.cur = k;
}

static const struct mem_scope *lv_scope(struct tui *t, struct view *v)
{
	struct lview *l = v->priv;

	return mem_scoped(&l->scope) ? &l->scope : NULL;
}

static void lv_leave(struct tui *t, struct view *v)
{
	struct lview *l = v->priv;

	annot_source_free(&l->src);
	annot_disasm_free(&l->dis);
	diff_line_table_free(&l->dt);
	free(l->dl);
}

const struct view_ops view_lines_ops = {
	.name = "lines",
	.update = lv_update,
	.draw = lv_draw,
	.key = lv_key,
	.leave = lv_leave,
	.selected = lv_selected,
	.search = lv_search,
	.click = lv_click,
	.scope = lv_scope,
};

struct view *view_lines_scoped(struct tui *t, uint32_t fn, const struct mem_scope *s)
{
	struct lview *l = xcalloc(1, sizeof(*l));

	l->fn = fn;
	l->src.hottest = l->dis.hottest = ANNOT_NONE;
	if (s)
		l->scope = *s;
	return view_alloc(&view_lines_ops, l);
}

struct view *view_lines_new(struct tui *t, uint32_t fn)
{
	return view_lines_scoped(t, fn, NULL);
}
