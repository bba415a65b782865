/* Off-CPU intervals for the wall clock: a thread's wait, from the moment it
 * leaves the CPU to the moment it is back on one, becomes one sample record
 * (PROF_SAMPLE_OFFCPU) whose weight is the wait's length and whose stack is
 * the user stack it blocked at under an "[off-CPU: why]" leaf. A thread
 * blocked for ten minutes costs one record, added when it wakes. */
#ifndef PROFTOP_OFFCPU_H
#define PROFTOP_OFFCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "symbols.h"

struct offcpu;

/* p and sym are borrowed and must outlive the tracker. */
struct offcpu *offcpu_new(struct profile *p, struct symbols *sym);
void offcpu_free(struct offcpu *o);

/* tid leaves the CPU at time (ns since meta.start_ns) with this user stack
 * (locations, leaf first) and the kernel's callchain (raw addresses,
 * innermost first; none where kernel samples are refused), which name the
 * wait; else the user leaf (the libc wrapper of the system call) does.
 * A wait for work (an event loop's poll, a condition variable or semaphore
 * on the stack) is flagged PROF_SAMPLE_IDLE. */
void offcpu_leave(struct offcpu *o, int32_t tid, uint64_t time, const uint32_t *locs, size_t n,
		  bool truncated, const uint64_t *kchain, size_t nkchain);
/* The same, named by the system call the thread waits in (syscall: its
 * name, "read"; the ptrace backend reads it from the stopped thread). */
void offcpu_leave_in(struct offcpu *o, int32_t tid, uint64_t time, const uint32_t *locs,
		     size_t n, bool truncated, const uint64_t *kchain, size_t nkchain,
		     const char *syscall);
/* The switch record of that departure: preempted means the thread was
 * still runnable (waiting for a CPU, "[off-CPU: runnable]"). Without a
 * stack sample before it (lost), the wait is kept with an empty stack. */
void offcpu_switch_out(struct offcpu *o, int32_t tid, uint64_t time, bool preempted);
/* tid was found blocked (in why: the kernel's wait channel) when
 * collection began: a wait from time with no stack (it left the CPU before
 * us), so that an attached thread blocked all along still counts. */
void offcpu_blocked(struct offcpu *o, int32_t tid, uint64_t time, const char *why);
/* tid is back on a CPU at time: its open wait becomes a record (a short
 * one may be summed with the thread's others of the same stack first:
 * offcpu_tick). */
void offcpu_switch_in(struct offcpu *o, int32_t tid, uint64_t time);
/* Sums of short waits begun FOLD_AGE_NS before now (ns since start) or
 * earlier become records (the collector's tick); live, so do the waits
 * open for a second (then 2, 4, 8...) so far, and go on. */
void offcpu_tick(struct offcpu *o, uint64_t now);
/* live: a view that shows the profile as it grows (the TUI) sees long
 * waits before they end; default off (one record per wait). */
void offcpu_set_live(struct offcpu *o, bool live);
/* tid ended: its open wait, if any, is dropped (it never came back). */
void offcpu_forget(struct offcpu *o, int32_t tid);
/* Sampling paused: every open wait is dropped (no switch-in will end it). */
void offcpu_forget_all(struct offcpu *o);
/* The run ends at time: every wait still open becomes a record ending then. */
void offcpu_close_all(struct offcpu *o, uint64_t time);
/* Waits open now (for the live view's header and tests). */
size_t offcpu_open_count(const struct offcpu *o);

#endif
