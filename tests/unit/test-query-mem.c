#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile.h"
#include "query.h"

/* The memory measures over hand-made records: main -> parse -> malloc'd
 * blocks, main -> load (a leak), main -> touch (page faults), with times,
 * frees and an RSS timeline chosen so that every column is known. */

struct fixture {
	struct profile *p;
	uint32_t f_main, f_parse, f_load, f_touch, f_helper;
	uint32_t s_parse, s_helper, s_load, s_touch;
};

static uint32_t loc(struct profile *p, uint32_t f, int line)
{
	struct prof_line l = {f, "m.c", line};

	return profile_intern_location(p, 0, 0x1000 + p->nlocations, &l, 1);
}

static void alloc(struct profile *p, uint32_t stack, int32_t tid, uint64_t t, uint64_t bytes,
		  uint32_t allocs, uint64_t freed, uint32_t kind)
{
	struct prof_alloc a = {.time = t, .free_time = PROF_ALLOC_LIVE, .size = bytes,
			       .bytes = bytes, .allocs = allocs, .stack = stack, .tid = tid,
			       .kind = kind};
	size_t i = profile_add_alloc(p, &a);

	if (freed != PROF_ALLOC_LIVE)
		profile_alloc_freed(p, i, freed);
}

static void build(struct fixture *x)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/prog", NULL);
	uint32_t l_main, l_parse, l_parse2, l_helper, l_load, l_touch;

	x->p = p;
	x->f_main = profile_intern_function(p, "main", NULL, "m.c", 1, m);
	x->f_parse = profile_intern_function(p, "parse", NULL, "m.c", 10, m);
	x->f_load = profile_intern_function(p, "load", NULL, "m.c", 20, m);
	x->f_touch = profile_intern_function(p, "touch", NULL, "m.c", 30, m);
	x->f_helper = profile_intern_function(p, "helper", NULL, "m.c", 40, m);
	l_main = loc(p, x->f_main, 5);
	l_parse = loc(p, x->f_parse, 12);
	l_parse2 = loc(p, x->f_parse, 14);
	l_helper = loc(p, x->f_helper, 41);
	l_load = loc(p, x->f_load, 22);
	l_touch = loc(p, x->f_touch, 33);
	x->s_parse = profile_intern_stack(p, (uint32_t[]){l_parse, l_main}, 2);
	x->s_helper = profile_intern_stack(p, (uint32_t[]){l_helper, l_parse2, l_main}, 3);
	x->s_load = profile_intern_stack(p, (uint32_t[]){l_load, l_main}, 2);
	x->s_touch = profile_intern_stack(p, (uint32_t[]){l_touch, l_main}, 2);
	profile_set_thread(p, 1, 1, "prog");
	profile_set_thread(p, 2, 1, "worker");
	/* RSS: rises to its peak at t=50, then falls */
	profile_add_memory(p, 0, 0, 1000, 2000);
	profile_add_memory(p, 50, 0, 9000, 20000);
	profile_add_memory(p, 100, 0, 3000, 20000);
	/* parse: 100 bytes at 10 (freed at 60), 200 at 20 (freed at 40) */
	alloc(p, x->s_parse, 1, 10, 100, 1, 60, PROF_ALLOC_HEAP);
	alloc(p, x->s_parse, 1, 20, 200, 2, 40, PROF_ALLOC_HEAP);
	/* helper under parse (line 14): 1000 bytes at 30 on thread 2, live */
	alloc(p, x->s_helper, 2, 30, 1000, 10, PROF_ALLOC_LIVE, PROF_ALLOC_MMAP);
	/* load: 50 bytes at 70, never freed */
	alloc(p, x->s_load, 1, 70, 50, 1, PROF_ALLOC_LIVE, PROF_ALLOC_HEAP);
	/* touch: 4096 bytes faulted at 45 */
	alloc(p, x->s_touch, 1, 45, 4096, 1, PROF_ALLOC_LIVE, PROF_ALLOC_FAULT);
}

static const struct mem_row *row(const struct mem_table *t, uint32_t fn)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->rows[i].function == fn)
			return &t->rows[i];
	return NULL;
}

static void test_table(void **state)
{
	struct fixture x;
	struct mem_table t;
	const struct mem_row *r;

	(void)state;
	build(&x);
	x.p->meta.ended = true;
	query_mem_table(x.p, NULL, MEM_SORT_ALLOCATED, false, &t);
	assert_true(t.peak_known);
	assert_int_equal(t.peak_time, 50);
	assert_int_equal(t.total.allocated_bytes, 1350);
	assert_int_equal(t.total.allocations, 14);
	assert_int_equal(t.total.live_bytes, 1050);
	/* live at 50: parse's 100 (10..60) and helper's 1000 */
	assert_int_equal(t.total.peak_bytes, 1100);
	assert_int_equal(t.total.leaked_bytes, 1050);
	assert_int_equal(t.total.faulted_bytes, 4096);
	assert_int_equal(t.total.self_allocated_bytes, 1350);
	/* sorted by allocated: main, parse, helper, load, touch */
	assert_int_equal(t.n, 5);
	assert_int_equal(t.rows[0].function, x.f_main);
	assert_int_equal(t.rows[1].function, x.f_parse);
	assert_int_equal(t.rows[2].function, x.f_helper);
	assert_int_equal(t.rows[3].function, x.f_load);
	assert_int_equal(t.rows[4].function, x.f_touch);
	r = row(&t, x.f_parse);
	assert_int_equal(r->allocated_bytes, 1300);
	assert_int_equal(r->self_allocated_bytes, 300);
	assert_int_equal(r->allocations, 13);
	assert_int_equal(r->live_bytes, 1000);
	assert_int_equal(r->peak_bytes, 1100);
	assert_int_equal(r->leaked_bytes, 1000);
	assert_int_equal(r->faulted_bytes, 0);
	r = row(&t, x.f_main);
	assert_int_equal(r->self_allocated_bytes, 0);
	assert_int_equal(r->faulted_bytes, 4096);
	assert_int_equal(r->records, 5);
	r = row(&t, x.f_touch);
	assert_int_equal(r->allocated_bytes, 0);
	assert_int_equal(r->faulted_bytes, 4096);
	mem_table_free(&t);

	/* sorted by faulted, reversed, by name */
	query_mem_table(x.p, NULL, MEM_SORT_FAULTED, false, &t);
	assert_int_equal(t.rows[0].function, x.f_main);
	assert_int_equal(t.rows[1].function, x.f_touch);
	mem_table_free(&t);
	query_mem_table(x.p, NULL, MEM_SORT_NAME, false, &t);
	assert_int_equal(t.rows[0].function, x.f_helper);
	assert_int_equal(t.rows[4].function, x.f_touch);
	mem_table_free(&t);
	query_mem_table(x.p, NULL, MEM_SORT_ALLOCATED, true, &t);
	assert_int_equal(t.rows[0].function, x.f_touch);
	assert_int_equal(t.rows[4].function, x.f_main);
	mem_table_free(&t);

	/* not ended: nothing is leaked yet */
	x.p->meta.ended = false;
	query_mem_table(x.p, NULL, MEM_SORT_LEAKED, false, &t);
	assert_false(t.ended);
	assert_int_equal(t.total.leaked_bytes, 0);
	assert_int_equal(t.total.live_bytes, 1050);
	mem_table_free(&t);
	profile_free(x.p);
}

static void test_range_and_threads(void **state)
{
	struct fixture x;
	struct query_filter f = {0};
	struct mem_table t;

	(void)state;
	build(&x);
	/* [15, 65): parse's second block (20), helper (30), touch (45);
	 * live at 65: helper only (parse's freed at 40); the peak in range
	 * is at 50 */
	f.t_from = 15;
	f.t_to = 65;
	query_mem_table(x.p, &f, MEM_SORT_ALLOCATED, false, &t);
	assert_int_equal(t.total.allocated_bytes, 1200);
	assert_int_equal(t.total.live_bytes, 1000);
	assert_int_equal(t.peak_time, 50);
	assert_int_equal(t.total.peak_bytes, 1000);
	assert_int_equal(t.total.faulted_bytes, 4096);
	assert_null(row(&t, x.f_load));
	mem_table_free(&t);
	/* live at the range's end: a block freed at the end is still live */
	f.t_from = 0;
	f.t_to = 60;
	query_mem_table(x.p, &f, MEM_SORT_ALLOCATED, false, &t);
	assert_int_equal(t.total.live_bytes, 1100);
	mem_table_free(&t);
	/* a range after the timeline: no peak */
	f.t_from = 101;
	f.t_to = 0;
	query_mem_table(x.p, &f, MEM_SORT_ALLOCATED, false, &t);
	assert_false(t.peak_known);
	assert_int_equal(t.n, 0);
	mem_table_free(&t);
	/* thread 2 alone */
	memset(&f, 0, sizeof(f));
	f.tid = 2;
	query_mem_table(x.p, &f, MEM_SORT_ALLOCATED, false, &t);
	assert_int_equal(t.total.allocated_bytes, 1000);
	assert_int_equal(t.n, 3);
	mem_table_free(&t);
	profile_free(x.p);
}

/* The time tables answer the memory measures through the same queries. */
static void test_measures_through_queries(void **state)
{
	struct fixture x;
	struct query_filter f = {0};
	struct func_table t;
	struct line_table lt;
	struct call_tree ct;

	(void)state;
	build(&x);
	x.p->meta.ended = true;
	/* a CPU sample must not count in a memory measure, nor records in time */
	profile_add_sample(x.p, 5, 1, x.s_parse, 1000000, 0);
	f.measure = MEASURE_ALLOC_BYTES;
	query_functions(x.p, &f, SORT_TOTTIME, false, &t);
	assert_int_equal(t.total_ns, 1350);
	assert_int_equal(t.rows[0].function, x.f_helper);
	assert_int_equal(t.rows[0].self_ns, 1000);
	func_table_free(&t);
	query_functions_live(x.p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.rows[0].function, x.f_main);
	assert_int_equal(t.rows[0].total_ns, 1350);
	func_table_free(&t);
	f.measure = MEASURE_TIME;
	query_functions(x.p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.total_ns, 1000000);
	func_table_free(&t);

	f.measure = MEASURE_LEAKED_BYTES;
	query_callees(x.p, &f, x.f_main, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.rows[0].function, x.f_parse);
	assert_int_equal(t.rows[0].total_ns, 1000);
	assert_int_equal(t.rows[1].function, x.f_load);
	assert_int_equal(t.rows[1].total_ns, 50);
	func_table_free(&t);

	f.measure = MEASURE_ALLOC_BYTES;
	query_lines(x.p, &f, x.f_parse, &lt);
	assert_int_equal(lt.n, 2);
	assert_int_equal(lt.rows[0].line, 12);
	assert_int_equal(lt.rows[0].self_ns, 300);
	assert_int_equal(lt.rows[1].line, 14);
	assert_int_equal(lt.rows[1].total_ns, 1000);
	assert_int_equal(lt.rows[1].self_ns, 0);
	line_table_free(&lt);

	f.measure = MEASURE_PEAK_BYTES;
	f.at = 50;
	query_call_tree_live(x.p, &f, &ct);
	assert_int_equal(ct.total_ns, 1100);
	call_tree_free(&ct);

	f.measure = MEASURE_FAULT_BYTES;
	query_functions(x.p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.total_ns, 4096);
	assert_int_equal(t.n, 2);
	func_table_free(&t);
	f.measure = MEASURE_ALLOCS;
	query_functions(x.p, &f, SORT_CUMULATIVE, false, &t);
	assert_int_equal(t.total_ns, 14);
	func_table_free(&t);
	profile_free(x.p);
}

static void test_parse_sort(void **state)
{
	enum mem_sort s;

	(void)state;
	assert_int_equal(query_parse_mem_sort("LIVE", &s), 0);
	assert_int_equal(s, MEM_SORT_LIVE);
	assert_int_equal(query_parse_mem_sort("rss", &s), 0);
	assert_int_equal(s, MEM_SORT_FAULTED);
	assert_int_equal(query_parse_mem_sort("leak", &s), 0);
	assert_string_equal(query_mem_sort_name(s), "leaked");
	assert_int_equal(query_parse_mem_sort("cumtime", &s), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_range_and_threads),
		cmocka_unit_test(test_measures_through_queries),
		cmocka_unit_test(test_parse_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
