/* Allocates known amounts in named functions, slowly enough to be watched:
 * grow_big() keeps 64 MiB in 1 MiB blocks, grow_small() 16 MiB in 1 KiB
 * blocks, then a pause of PAUSE_MS, then churn() allocates and frees
 * 64 KiB blocks (12.5 MiB in all, none kept). Each phase's end is
 * written to the file argv[1] ("grown", then "churned") when given, so
 * that a test knows what the profile holds. Then it waits for a signal
 * (proftop's q ends it), five minutes at most. The memory view's test
 * (tests/tui/memory-table.sh) reads its table. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define BIG_BLOCKS   64
#define BIG_SIZE     (1024 * 1024)
#define SMALL_BLOCKS (16 * 1024)
#define SMALL_SIZE   1024
#define CHURN_BLOCKS 200
#define CHURN_SIZE   (64 * 1024)
#define PAUSE_MS     2000

static char *big[BIG_BLOCKS];
static char *small[SMALL_BLOCKS];
static const char *phase_file;

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void *check(void *p)
{
	if (!p) {
		fprintf(stderr, "memgrow: out of memory\n");
		exit(1);
	}
	return p;
}

static void phase(const char *what)
{
	FILE *f;

	printf("memgrow: %s\n", what);
	fflush(stdout);
	if (!phase_file)
		return;
	f = fopen(phase_file, "a");
	if (!f) {
		perror(phase_file);
		exit(1);
	}
	fprintf(f, "%s\n", what);
	fclose(f);
}

__attribute__((noinline)) void grow_big(void)
{
	for (int i = 0; i < BIG_BLOCKS; i++) {
		big[i] = malloc(BIG_SIZE);
		memset(check(big[i]), i | 1, BIG_SIZE);
		sleep_ms(10);
	}
}

__attribute__((noinline)) void grow_small(void)
{
	for (int i = 0; i < SMALL_BLOCKS; i++) {
		small[i] = malloc(SMALL_SIZE);
		memset(check(small[i]), i | 1, SMALL_SIZE);
		if (i % 64 == 63)
			sleep_ms(2);
	}
}

__attribute__((noinline)) void churn(void)
{
	for (int i = 0; i < CHURN_BLOCKS; i++) {
		char *p = malloc(CHURN_SIZE);

		memset(check(p), i | 1, CHURN_SIZE);
		workload_sink += (unsigned char)p[i * 97 % CHURN_SIZE];
		free(p);
		sleep_ms(5);
	}
}

int main(int argc, char **argv)
{
	phase_file = argc > 1 ? argv[1] : NULL;
	grow_big();
	grow_small();
	phase("grown");
	sleep_ms(PAUSE_MS);
	churn();
	phase("churned");
	workload_sink += (unsigned char)big[BIG_BLOCKS - 1][0] + (unsigned char)small[0][0];
	alarm(300);
	for (;;)
		pause();
}
