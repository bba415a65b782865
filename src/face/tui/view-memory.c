/* The memory view (`m`): the RSS/VMS chart (memory-chart.c) over a table
 * of memory per function (query_mem_table): allocated, self, allocations,
 * live, live at the RSS peak, leaked, faulted. Sorted by any column; a
 * time range picked on the chart restricts the table; Enter, c, t and a
 * open the lines, callers and tree counting the sorted column's memory
 * over that range (struct mem_scope). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui-priv.h"
#include "xalloc.h"

#define CHART_MIN 6  /* the chart block's rows (2 of figures on narrow screens) */
#define CHART_MAX 14 /* ...and when the terminal is tall: the table takes the rest */
#define TABLE_MIN 5  /* the table's rows: its status line, its header, 3 functions */
#define MCOL_W	  9  /* a figure's column, the blank before it included */
#define MNAME_MIN 16 /* the function names' columns before figures are dropped */
#define FOLD_PCT  95 /* frames every allocation passes through fold (as in the functions view) */
#define FOLD_MAX  8

enum mcol { MC_ALLOC, MC_SELF, MC_ALLOCS, MC_LIVE, MC_PEAK, MC_LEAKED, MC_FAULTED, MC_COUNT };

struct mcol_def {
	const char *title;
	enum mem_sort sort;
	enum query_measure measure; /* what Enter, c and t count when it is sorted */
	const char *what;	    /* for the sort message */
};

static const struct mcol_def mcols[MC_COUNT] = {
	[MC_ALLOC] = {"allocated", MEM_SORT_ALLOCATED, MEASURE_ALLOC_BYTES,
		      "allocated bytes (with what it calls)"},
	[MC_SELF] = {"self", MEM_SORT_SELF, MEASURE_ALLOC_BYTES, "bytes it allocated itself"},
	[MC_ALLOCS] = {"allocs", MEM_SORT_ALLOCS, MEASURE_ALLOCS, "allocations"},
	[MC_LIVE] = {"live", MEM_SORT_LIVE, MEASURE_LIVE_BYTES, "bytes live at the range's end"},
	[MC_PEAK] = {"peak", MEM_SORT_PEAK, MEASURE_PEAK_BYTES, "bytes live at the RSS peak"},
	[MC_LEAKED] = {"leaked", MEM_SORT_LEAKED, MEASURE_LEAKED_BYTES,
		       "bytes never freed (the target ended)"},
	[MC_FAULTED] = {"faulted", MEM_SORT_FAULTED, MEASURE_FAULT_BYTES,
			"pages first touched (RSS growth)"},
};

/* Which columns survive as the terminal narrows, most wanted first. */
static const enum mcol mpriority[] = {MC_ALLOC,	 MC_LIVE,    MC_SELF,  MC_PEAK,
				      MC_ALLOCS, MC_FAULTED, MC_LEAKED};

struct mview {
	struct mem_table table;
	size_t *shown; /* rows passing the name filter */
	size_t nshown;
	struct ui_list list;
	enum mem_sort sort;
	bool reverse;
	bool sort_chosen; /* by a key: no automatic choice any more */
	bool any_heap;	  /* the profile holds allocation records (not only faults) */
	struct mem_range range;
	bool click_from; /* a click on the chart set the range's start: the next, its end */
	struct mem_plot plot;
	struct mem_scope scope; /* for c, t, a and Enter */
	bool col_shown[MC_COUNT];
	int name_x, name_w, hscroll;
	int head_y; /* screen row of the column header, from the last draw */
	/* _start ... main: no allocation of their own, nearly all of the
	 * sorted column's bytes; folded into one line unless unfold (u) */
	uint32_t folded[FOLD_MAX];
	size_t nfolded;
	bool unfold;
};

/* ---- shared with the views opened from here ---- */

void mem_scope_filter(const struct tui *t, const struct mem_scope *s, struct query_filter *f)
{
	*f = t->filter;
	if (!mem_scoped(s))
		return;
	f->measure = s->measure;
	f->at = s->at;
	if (s->ranged) {
		f->t_from = s->t_from;
		f->t_to = s->t_to;
	}
}

const struct mem_scope *view_scope(struct tui *t, struct view *v)
{
	return v && v->ops->scope ? v->ops->scope(t, v) : NULL;
}

char *mem_fmt(enum query_measure m, uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double x = (double)v;
	int u = -1;

	if (m == MEASURE_ALLOCS && v >= 10000000) { /* 9 columns at most */
		snprintf(buf, len, v >= 10000000000ull ? "%.0fG" : "%.1fM",
			 (double)v / (v >= 10000000000ull ? 1e9 : 1e6));
		return buf;
	}
	if (m == MEASURE_ALLOCS || v < 1024) {
		fmt_count(v, buf, len);
		if (m != MEASURE_ALLOCS)
			snprintf(buf + strlen(buf), len - strlen(buf), " B");
		return buf;
	}
	while (x >= 1024 && u < 3) {
		x /= 1024;
		u++;
	}
	/* at most 8 columns: 9.99 MiB, 99.9 MiB, 1023 MiB */
	snprintf(buf, len, x < 9.995 ? "%.2f %s" : x < 99.95 ? "%.1f %s" : "%.0f %s", x, units[u]);
	return buf;
}

const char *mem_measure_name(enum query_measure m)
{
	switch (m) {
	case MEASURE_TIME:
		return "time";
	case MEASURE_ALLOC_BYTES:
		return "allocated bytes";
	case MEASURE_ALLOCS:
		return "allocations";
	case MEASURE_LIVE_BYTES:
		return "live bytes";
	case MEASURE_PEAK_BYTES:
		return "bytes live at the RSS peak";
	case MEASURE_LEAKED_BYTES:
		return "leaked bytes";
	case MEASURE_FAULT_BYTES:
		return "faulted bytes (RSS growth)";
	}
	return "?";
}

char *mem_fmt_time(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ull;

	if (s >= 3600)
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 3600, s / 60 % 60,
			 s % 60);
	else
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ".%" PRIu64, s / 60, s % 60,
			 ns / 100000000u % 10);
	return buf;
}

/* "0:12.0-0:31.5", "0:12.0-end" */
static char *range_text(uint64_t from, uint64_t to, char *buf, size_t len)
{
	char a[32], b[32];

	snprintf(buf, len, "%s-%s", mem_fmt_time(from, a, sizeof(a)),
		 to ? mem_fmt_time(to, b, sizeof(b)) : "end");
	return buf;
}

char *mem_scope_range(const struct mem_scope *s, char *buf, size_t len)
{
	char r[80];

	if (mem_scoped(s) && s->ranged)
		snprintf(buf, len, " (%s)", range_text(s->t_from, s->t_to, r, sizeof(r)));
	else
		buf[0] = '\0';
	return buf;
}

void mem_func_header(struct tui *t, int y, int x, int w)
{
	ui_fill(y, x, w, ui_attr(t, UC_COLHEAD));
	ui_put(y, x, "     self    total  %total  function", w, ui_attr(t, UC_COLHEAD));
}

void mem_func_row(struct tui *t, int y, int x, int w, enum query_measure m,
		  const struct func_row *row, uint64_t whole, bool cursor, int hscroll)
{
	attr_t base = cursor ? ui_attr(t, UC_CURSOR) : A_NORMAL;
	double pct = whole ? 100.0 * (double)row->total_ns / (double)whole : 0;
	char a[32], b[32], buf[96];
	char *label;

	ui_fill(y, x, w, base);
	snprintf(buf, sizeof(buf), "%9s%9s", mem_fmt(m, row->self_ns, a, sizeof(a)),
		 mem_fmt(m, row->total_ns, b, sizeof(b)));
	ui_put(y, x, buf, w, base);
	snprintf(buf, sizeof(buf), "%7.1f%%", pct);
	if (w > 18)
		ui_put(y, x + 18, buf, w - 18, cursor ? base : ui_heat(t, pct));
	if (w <= 28)
		return;
	label = func_label(t->prof, row->function);
	ui_put_cut(t, y, x + 28, label, w - 28, hscroll, base);
	free(label);
}

/* ---- the table ---- */

static enum mcol sort_col(enum mem_sort s)
{
	for (int i = 0; i < MC_COUNT; i++)
		if (mcols[i].sort == s)
			return (enum mcol)i;
	return MC_ALLOC; /* by name: allocated bytes per line */
}

static uint64_t cell(const struct mem_row *r, enum mcol c)
{
	switch (c) {
	case MC_ALLOC:
		return r->allocated_bytes;
	case MC_SELF:
		return r->self_allocated_bytes;
	case MC_ALLOCS:
		return r->allocations;
	case MC_LIVE:
		return r->live_bytes;
	case MC_PEAK:
		return r->peak_bytes;
	case MC_LEAKED:
		return r->leaked_bytes;
	case MC_FAULTED:
		return r->faulted_bytes;
	case MC_COUNT:
		break;
	}
	return 0;
}

static const struct mem_row *row_at(const struct mview *m, size_t i)
{
	return i < m->nshown ? &m->table.rows[m->shown[i]] : NULL;
}

static uint32_t mv_selected(struct tui *t, struct view *v)
{
	const struct mview *m = v->priv;
	const struct mem_row *r = row_at(m, m->list.cur);

	return r ? r->function : PROF_NONE;
}

/* What the views opened from here count: the sorted column over the range. */
static void set_scope(struct tui *t, struct mview *m)
{
	m->scope = (struct mem_scope){
		.measure = mcols[sort_col(m->sort)].measure,
		.ranged = m->range.on,
		.t_from = m->range.from,
		.t_to = m->range.to,
		.at = m->table.peak_time,
	};
}

static bool profile_has_heap(const struct profile *p)
{
	for (size_t i = 0; i < p->nallocs; i++)
		if (p->allocs[i].kind != PROF_ALLOC_FAULT)
			return true;
	return false;
}

/* In the plain order of an allocation column (allocated, allocs, live,
 * peak), the leading rows with no allocation of their own and nearly all
 * of the column leave the table for one line above it. */
static void fold(struct tui *t, struct mview *m)
{
	enum mcol c = sort_col(m->sort);
	uint64_t whole = cell(&m->table.total, c);
	size_t k = 0;

	m->nfolded = 0;
	if (m->unfold || m->reverse || t->name_filter || !whole || c == MC_SELF || c == MC_LEAKED ||
	    c == MC_FAULTED || m->sort == MEM_SORT_NAME)
		return;
	while (k < m->nshown && m->nfolded < FOLD_MAX) {
		const struct mem_row *r = row_at(m, k);

		if (r->self_allocated_bytes || cell(r, c) * 100 < whole * FOLD_PCT)
			break;
		m->folded[m->nfolded++] = r->function;
		k++;
	}
	if (k == m->nshown) { /* nothing else: fold nothing */
		m->nfolded = 0;
		return;
	}
	memmove(m->shown, m->shown + k, (m->nshown - k) * sizeof(*m->shown));
	m->nshown -= k;
}

/* "nearly all allocated bytes pass through main (and _start, ...; u shows them)" */
static void draw_folded(struct tui *t, struct mview *m, int y, const struct rect *r)
{
	char buf[1024];
	size_t o, first = 0;

	for (size_t i = 0; i < m->nfolded; i++)
		if (!strcmp(ui_fn_name(t->prof, m->folded[i]), "main"))
			first = i;
	o = (size_t)snprintf(buf, sizeof(buf), "nearly all %s pass through %s",
			     mem_measure_name(m->scope.measure),
			     ui_fn_name(t->prof, m->folded[first]));
	for (size_t i = 0, n = 0; i < m->nfolded && o < sizeof(buf); i++)
		if (i != first)
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
					      n++ ? ", " : " (and ",
					      ui_fn_name(t->prof, m->folded[i]));
	if (o < sizeof(buf))
		snprintf(buf + o, sizeof(buf) - o, "%su shows them)", m->nfolded > 1 ? "; " : " (");
	ui_fill(y, r->x, r->w, A_NORMAL);
	ui_put_cut(t, y, r->x + 1, buf, r->w - 1, 0, ui_attr(t, UC_DIM));
}

static void mv_update(struct tui *t, struct view *v)
{
	struct mview *m = v->priv;
	uint32_t keep = mv_selected(t, v);
	bool at_top = m->list.cur == 0;
	struct query_filter f = t->filter;

	if (m->range.on) {
		f.t_from = m->range.from;
		f.t_to = m->range.to;
	}
	if (v->gen != t->gen) {
		m->any_heap = profile_has_heap(t->prof);
		/* page faults only: what there is to sort by */
		if (!m->sort_chosen)
			m->sort = m->any_heap || !t->prof->nallocs ? MEM_SORT_ALLOCATED
								   : MEM_SORT_FAULTED;
		mem_table_free(&m->table);
		query_mem_table(t->prof, &f, m->sort, m->reverse, &m->table);
	}
	set_scope(t, m);
	free(m->shown);
	m->shown = xcalloc(m->table.n ? m->table.n : 1, sizeof(*m->shown));
	m->nshown = 0;
	for (size_t i = 0; i < m->table.n; i++)
		if (!t->name_filter ||
		    ui_fn_matches(t->prof, m->table.rows[i].function, t->name_filter))
			m->shown[m->nshown++] = i;
	fold(t, m);
	m->list.n = m->nshown;
	/* the cursor stays on its function, unless on the first row */
	if (at_top || keep == PROF_NONE) {
		m->list.cur = 0;
		return;
	}
	for (size_t i = 0; i < m->nshown; i++)
		if (row_at(m, i)->function == keep) {
			m->list.cur = i;
			return;
		}
}

static void layout(struct mview *m, int width)
{
	int used = 0;

	memset(m->col_shown, 0, sizeof(m->col_shown));
	for (size_t i = 0; i < sizeof(mpriority) / sizeof(*mpriority); i++) {
		if (width - used - MCOL_W - 2 < MNAME_MIN)
			break;
		m->col_shown[mpriority[i]] = true;
		used += MCOL_W;
	}
	m->name_x = used + 2;
	m->name_w = width - m->name_x;
	if (m->name_w < 1) {
		m->name_x = 0;
		m->name_w = width;
	}
}

/* Why the table is empty, or holds page faults only. */
static const char *why_no_allocations(const struct tui *t)
{
	const struct prof_meta *pm = &t->prof->meta;
	uint64_t asked =
		t->saved || pm->alloc_sample ? pm->alloc_sample : t->opt->collect.alloc_sample;

	if (pm->alloc_note)
		return pm->alloc_note;
	if (pm->attached)
		return "attached: allocations need a launch; page faults only";
	if (!asked)
		return t->saved ? "not tracked in this session"
				: "allocation tracking off (--no-alloc)";
	return t->running ? "none yet" : "none recorded";
}

/* The line over the table: its range and totals, or why it is empty. */
static void status_line(struct tui *t, struct mview *m, int y, const struct rect *r)
{
	const struct mem_table *tb = &m->table;
	char buf[512], rg[80], a[32], b[32], c[32], d[32];
	size_t o;

	if (m->range.on)
		range_text(m->range.from, m->range.to, rg, sizeof(rg));
	else if (t->window)
		snprintf(rg, sizeof(rg), "last %d s", TUI_WINDOW_S);
	else
		snprintf(rg, sizeof(rg), "whole run");
	o = (size_t)snprintf(buf, sizeof(buf), "%s%s: ", m->range.on ? "range " : "", rg);
	/* without allocations, why comes first: it must survive a narrow screen */
	if (!m->any_heap)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "allocations: %s",
				      why_no_allocations(t));
	else
		o += (size_t)snprintf(
			buf + o, sizeof(buf) - o, "allocated %s (%s allocs)  live %s",
			mem_fmt(MEASURE_ALLOC_BYTES, tb->total.allocated_bytes, a, sizeof(a)),
			mem_fmt(MEASURE_ALLOCS, tb->total.allocations, b, sizeof(b)),
			mem_fmt(MEASURE_LIVE_BYTES, tb->total.live_bytes, c, sizeof(c)));
	if (o < sizeof(buf))
		o += (size_t)snprintf(
			buf + o, sizeof(buf) - o, "  faulted %s",
			mem_fmt(MEASURE_FAULT_BYTES, tb->total.faulted_bytes, d, sizeof(d)));
	if (tb->peak_known && o < sizeof(buf))
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "  RSS peak at %s",
				      mem_fmt_time(tb->peak_time, a, sizeof(a)));
	if (m->any_heap && t->prof->meta.allocs_lost && o < sizeof(buf))
		snprintf(buf + o, sizeof(buf) - o, "  %s records lost",
			 fmt_count(t->prof->meta.allocs_lost, a, sizeof(a)));
	ui_fill(y, r->x, r->w, A_NORMAL);
	ui_put_cut(t, y, r->x + 1, buf, r->w - 1, 0, m->range.on ? A_BOLD : ui_attr(t, UC_HEADER));
}

static void table_head(struct tui *t, struct mview *m, int y, const struct rect *r)
{
	attr_t head = ui_attr(t, UC_COLHEAD), hot = ui_attr(t, UC_COLSORT);
	enum mcol sc = sort_col(m->sort);
	int x = r->x;
	char buf[160];

	ui_fill(y, r->x, r->w, head);
	for (int c = 0; c < MC_COUNT; c++) {
		if (!m->col_shown[c])
			continue;
		snprintf(buf, sizeof(buf), "%*s", MCOL_W, mcols[c].title);
		ui_put(y, x, buf, MCOL_W, m->sort != MEM_SORT_NAME && c == (int)sc ? hot : head);
		x += MCOL_W;
	}
	snprintf(buf, sizeof(buf), "function%s%s", m->reverse ? "  (reversed)" : "",
		 m->hscroll ? "  (scrolled: Left)" : "");
	ui_put(y, r->x + m->name_x, buf, m->name_w, m->sort == MEM_SORT_NAME ? hot : head);
}

static void table_line(struct tui *t, struct mview *m, int y, const struct rect *r,
		       const struct mem_row *row, bool cursor)
{
	attr_t base = cursor ? ui_attr(t, UC_CURSOR) : A_NORMAL;
	enum mcol sc = sort_col(m->sort);
	int x = r->x;
	char v[32], buf[48];
	char *label;

	ui_fill(y, r->x, r->w, base);
	for (int c = 0; c < MC_COUNT; c++) {
		uint64_t val = cell(row, (enum mcol)c), whole = cell(&m->table.total, (enum mcol)c);
		attr_t a = base;

		if (!m->col_shown[c])
			continue;
		if ((c == MC_LEAKED && !m->table.ended) || (c == MC_PEAK && !m->table.peak_known))
			snprintf(v, sizeof(v), "-"); /* not known (yet) */
		else
			mem_fmt(mcols[c].measure, val, v, sizeof(v));
		if (!cursor && c == (int)sc && whole)
			a = ui_heat(t, 100.0 * (double)val / (double)whole);
		else if (!cursor && !val)
			a = ui_attr(t, UC_DIM);
		snprintf(buf, sizeof(buf), "%*s", MCOL_W, v);
		ui_put(y, x, buf, MCOL_W, a);
		x += MCOL_W;
	}
	label = func_label(t->prof, row->function);
	ui_put_cut(t, y, r->x + m->name_x, label, m->name_w, m->hscroll, base);
	free(label);
}

/* The chart block's rows: its usual size, less on short screens (the
 * table keeps TABLE_MIN rows), none when even that leaves no room. */
static int chart_rows(const struct rect *r)
{
	int avail = r->h - 1, want = avail * 2 / 5;

	want = want < CHART_MIN ? CHART_MIN : want > CHART_MAX ? CHART_MAX : want;
	if (avail - want < TABLE_MIN)
		want = avail - TABLE_MIN;
	return want < (r->w >= 100 ? 3 : 5) ? 0 : want;
}

static void mv_draw(struct tui *t, struct view *v, const struct rect *r)
{
	struct mview *m = v->priv;
	int ch = chart_rows(r), y = r->y + 1, rows;

	t->mem_no_room = ch == 0;
	ui_title(t, r->y, "Memory of the target (all its processes): RSS and VMS", NULL);
	m->plot.valid = false;
	if (ch) {
		struct rect cr = {y, r->x, ch, r->w};
		/* w without a range of its own: the last seconds shaded */
		struct mem_range last = {t->window, t->filter.t_from, 0, 0};

		memory_chart_draw(t, &cr, m->range.on ? &m->range : &last, &m->plot);
		y += ch;
	}
	if (y >= r->y + r->h)
		return;
	status_line(t, m, y++, r);
	if (m->nfolded && r->y + r->h - y >= 5)
		draw_folded(t, m, y++, r);
	if (y >= r->y + r->h)
		return;
	layout(m, r->w);
	m->head_y = y;
	t->colhead_y = y;
	table_head(t, m, y++, r);
	rows = r->y + r->h - y;
	list_fit(&m->list, rows);
	if (!m->nshown && rows > 0) {
		ui_put(y, 2,
		       m->table.n	  ? "no function matches the filter (\\ to change it)"
		       : t->prof->nallocs ? "no memory records in this range or thread"
					  : "no memory records: allocations and page faults "
					    "show here as they come",
		       r->w - 2, ui_attr(t, UC_DIM));
		return;
	}
	for (int i = 0; i < rows && m->list.top + (size_t)i < m->nshown; i++) {
		size_t k = m->list.top + (size_t)i;

		table_line(t, m, y + i, r, row_at(m, k), k == m->list.cur);
	}
}

/* ---- keys ---- */

static int set_sort(struct tui *t, struct mview *m, enum mem_sort s, bool toggle_reverse)
{
	if (toggle_reverse)
		m->reverse = !m->reverse;
	else if (m->sort == s && m->sort_chosen)
		return KR_HANDLED;
	m->sort = s;
	m->sort_chosen = true;
	tui_message(t, false, "sorted by %s%s",
		    s == MEM_SORT_NAME ? "function name" : mcols[sort_col(s)].what,
		    m->reverse ? ", reversed" : "");
	return KR_HANDLED | KR_REQUERY;
}

static int step_sort(struct tui *t, struct mview *m, int dir)
{
	int i = m->sort == MEM_SORT_NAME ? MC_COUNT : (int)sort_col(m->sort);

	i = (i + MC_COUNT + 1 + dir) % (MC_COUNT + 1);
	return set_sort(t, m, i == MC_COUNT ? MEM_SORT_NAME : mcols[i].sort, false);
}

/* [ or ]: start moving the range's start or end (a range of the whole
 * chart first); Left and Right then move it a column. */
static int range_edge(struct tui *t, struct mview *m, int edge)
{
	if (!m->plot.valid) {
		tui_message(t, true,
			    "no memory chart to pick a time range on (no samples yet, "
			    "or no room)");
		return KR_HANDLED;
	}
	if (!m->range.on)
		m->range = (struct mem_range){true, m->plot.t_from, 0, 0};
	m->range.edge = edge;
	tui_message(t, false, "Left Right move the range's %s, Enter keeps it, Esc clears it",
		    edge == 1 ? "start" : "end");
	return KR_HANDLED | KR_REQUERY;
}

static int range_move(struct mview *m, int dir)
{
	const struct mem_plot *p = &m->plot;
	int c0 = memory_plot_col(p, m->range.from);
	int c1 = m->range.to ? memory_plot_col(p, m->range.to) : p->w;

	if (m->range.edge == 1) {
		c0 += dir;
		c0 = c0 < 0 ? 0 : c0 >= c1 ? c1 - 1 : c0;
		m->range.from = memory_plot_time(p, c0);
	} else {
		c1 += dir;
		c1 = c1 <= c0 ? c0 + 1 : c1 > p->w ? p->w : c1;
		/* the right end stays open: while running it follows now */
		m->range.to = c1 >= p->w ? 0 : memory_plot_time(p, c1);
	}
	return KR_HANDLED | KR_REQUERY;
}

static int mv_key(struct tui *t, struct view *v, int key)
{
	struct mview *m = v->priv;
	uint32_t fn;

	if (m->range.edge && m->plot.valid && (key == KEY_LEFT || key == KEY_RIGHT))
		return range_move(m, key == KEY_LEFT ? -1 : 1);
	if (list_key(&m->list, key))
		return KR_HANDLED;
	switch (key) {
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
		return set_sort(t, m, mcols[key - '1'].sort, false);
	case 'r':
	case 'I':
		return set_sort(t, m, m->sort, true);
	case 'u':
		m->unfold = !m->unfold;
		tui_message(t, false, "the frames every allocation passes through: %s",
			    m->unfold ? "shown" : "folded");
		return KR_HANDLED | KR_REQUERY;
	case KEY_F(6):
	case '>':
	case '.':
		return step_sort(t, m, 1);
	case '<':
	case ',':
		return step_sort(t, m, -1);
	case '[':
		return range_edge(t, m, 1);
	case ']':
		return range_edge(t, m, 2);
	case 27:
		if (!m->range.on)
			return KR_IGNORED; /* back */
		m->range = (struct mem_range){false, 0, 0, 0};
		m->click_from = false;
		tui_message(t, false, "time range cleared: the whole run");
		return KR_HANDLED | KR_REQUERY;
	case KEY_LEFT:
		if (m->hscroll > 0)
			m->hscroll = m->hscroll > TABLE_HSTEP ? m->hscroll - TABLE_HSTEP : 0;
		return KR_HANDLED;
	case KEY_RIGHT:
		m->hscroll += TABLE_HSTEP;
		return KR_HANDLED;
	case '\n':
	case '\r':
	case KEY_ENTER:
		if (m->range.edge) { /* the range is kept as it is */
			m->range.edge = 0;
			return KR_HANDLED;
		}
		fn = mv_selected(t, v);
		if (fn != PROF_NONE)
			tui_push(t, view_lines_scoped(t, fn, &m->scope));
		return KR_HANDLED;
	}
	return KR_IGNORED;
}

/* On the chart: the first click starts a range there, the second ends it.
 * On the column header: sort by that column (again: reverse). */
static void mv_click(struct tui *t, struct view *v, const struct rect *r, int y, int x)
{
	struct mview *m = v->priv;
	const struct mem_plot *p = &m->plot;

	if (p->valid && y >= p->y && y < p->y + p->h && x >= p->x && x < p->x + p->w) {
		int col = x - p->x, c0 = memory_plot_col(p, m->range.from), lo, hi;
		char when[32];

		if (!m->click_from || !m->range.on) {
			m->range = (struct mem_range){true, memory_plot_time(p, col), 0, 0};
			m->click_from = true;
			tui_message(t, false, "range from %s: click its end",
				    mem_fmt_time(m->range.from, when, sizeof(when)));
		} else {
			lo = col < c0 ? col : c0;
			hi = (col < c0 ? c0 : col) + 1;
			m->range.from = memory_plot_time(p, lo);
			m->range.to = hi >= p->w ? 0 : memory_plot_time(p, hi);
			m->click_from = false;
		}
		v->gen = UINT64_MAX;
		return;
	}
	if (y == m->head_y) {
		int cx = r->x;

		for (int c = 0; c < MC_COUNT; c++) {
			if (!m->col_shown[c])
				continue;
			if (x >= cx && x < cx + MCOL_W) {
				if (set_sort(t, m, mcols[c].sort, m->sort == mcols[c].sort) &
				    KR_REQUERY)
					v->gen = UINT64_MAX;
				return;
			}
			cx += MCOL_W;
		}
		if (x >= r->x + m->name_x &&
		    set_sort(t, m, MEM_SORT_NAME, m->sort == MEM_SORT_NAME))
			v->gen = UINT64_MAX;
		return;
	}
	if (y > m->head_y && m->list.top + (size_t)(y - m->head_y - 1) < m->nshown)
		m->list.cur = m->list.top + (size_t)(y - m->head_y - 1);
}

struct mv_match {
	struct tui *t;
	struct mview *m;
	const char *needle;
};

static bool mv_matches(void *ctx, size_t i)
{
	struct mv_match *mm = ctx;

	return ui_fn_matches(mm->t->prof, row_at(mm->m, i)->function, mm->needle);
}

static bool mv_search(struct tui *t, struct view *v, const char *needle, bool next)
{
	struct mview *m = v->priv;
	struct mv_match mm = {t, m, needle};

	return list_search(&m->list, m->nshown, next, mv_matches, &mm);
}

static const struct mem_scope *mv_scope(struct tui *t, struct view *v)
{
	return &((struct mview *)v->priv)->scope;
}

static void mv_leave(struct tui *t, struct view *v)
{
	struct mview *m = v->priv;

	mem_table_free(&m->table);
	free(m->shown);
}

static const struct key_help mv_keys[] = {
	{"1 2 3 4 5 6 7", "sort by allocated, self, allocs, live, peak, leaked, faulted", 0, NULL},
	{"F6 < >", "sort by the next / previous column", 6, "SortBy"},
	{"r I", "reverse the order", 0, NULL},
	{"u", "show or fold the frames every allocation passes through (_start ... main)", 0, NULL},
	{"[ ]", "time range: move its start / its end on the chart with Left Right", 0, NULL},
	{"click", "on the chart: the range's start, then its end; on a header: sort", 0, NULL},
	{"Esc", "clear the time range (without one: back)", 0, NULL},
	{"Enter", "source lines with the sorted column's bytes per line (c, t: the same)", 0, NULL},
	{NULL, NULL, 0, NULL},
};

const struct view_ops view_memory_ops = {
	.name = "memory",
	.help_title = "Memory view",
	.keys = mv_keys,
	.update = mv_update,
	.draw = mv_draw,
	.key = mv_key,
	.leave = mv_leave,
	.selected = mv_selected,
	.search = mv_search,
	.click = mv_click,
	.scope = mv_scope,
	.footer_hint = "1-7 sort  r reverse  [ ] range",
};

struct view *view_memory_new(struct tui *t)
{
	struct mview *m = xcalloc(1, sizeof(*m));

	m->sort = MEM_SORT_ALLOCATED;
	return view_alloc(&view_memory_ops, m);
}
