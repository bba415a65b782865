/* An allocation-heavy program of the common kind, for the allocation
 * bench beside memalloc: many small allocations of the sizes a C++ or
 * Python program makes, between which it computes; its CPU time is user
 * time (its heap stays below a few tens of MiB and is reused round after
 * round: 3,800 page faults, where memalloc zeroes 107,000 fresh pages, so
 * what a profiler costs per allocation shows, not per page). Each round builds
 * a hash map of --keys string keys to records, looks every key up twice,
 * then tears it all down:
 *   new_key     each key's characters, 13 to 76 bytes (a short string)
 *   new_record  a 48-byte record per key (a node)
 *   grow_table  the bucket array, a new one of twice the size whenever the
 *               map is full (as std::vector grows: new, copy, free)
 * Every allocation is freed by the end of its round. The bytes each of the
 * three functions asked for depend only on the arguments; --time prints
 * them, with the run time and CPU time, on stderr:
 *   elapsed 1.234 s cpu 1.100 s (user ...)
 *   allocated new_key BYTES CALLS   (one line per function)
 * Options: --rounds R (default 8), --keys N (default 100000), --scale F
 * (keys times F), --time. Prints a checksum that depends on nothing but
 * the arguments. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "workload.h"

volatile uint64_t workload_sink = 1;

struct record {
	struct record *next; /* the bucket's chain */
	char *key;
	uint64_t hash;
	uint64_t value;
	uint64_t hits;
	uint64_t pad;
};

struct map {
	struct record **buckets;
	size_t nbuckets, count;
};

/* What each allocating function asked for (--time prints it). */
static uint64_t asked_bytes[3], asked_calls[3];
enum { KEY, RECORD, TABLE };

/* (malloc is called in the functions themselves: a helper, inlined or
 * not, would be the function that allocated) */
__attribute__((noinline, noreturn)) static void out_of_memory(void)
{
	fprintf(stderr, "memtree: out of memory\n");
	exit(1);
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* Key i: 12 to 75 letters, from i alone. */
static void key_text(char *buf, uint64_t i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ull + 12345;
	size_t len = 12 + (size_t)((x >> 33) % 64);

	for (size_t k = 0; k < len; k++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		buf[k] = (char)('a' + (x * 0x2545f4914f6cdd1dull >> 40) % 26);
	}
	buf[len] = 0;
}

__attribute__((noinline)) char *new_key(const char *text)
{
	size_t n = strlen(text) + 1;
	char *p = malloc(n);

	if (!p)
		out_of_memory();

	asked_bytes[KEY] += n;
	asked_calls[KEY]++;
	memcpy(p, text, n);
	return p;
}

__attribute__((noinline)) struct record *new_record(char *key, uint64_t hash, uint64_t value)
{
	struct record *r = malloc(sizeof(*r));

	if (!r)
		out_of_memory();

	asked_bytes[RECORD] += sizeof(*r);
	asked_calls[RECORD]++;
	*r = (struct record){.key = key, .hash = hash, .value = value};
	return r;
}

/* Twice the buckets (16 at first), the records moved to their new chains. */
__attribute__((noinline)) void grow_table(struct map *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
	struct record **b = malloc(n * sizeof(*b));

	if (!b)
		out_of_memory();

	asked_bytes[TABLE] += n * sizeof(*b);
	asked_calls[TABLE]++;
	memset(b, 0, n * sizeof(*b));
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct record *r = m->buckets[i], *next;

		for (; r; r = next) {
			next = r->next;
			r->next = b[r->hash & (n - 1)];
			b[r->hash & (n - 1)] = r;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

static void map_put(struct map *m, const char *text, uint64_t value)
{
	uint64_t h = hash_str(text);

	if (m->count >= m->nbuckets)
		grow_table(m);
	struct record *r = new_record(new_key(text), h, value);

	r->next = m->buckets[h & (m->nbuckets - 1)];
	m->buckets[h & (m->nbuckets - 1)] = r;
	m->count++;
}

static struct record *map_get(const struct map *m, const char *text)
{
	uint64_t h = hash_str(text);

	for (struct record *r = m->buckets[h & (m->nbuckets - 1)]; r; r = r->next)
		if (r->hash == h && !strcmp(r->key, text))
			return r;
	return NULL;
}

static void map_free(struct map *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct record *r = m->buckets[i], *next;

		for (; r; r = next) {
			next = r->next;
			free(r->key);
			free(r);
		}
	}
	free(m->buckets);
	*m = (struct map){0};
}

static uint64_t one_round(size_t keys, int round)
{
	struct map m = {0};
	char text[96];
	uint64_t sum = 0;

	for (size_t i = 0; i < keys; i++) {
		key_text(text, i + (uint64_t)round * 7919);
		map_put(&m, text, i);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < keys; i++) {
			struct record *r;

			key_text(text, i + (uint64_t)round * 7919);
			r = map_get(&m, text);
			if (r) {
				r->hits++;
				sum = sum * 31 + r->value + r->hits;
			}
		}
	}
	map_free(&m);
	return sum;
}

int main(int argc, char **argv)
{
	int rounds = 8, do_time = 0;
	double scale = 1;
	long keys = 100000;
	struct timespec t0;
	uint64_t sum = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--time"))
			do_time = 1;
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keys") && i + 1 < argc)
			keys = atol(argv[++i]);
		else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
			scale = strtod(argv[++i], NULL);
		else {
			fprintf(stderr, "usage: %s [--rounds R] [--keys N] [--scale F] [--time]\n",
				argv[0]);
			return 2;
		}
	}
	if (rounds < 1 || keys < 1 || !(scale > 0) || keys * scale < 1 || keys * scale > 1e8) {
		fprintf(stderr, "memtree: --rounds >= 1, --keys >= 1, --scale > 0 "
				"(keys times scale from 1 to 10^8)\n");
		return 2;
	}
	keys = (long)((double)keys * scale);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int r = 0; r < rounds; r++)
		sum += one_round((size_t)keys, r);
	workload_sink = sum;
	printf("checksum %016llx\n", (unsigned long long)sum);
	if (do_time) {
		static const char *const names[] = {"new_key", "new_record", "grow_table"};

		workload_print_time(&t0);
		for (int k = 0; k < 3; k++)
			fprintf(stderr, "allocated %s %llu %llu\n", names[k],
				(unsigned long long)asked_bytes[k], (unsigned long long)asked_calls[k]);
	}
	return 0;
}
