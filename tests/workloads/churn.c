/* Threads that come and go: waves of two short-lived threads, one doing
 * twice the work of the other (churn_heavy, churn_light), while main waits
 * for them. Of the process's CPU time, churn_heavy is ~2/3 and churn_light
 * ~1/3, however many threads a profiler saw start and end. At the end it
 * prints the CPU time it used (getrusage), so that a test can check that
 * the profile lost none of it.
 *
 * churn [SCALE [SECONDS]]: SCALE sizes each wave (default 1: 12 waves of
 * ~0.12 s); with SECONDS, waves go on until that much wall time passed
 * (for attaching to it). It prints its pid first (flushed). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define WAVES 12
#define UNIT  (40 * SPIN_PER_UNIT / 2) /* ~40 ms of work */

static uint64_t unit;

__attribute__((noinline)) void churn_heavy(uint64_t n)
{
	SPIN(2 * n);
}

__attribute__((noinline)) void churn_light(uint64_t n)
{
	SPIN(n);
}

static void *heavy(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "churn-heavy");
	churn_heavy(unit);
	return NULL;
}

static void *light(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "churn-light");
	churn_light(unit);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc > 2 ? 2 : argc, argv);
	double seconds = argc > 2 ? strtod(argv[2], NULL) : 0, end = now_s() + seconds;
	struct rusage ru;
	int waves = 0, err;

	unit = (uint64_t)(UNIT * scale);
	printf("churn: pid %d\n", (int)getpid());
	fflush(stdout);
	while (seconds > 0 ? now_s() < end : waves < WAVES) {
		pthread_t a, b;

		if ((err = pthread_create(&a, NULL, heavy, NULL)) != 0 ||
		    (err = pthread_create(&b, NULL, light, NULL)) != 0) {
			fprintf(stderr, "churn: pthread_create: %s\n", strerror(err));
			return 1;
		}
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		waves++;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("churn: done, %d waves, %d threads, cpu %.3f s, checksum %016llx\n", waves,
	       2 * waves,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6,
	       (unsigned long long)workload_sink);
	return 0;
}
