/* Shared by the exporters (src/export-*.c), not part of the export API: the
 * sample filter, a small hash map over fixed-size integer keys, and the
 * format entries themselves. */
#ifndef PROFTOP_EXPORT_INT_H
#define PROFTOP_EXPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "export.h"
#include "text.h" /* json_str: one JSON string writer */
#include "profile.h"

extern const struct export_format export_folded;
extern const struct export_format export_speedscope;
extern const struct export_format export_pprof;
extern const struct export_format export_callgrind;

struct ex_filter {
	struct query_sample_filter qs;
};

void ex_filter_init(struct ex_filter *x, const struct export_opts *o);
/* Whether sample s is exported: it passes the filter and names a valid stack. */
bool ex_filter_pass(struct ex_filter *x, const struct profile *p, const struct prof_sample *s);
/* Whether memory record a is exported: an allocation (heap or mmap; page
 * faults are not exported) of a thread and time the filter lets pass, on
 * a valid stack. */
bool ex_alloc_pass(struct ex_filter *x, const struct profile *p, const struct prof_alloc *a);
/* Whether any allocation passes o's filter. */
bool ex_any_alloc(const struct profile *p, const struct export_opts *o);

/* Samples and CPU ns, and allocations, per stack id, over the samples and
 * the allocation records (ex_alloc_pass) that pass the filter. */
struct ex_stacks {
	uint64_t *samples; /* indexed by stack id */
	uint64_t *ns;
	uint64_t *records; /* allocation records */
	uint64_t *bytes;   /* the bytes they stand for */
	uint64_t *allocs;  /* the allocations they stand for */
	uint32_t *ids;	   /* the stack ids that have samples or records, ascending */
	size_t n;
	uint64_t total_samples, total_ns;
	uint64_t total_records, total_bytes, total_allocs;
};

/* what: EX_SAMPLES, EX_ALLOCS, or both. */
enum { EX_SAMPLES = 1, EX_ALLOCS = 2 };
void ex_stacks_build(struct ex_stacks *s, const struct profile *p, const struct export_opts *o,
		     unsigned what);
void ex_stacks_free(struct ex_stacks *s);

/* Hash map from keys of nkey 64-bit words to values of nval words, zeroed
 * on insertion. Entries keep their insertion order (index 0, 1, ...). */
struct ex_map {
	unsigned nkey, nval;
	uint64_t *entries; /* count * (nkey + nval) words */
	size_t count, entries_cap;
	uint32_t *slots; /* entry index + 1, 0 = empty */
	size_t nslots;	 /* power of two */
};

void ex_map_init(struct ex_map *m, unsigned nkey, unsigned nval);
void ex_map_free(struct ex_map *m);
/* The value words of key, inserted zeroed if new; valid until the next
 * insertion. *added (may be NULL) says whether it was new. */
uint64_t *ex_map_get(struct ex_map *m, const uint64_t *key, bool *added);
/* The value words of key, or NULL. */
uint64_t *ex_map_find(const struct ex_map *m, const uint64_t *key);
static inline uint64_t *ex_map_key(const struct ex_map *m, size_t i)
{
	return m->entries + i * (m->nkey + m->nval);
}
static inline uint64_t *ex_map_val(const struct ex_map *m, size_t i)
{
	return ex_map_key(m, i) + m->nkey;
}

/* A function's display name: profile_function_name() (profile.h). */

/* A JSON string; NULL becomes null, invalid UTF-8 becomes U+FFFD. */

#endif
