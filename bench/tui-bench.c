/* The live view's drawing cost on a big profile: a synthetic profile of
 * 100,000 distinct functions (each the leaf of its own stack under a
 * chain of callers), drawn into a 200x50 curses screen written to
 * /dev/null. Prints the cost of
 *   - the query the functions view runs when the profile changed,
 *   - a redraw after new data (query + draw), the refresh tick's cost,
 *   - a redraw after a cursor move (the table is cached),
 *   - a redraw after a sort key (re-query + draw),
 * each ROUNDS times, in CPU time of this process (CLOCK_PROCESS_CPUTIME_ID:
 * what the work costs, not how long a loaded machine kept it waiting), as
 * median, 95th percentile and maximum; the wall-clock median beside it.
 * Usage: tui-bench [FUNCTIONS [SAMPLES [ROUNDS]]]   (100000, 400000, 50) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"
#include "profile.h"
#include "query.h"
#include "tui/tui-priv.h"
#include "xalloc.h"

static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* main -> dispatch_K -> fn_i: a few shared callers, every leaf distinct. */
static void build(struct profile *p, size_t nfuncs, size_t nsamples)
{
	uint32_t mod = profile_intern_module(p, "/usr/bin/synthetic", NULL);
	uint32_t *leaf = xcalloc(nfuncs, sizeof(*leaf)), callers[17];
	char name[64];

	for (int k = 0; k < 17; k++) {
		struct prof_line l;

		snprintf(name, sizeof(name), k ? "dispatch_%d" : "main", k);
		l.function = profile_intern_function(p, name, NULL, "synthetic.c", 10 + k, mod);
		l.file = profile_str(p, "synthetic.c");
		l.line = 11 + k;
		callers[k] = profile_intern_location(p, mod, 0x1000 + 16 * (uint64_t)k, &l, 1);
	}
	for (size_t i = 0; i < nfuncs; i++) {
		struct prof_line l;

		snprintf(name, sizeof(name), "synthetic_function_%zu", i);
		l.function =
			profile_intern_function(p, name, NULL, "synthetic.c", 100 + (int)i, mod);
		l.file = profile_str(p, "synthetic.c");
		l.line = 101 + (int)i;
		leaf[i] = profile_intern_location(p, mod, 0x100000 + 16 * (uint64_t)i, &l, 1);
	}
	for (size_t s = 0; s < nsamples; s++) {
		/* every function at least once, then 3/4 of the samples in 64 hot ones */
		size_t i = s < nfuncs	     ? s
			   : next_rand() % 4 ? next_rand() % 64
					     : next_rand() % nfuncs;
		uint32_t locs[3] = {leaf[i], callers[1 + i % 16], callers[0]};

		profile_add_sample(p, s * 1000000ull, 1, profile_intern_stack(p, locs, 3), 1000000,
				   0);
	}
	p->meta.command = profile_str(p, "synthetic");
	p->meta.pid = 1;
	p->meta.freq = 997;
	p->meta.exited = true;
	p->meta.duration_ns = nsamples * 1000000ull;
	free(leaf);
}

/* One measured operation: its CPU and wall times, round after round. */
struct cost {
	double *cpu, *wall;
	int n;
	double cpu0, wall0;
};

static void cost_start(struct cost *c)
{
	c->wall0 = now_ms();
	c->cpu0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static void cost_stop(struct cost *c)
{
	c->cpu[c->n] = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c->cpu0;
	c->wall[c->n] = now_ms() - c->wall0;
	c->n++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The value at quantile q of the sorted v[0..n-1] (nearest rank). */
static double quantile(const double *v, int n, double q)
{
	int i = (int)(q * n + 0.999999) - 1;

	return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static void cost_print(FILE *f, const char *key, const char *what, struct cost *c)
{
	qsort(c->cpu, (size_t)c->n, sizeof(double), cmp_double);
	qsort(c->wall, (size_t)c->n, sizeof(double), cmp_double);
	fprintf(f, "%-6s %-42s %8.2f %8.2f %8.2f %10.2f\n", key, what, quantile(c->cpu, c->n, 0.5),
		quantile(c->cpu, c->n, 0.95), c->cpu[c->n - 1], quantile(c->wall, c->n, 0.5));
}

static void cost_init(struct cost *c, int rounds)
{
	c->cpu = xcalloc((size_t)rounds, sizeof(double));
	c->wall = xcalloc((size_t)rounds, sizeof(double));
	c->n = 0;
}

static void cost_free(struct cost *c)
{
	free(c->cpu);
	free(c->wall);
}

int main(int argc, char **argv)
{
	size_t nfuncs = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t nsamples = argc > 2 ? strtoul(argv[2], NULL, 10) : 400000;
	int rounds = argc > 3 ? atoi(argv[3]) : 50;
	struct profile *p = profile_new();
	struct cost q, fresh, move, sort;
	struct tui_config o;
	struct func_table t;
	struct tui tui;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr;
	double t0;

	if (!out || !in || nfuncs < 1 || rounds < 1)
		return 1;
	cost_init(&q, rounds);
	cost_init(&fresh, rounds);
	cost_init(&move, rounds);
	cost_init(&sort, rounds);
	t0 = now_ms();
	build(p, nfuncs, nsamples);
	printf("synthetic profile: %zu functions, %zu samples (built in %.0f ms)\n", p->nfunctions,
	       p->nsamples, now_ms() - t0);
	for (int i = 0; i < rounds; i++) {
		cost_start(&q);
		query_functions(p, &(struct query_filter){0}, SORT_CUMULATIVE, false, &t);
		cost_stop(&q);
		func_table_free(&t);
	}

	setenv("TERM", "xterm-256color", 1);
	scr = newterm(NULL, out, in);
	if (!scr) {
		fprintf(stderr, "tui-bench: cannot open a curses screen on /dev/null\n");
		return 1;
	}
	set_term(scr);
	resizeterm(50, 200);
	memset(&o, 0, sizeof(o));
	o.sort = SORT_CUMULATIVE;
	tui_open_static(&tui, &o, p);
	tui.utf8 = true;
	tui_redraw(&tui);
	for (int i = 0; i < rounds; i++) {
		tui_requery(&tui); /* what a refresh tick with new samples does */
		cost_start(&fresh);
		tui_redraw(&tui);
		cost_stop(&fresh);

		ungetch(KEY_DOWN);
		cost_start(&move);
		tui.top->ops->key(&tui, tui.top, getch());
		tui_redraw(&tui);
		cost_stop(&move);

		cost_start(&sort);
		if (tui.top->ops->key(&tui, tui.top, i % 2 ? '1' : '2') & KR_REQUERY)
			tui.top->gen = UINT64_MAX;
		tui_redraw(&tui);
		cost_stop(&sort);
	}
	tui_close_static(&tui);
	endwin();
	delscreen(scr);

	printf("%d rounds, 200x50 screen; CPU ms of this process, and the wall median\n", rounds);
	printf("%-6s %-42s %8s %8s %8s %10s\n", "key", "operation", "cpu p50", "cpu p95", "cpu max",
	       "wall p50");
	cost_print(stdout, "query", "query_functions (the table's data)", &q);
	cost_print(stdout, "fresh", "redraw after new samples (query + draw)", &fresh);
	cost_print(stdout, "move", "redraw after a cursor move (cached table)", &move);
	cost_print(stdout, "sort", "redraw after a sort key (query + draw)", &sort);
	{
		double worst = quantile(fresh.cpu, fresh.n, 0.95);

		if (quantile(sort.cpu, sort.n, 0.95) > worst)
			worst = quantile(sort.cpu, sort.n, 0.95);
		if (quantile(move.cpu, move.n, 0.95) > worst)
			worst = quantile(move.cpu, move.n, 0.95);
		printf("bar: a redraw under 50 ms of CPU at the 95th percentile: %s (%.2f ms)\n",
		       worst < 50 ? "met" : "NOT MET", worst);
	}
	cost_free(&q);
	cost_free(&fresh);
	cost_free(&move);
	cost_free(&sort);
	profile_free(p);
	fclose(out);
	fclose(in);
	return 0;
}
