/* `report --memory`: the RSS summary, one line on what was tracked, the
 * memory table per function; --callers/--callees in bytes. The
 * comparison with a baseline is in report-memdiff.c. */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "report-int.h"
#include "report-memory.h"
#include "xalloc.h"

static bool has_allocations(const struct profile *p)
{
	for (size_t i = 0; i < p->nallocs; i++)
		if (p->allocs[i].kind != PROF_ALLOC_FAULT)
			return true;
	return false;
}

enum mem_sort report_mem_sort(const struct profile *p, const struct report_opts *o)
{
	if (o->mem_sort_set)
		return o->mem_sort;
	return has_allocations(p) || !p->nallocs ? MEM_SORT_ALLOCATED : MEM_SORT_FAULTED;
}

enum query_measure report_mem_measure(const struct profile *p, const struct report_opts *o,
				      uint64_t *at)
{
	struct mem_summary ms = {.valid = false};

	*at = 0;
	switch (report_mem_sort(p, o)) {
	case MEM_SORT_ALLOCS:
		return MEASURE_ALLOCS;
	case MEM_SORT_LIVE:
		return MEASURE_LIVE_BYTES;
	case MEM_SORT_PEAK:
		query_memory(p, o->filter.pid, &ms);
		*at = ms.valid ? ms.peak_rss_time : 0;
		return MEASURE_PEAK_BYTES;
	case MEM_SORT_LEAKED:
		return MEASURE_LEAKED_BYTES;
	case MEM_SORT_FAULTED:
		return MEASURE_FAULT_BYTES;
	case MEM_SORT_ALLOCATED:
	case MEM_SORT_SELF:
	case MEM_SORT_NAME:
		break;
	}
	return MEASURE_ALLOC_BYTES;
}

/* ---- the RSS summary ---- */

static size_t rss_fields(const char *metric, uint64_t start, uint64_t peak, uint64_t end,
			 struct field *f)
{
	f[0] = FSTR("metric", metric);
	f[0].where = CSV_ONLY;
	f[1] = FINT("start", start);
	f[2] = FINT("peak", peak);
	f[3] = FINT("end", end);
	f[4] = FINT("growth", (int64_t)(end - start));
	return 5;
}

/* The RSS and VMS summary: a sentence in text, an object in JSON, a
 * table of two rows (rss, vms) in CSV. */
static void write_rss(struct report *r)
{
	struct mem_summary ms = {.valid = false};
	struct field rss[5], vms[5];
	FILE *out = r->out;
	char a[32], b[32], c[32], d[32];

	query_memory(r->p, r->o->filter.pid, &ms);
	rss_fields("rss", ms.start_rss, ms.peak_rss, ms.end_rss, rss);
	rss_fields("vms", ms.start_vms, ms.peak_vms, ms.end_vms, vms);
	if (r->o->format == REPORT_CSV)
		csv_header(out, rss, 5);
	if (!ms.valid || !ms.points) {
		if (r->o->format != REPORT_CSV)
			fputs(r->o->format == REPORT_TEXT ? "\nmemory: no samples\n"
							  : ",\"memory\":null",
			      out);
		return;
	}
	switch (r->o->format) {
	case REPORT_TEXT:
		fprintf(out, "\nmemory: RSS start %s, peak %s at %.1f s, end %s, growth %c%s; ",
			fmt_bytes(ms.start_rss, a, sizeof(a)), fmt_bytes(ms.peak_rss, b, sizeof(b)),
			ms.peak_rss_time / 1e9, fmt_bytes(ms.end_rss, c, sizeof(c)),
			ms.end_rss < ms.start_rss ? '-' : '+',
			fmt_bytes(ms.end_rss < ms.start_rss ? ms.start_rss - ms.end_rss
							    : ms.end_rss - ms.start_rss,
				  d, sizeof(d)));
		fprintf(out, "VMS start %s, peak %s, end %s\n",
			fmt_bytes(ms.start_vms, a, sizeof(a)), fmt_bytes(ms.peak_vms, b, sizeof(b)),
			fmt_bytes(ms.end_vms, c, sizeof(c)));
		break;
	case REPORT_CSV:
		write_record(out, REPORT_CSV, rss, 5);
		write_record(out, REPORT_CSV, vms, 5);
		break;
	case REPORT_JSON:
		fprintf(out,
			",\"memory\":{\"points\":%zu,\"peak_rss_time_s\":%.3f,\"rss\":", ms.points,
			ms.peak_rss_time / 1e9);
		write_record(out, REPORT_JSON, rss, 5);
		fputs(",\"vms\":", out);
		write_record(out, REPORT_JSON, vms, 5);
		putc('}', out);
		break;
	}
}

/* ---- what was tracked ---- */

/* "64 KiB" for a size that is a whole number of its unit, else fmt_bytes's
 * "1.5 MiB". */
static const char *exact_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (u < 4 && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (v < 1024)
		snprintf(buf, len, "%" PRIu64 " %s", v, units[u]);
	else
		fmt_bytes(v << (10 * u), buf, len);
	return buf;
}

static void text_tracked(struct report *r)
{
	const struct prof_meta *m = &r->p->meta;
	FILE *out = r->out;
	char b[32], n[32];

	fputs("tracked: ", out);
	if (m->alloc_sample == 1)
		fputs("every allocation", out);
	else if (m->alloc_sample)
		fprintf(out, "allocations sampled every %s",
			exact_bytes(m->alloc_sample, b, sizeof(b)));
	else
		fputs("no allocations", out);
	if (m->allocs_lost)
		fprintf(out, " (allocation records dropped: %s)",
			fmt_count(m->allocs_lost, n, sizeof(n)));
	if (m->fault_period == 1)
		fputs("; every page fault (RSS growth)", out);
	else if (m->fault_period)
		fprintf(out, "; one page fault in %" PRIu64 " sampled (RSS growth)", m->fault_period);
	else
		fputs("; no page faults", out);
	putc('\n', out);
	if (m->alloc_note) {
		put_safe(out, m->alloc_note);
		putc('\n', out);
	}
}

static void json_tracked(struct report *r, const struct mem_table *t, enum mem_sort sort)
{
	const struct prof_meta *m = &r->p->meta;
	FILE *out = r->out;

	fprintf(out,
		",\"memory_tracking\":{\"alloc_sample\":%" PRIu64 ",\"fault_period\":%" PRIu64
		",\"allocs_lost\":%" PRIu64 ",\"note\":",
		m->alloc_sample, m->fault_period, m->allocs_lost);
	json_str(out, m->alloc_note);
	fprintf(out, ",\"ended\":%s,\"peak_time_s\":", t->ended ? "true" : "false");
	if (t->peak_known)
		fprintf(out, "%.3f", t->peak_time / 1e9);
	else
		fputs("null", out);
	fputs(",\"sort\":", out);
	json_str(out, query_mem_sort_name(sort));
	fprintf(out, ",\"reverse\":%s}", r->o->reverse ? "true" : "false");
}

/* ---- the memory table ---- */

#define MEM_FIELDS 12

/* The fields of a memory row (row NULL: the keys only; function PROF_NONE:
 * the total). leaked_bytes are unknown (empty, null) while the target
 * runs, peak_bytes when the timeline has no point in the range. */
static size_t mem_fields(const struct profile *p, const struct mem_table *t,
			 const struct mem_row *row, struct field *f)
{
	static const struct mem_row none = {.function = PROF_NONE};
	bool fn = row && row->function != PROF_NONE;
	const struct prof_function *pf = fn ? &p->functions[row->function] : NULL;
	size_t n = 0;

	if (!row)
		row = &none;
	f[n++] = FSTR("function", fn ? profile_function_name(p, row->function) : "");
	f[n++] = FSTR("module", fn ? profile_module_name(p, row->function) : NULL);
	f[n++] = FINT("allocated_bytes", row->allocated_bytes);
	f[n++] = FINT("self_allocated_bytes", row->self_allocated_bytes);
	f[n++] = FINT("allocations", row->allocations);
	f[n++] = FINT("live_bytes", row->live_bytes);
	f[n] = FINT("peak_bytes", row->peak_bytes);
	f[n++].null = t && !t->peak_known;
	f[n] = FINT("leaked_bytes", row->leaked_bytes);
	f[n++].null = t && !t->ended;
	f[n++] = FINT("faulted_bytes", row->faulted_bytes);
	f[n] = FINT("records", row->records);
	f[n++].where = JSON_ONLY;
	f[n] = FSTR("file", pf ? pf->file : NULL);
	f[n++].where = JSON_ONLY;
	f[n] = FINT("line", pf ? pf->start_line : 0);
	f[n].null = !pf || pf->start_line <= 0;
	f[n++].where = JSON_ONLY;
	return n;
}

static const char *mem_sort_title(enum mem_sort s)
{
	switch (s) {
	case MEM_SORT_ALLOCATED:
		return "allocated bytes";
	case MEM_SORT_SELF:
		return "bytes allocated by the function itself";
	case MEM_SORT_ALLOCS:
		return "allocations";
	case MEM_SORT_LIVE:
		return "live bytes";
	case MEM_SORT_PEAK:
		return "live bytes at the RSS peak";
	case MEM_SORT_LEAKED:
		return "leaked bytes";
	case MEM_SORT_FAULTED:
		return "faulted bytes (RSS growth)";
	case MEM_SORT_NAME:
		return "function name";
	}
	return "?";
}

#define MEM_COLS 7
static const char *const mem_titles[MEM_COLS] = {"allocated", "self",	"allocs", "live",
						 "peak",      "leaked", "faulted"};

static void text_mem_row(struct report *r, const struct mem_table *t, const struct mem_row *row)
{
	uint64_t v[MEM_COLS] = {row->allocated_bytes, row->self_allocated_bytes, row->allocations,
				row->live_bytes,      row->peak_bytes,		 row->leaked_bytes,
				row->faulted_bytes};
	char buf[32];

	for (int c = 0; c < MEM_COLS; c++) {
		const char *cell;

		if ((c == 4 && !t->peak_known) || (c == 5 && !t->ended))
			cell = "-";
		else if (c == 2)
			cell = fmt_count(v[c], buf, sizeof(buf));
		else
			cell = fmt_bytes(v[c], buf, sizeof(buf));
		fprintf(r->out, "%s%10s", c ? " " : "", cell);
	}
	fputs("  ", r->out);
	if (row->function == PROF_NONE)
		fputs("(all functions)", r->out);
	else
		text_function_label(r->out, r->p, row->function);
	putc('\n', r->out);
}

static void text_mem_table(struct report *r, const struct mem_table *t, enum mem_sort sort)
{
	FILE *out = r->out;
	size_t shown = rows_shown(r, t->n);

	fprintf(out,
		"\nMemory by function (columns include what it called; self: allocated by "
		"the function itself), ordered by %s%s:\n\n",
		mem_sort_title(sort), r->o->reverse ? ", reversed" : "");
	for (int c = 0; c < MEM_COLS; c++)
		fprintf(out, "%s%10s", c ? " " : "", mem_titles[c]);
	fputs("  function (file:line) [module]\n", out);
	for (size_t i = 0; i < shown; i++)
		text_mem_row(r, t, &t->rows[i]);
	if (!t->n) {
		fputs("  (none)\n", out);
		return;
	}
	if (shown < t->n)
		fprintf(out, "(showing %zu of %zu functions; --limit 0 for all)\n", shown, t->n);
	text_mem_row(r, t, &t->total);
	if (!t->ended && t->total.allocated_bytes)
		fputs("leaked: - while the target runs (known once it has ended)\n", out);
}

void write_memory(struct report *r)
{
	const struct report_opts *o = r->o;
	enum mem_sort sort = report_mem_sort(r->p, o);
	struct field f[MEM_FIELDS];
	struct mem_table t;
	size_t shown;

	if (o->format == REPORT_CSV && o->mem_diff) { /* one table: the comparison */
		write_mem_diff(r);
		return;
	}
	query_mem_table(r->p, &o->filter, sort, o->reverse, &t);
	shown = rows_shown(r, t.n);
	switch (o->format) {
	case REPORT_TEXT:
		write_rss(r);
		text_tracked(r);
		text_mem_table(r, &t, sort);
		break;
	case REPORT_CSV:
		/* The function table first (its header on the first line), then
		 * the RSS summary after a blank line. */
		csv_header(r->out, f, mem_fields(r->p, NULL, NULL, f));
		for (size_t i = 0; i < shown; i++)
			write_record(r->out, REPORT_CSV, f, mem_fields(r->p, &t, &t.rows[i], f));
		putc('\n', r->out);
		write_rss(r);
		break;
	case REPORT_JSON:
		write_rss(r);
		json_tracked(r, &t, sort);
		fputs(",\"memory_total\":", r->out);
		write_record(r->out, REPORT_JSON, f, mem_fields(r->p, &t, &t.total, f));
		fprintf(r->out, ",\"memory_functions_total\":%zu,\"memory_functions\":[", t.n);
		for (size_t i = 0; i < shown; i++) {
			fputs(i ? ",\n" : "\n", r->out);
			write_record(r->out, REPORT_JSON, f, mem_fields(r->p, &t, &t.rows[i], f));
		}
		fputs("]", r->out);
		break;
	}
	if (o->mem_diff)
		write_mem_diff(r);
	mem_table_free(&t);
}

/* ---- callers and callees in bytes ---- */

/* What the measure counts, as a field name's tail and a column title. */
static const char *measure_key(enum query_measure m)
{
	switch (m) {
	case MEASURE_ALLOCS:
		return "allocations";
	case MEASURE_LIVE_BYTES:
		return "live_bytes";
	case MEASURE_PEAK_BYTES:
		return "peak_bytes";
	case MEASURE_LEAKED_BYTES:
		return "leaked_bytes";
	case MEASURE_FAULT_BYTES:
		return "faulted_bytes";
	case MEASURE_TIME:
	case MEASURE_ALLOC_BYTES:
		break;
	}
	return "allocated_bytes";
}

const char *report_measure_title(enum query_measure m)
{
	switch (m) {
	case MEASURE_ALLOCS:
		return "allocations";
	case MEASURE_LIVE_BYTES:
		return "live bytes";
	case MEASURE_PEAK_BYTES:
		return "live bytes at the RSS peak";
	case MEASURE_LEAKED_BYTES:
		return "leaked bytes";
	case MEASURE_FAULT_BYTES:
		return "faulted bytes (RSS growth)";
	case MEASURE_TIME:
		return "time";
	case MEASURE_ALLOC_BYTES:
		break;
	}
	return "allocated bytes";
}

char *report_amount(enum query_measure m, uint64_t v, char *buf, size_t len)
{
	return m == MEASURE_ALLOCS ? fmt_count(v, buf, len) : fmt_bytes(v, buf, len);
}

void report_amount_fields(enum query_measure m, uint64_t self, uint64_t total, struct field *f)
{
	static const char *const keys[][2] = {
		[MEASURE_TIME] = {"self_ns", "total_ns"},
		[MEASURE_ALLOC_BYTES] = {"self_allocated_bytes", "total_allocated_bytes"},
		[MEASURE_ALLOCS] = {"self_allocations", "total_allocations"},
		[MEASURE_LIVE_BYTES] = {"self_live_bytes", "total_live_bytes"},
		[MEASURE_PEAK_BYTES] = {"self_peak_bytes", "total_peak_bytes"},
		[MEASURE_LEAKED_BYTES] = {"self_leaked_bytes", "total_leaked_bytes"},
		[MEASURE_FAULT_BYTES] = {"self_faulted_bytes", "total_faulted_bytes"},
	};
	size_t k = (size_t)m < sizeof(keys) / sizeof(*keys) ? (size_t)m : MEASURE_ALLOC_BYTES;

	f[0] = FINT(keys[k][0], self);
	f[1] = FINT(keys[k][1], total);
}

#define MEM_REL_FIELDS 8

static size_t rel_fields(struct report *r, const struct func_row *row, const char *relation,
			 struct field *f)
{
	size_t n = 0;

	if (relation)
		f[n++] = FSTR("relation", relation);
	f[n++] = FSTR("function", row ? profile_function_name(r->p, row->function) : "");
	f[n++] = FSTR("module", row ? profile_module_name(r->p, row->function) : NULL);
	report_amount_fields(r->o->filter.measure, row ? row->self_ns : 0, row ? row->total_ns : 0,
			     f + n);
	n += 2;
	f[n++] = FREAL("self_pct", row ? row->self_pct : 0, 2);
	f[n++] = FREAL("total_pct", row ? row->total_pct : 0, 2);
	f[n++] = FINT("records", row ? row->total_samples : 0);
	return n;
}

static void text_rel_row(struct report *r, const struct func_row *row)
{
	enum query_measure m = r->o->filter.measure;
	char a[32], b[32];

	fprintf(r->out, "%10s %10s %6.1f%% %6.1f%%  ", report_amount(m, row->self_ns, a, sizeof(a)),
		report_amount(m, row->total_ns, b, sizeof(b)), row->self_pct, row->total_pct);
	text_function_label(r->out, r->p, row->function);
	putc('\n', r->out);
}

static void text_rel_header(struct report *r)
{
	fprintf(r->out, "%10s %10s %7s %7s  %s\n", "self", "total", "%self", "%total",
		"function (file:line) [module]");
}

void write_mem_relatives_header(struct report *r)
{
	struct field f[MEM_REL_FIELDS];

	csv_header(r->out, f, rel_fields(r, NULL, "", f));
}

void mem_function_record(struct report *r, const struct func_row *row)
{
	struct field f[MEM_REL_FIELDS];

	write_record(r->out, REPORT_JSON, f, rel_fields(r, row, NULL, f));
}

/* Callers (callees == false) or callees of fn, after fn's own row, counting
 * r->o->filter.measure. */
void write_mem_relatives(struct report *r, uint32_t fn, bool callees, bool own)
{
	struct func_row self = own_row(r, fn);
	struct field f[MEM_REL_FIELDS];
	struct func_table t;
	FILE *out = r->out;
	const char *what = callees ? "callees" : "callers";
	size_t shown;

	if (callees)
		query_callees(r->p, &r->o->filter, fn, &t);
	else
		query_callers(r->p, &r->o->filter, fn, &t);
	shown = rows_shown(r, t.n);
	switch (r->o->format) {
	case REPORT_TEXT:
		if (own) {
			fprintf(out, "\nFunction (%s):\n",
				report_measure_title(r->o->filter.measure));
			text_rel_header(r);
			text_rel_row(r, &self);
		}
		fprintf(out, "\n%s of ", callees ? "Callees" : "Callers");
		put_safe(out, profile_function_name(r->p, fn));
		fprintf(out, " (%s):\n", report_measure_title(r->o->filter.measure));
		text_rel_header(r);
		for (size_t i = 0; i < shown; i++)
			text_rel_row(r, &t.rows[i]);
		if (!t.n)
			fputs("  (none)\n", out);
		else if (shown < t.n)
			fprintf(out, "(showing %zu of %zu %s; --limit 0 for all)\n", shown, t.n,
				what);
		break;
	case REPORT_CSV:
		if (own)
			write_record(out, REPORT_CSV, f, rel_fields(r, &self, "function", f));
		for (size_t i = 0; i < shown; i++)
			write_record(out, REPORT_CSV, f,
				     rel_fields(r, &t.rows[i], callees ? "callee" : "caller", f));
		break;
	case REPORT_JSON:
		fprintf(out, ",\"%s\":{\"measure\":\"%s\",\"function\":", what,
			measure_key(r->o->filter.measure));
		write_record(out, REPORT_JSON, f, rel_fields(r, &self, NULL, f));
		fprintf(out, ",\"total\":%zu,\"rows\":[", t.n);
		for (size_t i = 0; i < shown; i++) {
			fputs(i ? ",\n" : "\n", out);
			write_record(out, REPORT_JSON, f, rel_fields(r, &t.rows[i], NULL, f));
		}
		fputs("]}", out);
		break;
	}
	func_table_free(&t);
}
