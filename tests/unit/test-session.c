/* Session files: a profile saved and reopened is the same profile and
 * renders the same report, byte for byte; saving fails cleanly; a bad file
 * gives a one-line error and stays as it was. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "profile.h"
#include "query.h"
#include "report.h"
#include "session.h"

#define MS 1000000ull /* ns */

struct fixture {
	struct profile *p;
	char dir[64];	/* a private temporary directory */
	char path[128]; /* dir/s.proftop */
	char src[128];	/* dir/work.c, a source file the profile points at */
	uint32_t mainf, compute, leaf;
};

/* The source of the fixture: main at line 3, compute at 10, leaf inlined
 * into compute at line 20, a long unsampled gap to elide. */
static void write_source(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (int i = 1; i <= 120; i++)
		fprintf(f, "\tline_%d(); /* tab\there */\r\n", i);
	assert_int_equal(fclose(f), 0);
}

static uint32_t loc(struct profile *p, uint32_t module, uint64_t addr, const struct prof_line *l,
		    size_t n)
{
	return profile_intern_location(p, module, addr, l, n);
}

/*   compute <- main          (tid 100, 40 samples, some truncated)
 *   leaf (inlined in compute) <- compute <- main (tid 101, 30 samples)
 *   [kernel] <- main         (tid 100, 10 samples)
 *   main self                (tid 101, 20 samples) */
static void build(struct fixture *fx)
{
	struct profile *p = profile_new();
	uint32_t prog = profile_intern_module(p, "/opt/bin/work", "0123abcd");
	uint32_t kern = profile_intern_module(p, "[kernel]", NULL);
	uint32_t kfn, lmain, lmain2, lcomp, linl, lkern, s1, s2, s3, s4;

	fx->p = p;
	fx->mainf = profile_intern_function(p, "main", "main", fx->src, 3, prog);
	fx->compute = profile_intern_function(p, "compute(int)", "_Z7computei", fx->src, 10, prog);
	fx->leaf = profile_intern_function(p, "leaf\xc3\xa9", NULL, fx->src, 0, prog);
	kfn = profile_intern_function(p, "[kernel]", NULL, NULL, 0, kern);
	p->functions[fx->compute].calls = 4242;
	p->functions[kfn].calls = 7;
	p->functions[kfn].calls_lower_bound = true;
	p->functions[kfn].calls_rate = 123456.5;
	p->functions[kfn].calls_since = 42 * MS;
	{
		struct prof_latency *lat = profile_latency(p, fx->compute);

		lat->count = 3;
		lat->sum_ns = 600;
		lat->min_ns = 100;
		lat->max_ns = 300;
		lat->buckets[5] = 1;
		lat->buckets[PROF_LATENCY_BUCKETS - 1] = 2;
		lat->stopped = true;
		lat->rate = 2.5;
		lat->since = 7;
		profile_latency(p, fx->mainf); /* timed, never returned */
	}

	lmain = loc(p, prog, 0x1100, &(struct prof_line){fx->mainf, fx->src, 5}, 1);
	lmain2 = loc(p, prog, 0x1180, &(struct prof_line){fx->mainf, fx->src, 6}, 1);
	lcomp = loc(p, prog, 0x1200, &(struct prof_line){fx->compute, fx->src, 12}, 1);
	linl = loc(p, prog, 0x1300,
		   (struct prof_line[]){{fx->leaf, fx->src, 20}, {fx->compute, fx->src, 80}}, 2);
	lkern = loc(p, kern, 0xffffffff81000010ull, &(struct prof_line){kfn, NULL, 0}, 1);
	s1 = profile_intern_stack(p, (uint32_t[]){lcomp, lmain}, 2);
	s2 = profile_intern_stack(p, (uint32_t[]){linl, lcomp, lmain}, 3);
	s3 = profile_intern_stack(p, (uint32_t[]){lkern, lmain}, 2);
	s4 = profile_intern_stack(p, (uint32_t[]){lmain2}, 1);
	for (int i = 0; i < 100; i++) {
		uint64_t t = (uint64_t)i * 10 * MS;

		if (i < 40)
			profile_add_sample(p, t, 100, s1, 10 * MS,
					   i % 8 ? 0 : PROF_SAMPLE_TRUNCATED);
		else if (i < 70)
			profile_add_sample(p, t, 101, s2, 10 * MS + (uint64_t)i, 0);
		else if (i < 80)
			profile_add_sample(p, t, 100, s3, 10 * MS, PROF_SAMPLE_KERNEL);
		else
			profile_add_sample(p, t, 101, s4, 10 * MS, 0);
	}
	profile_set_thread(p, 100, 100, "work");
	profile_set_thread(p, 101, 100, "worker \"1\"");
	for (int i = 0; i < 10; i++)
		profile_add_memory(p, (uint64_t)i * 100 * MS, 0, (10 + (uint64_t)i) << 20,
				   (100 + (uint64_t)i) << 20);
	profile_add_output(p, 5 * MS, "hello\n", 6);
	profile_add_output(p, 7 * MS, "\x00\x01 binary\xff\n", 11);
	/* Memory records: a heap block freed, one live (sampled: it stands
	 * for more), an mmap freed later, a page fault; one on a stack no
	 * sample has. */
	profile_add_alloc(p, &(struct prof_alloc){.time = 1 * MS,
						  .free_time = PROF_ALLOC_LIVE,
						  .size = 100,
						  .bytes = 100,
						  .allocs = 1,
						  .stack = s1,
						  .tid = 100,
						  .kind = PROF_ALLOC_HEAP});
	profile_add_alloc(p, &(struct prof_alloc){.time = 2 * MS,
						  .free_time = PROF_ALLOC_LIVE,
						  .size = 4000,
						  .bytes = 70000,
						  .allocs = 17,
						  .stack = s2,
						  .tid = 101,
						  .kind = PROF_ALLOC_HEAP});
	profile_add_alloc(p, &(struct prof_alloc){.time = 3 * MS,
						  .free_time = PROF_ALLOC_LIVE,
						  .size = 1 << 20,
						  .bytes = 1 << 20,
						  .allocs = 1,
						  .stack = profile_intern_stack(
							  p, (uint32_t[]){lmain2, lmain}, 2),
						  .tid = 100,
						  .kind = PROF_ALLOC_MMAP});
	profile_add_alloc(p, &(struct prof_alloc){.time = 4 * MS,
						  .free_time = PROF_ALLOC_LIVE,
						  .size = 4096,
						  .bytes = 8192,
						  .allocs = 0,
						  .stack = s1,
						  .tid = 100,
						  .kind = PROF_ALLOC_FAULT});
	profile_alloc_freed(p, 0, 9 * MS);
	profile_alloc_freed(p, 2, 500 * MS);
	profile_set_module_source(p, prog, "debug file /usr/lib/debug/.build-id/01/23abcd.debug");

	p->meta.command = profile_str(p, "/opt/bin/work --fast 3");
	p->meta.cwd = profile_str(p, "/home/u");
	p->meta.host = profile_str(p, "box");
	p->meta.kernel = profile_str(p, "6.1.0");
	p->meta.backend = profile_str(p, "perf");
	p->meta.unwind = "dwarf";
	p->meta.clock = "cpu";
	p->meta.start_realtime = 1700000000;
	p->meta.start_ns = 123456789012ull;
	p->meta.duration_ns = 1234 * MS;
	p->meta.freq = 997;
	p->meta.pid = 100;
	p->meta.ended = true;
	p->meta.exited = true;
	p->meta.exit_status = 3;
	p->meta.stopped_by_proftop = false;
	p->meta.lost = 17;
	p->meta.held_ns = 5 * MS;
	p->meta.calls_budget = 2.5;
	p->meta.calls_overhead = 0.125;
	p->meta.calls_cost_ns = 11;
	p->meta.calls_cpu_ns = 22;
	p->meta.probe_floor_ns = 33;
	p->meta.alloc_sample = 65536;
	p->meta.fault_period = 1;
	p->meta.allocs_lost = 5;
	p->meta.alloc_note = profile_str(p, "allocations of one process only: a child was static");
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/test-session.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/s.proftop", fx->dir);
	snprintf(fx->src, sizeof(fx->src), "%s/work.c", fx->dir);
	write_source(fx->src);
	build(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[200];

	profile_free(fx->p);
	snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", fx->dir, fx->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx->dir);
	free(fx);
	return 0;
}

/* ---- helpers ---- */

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

#define assert_str_same(a, b)                                                             \
	do {                                                                              \
		if (!str_same((a), (b)))                                                  \
			fail_msg("%s: expected '%s', saw '%s'", #b, (a) ? (a) : "(null)", \
				 (b) ? (b) : "(null)");                                   \
	} while (0)

/* Every table of b equals a's, id for id. */
static void assert_same_profile(const struct profile *a, const struct profile *b)
{
	assert_int_equal(a->nmodules, b->nmodules);
	for (size_t i = 0; i < a->nmodules; i++) {
		assert_str_same(a->modules[i].path, b->modules[i].path);
		assert_str_same(a->modules[i].name, b->modules[i].name);
		assert_str_same(a->modules[i].build_id, b->modules[i].build_id);
		assert_str_same(a->modules[i].symbols_from, b->modules[i].symbols_from);
	}
	assert_int_equal(a->nfunctions, b->nfunctions);
	for (size_t i = 0; i < a->nfunctions; i++) {
		const struct prof_function *x = &a->functions[i], *y = &b->functions[i];

		assert_str_same(x->name, y->name);
		assert_str_same(x->system_name, y->system_name);
		assert_str_same(x->file, y->file);
		assert_int_equal(x->start_line, y->start_line);
		assert_int_equal(x->module, y->module);
		assert_int_equal(x->calls, y->calls);
		assert_int_equal(x->calls_lower_bound, y->calls_lower_bound);
		assert_true(x->calls_rate == y->calls_rate);
		assert_int_equal(x->calls_since, y->calls_since);
	}
	assert_int_equal(a->nlatencies, b->nlatencies);
	for (size_t i = 0; i < a->nlatencies; i++) {
		const struct prof_latency *x = &a->latencies[i];
		const struct prof_latency *y = profile_find_latency(b, x->function);

		assert_non_null(y);
		assert_int_equal(x->count, y->count);
		assert_int_equal(x->sum_ns, y->sum_ns);
		assert_int_equal(x->min_ns, y->min_ns);
		assert_int_equal(x->max_ns, y->max_ns);
		assert_int_equal(x->stopped, y->stopped);
		assert_true(x->rate == y->rate);
		assert_int_equal(x->since, y->since);
		assert_memory_equal(x->buckets, y->buckets,
				    PROF_LATENCY_BUCKETS * sizeof(uint64_t));
	}
	assert_int_equal(a->nlocations, b->nlocations);
	for (size_t i = 0; i < a->nlocations; i++) {
		const struct prof_location *x = &a->locations[i], *y = &b->locations[i];

		assert_int_equal(x->module, y->module);
		assert_int_equal(x->address, y->address);
		assert_int_equal(x->nlines, y->nlines);
		for (uint32_t j = 0; j < x->nlines; j++) {
			const struct prof_line *lx = &a->lines[x->first_line + j];
			const struct prof_line *ly = &b->lines[y->first_line + j];

			assert_int_equal(lx->function, ly->function);
			assert_str_same(lx->file, ly->file);
			assert_int_equal(lx->line, ly->line);
		}
	}
	assert_int_equal(a->nstacks, b->nstacks);
	for (size_t i = 0; i < a->nstacks; i++) {
		assert_int_equal(a->stacks[i].parent, b->stacks[i].parent);
		assert_int_equal(a->stacks[i].location, b->stacks[i].location);
		assert_int_equal(a->stacks[i].depth, b->stacks[i].depth);
	}
	assert_int_equal(a->nsamples, b->nsamples);
	for (size_t i = 0; i < a->nsamples; i++) {
		const struct prof_sample *x = &a->samples[i], *y = &b->samples[i];

		assert_int_equal(x->time, y->time);
		assert_int_equal(x->weight, y->weight);
		assert_int_equal(x->stack, y->stack);
		assert_int_equal(x->tid, y->tid);
		assert_int_equal(x->flags, y->flags);
		assert_int_equal(x->count, y->count);
	}
	assert_int_equal(a->total_weight, b->total_weight);
	assert_int_equal(a->total_samples, b->total_samples);
	assert_int_equal(a->truncated_samples, b->truncated_samples);
	assert_int_equal(a->nthreads, b->nthreads);
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct prof_thread *t = profile_find_thread(b, a->threads[i].tid);

		assert_non_null(t);
		assert_int_equal(t->pid, a->threads[i].pid);
		assert_str_same(a->threads[i].comm, t->comm);
	}
	assert_int_equal(a->nmemory, b->nmemory);
	for (size_t i = 0; i < a->nmemory; i++) {
		assert_int_equal(a->memory[i].time, b->memory[i].time);
		assert_int_equal(a->memory[i].pid, b->memory[i].pid);
		assert_int_equal(a->memory[i].rss, b->memory[i].rss);
		assert_int_equal(a->memory[i].vms, b->memory[i].vms);
	}
	assert_int_equal(a->nallocs, b->nallocs);
	for (size_t i = 0; i < a->nallocs; i++) {
		const struct prof_alloc *x = &a->allocs[i], *y = &b->allocs[i];

		assert_int_equal(x->time, y->time);
		assert_int_equal(x->free_time, y->free_time);
		assert_int_equal(x->size, y->size);
		assert_int_equal(x->bytes, y->bytes);
		assert_int_equal(x->allocs, y->allocs);
		assert_int_equal(x->stack, y->stack);
		assert_int_equal(x->tid, y->tid);
		assert_int_equal(x->kind, y->kind);
	}
	assert_int_equal(a->output_len, b->output_len);
	assert_int_equal(a->output_dropped, b->output_dropped);
	assert_memory_equal(a->output, b->output, a->output_len);
	assert_int_equal(a->noutput_chunks, b->noutput_chunks);
	for (size_t i = 0; i < a->noutput_chunks; i++) {
		assert_int_equal(a->output_chunks[i].time, b->output_chunks[i].time);
		assert_int_equal(a->output_chunks[i].len, b->output_chunks[i].len);
	}
	assert_str_same(a->meta.command, b->meta.command);
	assert_str_same(a->meta.cwd, b->meta.cwd);
	assert_str_same(a->meta.host, b->meta.host);
	assert_str_same(a->meta.kernel, b->meta.kernel);
	assert_str_same(a->meta.backend, b->meta.backend);
	assert_str_same(a->meta.unwind, b->meta.unwind);
	assert_str_same(a->meta.clock, b->meta.clock);
	assert_int_equal(a->meta.start_realtime, b->meta.start_realtime);
	assert_int_equal(a->meta.start_ns, b->meta.start_ns);
	assert_int_equal(a->meta.duration_ns, b->meta.duration_ns);
	assert_int_equal(a->meta.freq, b->meta.freq);
	assert_int_equal(a->meta.pid, b->meta.pid);
	assert_int_equal(a->meta.attached, b->meta.attached);
	assert_int_equal(a->meta.ended, b->meta.ended);
	assert_int_equal(a->meta.exited, b->meta.exited);
	assert_int_equal(a->meta.exit_status, b->meta.exit_status);
	assert_int_equal(a->meta.term_signal, b->meta.term_signal);
	assert_int_equal(a->meta.stopped_by_proftop, b->meta.stopped_by_proftop);
	assert_int_equal(a->meta.lost, b->meta.lost);
	assert_int_equal(a->meta.held_ns, b->meta.held_ns);
	assert_true(a->meta.calls_budget == b->meta.calls_budget);
	assert_true(a->meta.calls_overhead == b->meta.calls_overhead);
	assert_int_equal(a->meta.calls_cost_ns, b->meta.calls_cost_ns);
	assert_int_equal(a->meta.calls_cpu_ns, b->meta.calls_cpu_ns);
	assert_int_equal(a->meta.probe_floor_ns, b->meta.probe_floor_ns);
	assert_int_equal(a->meta.alloc_sample, b->meta.alloc_sample);
	assert_int_equal(a->meta.fault_period, b->meta.fault_period);
	assert_int_equal(a->meta.allocs_lost, b->meta.allocs_lost);
	assert_str_same(a->meta.alloc_note, b->meta.alloc_note);
}

/* The report of p with o, as a string (caller frees). */
static char *render(const struct profile *p, const struct report_opts *o)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	assert_int_equal(report_write(f, p, o), 0);
	fclose(f);
	return out;
}

static void assert_contains(const char *text, const char *what)
{
	if (!strstr(text, what))
		fail_msg("expected the report to contain\n%s\nsaw:\n%s", what, text);
}

static void assert_same_text(const char *expected, const char *seen, const char *what)
{
	if (strcmp(expected, seen))
		fail_msg("%s differs after the round trip.\nexpected:\n%s\nseen:\n%s", what,
			 expected, seen);
}

static struct profile *load_ok(const char *path, struct session_info *info)
{
	char err[512] = "";
	struct profile *p = session_load(path, info, err, sizeof(err));

	if (!p)
		fail_msg("session_load(%s) failed: %s", path, err);
	return p;
}

static void save_ok(const struct profile *p, const char *path)
{
	char err[512] = "";

	if (session_save(p, path, err, sizeof(err)) != 0)
		fail_msg("session_save(%s) failed: %s", path, err);
}

static size_t count_entries(const char *dir)
{
	char cmd[256];
	FILE *f;
	size_t n = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "ls -A %s", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	pclose(f);
	return n;
}

/* ---- round trips ---- */

static void test_roundtrip_tables(void **state)
{
	struct fixture *fx = *state;
	struct session_info info;
	struct profile *q;

	save_ok(fx->p, fx->path);
	q = load_ok(fx->path, &info);
	assert_int_equal(q->nallocs, 4);
	assert_int_equal(q->allocs[0].free_time, 9 * MS);
	assert_int_equal(q->allocs[1].free_time, PROF_ALLOC_LIVE);
	assert_non_null(q->modules[0].symbols_from);
	assert_same_profile(fx->p, q);
	assert_int_equal(info.schema, SESSION_SCHEMA);
	assert_string_equal(info.version, PACKAGE_VERSION);
	assert_true(info.complete);
	assert_true(info.saved_realtime > 0);
	/* Saving the reopened session again keeps everything, sources included. */
	unlink(fx->src);
	save_ok(q, fx->path);
	{
		struct profile *r = load_ok(fx->path, NULL);

		assert_same_profile(q, r);
		assert_int_equal(r->nsources, q->nsources);
		assert_true(r->nsources > 0);
		profile_free(r);
	}
	profile_free(q);
}

static void test_roundtrip_reports(void **state)
{
	struct fixture *fx = *state;
	static const enum report_format formats[] = {REPORT_TEXT, REPORT_CSV, REPORT_JSON};
	struct report_opts views[] = {
		{.sort = SORT_CUMULATIVE, .limit = 20},
		{.sort = SORT_TOTTIME, .limit = 2, .reverse = true},
		{.sort = SORT_CALLS, .filter.tid = 101},
		{.sort = SORT_CUMULATIVE, .lines_func = "compute"},
		{.sort = SORT_CUMULATIVE, .lines_func = "main"},
		{.sort = SORT_CUMULATIVE, .callers_func = "compute"},
		{.sort = SORT_CUMULATIVE, .callees_func = "main"},
		{.sort = SORT_CUMULATIVE, .memory = true},
		{.sort = SORT_CUMULATIVE, .modules = true},
	};
	char *before[3][sizeof(views) / sizeof(*views)];
	struct profile *q;

	for (size_t f = 0; f < 3; f++) {
		for (size_t v = 0; v < sizeof(views) / sizeof(*views); v++) {
			views[v].format = formats[f];
			before[f][v] = render(fx->p, &views[v]);
		}
	}
	assert_non_null(strstr(before[0][3], "line_12();"));
	/* Where the program's symbols came from; the kernel's is not known. */
	assert_contains(before[0][8], "  work      /opt/bin/work  0123abcd");
	assert_contains(before[0][8], "debug file /usr/lib/debug/.build-id/01/23abcd.debug\n");
	assert_contains(before[0][8], "[kernel]");
	assert_contains(before[1][8], "module,path,build_id,symbols_from,samples\n"
				      "work,/opt/bin/work,0123abcd,debug file "
				      "/usr/lib/debug/.build-id/01/23abcd.debug,100\n"
				      "[kernel],[kernel],,,10\n");
	save_ok(fx->p, fx->path);
	/* On another machine: the sources are gone. */
	assert_int_equal(unlink(fx->src), 0);
	q = load_ok(fx->path, NULL);
	for (size_t f = 0; f < 3; f++) {
		for (size_t v = 0; v < sizeof(views) / sizeof(*views); v++) {
			char *after, what[64];

			views[v].format = formats[f];
			after = render(q, &views[v]);
			snprintf(what, sizeof(what), "report (format %zu, view %zu)", f, v);
			assert_same_text(before[f][v], after, what);
			free(after);
			free(before[f][v]);
		}
	}
	/* Line 12 is sampled; line 80 is the inline call site; 3..11 opens
	 * main's and compute's view; far lines are not kept. */
	assert_string_equal(session_source_line(q, fx->src, 12), "\tline_12(); /* tab\there */");
	assert_non_null(session_source_line(q, fx->src, 80));
	assert_non_null(session_source_line(q, fx->src, 3));
	assert_null(session_source_line(q, fx->src, 119));
	assert_null(session_source_line(q, "/nonexistent.c", 12));
	assert_null(session_source_line(fx->p, fx->src, 12)); /* a live profile carries none */
	profile_free(q);
}

/* Debug info that arrives after a flush renames locations the file holds
 * already: the next flush rewrites their frames. */
static void test_writer_relabel(void **state)
{
	struct fixture *fx = *state;
	struct profile *p = profile_new(), *q;
	struct session_writer *w;
	char err[512];
	uint32_t m, f, g, l, l2, s;

	w = session_writer_open(p, fx->path, err, sizeof(err));
	assert_non_null(w);
	m = profile_intern_module(p, "/bin/x", NULL);
	f = profile_intern_function(p, "x+0x10", NULL, NULL, 0, m);
	l = profile_intern_location(p, m, 0x10, &(struct prof_line){f, NULL, 0}, 1);
	s = profile_intern_stack(p, &l, 1);
	profile_add_sample(p, 1, 1, s, 1, 0);
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	/* renamed, and a new location renamed before it is written */
	g = profile_intern_function(p, "parse", NULL, "p.c", 3, m);
	profile_relabel_location(p, l, (struct prof_line[]){{g, "p.c", 5}, {f, NULL, 0}}, 2);
	l2 = profile_intern_location(p, m, 0x20, &(struct prof_line){f, NULL, 0}, 1);
	profile_relabel_location(p, l2, &(struct prof_line){g, "p.c", 9}, 1);
	profile_add_sample(p, 2, 1, profile_intern_stack(p, &l2, 1), 1, 0);
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	assert_int_equal(session_writer_close(w, err, sizeof(err)), 0);
	q = session_load(fx->path, NULL, err, sizeof(err));
	assert_non_null(q);
	assert_int_equal(q->locations[l].nlines, 2);
	assert_string_equal(profile_function_name(q, q->lines[q->locations[l].first_line].function),
			    "parse");
	assert_int_equal(q->lines[q->locations[l].first_line].line, 5);
	assert_int_equal(q->locations[l2].nlines, 1);
	assert_int_equal(q->lines[q->locations[l2].first_line].line, 9);
	profile_free(q);
	profile_free(p);
}

/* An incremental writer: each flush leaves a whole session behind. */
static void test_writer(void **state)
{
	struct fixture *fx = *state;
	struct profile *p = profile_new(), *q;
	struct session_info info;
	struct session_writer *w;
	char err[512];
	uint32_t m, f, l, s;

	w = session_writer_open(p, fx->path, err, sizeof(err));
	assert_non_null(w);
	/* Nothing under the final name before the first flush. */
	assert_int_equal(access(fx->path, F_OK), -1);
	assert_string_equal(session_writer_path(w), fx->path);
	session_writer_set_meta(w, "options", "-F 99");
	m = profile_intern_module(p, "/bin/x", NULL);
	f = profile_intern_function(p, "f", NULL, fx->src, 0, m);
	l = profile_intern_location(p, m, 0x10, &(struct prof_line){f, fx->src, 7}, 1);
	s = profile_intern_stack(p, &l, 1);
	for (int i = 0; i < 5; i++)
		profile_add_sample(p, (uint64_t)i, 1, s, 1, 0);
	/* Memory records live at the first flush, freed after it. */
	for (int i = 0; i < 6; i++)
		profile_add_alloc(p, &(struct prof_alloc){.time = (uint64_t)i,
							  .free_time = PROF_ALLOC_LIVE,
							  .size = 10 + (uint64_t)i,
							  .bytes = 10 + (uint64_t)i,
							  .allocs = 1,
							  .stack = s,
							  .tid = 1,
							  .kind = i == 5 ? PROF_ALLOC_FAULT
									 : PROF_ALLOC_HEAP});
	profile_alloc_freed(p, 0, 3); /* freed before the first flush */
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, &info);
	assert_false(info.complete);
	assert_same_profile(p, q);
	profile_free(q);
	assert_null(p->modules[m].symbols_from);

	/* Growth, a new thread name, call counts, output. */
	l = profile_intern_location(p, m, 0x20, &(struct prof_line){f, fx->src, 8}, 1);
	s = profile_intern_stack(p, (uint32_t[]){l, l}, 2);
	for (int i = 5; i < 9; i++)
		profile_add_sample(p, (uint64_t)i, 2, s, 2, 0);
	profile_set_thread(p, 2, 1, "two");
	p->functions[f].calls = 9;
	profile_add_output(p, 3, "out", 3);
	profile_add_memory(p, 1, 0, 4096, 8192);
	/* Records written live are freed now (one twice: ignored); new
	 * ones come; the module's symbols were found late. */
	profile_alloc_freed(p, 2, 20);
	profile_alloc_freed(p, 4, 21);
	profile_alloc_freed(p, 4, 99);
	profile_add_alloc(p, &(struct prof_alloc){.time = 30,
						  .free_time = PROF_ALLOC_LIVE,
						  .size = 7,
						  .bytes = 7,
						  .allocs = 1,
						  .stack = s,
						  .tid = 2,
						  .kind = PROF_ALLOC_MMAP});
	profile_set_module_source(p, m, "symbols in the file");
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, NULL);
	assert_same_profile(p, q);
	assert_int_equal(q->allocs[2].free_time, 20);
	assert_int_equal(q->allocs[4].free_time, 21);
	assert_int_equal(q->allocs[1].free_time, PROF_ALLOC_LIVE);
	assert_string_equal(q->modules[m].symbols_from, "symbols in the file");
	profile_free(q);
	/* A flush with only frees, the newest record's included. */
	profile_alloc_freed(p, 1, 40);
	profile_alloc_freed(p, 6, 41);
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, NULL);
	assert_same_profile(p, q);
	assert_int_equal(q->allocs[6].free_time, 41);
	profile_free(q);

	/* 'z' in the TUI empties the log: the file follows, also when the
	 * log has grown past its old length by the next flush. */
	profile_zero(p);
	for (int i = 0; i < 12; i++)
		profile_add_sample(p, 100 + (uint64_t)i, 1, s, 5, 0);
	profile_add_memory(p, 9, 0, 1, 2);
	for (int i = 0; i < 9; i++)
		profile_add_alloc(p, &(struct prof_alloc){.time = 100 + (uint64_t)i,
							  .free_time = PROF_ALLOC_LIVE,
							  .size = 1,
							  .bytes = 1,
							  .allocs = 1,
							  .stack = s,
							  .tid = 1,
							  .kind = PROF_ALLOC_HEAP});
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, NULL);
	assert_same_profile(p, q);
	profile_free(q);
	profile_zero(p);
	profile_add_sample(p, 200, 1, s, 5, 0);
	profile_add_alloc(p, &(struct prof_alloc){.time = 200,
						  .free_time = PROF_ALLOC_LIVE,
						  .size = 1,
						  .bytes = 1,
						  .allocs = 1,
						  .stack = s,
						  .tid = 1,
						  .kind = PROF_ALLOC_HEAP});
	profile_alloc_freed(p, 0, 201);
	assert_int_equal(session_writer_close(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, &info);
	assert_true(info.complete);
	assert_same_profile(p, q);
	profile_free(q);
	profile_free(p);
	/* Only the session is left in the directory (and the source). */
	assert_int_equal(count_entries(fx->dir), 2);
}

/* Folding what the file holds (the budget's sync) never writes a folded
 * record again nor misses a raw one: the file keeps every raw sample. A
 * save of the folded profile keeps the folded records (count). */
static void test_writer_folding(void **state)
{
	struct fixture *fx = *state;
	struct profile *p = profile_new(), *q, *raw = profile_new();
	struct session_writer *w;
	char err[512], path2[256];
	uint32_t m, f, l, s[3];
	uint64_t t = 0;

	w = session_writer_open(p, fx->path, err, sizeof(err));
	assert_non_null(w);
	m = profile_intern_module(p, "/bin/x", NULL);
	f = profile_intern_function(p, "f", NULL, fx->src, 0, m);
	for (int i = 0; i < 3; i++) {
		l = profile_intern_location(p, m, 0x10 + (uint64_t)i,
					    &(struct prof_line){f, fx->src, 7 + i}, 1);
		s[i] = profile_intern_stack(p, &l, 1);
	}
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 1000; i++, t += 3000000) {
			struct prof_sample x = {.time = t,
						.weight = 1000,
						.stack = s[i % 3],
						.tid = 1 + i % 2,
						.flags = 0,
						.count = 1};

			profile_add_record(p, &x);
			profile_add_record(raw, &x);
		}
		assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
		assert_int_equal(session_writer_samples_written(w), p->nsamples + p->log_shift);
		/* Fold all but the newest 300 records the file holds. */
		profile_fold(p, p->nsamples - 300, 1000000000ull);
		assert_true(p->log_shift > 0);
	}
	for (int i = 0; i < 10; i++, t += 3000000) {
		profile_add_sample(raw, t, 1, s[0], 1000, 0);
		profile_add_sample(p, t, 1, s[0], 1000, 0);
	}
	assert_int_equal(session_writer_close(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, NULL);
	assert_int_equal(q->nsamples, raw->nsamples);
	assert_int_equal(q->total_samples, p->total_samples);
	for (size_t i = 0; i < q->nsamples; i++) {
		assert_int_equal(q->samples[i].count, 1);
		assert_int_equal(q->samples[i].time, raw->samples[i].time);
		assert_int_equal(q->samples[i].stack, raw->samples[i].stack);
	}
	profile_free(q);
	/* The folded profile saved whole: its records, counts and all. */
	snprintf(path2, sizeof(path2), "%s/folded.proftop", fx->dir);
	save_ok(p, path2);
	q = load_ok(path2, NULL);
	assert_same_profile(p, q);
	profile_free(q);
	/* Loaded within a small budget: folded as it loads, the same totals. */
	q = session_load_within(fx->path, 64 * 1024, NULL, err, sizeof(err));
	assert_non_null(q);
	assert_int_equal(q->total_samples, raw->total_samples);
	assert_int_equal(q->total_weight, raw->total_weight);
	assert_true(q->nsamples < raw->nsamples);
	profile_free(q);
	unlink(path2);
	profile_free(raw);
	profile_free(p);
}

static void add_heap(struct profile *p, uint64_t time, uint32_t stack)
{
	profile_add_alloc(p, &(struct prof_alloc){.time = time,
						  .free_time = PROF_ALLOC_LIVE,
						  .size = 100,
						  .bytes = 65536,
						  .allocs = 1,
						  .stack = stack,
						  .tid = 1,
						  .kind = PROF_ALLOC_HEAP});
}

/* Memory records folded in memory once the file holds them (the budget's
 * sync): the file keeps every raw record with its free time, a record
 * written live and freed after the fold is updated in the file, and a
 * file opened after the fold (the live view's save) takes the folded
 * records as rows and updates the right row when one is freed. */
static void test_writer_folding_allocs(void **state)
{
	struct fixture *fx = *state;
	struct profile *p = profile_new(), *q;
	struct session_writer *w, *w2;
	char err[512], path2[256];
	uint32_t m, f, l, s;
	size_t kept;

	w = session_writer_open(p, fx->path, err, sizeof(err));
	assert_non_null(w);
	m = profile_intern_module(p, "/bin/x", NULL);
	f = profile_intern_function(p, "f", NULL, fx->src, 0, m);
	l = profile_intern_location(p, m, 0x10, &(struct prof_line){f, fx->src, 7}, 1);
	s = profile_intern_stack(p, &l, 1);
	profile_add_sample(p, 0, 1, s, 1, 0);
	for (uint64_t i = 0; i < 100; i++)
		add_heap(p, i * MS, s);
	for (uint64_t i = 0; i < 60; i++)
		if (i % 10)
			profile_alloc_freed(p, i, (i + 5) * MS);
	assert_int_equal(session_writer_allocs_written(w), 0);
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	assert_int_equal(session_writer_allocs_written(w), 100);
	kept = profile_fold_allocs(p, 100, 1000000000ull);
	/* 54 freed ones in one record; 46 live ones whole */
	assert_int_equal(kept, 47);
	assert_int_equal(p->allocs_shift, 53);
	profile_alloc_freed(p, 10, 500 * MS); /* written live, kept whole */
	for (uint64_t i = 100; i < 105; i++)
		add_heap(p, i * MS, s);
	profile_alloc_freed(p, 103, 200 * MS);
	assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
	assert_int_equal(session_writer_allocs_written(w), 105);
	q = load_ok(fx->path, NULL);
	assert_int_equal(q->nallocs, 105);
	for (uint64_t i = 0; i < 105; i++) {
		uint64_t want = i == 10	  ? 500 * MS
				: i == 103 ? 200 * MS
				: i < 60 && i % 10 ? (i + 5) * MS
						   : PROF_ALLOC_LIVE;

		assert_int_equal(q->allocs[i].free_time, want);
		assert_int_equal(q->allocs[i].time, i * MS);
		assert_int_equal(q->allocs[i].allocs, 1);
	}
	profile_free(q);

	/* A second file, opened on the folded profile */
	snprintf(path2, sizeof(path2), "%s/late.proftop", fx->dir);
	w2 = session_writer_open(p, path2, err, sizeof(err));
	assert_non_null(w2);
	assert_int_equal(session_writer_flush(w2, err, sizeof(err)), 0);
	assert_int_equal(session_writer_allocs_written(w2), 105);
	profile_alloc_freed(p, 20, 600 * MS);
	assert_int_equal(session_writer_flush(w2, err, sizeof(err)), 0);
	q = load_ok(path2, NULL);
	assert_same_profile(p, q);
	assert_int_equal(q->nallocs, p->nallocs);
	assert_int_equal(q->allocs[profile_alloc_index(p, 20)].free_time, 600 * MS);
	assert_int_equal(q->allocs[1].allocs, 54); /* the folded one, a row */
	profile_free(q);
	assert_int_equal(session_writer_close(w2, err, sizeof(err)), 0);
	assert_int_equal(session_writer_close(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, NULL);
	assert_int_equal(q->nallocs, 105);
	assert_int_equal(q->allocs[20].free_time, 600 * MS);
	profile_free(q);
	unlink(path2);
	profile_free(p);
}

/* Output dropped from memory after a flush stays whole in the file; a
 * save of the cut profile says how much went (meta output_dropped). */
static void test_writer_output_dropped(void **state)
{
	struct fixture *fx = *state;
	struct profile *p = profile_new(), *q;
	struct session_writer *w;
	char err[512], path2[256];
	size_t written = 0;

	w = session_writer_open(p, fx->path, err, sizeof(err));
	assert_non_null(w);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 100; i++, written += 6)
			profile_add_output(p, (uint64_t)(round * 100 + i), "chat\r\n", 6);
		assert_int_equal(session_writer_flush(w, err, sizeof(err)), 0);
		profile_drop_output(p, 60);
		assert_true(p->output_dropped > 0);
	}
	profile_add_output(p, 999, "last\n", 5);
	written += 5;
	assert_int_equal(session_writer_close(w, err, sizeof(err)), 0);
	q = load_ok(fx->path, NULL);
	assert_int_equal(q->output_len, written);
	assert_int_equal(q->noutput_chunks, 301);
	assert_memory_equal(q->output + written - 11, "chat\r\nlast\n", 11);
	profile_free(q);
	snprintf(path2, sizeof(path2), "%s/cut.proftop", fx->dir);
	save_ok(p, path2);
	q = load_ok(path2, NULL);
	assert_int_equal(q->output_dropped, p->output_dropped);
	assert_int_equal(q->output_len, p->output_len);
	assert_memory_equal(q->output, p->output, p->output_len);
	profile_free(q);
	unlink(path2);
	profile_free(p);
}

static void sql(const char *path, const char *statement);

/* Sessions written before the count column load as raw samples. */
static void test_load_without_count(void **state)
{
	struct fixture *fx = *state;
	struct profile *q;

	save_ok(fx->p, fx->path);
	sql(fx->path, "DROP VIEW sample_functions; ALTER TABLE samples DROP COLUMN count");
	q = load_ok(fx->path, NULL);
	assert_same_profile(fx->p, q);
	profile_free(q);
}

/* Sessions written before memory records and symbol sources: no allocs
 * table, no modules.symbols_from column. They load with none. */
static void test_load_without_allocs(void **state)
{
	struct fixture *fx = *state;
	struct profile *q;

	save_ok(fx->p, fx->path);
	sql(fx->path, "DROP TABLE allocs; DROP VIEW sample_functions; "
		      "ALTER TABLE modules DROP COLUMN symbols_from");
	q = load_ok(fx->path, NULL);
	assert_int_equal(q->nallocs, 0);
	for (size_t i = 0; i < q->nmodules; i++)
		assert_null(q->modules[i].symbols_from);
	{
		struct report_opts o = {.sort = SORT_CUMULATIVE, .modules = true};
		char *text = render(q, &o);

		assert_contains(text, "      100  work      /opt/bin/work  0123abcd ");
		assert_contains(text, "  unknown (older session)\n");
		free(text);
	}
	/* Everything else as saved. */
	fx->p->nallocs = 0;
	for (size_t i = 0; i < fx->p->nmodules; i++)
		fx->p->modules[i].symbols_from = NULL;
	assert_same_profile(fx->p, q);
	profile_free(q);
}

/* ---- failures to save ---- */

static void assert_err_contains(const char *err, const char *what)
{
	if (!strstr(err, what))
		fail_msg("expected an error mentioning '%s', saw '%s'", what, err);
	if (strchr(err, '\n'))
		fail_msg("expected a one-line error, saw '%s'", err);
}

static void test_save_errors(void **state)
{
	struct fixture *fx = *state;
	char err[512], path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/missing/s.proftop", fx->dir);
	assert_int_equal(session_save(fx->p, path, err, sizeof(err)), -1);
	assert_err_contains(err, "No such file or directory");
	assert_err_contains(err, path);
	assert_null(session_writer_open(fx->p, path, err, sizeof(err)));

	assert_int_equal(session_save(fx->p, fx->dir, err, sizeof(err)), -1);
	assert_err_contains(err, "directory");

	/* Read-only: a directory without write permission, or for root (who
	 * ignores permissions) a file system that refuses new files. */
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/ro", fx->dir);
		assert_int_equal(mkdir(path, 0555), 0);
		snprintf(path, sizeof(path), "%s/ro/s.proftop", fx->dir);
		assert_int_equal(session_save(fx->p, path, err, sizeof(err)), -1);
		assert_err_contains(err, "Permission denied");
	} else {
		assert_int_equal(session_save(fx->p, "/proc/s.proftop", err, sizeof(err)), -1);
		assert_err_contains(err, "cannot write /proc/s.proftop");
	}
	/* Nothing was left behind, and the profile is as it was. */
	assert_int_equal(count_entries(fx->dir), geteuid() != 0 ? 2 : 1);
	assert_int_equal(fx->p->nsamples, 100);
	assert_int_equal(stat(fx->path, &st), -1);
}

/* A full disk, as the file size limit: the old file stays, no temporary. */
static void test_save_disk_full(void **state)
{
	struct fixture *fx = *state;
	struct rlimit old, lim;
	char err[512];
	struct stat before, after;
	struct profile *big = profile_new();
	uint32_t m = profile_intern_module(big, "/bin/big", NULL);
	uint32_t f = profile_intern_function(big, "f", NULL, NULL, 0, m);
	uint32_t l = profile_intern_location(big, m, 1, &(struct prof_line){f, NULL, 0}, 1);
	uint32_t s = profile_intern_stack(big, &l, 1);

	for (int i = 0; i < 200000; i++)
		profile_add_sample(big, (uint64_t)i * 1000000, i % 7, s, 1000000, 0);
	save_ok(fx->p, fx->path);
	assert_int_equal(stat(fx->path, &before), 0);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 256 * 1024;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(session_save(big, fx->path, err, sizeof(err)), -1);
	setrlimit(RLIMIT_FSIZE, &old);
	fprintf(stderr, "# disk full: %s\n", err);
	signal(SIGXFSZ, SIG_DFL);
	assert_err_contains(err, fx->path);
	assert_int_equal(stat(fx->path, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(count_entries(fx->dir), 2);
	/* The old session still opens. */
	profile_free(load_ok(fx->path, NULL));
	/* And the same save works with room. */
	save_ok(big, fx->path);
	{
		struct profile *q = load_ok(fx->path, NULL);

		assert_int_equal(q->nsamples, 200000);
		profile_free(q);
	}
	profile_free(big);
}

/* ---- bad files ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void spill(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Loading path fails with a one-line error containing what, and leaves
 * the file byte for byte as it was. */
static void assert_load_fails(const char *path, const char *what)
{
	struct profile *p;
	char err[512] = "";
	char *before = NULL, *after;
	size_t blen = 0, alen;
	struct stat st;
	bool exists = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	if (exists)
		before = slurp(path, &blen);
	p = session_load(path, NULL, err, sizeof(err));
	if (p)
		fail_msg("expected loading %s to fail with '%s', it loaded", path, what);
	assert_err_contains(err, what);
	if (exists) {
		after = slurp(path, &alen);
		assert_int_equal(blen, alen);
		assert_memory_equal(before, after, blen);
		free(after);
	}
	free(before);
}

static void sql(const char *path, const char *statement)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, statement, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", statement, msg);
	sqlite3_close(db);
}

/* A fresh copy of the saved session with one SQL change. */
static void tamper(struct fixture *fx, const char *to, const char *statement)
{
	size_t len;
	char *buf = slurp(fx->path, &len);

	spill(to, buf, len);
	free(buf);
	sql(to, statement);
}

static void test_load_errors(void **state)
{
	struct fixture *fx = *state;
	char path[256], err[512];
	size_t len;
	char *buf;

	save_ok(fx->p, fx->path);
	buf = slurp(fx->path, &len);
	snprintf(path, sizeof(path), "%s/bad", fx->dir);

	assert_load_fails("/nonexistent/x.proftop", "No such file or directory");
	assert_load_fails(fx->dir, "directory");
	spill(path, "", 0);
	assert_load_fails(path, "is empty");
	spill(path, "hello, world\n", 13);
	assert_load_fails(path, "not an SQLite database");
	spill(path, buf, 50);
	assert_load_fails(path, "truncated");
	spill(path, buf, len / 2);
	assert_load_fails(path, "truncated");
	spill(path, buf, len - 100);
	assert_load_fails(path, "truncated");

	unlink(path);
	sql(path, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
	assert_load_fails(path, "an SQLite database but not a proftop session");

	tamper(fx, path, "PRAGMA user_version = 99");
	assert_load_fails(path, "written by a newer proftop (schema 99); this one reads up to 1");
	tamper(fx, path, "UPDATE meta SET value = 'other' WHERE key = 'format'");
	assert_load_fails(path, "not a proftop session");
	tamper(fx, path, "UPDATE samples SET stack = 99999 WHERE rowid = 5");
	assert_load_fails(path, "corrupt: samples row 5: stack 99999 is out of range");
	tamper(fx, path, "UPDATE samples SET time = 'soon' WHERE rowid = 7");
	assert_load_fails(path, "corrupt: samples row 7: time is not an integer");
	tamper(fx, path, "UPDATE samples SET weight = -1 WHERE rowid = 1");
	assert_load_fails(path, "weight -1 is out of range");
	tamper(fx, path, "UPDATE functions SET module = 7 WHERE id = 1");
	assert_load_fails(path, "functions row 2: module 7 is out of range");
	tamper(fx, path, "UPDATE functions SET name = 'main', system_name = 'main' WHERE id = 1");
	assert_load_fails(path, "appears twice");
	tamper(fx, path, "DELETE FROM functions WHERE id = 1");
	assert_load_fails(path, "id 2 where 1 was expected");
	tamper(fx, path, "UPDATE location_lines SET function = 55 WHERE location = 3");
	assert_load_fails(path, "function 55 is out of range");
	tamper(fx, path, "UPDATE location_lines SET depth = 5 WHERE location = 3 AND depth = 1");
	assert_load_fails(path, "depth 5 where 1 was expected");
	tamper(fx, path, "INSERT INTO location_lines VALUES (77, 0, 0, NULL, 0)");
	assert_load_fails(path, "location 77 does not exist");
	tamper(fx, path, "UPDATE stacks SET parent = id WHERE id = 2");
	assert_load_fails(path, "stacks row 2: parent 2 is out of range");
	tamper(fx, path, "UPDATE stacks SET location = 1000 WHERE id = 1");
	assert_load_fails(path, "location 1000 is out of range");
	tamper(fx, path, "UPDATE output SET data = 'text'");
	assert_load_fails(path, "data is not a blob");
	tamper(fx, path, "DROP TABLE memory");
	assert_load_fails(path, "the memory table is missing");
	tamper(fx, path, "DROP TABLE samples; CREATE VIEW samples AS SELECT 1 AS time");
	assert_load_fails(path, "samples is not a table");
	tamper(fx, path, "UPDATE meta SET value = 'x' WHERE key = 'pid'");
	assert_load_fails(path, "meta 'pid' is not an integer");
	tamper(fx, path, "UPDATE latency_buckets SET bucket = 99999 WHERE bucket = 5");
	assert_load_fails(path, "bucket 99999 is out of range");
	tamper(fx, path, "INSERT INTO latency_buckets VALUES (2, 0, 1)");
	assert_load_fails(path, "function 2 has no latency record");
	tamper(fx, path, "UPDATE functions SET calls_rate = 'fast'");
	assert_load_fails(path, "calls_rate is not a number");
	tamper(fx, path, "UPDATE allocs SET kind = 7 WHERE id = 1");
	assert_load_fails(path, "allocs row 2: kind 7 is out of range");
	tamper(fx, path, "UPDATE allocs SET stack = 4242 WHERE id = 0");
	assert_load_fails(path, "allocs row 1: stack 4242 is out of range");
	tamper(fx, path, "UPDATE allocs SET free_time = 0 WHERE id = 2");
	assert_load_fails(path, "allocs row 3: free_time 0 is out of range");
	tamper(fx, path, "UPDATE allocs SET free_time = time WHERE id = 3");
	assert_load_fails(path, "a page fault record has a free_time");
	tamper(fx, path, "DELETE FROM allocs WHERE id = 1");
	assert_load_fails(path, "allocs row 2: id 2 where 1 was expected");
	tamper(fx, path, "UPDATE modules SET symbols_from = x'41' WHERE id = 0");
	assert_load_fails(path, "modules row 1: symbols_from is not text");

	/* A page of zeros in the middle: SQLite's own checks. */
	memset(buf + 4096 * 3, 0x5a, 4096);
	spill(path, buf, len);
	{
		struct profile *p = session_load(path, NULL, err, sizeof(err));

		/* Either it is caught, or the page held nothing we read. */
		if (p)
			profile_free(p);
		else
			assert_err_contains(err, path);
	}
	free(buf);
}

/* proftop killed in the middle of a flush: SQLite's journal brings the file
 * back to the last flush when it is opened. */
static void test_crash_during_flush(void **state)
{
	struct fixture *fx = *state;
	struct session_info info;
	char journal[160];
	struct profile *q;
	pid_t pid;
	int status;

	save_ok(fx->p, fx->path);
	snprintf(journal, sizeof(journal), "%s-journal", fx->path);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;

		/* A small cache spills the change into the file before commit. */
		if (sqlite3_open(fx->path, &db) != SQLITE_OK ||
		    sqlite3_exec(db,
				 "PRAGMA cache_size = 1; BEGIN; DELETE FROM samples; "
				 "DELETE FROM functions; UPDATE meta SET value = 'x'",
				 NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		_exit(0); /* no commit, no rollback: as if killed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(status, 0);
	assert_int_equal(access(journal, F_OK), 0);
	q = load_ok(fx->path, &info);
	assert_true(info.recovered);
	assert_same_profile(fx->p, q);
	profile_free(q);
	assert_int_equal(access(journal, F_OK), -1);
	q = load_ok(fx->path, &info);
	assert_false(info.recovered);
	profile_free(q);
}

/* The documented schema answers plain questions with sqlite3. */
static void test_sqlite_queries(void **state)
{
	struct fixture *fx = *state;
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t expect = 0;

	save_ok(fx->p, fx->path);
	for (size_t i = 0; i < fx->p->nsamples; i++) {
		const struct prof_sample *s = &fx->p->samples[i];

		expect += s->tid == 101 && s->time >= 450 * MS && s->time < 900 * MS;
	}
	assert_true(expect > 0);
	assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM samples WHERE tid = 101 AND "
					    "time >= 450000000 AND time < 900000000",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(st, 0), expect);
	sqlite3_finalize(st);
	/* The leaf function of each sample, through the view. */
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT function, count(*) FROM sample_functions "
					    "GROUP BY function ORDER BY 2 DESC",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(sqlite3_column_text(st, 0), "compute(int)");
	assert_int_equal(sqlite3_column_int(st, 1), 40);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void test_default_name(void **state)
{
	struct fixture *fx = *state;
	char *name = session_default_name(fx->p);
	struct tm tm;
	time_t t = 1700000000;
	char expect[64], stamp[32];

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(expect, sizeof(expect), "proftop-work-%s.proftop", stamp);
	assert_string_equal(name, expect);
	free(name);
	fx->p->meta.command = profile_str(fx->p, "/x/a b;c/'$(rm) -rf");
	name = session_default_name(fx->p);
	snprintf(expect, sizeof(expect), "proftop-a-%s.proftop", stamp);
	assert_string_equal(name, expect);
	free(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_reports, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_relabel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_folding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_folding_allocs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_without_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_without_allocs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_output_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_during_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sqlite_queries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_name, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
