#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "report-calls.h"
#include "report-int.h"
#include "report-memory.h"
#include "report-modules.h"
#include "xalloc.h"

#define AMBIGUOUS_SHOWN 8

void report_c_numeric(struct report_locale *l)
{
	l->old = (locale_t)0;
	l->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	if (l->c)
		l->old = uselocale(l->c);
}

void report_c_numeric_end(struct report_locale *l)
{
	if (l->c) {
		uselocale(l->old);
		freelocale(l->c);
		l->c = (locale_t)0;
	}
}

int report_flush(FILE *out)
{
	errno = 0;
	if (fflush(out) == 0 && !ferror(out))
		return 0;
	if (errno != EPIPE) /* a reader that stopped early (| head) needs no message */
		warnx_("cannot write the report%s%s", errno ? ": " : "",
		       errno ? strerror(errno) : "");
	return 1;
}

const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash && slash[1] ? slash + 1 : path;
}

double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

size_t rows_shown(const struct report *r, size_t n)
{
	return r->o->limit && r->o->limit < n ? r->o->limit : n;
}

/* ---- function rows, shared by the main table and callers/callees ---- */

/* The text report's columns (columns.c): blank-separated, two blanks
 * before the function. */
void text_table_header(FILE *out, const struct profile *p)
{
	for (const enum func_col *c = func_display_order; *c != FCOL_COUNT; c++) {
		const struct func_column *col = &func_columns[*c];

		if (!func_column_shown(col, p))
			continue;
		if (*c == FCOL_FUNCTION)
			fprintf(out, "  %s", col->title);
		else
			fprintf(out, "%s%*s", c == func_display_order ? "" : " ", col->text_width,
				col->title);
	}
	putc('\n', out);
}

void text_function_label(FILE *out, const struct profile *p, uint32_t fn)
{
	char *label = func_label(p, fn);

	put_safe(out, label);
	free(label);
}

void text_row(FILE *out, const struct profile *p, const struct func_row *row)
{
	for (const enum func_col *c = func_display_order; *c != FCOL_COUNT; c++) {
		const struct func_column *col = &func_columns[*c];
		double pct = 0;
		char *cell;

		if (!func_column_shown(col, p))
			continue;
		cell = col->cell(p, row, &pct);
		if (*c == FCOL_FUNCTION) {
			fputs("  ", out);
			put_safe(out, cell);
		} else {
			fprintf(out, "%s%*s", c == func_display_order ? "" : " ", col->text_width,
				cell);
		}
		free(cell);
	}
	putc('\n', out);
}

/* The fields of a function row (row NULL: only the keys, for a header).
 * relation: NULL in the main table, else "function", "caller" or "callee". */
size_t func_fields(const struct profile *p, const struct func_row *row, const char *relation,
		   struct field *f)
{
	size_t n = 0;

	if (relation)
		f[n++] = FSTR("relation", relation);
	for (const enum func_col *c = func_record_order; *c != FCOL_COUNT; c++)
		if (func_columns[*c].fields)
			n += func_columns[*c].fields(p, row, f + n);
	return n;
}

void func_record(struct report *r, const struct func_row *row, const char *relation)
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
void write_rows(struct report *r, const struct func_table *t, const char *what,
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
struct func_row own_row(struct report *r, uint32_t fn)
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

int report_clock_resolve(const struct profile *p, enum report_clock want, bool *wall, char *err,
			 size_t errlen)
{
	bool recorded_wall = p->meta.clock && !strcmp(p->meta.clock, "wall");

	if (want == REPORT_CLOCK_WALL && !recorded_wall) {
		snprintf(err, errlen,
			 "--clock wall: this profile was recorded on the CPU clock and holds no "
			 "off-CPU time; record it again with --clock wall, or drop --clock");
		return -1;
	}
	*wall = want == REPORT_CLOCK_SESSION ? recorded_wall : want == REPORT_CLOCK_WALL;
	return 0;
}

/* The log's on-CPU and off-CPU parts (total_weight holds both). */
struct clock_totals {
	uint64_t cpu_ns, off_ns, off_records;
	uint64_t idle_ns, idle_records; /* of off_*: waits for work (PROF_SAMPLE_IDLE) */
};

static void clock_totals(const struct profile *p, struct clock_totals *t)
{
	*t = (struct clock_totals){0};
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];

		if (s->flags & PROF_SAMPLE_OFFCPU) {
			t->off_ns += s->weight;
			t->off_records += s->count;
			if (s->flags & PROF_SAMPLE_IDLE) {
				t->idle_ns += s->weight;
				t->idle_records += s->count;
			}
		} else {
			t->cpu_ns += s->weight;
		}
	}
}

/* The clock line: which time the tables count (a CPU-clock profile seen
 * on the CPU clock has none: the report it always had). */
static void text_clock_line(struct report *r, const struct clock_totals *t)
{
	if (!r->o->filter.wall) {
		if (t->off_records)
			fputs("clock: cpu (on-CPU samples only; the off-CPU waits show with "
			      "--clock wall)\n",
			      r->out);
		return;
	}
	fprintf(r->out,
		"clock: wall (per thread: %.1f s on CPU + %.1f s off CPU in %" PRIu64
		" waits; [off-CPU: why] frames)",
		t->cpu_ns / 1e9, t->off_ns / 1e9, t->off_records);
	if (t->idle_records)
		fprintf(r->out, "; idle waits %s: %.1f s in %" PRIu64 "%s",
			r->o->filter.idle ? "shown" : "hidden", t->idle_ns / 1e9, t->idle_records,
			r->o->filter.idle ? "" : " (--idle shows them)");
	putc('\n', r->out);
}

/* Python's GIL: of each thread's on-CPU samples, the share taken while it
 * held the GIL (PROF_SAMPLE_GIL), when any sample did; the busiest
 * threads first, at most 8, a process's first thread marked main. */
static void text_gil_line(struct report *r)
{
	struct gil_count {
		int32_t tid;
		uint64_t samples, held;
	} *th = NULL;
	size_t n = 0, cap = 0, shown;
	uint64_t samples = 0, held = 0;
	bool any = false; /* a sample of any thread held it: --tid shows 0% too */

	for (size_t i = 0; i < r->p->nsamples; i++) {
		const struct prof_sample *s = &r->p->samples[i];
		size_t k = 0;

		if (s->flags & PROF_SAMPLE_OFFCPU)
			continue;
		any |= (s->flags & PROF_SAMPLE_GIL) != 0;
		if (r->o->filter.tid && s->tid != r->o->filter.tid)
			continue;
		while (k < n && th[k].tid != s->tid)
			k++;
		if (k == n) {
			th = xgrow(th, &cap, n + 1, sizeof(*th));
			th[n++] = (struct gil_count){.tid = s->tid};
		}
		th[k].samples += s->count;
		samples += s->count;
		if (s->flags & PROF_SAMPLE_GIL) {
			th[k].held += s->count;
			held += s->count;
		}
	}
	if (any && n) {
		fprintf(r->out, "GIL (Python): held in %.1f%% of the on-CPU samples; by thread:",
			share(held, samples));
		for (shown = 0; shown < n && shown < 8; shown++) {
			size_t best = shown;
			const struct prof_thread *pt;

			for (size_t k = shown + 1; k < n; k++)
				if (th[k].samples > th[best].samples)
					best = k;
			struct gil_count tmp = th[shown];
			th[shown] = th[best];
			th[best] = tmp;
			fprintf(r->out, "%s %d", shown ? "," : "", th[shown].tid);
			if ((pt = profile_find_thread(r->p, th[shown].tid)) && pt->comm) {
				fputs(" (", r->out);
				put_safe(r->out, pt->comm);
				putc(')', r->out);
			}
			if (pt && pt->pid == pt->tid) /* Python's main thread */
				fputs(" main", r->out);
			fprintf(r->out, " %.1f%%", share(th[shown].held, th[shown].samples));
		}
		putc('\n', r->out);
	}
	free(th);
}

const char *sort_title(enum query_sort s)
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

/* report --memory of a run: no CPU samples were taken (cli.c). */
static bool cpu_unsampled(const struct profile *p)
{
	return !p->meta.freq && !p->total_samples;
}

static void text_header(struct report *r)
{
	const struct prof_meta *m = &r->p->meta;
	FILE *out = r->out;
	char n[32], sig[32];
	struct clock_totals ct;

	clock_totals(r->p, &ct);
	fputs("proftop report: ", out);
	put_safe(out, m->command ? m->command : "(unknown command)");
	if (m->pid > 0)
		fprintf(out, " (pid %d%s)", m->pid, m->attached ? ", attached" : "");
	if (cpu_unsampled(r->p))
		fprintf(out, "\nno CPU samples (memory only; -F HZ samples CPU too) in %.1f s",
			m->duration_ns / 1e9);
	else
		fprintf(out, "\n%s samples (%.1f s CPU) in %.1f s",
			fmt_count(r->p->total_samples - ct.off_records, n, sizeof(n)),
			ct.cpu_ns / 1e9, m->duration_ns / 1e9);
	if (m->freq)
		fprintf(out, " at %u Hz", m->freq);
	if (m->backend)
		fprintf(out, ", %s backend", m->backend);
	/* ptrace stops the target for each sample: say what that cost it. */
	if (m->held_ns)
		fprintf(out, " (samples held the target %.2f%% of its CPU time)",
			share(m->held_ns, ct.cpu_ns));
	if (m->unwind)
		fprintf(out, ", %s unwinding", m->unwind);
	fprintf(out, "; %s lost", fmt_count(m->lost, n, sizeof(n)));
	if (m->freq || r->p->total_samples)
		fprintf(out, "; %.1f%% truncated stacks",
			share(r->p->truncated_samples, r->p->total_samples));
	putc('\n', out);
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
	text_clock_line(r, &ct);
	text_gil_line(r);
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
	struct clock_totals ct;

	clock_totals(r->p, &ct);
	fputs("{\"command\":", out);
	json_str(out, m->command);
	fprintf(out,
		",\"pid\":%d,\"samples\":%" PRIu64 ",\"lost\":%" PRIu64
		",\"truncated_samples\":%" PRIu64
		",\"duration_s\":%.3f,\"cpu_s\":%.6f,\"freq_hz\":%u,\"held_s\":%.6f,\"backend\":",
		m->pid, r->p->total_samples - ct.off_records, m->lost, r->p->truncated_samples,
		m->duration_ns / 1e9, ct.cpu_ns / 1e9, m->freq, m->held_ns / 1e9);
	json_str(out, m->backend);
	fprintf(out,
		",\"clock\":\"%s\",\"offcpu_s\":%.6f,\"offcpu_waits\":%" PRIu64
		",\"idle_s\":%.6f,\"idle_waits\":%" PRIu64 ",\"idle_shown\":%s",
		r->o->filter.wall ? "wall" : "cpu", ct.off_ns / 1e9, ct.off_records,
		ct.idle_ns / 1e9, ct.idle_records, r->o->filter.idle ? "true" : "false");
	fputs(",\"exit\":", out);
	if (m->exited) {
		fprintf(out, "{\"status\":%d}", m->exit_status);
	} else if (m->term_signal) {
		fputs("{\"signal\":", out);
		json_str(out, fmt_signal(m->term_signal, sig, sizeof(sig)));
		putc('}', out);
	} else {
		fputs("null", out);
	}
	fprintf(out,
		",\"ended\":%s,\"stopped_by_proftop\":%s,\"sort\":", m->ended ? "true" : "false",
		m->stopped_by_proftop ? "true" : "false");
	json_str(out, sort ? sort : "?");
	fprintf(out, ",\"reverse\":%s", r->o->reverse ? "true" : "false");
	if (r->o->filter.tid)
		fprintf(out, ",\"tid\":%d", r->o->filter.tid);
	report_calls_header_json(out, r->p);
}

/* ---- views ---- */

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
		text_table_header(out, r->p);
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
		if (cpu_unsampled(p))
			warnx_("no function named '%s' among the memory records (no CPU samples "
			       "were taken: -F HZ takes them too)",
			       name);
		else
			warnx_("no function named '%s' in the profile", name);
		return 1;
	}
	m = open_memstream(&msg, &len);
	if (!m)
		fatal("out of memory (formatting a message)");
	/* Each candidate as a name that selects it alone. */
	fprintf(m, "ambiguous function '%s': use one of ", name);
	for (size_t i = 0; i < n && i < AMBIGUOUS_SHOWN; i++) {
		char *sel = query_function_selector(p, ids[i]);

		fprintf(m, "%s", i ? ", " : "");
		put_safe(m, sel);
		free(sel);
	}
	if (n > AMBIGUOUS_SHOWN)
		fprintf(m, " (and %zu more: module:FUNC, FUNC@file or FUNC@file:line narrow it)",
			n - AMBIGUOUS_SHOWN);
	fclose(m);
	warnx_("%s", msg);
	free(msg);
	return 1;
}

static void write_report(struct report *r)
{
	const struct report_opts *o = r->o;
	bool views = o->lines_func || o->callers_func || o->callees_func || o->memory ||
		     o->processes || o->latency || o->modules;
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
	/* CSV: under --memory, --lines/--callers/--callees are the table, in
	 * bytes (the function views count o->filter.measure). */
	if (o->memory && !(csv && (o->lines_func || o->callers_func || o->callees_func))) {
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
		void (*relatives)(struct report *, uint32_t, bool, bool) =
			o->memory ? write_mem_relatives : write_relatives;

		if (csv && o->memory)
			write_mem_relatives_header(r);
		else if (csv) /* one table: the function, then its callers and callees */
			func_header(r, true);
		if (o->callers_func)
			relatives(r, r->callers_fn, false, true);
		if (o->callees_func)
			relatives(r, r->callees_fn, true,
				  !o->callers_func || r->callers_fn != r->callees_fn ||
					  o->format == REPORT_JSON);
	}
	if (o->lines_func) {
		if (csv && tables++)
			putc('\n', r->out);
		write_lines(r, r->lines_fn);
		if (o->diff && o->format == REPORT_TEXT && !o->memory)
			write_line_diff(r, r->lines_fn);
	}
	if (o->latency) {
		if (csv && tables++)
			putc('\n', r->out);
		report_latency(r->out, r->p, o->latency, o->format);
	}
	if (o->modules) {
		if (csv && tables++)
			putc('\n', r->out);
		write_modules(r);
	}
	if (o->format == REPORT_JSON)
		fputs("}\n", r->out);
}

int report_write(FILE *out, const struct profile *p, const struct report_opts *o)
{
	struct report r = {.out = out, .p = p, .o = o};
	struct report_opts mo;
	struct report_locale loc;
	int rc = 0;

	/* --memory: the function views count memory (report-memory.c). */
	if (o->memory) {
		mo = *o;
		mo.filter.measure = report_mem_measure(p, o, &mo.filter.at);
		r.o = o = &mo;
	}

	/* Resolve names first, so that an error leaves no half-written report. */
	if ((o->lines_func && resolve_function(p, o->lines_func, &r.lines_fn)) ||
	    (o->callers_func && resolve_function(p, o->callers_func, &r.callers_fn)) ||
	    (o->callees_func && resolve_function(p, o->callees_func, &r.callees_fn)))
		return 1;
	if (o->lines_func && o->disasm && disasm_prepare(&r, r.lines_fn, true)) {
		annot_cache_free(r.annot);
		return 1;
	}

	report_c_numeric(&loc);
	write_report(&r);
	report_c_numeric_end(&loc);
	if (report_flush(out))
		rc = 1;
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
