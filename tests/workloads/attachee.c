/* A program to attach to: spins in attach_hot() until SECONDS of wall
 * time have passed (argv[1], default 3), then prints how many signals it
 * received and exits with status 3. Attaching and detaching must leave it
 * exactly as it was: the tests check that it finishes with this output
 * and status, and that no signal reached it.
 *
 * With argv[2] = N it also sends itself N SIGUSR1 spread over the run, and
 * counts them in its handler: a tracer must deliver every one. SIGTERM
 * ends the run early (so that a test need not wait out SECONDS), and is
 * not counted. It prints its pid first (flushed). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;
static volatile sig_atomic_t usr1, other, quit;

static void on_usr1(int sig)
{
	(void)sig;
	usr1++;
}

static void on_other(int sig)
{
	(void)sig;
	other++;
}

static void on_term(int sig)
{
	(void)sig;
	quit = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void attach_hot(void)
{
	SPIN(SPIN_PER_UNIT / 2);
}

int main(int argc, char **argv)
{
	/* Any of these reaching us would be a tracer's doing. */
	static const int watched[] = {SIGINT,  SIGHUP,	SIGQUIT, SIGUSR2, SIGTRAP,
				      SIGALRM, SIGPIPE, SIGCHLD, SIGWINCH};
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	long self = argc > 2 ? atol(argv[2]) : 0;
	double start = now_s(), end = start + seconds;
	long sent = 0;

	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	for (size_t i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		signal(watched[i], on_other);
	printf("attachee: pid %d\n", (int)getpid());
	fflush(stdout);
	for (double t = start; t < end && !quit; t = now_s()) {
		attach_hot();
		/* The i-th signal is due at start + i * seconds / (self + 1). */
		if (sent < self && t >= start + (sent + 1) * seconds / (self + 1)) {
			raise(SIGUSR1);
			sent++;
		}
	}
	printf("attachee: done, %d SIGUSR1 of %ld sent, %d other signals\n", (int)usr1, sent,
	       (int)other);
	return 3;
}
