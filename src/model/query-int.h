/* What the query tables share: the filtered sample log summed per distinct
 * stack (query-agg.c), a small map, and function names for sorting. */
#ifndef PROFTOP_QUERY_INT_H
#define PROFTOP_QUERY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query.h"

/* A small open-addressing map: (a, b) -> index. */
struct qslot {
	uint64_t a, b;
	uint32_t val; /* PROF_NONE: empty */
};

struct qmap {
	struct qslot *slots;
	size_t mask, n;
};

/* The value slot for (a, b). A new key's value is PROF_NONE and the caller
 * must store a real index in it before the next call. */
uint32_t *qmap_get(struct qmap *m, uint64_t a, uint64_t b);
void qmap_free(struct qmap *m);

/* The filtered sample log, aggregated per distinct stack. */
struct stack_sum {
	uint64_t ns, samples;
	uint64_t off_ns; /* of ns, off-CPU records' (the wall clock) */
};

struct agg {
	struct stack_sum *by_stack; /* indexed by stack id */
	uint32_t *stacks;	    /* distinct stack ids that have samples */
	size_t n;
	uint64_t total_samples, total_ns, truncated;
	struct prof_frame *frames; /* scratch for one expanded stack */
	size_t max_frames;
	bool outer_only; /* filter.self_to_function: no inlined frames */
};

/* The samples that pass f, per stack; with a memory measure
 * (f->measure), the memory records instead (query_alloc_value). */
void agg_build(const struct profile *p, const struct query_filter *f, struct agg *a);
/* Whether memory record r passes sf's thread, process and time range
 * (and, for MEASURE_PEAK_BYTES, was allocated by f->at). */
bool query_alloc_passes(const struct profile *p, struct query_sample_filter *sf,
			const struct prof_alloc *r);
/* What r counts for under measure m: bytes (allocations for
 * MEASURE_ALLOCS), 0 when it does not count (another kind; freed before
 * end, the range's end, 0 for none; not live at at; not leaked). */
uint64_t query_alloc_value(const struct profile *p, enum query_measure m, uint64_t end,
			   uint64_t at, const struct prof_alloc *r);
/* Expand the k-th distinct stack into a->frames; returns how many frames
 * (without the inlined ones when the filter folds them into their function). */
size_t agg_frames(const struct profile *p, struct agg *a, size_t k);
void agg_free(struct agg *a);

/* fn's name, "" if it has none. */
const char *fn_name(const struct profile *p, uint32_t fn);

/* What the queries keep on the profile between calls (p->query_cache,
 * freed by profile_free): the functions' alphabetical ranks and the live
 * aggregate of query-live.c. */
struct query_live;
struct query_cache {
	uint32_t *rank;	   /* per function: its place in name order (ties by id) */
	uint32_t *by_name; /* the functions in that order */
	size_t nrank;
	struct query_live *live;
};

/* The profile's cache, created on first use. */
struct query_cache *query_cache_of(const struct profile *p);
const uint32_t *query_name_ranks(const struct profile *p);
void query_live_free(struct query_live *q);

/* Sorting function tables (query.c): a row's primary key under sort
 * (larger first; SORT_CALLS breaks ties by total_ns, then name), and the
 * whole table sorted that way. */
uint64_t query_sort_primary(uint64_t total_ns, uint64_t self_ns, int64_t calls,
			    enum query_sort sort);
void query_sort_rows(const struct profile *p, struct func_table *t, enum query_sort sort,
		     bool reverse);

/* The call tree of an aggregate (query-tree.c). */
void query_tree_from_agg(const struct profile *p, struct agg *a, struct call_tree *out);
/* Link each node's children, hottest first (query-tree.c). */
void query_tree_link(const struct profile *p, struct call_tree *t);

#endif
