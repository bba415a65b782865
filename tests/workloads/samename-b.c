/* The other static step (see samename.c): 40% of the work. */
#include "workload.h"

void run_b(uint64_t n);

static __attribute__((noinline)) void step(uint64_t n)
{
	SPIN(4 * n);
}

__attribute__((noinline)) void run_b(uint64_t n)
{
	step(n);
	workload_sink++;
}
