/* What one refresh of the live views costs on a big profile: a synthetic
 * profile of FUNCTIONS functions under realistic stacks (main, a worker
 * loop, a dispatcher, a module and a group function above each leaf, with
 * helpers and recursion here and there, 8 to 20 frames), SAMPLES samples
 * to start with; then, round after round, NEW more samples arrive (20 of
 * them in functions not seen before) and the views refresh. Measured in CPU time of this thread
 * (CLOCK_THREAD_CPUTIME_ID), median [min..max] over the rounds:
 *   - the functions view's table: query_functions_live (what the view runs)
 *     against query_functions (the whole log, as before);
 *   - the same with the `w` window ("last 60 seconds"), which moves on;
 *   - callers and callees of a hot function, and the call tree, live.
 * With BENCH_SUMMARY set, appends a row for bench.sh's summary table.
 * Usage: query-cost [FUNCTIONS [NEW [ROUNDS [SAMPLES]]]]  (100000 10000 15 400000) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <time.h>

#include "profile.h"
#include "query.h"
#include "xalloc.h"

/* functions first seen in each round's new samples */
#define NEW_FUNCTIONS 20

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct synth {
	struct profile *p;
	size_t nleaf, ngroup;
	uint32_t *leaf, *group, *module, dispatch[16], top[2], helper[200];
	uint64_t now;
};

static uint32_t synth_loc(struct profile *p, const char *name, size_t i, uint64_t addr)
{
	char buf[64];
	struct prof_line l;

	snprintf(buf, sizeof(buf), "%s_%zu", name, i);
	l.function = profile_intern_function(p, buf, NULL, "synthetic.c", 10 + (int)i, 0);
	l.file = profile_str(p, "synthetic.c");
	l.line = 11 + (int)(i % 1000);
	return profile_intern_location(p, 0, addr, &l, 1);
}

/* Every function of the profile, as locations of one frame. */
static void synth_build(struct synth *s, size_t nfuncs)
{
	struct profile *p = s->p;
	size_t ngroup = nfuncs / 25 + 1, nmod = ngroup / 16 + 1;

	profile_intern_module(p, "/usr/bin/synthetic", NULL);
	s->top[0] = synth_loc(p, "main", 0, 0x1000);
	s->top[1] = synth_loc(p, "worker_loop", 0, 0x1010);
	for (size_t k = 0; k < 16; k++)
		s->dispatch[k] = synth_loc(p, "dispatch", k, 0x2000 + 16 * k);
	for (size_t k = 0; k < 200; k++)
		s->helper[k] = synth_loc(p, "helper", k, 0x3000 + 16 * k);
	s->ngroup = ngroup;
	s->module = xcalloc(nmod, sizeof(*s->module));
	s->group = xcalloc(ngroup, sizeof(*s->group));
	for (size_t k = 0; k < nmod; k++)
		s->module[k] = synth_loc(p, "module", k, 0x10000 + 16 * k);
	for (size_t k = 0; k < ngroup; k++)
		s->group[k] = synth_loc(p, "group", k, 0x100000 + 16 * k);
	s->nleaf = nfuncs > p->nfunctions ? nfuncs - p->nfunctions : 1;
	s->leaf = xcalloc(s->nleaf, sizeof(*s->leaf));
	for (size_t i = 0; i < s->nleaf; i++)
		s->leaf[i] = synth_loc(p, "leaf_function", i, 0x10000000 + 16 * i);
}

/* One sample: 3/4 in 1% of the leaves (hot code), the rest anywhere.
 * Each leaf has its own shape of callers and helpers (a program's call
 * structure is fixed), with a few variants: about 4 stacks per leaf. */
static void synth_sample(struct synth *s, size_t i)
{
	uint32_t locs[24];
	size_t n = 0, leaf = i < s->nleaf      ? i
			     : next_rand() % 4 ? next_rand() % (s->nleaf / 100 + 1)
					       : next_rand() % s->nleaf;
	size_t g = leaf / 25 % s->ngroup, extra = leaf % 12, v = next_rand() % 4;

	/* leaf first: sometimes in a helper it calls */
	if (v)
		locs[n++] = s->helper[(leaf * 7 + v) % 200];
	locs[n++] = s->leaf[leaf];
	for (size_t k = 0; k < extra; k++) /* helpers and some recursion */
		locs[n++] = k % 4 == 3 ? s->group[g] : s->helper[(leaf + k) % 200];
	locs[n++] = s->group[g];
	locs[n++] = s->module[g / 16];
	locs[n++] = s->dispatch[g % 16];
	locs[n++] = s->top[1];
	locs[n++] = s->top[0];
	s->now += 1000000;
	profile_add_sample(s->p, s->now, 1 + (int32_t)(leaf % 2),
			   profile_intern_stack(s->p, locs, n), 1000000, 0);
}

/* k more leaf functions, each sampled once: a live session keeps meeting
 * code it had not seen. */
static void synth_more(struct synth *s, size_t k)
{
	s->leaf = xrealloc(s->leaf, (s->nleaf + k) * sizeof(*s->leaf));
	for (size_t j = 0; j < k; j++) {
		s->leaf[s->nleaf] = synth_loc(s->p, "new_function", s->nleaf,
					      0x10000000 + 16 * (uint64_t)s->nleaf);
		s->nleaf++;
		synth_sample(s, s->nleaf - 1);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "4.1 ms CPU [3.8..4.6]": the median and the extremes of v. */
static const char *spread(double *v, int n, char *buf, size_t len)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	snprintf(buf, len, "%.1f ms CPU [%.1f..%.1f]",
		 n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v[0], v[n - 1]);
	return buf;
}

int main(int argc, char **argv)
{
	size_t nfuncs = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t nnew = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	int rounds = argc > 3 ? atoi(argv[3]) : 15;
	size_t nstart = argc > 4 ? strtoul(argv[4], NULL, 10) : 400000;
	struct synth s = {0};
	double *live, *full, *edges, *tree, *wlive, *wfull, t0;
	char b1[80], b2[80], b3[80], b4[80], b5[80], b6[80];
	struct func_table tb;
	struct call_tree ct;
	const char *sum = getenv("BENCH_SUMMARY");
	uint32_t hot;
	size_t i = 0, heap0;
	double live_mb;

	if (nfuncs < 300 || rounds < 1) {
		fprintf(stderr, "usage: query-cost [FUNCTIONS>=300 [NEW [ROUNDS>=1 [SAMPLES]]]]\n");
		return 2;
	}
	live = xcalloc((size_t)rounds, sizeof(*live));
	full = xcalloc((size_t)rounds, sizeof(*full));
	edges = xcalloc((size_t)rounds, sizeof(*edges));
	tree = xcalloc((size_t)rounds, sizeof(*tree));
	wlive = xcalloc((size_t)rounds, sizeof(*wlive));
	wfull = xcalloc((size_t)rounds, sizeof(*wfull));
	s.p = profile_new();
	synth_build(&s, nfuncs);
	profile_set_thread(s.p, 1, 1, "synthetic");
	profile_set_thread(s.p, 2, 1, "synthetic");
	for (; i < nstart || i < s.nleaf; i++)
		synth_sample(&s, i);
	/* the views' first refresh builds the live tables from the whole log;
	 * what they keep is the heap's growth over it (mmapped blocks too) */
	heap0 = mallinfo2().uordblks + mallinfo2().hblkhd;
	query_functions_live(s.p, NULL, SORT_CUMULATIVE, false, &tb);
	func_table_free(&tb);
	live_mb = (double)(mallinfo2().uordblks + mallinfo2().hblkhd - heap0) / 1048576;
	hot = s.p->samples[s.p->nsamples - 1].stack; /* any sampled stack's leaf */
	hot = s.p->lines[s.p->locations[s.p->stacks[hot].location].first_line].function;
	for (int r = 0; r < rounds; r++) {
		synth_more(&s, NEW_FUNCTIONS);
		for (size_t k = NEW_FUNCTIONS; k < nnew; k++, i++)
			synth_sample(&s, i);
		t0 = cpu_ms();
		query_functions_live(s.p, NULL, SORT_CUMULATIVE, false, &tb);
		live[r] = cpu_ms() - t0;
		func_table_free(&tb);
		t0 = cpu_ms();
		query_callers_live(s.p, NULL, hot, &tb);
		func_table_free(&tb);
		query_callees_live(s.p, NULL, hot, &tb);
		edges[r] = cpu_ms() - t0;
		func_table_free(&tb);
		t0 = cpu_ms();
		query_call_tree_live(s.p, NULL, &ct);
		tree[r] = cpu_ms() - t0;
		call_tree_free(&ct);
		t0 = cpu_ms();
		query_functions(s.p, NULL, SORT_CUMULATIVE, false, &tb);
		full[r] = cpu_ms() - t0;
		func_table_free(&tb);
	}
	/* "last 60 seconds" (the `w` key's window, here 60,000 samples) */
	{
		struct query_filter win = {0};

		win.t_from = s.now - 60000000000ull;
		query_functions_live(s.p, &win, SORT_CUMULATIVE, false, &tb);
		func_table_free(&tb);
		for (int r = 0; r < rounds; r++) {
			synth_more(&s, NEW_FUNCTIONS);
			for (size_t k = NEW_FUNCTIONS; k < nnew; k++, i++)
				synth_sample(&s, i);
			win.t_from = s.now - 60000000000ull;
			t0 = cpu_ms();
			query_functions_live(s.p, &win, SORT_CUMULATIVE, false, &tb);
			wlive[r] = cpu_ms() - t0;
			func_table_free(&tb);
			t0 = cpu_ms();
			query_functions(s.p, &win, SORT_CUMULATIVE, false, &tb);
			wfull[r] = cpu_ms() - t0;
			func_table_free(&tb);
		}
	}
	printf("profile: %zu functions, %zu stacks, %zu samples at the end; %d rounds\n",
	       s.p->nfunctions, s.p->nstacks, s.p->nsamples, rounds);
	printf("live tables' memory after the first refresh: %.1f MB (the sample log: %.1f MB)\n",
	       live_mb,
	       (double)(nstart > s.nleaf ? nstart : s.nleaf) * sizeof(struct prof_sample) /
		       1048576);
	printf("functions refresh, %zuk functions, +%zuk samples: %s (full: %s)\n",
	       s.p->nfunctions / 1000, nnew / 1000, spread(live, rounds, b1, sizeof(b1)),
	       spread(full, rounds, b2, sizeof(b2)));
	printf("the same, last 60 s only (60k samples): %s (full: %s)\n",
	       spread(wlive, rounds, b5, sizeof(b5)), spread(wfull, rounds, b6, sizeof(b6)));
	printf("callers + callees of a hot function, live: %s\n",
	       spread(edges, rounds, b3, sizeof(b3)));
	printf("call tree, live (kept between refreshes): %s\n",
	       spread(tree, rounds, b4, sizeof(b4)));
	if (sum && *sum) {
		FILE *f = fopen(sum, "a");

		if (f) {
			fprintf(f, "functions refresh, %zuk fn, +%zuk samples\t-\t%s\tbefore: %s\n",
				s.p->nfunctions / 1000, nnew / 1000, b1, b2);
			fclose(f);
		}
	}
	profile_free(s.p);
	free(s.leaf);
	free(s.group);
	free(s.module);
	free(live);
	free(full);
	free(edges);
	free(tree);
	free(wlive);
	free(wfull);
	return 0;
}
