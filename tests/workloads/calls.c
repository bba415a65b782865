/* Known call counts: calls_seven() is called exactly 7*N times and
 * calls_once() exactly N times, in the executable; lib_seven() and
 * lib_once() the same in a shared library (calls-lib.c). The calls are
 * spread over THREADS threads created for the purpose (default 3), so the
 * counts cover threads that did not exist when the probes were placed.
 * calls_both(), defined here and in the library (an ambiguous name), is
 * called N times from main, here.
 *
 * Usage: calls [N [THREADS [--wait]]]   (N default 1000)
 * --wait: before calling anything, wait (up to 20 s) until all four
 * functions carry a breakpoint (a uprobe writes int3, 0xcc, over their
 * first byte), so that a test can attach and know when counting starts;
 * then print "probed" on stderr. Without probes after 20 s: exit 3. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calls-lib.h"

static volatile unsigned long sink;
static unsigned long n_calls;
static int nthreads;

__attribute__((noinline)) void calls_seven(unsigned long i)
{
	sink += i;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void calls_once(unsigned long i)
{
	sink ^= i;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void calls_both(unsigned long i)
{
	sink -= i;
	__asm__ volatile("" ::: "memory");
}

/* Thread t does iterations t, t + nthreads, ... of N. */
static void *worker(void *arg)
{
	unsigned long t = (unsigned long)arg;

	for (unsigned long i = t; i < n_calls; i += (unsigned long)nthreads) {
		for (int k = 0; k < 7; k++) {
			calls_seven(i);
			lib_seven(i);
		}
		calls_once(i);
		lib_once(i);
	}
	return NULL;
}

static int first_byte(void (*fn)(unsigned long))
{
	return *(volatile const unsigned char *)(void *)fn;
}

static int wait_for_probes(void)
{
	void (*fns[])(unsigned long) = {calls_seven, calls_once, lib_seven, lib_once};

	for (int tries = 0; tries < 2000; tries++) {
		int probed = 0;

		for (int k = 0; k < 4; k++)
			probed += first_byte(fns[k]) == 0xcc;
		if (probed == 4)
			return 0;
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return -1;
}

int main(int argc, char **argv)
{
	pthread_t th[64];

	n_calls = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	nthreads = argc > 2 ? atoi(argv[2]) : 3;
	if (nthreads < 1 || nthreads > 64) {
		fprintf(stderr, "usage: %s [N [THREADS(1-64) [--wait]]]\n", argv[0]);
		return 2;
	}
	if (argc > 3 && !strcmp(argv[3], "--wait")) {
		if (wait_for_probes() < 0) {
			fprintf(stderr, "calls: no probes after 20 s\n");
			return 3;
		}
		fprintf(stderr, "probed\n");
	}
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(unsigned long)t) != 0) {
			perror("pthread_create");
			return 1;
		}
	for (unsigned long i = 0; i < n_calls; i++)
		calls_both(i);
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	printf("calls: %lu x7, %lu x1 in %d threads\n", n_calls, n_calls, nthreads);
	return 0;
}
