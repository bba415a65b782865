/* The shared library of the `calls` workload: lib_seven() and lib_once(),
 * counted by proftop --calls in a .so (file offsets, not addresses). */
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
