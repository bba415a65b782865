/* Text, CSV and JSON renderings of query tables, for `proftop report`. */
#ifndef PROFTOP_REPORT_H
#define PROFTOP_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "profile.h"
#include "query.h"

enum report_format { REPORT_TEXT, REPORT_CSV, REPORT_JSON };

struct report_opts {
	enum query_sort sort;
	bool reverse;
	size_t limit; /* 0: no limit */
	enum report_format format;
	const char *lines_func;   /* --lines FUNC */
	const char *callers_func; /* --callers FUNC */
	const char *callees_func; /* --callees FUNC */
	bool memory;              /* --memory */
	struct query_filter filter;
};

/* Write the report. Returns 0, or 1 after printing a one-line error to
 * stderr (a function that matches nothing or several). */
int report_write(FILE *out, const struct profile *p, const struct report_opts *o);

/* Parse "text" | "csv" | "json"; -1 if unknown. */
int report_parse_format(const char *s, enum report_format *out);

#endif
