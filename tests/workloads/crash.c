/* Works in crash_work() for about a second, then dies of SIGSEGV in
 * crash_now(). proftop must still print its report and name the signal. */
#include <stdio.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

__attribute__((noinline)) void crash_work(uint64_t n)
{
	SPIN(n);
}

__attribute__((noinline)) void crash_now(void)
{
	/* Both volatile: the compiler must load the pointer and store. */
	volatile int *volatile nowhere = NULL;
	*nowhere = (int)workload_sink;
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	crash_work((uint64_t)(600 * SPIN_PER_UNIT * scale));
	printf("crash: about to crash\n");
	fflush(stdout);
	crash_now();
	printf("crash: still alive?\n");
	return 0;
}
