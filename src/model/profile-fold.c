/* Bounded memory: folding the oldest part of the sample log into one record
 * per (time interval, thread, stack, flags), and the budget that decides
 * when. Totals never change; what is lost is the time of each sample
 * within its interval. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "xalloc.h"

/* A fold key's hash: its parts multiplied apart, then mixed. */
static uint64_t fold_mix(uint64_t interval, uint64_t tid_and, uint64_t stack)
{
	uint64_t x = interval * 0x9e3779b97f4a7c15ULL;

	x ^= tid_and * 0xff51afd7ed558ccdULL;
	x ^= stack * 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static uint64_t fold_hash(uint64_t interval, const struct prof_sample *s)
{
	return fold_mix(interval, (uint64_t)(uint32_t)s->tid << 32 | s->flags, s->stack);
}

static bool same_key(const struct prof_sample *a, const struct prof_sample *b, uint64_t interval)
{
	return a->tid == b->tid && a->stack == b->stack && a->flags == b->flags &&
	       a->time / interval == b->time / interval;
}

/* Stable merge sort of n records by interval, through tmp (n records). */
static void sort_by_interval(struct prof_sample *v, struct prof_sample *tmp, size_t n,
			     uint64_t interval)
{
	for (size_t width = 1; width < n; width *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * width) {
			size_t mid = lo + width < n ? lo + width : n;
			size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = v[j].time / interval < v[i].time / interval ? v[j++]
										       : v[i++];
			while (i < mid)
				tmp[k++] = v[i++];
			while (j < hi)
				tmp[k++] = v[j++];
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
}

static bool sorted_by_interval(const struct prof_sample *v, size_t n, uint64_t interval)
{
	for (size_t i = 1; i < n; i++)
		if (v[i].time / interval < v[i - 1].time / interval)
			return false;
	return true;
}

/* Fold v[0, n) in place; returns the records left, in first-seen order. */
static size_t fold_records(struct prof_sample *v, size_t n, uint64_t interval)
{
	size_t cap = 16, out = 0;
	uint32_t *slots;

	while (cap < 2 * n)
		cap *= 2;
	slots = xmalloc(cap * sizeof(*slots));
	memset(slots, 0xff, cap * sizeof(*slots));
	for (size_t i = 0; i < n; i++) {
		struct prof_sample s = v[i];
		size_t h = fold_hash(s.time / interval, &s) & (cap - 1);
		struct prof_sample *o;

		while (slots[h] != UINT32_MAX && !same_key(&v[slots[h]], &s, interval))
			h = (h + 1) & (cap - 1);
		o = slots[h] != UINT32_MAX ? &v[slots[h]] : NULL;
		if (o && o->count <= UINT32_MAX - s.count && o->weight <= UINT64_MAX - s.weight) {
			o->count += s.count;
			o->weight += s.weight;
			if (s.time < o->time)
				o->time = s.time;
			continue;
		}
		/* A new key, or a record too full to add to: the slot moves on
		 * to the new one (out <= i, so v[i] was read already). */
		slots[h] = (uint32_t)out;
		v[out++] = s;
	}
	free(slots);
	return out;
}

size_t profile_fold(struct profile *p, size_t upto, uint64_t interval_ns)
{
	size_t kept, removed;

	if (upto > p->nsamples)
		upto = p->nsamples;
	if (interval_ns == 0)
		interval_ns = 1;
	kept = fold_records(p->samples, upto, interval_ns);
	if (!sorted_by_interval(p->samples, kept, interval_ns)) {
		struct prof_sample *tmp = xmalloc(kept * sizeof(*tmp));

		sort_by_interval(p->samples, tmp, kept, interval_ns);
		free(tmp);
	}
	removed = upto - kept;
	if (removed)
		memmove(p->samples + kept, p->samples + upto,
			(p->nsamples - upto) * sizeof(*p->samples));
	p->nsamples -= removed;
	/* Records from upto on keep their absolute positions; the folded part
	 * ends where upto was (or further, if an earlier fold went further). */
	if (upto + p->log_shift > p->log_folded_abs)
		p->log_folded_abs = upto + p->log_shift;
	p->log_shift += removed;
	return kept;
}

/* ---- memory records ---- */

/* Freed records and page faults may fold; live ones wait for their free. */
static bool alloc_foldable(const struct prof_alloc *a)
{
	return a->kind == PROF_ALLOC_FAULT || a->free_time != PROF_ALLOC_LIVE;
}

static uint64_t free_interval(const struct prof_alloc *a, uint64_t interval)
{
	return a->free_time == PROF_ALLOC_LIVE ? UINT64_MAX : a->free_time / interval;
}

static uint64_t alloc_hash(const struct prof_alloc *a, uint64_t interval)
{
	return fold_mix(a->time / interval ^ free_interval(a, interval) * 0x2545f4914f6cdd1dULL,
			(uint64_t)(uint32_t)a->tid << 32 | a->kind, a->stack);
}

static bool alloc_same(const struct prof_alloc *a, const struct prof_alloc *b, uint64_t interval)
{
	return a->tid == b->tid && a->stack == b->stack && a->kind == b->kind &&
	       a->time / interval == b->time / interval &&
	       free_interval(a, interval) == free_interval(b, interval);
}

/* A folded record being made: where it is, and the bytes-weighted mean
 * of its records' times of allocation and of free, in ns past the start
 * of their intervals (the record keeps its first time meanwhile, which
 * says which interval). */
struct fold_key {
	uint32_t out;
	double at, freed;
};

/* v[out] takes a: summed, the means moved by a's weight (its bytes). */
static void fold_into(struct prof_alloc *o, struct fold_key *k, const struct prof_alloc *a,
		      uint64_t interval)
{
	double w = (double)(a->bytes ? a->bytes : 1), wo = (double)(o->bytes ? o->bytes : 1);
	double share = w / (w + wo);

	k->at += ((double)(a->time % interval) - k->at) * share;
	if (a->free_time != PROF_ALLOC_LIVE)
		k->freed += ((double)(a->free_time % interval) - k->freed) * share;
	o->allocs += a->allocs;
	o->bytes += a->bytes;
	o->size += a->size;
}

size_t profile_fold_allocs(struct profile *p, size_t upto, uint64_t interval_ns)
{
	struct prof_alloc *v = p->allocs;
	size_t cap = 16, out = 0, removed, nkeys = 0, keys_cap = 0;
	struct fold_key *keys = NULL;
	uint64_t end_id;
	uint32_t *slots;

	if (upto > p->nallocs)
		upto = p->nallocs;
	if (upto > UINT32_MAX - 1)
		upto = UINT32_MAX - 1; /* the slots' indices */
	if (interval_ns == 0)
		interval_ns = 1;
	end_id = upto < p->nallocs ? v[upto].id : profile_alloc_next_id(p);
	while (cap < 2 * upto)
		cap *= 2;
	slots = xmalloc(cap * sizeof(*slots));
	memset(slots, 0xff, cap * sizeof(*slots));
	for (size_t i = 0; i < upto; i++) {
		struct prof_alloc a = v[i];
		size_t h;

		if (alloc_foldable(&a)) {
			struct fold_key *k;
			struct prof_alloc *o;

			h = alloc_hash(&a, interval_ns) & (cap - 1);
			while (slots[h] != UINT32_MAX &&
			       !alloc_same(&v[keys[slots[h]].out], &a, interval_ns))
				h = (h + 1) & (cap - 1);
			k = slots[h] != UINT32_MAX ? &keys[slots[h]] : NULL;
			o = k ? &v[k->out] : NULL;
			if (o && o->allocs <= UINT32_MAX - a.allocs && o->bytes <= UINT64_MAX - a.bytes &&
			    o->size <= UINT64_MAX - a.size) {
				fold_into(o, k, &a, interval_ns);
				continue;
			}
			/* a new key, or a record too full to add to: the slot
			 * moves on to the new one (out <= i: v[i] was read) */
			keys = xgrow(keys, &keys_cap, nkeys + 1, sizeof(*keys));
			keys[nkeys] = (struct fold_key){
				(uint32_t)out, (double)(a.time % interval_ns),
				a.free_time == PROF_ALLOC_LIVE ? 0 : (double)(a.free_time % interval_ns)};
			slots[h] = (uint32_t)nkeys++;
		}
		/* in the order they came, so that ids keep growing */
		v[out++] = a;
	}
	/* Each folded record allocated at its records' mean time and freed at
	 * their mean free time, weighted by bytes: the bytes live summed over
	 * time stay what they were, and both times stay in their intervals. */
	for (size_t k = 0; k < nkeys; k++) {
		struct prof_alloc *o = &v[keys[k].out];
		uint64_t at = (uint64_t)(keys[k].at + 0.5), freed = (uint64_t)(keys[k].freed + 0.5);

		if (at >= interval_ns)
			at = interval_ns - 1;
		if (freed >= interval_ns)
			freed = interval_ns - 1;
		o->time = o->time / interval_ns * interval_ns + at;
		if (o->free_time != PROF_ALLOC_LIVE) {
			o->free_time = o->free_time / interval_ns * interval_ns + freed;
			if (o->free_time < o->time)
				o->free_time = o->time;
		}
	}
	free(keys);
	free(slots);
	removed = upto - out;
	if (removed)
		memmove(v + out, v + upto, (p->nallocs - upto) * sizeof(*v));
	p->nallocs -= removed;
	p->allocs_shift += removed;
	if (end_id > p->allocs_folded_abs)
		p->allocs_folded_abs = end_id;
	return out;
}

void profile_drop_output(struct profile *p, size_t keep)
{
	size_t n = 0, bytes;

	if (p->output_len <= keep || p->noutput_chunks == 0)
		return;
	while (n + 1 < p->noutput_chunks && p->output_len - p->output_chunks[n].offset > keep)
		n++;
	bytes = (size_t)p->output_chunks[n].offset;
	if (n == 0)
		return;
	memmove(p->output, p->output + bytes, p->output_len - bytes);
	p->output_len -= bytes;
	p->output[p->output_len] = '\0';
	memmove(p->output_chunks, p->output_chunks + n,
		(p->noutput_chunks - n) * sizeof(*p->output_chunks));
	p->noutput_chunks -= n;
	for (size_t i = 0; i < p->noutput_chunks; i++)
		p->output_chunks[i].offset -= bytes;
	p->output_dropped += bytes;
	p->output_chunks_shift += n;
}

/* What the budget leaves a log of this many bytes: the budget less every
 * other table, at least an eighth of it (interned tables are never
 * folded). The sample log and the memory records each count the other
 * as a table: when both grow, both fold. */
static uint64_t log_share(const struct profile *p, uint64_t log, uint64_t max_bytes)
{
	uint64_t other = profile_memory_bytes(p) - log;
	uint64_t share = other < max_bytes ? max_bytes - other : 0;

	return share > max_bytes / 8 ? share : max_bytes / 8;
}

/* Folded records (kept, of which fixed never fold) of sz bytes that alone
 * pass an eighth of the share: fold them again at coarser intervals, so
 * that every fold frees a good part of the log. */
static void coarsen(struct profile *p, size_t (*fold)(struct profile *, size_t, uint64_t),
		    size_t kept, size_t fixed, uint64_t sz, uint64_t share, uint64_t *interval)
{
	while ((kept - fixed) * sz > share / 8 && *interval < UINT64_MAX / 2) {
		size_t before = kept;

		*interval *= 2;
		kept = fold(p, kept, *interval);
		if (kept == before)
			break;
	}
}

/* The memory records that may fold: all but the newest quarter of the
 * capacity, if an eighth of it came since the last fold (else 0: live
 * records do not fold, and a program that holds what it allocated would
 * have them all gone through at every call). */
static size_t allocs_upto(const struct profile *p)
{
	size_t cap = p->allocs_cap, folded = profile_alloc_from(p, p->allocs_folded_abs);
	size_t upto = p->nallocs > cap / 4 ? p->nallocs - cap / 4 : 0;

	return upto >= folded + cap / 8 && upto > 0 ? upto : 0;
}

/* The memory records' part of profile_keep_budget: fold the freed ones
 * below upto and below id safe, coarsening as the sample log does. */
static bool keep_allocs(struct profile *p, struct prof_budget *b, uint64_t share, size_t upto,
			uint64_t safe)
{
	uint64_t sz = sizeof(*p->allocs);
	size_t s = profile_alloc_from(p, safe), kept, live = 0;

	if (s < upto)
		upto = s;
	if (upto <= profile_alloc_from(p, p->allocs_folded_abs))
		return false; /* nothing the file holds came since the last fold */
	if (!b->alloc_interval_ns)
		b->alloc_interval_ns = PROF_ALLOC_FOLD_INTERVAL_NS;
	kept = profile_fold_allocs(p, upto, b->alloc_interval_ns);
	/* Coarser only for the folded records: live ones do not fold at any
	 * interval. */
	for (size_t i = 0; i < kept; i++)
		live += !alloc_foldable(&p->allocs[i]);
	coarsen(p, profile_fold_allocs, kept, live, sz, share, &b->alloc_interval_ns);
	b->alloc_folds++;
	return true;
}

/* The log's part of profile_keep_budget: fold when due. */
static bool keep_log(struct profile *p, struct prof_budget *b, uint64_t share, uint64_t safe)
{
	uint64_t sz = sizeof(*p->samples);
	size_t cap = p->samples_cap, folded, upto, kept;

	folded = (size_t)(p->log_folded_abs - p->log_shift);
	/* Keep the newest quarter of the capacity raw (the live view's recent
	 * seconds), fold the rest. */
	upto = p->nsamples > cap / 4 ? p->nsamples - cap / 4 : 0;
	if (safe < p->log_shift + upto)
		upto = safe > p->log_shift ? (size_t)(safe - p->log_shift) : 0;
	if (upto <= folded)
		return false; /* nothing raw that may go yet */
	if (!b->interval_ns)
		b->interval_ns = PROF_FOLD_INTERVAL_NS;
	kept = profile_fold(p, upto, b->interval_ns);
	coarsen(p, profile_fold, kept, 0, sz, share, &b->interval_ns);
	b->folds++;
	return true;
}

bool profile_keep_budget(struct profile *p, struct prof_budget *b, prof_fold_sync sync, void *arg)
{
	uint64_t used = profile_memory_bytes(p), share, ashare, sz = sizeof(*p->samples);
	uint64_t asz = sizeof(*p->allocs);
	size_t cap = p->samples_cap, acap = p->allocs_cap, aupto, before = p->output_len;
	struct prof_fold_safe safe = {UINT64_MAX, UINT64_MAX};
	bool log_due, alloc_due, out_due, done = false;

	if (used > b->peak_bytes)
		b->peak_bytes = used;
	if (cap * sz > b->peak_log_bytes)
		b->peak_log_bytes = cap * sz;
	if (!b->max_bytes)
		return false;
	share = log_share(p, cap * sz, b->max_bytes);
	ashare = log_share(p, acap * asz, b->max_bytes);
	/* Due when the log would have to grow past its share (capacities
	 * double), or is past it already. */
	log_due = (2 * cap * sz > share && p->nsamples > cap - cap / 4) || p->nsamples * sz > share;
	alloc_due = (2 * acap * asz > ashare && p->nallocs > acap - acap / 4) ||
		    p->nallocs * asz > ashare;
	aupto = alloc_due ? allocs_upto(p) : 0;
	alloc_due = aupto > 0;
	out_due = p->output_len > b->max_bytes / 8;
	if (!log_due && !alloc_due && !out_due)
		return false;
	if (sync)
		sync(arg, &safe);
	if (log_due)
		done = keep_log(p, b, share, safe.samples);
	if (alloc_due)
		done = keep_allocs(p, b, ashare, aupto, safe.allocs) || done;
	if (out_due && safe.samples >= p->log_shift + p->nsamples) {
		profile_drop_output(p, (size_t)(b->max_bytes / 16));
		done = done || p->output_len != before;
	}
	return done;
}
