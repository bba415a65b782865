/* The live view's drawing cost on a big profile: a synthetic profile of
 * 100,000 distinct functions (each the leaf of its own stack under a
 * chain of callers), drawn into a 200x50 curses screen written to
 * /dev/null. Prints the time of
 *   - the query the functions view runs when the profile changed,
 *   - a redraw after new data (query + draw), the refresh tick's cost,
 *   - a redraw after a cursor move (the table is cached),
 *   - a redraw after a sort key (re-query + draw).
 * Usage: tui-bench [FUNCTIONS [SAMPLES]]   (defaults 100000, 400000) */
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

#define ROUNDS 20

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
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

struct stat_ms {
	double min, max, sum;
	int n;
};

static void stat_add(struct stat_ms *s, double v)
{
	if (!s->n || v < s->min)
		s->min = v;
	if (!s->n || v > s->max)
		s->max = v;
	s->sum += v;
	s->n++;
}

static void stat_print(FILE *f, const char *what, const struct stat_ms *s)
{
	fprintf(f, "%-44s %8.2f %8.2f %8.2f\n", what, s->min, s->sum / s->n, s->max);
}

int main(int argc, char **argv)
{
	size_t nfuncs = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	size_t nsamples = argc > 2 ? strtoul(argv[2], NULL, 10) : 400000;
	struct profile *p = profile_new();
	struct stat_ms q = {0}, fresh = {0}, move = {0}, sort = {0};
	struct tui_config o;
	struct func_table t;
	struct tui tui;
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr;
	double t0;

	if (!out || !in || nfuncs < 1)
		return 1;
	t0 = now_ms();
	build(p, nfuncs, nsamples);
	printf("synthetic profile: %zu functions, %zu samples (built in %.0f ms)\n", p->nfunctions,
	       p->nsamples, now_ms() - t0);
	for (int i = 0; i < ROUNDS; i++) {
		t0 = now_ms();
		query_functions(p, &(struct query_filter){0}, SORT_CUMULATIVE, false, &t);
		stat_add(&q, now_ms() - t0);
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
	for (int i = 0; i < ROUNDS; i++) {
		tui_requery(&tui); /* what a refresh tick with new samples does */
		t0 = now_ms();
		tui_redraw(&tui);
		stat_add(&fresh, now_ms() - t0);

		ungetch(KEY_DOWN);
		t0 = now_ms();
		tui.top->ops->key(&tui, tui.top, getch());
		tui_redraw(&tui);
		stat_add(&move, now_ms() - t0);

		t0 = now_ms();
		if (tui.top->ops->key(&tui, tui.top, i % 2 ? '1' : '2') & KR_REQUERY)
			tui.top->gen = UINT64_MAX;
		tui_redraw(&tui);
		stat_add(&sort, now_ms() - t0);
	}
	tui_close_static(&tui);
	endwin();
	delscreen(scr);

	printf("%-44s %8s %8s %8s\n", "ms (200x50 screen)", "min", "mean", "max");
	stat_print(stdout, "query_functions (the table's data)", &q);
	stat_print(stdout, "redraw after new samples (query + draw)", &fresh);
	stat_print(stdout, "redraw after a cursor move (cached table)", &move);
	stat_print(stdout, "redraw after a sort key (query + draw)", &sort);
	printf("bar: a redraw under 50 ms: %s (worst %.1f ms)\n",
	       fresh.max < 50 && sort.max < 50 && move.max < 50 ? "met" : "NOT MET",
	       fresh.max > sort.max ? fresh.max : sort.max);
	profile_free(p);
	fclose(out);
	fclose(in);
	return 0;
}
