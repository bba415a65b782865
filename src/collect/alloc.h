/* The allocation tracker, proftop's side: the ring a launched target's
 * preloaded tracker (proftop-alloc.so, src/preload/alloc.c) writes its
 * sampled allocations and frees into, the environment that loads it, and
 * the records turned into the profile's memory records (prof_alloc). */
#ifndef PROFTOP_ALLOC_H
#define PROFTOP_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "profile.h"
#include "python-read.h"
#include "unwind.h"

struct alloc_tracker;

/* What may keep a launched program's allocations from being seen, in one
 * line (into note): argv0 (searched in PATH) is a static executable, is
 * set-user-ID or set-group-ID for someone else (the loader then ignores
 * LD_PRELOAD), brings its own malloc, is a script started through env(1),
 * or the tracker is not installed. faults: page faults are sampled (the
 * line says so). Returns 0 when allocations can be tracked (note may still
 * say what is not: a linked allocator's own API), -1 when they cannot. */
int alloc_check_target(const char *argv0, bool faults, char *note, size_t len);

/* A ring of about ring_bytes for a target sampled every sample bytes on
 * average (1: every allocation), copying stack_bytes of stack per
 * sampled allocation; NULL with err if it cannot be made. */
struct alloc_tracker *alloc_tracker_new(uint64_t sample, unsigned stack_bytes, char *err,
					size_t errlen);
void alloc_tracker_free(struct alloc_tracker *t);

/* The environment of the launched target: the current one with the
 * tracker preloaded (before the user's LD_PRELOAD, which it restores) and
 * the ring's fds named. NULL-terminated, owned by t. */
char **alloc_tracker_environ(struct alloc_tracker *t);
/* The fds the target must inherit (their FD_CLOEXEC cleared in the child
 * before exec): fds[0] the ring, fds[1] the wake-up eventfd. */
void alloc_tracker_fds(const struct alloc_tracker *t, int fds[2]);
/* Readable when the tracker wants a drain (the ring is filling); -1 if none. */
int alloc_tracker_wake_fd(const struct alloc_tracker *t);

/* What the collector does with the records. */
struct alloc_sink {
	void *ctx;
	/* The stack of a sampled allocation made at time (CLOCK_MONOTONIC
	 * ns), as a profile stack id, from the
	 * registers and stack copy the tracker sent (the tracker's own frames
	 * still on top: the callee drops them) and the thread's Python frames
	 * it copied (py, py_len bytes: struct allocring_pyframes; NULL, 0 for
	 * none; unchecked beyond its length). */
	uint32_t (*stack)(void *ctx, pid_t pid, pid_t tid, uint64_t time,
			  const struct unwind_snapshot *snap, const void *py, size_t py_len);
	/* pid was forked from ppid (no exec): its address space is ppid's
	 * (said before any record of pid). May be NULL. */
	void (*fork)(void *ctx, pid_t pid, pid_t ppid);
	/* The Python code object at code in pid, as the tracker copied it
	 * (allocring.h, ALLOCRING_CODE): n spans of its memory, checked to
	 * lie in the record. Before the allocation records that ran it. May
	 * be NULL. */
	void (*code)(void *ctx, pid_t pid, uint64_t code, const struct py_span *spans, size_t n);
	/* bounded: records stamped later than until (CLOCK_MONOTONIC ns)
	 * wait for a later drain: the maps and execs before them are not all
	 * known yet (sampler_ops.ordered_to). */
	bool bounded;
	uint64_t until;
};

/* Move what the ring holds into p (prof_alloc records; frees mark them);
 * start_ns: the profile's start (CLOCK_MONOTONIC). final: no tracker can
 * write any more (the target is gone): what was reserved but never
 * written is dropped and counted lost. Returns the records read. */
size_t alloc_tracker_drain(struct alloc_tracker *t, struct profile *p, uint64_t start_ns,
			   const struct alloc_sink *sink, bool final);
/* Positions in the ring: written (reserved) up to, read up to. */
uint64_t alloc_tracker_head(const struct alloc_tracker *t);
uint64_t alloc_tracker_tail(const struct alloc_tracker *t);
/* Records the tracker dropped (its ring was full, or left unwritten). */
uint64_t alloc_tracker_lost(const struct alloc_tracker *t);
/* Whether the tracker ran in the target (preloading worked). */
bool alloc_tracker_loaded(const struct alloc_tracker *t);
/* The process the tracker first ran in (the launched target), 0 before. */
pid_t alloc_tracker_pid(const struct alloc_tracker *t);
/* Tell the tracker where the target's CPython keeps its frames (once):
 * from then on each sampled allocation carries its thread's Python frames. */
struct allocring_py;
void alloc_tracker_set_python(struct alloc_tracker *t, const struct allocring_py *py);
bool alloc_tracker_has_python(const struct alloc_tracker *t);
/* Tell the tracker CPython was looked for (it waits for that at start). */
void alloc_tracker_python_checked(struct alloc_tracker *t);
bool alloc_tracker_python_was_checked(const struct alloc_tracker *t);
/* proftop is paused (or goes on): allocations made while it is are not
 * counted; frees are (of blocks allocated before). */
void alloc_tracker_pause(struct alloc_tracker *t, bool paused);
/* What the ring adds to the target's memory (once the tracker runs in it):
 * its pages in memory (*rss) and its mapping's size (*vms), in bytes. */
void alloc_tracker_footprint(const struct alloc_tracker *t, uint64_t *rss, uint64_t *vms);
/* Tell the tracker proftop is gone: it records nothing more. */
void alloc_tracker_close(struct alloc_tracker *t);

/* Where proftop-alloc.so is: next to proftop's executable (a build tree),
 * else the installed pkglibdir; NULL if neither holds a safe copy (owned
 * by root or by us, not writable by others). A static buffer. */
const char *alloc_preload_path(void);

#endif
