/* A program built twice for the regression gate: slowed() does
 * REGRESS_PCT percent more work than in the plain build (-DREGRESS_PCT=30:
 * 30% slower), everything else is the same code. Called as
 * `regress [SCALE] [solo]`:
 *   default: run() calls steady() (30 parts), outer() -> slowed() (40) and
 *            side() (20), and does 10 parts itself; so slowed() is
 *            contained by outer(), run() and main() only.
 *   solo:    run() calls slowed() (99 parts) and side() (1): the share of
 *            slowed() hardly moves when it gets slower.
 * The work is interleaved in rounds, so that a drift of the CPU clock hits
 * every function alike. Scale 1.0 is about 0.5 s of CPU. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

#ifndef REGRESS_PCT
#define REGRESS_PCT 0
#endif

volatile uint64_t workload_sink = 1;

#define ROUNDS 100
#define PART (3 * SPIN_PER_UNIT / ROUNDS) /* iterations per part per round */

__attribute__((noinline)) void steady(uint64_t n)
{
	SPIN(n);
}

__attribute__((noinline)) void slowed(uint64_t n)
{
	SPIN(n * (100 + REGRESS_PCT) / 100);
}

__attribute__((noinline)) void outer(uint64_t n)
{
	slowed(n);
	workload_sink++; /* not a tail call: outer() stays on the stack */
}

__attribute__((noinline)) void side(uint64_t n)
{
	SPIN(n);
}

__attribute__((noinline)) void run(double scale, bool solo)
{
	uint64_t n = (uint64_t)(PART * scale);

	for (int r = 0; r < ROUNDS; r++) {
		if (solo) {
			slowed(99 * n);
			side(n);
			continue;
		}
		steady(30 * n);
		outer(40 * n);
		side(20 * n);
		SPIN(10 * n);
	}
}

int main(int argc, char **argv)
{
	bool solo = argc > 2 && !strcmp(argv[2], "solo");
	double scale = workload_scale(argc > 2 ? 2 : argc, argv);

	run(scale, solo);
	printf("regress: done (%d%%), checksum %016llx\n", REGRESS_PCT,
	       (unsigned long long)workload_sink);
	return 0;
}
