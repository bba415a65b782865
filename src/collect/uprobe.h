/* Uprobes on the target's functions through perf_event_open's uprobe PMU,
 * each with a small BPF program attached: a counter (--calls), or a logger
 * of entries and returns into a BPF ring buffer (--latency).
 *
 * Why BPF: an event opened on a process's main thread puts the breakpoint in
 * the whole address space, but perf counts only the hits of that thread. And
 * `inherit` is no way out: for every clone the kernel re-reads the probe's
 * path (config1, a pointer into proftop) in the *forking task's* memory, so
 * the target's fork() and pthread_create() fail with EFAULT. A BPF program
 * attached to the event runs for every hit in the process, in any thread,
 * old or new. The breakpoints and programs go away with the fds: a crash of
 * proftop leaves nothing behind.
 *
 * Nothing here knows the profile; calls.c and latency.c do. */
#ifndef PROFTOP_UPROBE_H
#define PROFTOP_UPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The uprobe PMU's perf type, or -1 with a one-line reason in err. */
int uprobe_pmu_type(char *err, size_t errlen);

/* Hits in tasks whose comm is this are ignored: a launched target's probes
 * are placed before exec, while the held child still runs proftop's code
 * (and proftop's libc). */
struct uprobe_gate {
	bool on;
	char comm[16]; /* zero padded, as the kernel keeps it */
};

/* Fill g with proftop's own comm, unless the program about to be launched
 * will carry the same one (then gating would hide its hits: g->on false). */
void uprobe_gate_init(struct uprobe_gate *g, const char *exe_path);

/* A BPF array of 64-bit hit counters, one slot per probed function. */
struct uprobe_counters;

struct uprobe_counters *uprobe_counters_new(uint32_t nslots, char *err, size_t errlen);
void uprobe_counters_free(struct uprobe_counters *uc);
/* A program adding one to slot per hit; the fd is the caller's to close, or
 * -1 with err. g may be NULL. */
int uprobe_counters_prog(struct uprobe_counters *uc, uint32_t slot, const struct uprobe_gate *g,
			 char *err, size_t errlen);
uint64_t uprobe_counters_read(const struct uprobe_counters *uc, uint32_t slot);

/* What a ring record marks. An entry says how its function's returns are
 * seen: by uprobes on its `ret` instructions (before the return address is
 * popped: sp as at entry), or by a uretprobe (after: sp 8 above). */
enum uprobe_rec_kind {
	UPROBE_REC_ENTRY,	   /* the first instruction; returns probed at `ret` */
	UPROBE_REC_RET,		   /* a `ret` instruction */
	UPROBE_REC_ENTRY_RETPROBE, /* the first instruction; the return is a uretprobe */
	UPROBE_REC_RETPROBE,	   /* a uretprobe */
	UPROBE_REC_PY_ENTRY,	   /* a Python function's entry (USDT: sp means nothing) */
	UPROBE_REC_PY_RETURN,	   /* its return */
};

/* Or'ed into a Python record's kind: the filter had no answer for its
 * (tgid, arg0, arg1) yet (NEW); the record is a hit of its own to count
 * (HIT: a count probe's NEW record without it is the first hit of a key
 * whose hits wait in the pending map). */
#define UPROBE_REC_NEW 0x100u
#define UPROBE_REC_HIT 0x200u

static inline bool uprobe_rec_is_entry(uint32_t kind)
{
	return kind == UPROBE_REC_ENTRY || kind == UPROBE_REC_ENTRY_RETPROBE ||
	       kind == UPROBE_REC_PY_ENTRY;
}

#define UPROBE_STR0_LEN 256 /* a Python file name */
#define UPROBE_STR1_LEN 64  /* a Python function name */

/* One entry or return, as the ring program logs it. */
struct uprobe_record {
	uint64_t pid_tgid; /* tgid << 32 | tid */
	uint64_t sp;	   /* user stack pointer at the hit (x86-64; 0 elsewhere) */
	uint64_t time;	   /* CLOCK_MONOTONIC ns */
	uint32_t slot;
	uint32_t kind; /* enum uprobe_rec_kind */
	/* UPROBE_REC_NEW records only (0 in the others, which the ring holds
	 * without them): the USDT probe's first two arguments, and the strings
	 * they point to as the probe saw them (cut to fit, NUL-terminated;
	 * empty if unreadable): the process may be gone when they are read. */
	uint64_t arg0, arg1;
	char str0[UPROBE_STR0_LEN], str1[UPROBE_STR1_LEN];
};

/* A BPF ring buffer shared by every entry and return program. */
struct uprobe_ring;

/* bytes: a power of two, a multiple of the page size. */
struct uprobe_ring *uprobe_ring_new(size_t bytes, char *err, size_t errlen);
void uprobe_ring_free(struct uprobe_ring *r);
/* A program logging a record of kind for slot at each hit. */
int uprobe_ring_prog(struct uprobe_ring *r, uint32_t slot, enum uprobe_rec_kind kind,
		     const struct uprobe_gate *g, char *err, size_t errlen);
/* Hand every record that arrived to fn, oldest first; returns how many. */
size_t uprobe_ring_drain(struct uprobe_ring *r,
			 void (*fn)(void *ctx, const struct uprobe_record *rec), void *ctx);
/* Records dropped so far because the ring was full. */
uint64_t uprobe_ring_dropped(const struct uprobe_ring *r);

/* A uprobe (or uretprobe) at a file offset of path, for process pid (every
 * thread of it), running prog on each hit. Returns the event fd, or -errno. */
int uprobe_open(int type, const char *path, uint64_t offset, bool is_return, pid_t pid, int prog);

/* Close an event fd on a helper thread: the kernel takes about 0.1 s per
 * uprobe to remove it (an RCU grace period, serialised), which must not
 * stall the event loop mid-run. The hits stop at once. */
void uprobe_close_later(int fd);
/* Wait until every fd handed to uprobe_close_later() is closed: before
 * proftop exits (see uprobe.c). */
void uprobe_close_flush(void);

/* A BPF hash of (tgid, arg0, arg1) to a u64, for USDT programs: their
 * filter (1: the hit is the probed function's, 0: another one's) or their
 * pending counts (hits while the filter had no answer). The fd is the
 * caller's to close, or -1 with err. */
int uprobe_filter_new(char *err, size_t errlen);
/* Answer for a key; false if the kernel refused (the hits stay NEW). */
bool uprobe_filter_set(int filter, uint32_t tgid, uint64_t arg0, uint64_t arg1, bool match);
/* Forget a key. */
void uprobe_filter_delete(int map, uint32_t tgid, uint64_t arg0, uint64_t arg1);
/* A key's value (0: none). */
uint64_t uprobe_filter_get(int map, uint32_t tgid, uint64_t arg0, uint64_t arg1);

/* A program for a USDT probe whose arguments arg0_off and arg1_off (offsets
 * in struct pt_regs) identify the function hit: each hit adds one to
 * counters[traps_slot]; one the filter answers 1 for adds one to
 * counters[slot] (count) or logs a kind record (ring); one it has no answer
 * for is logged as kind | UPROBE_REC_NEW with both arguments and strings,
 * but for a count only the first of its key: the others add one to
 * pending[key]. Records carry the argument at line_off (-1: none) where
 * others have sp. */
int uprobe_usdt_prog(struct uprobe_counters *uc, struct uprobe_ring *r, int filter, int pending,
		     uint32_t slot, uint32_t traps_slot, bool count, enum uprobe_rec_kind kind,
		     int arg0_off, int arg1_off, int line_off, const struct uprobe_gate *g,
		     char *err, size_t errlen);

/* "cannot place a uprobe on PATH: why" for an uprobe_open() failure. */
void uprobe_open_error(int neg_errno, const char *path, char *err, size_t errlen);

/* What probes cost the probed thread, in CPU ns, measured once in a helper
 * process calling a small function of proftop's own in a loop. */
struct uprobe_cost {
	double hit_ns;	 /* one counted call */
	double pair_ns;	 /* one call with its entry and its `ret` logged */
	double floor_ns; /* the duration the probes report for an empty function */
};

/* Measure (with_pair: also the entry/return pair). 0, or -1 with err when
 * probes do not work here at all. */
int uprobe_calibrate(int type, bool with_pair, struct uprobe_cost *out, char *err, size_t errlen);

#endif
