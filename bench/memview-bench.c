/* The memory view's cost on a big log of memory records: a synthetic
 * profile of RECORDS records (allocations, a tenth page faults) over 1,000
 * functions under a few callers, spread over 100 s, half of them freed,
 * with an RSS timeline. Prints the CPU cost (CLOCK_PROCESS_CPUTIME_ID) of
 *   - query_mem_table over the whole run and over a 10 s range,
 *   - a redraw of the memory view after new data (query + chart + draw),
 *     what a refresh tick costs while the view is open,
 * each ROUNDS times, as median, 95th percentile and maximum.
 * Usage: memview-bench [RECORDS [ROUNDS]]   (1000000, 20)
 *        memview-bench --show [RECORDS]: the view on this terminal, with
 *        every key (q quits), to look at it without a tracker. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <time.h>

#include "profile.h"
#include "query.h"
#include "tui.h"
#include "tui/tui-priv.h"
#include "xalloc.h"

#define NFUNCS 1000

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint32_t location(struct profile *p, uint32_t mod, const char *name, int line)
{
	struct prof_line l;

	l.function = profile_intern_function(p, name, NULL, "synthetic.c", line, mod);
	l.file = profile_str(p, "synthetic.c");
	l.line = line + 1;
	return profile_intern_location(p, mod, 0x1000 + 16 * (uint64_t)line, &l, 1);
}

/* main -> dispatch_K -> alloc_fn_i; a record every 100 s / n. */
static void build(struct profile *p, size_t n)
{
	uint32_t mod = profile_intern_module(p, "/usr/bin/synthetic", NULL);
	uint32_t leaf[NFUNCS], callers[9];
	uint64_t span = 100000000000ull, rss = 0;
	char name[64];

	for (int k = 0; k < 9; k++) {
		snprintf(name, sizeof(name), k ? "dispatch_%d" : "main", k);
		callers[k] = location(p, mod, name, 10 + k);
	}
	for (int i = 0; i < NFUNCS; i++) {
		snprintf(name, sizeof(name), "alloc_fn_%d", i);
		leaf[i] = location(p, mod, name, 100 + i);
	}
	for (size_t r = 0; r < n; r++) {
		int i = next_rand() % 4 ? (int)(next_rand() % 32) : (int)(next_rand() % NFUNCS);
		uint32_t locs[3] = {leaf[i], callers[1 + i % 8], callers[0]};
		uint64_t t = r * (span / n), size = 64 + next_rand() % 65536;
		struct prof_alloc a = {
			.time = t,
			.free_time =
				next_rand() % 2 ? t + next_rand() % 5000000000ull : PROF_ALLOC_LIVE,
			.size = size,
			.bytes = size < 65536 ? 65536 : size,
			.allocs = 1,
			.stack = profile_intern_stack(p, locs, 3),
			.tid = 1,
			.kind = r % 10 ? PROF_ALLOC_HEAP : PROF_ALLOC_FAULT,
		};

		if (a.kind == PROF_ALLOC_FAULT) {
			a.free_time = PROF_ALLOC_LIVE;
			a.size = a.bytes = 4096;
		}
		profile_add_alloc(p, &a);
	}
	for (uint64_t t = 0; t <= span; t += 100000000ull) {
		rss += next_rand() % (1 << 20);
		profile_add_memory(p, t, 0, rss, rss * 2);
	}
	p->meta.command = profile_str(p, "synthetic");
	p->meta.pid = 1;
	p->meta.freq = 997;
	p->meta.exited = true;
	p->meta.ended = true;
	p->meta.alloc_sample = 65536;
	p->meta.fault_period = 1;
	p->meta.duration_ns = span;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_cost(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-48s %8.1f %8.1f %8.1f\n", what, v[n / 2], v[(n * 95 + 99) / 100 - 1], v[n - 1]);
}

static void show(struct profile *p)
{
	struct tui_config o;
	struct tui tui;
	SCREEN *scr;

	setlocale(LC_ALL, "");
	scr = newterm(NULL, stdout, stdin);
	if (!scr)
		return;
	set_term(scr);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	memset(&o, 0, sizeof(o));
	tui_open_static(&tui, &o, p);
	tui.utf8 = true;
	tui_key(&tui, 'm');
	while (!tui.quit) {
		tui_redraw(&tui);
		tui_key(&tui, getch());
	}
	tui_close_static(&tui);
	endwin();
	delscreen(scr);
}

int main(int argc, char **argv)
{
	bool showing = argc > 1 && !strcmp(argv[1], "--show");
	size_t n = argc > 1 + showing ? strtoul(argv[1 + showing], NULL, 10) : 1000000;
	int rounds = argc > 2 && !showing ? atoi(argv[2]) : 20;
	struct profile *p = profile_new();
	double *whole = xcalloc((size_t)rounds, sizeof(double)),
	       *ranged = xcalloc((size_t)rounds, sizeof(double)),
	       *redraw = xcalloc((size_t)rounds, sizeof(double));
	struct query_filter f = {0};
	struct mem_table tb;
	struct tui_config o;
	struct tui tui;
	FILE *out, *in;
	SCREEN *scr;
	double t0;

	if (rounds < 1)
		return 2;
	t0 = cpu_ms();
	build(p, n);
	if (showing) {
		show(p);
		profile_free(p);
		return 0;
	}
	printf("synthetic profile: %zu memory records over %zu functions (built in %.0f ms)\n",
	       p->nallocs, p->nfunctions, cpu_ms() - t0);
	for (int i = 0; i < rounds; i++) {
		t0 = cpu_ms();
		query_mem_table(p, &f, MEM_SORT_ALLOCATED, false, &tb);
		whole[i] = cpu_ms() - t0;
		mem_table_free(&tb);
		f.t_from = 40000000000ull;
		f.t_to = 50000000000ull;
		t0 = cpu_ms();
		query_mem_table(p, &f, MEM_SORT_LIVE, false, &tb);
		ranged[i] = cpu_ms() - t0;
		mem_table_free(&tb);
		f.t_from = f.t_to = 0;
	}
	out = fopen("/dev/null", "w");
	in = fopen("/dev/null", "r");
	setenv("TERM", "xterm-256color", 1);
	scr = out && in ? newterm(NULL, out, in) : NULL;
	if (!scr) {
		fprintf(stderr, "memview-bench: cannot open a curses screen on /dev/null\n");
		return 1;
	}
	set_term(scr);
	resizeterm(50, 200);
	memset(&o, 0, sizeof(o));
	tui_open_static(&tui, &o, p);
	tui.utf8 = true;
	tui_key(&tui, 'm');
	tui_redraw(&tui);
	for (int i = 0; i < rounds; i++) {
		tui_requery(&tui); /* a refresh tick with new records */
		t0 = cpu_ms();
		tui_redraw(&tui);
		redraw[i] = cpu_ms() - t0;
	}
	tui_close_static(&tui);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	printf("%d rounds; CPU ms: %-32s %8s %8s %8s\n", rounds, "", "p50", "p95", "max");
	print_cost("query_mem_table, whole run", whole, rounds);
	print_cost("query_mem_table, a 10 s range", ranged, rounds);
	print_cost("memory view redraw after new data (200x50)", redraw, rounds);
	free(whole);
	free(ranged);
	free(redraw);
	profile_free(p);
	return 0;
}
