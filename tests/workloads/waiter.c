/* waiter: sleeps in the kernel as event loops do, in epoll_wait (main
 * thread) and sigtimedwait (a second thread), with a third thread burning
 * CPU in waiter_spin() so that a profiler has something to sample. No
 * signal handler is installed, so neither call may fail with EINTR unless
 * something other than a signal interrupts it (a tracer's PTRACE_INTERRUPT,
 * or a signal the kernel would have ignored but a tracer was shown).
 * SIGTERM (taken by sigtimedwait) ends the run: it prints
 *   waiter: eintr epoll N sigtimedwait M, waits W, signals: ...
 * and exits 0. Every EINTR is also logged on stderr as it happens. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink;
static volatile int done;
static volatile unsigned long eintr_epoll, eintr_sigwait, waits;

static void *waiter_spin(void *arg)
{
	(void)arg;
	while (!done)
		SPIN(1000000);
	return NULL;
}

static void *waiter_sigwait(void *arg)
{
	sigset_t set;
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 150000000};
	char signals[256] = "";

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &ts);

		waits++;
		if (sig < 0 && errno == EINTR) {
			eintr_sigwait++;
			fprintf(stderr, "waiter: sigtimedwait: EINTR\n");
		} else if (sig > 0) {
			size_t n = strlen(signals);

			snprintf(signals + n, sizeof(signals) - n, " %s", strsignal(sig));
			if (sig == SIGTERM)
				break;
		}
	}
	done = 1;
	printf("waiter: eintr epoll %lu sigtimedwait %lu, waits %lu, signals:%s\n", eintr_epoll,
	       eintr_sigwait, waits, signals[0] ? signals : " none");
	fflush(stdout);
	_exit(0);
}

int main(void)
{
	pthread_t spin, sw;
	sigset_t set;
	int ep = epoll_create1(0);

	/* Blocked everywhere: only sigtimedwait takes them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_create(&spin, NULL, waiter_spin, NULL);
	pthread_create(&sw, NULL, waiter_sigwait, NULL);
	printf("waiter: ready\n");
	fflush(stdout);
	while (!done) {
		struct epoll_event ev;

		waits++;
		if (epoll_wait(ep, &ev, 1, 200) < 0 && errno == EINTR) {
			eintr_epoll++;
			fprintf(stderr, "waiter: epoll_wait: EINTR\n");
		}
	}
	pause();
	return 0;
}
