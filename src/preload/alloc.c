/* proftop-alloc.so: the allocation tracker proftop preloads into a
 * launched target (LD_PRELOAD). It samples allocations by bytes (one
 * sample every N bytes on average, a Poisson process over the bytes
 * allocated; N = 1: every allocation), copies the allocating thread's
 * registers and stack for each sampled one, remembers the sampled blocks
 * still live and says when they are freed, all into the ring proftop
 * created (src/collect/allocring.h), which it drains.
 *
 * It depends on the C library only, never allocates with malloc itself,
 * and never changes what the program computes: every call goes to the
 * next definition (the C library's, or a linked allocator's). The fast
 * path (an allocation not sampled) is a thread-local subtraction. Calls
 * made while the tracker runs (its own, or a signal handler's that
 * interrupted it) pass straight through. If the ring cannot be set up, the
 * tracker records nothing. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "allocring.h"

#define EXPORT	    __attribute__((visibility("default")))
#define TLS	    __attribute__((tls_model("initial-exec"))) __thread
#define LIKELY(x)   __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- the next definitions ---- */

static struct {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*reallocarray)(void *, size_t, size_t);
	void (*free)(void *);
	void *(*memalign)(size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	void *(*mmap)(void *, size_t, int, int, int, off_t);
	int (*munmap)(void *, size_t);
	void *(*mremap)(void *, size_t, size_t, int, ...);
} next;

/* dlsym may allocate (its error buffer) before malloc is known: those
 * allocations come from here and are never freed. */
static char boot_buf[65536] __attribute__((aligned(16)));
static size_t boot_used;
static int resolving;

static bool in_boot(const void *p)
{
	return (const char *)p >= boot_buf && (const char *)p < boot_buf + sizeof(boot_buf);
}

static void *boot_alloc(size_t n)
{
	size_t at = __atomic_fetch_add(&boot_used, (n + 31) & ~(size_t)15, __ATOMIC_RELAXED);

	if (at + 16 + n > sizeof(boot_buf))
		return NULL;
	memcpy(boot_buf + at, &n, sizeof(n)); /* the size, for realloc */
	return boot_buf + at + 16;
}

static void resolve(void)
{
	if (next.free || resolving)
		return;
	resolving = 1;
#define NEXT(f) next.f = (__typeof__(next.f))dlsym(RTLD_NEXT, #f)
	NEXT(calloc);
	NEXT(malloc);
	NEXT(realloc);
	NEXT(reallocarray);
	NEXT(memalign);
	NEXT(aligned_alloc);
	NEXT(posix_memalign);
	NEXT(valloc);
	NEXT(pvalloc);
	NEXT(mmap);
	NEXT(munmap);
	NEXT(mremap);
	NEXT(free);
#undef NEXT
	resolving = 0;
}

/* ---- state ---- */

static struct allocring_header *ring;
static uint8_t *ring_data;
static uint64_t ring_mask;
static uint64_t ring_recycle; /* 0: never start again early */
static int wake_fd = -1;
static int on;		  /* the ring is set up: track */
static uint64_t sample_n; /* mean bytes between samples; 1: every allocation */
static uint32_t stack_bytes;
static pid_t my_pid;
extern void *__libc_stack_end; /* the main thread's stack top (ld.so) */

struct thread_state {
	int64_t countdown; /* bytes until the next sample */
	uint64_t rng;
	uint64_t stack_lo, stack_hi; /* this thread's stack, or 0 */
	pid_t tid;
	int guard; /* inside the tracker: calls pass through */
	int ready;
};
static TLS struct thread_state ts;

/* ---- numbers ---- */

static uint64_t rng_next(void)
{
	uint64_t x = ts.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ts.rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* ln(x) for x > 0, to about 1e-10, without libm: x = m 2^e, m in
 * [sqrt(1/2), sqrt(2)), ln m = 2 atanh((m - 1) / (m + 1)). */
static double ln(double x)
{
	union {
		double d;
		uint64_t u;
	} v = {.d = x};
	int e = (int)((v.u >> 52) & 0x7ff) - 1023;
	double m, z, z2;

	v.u = (v.u & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
	m = v.d;
	if (m > 1.4142135623730951) {
		m *= 0.5;
		e++;
	}
	z = (m - 1) / (m + 1);
	z2 = z * z;
	return 2 * z *
		       (1 + z2 * (1.0 / 3 +
				  z2 * (1.0 / 5 + z2 * (1.0 / 7 + z2 * (1.0 / 9 + z2 / 11))))) +
	       e * 0.6931471805599453;
}

/* Bytes to the next sample point: exponential with mean sample_n. */
static int64_t draw_countdown(void)
{
	double u = (double)((rng_next() >> 11) + 1) * (1.0 / 9007199254740992.0);

	return (int64_t)(-ln(u) * (double)sample_n) + 1;
}

static pid_t sys_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static void thread_ready(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	ts.tid = sys_gettid();
	ts.rng = ((uint64_t)t.tv_nsec << 20) ^ (uint64_t)t.tv_sec ^
		 ((uint64_t)ts.tid * 0x9e3779b97f4a7c15ull) ^ (uint64_t)(uintptr_t)&ts;
	if (!ts.rng)
		ts.rng = 1;
	ts.countdown = sample_n == 1 ? 0 : draw_countdown();
	ts.stack_lo = ts.stack_hi = 0;
	ts.ready = 1;
}

/* ---- the ring ---- */

static void wake_proftop(void)
{
	uint64_t one = 1;

	if (wake_fd >= 0 && write(wake_fd, &one, sizeof(one)) < 0)
		return; /* full or gone: proftop drains on its tick */
}

/* Wait a little for proftop to make room (exact mode only): 100 us. */
static void pause_briefly(void)
{
	struct timespec d = {0, 100000};

	nanosleep(&d, NULL);
}

/* Room for a record of len bytes (a multiple of 8), its len word set
 * (not committed); NULL when the ring is full (counted as lost). */
static struct allocring_rec *ring_reserve(uint32_t len)
{
	uint64_t size = ring_mask + 1, head, tail, off, pad;
	unsigned waited = 0;

	for (;;) {
		head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
		tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
		off = head & ring_mask;
		pad = off + len > size ? size - off : 0;
		/* Past the recycled pages, with what is in flight leaving as
		 * much free at the ring's start: start there again (its pages
		 * are in memory; fresh ones fault). Until proftop reads past
		 * the PAD only that start is free (the PAD counts as used,
		 * and wakes proftop below), room for a burst all the same. */
		if (!pad && ring_recycle && off >= ring_recycle &&
		    head - tail + len + ring_recycle <= off)
			pad = size - off;
		if (head + pad + len - tail > size) {
			/* Exact mode waits for proftop up to 0.5 s in all,
			 * then gives up until proftop catches up. */
			if (sample_n == 1 && waited < 5000 &&
			    !__atomic_load_n(&ring->stalled, __ATOMIC_RELAXED) &&
			    !__atomic_load_n(&ring->closed, __ATOMIC_RELAXED)) {
				if (waited++ % 64 == 0)
					wake_proftop();
				pause_briefly();
				continue;
			}
			if (sample_n == 1 && waited >= 5000)
				__atomic_store_n(&ring->stalled, 1, __ATOMIC_RELAXED);
			__atomic_add_fetch(&ring->lost, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		if (__atomic_compare_exchange_n(&ring->head, &head, head + pad + len, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			break;
	}
	if (pad) {
		struct allocring_rec *p = (struct allocring_rec *)(ring_data + off);

		p->type = ALLOCRING_PAD;
		__atomic_store_n(&p->len, (uint32_t)pad | ALLOCRING_COMMIT, __ATOMIC_RELEASE);
	}
	if (head + pad + len - tail > size / 8 &&
	    __atomic_exchange_n(&ring->wake_armed, 0, __ATOMIC_RELAXED))
		wake_proftop();
	off = (head + pad) & ring_mask;
	__atomic_store_n(&((struct allocring_rec *)(ring_data + off))->len, len, __ATOMIC_RELAXED);
	return (struct allocring_rec *)(ring_data + off);
}

static void ring_commit(struct allocring_rec *r, uint32_t len)
{
	__atomic_store_n(&r->len, len | ALLOCRING_COMMIT, __ATOMIC_RELEASE);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void emit_free(const void *addr, int kind)
{
	struct allocring_rec *r = ring_reserve(ALLOCRING_FREE_LEN);

	if (!r)
		return;
	r->type = ALLOCRING_FREE;
	r->kind = (uint16_t)kind;
	r->pid = my_pid;
	r->tid = ts.tid;
	r->time = now_ns();
	r->addr = (uint64_t)(uintptr_t)addr;
	r->size = 0;
	ring_commit(r, ALLOCRING_FREE_LEN);
}

/* This thread's stack bounds, once: the main thread's from ld.so, others'
 * from pthread_getattr_np (which may allocate: it runs guarded). The main
 * stack grows: only its top MiB is taken as known (the kernel keeps a
 * 1 MiB gap below a stack, so nothing else can be mapped there); deeper,
 * the copy goes through process_vm_readv. */
static void learn_stack(void)
{
	pthread_attr_t a;
	void *lo;
	size_t n;

	if (ts.stack_hi)
		return;
	if (ts.tid == my_pid && __libc_stack_end) {
		ts.stack_hi = (uint64_t)(uintptr_t)__libc_stack_end + 8;
		ts.stack_lo = ts.stack_hi - (1ull << 20);
		return;
	}
	if (pthread_getattr_np(pthread_self(), &a) == 0) {
		if (pthread_attr_getstack(&a, &lo, &n) == 0) {
			ts.stack_lo = (uint64_t)(uintptr_t)lo;
			ts.stack_hi = ts.stack_lo + n;
		}
		pthread_attr_destroy(&a);
	}
	if (!ts.stack_hi)
		ts.stack_hi = 1; /* unknown: read with process_vm_readv */
}

/* Copy up to n bytes of our own stack from sp; returns the bytes copied.
 * Inside the thread's known stack: memcpy up to its end. Elsewhere (a
 * signal handler's alternate stack): process_vm_readv, which stops at an
 * unmapped page instead of faulting. */
static size_t copy_stack(void *dst, uint64_t sp, size_t n)
{
	struct iovec local = {dst, n}, remote = {(void *)(uintptr_t)sp, n};
	ssize_t got;

	if (sp >= ts.stack_lo && sp < ts.stack_hi) {
		if (n > ts.stack_hi - sp)
			n = ts.stack_hi - sp;
		memcpy(dst, (const void *)(uintptr_t)sp, n);
		return n;
	}
	got = syscall(SYS_process_vm_readv, my_pid, &local, 1UL, &remote, 1UL, 0UL);
	return got > 0 ? (size_t)got : 0;
}

/* ---- Python frames ----
 * Once proftop has said where the interpreter keeps them (ring->py), the
 * Python frames of the allocating thread: its thread state (NULL for a
 * thread Python does not know, or before the interpreter is initialized
 * or after it is finalized), then the chain of _PyInterpreterFrame from
 * the current one, each frame's code object and instruction pointer
 * copied, not followed. The chain is this thread's own, consistent at any
 * allocation; each pointer is still checked before it is read (nonzero,
 * aligned, in user space) and the walk is bounded. Counted as python.c's
 * walk_frames counts: entries and groups from the entry (3.11) or shim
 * (3.12+) frames, and -1 for a chain that does not end at an entry. */

#define PY_USER_END (1ull << 47)

static void lock_take(void);
static void lock_give(void);
static uint64_t hash_addr(uint64_t a);

static bool py_ptr_ok(uint64_t p)
{
	return p >= 4096 && p < PY_USER_END && !(p & 7);
}

static uint64_t py_field(uint64_t at, uint64_t off)
{
	return *(const volatile uint64_t *)(uintptr_t)(at + off);
}

/* ---- Python code objects ----
 * proftop reads a frame's code object (its names, its location table)
 * when it drains the allocation, which may be after the code is gone: a
 * module's top-level code runs once, at its import, and is dropped; its
 * memory then holds the next module's. So the first time a code object
 * shows in a sampled allocation's frames, the tracker copies what names
 * it into a CODE record, before the allocation's own record. "First" is
 * by address and content (its first line, file name and name): a new
 * code object at a reused address is sent again. The table is indexed
 * by address, one entry a slot: a slot taken by another address only
 * means a record sent again. Under the lock (set's). */

#define CODE_SLOTS 4096
static struct {
	uint64_t addr, key;
} code_seen[CODE_SLOTS];

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

/* What tells a str of n bytes at data apart cheaply (this runs for every
 * frame of every sampled allocation): its length and its first and last
 * 8 bytes (file names differ at their end, names at their start). */
static uint64_t str_key(uint64_t h, uint64_t data, uint64_t n)
{
	uint64_t head = 0, tail = 0;

	if (n >= 8) {
		memcpy(&head, (const void *)(uintptr_t)data, 8);
		memcpy(&tail, (const void *)(uintptr_t)(data + n - 8), 8);
	} else {
		memcpy(&head, (const void *)(uintptr_t)data, n);
	}
	return mix(mix(mix(h, n), head), tail);
}

/* The object size to copy of the str at s (its header and its data) and
 * where its data is; false unless a compact str no longer than
 * ALLOCRING_CODE_STR_MAX bytes of data (as proftop reads them). */
static bool str_extent(const struct allocring_py *l, uint64_t s, uint64_t *data, uint64_t *size)
{
	uint64_t len, bytes;
	uint32_t state, kind;

	if (!py_ptr_ok(s))
		return false;
	len = py_field(s, l->str_length);
	state = *(const volatile uint32_t *)(uintptr_t)(s + l->str_state);
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || (kind != 1 && kind != 2 && kind != 4) || len > 1 << 20)
		return false;
	bytes = len * kind;
	if (bytes > ALLOCRING_CODE_STR_MAX)
		return false;
	*data = s + (((state >> 6) & 1) ? l->str_ascii_size : l->str_compact_size);
	*size = *data - s + bytes;
	return true;
}

/* Room for the CODE record of code with these spans (reserved, not
 * written); NULL when the ring is full. */
static struct allocring_rec *code_reserve(const uint64_t size[4], int nspans, uint32_t *len)
{
	*len = ALLOCRING_FREE_LEN;
	for (int i = 0; i < nspans; i++)
		*len += (uint32_t)(sizeof(struct allocring_span) + ((size[i] + 7) & ~7ull));
	return ring_reserve(*len);
}

static void code_send(struct allocring_rec *r, uint32_t len, uint64_t code, const uint64_t at[4],
		      const uint64_t size[4], int nspans)
{
	uint8_t *p;

	r->type = ALLOCRING_CODE;
	r->kind = 0;
	r->pid = my_pid;
	r->tid = ts.tid;
	r->time = now_ns();
	r->addr = code;
	r->size = (uint64_t)nspans;
	p = (uint8_t *)r + ALLOCRING_FREE_LEN;
	for (int i = 0; i < nspans; i++) {
		struct allocring_span sp = {.addr = at[i], .len = (uint32_t)size[i]};

		memcpy(p, &sp, sizeof(sp));
		/* live objects: the code runs, and it holds them */
		memcpy(p + sizeof(sp), (const void *)(uintptr_t)at[i], size[i]);
		p += sizeof(sp) + ((size[i] + 7) & ~7ull);
	}
	ring_commit(r, len);
}

/* The code object at code, met in this sampled allocation's frames:
 * sent unless the table says it was, as it is now. */
static void code_note(const struct allocring_py *l, uint64_t code)
{
	uint64_t at[4], size[4], data[2], key, table;
	struct allocring_rec *r = NULL;
	uint32_t slot, len = 0;
	int32_t first;
	int n = 3;
	bool same;

	/* (3.13's frames hold an object that should be a code object: one
	 * that is not may be smaller than a code object's head) */
	if (!l->code_head || l->code_head > 4096 || !py_ptr_ok(code) ||
	    py_field(code, 8) != l->code_type)
		return;
	at[0] = code;
	size[0] = l->code_head;
	at[1] = py_field(code, l->code_filename);
	at[2] = py_field(code, l->code_qualname);
	if (!str_extent(l, at[1], &data[0], &size[1]) || !str_extent(l, at[2], &data[1], &size[2]))
		return; /* proftop reads it as before */
	first = *(const volatile int32_t *)(uintptr_t)(code + l->code_firstlineno);
	key = mix(0x243f6a8885a308d3ull, (uint64_t)(uint32_t)first);
	key = str_key(key, data[0], size[1] - (data[0] - at[1]));
	key = str_key(key, data[1], size[2] - (data[1] - at[2]));
	table = py_field(code, l->code_linetable);
	if (py_ptr_ok(table) && py_field(table, 16) <= ALLOCRING_CODE_TABLE_MAX) {
		at[3] = table;
		size[3] = 32 + py_field(table, 16);
		key = mix(key, size[3]);
		n = 4;
	}
	slot = (uint32_t)(hash_addr(code) & (CODE_SLOTS - 1));
	/* Reserved under the lock: another thread that finds the code seen
	 * reserves its allocation's record after this one, so proftop reads
	 * the copy first (waiting for it to be written). Noted as seen only
	 * once it has room: a full ring sends it again next time. */
	lock_take();
	same = code_seen[slot].addr == code && code_seen[slot].key == key;
	if (!same && (r = code_reserve(size, n, &len))) {
		code_seen[slot].addr = code;
		code_seen[slot].key = key;
	}
	lock_give();
	if (r)
		code_send(r, len, code, at, size, n);
}

/* Walk into out (room frames; NULL: count only, and the code objects
 * met noted); returns the frames, or -1 for a chain that cannot be read;
 * *entries set. */
static int py_walk(const struct allocring_py *l, struct allocring_pyframe *out, uint32_t room,
		   uint32_t *entries)
{
	uint64_t (*tstate_fn)(void) = (uint64_t(*)(void))(uintptr_t)l->tstate_fn;
	uint64_t tstate, frame;
	uint32_t group = 0, n = 0, depth = 0;
	bool at_entry = true;

	*entries = 0;
	if (!py_ptr_ok(l->tstate_fn & ~(uint64_t)7) || !(tstate = tstate_fn()))
		return 0; /* a thread without Python */
	if (!py_ptr_ok(tstate))
		return -1;
	frame = py_field(tstate, l->tstate_frame);
	if (l->cframe_current >= 0 && frame) {
		if (!py_ptr_ok(frame))
			return -1;
		frame = py_field(frame, (uint64_t)l->cframe_current);
	}
	for (; frame; depth++) {
		uint8_t owner;

		if (!py_ptr_ok(frame) || depth >= 4 * l->max_frames)
			return -1;
		owner = *(const volatile uint8_t *)(uintptr_t)(frame + l->frame_owner);
		at_entry = false;
		if (l->frame_is_entry < 0 && owner == l->owned_by_cstack) {
			++*entries;
			group++;
			at_entry = true;
		} else {
			if (n >= room)
				return -1;
			if (!out)
				code_note(l, py_field(frame, l->frame_code));
			if (out)
				out[n] = (struct allocring_pyframe){
					.code = py_field(frame, l->frame_code),
					.instr = py_field(frame, l->frame_instr),
					.group = group};
			n++;
			if (l->frame_is_entry >= 0 &&
			    *(const volatile uint8_t *)(uintptr_t)(frame + (uint64_t)l->frame_is_entry)) {
				++*entries;
				group++;
				at_entry = owner != l->owned_by_generator;
			}
		}
		frame = py_field(frame, l->frame_previous);
	}
	return at_entry ? (int)n : -1;
}

/* The bytes of Python frames a record will carry (0: none), counted. */
static uint32_t py_room(const struct allocring_py **lp, int *nframes)
{
	const struct allocring_py *l = &ring->py;
	uint32_t entries;
	int n;

	*lp = NULL;
	if (!__atomic_load_n(&l->ready, __ATOMIC_ACQUIRE) || !l->max_frames ||
	    l->max_frames > 1024)
		return 0;
	n = py_walk(l, NULL, l->max_frames, &entries);
	if (n == 0 && !entries)
		return 0;
	*lp = l;
	*nframes = n;
	return (uint32_t)(sizeof(struct allocring_pyframes) +
			  (n > 0 ? (size_t)n : 0) * sizeof(struct allocring_pyframe));
}

/* The registers at a point of emit_alloc, and from there the stack: the
 * unwinder starts in this function and proftop drops the tracker's own
 * frames. Kept out of line so that its frame is a real one. */
static __attribute__((noinline)) void emit_alloc(const void *addr, size_t size, int kind)
{
	uint64_t regs[ALLOCRING_NREGS];
	struct allocring_rec *r;
	size_t want = stack_bytes, at;
	const struct allocring_py *py;
	uint32_t len, py_len;
	int py_n = 0;

	__asm__ volatile("lea 1f(%%rip), %%rax\n\t"
			 "mov %%rax, 0(%0)\n"
			 "1:\n\t"
			 "mov %%rsp, 8(%0)\n\t"
			 "mov %%rbp, 16(%0)\n\t"
			 "mov %%rbx, 24(%0)\n\t"
			 "mov %%r12, 32(%0)\n\t"
			 "mov %%r13, 40(%0)\n\t"
			 "mov %%r14, 48(%0)\n\t"
			 "mov %%r15, 56(%0)\n\t"
			 :
			 : "r"(regs)
			 : "rax", "memory");
	learn_stack();
	if (regs[ALLOCRING_SP] >= ts.stack_lo && regs[ALLOCRING_SP] < ts.stack_hi &&
	    want > ts.stack_hi - regs[ALLOCRING_SP])
		want = ts.stack_hi - regs[ALLOCRING_SP];
	py_len = py_room(&py, &py_n);
	at = (sizeof(*r) + want + 7) & ~(size_t)7;
	len = (uint32_t)((at + py_len + 7) & ~(size_t)7);
	if (!(r = ring_reserve(len)))
		return;
	r->type = ALLOCRING_ALLOC;
	r->kind = (uint16_t)kind;
	r->pid = my_pid;
	r->tid = ts.tid;
	r->time = now_ns();
	r->addr = (uint64_t)(uintptr_t)addr;
	r->size = size;
	memcpy(r->regs, regs, sizeof(regs));
	r->stack_len = (uint32_t)copy_stack(r + 1, regs[ALLOCRING_SP], want);
	r->py_len = 0;
	if (py) {
		/* right after the stack copy (which may be shorter than its room) */
		struct allocring_pyframes *pf =
			(void *)((uint8_t *)(r + 1) + ((r->stack_len + 7) & ~(size_t)7));

		pf->entries = 0;
		pf->n = py_n < 0 ? -1 : py_walk(py, pf->f, (uint32_t)py_n, &pf->entries);
		pf->gil = pf->pad = 0;
		r->py_len = py_len;
	}
	ring_commit(r, len);
}

/* ---- the live sampled blocks ----
 * An open-addressing set of addresses (0 empty, 1 deleted) in memory of
 * its own (never malloc), behind a spin lock that only the slow path
 * takes, always guarded: a signal handler on a thread holding it passes
 * through and never waits for it. A bit filter in front answers "not
 * sampled" for most frees without the lock. Sampled mmaps are a short
 * list of ranges. */

#define FILTER_BITS (1u << 20)
static uint64_t filter[FILTER_BITS / 64];
static int lock;
static uint64_t *set;
static size_t set_cap, set_used; /* used: live + deleted */
static size_t set_live;
struct range {
	uint64_t start, len;
};
static struct range *maps;
static size_t nmaps, maps_cap;

static void lock_take(void)
{
	unsigned spins = 0;

	while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&lock, __ATOMIC_RELAXED))
			if (++spins % 128 == 0)
				sched_yield();
			else
				__builtin_ia32_pause();
}

static void lock_give(void)
{
	__atomic_store_n(&lock, 0, __ATOMIC_RELEASE);
}

static uint64_t hash_addr(uint64_t a)
{
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdull;
	a ^= a >> 33;
	return a;
}

static bool filter_has(uint64_t a)
{
	uint64_t h = hash_addr(a) & (FILTER_BITS - 1);

	return __atomic_load_n(&filter[h / 64], __ATOMIC_RELAXED) & (1ull << (h % 64));
}

static void filter_add(uint64_t a)
{
	uint64_t h = hash_addr(a) & (FILTER_BITS - 1);

	__atomic_or_fetch(&filter[h / 64], 1ull << (h % 64), __ATOMIC_RELAXED);
}

static void *raw_map(size_t n)
{
	void *p = (void *)syscall(SYS_mmap, NULL, n, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return (long)p < 0 && (long)p > -4096 ? NULL : p;
}

static void raw_unmap(void *p, size_t n)
{
	if (p)
		syscall(SYS_munmap, p, n);
}

static void set_put_raw(uint64_t *s, size_t cap, uint64_t a)
{
	size_t i = hash_addr(a) & (cap - 1);

	while (s[i] > 1) {
		if (s[i] == a)
			return;
		i = (i + 1) & (cap - 1);
	}
	s[i] = a;
}

/* Room for one more (locked); false if memory ran out. */
static bool set_room(void)
{
	size_t cap;
	uint64_t *s;

	if (set && (set_used + 1) * 2 <= set_cap)
		return true;
	/* rehashed at most a quarter full (the deleted ones go) */
	cap = set_cap ? set_cap : 4096;
	while ((set_live + 1) * 4 > cap)
		cap *= 2;
	if (!(s = raw_map(cap * sizeof(*s))))
		return false;
	for (size_t i = 0; i < set_cap; i++)
		if (set[i] > 1)
			set_put_raw(s, cap, set[i]);
	raw_unmap(set, set_cap * sizeof(*set));
	set = s;
	set_cap = cap;
	set_used = set_live;
	return true;
}

static void set_add(uint64_t a)
{
	size_t i;

	if (!set_room())
		return;
	filter_add(a);
	i = hash_addr(a) & (set_cap - 1);
	while (set[i] > 1) {
		if (set[i] == a)
			return;
		i = (i + 1) & (set_cap - 1);
	}
	if (set[i] == 0)
		set_used++;
	set[i] = a;
	set_live++;
}

static bool set_take(uint64_t a)
{
	size_t i;

	if (!set)
		return false;
	for (i = hash_addr(a) & (set_cap - 1); set[i]; i = (i + 1) & (set_cap - 1))
		if (set[i] == a) {
			set[i] = 1;
			set_live--;
			return true;
		}
	return false;
}

static void maps_add(uint64_t start, uint64_t len)
{
	if (nmaps == maps_cap) {
		size_t cap = maps_cap ? maps_cap * 2 : 256;
		struct range *m = raw_map(cap * sizeof(*m));

		if (!m)
			return;
		if (maps)
			memcpy(m, maps, nmaps * sizeof(*m));
		raw_unmap(maps, maps_cap * sizeof(*m));
		maps = m;
		maps_cap = cap;
	}
	maps[nmaps++] = (struct range){start, len};
}

/* ---- the slow paths ---- */

static bool tracking(void)
{
	return on && !ts.guard && !__atomic_load_n(&ring->closed, __ATOMIC_RELAXED);
}

/* After an allocation of size bytes at p: sampled? (ts.countdown already
 * went down by size on the fast path.) */
static __attribute__((noinline)) void alloc_slow(void *p, size_t size, int kind)
{
	int saved_errno;

	if (ts.guard) { /* the tracker's own: not counted */
		ts.countdown += (int64_t)size;
		return;
	}
	if (!tracking())
		return;
	saved_errno = errno; /* the program's errno is never ours to change */
	ts.guard = 1;
	if (!ts.ready) {
		thread_ready();
		ts.countdown -= (int64_t)size;
		if (ts.countdown > 0 && sample_n != 1)
			goto out;
	}
	if (sample_n == 1)
		ts.countdown = 0;
	else
		ts.countdown = draw_countdown();
	lock_take();
	if (kind == ALLOCRING_MMAP)
		maps_add((uint64_t)(uintptr_t)p, size);
	else
		set_add((uint64_t)(uintptr_t)p);
	lock_give();
	/* no other thread knows p before we return it: its free comes after */
	emit_alloc(p, size, kind);
out:
	ts.guard = 0;
	errno = saved_errno;
}

static inline void on_alloc(void *p, size_t size, int kind)
{
	if (LIKELY(p != NULL) && UNLIKELY((ts.countdown -= (int64_t)size) <= 0))
		alloc_slow(p, size, kind);
}

/* Before p goes back to the allocator: was it sampled? Said before the
 * real free, so that the address, once reused, is recorded after it. */
static void free_slow(void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;
	int saved_errno = errno;
	bool sampled;

	if (!tracking())
		return;
	ts.guard = 1;
	if (!ts.ready)
		thread_ready();
	lock_take();
	sampled = set_take(a);
	lock_give();
	/* (out of the lock: in exact mode it may wait for room) */
	if (sampled)
		emit_free(p, ALLOCRING_HEAP);
	ts.guard = 0;
	errno = saved_errno;
}

static inline void on_free(void *p)
{
	if (on && p && filter_has((uint64_t)(uintptr_t)p))
		free_slow(p);
}

/* [start, start + len) is unmapped: sampled mappings starting there are
 * freed. One that is unmapped in part, its start left mapped, stays live
 * (the record keeps its size). */
static void unmap_slow(uint64_t start, uint64_t len)
{
	int saved_errno = errno;

	if (!tracking())
		return;
	ts.guard = 1;
	if (!ts.ready)
		thread_ready();
	lock_take();
	for (size_t i = 0; i < nmaps;)
		if (maps[i].start >= start && maps[i].start - start < len) {
			emit_free((void *)(uintptr_t)maps[i].start, ALLOCRING_MMAP);
			maps[i] = maps[--nmaps];
		} else {
			i++;
		}
	lock_give();
	ts.guard = 0;
	errno = saved_errno;
}

/* ---- the interposed functions ---- */

EXPORT void *malloc(size_t n)
{
	void *p;

	if (UNLIKELY(!next.malloc)) {
		resolve();
		if (!next.malloc)
			return boot_alloc(n);
	}
	p = next.malloc(n);
	on_alloc(p, n, ALLOCRING_HEAP);
	return p;
}

EXPORT void *calloc(size_t k, size_t n)
{
	void *p;

	if (UNLIKELY(!next.calloc)) {
		resolve();
		if (!next.calloc) {
			if (n && k > SIZE_MAX / n)
				return NULL;
			return boot_alloc(k * n); /* static memory is zeroed */
		}
	}
	p = next.calloc(k, n);
	on_alloc(p, k * n, ALLOCRING_HEAP);
	return p;
}

EXPORT void free(void *p)
{
	if (UNLIKELY(in_boot(p)))
		return;
	if (UNLIKELY(!next.free)) {
		resolve();
		if (!next.free)
			return; /* leaked: nothing to give it back to */
	}
	on_free(p);
	next.free(p);
}

/* The old block, if sampled, is freed (said before the reallocation, so
 * that its address, reused by another thread, is recorded after it; a
 * reallocation that fails leaves it untracked); the new one is a new
 * allocation of its size. */
static void *realloc_common(void *p, size_t n, void *(*fn)(void *, size_t, size_t), size_t k)
{
	void *q;

	if (on && p && !ts.guard && filter_has((uint64_t)(uintptr_t)p))
		free_slow(p);
	q = fn ? fn(p, k, n) : next.realloc(p, n);
	if (q)
		on_alloc(q, fn ? k * n : n, ALLOCRING_HEAP);
	return q;
}

EXPORT void *realloc(void *p, size_t n)
{
	if (UNLIKELY(!next.realloc || in_boot(p))) {
		void *q;
		size_t old;

		resolve();
		if (!in_boot(p) && next.realloc)
			return realloc_common(p, n, NULL, 0);
		q = next.malloc ? next.malloc(n) : boot_alloc(n);
		if (q && p) {
			memcpy(&old, (char *)p - 16, sizeof(old));
			memcpy(q, p, old < n ? old : n);
		}
		return q;
	}
	return realloc_common(p, n, NULL, 0);
}

EXPORT void *reallocarray(void *p, size_t k, size_t n)
{
	resolve();
	if (!next.reallocarray) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc_common(p, n, next.reallocarray, k);
}

EXPORT void *memalign(size_t al, size_t n)
{
	void *p;

	resolve();
	p = next.memalign ? next.memalign(al, n) : NULL;
	on_alloc(p, n, ALLOCRING_HEAP);
	return p;
}

EXPORT void *aligned_alloc(size_t al, size_t n)
{
	void *p;

	resolve();
	p = next.aligned_alloc ? next.aligned_alloc(al, n) : NULL;
	on_alloc(p, n, ALLOCRING_HEAP);
	return p;
}

EXPORT int posix_memalign(void **out, size_t al, size_t n)
{
	int rc;

	resolve();
	if (!next.posix_memalign)
		return ENOMEM;
	rc = next.posix_memalign(out, al, n);
	if (rc == 0)
		on_alloc(*out, n, ALLOCRING_HEAP);
	return rc;
}

EXPORT void *valloc(size_t n)
{
	void *p;

	resolve();
	p = next.valloc ? next.valloc(n) : NULL;
	on_alloc(p, n, ALLOCRING_HEAP);
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	void *p;
	long page = sysconf(_SC_PAGESIZE);

	resolve();
	p = next.pvalloc ? next.pvalloc(n) : NULL;
	/* pvalloc rounds up to whole pages: that is what it allocates */
	on_alloc(p, page > 0 ? (n + (size_t)page - 1) & ~((size_t)page - 1) : n, ALLOCRING_HEAP);
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p;

	resolve();
	if (!next.mmap)
		p = (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
	else
		p = next.mmap(addr, len, prot, flags, fd, off);
	/* MAP_FIXED replaced what was mapped there: a sampled mapping that
	 * started in that range is freed, as by munmap */
	if (p != MAP_FAILED && (flags & MAP_FIXED) && on && !ts.guard &&
	    __atomic_load_n(&nmaps, __ATOMIC_RELAXED))
		unmap_slow((uint64_t)(uintptr_t)p, len);
	if (p != MAP_FAILED && (flags & MAP_ANONYMOUS))
		on_alloc(p, len, ALLOCRING_MMAP);
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap(addr, len, prot, flags, fd, off);
}

EXPORT int munmap(void *addr, size_t len)
{
	resolve();
	if (on && !ts.guard && __atomic_load_n(&nmaps, __ATOMIC_RELAXED))
		unmap_slow((uint64_t)(uintptr_t)addr, len);
	return next.munmap ? next.munmap(addr, len) : (int)syscall(SYS_munmap, addr, len);
}

/* A sampled mapping moved or resized is freed and allocated anew (at its
 * new size); an unsampled one stays unsampled. */
EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL, *p;
	bool was = false;
	int saved_errno;
	va_list ap;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	resolve();
	p = next.mremap ? next.mremap(old, old_len, new_len, flags, new_addr)
			: (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	if (p == MAP_FAILED || !tracking())
		return p;
	saved_errno = errno;
	ts.guard = 1;
	if (!ts.ready)
		thread_ready();
	lock_take();
	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].start == (uint64_t)(uintptr_t)old) {
			emit_free(old, ALLOCRING_MMAP);
			maps[i] = maps[--nmaps];
			was = true;
			break;
		}
	if (was)
		maps_add((uint64_t)(uintptr_t)p, new_len);
	lock_give();
	if (was)
		emit_alloc(p, new_len, ALLOCRING_MMAP);
	ts.guard = 0;
	errno = saved_errno;
	return p;
}

/* ---- set-up ---- */

/* fork: no thread holds the lock in the child; the child's own sampled
 * blocks are its own (the parent's stay the parent's: the inherited set is
 * dropped, so that the child never frees the parent's records). */
static TLS int fork_nested; /* fork from a handler that interrupted the tracker */

static void at_fork_prepare(void)
{
	fork_nested = ts.guard;
	if (fork_nested)
		return; /* this thread may hold the lock: taking it would never end */
	ts.guard = 1;
	lock_take();
}

static void at_fork_parent(void)
{
	if (fork_nested)
		return;
	lock_give();
	ts.guard = 0;
}

static void at_fork_child(void)
{
	pid_t parent = my_pid;
	struct allocring_rec *r;

	my_pid = (pid_t)syscall(SYS_getpid);
	if (!fork_nested) { /* (else the interrupted tracker may be using them) */
		raw_unmap(set, set_cap * sizeof(*set));
		set = NULL;
		set_cap = set_used = set_live = 0;
		nmaps = 0;
		memset(filter, 0, sizeof(filter));
		/* proftop knows the child's code objects apart */
		memset(code_seen, 0, sizeof(code_seen));
	}
	thread_ready(); /* a new tid and random stream */
	lock_give();	/* the child's only thread: whoever held it is not here */
	ts.guard = 1;
	/* before any of the child's records: proftop learns its address
	 * space is its parent's, even if the child is gone by then */
	if (on && (r = ring_reserve(ALLOCRING_FREE_LEN))) {
		r->type = ALLOCRING_FORK;
		r->kind = 0;
		r->pid = my_pid;
		r->tid = ts.tid;
		r->time = now_ns();
		r->addr = (uint64_t)parent;
		r->size = 0;
		ring_commit(r, ALLOCRING_FREE_LEN);
	}
	ts.guard = fork_nested;
}

static int env_int(const char *name)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s)
		return -1;
	v = strtol(s, &end, 10);
	return *s && !*end && v >= 0 && v < 1 << 30 ? (int)v : -1;
}

/* The program sees the environment it was given: our variables go, and
 * LD_PRELOAD is the user's again (children that exec are not tracked). */
static void clean_environment(void)
{
	const char *user = getenv(ALLOCRING_ENV_PRELOAD);

	if (user && strcmp(user, "-"))
		setenv("LD_PRELOAD", user, 1);
	else
		unsetenv("LD_PRELOAD");
	unsetenv(ALLOCRING_ENV_PRELOAD);
	unsetenv(ALLOCRING_ENV_FD);
	unsetenv(ALLOCRING_ENV_WAKE);
}

static void map_ring(int fd)
{
	struct allocring_header *h;
	size_t len;

	h = (void *)syscall(SYS_mmap, NULL, ALLOCRING_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if ((long)h < 0 && (long)h > -4096)
		return;
	if (h->magic != ALLOCRING_MAGIC || h->version != ALLOCRING_VERSION ||
	    h->header_size != ALLOCRING_HEADER_SIZE || !h->data_size ||
	    (h->data_size & (h->data_size - 1)) || h->data_size > (1ull << 32) || !h->sample) {
		raw_unmap(h, ALLOCRING_HEADER_SIZE);
		return;
	}
	len = ALLOCRING_HEADER_SIZE + h->data_size;
	sample_n = h->sample;
	stack_bytes = h->stack_bytes > 65536 ? 65536 : h->stack_bytes;
	raw_unmap(h, ALLOCRING_HEADER_SIZE);
	h = (void *)syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if ((long)h < 0 && (long)h > -4096)
		return;
	ring = h;
	ring_data = (uint8_t *)h + ALLOCRING_HEADER_SIZE;
	ring_mask = h->data_size - 1;
	if (h->recycle < h->data_size && h->data_size <= (1ull << 31))
		ring_recycle = h->recycle;
}

/* proftop, told the tracker runs, looks for CPython in the process (its
 * executable and libraries are mapped by now) and says where it keeps
 * its frames: wait for that, briefly, once, so that the program's first
 * allocations (its imports) have their Python frames too. */
static void wait_python_check(void)
{
	struct timespec ms = {0, 1000000};

	if (wake_fd < 0)
		return;
	wake_proftop();
	for (int i = 0; i < ALLOCRING_PY_WAIT_MS; i++) {
		if (__atomic_load_n(&ring->py.checked, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&ring->closed, __ATOMIC_ACQUIRE))
			return;
		nanosleep(&ms, NULL);
	}
}

__attribute__((constructor)) static void tracker_init(void)
{
	int fd, wfd;

	resolve();
	fd = env_int(ALLOCRING_ENV_FD);
	wfd = env_int(ALLOCRING_ENV_WAKE);
	if (fd < 0)
		return; /* not launched by proftop: pass everything through */
	ts.guard = 1;
	clean_environment();
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (wfd >= 0 && fcntl(wfd, F_SETFD, FD_CLOEXEC) == 0)
		wake_fd = wfd;
	map_ring(fd);
	close(fd); /* the mapping stays */
	if (ring && next.malloc && next.free && next.calloc && next.realloc &&
	    pthread_atfork(at_fork_prepare, at_fork_parent, at_fork_child) == 0) {
		my_pid = (pid_t)syscall(SYS_getpid);
		__atomic_store_n(&ring->loaded, (uint64_t)my_pid, __ATOMIC_RELEASE);
		__atomic_store_n(&on, 1, __ATOMIC_RELEASE);
		wait_python_check();
	}
	ts.guard = 0;
}
