#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "loop.h"

struct pipe_source {
	int fd[2];
	int reads;
	struct loop *l;
	bool remove_self;
};

static size_t ps_fds(void *arg, struct pollfd *fds, size_t max)
{
	struct pipe_source *ps = arg;

	if (max < 1)
		return 0;
	fds[0] = (struct pollfd){.fd = ps->fd[0], .events = POLLIN};
	return 1;
}

static void ps_dispatch(void *arg, const struct pollfd *fds, size_t n)
{
	struct pipe_source *ps = arg;
	char c;

	if (n == 1 && (fds[0].revents & POLLIN) && read(ps->fd[0], &c, 1) == 1)
		ps->reads++;
	if (ps->remove_self)
		loop_remove_source(ps->l, ps);
}

static const struct loop_source_ops ps_ops = {.fds = ps_fds, .dispatch = ps_dispatch};

static void count(void *arg)
{
	(*(int *)arg)++;
}

static bool three_ticks(void *arg)
{
	return *(int *)arg >= 3;
}

/* A periodic timer fires once per period, and loop_run stops when done. */
static void test_timer(void **state)
{
	struct loop *l = loop_new();
	int ticks = 0, afters = 0;
	uint64_t t0 = loop_now_ns();

	(void)state;
	loop_timer(l, 20000000ull, count, &ticks);
	loop_after(l, count, &afters);
	loop_run(l, three_ticks, &ticks);
	assert_int_equal(ticks, 3);
	assert_true(loop_now_ns() - t0 >= 60000000ull);
	assert_true(afters >= 3);
	loop_free(l);
}

/* A source's ready fd is dispatched; a source may remove itself. */
static void test_source(void **state)
{
	struct loop *l = loop_new();
	struct pipe_source ps = {.l = l};

	(void)state;
	assert_int_equal(pipe(ps.fd), 0);
	loop_add_source(l, &ps_ops, &ps);
	assert_int_equal(write(ps.fd[1], "ab", 2), 2);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(ps.reads, 1);
	ps.remove_self = true;
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(ps.reads, 2);
	/* gone: a third byte is not read */
	assert_int_equal(write(ps.fd[1], "c", 1), 1);
	assert_int_equal(loop_once(l, 50), 0);
	assert_int_equal(ps.reads, 2);
	close(ps.fd[0]);
	close(ps.fd[1]);
	loop_free(l);
}

static void on_sig(void *arg, int signo)
{
	*(int *)arg = signo;
}

/* Signals arrive through the loop's one signalfd. */
static void test_signal(void **state)
{
	struct loop *l = loop_new();
	sigset_t sigs;
	int got = 0;

	(void)state;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	assert_int_equal(loop_signals(l, &sigs, on_sig, &got), 0);
	raise(SIGUSR1);
	assert_int_equal(loop_once(l, 1000), 0);
	assert_int_equal(got, SIGUSR1);
	loop_free(l);
	sigprocmask(SIG_UNBLOCK, &sigs, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_source),
		cmocka_unit_test(test_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
