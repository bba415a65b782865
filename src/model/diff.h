/* Comparing two profiles: the function table of the current profile beside a
 * baseline's, functions matched by (name, module basename). It answers "did
 * my change make it faster, and where": each row carries the change of the
 * function's shares and own time. Plain C over two models, no terminal. */
#ifndef PROFTOP_DIFF_H
#define PROFTOP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "query.h"

struct diff_row {
	/* The function's row in the current profile (cur) if it has samples
	 * there, else its baseline row with every count zero: render
	 * `row` with `prof`, which is cur or base accordingly. Functions that
	 * share a (name, module) key are summed into one row. */
	const struct profile *prof;
	struct func_row row;  /* current counts and shares */
	struct func_row base; /* the baseline's (function is an id in base, or
			       * PROF_NONE when it has no samples there) */
	double d_self_pct;    /* row.self_pct - base.self_pct, in points */
	double d_total_pct;   /* row.total_pct - base.total_pct */
	double d_tottime;     /* seconds: row.self_ns - base.self_ns */
	bool regression;      /* d_self_pct past the threshold */
};

struct diff_opts {
	enum query_sort sort; /* the current profile's order, unless by_delta */
	bool by_delta;	      /* largest regression first: d_self_pct, then d_total_pct */
	bool reverse;
	bool flag;	  /* flag regressions... */
	double threshold; /* ...whose d_self_pct exceeds this many points */
};

struct diff_table {
	struct diff_row *rows;
	size_t n;
	const struct profile *cur_profile, *base_profile; /* borrowed */
	struct func_table cur, base; /* the two whole tables (totals included) */
	struct diff_opts opts;	     /* as computed */
	size_t regressions;	     /* rows flagged */
};

/* Every function with samples in either profile, through the same filter. */
void diff_functions(const struct profile *cur, const struct profile *base,
		    const struct query_filter *f, const struct diff_opts *o,
		    struct diff_table *out);
void diff_table_free(struct diff_table *t);

#endif
