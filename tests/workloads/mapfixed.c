/* Anonymous mappings replaced in place (tests/e2e/alloc-untracked.sh's
 * neighbour, alloc-mapfixed.sh):
 *   replace()  maps 8 MiB, then maps 8 MiB over it with MAP_FIXED (which
 *              unmaps the first: a free of it), then unmaps the second
 *   keep()     maps 4 MiB and never unmaps it (leaked at exit)
 * Both write every page they map. Allocators that reserve address space
 * and commit it in place (MAP_FIXED over their own reservation) do this. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

#define MIB (1024u * 1024)

static void *map(void *at, size_t len)
{
	void *p = mmap(at, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);

	if (p == MAP_FAILED) {
		perror("mapfixed: mmap");
		exit(1);
	}
	memset(p, 1, len);
	workload_sink += ((volatile unsigned char *)p)[len - 1];
	return p;
}

__attribute__((noinline)) void replace(void)
{
	void *p = map(NULL, 8 * MIB);

	if (map(p, 8 * MIB) != p) {
		fprintf(stderr, "mapfixed: MAP_FIXED moved the mapping\n");
		exit(1);
	}
	munmap(p, 8 * MIB);
}

__attribute__((noinline)) void keep(void)
{
	map(NULL, 4 * MIB);
}

int main(void)
{
	replace();
	keep();
	printf("mapped %llu\n", (unsigned long long)(workload_sink & 1));
	return 0;
}
