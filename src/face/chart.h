/* The memory timeline chart (RSS and VMS over time), rendered to rows of
 * UTF-8 text for a box of width x height terminal cells. No terminal here:
 * the TUI colours the cells by the series each one draws, `report` could
 * print the rows as they are.
 *
 * Layout of the box: a y-axis label column on the left ("10 MiB┤"), the plot
 * to its right, and the last row an x-axis of times ("0s   5s   10s").
 * Boxes too small for labels (height < 3 or width < 16) get the plot alone. */
#ifndef PROFTOP_CHART_H
#define PROFTOP_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "query.h"

enum chart_style {
	CHART_BRAILLE, /* lines of braille dots (U+2800..), 2x4 dots per cell */
	CHART_BLOCKS, /* filled areas of ▁▂▃▄▅▆▇█ (terminals without braille fonts) */
	CHART_ASCII, /* filled areas of ASCII, axes of | + - (no UTF-8 at all) */
};

/* What a cell shows, for colouring. CHART_CELL_RSS and CHART_CELL_VMS are
 * bits: a braille cell can hold dots of both series. */
enum chart_cell {
	CHART_CELL_EMPTY = 0,
	CHART_CELL_RSS = 1 << 0,
	CHART_CELL_VMS = 1 << 1,
	CHART_CELL_AXIS = 1 << 2,    /* labels, ticks, the axis line */
	CHART_CELL_BG_VMS = 1 << 3,  /* blocks: the cell's empty part lies under the
				      * VMS area (colour the background as VMS) */
	CHART_CELL_MESSAGE = 1 << 4, /* the "no memory samples" text */
};

struct chart_opts {
	int width, height; /* the box in cells */
	enum chart_style style;
	int32_t pid;	     /* 0: the sum over the target's processes */
	bool no_rss, no_vms; /* leave a series out (the y axis fits what is drawn) */
	uint64_t now;	     /* ns since start: the right edge; 0: the last point's time */
	uint64_t window;     /* show the last window ns; 0: the whole run */
};

struct chart_figures {
	bool valid;		   /* false: no memory points for the pid */
	uint64_t start, peak, now; /* bytes */
	uint64_t peak_time;	   /* ns since start */
	int64_t growth;		   /* now - start */
};

struct chart {
	int width, height;
	char **rows;	       /* height NUL-terminated UTF-8 lines of exactly width cells */
	uint8_t **cells;       /* cells[row][col]: enum chart_cell bits */
	int plot_x, plot_w;    /* the plot's columns: [plot_x, plot_x + plot_w) */
	int plot_h;	       /* the plot's rows: [0, plot_h) */
	uint64_t t_from, t_to; /* the x range, ns since start */
	uint64_t y_top;	       /* the y axis' top, bytes (a round number) */
	bool empty;	       /* no memory samples: the rows say so */
	struct chart_figures rss, vms; /* over the whole run, not just the window */
};

/* Render the chart of p's memory timeline. out is always filled (width and
 * height below 1 count as 1) and freed with chart_free(). */
void chart_render(const struct profile *p, const struct chart_opts *o, struct chart *out);
void chart_free(struct chart *c);

/* Bytes for people: "0 B", "512 B", "1.50 KiB", "12.0 MiB", "3.25 GiB". */
char *chart_format_bytes(uint64_t bytes, char *buf, size_t len);
/* One line of figures: "RSS  start 1.0 MiB  peak 5.0 MiB at 3.2s  now 4.0 MiB
 * (+3.0 MiB)"; name is "RSS" or "VMS". Returns buf. */
char *chart_format_figures(const char *name, const struct chart_figures *fig, char *buf,
			   size_t len);

#endif
