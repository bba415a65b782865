#include "config.h"

/* offcpu: waits from switch-out to switch-in become records with an
 * "[off-CPU: why]" leaf above the user stack; the reason from the libc
 * wrapper at the user leaf (no kernel chain here); preemption is
 * "runnable"; condition-variable and poll waits are idle; short waits of
 * one thread and stack are summed into one record with their count. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "offcpu.h"
#include "profile.h"
#include "symbols.h"

struct fixture {
	struct profile *p;
	struct symbols *sym;
	struct offcpu *o;
};

static int setup(void **state)
{
	struct fixture *f = test_malloc(sizeof(*f));

	f->p = profile_new();
	f->sym = symbols_new(f->p);
	f->o = offcpu_new(f->p, f->sym);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	offcpu_free(f->o);
	symbols_free(f->sym);
	profile_free(f->p);
	test_free(f);
	return 0;
}

/* A one-frame location of a function called name. */
static uint32_t frame(struct fixture *f, const char *name)
{
	return symbols_unknown_location(f->sym, 0x1000, name);
}

static const char *leaf_name(struct fixture *f, const struct prof_sample *s)
{
	struct prof_frame fr[8];
	size_t n = profile_stack_frames(f->p, s->stack, fr, 8);

	assert_true(n > 0);
	return profile_function_name(f->p, fr[0].function);
}

/* One wait of tid at [from, to) blocked in leaf called from main. */
static void wait_in(struct fixture *f, int32_t tid, const char *leaf, uint64_t from, uint64_t to,
		    bool preempted)
{
	uint32_t locs[2] = {frame(f, leaf), frame(f, "main")};

	offcpu_leave(f->o, tid, from, locs, 2, false, NULL, 0);
	offcpu_switch_out(f->o, tid, from, preempted);
	offcpu_switch_in(f->o, tid, to);
}

static void test_one_wait(void **state)
{
	struct fixture *f = *state;
	const struct prof_sample *s;

	wait_in(f, 7, "__GI___libc_read", 1000, 1000 + 2000000000ull, false);
	assert_int_equal(f->p->nsamples, 1);
	s = &f->p->samples[0];
	assert_int_equal(s->weight, 2000000000ull);
	assert_int_equal(s->time, 1000);
	assert_int_equal(s->tid, 7);
	assert_int_equal(s->count, 1);
	assert_true(s->flags & PROF_SAMPLE_OFFCPU);
	assert_false(s->flags & (PROF_SAMPLE_IDLE | PROF_SAMPLE_TRUNCATED));
	assert_string_equal(leaf_name(f, s), "[off-CPU: read]");
	assert_int_equal(f->p->stacks[s->stack].depth, 3);
	assert_int_equal(offcpu_open_count(f->o), 0);
}

static void test_reasons(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *leaf, *why;
		bool preempted, idle;
	} cases[] = {
		{"__GI___clock_nanosleep", "[off-CPU: clock_nanosleep]", false, false},
		{"__futex_abstimed_wait_common64", "[off-CPU: futex]", false, false},
		{"epoll_wait", "[off-CPU: epoll_wait]", false, true},
		{"__GI___poll", "[off-CPU: poll]", false, true},
		{"read@@GLIBC_2.2.5", "[off-CPU: read]", false, false},
		{"compute", "[off-CPU: runnable]", true, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const struct prof_sample *s;

		wait_in(f, 1, cases[i].leaf, 10000000ull * i, 10000000ull * i + 5000000,
			cases[i].preempted);
		s = &f->p->samples[f->p->nsamples - 1];
		assert_string_equal(leaf_name(f, s), cases[i].why);
		assert_int_equal(!!(s->flags & PROF_SAMPLE_IDLE), cases[i].idle);
	}
}

/* Blocking again at the same place reuses the naming and the stack; a
 * preemption there is still runnable, and the next wait read again. */
static void test_same_place(void **state)
{
	struct fixture *f = *state;
	static const bool preempted[] = {false, false, true, false};
	static const char *const why[] = {"[off-CPU: read]", "[off-CPU: read]",
					  "[off-CPU: runnable]", "[off-CPU: read]"};

	for (size_t i = 0; i < 4; i++) {
		wait_in(f, 2, "read", 10000000ull * i, 10000000ull * i + 2000000, preempted[i]);
		assert_string_equal(leaf_name(f, &f->p->samples[i]), why[i]);
	}
	assert_int_equal(f->p->samples[0].stack, f->p->samples[1].stack);
	assert_int_equal(f->p->samples[0].stack, f->p->samples[3].stack);
	/* another place: named afresh */
	wait_in(f, 2, "__GI___poll", 50000000, 52000000, false);
	assert_string_equal(leaf_name(f, &f->p->samples[4]), "[off-CPU: poll]");
	assert_true(f->p->samples[4].flags & PROF_SAMPLE_IDLE);
}

/* A condition variable on the stack makes the futex wait idle. */
static void test_condvar_idle(void **state)
{
	struct fixture *f = *state;
	uint32_t locs[3] = {frame(f, "__futex_abstimed_wait_common"),
			    frame(f, "___pthread_cond_wait"), frame(f, "worker")};

	offcpu_leave(f->o, 3, 0, locs, 3, false, NULL, 0);
	offcpu_switch_out(f->o, 3, 0, false);
	offcpu_switch_in(f->o, 3, 50000000);
	assert_int_equal(f->p->nsamples, 1);
	assert_true(f->p->samples[0].flags & PROF_SAMPLE_IDLE);
}

/* 1000 waits of 10 us: one record standing for 1000, once 100 ms passed. */
static void test_short_waits_fold(void **state)
{
	struct fixture *f = *state;
	uint64_t t = 0, before = f->p->total_samples;

	for (int i = 0; i < 1000; i++, t += 20000)
		wait_in(f, 5, "read", t, t + 10000, false);
	offcpu_tick(f->o, 50000000);
	assert_int_equal(f->p->nsamples, 0); /* younger than 100 ms */
	offcpu_tick(f->o, 100000000);
	assert_int_equal(f->p->nsamples, 1);
	assert_int_equal(f->p->samples[0].count, 1000);
	assert_int_equal(f->p->samples[0].weight, 1000 * 10000);
	assert_int_equal(f->p->samples[0].time, 0);
	assert_int_equal(f->p->total_samples - before, 1000);
	/* a long wait is a record at once, after the short ones before it */
	wait_in(f, 5, "read", 200000000, 200010000, false);
	wait_in(f, 5, "read", 300000000, 400000000, false);
	assert_int_equal(f->p->nsamples, 3);
	assert_int_equal(f->p->samples[1].count, 1);
	assert_int_equal(f->p->samples[2].weight, 100000000);
}

/* A switch-out without its stack sample (lost): the wait counts, with an
 * empty stack, flagged truncated. */
static void test_switch_without_sample(void **state)
{
	struct fixture *f = *state;

	offcpu_switch_out(f->o, 9, 1000, false);
	assert_int_equal(offcpu_open_count(f->o), 1);
	offcpu_switch_in(f->o, 9, 1000 + 3000000);
	assert_int_equal(f->p->nsamples, 1);
	assert_true(f->p->samples[0].flags & PROF_SAMPLE_TRUNCATED);
	assert_string_equal(leaf_name(f, &f->p->samples[0]), "[off-CPU: unknown]");
}

/* The run ends with a thread blocked: its wait ends then. A thread that
 * ended never comes back: its open wait is dropped. */
static void test_close_and_forget(void **state)
{
	struct fixture *f = *state;
	uint32_t loc = frame(f, "read");

	offcpu_leave(f->o, 1, 1000, &loc, 1, false, NULL, 0);
	offcpu_switch_out(f->o, 1, 1000, false);
	offcpu_leave(f->o, 2, 1000, &loc, 1, false, NULL, 0);
	offcpu_switch_out(f->o, 2, 1000, false);
	offcpu_forget(f->o, 2);
	assert_int_equal(offcpu_open_count(f->o), 1);
	offcpu_close_all(f->o, 600000001000ull);
	assert_int_equal(f->p->nsamples, 1);
	assert_int_equal(f->p->samples[0].tid, 1);
	assert_int_equal(f->p->samples[0].weight, 600000000000ull);
	assert_int_equal(offcpu_open_count(f->o), 0);
	/* a switch-in with nothing open adds nothing */
	offcpu_switch_in(f->o, 1, 700000000000ull);
	assert_int_equal(f->p->nsamples, 1);
}

/* Live: a wait open 10 minutes shows as it goes, in pieces of 1, 2, 4...
 * seconds (ticks every 100 ms): about ten records, adding up to the wait. */
static void test_live_pieces(void **state)
{
	struct fixture *f = *state;
	uint32_t loc = frame(f, "read");
	uint64_t sum = 0, end = 600000000000ull;

	offcpu_set_live(f->o, true);
	offcpu_leave(f->o, 4, 0, &loc, 1, false, NULL, 0);
	offcpu_switch_out(f->o, 4, 0, false);
	for (uint64_t t = 100000000; t < end; t += 100000000) {
		offcpu_tick(f->o, t);
		if (t == 1100000000)
			assert_int_equal(f->p->nsamples, 1); /* the first second is there */
	}
	offcpu_switch_in(f->o, 4, end);
	assert_in_range(f->p->nsamples, 8, 12);
	for (size_t i = 0; i < f->p->nsamples; i++)
		sum += f->p->samples[i].weight;
	assert_int_equal(sum, end);
}

/* Found blocked at an attach: a wait from then, no stack, named from its
 * wait channel; a futex or a poll is idle there, a pipe read is not. */
static void test_blocked_at_attach(void **state)
{
	struct fixture *f = *state;

	offcpu_blocked(f->o, 1, 100, "anon_pipe_read");
	offcpu_blocked(f->o, 2, 100, "futex_wait_queue");
	offcpu_blocked(f->o, 3, 100, "do_epoll_wait");
	offcpu_close_all(f->o, 100 + 5000000000ull);
	assert_int_equal(f->p->nsamples, 3);
	for (size_t i = 0; i < 3; i++) {
		const struct prof_sample *s = &f->p->samples[i];
		const char *want = s->tid == 1	 ? "[off-CPU: read]"
				   : s->tid == 2 ? "[off-CPU: futex]"
						 : "[off-CPU: epoll_wait]";

		assert_string_equal(leaf_name(f, s), want);
		assert_int_equal(s->weight, 5000000000ull);
		assert_int_equal(!!(s->flags & PROF_SAMPLE_IDLE), s->tid != 1);
		assert_true(s->flags & PROF_SAMPLE_TRUNCATED);
	}
}

/* Many threads: the table grows. */
static void test_many_threads(void **state)
{
	struct fixture *f = *state;

	for (int32_t tid = 1; tid <= 500; tid++)
		wait_in(f, tid, "read", 0, 2000000, false);
	assert_int_equal(f->p->nsamples, 500);
	for (size_t i = 0; i < 500; i++)
		assert_int_equal(f->p->samples[i].weight, 2000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_place, setup, teardown),
		cmocka_unit_test_setup_teardown(test_condvar_idle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_waits_fold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_without_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_and_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_at_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_threads, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
