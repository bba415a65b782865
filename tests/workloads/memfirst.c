/* Allocates and touches FIRST_MIB MiB first thing in main, then spins for
 * a second and exits: the memory pane's "start" figure must be the small
 * RSS before that allocation (taken at exec), not one read while the
 * pages were being touched. argv[1] scales the spin (default 1.0: ~1 s). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define FIRST_MIB 50

__attribute__((noinline)) void spin_after(double seconds)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		SPIN(100000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
}

/* The page faults of the touching loop are kernel time at its store line,
 * which calls nothing (the source view must not say it calls [kernel]). */
__attribute__((noinline)) unsigned char *touch_first(size_t bytes)
{
	unsigned char *p = malloc(bytes);

	if (p == NULL) {
		fprintf(stderr, "memfirst: out of memory\n");
		exit(1);
	}
	/* Touch every page with a non-zero value: pages stay resident. */
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = (unsigned char)(i >> 12) | 1;
	return p;
}

int main(int argc, char **argv)
{
	size_t bytes = (size_t)FIRST_MIB << 20;
	unsigned char *p = touch_first(bytes);

	spin_after(workload_scale(argc, argv));
	workload_sink += p[bytes - 4096];
	printf("memfirst: touched %d MiB first\n", FIRST_MIB);
	return 0;
}
