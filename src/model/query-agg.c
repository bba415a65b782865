#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query-int.h"
#include "xalloc.h"

/* What every query table is built from: the filtered sample log summed per
 * distinct stack, and a small map for the tables' own keys. */

/* ---- small open-addressing map: (a, b) -> index ---- */

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

uint32_t *qmap_get(struct qmap *m, uint64_t a, uint64_t b)
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

void qmap_free(struct qmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* ---- the filtered sample log, aggregated per distinct stack ---- */

void query_sample_filter_init(struct query_sample_filter *sf, const struct query_filter *f)
{
	memset(sf, 0, sizeof(*sf));
	sf->f = f;
}

bool query_sample_passes(const struct profile *p, struct query_sample_filter *sf,
			 const struct prof_sample *s)
{
	const struct query_filter *f = sf->f;

	if (!f)
		return !(s->flags & PROF_SAMPLE_OFFCPU);
	if ((s->flags & PROF_SAMPLE_OFFCPU) && !f->wall)
		return false;
	if ((s->flags & PROF_SAMPLE_IDLE) && !f->idle)
		return false;
	if (f->tid && s->tid != f->tid)
		return false;
	if (s->time < f->t_from || (f->t_to && s->time >= f->t_to))
		return false;
	if (!f->pid)
		return true;
	if (!sf->valid || sf->tid != s->tid) {
		const struct prof_thread *t = profile_find_thread(p, s->tid);

		sf->valid = true;
		sf->tid = s->tid;
		sf->pid = t ? t->pid : 0;
	}
	return sf->pid == f->pid;
}

bool query_alloc_passes(const struct profile *p, struct query_sample_filter *sf,
			const struct prof_alloc *r)
{
	const struct query_filter *f = sf->f;
	struct prof_sample s = {.time = r->time, .tid = r->tid};

	if (f && f->measure == MEASURE_PEAK_BYTES && r->time > f->at)
		return false;
	return query_sample_passes(p, sf, &s);
}

uint64_t query_alloc_value(const struct profile *p, enum query_measure m, uint64_t end,
			   uint64_t at, const struct prof_alloc *r)
{
	if ((r->kind == PROF_ALLOC_FAULT) != (m == MEASURE_FAULT_BYTES))
		return 0;
	switch (m) {
	case MEASURE_ALLOC_BYTES:
	case MEASURE_FAULT_BYTES:
		return r->bytes;
	case MEASURE_ALLOCS:
		return r->allocs;
	case MEASURE_LIVE_BYTES:
		return r->free_time == PROF_ALLOC_LIVE || (end && r->free_time >= end) ? r->bytes : 0;
	case MEASURE_PEAK_BYTES:
		return r->time <= at && r->free_time > at ? r->bytes : 0;
	case MEASURE_LEAKED_BYTES:
		return p->meta.ended && r->free_time == PROF_ALLOC_LIVE ? r->bytes : 0;
	case MEASURE_TIME:
		break;
	}
	return 0;
}

/* The memory records that pass f, summed per stack: ns is the measure's
 * bytes (or allocations), samples the records with a non-zero value. */
static void agg_build_allocs(const struct profile *p, const struct query_filter *f, struct agg *a)
{
	struct query_sample_filter sf;

	query_sample_filter_init(&sf, f);
	for (size_t i = 0; i < p->nallocs; i++) {
		const struct prof_alloc *r = &p->allocs[i];
		struct stack_sum *sum;
		uint64_t v;

		if (r->stack >= p->nstacks || !query_alloc_passes(p, &sf, r))
			continue;
		v = query_alloc_value(p, f->measure, f->t_to, f->at, r);
		if (!v)
			continue;
		sum = &a->by_stack[r->stack];
		if (sum->samples == 0)
			a->stacks[a->n++] = r->stack;
		sum->ns += v;
		sum->samples++;
		a->total_samples++;
		a->total_ns += v;
	}
}

void agg_build(const struct profile *p, const struct query_filter *f, struct agg *a)
{
	struct query_sample_filter sf;
	size_t i;

	query_sample_filter_init(&sf, f);
	memset(a, 0, sizeof(*a));
	a->by_stack = xcalloc(p->nstacks, sizeof(*a->by_stack));
	a->stacks = xmalloc((p->nstacks ? p->nstacks : 1) * sizeof(*a->stacks));
	if (f && f->measure != MEASURE_TIME) {
		agg_build_allocs(p, f, a);
		i = p->nsamples; /* no samples */
	} else
		i = 0;
	for (; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];
		struct stack_sum *sum;

		if (!query_sample_passes(p, &sf, s))
			continue;
		if (s->stack >= p->nstacks)
			continue;
		sum = &a->by_stack[s->stack];
		if (sum->samples == 0)
			a->stacks[a->n++] = s->stack;
		sum->ns += s->weight;
		if (s->flags & PROF_SAMPLE_OFFCPU)
			sum->off_ns += s->weight;
		sum->samples += s->count;
		a->total_samples += s->count;
		a->total_ns += s->weight;
		if (s->flags & PROF_SAMPLE_TRUNCATED)
			a->truncated += s->count;
	}
	a->max_frames = profile_max_frames(p);
	a->frames = xmalloc(a->max_frames * sizeof(*a->frames));
	a->outer_only = f && f->self_to_function;
}

size_t agg_frames(const struct profile *p, struct agg *a, size_t k)
{
	size_t n = profile_stack_frames(p, a->stacks[k], a->frames, a->max_frames), m = 0;

	if (!a->outer_only)
		return n;
	/* An inline chain's last frame is the real function, at the line
	 * where the chain was inlined into it. */
	for (size_t i = 0; i < n; i++)
		if (!a->frames[i].inlined)
			a->frames[m++] = a->frames[i];
	return m;
}

void agg_free(struct agg *a)
{
	free(a->by_stack);
	free(a->stacks);
	free(a->frames);
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
