#include "config.h"

#include <math.h>
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
#include "report-memory.h"
#include "report.h"

/* report --memory over hand-made memory records:
 *   main -> parse:   100 B at t=10 (freed at 60), 200 B at 20 (freed at 40)
 *   main -> parse:14 -> helper: 1000 B at 30 (mmap, live), 10 allocations
 *   main -> load:    50 B at 70, never freed
 *   main -> touch:   4096 B of page faults at 45
 * RSS 1000 -> 9000 (the peak, at 50) -> 3000; the target ended. So per
 * function (allocated, self, allocations, live, peak, leaked, faulted):
 *   main   1350    0 14 1050 1100 1050 4096
 *   parse  1300  300 13 1000 1100 1000    0
 *   helper 1000 1000 10 1000 1000 1000    0
 *   load     50   50  1   50    0   50    0
 *   touch     0    0  0    0    0    0 4096 */

struct fixture {
	struct profile *p;
	uint32_t f_main, f_parse, f_load, f_touch, f_helper;
	uint32_t s_parse, s_helper, s_load, s_touch;
	char *out;
	size_t len;
};

static uint32_t loc(struct profile *p, uint32_t f, int line)
{
	struct prof_line l = {f, "/nonexistent/m.c", line};

	return profile_intern_location(p, 0, 0x1000 + p->nlocations, &l, 1);
}

static void alloc(struct profile *p, uint32_t stack, uint64_t t, uint64_t bytes, uint32_t allocs,
		  uint64_t freed, uint32_t kind)
{
	struct prof_alloc a = {.time = t, .free_time = PROF_ALLOC_LIVE, .size = bytes,
			       .bytes = bytes, .allocs = allocs, .stack = stack, .tid = 1,
			       .kind = kind};
	size_t i = profile_add_alloc(p, &a);

	if (freed != PROF_ALLOC_LIVE)
		profile_alloc_freed(p, i, freed);
}

static struct profile *build(struct fixture *x, uint64_t scale)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/prog", NULL);
	uint32_t l_main;

	x->f_main = profile_intern_function(p, "main", NULL, "/nonexistent/m.c", 1, m);
	x->f_parse = profile_intern_function(p, "parse", NULL, "/nonexistent/m.c", 10, m);
	x->f_load = profile_intern_function(p, "load", NULL, "/nonexistent/m.c", 20, m);
	x->f_touch = profile_intern_function(p, "touch", NULL, "/nonexistent/m.c", 30, m);
	x->f_helper = profile_intern_function(p, "helper", NULL, "/nonexistent/m.c", 40, m);
	l_main = loc(p, x->f_main, 5);
	x->s_parse = profile_intern_stack(p, (uint32_t[]){loc(p, x->f_parse, 12), l_main}, 2);
	x->s_helper = profile_intern_stack(
		p, (uint32_t[]){loc(p, x->f_helper, 41), loc(p, x->f_parse, 14), l_main}, 3);
	x->s_load = profile_intern_stack(p, (uint32_t[]){loc(p, x->f_load, 22), l_main}, 2);
	x->s_touch = profile_intern_stack(p, (uint32_t[]){loc(p, x->f_touch, 33), l_main}, 2);
	profile_set_thread(p, 1, 1, "prog");
	profile_add_memory(p, 0, 0, 1000, 2000);
	profile_add_memory(p, 50, 0, 9000, 20000);
	profile_add_memory(p, 100, 0, 3000, 20000);
	alloc(p, x->s_parse, 10, 100 * scale, 1, 60, PROF_ALLOC_HEAP);
	alloc(p, x->s_parse, 20, 200 * scale, 2, 40, PROF_ALLOC_HEAP);
	alloc(p, x->s_helper, 30, 1000, 10, PROF_ALLOC_LIVE, PROF_ALLOC_MMAP);
	alloc(p, x->s_load, 70, 50, 1, PROF_ALLOC_LIVE, PROF_ALLOC_HEAP);
	alloc(p, x->s_touch, 45, 4096, 1, PROF_ALLOC_LIVE, PROF_ALLOC_FAULT);
	p->meta.command = profile_str(p, "/bin/prog");
	p->meta.pid = 1;
	p->meta.ended = true;
	p->meta.exited = true;
	p->meta.alloc_sample = 65536;
	p->meta.fault_period = 1;
	return p;
}

static int setup(void **state)
{
	struct fixture *x = calloc(1, sizeof(*x));

	x->p = build(x, 1);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *x = *state;

	profile_free(x->p);
	free(x->out);
	free(x);
	return 0;
}

static struct report_opts opts(enum report_format format)
{
	return (struct report_opts){.sort = SORT_CUMULATIVE, .limit = 20, .format = format,
				    .memory = true};
}

static int render(struct fixture *x, const struct report_opts *o)
{
	FILE *mem;
	int rc;

	free(x->out);
	mem = open_memstream(&x->out, &x->len);
	assert_non_null(mem);
	rc = report_write(mem, x->p, o);
	fclose(mem);
	return rc;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle)) {
		fprintf(stderr, "expected to find\n  [%s]\nin:\n%s\n", needle, haystack);
		fail();
	}
}

static void assert_lacks(const char *haystack, const char *needle)
{
	if (strstr(haystack, needle)) {
		fprintf(stderr, "expected no\n  [%s]\nin:\n%s\n", needle, haystack);
		fail();
	}
}

static void assert_text(const char *seen, const char *expected)
{
	if (strcmp(seen, expected)) {
		fprintf(stderr, "expected:\n%s\nsaw:\n%s\n", expected, seen);
		fail();
	}
}

/* ---- the memory table ---- */

static void test_csv(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_CSV);

	assert_int_equal(render(x, &o), 0);
	assert_text(x->out, "function,module,allocated_bytes,self_allocated_bytes,allocations,"
			    "live_bytes,peak_bytes,leaked_bytes,faulted_bytes\n"
			    "main,prog,1350,0,14,1050,1100,1050,4096\n"
			    "parse,prog,1300,300,13,1000,1100,1000,0\n"
			    "helper,prog,1000,1000,10,1000,1000,1000,0\n"
			    "load,prog,50,50,1,50,0,50,0\n"
			    "touch,prog,0,0,0,0,0,0,4096\n"
			    "\n"
			    "metric,start,peak,end,growth\n"
			    "rss,1000,9000,3000,2000\n"
			    "vms,2000,20000,20000,18000\n");
}

static void test_csv_sort_limit(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_CSV);

	o.mem_sort = MEM_SORT_FAULTED;
	o.mem_sort_set = true;
	o.limit = 2;
	assert_int_equal(render(x, &o), 0);
	/* faulted first, ties by allocated bytes */
	assert_contains(x->out, "faulted_bytes\n"
				"main,prog,1350,0,14,1050,1100,1050,4096\n"
				"touch,prog,0,0,0,0,0,0,4096\n\n");
	o.mem_sort = MEM_SORT_SELF;
	o.limit = 0;
	o.reverse = true;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "faulted_bytes\n"
				"touch,prog,0,0,0,0,0,0,4096\n"
				"main,prog,1350,0,14,1050,1100,1050,4096\n"
				"load,prog,50,50,1,50,0,50,0\n"
				"parse,prog,1300,300,13,1000,1100,1000,0\n"
				"helper,prog,1000,1000,10,1000,1000,1000,0\n\n");
}

/* While the target runs, leaked bytes are unknown: empty, null, "-". */
static void test_not_ended(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_CSV);

	x->p->meta.ended = false;
	x->p->meta.exited = false;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "\nload,prog,50,50,1,50,0,,0\n");
	o.format = REPORT_JSON;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "\"function\":\"load\",\"module\":\"prog\",\"allocated_bytes\":50,"
				"\"self_allocated_bytes\":50,\"allocations\":1,\"live_bytes\":50,"
				"\"peak_bytes\":0,\"leaked_bytes\":null,\"faulted_bytes\":0,"
				"\"records\":1,\"file\":\"/nonexistent/m.c\",\"line\":20}");
	o.format = REPORT_TEXT;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "      50 B       50 B          1       50 B        0 B          - "
				"       0 B  load (m.c:20) [prog]\n");
}

/* Page faults only (an attached target): the table sorts by faulted bytes. */
static void test_faults_only(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_CSV);
	size_t k = 0;

	for (size_t i = 0; i < x->p->nallocs; i++)
		if (x->p->allocs[i].kind == PROF_ALLOC_FAULT)
			x->p->allocs[k++] = x->p->allocs[i];
	x->p->nallocs = k;
	x->p->meta.alloc_sample = 0;
	x->p->meta.alloc_note = "allocations are tracked for launched programs only";
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "faulted_bytes\n"
				"main,prog,0,0,0,0,0,0,4096\n"
				"touch,prog,0,0,0,0,0,0,4096\n\n");
	o.format = REPORT_TEXT;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "tracked: no allocations; every page fault (RSS growth)\n"
				"allocations are tracked for launched programs only\n");
	assert_contains(x->out, "ordered by faulted bytes (RSS growth):");
}

static void test_text(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_TEXT);

	x->p->meta.allocs_lost = 1234;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "\nmemory: RSS start 1000 B, peak 8.8 KiB at 0.0 s, end 2.9 KiB, "
				"growth +2.0 KiB; VMS start 2.0 KiB, peak 19.5 KiB, end 19.5 KiB\n"
				"tracked: allocations sampled every 64.0 KiB (allocation records "
				"dropped: 1,234); every page fault (RSS growth)\n"
				"\nMemory by function (columns include what it called; self: "
				"allocated by the function itself), ordered by allocated bytes:\n\n"
				" allocated       self     allocs       live       peak     leaked "
				"   faulted  function (file:line) [module]\n"
				"   1.3 KiB        0 B         14    1.0 KiB    1.1 KiB    1.0 KiB "
				"   4.0 KiB  main (m.c:1) [prog]\n"
				"   1.3 KiB      300 B         13");
	assert_contains(x->out, "    4.0 KiB  (all functions)\n");
	/* nothing recorded: a row that says so */
	x->p->nallocs = 0;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "function (file:line) [module]\n  (none)\n");
}

static void test_json(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_JSON);

	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, ",\"memory_tracking\":{\"alloc_sample\":65536,\"fault_period\":1,"
				"\"allocs_lost\":0,\"note\":null,\"ended\":true,"
				"\"peak_time_s\":0.000,\"sort\":\"allocated\",\"reverse\":false}");
	assert_contains(x->out, ",\"memory_functions_total\":5,\"memory_functions\":[\n"
				"{\"function\":\"main\",\"module\":\"prog\",\"allocated_bytes\":1350,"
				"\"self_allocated_bytes\":0,\"allocations\":14,\"live_bytes\":1050,"
				"\"peak_bytes\":1100,\"leaked_bytes\":1050,\"faulted_bytes\":4096,"
				"\"records\":5,\"file\":\"/nonexistent/m.c\",\"line\":1},\n");
	assert_contains(x->out, "\"memory_total\":{\"function\":\"\",\"module\":null,"
				"\"allocated_bytes\":1350,");
	assert_true(x->out[x->len - 2] == '}');
}

/* ---- the function views in bytes ---- */

static void test_callers_bytes(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_CSV);

	o.callers_func = "helper";
	o.callees_func = "parse";
	assert_int_equal(render(x, &o), 0);
	/* CSV: the callers/callees table alone, in bytes (no memory table) */
	assert_text(x->out, "relation,function,module,self_allocated_bytes,total_allocated_bytes,"
			    "self_pct,total_pct,records\n"
			    "function,helper,prog,1000,1000,74.07,74.07,1\n"
			    "caller,parse,prog,1000,1000,74.07,74.07,1\n"
			    "function,parse,prog,300,1300,22.22,96.30,3\n"
			    "callee,helper,prog,1000,1000,74.07,74.07,1\n");
	/* sorted by faulted bytes: the views count faulted bytes */
	o.callers_func = "touch";
	o.callees_func = NULL;
	o.mem_sort = MEM_SORT_FAULTED;
	o.mem_sort_set = true;
	o.format = REPORT_TEXT;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "\nCallers of touch (faulted bytes (RSS growth)):\n"
				"      self      total   %self  %total  function (file:line) "
				"[module]\n"
				"   4.0 KiB    4.0 KiB  100.0%  100.0%  main (m.c:1) [prog]\n");
}

static void test_lines_bytes(void **state)
{
	struct fixture *x = *state;
	struct report_opts o = opts(REPORT_CSV);

	o.lines_func = "parse";
	assert_int_equal(render(x, &o), 0);
	/* line 12 allocates 300 B itself; line 14 calls helper (1000 B) */
	assert_text(x->out, "file,line,self_samples,total_samples,self_pct,total_pct,source,"
			    "self_allocated_bytes,total_allocated_bytes\n"
			    "/nonexistent/m.c,12,2,2,23.08,23.08,,300,300\n"
			    "/nonexistent/m.c,14,0,1,0.00,76.92,,0,1000\n");
	o.format = REPORT_TEXT;
	assert_int_equal(render(x, &o), 0);
	assert_contains(x->out, "Source lines of parse (m.c:10) [prog], allocated bytes: 1.3 KiB "
				"total, 300 B self; %total is of the function's total\n");
	assert_contains(x->out, "       self      total  %total   line  source\n"
				"*     300 B      300 B   23.1%     12\n"
				"        0 B     1000 B   76.9%     14  -> helper\n");
	assert_lacks(x->out, "tottime");
}

/* ---- the comparison with a baseline ---- */

static void test_diff(void **state)
{
	struct fixture *x = *state, y;
	struct profile *grown = build(&y, 2); /* parse allocates twice as much */
	struct report_opts o = opts(REPORT_CSV);
	struct mem_diff d;
	FILE *mem;

	mem_diff_compute(grown, x->p, NULL, false, true, 10, &d);
	assert_false(d.faults_only);
	assert_int_equal(d.cur_total.allocated_bytes, 1650);
	assert_int_equal(d.base_total.allocated_bytes, 1350);
	assert_int_equal(d.n, 5);
	/* largest growth first: main and parse (+300), flagged; then the rest */
	assert_string_equal(profile_function_name(d.rows[0].prof, d.rows[0].function), "main");
	assert_true(d.rows[0].regression);
	assert_string_equal(profile_function_name(d.rows[1].prof, d.rows[1].function), "parse");
	assert_true(d.rows[1].regression);
	assert_true(fabs(d.rows[1].pct - 300.0 * 100 / 1300) < 1e-9);
	assert_false(d.rows[2].regression);
	assert_int_equal(d.regressions, 2);

	o.mem_diff = &d;
	free(x->out);
	mem = open_memstream(&x->out, &x->len);
	assert_int_equal(report_write(mem, grown, &o), 0);
	fclose(mem);
	assert_contains(x->out,
			"function,module,base_allocated_bytes,allocated_bytes,"
			"delta_allocated_bytes,delta_allocated_pct,base_live_bytes,live_bytes,"
			"base_leaked_bytes,leaked_bytes,base_faulted_bytes,faulted_bytes,"
			"delta_faulted_bytes,delta_faulted_pct,regression\n"
			"main,prog,1350,1650,300,22.22,1050,1050,1050,1050,4096,4096,0,0.00,1\n"
			"parse,prog,1300,1600,300,23.08,1000,1000,1000,1000,0,0,0,0.00,1\n");

	o.format = REPORT_TEXT;
	free(x->out);
	mem = open_memstream(&x->out, &x->len);
	assert_int_equal(report_write(mem, grown, &o), 0);
	fclose(mem);
	assert_contains(x->out, "allocated bytes: 1.3 KiB -> 1.6 KiB (+22.2%)\n");
	assert_contains(x->out, "no test of significance");
	assert_contains(x->out, "2 regressions: allocated bytes up by more than 10% (!)\n");
	assert_contains(x->out, "!    1.3 KiB    1.6 KiB     +300 B  +23.1%");

	free(x->out);
	mem = open_memstream(&x->out, &x->len);
	assert_int_equal(report_mem_diff_markdown(mem, &d, &o), 0);
	fclose(mem);
	assert_contains(x->out, "### proftop: MEMORY REGRESSION (2 functions)\n");
	assert_contains(x->out, "| **regression** | parse | prog | 1.3 KiB | 1.6 KiB | +300 B | "
				"+23.1% | 1000 B | 1000 B |\n");
	mem_diff_free(&d);

	/* past 30%: nothing flagged */
	mem_diff_compute(grown, x->p, NULL, false, true, 30, &d);
	assert_int_equal(d.regressions, 0);
	mem_diff_free(&d);
	profile_free(grown);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_sort_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_ended, setup, teardown),
		cmocka_unit_test_setup_teardown(test_faults_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callers_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
