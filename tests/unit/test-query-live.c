/* The live tables (query-live.c) against the from-scratch queries: after
 * every step of random sequences of appends, folds of the log (done here
 * by hand, as profile.h describes them), zeroing, filter, sort and clock
 * changes, the whole functions table, the callers and callees of every
 * function and the call tree must be equal. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile.h"
#include "query.h"

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

/* What the failure message names. */
static unsigned cur_seed, cur_step;
static const char *cur_op = "";

#define CHECK(cond, ...)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			char msg_[300];                                                      \
			snprintf(msg_, sizeof(msg_), __VA_ARGS__);                           \
			fail_msg("seed %u step %u after %s: %s", cur_seed, cur_step, cur_op, \
				 msg_);                                                      \
		}                                                                            \
	} while (0)

/* ---- a random profile ---- */

static uint32_t new_function(struct profile *p)
{
	char name[32];
	/* few names, several files: equal names, told apart by id */
	uint32_t k = rnd(3);

	snprintf(name, sizeof(name), "f%u", (unsigned)rnd(40));
	return profile_intern_function(p, name, NULL,
				       k == 0	? "a.c"
				       : k == 1 ? "b.c"
						: "c.c",
				       1, 0);
}

static uint32_t random_function(struct profile *p)
{
	if (p->nfunctions < 8 || rnd(10) == 0)
		return new_function(p);
	return rnd((uint32_t)p->nfunctions);
}

/* A location of one frame, or an inline chain of two or three. */
static uint32_t new_location(struct profile *p)
{
	struct prof_line l[3];
	size_t n = rnd(4) == 0 ? 2 + rnd(2) : 1;

	for (size_t i = 0; i < n; i++) {
		l[i].function = random_function(p);
		l[i].file = "t.c";
		l[i].line = (int)rnd(5);
	}
	return profile_intern_location(p, 0, 0x1000 + p->nlocations, l, n);
}

static uint32_t random_stack(struct profile *p)
{
	uint32_t locs[10];
	size_t n = 1 + rnd(8);

	if (p->nstacks > 4 && rnd(3))
		return 1 + rnd((uint32_t)p->nstacks - 1);
	for (size_t i = 0; i < n; i++) {
		if (p->nlocations < 6 || rnd(4) == 0)
			locs[i] = new_location(p);
		else if (i > 1 && rnd(5) == 0)
			locs[i] = locs[rnd((uint32_t)i)]; /* recursion */
		else
			locs[i] = rnd((uint32_t)p->nlocations);
	}
	return profile_intern_stack(p, locs, n);
}

static uint64_t now_ns;

static void append(struct profile *p, size_t n)
{
	static const int32_t tids[] = {1, 2, 3};

	for (size_t i = 0; i < n; i++) {
		uint32_t flags = 0;

		if (rnd(6) == 0)
			flags |= PROF_SAMPLE_OFFCPU | (rnd(3) == 0 ? PROF_SAMPLE_IDLE : 0);
		if (rnd(10) == 0)
			flags |= PROF_SAMPLE_TRUNCATED;
		now_ns += 1 + rnd(3);
		profile_add_sample(p, now_ns, tids[rnd(3)], random_stack(p), 1 + rnd(1000), flags);
	}
}

/* Fold the oldest k records as profile.h describes: records of one thread,
 * stack and flags become one, with their count, summed weight and the
 * earliest time, in the order of their first record; the rest move down. */
static void fold(struct profile *p, size_t k)
{
	struct prof_sample *s = p->samples;
	size_t m = 0;

	if (k > p->nsamples)
		k = p->nsamples;
	for (size_t i = 0; i < k; i++) {
		size_t j;

		for (j = 0; j < m; j++)
			if (s[j].tid == s[i].tid && s[j].stack == s[i].stack &&
			    s[j].flags == s[i].flags)
				break;
		if (j < m) {
			s[j].count += s[i].count;
			s[j].weight += s[i].weight;
			if (s[i].time < s[j].time)
				s[j].time = s[i].time;
		} else {
			s[m++] = s[i];
		}
	}
	if (p->nsamples > k) /* (memmove of nothing from a NULL log is undefined) */
		memmove(s + m, s + k, (p->nsamples - k) * sizeof(*s));
	p->nsamples -= k - m;
	p->log_shift += k - m;
	p->log_folded_abs = p->log_shift + m;
}

/* ---- comparing whole tables ---- */

static void same_rows(const struct func_row *a, const struct func_row *b, const char *what,
		      size_t i)
{
	CHECK(a->function == b->function, "%s row %zu: function %u, live %u", what, i, a->function,
	      b->function);
	CHECK(a->self_samples == b->self_samples && a->total_samples == b->total_samples &&
		      a->self_ns == b->self_ns && a->total_ns == b->total_ns,
	      "%s row %zu (fn %u): self %" PRIu64 "/%" PRIu64 " total %" PRIu64 "/%" PRIu64
	      ", live self %" PRIu64 "/%" PRIu64 " total %" PRIu64 "/%" PRIu64,
	      what, i, a->function, a->self_samples, a->self_ns, a->total_samples, a->total_ns,
	      b->self_samples, b->self_ns, b->total_samples, b->total_ns);
	CHECK(a->offcpu_ns == b->offcpu_ns, "%s row %zu: offcpu %" PRIu64 ", live %" PRIu64, what,
	      i, a->offcpu_ns, b->offcpu_ns);
	CHECK(a->inlined_samples == b->inlined_samples,
	      "%s row %zu: inlined %" PRIu64 ", live %" PRIu64, what, i, a->inlined_samples,
	      b->inlined_samples);
	CHECK(a->self_pct == b->self_pct && a->total_pct == b->total_pct,
	      "%s row %zu: pct %f %f, live %f %f", what, i, a->self_pct, a->total_pct, b->self_pct,
	      b->total_pct);
	CHECK(a->calls == b->calls && a->calls_lower_bound == b->calls_lower_bound,
	      "%s row %zu: calls %" PRId64 ", live %" PRId64, what, i, a->calls, b->calls);
}

static void same_table(const struct func_table *a, const struct func_table *b, const char *what)
{
	CHECK(a->n == b->n, "%s: %zu rows, live %zu", what, a->n, b->n);
	CHECK(a->total_samples == b->total_samples && a->total_ns == b->total_ns &&
		      a->truncated_samples == b->truncated_samples,
	      "%s: totals %" PRIu64 " %" PRIu64 " %" PRIu64 ", live %" PRIu64 " %" PRIu64
	      " %" PRIu64,
	      what, a->total_samples, a->total_ns, a->truncated_samples, b->total_samples,
	      b->total_ns, b->truncated_samples);
	for (size_t i = 0; i < a->n; i++)
		same_rows(&a->rows[i], &b->rows[i], what, i);
}

/* The trees node by node in their sibling order (numbering aside). */
static void same_tree(const struct call_tree *a, const struct call_tree *b)
{
	uint32_t *sa, *sb;
	size_t na = 0, nb = 0, visited = 0;

	CHECK(a->n == b->n, "tree: %zu nodes, live %zu", a->n, b->n);
	sa = calloc(a->n + 1, sizeof(*sa));
	sb = calloc(b->n + 1, sizeof(*sb));
	CHECK(a->total_ns == b->total_ns, "tree: total %" PRIu64 ", live %" PRIu64, a->total_ns,
	      b->total_ns);
	sa[na++] = 0;
	sb[nb++] = 0;
	while (na && nb) {
		const struct tree_node *x = &a->nodes[sa[--na]], *y = &b->nodes[sb[--nb]];
		uint32_t c, d;

		visited++;
		CHECK(x->function == y->function && x->depth == y->depth,
		      "tree node %zu: function %u depth %u, live %u %u", visited, x->function,
		      x->depth, y->function, y->depth);
		CHECK(x->self_ns == y->self_ns && x->total_ns == y->total_ns &&
			      x->self_samples == y->self_samples &&
			      x->total_samples == y->total_samples,
		      "tree node %zu (fn %u): self %" PRIu64 " total %" PRIu64 ", live %" PRIu64
		      " %" PRIu64,
		      visited, x->function, x->self_ns, x->total_ns, y->self_ns, y->total_ns);
		for (c = x->first_child, d = y->first_child; c != PROF_NONE && d != PROF_NONE;
		     c = a->nodes[c].next_sibling, d = b->nodes[d].next_sibling) {
			sa[na++] = c;
			sb[nb++] = d;
		}
		CHECK(c == PROF_NONE && d == PROF_NONE, "tree node %zu (fn %u): children differ",
		      visited, x->function);
	}
	CHECK(visited == a->n, "tree: %zu nodes reached of %zu", visited, a->n);
	free(sa);
	free(sb);
}

/* The order query.h promises, checked row by row with strcmp (the
 * queries themselves compare cached name ranks). */
static int row_cmp(const struct profile *p, const struct func_row *a, const struct func_row *b,
		   enum query_sort sort)
{
	uint64_t ka = 0, kb = 0;
	int c;

	switch (sort) {
	case SORT_CUMULATIVE:
		ka = a->total_ns, kb = b->total_ns;
		break;
	case SORT_TOTTIME:
		ka = a->self_ns, kb = b->self_ns;
		break;
	case SORT_CALLS:
		ka = a->calls < 0 ? 0 : (uint64_t)a->calls + 1;
		kb = b->calls < 0 ? 0 : (uint64_t)b->calls + 1;
		if (ka == kb)
			ka = a->total_ns, kb = b->total_ns;
		break;
	case SORT_NAME:
		break;
	}
	if (ka != kb)
		return ka > kb ? -1 : 1;
	c = strcmp(p->functions[a->function].name, p->functions[b->function].name);
	if (c)
		return c;
	return a->function < b->function ? -1 : a->function > b->function;
}

static void check_order(const struct profile *p, const struct func_table *t, enum query_sort sort,
			bool reverse)
{
	for (size_t i = 1; i < t->n; i++) {
		int c = row_cmp(p, &t->rows[i - 1], &t->rows[i], sort);

		CHECK(reverse ? c > 0 : c < 0, "rows %zu and %zu (fn %u %s, fn %u %s) out of order",
		      i - 1, i, t->rows[i - 1].function, p->functions[t->rows[i - 1].function].name,
		      t->rows[i].function, p->functions[t->rows[i].function].name);
	}
}

static void compare_all(struct profile *p, const struct query_filter *f, enum query_sort sort,
			bool reverse)
{
	struct func_table a, b;
	struct call_tree ta, tb;
	struct func_row r;
	char what[64];

	query_functions(p, f, sort, reverse, &a);
	query_functions_live(p, f, sort, reverse, &b);
	snprintf(what, sizeof(what), "functions by %s%s", query_sort_name(sort),
		 reverse ? " reversed" : "");
	same_table(&a, &b, what);
	check_order(p, &a, sort, reverse);
	for (size_t i = 0; i < a.n; i++) {
		CHECK(query_function_row_live(p, f, a.rows[i].function, &r),
		      "no live row for fn %u", a.rows[i].function);
		same_rows(&a.rows[i], &r, "the function's row", i);
	}
	func_table_free(&a);
	func_table_free(&b);
	for (uint32_t fn = 0; fn < p->nfunctions; fn++) {
		query_callers(p, f, fn, &a);
		query_callers_live(p, f, fn, &b);
		snprintf(what, sizeof(what), "callers of %u", fn);
		same_table(&a, &b, what);
		func_table_free(&a);
		func_table_free(&b);
		query_callees(p, f, fn, &a);
		query_callees_live(p, f, fn, &b);
		snprintf(what, sizeof(what), "callees of %u", fn);
		same_table(&a, &b, what);
		func_table_free(&a);
		func_table_free(&b);
	}
	query_call_tree(p, f, &ta);
	query_call_tree_live(p, f, &tb);
	same_tree(&ta, &tb);
	call_tree_free(&ta);
	call_tree_free(&tb);
}

static void random_filter(struct query_filter *f)
{
	memset(f, 0, sizeof(*f));
	switch (rnd(6)) {
	case 0:
		f->tid = 1 + (int32_t)rnd(3);
		break;
	case 1:
		f->pid = rnd(2) ? 10 : 20;
		break;
	case 2:
		f->t_from = now_ns / 3;
		f->t_to = rnd(2) ? now_ns : 0;
		break;
	case 3:
		f->t_from = now_ns > 300 ? now_ns - 300 : 1;
		break;
	}
	f->self_to_function = rnd(3) == 0;
	f->wall = rnd(2);
	f->idle = rnd(2);
}

static void run(unsigned seed, unsigned steps)
{
	struct profile *p = profile_new();
	struct query_filter f = {0};
	enum query_sort sort = SORT_CUMULATIVE;
	bool reverse = false;
	unsigned folds = 0, past = 0;

	rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed * 0x2545f4914f6cdd1dull);
	cur_seed = seed;
	now_ns = 0;
	profile_intern_module(p, "/bin/prog", NULL);
	profile_set_thread(p, 1, 10, "one");
	profile_set_thread(p, 2, 10, "two");
	profile_set_thread(p, 3, 20, "three");
	for (cur_step = 0; cur_step < steps; cur_step++) {
		uint32_t op = rnd(21);

		if (op < 10) {
			cur_op = "append";
			append(p, 1 + rnd(op < 2 ? 200 : 20));
		} else if (op < 13) {
			cur_op = "fold";
			{
				/* a fold past what the live tables read
				 * makes them start over */
				size_t read = p->nsamples, k;

				/* into records not read yet, or not */
				if (rnd(2))
					append(p, 1 + rnd(40));
				if (p->nsamples > read && rnd(2))
					k = read + 1 + rnd((uint32_t)(p->nsamples - read));
				else
					k = rnd((uint32_t)p->nsamples + 1);
				past += k > read;
				fold(p, k);
				folds++;
			}
		} else if (op < 14) {
			cur_op = "zero";
			profile_zero(p);
			/* more records than were read before, unread */
			if (rnd(2))
				append(p, 1 + rnd(300));
		} else if (op < 16) {
			cur_op = "filter";
			random_filter(&f);
		} else if (op < 17) {
			cur_op = "clock";
			f.wall = !f.wall;
			/* a moving window ("last N seconds") moves on */
			if (f.t_from && !f.t_to && rnd(2)) {
				cur_op = "clock, window moved";
				f.t_from += rnd(200);
			}
		} else if (op < 18) {
			cur_op = "sort";
			sort = (enum query_sort)rnd(4);
			reverse = rnd(3) == 0;
		} else if (op < 19) {
			cur_op = "calls";
			if (p->nfunctions) {
				uint32_t fn = rnd((uint32_t)p->nfunctions);

				p->functions[fn].calls = rnd(2) ? (int64_t)rnd(5) : -1;
				p->functions[fn].calls_lower_bound = rnd(2);
			}
		} else if (op == 20) {
			cur_op = "relabel";
			/* names that came late (debuginfod): a location's
			 * frames change, more or fewer of them */
			if (p->nlocations) {
				struct prof_line l[3];
				size_t n = 1 + rnd(3);

				for (size_t i = 0; i < n; i++) {
					l[i].function = random_function(p);
					l[i].file = "u.c";
					l[i].line = (int)rnd(5);
				}
				profile_relabel_location(p, rnd((uint32_t)p->nlocations), l, n);
			}
		} else {
			cur_op = "new functions";
			for (uint32_t i = rnd(4); i > 0; i--) {
				uint32_t fn = new_function(p);

				/* counted, never sampled: a row all the same */
				if (rnd(2) && p->functions[fn].calls < 0)
					p->functions[fn].calls = rnd(2) ? 0 : 1 + (int64_t)rnd(9);
			}
		}
		compare_all(p, &f, sort, reverse);
		/* the views ask twice between appends too */
		if (rnd(4) == 0)
			compare_all(p, &f, sort, reverse);
	}
	CHECK(folds > 0 && past > 0, "%u folds, %u past what was read: not tried", folds, past);
	profile_free(p);
}

static void test_random_sequences(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 12; seed++)
		run(seed, 150);
}

/* The time range of "last N seconds" moves on every refresh: the live
 * tables take back the records that left it (in time order, though the
 * log is not quite) and must still equal the from-scratch tables. */
static void test_moving_window(void **state)
{
	struct profile *p = profile_new();
	struct query_filter f = {0};

	(void)state;
	rng = 42;
	cur_seed = 42;
	cur_op = "window";
	now_ns = 0;
	profile_intern_module(p, "/bin/prog", NULL);
	profile_set_thread(p, 1, 10, "one");
	for (cur_step = 0; cur_step < 80; cur_step++) {
		size_t k = 1 + rnd(50);

		append(p, k);
		/* new records out of time order, as several CPUs' rings give them */
		if (k > 8) {
			struct prof_sample tmp = p->samples[p->nsamples - 1];

			p->samples[p->nsamples - 1] = p->samples[p->nsamples - 8];
			p->samples[p->nsamples - 8] = tmp;
		}
		f.t_from = now_ns > 100 ? now_ns - 100 : 1;
		f.wall = rnd(2);
		compare_all(p, &f, SORT_TOTTIME, false);
	}
	profile_free(p);
}

/* The table after appends is the live aggregate's, not a stale one: a
 * function that gets all the new time moves to the top. */
static void test_order_follows_new_samples(void **state)
{
	struct profile *p = profile_new();
	uint32_t a = profile_intern_function(p, "a", NULL, "t.c", 1, 0);
	uint32_t b = profile_intern_function(p, "b", NULL, "t.c", 1, 0);
	struct prof_line la = {a, "t.c", 1}, lb = {b, "t.c", 2};
	uint32_t sa, sb;
	struct func_table t;

	(void)state;
	sa = profile_intern_location(p, 0, 0x10, &la, 1);
	sb = profile_intern_location(p, 0, 0x20, &lb, 1);
	sa = profile_intern_stack(p, &sa, 1);
	sb = profile_intern_stack(p, &sb, 1);
	for (int i = 0; i < 3; i++)
		profile_add_sample(p, (uint64_t)i, 1, sa, 10, 0);
	query_functions_live(p, NULL, SORT_TOTTIME, false, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.rows[0].function, a);
	func_table_free(&t);
	for (int i = 0; i < 5; i++)
		profile_add_sample(p, 10 + (uint64_t)i, 1, sb, 10, 0);
	query_functions_live(p, NULL, SORT_TOTTIME, false, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.rows[0].function, b);
	assert_int_equal(t.rows[0].self_ns, 50);
	assert_int_equal(t.rows[1].self_ns, 30);
	assert_int_equal(t.total_samples, 8);
	func_table_free(&t);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences),
		cmocka_unit_test(test_moving_window),
		cmocka_unit_test(test_order_follows_new_samples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
