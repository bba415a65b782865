#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "diff.h"
#include "report-calls.h"
#include "report.h"
#include "xalloc.h"

#define SOURCE_COLUMNS	120 /* source text is cut here in the line view */
#define GAP_MAX		30  /* longer unsampled runs in the line view are elided... */
#define GAP_CONTEXT	3   /* ...down to this many lines at each end */
#define AMBIGUOUS_SHOWN 8

/* A source file read once per report, split into lines. */
struct src_file {
	const char *path; /* as stored in the profile */
	char **lines;	  /* lines[0] is line 1; NULL when unreadable */
	size_t n;
	int err;
};

struct report {
	FILE *out;
	const struct profile *p;
	const struct report_opts *o;
	uint32_t lines_fn, callers_fn, callees_fn;
	struct func_table funcs; /* the main table, computed on first use */
	bool have_funcs;
	struct src_file *files;
	size_t nfiles, files_cap;
	struct annot_cache *annot; /* the machine code view, made on first use */
	struct annot_disasm dis;
	bool have_dis;
	const char *dis_error; /* why there is no machine code (the cache's string) */
};

/* One function row with its names resolved: every format prints these. */
struct row_view {
	const char *name;
	const char *module; /* basename */
	const char *file;   /* full path as stored, or NULL */
	int line;	    /* 0 if unknown */
	double tottime, cumtime;
};

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash && slash[1] ? slash + 1 : path;
}

static const char *module_name(const struct profile *p, uint32_t m)
{
	if (m >= p->nmodules)
		return "[unknown]";
	if (p->modules[m].name)
		return p->modules[m].name;
	return p->modules[m].path ? base_name(p->modules[m].path) : "[unknown]";
}

static const char *function_name(const struct profile *p, uint32_t fn)
{
	if (fn >= p->nfunctions)
		return "[unknown]";
	return p->functions[fn].name ? p->functions[fn].name : "[unknown]";
}

static void row_view(const struct profile *p, const struct func_row *row, struct row_view *v)
{
	const struct prof_function *f = &p->functions[row->function];

	v->name = f->name ? f->name : (f->system_name ? f->system_name : "[unknown]");
	v->module = module_name(p, f->module);
	v->file = f->file;
	v->line = f->start_line > 0 ? f->start_line : 0;
	v->tottime = row->self_ns / 1e9;
	v->cumtime = row->total_ns / 1e9;
}

/* Names come from the target's binaries: keep control characters off the terminal. */
static void put_safe(FILE *out, const char *s)
{
	for (; s && *s; s++)
		putc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static char *fmt_count(uint64_t v, char *buf, size_t len)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
	size_t o = 0;

	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

static char *fmt_bytes(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double x = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, len, "%" PRIu64 " B", v);
		return buf;
	}
	while (x >= 1024 && u < 3) {
		x /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", x, units[u]);
	return buf;
}

static char *fmt_signal(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static size_t rows_shown(const struct report *r, size_t n)
{
	return r->o->limit && r->o->limit < n ? r->o->limit : n;
}

/* ---- CSV and JSON strings ---- */

/* RFC 4180: quote a field holding a comma, a quote or a line break. */
static void csv_field(FILE *out, const char *s)
{
	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	putc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', out);
		putc(*s, out);
	}
	putc('"', out);
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		/* no overlongs (e0 a0..), no surrogates (ed 80..9f) */
		unsigned char lo = s[0] == 0xe0 ? 0xa0 : 0x80, hi = s[0] == 0xed ? 0x9f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		unsigned char lo = s[0] == 0xf0 ? 0x90 : 0x80, hi = s[0] == 0xf4 ? 0x8f : 0xbf;

		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
			       ? 4
			       : 0;
	}
	return 0;
}

/* A JSON string; NULL becomes null, invalid UTF-8 becomes U+FFFD. */
static void json_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	if (!s) {
		fputs("null", out);
		return;
	}
	putc('"', out);
	while (*s) {
		size_t n = utf8_len(s);

		if (n == 0) {
			fputs("\\ufffd", out);
			s++;
		} else if (*s == '"' || *s == '\\') {
			putc('\\', out);
			putc(*s++, out);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, out);
			s += n;
		}
	}
	putc('"', out);
}

/* ---- function rows, shared by the main table and callers/callees ---- */

static void text_table_header(FILE *out)
{
	fprintf(out, "%11s %8s %8s %8s %8s %7s %7s  %s\n", "ncalls", "tottime", "percall",
		"cumtime", "percall", "%self", "%total", "function (file:line) [module]");
}

static void text_function_name(FILE *out, const struct row_view *v)
{
	put_safe(out, v->name);
	if (v->file) {
		fputs(" (", out);
		put_safe(out, base_name(v->file));
		if (v->line)
			fprintf(out, ":%d", v->line);
		putc(')', out);
	}
	/* "[kernel]" is its own module: no "[kernel] [[kernel]]" */
	if (strcmp(v->name, v->module)) {
		fputs(v->module[0] == '[' ? " " : " [", out);
		put_safe(out, v->module);
		fputs(v->module[0] == '[' ? "" : "]", out);
	}
}

static void text_row(FILE *out, const struct profile *p, const struct func_row *row)
{
	char ncalls[32] = "-", tpc[32] = "-", cpc[32] = "-", tot[32], cum[32];
	struct row_view v;

	row_view(p, row, &v);
	if (row->calls >= 0)
		snprintf(ncalls, sizeof(ncalls), "%s%" PRId64, row->calls_lower_bound ? ">=" : "",
			 row->calls);
	if (row->calls > 0) {
		snprintf(tpc, sizeof(tpc), "%.3f", v.tottime / (double)row->calls);
		snprintf(cpc, sizeof(cpc), "%.3f", v.cumtime / (double)row->calls);
	}
	snprintf(tot, sizeof(tot), "%.3f", v.tottime);
	snprintf(cum, sizeof(cum), "%.3f", v.cumtime);
	fprintf(out, "%11s %8s %8s %8s %8s %6.1f%% %6.1f%%  ", ncalls, tot, tpc, cum, cpc,
		row->self_pct, row->total_pct);
	text_function_name(out, &v);
	putc('\n', out);
}

/* One value of a CSV/JSON record. Function rows, line rows and memory
 * rows are built as fields once; the two formats only differ in how they
 * print them, so their columns cannot drift apart. */
enum field_kind { F_STR, F_INT, F_REAL, F_BOOL };
enum { BOTH, CSV_ONLY, JSON_ONLY };

struct field {
	const char *key;
	enum field_kind kind;
	int where; /* BOTH, CSV_ONLY, JSON_ONLY */
	bool null; /* unknown: an empty CSV field, JSON null */
	int prec;  /* decimals of F_REAL */
	const char *s;
	int64_t i; /* F_INT, F_BOOL */
	double d;
};

#define FSTR(k, v)     ((struct field){.key = (k), .kind = F_STR, .s = (v), .null = !(v)})
#define FINT(k, v)     ((struct field){.key = (k), .kind = F_INT, .i = (int64_t)(v)})
#define FREAL(k, v, p) ((struct field){.key = (k), .kind = F_REAL, .d = (v), .prec = (p)})
#define FBOOL(k, v)    ((struct field){.key = (k), .kind = F_BOOL, .i = (v), .where = JSON_ONLY})

static void csv_header(FILE *out, const struct field *f, size_t n)
{
	for (size_t i = 0, k = 0; i < n; i++)
		if (f[i].where != JSON_ONLY)
			fprintf(out, "%s%s", k++ ? "," : "", f[i].key);
	putc('\n', out);
}

static void write_record(FILE *out, enum report_format fmt, const struct field *f, size_t n)
{
	bool json = fmt == REPORT_JSON;

	if (json)
		putc('{', out);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (f[i].where == (json ? CSV_ONLY : JSON_ONLY))
			continue;
		if (k++)
			putc(',', out);
		if (json) {
			json_str(out, f[i].key);
			putc(':', out);
		}
		if (f[i].null)
			fputs(json ? "null" : "", out);
		else if (f[i].kind == F_STR)
			(json ? json_str : csv_field)(out, f[i].s);
		else if (f[i].kind == F_INT)
			fprintf(out, "%" PRId64, f[i].i);
		else if (f[i].kind == F_REAL)
			fprintf(out, "%.*f", f[i].prec, f[i].d);
		else
			fputs(f[i].i ? "true" : "false", out);
	}
	fputs(json ? "}" : "\n", out);
}

#define FUNC_FIELDS 13

/* The fields of a function row (row NULL: only the keys, for a header).
 * relation: NULL in the main table, else "function", "caller" or "callee". */
static size_t func_fields(const struct profile *p, const struct func_row *row, const char *relation,
			  struct field *f)
{
	struct func_row none = {.calls = -1};
	struct row_view v = {.name = ""};
	size_t n = 0;

	if (row)
		row_view(p, row, &v);
	else
		row = &none;
	if (relation)
		f[n++] = FSTR("relation", relation);
	f[n++] = FSTR("function", v.name);
	f[n++] = FSTR("module", v.module);
	f[n++] = FSTR("file", v.file);
	f[n] = FINT("line", v.line);
	f[n++].null = !v.line;
	f[n++] = FINT("self_samples", row->self_samples);
	f[n++] = FINT("total_samples", row->total_samples);
	f[n++] = FREAL("self_pct", row->self_pct, 2);
	f[n++] = FREAL("total_pct", row->total_pct, 2);
	f[n++] = FREAL("tottime", v.tottime, 6);
	f[n++] = FREAL("cumtime", v.cumtime, 6);
	f[n] = FINT("calls", row->calls);
	f[n++].null = row->calls < 0;
	f[n++] = FBOOL("calls_lower_bound", row->calls_lower_bound);
	return n;
}

static void func_record(struct report *r, const struct func_row *row, const char *relation)
{
	struct field f[FUNC_FIELDS];

	write_record(r->out, r->o->format, f, func_fields(r->p, row, relation, f));
}

static void func_header(struct report *r, bool relation)
{
	struct field f[FUNC_FIELDS];

	csv_header(r->out, f, func_fields(r->p, NULL, relation ? "" : NULL, f));
}

/* A table of rows in the chosen format; what names the rows in the "cut" note. */
static void write_rows(struct report *r, const struct func_table *t, const char *what,
		       const char *relation)
{
	size_t shown = rows_shown(r, t->n);

	for (size_t i = 0; i < shown; i++) {
		switch (r->o->format) {
		case REPORT_TEXT:
			text_row(r->out, r->p, &t->rows[i]);
			break;
		case REPORT_CSV:
			func_record(r, &t->rows[i], relation);
			break;
		case REPORT_JSON:
			fputs(i ? ",\n" : "\n", r->out);
			func_record(r, &t->rows[i], NULL);
			break;
		}
	}
	if (r->o->format == REPORT_TEXT) {
		if (!t->n)
			fputs("  (none)\n", r->out);
		else if (shown < t->n)
			fprintf(r->out, "(showing %zu of %zu %s; --limit 0 for all)\n", shown, t->n,
				what);
	}
}

static const struct func_table *main_table(struct report *r)
{
	if (!r->have_funcs) {
		query_functions(r->p, &r->o->filter, r->o->sort, r->o->reverse, &r->funcs);
		r->have_funcs = true;
	}
	return &r->funcs;
}

/* fn's row in the main table, or a row of zeros if no sample passed the filter. */
static struct func_row own_row(struct report *r, uint32_t fn)
{
	const struct func_table *t = main_table(r);
	struct func_row row = {.function = fn};

	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].function == fn)
			return t->rows[i];
	row.calls = r->p->functions[fn].calls;
	row.calls_lower_bound = r->p->functions[fn].calls_lower_bound;
	return row;
}

/* ---- header ---- */

static const char *sort_title(enum query_sort s)
{
	switch (s) {
	case SORT_CUMULATIVE:
		return "cumulative time";
	case SORT_TOTTIME:
		return "internal time";
	case SORT_CALLS:
		return "call count";
	case SORT_NAME:
		return "function name";
	}
	return "?";
}

static void text_header(struct report *r)
{
	const struct prof_meta *m = &r->p->meta;
	FILE *out = r->out;
	char n[32], sig[32];

	fputs("proftop report: ", out);
	put_safe(out, m->command ? m->command : "(unknown command)");
	if (m->pid > 0)
		fprintf(out, " (pid %d%s)", m->pid, m->attached ? ", attached" : "");
	fprintf(out, "\n%s samples (%.1f s CPU) in %.1f s", fmt_count(r->p->nsamples, n, sizeof(n)),
		r->p->total_weight / 1e9, m->duration_ns / 1e9);
	if (m->freq)
		fprintf(out, " at %u Hz", m->freq);
	if (m->backend)
		fprintf(out, ", %s backend", m->backend);
	/* ptrace stops the target for each sample: say what that cost it. */
	if (m->held_ns)
		fprintf(out, " (samples held the target %.2f%% of its CPU time)",
			share(m->held_ns, r->p->total_weight));
	if (m->unwind)
		fprintf(out, ", %s unwinding", m->unwind);
	fprintf(out, "; %s lost; %.1f%% truncated stacks\n", fmt_count(m->lost, n, sizeof(n)),
		share(r->p->truncated_samples, r->p->nsamples));
	/* A signal proftop sent at the end of -d is not a crash: say who stopped it. */
	if (m->exited)
		fprintf(out, "target exited with status %d%s\n", m->exit_status,
			m->stopped_by_proftop ? " when proftop stopped it" : "");
	else if (m->term_signal)
		fprintf(out, "target was %s %s\n",
			m->stopped_by_proftop ? "stopped by proftop with" : "killed by",
			fmt_signal(m->term_signal, sig, sizeof(sig)));
	else if (m->attached && m->ended) /* not our child: its status is its parent's */
		fputs("target exited during the run; the profile holds what came before\n", out);
	else if (m->attached)
		fputs("target still running, detached\n", out);
	else
		fprintf(out, "target %s\n",
			m->stopped_by_proftop ? "was stopped by proftop"
					      : "still running when profiling stopped");
	if (r->o->filter.tid) {
		const struct prof_thread *t = profile_find_thread(r->p, r->o->filter.tid);

		fprintf(out, "thread %d", r->o->filter.tid);
		if (t && t->comm) {
			fputs(" (", out);
			put_safe(out, t->comm);
			putc(')', out);
		}
		fputs(" only\n", out);
	}
	report_calls_header_text(out, r->p);
}

static void json_header(struct report *r)
{
	const struct prof_meta *m = &r->p->meta;
	FILE *out = r->out;
	const char *sort = query_sort_name(r->o->sort);
	char sig[32];

	fputs("{\"command\":", out);
	json_str(out, m->command);
	fprintf(out,
		",\"pid\":%d,\"samples\":%zu,\"lost\":%" PRIu64 ",\"truncated_samples\":%" PRIu64
		",\"duration_s\":%.3f,\"cpu_s\":%.6f,\"freq_hz\":%u,\"held_s\":%.6f,\"backend\":",
		m->pid, r->p->nsamples, m->lost, r->p->truncated_samples, m->duration_ns / 1e9,
		r->p->total_weight / 1e9, m->freq, m->held_ns / 1e9);
	json_str(out, m->backend);
	fprintf(out, ",\"ended\":%s,\"exit\":", m->ended ? "true" : "false");
	if (m->exited) {
		fprintf(out, "{\"status\":%d}", m->exit_status);
	} else if (m->term_signal) {
		fputs("{\"signal\":", out);
		json_str(out, fmt_signal(m->term_signal, sig, sizeof(sig)));
		putc('}', out);
	} else {
		fputs("null", out);
	}
	fprintf(out, ",\"stopped_by_proftop\":%s,\"sort\":",
		m->stopped_by_proftop ? "true" : "false");
	json_str(out, sort ? sort : "?");
	fprintf(out, ",\"reverse\":%s", r->o->reverse ? "true" : "false");
	if (r->o->filter.tid)
		fprintf(out, ",\"tid\":%d", r->o->filter.tid);
	report_calls_header_json(out, r->p);
}

/* ---- views ---- */

/* ---- comparison with a baseline (--baseline) ---- */

#define DIFF_FIELDS 8

/* The change columns of a diff row (d NULL: the keys only). */
static size_t diff_fields(const struct diff_row *d, struct field *f)
{
	static const struct diff_row none;

	if (!d)
		d = &none;
	f[0] = FREAL("delta_self_pct", d->d_self_pct, 2);
	f[1] = FREAL("delta_total_pct", d->d_total_pct, 2);
	f[2] = FREAL("delta_tottime", d->d_tottime, 6);
	f[3] = FREAL("base_self_pct", d->base.self_pct, 2);
	f[4] = FREAL("base_total_pct", d->base.total_pct, 2);
	f[5] = FREAL("base_tottime", d->base.self_ns / 1e9, 6);
	f[6] = FINT("regression", d->regression);
	f[6].where = CSV_ONLY;
	f[7] = FBOOL("regression", d->regression);
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

/* The function table with each row's change since the baseline in front:
 * "!" marks a regression past --threshold. */
static void write_diff(struct report *r)
{
	const struct diff_table *t = r->o->diff;
	const struct profile *b = t->base_profile;
	size_t shown = rows_shown(r, t->n);
	FILE *out = r->out;

	switch (r->o->format) {
	case REPORT_TEXT:
		fputs("\nCompared with: ", out);
		put_safe(out, b->meta.command ? b->meta.command : "(unknown command)");
		fprintf(out, " (%zu samples, %.1f s CPU)\n", b->nsamples, b->total_weight / 1e9);
		if (t->opts.flag)
			fprintf(out,
				"%zu regression%s: %%self up by more than %.1f points (marked !)\n",
				t->regressions, t->regressions == 1 ? "" : "s", t->opts.threshold);
		fprintf(out, "\nOrdered by: %s%s\n\n",
			t->opts.by_delta ? "largest regression (\xce\x94%self)"
					 : sort_title(r->o->sort),
			r->o->reverse ? ", reversed" : "");
		fputs("  \xce\x94%self \xce\x94%total  \xce\x94tottime", out);
		text_table_header(out);
		for (size_t i = 0; i < shown; i++) {
			const struct diff_row *d = &t->rows[i];

			fprintf(out, "%c%+7.1f %+7.1f %+9.3f", d->regression ? '!' : ' ',
				d->d_self_pct, d->d_total_pct, d->d_tottime);
			text_row(out, d->prof, &d->row);
		}
		if (!t->n)
			fputs("  (none)\n", out);
		else if (shown < t->n)
			fprintf(out, "(showing %zu of %zu functions; --limit 0 for all)\n", shown,
				t->n);
		break;
	case REPORT_CSV:
		diff_record(r, NULL);
		for (size_t i = 0; i < shown; i++)
			diff_record(r, &t->rows[i]);
		break;
	case REPORT_JSON:
		fputs(",\"baseline\":{\"command\":", out);
		json_str(out, b->meta.command);
		fprintf(out, ",\"samples\":%zu,\"cpu_s\":%.6f,\"sort_delta\":%s,\"threshold\":",
			b->nsamples, b->total_weight / 1e9, t->opts.by_delta ? "true" : "false");
		if (t->opts.flag)
			fprintf(out, "%.2f", t->opts.threshold);
		else
			fputs("null", out);
		fprintf(out, ",\"regressions\":%zu}", t->regressions);
		fprintf(out, ",\"functions_total\":%zu,\"functions\":[", t->n);
		for (size_t i = 0; i < shown; i++) {
			fputs(i ? ",\n" : "\n", out);
			diff_record(r, &t->rows[i]);
		}
		fputs("]", out);
		break;
	}
}

static void write_functions(struct report *r)
{
	const struct func_table *t = main_table(r);
	FILE *out = r->out;

	if (r->o->diff) {
		write_diff(r);
		return;
	}
	switch (r->o->format) {
	case REPORT_TEXT:
		fprintf(out, "\nOrdered by: %s%s\n\n", sort_title(r->o->sort),
			r->o->reverse ? ", reversed" : "");
		text_table_header(out);
		write_rows(r, t, "functions", NULL);
		report_calls_notes_text(out, r->p, t->rows, rows_shown(r, t->n));
		break;
	case REPORT_CSV:
		func_header(r, false);
		write_rows(r, t, "functions", NULL);
		break;
	case REPORT_JSON:
		fprintf(out, ",\"functions_total\":%zu,\"functions\":[", t->n);
		write_rows(r, t, "functions", NULL);
		fputs("]", out);
		break;
	}
}

/* Callers (callees == false) or callees of fn, after fn's own row. */
static void write_relatives(struct report *r, uint32_t fn, bool callees, bool own)
{
	struct func_row self = own_row(r, fn);
	struct func_table t;
	FILE *out = r->out;
	const char *what = callees ? "callees" : "callers";

	if (callees)
		query_callees(r->p, &r->o->filter, fn, &t);
	else
		query_callers(r->p, &r->o->filter, fn, &t);
	/* A function's call count is not the count of this edge: show none. */
	for (size_t i = 0; i < t.n; i++) {
		t.rows[i].calls = -1;
		t.rows[i].calls_lower_bound = false;
	}
	switch (r->o->format) {
	case REPORT_TEXT:
		if (own) {
			fputs("\nFunction:\n", out);
			text_table_header(out);
			text_row(out, r->p, &self);
		}
		fprintf(out, "\n%s of ", callees ? "Callees" : "Callers");
		put_safe(out, function_name(r->p, fn));
		fputs(":\n", out);
		text_table_header(out);
		break;
	case REPORT_CSV:
		if (own)
			func_record(r, &self, "function");
		break;
	case REPORT_JSON:
		fprintf(out, ",\"%s\":{\"function\":", what);
		func_record(r, &self, NULL);
		fprintf(out, ",\"total\":%zu,\"rows\":[", t.n);
		break;
	}
	write_rows(r, &t, what, callees ? "callee" : "caller");
	if (r->o->format == REPORT_JSON)
		fputs("]}", out);
	func_table_free(&t);
}

static size_t mem_fields(const char *metric, uint64_t start, uint64_t peak, uint64_t end,
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

static void write_memory(struct report *r)
{
	struct mem_summary ms = {.valid = false};
	struct field rss[5], vms[5];
	FILE *out = r->out;
	char a[32], b[32], c[32], d[32];

	query_memory(r->p, r->o->filter.pid, &ms);
	mem_fields("rss", ms.start_rss, ms.peak_rss, ms.end_rss, rss);
	mem_fields("vms", ms.start_vms, ms.peak_vms, ms.end_vms, vms);
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

/* ---- --processes: one row per process of the target ---- */

#define PROC_FIELDS 8

static size_t proc_fields(const struct profile *p, const struct proc_row *row, struct field *f)
{
	struct proc_row none = {.top_function = PROF_NONE};
	const char *top;

	if (!row)
		row = &none;
	top = row->top_function == PROF_NONE ? NULL : function_name(p, row->top_function);
	f[0] = FINT("pid", row->pid);
	f[1] = FSTR("command", row->comm);
	f[2] = FINT("threads", row->threads);
	f[3] = FINT("samples", row->samples);
	f[4] = FREAL("cpu_s", row->ns / 1e9, 3);
	f[5] = FREAL("pct", row->pct, 2);
	f[6] = FSTR("top_function", top);
	f[7] = FREAL("top_self_s", row->top_ns / 1e9, 3);
	return PROC_FIELDS;
}

static void write_processes(struct report *r)
{
	struct proc_table t;
	struct field f[PROC_FIELDS];
	FILE *out = r->out;
	size_t shown;

	query_processes(r->p, &r->o->filter, &t);
	shown = rows_shown(r, t.n);
	if (r->o->format == REPORT_TEXT) {
		fprintf(out, "\n%8s %7s %9s %9s %7s  %-16s %s\n", "pid", "threads", "samples",
			"cpu_s", "%total", "command", "hottest function (self s)");
		for (size_t i = 0; i < shown; i++) {
			const struct proc_row *row = &t.rows[i];

			fprintf(out, "%8d %7u %9" PRIu64 " %9.3f %6.1f%%  ", row->pid, row->threads,
				row->samples, row->ns / 1e9, row->pct);
			put_safe(out, row->comm ? row->comm : "?");
			fprintf(out, "%*s", row->comm && strlen(row->comm) < 16 ?
						    (int)(17 - strlen(row->comm)) : 1, "");
			if (row->top_function != PROF_NONE) {
				put_safe(out, function_name(r->p, row->top_function));
				fprintf(out, " (%.3f)", row->top_ns / 1e9);
			}
			putc('\n', out);
		}
		if (!t.n)
			fputs("  (none)\n", out);
		else if (shown < t.n)
			fprintf(out, "(showing %zu of %zu processes; --limit 0 for all)\n", shown, t.n);
	} else {
		if (r->o->format == REPORT_CSV) {
			proc_fields(r->p, NULL, f);
			csv_header(out, f, PROC_FIELDS);
		} else {
			fprintf(out, ",\"processes_total\":%zu,\"processes\":[", t.n);
		}
		for (size_t i = 0; i < shown; i++) {
			if (r->o->format == REPORT_JSON && i)
				putc(',', out);
			write_record(out, r->o->format, f, proc_fields(r->p, &t.rows[i], f));
		}
		if (r->o->format == REPORT_JSON)
			putc(']', out);
	}
	proc_table_free(&t);
}

/* ---- the line view ---- */

static int source_read(struct src_file *sf, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lines_cap = 0;
	ssize_t len;
	int err;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		sf->lines = xgrow(sf->lines, &lines_cap, sf->n + 1, sizeof(*sf->lines));
		sf->lines[sf->n++] = xstrndup(line, (size_t)len);
	}
	err = ferror(f) ? (errno ? errno : EIO) : 0; /* a directory fails here (EISDIR) */
	free(line);
	fclose(f);
	errno = err;
	return err && !sf->n ? -1 : 0;
}

/* The text of path that a reopened session carries (p->sources, sorted by
 * file then line); false if it has none. */
static bool source_saved(struct src_file *sf, const struct profile *p, const char *path)
{
	size_t lo = 0, hi = p->nsources, cap = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(p->sources[mid].file, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->nsources && !strcmp(p->sources[lo].file, path); lo++) {
		size_t line = (size_t)p->sources[lo].line;

		sf->lines = xgrow(sf->lines, &cap, line, sizeof(*sf->lines));
		while (sf->n < line)
			sf->lines[sf->n++] = NULL;
		sf->lines[line - 1] = xstrdup(p->sources[lo].text);
	}
	return sf->n > 0;
}

/* The lines of path, read on first use; a relative path is also tried
 * against the profiled program's working directory. */
static struct src_file *source_get(struct report *r, const char *path)
{
	struct src_file *sf;

	for (size_t i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, path))
			return &r->files[i];
	r->files = xgrow(r->files, &r->files_cap, r->nfiles + 1, sizeof(*r->files));
	sf = &r->files[r->nfiles++];
	memset(sf, 0, sizeof(*sf));
	sf->path = path;
	if (source_saved(sf, r->p, path))
		return sf;
	if (source_read(sf, path) < 0) {
		sf->err = errno;
		if (path[0] != '/' && r->p->meta.cwd) {
			char *full = xasprintf("%s/%s", r->p->meta.cwd, path);

			if (source_read(sf, full) == 0)
				sf->err = 0;
			free(full);
		}
	}
	return sf;
}

static const char *source_line(const struct src_file *sf, int line)
{
	return sf && line > 0 && (size_t)line <= sf->n ? sf->lines[line - 1] : NULL;
}

/* Source text for the terminal: tabs expanded, control characters
 * replaced, cut at SOURCE_COLUMNS columns (UTF-8 aware). */
static void put_source(FILE *out, const char *s)
{
	int col = 0;

	if (!s || !*s)
		return;
	fputs("  ", out); /* after the line number */

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch & 0xc0) != 0x80 && col >= SOURCE_COLUMNS)
			break;
		if (ch == '\t') {
			do
				putc(' ', out);
			while (++col % 8 && col < SOURCE_COLUMNS);
			continue;
		}
		putc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
		if ((ch & 0xc0) != 0x80)
			col++;
	}
}

static void text_context_line(FILE *out, const struct src_file *sf, int line)
{
	fprintf(out, " %8s %8s %7s %6d", "", "", "", line);
	put_source(out, source_line(sf, line));
	putc('\n', out);
}

/* Unsampled lines a..b of the line view, long runs elided. */
static void text_gap(FILE *out, const struct src_file *sf, int a, int b)
{
	if (!sf->lines || b < a)
		return;
	if (b - a + 1 <= GAP_MAX) {
		for (int l = a; l <= b; l++)
			text_context_line(out, sf, l);
		return;
	}
	for (int l = a; l < a + GAP_CONTEXT; l++)
		text_context_line(out, sf, l);
	fprintf(out, " %8s %8s %7s %6s\n", "", "", "", "...");
	for (int l = b - GAP_CONTEXT + 1; l <= b; l++)
		text_context_line(out, sf, l);
}

static void text_line_row(struct report *r, const struct line_table *lt, size_t i, size_t hot,
			  const struct src_file *sf)
{
	const struct line_row *row = &lt->rows[i];
	FILE *out = r->out;

	fprintf(out, "%c%8.3f %8.3f %6.1f%% ", i == hot ? '*' : ' ', row->self_ns / 1e9,
		row->total_ns / 1e9, share(row->total_ns, lt->total_ns));
	if (row->line > 0) {
		fprintf(out, "%6d", row->line);
		put_source(out, source_line(sf, row->line));
	} else {
		fprintf(out, "%6s  (line unknown)", "?");
	}
	if (row->inlined != PROF_NONE) {
		fputs("  <- inlined: ", out);
		put_safe(out, function_name(r->p, row->inlined));
	} else if (row->callee != PROF_NONE) {
		fputs("  -> ", out);
		put_safe(out, function_name(r->p, row->callee));
	}
	putc('\n', out);
}

/* Rows [from, to) of one file: the function's range from its first line
 * (or the file's first sampled line) to the last sampled one. */
static void text_lines_file(struct report *r, const struct line_table *lt, size_t from, size_t to,
			    size_t hot)
{
	const struct prof_function *f = &r->p->functions[lt->function];
	const char *path = lt->rows[from].file;
	struct src_file *sf = path ? source_get(r, path) : NULL;
	FILE *out = r->out;
	int prev = 0;

	fputc('\n', out);
	put_safe(out, path ? path : "(unknown file)");
	if (path && sf && !sf->lines)
		fprintf(out, " (source not available: %s)",
			sf->err ? strerror(sf->err) : "empty file");
	fprintf(out, "\n %8s %8s %7s %6s  %s\n", "self", "total", "%total", "line", "source");
	for (size_t i = from; i < to; i++) {
		int line = lt->rows[i].line;

		if (line <= 0)
			continue;
		if (!prev) /* the function's opening lines, if this is its file */
			prev = f->file && path && !strcmp(f->file, path) && f->start_line > 0 &&
					       f->start_line <= line
				       ? f->start_line - 1
				       : line - 1;
		if (sf)
			text_gap(out, sf, prev + 1, line - 1);
		text_line_row(r, lt, i, hot, sf);
		prev = line;
	}
	for (size_t i = from; i < to; i++)
		if (lt->rows[i].line <= 0)
			text_line_row(r, lt, i, hot, sf);
}

static bool same_file(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

#define LINE_FIELDS 12

/* The fields of line row i (also a header's keys when the table is empty);
 * percentages are of the function's total time. */
static size_t line_fields(struct report *r, const struct line_table *lt, size_t i, size_t hot,
			  struct field *f)
{
	static const struct line_row none = {.inlined = PROF_NONE, .callee = PROF_NONE};
	const struct line_row *row = i < lt->n ? &lt->rows[i] : &none;
	const struct src_file *sf = row->file ? source_get(r, row->file) : NULL;

	f[0] = FSTR("file", row->file);
	f[1] = FINT("line", row->line);
	f[1].null = row->line <= 0;
	f[2] = FINT("self_samples", row->self_samples);
	f[3] = FINT("total_samples", row->total_samples);
	f[4] = FREAL("self_pct", share(row->self_ns, lt->total_ns), 2);
	f[5] = FREAL("total_pct", share(row->total_ns, lt->total_ns), 2);
	f[6] = FSTR("source", source_line(sf, row->line));
	f[7] = FREAL("tottime", row->self_ns / 1e9, 6);
	f[8] = FREAL("cumtime", row->total_ns / 1e9, 6);
	f[9] = FBOOL("hottest", i == hot);
	f[10] = FSTR("inlined",
		     row->inlined != PROF_NONE ? function_name(r->p, row->inlined) : NULL);
	f[11] = FSTR("callee", row->callee != PROF_NONE ? function_name(r->p, row->callee) : NULL);
	for (int k = 7; k < LINE_FIELDS; k++)
		f[k].where = JSON_ONLY;
	return LINE_FIELDS;
}

/* ---- the line view as machine code (--disasm, or when no source is readable) ---- */

#define BYTES_SHOWN 20 /* columns of "48 89 e5 .." */

/* Disassemble fn into r->dis. A failure is the report's error when asked
 * for (--disasm), else only a note under the source view. */
static int disasm_prepare(struct report *r, uint32_t fn, bool asked)
{
	if (!r->annot)
		r->annot = annot_cache_new();
	if (annot_disasm_build(r->annot, r->p, &r->o->filter, fn, &r->dis) == 0) {
		r->have_dis = true;
		return 0;
	}
	r->dis_error = r->dis.error; /* the cache keeps the message */
	annot_disasm_free(&r->dis);
	if (asked)
		warnx_("cannot disassemble %s: %s", function_name(r->p, fn), r->dis_error);
	return 1;
}

/* Whether any sampled line of the table has its source text at hand; if
 * not, why (the first file's error) goes to why. */
static bool lines_readable(struct report *r, const struct line_table *lt, char *why, size_t len)
{
	snprintf(why, len, "no source file is known (no debug info?)");
	for (size_t i = lt->n; i-- > 0;) {
		const char *path = lt->rows[i].file;
		const struct src_file *sf = path ? source_get(r, path) : NULL;

		if (sf && sf->lines)
			return true;
		if (sf)
			snprintf(why, len, "%s: %s", path,
				 sf->err ? strerror(sf->err) : "empty file");
	}
	return lt->n == 0;
}

static void text_insn(struct report *r, size_t i, const char **file, int *line)
{
	const struct annot_disasm *d = &r->dis;
	const struct annot_insn *in = &d->insns[i];
	char bytes[3 * ANNOT_INSN_MAX + 1], *text = NULL;
	size_t len = 0;
	FILE *out = r->out, *t;

	annot_format_bytes(in, bytes, sizeof(bytes));
	if (strlen(bytes) > BYTES_SHOWN)
		strcpy(bytes + BYTES_SHOWN - 3, " ..");
	if (in->total_samples || in->self_samples)
		fprintf(out, "%c%8.3f %8.3f %6.1f%%", i == d->hottest ? '*' : ' ',
			in->self_ns / 1e9, in->total_ns / 1e9, share(in->total_ns, d->total_ns));
	else /* unsampled: blank, as the source view's context lines */
		fprintf(out, " %8s %8s %7s", "", "", "");
	fprintf(out, " %8" PRIx64 "  %-*s  ", in->address, BYTES_SHOWN, bytes);
	t = open_memstream(&text, &len);
	if (!t)
		fatal("out of memory (formatting an instruction)");
	fprintf(t, "%-7s %s", in->mnemonic, in->operands);
	if (in->callee_name) {
		fputs(" -> ", t);
		put_safe(t, in->callee_name);
	}
	/* the source position where it changes, as objdump -l does */
	if (in->line && (in->line != *line || !same_file(in->file, *file))) {
		fprintf(t, "%*s; ", (int)(ftell(t) < 40 ? 40 - ftell(t) : 2), "");
		put_safe(t, base_name(in->file));
		fprintf(t, ":%d", in->line);
	}
	fclose(t);
	while (len && text[len - 1] == ' ')
		text[--len] = '\0';
	fputs(text, out);
	putc('\n', out);
	free(text);
	*file = in->file;
	*line = in->line;
}

#define INSN_FIELDS 15

/* The strings an instruction's fields point into. */
struct insn_text {
	char addr[32];
	char bytes[3 * ANNOT_INSN_MAX + 1];
};

/* The fields of instruction i (i == d->n: only the keys, for a header). */
static size_t insn_fields(const struct annot_disasm *d, size_t i, struct insn_text *tx,
			  struct field *f)
{
	static const struct annot_insn none = {.mnemonic = "", .operands = ""};
	const struct annot_insn *in = i < d->n ? &d->insns[i] : &none;

	snprintf(tx->addr, sizeof(tx->addr), "0x%" PRIx64, in->address);
	f[0] = FSTR("address", tx->addr);
	f[1] = FINT("size", in->size);
	f[2] = FSTR("bytes", annot_format_bytes(in, tx->bytes, sizeof(tx->bytes)));
	f[3] = FSTR("mnemonic", in->mnemonic);
	f[4] = FSTR("operands", in->operands);
	f[5] = FSTR("file", in->file);
	f[6] = FINT("line", in->line);
	f[6].null = in->line <= 0;
	f[7] = FINT("self_samples", in->self_samples);
	f[8] = FINT("total_samples", in->total_samples);
	f[9] = FREAL("self_pct", share(in->self_ns, d->total_ns), 2);
	f[10] = FREAL("total_pct", share(in->total_ns, d->total_ns), 2);
	f[11] = FSTR("callee", in->callee_name);
	f[12] = FREAL("tottime", in->self_ns / 1e9, 6);
	f[13] = FREAL("cumtime", in->total_ns / 1e9, 6);
	f[14] = FBOOL("hottest", i == d->hottest);
	for (int k = 12; k < INSN_FIELDS; k++)
		f[k].where = JSON_ONLY;
	return INSN_FIELDS;
}

/* r->dis, prepared before: one row per instruction. why: the reason the
 * source view was left out, or NULL when --disasm asked for this. */
static void write_disasm(struct report *r, uint32_t fn, const char *why)
{
	const struct annot_disasm *d = &r->dis;
	struct func_row self = own_row(r, fn);
	struct field f[INSN_FIELDS];
	struct insn_text tx;
	const char *file = NULL;
	FILE *out = r->out;
	struct row_view v;
	int line = 0;

	switch (r->o->format) {
	case REPORT_TEXT:
		row_view(r->p, &self, &v);
		fputs("\nMachine code of ", out);
		text_function_name(out, &v);
		fprintf(out, ": %.3f s total, %.3f s self; %%total is of the function's total\n",
			v.cumtime, v.tottime);
		if (why) {
			fputs("(source not available: ", out);
			put_safe(out, why);
			fputs(")\n", out);
		}
		putc('\n', out);
		put_safe(out, d->path);
		fprintf(out, " 0x%" PRIx64 "-0x%" PRIx64, d->start, d->end);
		if (d->symbol) {
			fputs(" <", out);
			put_safe(out, d->symbol);
			putc('>', out);
		}
		fprintf(out, "\n %8s %8s %7s %8s  %-*s  %s\n", "self", "total", "%total", "address",
			BYTES_SHOWN, "bytes", "instruction");
		for (size_t i = 0; i < d->n; i++)
			text_insn(r, i, &file, &line);
		if (d->outside_samples)
			fprintf(out, "  (%" PRIu64 " samples of this function lie outside this "
				     "range)\n", d->outside_samples);
		break;
	case REPORT_CSV:
		insn_fields(d, d->n, &tx, f);
		csv_header(out, f, INSN_FIELDS);
		for (size_t i = 0; i < d->n; i++)
			write_record(out, REPORT_CSV, f, insn_fields(d, i, &tx, f));
		break;
	case REPORT_JSON:
		fputs(",\"disasm\":{\"function\":", out);
		func_record(r, &self, NULL);
		fputs(",\"path\":", out);
		json_str(out, d->path);
		fputs(",\"symbol\":", out);
		json_str(out, d->symbol);
		fprintf(out, ",\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
			     "\",\"outside_samples\":%" PRIu64 ",\"rows\":[",
			d->start, d->end, d->outside_samples);
		for (size_t i = 0; i < d->n; i++) {
			fputs(i ? ",\n" : "\n", out);
			write_record(out, REPORT_JSON, f, insn_fields(d, i, &tx, f));
		}
		fputs("]}", out);
		break;
	}
}

static void write_lines(struct report *r, uint32_t fn)
{
	struct func_row self = own_row(r, fn);
	struct field f[LINE_FIELDS];
	struct line_table lt;
	FILE *out = r->out;
	size_t hot = 0;
	char why[512];

	query_lines(r->p, &r->o->filter, fn, &lt);
	/* --disasm, or text with no source to show: the machine code instead */
	if (r->have_dis ||
	    (r->o->format == REPORT_TEXT && !lines_readable(r, &lt, why, sizeof(why)) &&
	     disasm_prepare(r, fn, false) == 0)) {
		write_disasm(r, fn, r->o->disasm ? NULL : why);
		line_table_free(&lt);
		return;
	}
	/* The hottest line burns the most time itself; failing that, below it. */
	for (size_t i = 1; i < lt.n; i++) {
		const struct line_row *a = &lt.rows[i], *b = &lt.rows[hot];

		if (a->self_ns > b->self_ns ||
		    (a->self_ns == b->self_ns && a->total_ns > b->total_ns))
			hot = i;
	}
	switch (r->o->format) {
	case REPORT_TEXT: {
		struct row_view v;

		row_view(r->p, &self, &v);
		fputs("\nSource lines of ", out);
		text_function_name(out, &v);
		fprintf(out, ": %.3f s total, %.3f s self; %%total is of the function's total\n",
			v.cumtime, v.tottime);
		if (!lt.n)
			fputs("  (no samples)\n", out);
		for (size_t from = 0, to; from < lt.n; from = to) {
			for (to = from + 1;
			     to < lt.n && same_file(lt.rows[to].file, lt.rows[from].file);)
				to++;
			text_lines_file(r, &lt, from, to, hot);
		}
		if (r->dis_error) {
			fputs("(no machine code either: ", out);
			put_safe(out, r->dis_error);
			fputs(")\n", out);
		}
		break;
	}
	case REPORT_CSV:
		line_fields(r, &lt, 0, hot, f);
		csv_header(out, f, LINE_FIELDS);
		for (size_t i = 0; i < lt.n; i++)
			write_record(out, REPORT_CSV, f, line_fields(r, &lt, i, hot, f));
		break;
	case REPORT_JSON:
		fputs(",\"lines\":{\"function\":", out);
		func_record(r, &self, NULL);
		fputs(",\"rows\":[", out);
		for (size_t i = 0; i < lt.n; i++) {
			fputs(i ? ",\n" : "\n", out);
			write_record(out, REPORT_JSON, f, line_fields(r, &lt, i, hot, f));
		}
		fputs("]}", out);
		break;
	}
	line_table_free(&lt);
}

/* ---- entry points ---- */

/* Resolve a --lines/--callers/--callees name to one function, or explain. */
static int resolve_function(const struct profile *p, const char *name, uint32_t *fn)
{
	uint32_t ids[AMBIGUOUS_SHOWN];
	size_t n = query_find_function(p, name, ids, AMBIGUOUS_SHOWN);
	char *msg = NULL;
	size_t len = 0;
	FILE *m;

	if (n == 1) {
		*fn = ids[0];
		return 0;
	}
	if (n == 0) {
		warnx_("no function named '%s' in the profile", name);
		return 1;
	}
	m = open_memstream(&msg, &len);
	if (!m)
		fatal("out of memory (formatting a message)");
	fprintf(m, "ambiguous function '%s': ", name);
	for (size_t i = 0; i < n && i < AMBIGUOUS_SHOWN; i++) {
		fprintf(m, "%s", i ? ", " : "");
		put_safe(m, function_name(p, ids[i]));
		fprintf(m, " [%s]", module_name(p, p->functions[ids[i]].module));
	}
	if (n > AMBIGUOUS_SHOWN)
		fprintf(m, " and %zu more", n - AMBIGUOUS_SHOWN);
	fputs("; use module:FUNC", m);
	fclose(m);
	warnx_("%s", msg);
	free(msg);
	return 1;
}

static void write_report(struct report *r)
{
	const struct report_opts *o = r->o;
	bool views = o->lines_func || o->callers_func || o->callees_func || o->memory ||
		     o->processes || o->latency;
	bool csv = o->format == REPORT_CSV;
	int tables = 0;

	if (o->format == REPORT_TEXT)
		text_header(r);
	else if (o->format == REPORT_JSON)
		json_header(r);
	/* CSV has one table per report; should the caller ask for more, each
	 * follows the previous after a blank line. */
	if (!views)
		write_functions(r);
	if (o->memory) {
		write_memory(r);
		tables++;
	}
	if (o->processes) {
		if (csv && tables++)
			putc('\n', r->out);
		write_processes(r);
	}
	if (o->callers_func || o->callees_func) {
		if (csv && tables++)
			putc('\n', r->out);
		if (csv) /* one table: the function, then its callers and callees */
			func_header(r, true);
		if (o->callers_func)
			write_relatives(r, r->callers_fn, false, true);
		if (o->callees_func)
			write_relatives(r, r->callees_fn, true,
					!o->callers_func || r->callers_fn != r->callees_fn ||
						o->format == REPORT_JSON);
	}
	if (o->lines_func) {
		if (csv && tables++)
			putc('\n', r->out);
		write_lines(r, r->lines_fn);
	}
	if (o->latency) {
		if (csv && tables++)
			putc('\n', r->out);
		report_latency(r->out, r->p, o->latency, o->format);
	}
	if (o->format == REPORT_JSON)
		fputs("}\n", r->out);
}

int report_write(FILE *out, const struct profile *p, const struct report_opts *o)
{
	struct report r = {.out = out, .p = p, .o = o};
	locale_t c_numeric, old = (locale_t)0;
	int rc = 0;

	/* Resolve names first, so that an error leaves no half-written report. */
	if ((o->lines_func && resolve_function(p, o->lines_func, &r.lines_fn)) ||
	    (o->callers_func && resolve_function(p, o->callers_func, &r.callers_fn)) ||
	    (o->callees_func && resolve_function(p, o->callees_func, &r.callees_fn)))
		return 1;
	if (o->lines_func && o->disasm && disasm_prepare(&r, r.lines_fn, true)) {
		annot_cache_free(r.annot);
		return 1;
	}

	/* CSV and JSON need '.' decimals whatever locale the TUI set. */
	c_numeric = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (c_numeric)
		old = uselocale(c_numeric);
	write_report(&r);
	if (c_numeric) {
		uselocale(old);
		freelocale(c_numeric);
	}

	errno = 0;
	if (fflush(out) != 0 || ferror(out)) {
		if (errno != EPIPE) /* a reader that stopped early (| head) needs no message */
			warnx_("cannot write the report%s%s", errno ? ": " : "",
			       errno ? strerror(errno) : "");
		rc = 1;
	}
	if (r.have_funcs)
		func_table_free(&r.funcs);
	for (size_t i = 0; i < r.nfiles; i++) {
		for (size_t j = 0; j < r.files[i].n; j++)
			free(r.files[i].lines[j]);
		free(r.files[i].lines);
	}
	free(r.files);
	if (r.have_dis)
		annot_disasm_free(&r.dis);
	annot_cache_free(r.annot);
	return rc;
}

int report_parse_format(const char *s, enum report_format *out)
{
	static const char *const names[] = {
		[REPORT_TEXT] = "text",
		[REPORT_CSV] = "csv",
		[REPORT_JSON] = "json",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		if (!strcmp(s, names[i])) {
			*out = (enum report_format)i;
			return 0;
		}
	}
	return -1;
}
