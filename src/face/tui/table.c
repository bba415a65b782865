/* Function rows with the columns of `report` (columns.c): ncalls tottime
 * percall cumtime percall %self %total function. The call-count columns
 * show only when some row has a count; narrow terminals drop the least
 * useful columns first; the function name takes what is left, cut with an
 * ellipsis and scrolled sideways with Left and Right. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "tui-priv.h"

#define NAME_MIN 18

/* Which columns survive as the terminal narrows, most wanted first. */
static const enum func_col priority[] = {FCOL_TOTAL,   FCOL_SELF,   FCOL_OFFCPU,   FCOL_CUMTIME,
					 FCOL_TOTTIME, FCOL_NCALLS, FCOL_TPERCALL, FCOL_CPERCALL};

void table_layout(int width, bool counted, struct func_cols *c)
{
	int used = 0;

	memset(c->shown, 0, sizeof(c->shown));
	for (size_t i = 0; i < sizeof(priority) / sizeof(*priority); i++) {
		const struct func_column *col = &func_columns[priority[i]];

		if ((col->counted && !counted) || (col->wall && !c->wall))
			continue;
		if (width - used - col->screen_width - 2 < NAME_MIN)
			break;
		c->shown[priority[i]] = true;
		used += col->screen_width;
	}
	c->name_x = used + 2;
	c->name_w = width - c->name_x;
	if (c->name_w < 1) {
		c->name_x = 0;
		c->name_w = width;
	}
}

bool table_hscroll_key(struct func_cols *c, int key)
{
	if (key == KEY_RIGHT) {
		c->hscroll += TABLE_HSTEP;
		return true;
	}
	if (key == KEY_LEFT && c->hscroll > 0) {
		c->hscroll = c->hscroll > TABLE_HSTEP ? c->hscroll - TABLE_HSTEP : 0;
		return true;
	}
	return false;
}

static bool sort_is(const struct func_column *col, enum query_sort sort)
{
	/* The pstats columns carry the mark: tottime, cumtime, ncalls, name. */
	return col->marked && (int)sort == col->sort;
}

void table_header(struct tui *t, int y, int x, const struct func_cols *c, enum query_sort sort,
		  bool reverse, bool sorted)
{
	attr_t head = ui_attr(t, UC_COLHEAD), hot = ui_attr(t, UC_COLSORT);
	int cx = x;
	char buf[160];

	ui_fill(y, x, c->name_x + c->name_w, head);
	for (const enum func_col *k = func_display_order; *k != FCOL_FUNCTION; k++) {
		const struct func_column *col = &func_columns[*k];

		if (!c->shown[*k])
			continue;
		snprintf(buf, sizeof(buf), "%*s", col->screen_width, col->title);
		ui_put(y, cx, buf, col->screen_width, sorted && sort_is(col, sort) ? hot : head);
		cx += col->screen_width;
	}
	snprintf(buf, sizeof(buf), "%s%s%s", func_columns[FCOL_FUNCTION].title,
		 sorted && reverse ? "  (reversed)" : "", c->hscroll ? "  (scrolled: Left)" : "");
	ui_put(y, x + c->name_x, buf, c->name_w,
	       sorted && sort_is(&func_columns[FCOL_FUNCTION], sort) ? hot : head);
}

void table_row(struct tui *t, int y, int x, const struct func_cols *c, const struct func_row *row,
	       bool cursor)
{
	attr_t base = cursor ? ui_attr(t, UC_CURSOR) : A_NORMAL;
	int cx = x;
	char buf[64];

	ui_fill(y, x, c->name_x + c->name_w, base);
	for (const enum func_col *k = func_display_order; *k != FCOL_COUNT; k++) {
		const struct func_column *col = &func_columns[*k];
		double pct = 0;
		char *cell;

		if (*k != FCOL_FUNCTION && !c->shown[*k])
			continue;
		cell = col->cell(t->prof, row, &pct);
		if (*k == FCOL_FUNCTION) {
			ui_put_cut(t, y, x + c->name_x, cell, c->name_w, c->hscroll, base);
		} else {
			snprintf(buf, sizeof(buf), "%*s", col->screen_width, cell);
			ui_put(y, cx, buf, col->screen_width,
			       col->heat && !cursor ? ui_heat(t, pct) : base);
			cx += col->screen_width;
		}
		free(cell);
	}
}

int table_column_sort(const struct func_cols *c, int x0, int x)
{
	int cx = x0;

	for (const enum func_col *k = func_display_order; *k != FCOL_FUNCTION; k++) {
		const struct func_column *col = &func_columns[*k];

		if (!c->shown[*k])
			continue;
		if (x >= cx && x < cx + col->screen_width)
			return col->sort;
		cx += col->screen_width;
	}
	if (x >= x0 + c->name_x)
		return func_columns[FCOL_FUNCTION].sort;
	return -1;
}
