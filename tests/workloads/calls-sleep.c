/* Known latencies: nap() sleeps MS milliseconds per call (default 20) and
 * is called COUNT times (default 25); nest(d) recurses d levels deep (5)
 * and sleeps 2 ms at the bottom only, so each of its 6 nested calls lasts
 * about 2 ms: pairing entries with returns must follow the recursion.
 *
 * Usage: calls-sleep [COUNT [MS]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static volatile int sink;

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)((ms - 1000 * (long)(ms / 1000)) * 1e6)};

	while (nanosleep(&ts, &ts) != 0)
		;
}

__attribute__((noinline)) void nap(double ms)
{
	sleep_ms(ms);
	sink++;
}

__attribute__((noinline)) void nest(int d)
{
	if (d > 0)
		nest(d - 1);
	else
		sleep_ms(2);
	sink++; /* not a tail call */
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 25;
	double ms = argc > 2 ? atof(argv[2]) : 20;

	for (int i = 0; i < count; i++)
		nap(ms);
	for (int i = 0; i < 10; i++)
		nest(5);
	printf("calls-sleep: %d naps of %g ms, 10 nests of depth 5\n", count, ms);
	return 0;
}
