/* Comparing a profile with a baseline: matching, deltas, order, flags, and
 * the report's rendering of them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "diff.h"
#include "profile.h"
#include "query.h"
#include "report.h"

#define MS 1000000ull

/* A profile of the program `command` whose functions (all called from main)
 * take the given numbers of 10 ms samples. "helper" is two functions of the
 * same name (static in two files): they count as one. */
struct spec {
	const char *name;
	int samples;
};

static struct profile *build(const char *command, const char *module, const struct spec *s,
			     size_t n)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, module, NULL);
	uint32_t libc = profile_intern_module(p, "/lib/libc.so.6", NULL);
	uint32_t fmain = profile_intern_function(p, "main", NULL, "m.c", 1, m);
	uint32_t lmain =
		profile_intern_location(p, m, 0x10, &(struct prof_line){fmain, "m.c", 2}, 1);
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++) {
		bool lib = !strcmp(s[i].name, "memcpy");
		/* the second "helper" lives in another file */
		const char *file = !strcmp(s[i].name, "helper") && i % 2 ? "b.c" : "a.c";
		uint32_t f = profile_intern_function(p, s[i].name, NULL, file, 10, lib ? libc : m);
		uint32_t l = profile_intern_location(p, lib ? libc : m, 0x100 + i * 16,
						     &(struct prof_line){f, file, 11}, 1);
		uint32_t st = profile_intern_stack(p, (uint32_t[]){l, lmain}, 2);

		for (int k = 0; k < s[i].samples; k++, t += 10 * MS)
			profile_add_sample(p, t, 1, st, 10 * MS, 0);
	}
	p->meta.command = profile_str(p, command);
	p->meta.duration_ns = t;
	return p;
}

struct fixture {
	struct profile *cur, *base;
	struct diff_table t;
};

/* base: hot 50, cold 30, gone 10, helper 5+5       (100 samples)
 * cur:  hot 150, cold 30, fresh 10, helper 8+2, memcpy 0 -> 200 samples */
static int setup(void **state)
{
	static const struct spec base[] = {
		{"hot", 50},   {"cold", 30},  {"gone", 10},
		{"helper", 5}, {"helper", 5}, {"memcpy", 0},
	};
	static const struct spec cur[] = {
		{"hot", 150}, {"cold", 30}, {"fresh", 10}, {"helper", 8}, {"helper", 2},
	};
	struct fixture *fx = calloc(1, sizeof(*fx));

	fx->base = build("./prog-old 1", "/b/prog-old", base, sizeof(base) / sizeof(*base));
	fx->cur = build("/x/prog-new", "/x/prog-new", cur, sizeof(cur) / sizeof(*cur));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	diff_table_free(&fx->t);
	profile_free(fx->cur);
	profile_free(fx->base);
	free(fx);
	return 0;
}

static const char *row_name(const struct diff_row *d)
{
	return d->prof->functions[d->row.function].name;
}

static const struct diff_row *find(const struct diff_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(row_name(&t->rows[i]), name))
			return &t->rows[i];
	fail_msg("expected a row for %s", name);
	return NULL;
}

static void assert_near(double seen, double expected, const char *what)
{
	if (seen < expected - 0.01 || seen > expected + 0.01)
		fail_msg("%s: expected %.2f, saw %.2f", what, expected, seen);
}

static void assert_order(const struct diff_table *t, const char *const *names, size_t n)
{
	char seen[256] = "", expected[256] = "";

	for (size_t i = 0; i < t->n; i++)
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s ",
			 row_name(&t->rows[i]));
	for (size_t i = 0; i < n; i++)
		snprintf(expected + strlen(expected), sizeof(expected) - strlen(expected), "%s ",
			 names[i]);
	if (strcmp(seen, expected))
		fail_msg("expected the order [%s], saw [%s]", expected, seen);
}

static void test_deltas(void **state)
{
	struct fixture *fx = *state;
	struct query_filter all = {0};
	struct diff_opts o = {
		.sort = SORT_CUMULATIVE, .by_delta = true, .flag = true, .threshold = 4};
	const struct diff_row *d;

	diff_functions(fx->cur, fx->base, &all, &o, &fx->t);
	/* main is matched although the program was renamed (its own module). */
	assert_int_equal(fx->t.n, 6); /* main hot cold helper gone fresh */
	d = find(&fx->t, "hot");
	assert_true(d->prof == fx->cur);
	assert_near(d->row.self_pct, 75, "hot %self");
	assert_near(d->base.self_pct, 50, "hot baseline %self");
	assert_near(d->d_self_pct, 25, "hot delta %self");
	assert_near(d->d_total_pct, 25, "hot delta %total");
	assert_near(d->d_tottime, 1.0, "hot delta tottime (1.5 s - 0.5 s)");
	assert_true(d->regression);
	d = find(&fx->t, "cold");
	assert_near(d->d_self_pct, 15 - 30, "cold delta %self");
	assert_near(d->d_tottime, 0, "cold delta tottime");
	assert_false(d->regression);
	d = find(&fx->t, "fresh");
	assert_near(d->d_self_pct, 5, "fresh delta %self");
	assert_true(d->base.function == PROF_NONE);
	assert_true(d->regression);
	d = find(&fx->t, "gone");
	assert_true(d->prof == fx->base);
	assert_int_equal(d->row.self_samples, 0);
	assert_int_equal(d->row.calls, -1);
	assert_near(d->d_self_pct, -10, "gone delta %self");
	/* the two helpers are one row: 10 of 200 now, 10 of 100 before */
	d = find(&fx->t, "helper");
	assert_int_equal(d->row.self_samples, 10);
	assert_int_equal(d->base.self_samples, 10);
	assert_near(d->d_self_pct, -5, "helper delta %self");
	d = find(&fx->t, "main");
	assert_near(d->d_total_pct, 0, "main delta %total");
	assert_int_equal(fx->t.regressions, 2);
	assert_order(&fx->t,
		     (const char *const[]){"hot", "fresh", "main", "helper", "gone", "cold"}, 6);
}

static void test_orders(void **state)
{
	struct fixture *fx = *state;
	struct query_filter all = {0};
	struct diff_opts o = {.sort = SORT_TOTTIME};

	diff_functions(fx->cur, fx->base, &all, &o, &fx->t);
	assert_int_equal(fx->t.regressions, 0); /* no --threshold: nothing flagged */
	assert_order(&fx->t,
		     (const char *const[]){"hot", "cold", "fresh", "helper", "gone", "main"}, 6);
	diff_table_free(&fx->t);
	o.reverse = true;
	o.by_delta = true;
	diff_functions(fx->cur, fx->base, &all, &o, &fx->t);
	assert_order(&fx->t,
		     (const char *const[]){"cold", "gone", "helper", "main", "fresh", "hot"}, 6);
}

static char *render(struct fixture *fx, enum report_format format)
{
	struct query_filter all = {0};
	struct diff_opts d = {
		.sort = SORT_CUMULATIVE, .by_delta = true, .flag = true, .threshold = 4};
	struct report_opts o = {.sort = SORT_CUMULATIVE, .limit = 20, .format = format};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	diff_table_free(&fx->t);
	diff_functions(fx->cur, fx->base, &all, &d, &fx->t);
	o.diff = &fx->t;
	assert_int_equal(report_write(f, fx->cur, &o), 0);
	fclose(f);
	return out;
}

static void assert_contains(const char *haystack, const char *needle)
{
	assert_non_null(haystack);
	if (!strstr(haystack, needle))
		fail_msg("expected to find\n  [%s]\nin:\n%s", needle, haystack);
}

static void test_report(void **state)
{
	struct fixture *fx = *state;
	char *out = render(fx, REPORT_TEXT);

	assert_contains(out, "\nCompared with: ./prog-old 1 (100 samples, 1.0 s CPU)\n"
			     "2 regressions: %self up by more than 4.0 points (marked !)\n\n"
			     "Ordered by: largest regression (\xce\x94%self)\n\n"
			     "  \xce\x94%self \xce\x94%total  \xce\x94tottime     ncalls  tottime");
	assert_contains(
		out, "\n!  +25.0   +25.0    +1.000          -    1.500        -    1.500        -"
		     "   75.0%   75.0%  hot (a.c:10) [prog-new]\n");
	assert_contains(
		out, "\n   -10.0   -10.0    -0.100          -    0.000        -    0.000        -"
		     "    0.0%    0.0%  gone (a.c:10) [prog-old]\n");
	free(out);
	out = render(fx, REPORT_CSV);
	assert_contains(out,
			"function,module,file,line,self_samples,total_samples,self_pct,total_pct,"
			"tottime,cumtime,calls,inlined,delta_self_pct,delta_total_pct,delta_tottime,"
			"base_self_pct,base_total_pct,base_tottime,regression\n"
			"hot,prog-new,a.c,10,150,150,75.00,75.00,1.500000,1.500000,,0,25.00,25.00,"
			"1.000000,50.00,50.00,0.500000,1\n");
	free(out);
	out = render(fx, REPORT_JSON);
	assert_contains(out, ",\"baseline\":{\"command\":\"./prog-old 1\",\"samples\":100,"
			     "\"cpu_s\":1.000000,\"sort_delta\":true,\"threshold\":4.00,"
			     "\"regressions\":2},\"functions_total\":6,\"functions\":[\n"
			     "{\"function\":\"hot\"");
	assert_contains(out, "\"delta_self_pct\":25.00,\"delta_total_pct\":25.00,"
			     "\"delta_tottime\":1.000000,\"base_self_pct\":50.00,"
			     "\"base_total_pct\":50.00,\"base_tottime\":0.500000,"
			     "\"regression\":true}");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
