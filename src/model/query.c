#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "query-int.h"
#include "xalloc.h"

/* ---- sort names ---- */

static const struct {
	const char *name;
	enum query_sort sort;
} sort_aliases[] = {
	{"cumulative", SORT_CUMULATIVE},
	{"cumtime", SORT_CUMULATIVE},
	{"cum", SORT_CUMULATIVE},
	/* pstats: "time" and "tottime" are internal time; perf says "self". */
	{"tottime", SORT_TOTTIME},
	{"total", SORT_TOTTIME},
	{"self", SORT_TOTTIME},
	{"time", SORT_TOTTIME},
	{"own", SORT_TOTTIME},
	{"calls", SORT_CALLS},
	{"ncalls", SORT_CALLS},
	{"name", SORT_NAME},
};

int query_parse_sort(const char *s, enum query_sort *out)
{
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < sizeof(sort_aliases) / sizeof(sort_aliases[0]); i++) {
		if (strcasecmp(s, sort_aliases[i].name) == 0) {
			*out = sort_aliases[i].sort;
			return 0;
		}
	}
	return -1;
}

const char *query_sort_name(enum query_sort s)
{
	switch (s) {
	case SORT_CUMULATIVE:
		return "cumulative";
	case SORT_TOTTIME:
		return "tottime";
	case SORT_CALLS:
		return "calls";
	case SORT_NAME:
		return "name";
	}
	return "?";
}

/* ---- function tables ---- */

const char *fn_name(const struct profile *p, uint32_t fn)
{
	const char *s = fn < p->nfunctions ? p->functions[fn].name : NULL;

	return s ? s : "";
}

/* Every function's rank in alphabetical order (ties by id), so that
 * sorting a table never compares strings: with 100,000 functions and
 * many equal times, strcmp was most of a refresh. Recomputed only when
 * functions were added. The profile is logically const here; the cache
 * hangs off it through a pointer it owns (query-int.h). */
static void query_cache_free(void *v)
{
	struct query_cache *c = v;

	if (c) {
		free(c->rank);
		free(c->by_name);
		query_live_free(c->live);
		free(c);
	}
}

struct query_cache *query_cache_of(const struct profile *cp)
{
	struct profile *p = (struct profile *)cp;

	if (!p->query_cache) {
		p->query_cache = xcalloc(1, sizeof(struct query_cache));
		p->query_cache_free = query_cache_free;
	}
	return p->query_cache;
}

static int id_name_cmp(const void *va, const void *vb, void *ctx)
{
	const struct profile *p = ctx;
	uint32_t a = *(const uint32_t *)va, b = *(const uint32_t *)vb;
	int c = strcmp(fn_name(p, a), fn_name(p, b));

	if (c)
		return c;
	return a < b ? -1 : a > b;
}

/* Functions are only ever added, and keep their names: the new ones are
 * sorted alone and merged into the old order, so that a refresh that met
 * a few new functions costs a merge, not a sort of them all. */
const uint32_t *query_name_ranks(const struct profile *p)
{
	struct query_cache *o = query_cache_of(p);
	size_t old = o->nrank, n = p->nfunctions, a = 0, b = 0, k = 0;
	uint32_t *added, *ids;

	if (o->rank && old == n)
		return o->rank;
	if (!o->by_name || old > n)
		old = 0;
	added = xmalloc((n - old + 1) * sizeof(*added));
	for (size_t i = old; i < n; i++)
		added[i - old] = (uint32_t)i;
	qsort_r(added, n - old, sizeof(*added), id_name_cmp, (void *)p);
	ids = xmalloc((n + 1) * sizeof(*ids));
	while (a < old || b < n - old) {
		if (b == n - old ||
		    (a < old && id_name_cmp(&o->by_name[a], &added[b], (void *)p) < 0))
			ids[k++] = o->by_name[a++];
		else
			ids[k++] = added[b++];
	}
	free(added);
	free(o->by_name);
	o->by_name = ids;
	o->rank = xrealloc(o->rank, (n + 1) * sizeof(*o->rank));
	for (size_t i = 0; i < n; i++)
		o->rank[ids[i]] = (uint32_t)i;
	o->nrank = n;
	return o->rank;
}

/* A row's sort key, compact so that sorting moves 16 bytes, not a row. */
struct sort_key {
	uint64_t primary; /* larger first */
	uint32_t rank;	  /* then by name */
	uint32_t row;
};

static int sort_key_cmp(const void *va, const void *vb)
{
	const struct sort_key *a = va, *b = vb;

	if (a->primary != b->primary)
		return a->primary > b->primary ? -1 : 1;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

/* SORT_CALLS: counted before uncounted, then by count, then by time:
 * folded into one 64-bit key as (counted, count) with the time as a
 * second pass only among equal counts, which are rare enough to sort
 * with the name rank. */
uint64_t query_sort_primary(uint64_t total_ns, uint64_t self_ns, int64_t calls,
			    enum query_sort sort)
{
	switch (sort) {
	case SORT_CUMULATIVE:
		return total_ns;
	case SORT_TOTTIME:
		return self_ns;
	case SORT_CALLS:
		return calls < 0 ? 0 : (uint64_t)calls + 1;
	case SORT_NAME:
		break;
	}
	return 0;
}

static uint64_t primary_key(const struct func_row *r, enum query_sort sort)
{
	return query_sort_primary(r->total_ns, r->self_ns, r->calls, sort);
}

void query_sort_rows(const struct profile *p, struct func_table *t, enum query_sort sort,
		     bool reverse)
{
	const uint32_t *rank = query_name_ranks(p);
	struct sort_key *keys = xmalloc((t->n + 1) * sizeof(*keys));
	struct func_row *rows = xmalloc((t->n + 1) * sizeof(*rows));

	for (size_t i = 0; i < t->n; i++) {
		keys[i].primary = primary_key(&t->rows[i], sort);
		keys[i].rank = t->rows[i].function < p->nfunctions ? rank[t->rows[i].function]
								   : UINT32_MAX;
		keys[i].row = (uint32_t)i;
	}
	qsort(keys, t->n, sizeof(*keys), sort_key_cmp);
	/* Equal call counts: by total time, then name (a second, rare pass). */
	if (sort == SORT_CALLS) {
		for (size_t i = 0; i < t->n;) {
			size_t j = i + 1;

			while (j < t->n && keys[j].primary == keys[i].primary)
				j++;
			if (j - i > 1) {
				for (size_t k = i; k < j; k++)
					keys[k].primary = t->rows[keys[k].row].total_ns;
				qsort(keys + i, j - i, sizeof(*keys), sort_key_cmp);
			}
			i = j;
		}
	}
	for (size_t i = 0; i < t->n; i++)
		rows[reverse ? t->n - 1 - i : i] = t->rows[keys[i].row];
	free(t->rows);
	t->rows = rows;
	free(keys);
}

struct fn_acc {
	uint64_t self_ns, self_samples, total_ns, total_samples, inlined_samples;
	uint64_t offcpu_ns;
	uint32_t stamp;	    /* 1 + the distinct stack that last counted this function */
	uint32_t inl_stamp; /* the same, for inlined_samples */
};

static void table_start(struct func_table *out, const struct agg *a)
{
	memset(out, 0, sizeof(*out));
	out->total_samples = a->total_samples;
	out->total_ns = a->total_ns;
	out->truncated_samples = a->truncated;
}

/* Turn per-function sums into rows for every function that has samples
 * (or, with counted, whose calls were counted: a function called a
 * million times too briefly to be sampled is still a row). */
static bool has_row(const struct profile *p, const struct fn_acc *acc, bool counted, size_t i)
{
	return acc[i].total_samples || acc[i].self_samples ||
	       (counted && p->functions[i].calls >= 0);
}

static void table_fill(const struct profile *p, const struct fn_acc *acc, bool counted,
		       struct func_table *out)
{
	size_t i, n = 0;

	for (i = 0; i < p->nfunctions; i++)
		if (has_row(p, acc, counted, i))
			n++;
	out->rows = xcalloc(n ? n : 1, sizeof(*out->rows));
	for (i = 0; i < p->nfunctions; i++) {
		struct func_row *r;

		if (!has_row(p, acc, counted, i))
			continue;
		r = &out->rows[out->n++];
		r->function = (uint32_t)i;
		r->self_samples = acc[i].self_samples;
		r->total_samples = acc[i].total_samples;
		r->self_ns = acc[i].self_ns;
		r->total_ns = acc[i].total_ns;
		r->inlined_samples = acc[i].inlined_samples;
		r->offcpu_ns = acc[i].offcpu_ns;
		if (out->total_ns) {
			r->self_pct = 100.0 * (double)r->self_ns / (double)out->total_ns;
			r->total_pct = 100.0 * (double)r->total_ns / (double)out->total_ns;
		}
		r->calls = p->functions[i].calls;
		r->calls_lower_bound = p->functions[i].calls_lower_bound;
	}
}

static void acc_add_total(struct fn_acc *acc, uint32_t stamp, const struct stack_sum *s)
{
	if (acc->stamp == stamp)
		return;
	acc->stamp = stamp;
	acc->total_ns += s->ns;
	acc->total_samples += s->samples;
	acc->offcpu_ns += s->off_ns;
}

void query_functions(const struct profile *p, const struct query_filter *f, enum query_sort sort,
		     bool reverse, struct func_table *out)
{
	struct fn_acc *acc = xcalloc(p->nfunctions ? p->nfunctions : 1, sizeof(*acc));
	struct agg a;
	size_t k, i, nf;

	agg_build(p, f, &a);
	table_start(out, &a);
	for (k = 0; k < a.n; k++) {
		const struct stack_sum *s = &a.by_stack[a.stacks[k]];
		uint32_t stamp = (uint32_t)k + 1;

		nf = agg_frames(p, &a, k);
		if (nf == 0)
			continue;
		acc[a.frames[0].function].self_ns += s->ns;
		acc[a.frames[0].function].self_samples += s->samples;
		for (i = 0; i < nf; i++) {
			struct fn_acc *fa = &acc[a.frames[i].function];

			/* once per stack, like total: when one of its frames
			 * there is an inlined copy */
			if (a.frames[i].inlined && fa->inl_stamp != stamp) {
				fa->inl_stamp = stamp;
				fa->inlined_samples += s->samples;
			}
			acc_add_total(fa, stamp, s);
		}
	}
	table_fill(p, acc, true, out);
	query_sort_rows(p, out, sort, reverse);
	free(acc);
	agg_free(&a);
}

void func_table_free(struct func_table *t)
{
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* ---- function lookup by name ---- */

static bool starts_with_call(const char *name, const char *q, size_t qlen)
{
	return strncmp(name, q, qlen) == 0 && name[qlen] == '(';
}

/* "module:name", where module is the basename; C++ names hold "::", so
 * the split point is the module's own name, not the first colon. */
static bool matches_module_name(const struct profile *p, const struct prof_function *fn,
				const char *q)
{
	const char *mod;
	size_t len;

	if (fn->module >= p->nmodules)
		return false;
	mod = p->modules[fn->module].name;
	len = strlen(mod);
	if (strncmp(q, mod, len) != 0 || q[len] != ':')
		return false;
	q += len + 1;
	return strcmp(fn->name, q) == 0 || (fn->system_name && strcmp(fn->system_name, q) == 0);
}

/* Where a function is declared, as FUNC@FILE[:LINE] names it: FILE is the
 * function's file, or a tail of it after a '/' (its base name, say). */
struct func_where {
	const char *file;
	size_t len;
	int line; /* 0: any */
};

static bool matches_where(const struct prof_function *fn, const struct func_where *w)
{
	size_t flen;

	if (!w)
		return true;
	if (!fn->file || (w->line && fn->start_line != w->line))
		return false;
	flen = strlen(fn->file);
	if (flen < w->len || strncmp(fn->file + flen - w->len, w->file, w->len) != 0)
		return false;
	return flen == w->len || fn->file[flen - w->len - 1] == '/';
}

/* Split "FUNC@FILE[:LINE]" at its last '@'; false if name is not one. */
static bool parse_where(const char *name, size_t *func_len, struct func_where *w)
{
	const char *at = strrchr(name, '@'), *colon;
	size_t digits;

	if (!at || at == name || !at[1])
		return false;
	*func_len = (size_t)(at - name);
	w->file = at + 1;
	w->len = strlen(w->file);
	w->line = 0;
	colon = strrchr(w->file, ':');
	if (colon && colon > w->file && colon[1]) {
		digits = strspn(colon + 1, "0123456789");
		if (!colon[1 + digits] && digits < 9) {
			w->line = atoi(colon + 1);
			w->len = (size_t)(colon - w->file);
		}
	}
	return true;
}

static size_t find_rules(const struct profile *p, const char *name, const struct func_where *w,
			 uint32_t *ids, size_t max)
{
	size_t qlen = strlen(name), count, i;
	int rule;

	for (rule = 0; rule < 4; rule++) {
		count = 0;
		for (i = 0; i < p->nfunctions; i++) {
			const struct prof_function *fn = &p->functions[i];
			bool hit = false;

			switch (rule) {
			case 0:
				hit = fn->name && strcmp(fn->name, name) == 0;
				break;
			case 1:
				hit = fn->system_name && strcmp(fn->system_name, name) == 0;
				break;
			case 2:
				hit = fn->name && starts_with_call(fn->name, name, qlen);
				break;
			case 3:
				hit = fn->name && matches_module_name(p, fn, name);
				break;
			}
			if (!hit || !matches_where(fn, w))
				continue;
			if (count < max)
				ids[count] = (uint32_t)i;
			count++;
		}
		if (count)
			return count;
	}
	return 0;
}

size_t query_find_function(const struct profile *p, const char *name, uint32_t *ids, size_t max)
{
	struct func_where w;
	size_t n, func_len;
	char *func;

	const char *colon;

	if (!name)
		return 0;
	n = find_rules(p, name, NULL, ids, max);
	/* Python's spelling "FILE.py:FUNC" is FUNC@FILE.py. */
	colon = strchr(name, ':');
	if (!n && colon && colon - name > 3 && strncmp(colon - 3, ".py", 3) == 0 && colon[1] &&
	    !strchr(colon + 1, '@')) {
		size_t flen = (size_t)(colon - name), qlen = strlen(colon + 1);
		char *alt = xmalloc(qlen + flen + 2);

		memcpy(alt, colon + 1, qlen);
		alt[qlen] = '@';
		memcpy(alt + qlen + 1, name, flen);
		alt[qlen + 1 + flen] = '\0';
		n = query_find_function(p, alt, ids, max);
		free(alt);
		return n;
	}
	if (n || !parse_where(name, &func_len, &w))
		return n;
	func = xstrndup(name, func_len);
	n = find_rules(p, func, &w, ids, max);
	free(func);
	return n;
}

/* Does name select fn and nothing else? */
static bool selects_only(const struct profile *p, const char *name, uint32_t fn)
{
	uint32_t id;

	return query_find_function(p, name, &id, 1) == 1 && id == fn;
}

char *query_function_selector(const struct profile *p, uint32_t fn)
{
	const struct prof_function *f;
	const char *name, *mod, *base;
	char *forms[7];
	size_t n = 0, pick;

	if (fn >= p->nfunctions)
		return xstrdup("[unknown]");
	f = &p->functions[fn];
	name = f->name ? f->name : f->system_name ? f->system_name : "[unknown]";
	mod = f->module < p->nmodules ? p->modules[f->module].name : NULL;
	base = f->file ? strrchr(f->file, '/') : NULL;
	base = base ? base + 1 : f->file;
	forms[n++] = xstrdup(name);
	if (mod)
		forms[n++] = xasprintf("%s:%s", mod, name);
	if (f->file) {
		forms[n++] = xasprintf("%s@%s", name, base);
		if (f->start_line > 0)
			forms[n++] = xasprintf("%s@%s:%d", name, base, f->start_line);
		forms[n++] = f->start_line > 0 ? xasprintf("%s@%s:%d", name, f->file, f->start_line)
					       : xasprintf("%s@%s", name, f->file);
	}
	if (f->system_name && strcmp(f->system_name, name))
		forms[n++] = xstrdup(f->system_name);
	if (mod && f->file)
		forms[n++] = f->start_line > 0
				     ? xasprintf("%s:%s@%s:%d", mod, name, f->file, f->start_line)
				     : xasprintf("%s:%s@%s", mod, name, f->file);
	for (pick = 0; pick < n && !selects_only(p, forms[pick], fn); pick++)
		;
	if (pick == n) /* nothing selects it alone: the most precise form */
		pick = n - 1;
	for (size_t i = 0; i < n; i++)
		if (i != pick)
			free(forms[i]);
	return forms[pick];
}

/* ---- callers and callees ---- */

/* One row per function adjacent to an occurrence of fn: the next frame out
 * (callers) or in (callees). Each neighbour counts once per sample. */
static void query_edges(const struct profile *p, const struct query_filter *f, uint32_t fn,
			bool callers, struct func_table *out)
{
	struct fn_acc *acc = xcalloc(p->nfunctions ? p->nfunctions : 1, sizeof(*acc));
	struct agg a;
	size_t k, i, nf;

	agg_build(p, f, &a);
	table_start(out, &a);
	for (k = 0; k < a.n; k++) {
		const struct stack_sum *s = &a.by_stack[a.stacks[k]];
		uint32_t stamp = (uint32_t)k + 1;

		nf = agg_frames(p, &a, k);
		for (i = 0; i < nf; i++) {
			uint32_t other;
			bool self;

			if (a.frames[i].function != fn)
				continue;
			if (callers) {
				if (i + 1 >= nf)
					continue;
				other = a.frames[i + 1].function;
				self = i == 0; /* the edge this sample's own time went through */
			} else {
				if (i == 0)
					continue;
				other = a.frames[i - 1].function;
				self = i == 1; /* the callee is innermost */
			}
			acc_add_total(&acc[other], stamp, s);
			if (self) {
				acc[other].self_ns += s->ns;
				acc[other].self_samples += s->samples;
			}
		}
	}
	table_fill(p, acc, false, out);
	query_sort_rows(p, out, SORT_CUMULATIVE, false);
	free(acc);
	agg_free(&a);
}

void query_callers(const struct profile *p, const struct query_filter *f, uint32_t fn,
		   struct func_table *out)
{
	query_edges(p, f, fn, true, out);
}

void query_callees(const struct profile *p, const struct query_filter *f, uint32_t fn,
		   struct func_table *out)
{
	query_edges(p, f, fn, false, out);
}

/* ---- memory ---- */

static size_t count_mem_points(const struct profile *p, int32_t pid)
{
	size_t i, n = 0;

	for (i = 0; i < p->nmemory; i++)
		n += p->memory[i].pid == pid;
	return n;
}

void query_memory(const struct profile *p, int32_t pid, struct mem_summary *out)
{
	const struct prof_mem_point *first = NULL, *last = NULL;
	size_t i;

	memset(out, 0, sizeof(*out));
	/* Without a sum series (a single process), the main process is the whole target. */
	if (pid == 0 && count_mem_points(p, 0) == 0)
		pid = p->meta.pid;
	for (i = 0; i < p->nmemory; i++) {
		const struct prof_mem_point *m = &p->memory[i];

		if (m->pid != pid)
			continue;
		if (!first || m->time < first->time)
			first = m;
		if (!last || m->time >= last->time)
			last = m;
		if (out->points == 0 || m->rss > out->peak_rss) {
			out->peak_rss = m->rss;
			out->peak_rss_time = m->time;
		}
		if (m->vms > out->peak_vms)
			out->peak_vms = m->vms;
		out->points++;
	}
	if (!out->points)
		return;
	out->valid = true;
	out->start_rss = first->rss;
	out->start_vms = first->vms;
	out->end_rss = last->rss;
	out->end_vms = last->vms;
	out->duration = last->time - first->time;
}
