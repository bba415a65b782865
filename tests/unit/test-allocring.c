#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <cmocka.h>

#include "alloc.h"
#include "allocring.h"
#include "profile.h"

/* proftop's side of the allocation ring, with this test writing what the
 * preloaded tracker would (and what a broken or hostile one might): the
 * records become prof_alloc entries with the right weights, frees mark
 * them, forks are passed on, and malformed input is dropped and counted,
 * never followed. */

struct ring {
	struct alloc_tracker *t;
	struct allocring_header *h;
	uint8_t *data;
	size_t map_len;
	struct profile *p;
	int forks;
	pid_t fork_pid, fork_ppid;
	uint32_t stack_id;
	size_t py_len;	  /* the last record's Python frames, as handed over */
	int32_t py_first; /* their first word (the frame count) */
	int codes;	  /* CODE records handed over */
	uint64_t code;
	size_t nspans;
	struct py_span spans[ALLOCRING_CODE_SPANS]; /* data: gone after the drain */
	uint8_t first[ALLOCRING_CODE_SPANS], last[ALLOCRING_CODE_SPANS];
};

static uint32_t stub_stack(void *ctx, pid_t pid, pid_t tid, uint64_t time,
			   const struct unwind_snapshot *snap, const void *py, size_t py_len)
{
	struct ring *r = ctx;

	(void)pid;
	(void)tid;
	(void)time;
	assert_true(snap->stack_len <= 4096);
	assert_true(!py == !py_len);
	r->py_len = py_len;
	r->py_first = 0;
	if (py)
		memcpy(&r->py_first, py, sizeof(r->py_first));
	return r->stack_id;
}

static void stub_fork(void *ctx, pid_t pid, pid_t ppid)
{
	struct ring *r = ctx;

	r->forks++;
	r->fork_pid = pid;
	r->fork_ppid = ppid;
}

static void stub_code(void *ctx, pid_t pid, uint64_t code, const struct py_span *spans, size_t n)
{
	struct ring *r = ctx;

	(void)pid;
	assert_true(n <= ALLOCRING_CODE_SPANS);
	r->codes++;
	r->code = code;
	r->nspans = n;
	memcpy(r->spans, spans, n * sizeof(*spans));
	for (size_t i = 0; i < n; i++) {
		r->first[i] = spans[i].data[0];
		r->last[i] = spans[i].data[spans[i].len - 1];
	}
}

static void ring_open(struct ring *r, uint64_t sample)
{
	char err[256];
	int fds[2];

	memset(r, 0, sizeof(*r));
	r->t = alloc_tracker_new(sample, 256, err, sizeof(err));
	assert_non_null(r->t);
	alloc_tracker_fds(r->t, fds);
	r->map_len = ALLOCRING_HEADER_SIZE + (sample == 1 ? (16u << 20) : (32u << 20));
	r->h = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	assert_true(r->h != MAP_FAILED);
	assert_int_equal(r->h->magic, ALLOCRING_MAGIC);
	assert_int_equal(r->h->sample, sample);
	assert_int_equal(r->h->data_size + ALLOCRING_HEADER_SIZE, r->map_len);
	r->data = (uint8_t *)r->h + ALLOCRING_HEADER_SIZE;
	r->p = profile_new();
	r->stack_id = 0;
}

static void ring_close(struct ring *r)
{
	munmap(r->h, r->map_len);
	alloc_tracker_free(r->t);
	profile_free(r->p);
}

/* Reserve len bytes as a producer would; the record, not committed. */
static struct allocring_rec *put(struct ring *r, uint32_t len)
{
	struct allocring_rec *rec =
		(struct allocring_rec *)(r->data + (r->h->head & (r->h->data_size - 1)));

	memset(rec, 0, len);
	r->h->head += len;
	rec->len = len;
	return rec;
}

static struct allocring_rec *put_alloc(struct ring *r, pid_t pid, uint64_t addr, uint64_t size,
				       uint32_t stack_len)
{
	uint32_t len = (uint32_t)((sizeof(struct allocring_rec) + stack_len + 7) & ~7u);
	struct allocring_rec *rec = put(r, len);

	rec->type = ALLOCRING_ALLOC;
	rec->pid = rec->tid = pid;
	rec->time = 1000;
	rec->addr = addr;
	rec->size = size;
	rec->stack_len = stack_len;
	rec->len = len | ALLOCRING_COMMIT;
	return rec;
}

/* An ALLOC record with stack_len bytes of stack and then Python frames
 * (py_len bytes, its first word n), padded as the tracker pads; claim:
 * the py_len it says. */
static void put_alloc_py(struct ring *r, uint32_t stack_len, uint32_t py_len, uint32_t claim,
			 int32_t n)
{
	size_t at = sizeof(struct allocring_rec) + ((stack_len + 7) & ~7u);
	uint32_t len = (uint32_t)((at + py_len + 7) & ~(size_t)7);
	struct allocring_rec *rec = put(r, len);

	rec->type = ALLOCRING_ALLOC;
	rec->pid = rec->tid = 20;
	rec->time = 1000;
	rec->addr = 0x9000;
	rec->size = 64;
	rec->stack_len = stack_len;
	rec->py_len = claim;
	memcpy((uint8_t *)rec + at, &n, sizeof(n));
	rec->len = len | ALLOCRING_COMMIT;
}

static void put_free(struct ring *r, pid_t pid, uint64_t addr, uint16_t type)
{
	struct allocring_rec *rec = put(r, ALLOCRING_FREE_LEN);

	rec->type = type;
	rec->pid = rec->tid = pid;
	rec->time = 2000;
	rec->addr = addr;
	rec->len = ALLOCRING_FREE_LEN | ALLOCRING_COMMIT;
}

static size_t drain(struct ring *r, bool final)
{
	struct alloc_sink sink = {
		.ctx = r, .stack = stub_stack, .fork = stub_fork, .code = stub_code};

	return alloc_tracker_drain(r->t, r->p, 0, &sink, final);
}

static void test_python_frames(void **state)
{
	struct ring r;
	size_t one = sizeof(struct allocring_pyframes) + sizeof(struct allocring_pyframe);

	(void)state;
	ring_open(&r, 1);
	put_alloc_py(&r, 61, (uint32_t)one, (uint32_t)one, 1);
	assert_int_equal(drain(&r, false), 1);
	assert_int_equal(r.py_len, one);
	assert_int_equal(r.py_first, 1);
	/* a length past the record's end: no Python frames, the record kept */
	put_alloc_py(&r, 64, (uint32_t)one, 4096, 1);
	assert_int_equal(drain(&r, false), 1);
	assert_int_equal(r.py_len, 0);
	assert_int_equal(r.p->nallocs, 2);
	/* none */
	put_alloc(&r, 20, 0xa000, 64, 64);
	assert_int_equal(drain(&r, false), 1);
	assert_int_equal(r.py_len, 0);
	ring_close(&r);
}

/* A CODE record of n spans of the given lengths (each filled with its
 * index), claiming `claim` spans; returns its length. */
static uint32_t put_code(struct ring *r, const uint32_t *lens, int n, uint64_t claim)
{
	uint32_t len = ALLOCRING_FREE_LEN, at;
	struct allocring_rec *rec;

	for (int i = 0; i < n; i++)
		len += (uint32_t)sizeof(struct allocring_span) + ((lens[i] + 7u) & ~7u);
	rec = put(r, len);
	rec->type = ALLOCRING_CODE;
	rec->pid = rec->tid = 20;
	rec->time = 1000;
	rec->addr = 0x7000;
	rec->size = claim;
	at = ALLOCRING_FREE_LEN;
	for (int i = 0; i < n; i++) {
		struct allocring_span sp = {.addr = 0x7000 + 0x100 * (uint64_t)i, .len = lens[i]};

		memcpy((uint8_t *)rec + at, &sp, sizeof(sp));
		memset((uint8_t *)rec + at + sizeof(sp), i + 1, lens[i]);
		at += (uint32_t)sizeof(sp) + ((lens[i] + 7u) & ~7u);
	}
	rec->len = len | ALLOCRING_COMMIT;
	return len;
}

/* Python code objects as the tracker copied them: the spans handed over
 * as they are, a CODE record whose spans do not fit never. */
static void test_code(void **state)
{
	const uint32_t lens[4] = {192, 61, 1, 40};
	struct ring r;

	(void)state;
	ring_open(&r, 1);
	put_code(&r, lens, 4, 4);
	assert_int_equal(drain(&r, false), 1);
	assert_int_equal(r.codes, 1);
	assert_int_equal(r.code, 0x7000);
	assert_int_equal(r.nspans, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r.spans[i].addr, 0x7000 + 0x100 * (uint64_t)i);
		assert_int_equal(r.spans[i].len, lens[i]);
		assert_int_equal(r.first[i], i + 1);
		assert_int_equal(r.last[i], i + 1);
	}
	/* more spans claimed than the record holds, or than there can be */
	put_code(&r, lens, 2, 3);
	put_code(&r, lens, 4, ALLOCRING_CODE_SPANS + 1);
	assert_int_equal(drain(&r, false), 2);
	assert_int_equal(r.codes, 1);
	/* a span's length past the record's end */
	{
		const uint32_t big[1] = {64};
		struct allocring_rec *rec =
			(struct allocring_rec *)(r.data + (r.h->head & (r.h->data_size - 1)));
		struct allocring_span sp;

		put_code(&r, big, 1, 1);
		memcpy(&sp, (uint8_t *)rec + ALLOCRING_FREE_LEN, sizeof(sp));
		sp.len = 4096;
		memcpy((uint8_t *)rec + ALLOCRING_FREE_LEN, &sp, sizeof(sp));
	}
	assert_int_equal(drain(&r, false), 1);
	assert_int_equal(r.codes, 1);
	/* none: a record of no spans is handed over as such */
	put_code(&r, lens, 0, 0);
	assert_int_equal(drain(&r, false), 1);
	assert_int_equal(r.codes, 2);
	assert_int_equal(r.nspans, 0);
	assert_int_equal(r.p->nallocs, 0);
	ring_close(&r);
}

static void test_exact(void **state)
{
	struct ring r;

	(void)state;
	ring_open(&r, 1);
	put_alloc(&r, 10, 0x1000, 1024, 64);
	put_alloc(&r, 10, 0x2000, 0, 0);
	put_alloc(&r, 11, 0x1000, 4096, 64); /* same address, another process */
	put_free(&r, 10, 0x1000, ALLOCRING_FREE);
	put_free(&r, 10, 0x9999, ALLOCRING_FREE); /* never sampled: ignored */
	assert_int_equal(drain(&r, false), 5);
	assert_int_equal(r.p->nallocs, 3);
	assert_int_equal(r.p->allocs[0].bytes, 1024);
	assert_int_equal(r.p->allocs[0].allocs, 1);
	assert_int_equal(r.p->allocs[0].free_time, 2000);
	assert_int_equal(r.p->allocs[1].bytes, 0);
	assert_int_equal(r.p->allocs[2].size, 4096);
	assert_true(r.p->allocs[2].free_time == PROF_ALLOC_LIVE);
	/* read and cleared: tail caught up, nothing more */
	assert_int_equal(r.h->tail, r.h->head);
	assert_int_equal(drain(&r, false), 0);
	assert_int_equal(alloc_tracker_lost(r.t), 0);
	ring_close(&r);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Allocations made while proftop is paused are not counted; a free then
 * of a block allocated before is. */
static void test_pause(void **state)
{
	struct ring r;

	(void)state;
	ring_open(&r, 1);
	put_alloc(&r, 10, 0x1000, 1024, 64)->time = mono_ns();
	assert_int_equal(drain(&r, false), 1);
	alloc_tracker_pause(r.t, true);
	alloc_tracker_pause(r.t, true); /* again: one pause */
	put_alloc(&r, 10, 0x2000, 2048, 64)->time = mono_ns();
	put_free(&r, 10, 0x1000, ALLOCRING_FREE);
	assert_int_equal(drain(&r, false), 2);
	assert_int_equal(r.p->nallocs, 1);
	assert_true(r.p->allocs[0].free_time != PROF_ALLOC_LIVE);
	alloc_tracker_pause(r.t, false);
	put_alloc(&r, 10, 0x3000, 4096, 64)->time = mono_ns();
	assert_int_equal(drain(&r, false), 1);
	assert_int_equal(r.p->nallocs, 2);
	assert_int_equal(r.p->allocs[1].size, 4096);
	assert_int_equal(alloc_tracker_lost(r.t), 0);
	ring_close(&r);
}

/* A block of s bytes sampled with P = 1 - exp(-s/N) stands for s/P bytes;
 * its allocations, rounded at random, average 1/P. */
static void test_weights(void **state)
{
	struct ring r;
	double p = 1 - __builtin_exp(-1024.0 / 65536), sum = 0;

	(void)state;
	ring_open(&r, 65536);
	for (int i = 0; i < 2000; i++)
		put_alloc(&r, 10, 0x1000 + 16 * (uint64_t)i, 1024, 0);
	put_alloc(&r, 10, 0x100000, 1 << 20, 0); /* P ~ 1 */
	assert_int_equal(drain(&r, false), 2001);
	for (int i = 0; i < 2000; i++) {
		assert_int_equal(r.p->allocs[i].bytes, (uint64_t)(1024 / p + 0.5));
		sum += r.p->allocs[i].allocs;
	}
	assert_true(sum / 2000 > 1 / p - 0.5 && sum / 2000 < 1 / p + 0.5);
	assert_int_equal(r.p->allocs[2000].bytes, 1 << 20);
	assert_int_equal(r.p->allocs[2000].allocs, 1);
	ring_close(&r);
}

/* Records that do not add up are dropped and counted, never followed;
 * what a dead writer left unwritten is skipped at the end. */
static void test_malformed(void **state)
{
	struct ring r;
	struct allocring_rec *rec;

	(void)state;
	ring_open(&r, 1);
	/* a stack longer than its record */
	put_alloc(&r, 10, 0x1000, 64, 64);
	rec = (struct allocring_rec *)r.data;
	rec->stack_len = 1u << 30;
	put_alloc(&r, 10, 0x2000, 64, 0); /* fine */
	assert_int_equal(drain(&r, false), 2);
	assert_int_equal(r.p->nallocs, 1);
	assert_int_equal(alloc_tracker_lost(r.t), 1);
	/* a length that is not a multiple of 8: the rest reserved is dropped */
	rec = put(&r, 64);
	rec->len = 61 | ALLOCRING_COMMIT;
	put_alloc(&r, 10, 0x3000, 64, 0);
	drain(&r, false);
	assert_int_equal(r.p->nallocs, 1);
	assert_int_equal(alloc_tracker_lost(r.t), 2);
	assert_int_equal(r.h->tail, r.h->head);
	/* reserved, never committed: waits, then (the writers gone) skipped */
	put(&r, 64);
	put_alloc(&r, 10, 0x4000, 64, 0);
	assert_int_equal(drain(&r, false), 0);
	assert_true(r.h->tail < r.h->head);
	assert_int_equal(drain(&r, true), 1);
	assert_int_equal(r.p->nallocs, 2);
	assert_int_equal(alloc_tracker_lost(r.t), 3);
	/* a head no ring could hold: start over from it */
	r.h->head += r.h->data_size * 3;
	drain(&r, false);
	assert_int_equal(r.h->tail, r.h->head);
	assert_int_equal(alloc_tracker_lost(r.t), 4);
	ring_close(&r);
}

/* PAD fills the end of the ring; records after the wrap are read. A FORK
 * record is passed on; after profile_zero old frees are ignored. */
static void test_wrap_fork_zero(void **state)
{
	struct ring r;
	struct allocring_rec *rec;
	uint64_t size;

	(void)state;
	ring_open(&r, 1);
	size = r.h->data_size;
	/* 64 bytes before the end, where a 96-byte record does not fit */
	r.h->head = r.h->tail = 5 * size - 64;
	rec = put(&r, 64);
	rec->type = ALLOCRING_PAD;
	rec->len = 64 | ALLOCRING_COMMIT;
	put_alloc(&r, 10, 0x1000, 8, 0);
	put_free(&r, 12, 10, ALLOCRING_FORK);
	assert_int_equal(drain(&r, false), 2);
	assert_int_equal(r.p->nallocs, 1);
	assert_int_equal(r.forks, 1);
	assert_int_equal(r.fork_pid, 12);
	assert_int_equal(r.fork_ppid, 10);
	profile_zero(r.p);
	put_free(&r, 10, 0x1000, ALLOCRING_FREE);
	drain(&r, false);
	assert_int_equal(r.p->nallocs, 0);
	ring_close(&r);
}

/* The producers' recycling: a PAD from past ALLOCRING_RECYCLE to the end
 * of the ring (longer than any record) is read as one, records after it
 * at the start are read, and the drained pages below the kept part stay
 * in memory, zeroed, while those of a burst past it are given back. A
 * long record that is not a PAD to the end is malformed. */
static void test_recycle(void **state)
{
	struct ring r;
	struct allocring_rec *rec;
	uint64_t size, off;
	unsigned char vec[40];
	size_t resident = 0;

	(void)state;
	ring_open(&r, 65536);
	size = r.h->data_size;
	assert_int_equal(r.h->recycle, ALLOCRING_RECYCLE);
	/* a burst: records from 8 MiB on, 40 pages of them, drained */
	r.h->head = r.h->tail = 3 * size + (8u << 20);
	for (int i = 0; i < 40 * 4096 / 512; i++)
		put_alloc(&r, 10, 0x100000 + 64 * (uint64_t)i, 64, 512 - sizeof(struct allocring_rec));
	assert_int_equal(drain(&r, false), 40 * 4096 / 512);
	assert_int_equal(mincore(r.data + (8u << 20), sizeof(vec) * 4096, vec), 0);
	for (size_t i = 0; i < sizeof(vec); i++)
		resident += vec[i] & 1;
	assert_true(resident <= 1); /* given back but the edges' pages */
	/* a producer past the recycled pages starts again at the start */
	off = r.h->head & (size - 1);
	rec = put(&r, 8);
	rec->type = ALLOCRING_PAD;
	rec->len = (uint32_t)(size - off) | ALLOCRING_COMMIT;
	r.h->head += size - off - 8;
	put_alloc(&r, 10, 0x2000, 64, 1024);
	put_free(&r, 10, 0x2000, ALLOCRING_FREE);
	assert_int_equal(drain(&r, false), 2);
	assert_int_equal(r.h->tail, r.h->head);
	assert_int_equal(alloc_tracker_lost(r.t), 0);
	assert_int_equal(r.data[0], 0);
	assert_int_equal(r.data[off], 0); /* the PAD's len word, cleared */
	assert_int_equal(mincore(r.data, 4096, vec), 0);
	assert_true(vec[0] & 1); /* kept */
	/* a record as long, not a PAD to the end: malformed */
	rec = put(&r, 8);
	rec->type = ALLOCRING_ALLOC;
	rec->len = (uint32_t)(4u << 20) | ALLOCRING_COMMIT;
	r.h->head += (4u << 20) - 8;
	drain(&r, false);
	assert_int_equal(alloc_tracker_lost(r.t), 1);
	assert_int_equal(r.h->tail, r.h->head);
	ring_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_python_frames),
		cmocka_unit_test(test_pause),
		cmocka_unit_test(test_weights),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_wrap_fork_zero),
		cmocka_unit_test(test_recycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
