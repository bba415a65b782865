/* A recursive function that works at each of its 50 levels, and a flat
 * function: 70% / 30% by construction. The recursive function's total is
 * ~70% (once per sample), never 70% times the depth. */
#include <stdio.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define ROUNDS 100
#define DEPTH 50
/* iterations per tenth of a round */
#define CHUNK (1000 * SPIN_PER_UNIT / ROUNDS / 10)

/* Works n iterations at this level, recurses, then returns a value that
 * depends on the callee's, so the call is not a tail call. */
__attribute__((noinline)) uint64_t recurse(int depth, uint64_t n)
{
	SPIN(n);
	uint64_t below = depth > 1 ? recurse(depth - 1, n) : 0;
	return below + (workload_sink & 1);
}

__attribute__((noinline)) void flat(uint64_t n)
{
	SPIN(n);
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	uint64_t n = (uint64_t)(CHUNK * scale);
	uint64_t acc = 0;
	for (int r = 0; r < ROUNDS; r++) {
		acc += recurse(DEPTH, 7 * n / DEPTH);
		flat(3 * n);
	}
	workload_sink = acc;
	printf("recursion: done, %llu\n", (unsigned long long)acc);
	return 0;
}
