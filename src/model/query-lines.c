#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "query-int.h"
#include "xalloc.h"

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

/* A kernel function (profile_module_is_kernel). */
static bool in_kernel(const struct profile *p, uint32_t fn)
{
	const char *path = fn < p->nfunctions ? p->modules[p->functions[fn].module].path : NULL;

	return profile_module_is_kernel(path);
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
			} else if (i == 1 && in_kernel(p, a.frames[0].function)) {
				r->kernel_ns += s->ns;
				r->kernel_samples += s->samples;
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
