/* A function called hundreds of thousands of times a second: hot_tick()
 * is called ITER times (default 1,500,000), about 2 s without probes.
 * Prints the loop's own wall and CPU time ("elapsed S cpu S"; CPU time
 * includes the kernel's, where uprobe hits are paid) so that a test can
 * compare runs with and without proftop's probes, startup excluded. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

__attribute__((noinline)) void hot_tick(void)
{
	SPIN(300);
}

int main(int argc, char **argv)
{
	unsigned long iter = argc > 1 ? strtoul(argv[1], NULL, 10) : 1500000;
	struct timespec a, b, ca, cb;

	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	for (unsigned long i = 0; i < iter; i++)
		hot_tick();
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed %.3f cpu %.3f\n",
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	       (double)(cb.tv_sec - ca.tv_sec) + (double)(cb.tv_nsec - ca.tv_nsec) / 1e9);
	return 0;
}
