#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query-int.h"
#include "xalloc.h"

/* The live aggregate behind query_functions_live and friends: per-stack
 * and per-function sums over the filtered log, brought up to date from
 * the records appended since the last call. On-CPU and off-CPU records
 * are summed apart, so that the clock (filter.wall) only chooses which
 * sums to add. Each stack's distinct functions are cached once, so that a
 * record costs its stack's depth, counting a function once per sample
 * however deep it recurses. Once a call tree was asked for, the tree is
 * kept too: each stack's node is made once (its path shared with its
 * trie parent's), and new records add to their node's own sums. */

struct live_fn {
	uint64_t self_ns, self_samples, total_ns, total_samples, inlined_samples;
	uint64_t offcpu_ns; /* set by fn_sums only: the off-CPU part of total_ns */
};

/* The sums of one clock: [0] on-CPU records, [1] off-CPU ones. */
struct live_clock {
	struct live_fn *fn; /* by function id */
	uint64_t total_samples, total_ns, truncated;
};

/* A stack that had records, kept densely (most stack ids are inner nodes
 * of the trie, never a sample's): its sums per clock, and its distinct
 * functions, cached: pool[off .. off + ntotal) are the functions on it,
 * then ninl functions that are inlined somewhere on it. */
struct live_stack {
	struct stack_sum sum[2];
	uint32_t stack; /* its id */
	uint32_t off, ntotal, ninl;
	uint32_t self;	/* the innermost function, PROF_NONE if no frame */
	uint32_t batch; /* 1 + its entry in the batch being read, or 0 */
	bool known;	/* the function list is computed */
	bool seen;	/* in distinct: it has records under the filter */
};

/* A stack's new records while reading, per clock. */
struct live_batch {
	uint32_t ds; /* the stack's index in query_live.ds */
	struct stack_sum sum[2];
};

/* The stacks (indexes in query_live.ds) that hold one function, for
 * callers and callees. */
struct fn_stacks {
	uint32_t *ds;
	size_t n, cap;
};

/* A node of the kept call tree: own sums per clock. */
struct live_tnode {
	uint32_t function, parent, depth;
	struct stack_sum self[2];
};

struct query_live {
	bool valid;
	uint64_t epoch, pos_abs; /* the next record to read, index + log_shift */
	/* the filter the sums are for (wall aside) */
	int32_t tid, pid;
	uint64_t t_from, t_to;
	bool outer_only;
	bool idle; /* idle waits (PROF_SAMPLE_IDLE) counted */

	struct live_clock clk[2];
	uint32_t *ds_of; /* by stack id: 1 + its index in ds, or 0 */
	size_t ds_of_cap, fn_cap;
	struct live_stack *ds;
	size_t nds, ds_cap;
	uint32_t *pool;
	size_t npool, pool_cap;
	uint32_t *distinct; /* ds indexes with records, first seen first */
	size_t ndistinct, distinct_cap;
	struct live_batch *batch; /* the stacks of the records being read */
	size_t nbatch, batch_cap;
	/* A moving window (t_from set, no t_to): the records counted, by
	 * time, so that those the window leaves are taken back. */
	bool windowed;
	struct prof_sample *heap;
	size_t nheap, heap_cap;
	uint64_t shift_seen, folded_seen; /* the log's fold positions when read */
	uint32_t *stamp;		  /* per function: dedup while caching a stack */
	uint32_t stamp_now;
	struct prof_frame *frames;
	size_t max_frames;

	/* function -> distinct stacks holding it, built up to distinct[idx_upto] */
	struct fn_stacks *idx;
	size_t idx_upto;

	/* The last functions table's order (function ids), and per function
	 * the sort keys it was placed with, so that the next call re-sorts
	 * only the rows whose keys changed and merges them back. */
	bool order_valid;
	enum query_sort order_sort;
	bool order_wall;
	/* functions whose sums changed since the order was last brought up
	 * to date, and the call counts it saw */
	uint32_t *dirty;
	size_t ndirty;
	bool *is_dirty;
	int64_t *calls_seen;
	uint32_t *order, *moved;
	size_t norder;
	uint64_t *key1, *key2;
	bool *in_order;

	/* The kept call tree (tree_on: asked for since the last reset). A
	 * child is always made after its parent. */
	bool tree_on;
	struct live_tnode *tn;
	size_t ntn, tn_cap;
	struct qmap tchild; /* (parent, function) -> node */
	uint32_t *tmemo;    /* by stack id: 1 + its node, or 0 */
	size_t tmemo_cap;
	uint32_t *tpath;
	size_t tpath_cap;
};

void query_live_free(struct query_live *q)
{
	if (!q)
		return;
	for (int c = 0; c < 2; c++)
		free(q->clk[c].fn);
	for (size_t i = 0; q->idx && i < q->fn_cap; i++)
		free(q->idx[i].ds);
	free(q->idx);
	free(q->ds_of);
	free(q->ds);
	free(q->pool);
	free(q->distinct);
	free(q->batch);
	free(q->heap);
	free(q->stamp);
	free(q->frames);
	free(q->order);
	free(q->moved);
	free(q->key1);
	free(q->key2);
	free(q->in_order);
	free(q->dirty);
	free(q->is_dirty);
	free(q->calls_seen);
	free(q->tn);
	qmap_free(&q->tchild);
	free(q->tmemo);
	free(q->tpath);
	free(q);
}

static void *grow_zeroed(void *v, size_t old, size_t n, size_t elem)
{
	v = xrealloc(v, n * elem);
	memset((char *)v + old * elem, 0, (n - old) * elem);
	return v;
}

/* Room for every stack and function the profile has now. */
static void live_fit(struct query_live *q, const struct profile *p)
{
	size_t max = profile_max_frames(p);

	if (p->nstacks > q->ds_of_cap) {
		size_t n = p->nstacks + p->nstacks / 2 + 64;

		q->ds_of = grow_zeroed(q->ds_of, q->ds_of_cap, n, sizeof(*q->ds_of));
		q->ds_of_cap = n;
	}
	if (p->nfunctions > q->fn_cap) {
		size_t n = p->nfunctions + p->nfunctions / 2 + 64;

		for (int c = 0; c < 2; c++)
			if (q->clk[c].fn || c == 0) /* off-CPU: on its first record */
				q->clk[c].fn = grow_zeroed(q->clk[c].fn, q->fn_cap, n,
							   sizeof(*q->clk[c].fn));
		q->stamp = grow_zeroed(q->stamp, q->fn_cap, n, sizeof(*q->stamp));
		q->idx = grow_zeroed(q->idx, q->fn_cap, n, sizeof(*q->idx));
		q->key1 = grow_zeroed(q->key1, q->fn_cap, n, sizeof(*q->key1));
		q->key2 = grow_zeroed(q->key2, q->fn_cap, n, sizeof(*q->key2));
		q->in_order = grow_zeroed(q->in_order, q->fn_cap, n, sizeof(*q->in_order));
		q->is_dirty = grow_zeroed(q->is_dirty, q->fn_cap, n, sizeof(*q->is_dirty));
		q->calls_seen = xrealloc(q->calls_seen, n * sizeof(*q->calls_seen));
		for (size_t i = q->fn_cap; i < n; i++)
			q->calls_seen[i] = INT64_MIN; /* differs from any count */
		q->dirty = xrealloc(q->dirty, n * sizeof(*q->dirty));
		q->order = xrealloc(q->order, n * sizeof(*q->order));
		q->moved = xrealloc(q->moved, n * sizeof(*q->moved));
		q->fn_cap = n;
	}
	if (max > q->max_frames) {
		free(q->frames);
		q->frames = xmalloc(max * sizeof(*q->frames));
		q->max_frames = max;
	}
}

/* Forget every sum (a new filter, a zeroed or refolded log). The stack
 * cache survives unless inlined frames now count differently. */
static void live_reset(struct query_live *q, bool outer_only)
{
	for (int c = 0; c < 2; c++) {
		struct live_clock *cl = &q->clk[c];

		if (cl->fn)
			memset(cl->fn, 0, q->fn_cap * sizeof(*cl->fn));
		cl->total_samples = cl->total_ns = cl->truncated = 0;
	}
	for (size_t k = 0; k < q->ndistinct; k++) {
		struct live_stack *ls = &q->ds[q->distinct[k]];

		ls->seen = false;
		memset(ls->sum, 0, sizeof(ls->sum));
	}
	q->ndistinct = 0;
	for (size_t i = 0; i < q->fn_cap; i++)
		q->idx[i].n = 0;
	q->idx_upto = 0;
	q->order_valid = false;
	q->tree_on = false; /* made again from the sums when asked for */
	if (outer_only != q->outer_only) {
		for (size_t k = 0; k < q->nds; k++)
			q->ds[k].known = false;
		q->npool = 0;
		q->outer_only = outer_only;
	}
}

static uint32_t next_stamp(struct query_live *q)
{
	if (++q->stamp_now == 0) {
		memset(q->stamp, 0, q->fn_cap * sizeof(*q->stamp));
		q->stamp_now = 1;
	}
	return q->stamp_now;
}

static void pool_push(struct query_live *q, uint32_t fn)
{
	if (q->npool == q->pool_cap) {
		q->pool_cap = q->pool_cap ? 2 * q->pool_cap : 4096;
		q->pool = xrealloc(q->pool, q->pool_cap * sizeof(*q->pool));
	}
	q->pool[q->npool++] = fn;
}

/* Expand stack s into q->frames as agg_frames does; returns the count. */
static size_t live_frames(const struct profile *p, struct query_live *q, uint32_t s)
{
	size_t n = profile_stack_frames(p, s, q->frames, q->max_frames), m = 0;

	if (!q->outer_only)
		return n;
	for (size_t i = 0; i < n; i++)
		if (!q->frames[i].inlined)
			q->frames[m++] = q->frames[i];
	return m;
}

/* Cache the distinct functions of stack entry i. */
static void stack_cache(const struct profile *p, struct query_live *q, uint32_t i)
{
	size_t n = live_frames(p, q, q->ds[i].stack);
	struct live_stack *ls = &q->ds[i];
	uint32_t stamp;

	ls->off = (uint32_t)q->npool;
	ls->ntotal = ls->ninl = 0;
	ls->self = n ? q->frames[0].function : PROF_NONE;
	stamp = next_stamp(q);
	for (size_t k = 0; k < n; k++) {
		uint32_t fn = q->frames[k].function;

		if (q->stamp[fn] != stamp) {
			q->stamp[fn] = stamp;
			pool_push(q, fn);
			ls->ntotal++;
		}
	}
	stamp = next_stamp(q);
	for (size_t k = 0; k < n; k++) {
		uint32_t fn = q->frames[k].function;

		if (q->frames[k].inlined && q->stamp[fn] != stamp) {
			q->stamp[fn] = stamp;
			pool_push(q, fn);
			ls->ninl++;
		}
	}
	ls->known = true;
}

/* ---- the kept call tree ---- */

static uint32_t tree_child(struct query_live *q, uint32_t parent, uint32_t function)
{
	uint32_t *v = qmap_get(&q->tchild, parent, function);
	struct live_tnode *nd;

	if (*v != PROF_NONE)
		return *v;
	q->tn = xgrow(q->tn, &q->tn_cap, q->ntn + 1, sizeof(*q->tn));
	*v = (uint32_t)q->ntn++;
	nd = &q->tn[*v];
	memset(nd, 0, sizeof(*nd));
	nd->function = function;
	nd->parent = parent;
	nd->depth = q->tn[parent].depth + 1;
	return *v;
}

/* The node of stack s, made with its path as query-tree.c's tree_node_of
 * makes it: the trie parent's node (memo), then the location's frames,
 * outermost first. */
static uint32_t tree_node(const struct profile *p, struct query_live *q, uint32_t s)
{
	size_t n = 0;
	uint32_t node;

	if (p->nstacks > q->tmemo_cap) {
		size_t cap = p->nstacks + p->nstacks / 2 + 64;

		q->tmemo = grow_zeroed(q->tmemo, q->tmemo_cap, cap, sizeof(*q->tmemo));
		q->tmemo_cap = cap;
	}
	q->tmemo[0] = 1; /* the root of the trie is the root of the tree */
	for (; !q->tmemo[s]; s = p->stacks[s].parent) {
		q->tpath = xgrow(q->tpath, &q->tpath_cap, n + 1, sizeof(*q->tpath));
		q->tpath[n++] = s;
	}
	node = q->tmemo[s] - 1;
	while (n-- > 0) {
		uint32_t loc = p->stacks[q->tpath[n]].location;

		if (loc < p->nlocations) {
			const struct prof_location *l = &p->locations[loc];

			for (uint32_t j = l->nlines; j-- > 0;) {
				if (q->outer_only && j + 1 < l->nlines)
					continue; /* inlined: folds into its function */
				node = tree_child(q, node, p->lines[l->first_line + j].function);
			}
		}
		q->tmemo[q->tpath[n]] = node + 1;
	}
	return node;
}

static void tree_add(const struct profile *p, struct query_live *q, int c, uint32_t s,
		     const struct stack_sum *d)
{
	uint32_t node = tree_node(p, q, s); /* may move q->tn */
	struct live_tnode *nd = &q->tn[node];

	nd->self[c].ns += d->ns;
	nd->self[c].samples += d->samples;
}

/* Start keeping the tree: empty, then every stack's sums so far. */
static void tree_start(const struct profile *p, struct query_live *q)
{
	qmap_free(&q->tchild);
	memset(&q->tchild, 0, sizeof(q->tchild));
	if (q->tmemo)
		memset(q->tmemo, 0, q->tmemo_cap * sizeof(*q->tmemo));
	q->tn = xgrow(q->tn, &q->tn_cap, 1, sizeof(*q->tn));
	memset(&q->tn[0], 0, sizeof(q->tn[0]));
	q->tn[0].function = PROF_NONE;
	q->tn[0].parent = PROF_NONE;
	q->ntn = 1;
	for (size_t k = 0; k < q->ndistinct; k++) {
		const struct live_stack *ls = &q->ds[q->distinct[k]];

		for (int c = 0; c < 2; c++)
			if (ls->sum[c].samples || ls->sum[c].ns)
				tree_add(p, q, c, ls->stack, &ls->sum[c]);
	}
	q->tree_on = true;
}

/* Add the sums d of records on stack entry i under clock c. */
static void live_add(const struct profile *p, struct query_live *q, int c, uint32_t i,
		     const struct stack_sum *d)
{
	struct live_clock *cl = &q->clk[c];
	const struct live_stack *ls = &q->ds[i];
	const uint32_t *fns;

	q->ds[i].sum[c].ns += d->ns;
	q->ds[i].sum[c].samples += d->samples;
	if (q->tree_on)
		tree_add(p, q, c, ls->stack, d);
	if (!cl->fn)
		cl->fn = xcalloc(q->fn_cap ? q->fn_cap : 1, sizeof(*cl->fn));
	if (!ls->known)
		stack_cache(p, q, i);
	if (ls->self == PROF_NONE)
		return;
	cl->fn[ls->self].self_ns += d->ns;
	cl->fn[ls->self].self_samples += d->samples;
	fns = q->pool + ls->off;
	/* the self function is on the stack too: total marks it */
	for (uint32_t k = 0; k < ls->ntotal; k++) {
		cl->fn[fns[k]].total_ns += d->ns;
		cl->fn[fns[k]].total_samples += d->samples;
		if (!q->is_dirty[fns[k]]) {
			q->is_dirty[fns[k]] = true;
			q->dirty[q->ndirty++] = fns[k];
		}
	}
	for (uint32_t k = 0; k < ls->ninl; k++)
		cl->fn[fns[ls->ntotal + k]].inlined_samples += d->samples;
}

/* The entry of stack id s, made on its first record. */
static uint32_t stack_entry(struct query_live *q, uint32_t s)
{
	struct live_stack *ls;

	if (q->ds_of[s])
		return q->ds_of[s] - 1;
	q->ds = xgrow(q->ds, &q->ds_cap, q->nds + 1, sizeof(*q->ds));
	ls = &q->ds[q->nds];
	memset(ls, 0, sizeof(*ls));
	ls->stack = s;
	ls->self = PROF_NONE;
	q->ds_of[s] = (uint32_t)++q->nds;
	return q->ds_of[s] - 1;
}

/* Sum a record (or, negated, take it back) into the batch of its stack. */
static void batch_add(struct query_live *q, uint32_t stack, uint32_t flags, uint64_t ns,
		      uint64_t samples)
{
	int c = (flags & PROF_SAMPLE_OFFCPU) ? 1 : 0;
	uint32_t i = stack_entry(q, stack);
	struct live_stack *ls = &q->ds[i];
	struct live_batch *b;

	if (!ls->seen) {
		ls->seen = true;
		q->distinct = xgrow(q->distinct, &q->distinct_cap, q->ndistinct + 1,
				    sizeof(*q->distinct));
		q->distinct[q->ndistinct++] = i;
	}
	if (!ls->batch) {
		q->batch = xgrow(q->batch, &q->batch_cap, q->nbatch + 1, sizeof(*q->batch));
		memset(&q->batch[q->nbatch], 0, sizeof(*q->batch));
		q->batch[q->nbatch].ds = i;
		ls->batch = (uint32_t)++q->nbatch;
	}
	b = &q->batch[ls->batch - 1];
	b->sum[c].ns += ns;
	b->sum[c].samples += samples;
	q->clk[c].total_samples += samples;
	q->clk[c].total_ns += ns;
	if (flags & PROF_SAMPLE_TRUNCATED)
		q->clk[c].truncated += samples;
}

/* The batch added to the functions, once per stack (a hot stack recurs). */
static void batch_apply(const struct profile *p, struct query_live *q)
{
	size_t nb = q->nbatch;

	for (size_t k = 0; k < nb; k++) {
		const struct live_batch *b = &q->batch[k];

		if (k + 4 < nb) {
			const struct live_stack *ahead = &q->ds[q->batch[k + 4].ds];

			if (ahead->known)
				for (uint32_t i = 0; i < ahead->ntotal; i++)
					__builtin_prefetch(&q->clk[0].fn[q->pool[ahead->off + i]]);
		}
		q->ds[b->ds].batch = 0;
		for (int c = 0; c < 2; c++)
			if (b->sum[c].samples || b->sum[c].ns)
				live_add(p, q, c, b->ds, &b->sum[c]);
	}
	q->nbatch = 0;
}

/* ---- the moving window: the counted records by time, to take back ---- */

static void heap_push(struct query_live *q, const struct prof_sample *r)
{
	size_t i = q->nheap;

	q->heap = xgrow(q->heap, &q->heap_cap, q->nheap + 1, sizeof(*q->heap));
	q->nheap++;
	while (i > 0 && q->heap[(i - 1) / 2].time > r->time) {
		q->heap[i] = q->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	q->heap[i] = *r;
}

static void heap_pop(struct query_live *q)
{
	struct prof_sample last = q->heap[--q->nheap];
	size_t i = 0, n = q->nheap;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && q->heap[c + 1].time < q->heap[c].time)
			c++;
		if (q->heap[c].time >= last.time)
			break;
		q->heap[i] = q->heap[c];
		i = c;
	}
	if (n)
		q->heap[i] = last;
}

/* The window's start moved on to t_from: take back what fell out of it. */
static void window_advance(struct query_live *q, uint64_t t_from)
{
	while (q->nheap && q->heap[0].time < t_from) {
		const struct prof_sample *r = &q->heap[0];

		batch_add(q, r->stack, r->flags, (uint64_t)0 - r->weight,
			  (uint64_t)0 - (uint64_t)r->count);
		heap_pop(q);
	}
}

/* Sum the records from index from on (those that pass). */
static void live_read(const struct profile *p, struct query_live *q, const struct query_filter *all,
		      size_t from)
{
	struct query_sample_filter sf;

	query_sample_filter_init(&sf, all);
	for (size_t i = from; i < p->nsamples; i++) {
		const struct prof_sample *r = &p->samples[i];

		/* the stacks of a log are all over memory: ask ahead */
		if (i + 16 < p->nsamples && p->samples[i + 16].stack < p->nstacks)
			__builtin_prefetch(&q->ds_of[p->samples[i + 16].stack]);
		if (i + 8 < p->nsamples && p->samples[i + 8].stack < p->nstacks &&
		    q->ds_of[p->samples[i + 8].stack])
			__builtin_prefetch(&q->ds[q->ds_of[p->samples[i + 8].stack] - 1]);
		if (r->stack >= p->nstacks || !query_sample_passes(p, &sf, r))
			continue;
		batch_add(q, r->stack, r->flags, r->weight, r->count);
		if (q->windowed)
			heap_push(q, r);
	}
}

/* Can the sums for the last filter become the sums for all by reading
 * on? Only the start of a time range may move, later (a moving window:
 * records that fell out of it are taken back); a fold must not reach
 * into what was read, nor, under a time range, change it at all (a folded
 * record has the earliest time of its samples). */
static bool live_continues(const struct query_live *q, const struct profile *p,
			   const struct query_filter *all)
{
	bool ranged = q->t_from || q->t_to;

	if (!q->valid || q->epoch != p->log_epoch || q->pos_abs < p->log_folded_abs ||
	    q->pos_abs < p->log_shift || q->pos_abs - p->log_shift > p->nsamples)
		return false;
	if (q->tid != all->tid || q->pid != all->pid || q->t_to != all->t_to ||
	    q->outer_only != all->self_to_function || q->idle != all->idle)
		return false;
	if (ranged && (q->shift_seen != p->log_shift || q->folded_seen != p->log_folded_abs))
		return false;
	if (q->t_from == all->t_from)
		return true;
	return q->windowed && all->t_from > q->t_from;
}

/* The profile's live aggregate, brought up to date for f. */
static struct query_live *live_sync(const struct profile *p, const struct query_filter *f)
{
	struct query_cache *c = query_cache_of(p);
	struct query_live *q = c->live;
	struct query_filter all = f ? *f : (struct query_filter){0};

	if (!q)
		q = c->live = xcalloc(1, sizeof(*q));
	live_fit(q, p);
	if (!live_continues(q, p, &all)) {
		live_reset(q, all.self_to_function);
		q->valid = true;
		q->epoch = p->log_epoch;
		q->pos_abs = p->log_shift;
		q->tid = all.tid;
		q->pid = all.pid;
		q->t_from = all.t_from;
		q->t_to = all.t_to;
		q->idle = all.idle;
		/* an open-ended range from a start: it may move on */
		q->windowed = all.t_from && !all.t_to;
		q->nheap = 0;
	}
	if (all.t_from > q->t_from) {
		window_advance(q, all.t_from);
		q->t_from = all.t_from;
	}
	/* both clocks: the records are summed apart */
	all.wall = true;
	live_read(p, q, &all, (size_t)(q->pos_abs - p->log_shift));
	batch_apply(p, q);
	q->pos_abs = p->log_shift + p->nsamples;
	q->shift_seen = p->log_shift;
	q->folded_seen = p->log_folded_abs;
	return q;
}

/* fn's sums under the clock asked for. */
static struct live_fn fn_sums(const struct query_live *q, uint32_t fn, bool wall)
{
	struct live_fn s = q->clk[0].fn[fn];

	if (wall && q->clk[1].fn) {
		const struct live_fn *o = &q->clk[1].fn[fn];

		s.self_ns += o->self_ns;
		s.self_samples += o->self_samples;
		s.total_ns += o->total_ns;
		s.total_samples += o->total_samples;
		s.inlined_samples += o->inlined_samples;
		s.offcpu_ns = o->total_ns;
	}
	return s;
}

static void live_table_start(const struct query_live *q, bool wall, struct func_table *out)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < (wall ? 2 : 1); c++) {
		out->total_samples += q->clk[c].total_samples;
		out->total_ns += q->clk[c].total_ns;
		out->truncated_samples += q->clk[c].truncated;
	}
}

/* Whether fn is a row of the functions table (query.c's has_row). */
static bool fn_has_row(const struct profile *p, const struct live_fn *s, uint32_t fn)
{
	return s->total_samples || s->self_samples || p->functions[fn].calls >= 0;
}

static void fill_row(const struct profile *p, const struct live_fn *s, uint32_t fn,
		     uint64_t table_ns, struct func_row *r)
{
	/* every field written (no memset: 100,000 rows a refresh) */
	r->function = fn;
	r->self_samples = s->self_samples;
	r->total_samples = s->total_samples;
	r->self_ns = s->self_ns;
	r->total_ns = s->total_ns;
	r->inlined_samples = s->inlined_samples;
	r->offcpu_ns = s->offcpu_ns;
	r->self_pct = r->total_pct = 0;
	if (table_ns) {
		r->self_pct = 100.0 * (double)r->self_ns / (double)table_ns;
		r->total_pct = 100.0 * (double)r->total_ns / (double)table_ns;
	}
	r->calls = p->functions[fn].calls;
	r->calls_lower_bound = p->functions[fn].calls_lower_bound;
}

struct order_ctx {
	const struct query_live *q;
	const uint32_t *rank;
};

/* query.c's order: key1 descending, then key2 descending, then name. */
static int order_cmp(const struct order_ctx *o, uint32_t a, uint32_t b)
{
	const struct query_live *q = o->q;

	if (q->key1[a] != q->key1[b])
		return q->key1[a] > q->key1[b] ? -1 : 1;
	if (q->key2[a] != q->key2[b])
		return q->key2[a] > q->key2[b] ? -1 : 1;
	return o->rank[a] < o->rank[b] ? -1 : o->rank[a] > o->rank[b];
}

static int order_qcmp(const void *va, const void *vb, void *ctx)
{
	return order_cmp(ctx, *(const uint32_t *)va, *(const uint32_t *)vb);
}

/* Bring q->order up to date: the rows whose keys did not change keep
 * their relative order (new functions only insert ranks between old
 * ones), the others are sorted alone and merged in. */
static void order_update(const struct profile *p, struct query_live *q, enum query_sort sort,
			 bool wall)
{
	struct order_ctx o = {q, query_name_ranks(p)};
	size_t keep = 0, nmoved = 0, i, a, b, k;
	uint32_t *merged;

	if (!q->order_valid || q->order_sort != sort || q->order_wall != wall) {
		/* every function is a candidate: the order starts empty */
		for (i = 0; i < q->norder; i++)
			q->in_order[q->order[i]] = false;
		q->norder = 0;
		q->order_valid = true;
		q->order_sort = sort;
		q->order_wall = wall;
		for (i = 0; i < q->ndirty; i++)
			q->is_dirty[q->dirty[i]] = false;
		q->ndirty = 0;
		for (i = 0; i < p->nfunctions; i++) {
			q->is_dirty[i] = true;
			q->dirty[q->ndirty++] = (uint32_t)i;
			q->calls_seen[i] = p->functions[i].calls;
		}
	} else {
		/* the sums changed by the new records, and the call counts
		 * (counting runs on its own; one pass in memory order) */
		for (i = 0; i < p->nfunctions; i++) {
			if (q->calls_seen[i] == p->functions[i].calls)
				continue;
			q->calls_seen[i] = p->functions[i].calls;
			if (!q->is_dirty[i]) {
				q->is_dirty[i] = true;
				q->dirty[q->ndirty++] = (uint32_t)i;
			}
		}
	}
	/* the rows that are new or whose keys changed leave the order and
	 * are sorted apart */
	for (size_t d = 0; d < q->ndirty; d++) {
		uint32_t fn = q->dirty[d];
		struct live_fn s = fn_sums(q, fn, wall);
		uint64_t k1, k2;

		q->is_dirty[fn] = false;
		if (!fn_has_row(p, &s, fn)) {
			q->in_order[fn] = false;
			continue;
		}
		k1 = query_sort_primary(s.total_ns, s.self_ns, p->functions[fn].calls, sort);
		k2 = sort == SORT_CALLS ? s.total_ns : 0;
		if (q->in_order[fn] && q->key1[fn] == k1 && q->key2[fn] == k2)
			continue;
		q->key1[fn] = k1;
		q->key2[fn] = k2;
		q->in_order[fn] = false;
		q->moved[nmoved++] = fn;
	}
	q->ndirty = 0;
	for (i = 0; i < q->norder; i++)
		if (q->in_order[q->order[i]])
			q->order[keep++] = q->order[i];
	for (i = 0; i < nmoved; i++)
		q->in_order[q->moved[i]] = true;
	if (!nmoved) {
		q->norder = keep;
		return;
	}
	qsort_r(q->moved, nmoved, sizeof(*q->moved), order_qcmp, &o);
	merged = xmalloc(q->fn_cap * sizeof(*merged));
	for (a = b = k = 0; a < keep || b < nmoved;) {
		if (b == nmoved || (a < keep && order_cmp(&o, q->order[a], q->moved[b]) < 0))
			merged[k++] = q->order[a++];
		else
			merged[k++] = q->moved[b++];
	}
	free(q->order);
	q->order = merged;
	q->norder = k;
}

void query_functions_live(const struct profile *p, const struct query_filter *f,
			  enum query_sort sort, bool reverse, struct func_table *out)
{
	struct query_live *q;
	bool wall = f && f->wall;

	if (f && f->measure != MEASURE_TIME) {
		query_functions(p, f, sort, reverse, out);
		return;
	}
	q = live_sync(p, f);

	order_update(p, q, sort, wall);
	live_table_start(q, wall, out);
	out->rows = xmalloc((q->norder ? q->norder : 1) * sizeof(*out->rows));
	for (size_t k = 0; k < q->norder; k++) {
		uint32_t fn = q->order[reverse ? q->norder - 1 - k : k];
		struct live_fn s;

		/* the rows are in sort order, the sums in function order:
		 * ask for the sums a few rows ahead */
		if (k + 8 < q->norder) {
			uint32_t ahead = q->order[reverse ? q->norder - 9 - k : k + 8];

			__builtin_prefetch(&q->clk[0].fn[ahead]);
			__builtin_prefetch(&p->functions[ahead]);
			if (wall && q->clk[1].fn)
				__builtin_prefetch(&q->clk[1].fn[ahead]);
		}
		s = fn_sums(q, fn, wall);

		fill_row(p, &s, fn, out->total_ns, &out->rows[k]);
	}
	out->n = q->norder;
}

bool query_function_row_live(const struct profile *p, const struct query_filter *f, uint32_t fn,
			     struct func_row *out)
{
	struct query_live *q;
	bool wall = f && f->wall;
	struct func_table t;
	struct live_fn s;

	if (f && f->measure != MEASURE_TIME) {
		bool found = false;

		query_functions(p, f, SORT_CUMULATIVE, false, &t);
		memset(out, 0, sizeof(*out));
		out->function = fn;
		out->calls = fn < p->nfunctions ? p->functions[fn].calls : -1;
		for (size_t i = 0; i < t.n && !found; i++)
			if (t.rows[i].function == fn) {
				*out = t.rows[i];
				found = true;
			}
		func_table_free(&t);
		return found;
	}
	q = live_sync(p, f);
	memset(out, 0, sizeof(*out));
	out->function = fn;
	out->calls = -1;
	if (fn >= p->nfunctions)
		return false;
	out->calls = p->functions[fn].calls;
	s = fn_sums(q, fn, wall);
	if (!fn_has_row(p, &s, fn))
		return false;
	live_table_start(q, wall, &t);
	fill_row(p, &s, fn, t.total_ns, out);
	return true;
}

/* ---- callers and callees: from the stacks that hold the function ---- */

static void index_extend(const struct profile *p, struct query_live *q)
{
	for (; q->idx_upto < q->ndistinct; q->idx_upto++) {
		uint32_t d = q->distinct[q->idx_upto];
		const struct live_stack *ls = &q->ds[d];

		if (!ls->known)
			stack_cache(p, q, d);
		for (uint32_t i = 0; i < ls->ntotal; i++) {
			struct fn_stacks *fs = &q->idx[q->pool[ls->off + i]];

			fs->ds = xgrow(fs->ds, &fs->cap, fs->n + 1, sizeof(*fs->ds));
			fs->ds[fs->n++] = d;
		}
	}
}

/* Stack entry i's sums under the clock asked for. */
static struct stack_sum entry_sum(const struct query_live *q, uint32_t i, bool wall)
{
	struct stack_sum sum = q->ds[i].sum[0];

	if (wall) {
		sum.ns += q->ds[i].sum[1].ns;
		sum.samples += q->ds[i].sum[1].samples;
		sum.off_ns = q->ds[i].sum[1].ns;
	}
	return sum;
}

struct edge_acc {
	uint32_t function, stamp;
	uint64_t self_ns, self_samples, total_ns, total_samples, offcpu_ns;
};

/* query.c's query_edges over the stacks of fn only. */
static void live_edges(const struct profile *p, const struct query_filter *f, uint32_t fn,
		       bool callers, struct func_table *out)
{
	struct query_live *q = live_sync(p, f);
	bool wall = f && f->wall;
	struct qmap where = {0};
	struct edge_acc *acc = NULL;
	size_t nacc = 0, cap = 0;
	const struct fn_stacks *fs;

	index_extend(p, q);
	live_table_start(q, wall, out);
	fs = fn < p->nfunctions ? &q->idx[fn] : NULL;
	for (size_t k = 0; fs && k < fs->n; k++) {
		uint32_t stamp = (uint32_t)k + 1;
		struct stack_sum sum = entry_sum(q, fs->ds[k], wall);
		size_t nf;

		if (!sum.samples)
			continue; /* off-CPU only, on the CPU clock */
		nf = live_frames(p, q, q->ds[fs->ds[k]].stack);
		for (size_t i = 0; i < nf; i++) {
			uint32_t other, *slot;
			struct edge_acc *e;
			bool self;

			if (q->frames[i].function != fn)
				continue;
			if (callers) {
				if (i + 1 >= nf)
					continue;
				other = q->frames[i + 1].function;
				self = i == 0;
			} else {
				if (i == 0)
					continue;
				other = q->frames[i - 1].function;
				self = i == 1;
			}
			slot = qmap_get(&where, other, 0);
			if (*slot == PROF_NONE) {
				acc = xgrow(acc, &cap, nacc + 1, sizeof(*acc));
				memset(&acc[nacc], 0, sizeof(*acc));
				acc[nacc].function = other;
				*slot = (uint32_t)nacc++;
			}
			e = &acc[*slot];
			if (e->stamp != stamp) {
				e->stamp = stamp;
				e->total_ns += sum.ns;
				e->total_samples += sum.samples;
				e->offcpu_ns += sum.off_ns;
			}
			if (self) {
				e->self_ns += sum.ns;
				e->self_samples += sum.samples;
			}
		}
	}
	out->rows = xcalloc(nacc ? nacc : 1, sizeof(*out->rows));
	for (size_t i = 0; i < nacc; i++) {
		struct live_fn s = {acc[i].self_ns, acc[i].self_samples, acc[i].total_ns,
				    acc[i].total_samples, 0, acc[i].offcpu_ns};

		fill_row(p, &s, acc[i].function, out->total_ns, &out->rows[i]);
	}
	out->n = nacc;
	query_sort_rows(p, out, SORT_CUMULATIVE, false);
	free(acc);
	qmap_free(&where);
}

void query_callers_live(const struct profile *p, const struct query_filter *f, uint32_t fn,
			struct func_table *out)
{
	if (f && f->measure != MEASURE_TIME)
		query_callers(p, f, fn, out);
	else
		live_edges(p, f, fn, true, out);
}

void query_callees_live(const struct profile *p, const struct query_filter *f, uint32_t fn,
			struct func_table *out)
{
	if (f && f->measure != MEASURE_TIME)
		query_callees(p, f, fn, out);
	else
		live_edges(p, f, fn, false, out);
}

/* ---- the call tree: kept, the new records added to their nodes ---- */

void query_call_tree_live(const struct profile *p, const struct query_filter *f,
			  struct call_tree *out)
{
	struct query_live *q;
	bool wall = f && f->wall;
	uint32_t *id;
	size_t n;

	if (f && f->measure != MEASURE_TIME) {
		query_call_tree(p, f, out);
		return;
	}
	q = live_sync(p, f);
	if (!q->tree_on)
		tree_start(p, q);
	n = q->ntn;
	memset(out, 0, sizeof(*out));
	out->nodes = xcalloc(n, sizeof(*out->nodes));
	for (size_t i = 0; i < n; i++) {
		struct tree_node *o = &out->nodes[i];
		const struct live_tnode *t = &q->tn[i];

		o->function = t->function;
		o->parent = t->parent;
		o->depth = t->depth;
		o->first_child = o->next_sibling = PROF_NONE;
		o->self_ns = t->self[0].ns + (wall ? t->self[1].ns : 0);
		o->self_samples = t->self[0].samples + (wall ? t->self[1].samples : 0);
		o->total_ns = o->self_ns;
		o->total_samples = o->self_samples;
	}
	for (size_t i = n; i-- > 1;) {
		struct tree_node *o = &out->nodes[i];

		out->nodes[o->parent].total_ns += o->total_ns;
		out->nodes[o->parent].total_samples += o->total_samples;
	}
	/* Drop the nodes with no samples under this clock (or that a moving
	 * window left): a parent comes before its children, and stays. */
	id = xmalloc(n * sizeof(*id));
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && !out->nodes[i].total_samples) {
			id[i] = PROF_NONE;
			continue;
		}
		id[i] = (uint32_t)out->n;
		out->nodes[out->n] = out->nodes[i];
		if (i)
			out->nodes[out->n].parent = id[out->nodes[i].parent];
		out->n++;
	}
	free(id);
	for (int c = 0; c < (wall ? 2 : 1); c++)
		out->total_ns += q->clk[c].total_ns;
	query_tree_link(p, out);
}
