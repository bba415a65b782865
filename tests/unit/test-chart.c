#include "config.h"

/* chart: memory timelines built by hand rendered to text, checked cell by cell. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chart.h"
#include "profile.h"

#define MiB (1024ull * 1024)
#define SEC 1000000000ull
#define MS  1000000ull

/* ---- reading the rendered rows back ---- */

/* Row r of c as code points; returns how many (must be c->width). */
static int decode_row(const struct chart *c, int r, uint32_t *cp, int max)
{
	const unsigned char *s = (const unsigned char *)c->rows[r];
	int n = 0;

	while (*s && n < max) {
		if (*s < 0x80) {
			cp[n] = *s++;
		} else if (*s < 0xe0) {
			cp[n] = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
			s += 2;
		} else {
			cp[n] = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
				(s[2] & 0x3f);
			s += 3;
		}
		n++;
	}
	return n;
}

static uint32_t cell(const struct chart *c, int r, int col)
{
	uint32_t cp[512];
	int n = decode_row(c, r, cp, 512);

	assert_in_range(col, 0, n - 1);
	return cp[col];
}

/* Every row is exactly width cells wide and has width cell kinds. */
static void assert_shape(const struct chart *c, int width, int height)
{
	uint32_t cp[512];

	assert_int_equal(c->width, width);
	assert_int_equal(c->height, height);
	for (int r = 0; r < height; r++) {
		int n = decode_row(c, r, cp, 512);

		if (n != width)
			fail_msg("row %d: expected %d cells, saw %d: \"%s\"", r, width, n,
				 c->rows[r]);
		assert_non_null(c->cells[r]);
	}
}

/* The row's text between columns [from, to) as UTF-8 with spaces trimmed. */
static char *row_text(const struct chart *c, int r, int from, int to, char *buf, size_t len)
{
	uint32_t cp[512];
	int n = decode_row(c, r, cp, 512);
	size_t o = 0;

	for (int i = from; i < to && i < n && o + 4 < len; i++) {
		if (cp[i] < 0x80)
			buf[o++] = (char)cp[i];
		else
			o += (size_t)snprintf(buf + o, len - o, "<%04x>", cp[i]);
	}
	buf[o] = '\0';
	while (o && buf[o - 1] == ' ')
		buf[--o] = '\0';
	char *s = buf;
	while (*s == ' ')
		s++;
	return s;
}

/* Eighths filled in a block-style cell. */
static int block_fill(uint32_t cp)
{
	if (cp >= 0x2581 && cp <= 0x2588)
		return (int)(cp - 0x2580);
	return cp == ' ' ? 0 : -1;
}

/* The height of plot column col, in eighths of a cell. */
static int column_level(const struct chart *c, int col)
{
	int level = 0;

	for (int r = 0; r < c->plot_h; r++) {
		int f = block_fill(cell(c, r, col));

		if (f < 0)
			fail_msg("not a block at row %d col %d: U+%04x", r, col, cell(c, r, col));
		level += f;
	}
	return level;
}

/* The highest braille dot row (from the bottom) in plot column col, -1 if none. */
static int braille_top(const struct chart *c, int col)
{
	static const uint8_t rowbits[4] = {0x09, 0x12, 0x24, 0xc0}; /* top to bottom */

	for (int r = 0; r < c->plot_h; r++) {
		uint32_t cp = cell(c, r, col);

		if (cp < 0x2800 || cp > 0x28ff)
			continue;
		for (int sub = 0; sub < 4; sub++)
			if ((cp - 0x2800) & rowbits[sub])
				return (c->plot_h - 1 - r) * 4 + (3 - sub);
	}
	return -1;
}

/* ---- profiles ---- */

/* RSS climbing 1, 2, 3, 4, 5 MiB, a step every 2 s, a point every 100 ms;
 * VMS flat at 100 MiB. */
static struct profile *staircase(void)
{
	struct profile *p = profile_new();

	for (uint64_t t = 0; t < 10 * SEC; t += 100 * MS)
		profile_add_memory(p, t, 0, (1 + t / (2 * SEC)) * MiB, 100 * MiB);
	return p;
}

static void test_staircase_blocks(void **state)
{
	struct profile *p = staircase();
	struct chart_opts o = {
		.width = 40, .height = 10, .style = CHART_BLOCKS, .no_vms = true, .now = 10 * SEC};
	struct chart c;
	char buf[256];
	int prev = -1, distinct = 0;

	chart_render(p, &o, &c);
	assert_shape(&c, 40, 10);
	assert_false(c.empty);
	assert_int_equal(c.y_top, 6 * MiB); /* 5 MiB peak, steps of 2 MiB */
	assert_int_equal(c.plot_h, 9);
	/* labels "0" .. "6 MiB": 5 columns, then the axis */
	assert_int_equal(c.plot_x, 6);
	assert_int_equal(c.plot_w, 30); /* 4 columns right of it: " RSS", the key */
	for (int col = c.plot_x; col < c.plot_x + c.plot_w; col++) {
		int level = column_level(&c, col);

		if (level < prev)
			fail_msg("column %d: level %d below the previous %d", col, level, prev);
		distinct += level != prev;
		prev = level;
	}
	assert_int_equal(distinct, 5);
	/* 1 MiB of 6 over 9 rows: 12 eighths, a full bottom cell and half of the next */
	assert_int_equal(cell(&c, 8, c.plot_x), 0x2588);
	assert_int_equal(cell(&c, 7, c.plot_x), 0x2584);
	assert_int_equal(cell(&c, 6, c.plot_x), ' ');
	assert_int_equal(c.cells[8][c.plot_x], CHART_CELL_RSS);
	assert_int_equal(c.cells[6][c.plot_x], CHART_CELL_EMPTY);
	/* 5 MiB: 60 eighths, seven full cells and half of the eighth */
	assert_int_equal(cell(&c, 1, c.plot_x + c.plot_w - 1), 0x2584);
	assert_int_equal(cell(&c, 2, c.plot_x + c.plot_w - 1), 0x2588);
	assert_int_equal(cell(&c, 0, c.plot_x + c.plot_w - 1), ' ');

	/* the y axis: round labels at the top and the bottom */
	assert_string_equal(row_text(&c, 0, 0, c.plot_x, buf, sizeof(buf)), "6 MiB<2524>");
	assert_string_equal(row_text(&c, 8, 0, c.plot_x, buf, sizeof(buf)), "0<2524>");
	assert_int_equal(c.cells[0][0], CHART_CELL_AXIS);
	/* the x axis: 0s to 10s in steps of 2 s */
	assert_string_equal(row_text(&c, 9, c.plot_x, 40, buf, sizeof(buf)),
			    "0s    2s    4s    6s    8s 10s");
	/* the key: " RSS" right of the plot on the row of its last value (5 MiB) */
	assert_string_equal(row_text(&c, 1, c.plot_x + c.plot_w, 40, buf, sizeof(buf)), "RSS");
	assert_int_equal(c.cells[1][c.plot_x + c.plot_w + 1], CHART_CELL_RSS);
	assert_string_equal(row_text(&c, 2, c.plot_x + c.plot_w, 40, buf, sizeof(buf)), "");
	chart_free(&c);
	profile_free(p);
}

static void test_staircase_braille(void **state)
{
	struct profile *p = staircase();
	struct chart_opts o = {.width = 40, .height = 6, .style = CHART_BRAILLE, .no_vms = true};
	struct chart c;
	int first, last, prev = -1;

	chart_render(p, &o, &c);
	assert_shape(&c, 40, 6);
	for (int col = c.plot_x; col < c.plot_x + c.plot_w; col++) {
		int top = braille_top(&c, col);

		if (top < prev)
			fail_msg("column %d: top dot %d below the previous %d", col, top, prev);
		prev = top;
	}
	first = braille_top(&c, c.plot_x);
	last = braille_top(&c, c.plot_x + c.plot_w - 1);
	/* 1 MiB and 5 MiB of 6 over 20 dot rows */
	assert_int_equal(first, 3);
	assert_int_equal(last, 16);
	assert_int_equal(c.cells[c.plot_h - 1][c.plot_x], CHART_CELL_RSS);
	chart_free(&c);
	profile_free(p);
}

/* Both series: braille cells say which series they draw. */
static void test_two_series(void **state)
{
	struct profile *p = staircase();
	struct chart_opts o = {.width = 30, .height = 5, .style = CHART_BRAILLE};
	struct chart c;
	bool rss = false, vms = false;
	char buf[256];

	chart_render(p, &o, &c);
	assert_shape(&c, 30, 5);
	assert_int_equal(c.y_top, 100 * MiB);
	for (int r = 0; r < c.plot_h; r++)
		for (int col = c.plot_x; col < 30; col++) {
			rss |= (c.cells[r][col] & CHART_CELL_RSS) != 0;
			vms |= (c.cells[r][col] & CHART_CELL_VMS) != 0;
		}
	assert_true(rss && vms);
	/* VMS at the top row, RSS in the bottom one; each named where it ends */
	assert_true(c.cells[0][c.plot_x + 3] & CHART_CELL_VMS);
	assert_true(c.cells[c.plot_h - 1][c.plot_x + 3] & CHART_CELL_RSS);
	assert_int_equal(c.plot_x + c.plot_w + 4, 30);
	assert_string_equal(row_text(&c, 0, c.plot_x + c.plot_w, 30, buf, sizeof(buf)), "VMS");
	assert_int_equal(c.cells[0][c.plot_x + c.plot_w + 1], CHART_CELL_VMS);
	assert_string_equal(row_text(&c, c.plot_h - 1, c.plot_x + c.plot_w, 30, buf, sizeof(buf)),
			    "RSS");
	assert_int_equal(c.cells[c.plot_h - 1][c.plot_x + c.plot_w + 1], CHART_CELL_RSS);
	chart_free(&c);

	/* ASCII: the same key, the only one there is without colours */
	o.style = CHART_ASCII;
	chart_render(p, &o, &c);
	assert_string_equal(row_text(&c, 0, c.plot_x + c.plot_w, 30, buf, sizeof(buf)), "VMS");
	assert_string_equal(row_text(&c, c.plot_h - 1, c.plot_x + c.plot_w, 30, buf, sizeof(buf)),
			    "RSS");
	chart_free(&c);

	o.style = CHART_BLOCKS;
	chart_render(p, &o, &c);
	/* blocks: RSS in front, the VMS area behind it */
	assert_int_equal(c.cells[c.plot_h - 1][c.plot_x], CHART_CELL_RSS | CHART_CELL_BG_VMS);
	assert_int_equal(c.cells[0][c.plot_x], CHART_CELL_VMS);
	chart_free(&c);
	profile_free(p);
}

/* One 64 MiB point among 10,000 of 1 MiB: the max per column keeps it. */
static void test_peak_survives(void **state)
{
	struct profile *p = profile_new();
	struct chart_opts o = {.width = 20, .height = 4, .no_vms = true};
	struct chart c;

	for (uint64_t i = 0; i < 10000; i++)
		profile_add_memory(p, i * 10 * MS, 0, i == 3750 ? 64 * MiB : MiB, 200 * MiB);
	for (int style = CHART_BRAILLE; style <= CHART_BLOCKS; style++) {
		int peak_col, above = 0, base = -1;

		o.style = (enum chart_style)style;
		chart_render(p, &o, &c);
		assert_shape(&c, 20, 4);
		assert_int_equal(c.y_top, 100 * MiB); /* 0, 50 MiB, 100 MiB */
		/* the column holding 37.5 s of 99.99 s */
		peak_col = c.plot_x + (int)(37.5 / 99.99 * c.plot_w);
		for (int col = c.plot_x; col < c.plot_x + c.plot_w; col++) {
			int h = style == CHART_BRAILLE ? braille_top(&c, col)
						       : column_level(&c, col);

			/* braille joins the peak back down in the next column */
			if (col == peak_col || (style == CHART_BRAILLE && col == peak_col + 1)) {
				assert_true(col == peak_col || h < 7);
				continue;
			}
			if (base < 0)
				base = h;
			above += h != base;
		}
		assert_int_equal(above, 0);
		if (style == CHART_BRAILLE) /* 64 of 100 MiB over 12 dot rows */
			assert_int_equal(braille_top(&c, peak_col), 7);
		else /* 64 of 100 MiB over 3 rows of 8 eighths */
			assert_int_equal(column_level(&c, peak_col), 15);
		assert_int_equal(c.rss.peak, 64 * MiB);
		assert_int_equal(c.rss.peak_time, 37500 * MS);
		chart_free(&c);
	}
	profile_free(p);
}

/* Tick labels are whole numbers of one unit; 3 or 4 of them. */
static void test_round_labels(void **state)
{
	static const uint64_t peaks[] = {1000,		700 * 1024, 5 * MiB,
					 33 * MiB / 10, 3300 * MiB, 1536 * MiB};
	char buf[256];

	for (size_t k = 0; k < sizeof(peaks) / sizeof(*peaks); k++) {
		struct profile *p = profile_new();
		struct chart_opts o = {.width = 40, .height = 13, .style = CHART_BRAILLE};
		struct chart c;
		int ticks = 0;

		profile_add_memory(p, 0, 0, peaks[k] / 2, peaks[k]);
		profile_add_memory(p, SEC, 0, peaks[k] / 3, peaks[k] / 2);
		chart_render(p, &o, &c);
		assert_true(c.y_top >= peaks[k]);
		for (int r = 0; r < c.plot_h; r++) {
			char *t = row_text(&c, r, 0, c.plot_x - 1, buf, sizeof(buf));
			unsigned long long v;
			char unit[8];

			if (!*t)
				continue;
			ticks++;
			if (strcmp(t, "0") && (sscanf(t, "%llu %7s", &v, unit) != 2 ||
					       (strcmp(unit, "B") && strcmp(unit, "KiB") &&
						strcmp(unit, "MiB") && strcmp(unit, "GiB"))))
				fail_msg("peak %llu: label \"%s\" is not round",
					 (unsigned long long)peaks[k], t);
		}
		if (ticks < 3 || ticks > 4)
			fail_msg("peak %llu: expected 3-4 ticks, saw %d (top %llu)",
				 (unsigned long long)peaks[k], ticks, (unsigned long long)c.y_top);
		chart_free(&c);
		profile_free(p);
	}
}

/* The last N seconds: the x axis starts N seconds before now. */
static void test_window(void **state)
{
	struct profile *p = staircase();
	struct chart_opts o = {.width = 40,
			       .height = 6,
			       .style = CHART_BLOCKS,
			       .no_vms = true,
			       .now = 10 * SEC,
			       .window = 4 * SEC};
	struct chart c;
	char buf[256];

	chart_render(p, &o, &c);
	assert_int_equal(c.t_from, 6 * SEC);
	assert_int_equal(c.t_to, 10 * SEC);
	assert_int_equal(c.y_top, 6 * MiB); /* only 4 and 5 MiB are in view */
	assert_string_equal(row_text(&c, 5, c.plot_x, 40, buf, sizeof(buf)),
			    "6s      7s     8s      9s  10s");
	/* the first column carries the 4 MiB that was in effect at 6 s */
	assert_int_equal(column_level(&c, c.plot_x), 4 * 5 * 8 / 6 + 1);
	chart_free(&c);
	profile_free(p);
}

static void test_tiny_boxes(void **state)
{
	struct profile *p = staircase();
	static const int sizes[][2] = {{10, 2}, {1, 1}, {0, 0}, {-3, 5}, {15, 3}, {16, 3}, {2, 40}};

	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		for (int style = CHART_BRAILLE; style <= CHART_ASCII; style++) {
			struct chart_opts o = {.width = sizes[k][0],
					       .height = sizes[k][1],
					       .style = (enum chart_style)style};
			struct chart c;
			int w = sizes[k][0] > 0 ? sizes[k][0] : 1;
			int h = sizes[k][1] > 0 ? sizes[k][1] : 1;

			chart_render(p, &o, &c);
			assert_shape(&c, w, h);
			assert_true(c.plot_x + c.plot_w <= w);
			chart_free(&c);
		}
	}
	profile_free(p);
}

static void test_empty(void **state)
{
	struct profile *p = profile_new();
	struct chart_opts o = {.width = 30, .height = 5, .style = CHART_BRAILLE};
	struct chart c;
	char buf[256];
	bool found = false;

	chart_render(p, &o, &c);
	assert_true(c.empty);
	assert_shape(&c, 30, 5);
	for (int r = 0; r < 5; r++)
		found |= !strcmp(row_text(&c, r, 0, 30, buf, sizeof(buf)), "no memory samples");
	assert_true(found);
	assert_false(c.rss.valid);
	chart_format_figures("RSS", &c.rss, buf, sizeof(buf));
	assert_string_equal(buf, "RSS  no memory samples");
	chart_free(&c);

	o.width = 5; /* clipped, not overflowing */
	chart_render(p, &o, &c);
	assert_shape(&c, 5, 5);
	chart_free(&c);
	profile_free(p);
}

/* The figures, and a single-process target drawn from its own pid. */
static void test_figures(void **state)
{
	struct profile *p = profile_new();
	struct chart_opts o = {.width = 30, .height = 5};
	struct chart c;
	char buf[256];

	p->meta.pid = 42;
	profile_add_memory(p, 0, 42, 2 * MiB, 10 * MiB);
	profile_add_memory(p, 1 * SEC, 42, 8 * MiB, 30 * MiB);
	profile_add_memory(p, 2 * SEC, 42, 3 * MiB, 12 * MiB);
	chart_render(p, &o, &c);
	assert_false(c.empty);
	assert_true(c.rss.valid);
	assert_int_equal(c.rss.start, 2 * MiB);
	assert_int_equal(c.rss.peak, 8 * MiB);
	assert_int_equal(c.rss.peak_time, SEC);
	assert_int_equal(c.rss.now, 3 * MiB);
	assert_int_equal(c.rss.growth, (int64_t)MiB);
	assert_int_equal(c.vms.peak, 30 * MiB);
	assert_int_equal(c.vms.peak_time, SEC);
	assert_int_equal(c.vms.growth, 2 * (int64_t)MiB);
	chart_format_figures("RSS", &c.rss, buf, sizeof(buf));
	assert_string_equal(buf, "RSS  start 2.00 MiB  peak 8.00 MiB at 1.0s  now 3.00 MiB "
				 "(+1.00 MiB)");
	chart_format_figures("VMS", &c.vms, buf, sizeof(buf));
	assert_string_equal(buf, "VMS  start 10.0 MiB  peak 30.0 MiB at 1.0s  now 12.0 MiB "
				 "(+2.00 MiB)");
	chart_free(&c);
	assert_string_equal(chart_format_bytes(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(chart_format_bytes(1536, buf, sizeof(buf)), "1.50 KiB");
	assert_string_equal(chart_format_bytes(3ull << 30, buf, sizeof(buf)), "3.00 GiB");
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_staircase_blocks), cmocka_unit_test(test_staircase_braille),
		cmocka_unit_test(test_two_series),	 cmocka_unit_test(test_peak_survives),
		cmocka_unit_test(test_round_labels),	 cmocka_unit_test(test_window),
		cmocka_unit_test(test_tiny_boxes),	 cmocka_unit_test(test_empty),
		cmocka_unit_test(test_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
