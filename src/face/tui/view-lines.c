/* The line view: a function's source with self and total samples and a
 * heat bar per line, scrolled to the hottest line; its disassembly with
 * samples per instruction when the source cannot be read (or on `d`).
 * The rows come from annotate.h; this file only draws them. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "tui-priv.h"
#include "xalloc.h"

#define BAR_W 8

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
};

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

	annot_source_free(&l->src);
	readable = annot_source_build(t->annot, t->prof, &t->filter, l->fn, &l->src) == 0;
	if (!l->placed && !readable && !l->asm_chosen) {
		l->asm_mode = l->asm_auto = true;
	}
	if (l->asm_mode) {
		annot_disasm_free(&l->dis);
		l->have_dis =
			annot_disasm_build(t->annot, t->prof, &t->filter, l->fn, &l->dis) == 0;
		if (!l->have_dis && l->asm_auto)
			l->asm_mode = false; /* neither: the sampled lines without text */
	}
	l->list.n = nrows(l);
	if (!l->placed && hottest(l) != ANNOT_NONE) {
		l->list.cur = hottest(l);
		l->placed = l->center = true;
	}
}

static void counts(struct tui *t, int y, int x, uint64_t self, uint64_t total, double heat,
		   bool hot, attr_t base, bool cur)
{
	char buf[48];

	if (self || total) {
		snprintf(buf, sizeof(buf), "%7" PRIu64 " %7" PRIu64 " ", self, total);
		ui_put(y, x, buf, 16, cur ? base : hot ? ui_attr(t, UC_HEAT5) : base);
		ui_bar(t, y, x + 16, BAR_W, heat, cur ? base : ui_heat(t, heat * 100));
	}
}

static void draw_source(struct tui *t, struct lview *l, const struct rect *r, int rows)
{
	char buf[256];

	for (int i = 0; i < rows && l->list.top + (size_t)i < l->src.n; i++) {
		size_t k = l->list.top + (size_t)i;
		const struct annot_line *row = &l->src.rows[k];
		bool cur = k == l->list.cur;
		attr_t base = cur ? ui_attr(t, UC_CURSOR) : A_NORMAL;
		int y = r->y + 2 + i, x = r->x + 7 + 16 + BAR_W + 1, w;

		ui_fill(y, r->x, r->w, base);
		if (row->line > 0)
			snprintf(buf, sizeof(buf), "%6d", row->line);
		else
			snprintf(buf, sizeof(buf), "%6s", "?");
		ui_put(y, r->x, buf, 6, cur ? base : ui_attr(t, UC_DIM));
		counts(t, y, r->x + 7, row->self_samples, row->total_samples, row->heat,
		       row->hottest, base, cur);
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
		if (row->kernel_ns && l->src.total_ns) { /* a fault or a syscall here */
			snprintf(buf, sizeof(buf), "  (in kernel %.0f%%)",
				 100.0 * (double)row->kernel_ns / (double)l->src.total_ns);
			ui_put(y, x, buf, r->x + r->w - x, cur ? base : ui_attr(t, UC_DIM));
		}
	}
}

static void draw_asm(struct tui *t, struct lview *l, const struct rect *r, int rows)
{
	char buf[256];

	for (int i = 0; i < rows && l->list.top + (size_t)i < l->dis.n; i++) {
		size_t k = l->list.top + (size_t)i;
		const struct annot_insn *in = &l->dis.insns[k];
		bool cur = k == l->list.cur;
		attr_t base = cur ? ui_attr(t, UC_CURSOR) : A_NORMAL;
		int y = r->y + 2 + i, x = r->x + 9 + 16 + BAR_W + 1;

		ui_fill(y, r->x, r->w, base);
		snprintf(buf, sizeof(buf), "%8" PRIx64, in->address);
		ui_put(y, r->x, buf, 8, cur ? base : ui_attr(t, UC_DIM));
		counts(t, y, r->x + 9, in->self_samples, in->total_samples, in->heat, in->hottest,
		       base, cur);
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
	ui_title(t, r->y, title, NULL);
	if (r->h < 2)
		return;
	if (l->asm_mode && !l->have_dis) {
		ui_put(r->y + 2, 2, l->dis.error ? l->dis.error : "no disassembly", r->w - 2,
		       ui_attr(t, UC_ERR));
		return;
	}
	snprintf(head, sizeof(head), "%s    self   total %-*s %s",
		 l->asm_mode ? " address" : "  line", BAR_W, "heat",
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
		ui_put(r->y + 2, 2, "no samples of this function in this range or thread", r->w - 2,
		       ui_attr(t, UC_DIM));
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
	case '\n':
	case '\r':
	case KEY_ENTER:
	case KEY_RIGHT:
		fn = row_target(l);
		if (fn != PROF_NONE && fn != l->fn)
			tui_push(t, view_lines_new(t, fn));
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

static void lv_leave(struct tui *t, struct view *v)
{
	struct lview *l = v->priv;

	annot_source_free(&l->src);
	annot_disasm_free(&l->dis);
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
};

struct view *view_lines_new(struct tui *t, uint32_t fn)
{
	struct lview *l = xcalloc(1, sizeof(*l));

	l->fn = fn;
	l->src.hottest = l->dis.hottest = ANNOT_NONE;
	return view_alloc(&view_lines_ops, l);
}
