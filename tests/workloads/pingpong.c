/* pingpong: two threads hand a byte back and forth over two pipes for
 * SCALE seconds (default 1) of wall time, each blocking in read between
 * turns: about as many context switches as the machine allows. Prints
 *   pingpong: N round trips in S s (R per s)
 * The wall clock's worst case (bench/wall-bench.sh). */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink;
static int ping[2], pong[2];
static volatile int done;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) static void *pingpong_echo(void *arg)
{
	char c;

	(void)arg;
	while (read(ping[0], &c, 1) == 1 && c != 'q')
		if (write(pong[1], &c, 1) != 1)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv), t0, t;
	unsigned long n = 0;
	pthread_t echo;
	char c = 'x';

	if (pipe(ping) < 0 || pipe(pong) < 0)
		return 1;
	pthread_create(&echo, NULL, pingpong_echo, NULL);
	t0 = now();
	do {
		for (int i = 0; i < 256; i++, n++)
			if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
				return 1;
		t = now() - t0;
	} while (t < scale);
	if (write(ping[1], "q", 1) != 1)
		return 1;
	pthread_join(echo, NULL);
	printf("pingpong: %lu round trips in %.3f s (%.0f per s)\n", n, t, (double)n / t);
	return 0;
}
