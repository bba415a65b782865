/* Text, CSV and JSON renderings of query tables, for `proftop report`. */
#ifndef PROFTOP_REPORT_H
#define PROFTOP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "profile.h"
#include "query.h"

enum report_format { REPORT_TEXT, REPORT_CSV, REPORT_JSON };

struct diff_table;
struct mem_diff;

struct report_opts {
	enum query_sort sort;
	bool reverse;
	size_t limit; /* 0: no limit */
	enum report_format format;
	const char *lines_func;	  /* --lines FUNC */
	const char *callers_func; /* --callers FUNC */
	const char *callees_func; /* --callees FUNC */
	bool memory;		  /* --memory */
	/* --memory: the memory table's order when mem_sort_set, else
	 * allocated bytes (faulted bytes when nothing was allocated) */
	enum mem_sort mem_sort;
	bool mem_sort_set;
	bool modules;		  /* --modules: where each module's symbols came from */
	bool processes;		  /* --processes: a row per process */
	bool disasm;		  /* --disasm: --lines as machine code */
	const char *latency;	  /* --latency FUNC[,FUNC...]: the per-call timing view */
	struct query_filter filter;
	/* --baseline: the function table becomes this comparison (diff.h),
	 * computed by the caller; sort, reverse and filter are its own. */
	const struct diff_table *diff;
	/* --memory --baseline: the memory comparison (report-memory.h),
	 * computed by the caller; it takes diff's place. */
	const struct mem_diff *mem_diff;
};

/* Which clock a view counts: --clock, else the session's own. */
enum report_clock { REPORT_CLOCK_SESSION, REPORT_CLOCK_CPU, REPORT_CLOCK_WALL };

/* Whether views of p count wall time (query_filter.wall) under want: 0, or
 * -1 with a one-line err (and the fix) when want is wall and p was recorded
 * on the CPU clock (it holds no off-CPU time). */
int report_clock_resolve(const struct profile *p, enum report_clock want, bool *wall, char *err,
			 size_t errlen);

/* Write the report. Returns 0, or 1 after printing a one-line error to
 * stderr (a function that matches nothing or several). */
int report_write(FILE *out, const struct profile *p, const struct report_opts *o);

/* Parse "text" | "csv" | "json"; -1 if unknown. */
int report_parse_format(const char *s, enum report_format *out);

#endif
