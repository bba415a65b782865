/* `report --memory --baseline OLD`: each function's memory beside the
 * baseline's (allocated bytes, live, leaked, faulted), flagged past
 * --threshold percent; text, CSV and JSON inside the report, Markdown on
 * its own for a CI comment. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"
#include "report-memory.h"
#include "xalloc.h"

/* ---- matching the two tables ---- */

/* The profiled program's own executable matches whatever its file is
 * called (./prog-old against ./prog-new). */
#define MAIN_MODULE "\001main"

struct mem_entry {
	const char *name, *module;
	const struct profile *p;
	const struct mem_row *row;
	bool base;
};

static bool is_main_module(const struct profile *p, const char *name)
{
	const char *cmd = p->meta.command, *start, *end;

	if (!cmd || !name)
		return false;
	end = cmd + strcspn(cmd, " ");
	for (start = end; start > cmd && start[-1] != '/';)
		start--;
	return (size_t)(end - start) == strlen(name) &&
	       !strncmp(start, name, (size_t)(end - start));
}

static const char *entry_module(const struct profile *p, uint32_t fn)
{
	const char *name = profile_module_name(p, fn);

	return is_main_module(p, name) ? MAIN_MODULE : name;
}

static int cmp_entry(const void *va, const void *vb)
{
	const struct mem_entry *a = va, *b = vb;
	int c = strcmp(a->name, b->name);

	if (!c)
		c = strcmp(a->module, b->module);
	if (!c)
		c = (int)a->base - (int)b->base;
	return c;
}

static void row_add(struct mem_row *a, const struct mem_row *b)
{
	a->allocated_bytes += b->allocated_bytes;
	a->self_allocated_bytes += b->self_allocated_bytes;
	a->allocations += b->allocations;
	a->live_bytes += b->live_bytes;
	a->peak_bytes += b->peak_bytes;
	a->leaked_bytes += b->leaked_bytes;
	a->faulted_bytes += b->faulted_bytes;
	a->records += b->records;
}

static uint64_t compared(const struct mem_diff *d, const struct mem_row *row)
{
	return d->faults_only ? row->faulted_bytes : row->allocated_bytes;
}

/* The change from base to cur in percent of base; INFINITY when base is 0
 * and cur is not. */
static double change_pct(uint64_t base, uint64_t cur)
{
	if (!base)
		return cur ? INFINITY : 0.0;
	return 100.0 * ((double)cur - (double)base) / (double)base;
}

static int64_t delta(uint64_t base, uint64_t cur)
{
	return (int64_t)(cur - base);
}

struct sort_ctx {
	const struct mem_diff *d;
	bool reverse;
};

/* Largest growth first, ties by name. */
static int cmp_diff_row(const void *va, const void *vb, void *vctx)
{
	const struct mem_diff_row *a = va, *b = vb;
	const struct sort_ctx *ctx = vctx;
	const struct mem_diff *d = ctx->d;
	int64_t da = delta(compared(d, &a->base), compared(d, &a->cur));
	int64_t db = delta(compared(d, &b->base), compared(d, &b->cur));
	int c = da > db ? -1 : da < db;

	if (ctx->reverse)
		c = -c;
	if (!c)
		c = strcmp(profile_function_name(a->prof, a->function),
			   profile_function_name(b->prof, b->function));
	return c;
}

void mem_diff_compute(const struct profile *cur, const struct profile *base,
		      const struct query_filter *f, bool reverse, bool flag, double threshold,
		      struct mem_diff *out)
{
	struct mem_table tc, tb;
	struct mem_entry *e;
	size_t n = 0;
	uint64_t floor;

	*out = (struct mem_diff){
		.cur_profile = cur, .base_profile = base, .flag = flag, .threshold = threshold};
	query_mem_table(cur, f, MEM_SORT_NAME, false, &tc);
	query_mem_table(base, f, MEM_SORT_NAME, false, &tb);
	out->cur_total = tc.total;
	out->base_total = tb.total;
	out->faults_only = !tc.total.allocated_bytes && !tb.total.allocated_bytes;
	e = xcalloc(tc.n + tb.n + 1, sizeof(*e));
	for (size_t i = 0; i < tc.n; i++)
		e[n++] = (struct mem_entry){profile_function_name(cur, tc.rows[i].function),
					    entry_module(cur, tc.rows[i].function), cur,
					    &tc.rows[i], false};
	for (size_t i = 0; i < tb.n; i++)
		e[n++] = (struct mem_entry){profile_function_name(base, tb.rows[i].function),
					    entry_module(base, tb.rows[i].function), base,
					    &tb.rows[i], true};
	if (n > 1) /* qsort's base may not be NULL, even for 0 */
		qsort(e, n, sizeof(*e), cmp_entry);
	out->rows = xcalloc(n + 1, sizeof(*out->rows));
	for (size_t i = 0, j; i < n; i = j) {
		struct mem_diff_row *d = &out->rows[out->n++];

		*d = (struct mem_diff_row){.prof = e[i].p, .function = e[i].row->function};
		for (j = i;
		     j < n && !strcmp(e[j].name, e[i].name) && !strcmp(e[j].module, e[i].module);
		     j++)
			row_add(e[j].base ? &d->base : &d->cur, e[j].row);
		d->cur.function = d->base.function = PROF_NONE;
	}
	/* A change smaller than 1% of the larger total is sampling noise. */
	floor = compared(out, &out->cur_total) > compared(out, &out->base_total)
			? compared(out, &out->cur_total)
			: compared(out, &out->base_total);
	floor /= 100;
	for (size_t i = 0; i < out->n; i++) {
		struct mem_diff_row *d = &out->rows[i];
		uint64_t b = compared(out, &d->base), c = compared(out, &d->cur);

		d->pct = change_pct(b, c);
		d->regression = flag && c > b && c - b >= floor && d->pct > threshold;
		out->regressions += d->regression;
	}
	qsort_r(out->rows, out->n, sizeof(*out->rows), cmp_diff_row,
		&(struct sort_ctx){out, reverse});
	free(e);
	mem_table_free(&tc);
	mem_table_free(&tb);
}

void mem_diff_free(struct mem_diff *d)
{
	free(d->rows);
	d->rows = NULL;
	d->n = 0;
}

/* ---- text, CSV, JSON ---- */

static const char *measure_name(const struct mem_diff *d)
{
	return d->faults_only ? "faulted bytes" : "allocated bytes";
}

/* "+30.0%", "new", or "0.0%" */
static const char *pct_text(double pct, char *buf, size_t len)
{
	if (isinf(pct))
		snprintf(buf, len, "new");
	else
		snprintf(buf, len, "%+.1f%%", pct);
	return buf;
}

/* "+1.5 MiB", "-12 B" */
static const char *delta_text(uint64_t base, uint64_t cur, char *buf, size_t len)
{
	char b[32];

	snprintf(buf, len, "%c%s", cur < base ? '-' : '+',
		 fmt_bytes(cur < base ? base - cur : cur - base, b, sizeof(b)));
	return buf;
}

#define MEMDIFF_FIELDS 17

static struct field freal_pct(const char *key, double v)
{
	struct field f = FREAL(key, v, 2);

	f.null = !isfinite(v);
	return f;
}

/* The fields of a comparison row (d NULL: the keys only). */
static size_t memdiff_fields(const struct mem_diff_row *d, struct field *f)
{
	static const struct mem_diff_row none = {.function = PROF_NONE};
	bool fn = d && d->function != PROF_NONE;
	size_t n = 0;

	if (!d)
		d = &none;
	f[n++] = FSTR("function", fn ? profile_function_name(d->prof, d->function) : "");
	f[n++] = FSTR("module", fn ? profile_module_name(d->prof, d->function) : NULL);
	f[n++] = FINT("base_allocated_bytes", d->base.allocated_bytes);
	f[n++] = FINT("allocated_bytes", d->cur.allocated_bytes);
	f[n++] = FINT("delta_allocated_bytes",
		      delta(d->base.allocated_bytes, d->cur.allocated_bytes));
	f[n++] = freal_pct("delta_allocated_pct",
			   change_pct(d->base.allocated_bytes, d->cur.allocated_bytes));
	f[n++] = FINT("base_live_bytes", d->base.live_bytes);
	f[n++] = FINT("live_bytes", d->cur.live_bytes);
	f[n++] = FINT("base_leaked_bytes", d->base.leaked_bytes);
	f[n++] = FINT("leaked_bytes", d->cur.leaked_bytes);
	f[n++] = FINT("base_faulted_bytes", d->base.faulted_bytes);
	f[n++] = FINT("faulted_bytes", d->cur.faulted_bytes);
	f[n++] = FINT("delta_faulted_bytes", delta(d->base.faulted_bytes, d->cur.faulted_bytes));
	f[n++] = freal_pct("delta_faulted_pct",
			   change_pct(d->base.faulted_bytes, d->cur.faulted_bytes));
	f[n] = FINT("regression", d->regression);
	f[n++].where = CSV_ONLY;
	f[n++] = FBOOL("regression", d->regression);
	return n;
}

static void text_totals(FILE *out, const struct mem_diff *d)
{
	char a[32], b[32], c[32];
	uint64_t base = compared(d, &d->base_total), cur = compared(d, &d->cur_total);

	fputs("\nMemory compared with: ", out);
	put_safe(out, d->base_profile->meta.command ? d->base_profile->meta.command
						    : "(unknown command)");
	fprintf(out, "\n%s: %s -> %s (%s)\n", measure_name(d), fmt_bytes(base, a, sizeof(a)),
		fmt_bytes(cur, b, sizeof(b)), pct_text(change_pct(base, cur), c, sizeof(c)));
	fputs("Memory records are not repeated runs: there is no test of significance, and "
	      "changes under 1% of the total are not flagged.\n",
	      out);
	if (d->flag)
		fprintf(out, "%zu regression%s: %s up by more than %g%% (!)\n", d->regressions,
			d->regressions == 1 ? "" : "s", measure_name(d), d->threshold);
}

static void text_memdiff(struct report *r, const struct mem_diff *d, size_t shown)
{
	FILE *out = r->out;
	char v[8][32];

	text_totals(out, d);
	fprintf(out, "\n  %10s %10s %10s %7s %10s %10s %10s %10s  %s\n", "before", "now", "change",
		"%", "live then", "live now", "leak then", "leak now",
		"function (file:line) [module]");
	for (size_t i = 0; i < shown; i++) {
		const struct mem_diff_row *row = &d->rows[i];
		uint64_t b = compared(d, &row->base), c = compared(d, &row->cur);

		fprintf(out, "%c %10s %10s %10s %7s %10s %10s %10s %10s  ",
			row->regression ? '!' : ' ', fmt_bytes(b, v[0], 32), fmt_bytes(c, v[1], 32),
			delta_text(b, c, v[2], 32), pct_text(row->pct, v[3], 32),
			fmt_bytes(row->base.live_bytes, v[4], 32),
			fmt_bytes(row->cur.live_bytes, v[5], 32),
			fmt_bytes(row->base.leaked_bytes, v[6], 32),
			fmt_bytes(row->cur.leaked_bytes, v[7], 32));
		text_function_label(out, row->prof, row->function);
		putc('\n', out);
	}
	if (!d->n)
		fputs("  (none)\n", out);
	else if (shown < d->n)
		fprintf(out, "(showing %zu of %zu functions; --limit 0 for all)\n", shown, d->n);
}

void write_mem_diff(struct report *r)
{
	const struct mem_diff *d = r->o->mem_diff;
	struct field f[MEMDIFF_FIELDS];
	size_t shown = rows_shown(r, d->n);
	FILE *out = r->out;

	switch (r->o->format) {
	case REPORT_TEXT:
		text_memdiff(r, d, shown);
		break;
	case REPORT_CSV:
		csv_header(out, f, memdiff_fields(NULL, f));
		for (size_t i = 0; i < shown; i++)
			write_record(out, REPORT_CSV, f, memdiff_fields(&d->rows[i], f));
		break;
	case REPORT_JSON:
		fputs(",\"memory_baseline\":{\"command\":", out);
		json_str(out, d->base_profile->meta.command);
		fprintf(out,
			",\"measure\":\"%s\",\"flag\":%s,\"threshold_pct\":%g,"
			"\"regressions\":%zu,\"total\":",
			d->faults_only ? "faulted_bytes" : "allocated_bytes",
			d->flag ? "true" : "false", d->threshold, d->regressions);
		write_record(out, REPORT_JSON, f,
			     memdiff_fields(&(struct mem_diff_row){.prof = r->p,
								   .function = PROF_NONE,
								   .cur = d->cur_total,
								   .base = d->base_total},
					    f));
		fprintf(out, ",\"functions_total\":%zu,\"functions\":[", d->n);
		for (size_t i = 0; i < shown; i++) {
			fputs(i ? ",\n" : "\n", out);
			write_record(out, REPORT_JSON, f, memdiff_fields(&d->rows[i], f));
		}
		fputs("]}", out);
		break;
	}
}

/* ---- Markdown ---- */

static void md_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (strchr("\\`*_[]<>|~", c))
			putc('\\', out);
		putc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

static void md_row(FILE *out, const struct mem_diff *d, const struct mem_diff_row *row)
{
	uint64_t b = compared(d, &row->base), c = compared(d, &row->cur);
	char v[6][32];

	fputs(row->regression ? "| **regression** | " : "| | ", out);
	md_text(out, profile_function_name(row->prof, row->function));
	fputs(" | ", out);
	md_text(out, profile_module_name(row->prof, row->function));
	fprintf(out, " | %s | %s | %s | %s | %s | %s |\n", fmt_bytes(b, v[0], 32),
		fmt_bytes(c, v[1], 32), delta_text(b, c, v[2], 32), pct_text(row->pct, v[3], 32),
		fmt_bytes(row->cur.live_bytes, v[4], 32),
		fmt_bytes(row->cur.leaked_bytes, v[5], 32));
}

int report_mem_diff_markdown(FILE *out, const struct mem_diff *d, const struct report_opts *o)
{
	size_t limit = o->limit ? o->limit : d->n, listed = 0;
	struct report_locale loc;
	uint64_t base = compared(d, &d->base_total), cur = compared(d, &d->cur_total);
	char a[32], b[32], c[32];

	report_c_numeric(&loc);
	if (!d->flag)
		fputs("### proftop: memory compared with the baseline\n\n", out);
	else if (d->regressions)
		fprintf(out, "### proftop: MEMORY REGRESSION (%zu function%s)\n\n", d->regressions,
			d->regressions == 1 ? "" : "s");
	else
		fputs("### proftop: no memory regression\n\n", out);
	fputs("Baseline: ", out);
	md_text(out, d->base_profile->meta.command ? d->base_profile->meta.command : "?");
	fputs("; now: ", out);
	md_text(out, d->cur_profile->meta.command ? d->cur_profile->meta.command : "?");
	fprintf(out,
		".\n\nTotal %s: %s \xe2\x86\x92 %s (%s). No test of significance (memory "
		"records are not repeated runs)",
		measure_name(d), fmt_bytes(base, a, sizeof(a)), fmt_bytes(cur, b, sizeof(b)),
		pct_text(change_pct(base, cur), c, sizeof(c)));
	if (d->flag)
		fprintf(out, "; flagged: %s up by more than %g%% and 1%% of the total",
			measure_name(d), d->threshold);
	fprintf(out, ".\n\n| | function | module | before | now | \xce\x94 | \xce\x94%% | live "
		     "now | leaked now |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n");
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < d->n; i++) {
			if (d->rows[i].regression != (pass == 0) || (pass == 1 && listed >= limit))
				continue;
			md_row(out, d, &d->rows[i]);
			listed++;
		}
	}
	if (listed < d->n)
		fprintf(out, "\n%zu of %zu functions shown.\n", listed, d->n);
	report_c_numeric_end(&loc);
	return report_flush(out);
}
