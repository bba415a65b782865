/* Spins in spin_forever() until killed: for -d, SIGINT and -p tests.
 * Prints its pid on stdout first (flushed) so that a test can find it. */
#include <stdio.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

__attribute__((noinline)) void spin_forever(void)
{
	for (;;)
		SPIN(10 * SPIN_PER_UNIT);
}

int main(void)
{
	printf("forever: pid %d\n", (int)getpid());
	fflush(stdout);
	spin_forever();
	return 0;
}
