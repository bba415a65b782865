/* Allocates known amounts, each in a function of its own (the allocation
 * tracker's tests and bench):
 *   small_blocks  300 MiB in 1 KiB blocks (all freed)
 *   big_blocks    100 MiB in 1 MiB blocks (all freed)
 *   leak_blocks    10 MiB in 512 KiB blocks, never freed (leaked at exit)
 *   churn_blocks    1 GiB in 1 MiB blocks, each freed at once (0 live)
 * then prints a checksum of what it wrote and read, which depends on
 * nothing but the arguments. Options (before or after nothing else):
 *   --fork     a forked child (no exec) runs child_blocks: 50 MiB in 4 KiB blocks
 *   --threads N  N threads each run thread_blocks: 20 MiB in 512-byte blocks
 *   --signal   a SIGUSR1 handler (raised between allocations) mallocs and
 *              frees, and a profiling timer's handler maps and unmaps
 *              anonymous memory (mmap is async-signal-safe) at any moment
 *   --scale F  multiply every amount by F (default 1)
 *   --mmap     also map_blocks: 40 MiB of anonymous mmap in 1 MiB maps, unmapped
 *   --time     print its own run time and CPU time (all its threads) on stderr
 *              ("elapsed 1.234 s cpu 1.100 s": the bench) */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define MIB (1024ull * 1024)

static double scale = 1;
static volatile sig_atomic_t handler_runs;
static void *leaked[4096];
static unsigned char *table[4 * 300 * 1024]; /* small_blocks' blocks, up to --scale 4 */

static size_t count(uint64_t bytes, size_t block)
{
	return (size_t)((double)bytes * scale) / block;
}

/* Writes a pattern into a block and reads part of it back: the checksum
 * proves the memory was the program's, whatever tracked it. */
static uint64_t use_block(unsigned char *p, size_t n, uint64_t seed)
{
	uint64_t sum = 0;

	if (!p) {
		fprintf(stderr, "memalloc: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < n; i += 512)
		p[i] = (unsigned char)(seed + i / 512);
	p[n - 1] = (unsigned char)seed;
	for (size_t i = 0; i < n; i += 512)
		sum = sum * 31 + p[i];
	return sum + p[n - 1];
}

__attribute__((noinline)) uint64_t small_blocks(void)
{
	size_t n = count(300 * MIB, 1024);
	uint64_t sum = 0;

	if (n > sizeof(table) / sizeof(*table))
		n = sizeof(table) / sizeof(*table);
	for (size_t i = 0; i < n; i++) {
		table[i] = malloc(1024);
		sum += use_block(table[i], 1024, i);
	}
	for (size_t i = 0; i < n; i++)
		free(table[i]);
	return sum;
}

__attribute__((noinline)) uint64_t big_blocks(void)
{
	size_t n = count(100 * MIB, MIB);
	unsigned char *v[128];
	uint64_t sum = 0;

	for (size_t i = 0; i < n && i < 128; i++) {
		v[i] = malloc(MIB);
		sum += use_block(v[i], MIB, i);
	}
	for (size_t i = 0; i < n && i < 128; i++)
		free(v[i]);
	return sum;
}

__attribute__((noinline)) uint64_t leak_blocks(void)
{
	size_t n = count(10 * MIB, 512 * 1024);
	uint64_t sum = 0;

	for (size_t i = 0; i < n && i < 4096; i++) {
		leaked[i] = malloc(512 * 1024);
		sum += use_block(leaked[i], 512 * 1024, i);
	}
	return sum;
}

__attribute__((noinline)) uint64_t churn_blocks(void)
{
	size_t n = count(1024 * MIB, MIB);
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char *p = malloc(MIB);

		sum += use_block(p, MIB, i);
		free(p);
		if (handler_runs >= 0 && i % 64 == 0)
			raise(SIGUSR1); /* handled only with --signal */
	}
	return sum;
}

__attribute__((noinline)) uint64_t map_blocks(void)
{
	size_t n = count(40 * MIB, MIB);
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			p = NULL;
		sum += use_block(p, MIB, i);
		munmap(p, MIB);
	}
	return sum;
}

__attribute__((noinline)) uint64_t child_blocks(void)
{
	size_t n = count(50 * MIB, 4096);
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char *p = malloc(4096);

		sum += use_block(p, 4096, i);
		free(p);
	}
	return sum;
}

__attribute__((noinline)) uint64_t thread_blocks(void)
{
	size_t n = count(20 * MIB, 512);
	uint64_t sum = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char *p = malloc(512);

		sum += use_block(p, 512, i);
		free(p);
	}
	return sum;
}

static void *thread_main(void *arg)
{
	*(uint64_t *)arg = thread_blocks();
	return NULL;
}

/* Synchronous (raise): malloc is allowed here, nothing else is in it. */
static void on_usr1(int sig)
{
	char *p = malloc(256 + (size_t)handler_runs % 4096);

	(void)sig;
	if (p) {
		p[0] = 1;
		workload_sink += (uint64_t)p[0];
	}
	free(p);
	handler_runs++;
}

/* Asynchronous: it may interrupt anything, the tracker included. */
static void on_prof(int sig)
{
	unsigned char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)sig;
	if (p != MAP_FAILED) {
		p[0] = 1;
		workload_sink += p[0];
		munmap(p, 65536);
	}
}

int main(int argc, char **argv)
{
	int threads = 0, do_fork = 0, do_signal = 0, do_mmap = 0, do_time = 0;
	struct timespec t0;
	uint64_t sum = 0, tsum[64] = {0};
	pthread_t tid[64];
	pid_t child = -1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fork"))
			do_fork = 1;
		else if (!strcmp(argv[i], "--signal"))
			do_signal = 1;
		else if (!strcmp(argv[i], "--mmap"))
			do_mmap = 1;
		else if (!strcmp(argv[i], "--time"))
			do_time = 1;
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
			scale = strtod(argv[++i], NULL);
		else {
			fprintf(stderr, "usage: %s [--fork] [--threads N] [--signal] [--mmap] "
					"[--time] [--scale F]\n", argv[0]);
			return 2;
		}
	}
	if (threads < 0 || threads > 64 || !(scale > 0)) {
		fprintf(stderr, "memalloc: --threads 0..64, --scale > 0\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (do_signal) {
		struct itimerval it = {{0, 500}, {0, 500}};

		signal(SIGUSR1, on_usr1);
		signal(SIGPROF, on_prof);
		setitimer(ITIMER_PROF, &it, NULL);
	} else {
		handler_runs = -1; /* churn_blocks raises nothing */
	}
	if (do_fork) {
		fflush(NULL);
		child = fork();
		if (child == 0) {
			uint64_t s = child_blocks();

			printf("child checksum %016llx\n", (unsigned long long)s);
			fflush(NULL);
			_exit(0);
		}
	}
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, thread_main, &tsum[i]);
	sum += small_blocks();
	sum += big_blocks();
	sum += leak_blocks();
	sum += churn_blocks();
	if (do_mmap)
		sum += map_blocks();
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		sum += tsum[i];
	}
	if (do_signal) {
		struct itimerval off = {{0, 0}, {0, 0}};

		setitimer(ITIMER_PROF, &off, NULL);
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	printf("checksum %016llx\n", (unsigned long long)sum);
	if (do_time)
		workload_print_time(&t0);
	return 0;
}
