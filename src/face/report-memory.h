/* `report --memory`: the RSS summary, what was tracked, the memory table
 * per function (query_mem_table), and with --baseline the comparison of
 * two profiles' memory per function. */
#ifndef PROFTOP_REPORT_MEMORY_H
#define PROFTOP_REPORT_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile.h"
#include "query.h"
#include "report.h"

/* The memory table's order: o->mem_sort when given, else allocated bytes,
 * or faulted bytes when p holds no allocation records (page faults only). */
enum mem_sort report_mem_sort(const struct profile *p, const struct report_opts *o);

/* What --callers/--callees/--lines count under --memory: the measure of
 * the memory table's order (allocated bytes by default). *at: the moment
 * MEASURE_PEAK_BYTES looks at (the RSS peak). */
enum query_measure report_mem_measure(const struct profile *p, const struct report_opts *o,
				      uint64_t *at);

/* One function of the memory comparison, matched between the two
 * profiles by name and module (the profiled executable matches whatever
 * its file is called, as diff.h's comparison does). */
struct mem_diff_row {
	const struct profile *prof; /* names it: the current profile if it has
				     * records there, else the baseline */
	uint32_t function;	    /* an id in prof */
	struct mem_row cur, base;   /* its columns on each side (zeros: none) */
	double pct;		    /* change of the compared measure in percent
				     * of base; INFINITY when base is 0 */
	bool regression;	    /* flagged: grew past the threshold */
};

struct mem_diff {
	struct mem_diff_row *rows; /* largest growth of the compared measure first */
	size_t n;
	const struct profile *cur_profile, *base_profile; /* borrowed */
	struct mem_row cur_total, base_total;
	/* Neither profile holds an allocation record: faulted bytes (RSS
	 * growth) are compared instead of allocated bytes. */
	bool faults_only;
	bool flag;	  /* give verdicts (--threshold, --fail-on-regression) */
	double threshold; /* percent of the function's baseline */
	size_t regressions;
};

/* The memory comparison of cur with base through f (-r: reverse). A row
 * is a regression, with flag, when its compared measure grew by more
 * than threshold percent of its baseline and by at least 1% of the larger
 * side's total (smaller changes are sampling noise). Memory records are
 * not repeated runs: there is no test of significance. */
void mem_diff_compute(const struct profile *cur, const struct profile *base,
		      const struct query_filter *f, bool reverse, bool flag, double threshold,
		      struct mem_diff *out);
void mem_diff_free(struct mem_diff *d);

/* The comparison as Markdown, for a CI comment. Returns 0, or 1 after
 * saying why it could not write. */
int report_mem_diff_markdown(FILE *out, const struct mem_diff *d, const struct report_opts *o);

#endif
