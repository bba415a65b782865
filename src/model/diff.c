#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "xalloc.h"

/* One function row of either table, keyed for matching. */
struct entry {
	const char *name, *module; /* module basename */
	bool base;		   /* from the baseline */
	const struct func_row *row;
};

/* The profiled program's own executable has a key of its own: a rebuilt
 * program is the same program even when its new build has another name
 * (./prog-old vs ./prog-new). */
#define MAIN_MODULE "\001main"

static bool is_main_module(const struct profile *p, const char *name)
{
	const char *cmd = p->meta.command, *base, *end;

	if (!cmd)
		return false;
	end = cmd + strcspn(cmd, " ");
	for (base = end; base > cmd && base[-1] != '/';)
		base--;
	return (size_t)(end - base) == strlen(name) && !strncmp(base, name, (size_t)(end - base));
}

static const char *entry_module(const struct profile *p, uint32_t fn)
{
	uint32_t m = p->functions[fn].module;
	const char *name;

	if (m >= p->nmodules)
		return "[unknown]";
	name = p->modules[m].name ? p->modules[m].name : "[unknown]";
	return is_main_module(p, name) ? MAIN_MODULE : name;
}

static int cmp_entry(const void *va, const void *vb)
{
	const struct entry *a = va, *b = vb;
	int c = strcmp(a->name, b->name);

	if (!c)
		c = strcmp(a->module, b->module);
	if (!c)
		c = (int)a->base - (int)b->base;
	/* The hottest of equals first: it names the merged row. */
	if (!c)
		c = a->row->total_ns > b->row->total_ns ? -1 : a->row->total_ns < b->row->total_ns;
	return c;
}

/* Add b's counts into a (a function's key met twice in one profile). */
static void row_merge(struct func_row *a, const struct func_row *b)
{
	a->self_samples += b->self_samples;
	a->total_samples += b->total_samples;
	a->self_ns += b->self_ns;
	a->total_ns += b->total_ns;
	a->self_pct += b->self_pct;
	a->total_pct += b->total_pct;
	if (a->calls >= 0 && b->calls >= 0)
		a->calls += b->calls;
	else
		a->calls = -1;
	a->calls_lower_bound |= b->calls_lower_bound;
}

static size_t entries_add(struct entry *e, const struct profile *p, const struct func_table *t,
			  bool base)
{
	for (size_t i = 0; i < t->n; i++)
		e[i] = (struct entry){profile_function_name(p, t->rows[i].function),
				      entry_module(p, t->rows[i].function), base, &t->rows[i]};
	return t->n;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_double_desc(double a, double b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int row_cmp(const void *va, const void *vb, void *ctx)
{
	const struct diff_opts *o = ctx;
	const struct diff_row *a = va, *b = vb;
	const struct func_row *x = &a->row, *y = &b->row;
	int c = 0;

	if (o->by_delta) {
		c = cmp_double_desc(a->d_self_pct, b->d_self_pct);
		if (!c)
			c = cmp_double_desc(a->d_total_pct, b->d_total_pct);
	} else {
		switch (o->sort) {
		case SORT_CUMULATIVE:
			c = cmp_u64_desc(x->total_ns, y->total_ns);
			break;
		case SORT_TOTTIME:
			c = cmp_u64_desc(x->self_ns, y->self_ns);
			break;
		case SORT_CALLS:
			if ((x->calls < 0) != (y->calls < 0))
				c = x->calls < 0 ? 1 : -1;
			else if (x->calls != y->calls)
				c = x->calls > y->calls ? -1 : 1;
			else
				c = cmp_u64_desc(x->total_ns, y->total_ns);
			break;
		case SORT_NAME:
			break;
		}
	}
	if (!c)
		c = strcmp(profile_function_name(a->prof, x->function),
			   profile_function_name(b->prof, y->function));
	if (!c)
		c = strcmp(entry_module(a->prof, x->function), entry_module(b->prof, y->function));
	return o->reverse ? -c : c;
}

void diff_functions(const struct profile *cur, const struct profile *base,
		    const struct query_filter *f, const struct diff_opts *o, struct diff_table *out)
{
	struct entry *e;
	size_t n, i, j;

	memset(out, 0, sizeof(*out));
	out->cur_profile = cur;
	out->base_profile = base;
	out->opts = *o;
	query_functions(cur, f, SORT_CUMULATIVE, false, &out->cur);
	query_functions(base, f, SORT_CUMULATIVE, false, &out->base);
	e = xcalloc(out->cur.n + out->base.n + 1, sizeof(*e));
	n = entries_add(e, cur, &out->cur, false);
	n += entries_add(e + n, base, &out->base, true);
	qsort(e, n, sizeof(*e), cmp_entry);
	out->rows = xcalloc(n + 1, sizeof(*out->rows));
	for (i = 0; i < n; i = j) {
		struct diff_row *d = &out->rows[out->n++];
		bool have_cur = false, have_base = false;

		memset(d, 0, sizeof(*d));
		d->base.function = PROF_NONE;
		d->base.calls = -1;
		for (j = i;
		     j < n && !strcmp(e[j].name, e[i].name) && !strcmp(e[j].module, e[i].module);
		     j++) {
			struct func_row *r = e[j].base ? &d->base : &d->row;
			bool *have = e[j].base ? &have_base : &have_cur;

			if (*have)
				row_merge(r, e[j].row);
			else
				*r = *e[j].row;
			*have = true;
		}
		if (have_cur) {
			d->prof = cur;
		} else {
			/* Gone since the baseline: its name, no time. */
			d->prof = base;
			d->row = (struct func_row){.function = d->base.function, .calls = -1};
		}
		d->d_self_pct = d->row.self_pct - d->base.self_pct;
		d->d_total_pct = d->row.total_pct - d->base.total_pct;
		d->d_tottime = ((double)d->row.self_ns - (double)d->base.self_ns) / 1e9;
		d->regression = o->flag && d->d_self_pct > o->threshold;
		out->regressions += d->regression;
	}
	free(e);
	qsort_r(out->rows, out->n, sizeof(*out->rows), row_cmp, (void *)o);
}

void diff_table_free(struct diff_table *t)
{
	free(t->rows);
	func_table_free(&t->cur);
	func_table_free(&t->base);
	memset(t, 0, sizeof(*t));
}
