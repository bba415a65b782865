/* The chart block of the memory view: RSS and VMS of all the target's
 * processes over the whole run (chart.h renders the cells and names each
 * line where it ends, this file colours them), the figures start / peak /
 * now / growth beside the chart as a table whose columns are RSS and VMS
 * (above it on narrow screens), and the view's time range shaded on the
 * plot. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "tui-priv.h"
#include "xalloc.h"

#define SIDE_W	 34  /* the figures column, when the block is wide */
#define SIDE_MIN 100 /* block width from which the figures go beside the chart */

/* The rendered chart, kept until the data or the size changes: moving a
 * cursor redraws the screen but must not re-render it. */
struct mem_pane {
	struct chart chart;
	bool have;
	uint64_t gen;
	int w, h;
	bool utf8;
};

static struct mem_pane *pane_get(struct tui *t, int w, int h)
{
	struct mem_pane *m = t->mem;
	struct chart_opts o = {
		.width = w,
		.height = h,
		.style = t->utf8 ? CHART_BRAILLE : CHART_ASCII,
		.pid = 0,
		.now = t->running ? t->now_ns : 0,
	};

	if (!m)
		m = t->mem = xcalloc(1, sizeof(*m));
	if (m->have && m->gen == t->gen && m->w == w && m->h == h && m->utf8 == t->utf8)
		return m;
	if (m->have)
		chart_free(&m->chart);
	chart_render(t->prof, &o, &m->chart);
	m->have = true;
	m->gen = t->gen;
	m->w = w;
	m->h = h;
	m->utf8 = t->utf8;
	return m;
}

void memory_pane_free(struct tui *t)
{
	struct mem_pane *m = t->mem;

	if (m && m->have)
		chart_free(&m->chart);
	free(m);
	t->mem = NULL;
}

static attr_t cell_attr(const struct tui *t, uint8_t kind)
{
	if (kind & CHART_CELL_RSS)
		return ui_attr(t, UC_RSS);
	if (kind & CHART_CELL_VMS)
		return ui_attr(t, UC_VMS);
	if (kind & (CHART_CELL_AXIS | CHART_CELL_MESSAGE))
		return ui_attr(t, UC_DIM);
	return A_NORMAL;
}

uint64_t memory_plot_time(const struct mem_plot *p, int col)
{
	if (!p->valid || p->w <= 0 || col <= 0)
		return p->t_from;
	if (col >= p->w)
		return p->t_to;
	return p->t_from + (uint64_t)((double)(p->t_to - p->t_from) * col / p->w);
}

int memory_plot_col(const struct mem_plot *p, uint64_t ns)
{
	double c;

	if (!p->valid || p->w <= 0 || ns <= p->t_from)
		return 0;
	if (ns >= p->t_to)
		return p->w;
	c = (double)(ns - p->t_from) / (double)(p->t_to - p->t_from) * p->w;
	return (int)(c + 0.5);
}

/* Plot columns [*c0, *c1) inside the range, *edge the column of the edge
 * being moved (or -1). False when no range is shown. */
static bool range_cols(const struct mem_plot *p, const struct mem_range *sel, int *c0, int *c1,
		       int *edge)
{
	if (!sel || !sel->on || !p->valid)
		return false;
	*c0 = memory_plot_col(p, sel->from);
	*c1 = sel->to ? memory_plot_col(p, sel->to) : p->w;
	if (*c1 <= *c0)
		*c1 = *c0 + 1;
	*edge = sel->edge == 1 ? *c0 : sel->edge == 2 ? *c1 - 1 : -1;
	return true;
}

/* One chart row, cell by cell in the colour of what each cell draws; the
 * plot's cells inside the range reversed, the moving edge marked. */
static void chart_row(struct tui *t, const struct chart *c, int row, int y, int x,
		      const struct mem_plot *p, const struct mem_range *sel)
{
	const char *s = c->rows[row];
	int c0 = 0, c1 = 0, edge = -1;
	bool shade = row < c->plot_h && range_cols(p, sel, &c0, &c1, &edge);

	for (int col = 0; col < c->width && *s; col++) {
		unsigned char b = (unsigned char)*s;
		size_t len = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
		int pc = col - c->plot_x;
		attr_t a = cell_attr(t, c->cells[row][col]);

		if (shade && pc >= 0 && pc == edge)
			a = ui_attr(t, UC_MARK) | A_REVERSE | A_BOLD;
		else if (shade && pc >= c0 && pc < c1)
			a |= A_REVERSE;
		ui_putn(y, x + col, s, len, 1, a);
		s += strnlen(s, len);
	}
}

/* "RSS now 12.0 MiB", "    peak 20.0 MiB at 1.2s", ... */
static int figures(const struct chart_figures *f, const char *name, char lines[][96])
{
	char a[32], b[32];

	if (!f->valid) {
		snprintf(lines[0], 96, "%s  no samples", name);
		return 1;
	}
	snprintf(lines[0], 96, "%s now %s", name, chart_format_bytes(f->now, a, sizeof(a)));
	snprintf(lines[1], 96, "    start %s", chart_format_bytes(f->start, a, sizeof(a)));
	snprintf(lines[2], 96, "    peak %s at %.1fs", chart_format_bytes(f->peak, a, sizeof(a)),
		 (double)f->peak_time / 1e9);
	snprintf(lines[3], 96, "    growth %c%s", f->growth < 0 ? '-' : '+',
		 chart_format_bytes(f->growth < 0 ? (uint64_t)-f->growth : (uint64_t)f->growth, b,
				    sizeof(b)));
	return 4;
}

/* The figures beside the chart: a column per series, a row per figure,
 * behind a rule (the chart's key ends at its left). */
static void side_table(struct tui *t, const struct mem_pane *m, int y, int x, int y_end)
{
	for (int r = y; r < y_end; r++)
		ui_put(r, x, t->utf8 ? "\u2502" : "|", 1, ui_attr(t, UC_DIM));
	x += 2;
	const struct chart_figures *f[2] = {&m->chart.rss, &m->chart.vms};
	static const char *const what[] = {"now", "start", "peak", "at", "growth"};
	char buf[96], v[2][32];

	ui_put(y, x + 7, "RSS", 11, ui_attr(t, UC_RSS) | A_BOLD);
	ui_put(y++, x + 19, "VMS", 11, ui_attr(t, UC_VMS) | A_BOLD);
	for (size_t i = 0; i < sizeof(what) / sizeof(*what) && y < y_end; i++, y++) {
		for (int s = 0; s < 2; s++) {
			const struct chart_figures *g = f[s];
			uint64_t g_abs = g->growth < 0 ? (uint64_t)-g->growth : (uint64_t)g->growth;

			if (!g->valid)
				snprintf(v[s], sizeof(v[s]), "-");
			else if (i == 0 || i == 1 || i == 2)
				chart_format_bytes(i == 0   ? g->now
						   : i == 1 ? g->start
							    : g->peak,
						   v[s], sizeof(v[s]));
			else if (i == 3)
				snprintf(v[s], sizeof(v[s]), "%.1fs", (double)g->peak_time / 1e9);
			else {
				v[s][0] = g->growth < 0 ? '-' : '+';
				chart_format_bytes(g_abs, v[s] + 1, sizeof(v[s]) - 1);
			}
		}
		snprintf(buf, sizeof(buf), "%-6s %-11s %s", what[i], v[0], v[1]);
		ui_put(y, x, buf, SIDE_W - 2, A_NORMAL);
	}
}

/* Narrow: the figures in two lines above the chart. */
static void top_figures(struct tui *t, const struct mem_pane *m, const struct rect *r)
{
	char f[2][4][96], line[400];
	int n[2];

	n[0] = figures(&m->chart.rss, "RSS", f[0]);
	n[1] = figures(&m->chart.vms, "VMS", f[1]);
	for (int s = 0; s < 2; s++) {
		line[0] = '\0';
		for (int i = 0; i < n[s]; i++) {
			const char *p = f[s][i];

			while (i && *p == ' ')
				p++;
			snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s%s",
				 i ? "  " : "", p);
		}
		ui_put(r->y + s, r->x, line, r->w, s ? ui_attr(t, UC_VMS) : ui_attr(t, UC_RSS));
	}
}

void memory_chart_draw(struct tui *t, const struct rect *r, const struct mem_range *sel,
		       struct mem_plot *plot)
{
	bool side = r->w >= SIDE_MIN;
	int cw = side ? r->w - SIDE_W - 1 : r->w, top = side ? 0 : 2;
	struct mem_pane *m;

	memset(plot, 0, sizeof(*plot));
	if (r->h - top < 2 || cw < 2)
		return;
	/* the figures come from the chart so that both agree */
	m = pane_get(t, cw, r->h - top);
	if (side)
		side_table(t, m, r->y, r->x + cw + 1, r->y + r->h);
	else
		top_figures(t, m, r);
	if (!m->chart.empty && m->chart.plot_w > 0) {
		*plot = (struct mem_plot){
			.valid = true,
			.y = r->y + top,
			.x = r->x + m->chart.plot_x,
			.w = m->chart.plot_w,
			.h = m->chart.plot_h,
			.t_from = m->chart.t_from,
			.t_to = m->chart.t_to,
		};
	}
	for (int row = 0; row < m->chart.height && top + row < r->h; row++)
		chart_row(t, &m->chart, row, r->y + top + row, r->x, plot, sel);
}
