/* Three functions doing identical work in the ratio 6:3:1, so that their
 * self shares are 60%, 30% and 10% by construction. They are called from
 * main through run(), so run's and main's totals are ~100%. The work is
 * interleaved in rounds, so that any drift of the CPU clock hits all three
 * alike. Built twice: without frame pointers (shares) and with them
 * (shares-fp, for --unwind fp). */
#include <stdio.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define ROUNDS 200
#define CHUNK (1000 * SPIN_PER_UNIT / ROUNDS / 10) /* iterations per tenth */

__attribute__((noinline)) void work_sixty(uint64_t n)
{
	SPIN(6 * n);
}

__attribute__((noinline)) void work_thirty(uint64_t n)
{
	SPIN(3 * n);
}

__attribute__((noinline)) void work_ten(uint64_t n)
{
	SPIN(n);
}

__attribute__((noinline)) void run(double scale)
{
	uint64_t n = (uint64_t)(CHUNK * scale);
	for (int r = 0; r < ROUNDS; r++) {
		work_sixty(n);
		work_thirty(n);
		work_ten(n);
	}
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	run(scale);
	/* A known line, for the output pass-through test. */
	printf("shares: done, checksum %016llx\n", (unsigned long long)workload_sink);
	fprintf(stderr, "shares: stderr line\n");
	return 0;
}
