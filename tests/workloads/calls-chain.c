/* A known call chain for --latency on a function in the middle of it:
 * main -> outer -> mid -> leaf, COUNT calls of mid (default 400), each
 * spending about MS milliseconds (default 2.5) of CPU in leaf, the hot
 * function. Every sample is under main, outer and mid (all ~100% total):
 * probing mid's returns must cut none of those stacks short. mid is called
 * COUNT times, so --latency mid counts COUNT calls. The program times
 * every mid() call itself (wall time: on a loaded machine a call takes
 * longer than its CPU time) and prints the median ("mid median S").
 *
 * guard() is called as often as mid; one call in 10 takes a path that GCC
 * moves to "guard.cold" (it calls a cold function), which returns from
 * there: timing guard must probe that `ret` too, or those calls are lost.
 * outer calls it through hop(), which has no `ret` of its own, only a tail
 * call to guard (proftop times hop with a uretprobe then).
 *
 * Usage: calls-chain [COUNT [MS]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void leaf(double s)
{
	double until = thread_cpu_s() + s;

	do
		SPIN(20000);
	while (thread_cpu_s() < until);
}

__attribute__((cold, noinline)) void guard_rare(int i)
{
	workload_sink += (uint64_t)i;
}

__attribute__((noinline)) uint64_t guard(int i)
{
	if (i % 10 == 0) {
		guard_rare(i);
		workload_sink *= 3;
		return workload_sink;
	}
	workload_sink += (uint64_t)i;
	return workload_sink;
}

__attribute__((noinline)) uint64_t hop(int i)
{
	return guard(i + 0); /* a tail call: jmp guard */
}

__attribute__((noinline)) void mid(double s)
{
	leaf(s);
	workload_sink++; /* not a tail call */
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void outer(int count, double s, double *took)
{
	for (int i = 0; i < count; i++) {
		double t0 = now_s();

		mid(s);
		took[i] = now_s() - t0;
		hop(i);
	}
	workload_sink++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 400;
	double ms = argc > 2 ? atof(argv[2]) : 2.5;
	double *took;

	if (count <= 0 || count > 1000000 || !(ms > 0)) {
		fprintf(stderr, "usage: %s [COUNT (1 to 1000000) [MS > 0]]\n", argv[0]);
		return 2;
	}
	took = calloc((size_t)count, sizeof(double));
	if (!took)
		return 1;
	outer(count, ms / 1000, took);
	qsort(took, (size_t)count, sizeof(double), cmp_double);
	printf("calls-chain: %d calls of mid, checksum %016llx\n", count,
	       (unsigned long long)workload_sink);
	printf("mid median %.6f\n", took[count / 2]);
	free(took);
	return 0;
}
