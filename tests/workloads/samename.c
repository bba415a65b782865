/* Two static functions named step, one in this file and one in
 * samename-b.c, in one binary: 60% and 40% of the work, called from
 * run_a() and run_b(). A name alone cannot tell them apart; step@file
 * and step@file:line can. */
#include <stdio.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define ROUNDS 200
#define CHUNK (1000 * SPIN_PER_UNIT / ROUNDS / 10) /* iterations per tenth */

void run_b(uint64_t n);

static __attribute__((noinline)) void step(uint64_t n)
{
	SPIN(6 * n);
}

__attribute__((noinline)) void run_a(uint64_t n)
{
	step(n);
	workload_sink++;
}

int main(int argc, char **argv)
{
	uint64_t n = (uint64_t)(CHUNK * workload_scale(argc, argv));

	for (int r = 0; r < ROUNDS; r++) {
		run_a(n);
		run_b(n);
	}
	printf("samename: done, checksum %016llx\n", (unsigned long long)workload_sink);
	return 0;
}
