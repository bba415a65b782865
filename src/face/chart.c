#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "xalloc.h"

#define NS_PER_S    1000000000ull
#define MIN_LABEL_W 16 /* narrower boxes get no axes */
#define MIN_LABEL_H 3
#define NO_VALUE    UINT64_MAX
#define EMPTY_TEXT  "no memory samples"
#define KEY_W	    4 /* " RSS" right of the plot: each line named where it ends */

enum { SER_VMS, SER_RSS, NSERIES }; /* VMS first: RSS is drawn over it */

static const uint8_t series_cell[NSERIES] = {CHART_CELL_VMS, CHART_CELL_RSS};
static const char *const series_name[NSERIES] = {"VMS", "RSS"};

/* The box being drawn: one code point and one cell kind per cell. */
struct canvas {
	int w, h;
	uint32_t *cp;
	uint8_t *kind;
};

static void canvas_put(struct canvas *cv, int row, int col, uint32_t cp, uint8_t kind)
{
	if (row < 0 || row >= cv->h || col < 0 || col >= cv->w)
		return;
	cv->cp[row * cv->w + col] = cp;
	cv->kind[row * cv->w + col] = kind;
}

/* ASCII text at (row, col), clipped to the box. */
static void canvas_text(struct canvas *cv, int row, int col, const char *s, uint8_t kind)
{
	for (; *s; s++, col++)
		canvas_put(cv, row, col, (unsigned char)*s, kind);
}

static size_t utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | cp >> 12);
	out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* Hand the canvas over to the chart as UTF-8 rows and cell kinds. */
static void canvas_finish(struct canvas *cv, struct chart *out)
{
	out->rows = xcalloc((size_t)cv->h, sizeof(*out->rows));
	out->cells = xcalloc((size_t)cv->h, sizeof(*out->cells));
	for (int r = 0; r < cv->h; r++) {
		char *s = xmalloc((size_t)cv->w * 3 + 1);
		size_t o = 0;

		for (int c = 0; c < cv->w; c++)
			o += utf8_put(s + o, cv->cp[r * cv->w + c]);
		s[o] = '\0';
		out->rows[r] = s;
		out->cells[r] = xmalloc((size_t)cv->w);
		memcpy(out->cells[r], cv->kind + r * cv->w, (size_t)cv->w);
	}
	free(cv->cp);
	free(cv->kind);
}

/* ---- numbers for people ---- */

static const char *const byte_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};

char *chart_format_bytes(uint64_t bytes, char *buf, size_t len)
{
	double x = (double)bytes;
	int u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", bytes);
		return buf;
	}
	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	snprintf(buf, len, x < 10 ? "%.2f %s" : "%.1f %s", x, byte_units[u]);
	return buf;
}

/* "0s", "12s", "1.5s", "2m", "2m30s", "1h", "1h05m". */
static void format_time(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / NS_PER_S;

	if (ns % NS_PER_S)
		snprintf(buf, len, "%.1fs", (double)ns / NS_PER_S);
	else if (s < 60)
		snprintf(buf, len, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, len, s % 60 ? "%" PRIu64 "m%02" PRIu64 "s" : "%" PRIu64 "m", s / 60,
			 s % 60);
	else
		snprintf(buf, len, s % 3600 ? "%" PRIu64 "h%02" PRIu64 "m" : "%" PRIu64 "h",
			 s / 3600, s % 3600 / 60);
}

char *chart_format_figures(const char *name, const struct chart_figures *fig, char *buf, size_t len)
{
	char start[32], peak[32], now[32], growth[32], when[32];

	if (!fig->valid) {
		snprintf(buf, len, "%s  no memory samples", name);
		return buf;
	}
	chart_format_bytes(fig->start, start, sizeof(start));
	chart_format_bytes(fig->peak, peak, sizeof(peak));
	chart_format_bytes(fig->now, now, sizeof(now));
	chart_format_bytes(fig->growth < 0 ? (uint64_t)-fig->growth : (uint64_t)fig->growth, growth,
			   sizeof(growth));
	snprintf(when, sizeof(when), "%.1fs", (double)fig->peak_time / NS_PER_S);
	snprintf(buf, len, "%s  start %s  peak %s at %s  now %s (%c%s)", name, start, peak, when,
		 now, fig->growth < 0 ? '-' : '+', growth);
	return buf;
}

/* ---- the data ---- */

/* The series shown for pid 0: the sum, or the main process when there is
 * no sum (a single-process target), as query_memory() decides. */
static int32_t effective_pid(const struct profile *p, int32_t pid)
{
	if (pid)
		return pid;
	for (size_t i = 0; i < p->nmemory; i++)
		if (p->memory[i].pid == 0)
			return 0;
	return p->meta.pid;
}

static int point_cmp(const void *va, const void *vb)
{
	const struct prof_mem_point *a = va, *b = vb;

	return a->time < b->time ? -1 : a->time > b->time;
}

/* The pid's points in time order (a copy); returns how many. */
static size_t collect_points(const struct profile *p, int32_t pid, struct prof_mem_point **out)
{
	size_t n = 0;

	*out = xmalloc((p->nmemory ? p->nmemory : 1) * sizeof(**out));
	for (size_t i = 0; i < p->nmemory; i++)
		if (p->memory[i].pid == pid)
			(*out)[n++] = p->memory[i];
	qsort(*out, n, sizeof(**out), point_cmp);
	return n;
}

static void figures(const struct profile *p, int32_t pid, const struct prof_mem_point *pts,
		    size_t n, struct chart *out)
{
	struct mem_summary ms;

	query_memory(p, pid, &ms);
	if (!ms.valid)
		return;
	out->rss = (struct chart_figures){.valid = true,
					  .start = ms.start_rss,
					  .peak = ms.peak_rss,
					  .now = ms.end_rss,
					  .peak_time = ms.peak_rss_time,
					  .growth = (int64_t)(ms.end_rss - ms.start_rss)};
	out->vms = (struct chart_figures){.valid = true,
					  .start = ms.start_vms,
					  .peak = ms.peak_vms,
					  .now = ms.end_vms,
					  .growth = (int64_t)(ms.end_vms - ms.start_vms)};
	for (size_t i = 0; i < n; i++) {
		if (pts[i].vms == ms.peak_vms) {
			out->vms.peak_time = pts[i].time;
			break;
		}
	}
}

static uint64_t point_value(const struct prof_mem_point *m, int s)
{
	return s == SER_RSS ? m->rss : m->vms;
}

/* Downsample series s into ncols columns over [t_from, t_to): the maximum
 * of the points in each column and of the value carried into it, so that
 * no peak is lost; NO_VALUE where there is no data. */
static void columns_fill(const struct prof_mem_point *pts, size_t n, int s, uint64_t t_from,
			 uint64_t t_to, uint64_t *col, int ncols)
{
	double span = (double)(t_to - t_from);
	size_t k = 0;
	uint64_t carry = NO_VALUE;

	/* the value in effect when the window opens */
	while (k < n && pts[k].time <= t_from)
		carry = point_value(&pts[k++], s);
	for (int j = 0; j < ncols; j++) {
		uint64_t c0 = t_from + (uint64_t)(span * j / ncols);
		uint64_t c1 =
			j + 1 == ncols ? t_to + 1 : t_from + (uint64_t)(span * (j + 1) / ncols);
		uint64_t v = carry;

		if (k >= n && (n == 0 || pts[n - 1].time < c0))
			v = NO_VALUE; /* past the last point: draw nothing rather than guess */
		for (; k < n && pts[k].time < c1; k++) {
			uint64_t x = point_value(&pts[k], s);

			if (v == NO_VALUE || x > v)
				v = x;
			carry = x;
		}
		col[j] = v;
	}
}

/* The y axis: the smallest 1-2-5 step of a binary unit that spans peak in
 * at most 3 intervals, so that 3-4 round ticks label it. */
static uint64_t nice_step(uint64_t peak, uint64_t *top)
{
	static const unsigned mult[] = {1, 2, 5, 10, 20, 50, 100, 200, 500};
	uint64_t unit = 1;

	if (peak == 0)
		peak = 1;
	for (int u = 0; u < 6; u++, unit *= 1024) {
		for (size_t i = 0; i < sizeof(mult) / sizeof(*mult); i++) {
			uint64_t step = mult[i] * unit;
			uint64_t k = (peak + step - 1) / step;

			if (k <= 3) {
				*top = k * step;
				return step;
			}
		}
	}
	*top = peak;
	return peak;
}

static void format_tick(uint64_t v, char *buf, size_t len)
{
	uint64_t unit = 1;
	int u = 0;

	if (v == 0) {
		snprintf(buf, len, "0");
		return;
	}
	while (u < 5 && v % (unit * 1024) == 0) {
		unit *= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", v / unit, byte_units[u]);
}

/* ---- drawing ---- */

struct plot {
	struct canvas *cv;
	enum chart_style style;
	int x, w, h; /* the plot area: columns [x, x + w), rows [0, h) */
	uint64_t top;
};

/* Without libm: x is never negative here. */
static int round_nonneg(double x)
{
	return (int)(x + 0.5);
}

/* The cell row (from the top) where value v is drawn. */
static int value_row(const struct plot *pl, uint64_t v)
{
	if (pl->style == CHART_BRAILLE) {
		int dots = pl->h * 4;
		int y = round_nonneg((double)v / (double)pl->top * (dots - 1));

		return pl->h - 1 - y / 4;
	} else {
		double x = (double)v / (double)pl->top * pl->h * 8;
		long e = (long)x + ((double)(long)x < x);

		return e <= 0 ? pl->h - 1 : pl->h - 1 - (int)((e - 1) / 8);
	}
}

static void draw_braille(struct plot *pl, uint64_t *const cols[NSERIES], const bool shown[NSERIES])
{
	/* dot bits of a cell, [column][row from the top] */
	static const uint8_t bit[2][4] = {{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}};
	size_t ncells = (size_t)pl->w * (size_t)pl->h;
	uint8_t *dots = xcalloc(ncells, 1), *kind = xcalloc(ncells, 1);
	int ndots = pl->h * 4;

	for (int s = 0; s < NSERIES; s++) {
		int prev = -1;

		if (!shown[s])
			continue;
		for (int j = 0; j < pl->w * 2; j++) {
			int y, lo, hi;

			if (cols[s][j] == NO_VALUE) {
				prev = -1;
				continue;
			}
			y = round_nonneg((double)cols[s][j] / (double)pl->top * (ndots - 1));
			if (y >= ndots)
				y = ndots - 1;
			/* join the previous column's dot with a vertical run */
			lo = prev < 0 ? y : (prev < y ? prev + 1 : y);
			hi = prev < 0 ? y : (prev > y ? prev - 1 : y);
			for (int d = lo; d <= hi; d++) {
				int row = pl->h - 1 - d / 4, sub = 3 - d % 4;
				size_t cell = (size_t)row * (size_t)pl->w + (size_t)(j / 2);

				dots[cell] |= bit[j % 2][sub];
				kind[cell] |= series_cell[s];
			}
			prev = y;
		}
	}
	for (int r = 0; r < pl->h; r++)
		for (int c = 0; c < pl->w; c++) {
			size_t cell = (size_t)r * (size_t)pl->w + (size_t)c;

			if (dots[cell])
				canvas_put(pl->cv, r, pl->x + c, 0x2800 + dots[cell], kind[cell]);
		}
	free(dots);
	free(kind);
}

/* Eighths of a cell filled by v from the bottom of the plot; at least one
 * for anything above zero, so that small values stay visible. */
static long eighths(const struct plot *pl, uint64_t v)
{
	long e;

	if (v == NO_VALUE || v == 0)
		return 0;
	e = round_nonneg((double)v / (double)pl->top * pl->h * 8);
	return e < 1 ? 1 : e;
}

static void draw_blocks(struct plot *pl, uint64_t *const cols[NSERIES], const bool shown[NSERIES])
{
	static const uint32_t blocks[9] = {' ',	   0x2581, 0x2582, 0x2583, 0x2584,
					   0x2585, 0x2586, 0x2587, 0x2588};
	static const char ascii[9] = {' ', '_', '_', '-', '-', '=', '=', '#', '#'};

	for (int c = 0; c < pl->w; c++) {
		long rss = shown[SER_RSS] ? eighths(pl, cols[SER_RSS][c]) : 0;
		long vms = shown[SER_VMS] ? eighths(pl, cols[SER_VMS][c]) : 0;

		for (int i = 0; i < pl->h; i++) { /* i: rows from the bottom */
			long fr = rss - 8L * i, fv = vms - 8L * i;
			int fill;
			uint8_t kind;
			uint32_t cp;

			fr = fr < 0 ? 0 : fr > 8 ? 8 : fr;
			fv = fv < 0 ? 0 : fv > 8 ? 8 : fv;
			if (fr) {
				fill = (int)fr;
				kind = CHART_CELL_RSS | (fv > fr ? CHART_CELL_BG_VMS : 0);
			} else if (fv) {
				fill = (int)fv;
				kind = CHART_CELL_VMS;
			} else {
				continue;
			}
			if (pl->style == CHART_ASCII)
				cp = (uint32_t)(fill == 8 && kind == CHART_CELL_VMS ? '+'
										    : ascii[fill]);
			else
				cp = blocks[fill];
			canvas_put(pl->cv, pl->h - 1 - i, pl->x + c, cp, kind);
		}
	}
}

/* Labels right-aligned left of the plot, a tick on the axis at each. */
static void draw_y_axis(struct plot *pl, uint64_t step, int label_w)
{
	bool ascii = pl->style == CHART_ASCII;
	bool *used = xcalloc((size_t)pl->h, sizeof(bool));

	for (int r = 0; r < pl->h; r++)
		canvas_put(pl->cv, r, label_w, ascii ? '|' : 0x2502, CHART_CELL_AXIS);
	for (uint64_t v = pl->top;; v -= step) {
		int row = value_row(pl, v);
		char label[32];

		if (!used[row]) {
			used[row] = true;
			format_tick(v, label, sizeof(label));
			canvas_text(pl->cv, row, label_w - (int)strlen(label), label,
				    CHART_CELL_AXIS);
			canvas_put(pl->cv, row, label_w, ascii ? '+' : 0x2524, CHART_CELL_AXIS);
		}
		if (v < step)
			break;
	}
	free(used);
}

/* The time step: the smallest round step whose labels fit side by side. */
static uint64_t time_step(uint64_t span, int width, int label_len)
{
	static const uint64_t ms = 1000000ull, s = NS_PER_S;
	static const uint64_t steps[] = {100 * ms, 200 * ms, 500 * ms,	s,	   2 * s,
					 5 * s,	   10 * s,   15 * s,	30 * s,	   60 * s,
					 120 * s,  300 * s,  600 * s,	900 * s,   1800 * s,
					 3600 * s, 7200 * s, 21600 * s, 43200 * s, 86400 * s};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(*steps); i++) {
		uint64_t ticks = span / steps[i] + 1;

		if (ticks * (uint64_t)(label_len + 2) <= (uint64_t)width)
			break;
	}
	return i < sizeof(steps) / sizeof(*steps) ? steps[i] : steps[i - 1];
}

static void draw_x_axis(struct plot *pl, int row, uint64_t t_from, uint64_t t_to)
{
	uint64_t span = t_to - t_from, step, t;
	char label[32];
	int next_free = pl->x, len;

	if (pl->x > 0)
		canvas_put(pl->cv, row, pl->x - 1, pl->style == CHART_ASCII ? '+' : 0x2514,
			   CHART_CELL_AXIS);
	format_time(t_to, label, sizeof(label));
	len = (int)strlen(label);
	step = time_step(span, pl->w, len < 3 ? 3 : len);
	for (t = (t_from + step - 1) / step * step; t <= t_to; t += step) {
		int col = pl->x + round_nonneg((double)(t - t_from) / (double)span * pl->w);

		format_time(t, label, sizeof(label));
		len = (int)strlen(label);
		if (col + len > pl->x + pl->w)
			col = pl->x + pl->w - len; /* the last label ends at the edge */
		if (col < next_free)
			continue;
		canvas_text(pl->cv, row, col, label, CHART_CELL_AXIS);
		next_free = col + len + 1;
	}
}

/* Each series' name right of the plot, on the row where its line ends
 * (its last value), in its colour: the chart's key, in ASCII too. Two at
 * one row: the lower value moves down a row (or up, at the bottom). */
static void draw_key(struct plot *pl, uint64_t *const cols[NSERIES], const bool shown[NSERIES],
		     int ncols)
{
	int row[NSERIES];

	for (int s = 0; s < NSERIES; s++) {
		int j = ncols - 1;

		row[s] = -1;
		if (!shown[s])
			continue;
		while (j >= 0 && cols[s][j] == NO_VALUE)
			j--;
		if (j >= 0)
			row[s] = value_row(pl, cols[s][j]);
	}
	if (row[SER_RSS] >= 0 && row[SER_RSS] == row[SER_VMS]) /* VMS >= RSS: RSS moves */
		row[SER_RSS] += row[SER_RSS] + 1 < pl->h ? 1 : -1;
	for (int s = 0; s < NSERIES; s++)
		if (row[s] >= 0) {
			canvas_put(pl->cv, row[s], pl->x + pl->w, ' ', CHART_CELL_EMPTY);
			canvas_text(pl->cv, row[s], pl->x + pl->w + 1, series_name[s],
				    series_cell[s]);
		}
}

static void draw_empty(struct canvas *cv)
{
	int len = (int)strlen(EMPTY_TEXT), col = (cv->w - len) / 2;

	canvas_text(cv, cv->h / 2, col < 0 ? 0 : col, EMPTY_TEXT, CHART_CELL_MESSAGE);
}

void chart_render(const struct profile *p, const struct chart_opts *o, struct chart *out)
{
	int32_t pid = effective_pid(p, o->pid);
	struct prof_mem_point *pts;
	size_t n = collect_points(p, pid, &pts);
	struct canvas cv;
	struct plot pl = {.cv = &cv, .style = o->style};
	bool shown[NSERIES] = {!o->no_vms, !o->no_rss};
	uint64_t *cols[NSERIES] = {NULL, NULL}, peak = 0, step = 1;
	int label_w = 0, ncols;
	bool axes;

	memset(out, 0, sizeof(*out));
	out->width = o->width > 0 ? o->width : 1;
	out->height = o->height > 0 ? o->height : 1;
	cv.w = out->width;
	cv.h = out->height;
	cv.cp = xmalloc((size_t)cv.w * (size_t)cv.h * sizeof(*cv.cp));
	cv.kind = xcalloc((size_t)cv.w * (size_t)cv.h, 1);
	for (int i = 0; i < cv.w * cv.h; i++)
		cv.cp[i] = ' ';
	figures(p, o->pid, pts, n, out);

	out->t_to = o->now ? o->now : n ? pts[n - 1].time : 0;
	out->t_from = o->window && out->t_to > o->window ? out->t_to - o->window : 0;
	if (out->t_to <= out->t_from)
		out->t_to = out->t_from + NS_PER_S; /* one point: a second of axis */
	if (n == 0 || (!shown[SER_RSS] && !shown[SER_VMS])) {
		out->empty = true;
		draw_empty(&cv);
		goto done;
	}

	axes = out->height >= MIN_LABEL_H && out->width >= MIN_LABEL_W;
	pl.h = axes ? out->height - 1 : out->height;
	ncols = (o->style == CHART_BRAILLE ? 2 : 1) * out->width; /* enough for any layout */
	for (int s = 0; s < NSERIES; s++) {
		cols[s] = xmalloc((size_t)ncols * sizeof(uint64_t));
		for (int j = 0; j < ncols; j++)
			cols[s][j] = NO_VALUE;
	}
	/* the y range first (from the widest sampling), then the labels' width */
	for (int s = 0; s < NSERIES; s++) {
		if (!shown[s])
			continue;
		columns_fill(pts, n, s, out->t_from, out->t_to, cols[s], ncols);
		for (int j = 0; j < ncols; j++)
			if (cols[s][j] != NO_VALUE && cols[s][j] > peak)
				peak = cols[s][j];
	}
	step = nice_step(peak, &pl.top);
	if (axes) {
		for (uint64_t v = 0; v <= pl.top; v += step) {
			char label[32];

			format_tick(v, label, sizeof(label));
			if ((int)strlen(label) > label_w)
				label_w = (int)strlen(label);
		}
	}
	pl.x = axes ? label_w + 1 : 0;
	pl.w = out->width - pl.x - (axes ? KEY_W : 0);
	ncols = (o->style == CHART_BRAILLE ? 2 : 1) * pl.w;
	for (int s = 0; s < NSERIES; s++)
		if (shown[s])
			columns_fill(pts, n, s, out->t_from, out->t_to, cols[s], ncols);
	if (o->style == CHART_BRAILLE)
		draw_braille(&pl, cols, shown);
	else
		draw_blocks(&pl, cols, shown);
	if (axes) {
		draw_y_axis(&pl, step, label_w);
		draw_x_axis(&pl, out->height - 1, out->t_from, out->t_to);
		draw_key(&pl, cols, shown, ncols);
	}
	out->plot_x = pl.x;
	out->plot_w = pl.w;
	out->plot_h = pl.h;
	out->y_top = pl.top;
done:
	canvas_finish(&cv, out);
	for (int s = 0; s < NSERIES; s++)
		free(cols[s]);
	free(pts);
}

void chart_free(struct chart *c)
{
	for (int r = 0; r < c->height; r++) {
		if (c->rows)
			free(c->rows[r]);
		if (c->cells)
			free(c->cells[r]);
	}
	free(c->rows);
	free(c->cells);
	memset(c, 0, sizeof(*c));
}
