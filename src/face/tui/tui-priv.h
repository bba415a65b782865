/* The TUI's insides, shared by its files: the state, the view stack and
 * the drawing helpers. Views read the profile only through query.h (and
 * annotate.h / chart.h for the line view and the memory chart). */
#ifndef PROFTOP_TUI_PRIV_H
#define PROFTOP_TUI_PRIV_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "columns.h"
#include "tui.h"
#include "loop.h"
#include "profile.h"
#include "query.h"
#include "text.h" /* fmt_bytes, fmt_count: shared with report */

struct annot_cache;
struct collector;
struct mem_pane;
struct mem_scope;
struct session_writer;
struct tui;
struct view;

/* "last N seconds" mode of the `w` key. */
#define TUI_WINDOW_S 5

struct rect {
	int y, x, h, w;
};

/* What a key handler did, htop style: a bitmask. */
enum {
	KR_IGNORED = 0,
	KR_HANDLED = 1 << 0, /* consumed (redraw) */
	KR_REQUERY = 1 << 1, /* the view's data must be recomputed */
};

/* One line of a key table: the keys as the help screen and the man page
 * name them, what they do, and for an F-key of the footer its label. Each
 * view keeps its table beside its key handler; keys.c the shared one. */
struct key_help {
	const char *keys; /* NULL ends a table */
	const char *what;
	int fkey;	   /* n of the footer's Fn, or 0 */
	const char *label; /* its footer label */
};

/* A cell of the footer: where "F7Callers" is drawn, and its key. */
struct footer_cell {
	int x, w;
	int key;
	char name[4], label[16];
};

/* A view of the main area. Views form a stack: Esc pops. */
struct view_ops {
	const char *name;
	/* Its keys for the help screen and the footer, under help_title. */
	const char *help_title;
	const struct key_help *keys;
	/* Recompute tables from the profile (the data generation moved on). */
	void (*update)(struct tui *t, struct view *v);
	void (*draw)(struct tui *t, struct view *v, const struct rect *r);
	int (*key)(struct tui *t, struct view *v, int key);
	/* Free priv. */
	void (*leave)(struct tui *t, struct view *v);
	/* The function under the cursor, or PROF_NONE (for `c`, `a`, Enter). */
	uint32_t (*selected)(struct tui *t, struct view *v);
	/* Move the cursor to the next row (from the cursor on, or after it if
	 * next) whose name contains needle; false if none. */
	bool (*search)(struct tui *t, struct view *v, const char *needle, bool next);
	/* A mouse click at screen (y, x) inside r. */
	void (*click)(struct tui *t, struct view *v, const struct rect *r, int y, int x);
	/* What the view counts (a memory measure over a range), handed on to
	 * the views `c`, `t` and `a` open from it; NULL or absent: time. */
	const struct mem_scope *(*scope)(struct tui *t, struct view *v);
	/* Keys of the view's own to name on the footer after the F-keys, when
	 * there is room ("1-7 sort  [ ] range"); NULL: none. */
	const char *footer_hint;
};

struct view {
	const struct view_ops *ops;
	void *priv;
	struct view *below;
	uint64_t gen;  /* the data generation last computed; ~0: never */
	uint64_t fgen; /* the name-filter generation last applied */
};

/* A scrolling list: cursor and first visible row. */
struct ui_list {
	size_t n, cur, top;
	int height; /* rows on screen, from the last draw */
};

enum ui_color {
	UC_NORMAL,
	UC_HEADER,  /* header labels */
	UC_VALUE,   /* header values */
	UC_TITLE,   /* view title bar */
	UC_COLHEAD, /* table column names */
	UC_COLSORT, /* the sorted column */
	UC_CURSOR,
	UC_DIM,
	UC_HEAT1, /* heat, coolest to hottest */
	UC_HEAT2,
	UC_HEAT3,
	UC_HEAT4,
	UC_HEAT5,
	UC_KEY,	     /* footer: key name */
	UC_KEYLABEL, /* footer: what it does */
	UC_MSG,
	UC_ERR,
	UC_STATE_RUN,
	UC_STATE_END,
	UC_RSS,
	UC_VMS,
	UC_MARK, /* inlined / call marks, tree glyphs */
	UC_COUNT
};

enum prompt_kind { PROMPT_NONE, PROMPT_SEARCH, PROMPT_FILTER, PROMPT_SAVE };

struct tui {
	const struct tui_config *opt;
	struct profile *prof;
	struct collector *col;	   /* NULL when there is nothing to collect */
	struct annot_cache *annot; /* source files and disassemblies read so far */
	struct mem_pane *mem;	   /* the memory chart, rendered */

	bool running;	      /* collecting; false once the run is over */
	bool frozen;	      /* `f`: tables stay as they are */
	bool paused;	      /* `P`: sampling is off */
	uint64_t pause_samples; /* total_samples at the last tick while paused */
	bool draining;	      /* paused, and samples taken before still come in */
	bool zeroed;	      /* `z` was pressed: a save holds only what came after */
	bool window;	      /* `w`: last TUI_WINDOW_S seconds only */
	bool mem_no_room;     /* the memory view has no room for its chart */
	bool quit;
	int exit_sig;	   /* SIGTERM, SIGHUP...: die of it once the terminal is restored */
	struct loop *loop; /* the one event loop (loop.h) */
	int err_fd;	   /* proftop's own stderr, captured while the screen is open */
	bool input;	   /* --stdin: the keys go to the target, not to us */
	bool dirty;	   /* redraw before the next wait */
	bool launched;
	/* -i FILE: a saved session, nothing collected; its file and when and
	 * where it was recorded, for the header */
	const char *saved;
	char saved_what[192];

	/* -i NEW --baseline OLD: the functions view compares with base */
	struct profile *base;
	bool sort_delta; /* largest regression first */

	/* -o FILE: flushed every SESSION_FLUSH_MS, closed on quit */
	struct session_writer *writer;
	uint64_t next_flush;	/* CLOCK_MONOTONIC ns */
	uint64_t slowest_flush; /* ns, for the curious (help view) */
	bool flush_warned;
	char *save_name; /* the last name tried with `s`, offered again */

	struct query_filter filter; /* thread and time range of every query */
	enum query_sort sort;
	bool reverse;
	char *name_filter; /* `\`: substring of function names shown, or NULL */
	char *search;	   /* the last `/` needle, or NULL */

	uint64_t gen;  /* data generation: views recompute when theirs differs */
	uint64_t fgen; /* name-filter generation */
	struct view *top;

	/* figures of the header, sampled on each tick */
	uint64_t now_ns; /* run time (ns since start) of the last tick */
	double self_cpu; /* proftop's own CPU, % of one core */
	uint64_t last_cpu_ns, last_wall_ns;
	uint64_t seen_samples; /* total_samples (the log's length shrinks when folded) */
	bool renamed; /* debuginfod named locations again since the last query */
	size_t seen_memory, seen_output;
	char state[96]; /* how the target ended, once it has */
	char live[96];	/* while running: why it cannot run (stopped, zombie), or "" */

	/* one-line message over the footer */
	char msg[256];
	bool msg_err;
	uint64_t msg_until; /* CLOCK_MONOTONIC ns */

	/* the prompt of `/` and `\` */
	enum prompt_kind prompt;
	char pbuf[1024];
	size_t plen;
	size_t psaved_cur;  /* search: the cursor before, restored by Esc */
	bool prompt_failed; /* the search typed so far matches nothing */

	/* terminal */
	bool color, utf8;
	int ncolors;
	attr_t attrs[UC_COUNT];
	struct rect main; /* where the top view draws */
	int colhead_y;	  /* screen row of the top view's column header, or -1 */
};

/* ---- tui.c ---- */
/* A view on the heap, owning priv (freed after ops->leave). */
struct view *view_alloc(const struct view_ops *ops, void *priv);
void tui_push(struct tui *t, struct view *v);
void tui_pop(struct tui *t);
void tui_message(struct tui *t, bool err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Recompute v's tables if the data or the filter moved on since. */
void tui_view_sync(struct tui *t, struct view *v);
/* keys.c: one key (or mouse event) read from the terminal. */
void tui_key(struct tui *t, int key);
/* The shared keys' help lines that apply now, i from 0; NULL past the end. */
const struct key_help *keys_global_help(const struct tui *t, size_t i);
/* The footer's cells (the shared F-keys and the top view's), left to right. */
size_t keys_footer(const struct tui *t, struct footer_cell *cells, size_t max);
/* Drop every cached table: the next draw recomputes (filter, thread, zero). */
void tui_requery(struct tui *t);
/* --stdin: hand the terminal's input to the target (on) or take it back. */
void tui_input(struct tui *t, bool on);
/* The picker started col (on p, both now owned by the TUI): finish the
 * current run (detach, or stop a launched target), drop every view and the
 * old profile, and go on with the new run from a functions view. */
void tui_switch_run(struct tui *t, struct collector *col, struct profile *p);
/* For the bench: the views over a finished profile (no collector), on
 * the screen the caller opened; one full redraw; the end. */
void tui_open_static(struct tui *t, const struct tui_config *o, struct profile *p);
void tui_redraw(struct tui *t);
void tui_close_static(struct tui *t);
/* term.c: TERM names a terminal terminfo knows. */
bool tui_term_known(void);

/* ---- draw.c ---- */
void ui_colors_init(struct tui *t);
attr_t ui_attr(const struct tui *t, enum ui_color c);
/* The heat colour of a percentage (of the whole profile). */
attr_t ui_heat(const struct tui *t, double pct);
/* Write s at (y, x), at most w columns, control characters shown as '?',
 * cut UTF-8-aware. Returns the columns written. */
int ui_put(int y, int x, const char *s, int w, attr_t a);
/* The same from a byte range (not NUL-terminated). */
int ui_putn(int y, int x, const char *s, size_t len, int w, attr_t a);
/* s at (y, x) in w columns with its first skip columns scrolled off; a
 * cut end shows as an ellipsis ('>' without UTF-8), a scrolled-off start
 * as one too ('<'). Returns the columns written. */
int ui_put_cut(const struct tui *t, int y, int x, const char *s, int w, int skip, attr_t a);
/* Fill w columns of row y from x with blanks in attribute a. */
void ui_fill(int y, int x, int w, attr_t a);
/* Display columns of s (UTF-8), control characters counting 1. */
int ui_width(const char *s);
/* A horizontal bar of frac (0..1) of w cells: blocks in UTF-8, '#' otherwise. */
void ui_bar(const struct tui *t, int y, int x, int w, double frac, attr_t a);
const char *ui_base(const char *path);
/* profile_function_name(): one name for a function everywhere. */
const char *ui_fn_name(const struct profile *p, uint32_t fn);
/* "name (file:line) [module]" into buf: func_label() of columns.h. */
char *ui_fn_label(const struct profile *p, uint32_t fn, char *buf, size_t len);
bool ui_contains(const char *hay, const char *needle); /* case-insensitive */
bool ui_fn_matches(const struct profile *p, uint32_t fn, const char *needle);
void ui_title(struct tui *t, int y, const char *left, const char *right);
void ui_header(struct tui *t, int rows);
void ui_footer(struct tui *t);

/* ---- list.c ---- */
/* Arrows, j/k, PgUp/PgDn, Home/End, g/G. True if the key moved the cursor. */
bool list_key(struct ui_list *l, int key);
/* Clamp the cursor and scroll so that it shows in height rows. */
void list_fit(struct ui_list *l, int height);
/* Put the cursor on row i, centred if it was off screen. */
void list_goto(struct ui_list *l, size_t i);
/* The views' `/`: the first of n rows from the cursor (after it, with
 * next), wrapping around, that match(ctx, i) accepts; the cursor moves
 * there. false when none does. */
bool list_search(struct ui_list *l, size_t n, bool next, bool (*match)(void *ctx, size_t i),
		 void *ctx);

/* ---- table.c: function rows, with report's columns (columns.h) ---- */
#define TABLE_HSTEP 8 /* columns a name moves on Left or Right */
struct func_cols {
	bool shown[FCOL_COUNT]; /* by enum func_col: the columns with room (and data) */
	int name_x, name_w;
	int hscroll; /* columns of the names scrolled off to the left */
	bool wall;   /* set before table_layout: the wall clock's columns (%off) too */
};
/* counted: some row has a call count (else ncalls and percall hide). */
void table_layout(int width, bool counted, struct func_cols *c);
/* Left and Right scroll the names; true if the key did. */
bool table_hscroll_key(struct func_cols *c, int key);
/* The column header; sorted marks the sorted column. */
void table_header(struct tui *t, int y, int x, const struct func_cols *c, enum query_sort sort,
		  bool reverse, bool sorted);
void table_row(struct tui *t, int y, int x, const struct func_cols *c, const struct func_row *row,
	       bool cursor);
/* The sort key of the column at screen column x, or -1. */
int table_column_sort(const struct func_cols *c, int x0, int x);

/* ---- save.c: `s`, -o FILE ---- */
/* `s`: the prompt, with a default name (or the last one tried). */
void save_prompt_open(struct tui *t);
/* Enter in that prompt: save to t->pbuf; on failure the message says why
 * and `s` offers the same name again to edit. */
void save_prompt_commit(struct tui *t);
/* -o: the writer, before the screen opens. 0, or -1 with err. */
int save_writer_open(struct tui *t, const char *path, char *err, size_t errlen);
/* From the tick: flush when SESSION_FLUSH_MS passed since the last one. */
void save_writer_tick(struct tui *t);
/* --max-memory with -o: the collector folds only what the file holds. */
void save_writer_attach(struct tui *t);
/* On quit, the screen closed: the last flush, messages to stderr. 0 or 1. */
int save_writer_close(struct tui *t);

/* ---- the views ---- */
struct view *view_functions_new(struct tui *t);
struct view *view_callers_new(struct tui *t, uint32_t fn);
struct view *view_tree_new(struct tui *t);
struct view *view_lines_new(struct tui *t, uint32_t fn);
struct view *view_output_new(struct tui *t);
struct view *view_help_new(struct tui *t);
struct view *view_threads_new(struct tui *t);
/* view-latency.c: the --latency figures of fn (`L`). */
struct view *view_latency_new(struct tui *t, uint32_t fn);
/* view-diff.c: the functions table beside t->base's (--baseline). */
struct view *view_diff_new(struct tui *t);
/* The comparison's options from the command line and the current order. */
struct diff_opts;
void tui_diff_opts(const struct tui *t, struct diff_opts *o);
extern const struct view_ops view_diff_ops;
extern const struct view_ops view_latency_ops;
/* view-picker.c: the process picker (no target given, or `A`). */
struct view *view_picker_new(struct tui *t);
extern const struct view_ops view_picker_ops;
extern const struct view_ops view_functions_ops, view_callers_ops, view_tree_ops, view_lines_ops,
	view_output_ops, view_help_ops, view_threads_ops;

/* ---- the memory view (`m`): the RSS/VMS chart over a table of memory
 * per function (view-memory.c), the chart in memory-chart.c ---- */

/* What a view counts and over which time. Views opened from the memory
 * view count its sorted column's memory (query.h's measures) over its
 * range; NULL or measure MEASURE_TIME: time, over the shared filter. */
struct mem_scope {
	enum query_measure measure;
	bool ranged;	       /* t_from and t_to replace the shared filter's */
	uint64_t t_from, t_to; /* ns since start; t_to 0: to the end */
	uint64_t at;	       /* MEASURE_PEAK_BYTES: the RSS peak */
};
/* The filter of a view: t->filter, with s's measure and range (s NULL or
 * of MEASURE_TIME: t->filter as it is). */
void mem_scope_filter(const struct tui *t, const struct mem_scope *s, struct query_filter *f);
static inline bool mem_scoped(const struct mem_scope *s)
{
	return s && s->measure != MEASURE_TIME;
}
/* v's scope (view_ops.scope), or NULL. */
const struct mem_scope *view_scope(struct tui *t, struct view *v);
/* A figure of measure m: "12.5 MiB" (bytes, at most 8 columns), "1,234"
 * (allocations). Returns buf. */
char *mem_fmt(enum query_measure m, uint64_t v, char *buf, size_t len);
/* "allocated bytes", "allocations", "live bytes", ...: what m counts. */
const char *mem_measure_name(enum query_measure m);
/* " (0:12.0-0:31.5)" for a ranged scope, "" otherwise. */
char *mem_scope_range(const struct mem_scope *s, char *buf, size_t len);
/* A time since start as the header writes elapsed time: "0:12.3". */
char *mem_fmt_time(uint64_t ns, char *buf, size_t len);
/* The rows of callers and callees under a memory measure: self and total
 * in its unit, the share of whole, the name. */
void mem_func_header(struct tui *t, int y, int x, int w);
void mem_func_row(struct tui *t, int y, int x, int w, enum query_measure m,
		  const struct func_row *row, uint64_t whole, bool cursor, int hscroll);

struct view *view_memory_new(struct tui *t);
extern const struct view_ops view_memory_ops;
/* The views of a function, counting what s says (NULL: time). */
struct view *view_lines_scoped(struct tui *t, uint32_t fn, const struct mem_scope *s);
struct view *view_callers_scoped(struct tui *t, uint32_t fn, const struct mem_scope *s);
struct view *view_tree_scoped(struct tui *t, const struct mem_scope *s);

/* memory-chart.c: the chart block of the memory view, its figures beside
 * or above it; a time range shaded on it. */
struct mem_range {
	bool on;
	uint64_t from, to; /* ns since start; to 0: to the end */
	int edge;	   /* being moved with Left/Right: 0 none, 1 from, 2 to */
};
/* Where the chart's plot was drawn, for clicks and the range keys. */
struct mem_plot {
	bool valid;
	int y, x, w, h;	       /* screen rows and columns of the plot */
	uint64_t t_from, t_to; /* its time axis */
};
/* Draw the block in r (no title); *plot says where the plot went. */
void memory_chart_draw(struct tui *t, const struct rect *r, const struct mem_range *sel,
		       struct mem_plot *plot);
/* The time at the left edge of plot column col (0..w; w: the right end). */
uint64_t memory_plot_time(const struct mem_plot *p, int col);
/* The plot column holding time ns (clamped to 0..w). */
int memory_plot_col(const struct mem_plot *p, uint64_t ns);
void memory_pane_free(struct tui *t);

#endif
