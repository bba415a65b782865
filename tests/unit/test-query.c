#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "profile.h"
#include "query.h"

/* ---- building profiles by hand ---- */

static uint32_t fn_in(struct profile *p, const char *module, const char *name, const char *sys)
{
	uint32_t m = profile_intern_module(p, module, NULL);

	return profile_intern_function(p, name, sys, "t.c", 1, m);
}

static uint32_t fn(struct profile *p, const char *name)
{
	return fn_in(p, "/bin/prog", name, NULL);
}

/* A location of one frame: f executing at t.c:line. Each call is a new address. */
static uint32_t loc(struct profile *p, uint32_t f, int line)
{
	struct prof_line l = {f, "t.c", line};

	return profile_intern_location(p, 0, 0x1000 + p->nlocations, &l, 1);
}

/* A location whose frames are given innermost first (an inline chain). */
static uint32_t loc_chain(struct profile *p, const struct prof_line *lines, size_t n)
{
	return profile_intern_location(p, 0, 0x1000 + p->nlocations, lines, n);
}

/* A stack from its locations, leaf first; n, then n location ids. */
static uint32_t stk(struct profile *p, size_t n, ...)
{
	uint32_t locs[64];
	va_list ap;
	size_t i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		locs[i] = va_arg(ap, uint32_t);
	va_end(ap);
	return profile_intern_stack(p, locs, n);
}

/* count samples of weight w on stack st, thread tid, at times t0, t0+1, ... */
static void add(struct profile *p, uint32_t st, int count, uint64_t w, int32_t tid, uint64_t t0)
{
	int i;

	for (i = 0; i < count; i++)
		profile_add_sample(p, t0 + (uint64_t)i, tid, st, w, 0);
}

static const struct func_row *row_of(const struct func_table *t, uint32_t f)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->rows[i].function == f)
			return &t->rows[i];
	return NULL;
}

static void assert_row(const struct func_table *t, uint32_t f, uint64_t self_ns, uint64_t total_ns)
{
	const struct func_row *r = row_of(t, f);

	assert_non_null(r);
	assert_int_equal(r->self_ns, self_ns);
	assert_int_equal(r->total_ns, total_ns);
}

static void assert_pct(double got, double want)
{
	if (got < want - 1e-9 || got > want + 1e-9)
		fail_msg("percentage: expected %.6f, got %.6f", want, got);
}

/* ---- the function table ---- */

static void test_flat(void **state)
{
	struct profile *p = profile_new();
	uint32_t mainf = fn(p, "main"), a = fn(p, "a"), b = fn(p, "b"), c = fn(p, "c");
	uint32_t lm = loc(p, mainf, 10);
	struct func_table t;

	add(p, stk(p, 2, loc(p, a, 1), lm), 6, 10, 1, 0);
	add(p, stk(p, 2, loc(p, b, 2), lm), 3, 10, 1, 100);
	add(p, stk(p, 2, loc(p, c, 3), lm), 1, 10, 1, 200);
	fn(p, "never_sampled");

	query_functions(p, NULL, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.total_samples, 10);
	assert_int_equal(t.total_ns, 100);
	assert_row(&t, a, 60, 60);
	assert_row(&t, b, 30, 30);
	assert_row(&t, c, 10, 10);
	assert_row(&t, mainf, 0, 100);
	assert_int_equal(row_of(&t, a)->self_samples, 6);
	assert_int_equal(row_of(&t, a)->total_samples, 6);
	assert_int_equal(row_of(&t, mainf)->total_samples, 10);
	assert_pct(row_of(&t, a)->self_pct, 60.0);
	assert_pct(row_of(&t, a)->total_pct, 60.0);
	assert_pct(row_of(&t, c)->self_pct, 10.0);
	assert_pct(row_of(&t, mainf)->total_pct, 100.0);
	assert_pct(row_of(&t, mainf)->self_pct, 0.0);
	assert_int_equal(row_of(&t, a)->calls, -1);
	assert_int_equal(t.rows[0].function, mainf);
	assert_int_equal(t.rows[1].function, a);
	assert_int_equal(t.rows[2].function, b);
	assert_int_equal(t.rows[3].function, c);
	func_table_free(&t);
	profile_free(p);
}

/* a -> a -> a -> b: a's total counts each sample once. */
static void test_recursion(void **state)
{
	struct profile *p = profile_new();
	uint32_t mainf = fn(p, "main"), a = fn(p, "a"), b = fn(p, "b");
	uint32_t lm = loc(p, mainf, 1), la1 = loc(p, a, 10), la2 = loc(p, a, 11);
	uint32_t lb = loc(p, b, 20);
	struct func_table t;

	add(p, stk(p, 5, lb, la1, la2, la2, lm), 4, 10, 1, 0);
	add(p, stk(p, 3, la1, la2, lm), 1, 10, 1, 10);

	query_functions(p, NULL, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.total_ns, 50);
	assert_row(&t, a, 10, 50);
	assert_row(&t, b, 40, 40);
	assert_row(&t, mainf, 0, 50);
	assert_int_equal(row_of(&t, a)->total_samples, 5);
	func_table_free(&t);

	/* Callers of a: a itself (the recursive edge) and main, once per sample;
	 * self goes to the edge of the innermost a. */
	query_callers(p, NULL, a, &t);
	assert_int_equal(t.n, 2);
	assert_row(&t, a, 10, 50);
	assert_row(&t, mainf, 0, 50);
	assert_int_equal(t.total_ns, 50);
	assert_pct(row_of(&t, mainf)->total_pct, 100.0);
	func_table_free(&t);

	query_callees(p, NULL, a, &t);
	assert_int_equal(t.n, 2);
	assert_row(&t, a, 10, 50);
	assert_row(&t, b, 40, 40);
	assert_int_equal(t.rows[0].function, a); /* sorted by total */
	assert_pct(row_of(&t, b)->total_pct, 80.0);
	func_table_free(&t);

	query_callers(p, NULL, b, &t);
	assert_int_equal(t.n, 1);
	assert_row(&t, a, 40, 40);
	func_table_free(&t);

	query_callees(p, NULL, b, &t);
	assert_int_equal(t.n, 0);
	assert_int_equal(t.total_ns, 50);
	func_table_free(&t);

	query_callers(p, NULL, mainf, &t);
	assert_int_equal(t.n, 0);
	func_table_free(&t);
	profile_free(p);
}

/* outer() with inl() inlined at t.c:20 and real calls to c() and d() at t.c:22. */
struct inline_fx {
	struct profile *p;
	uint32_t mainf, outer, inl, c, d;
};

static void inline_fx_build(struct inline_fx *x)
{
	struct profile *p = profile_new();
	struct prof_line chain[2];
	uint32_t lm, l1, l2, l3;

	x->p = p;
	x->mainf = fn(p, "main");
	x->outer = fn(p, "outer");
	x->inl = fn(p, "inl");
	x->c = fn(p, "c");
	x->d = fn(p, "d");
	chain[0] = (struct prof_line){x->inl, "h.h", 5};
	chain[1] = (struct prof_line){x->outer, "t.c", 20};
	lm = loc(p, x->mainf, 1);
	l1 = loc_chain(p, chain, 2);
	l2 = loc(p, x->outer, 21);
	l3 = loc(p, x->outer, 22);
	add(p, stk(p, 2, l1, lm), 3, 10, 1, 0);
	add(p, stk(p, 2, l2, lm), 2, 10, 1, 10);
	add(p, stk(p, 3, loc(p, x->c, 50), l3, lm), 5, 10, 1, 20);
	add(p, stk(p, 3, loc(p, x->d, 60), l3, lm), 1, 10, 1, 30);
}

static void test_inline_functions(void **state)
{
	struct inline_fx x;
	struct func_table t;

	inline_fx_build(&x);
	query_functions(x.p, NULL, SORT_TOTTIME, false, &t);
	assert_int_equal(t.total_ns, 110);
	assert_row(&t, x.inl, 30, 30);
	assert_row(&t, x.outer, 20, 110);
	assert_row(&t, x.c, 50, 50);
	assert_row(&t, x.d, 10, 10);
	assert_row(&t, x.mainf, 0, 110);
	func_table_free(&t);

	query_callers(x.p, NULL, x.inl, &t);
	assert_int_equal(t.n, 1);
	assert_row(&t, x.outer, 30, 30);
	func_table_free(&t);

	query_callees(x.p, NULL, x.outer, &t);
	assert_int_equal(t.n, 3);
	assert_row(&t, x.c, 50, 50);
	assert_row(&t, x.inl, 30, 30);
	assert_row(&t, x.d, 10, 10);
	assert_int_equal(t.rows[0].function, x.c);
	assert_int_equal(t.rows[1].function, x.inl);
	assert_int_equal(t.rows[2].function, x.d);
	func_table_free(&t);
	profile_free(x.p);
}

static void test_lines(void **state)
{
	struct inline_fx x;
	struct line_table lt;

	inline_fx_build(&x);
	query_lines(x.p, NULL, x.outer, &lt);
	assert_int_equal(lt.function, x.outer);
	assert_int_equal(lt.n, 3);
	assert_int_equal(lt.total_ns, 110);
	assert_int_equal(lt.total_samples, 11);
	assert_int_equal(lt.self_samples, 2);

	assert_string_equal(lt.rows[0].file, "t.c");
	assert_int_equal(lt.rows[0].line, 20);
	assert_int_equal(lt.rows[0].self_ns, 0);
	assert_int_equal(lt.rows[0].total_ns, 30);
	assert_int_equal(lt.rows[0].total_samples, 3);
	assert_int_equal(lt.rows[0].inlined, x.inl);
	assert_int_equal(lt.rows[0].callee, PROF_NONE);

	assert_int_equal(lt.rows[1].line, 21);
	assert_int_equal(lt.rows[1].self_ns, 20);
	assert_int_equal(lt.rows[1].self_samples, 2);
	assert_int_equal(lt.rows[1].total_ns, 20);
	assert_int_equal(lt.rows[1].inlined, PROF_NONE);
	assert_int_equal(lt.rows[1].callee, PROF_NONE);

	assert_int_equal(lt.rows[2].line, 22);
	assert_int_equal(lt.rows[2].self_ns, 0);
	assert_int_equal(lt.rows[2].total_ns, 60);
	assert_int_equal(lt.rows[2].callee, x.c); /* c (50) is hotter than d (10) */
	assert_int_equal(lt.rows[2].inlined, PROF_NONE);
	line_table_free(&lt);

	/* The inlined function's own lines are in its header. */
	query_lines(x.p, NULL, x.inl, &lt);
	assert_int_equal(lt.n, 1);
	assert_string_equal(lt.rows[0].file, "h.h");
	assert_int_equal(lt.rows[0].line, 5);
	assert_int_equal(lt.rows[0].self_ns, 30);
	assert_int_equal(lt.self_samples, 3);
	line_table_free(&lt);
	profile_free(x.p);
}

/* A recursive line is counted once per sample; files sort before lines. */
static void test_lines_recursion(void **state)
{
	struct profile *p = profile_new();
	uint32_t mainf = fn(p, "main"), a = fn(p, "a"), b = fn(p, "b");
	uint32_t lm = loc(p, mainf, 1), la1 = loc(p, a, 10), la2 = loc(p, a, 11);
	struct prof_line other_file = {a, "a.c", 99};
	uint32_t la3 = loc_chain(p, &other_file, 1);
	struct line_table lt;

	add(p, stk(p, 5, loc(p, b, 20), la1, la2, la2, lm), 4, 10, 1, 0);
	add(p, stk(p, 3, la1, la2, lm), 1, 10, 1, 10);
	add(p, stk(p, 2, la3, lm), 1, 10, 1, 20);
	query_lines(p, NULL, a, &lt);
	assert_int_equal(lt.n, 3);
	assert_string_equal(lt.rows[0].file, "a.c");
	assert_int_equal(lt.rows[0].self_ns, 10);
	assert_int_equal(lt.rows[1].line, 10);
	assert_int_equal(lt.rows[1].self_ns, 10);
	assert_int_equal(lt.rows[1].total_ns, 50);
	assert_int_equal(lt.rows[1].callee, b);
	assert_int_equal(lt.rows[2].line, 11);
	assert_int_equal(lt.rows[2].total_ns, 50);
	assert_int_equal(lt.rows[2].callee, a);
	assert_int_equal(lt.total_ns, 60);
	assert_int_equal(lt.self_samples, 2);
	line_table_free(&lt);
	profile_free(p);
}

/* ---- the call tree ---- */

static void check_tree_sums(const struct call_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct tree_node *nd = &t->nodes[i];
		uint64_t ns = nd->self_ns, samples = nd->self_samples, prev = UINT64_MAX;
		uint32_t c;

		for (c = nd->first_child; c != PROF_NONE; c = t->nodes[c].next_sibling) {
			assert_int_equal(t->nodes[c].parent, i);
			assert_int_equal(t->nodes[c].depth, nd->depth + 1);
			assert_true(t->nodes[c].total_ns <= prev); /* hottest first */
			prev = t->nodes[c].total_ns;
			ns += t->nodes[c].total_ns;
			samples += t->nodes[c].total_samples;
		}
		if (ns != nd->total_ns || samples != nd->total_samples)
			fail_msg("node %zu: total %" PRIu64 " != self + children %" PRIu64, i,
				 (uint64_t)nd->total_ns, ns);
	}
}

/* The only child of node, which must have exactly one. */
static uint32_t only_child(const struct call_tree *t, uint32_t node, uint32_t function)
{
	uint32_t c = t->nodes[node].first_child;

	assert_int_not_equal(c, PROF_NONE);
	assert_int_equal(t->nodes[c].next_sibling, PROF_NONE);
	assert_int_equal(t->nodes[c].function, function);
	return c;
}

static void test_call_tree_recursion(void **state)
{
	struct profile *p = profile_new();
	uint32_t mainf = fn(p, "main"), a = fn(p, "a"), b = fn(p, "b");
	uint32_t lm = loc(p, mainf, 1), la1 = loc(p, a, 10), la2 = loc(p, a, 11);
	struct call_tree t;
	uint32_t n;

	add(p, stk(p, 5, loc(p, b, 20), la1, la2, la2, lm), 4, 10, 1, 0);
	add(p, stk(p, 3, la1, la2, lm), 1, 10, 1, 10);
	query_call_tree(p, NULL, &t);
	assert_int_equal(t.total_ns, 50);
	assert_int_equal(t.nodes[0].function, PROF_NONE);
	assert_int_equal(t.nodes[0].parent, PROF_NONE);
	assert_int_equal(t.nodes[0].total_ns, 50);
	assert_int_equal(t.n, 6); /* root main a a a b: recursion is a path */
	n = only_child(&t, 0, mainf);
	n = only_child(&t, n, a);
	n = only_child(&t, n, a);
	assert_int_equal(t.nodes[n].self_ns, 10);
	assert_int_equal(t.nodes[n].total_ns, 50);
	n = only_child(&t, n, a);
	assert_int_equal(t.nodes[n].total_ns, 40);
	n = only_child(&t, n, b);
	assert_int_equal(t.nodes[n].self_ns, 40);
	assert_int_equal(t.nodes[n].self_samples, 4);
	assert_int_equal(t.nodes[n].depth, 5);
	assert_int_equal(t.nodes[n].first_child, PROF_NONE);
	check_tree_sums(&t);
	call_tree_free(&t);
	profile_free(p);
}

static void test_call_tree_inline(void **state)
{
	struct query_filter f = {.tid = 12345};
	struct inline_fx x;
	struct call_tree t;
	uint32_t n, c;

	inline_fx_build(&x);
	query_call_tree(x.p, NULL, &t);
	assert_int_equal(t.n, 6); /* root main outer c inl d */
	n = only_child(&t, 0, x.mainf);
	n = only_child(&t, n, x.outer);
	assert_int_equal(t.nodes[n].self_ns, 20);
	assert_int_equal(t.nodes[n].total_ns, 110);
	c = t.nodes[n].first_child;
	assert_int_equal(t.nodes[c].function, x.c);
	assert_int_equal(t.nodes[c].total_ns, 50);
	c = t.nodes[c].next_sibling;
	assert_int_equal(t.nodes[c].function, x.inl);
	assert_int_equal(t.nodes[c].self_ns, 30);
	c = t.nodes[c].next_sibling;
	assert_int_equal(t.nodes[c].function, x.d);
	assert_int_equal(t.nodes[c].next_sibling, PROF_NONE);
	check_tree_sums(&t);
	call_tree_free(&t);

	/* A filter that passes nothing gives just the root. */
	query_call_tree(x.p, &f, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.total_ns, 0);
	assert_int_equal(t.nodes[0].first_child, PROF_NONE);
	call_tree_free(&t);
	profile_free(x.p);
}

/* ---- filters ---- */

static void test_filters(void **state)
{
	struct profile *p = profile_new();
	uint32_t a = fn(p, "a"), b = fn(p, "b"), c = fn(p, "c"), u = fn(p, "u");
	struct query_filter f;
	struct func_table t;

	profile_set_thread(p, 1, 100, "t1");
	profile_set_thread(p, 2, 100, "t2");
	profile_set_thread(p, 3, 200, "t3");
	add(p, stk(p, 1, loc(p, a, 1)), 10, 1, 1, 0);  /* t = 0..9 */
	add(p, stk(p, 1, loc(p, b, 1)), 10, 1, 2, 10); /* t = 10..19 */
	add(p, stk(p, 1, loc(p, c, 1)), 10, 1, 3, 20); /* t = 20..29 */
	add(p, stk(p, 1, loc(p, u, 1)), 1, 1, 9, 30);  /* a thread nobody named */

	query_functions(p, NULL, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.total_samples, 31);
	assert_int_equal(t.n, 4);
	func_table_free(&t);

	f = (struct query_filter){.tid = 2};
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.n, 1);
	assert_row(&t, b, 10, 10);
	assert_pct(t.rows[0].total_pct, 100.0);
	func_table_free(&t);

	f = (struct query_filter){.pid = 100};
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.total_ns, 20);
	assert_row(&t, a, 10, 10);
	assert_row(&t, b, 10, 10);
	assert_pct(row_of(&t, a)->self_pct, 50.0);
	func_table_free(&t);

	f = (struct query_filter){.pid = 200};
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.n, 1);
	assert_row(&t, c, 10, 10);
	func_table_free(&t);

	f = (struct query_filter){.t_from = 5, .t_to = 15};
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.total_samples, 10);
	assert_row(&t, a, 5, 5);
	assert_row(&t, b, 5, 5);
	func_table_free(&t);

	f = (struct query_filter){.t_from = 25}; /* t_to 0: open-ended */
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.total_samples, 6);
	assert_row(&t, c, 5, 5);
	assert_row(&t, u, 1, 1);
	func_table_free(&t);

	f = (struct query_filter){.tid = 1, .t_from = 5, .t_to = 15};
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.n, 1);
	assert_row(&t, a, 5, 5);
	func_table_free(&t);

	f = (struct query_filter){.tid = 1, .pid = 200};
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.n, 0);
	assert_int_equal(t.total_ns, 0);
	func_table_free(&t);
	profile_free(p);
}

static void test_truncated_count(void **state)
{
	struct profile *p = profile_new();
	uint32_t st = stk(p, 1, loc(p, fn(p, "a"), 1));
	struct query_filter f = {.t_from = 1};
	struct func_table t;

	profile_add_sample(p, 0, 1, st, 10, PROF_SAMPLE_TRUNCATED);
	profile_add_sample(p, 1, 1, st, 10, PROF_SAMPLE_TRUNCATED);
	profile_add_sample(p, 2, 1, st, 10, 0);
	query_functions(p, NULL, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.truncated_samples, 2);
	func_table_free(&t);
	query_functions(p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.truncated_samples, 1);
	assert_int_equal(t.total_samples, 2);
	func_table_free(&t);
	profile_free(p);
}

/* ---- sorting ---- */

struct sort_fx {
	struct profile *p;
	uint32_t alpha, beta, gamma, epsilon;
};

/* self/total: alpha 10/30 calls 5, beta 30/30 uncounted, gamma 20/60 calls 100,
 * epsilon 40/40 uncounted. */
static void sort_fx_build(struct sort_fx *x)
{
	struct profile *p = profile_new();
	uint32_t la, lg;

	x->p = p;
	x->epsilon = fn(p, "epsilon");
	x->gamma = fn(p, "gamma");
	x->beta = fn(p, "beta");
	x->alpha = fn(p, "alpha");
	fn(p, "zeta_unsampled");
	la = loc(p, x->alpha, 1);
	lg = loc(p, x->gamma, 1);
	add(p, stk(p, 1, loc(p, x->beta, 1)), 3, 10, 1, 0);
	add(p, stk(p, 1, la), 1, 10, 1, 0);
	add(p, stk(p, 2, lg, la), 2, 10, 1, 0);
	add(p, stk(p, 2, loc(p, x->epsilon, 1), lg), 4, 10, 1, 0);
	p->functions[x->alpha].calls = 5;
	p->functions[x->alpha].calls_lower_bound = true;
	p->functions[x->gamma].calls = 100;
}

static void assert_order(const struct profile *p, enum query_sort sort, bool reverse,
			 const uint32_t *want)
{
	struct func_table t;
	size_t i;

	query_functions(p, NULL, sort, reverse, &t);
	assert_int_equal(t.n, 4);
	for (i = 0; i < 4; i++) {
		uint32_t w = want[reverse ? 3 - i : i];

		if (t.rows[i].function != w)
			fail_msg("sort %s%s row %zu: expected %s, got %s", query_sort_name(sort),
				 reverse ? " reversed" : "", i, p->functions[w].name,
				 p->functions[t.rows[i].function].name);
	}
	func_table_free(&t);
}

static void test_sorts(void **state)
{
	struct sort_fx x;
	struct func_table t;

	sort_fx_build(&x);
	{
		/* alpha and beta tie on total: the name decides. */
		uint32_t cum[] = {x.gamma, x.epsilon, x.alpha, x.beta};
		uint32_t tot[] = {x.epsilon, x.beta, x.gamma, x.alpha};
		uint32_t calls[] = {x.gamma, x.alpha, x.epsilon, x.beta};
		uint32_t name[] = {x.alpha, x.beta, x.epsilon, x.gamma};
		bool rev;

		for (rev = false;; rev = true) {
			assert_order(x.p, SORT_CUMULATIVE, rev, cum);
			assert_order(x.p, SORT_TOTTIME, rev, tot);
			assert_order(x.p, SORT_CALLS, rev, calls);
			assert_order(x.p, SORT_NAME, rev, name);
			if (rev)
				break;
		}
	}
	query_functions(x.p, NULL, SORT_CALLS, false, &t);
	assert_int_equal(row_of(&t, x.alpha)->calls, 5);
	assert_true(row_of(&t, x.alpha)->calls_lower_bound);
	assert_int_equal(row_of(&t, x.gamma)->calls, 100);
	assert_false(row_of(&t, x.gamma)->calls_lower_bound);
	assert_int_equal(row_of(&t, x.beta)->calls, -1);
	assert_row(&t, x.alpha, 10, 30);
	assert_row(&t, x.gamma, 20, 60);
	func_table_free(&t);
	profile_free(x.p);
}

static void test_parse_sort(void **state)
{
	static const struct {
		const char *s;
		enum query_sort want;
	} ok[] = {
		{"cumulative", SORT_CUMULATIVE},
		{"cumtime", SORT_CUMULATIVE},
		{"cum", SORT_CUMULATIVE},
		{"CumTime", SORT_CUMULATIVE},
		{"tottime", SORT_TOTTIME},
		{"total", SORT_TOTTIME},
		{"self", SORT_TOTTIME},
		{"time", SORT_TOTTIME},
		{"own", SORT_TOTTIME},
		{"TOTAL", SORT_TOTTIME},
		{"calls", SORT_CALLS},
		{"ncalls", SORT_CALLS},
		{"NCalls", SORT_CALLS},
		{"name", SORT_NAME},
		{"Name", SORT_NAME},
	};
	static const char *bad[] = {"", "cumul", "tot", "names", "calls ", "percall", "foo"};
	enum query_sort s;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		s = (enum query_sort)99;
		if (query_parse_sort(ok[i].s, &s) != 0 || s != ok[i].want)
			fail_msg("\"%s\": expected %s", ok[i].s, query_sort_name(ok[i].want));
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = SORT_NAME;
		if (query_parse_sort(bad[i], &s) != -1 || s != SORT_NAME)
			fail_msg("\"%s\" should be refused", bad[i]);
	}
	assert_int_equal(query_parse_sort(NULL, &s), -1);
	/* Every sort's name parses back to itself. */
	for (i = SORT_CUMULATIVE; i <= SORT_NAME; i++) {
		assert_int_equal(query_parse_sort(query_sort_name((enum query_sort)i), &s), 0);
		assert_int_equal(s, i);
	}
}

/* ---- function lookup ---- */

static void test_find_function(void **state)
{
	struct profile *p = profile_new();
	uint32_t mainf = fn_in(p, "/bin/prog", "main", NULL);
	uint32_t foo = fn_in(p, "/bin/prog", "foo()", "_Z3foov");
	uint32_t bar_i = fn_in(p, "/bin/prog", "bar(int)", "_Z3bari");
	uint32_t bar_d = fn_in(p, "/bin/prog", "bar(double)", "_Z3bard");
	uint32_t dup = fn_in(p, "/bin/prog", "dup", NULL);
	uint32_t baz_p = fn_in(p, "/bin/prog", "baz", NULL);
	uint32_t baz_x = fn_in(p, "/lib/libx.so", "baz", NULL);
	uint32_t qux = fn_in(p, "/lib/libx.so", "ns::qux", "_ZN2ns3quxE");
	uint32_t ids[4];

	fn_in(p, "/bin/prog", "dup(int)", "_Z3dupi");
	fn_in(p, "/bin/prog", "foobar", NULL);

	assert_int_equal(query_find_function(p, "main", ids, 4), 1);
	assert_int_equal(ids[0], mainf);
	assert_int_equal(query_find_function(p, "_Z3foov", ids, 4), 1);
	assert_int_equal(ids[0], foo);
	assert_int_equal(query_find_function(p, "foo", ids, 4), 1);
	assert_int_equal(ids[0], foo);
	/* An exact name wins over the overloads. */
	assert_int_equal(query_find_function(p, "dup", ids, 4), 1);
	assert_int_equal(ids[0], dup);
	assert_int_equal(query_find_function(p, "bar", ids, 4), 2);
	assert_true((ids[0] == bar_i && ids[1] == bar_d) || (ids[0] == bar_d && ids[1] == bar_i));
	/* More matches than room: the count says so, nothing past max is written. */
	ids[1] = 777;
	assert_int_equal(query_find_function(p, "bar", ids, 1), 2);
	assert_int_equal(ids[1], 777);
	assert_int_equal(query_find_function(p, "baz", ids, 4), 2);
	assert_int_equal(query_find_function(p, "libx.so:baz", ids, 4), 1);
	assert_int_equal(ids[0], baz_x);
	assert_int_equal(query_find_function(p, "prog:baz", ids, 4), 1);
	assert_int_equal(ids[0], baz_p);
	assert_int_equal(query_find_function(p, "libx.so:ns::qux", ids, 4), 1);
	assert_int_equal(ids[0], qux);
	assert_int_equal(query_find_function(p, "ns::qux", ids, 4), 1);
	assert_int_equal(query_find_function(p, "nothing", ids, 4), 0);
	assert_int_equal(query_find_function(p, "libx.so:main", ids, 4), 0);
	assert_int_equal(query_find_function(p, "fo", ids, 4), 0);
	assert_int_equal(query_find_function(p, "", ids, 4), 0);
	profile_free(p);
}

/* Same-named functions told apart by file and line; the selector of each
 * is the shortest form that picks it alone. */
static void test_find_function_where(void **state)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/db", NULL);
	uint32_t m2 = profile_intern_module(p, "/lib/libz.so", NULL);
	uint32_t a = profile_intern_function(p, "Next", NULL, "/src/db/iter.cc", 10, m);
	uint32_t b = profile_intern_function(p, "Next", NULL, "/src/db/table.cc", 20, m);
	uint32_t c = profile_intern_function(p, "Next", NULL, "/src/util/table.cc", 30, m);
	uint32_t z = profile_intern_function(p, "Next", NULL, NULL, 0, m2);
	uint32_t u = profile_intern_function(p, "only", NULL, "/src/o.c", 5, m);
	uint32_t ids[8];
	char *sel;

	assert_int_equal(query_find_function(p, "Next", ids, 8), 4);
	assert_int_equal(query_find_function(p, "db:Next", ids, 8), 3);
	assert_int_equal(query_find_function(p, "libz.so:Next", ids, 8), 1);
	assert_int_equal(ids[0], z);
	assert_int_equal(query_find_function(p, "Next@iter.cc", ids, 8), 1);
	assert_int_equal(ids[0], a);
	assert_int_equal(query_find_function(p, "Next@table.cc", ids, 8), 2);
	assert_int_equal(query_find_function(p, "Next@table.cc:30", ids, 8), 1);
	assert_int_equal(ids[0], c);
	assert_int_equal(query_find_function(p, "Next@db/table.cc", ids, 8), 1);
	assert_int_equal(ids[0], b);
	assert_int_equal(query_find_function(p, "Next@/src/db/table.cc:20", ids, 8), 1);
	assert_int_equal(ids[0], b);
	assert_int_equal(query_find_function(p, "db:Next@iter.cc:10", ids, 8), 1);
	assert_int_equal(ids[0], a);
	/* a tail of the path only after a '/': "able.cc" is no file here */
	assert_int_equal(query_find_function(p, "Next@able.cc", ids, 8), 0);
	assert_int_equal(query_find_function(p, "Next@iter.cc:11", ids, 8), 0);
	assert_int_equal(query_find_function(p, "Next@", ids, 8), 0);
	assert_int_equal(query_find_function(p, "@iter.cc", ids, 8), 0);

	sel = query_function_selector(p, a);
	assert_string_equal(sel, "Next@iter.cc");
	free(sel);
	sel = query_function_selector(p, b);
	assert_string_equal(sel, "Next@table.cc:20");
	free(sel);
	sel = query_function_selector(p, c);
	assert_string_equal(sel, "Next@table.cc:30");
	free(sel);
	sel = query_function_selector(p, z);
	assert_string_equal(sel, "libz.so:Next");
	free(sel);
	sel = query_function_selector(p, u);
	assert_string_equal(sel, "only");
	free(sel);
	profile_free(p);
}

/* --self-to function: inlined frames fold into their out-of-line function. */
static void test_self_to_function(void **state)
{
	struct query_filter f = {.self_to_function = true};
	struct inline_fx x;
	struct func_table t;
	struct call_tree ct;

	inline_fx_build(&x);
	query_functions(x.p, &f, SORT_TOTTIME, false, &t);
	assert_int_equal(t.total_ns, 110);
	assert_null(row_of(&t, x.inl));
	assert_row(&t, x.outer, 50, 110);
	assert_row(&t, x.c, 50, 50);
	assert_row(&t, x.mainf, 0, 110);
	func_table_free(&t);

	query_callees(x.p, &f, x.outer, &t);
	assert_int_equal(t.n, 2);
	assert_null(row_of(&t, x.inl));
	func_table_free(&t);

	query_call_tree(x.p, &f, &ct);
	for (size_t i = 0; i < ct.n; i++)
		assert_int_not_equal(ct.nodes[i].function, x.inl);
	call_tree_free(&ct);
	profile_free(x.p);
}

/* ---- memory ---- */

static void test_memory(void **state)
{
	struct profile *p = profile_new();
	struct mem_summary m;

	profile_add_memory(p, 0, 0, 100, 1000);
	profile_add_memory(p, 0, 5, 50, 500);
	profile_add_memory(p, 10, 0, 300, 1500);
	profile_add_memory(p, 10, 5, 80, 600);
	profile_add_memory(p, 20, 0, 200, 1200);

	query_memory(p, 0, &m);
	assert_true(m.valid);
	assert_int_equal(m.points, 3);
	assert_int_equal(m.start_rss, 100);
	assert_int_equal(m.peak_rss, 300);
	assert_int_equal(m.peak_rss_time, 10);
	assert_int_equal(m.end_rss, 200);
	assert_int_equal(m.start_vms, 1000);
	assert_int_equal(m.peak_vms, 1500);
	assert_int_equal(m.end_vms, 1200);
	assert_int_equal(m.duration, 20);

	query_memory(p, 5, &m);
	assert_true(m.valid);
	assert_int_equal(m.points, 2);
	assert_int_equal(m.end_rss, 80);
	assert_int_equal(m.duration, 10);

	query_memory(p, 7, &m);
	assert_false(m.valid);
	assert_int_equal(m.points, 0);
	profile_free(p);

	/* No sum series: pid 0 means the main process. */
	p = profile_new();
	p->meta.pid = 42;
	profile_add_memory(p, 0, 43, 999, 999);
	profile_add_memory(p, 0, 42, 10, 20);
	profile_add_memory(p, 5, 42, 30, 40);
	query_memory(p, 0, &m);
	assert_true(m.valid);
	assert_int_equal(m.points, 2);
	assert_int_equal(m.peak_rss, 30);
	assert_int_equal(m.start_vms, 20);
	profile_free(p);
}

/* ---- size ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A million samples over 1000 stacks of depth 30: timed, and the self
 * column must still add up to the whole. */
static void test_million_samples(void **state)
{
	enum { NFN = 100, NSTACK = 1000, DEPTH = 30, NSAMPLE = 1000000 };
	struct profile *p = profile_new();
	uint32_t fns[NFN], stacks[NSTACK], locs[DEPTH];
	struct func_table t;
	uint64_t t0, t1, self = 0, x = 12345;
	size_t i, d;
	char name[32];

	for (i = 0; i < NFN; i++) {
		snprintf(name, sizeof(name), "f%zu", i);
		fns[i] = fn(p, name);
	}
	for (i = 0; i < NSTACK; i++) {
		for (d = 0; d < DEPTH; d++) {
			struct prof_line l = {fns[(i * 7 + d * 13 + i / 10 * d) % NFN], "t.c",
					      (int)d};

			locs[d] =
				profile_intern_location(p, 0, (i % 10) * 1000 + d * 31 + i, &l, 1);
		}
		stacks[i] = profile_intern_stack(p, locs, DEPTH);
	}
	for (i = 0; i < NSAMPLE; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		profile_add_sample(p, i * 1000, 1, stacks[(x >> 33) % NSTACK], 1000000, 0);
	}
	t0 = now_ns();
	query_functions(p, NULL, SORT_CUMULATIVE, false, &t);
	t1 = now_ns();
	printf("query_functions: %d samples, %d stacks, %zu rows: %.1f ms\n", NSAMPLE, NSTACK, t.n,
	       (double)(t1 - t0) / 1e6);
	assert_int_equal(t.total_samples, NSAMPLE);
	for (i = 0; i < t.n; i++) {
		self += t.rows[i].self_ns;
		assert_true(t.rows[i].total_ns <= t.total_ns);
		if (i)
			assert_true(t.rows[i].total_ns <= t.rows[i - 1].total_ns);
	}
	assert_int_equal(self, t.total_ns);
	assert_int_equal(t.total_ns, (uint64_t)NSAMPLE * 1000000);
	func_table_free(&t);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat),
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_inline_functions),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_lines_recursion),
		cmocka_unit_test(test_call_tree_recursion),
		cmocka_unit_test(test_call_tree_inline),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_truncated_count),
		cmocka_unit_test(test_sorts),
		cmocka_unit_test(test_parse_sort),
		cmocka_unit_test(test_find_function),
		cmocka_unit_test(test_find_function_where),
		cmocka_unit_test(test_self_to_function),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_million_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
