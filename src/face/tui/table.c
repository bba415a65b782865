/* Function rows with the columns of `report`: ncalls tottime percall
 * cumtime percall %self %total function. Narrow terminals drop the least
 * useful columns first; the function name always shows. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tui-priv.h"

#define NAME_MIN 18

struct col_def {
	unsigned bit;
	const char *title;
	int width; /* including the blank before it */
	int sort;  /* enum query_sort a click on it chooses */
};

/* In display order. */
static const struct col_def cols[] = {
	{FC_NCALLS, "ncalls", 9, SORT_CALLS},	      {FC_TOTTIME, "tottime", 9, SORT_TOTTIME},
	{FC_TPERCALL, "percall", 9, SORT_TOTTIME},    {FC_CUMTIME, "cumtime", 9, SORT_CUMULATIVE},
	{FC_CPERCALL, "percall", 9, SORT_CUMULATIVE}, {FC_SELF, "%self", 7, SORT_TOTTIME},
	{FC_TOTAL, "%total", 7, SORT_CUMULATIVE},
};
#define NCOLS (sizeof(cols) / sizeof(*cols))

/* Which columns survive as the terminal narrows, most wanted first. */
static const unsigned priority[] = {FC_TOTAL,  FC_SELF,	    FC_CUMTIME, FC_TOTTIME,
				    FC_NCALLS, FC_TPERCALL, FC_CPERCALL};

static int col_width(unsigned bit)
{
	for (size_t i = 0; i < NCOLS; i++)
		if (cols[i].bit == bit)
			return cols[i].width;
	return 0;
}

void table_layout(int width, struct func_cols *c)
{
	int used = 0;

	c->mask = 0;
	for (size_t i = 0; i < sizeof(priority) / sizeof(*priority); i++) {
		int w = col_width(priority[i]);

		if (width - used - w - 2 < NAME_MIN)
			break;
		c->mask |= priority[i];
		used += w;
	}
	c->name_x = used + 2;
	c->name_w = width - c->name_x;
	if (c->name_w < 1) {
		c->name_x = 0;
		c->name_w = width;
	}
}

static bool sort_is(const struct col_def *d, enum query_sort sort)
{
	/* The pstats columns carry the mark: tottime, cumtime, ncalls. */
	return (int)sort == d->sort &&
	       (d->bit == FC_NCALLS || d->bit == FC_TOTTIME || d->bit == FC_CUMTIME);
}

void table_header(struct tui *t, int y, int x, const struct func_cols *c, enum query_sort sort,
		  bool reverse, bool sorted)
{
	attr_t head = ui_attr(t, UC_COLHEAD), hot = ui_attr(t, UC_COLSORT);
	int cx = x;
	char buf[48];

	ui_fill(y, x, c->name_x + c->name_w, head);
	for (size_t i = 0; i < NCOLS; i++) {
		if (!(c->mask & cols[i].bit))
			continue;
		snprintf(buf, sizeof(buf), "%*s", cols[i].width, cols[i].title);
		ui_put(y, cx, buf, cols[i].width, sorted && sort_is(&cols[i], sort) ? hot : head);
		cx += cols[i].width;
	}
	snprintf(buf, sizeof(buf), "function (file:line) [module]%s",
		 sorted && reverse ? "  (reversed)" : "");
	ui_put(y, x + c->name_x, buf, c->name_w, sorted && sort == SORT_NAME ? hot : head);
}

static void cell(struct tui *t, int y, int *cx, int width, const char *s, attr_t a)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%*s", width, s);
	ui_put(y, *cx, buf, width, a);
	*cx += width;
}

void table_row(struct tui *t, int y, int x, const struct func_cols *c, const struct func_row *row,
	       bool cursor)
{
	const struct profile *p = t->prof;
	attr_t base = cursor ? ui_attr(t, UC_CURSOR) : A_NORMAL;
	double tot = row->self_ns / 1e9, cum = row->total_ns / 1e9;
	char buf[512];
	int cx = x;

	ui_fill(y, x, c->name_x + c->name_w, base);
	for (size_t i = 0; i < NCOLS; i++) {
		unsigned bit = cols[i].bit;
		int w = cols[i].width;

		if (!(c->mask & bit))
			continue;
		buf[0] = '-';
		buf[1] = '\0';
		switch (bit) {
		case FC_NCALLS:
			if (row->calls >= 0)
				snprintf(buf, sizeof(buf), "%s%" PRId64,
					 row->calls_lower_bound ? ">=" : "", row->calls);
			break;
		case FC_TOTTIME:
			snprintf(buf, sizeof(buf), "%.3f", tot);
			break;
		case FC_CUMTIME:
			snprintf(buf, sizeof(buf), "%.3f", cum);
			break;
		case FC_TPERCALL:
			if (row->calls > 0)
				snprintf(buf, sizeof(buf), "%.3f", tot / (double)row->calls);
			break;
		case FC_CPERCALL:
			if (row->calls > 0)
				snprintf(buf, sizeof(buf), "%.3f", cum / (double)row->calls);
			break;
		case FC_SELF:
		case FC_TOTAL: {
			double pct = bit == FC_SELF ? row->self_pct : row->total_pct;

			snprintf(buf, sizeof(buf), "%5.1f%%", pct);
			cell(t, y, &cx, w, buf, cursor ? base : ui_heat(t, pct));
			continue;
		}
		}
		cell(t, y, &cx, w, buf, base);
	}
	ui_fn_label(p, row->function, buf, sizeof(buf));
	ui_put(y, x + c->name_x, buf, c->name_w, base);
}

int table_column_sort(const struct func_cols *c, int x0, int x)
{
	int cx = x0;

	for (size_t i = 0; i < NCOLS; i++) {
		if (!(c->mask & cols[i].bit))
			continue;
		if (x >= cx && x < cx + cols[i].width)
			return cols[i].sort;
		cx += cols[i].width;
	}
	if (x >= x0 + c->name_x)
		return SORT_NAME;
	return -1;
}
