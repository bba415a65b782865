#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "columns.h"
#include "xalloc.h"

static const char *file_base(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash && slash[1] ? slash + 1 : path;
}

char *func_label(const struct profile *p, uint32_t fn)
{
	const char *name = profile_function_name(p, fn), *mod = profile_module_name(p, fn);
	const struct prof_function *f = fn < p->nfunctions ? &p->functions[fn] : NULL;
	char where[512] = "";
	char *out;

	if (f && f->file && f->start_line > 0)
		snprintf(where, sizeof(where), " (%s:%d)", file_base(f->file), f->start_line);
	else if (f && f->file)
		snprintf(where, sizeof(where), " (%s)", file_base(f->file));
	/* "[kernel]" is its own module: no "[kernel] [[kernel]]" */
	if (!strcmp(name, mod))
		out = xasprintf("%s%s", name, where);
	else
		out = xasprintf(mod[0] == '[' ? "%s%s %s" : "%s%s [%s]", name, where, mod);
	return out;
}

bool func_column_shown(const struct func_column *col, const struct profile *p)
{
	return !col->wall || (p && p->meta.clock && !strcmp(p->meta.clock, "wall"));
}

bool func_rows_counted(const struct func_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].calls >= 0)
			return true;
	return false;
}

/* ---- cells ---- */

static char *cell_ncalls(const struct profile *p, const struct func_row *row, double *pct)
{
	if (row->calls < 0)
		return xstrdup("-");
	return xasprintf("%s%" PRId64, row->calls_lower_bound ? ">=" : "", row->calls);
}

static char *seconds(uint64_t ns)
{
	return xasprintf("%.3f", ns / 1e9);
}

static char *per_call(uint64_t ns, const struct func_row *row)
{
	return row->calls > 0 ? xasprintf("%.3f", ns / 1e9 / (double)row->calls) : xstrdup("-");
}

static char *cell_tottime(const struct profile *p, const struct func_row *row, double *pct)
{
	return seconds(row->self_ns);
}

static char *cell_tpercall(const struct profile *p, const struct func_row *row, double *pct)
{
	return per_call(row->self_ns, row);
}

static char *cell_cumtime(const struct profile *p, const struct func_row *row, double *pct)
{
	return seconds(row->total_ns);
}

static char *cell_cpercall(const struct profile *p, const struct func_row *row, double *pct)
{
	return per_call(row->total_ns, row);
}

static char *cell_self(const struct profile *p, const struct func_row *row, double *pct)
{
	*pct = row->self_pct;
	return xasprintf("%.1f%%", row->self_pct);
}

static char *cell_total(const struct profile *p, const struct func_row *row, double *pct)
{
	*pct = row->total_pct;
	return xasprintf("%.1f%%", row->total_pct);
}

static double offcpu_pct(const struct func_row *row)
{
	return row->total_ns ? 100.0 * (double)row->offcpu_ns / (double)row->total_ns : 0.0;
}

/* How much of the function's cumtime was waiting (blocked or runnable). */
static char *cell_offcpu(const struct profile *p, const struct func_row *row, double *pct)
{
	return xasprintf("%.1f%%", offcpu_pct(row));
}

static char *cell_function(const struct profile *p, const struct func_row *row, double *pct)
{
	return func_label(p, row->function);
}

/* ---- record fields ---- */

static const struct func_row no_row = {.calls = -1, .function = PROF_NONE};

static size_t fields_function(const struct profile *p, const struct func_row *row, struct field *f)
{
	const struct prof_function *fn = row ? &p->functions[row->function] : NULL;
	int line = fn && fn->start_line > 0 ? fn->start_line : 0;

	f[0] = FSTR("function", row ? profile_function_name(p, row->function) : "");
	f[1] = FSTR("module", row ? profile_module_name(p, row->function) : NULL);
	f[2] = FSTR("file", fn ? fn->file : NULL);
	f[3] = FINT("line", line);
	f[3].null = !line;
	return 4;
}

static size_t fields_samples(const struct profile *p, const struct func_row *row, struct field *f)
{
	row = row ? row : &no_row;
	f[0] = FINT("self_samples", row->self_samples);
	f[1] = FINT("total_samples", row->total_samples);
	return 2;
}

static size_t fields_self(const struct profile *p, const struct func_row *row, struct field *f)
{
	f[0] = FREAL("self_pct", row ? row->self_pct : 0, 2);
	return 1;
}

static size_t fields_total(const struct profile *p, const struct func_row *row, struct field *f)
{
	f[0] = FREAL("total_pct", row ? row->total_pct : 0, 2);
	return 1;
}

static size_t fields_tottime(const struct profile *p, const struct func_row *row, struct field *f)
{
	f[0] = FREAL("tottime", row ? row->self_ns / 1e9 : 0, 6);
	return 1;
}

static size_t fields_cumtime(const struct profile *p, const struct func_row *row, struct field *f)
{
	f[0] = FREAL("cumtime", row ? row->total_ns / 1e9 : 0, 6);
	return 1;
}

/* At the end of a record, for wall-clock profiles only (func_column_shown):
 * CPU-clock records keep the fields they always had. */
static size_t fields_offcpu(const struct profile *p, const struct func_row *row, struct field *f)
{
	if (!func_column_shown(&func_columns[FCOL_OFFCPU], p))
		return 0;
	f[0] = FREAL("offcpu_pct", row ? offcpu_pct(row) : 0, 2);
	f[1] = FREAL("offcpu", row ? row->offcpu_ns / 1e9 : 0, 6);
	return 2;
}

/* calls, then inlined: perf's rows are out-of-line functions; an inlined
 * one's time is inside the function holding it (--self-to function). */
static size_t fields_ncalls(const struct profile *p, const struct func_row *row, struct field *f)
{
	bool inl;

	row = row ? row : &no_row;
	inl = row->total_samples && row->inlined_samples == row->total_samples;
	f[0] = FINT("calls", row->calls);
	f[0].null = row->calls < 0;
	f[1] = FBOOL("calls_lower_bound", row->calls_lower_bound);
	f[2] = FINT("inlined", inl); /* CSV: 0/1 */
	f[2].where = CSV_ONLY;
	f[3] = FBOOL("inlined", inl);
	return 4;
}

const struct func_column func_columns[FCOL_COUNT] = {
	[FCOL_NCALLS] = {"ncalls", 11, 9, COL_RIGHT, SORT_CALLS, true, false, true, cell_ncalls,
			 fields_ncalls},
	[FCOL_TOTTIME] = {"tottime", 8, 9, COL_RIGHT, SORT_TOTTIME, true, false, false,
			  cell_tottime, fields_tottime},
	[FCOL_TPERCALL] = {"percall", 8, 9, COL_RIGHT, SORT_TOTTIME, false, false, true,
			   cell_tpercall, NULL},
	[FCOL_CUMTIME] = {"cumtime", 8, 9, COL_RIGHT, SORT_CUMULATIVE, true, false, false,
			  cell_cumtime, fields_cumtime},
	[FCOL_CPERCALL] = {"percall", 8, 9, COL_RIGHT, SORT_CUMULATIVE, false, false, true,
			   cell_cpercall, NULL},
	[FCOL_SELF] = {"%self", 7, 7, COL_RIGHT, SORT_TOTTIME, false, true, false, cell_self,
		       fields_self},
	[FCOL_TOTAL] = {"%total", 7, 7, COL_RIGHT, SORT_CUMULATIVE, false, true, false, cell_total,
			fields_total},
	[FCOL_FUNCTION] = {"function (file:line) [module]", 0, 0, COL_LEFT, SORT_NAME, true, false,
			   false, cell_function, fields_function},
	[FCOL_SAMPLES] = {NULL, 0, 0, COL_RIGHT, -1, false, false, false, NULL, fields_samples},
	[FCOL_OFFCPU] = {"%off", 6, 6, COL_RIGHT, -1, false, false, false, cell_offcpu,
			 fields_offcpu, .wall = true},
};

const enum func_col func_display_order[] = {
	FCOL_NCALLS, FCOL_TOTTIME, FCOL_TPERCALL, FCOL_CUMTIME,	 FCOL_CPERCALL,
	FCOL_SELF,   FCOL_TOTAL,   FCOL_OFFCPU,	  FCOL_FUNCTION, FCOL_COUNT,
};

const enum func_col func_record_order[] = {
	FCOL_FUNCTION, FCOL_SAMPLES, FCOL_SELF,	  FCOL_TOTAL, FCOL_TOTTIME,
	FCOL_CUMTIME,  FCOL_NCALLS,  FCOL_OFFCPU, FCOL_COUNT,
};
