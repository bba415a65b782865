/* Per-call latency: the histogram of struct prof_latency. The pairing of
 * probe records into durations is collection (latency-pairs.h).
 *
 * The histogram is log-linear: exact below 64 ns, then 64 buckets per power
 * of two, so a bucket is at most 1/64 of its lower bound wide and a quantile
 * read at a bucket's middle is within 0.8% of the true value. */
#ifndef PROFTOP_LATENCY_H
#define PROFTOP_LATENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

#define LATENCY_SUB_BITS 6
#define LATENCY_SUB	 (1u << LATENCY_SUB_BITS)

/* The bucket of a duration, and a bucket's bounds [low, high). */
size_t latency_bucket(uint64_t ns);
uint64_t latency_bucket_low(size_t b);
uint64_t latency_bucket_high(size_t b);

/* Count one call of ns. */
void latency_add(struct prof_latency *l, uint64_t ns);
/* Add every call of src to dst (same function, another process or run). */
void latency_merge(struct prof_latency *dst, const struct prof_latency *src);
/* The q-quantile (0..1): q = 0 and 1 are the exact min and max, others the
 * middle of the bucket holding the rank, clamped to [min, max]. 0 if no call. */
uint64_t latency_quantile(const struct prof_latency *l, double q);

/* Display rows of a histogram: the calls in at most max rows between min
 * and max. Rows are equal slices of the bucket range: logarithmic across
 * powers of two, linear within one, so narrow and wide spreads both read
 * well. Returns the rows written (0 if no call). */
struct latency_row {
	uint64_t low, high; /* ns, clamped to [min, max] */
	uint64_t count;
};
size_t latency_rows(const struct prof_latency *l, struct latency_row *rows, size_t max);

#endif
