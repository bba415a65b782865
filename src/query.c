#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query.h"
#include "xalloc.h"

/* ---- sort names ---- */

static const struct {
	const char *name;
	enum query_sort sort;
} sort_aliases[] = {
	{"cumulative", SORT_CUMULATIVE},
	{"cumtime", SORT_CUMULATIVE},
	{"cum", SORT_CUMULATIVE},
	/* pstats: "time" and "tottime" are internal time; perf says "self". */
	{"tottime", SORT_TOTTIME},
	{"total", SORT_TOTTIME},
	{"self", SORT_TOTTIME},
	{"time", SORT_TOTTIME},
	{"own", SORT_TOTTIME},
	{"calls", SORT_CALLS},
	{"ncalls", SORT_CALLS},
	{"name", SORT_NAME},
};

int query_parse_sort(const char *s, enum query_sort *out)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(sort_aliases) / sizeof(sort_aliases[0]); i++) {
		if (strcasecmp(s, sort_aliases[i].name) == 0) {
			*out = sort_aliases[i].sort;
			return 0;
		}
	}
	return -1;
}

const char *query_sort_name(enum query_sort s)
{
	switch (s) {
	case SORT_CUMULATIVE:
		return "cumulative";
	case SORT_TOTTIME:
		return "tottime";
	case SORT_CALLS:
		return "calls";
	case SORT_NAME:
		return "name";
	}
	return "?";
}

/* ---- small open-addressing map: (a, b) -> index ---- */

struct qslot {
	uint64_t a, b;
	uint32_t val; /* PROF_NONE: empty */
};

struct qmap {
	struct qslot *slots;
	size_t mask, n;
};

static uint64_t qmix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static void qmap_grow(struct qmap *m)
{
	size_t cap = m->slots ? m->mask + 1 : 0;
	size_t ncap = cap ? 2 * cap : 64;
	struct qslot *slots = xmalloc(ncap * sizeof(*slots));
	size_t i, j;

	for (i = 0; i < ncap; i++)
		slots[i].val = PROF_NONE;
	for (i = 0; i < cap; i++) {
		if (m->slots[i].val == PROF_NONE)
			continue;
		j = qmix(m->slots[i].a ^ qmix(m->slots[i].b + 0x9e3779b97f4a7c15ULL)) & (ncap - 1);
		while (slots[j].val != PROF_NONE)
			j = (j + 1) & (ncap - 1);
		slots[j] = m->slots[i];
	}
	free(m->slots);
	m->slots = slots;
	m->mask = ncap - 1;
}

/* The value slot for (a, b). A new key's value is PROF_NONE and the caller
 * must store a real index in it before the next call. */
static uint32_t *qmap_get(struct qmap *m, uint64_t a, uint64_t b)
{
	size_t i;

	if (!m->slots || 2 * (m->n + 1) > m->mask + 1)
		qmap_grow(m);
	i = qmix(a ^ qmix(b + 0x9e3779b97f4a7c15ULL)) & m->mask;
	for (; m->slots[i].val != PROF_NONE; i = (i + 1) & m->mask) {
		if (m->slots[i].a == a && m->slots[i].b == b)
			return &m->slots[i].val;
	}
	m->slots[i].a = a;
	m->slots[i].b = b;
	m->n++;
	return &m->slots[i].val;
}

static void qmap_free(struct qmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- the filtered sample log, aggregated per distinct stack ---- */

struct stack_sum {
	uint64_t ns, samples;
};

struct agg {
	struct stack_sum *by_stack; /* indexed by stack id */
	uint32_t *stacks;	    /* distinct stack ids that have samples */
	size_t n;
	uint64_t total_samples, total_ns, truncated;
	struct prof_frame *frames; /* scratch for one expanded stack */
	size_t max_frames;
};

/* The last thread looked up: samples come in runs of one thread. */
struct pid_cache {
	bool valid;
	int32_t tid, pid;
};

static bool sample_passes(const struct profile *p, const struct query_filter *f,
			  const struct prof_sample *s, struct pid_cache *c)
{
	if (f->tid && s->tid != f->tid)
		return false;
	if (s->time < f->t_from || (f->t_to && s->time >= f->t_to))
		return false;
	if (!f->pid)
		return true;
	if (!c->valid || s->tid != c->tid) {
		const struct prof_thread *t = profile_find_thread(p, s->tid);

		c->valid = true;
		c->tid = s->tid;
		c->pid = t ? t->pid : 0;
	}
	return c->pid == f->pid;
}

static void agg_build(const struct profile *p, const struct query_filter *f, struct agg *a)
{
	struct pid_cache cache = {0};
	size_t i;

	memset(a, 0, sizeof(*a));
	a->by_stack = xcalloc(p->nstacks, sizeof(*a->by_stack));
	a->stacks = xmalloc((p->nstacks ? p->nstacks : 1) * sizeof(*a->stacks));
	for (i = 0; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];
		struct stack_sum *sum;

		if (f && !sample_passes(p, f, s, &cache))
			continue;
		if (s->stack >= p->nstacks)
			continue;
		sum = &a->by_stack[s->stack];
		if (sum->samples == 0)
			a->stacks[a->n++] = s->stack;
		sum->ns += s->weight;
		sum->samples++;
		a->total_samples++;
		a->total_ns += s->weight;
		if (s->flags & PROF_SAMPLE_TRUNCATED)
			a->truncated++;
	}
	a->max_frames = profile_max_frames(p);
	a->frames = xmalloc(a->max_frames * sizeof(*a->frames));
}

static size_t agg_frames(const struct profile *p, struct agg *a, size_t k)
{
	return profile_stack_frames(p, a->stacks[k], a->frames, a->max_frames);
}

static void agg_free(struct agg *a)
{
	free(a->by_stack);
	free(a->stacks);
	free(a->frames);
}

/* ---- function tables ---- */

static const char *fn_name(const struct profile *p, uint32_t fn)
{
	const char *s = fn < p->nfunctions ? p->functions[fn].name : NULL;

	return s ? s : "";
}

/* Every function's rank in alphabetical order (ties by id), so that
 * sorting a table never compares strings: with 100,000 functions and
 * many equal times, strcmp was most of a refresh. Recomputed only when
 * functions were added. The profile is logically const here; the cache
 * hangs off it through a pointer it owns. */
struct name_order {
	uint32_t *rank;
	size_t n;
};

static void name_order_free(void *v)
{
	struct name_order *o = v;

	if (o) {
		free(o->rank);
		free(o);
	}
}

static int id_name_cmp(const void *va, const void *vb, void *ctx)
{
	const struct profile *p = ctx;
	uint32_t a = *(const uint32_t *)va, b = *(const uint32_t *)vb;
	int c = strcmp(fn_name(p, a), fn_name(p, b));

	if (c)
		return c;
	return a < b ? -1 : a > b;
}

static const uint32_t *name_ranks(const struct profile *cp)
{
	struct profile *p = (struct profile *)cp;
	struct name_order *o = p->query_cache;
	uint32_t *ids;

	if (!o) {
		o = xcalloc(1, sizeof(*o));
		p->query_cache = o;
		p->query_cache_free = name_order_free;
	}
	if (o->rank && o->n == p->nfunctions)
		return o->rank;
	ids = xmalloc((p->nfunctions + 1) * sizeof(*ids));
	for (size_t i = 0; i < p->nfunctions; i++)
		ids[i] = (uint32_t)i;
	qsort_r(ids, p->nfunctions, sizeof(*ids), id_name_cmp, p);
	free(o->rank);
	o->rank = xmalloc((p->nfunctions + 1) * sizeof(*o->rank));
	for (size_t i = 0; i < p->nfunctions; i++)
		o->rank[ids[i]] = (uint32_t)i;
	o->n = p->nfunctions;
	free(ids);
	return o->rank;
}

/* A row's sort key, compact so that sorting moves 16 bytes, not a row. */
struct sort_key {
	uint64_t primary; /* larger first */
	uint32_t rank;    /* then by name */
	uint32_t row;
};

static int sort_key_cmp(const void *va, const void *vb)
{
	const struct sort_key *a = va, *b = vb;

	if (a->primary != b->primary)
		return a->primary > b->primary ? -1 : 1;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* SORT_CALLS: counted before uncounted, then by count, then by time:
 * folded into one 64-bit key as (counted, count) with the time as a
 * second pass only among equal counts, which are rare enough to sort
 * with the name rank. */
static uint64_t primary_key(const struct func_row *r, enum query_sort sort)
{
	switch (sort) {
	case SORT_CUMULATIVE:
		return r->total_ns;
	case SORT_TOTTIME:
		return r->self_ns;
	case SORT_CALLS:
		return r->calls < 0 ? 0 : (uint64_t)r->calls + 1;
	case SORT_NAME:
		break;
	}
	return 0;
}

static void sort_rows(const struct profile *p, struct func_table *t, enum query_sort sort,
		      bool reverse)
{
	const uint32_t *rank = name_ranks(p);
	struct sort_key *keys = xmalloc((t->n + 1) * sizeof(*keys));
	struct func_row *rows = xmalloc((t->n + 1) * sizeof(*rows));

	for (size_t i = 0; i < t->n; i++) {
		keys[i].primary = primary_key(&t->rows[i], sort);
		keys[i].rank = t->rows[i].function < p->nfunctions ? rank[t->rows[i].function]
								   : UINT32_MAX;
		keys[i].row = (uint32_t)i;
	}
	qsort(keys, t->n, sizeof(*keys), sort_key_cmp);
	/* Equal call counts: by total time, then name (a second, rare pass). */
	if (sort == SORT_CALLS) {
		for (size_t i = 0; i < t->n;) {
			size_t j = i + 1;

			while (j < t->n && keys[j].primary == keys[i].primary)
				j++;
			if (j - i > 1) {
				for (size_t k = i; k < j; k++)
					keys[k].primary = t->rows[keys[k].row].total_ns;
				qsort(keys + i, j - i, sizeof(*keys), sort_key_cmp);
			}
			i = j;
		}
	}
	for (size_t i = 0; i < t->n; i++)
		rows[reverse ? t->n - 1 - i : i] = t->rows[keys[i].row];
	free(t->rows);
	t->rows = rows;
	free(keys);
}

struct fn_acc {
	uint64_t self_ns, self_samples, total_ns, total_samples;
	uint32_t stamp; /* 1 + the distinct stack that last counted this function */
};

static void table_start(struct func_table *out, const struct agg *a)
{
	memset(out, 0, sizeof(*out));
	out->total_samples = a->total_samples;
	out->total_ns = a->total_ns;
	out->truncated_samples = a->truncated;
}

/* Turn per-function sums into rows for every function that has samples
 * (or, with counted, whose calls were counted: a function called a
 * million times too briefly to be sampled is still a row). */
static bool has_row(const struct profile *p, const struct fn_acc *acc, bool counted, size_t i)
{
	return acc[i].total_samples || acc[i].self_samples ||
	       (counted && p->functions[i].calls >= 0);
}

static void table_fill(const struct profile *p, const struct fn_acc *acc, bool counted,
		       struct func_table *out)
{
	size_t i, n = 0;

	for (i = 0; i < p->nfunctions; i++)
		if (has_row(p, acc, counted, i))
			n++;
	out->rows = xcalloc(n ? n : 1, sizeof(*out->rows));
	for (i = 0; i < p->nfunctions; i++) {
		struct func_row *r;

		if (!has_row(p, acc, counted, i))
			continue;
		r = &out->rows[out->n++];
		r->function = (uint32_t)i;
		r->self_samples = acc[i].self_samples;
		r->total_samples = acc[i].total_samples;
		r->self_ns = acc[i].self_ns;
		r->total_ns = acc[i].total_ns;
		if (out->total_ns) {
			r->self_pct = 100.0 * (double)r->self_ns / (double)out->total_ns;
			r->total_pct = 100.0 * (double)r->total_ns / (double)out->total_ns;
		}
		r->calls = p->functions[i].calls;
		r->calls_lower_bound = p->functions[i].calls_lower_bound;
	}
}

static void acc_add_total(struct fn_acc *acc, uint32_t stamp, const struct stack_sum *s)
{
	if (acc->stamp == stamp)
		return;
	acc->stamp = stamp;
	acc->total_ns += s->ns;
	acc->total_samples += s->samples;
}

void query_functions(const struct profile *p, const struct query_filter *f, enum query_sort sort,
		     bool reverse, struct func_table *out)
{
	struct fn_acc *acc = xcalloc(p->nfunctions ? p->nfunctions : 1, sizeof(*acc));
	struct agg a;
	size_t k, i, nf;

	agg_build(p, f, &a);
	table_start(out, &a);
	for (k = 0; k < a.n; k++) {
		const struct stack_sum *s = &a.by_stack[a.stacks[k]];
		uint32_t stamp = (uint32_t)k + 1;

		nf = agg_frames(p, &a, k);
		if (nf == 0)
			continue;
		acc[a.frames[0].function].self_ns += s->ns;
		acc[a.frames[0].function].self_samples += s->samples;
		for (i = 0; i < nf; i++)
			acc_add_total(&acc[a.frames[i].function], stamp, s);
	}
	table_fill(p, acc, true, out);
	sort_rows(p, out, sort, reverse);
	free(acc);
	agg_free(&a);
}

void func_table_free(struct func_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* ---- function lookup by name ---- */

static bool starts_with_call(const char *name, const char *q, size_t qlen)
{
	return strncmp(name, q, qlen) == 0 && name[qlen] == '(';
}

/* "module:name", where module is the basename; C++ names hold "::", so
 * the split point is the module's own name, not the first colon. */
static bool matches_module_name(const struct profile *p, const struct prof_function *fn,
				const char *q)
{
	const char *mod;
	size_t len;

	if (fn->module >= p->nmodules)
		return false;
	mod = p->modules[fn->module].name;
	len = strlen(mod);
	if (strncmp(q, mod, len) != 0 || q[len] != ':')
		return false;
	q += len + 1;
	return strcmp(fn->name, q) == 0 || (fn->system_name && strcmp(fn->system_name, q) == 0);
}

size_t query_find_function(const struct profile *p, const char *name, uint32_t *ids, size_t max)
{
	size_t qlen, count, i;
	int rule;

	if (!name)
		return 0;
	qlen = strlen(name);
	for (rule = 0; rule < 4; rule++) {
		count = 0;
		for (i = 0; i < p->nfunctions; i++) {
			const struct prof_function *fn = &p->functions[i];
			bool hit = false;

			switch (rule) {
			case 0:
				hit = fn->name && strcmp(fn->name, name) == 0;
				break;
			case 1:
				hit = fn->system_name && strcmp(fn->system_name, name) == 0;
				break;
			case 2:
				hit = fn->name && starts_with_call(fn->name, name, qlen);
				break;
			case 3:
				hit = fn->name && matches_module_name(p, fn, name);
				break;
			}
			if (!hit)
				continue;
			if (count < max)
				ids[count] = (uint32_t)i;
			count++;
		}
		if (count)
			return count;
	}
	return 0;
}

/* ---- callers and callees ---- */

/* One row per function adjacent to an occurrence of fn: the next frame out
 * (callers) or in (callees). Each neighbour counts once per sample. */
static void query_edges(const struct profile *p, const struct query_filter *f, uint32_t fn,
			bool callers, struct func_table *out)
{
	struct fn_acc *acc = xcalloc(p->nfunctions ? p->nfunctions : 1, sizeof(*acc));
	struct agg a;
	size_t k, i, nf;

	agg_build(p, f, &a);
	table_start(out, &a);
	for (k = 0; k < a.n; k++) {
		const struct stack_sum *s = &a.by_stack[a.stacks[k]];
		uint32_t stamp = (uint32_t)k + 1;

		nf = agg_frames(p, &a, k);
		for (i = 0; i < nf; i++) {
			uint32_t other;
			bool self;

			if (a.frames[i].function != fn)
				continue;
			if (callers) {
				if (i + 1 >= nf)
					continue;
				other = a.frames[i + 1].function;
				self = i == 0; /* the edge this sample's own time went through */
			} else {
				if (i == 0)
					continue;
				other = a.frames[i - 1].function;
				self = i == 1; /* the callee is innermost */
			}
			acc_add_total(&acc[other], stamp, s);
			if (self) {
				acc[other].self_ns += s->ns;
				acc[other].self_samples += s->samples;
			}
		}
	}
	table_fill(p, acc, false, out);
	sort_rows(p, out, SORT_CUMULATIVE, false);
	free(acc);
	agg_free(&a);
}

void query_callers(const struct profile *p, const struct query_filter *f, uint32_t fn,
		   struct func_table *out)
{
	query_edges(p, f, fn, true, out);
}

void query_callees(const struct profile *p, const struct query_filter *f, uint32_t fn,
		   struct func_table *out)
{
	query_edges(p, f, fn, false, out);
}

/* ---- per-line table ---- */

/* A function seen next to one of fn's lines: inlined there or called from there. */
struct line_cand {
	uint32_t row, function, stamp;
	bool inlined;
	uint64_t ns;
};

struct line_work {
	struct qmap rows_by_key, cands_by_key;
	uint32_t *row_stamp;
	size_t rows_cap, stamp_cap;
	struct line_cand *cands;
	size_t ncands, cands_cap;
	uint64_t *best_inlined, *best_callee; /* weight of the current pick per row */
};

static uint32_t line_row_get(struct line_work *w, struct line_table *out, const char *file,
			     int line)
{
	uint32_t *v = qmap_get(&w->rows_by_key, (uint64_t)(uintptr_t)file, (uint64_t)(int64_t)line);
	struct line_row *r;

	if (*v != PROF_NONE)
		return *v;
	out->rows = xgrow(out->rows, &w->rows_cap, out->n + 1, sizeof(*out->rows));
	w->row_stamp = xgrow(w->row_stamp, &w->stamp_cap, out->n + 1, sizeof(*w->row_stamp));
	*v = (uint32_t)out->n++;
	r = &out->rows[*v];
	memset(r, 0, sizeof(*r));
	r->file = file;
	r->line = line;
	r->inlined = PROF_NONE;
	r->callee = PROF_NONE;
	w->row_stamp[*v] = 0;
	return *v;
}

static void line_cand_add(struct line_work *w, uint32_t row, const struct prof_frame *inner,
			  uint32_t stamp, uint64_t ns)
{
	uint64_t kind_row = (uint64_t)row << 1 | inner->inlined;
	uint32_t *v = qmap_get(&w->cands_by_key, kind_row, inner->function);
	struct line_cand *c;

	if (*v == PROF_NONE) {
		w->cands = xgrow(w->cands, &w->cands_cap, w->ncands + 1, sizeof(*w->cands));
		*v = (uint32_t)w->ncands++;
		c = &w->cands[*v];
		memset(c, 0, sizeof(*c));
		c->row = row;
		c->function = inner->function;
		c->inlined = inner->inlined;
	}
	c = &w->cands[*v];
	if (c->stamp == stamp)
		return;
	c->stamp = stamp;
	c->ns += ns;
}

/* The hottest candidate of each kind per row; ties go to the lower id. */
static void line_pick_cands(struct line_work *w, struct line_table *out)
{
	size_t i;

	w->best_inlined = xcalloc(out->n ? out->n : 1, sizeof(uint64_t));
	w->best_callee = xcalloc(out->n ? out->n : 1, sizeof(uint64_t));
	for (i = 0; i < w->ncands; i++) {
		const struct line_cand *c = &w->cands[i];
		struct line_row *r = &out->rows[c->row];
		uint32_t *pick = c->inlined ? &r->inlined : &r->callee;
		uint64_t *best = c->inlined ? &w->best_inlined[c->row] : &w->best_callee[c->row];

		if (*pick == PROF_NONE || c->ns > *best ||
		    (c->ns == *best && c->function < *pick)) {
			*pick = c->function;
			*best = c->ns;
		}
	}
}

static int line_cmp(const void *va, const void *vb)
{
	const struct line_row *a = va, *b = vb;
	int c;

	/* Lines without a file go last. */
	if (!a->file != !b->file)
		return a->file ? -1 : 1;
	if (a->file && b->file && (c = strcmp(a->file, b->file)))
		return c;
	return a->line < b->line ? -1 : a->line > b->line ? 1 : 0;
}

void query_lines(const struct profile *p, const struct query_filter *f, uint32_t fn,
		 struct line_table *out)
{
	struct line_work w;
	struct agg a;
	size_t k, i, nf;

	memset(out, 0, sizeof(*out));
	memset(&w, 0, sizeof(w));
	out->function = fn;
	agg_build(p, f, &a);
	for (k = 0; k < a.n; k++) {
		const struct stack_sum *s = &a.by_stack[a.stacks[k]];
		uint32_t stamp = (uint32_t)k + 1;
		bool seen = false;

		nf = agg_frames(p, &a, k);
		for (i = 0; i < nf; i++) {
			const struct prof_frame *fr = &a.frames[i];
			struct line_row *r;
			uint32_t row;

			if (fr->function != fn)
				continue;
			seen = true;
			row = line_row_get(&w, out, fr->file, fr->line);
			r = &out->rows[row];
			if (w.row_stamp[row] != stamp) {
				w.row_stamp[row] = stamp;
				r->total_ns += s->ns;
				r->total_samples += s->samples;
			}
			if (i == 0) {
				r->self_ns += s->ns;
				r->self_samples += s->samples;
			} else {
				line_cand_add(&w, row, &a.frames[i - 1], stamp, s->ns);
			}
		}
		if (seen) {
			out->total_ns += s->ns;
			out->total_samples += s->samples;
		}
		if (nf && a.frames[0].function == fn)
			out->self_samples += s->samples;
	}
	line_pick_cands(&w, out);
	if (out->n)
		qsort(out->rows, out->n, sizeof(*out->rows), line_cmp);
	qmap_free(&w.rows_by_key);
	qmap_free(&w.cands_by_key);
	free(w.row_stamp);
	free(w.cands);
	free(w.best_inlined);
	free(w.best_callee);
	agg_free(&a);
}

void line_table_free(struct line_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* ---- call tree ---- */

static uint32_t tree_child(struct call_tree *t, size_t *cap, struct qmap *children, uint32_t parent,
			   uint32_t function)
{
	uint32_t *v = qmap_get(children, parent, function);
	struct tree_node *nd;

	if (*v != PROF_NONE)
		return *v;
	t->nodes = xgrow(t->nodes, cap, t->n + 1, sizeof(*t->nodes));
	*v = (uint32_t)t->n++;
	nd = &t->nodes[*v];
	memset(nd, 0, sizeof(*nd));
	nd->function = function;
	nd->parent = parent;
	nd->first_child = PROF_NONE;
	nd->next_sibling = PROF_NONE;
	nd->depth = t->nodes[parent].depth + 1;
	return *v;
}

struct tree_order {
	const struct profile *p;
	const struct call_tree *t;
};

static int sibling_cmp(const void *va, const void *vb, void *ctx)
{
	const struct tree_order *o = ctx;
	const struct tree_node *a = &o->t->nodes[*(const uint32_t *)va];
	const struct tree_node *b = &o->t->nodes[*(const uint32_t *)vb];
	int c;

	if (a->parent != b->parent)
		return a->parent < b->parent ? -1 : 1;
	if (a->total_ns != b->total_ns)
		return a->total_ns > b->total_ns ? -1 : 1;
	c = strcmp(fn_name(o->p, a->function), fn_name(o->p, b->function));
	if (c)
		return c;
	return a->function < b->function ? -1 : a->function > b->function;
}

/* Link each node's children, hottest first. */
static void tree_link(const struct profile *p, struct call_tree *t)
{
	struct tree_order ctx = {p, t};
	uint32_t *order, prev = PROF_NONE;
	size_t i, n = t->n - 1;

	if (n == 0)
		return;
	order = xmalloc(n * sizeof(*order));
	for (i = 0; i < n; i++)
		order[i] = (uint32_t)(i + 1);
	qsort_r(order, n, sizeof(*order), sibling_cmp, &ctx);
	for (i = 0; i < n; i++) {
		struct tree_node *nd = &t->nodes[order[i]];

		if (prev != PROF_NONE && t->nodes[prev].parent == nd->parent)
			t->nodes[prev].next_sibling = order[i];
		else
			t->nodes[nd->parent].first_child = order[i];
		prev = order[i];
	}
	free(order);
}

void query_call_tree(const struct profile *p, const struct query_filter *f, struct call_tree *out)
{
	struct qmap children = {0};
	size_t cap = 0, k, i, nf;
	struct agg a;

	memset(out, 0, sizeof(*out));
	agg_build(p, f, &a);
	out->nodes = xgrow(NULL, &cap, 1, sizeof(*out->nodes));
	memset(&out->nodes[0], 0, sizeof(out->nodes[0]));
	out->nodes[0].function = PROF_NONE;
	out->nodes[0].parent = PROF_NONE;
	out->nodes[0].first_child = PROF_NONE;
	out->nodes[0].next_sibling = PROF_NONE;
	out->n = 1;
	out->total_ns = a.total_ns;
	for (k = 0; k < a.n; k++) {
		const struct stack_sum *s = &a.by_stack[a.stacks[k]];
		uint32_t node = 0;

		nf = agg_frames(p, &a, k);
		for (i = nf; i-- > 0;)
			node = tree_child(out, &cap, &children, node, a.frames[i].function);
		out->nodes[node].self_ns += s->ns;
		out->nodes[node].self_samples += s->samples;
	}
	/* A child is always created after its parent, so one backward pass
	 * finishes every subtree before adding it to its parent. */
	for (i = 0; i < out->n; i++) {
		out->nodes[i].total_ns = out->nodes[i].self_ns;
		out->nodes[i].total_samples = out->nodes[i].self_samples;
	}
	for (i = out->n; i-- > 1;) {
		struct tree_node *nd = &out->nodes[i];

		out->nodes[nd->parent].total_ns += nd->total_ns;
		out->nodes[nd->parent].total_samples += nd->total_samples;
	}
	tree_link(p, out);
	qmap_free(&children);
	agg_free(&a);
}

void call_tree_free(struct call_tree *t)
{
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

size_t query_stack_totals(const struct profile *p, const struct query_filter *f,
			  struct stack_total **out)
{
	struct agg a;
	size_t k;

	agg_build(p, f, &a);
	*out = xmalloc((a.n ? a.n : 1) * sizeof(**out));
	for (k = 0; k < a.n; k++) {
		(*out)[k].stack = a.stacks[k];
		(*out)[k].samples = a.by_stack[a.stacks[k]].samples;
		(*out)[k].ns = a.by_stack[a.stacks[k]].ns;
	}
	agg_free(&a);
	return k;
}

/* ---- memory ---- */

static size_t count_mem_points(const struct profile *p, int32_t pid)
{
	size_t i, n = 0;

	for (i = 0; i < p->nmemory; i++)
		n += p->memory[i].pid == pid;
	return n;
}

void query_memory(const struct profile *p, int32_t pid, struct mem_summary *out)
{
	const struct prof_mem_point *first = NULL, *last = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	/* Without a sum series (a single process), the main process is the whole target. */
	if (pid == 0 && count_mem_points(p, 0) == 0)
		pid = p->meta.pid;
	for (i = 0; i < p->nmemory; i++) {
		const struct prof_mem_point *m = &p->memory[i];

		if (m->pid != pid)
			continue;
		if (!first || m->time < first->time)
			first = m;
		if (!last || m->time >= last->time)
			last = m;
		if (out->points == 0 || m->rss > out->peak_rss) {
			out->peak_rss = m->rss;
			out->peak_rss_time = m->time;
		}
		if (m->vms > out->peak_vms)
			out->peak_vms = m->vms;
		out->points++;
	}
	if (!out->points)
		return;
	out->valid = true;
	out->start_rss = first->rss;
	out->start_vms = first->vms;
	out->end_rss = last->rss;
	out->end_vms = last->vms;
	out->duration = last->time - first->time;
}
