/* The per-process table: samples summed over each process's threads, with
 * the function that burns the most time of its own in it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "xalloc.h"

/* (pid, function) -> self ns, open addressing; key 0 is empty (pids > 0). */
struct self_map {
	uint64_t *keys, *ns;
	size_t cap, n;
};

static size_t map_slot(const struct self_map *m, uint64_t key)
{
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (m->cap - 1);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void map_add(struct self_map *m, uint64_t key, uint64_t ns)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct self_map bigger = {.cap = m->cap ? 2 * m->cap : 256};

		bigger.keys = xcalloc(bigger.cap, sizeof(*bigger.keys));
		bigger.ns = xcalloc(bigger.cap, sizeof(*bigger.ns));
		for (size_t j = 0; j < m->cap; j++) {
			if (m->keys[j]) {
				size_t k = map_slot(&bigger, m->keys[j]);

				bigger.keys[k] = m->keys[j];
				bigger.ns[k] = m->ns[j];
			}
		}
		bigger.n = m->n;
		free(m->keys);
		free(m->ns);
		*m = bigger;
	}
	i = map_slot(m, key);
	if (!m->keys[i]) {
		m->keys[i] = key;
		m->n++;
	}
	m->ns[i] += ns;
}

static struct proc_row *row_for(struct proc_table *t, size_t *cap, int32_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].pid == pid)
			return &t->rows[i];
	t->rows = xgrow(t->rows, cap, t->n + 1, sizeof(*t->rows));
	memset(&t->rows[t->n], 0, sizeof(t->rows[t->n]));
	t->rows[t->n].pid = pid;
	t->rows[t->n].top_function = PROF_NONE;
	return &t->rows[t->n++];
}

/* The function a sample was in: the innermost frame of its leaf. */
static uint32_t leaf_function(const struct profile *p, uint32_t stack)
{
	const struct prof_location *loc;

	if (stack == 0 || stack >= p->nstacks)
		return PROF_NONE;
	loc = &p->locations[p->stacks[stack].location];
	return loc->nlines ? p->lines[loc->first_line].function : PROF_NONE;
}

static int cmp_rows(const void *a, const void *b)
{
	const struct proc_row *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns > y->ns ? -1 : 1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

void query_processes(const struct profile *p, const struct query_filter *f, struct proc_table *out)
{
	struct self_map self = {0}, tids = {0};
	size_t cap = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];
		const struct prof_thread *th;
		struct proc_row *row;
		uint32_t fn;
		int32_t pid;
		size_t before = tids.n;

		if (f && f->tid && s->tid != f->tid)
			continue;
		if (f && (s->time < f->t_from || (f->t_to && s->time >= f->t_to)))
			continue;
		th = profile_find_thread(p, s->tid);
		pid = th ? th->pid : 0;
		if (pid <= 0 || (f && f->pid && pid != f->pid))
			continue;
		row = row_for(out, &cap, pid);
		row->samples += s->count;
		row->ns += s->weight;
		out->total_samples += s->count;
		out->total_ns += s->weight;
		map_add(&tids, (uint32_t)s->tid, 0);
		if (tids.n != before)
			row->threads++;
		fn = leaf_function(p, s->stack);
		if (fn != PROF_NONE)
			map_add(&self, ((uint64_t)(uint32_t)pid << 32) | fn, s->weight);
	}
	for (size_t i = 0; i < self.cap; i++) {
		struct proc_row *row;

		if (!self.keys[i])
			continue;
		row = row_for(out, &cap, (int32_t)(self.keys[i] >> 32));
		if (self.ns[i] > row->top_ns ||
		    (self.ns[i] == row->top_ns && (uint32_t)self.keys[i] < row->top_function)) {
			row->top_ns = self.ns[i];
			row->top_function = (uint32_t)self.keys[i];
		}
	}
	for (size_t i = 0; i < out->n; i++) {
		const struct prof_thread *th = profile_find_thread(p, out->rows[i].pid);

		out->rows[i].comm = th ? th->comm : NULL;
		out->rows[i].pct =
			out->total_ns ? 100.0 * (double)out->rows[i].ns / (double)out->total_ns : 0;
	}
	qsort(out->rows, out->n, sizeof(*out->rows), cmp_rows);
	free(self.keys);
	free(self.ns);
	free(tids.keys);
	free(tids.ns);
}

void proc_table_free(struct proc_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
