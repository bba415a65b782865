/* The one event loop of proftop (record, report and the live view), as
 * htop's ScreenManager_run: poll on the fds of a few sources, a signalfd
 * and timers; each wakeup dispatches what is ready, then runs the
 * after-hooks once (the live view redraws there). No sleeps, no threads.
 *
 * A source is anything with fds that change over time (the collector's
 * ring buffers, the terminal): it lists them before each poll and is
 * handed their revents after it. */
#ifndef PROFTOP_LOOP_H
#define PROFTOP_LOOP_H

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;

struct loop_source_ops {
	/* The fds to poll now (each with its events); at most max. */
	size_t (*fds)(void *arg, struct pollfd *fds, size_t max);
	/* The longest wait before dispatch must run again, in ms; -1 = none.
	 * NULL: none. */
	int (*timeout_ms)(void *arg);
	/* After each poll, with the fds listed (revents filled), even when
	 * none is ready (a timeout also dispatches). */
	void (*dispatch)(void *arg, const struct pollfd *fds, size_t n);
};

typedef void loop_fn(void *arg);
typedef void loop_signal_fn(void *arg, int signo);

/* Returns NULL only when out of memory (xalloc aborts first). */
struct loop *loop_new(void);
/* Closes the signalfd and unblocks nothing: the caller restores its mask. */
void loop_free(struct loop *l);

/* Sources are dispatched in the order added; ops and arg are borrowed. */
void loop_add_source(struct loop *l, const struct loop_source_ops *ops, void *arg);
void loop_remove_source(struct loop *l, void *arg);

/* Block sigs (the caller blocked them or lets this do it) and deliver
 * them through one signalfd to fn. Calling it again adds signals (one
 * signalfd for the whole process: record no longer opens a second).
 * 0, or -1 with errno. */
int loop_signals(struct loop *l, const sigset_t *sigs, loop_signal_fn *fn, void *arg);

/* Call fn every period_ns (CLOCK_MONOTONIC), the first time one period
 * from now. Returns an id for loop_timer_remove. */
int loop_timer(struct loop *l, uint64_t period_ns, loop_fn *fn, void *arg);
void loop_timer_remove(struct loop *l, int id);

/* Called after every wakeup's dispatch, in the order added. */
void loop_after(struct loop *l, loop_fn *fn, void *arg);

/* Wait for something, at most max_ms (-1: no limit but the sources' and
 * timers'), dispatch it. -1 if poll failed (not EINTR), else 0. */
int loop_once(struct loop *l, int max_ms);
/* loop_once until loop_quit() or done(arg) (NULL: never done). */
void loop_run(struct loop *l, bool (*done)(void *arg), void *arg);
void loop_quit(struct loop *l);
bool loop_quitting(const struct loop *l);

/* CLOCK_MONOTONIC in ns: the clock of every timer. */
uint64_t loop_now_ns(void);

#endif
