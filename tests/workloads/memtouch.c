/* First-touches known amounts of memory in named functions, for the
 * page-fault samples (RSS growth by code):
 *   touch_heap()  mallocs 64 MiB and memsets it: 64 MiB of faults
 *   touch_mmap()  maps 32 MiB of anonymous memory and writes every page
 *   reuse()       writes both again: resident already, no new faults
 * Transparent huge pages are turned off for both (MADV_NOHUGEPAGE), so a
 * fault is one 4 KiB page. With "wait" as an argument it prints "ready" and
 * waits for SIGUSR1 before touching anything (for -p: attach first); a
 * number as an argument is touch_heap's MiB instead of 64. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define MMAP_BYTES (32u << 20)

static size_t heap_bytes = 64u << 20;

static void no_huge_pages(void *p, size_t len)
{
	long psz = sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + (uintptr_t)psz - 1) & ~((uintptr_t)psz - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~((uintptr_t)psz - 1);

	if (end > start)
		madvise((void *)start, end - start, MADV_NOHUGEPAGE);
}

__attribute__((noinline)) unsigned char *touch_heap(void)
{
	unsigned char *p = malloc(heap_bytes);

	if (!p) {
		fprintf(stderr, "memtouch: out of memory\n");
		exit(1);
	}
	no_huge_pages(p, heap_bytes);
	memset(p, 1, heap_bytes);
	return p;
}

__attribute__((noinline)) unsigned char *touch_mmap(void)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned char *p = mmap(NULL, MMAP_BYTES, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("memtouch: mmap");
		exit(1);
	}
	no_huge_pages(p, MMAP_BYTES);
	for (size_t i = 0; i < MMAP_BYTES; i += (size_t)psz)
		p[i] = (unsigned char)(i >> 12) | 1;
	return p;
}

/* Resident already: writes, no faults. */
__attribute__((noinline)) void reuse(unsigned char *heap, unsigned char *map)
{
	for (int round = 0; round < 4; round++) {
		memset(heap, round + 2, heap_bytes);
		for (size_t i = 0; i < MMAP_BYTES; i += 64)
			map[i] += 1;
	}
}

int main(int argc, char **argv)
{
	unsigned char *heap, *map;
	uint64_t sum = 0;

	bool wait = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "wait"))
			wait = true;
		else if (atoi(argv[i]) > 0)
			heap_bytes = (size_t)atoi(argv[i]) << 20;
	}
	if (wait) {
		sigset_t set;
		int sig;

		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		printf("ready\n");
		fflush(stdout);
		sigwait(&set, &sig);
	}
	heap = touch_heap();
	map = touch_mmap();
	reuse(heap, map);
	for (size_t i = 0; i < heap_bytes; i += 4096)
		sum += heap[i];
	for (size_t i = 0; i < MMAP_BYTES; i += 4096)
		sum += map[i];
	workload_sink = sum;
	printf("memtouch: touched %zu MiB (heap) and 32 MiB (mmap)\n", heap_bytes >> 20);
	return 0;
}
