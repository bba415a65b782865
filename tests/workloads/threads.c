/* Two threads with different work: thread A does three times the work of
 * thread B, in different functions, while main waits in pthread_join.
 * Of the process's CPU time, thread_a_work is ~75% and thread_b_work ~25%. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define ROUNDS 100
#define CHUNK (1000 * SPIN_PER_UNIT / ROUNDS / 4) /* iterations per quarter */

static uint64_t chunk;

__attribute__((noinline)) void thread_a_work(uint64_t n)
{
	SPIN(3 * n);
}

__attribute__((noinline)) void thread_b_work(uint64_t n)
{
	SPIN(n);
}

static void *thread_a(void *arg)
{
	pthread_setname_np(pthread_self(), "worker-a");
	for (int r = 0; r < ROUNDS; r++)
		thread_a_work(chunk);
	return NULL;
}

static void *thread_b(void *arg)
{
	pthread_setname_np(pthread_self(), "worker-b");
	for (int r = 0; r < ROUNDS; r++)
		thread_b_work(chunk);
	return NULL;
}

int main(int argc, char **argv)
{
	double scale = workload_scale(argc, argv);
	pthread_t a, b;
	int err;

	chunk = (uint64_t)(CHUNK * scale);
	if ((err = pthread_create(&a, NULL, thread_a, NULL)) != 0 ||
	    (err = pthread_create(&b, NULL, thread_b, NULL)) != 0) {
		fprintf(stderr, "threads: pthread_create: %s\n", strerror(err));
		return 1;
	}
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("threads: done, checksum %016llx\n", (unsigned long long)workload_sink);
	return 0;
}
