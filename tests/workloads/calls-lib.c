/* The shared library of the `calls` workload: lib_seven() and lib_once(),
 * counted by proftop --calls in a .so (file offsets, not addresses), and a
 * calls_both() that the executable defines too (an ambiguous name). */
#include "calls-lib.h"

volatile unsigned long calls_lib_sink;

__attribute__((noinline)) void lib_seven(unsigned long i)
{
	calls_lib_sink += i;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void lib_once(unsigned long i)
{
	calls_lib_sink ^= i;
	__asm__ volatile("" ::: "memory");
}

/* Never called: the executable's calls_both() is the one that runs. */
__attribute__((noinline)) void calls_both(unsigned long i)
{
	calls_lib_sink -= i;
	__asm__ volatile("" ::: "memory");
}
