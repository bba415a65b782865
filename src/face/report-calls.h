/* The call counting and latency parts of `proftop report` (report.c calls
 * these): the header line about the probes, the notes on lower bounds,
 * and the --latency view in text, CSV and JSON. */
#ifndef PROFTOP_REPORT_CALLS_H
#define PROFTOP_REPORT_CALLS_H

#include <stdio.h>

#include "profile.h"
#include "query.h"
#include "report.h"

/* A line about counting (its cost, "from attach on"), if calls were counted. */
void report_calls_header_text(FILE *out, const struct profile *p);
/* ,"calls":{...} in the JSON header object, if calls were counted. */
void report_calls_header_json(FILE *out, const struct profile *p);
/* Under the function table: what each ">=" among the shown rows means. */
void report_calls_notes_text(FILE *out, const struct profile *p, const struct func_row *rows,
			     size_t n);
/* The --latency view of every function in list (FUNC[,FUNC...]); a name
 * without data gets a line saying so, never an error. */
void report_latency(FILE *out, const struct profile *p, const char *list, enum report_format fmt);

/* "12.3 ms": a duration in ns with three significant digits. */
char *report_fmt_duration(uint64_t ns, char *buf, size_t len);

#endif
