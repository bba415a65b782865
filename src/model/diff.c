#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "xalloc.h"

/* One function row of either table, keyed for matching. */
struct entry {
	const char *name, *module; /* module basename */
	bool base;		   /* from the baseline */
	const struct func_row *row;
};

/* The profiled program's own executable has a key of its own: a rebuilt
 * program is the same program even when its new build has another name
 * (./prog-old vs ./prog-new). */
#define MAIN_MODULE "\001main"

static bool is_main_module(const struct profile *p, const char *name)
{
	const char *cmd = p->meta.command, *base, *end;

	if (!cmd)
		return false;
	end = cmd + strcspn(cmd, " ");
	for (base = end; base > cmd && base[-1] != '/';)
		base--;
	return (size_t)(end - base) == strlen(name) && !strncmp(base, name, (size_t)(end - base));
}

static const char *entry_module(const struct profile *p, uint32_t fn)
{
	uint32_t m = p->functions[fn].module;
	const char *name;

	if (m >= p->nmodules)
		return "[unknown]";
	name = p->modules[m].name ? p->modules[m].name : "[unknown]";
	return is_main_module(p, name) ? MAIN_MODULE : name;
}

static int cmp_entry(const void *va, const void *vb)
{
	const struct entry *a = va, *b = vb;
	int c = strcmp(a->name, b->name);

	if (!c)
		c = strcmp(a->module, b->module);
	if (!c)
		c = (int)a->base - (int)b->base;
	/* The hottest of equals first: it names the merged row. */
	if (!c)
		c = a->row->total_ns > b->row->total_ns ? -1 : a->row->total_ns < b->row->total_ns;
	return c;
}

/* Add b's counts into a (a function's key met twice in one profile). */
static void row_merge(struct func_row *a, const struct func_row *b)
{
	a->self_samples += b->self_samples;
	a->total_samples += b->total_samples;
	a->self_ns += b->self_ns;
	a->total_ns += b->total_ns;
	a->self_pct += b->self_pct;
	a->total_pct += b->total_pct;
	if (a->calls >= 0 && b->calls >= 0)
		a->calls += b->calls;
	else
		a->calls = -1;
	a->calls_lower_bound |= b->calls_lower_bound;
}

static size_t entries_add(struct entry *e, const struct profile *p, const struct func_table *t,
			  bool base)
{
	for (size_t i = 0; i < t->n; i++)
		e[i] = (struct entry){profile_function_name(p, t->rows[i].function),
				      entry_module(p, t->rows[i].function), base, &t->rows[i]};
	return t->n;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_double_desc(double a, double b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int row_cmp(const void *va, const void *vb, void *ctx)
{
	const struct diff_opts *o = ctx;
	const struct diff_row *a = va, *b = vb;
	const struct func_row *x = &a->row, *y = &b->row;
	int c = 0;

	if (o->by_delta) {
		c = cmp_double_desc(a->self.delta, b->self.delta);
		if (!c)
			c = cmp_double_desc(a->cum.delta, b->cum.delta);
	} else {
		switch (o->sort) {
		case SORT_CUMULATIVE:
			c = cmp_u64_desc(x->total_ns, y->total_ns);
			break;
		case SORT_TOTTIME:
			c = cmp_u64_desc(x->self_ns, y->self_ns);
			break;
		case SORT_CALLS:
			if ((x->calls < 0) != (y->calls < 0))
				c = x->calls < 0 ? 1 : -1;
			else if (x->calls != y->calls)
				c = x->calls > y->calls ? -1 : 1;
			else
				c = cmp_u64_desc(x->total_ns, y->total_ns);
			break;
		case SORT_NAME:
			break;
		}
	}
	if (!c)
		c = strcmp(profile_function_name(a->prof, x->function),
			   profile_function_name(b->prof, y->function));
	if (!c)
		c = strcmp(entry_module(a->prof, x->function), entry_module(b->prof, y->function));
	return o->reverse ? -c : c;
}

/* ---- per-run values ---- */

/* One side's times, run by run (a profile without runs is one run). */
struct run_values {
	size_t n;	      /* runs */
	size_t nfunctions;    /* of the profile */
	double *self, *total; /* [run * nfunctions + function], ns per unit */
	double *cpu, *wall;   /* [run]: the run's CPU and wall ns per unit */
	double per;	      /* mean units of work per run (1: not normalised) */
};

/* The units of work of run k (the whole profile without runs): the number
 * after the last `word` in the output the run printed. 0 if none. */
static double output_units(const struct profile *p, size_t k, const char *word)
{
	uint64_t from = p->nruns ? p->runs[k].start : 0,
		 to = p->nruns ? p->runs[k].end : UINT64_MAX;
	size_t wlen = strlen(word), len = 0;
	double units = 0;
	char *text;

	text = xcalloc(p->output_len + 1, 1);
	for (size_t i = 0; i < p->noutput_chunks; i++) {
		const struct prof_output_chunk *c = &p->output_chunks[i];

		if (c->time < from || c->time >= to || c->offset > p->output_len ||
		    c->len > p->output_len - c->offset)
			continue;
		memcpy(text + len, p->output + c->offset, c->len);
		len += c->len;
	}
	for (const char *at = text; wlen && (at = strstr(at, word)); at++) {
		char *end;
		double v = strtod(at + wlen, &end);

		if (end != at + wlen && isfinite(v) && v > 0)
			units = v;
	}
	free(text);
	return units;
}

int diff_output_units(const struct profile *p, const char *word, char *err, size_t errlen)
{
	size_t n = p->nruns ? p->nruns : 1;

	for (size_t k = 0; k < n; k++) {
		if (output_units(p, k, word) > 0)
			continue;
		if (p->nruns)
			snprintf(err, errlen, "run %zu of %s printed no positive number after '%s'",
				 k + 1, p->meta.command ? p->meta.command : "the session", word);
		else
			snprintf(err, errlen, "%s printed no positive number after '%s'",
				 p->meta.command ? p->meta.command : "the session", word);
		return -1;
	}
	return 0;
}

/* Run k's units of work (1: not normalised). */
static double run_units(const struct profile *p, size_t k, double per, const char *per_output)
{
	/* A run without its count is taken as one unit: callers check first
	 * (diff_output_units). */
	double units = per_output ? output_units(p, k, per_output) : per;

	return units > 0 ? units : 1;
}

/* f narrowed to run k (the whole profile without runs); false when
 * nothing of the run passes. */
static bool run_filter(const struct profile *p, size_t k, const struct query_filter *f,
		       struct query_filter *rf)
{
	*rf = *f;
	if (!p->nruns)
		return true;
	rf->t_from = p->runs[k].start > f->t_from ? p->runs[k].start : f->t_from;
	rf->t_to = f->t_to && f->t_to < p->runs[k].end ? f->t_to : p->runs[k].end;
	return rf->t_to > rf->t_from;
}

static void run_values_fill(struct run_values *v, const struct profile *p,
			    const struct query_filter *f, double per, const char *per_output)
{
	size_t n = p->nruns ? p->nruns : 1;
	double sum = 0;

	v->n = n;
	v->nfunctions = p->nfunctions;
	v->self = xcalloc(n * p->nfunctions + 1, sizeof(double));
	v->total = xcalloc(n * p->nfunctions + 1, sizeof(double));
	v->cpu = xcalloc(n, sizeof(double));
	v->wall = xcalloc(n, sizeof(double));
	for (size_t k = 0; k < n; k++) {
		struct query_filter rf;
		struct func_table t;
		double *self = v->self + k * p->nfunctions, *total = v->total + k * p->nfunctions;
		double units = run_units(p, k, per, per_output);

		sum += units;
		v->wall[k] = (double)(p->nruns ? p->runs[k].end - p->runs[k].start
					       : p->meta.duration_ns) /
			     units;
		if (!run_filter(p, k, f, &rf))
			continue; /* the filter leaves nothing of this run */
		query_functions(p, &rf, SORT_NAME, false, &t);
		for (size_t i = 0; i < t.n; i++) {
			self[t.rows[i].function] = (double)t.rows[i].self_ns / units;
			total[t.rows[i].function] = (double)t.rows[i].total_ns / units;
		}
		v->cpu[k] = (double)t.total_ns / units;
		func_table_free(&t);
	}
	v->per = sum / (double)n; /* the sampling error's scale: the mean */
}

static void run_values_free(struct run_values *v)
{
	free(v->self);
	free(v->total);
	free(v->cpu);
	free(v->wall);
}

/* ---- the statistics ---- */

/* One side of an estimate: per-run values and the sampling variance of
 * their mean (a count of n samples is known to about +-sqrt(n)). */
struct side {
	const double *x;
	size_t n;
	double sampling_var;
};

static double mean_of(const struct side *s)
{
	double m = 0;

	for (size_t i = 0; i < s->n; i++)
		m += s->x[i];
	return s->n ? m / (double)s->n : 0;
}

/* The variance of the side's mean and its degrees of freedom. The spread
 * between runs includes the sampling error; it is never taken as less
 * than that (three runs can agree by chance), and only its excess over
 * the sampling error, which is known, is uncertain: Satterthwaite's
 * degrees of freedom of that sum (INFINITY: sampling error alone). */
static double side_var(const struct side *s, double mean, double *df)
{
	double ss = 0, between, excess;

	*df = INFINITY;
	if (s->n < 2)
		return s->sampling_var;
	for (size_t i = 0; i < s->n; i++)
		ss += (s->x[i] - mean) * (s->x[i] - mean);
	between = ss / (double)(s->n - 1) / (double)s->n;
	if (between <= s->sampling_var)
		return s->sampling_var;
	excess = between - s->sampling_var;
	*df = between * between / (excess * excess / (double)(s->n - 1));
	return between;
}

/* Welch's t-test of cur against base, and the interval of the change. */
static void estimate(struct diff_estimate *e, const struct side *b, const struct side *c,
		     double confidence, double scale)
{
	double dfb, dfc, vb, vc, se, den;

	e->base = mean_of(b);
	e->cur = mean_of(c);
	vb = side_var(b, e->base, &dfb);
	vc = side_var(c, e->cur, &dfc);
	e->base *= scale;
	e->cur *= scale;
	e->delta = e->cur - e->base;
	e->pct = e->base > 0 ? e->delta / e->base * 100 : e->delta > 0 ? INFINITY : 0;
	se = sqrt(vb + vc) * scale;
	/* Welch-Satterthwaite: a known variance adds no uncertainty of its own. */
	den = (isinf(dfb) ? 0 : vb * vb / dfb) + (isinf(dfc) ? 0 : vc * vc / dfc);
	e->df = den > 0 ? (vb + vc) * (vb + vc) / den : INFINITY;
	if (!(se > 0)) {
		e->half = e->p = NAN;
		e->significant = false;
		return;
	}
	e->half = diff_t_quantile(1 - (1 - confidence) / 2, e->df) * se;
	e->p = 2 * (1 - diff_t_cdf(fabs(e->delta) / se, e->df));
	e->significant = fabs(e->delta) > e->half;
}

static bool past(const struct diff_estimate *e, const struct diff_opts *o, bool share)
{
	double d = fabs(e->delta);

	switch (o->unit) {
	case DIFF_POINTS:
		return share && d > o->threshold;
	case DIFF_PERCENT:
		return !share && fabs(e->pct) > o->threshold;
	case DIFF_SECONDS:
		return !share && d > o->threshold;
	}
	return false;
}

static void judge(struct diff_estimate *e, const struct diff_opts *o, bool share)
{
	e->over = o->flag && past(e, o, share);
}

/* A regression: own or cumulative time (share points: %self) past the
 * threshold and significant, upwards. */
static enum diff_verdict verdict(const struct diff_row *d, const struct diff_opts *o)
{
	const struct diff_estimate *e[3] = {&d->self, &d->cum, &d->share};
	bool up = false, down = false;

	if (!o->flag)
		return DIFF_SAME;
	for (size_t i = 0; i < 3; i++) {
		if (!e[i]->over || !e[i]->significant)
			continue;
		up |= e[i]->delta > 0;
		down |= e[i]->delta < 0;
	}
	return up ? DIFF_REGRESSION : down ? DIFF_IMPROVEMENT : DIFF_SAME;
}

/* ---- rows ---- */

/* Per-run values of a row's functions (ids of one side) summed. */
struct row_sums {
	double *self, *total; /* [run] */
};

static void sums_add(struct row_sums *s, const struct run_values *v, uint32_t fn)
{
	if (fn >= v->nfunctions)
		return;
	for (size_t k = 0; k < v->n; k++) {
		s->self[k] += v->self[k * v->nfunctions + fn];
		s->total[k] += v->total[k * v->nfunctions + fn];
	}
}

/* The sampling variance of a mean over runs of a time of n samples. */
static double time_var(uint64_t ns, uint64_t samples, size_t runs, double per)
{
	double w;

	if (!samples)
		return 0;
	w = (double)ns / (double)samples / per; /* time one sample stands for */
	return (double)samples * w * w / ((double)runs * (double)runs);
}

/* The share (points) sampling variance of a part of n of N samples. */
static double share_var(double pct, uint64_t total)
{
	double p = pct / 100;

	return total ? p * (1 - p) / (double)total * 1e4 : 0;
}

struct sides {
	struct run_values cur, base;
	struct row_sums cs, bs;
	double *cshare, *bshare;
};

static void row_estimates(struct diff_row *d, struct sides *s, const struct diff_table *t,
			  const struct diff_opts *o)
{
	struct side b, c;

	b = (struct side){s->bs.self, s->base.n,
			  time_var(d->base.self_ns, d->base.self_samples, s->base.n, s->base.per)};
	c = (struct side){s->cs.self, s->cur.n,
			  time_var(d->row.self_ns, d->row.self_samples, s->cur.n, s->cur.per)};
	estimate(&d->self, &b, &c, t->row_confidence, 1e-9);
	b = (struct side){
		s->bs.total, s->base.n,
		time_var(d->base.total_ns, d->base.total_samples, s->base.n, s->base.per)};
	c = (struct side){s->cs.total, s->cur.n,
			  time_var(d->row.total_ns, d->row.total_samples, s->cur.n, s->cur.per)};
	estimate(&d->cum, &b, &c, t->row_confidence, 1e-9);
	for (size_t k = 0; k < s->base.n; k++)
		s->bshare[k] = s->base.cpu[k] > 0 ? s->bs.self[k] / s->base.cpu[k] * 100 : 0;
	for (size_t k = 0; k < s->cur.n; k++)
		s->cshare[k] = s->cur.cpu[k] > 0 ? s->cs.self[k] / s->cur.cpu[k] * 100 : 0;
	b = (struct side){s->bshare, s->base.n,
			  share_var(d->base.self_pct, t->base.total_samples) / (double)s->base.n};
	c = (struct side){s->cshare, s->cur.n,
			  share_var(d->row.self_pct, t->cur.total_samples) / (double)s->cur.n};
	estimate(&d->share, &b, &c, t->row_confidence, 1);
	judge(&d->self, o, false);
	judge(&d->cum, o, false);
	judge(&d->share, o, true);
	d->d_tottime = d->self.delta;
	d->verdict = verdict(d, o);
	d->regression = d->verdict == DIFF_REGRESSION;
}

/* The whole runs: CPU time (sampled) and wall time (measured). */
static void run_estimates(struct diff_table *t, struct sides *s)
{
	struct side b = {s->base.cpu, s->base.n,
			 time_var(t->base.total_ns, t->base.total_samples, s->base.n, s->base.per)};
	struct side c = {s->cur.cpu, s->cur.n,
			 time_var(t->cur.total_ns, t->cur.total_samples, s->cur.n, s->cur.per)};

	estimate(&t->cpu, &b, &c, t->opts.confidence, 1e-9);
	b = (struct side){s->base.wall, s->base.n, 0};
	c = (struct side){s->cur.wall, s->cur.n, 0};
	estimate(&t->wall, &b, &c, t->opts.confidence, 1e-9);
}

static bool same_key(const struct entry *a, const struct entry *b)
{
	return !strcmp(a->name, b->name) && !strcmp(a->module, b->module);
}

/* The rows the sorted entries make. */
static size_t groups(const struct entry *e, size_t n)
{
	size_t g = 0;

	for (size_t i = 0; i < n; i++)
		g += i == 0 || !same_key(&e[i - 1], &e[i]);
	return g;
}

void diff_functions(const struct profile *cur, const struct profile *base,
		    const struct query_filter *f, const struct diff_opts *o, struct diff_table *out)
{
	struct sides s;
	struct entry *e;
	size_t n, i, j, maxruns;

	memset(out, 0, sizeof(*out));
	out->cur_profile = cur;
	out->base_profile = base;
	out->opts = *o;
	if (!(out->opts.confidence > 0))
		out->opts.confidence = 0.95;
	o = &out->opts;
	query_functions(cur, f, SORT_CUMULATIVE, false, &out->cur);
	query_functions(base, f, SORT_CUMULATIVE, false, &out->base);
	run_values_fill(&s.cur, cur, f, o->per_cur, o->per_output);
	run_values_fill(&s.base, base, f, o->per_base, o->per_output);
	out->cur_runs = s.cur.n;
	out->base_runs = s.base.n;
	maxruns = s.cur.n > s.base.n ? s.cur.n : s.base.n;
	s.cs = (struct row_sums){xcalloc(maxruns, sizeof(double)),
				 xcalloc(maxruns, sizeof(double))};
	s.bs = (struct row_sums){xcalloc(maxruns, sizeof(double)),
				 xcalloc(maxruns, sizeof(double))};
	s.cshare = xcalloc(maxruns, sizeof(double));
	s.bshare = xcalloc(maxruns, sizeof(double));
	e = xcalloc(out->cur.n + out->base.n + 1, sizeof(*e));
	n = entries_add(e, cur, &out->cur, false);
	n += entries_add(e + n, base, &out->base, true);
	qsort(e, n, sizeof(*e), cmp_entry);
	out->rows = xcalloc(n + 1, sizeof(*out->rows));
	out->row_confidence = 1 - (1 - o->confidence) / (double)(groups(e, n) + !n);
	for (i = 0; i < n; i = j) {
		struct diff_row *d = &out->rows[out->n++];
		bool have_cur = false, have_base = false;

		memset(d, 0, sizeof(*d));
		d->base.function = PROF_NONE;
		d->base.calls = -1;
		memset(s.cs.self, 0, maxruns * sizeof(double));
		memset(s.cs.total, 0, maxruns * sizeof(double));
		memset(s.bs.self, 0, maxruns * sizeof(double));
		memset(s.bs.total, 0, maxruns * sizeof(double));
		for (j = i; j < n && same_key(&e[j], &e[i]); j++) {
			struct func_row *r = e[j].base ? &d->base : &d->row;
			bool *have = e[j].base ? &have_base : &have_cur;

			if (*have)
				row_merge(r, e[j].row);
			else
				*r = *e[j].row;
			*have = true;
			if (e[j].base)
				sums_add(&s.bs, &s.base, e[j].row->function);
			else
				sums_add(&s.cs, &s.cur, e[j].row->function);
		}
		if (have_cur) {
			d->prof = cur;
		} else {
			/* Gone since the baseline: its name, no time. */
			d->prof = base;
			d->row = (struct func_row){.function = d->base.function, .calls = -1};
		}
		d->d_self_pct = d->row.self_pct - d->base.self_pct;
		d->d_total_pct = d->row.total_pct - d->base.total_pct;
		row_estimates(d, &s, out, o);
		out->regressions += d->verdict == DIFF_REGRESSION;
		out->improvements += d->verdict == DIFF_IMPROVEMENT;
	}
	run_estimates(out, &s);
	free(e);
	free(s.cs.self);
	free(s.cs.total);
	free(s.bs.self);
	free(s.bs.total);
	free(s.cshare);
	free(s.bshare);
	run_values_free(&s.cur);
	run_values_free(&s.base);
	qsort_r(out->rows, out->n, sizeof(*out->rows), row_cmp, (void *)o);
}

/* ---- the call tree ---- */

static uint64_t str_hash(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

/* Per node of t: a hash of its path of (name, module) keys from the root
 * (a child always comes after its parent). */
static uint64_t *tree_keys(const struct profile *p, const struct call_tree *t)
{
	uint64_t *k = xcalloc(t->n + 1, sizeof(*k));

	k[0] = 0xcbf29ce484222325ull;
	for (size_t i = 1; i < t->n; i++) {
		uint32_t fn = t->nodes[i].function;
		uint64_t h = str_hash(k[t->nodes[i].parent] * 0x9e3779b97f4a7c15ull + 1,
				      profile_function_name(p, fn));

		h = str_hash(h ^ 0xff, entry_module(p, fn));
		k[i] = h ? h : 1;
	}
	return k;
}

/* Path key -> the first node of cur's tree with it (open addressing). */
struct node_map {
	uint64_t *key;
	uint32_t *node;
	size_t mask;
};

static size_t map_slot(const struct node_map *m, uint64_t k)
{
	size_t i = (size_t)(k ^ (k >> 31)) & m->mask;

	while (m->key[i] && m->key[i] != k)
		i = (i + 1) & m->mask;
	return i;
}

static uint32_t map_get(const struct node_map *m, uint64_t k)
{
	size_t i = map_slot(m, k);

	return m->key[i] == k ? m->node[i] : PROF_NONE;
}

/* One side's per-run times of cur's nodes (group heads), and its samples
 * for the sampling error. */
struct tree_side {
	double *self, *total; /* [run * n + node] */
	uint64_t *self_samples, *total_samples, *self_ns, *total_ns;
	bool *seen;
	size_t runs, n;
	double per;
};

static void tree_side_fill(struct tree_side *s, const struct profile *p, const struct node_map *m,
			   size_t n, const struct query_filter *f, double per,
			   const char *per_output)
{
	double sum = 0;

	s->n = n;
	s->runs = p->nruns ? p->nruns : 1;
	s->self = xcalloc(s->runs * n + 1, sizeof(double));
	s->total = xcalloc(s->runs * n + 1, sizeof(double));
	s->self_samples = xcalloc(n + 1, sizeof(uint64_t));
	s->total_samples = xcalloc(n + 1, sizeof(uint64_t));
	s->self_ns = xcalloc(n + 1, sizeof(uint64_t));
	s->total_ns = xcalloc(n + 1, sizeof(uint64_t));
	s->seen = xcalloc(n + 1, sizeof(bool));
	for (size_t k = 0; k < s->runs; k++) {
		double units = run_units(p, k, per, per_output);
		struct query_filter rf;
		struct call_tree t;
		uint64_t *keys;

		sum += units;
		if (!run_filter(p, k, f, &rf))
			continue;
		query_call_tree(p, &rf, &t);
		keys = tree_keys(p, &t);
		for (size_t i = 0; i < t.n; i++) {
			uint32_t j = map_get(m, keys[i]);
			const struct tree_node *tn = &t.nodes[i];

			if (j == PROF_NONE)
				continue; /* a path cur does not have */
			s->self[k * n + j] += (double)tn->self_ns / units;
			s->total[k * n + j] += (double)tn->total_ns / units;
			s->self_samples[j] += tn->self_samples;
			s->total_samples[j] += tn->total_samples;
			s->self_ns[j] += tn->self_ns;
			s->total_ns[j] += tn->total_ns;
			s->seen[j] |= tn->total_samples > 0;
		}
		free(keys);
		call_tree_free(&t);
	}
	s->per = sum / (double)s->runs;
}

static void tree_side_free(struct tree_side *s)
{
	free(s->self);
	free(s->total);
	free(s->self_samples);
	free(s->total_samples);
	free(s->self_ns);
	free(s->total_ns);
	free(s->seen);
}

/* One measure of node j (own or cumulative time: per-run times, their ns
 * and samples in each side) compared between the sides; x and y are
 * scratch for the current and baseline runs. */
static void node_estimate(struct diff_estimate *e, size_t n, size_t j, const struct tree_side *c,
			  const double *cv, const uint64_t *c_ns, const uint64_t *c_samples,
			  const struct tree_side *b, const double *bv, const uint64_t *b_ns,
			  const uint64_t *b_samples, double conf, double *x, double *y)
{
	struct side sb, sc;

	for (size_t k = 0; k < c->runs; k++)
		x[k] = cv[k * n + j];
	for (size_t k = 0; k < b->runs; k++)
		y[k] = bv[k * n + j];
	sb = (struct side){y, b->runs, time_var(b_ns[j], b_samples[j], b->runs, b->per)};
	sc = (struct side){x, c->runs, time_var(c_ns[j], c_samples[j], c->runs, c->per)};
	estimate(e, &sb, &sc, conf, 1e-9);
}

void diff_tree(const struct profile *cur, const struct call_tree *ct, const struct profile *base,
	       const struct query_filter *f, const struct diff_opts *o, struct diff_node *out)
{
	double conf = o->confidence > 0 ? o->confidence : 0.95;
	size_t n = ct->n, cap = 16;
	uint64_t *keys = tree_keys(cur, ct);
	uint32_t *head = xcalloc(n + 1, sizeof(*head));
	struct tree_side c, b;
	struct node_map m;
	double *x = NULL, *y = NULL;

	while (cap < 2 * n)
		cap *= 2;
	m = (struct node_map){xcalloc(cap, sizeof(uint64_t)), xcalloc(cap, sizeof(uint32_t)),
			      cap - 1};
	for (size_t i = 0; i < n; i++) {
		size_t slot = map_slot(&m, keys[i]);

		if (!m.key[slot]) {
			m.key[slot] = keys[i];
			m.node[slot] = (uint32_t)i;
		}
		head[i] = m.node[slot];
	}
	tree_side_fill(&c, cur, &m, n, f, o->per_cur, o->per_output);
	tree_side_fill(&b, base, &m, n, f, o->per_base, o->per_output);
	x = xcalloc(c.runs + 1, sizeof(double));
	y = xcalloc(b.runs + 1, sizeof(double));
	for (size_t i = 0; i < n; i++) {
		size_t j = head[i];

		if (j != i) { /* same path as an earlier node: the group's sum */
			out[i] = out[j];
			continue;
		}
		node_estimate(&out[i].self, n, j, &c, c.self, c.self_ns, c.self_samples, &b, b.self,
			      b.self_ns, b.self_samples, conf, x, y);
		node_estimate(&out[i].total, n, j, &c, c.total, c.total_ns, c.total_samples, &b,
			      b.total, b.total_ns, b.total_samples, conf, x, y);
		judge(&out[i].self, o, false);
		judge(&out[i].total, o, false);
		out[i].in_base = b.seen[j];
	}
	free(x);
	free(y);
	tree_side_free(&c);
	tree_side_free(&b);
	free(m.key);
	free(m.node);
	free(head);
	free(keys);
}

int diff_parse_threshold(const char *s, double *value, enum diff_unit *unit)
{
	char *end;
	double v;

	if (!s || !*s)
		return -1;
	v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return -1;
	if (!*end || !strcmp(end, "pt"))
		*unit = DIFF_POINTS;
	else if (!strcmp(end, "%"))
		*unit = DIFF_PERCENT;
	else if (!strcmp(end, "s"))
		*unit = DIFF_SECONDS;
	else
		return -1;
	if (*unit == DIFF_POINTS && v > 100)
		return -1;
	*value = v;
	return 0;
}

void diff_table_free(struct diff_table *t)
{
	free(t->rows);
	func_table_free(&t->cur);
	func_table_free(&t->base);
	memset(t, 0, sizeof(*t));
}

/* ---- lines ---- */

/* One line of one side, summed over the side's functions of the key. */
struct line_acc {
	const char *file; /* as the side names it */
	const char *base; /* its base name: the key */
	int line;
	double *self, *total; /* [run], ns per unit */
	uint64_t self_samples, total_samples, self_ns, total_ns;
};

struct line_side {
	struct line_acc *l;
	size_t n, cap, runs;
	double per; /* mean units per run */
};

static const char *file_base(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path ? path : "?";
}

static struct line_acc *line_get(struct line_side *s, const char *file, int line)
{
	const char *b = file_base(file);

	for (size_t i = 0; i < s->n; i++)
		if (s->l[i].line == line && !strcmp(s->l[i].base, b))
			return &s->l[i];
	s->l = xgrow(s->l, &s->cap, s->n + 1, sizeof(*s->l));
	s->l[s->n] = (struct line_acc){.file = file ? file : "?", .base = b, .line = line};
	s->l[s->n].self = xcalloc(s->runs, sizeof(double));
	s->l[s->n].total = xcalloc(s->runs, sizeof(double));
	return &s->l[s->n++];
}

/* The lines of p's functions that have cur's key (name, module). */
static void line_side_fill(struct line_side *s, const struct profile *p, const char *name,
			   const char *module, const struct query_filter *f, double per,
			   const char *per_output)
{
	double sum = 0;

	memset(s, 0, sizeof(*s));
	s->runs = p->nruns ? p->nruns : 1;
	for (size_t k = 0; k < s->runs; k++) {
		double units = run_units(p, k, per, per_output);
		struct query_filter rf;

		sum += units;
		if (!run_filter(p, k, f, &rf))
			continue;
		for (uint32_t fn = 0; fn < p->nfunctions; fn++) {
			struct line_table t;

			if (strcmp(profile_function_name(p, fn), name) ||
			    strcmp(entry_module(p, fn), module))
				continue;
			query_lines(p, &rf, fn, &t);
			for (size_t i = 0; i < t.n; i++) {
				struct line_acc *a = line_get(s, t.rows[i].file, t.rows[i].line);

				a->self[k] += (double)t.rows[i].self_ns / units;
				a->total[k] += (double)t.rows[i].total_ns / units;
				a->self_samples += t.rows[i].self_samples;
				a->total_samples += t.rows[i].total_samples;
				a->self_ns += t.rows[i].self_ns;
				a->total_ns += t.rows[i].total_ns;
			}
			line_table_free(&t);
		}
	}
	s->per = sum / (double)s->runs;
}

static void line_side_free(struct line_side *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->l[i].self);
		free(s->l[i].total);
	}
	free(s->l);
}

static int cmp_line(const void *va, const void *vb)
{
	const struct diff_line *a = va, *b = vb;
	int c = strcmp(file_base(a->file), file_base(b->file));

	return c ? c : (a->line > b->line) - (a->line < b->line);
}

void diff_lines(const struct profile *cur, const struct profile *base, const struct query_filter *f,
		uint32_t fn, const struct diff_opts *o, struct diff_line_table *out)
{
	const char *name = profile_function_name(cur, fn), *module = entry_module(cur, fn);
	double conf = o->confidence > 0 ? o->confidence : 0.95;
	struct line_side c, b;
	size_t n;

	memset(out, 0, sizeof(*out));
	line_side_fill(&c, cur, name, module, f, o->per_cur, o->per_output);
	line_side_fill(&b, base, name, module, f, o->per_base, o->per_output);
	/* the union: every current line, then the baseline's lines not met */
	for (size_t i = 0; i < b.n; i++)
		line_get(&c, b.l[i].file, b.l[i].line);
	n = c.n;
	for (size_t i = 0; i < n; i++)
		line_get(&b, c.l[i].file, c.l[i].line);
	out->rows = xcalloc(n + 1, sizeof(*out->rows));
	out->row_confidence = 1 - (1 - conf) / (double)(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		const struct line_acc *x = &c.l[i], *y = line_get(&b, x->file, x->line);
		struct diff_line *d = &out->rows[out->n++];
		struct side sb, sc;

		d->file = x->self_samples || x->total_samples ? x->file : y->file;
		d->line = x->line;
		sb = (struct side){y->self, b.runs,
				   time_var(y->self_ns, y->self_samples, b.runs, b.per)};
		sc = (struct side){x->self, c.runs,
				   time_var(x->self_ns, x->self_samples, c.runs, c.per)};
		estimate(&d->self, &sb, &sc, out->row_confidence, 1e-9);
		sb = (struct side){y->total, b.runs,
				   time_var(y->total_ns, y->total_samples, b.runs, b.per)};
		sc = (struct side){x->total, c.runs,
				   time_var(x->total_ns, x->total_samples, c.runs, c.per)};
		estimate(&d->total, &sb, &sc, out->row_confidence, 1e-9);
		judge(&d->self, o, false);
		judge(&d->total, o, false);
	}
	line_side_free(&c);
	line_side_free(&b);
	qsort(out->rows, out->n, sizeof(*out->rows), cmp_line);
}

void diff_line_table_free(struct diff_line_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
