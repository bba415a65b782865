#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query-int.h"
#include "xalloc.h"

/* The memory table: every memory measure per function in one pass over
 * the records. Records are first summed per stack (one column set each),
 * then each distinct stack is expanded once and its sums go to every
 * distinct function on it (inclusive) and to its leaf (self). */

enum { COL_ALLOC, COL_ALLOCS, COL_LIVE, COL_PEAK, COL_LEAKED, COL_FAULT, NCOLS };

static const enum query_measure col_measure[NCOLS] = {
	[COL_ALLOC] = MEASURE_ALLOC_BYTES,   [COL_ALLOCS] = MEASURE_ALLOCS,
	[COL_LIVE] = MEASURE_LIVE_BYTES,     [COL_PEAK] = MEASURE_PEAK_BYTES,
	[COL_LEAKED] = MEASURE_LEAKED_BYTES, [COL_FAULT] = MEASURE_FAULT_BYTES,
};

struct mem_stack {
	uint32_t stack;
	uint64_t v[NCOLS];
	uint64_t records;
};

static const struct {
	const char *name;
	enum mem_sort sort;
} mem_sort_names[] = {
	{"allocated", MEM_SORT_ALLOCATED}, {"alloc", MEM_SORT_ALLOCATED},
	{"bytes", MEM_SORT_ALLOCATED},	   {"self", MEM_SORT_SELF},
	{"own", MEM_SORT_SELF},		   {"allocations", MEM_SORT_ALLOCS},
	{"allocs", MEM_SORT_ALLOCS},	   {"count", MEM_SORT_ALLOCS},
	{"live", MEM_SORT_LIVE},	   {"peak", MEM_SORT_PEAK},
	{"leaked", MEM_SORT_LEAKED},	   {"leak", MEM_SORT_LEAKED},
	{"faulted", MEM_SORT_FAULTED},	   {"faults", MEM_SORT_FAULTED},
	{"rss", MEM_SORT_FAULTED},	   {"name", MEM_SORT_NAME},
};

int query_parse_mem_sort(const char *s, enum mem_sort *out)
{
	for (size_t i = 0; i < sizeof(mem_sort_names) / sizeof(mem_sort_names[0]); i++)
		if (!strcasecmp(s, mem_sort_names[i].name)) {
			*out = mem_sort_names[i].sort;
			return 0;
		}
	return -1;
}

const char *query_mem_sort_name(enum mem_sort s)
{
	for (size_t i = 0; i < sizeof(mem_sort_names) / sizeof(mem_sort_names[0]); i++)
		if (mem_sort_names[i].sort == s)
			return mem_sort_names[i].name;
	return "allocated";
}

/* The RSS peak within f's time range, of f's process (or of the whole
 * target: the sum series, else the main process, as query_memory). */
static bool peak_in_range(const struct profile *p, const struct query_filter *f, uint64_t *at)
{
	int32_t pid = f ? f->pid : 0;
	uint64_t from = f ? f->t_from : 0, to = f && f->t_to ? f->t_to : UINT64_MAX;
	uint64_t best = 0;
	bool found = false, any_sum = false;

	if (pid == 0) {
		for (size_t i = 0; i < p->nmemory && !any_sum; i++)
			any_sum = p->memory[i].pid == 0;
		if (!any_sum)
			pid = p->meta.pid;
	}
	for (size_t i = 0; i < p->nmemory; i++) {
		const struct prof_mem_point *m = &p->memory[i];

		if (m->pid != pid || m->time < from || m->time >= to)
			continue;
		if (!found || m->rss > best) {
			best = m->rss;
			*at = m->time;
			found = true;
		}
	}
	return found;
}

static uint64_t row_key(const struct mem_row *r, enum mem_sort sort)
{
	switch (sort) {
	case MEM_SORT_ALLOCATED:
		return r->allocated_bytes;
	case MEM_SORT_SELF:
		return r->self_allocated_bytes;
	case MEM_SORT_ALLOCS:
		return r->allocations;
	case MEM_SORT_LIVE:
		return r->live_bytes;
	case MEM_SORT_PEAK:
		return r->peak_bytes;
	case MEM_SORT_LEAKED:
		return r->leaked_bytes;
	case MEM_SORT_FAULTED:
		return r->faulted_bytes;
	case MEM_SORT_NAME:
		break;
	}
	return 0;
}

struct mem_sort_ctx {
	enum mem_sort sort;
	const uint32_t *rank;
};

static int mem_row_cmp(const void *va, const void *vb, void *vctx)
{
	const struct mem_row *a = va, *b = vb;
	const struct mem_sort_ctx *c = vctx;
	uint64_t ka = row_key(a, c->sort), kb = row_key(b, c->sort);

	if (c->sort == MEM_SORT_NAME && c->rank[a->function] != c->rank[b->function])
		return c->rank[a->function] < c->rank[b->function] ? -1 : 1;
	if (ka != kb)
		return ka > kb ? -1 : 1;
	/* then the allocated bytes, then by name */
	if (a->allocated_bytes != b->allocated_bytes)
		return a->allocated_bytes > b->allocated_bytes ? -1 : 1;
	if (c->rank[a->function] != c->rank[b->function])
		return c->rank[a->function] < c->rank[b->function] ? -1 : 1;
	return 0;
}

static void row_add(struct mem_row *r, const struct mem_stack *s)
{
	r->allocated_bytes += s->v[COL_ALLOC];
	r->allocations += s->v[COL_ALLOCS];
	r->live_bytes += s->v[COL_LIVE];
	r->peak_bytes += s->v[COL_PEAK];
	r->leaked_bytes += s->v[COL_LEAKED];
	r->faulted_bytes += s->v[COL_FAULT];
	r->records += s->records;
}

void query_mem_table(const struct profile *p, const struct query_filter *f, enum mem_sort sort,
		     bool reverse, struct mem_table *out)
{
	struct query_filter all = f ? *f : (struct query_filter){0};
	struct query_sample_filter sf;
	struct qmap where = {0};
	struct mem_stack *st = NULL;
	size_t nst = 0, stcap = 0, max_frames = profile_max_frames(p);
	struct prof_frame *frames = xmalloc((max_frames ? max_frames : 1) * sizeof(*frames));
	uint32_t *row_of = xmalloc((p->nfunctions ? p->nfunctions : 1) * sizeof(*row_of));
	uint32_t *stamp = xcalloc(p->nfunctions ? p->nfunctions : 1, sizeof(*stamp));
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	out->total.function = PROF_NONE;
	out->ended = p->meta.ended;
	out->peak_known = peak_in_range(p, &all, &out->peak_time);
	/* the range filter, without the peak's cut-off (applied per column) */
	all.measure = MEASURE_ALLOC_BYTES;
	query_sample_filter_init(&sf, &all);
	for (size_t i = 0; i < p->nallocs; i++) {
		const struct prof_alloc *r = &p->allocs[i];
		struct mem_stack *s;
		uint32_t *slot;
		uint64_t v[NCOLS];
		bool any = false;

		if (r->stack >= p->nstacks || !query_alloc_passes(p, &sf, r))
			continue;
		for (int c = 0; c < NCOLS; c++) {
			v[c] = c == COL_PEAK && !out->peak_known
				       ? 0
				       : query_alloc_value(p, col_measure[c], all.t_to,
							   out->peak_time, r);
			any |= v[c] != 0;
		}
		if (!any)
			continue;
		slot = qmap_get(&where, r->stack, 0);
		if (*slot == PROF_NONE) {
			st = xgrow(st, &stcap, nst + 1, sizeof(*st));
			memset(&st[nst], 0, sizeof(st[nst]));
			st[nst].stack = r->stack;
			*slot = (uint32_t)nst++;
		}
		s = &st[*slot];
		for (int c = 0; c < NCOLS; c++)
			s->v[c] += v[c];
		s->records++;
	}
	for (size_t fn = 0; fn < p->nfunctions; fn++)
		row_of[fn] = PROF_NONE;
	for (size_t k = 0; k < nst; k++) {
		const struct mem_stack *s = &st[k];
		size_t n = profile_stack_frames(p, s->stack, frames, max_frames), m = 0;

		row_add(&out->total, s);
		if (all.self_to_function) {
			for (size_t i = 0; i < n; i++)
				if (!frames[i].inlined)
					frames[m++] = frames[i];
			n = m;
		}
		for (size_t i = 0; i < n; i++) {
			uint32_t fn = frames[i].function;
			struct mem_row *r;

			if (fn >= p->nfunctions || stamp[fn] == k + 1)
				continue;
			stamp[fn] = (uint32_t)k + 1;
			if (row_of[fn] == PROF_NONE) {
				out->rows = xgrow(out->rows, &cap, out->n + 1, sizeof(*out->rows));
				memset(&out->rows[out->n], 0, sizeof(out->rows[out->n]));
				out->rows[out->n].function = fn;
				row_of[fn] = (uint32_t)out->n++;
			}
			r = &out->rows[row_of[fn]];
			row_add(r, s);
			if (i == 0)
				r->self_allocated_bytes += s->v[COL_ALLOC];
		}
		if (n > 0 && frames[0].function < p->nfunctions)
			out->total.self_allocated_bytes += s->v[COL_ALLOC];
	}
	if (out->n > 1) {
		struct mem_sort_ctx ctx = {sort, query_name_ranks(p)};

		qsort_r(out->rows, out->n, sizeof(*out->rows), mem_row_cmp, &ctx);
	}
	if (reverse)
		for (size_t i = 0, j = out->n ? out->n - 1 : 0; i < j; i++, j--) {
			struct mem_row t = out->rows[i];

			out->rows[i] = out->rows[j];
			out->rows[j] = t;
		}
	free(st);
	free(frames);
	free(row_of);
	free(stamp);
	qmap_free(&where);
}

void mem_table_free(struct mem_table *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = 0;
}
