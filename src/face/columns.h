/* The columns of a function row, one table for every output: the live
 * view, the text report, CSV and JSON (after perf's perf_hpp_fmt). Each
 * column knows its header, its widths, its alignment, how to format a
 * row's cell and which CSV/JSON fields it contributes, so the screen and
 * the report cannot show the same function differently. */
#ifndef PROFTOP_COLUMNS_H
#define PROFTOP_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>

#include "profile.h"
#include "query.h"
#include "report-emit.h"

enum func_col {
	FCOL_NCALLS,
	FCOL_TOTTIME,
	FCOL_TPERCALL,
	FCOL_CUMTIME,
	FCOL_CPERCALL,
	FCOL_SELF,
	FCOL_TOTAL,
	FCOL_FUNCTION,
	FCOL_SAMPLES, /* CSV and JSON only: self_samples, total_samples */
	FCOL_OFFCPU,  /* wall clock: the share of cumtime spent off the CPU */
	FCOL_COUNT
};

enum col_align { COL_RIGHT, COL_LEFT };

struct func_column {
	const char *title; /* text and screen header; NULL: in records only */
	int text_width;	   /* in the text report (a blank separates columns) */
	int screen_width;  /* on screen, the blank before it included */
	enum col_align align;
	int sort;     /* the enum query_sort a click on its header chooses, or -1 */
	bool marked;  /* carries the sort mark when sort is the order */
	bool heat;    /* coloured by its percentage on screen */
	bool counted; /* holds data only for counted calls (hidden on screen otherwise) */
	/* The cell as text, unpadded (caller frees); *pct the share it shows
	 * when heat is set. */
	char *(*cell)(const struct profile *p, const struct func_row *row, double *pct);
	/* Its CSV/JSON fields into f (row NULL: the keys only); how many. */
	size_t (*fields)(const struct profile *p, const struct func_row *row, struct field *f);
	bool wall; /* only for a profile collected on the wall clock (func_column_shown) */
};

extern const struct func_column func_columns[FCOL_COUNT];

/* Left to right in the text report and on screen; FCOL_COUNT ends it. */
extern const enum func_col func_display_order[];
/* The fields of CSV and JSON records, in this order; FCOL_COUNT ends it. */
extern const enum func_col func_record_order[];
/* Most of a function row's record fields (FUNC_FIELDS in report-int.h):
 * 14, and offcpu_pct and offcpu for a wall-clock profile. */
#define FUNC_COLUMN_FIELDS 16

/* "name (file:line) [module]", the function cell; caller frees. */
char *func_label(const struct profile *p, uint32_t fn);
/* Whether col is shown for p: a wall column only when p was collected on
 * the wall clock (a CPU-clock profile's reports are as they always were). */
bool func_column_shown(const struct func_column *col, const struct profile *p);
/* True when some row of rows has a call count: the counted columns hold data. */
bool func_rows_counted(const struct func_row *rows, size_t n);

#endif
