/* The per-thread table behind the thread picker (`T`): every thread of
 * the profile with its name and the samples it took. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "xalloc.h"

static int tid_cmp(const void *va, const void *vb)
{
	const struct thread_row *a = va, *b = vb;

	return (a->tid > b->tid) - (a->tid < b->tid);
}

static int busy_cmp(const void *va, const void *vb)
{
	const struct thread_row *a = va, *b = vb;

	if (a->ns != b->ns)
		return a->ns < b->ns ? 1 : -1;
	return (a->tid > b->tid) - (a->tid < b->tid);
}

static struct thread_row *row_of(struct thread_table *t, size_t *cap, int32_t tid)
{
	struct thread_row key = {.tid = tid}, *r;

	r = bsearch(&key, t->rows, t->n, sizeof(*t->rows), tid_cmp);
	if (r)
		return r;
	/* a sample of a thread the profile never named: a row of its own */
	if (t->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		t->rows = xrealloc(t->rows, *cap * sizeof(*t->rows));
	}
	r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	r->tid = tid;
	qsort(t->rows, t->n, sizeof(*t->rows), tid_cmp);
	return bsearch(&key, t->rows, t->n, sizeof(*t->rows), tid_cmp);
}

void query_threads(const struct profile *p, const struct query_filter *f, struct thread_table *out)
{
	size_t cap = p->nthreads ? p->nthreads : 1;

	memset(out, 0, sizeof(*out));
	out->rows = xcalloc(cap, sizeof(*out->rows));
	for (size_t i = 0; i < p->nthreads; i++) {
		const struct prof_thread *th = &p->threads[i];

		out->rows[out->n++] =
			(struct thread_row){.tid = th->tid, .pid = th->pid, .comm = th->comm};
	}
	qsort(out->rows, out->n, sizeof(*out->rows), tid_cmp);
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];
		struct thread_row *r;

		if (s->time < f->t_from || (f->t_to && s->time >= f->t_to))
			continue;
		r = row_of(out, &cap, s->tid);
		if (f->pid && r->pid != f->pid)
			continue;
		r->samples += s->count;
		r->ns += s->weight;
		out->total_samples += s->count;
		out->total_ns += s->weight;
	}
	for (size_t i = 0; i < out->n; i++)
		out->rows[i].pct =
			out->total_ns ? 100.0 * (double)out->rows[i].ns / (double)out->total_ns : 0;
	qsort(out->rows, out->n, sizeof(*out->rows), busy_cmp);
}

void thread_table_free(struct thread_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
