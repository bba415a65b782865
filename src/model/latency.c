#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "xalloc.h"

size_t latency_bucket(uint64_t ns)
{
	unsigned e;
	size_t b;

	if (ns < LATENCY_SUB)
		return (size_t)ns;
	e = 63u - (unsigned)__builtin_clzll(ns); /* >= LATENCY_SUB_BITS */
	b = LATENCY_SUB + (size_t)(e - LATENCY_SUB_BITS) * LATENCY_SUB +
	    (size_t)((ns >> (e - LATENCY_SUB_BITS)) - LATENCY_SUB);
	return b < PROF_LATENCY_BUCKETS ? b : PROF_LATENCY_BUCKETS - 1;
}

uint64_t latency_bucket_low(size_t b)
{
	size_t k;

	if (b < LATENCY_SUB)
		return b;
	k = b - LATENCY_SUB;
	return (uint64_t)(LATENCY_SUB + k % LATENCY_SUB) << (k / LATENCY_SUB);
}

uint64_t latency_bucket_high(size_t b)
{
	if (b < LATENCY_SUB)
		return b + 1;
	/* The last bucket of the top power of two ends at 2^64: saturate. */
	if ((b - LATENCY_SUB) / LATENCY_SUB >= 64 - LATENCY_SUB_BITS - 1 &&
	    (b - LATENCY_SUB) % LATENCY_SUB == LATENCY_SUB - 1)
		return UINT64_MAX;
	return latency_bucket_low(b) + (1ull << ((b - LATENCY_SUB) / LATENCY_SUB));
}

void latency_add(struct prof_latency *l, uint64_t ns)
{
	l->count++;
	l->sum_ns += ns;
	if (ns < l->min_ns)
		l->min_ns = ns;
	if (ns > l->max_ns)
		l->max_ns = ns;
	l->buckets[latency_bucket(ns)]++;
}

void latency_merge(struct prof_latency *dst, const struct prof_latency *src)
{
	if (!src->count)
		return;
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (size_t b = 0; b < PROF_LATENCY_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
}

uint64_t latency_quantile(const struct prof_latency *l, double q)
{
	uint64_t rank, seen = 0;

	if (!l->count)
		return 0;
	if (q <= 0)
		return l->min_ns;
	if (q >= 1)
		return l->max_ns;
	/* The smallest value with at least q of the calls at or below it. */
	rank = (uint64_t)(q * (double)l->count);
	if ((double)rank < q * (double)l->count)
		rank++;
	if (rank < 1)
		rank = 1;
	for (size_t b = 0; b < PROF_LATENCY_BUCKETS; b++) {
		seen += l->buckets[b];
		if (seen >= rank) {
			uint64_t lo = latency_bucket_low(b), hi = latency_bucket_high(b);
			uint64_t mid = lo + (hi - lo) / 2;

			if (mid < l->min_ns)
				mid = l->min_ns;
			if (mid > l->max_ns)
				mid = l->max_ns;
			return mid;
		}
	}
	return l->max_ns;
}

size_t latency_rows(const struct prof_latency *l, struct latency_row *rows, size_t max)
{
	size_t b0, span, n;

	if (!l->count || !max)
		return 0;
	b0 = latency_bucket(l->min_ns);
	span = latency_bucket(l->max_ns) - b0 + 1;
	n = span < max ? span : max;
	for (size_t i = 0; i < n; i++) {
		size_t first = b0 + span * i / n, end = b0 + span * (i + 1) / n;
		struct latency_row *r = &rows[i];

		r->count = 0;
		for (size_t k = first; k < end; k++)
			r->count += l->buckets[k];
		r->low = latency_bucket_low(first);
		r->high = latency_bucket_high(end - 1);
		if (r->low < l->min_ns)
			r->low = l->min_ns;
		if (r->high > l->max_ns)
			r->high = l->max_ns;
	}
	return n;
}
