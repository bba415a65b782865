/* The comparison with a baseline as a Markdown table, for a CI comment
 * (`report --baseline OLD --format markdown`). */
#ifndef PROFTOP_REPORT_DIFF_H
#define PROFTOP_REPORT_DIFF_H

#include <stdio.h>

#include "diff.h"
#include "report.h"

/* Write t as Markdown: a heading with the verdict, the runs' totals, and
 * one table row per function (the flagged ones always, then o->limit rows
 * in t's order). Returns 0, or 1 after saying why it could not write. */
int report_diff_markdown(FILE *out, const struct diff_table *t, const struct report_opts *o);

#endif
