/* Help: every key, from the tables the keys are handled by (keys.c for
 * the shared keys, each view's ops.keys), so the help cannot drift from
 * what the keys do. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tui-priv.h"
#include "xalloc.h"

/* The line view's keys (view-lines.c, whose key handler is elsewhere). */
static const struct key_help lines_keys[] = {
	{"n N", "next / previous hot line", 0, NULL},
	{"d", "disassembly instead of source, and back (also when the source is missing)", 0, NULL},
	{"D", "with --baseline: change of each line's own time since the baseline / plain", 0, NULL},
	{"Enter Right", "on a call line: go to the callee", 0, NULL},
	{NULL, NULL, 0, NULL},
};

/* What the columns mean: not keys, after them. */
static const struct key_help columns_help[] = {
	{"ncalls", "exact call count; hidden until some function is counted (C, --calls)", 0, NULL},
	{"tottime", "seconds with the function innermost (perf's Self)", 0, NULL},
	{"cumtime", "seconds with the function anywhere on the stack (Children)", 0, NULL},
	{"percall", "tottime/ncalls and cumtime/ncalls", 0, NULL},
	{"%self %total", "the same as shares of all samples shown", 0, NULL},
	{"%off", "wall clock (W, --clock wall): the waits' share of cumtime", 0, NULL},
	{NULL, NULL, 0, NULL},
};

/* A help line: a section title (keys NULL) or a key. */
struct hline {
	const char *keys, *what;
};

struct hview {
	struct hline *lines;
	size_t n, cap, top;
	int height;
};

static void add(struct hview *h, const char *keys, const char *what)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 64;
		h->lines = xrealloc(h->lines, h->cap * sizeof(*h->lines));
	}
	h->lines[h->n++] = (struct hline){keys, what};
}

static void add_table(struct hview *h, const char *title, const struct key_help *k)
{
	add(h, NULL, title);
	for (; k && k->keys; k++)
		add(h, k->keys, k->what);
}

static void hv_update(struct tui *t, struct view *v)
{
	struct hview *h = v->priv;
	const struct key_help *k;

	h->n = 0;
	add(h, NULL, "Everywhere");
	for (size_t i = 0; (k = keys_global_help(t, i)); i++)
		add(h, k->keys, k->what);
	add_table(h, view_functions_ops.help_title, view_functions_ops.keys);
	add_table(h, view_diff_ops.help_title, view_diff_ops.keys);
	add_table(h, "Source lines", lines_keys);
	add_table(h, view_callers_ops.help_title, view_callers_ops.keys);
	add_table(h, view_tree_ops.help_title, view_tree_ops.keys);
	add_table(h, view_output_ops.help_title, view_output_ops.keys);
	add_table(h, view_threads_ops.help_title, view_threads_ops.keys);
	add_table(h, view_memory_ops.help_title, view_memory_ops.keys);
	add_table(h, "Columns", columns_help);
}

/* The first line that fills the screen to its end. */
static size_t last_top(const struct hview *h)
{
	size_t rows = h->height > 0 ? (size_t)h->height : 1;

	return h->n > rows ? h->n - rows : 0;
}

static void hv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct hview *h = v->priv;
	int rows = r->h - 1, kw = r->w >= 70 ? 26 : r->w / 3;

	ui_title(t, r->y, "Help: keys (Esc or ? to close)", "proftop " PACKAGE_VERSION);
	h->height = rows;
	if (h->top > last_top(h))
		h->top = last_top(h);
	for (int i = 0; i < rows && h->top + (size_t)i < h->n; i++) {
		const struct hline *e = &h->lines[h->top + (size_t)i];
		int y = r->y + 1 + i;

		if (!e->keys) {
			ui_put(y, 1, e->what, r->w - 1, ui_attr(t, UC_HEADER) | A_BOLD);
			continue;
		}
		ui_put(y, 3, e->keys, kw - 4, ui_attr(t, UC_KEY));
		ui_put_cut(t, y, 2 + kw, e->what, r->w - 2 - kw, 0, A_NORMAL);
	}
}

/* The help scrolls by its top: there is no cursor. */
static int hv_key(struct tui *t, struct view *v, int key)
{
	struct hview *h = v->priv;
	size_t page = h->height > 1 ? (size_t)h->height - 1 : 1;

	switch (key) {
	case KEY_UP:
	case 'k':
		if (h->top)
			h->top--;
		return KR_HANDLED;
	case KEY_DOWN:
	case 'j':
		h->top++;
		return KR_HANDLED;
	case KEY_PPAGE:
		h->top = h->top > page ? h->top - page : 0;
		return KR_HANDLED;
	case KEY_NPAGE:
	case ' ':
		h->top += page;
		return KR_HANDLED;
	case KEY_HOME:
	case 'g':
		h->top = 0;
		return KR_HANDLED;
	case KEY_END:
	case 'G':
		h->top = last_top(h);
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

static void hv_leave(struct tui *t, struct view *v)
{
	free(((struct hview *)v->priv)->lines);
}

const struct view_ops view_help_ops = {
	.name = "help",
	.update = hv_update,
	.draw = hv_draw,
	.key = hv_key,
	.leave = hv_leave,
};

struct view *view_help_new(struct tui *t)
{
	return view_alloc(&view_help_ops, xcalloc(1, sizeof(struct hview)));
}
