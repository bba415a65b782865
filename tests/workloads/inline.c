/* A noinline caller that spends half its time in an always_inline helper
 * and half in its own loop, plus a function for contrast:
 *   caller_own 40%, inlined helper 40% (inside caller), contrast 20%.
 * proftop shows the helper as its own function (self ~40%), and the caller's
 * total (~80%) includes it. */
#include <stdio.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define ROUNDS 200
#define CHUNK (1000 * SPIN_PER_UNIT / ROUNDS / 5) /* iterations per fifth */

static inline __attribute__((always_inline)) uint64_t inlined_helper(uint64_t x, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		x ^= x >> 29;
	}
	return x;
}

__attribute__((noinline)) void inline_caller(uint64_t n)
{
	uint64_t x = workload_sink | 1;
	/* The caller's own loop; the same work as the helper's but in a
	 * different order of operations, so the two loops cannot be merged. */
	for (uint64_t i = 0; i < 2 * n; i++) {
		x ^= x >> 29;
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	}
	x = inlined_helper(x, 2 * n);
	workload_sink = x;
}

__attribute__((noinline)) void contrast(uint64_t n)
{
	SPIN(n);
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	uint64_t n = (uint64_t)(CHUNK * scale);
	for (int r = 0; r < ROUNDS; r++) {
		inline_caller(n);
		contrast(n);
	}
	printf("inline: done, checksum %016llx\n", (unsigned long long)workload_sink);
	return 0;
}
