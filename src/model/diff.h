/* Comparing two profiles: the function table of the current profile beside a
 * baseline's, functions matched by (name, module basename). It answers "did
 * my change make it slower, where, and is that more than noise": each row
 * carries the change of the function's own and cumulative time per run of
 * the command (record --repeat keeps runs apart) with a confidence interval,
 * the change of its shares, and a verdict. Plain C over two models, no
 * terminal. */
#ifndef PROFTOP_DIFF_H
#define PROFTOP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "query.h"

/* The change of one measure (seconds, or share points) between the
 * baseline and the current profile: the mean over each side's runs, per
 * unit of work under --per. */
struct diff_estimate {
	double base, cur; /* means */
	double delta;	  /* cur - base */
	double pct;	  /* delta in percent of base; INFINITY when base is 0 */
	/* The confidence interval of delta is delta +- half (NAN: no estimate
	 * of the noise, e.g. the wall time of single runs). */
	double half;
	double df;	  /* Welch's degrees of freedom (INFINITY: sampling error only) */
	double p;	  /* two-sided p-value of "no change" (NAN as half) */
	bool significant; /* the interval excludes 0 */
	bool over;	  /* |delta| past the threshold, in delta's direction */
};

enum diff_verdict {
	DIFF_SAME,	  /* within the threshold, or not significant */
	DIFF_REGRESSION,  /* slower past the threshold, significantly */
	DIFF_IMPROVEMENT, /* faster past the threshold, significantly */
};

struct diff_row {
	/* The function's row in the current profile (cur) if it has samples
	 * there, else its baseline row with every count zero: render
	 * `row` with `prof`, which is cur or base accordingly. Functions that
	 * share a (name, module) key are summed into one row. */
	const struct profile *prof;
	struct func_row row;	    /* current counts and shares */
	struct func_row base;	    /* the baseline's (function is an id in base, or
				     * PROF_NONE when it has no samples there) */
	double d_self_pct;	    /* row.self_pct - base.self_pct, in points */
	double d_total_pct;	    /* row.total_pct - base.total_pct */
	double d_tottime;	    /* seconds per run (per unit): self.delta */
	struct diff_estimate self;  /* own time (tottime), seconds */
	struct diff_estimate cum;   /* cumulative time (cumtime), seconds */
	struct diff_estimate share; /* %self, points */
	enum diff_verdict verdict;  /* with flagging on; DIFF_SAME otherwise */
	bool regression;	    /* verdict == DIFF_REGRESSION */
};

/* What --threshold's number means. */
enum diff_unit {
	DIFF_POINTS,  /* %self points ("2", "2pt") */
	DIFF_PERCENT, /* percent of the function's own baseline time, self or cumulative ("10%") */
	DIFF_SECONDS, /* seconds of own or cumulative time per run ("0.05s") */
};

struct diff_opts {
	enum query_sort sort; /* the current profile's order, unless by_delta */
	bool by_delta;	      /* largest time regression first: self.delta, then cum.delta */
	bool reverse;
	bool flag; /* give verdicts: a change past threshold and significant */
	double threshold;
	enum diff_unit unit;
	double confidence; /* of the intervals, 0.5 to 0.9999; 0 means 0.95 */
	/* --per: units of work per run of each side (0: not normalised), or
	 * per_output: each run's own count, the number after the last
	 * per_output in the output the run printed ("requests: 1200") */
	double per_cur, per_base;
	const char *per_output;
};

struct diff_table {
	struct diff_row *rows;
	size_t n;
	const struct profile *cur_profile, *base_profile; /* borrowed */
	struct func_table cur, base; /* the two whole tables (totals included) */
	struct diff_opts opts;	     /* as computed (confidence filled in) */
	/* Each row's interval is at this confidence, so that all of them
	 * hold together at opts.confidence (Bonferroni over the rows): a
	 * table of many functions raises no more false alarms than one. */
	double row_confidence;
	size_t cur_runs, base_runs; /* runs of the command (1 without --repeat) */
	struct diff_estimate cpu;   /* the CPU time of a whole run */
	struct diff_estimate wall;  /* the wall time of a whole run */
	size_t regressions;	    /* rows flagged */
	size_t improvements;
};

/* Every function with samples in either profile, through the same filter. */
void diff_functions(const struct profile *cur, const struct profile *base,
		    const struct query_filter *f, const struct diff_opts *o,
		    struct diff_table *out);
void diff_table_free(struct diff_table *t);

/* One source line of a function compared with the baseline: matched by
 * the file's base name and the line number (lines that moved in the
 * change compare as removed and added). */
struct diff_line {
	const char *file; /* as the current profile names it, else the baseline
			   * (borrowed from the profiles) */
	int line;
	struct diff_estimate self;  /* time executing the line, seconds per run */
	struct diff_estimate total; /* and in what it calls */
};

struct diff_line_table {
	struct diff_line *rows; /* by file, then line */
	size_t n;
	double row_confidence; /* as diff_table's */
};

/* The lines of cur's function fn beside those of the baseline's function
 * of the same name and module, through the filter, per run as
 * diff_functions() (o->per_*, o->confidence). */
void diff_lines(const struct profile *cur, const struct profile *base, const struct query_filter *f,
		uint32_t fn, const struct diff_opts *o, struct diff_line_table *out);
void diff_line_table_free(struct diff_line_table *t);

/* A node of cur's call tree compared with the node of the same path in
 * the baseline's tree (functions on the path matched by name and module,
 * as diff_functions): its cumulative (total) and own time per run, per
 * unit under --per, each node's interval at o->confidence on its own.
 * Nodes with the same path (two functions of one name and module under
 * one parent) share their sum. in_base: the path has samples in base. */
struct diff_node {
	struct diff_estimate self, total;
	bool in_base;
};

/* out[i] for every node i of ct, a tree of cur through f (query_call_tree
 * or query_call_tree_live); base's tree is built through f too. */
void diff_tree(const struct profile *cur, const struct call_tree *ct, const struct profile *base,
	       const struct query_filter *f, const struct diff_opts *o, struct diff_node *out);

/* Whether every run of p printed a positive number after word (for
 * diff_opts.per_output): 0, or -1 with err naming the run. */
int diff_output_units(const struct profile *p, const char *word, char *err, size_t errlen);

/* Parse --threshold: "10%", "0.05s", "2pt" or a bare number (points).
 * Returns 0, or -1 if s is none of these (or negative). */
int diff_parse_threshold(const char *s, double *value, enum diff_unit *unit);

/* The Student t distribution with df degrees of freedom (INFINITY: the
 * normal distribution): its CDF, and its p-quantile (diff-stats.c). */
double diff_t_cdf(double t, double df);
double diff_t_quantile(double p, double df);

#endif
