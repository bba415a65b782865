/* undumpable: makes itself non-dumpable (prctl(PR_SET_DUMPABLE, 0), as
 * programs holding secrets do), prints "undumpable: pid N" and spins until
 * killed. Only root may then trace or profile it. */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

int main(void)
{
	prctl(PR_SET_DUMPABLE, 0);
	printf("undumpable: pid %d\n", (int)getpid());
	fflush(stdout);
	for (;;)
		SPIN(1000000);
}
