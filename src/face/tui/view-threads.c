/* The thread picker of `T`: every thread with its name and its samples
 * (the busiest first); Enter restricts every view to the chosen one. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "tui-priv.h"
#include "xalloc.h"

struct thview {
	struct thread_table table;
	struct ui_list list; /* row 0: every thread */
	int32_t cur_tid;     /* the cursor follows its thread as rows move */
};

static void th_update(struct tui *t, struct view *v)
{
	struct thview *th = v->priv;
	bool first = v->gen == UINT64_MAX;

	thread_table_free(&th->table);
	query_threads(t->prof, &t->filter, &th->table);
	th->list.n = th->table.n + 1;
	if (first)
		th->cur_tid = t->filter.tid;
	th->list.cur = 0;
	for (size_t i = 0; i < th->table.n; i++)
		if (th->cur_tid && th->table.rows[i].tid == th->cur_tid)
			th->list.cur = i + 1;
}

static void th_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct thview *th = v->priv;
	int rows = r->h - 2;
	char buf[256], n[32];

	snprintf(buf, sizeof(buf), "Threads: Enter shows only the chosen one (%zu threads)",
		 th->table.n);
	ui_title(t, r->y, buf, NULL);
	if (r->h < 2)
		return;
	t->colhead_y = r->y + 1;
	ui_fill(r->y + 1, r->x, r->w, ui_attr(t, UC_COLHEAD));
	ui_put(r->y + 1, r->x, "        tid name             process   samples  %samples", r->w,
	       ui_attr(t, UC_COLHEAD));
	list_fit(&th->list, rows);
	for (int i = 0; i < rows && th->list.top + (size_t)i < th->list.n; i++) {
		size_t k = th->list.top + (size_t)i;
		attr_t a = k == th->list.cur ? ui_attr(t, UC_CURSOR) : A_NORMAL;
		bool on;

		if (k == 0) {
			snprintf(buf, sizeof(buf), "  %9s %-16s %7s %9s  %7.1f%%", "all", "threads",
				 "", fmt_count(th->table.total_samples, n, sizeof(n)),
				 th->table.total_samples ? 100.0 : 0.0);
			on = !t->filter.tid;
		} else {
			const struct thread_row *p = &th->table.rows[k - 1];

			snprintf(buf, sizeof(buf), "  %9d %-16s %7d %9s  %7.1f%%", p->tid,
				 p->comm ? p->comm : "?", p->pid,
				 fmt_count(p->samples, n, sizeof(n)), p->pct);
			on = t->filter.tid == p->tid;
		}
		buf[0] = on ? '*' : ' ';
		ui_fill(r->y + 2 + i, r->x, r->w, a);
		ui_put(r->y + 2 + i, r->x, buf, r->w, a);
	}
}

static void remember(struct thview *th)
{
	th->cur_tid = th->list.cur && th->list.cur - 1 < th->table.n
			      ? th->table.rows[th->list.cur - 1].tid
			      : 0;
}

static int th_key(struct tui *t, struct view *v, int key)
{
	struct thview *th = v->priv;

	if (list_key(&th->list, key)) {
		remember(th);
		return KR_HANDLED;
	}
	if (key != '\n' && key != '\r' && key != KEY_ENTER)
		return KR_IGNORED;
	remember(th);
	t->filter.tid = th->cur_tid;
	tui_requery(t);
	tui_pop(t);
	return KR_HANDLED;
}

static void th_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct thview *th = v->priv;
	size_t k = th->list.top + (size_t)(y - r->y - 2);

	if (y > r->y + 1 && k < th->list.n) {
		th->list.cur = k;
		remember(th);
	}
}

static void th_leave(struct tui *t, struct view *v)
{
	struct thview *th = v->priv;

	thread_table_free(&th->table);
}

static const struct key_help th_keys[] = {
	{"Enter", "restrict every view to that thread (all threads: lift it)", 0, NULL},
	{NULL, NULL, 0, NULL},
};

const struct view_ops view_threads_ops = {
	.name = "threads",
	.help_title = "Threads (T)",
	.keys = th_keys,
	.update = th_update,
	.draw = th_draw,
	.key = th_key,
	.leave = th_leave,
	.click = th_click,
};

struct view *view_threads_new(struct tui *t)
{
	return view_alloc(&view_threads_ops, xcalloc(1, sizeof(struct thview)));
}
