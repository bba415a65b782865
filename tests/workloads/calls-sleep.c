/* Known latencies: nap() sleeps MS milliseconds per call (default 20) and
 * is called COUNT times (default 25); nest(d) recurses d levels deep (5)
 * and sleeps 2 ms at the bottom only, so each of its 6 nested calls lasts
 * about 2 ms: pairing entries with returns must follow the recursion.
 * The program times every nap() call itself and prints the median
 * ("nap median S"): on a loaded machine a sleep overshoots, and this is
 * what a call really took.
 *
 * Usage: calls-sleep [COUNT [MS]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MEASURED_MAX 100000

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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static double took[MEASURED_MAX];
	int count = argc > 1 ? atoi(argv[1]) : 25;
	double ms = argc > 2 ? atof(argv[2]) : 20;
	int kept = 0;

	for (int i = 0; i < count; i++) {
		double t0 = now_s();

		nap(ms);
		if (kept < MEASURED_MAX)
			took[kept++] = now_s() - t0;
	}
	for (int i = 0; i < 10; i++)
		nest(5);
	qsort(took, (size_t)kept, sizeof(*took), cmp_double);
	printf("calls-sleep: %d naps of %g ms, 10 nests of depth 5\n", count, ms);
	if (kept)
		printf("nap median %.6f\n", took[(kept + 1) / 2 - 1]);
	return 0;
}
