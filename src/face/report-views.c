#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "report-int.h"

/* Callers (callees == false) or callees of fn, after fn's own row. */
void write_relatives(struct report *r, uint32_t fn, bool callees, bool own)
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
			text_table_header(out, r->p);
			text_row(out, r->p, &self);
		}
		fprintf(out, "\n%s of ", callees ? "Callees" : "Callers");
		put_safe(out, profile_function_name(r->p, fn));
		fputs(":\n", out);
		text_table_header(out, r->p);
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

/* ---- --processes: one row per process of the target ---- */

#define PROC_FIELDS 8

static size_t proc_fields(const struct profile *p, const struct proc_row *row, struct field *f)
{
	struct proc_row none = {.top_function = PROF_NONE};
	const char *top;

	if (!row)
		row = &none;
	top = row->top_function == PROF_NONE ? NULL : profile_function_name(p, row->top_function);
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

void write_processes(struct report *r)
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
			fprintf(out, "%*s",
				row->comm && strlen(row->comm) < 16 ? (int)(17 - strlen(row->comm))
								    : 1,
				"");
			if (row->top_function != PROF_NONE) {
				put_safe(out, profile_function_name(r->p, row->top_function));
				fprintf(out, " (%.3f)", row->top_ns / 1e9);
			}
			putc('\n', out);
		}
		if (!t.n)
			fputs("  (none)\n", out);
		else if (shown < t.n)
			fprintf(out, "(showing %zu of %zu processes; --limit 0 for all)\n", shown,
				t.n);
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
