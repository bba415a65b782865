/* Folding the sample log (profile-fold.c): totals kept per thread, stack
 * and flags, intervals in time order, the fold positions an incremental
 * reader keys on, and the budget policy over long runs. */
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
	uint64_t safe;
	unsigned calls;
};

static uint64_t sync_to(void *arg)
{
	struct sync_arg *a = arg;

	a->calls++;
	return a->safe;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fold_keeps_totals), cmocka_unit_test(test_fold_positions),
		cmocka_unit_test(test_budget_flat),	  cmocka_unit_test(test_budget_sync),
		cmocka_unit_test(test_budget_long_run),	  cmocka_unit_test(test_output_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
