/* The comparison with a baseline (--baseline): text, CSV and JSON inside
 * the report, and Markdown on its own for a CI comment. */
#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "diff.h"
#include "report-diff.h"
#include "report-int.h"
#include "xalloc.h"

#define DIFF_FIELDS 22

/* A real that may be unknown (NAN) or infinite (a function new since the
 * baseline has no percentage): null in JSON, empty in CSV. */
static struct field freal(const char *key, double v, int prec)
{
	struct field f = FREAL(key, v, prec);

	f.null = !isfinite(v);
	return f;
}

static const char *verdict_name(enum diff_verdict v)
{
	switch (v) {
	case DIFF_REGRESSION:
		return "regression";
	case DIFF_IMPROVEMENT:
		return "improvement";
	case DIFF_SAME:
		break;
	}
	return "same";
}

/* The change columns of a diff row (d NULL: the keys only). */
static size_t diff_fields(const struct diff_row *d, struct field *f)
{
	static const struct diff_row none;

	if (!d)
		d = &none;
	f[0] = FREAL("delta_self_pct", d->d_self_pct, 2);
	f[1] = FREAL("delta_total_pct", d->d_total_pct, 2);
	f[2] = FREAL("delta_tottime", d->self.delta, 6);
	f[3] = FREAL("base_self_pct", d->base.self_pct, 2);
	f[4] = FREAL("base_total_pct", d->base.total_pct, 2);
	f[5] = FREAL("base_tottime", d->self.base, 6);
	f[6] = FINT("regression", d->regression);
	f[6].where = CSV_ONLY;
	f[7] = FBOOL("regression", d->regression);
	f[8] = FSTR("verdict", verdict_name(d->verdict));
	f[9] = freal("delta_tottime_pct", d->self.pct, 2);
	f[10] = freal("delta_tottime_half", d->self.half, 6);
	f[11] = freal("delta_tottime_p", d->self.p, 6);
	f[12] = FREAL("base_cumtime", d->cum.base, 6);
	f[13] = FREAL("delta_cumtime", d->cum.delta, 6);
	f[14] = freal("delta_cumtime_pct", d->cum.pct, 2);
	f[15] = freal("delta_cumtime_half", d->cum.half, 6);
	f[16] = freal("delta_cumtime_p", d->cum.p, 6);
	f[17] = freal("delta_self_pct_half", d->share.half, 2);
	f[18] = freal("delta_self_pct_p", d->share.p, 6);
	f[19] = FREAL("run_tottime", d->self.cur, 6);
	f[20] = FREAL("run_cumtime", d->cum.cur, 6);
	f[21] = FREAL("tottime_df", isfinite(d->self.df) ? d->self.df : 0, 2);
	f[21].null = !isfinite(d->self.df);
	return DIFF_FIELDS;
}

static void diff_record(struct report *r, const struct diff_row *d)
{
	struct field f[FUNC_FIELDS + DIFF_FIELDS];
	size_t n = d ? func_fields(d->prof, &d->row, NULL, f) : func_fields(r->p, NULL, NULL, f);

	n += diff_fields(d, f + n);
	if (d)
		write_record(r->out, r->o->format, f, n);
	else
		csv_header(r->out, f, n);
}

/* Under --sort delta a --limit keeps both ends of the table: the largest
 * regressions first and the largest improvements last. Whether row i is
 * shown, given that shown of n rows are. */
static bool diff_row_shown(const struct diff_table *t, size_t shown, size_t i)
{
	size_t head = t->opts.by_delta ? (shown + 1) / 2 : shown;

	return i < head || (t->opts.by_delta && i >= t->n - (shown - head));
}

/* "10%", "0.05 s" or "2.0 points": the threshold as given. */
static const char *threshold_text(const struct diff_opts *o, char *buf, size_t len)
{
	switch (o->unit) {
	case DIFF_PERCENT:
		snprintf(buf, len, "%g%% of the function's own or cumulative time", o->threshold);
		break;
	case DIFF_SECONDS:
		snprintf(buf, len, "%g s of own or cumulative time", o->threshold);
		break;
	case DIFF_POINTS:
		snprintf(buf, len, "%.1f points of %%self", o->threshold);
		break;
	}
	return buf;
}

/* "+41.9%", "new", or "" when unknown. */
static const char *pct_text(const struct diff_estimate *e, char *buf, size_t len)
{
	if (isinf(e->pct))
		snprintf(buf, len, "new");
	else if (isnan(e->pct))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.1f%%", e->pct);
	return buf;
}

static bool normalised(const struct diff_opts *o)
{
	return o->per_cur > 0 || o->per_output;
}

/* What the times are: per run, per unit of work, normalised or not. */
static const char *unit_text(const struct diff_opts *o)
{
	return normalised(o) ? "per unit of work (--per)" : "per run";
}

static void text_estimate(FILE *out, const char *what, const struct diff_estimate *e,
			  const struct diff_opts *o)
{
	char pct[32];

	fprintf(out, "%s %s: %.4g s -> %.4g s, %+.3g s (%s)", what, unit_text(o), e->base, e->cur,
		e->delta, pct_text(e, pct, sizeof(pct)));
	if (isfinite(e->half))
		fprintf(out, ", \xc2\xb1%.2g s at %g%%%s\n", e->half, o->confidence * 100,
			e->significant ? "" : ": within the noise");
	else
		fputs(", no estimate of its noise (record --repeat N)\n", out);
}

static void text_summary(FILE *out, const struct diff_table *t)
{
	const struct profile *b = t->base_profile;
	const struct diff_opts *o = &t->opts;
	char thr[96];

	fputs("\nCompared with: ", out);
	put_safe(out, b->meta.command ? b->meta.command : "(unknown command)");
	fprintf(out, " (%" PRIu64 " samples, %zu run%s; now %zu run%s)\n", b->total_samples, t->base_runs,
		t->base_runs == 1 ? "" : "s", t->cur_runs, t->cur_runs == 1 ? "" : "s");
	text_estimate(out, "CPU", &t->cpu, o);
	text_estimate(out, "Wall", &t->wall, o);
	if (o->per_output) {
		fputs("Times are per unit of work: each run's count is the number after '", out);
		put_safe(out, o->per_output);
		fputs("' in its output.\n", out);
	} else if (o->per_cur > 0) {
		fprintf(out, "Times are per unit of work: %g units per run now, %g before.\n",
			o->per_cur, o->per_base);
	} else {
		fputs("Times are per run of the command, not normalised to work done (--per).\n",
		      out);
	}
	if (t->cur_runs < 2 || t->base_runs < 2)
		fputs("Intervals count sampling error only: record --repeat N to measure the "
		      "run-to-run noise too.\n",
		      out);
	if (o->flag)
		fprintf(out,
			"%zu regression%s, %zu improvement%s: a change past %s, significant at "
			"%g%% (! slower, - faster)\n",
			t->regressions, t->regressions == 1 ? "" : "s", t->improvements,
			t->improvements == 1 ? "" : "s", threshold_text(o, thr, sizeof(thr)),
			o->confidence * 100);
}

static void text_change(FILE *out, const struct diff_estimate *e)
{
	char pct[32];

	fprintf(out, " %+9.3f", e->delta);
	if (isfinite(e->half))
		fprintf(out, " \xc2\xb1%-7.3f", e->half);
	else
		fprintf(out, " %-8s", "");
	fprintf(out, "%7s", pct_text(e, pct, sizeof(pct)));
}

static void text_diff(struct report *r, const struct diff_table *t, size_t shown)
{
	FILE *out = r->out;

	text_summary(out, t);
	fprintf(out, "\nOrdered by: %s%s\n\n",
		t->opts.by_delta ? "largest regression (\xce\x94tottime)" : sort_title(r->o->sort),
		r->o->reverse ? ", reversed" : "");
	/* Columns as text_change() prints them: 10, 9 and 7 wide. */
	fputs("   \xce\x94tottime         "
	      "     \xce\x94%"
	      "  \xce\x94"
	      "cumtime         "
	      "     \xce\x94%",
	      out);
	text_table_header(out, r->p);
	for (size_t i = 0; i < t->n; i++) {
		const struct diff_row *d = &t->rows[i];

		if (!diff_row_shown(t, shown, i)) {
			if (i == 0 || diff_row_shown(t, shown, i - 1))
				fprintf(out, "   ...  (%zu rows of smaller change)\n",
					t->n - shown);
			continue;
		}
		putc(d->verdict == DIFF_REGRESSION    ? '!'
		     : d->verdict == DIFF_IMPROVEMENT ? '-'
						      : ' ',
		     out);
		text_change(out, &d->self);
		text_change(out, &d->cum);
		text_row(out, d->prof, &d->row);
	}
	if (!t->n)
		fputs("  (none)\n", out);
	else if (shown < t->n)
		fprintf(out, "(showing %zu of %zu functions; --limit 0 for all)\n", shown, t->n);
}

static void json_estimate(FILE *out, const char *key, const struct diff_estimate *e)
{
	struct field f[8] = {
		FREAL("base_s", e->base, 6),	      FREAL("cur_s", e->cur, 6),
		FREAL("delta_s", e->delta, 6),	      freal("delta_pct", e->pct, 2),
		freal("half_s", e->half, 6),	      freal("p", e->p, 6),
		FBOOL("significant", e->significant), freal("df", e->df, 2),
	};

	fprintf(out, ",\"%s\":", key);
	write_record(out, REPORT_JSON, f, 8);
}

static const char *unit_name(enum diff_unit u)
{
	return u == DIFF_PERCENT ? "percent" : u == DIFF_SECONDS ? "seconds" : "points";
}

static void json_diff(struct report *r, const struct diff_table *t, size_t shown)
{
	const struct profile *b = t->base_profile;
	const struct diff_opts *o = &t->opts;
	FILE *out = r->out;

	fputs(",\"baseline\":{\"command\":", out);
	json_str(out, b->meta.command);
	fprintf(out,
		",\"samples\":%" PRIu64 ",\"cpu_s\":%.6f,\"sort_delta\":%s,\"threshold\":", b->total_samples,
		b->total_weight / 1e9, o->by_delta ? "true" : "false");
	if (o->flag)
		fprintf(out, "%.2f", o->threshold);
	else
		fputs("null", out);
	fprintf(out, ",\"regressions\":%zu", t->regressions);
	fprintf(out,
		",\"threshold_unit\":\"%s\",\"confidence\":%.4f,\"improvements\":%zu,"
		"\"runs\":%zu,\"base_runs\":%zu,\"normalised\":%s",
		unit_name(o->unit), o->confidence, t->improvements, t->cur_runs, t->base_runs,
		normalised(o) ? "true" : "false");
	if (o->per_output) {
		fputs(",\"per_output\":", out);
		json_str(out, o->per_output);
	} else if (o->per_cur > 0)
		fprintf(out, ",\"per\":%.6g,\"base_per\":%.6g", o->per_cur, o->per_base);
	json_estimate(out, "run_cpu", &t->cpu);
	json_estimate(out, "run_wall", &t->wall);
	fputs("}", out);
	fprintf(out, ",\"functions_total\":%zu,\"functions\":[", t->n);
	for (size_t i = 0, k = 0; i < t->n; i++) {
		if (!diff_row_shown(t, shown, i))
			continue;
		fputs(k++ ? ",\n" : "\n", out);
		diff_record(r, &t->rows[i]);
	}
	fputs("]", out);
}

void write_diff(struct report *r)
{
	const struct diff_table *t = r->o->diff;
	size_t shown = rows_shown(r, t->n);

	switch (r->o->format) {
	case REPORT_TEXT:
		text_diff(r, t, shown);
		break;
	case REPORT_CSV:
		diff_record(r, NULL);
		for (size_t i = 0; i < t->n; i++)
			if (diff_row_shown(t, shown, i))
				diff_record(r, &t->rows[i]);
		break;
	case REPORT_JSON:
		json_diff(r, t, shown);
		break;
	}
}

/* ---- --lines FUNC with --baseline ---- */

static bool line_flagged(const struct diff_line *l)
{
	return (l->self.over && l->self.significant && l->self.delta > 0) ||
	       (l->total.over && l->total.significant && l->total.delta > 0);
}

/* Where inside the function it got slower: each line's change of own and
 * total time since the baseline (text only). */
void write_line_diff(struct report *r, uint32_t fn)
{
	const struct diff_table *t = r->o->diff;
	struct diff_line_table lt;
	FILE *out = r->out;

	diff_lines(r->p, t->base_profile, &r->o->filter, fn, &t->opts, &lt);
	fprintf(out,
		"\nChange by line since the baseline (seconds %s; intervals at %g%% for "
		"the whole table%s):\n",
		unit_text(&t->opts), t->opts.confidence * 100,
		t->opts.flag ? "; ! slower past the threshold" : "");
	/* as text_change() prints: 10, 9 and 7 columns, after the mark */
	fputs("      \xce\x94self         "
	      "     \xce\x94%"
	      "    \xce\x94total         "
	      "     \xce\x94%  line\n",
	      out);
	for (size_t i = 0; i < lt.n; i++) {
		const struct diff_line *l = &lt.rows[i];

		putc(line_flagged(l) ? '!' : ' ', out);
		text_change(out, &l->self);
		text_change(out, &l->total);
		fputs("  ", out);
		put_safe(out, base_name(l->file));
		fprintf(out, ":%d\n", l->line);
	}
	if (!lt.n)
		fputs("  (no samples in either session)\n", out);
	diff_line_table_free(&lt);
}

/* ---- Markdown ---- */

/* Text in a table cell: Markdown's punctuation escaped, control
 * characters as '?'. */
static void md_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (strchr("\\`*_[]<>|~", c))
			putc('\\', out);
		putc(c < 0x20 || c == 0x7f ? '?' : c, out);
	}
}

static void md_change(FILE *out, const struct diff_estimate *e)
{
	char pct[32];

	fprintf(out, " %+.3f", e->delta);
	if (isfinite(e->half))
		fprintf(out, " \xc2\xb1 %.3f", e->half);
	fprintf(out, " | %s |", pct_text(e, pct, sizeof(pct)));
}

static void md_row(FILE *out, const struct diff_row *d)
{
	fprintf(out, "| %s | ",
		d->verdict == DIFF_REGRESSION	 ? "**regression**"
		: d->verdict == DIFF_IMPROVEMENT ? "improvement"
						 : "");
	md_text(out, profile_function_name(d->prof, d->row.function));
	fputs(" | ", out);
	md_text(out, profile_module_name(d->prof, d->row.function));
	fprintf(out, " | %.3f |", d->self.cur);
	md_change(out, &d->self);
	fprintf(out, " %.3f |", d->cum.cur);
	md_change(out, &d->cum);
	putc('\n', out);
}

static void md_heading(FILE *out, const struct diff_table *t)
{
	const struct diff_opts *o = &t->opts;
	char thr[96], pct[32];

	if (!o->flag)
		fputs("### proftop: comparison with the baseline\n\n", out);
	else if (t->regressions)
		fprintf(out, "### proftop: REGRESSION DETECTED (%zu function%s)\n\n",
			t->regressions, t->regressions == 1 ? "" : "s");
	else
		fputs("### proftop: no regression\n\n", out);
	fputs("Baseline: ", out);
	md_text(out, t->base_profile->meta.command ? t->base_profile->meta.command : "?");
	fprintf(out, " (%zu run%s); now: ", t->base_runs, t->base_runs == 1 ? "" : "s");
	md_text(out, t->cur_profile->meta.command ? t->cur_profile->meta.command : "?");
	fprintf(out, " (%zu run%s).\n\n", t->cur_runs, t->cur_runs == 1 ? "" : "s");
	fprintf(out, "CPU %s: %.3f s \xe2\x86\x92 %.3f s (%s", unit_text(o), t->cpu.base,
		t->cpu.cur, pct_text(&t->cpu, pct, sizeof(pct)));
	if (isfinite(t->cpu.half))
		fprintf(out, ", \xc2\xb1 %.3f s", t->cpu.half);
	fputs(").", out);
	if (!normalised(o))
		fputs(" Not normalised to work done.", out);
	if (o->flag)
		fprintf(out, " Flagged: a change past %s, significant at %g%%.",
			threshold_text(o, thr, sizeof(thr)), o->confidence * 100);
	fputs("\n\n", out);
}

int report_diff_markdown(FILE *out, const struct diff_table *t, const struct report_opts *o)
{
	size_t limit = o->limit ? o->limit : t->n, listed = 0;
	struct report_locale loc;

	report_c_numeric(&loc);
	md_heading(out, t);
	fputs("| | function | module | tottime (s) | \xce\x94 tottime (s) | \xce\x94% "
	      "| cumtime (s) | \xce\x94 cumtime (s) | \xce\x94% |\n"
	      "|---|---|---|---:|---:|---:|---:|---:|---:|\n",
	      out);
	/* The flagged rows first, then the others in order up to the limit. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->n; i++) {
			const struct diff_row *d = &t->rows[i];

			if ((d->verdict == DIFF_REGRESSION) != (pass == 0) ||
			    (pass == 1 && listed >= limit))
				continue;
			md_row(out, d);
			listed++;
		}
	}
	if (listed < t->n)
		fprintf(out, "\n%zu of %zu functions shown.\n", listed, t->n);
	report_c_numeric_end(&loc);
	return report_flush(out);
}
