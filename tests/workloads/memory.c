/* Grows its resident memory in steps: STEPS times STEP_MIB MiB, each
 * allocation touched page by page, STEP_MS apart; then holds the memory a
 * little and exits without freeing it (so the last RSS seen is the peak).
 * proftop --memory must report the growth (~200 MiB).
 * argv[1] scales the step size (default 1.0: 10 x 20 MiB). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define STEPS 10
#define STEP_MIB 20
#define STEP_MS 100

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

__attribute__((noinline)) void *grow(size_t bytes)
{
	unsigned char *p = malloc(bytes);
	if (p == NULL) {
		fprintf(stderr, "memory: out of memory\n");
		exit(1);
	}
	/* Touch every page with a non-zero value: pages stay resident. */
	for (size_t i = 0; i < bytes; i += 4096)
		p[i] = (unsigned char)(i >> 12) | 1;
	return p;
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	size_t step = (size_t)(STEP_MIB * scale * 1024 * 1024);
	void *blocks[STEPS];

	for (int i = 0; i < STEPS; i++) {
		blocks[i] = grow(step);
		sleep_ms(STEP_MS);
	}
	sleep_ms(2 * STEP_MS);
	unsigned long sum = 0;
	for (int i = 0; i < STEPS; i++)
		sum += ((unsigned char *)blocks[i])[step - 4096];
	workload_sink = sum;
	printf("memory: grew %d x %zu bytes\n", STEPS, step);
	return 0;
}
