/* The latency histogram (bucket bounds, quantiles within 1%) and the
 * pairing of logged entries with returns (recursion, abandoned frames,
 * lost records, threads, tail calls; returns seen by uretprobes and by
 * probes on `ret` instructions). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "latency.h"
#include "latency-pairs.h"
#include "profile.h"
#include "report-calls.h"

static struct prof_latency *fresh(struct profile *p, uint32_t fn)
{
	return profile_latency(p, fn);
}

/* Every value lies in its bucket, buckets are ordered and at most 1/64 of
 * their lower bound wide. */
static void test_buckets(void **state)
{
	uint64_t prev_b = 0;

	(void)state;
	for (uint64_t v = 0; v < 200000; v += 1 + v / 97) {
		size_t b = latency_bucket(v);

		if (latency_bucket_low(b) > v || latency_bucket_high(b) <= v)
			fail_msg("value %llu: expected in bucket %zu [%llu, %llu)", (unsigned long long)v,
				 b, (unsigned long long)latency_bucket_low(b),
				 (unsigned long long)latency_bucket_high(b));
		assert_true(b >= prev_b);
		prev_b = b;
	}
	for (int e = 6; e < 64; e++) {
		uint64_t v = (1ull << e) + (1ull << e) / 3;
		size_t b = latency_bucket(v);
		uint64_t lo = latency_bucket_low(b), hi = latency_bucket_high(b);

		assert_true(lo <= v && (v < hi || hi == UINT64_MAX));
		if (hi != UINT64_MAX && (double)(hi - lo) > (double)lo / 64 + 1)
			fail_msg("bucket of 2^%d: width %llu, expected <= %llu", e,
				 (unsigned long long)(hi - lo), (unsigned long long)(lo / 64));
	}
	assert_int_equal(latency_bucket(0), 0);
	assert_int_equal(latency_bucket(63), 63);
	assert_int_equal(latency_bucket(64), 64);
	assert_true(latency_bucket(UINT64_MAX) < PROF_LATENCY_BUCKETS);
	assert_true(latency_bucket_high(latency_bucket(UINT64_MAX)) == UINT64_MAX);
}

static void check_near(const char *what, uint64_t seen, double expected, double rel)
{
	double err = ((double)seen - expected) / expected;

	if (err > rel || err < -rel)
		fail_msg("%s: expected %.0f within %.2f%%, saw %llu (%.3f%% off)", what, expected,
			 rel * 100, (unsigned long long)seen, err * 100);
}

/* Uniform 1 us .. 100 ms: the quantiles within 1%, the extremes exact. */
static void test_quantiles(void **state)
{
	struct profile *p = profile_new();
	struct prof_latency *l = fresh(p, 0);
	const uint64_t n = 100000, lo = 1000, step = 1000;

	(void)state;
	assert_int_equal(latency_quantile(l, 0.5), 0); /* no call yet */
	for (uint64_t i = 0; i < n; i++)
		latency_add(l, lo + i * step);
	assert_int_equal(l->count, n);
	assert_int_equal(l->min_ns, lo);
	assert_int_equal(l->max_ns, lo + (n - 1) * step);
	assert_int_equal(latency_quantile(l, 0), lo);
	assert_int_equal(latency_quantile(l, 1), lo + (n - 1) * step);
	check_near("p50", latency_quantile(l, 0.5), (double)(lo + (n / 2 - 1) * step), 0.01);
	check_near("p95", latency_quantile(l, 0.95), (double)(lo + (n * 95 / 100 - 1) * step), 0.01);
	check_near("p99", latency_quantile(l, 0.99), (double)(lo + (n * 99 / 100 - 1) * step), 0.01);
	check_near("p1", latency_quantile(l, 0.01), (double)(lo + (n / 100 - 1) * step), 0.01);
	profile_free(p);
}

/* One value, and a constant: every quantile is that value. */
static void test_constant(void **state)
{
	struct profile *p = profile_new();
	struct prof_latency *l = fresh(p, 0);

	(void)state;
	for (int i = 0; i < 10; i++)
		latency_add(l, 20000000);
	assert_int_equal(latency_quantile(l, 0.5), 20000000);
	assert_int_equal(latency_quantile(l, 0.99), 20000000);
	assert_int_equal(l->sum_ns, 200000000);
	profile_free(p);
}

static void test_merge(void **state)
{
	struct profile *p = profile_new();
	struct prof_latency *a, *b;

	(void)state;
	a = fresh(p, 0);
	latency_add(a, 10);
	latency_add(a, 30);
	b = fresh(p, 1);
	a = fresh(p, 0); /* the array may have moved */
	latency_add(b, 5);
	latency_add(b, 1000);
	latency_merge(a, b);
	assert_int_equal(a->count, 4);
	assert_int_equal(a->min_ns, 5);
	assert_int_equal(a->max_ns, 1000);
	assert_int_equal(a->sum_ns, 1045);
	assert_ptr_equal(profile_find_latency(p, 1), b);
	assert_null(profile_find_latency(p, 7));
	profile_free(p);
}

/* Record kinds: an entry and a return for a function probed with a
 * uretprobe (UR_*), or with uprobes on its `ret` instructions (AT_*). */
#define UR_IN  UPROBE_REC_ENTRY_RETPROBE
#define UR_OUT UPROBE_REC_RETPROBE
#define AT_IN  UPROBE_REC_ENTRY
#define AT_OUT UPROBE_REC_RET

static struct uprobe_record rec(uint32_t tid, uint64_t sp, uint64_t t, uint32_t slot,
				enum uprobe_rec_kind kind)
{
	return (struct uprobe_record){
		.pid_tgid = (uint64_t)tid << 32 | tid, .sp = sp, .time = t, .slot = slot, .kind = kind};
}

/* Feed; expect a completed call of (slot, ns), or none (slot ~0). */
static void feed(struct latency_pairs *lp, struct uprobe_record r, uint32_t slot, uint64_t ns)
{
	uint32_t s = ~0u;
	uint64_t d = 0;
	bool done = latency_pairs_feed(lp, &r, &s, &d);

	if (slot == ~0u) {
		if (done)
			fail_msg("record at t=%llu: expected no completed call, saw slot %u %llu ns",
				 (unsigned long long)r.time, s, (unsigned long long)d);
		return;
	}
	if (!done || s != slot || d != ns)
		fail_msg("record at t=%llu: expected slot %u %llu ns, saw %s slot %u %llu ns",
			 (unsigned long long)r.time, slot, (unsigned long long)ns,
			 done ? "" : "nothing,", s, (unsigned long long)d);
}

/* Recursion (uretprobes): returns pair with their own entries, by stack
 * pointer, 8 above the entry's. */
static void test_pairs_recursion(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	feed(lp, rec(7, 1000, 0, 1, UR_IN), ~0u, 0);
	feed(lp, rec(7, 900, 10, 1, UR_IN), ~0u, 0);
	feed(lp, rec(7, 800, 15, 1, UR_IN), ~0u, 0);
	feed(lp, rec(7, 808, 20, 1, UR_OUT), 1, 5);
	feed(lp, rec(7, 908, 30, 1, UR_OUT), 1, 20);
	feed(lp, rec(7, 1008, 50, 1, UR_OUT), 1, 50);
	assert_int_equal(latency_pairs_unmatched(lp), 0);
	assert_int_equal(latency_pairs_abandoned(lp), 0);
	latency_pairs_free(lp);
}

/* A longjmp past two frames: their entries are dropped, the outer call pairs. */
static void test_pairs_abandoned(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	feed(lp, rec(7, 1000, 0, 1, UR_IN), ~0u, 0);
	feed(lp, rec(7, 900, 10, 1, UR_IN), ~0u, 0);
	feed(lp, rec(7, 800, 15, 2, UR_IN), ~0u, 0);
	feed(lp, rec(7, 1008, 40, 1, UR_OUT), 1, 40);
	assert_int_equal(latency_pairs_abandoned(lp), 2);
	/* A return whose entry was never seen (timing began inside the call). */
	feed(lp, rec(7, 2008, 60, 1, UR_OUT), ~0u, 0);
	assert_int_equal(latency_pairs_unmatched(lp), 1);
	latency_pairs_free(lp);
}

/* A tail call: g entered at f's stack pointer; both returns fire there. */
static void test_pairs_tail_call(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	feed(lp, rec(7, 1000, 0, 1, UR_IN), ~0u, 0);
	feed(lp, rec(7, 1000, 5, 2, UR_IN), ~0u, 0);
	feed(lp, rec(7, 1008, 9, 2, UR_OUT), 2, 4);
	feed(lp, rec(7, 1008, 9, 1, UR_OUT), 1, 9);
	latency_pairs_free(lp);
}

/* Many threads interleaved (the table grows), each its own stack. */
static void test_pairs_threads(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	for (uint32_t t = 1; t <= 500; t++)
		feed(lp, rec(t, 5000, t, 3, UR_IN), ~0u, 0);
	for (uint32_t t = 500; t >= 1; t--)
		feed(lp, rec(t, 5008, 1000 + t, 3, UR_OUT), 3, 1000);
	assert_int_equal(latency_pairs_unmatched(lp), 0);
	latency_pairs_free(lp);
}

/* Without stack pointers (not x86-64): pairs by order and slot. */
static void test_pairs_no_sp(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	feed(lp, rec(9, 0, 0, 1, UR_IN), ~0u, 0);
	feed(lp, rec(9, 0, 4, 1, UR_IN), ~0u, 0);
	feed(lp, rec(9, 0, 6, 1, UR_OUT), 1, 2);
	feed(lp, rec(9, 0, 10, 1, UR_OUT), 1, 10);
	feed(lp, rec(9, 0, 11, 2, UR_OUT), ~0u, 0);
	assert_int_equal(latency_pairs_unmatched(lp), 1);
	latency_pairs_free(lp);
}

/* Recursion with `ret` probes: a return's sp is its entry's. */
static void test_pairs_ret_recursion(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	feed(lp, rec(7, 1000, 0, 1, AT_IN), ~0u, 0);
	feed(lp, rec(7, 900, 10, 1, AT_IN), ~0u, 0);
	feed(lp, rec(7, 800, 15, 1, AT_IN), ~0u, 0);
	feed(lp, rec(7, 800, 20, 1, AT_OUT), 1, 5);
	feed(lp, rec(7, 900, 30, 1, AT_OUT), 1, 20);
	feed(lp, rec(7, 1000, 50, 1, AT_OUT), 1, 50);
	assert_int_equal(latency_pairs_unmatched(lp), 0);
	assert_int_equal(latency_pairs_abandoned(lp), 0);
	latency_pairs_free(lp);
}

/* A function that sometimes leaves by a tail call (no `ret` seen), called
 * in a loop at one stack depth: each new entry drops the stale one, so
 * pending entries never pile up to the depth limit and later calls pair. */
static void test_pairs_ret_tail_exit(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	for (uint64_t i = 0; i < 10000; i++)
		feed(lp, rec(7, 1000, i, 1, AT_IN), ~0u, 0);
	assert_int_equal(latency_pairs_abandoned(lp), 9999);
	feed(lp, rec(7, 1000, 20000, 1, AT_IN), ~0u, 0);
	feed(lp, rec(7, 1000, 20007, 1, AT_OUT), 1, 7);
	assert_int_equal(latency_pairs_abandoned(lp), 10000);
	assert_int_equal(latency_pairs_unmatched(lp), 0);
	latency_pairs_free(lp);
}

/* f tail-calls g, both probed at `ret`: g pairs, f's entry (its end
 * unseen) is dropped. With f's return a uretprobe, both pair: g at its
 * `ret`, f after it through the trampoline, 8 above. */
static void test_pairs_ret_tail_call(void **state)
{
	struct latency_pairs *lp = latency_pairs_new();

	(void)state;
	feed(lp, rec(7, 1000, 0, 1, AT_IN), ~0u, 0);
	feed(lp, rec(7, 1000, 5, 2, AT_IN), ~0u, 0);
	feed(lp, rec(7, 1000, 9, 2, AT_OUT), 2, 4);
	assert_int_equal(latency_pairs_abandoned(lp), 1);
	feed(lp, rec(7, 1000, 20, 1, UR_IN), ~0u, 0);
	feed(lp, rec(7, 1000, 25, 2, AT_IN), ~0u, 0);
	feed(lp, rec(7, 1000, 29, 2, AT_OUT), 2, 4);
	feed(lp, rec(7, 1008, 30, 1, UR_OUT), 1, 10);
	assert_int_equal(latency_pairs_abandoned(lp), 1);
	assert_int_equal(latency_pairs_unmatched(lp), 0);
	latency_pairs_free(lp);
}

static void test_fmt_duration(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(report_fmt_duration(0, b, sizeof(b)), "0 ns");
	assert_string_equal(report_fmt_duration(999, b, sizeof(b)), "999 ns");
	assert_string_equal(report_fmt_duration(1000, b, sizeof(b)), "1.00 us");
	assert_string_equal(report_fmt_duration(12345, b, sizeof(b)), "12.3 us");
	assert_string_equal(report_fmt_duration(20060000, b, sizeof(b)), "20.1 ms");
	assert_string_equal(report_fmt_duration(999600000, b, sizeof(b)), "1.00 s");
	assert_string_equal(report_fmt_duration(3000000000000ull, b, sizeof(b)), "3000 s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_quantiles),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_pairs_recursion),
		cmocka_unit_test(test_pairs_abandoned),
		cmocka_unit_test(test_pairs_tail_call),
		cmocka_unit_test(test_pairs_threads),
		cmocka_unit_test(test_pairs_no_sp),
		cmocka_unit_test(test_pairs_ret_recursion),
		cmocka_unit_test(test_pairs_ret_tail_exit),
		cmocka_unit_test(test_pairs_ret_tail_call),
		cmocka_unit_test(test_fmt_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
