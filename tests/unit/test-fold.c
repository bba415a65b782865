/* Folding the sample log (profile-fold.c): totals kept per thread, stack
 * and flags, intervals in time order, the fold positions an incremental
 * reader keys on, and the budget policy over long runs. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "profile.h"
#include "xalloc.h"

#define NSTACKS 40

static uint32_t stacks[NSTACKS];

static struct profile *new_profile(void)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/a", NULL);

	for (int i = 0; i < NSTACKS; i++) {
		char name[16];
		uint32_t f, l;
		struct prof_line ln;

		snprintf(name, sizeof(name), "f%d", i);
		f = profile_intern_function(p, name, NULL, NULL, 0, m);
		ln = (struct prof_line){f, "t.c", i + 1};
		l = profile_intern_location(p, m, 0x1000 + (uint64_t)i, &ln, 1);
		stacks[i] = profile_intern_stack(p, &l, 1);
	}
	return p;
}

/* Per (tid 1..2, stack, kernel flag): count and weight over the log. */
struct tally {
	uint64_t count[2][NSTACKS][2], weight[2][NSTACKS][2];
};

static int stack_index(uint32_t st)
{
	for (int i = 0; i < NSTACKS; i++)
		if (stacks[i] == st)
			return i;
	fail_msg("stack %u not among the test's", st);
	return 0;
}

static void tally_log(const struct profile *p, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];
		int k = s->flags & PROF_SAMPLE_KERNEL ? 1 : 0;

		t->count[s->tid - 1][stack_index(s->stack)][k] += s->count;
		t->weight[s->tid - 1][stack_index(s->stack)][k] += s->weight;
	}
}

/* A deterministic pseudo-random stream (xorshift). */
static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* One sample every step ns from t0, threads alternating, a little out of
 * order now and then (rings of two CPUs drained one after the other). */
static uint64_t add_samples(struct profile *p, uint64_t t0, size_t n, uint64_t step)
{
	uint64_t t = t0;

	for (size_t i = 0; i < n; i++, t += step) {
		uint64_t r = rnd();
		uint64_t jitter = (r >> 40) % 4 == 0 ? step / 2 : 0;

		profile_add_sample(p, t > jitter ? t - jitter : t, (int32_t)(1 + i % 2),
				   stacks[r % NSTACKS], 1000 + (r >> 20) % 7,
				   (r >> 30) % 5 == 0 ? PROF_SAMPLE_KERNEL : 0);
	}
	return t;
}

static void test_fold_keeps_totals(void **state)
{
	struct profile *p = new_profile();
	struct tally before, after;
	uint64_t samples, weight;
	size_t n, kept;

	(void)state;
	add_samples(p, 0, 20000, 250000); /* 5 s at 4 kHz */
	n = p->nsamples;
	samples = p->total_samples;
	weight = p->total_weight;
	tally_log(p, &before);
	kept = profile_fold(p, 12000, 1000000000ull);
	tally_log(p, &after);
	assert_memory_equal(&before, &after, sizeof(before));
	assert_int_equal(p->total_samples, samples);
	assert_int_equal(p->total_weight, weight);
	/* 3 s of 2 threads x 40 stacks x 2 flags: at most 480 keys. */
	assert_true(kept <= 4 * 2 * NSTACKS * 2);
	assert_int_equal(p->nsamples, kept + (n - 12000));
	for (size_t i = 1; i < kept; i++)
		assert_true(p->samples[i].time / 1000000000ull >=
			    p->samples[i - 1].time / 1000000000ull);
	for (size_t i = kept; i < p->nsamples; i++)
		assert_int_equal(p->samples[i].count, 1);
	profile_free(p);
}

/* The positions of profile.h: a record at or past log_folded_abs keeps its
 * absolute index; profile_zero starts a new epoch. */
static void test_fold_positions(void **state)
{
	struct profile *p = new_profile();
	struct prof_sample mark;
	uint64_t abs, epoch;
	size_t kept, kept2;

	(void)state;
	add_samples(p, 0, 10000, 1000000);
	assert_int_equal(p->log_shift, 0);
	assert_int_equal(p->log_folded_abs, 0);
	mark = p->samples[7000];
	abs = 7000;
	kept = profile_fold(p, 5000, 1000000000ull);
	assert_int_equal(p->log_folded_abs, 5000);
	assert_int_equal(p->log_shift, 5000 - kept);
	assert_int_equal(p->samples[abs - p->log_shift].time, mark.time);
	assert_int_equal(p->samples[abs - p->log_shift].stack, mark.stack);
	/* Fold again, past the first folded part, with a coarser interval. */
	kept2 = profile_fold(p, 7000 - p->log_shift, 2000000000ull);
	assert_int_equal(p->log_folded_abs, 7000);
	assert_int_equal(p->log_shift, 7000 - kept2);
	assert_int_equal(p->samples[abs - p->log_shift].count, 1);
	assert_int_equal(p->samples[abs - p->log_shift].time, mark.time);
	assert_int_equal(p->nsamples + p->log_shift, 10000);
	epoch = p->log_epoch;
	profile_zero(p);
	assert_int_equal(p->log_epoch, epoch + 1);
	assert_int_equal(p->log_shift, 0);
	assert_int_equal(p->log_folded_abs, 0);
	profile_free(p);
}

struct sync_arg {
	uint64_t safe, safe_allocs;
	unsigned calls;
};

static void sync_to(void *arg, struct prof_fold_safe *safe)
{
	struct sync_arg *a = arg;

	a->calls++;
	safe->samples = a->safe;
	safe->allocs = a->safe_allocs;
}

/* Run secs seconds at rate Hz through the budget, ticking every 100 ms the
 * way the collector does; returns the budget's peak. */
static uint64_t run_budget(struct profile *p, struct prof_budget *b, unsigned secs, unsigned rate)
{
	uint64_t t = 0, step = 1000000000ull / rate;

	for (unsigned tick = 0; tick < secs * 10; tick++) {
		t = add_samples(p, t, rate / 10, step);
		profile_keep_budget(p, b, NULL, NULL);
	}
	return b->peak_bytes;
}

/* Past the budget, a longer run peaks no higher than a shorter one: the
 * issue's measure (--max-memory 16M, 20 kHz on 2 threads, 10 s and 40 s)
 * in the model, at the rate a perf ring delivers on an idle machine. */
static void test_budget_flat(void **state)
{
	struct profile *p10 = new_profile(), *p40 = new_profile();
	struct prof_budget b10 = {.max_bytes = 16u << 20}, b40 = {.max_bytes = 16u << 20};
	uint64_t peak10, peak40, sum = 0;
	struct tally t;

	(void)state;
	peak10 = run_budget(p10, &b10, 10, 40000);
	peak40 = run_budget(p40, &b40, 40, 40000);
	printf("# peak: 10 s %llu bytes (log %llu), 40 s %llu bytes (log %llu), budget %llu\n",
	       (unsigned long long)peak10, (unsigned long long)b10.peak_log_bytes,
	       (unsigned long long)peak40, (unsigned long long)b40.peak_log_bytes,
	       (unsigned long long)b40.max_bytes);
	assert_true(b10.folds > 0);
	assert_true(peak40 <= peak10);
	assert_true(peak40 <= b40.max_bytes);
	assert_int_equal(p40->total_samples, 40 * 40000);
	tally_log(p40, &t);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < NSTACKS; i++)
			sum += t.count[0][i][k] + t.count[1][i][k];
	assert_int_equal(sum, 40 * 40000);
	profile_free(p10);
	profile_free(p40);
}

/* 8 hours' worth (30 minutes at 16 kHz) within the default budget, every
 * (thread, stack, flags) total the same as keeping everything would give. */
static void test_budget_long_run(void **state)
{
	struct profile *p = new_profile();
	struct prof_budget b = {.max_bytes = 256u << 20};
	struct tally t;
	uint64_t keys[2][NSTACKS][2] = {{{0}}};
	uint64_t saved = rnd_state;

	(void)state;
	run_budget(p, &b, 30 * 60, 16000);
	printf("# 30 min at 16 kHz: %llu samples in %zu records, peak %llu bytes, interval %llu "
	       "ns\n",
	       (unsigned long long)p->total_samples, p->nsamples, (unsigned long long)b.peak_bytes,
	       (unsigned long long)b.interval_ns);
	assert_true(b.peak_bytes <= b.max_bytes);
	assert_int_equal(p->total_samples, 30ull * 60 * 16000);
	/* Replay the same stream without the log to know the exact totals. */
	rnd_state = saved;
	for (size_t i = 0; i < 30ull * 60 * 16000; i++) {
		uint64_t r = rnd();

		keys[i % 2][r % NSTACKS][(r >> 30) % 5 == 0]++;
	}
	tally_log(p, &t);
	assert_memory_equal(keys, t.count, sizeof(keys));
	profile_free(p);
}

/* Only records before the sync position go (a session file has them). */
static void test_budget_sync(void **state)
{
	struct profile *p = new_profile();
	struct prof_budget b = {.max_bytes = 1u << 20};
	struct sync_arg a = {.safe = 0};

	(void)state;
	add_samples(p, 0, 40000, 100000);
	assert_false(profile_keep_budget(p, &b, sync_to, &a));
	assert_int_equal(a.calls, 1);
	assert_int_equal(p->log_shift, 0);
	a.safe = 10000;
	assert_true(profile_keep_budget(p, &b, sync_to, &a));
	assert_int_equal(p->log_folded_abs, 10000);
	for (size_t i = 10000 - p->log_shift; i < p->nsamples; i++)
		assert_int_equal(p->samples[i].count, 1);
	assert_int_equal(p->total_samples, 40000);
	profile_free(p);
}

/* Captured output keeps its newest pieces whole within the budget. */
static void test_output_dropped(void **state)
{
	struct profile *p = profile_new();
	struct prof_budget b = {.max_bytes = 1u << 20};
	struct sync_arg a = {.safe = 0};
	char line[100];

	(void)state;
	for (int i = 0; i < 4000; i++) {
		int n = snprintf(line, sizeof(line), "line %06d of the target's chatter\n", i);

		profile_add_output(p, (uint64_t)i, line, (size_t)n);
	}
	assert_int_equal(p->output_len, 4000 * 36);
	profile_add_sample(p, 1, 1, 0, 1000, 0);
	/* Past an eighth of the budget, but the file does not hold it yet. */
	assert_false(profile_keep_budget(p, &b, sync_to, &a));
	assert_int_equal(p->output_dropped, 0);
	a.safe = 1; /* the log's end: the file holds everything */
	for (int i = 0; i < 1000; i++)
		profile_add_output(p, 4000 + (uint64_t)i, "01234567890123456789012345678901234\n",
				   36);
	assert_true(profile_keep_budget(p, &b, sync_to, &a));
	assert_true(p->output_len <= (1u << 20) / 16);
	assert_int_equal(p->output_len + p->output_dropped, 5000 * 36);
	assert_int_equal(p->noutput_chunks + p->output_chunks_shift, 5000);
	assert_int_equal(p->output_dropped % 36, 0);
	assert_int_equal(p->output_chunks[0].offset, 0);
	assert_int_equal(p->output_chunks[0].time, p->output_chunks_shift);
	assert_memory_equal(p->output + p->output_len - 36, "01234567890123456789012345678901234\n",
			    36);
	assert_int_equal(p->output[p->output_len], '\0');
	profile_free(p);
}

/* ---- memory records ---- */

#define MS 1000000ull

/* n records, one every step ns from t0, on 8 stacks and 2 threads; every
 * live_every-th one still live (0: none), the others freed 5 ms after;
 * every seventh a page fault. Returns the ids. */
static uint64_t *add_allocs(struct profile *p, uint64_t t0, size_t n, uint64_t step,
			    unsigned live_every)
{
	uint64_t *ids = xmalloc(n * sizeof(*ids));

	for (size_t i = 0; i < n; i++) {
		struct prof_alloc a = {
			.time = t0 + i * step,
			.free_time = PROF_ALLOC_LIVE,
			.size = 1000 + i % 5,
			.bytes = 65536,
			.allocs = 64,
			.stack = (uint32_t)(i % 8),
			.tid = 100 + (int32_t)(i % 2),
			.kind = i % 7 == 0 ? PROF_ALLOC_FAULT : PROF_ALLOC_HEAP,
		};

		ids[i] = profile_add_alloc(p, &a);
		assert_int_equal(ids[i], p->allocs_shift + p->nallocs - 1);
		if ((!live_every || i % live_every) && a.kind != PROF_ALLOC_FAULT)
			profile_alloc_freed(p, ids[i], a.time + 5 * MS);
	}
	return ids;
}

struct alloc_tally {
	uint64_t bytes, allocs, live, faults;
	double area; /* freed records: bytes x ns they were live, summed */
};

static void tally_allocs(const struct profile *p, struct alloc_tally *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < p->nallocs; i++) {
		const struct prof_alloc *a = &p->allocs[i];

		if (a->kind == PROF_ALLOC_FAULT) {
			t->faults += a->bytes;
			continue;
		}
		t->bytes += a->bytes;
		t->allocs += a->allocs;
		if (a->free_time == PROF_ALLOC_LIVE)
			t->live += a->bytes;
		else
			t->area += (double)a->bytes * (double)(a->free_time - a->time);
	}
}

/* Folding keeps every total, keeps live records whole and findable by
 * their ids (a free after the fold lands), ids growing along the array;
 * records past the fold keep index = id - allocs_shift. */
static void test_fold_allocs(void **state)
{
	struct profile *p = profile_new();
	struct alloc_tally before, after;
	size_t n = 20000, upto = 15000, kept;
	uint64_t *ids = add_allocs(p, 0, n, 100000, 3); /* 2 s, 10 kHz */
	uint64_t live_id = ids[3], late_id = ids[n - 2];
	struct prof_alloc a = {.time = 3000 * MS, .free_time = PROF_ALLOC_LIVE, .bytes = 1};

	(void)state;
	tally_allocs(p, &before);
	kept = profile_fold_allocs(p, upto, PROF_FOLD_INTERVAL_NS / 10);
	/* 15,000 records: the 4,286 live ones stay whole; the others fold to
	 * at most 16 x 16 (intervals of allocation and of free) x 8 stacks x
	 * 2 kinds... in fact a few per interval and stack: far fewer */
	assert_true(kept >= 4286 && kept < 4286 + 16 * 8 * 2 * 2);
	assert_int_equal(p->nallocs, n - (upto - kept));
	assert_int_equal(p->allocs_shift, upto - kept);
	assert_int_equal(p->allocs_folded_abs, upto);
	tally_allocs(p, &after);
	assert_int_equal(after.bytes, before.bytes);
	assert_int_equal(after.allocs, before.allocs);
	assert_int_equal(after.live, before.live);
	assert_int_equal(after.faults, before.faults);
	/* a folded record is allocated at its records' mean time and freed
	 * at their mean free time (by bytes): the live bytes over time, summed,
	 * stay (to the rounding of the means to whole ns) */
	assert_true(after.area - before.area <= (double)kept * 65536 * 64 &&
		    before.area - after.area <= (double)kept * 65536 * 64);
	for (size_t i = 1; i < p->nallocs; i++)
		assert_true(p->allocs[i].id > p->allocs[i - 1].id);
	for (size_t i = 0; i < n; i++) {
		size_t at = profile_alloc_index(p, ids[i]);

		if (i >= upto) {
			assert_int_equal(at, ids[i] - p->allocs_shift);
		} else if (i % 3 == 0 && i % 7) { /* live: whole, there */
			assert_true(at != SIZE_MAX);
			assert_int_equal(p->allocs[at].free_time, PROF_ALLOC_LIVE);
			assert_int_equal(p->allocs[at].allocs, 64);
		}
	}
	profile_alloc_freed(p, live_id, 1900 * MS);
	assert_int_equal(p->allocs[profile_alloc_index(p, live_id)].free_time, 1900 * MS);
	profile_alloc_freed(p, late_id, 2100 * MS);
	assert_int_equal(p->allocs[profile_alloc_index(p, late_id)].free_time, 2100 * MS);
	/* a second fold, over everything and coarser */
	profile_fold_allocs(p, p->nallocs, PROF_FOLD_INTERVAL_NS);
	tally_allocs(p, &after);
	assert_int_equal(after.bytes, before.bytes);
	assert_int_equal(after.allocs, before.allocs);
	assert_int_equal(after.faults, before.faults);
	assert_int_equal(after.live, before.live - 2 * 65536);
	for (size_t i = 1; i < p->nallocs; i++)
		assert_true(p->allocs[i].id > p->allocs[i - 1].id);
	assert_true(profile_alloc_index(p, ids[9]) != SIZE_MAX); /* live */
	assert_int_equal(profile_alloc_index(p, n + 5), SIZE_MAX);
	/* a new record after the folds: id = index + shift */
	assert_int_equal(profile_add_alloc(p, &a), n);
	assert_int_equal(profile_alloc_index(p, n), p->nallocs - 1);
	profile_zero(p);
	assert_int_equal(p->allocs_shift, 0);
	assert_int_equal(p->allocs_folded_abs, 0);
	free(ids);
	profile_free(p);
}

/* Run ticks drains of 2,000 freed records (100 ms at 20,000 a second)
 * through the budget. */
static void run_alloc_budget(struct profile *p, struct prof_budget *b, int ticks, uint64_t *t0,
			     struct sync_arg *a)
{
	for (int tick = 0; tick < ticks; tick++, *t0 += 100 * MS) {
		free(add_allocs(p, *t0, 2000, 50000, 0));
		profile_keep_budget(p, b, a ? sync_to : NULL, a);
	}
}

/* The budget folds the memory records too: past it, a run four times as
 * long peaks no higher, every total kept; with a session file, only the
 * records below the id it holds go. */
static void test_budget_allocs(void **state)
{
	struct profile *p = profile_new();
	struct prof_budget b = {.max_bytes = 4u << 20};
	struct sync_arg a = {.safe = UINT64_MAX, .safe_allocs = 0};
	struct alloc_tally t;
	uint64_t t0 = 0, peak10;

	(void)state;
	run_alloc_budget(p, &b, 100, &t0, NULL); /* 10 s: 2 M records, 112 MB raw */
	peak10 = b.peak_bytes;
	assert_true(b.alloc_folds > 0);
	assert_true(peak10 <= 2 * b.max_bytes);
	run_alloc_budget(p, &b, 300, &t0, NULL);
	assert_true(b.peak_bytes <= peak10 + peak10 / 10);
	tally_allocs(p, &t);
	assert_int_equal(p->allocs_shift + p->nallocs >= 400 * 2000, true);
	assert_int_equal(t.allocs, 400ull * (2000 - 286) * 64);
	assert_int_equal(t.live, 0);
	profile_free(p);

	/* a third of them live: those stay whole, and do not make the freed
	 * ones' interval coarser than they need (8 stacks x 2 kinds per
	 * interval: 40 ms is enough for 10 s here) */
	p = profile_new();
	b = (struct prof_budget){.max_bytes = 8u << 20};
	t0 = 0;
	for (int tick = 0; tick < 100; tick++, t0 += 100 * MS) {
		free(add_allocs(p, t0, 2000, 50000, 3));
		profile_keep_budget(p, &b, NULL, NULL);
	}
	tally_allocs(p, &t);
	assert_int_equal(t.allocs, 100ull * (2000 - 286) * 64);
	print_message("# a third live, 10 s: %zu records, interval %" PRIu64 " ns, %" PRIu64
		      " folds, peak %" PRIu64 " bytes\n",
		      p->nallocs, b.alloc_interval_ns, b.alloc_folds, b.peak_bytes);
	assert_true(b.alloc_folds > 0);
	assert_true(b.alloc_interval_ns <= 40 * MS);
	profile_free(p);

	/* the file holds none of them: nothing goes */
	p = profile_new();
	b = (struct prof_budget){.max_bytes = 4u << 20};
	t0 = 0;
	run_alloc_budget(p, &b, 30, &t0, &a);
	assert_true(a.calls > 0);
	assert_int_equal(p->allocs_shift, 0);
	/* it holds the first 10,000: those and no others fold */
	a.safe_allocs = 10000;
	run_alloc_budget(p, &b, 1, &t0, &a);
	assert_true(p->allocs_shift > 0);
	assert_int_equal(p->allocs_folded_abs, 10000);
	for (size_t i = profile_alloc_index(p, 10000); i < p->nallocs; i++)
		assert_int_equal(p->allocs[i].allocs, 64);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_keeps_totals), cmocka_unit_test(test_fold_positions),
		cmocka_unit_test(test_budget_flat),	  cmocka_unit_test(test_budget_sync),
		cmocka_unit_test(test_budget_long_run),	  cmocka_unit_test(test_output_dropped),
		cmocka_unit_test(test_fold_allocs),	  cmocka_unit_test(test_budget_allocs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
