/* Comparing a profile with a baseline: matching, deltas, order, flags, and
 * the report's rendering of them. */
#include "config.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "diff.h"
#include "profile.h"
#include "query.h"
#include "report-diff.h"
#include "report.h"
#include "session.h"

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
	assert_int_equal(fx->t.improvements, 2); /* cold and gone */
	assert_int_equal(find(&fx->t, "cold")->verdict, DIFF_IMPROVEMENT);
	assert_int_equal(find(&fx->t, "helper")->verdict, DIFF_SAME);
	/* by own time, then cumulative: main's cumtime grew by 1 s */
	assert_order(&fx->t,
		     (const char *const[]){"hot", "fresh", "main", "cold", "helper", "gone"}, 6);
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
		     (const char *const[]){"gone", "helper", "cold", "main", "fresh", "hot"}, 6);
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

	assert_contains(out, "\nCompared with: ./prog-old 1 (100 samples, 1 run; now 1 run)\n"
			     "CPU per run: 1 s -> 2 s, +1 s (+100.0%), "
			     "\xc2\xb1" "0.34 s at 95%\n");
	assert_contains(out, "Intervals count sampling error only");
	assert_contains(out, "2 regressions, 2 improvements: a change past 4.0 points of %self, "
			     "significant at 95% (! slower, - faster)\n\n"
			     "Ordered by: largest regression (\xce\x94tottime)\n\n"
			     "   \xce\x94tottime              \xce\x94%  \xce\x94" "cumtime"
			     "              \xce\x94%     ncalls  tottime");
	/* hot: 0.5 s -> 1.5 s, sampling error sqrt(50 + 150) samples of 10 ms
	 * at the table's confidence (1 - 0.05 / 6 rows: z = 2.638) */
	assert_contains(out, "\n!    +1.000 \xc2\xb1" "0.373  +200.0%    +1.000 \xc2\xb1" "0.373  "
			     "+200.0%          -    1.500        -    1.500        -   75.0%   75.0%"
			     "  hot (a.c:10) [prog-new]\n");
	assert_contains(out, "\n-    -0.100 \xc2\xb1" "0.083  -100.0%    -0.100 \xc2\xb1" "0.083  "
			     "-100.0%          -    0.000        -    0.000        -    0.0%    0.0%"
			     "  gone (a.c:10) [prog-old]\n");
	free(out);
	out = render(fx, REPORT_CSV);
	assert_contains(out,
			"function,module,file,line,self_samples,total_samples,self_pct,total_pct,"
			"tottime,cumtime,calls,inlined,delta_self_pct,delta_total_pct,delta_tottime,"
			"base_self_pct,base_total_pct,base_tottime,regression,verdict,"
			"delta_tottime_pct,delta_tottime_half,delta_tottime_p,base_cumtime,"
			"delta_cumtime,delta_cumtime_pct,delta_cumtime_half,delta_cumtime_p,"
			"delta_self_pct_half,delta_self_pct_p,run_tottime,run_cumtime,tottime_df\n"
			"hot,prog-new,a.c,10,150,150,75.00,75.00,1.500000,1.500000,,0,25.00,25.00,"
			"1.000000,50.00,50.00,0.500000,1,regression,200.00,0.373");
	/* fresh: no baseline time, no percentage */
	assert_contains(out, "\nfresh,prog-new,a.c,10,10,10,5.00,5.00,0.100000,0.100000,,0,5.00,5.00,"
			     "0.100000,0.00,0.00,0.000000,1,regression,,");
	free(out);
	out = render(fx, REPORT_JSON);
	assert_contains(out, ",\"baseline\":{\"command\":\"./prog-old 1\",\"samples\":100,"
			     "\"cpu_s\":1.000000,\"sort_delta\":true,\"threshold\":4.00,"
			     "\"regressions\":2,\"threshold_unit\":\"points\",\"confidence\":0.9500,"
			     "\"improvements\":2,\"runs\":1,\"base_runs\":1,\"normalised\":false,"
			     "\"run_cpu\":{\"base_s\":1.000000,\"cur_s\":2.000000,"
			     "\"delta_s\":1.000000,\"delta_pct\":100.00,\"half_s\":0.339");
	assert_contains(out, "},\"functions_total\":6,\"functions\":[\n{\"function\":\"hot\"");
	assert_contains(out, "\"delta_self_pct\":25.00,\"delta_total_pct\":25.00,"
			     "\"delta_tottime\":1.000000,\"base_self_pct\":50.00,"
			     "\"base_total_pct\":50.00,\"base_tottime\":0.500000,"
			     "\"regression\":true,\"verdict\":\"regression\"");
	assert_contains(out, "\"function\":\"fresh\"");
	assert_contains(out, "\"delta_tottime_pct\":null");
	free(out);
}

/* Student's t quantiles against the printed tables (two decimals more
 * than most), and the normal distribution's. */
static void test_t_quantile(void **state)
{
	static const struct {
		double p, df, t;
	} table[] = {
		{0.975, 1, 12.7062}, {0.975, 2, 4.3027},	{0.975, 3, 3.1824},
		{0.975, 5, 2.5706},  {0.975, 10, 2.2281},	{0.975, 30, 2.0423},
		{0.95, 4, 2.1318},   {0.995, 2, 9.9248},	{0.995, 20, 2.8453},
		{0.9995, 60, 3.4602}, {0.9, 1, 3.0777},	{0.975, INFINITY, 1.9600},
		{0.995, INFINITY, 2.5758}, {0.75, 7, 0.7111},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(table) / sizeof(*table); i++) {
		double t = diff_t_quantile(table[i].p, table[i].df);

		if (fabs(t - table[i].t) > 5e-4)
			fail_msg("t quantile p=%g df=%g: expected %.4f, saw %.6f", table[i].p,
				 table[i].df, table[i].t, t);
		if (fabs(diff_t_cdf(table[i].t, table[i].df) - table[i].p) > 1e-4)
			fail_msg("t CDF at %.4f, df=%g: expected %g, saw %.6f", table[i].t,
				 table[i].df, table[i].p, diff_t_cdf(table[i].t, table[i].df));
		assert_true(fabs(diff_t_quantile(1 - table[i].p, table[i].df) + t) < 1e-9);
	}
	assert_true(isnan(diff_t_quantile(0, 3)));
	assert_true(isnan(diff_t_quantile(0.5, 0)));
}

/* A profile of runs: run k has hot[k] and cold[k] samples of 10 ms. */
static struct profile *build_runs(const char *command, const int *hot, const int *cold, size_t n)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, command, NULL);
	uint32_t fmain = profile_intern_function(p, "main", NULL, "m.c", 1, m);
	uint32_t fhot = profile_intern_function(p, "hot", NULL, "m.c", 5, m);
	uint32_t fcold = profile_intern_function(p, "cold", NULL, "m.c", 9, m);
	uint32_t lmain = profile_intern_location(p, m, 0x10, &(struct prof_line){fmain, "m.c", 2}, 1);
	uint32_t lhot = profile_intern_location(p, m, 0x20, &(struct prof_line){fhot, "m.c", 6}, 1);
	uint32_t lcold =
		profile_intern_location(p, m, 0x30, &(struct prof_line){fcold, "m.c", 10}, 1);
	uint32_t shot = profile_intern_stack(p, (uint32_t[]){lhot, lmain}, 2);
	uint32_t scold = profile_intern_stack(p, (uint32_t[]){lcold, lmain}, 2);
	uint64_t t = 0;

	for (size_t k = 0; k < n; k++) {
		struct prof_run r = {.start = t, .exited = true};

		for (int i = 0; i < hot[k]; i++, t += 10 * MS)
			profile_add_sample(p, t, 1, shot, 10 * MS, 0);
		for (int i = 0; i < cold[k]; i++, t += 10 * MS)
			profile_add_sample(p, t, 1, scold, 10 * MS, 0);
		t += 50 * MS; /* between runs */
		r.end = t;
		if (n > 1)
			profile_add_run(p, &r);
	}
	p->meta.command = profile_str(p, command);
	p->meta.duration_ns = t;
	return p;
}

static const struct diff_row *compare(struct diff_table *t, struct profile *cur,
				      struct profile *base, const char *threshold, const char *fn)
{
	struct query_filter all = {0};
	struct diff_opts o = {.sort = SORT_CUMULATIVE, .flag = true};

	assert_int_equal(diff_parse_threshold(threshold, &o.threshold, &o.unit), 0);
	diff_functions(cur, base, &all, &o, t);
	return find(t, fn);
}

/* Three runs a side: hot 30% slower is flagged; cold, unchanged, is not;
 * the same change among runs that spread widely is noise. */
static void test_runs(void **state)
{
	struct profile *base = build_runs("./old", (int[]){300, 312, 288}, (int[]){300, 300, 300}, 3);
	struct profile *cur = build_runs("./new", (int[]){390, 402, 378}, (int[]){300, 303, 297}, 3);
	struct profile *wild = build_runs("./old", (int[]){300, 450, 150}, (int[]){300, 300, 300}, 3);
	struct diff_table t;
	const struct diff_row *d;

	(void)state;
	d = compare(&t, cur, base, "10%", "hot");
	assert_int_equal(t.cur_runs, 3);
	assert_int_equal(t.base_runs, 3);
	assert_near(d->self.base, 3.0, "hot: seconds per run in the baseline");
	assert_near(d->self.cur, 3.9, "hot: seconds per run now");
	assert_near(d->self.pct, 30, "hot: percent slower");
	assert_true(isinf(d->self.df)); /* runs agree: sampling error alone */
	assert_true(d->self.significant);
	assert_int_equal(d->verdict, DIFF_REGRESSION);
	assert_int_equal(find(&t, "cold")->verdict, DIFF_SAME);
	assert_near(t.cpu.delta, 0.9, "CPU per run");
	diff_table_free(&t);
	/* the baseline's runs spread by +-50%: Welch's test with few degrees of
	 * freedom cannot tell 30% from noise */
	d = compare(&t, cur, wild, "10%", "hot");
	assert_true(d->self.df < 3);
	assert_false(d->self.significant);
	assert_int_equal(d->verdict, DIFF_SAME);
	assert_int_equal(t.regressions, 0);
	diff_table_free(&t);
	/* seconds: 0.9 s more is past 0.5 s, not past 1 s */
	assert_int_equal(compare(&t, cur, base, "0.5s", "hot")->verdict, DIFF_REGRESSION);
	diff_table_free(&t);
	assert_int_equal(compare(&t, cur, base, "1s", "hot")->verdict, DIFF_SAME);
	diff_table_free(&t);
	profile_free(base);
	profile_free(cur);
	profile_free(wild);
}

/* Lines: hot's one line got 0.9 s slower per run, flagged past 10%. */
static void test_lines(void **state)
{
	struct profile *base = build_runs("./old", (int[]){300, 312, 288}, (int[]){300, 300, 300}, 3);
	struct profile *cur = build_runs("./new", (int[]){390, 402, 378}, (int[]){300, 303, 297}, 3);
	struct query_filter all = {0};
	struct diff_opts o = {.flag = true, .threshold = 10, .unit = DIFF_PERCENT};
	uint32_t hot = PROF_NONE;
	struct diff_line_table lt;

	(void)state;
	for (uint32_t i = 0; i < cur->nfunctions; i++)
		if (!strcmp(cur->functions[i].name, "hot"))
			hot = i;
	diff_lines(cur, base, &all, hot, &o, &lt);
	assert_int_equal(lt.n, 1);
	assert_string_equal(lt.rows[0].file, "m.c");
	assert_int_equal(lt.rows[0].line, 6);
	assert_near(lt.rows[0].self.delta, 0.9, "hot's line: seconds per run slower");
	assert_true(lt.rows[0].self.significant && lt.rows[0].self.over);
	diff_line_table_free(&lt);
	profile_free(base);
	profile_free(cur);
}

/* The node of cur's tree reached by main -> name (depth 2), or PROF_NONE;
 * with skip, the second such node. */
static uint32_t tree_find(const struct profile *p, const struct call_tree *ct, const char *name,
			  bool skip)
{
	for (uint32_t i = 1; i < ct->n; i++) {
		const struct tree_node *tn = &ct->nodes[i];

		if (tn->depth != 2 || strcmp(p->functions[tn->function].name, name) ||
		    strcmp(p->functions[ct->nodes[tn->parent].function].name, "main"))
			continue;
		if (!skip)
			return i;
		skip = false;
	}
	return PROF_NONE;
}

/* The call tree beside the baseline's: per node, the change of its time per
 * run since the same path; with runs, the interval from their spread. */
static void test_tree(void **state)
{
	struct fixture *fx = *state;
	struct profile *base = build_runs("./old", (int[]){300, 312, 288}, (int[]){300, 300, 300}, 3);
	struct profile *cur = build_runs("./new", (int[]){390, 402, 378}, (int[]){300, 303, 297}, 3);
	struct query_filter all = {0};
	struct diff_opts o = {.flag = true, .threshold = 10, .unit = DIFF_PERCENT};
	struct call_tree ct;
	struct diff_node *dn;
	uint32_t n, h1, h2;

	query_call_tree(cur, &all, &ct);
	dn = calloc(ct.n, sizeof(*dn));
	diff_tree(cur, &ct, base, &all, &o, dn);
	n = tree_find(cur, &ct, "hot", false);
	assert_int_not_equal(n, PROF_NONE);
	assert_near(dn[n].self.delta, 0.9, "main->hot: own seconds per run slower");
	assert_near(dn[n].self.base, 3.0, "main->hot: in the baseline");
	assert_true(dn[n].self.significant && dn[n].self.over && dn[n].in_base);
	n = tree_find(cur, &ct, "cold", false);
	assert_near(dn[n].self.delta, 0.0, "main->cold: unchanged");
	assert_false(dn[n].self.significant);
	n = ct.nodes[n].parent; /* main */
	assert_near(dn[n].total.delta, 0.9, "main: cumulative seconds per run slower");
	assert_near(dn[n].self.delta, 0.0, "main: no own time");
	assert_near(dn[0].total.delta, 0.9, "the root: the whole run");
	free(dn);
	call_tree_free(&ct);
	profile_free(base);
	profile_free(cur);

	/* One run a side, modules matched as diff_functions matches them:
	 * hot +1 s; fresh is new; the two helpers (one path) share their sum,
	 * 10 samples either side */
	query_call_tree(fx->cur, &all, &ct);
	dn = calloc(ct.n, sizeof(*dn));
	diff_tree(fx->cur, &ct, fx->base, &all, &o, dn);
	n = tree_find(fx->cur, &ct, "hot", false);
	assert_near(dn[n].self.delta, 1.0, "hot: own seconds slower");
	assert_true(dn[n].in_base);
	n = tree_find(fx->cur, &ct, "fresh", false);
	assert_false(dn[n].in_base);
	assert_near(dn[n].self.delta, 0.1, "fresh: all new");
	h1 = tree_find(fx->cur, &ct, "helper", false);
	h2 = tree_find(fx->cur, &ct, "helper", true);
	assert_int_not_equal(h2, PROF_NONE);
	assert_near(dn[h1].self.delta, 0.0, "helper (both): unchanged");
	assert_near(dn[h2].self.cur, dn[h1].self.cur, "the second helper: the same sum");
	free(dn);
	call_tree_free(&ct);
}

/* The runs survive a save and a load; a session of one run has none. */
static void test_runs_saved(void **state)
{
	struct profile *p = build_runs("./prog", (int[]){3, 4, 5}, (int[]){1, 1, 1}, 3), *q;
	char path[] = "/tmp/proftop-test-diff-XXXXXX", err[512];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	p->runs[1].exit_status = 7;
	p->runs[2].exited = false;
	p->runs[2].term_signal = 9;
	if (session_save(p, path, err, sizeof(err)) < 0)
		fail_msg("session_save: %s", err);
	q = session_load(path, NULL, err, sizeof(err));
	unlink(path);
	if (!q)
		fail_msg("session_load: %s", err);
	assert_int_equal(q->nruns, 3);
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(q->runs[k].start, p->runs[k].start);
		assert_int_equal(q->runs[k].end, p->runs[k].end);
		assert_int_equal(q->runs[k].exited, p->runs[k].exited);
		assert_int_equal(q->runs[k].exit_status, p->runs[k].exit_status);
		assert_int_equal(q->runs[k].term_signal, p->runs[k].term_signal);
	}
	profile_free(q);
	profile_free(p);
}

/* One function holds 99% of the time and gets 42% slower: its share
 * hardly moves (points miss it), its time does (percent catches it). */
static void test_share_preserving(void **state)
{
	struct profile *base = build_runs("./old", (int[]){990}, (int[]){10}, 1);
	struct profile *cur = build_runs("./new", (int[]){1406}, (int[]){10}, 1);
	struct diff_table t;
	const struct diff_row *d;

	(void)state;
	d = compare(&t, cur, base, "2pt", "hot");
	assert_true(fabs(d->d_self_pct) < 1);
	assert_int_equal(d->verdict, DIFF_SAME);
	diff_table_free(&t);
	d = compare(&t, cur, base, "10%", "hot");
	assert_near(d->self.pct, 42.02, "hot: percent slower (1406 / 990)");
	assert_int_equal(d->verdict, DIFF_REGRESSION);
	assert_int_equal(t.regressions, 2); /* hot, and main that holds it */
	diff_table_free(&t);
	profile_free(base);
	profile_free(cur);
}

/* --per: twice the work in twice the time is no change. */
static void test_per(void **state)
{
	struct profile *base = build_runs("./old", (int[]){300}, (int[]){100}, 1);
	struct profile *cur = build_runs("./new", (int[]){600}, (int[]){200}, 1);
	struct query_filter all = {0};
	struct diff_opts o = {.flag = true, .threshold = 10, .unit = DIFF_PERCENT};
	struct diff_table t;

	(void)state;
	diff_functions(cur, base, &all, &o, &t);
	assert_int_equal(find(&t, "hot")->verdict, DIFF_REGRESSION);
	diff_table_free(&t);
	o.per_cur = 2000;
	o.per_base = 1000;
	diff_functions(cur, base, &all, &o, &t);
	assert_near(find(&t, "hot")->self.cur * 1e3, 3.0, "hot: ms per unit now");
	assert_near(find(&t, "hot")->self.base * 1e3, 3.0, "hot: ms per unit before");
	assert_int_equal(t.regressions, 0);
	diff_table_free(&t);
	profile_free(base);
	profile_free(cur);
}

/* --per output:WORD: each run's count from what it printed. */
static void test_per_output(void **state)
{
	struct profile *base = build_runs("./old", (int[]){300, 300}, (int[]){100, 100}, 2);
	struct profile *cur = build_runs("./new", (int[]){600, 630}, (int[]){200, 210}, 2);
	struct query_filter all = {0};
	struct diff_opts o = {
		.flag = true, .threshold = 10, .unit = DIFF_PERCENT, .per_output = "requests: "};
	struct diff_table t;
	char err[256];

	(void)state;
	assert_int_equal(diff_output_units(cur, "requests: ", err, sizeof(err)), -1);
	assert_string_equal(err, "run 1 of ./new printed no positive number after 'requests: '");
	for (size_t k = 0; k < 2; k++) {
		profile_add_output(base, base->runs[k].start + 5, "requests: 1000\n", 15);
		profile_add_output(cur, cur->runs[k].start + 5, "warm-up\nrequests: 1\n", 20);
		profile_add_output(cur, cur->runs[k].end - 5, k ? "requests: 2100\n" : "requests: 2000\n",
				   15);
	}
	assert_int_equal(diff_output_units(cur, "requests: ", err, sizeof(err)), 0);
	assert_int_equal(diff_output_units(base, "requests: ", err, sizeof(err)), 0);
	diff_functions(cur, base, &all, &o, &t);
	/* 3 s per 1000 requests before; 6 s per 2000 and 6.3 s per 2100 now */
	assert_near(find(&t, "hot")->self.cur * 1e3, 3.0, "hot: ms per request now");
	assert_near(find(&t, "hot")->self.base * 1e3, 3.0, "hot: ms per request before");
	assert_int_equal(t.regressions, 0);
	diff_table_free(&t);
	profile_free(base);
	profile_free(cur);
}

static void test_parse_threshold(void **state)
{
	static const char *const bad[] = {"lots", "-1", "5x", "101", "", "%", "10 %", "nan"};
	enum diff_unit u;
	double v;

	(void)state;
	assert_int_equal(diff_parse_threshold("10%", &v, &u), 0);
	assert_true(v == 10 && u == DIFF_PERCENT);
	assert_int_equal(diff_parse_threshold("0.05s", &v, &u), 0);
	assert_true(v == 0.05 && u == DIFF_SECONDS);
	assert_int_equal(diff_parse_threshold("2pt", &v, &u), 0);
	assert_true(v == 2 && u == DIFF_POINTS);
	assert_int_equal(diff_parse_threshold("2.5", &v, &u), 0);
	assert_true(v == 2.5 && u == DIFF_POINTS);
	assert_int_equal(diff_parse_threshold("250%", &v, &u), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (diff_parse_threshold(bad[i], &v, &u) == 0)
			fail_msg("threshold '%s': expected an error, saw %g", bad[i], v);
}

/* Markdown: a heading with the verdict, a table with the flagged rows
 * first, cells escaped. */
static void test_markdown(void **state)
{
	struct fixture *fx = *state;
	struct query_filter all = {0};
	struct diff_opts d = {.sort = SORT_CUMULATIVE, .flag = true, .threshold = 4};
	struct report_opts o = {.limit = 3};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	diff_functions(fx->cur, fx->base, &all, &d, &fx->t);
	assert_int_equal(report_diff_markdown(f, &fx->t, &o), 0);
	fclose(f);
	assert_contains(out, "### proftop: REGRESSION DETECTED (2 functions)\n\n");
	assert_contains(out, "| | function | module | tottime (s) |");
	assert_contains(out, "|---|---|---|---:|---:|---:|---:|---:|---:|\n"
			     "| **regression** | hot | prog-new | 1.500 | +1.000 \xc2\xb1 0.373 | "
			     "+200.0% | 1.500 | +1.000 \xc2\xb1 0.373 | +200.0% |\n"
			     "| **regression** | fresh | prog-new | 0.100 | +0.100 \xc2\xb1 0.083 | new |");
	assert_contains(out, "\n3 of 6 functions shown.\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_deltas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test(test_t_quantile),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_runs_saved),
		cmocka_unit_test(test_lines),
		cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
		cmocka_unit_test(test_share_preserving),
		cmocka_unit_test(test_per),
		cmocka_unit_test(test_per_output),
		cmocka_unit_test(test_parse_threshold),
		cmocka_unit_test_setup_teardown(test_markdown, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
