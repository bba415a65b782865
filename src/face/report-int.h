/* What the pieces of the report (report.c, report-views.c, report-lines.c)
 * share: the report being written and its function rows. */
#ifndef PROFTOP_REPORT_INT_H
#define PROFTOP_REPORT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <locale.h>
#include <stdio.h>

#include "annotate.h"
#include "columns.h"
#include "report-emit.h"
#include "report.h"

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

#define FUNC_FIELDS (FUNC_COLUMN_FIELDS + 1) /* and the relation */

const char *base_name(const char *path);
double share(uint64_t part, uint64_t whole);
size_t rows_shown(const struct report *r, size_t n);

/* function rows, shared by the main table, callers/callees and the line view */
void text_table_header(FILE *out, const struct profile *p);
/* "name (file:line) [module]" of fn, control characters as '?' */
void text_function_label(FILE *out, const struct profile *p, uint32_t fn);
void text_row(FILE *out, const struct profile *p, const struct func_row *row);
size_t func_fields(const struct profile *p, const struct func_row *row, const char *relation,
		   struct field *f);
void func_record(struct report *r, const struct func_row *row, const char *relation);
void write_rows(struct report *r, const struct func_table *t, const char *what,
		const char *relation);
struct func_row own_row(struct report *r, uint32_t fn);
const char *sort_title(enum query_sort s);

/* report-views.c: the comparison, callers/callees, processes */
void write_diff(struct report *r);
void write_line_diff(struct report *r, uint32_t fn); /* report-diff.c: --lines with --baseline */
void write_relatives(struct report *r, uint32_t fn, bool callees, bool own);
void write_processes(struct report *r);

/* report-memory.c: --memory (the RSS summary, the memory table) and the
 * function views under it, counting o->filter.measure */
void write_memory(struct report *r);
void write_mem_relatives(struct report *r, uint32_t fn, bool callees, bool own);
void write_mem_relatives_header(struct report *r);			/* CSV */
void mem_function_record(struct report *r, const struct func_row *row); /* JSON */
/* "allocated bytes", "faulted bytes (RSS growth)"... */
const char *report_measure_title(enum query_measure m);
/* v as the measure shows it: a size, or a count of allocations */
char *report_amount(enum query_measure m, uint64_t v, char *buf, size_t len);
/* f[0], f[1]: self_<what>, total_<what> (self_allocated_bytes...) */
void report_amount_fields(enum query_measure m, uint64_t self, uint64_t total, struct field *f);
/* report-memdiff.c: --memory --baseline */
void write_mem_diff(struct report *r);

/* report-lines.c: --lines as source or machine code */
int disasm_prepare(struct report *r, uint32_t fn, bool asked);
void write_lines(struct report *r, uint32_t fn);

/* CSV, JSON and Markdown need '.' decimals whatever locale the TUI set:
 * report_c_numeric switches this thread to C numerics until
 * report_c_numeric_end. */
struct report_locale {
	locale_t c, old;
};
void report_c_numeric(struct report_locale *l);
void report_c_numeric_end(struct report_locale *l);
/* Flush a finished report: 0, or 1 after one line saying why it could
 * not be written (none for a reader that stopped early, | head). */
int report_flush(FILE *out);

#endif
