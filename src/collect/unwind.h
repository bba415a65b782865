/* DWARF CFI unwinding of a sampled user stack with libunwind's remote API:
 * registers from the sample, stack words from the copied stack, unwind
 * tables and code from the ELF images mapped at each address. */
#ifndef PROFTOP_UNWIND_H
#define PROFTOP_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmap.h"

/* The user registers perf records, indexed by PERF_REG_X86_* (the full
 * array, not the compressed sample layout). Mask 0xff0fff. */
#define UNWIND_NREGS	 24
#define UNWIND_REGS_MASK 0xff0fffULL

struct unwind_snapshot {
	uint64_t regs[UNWIND_NREGS];
	const uint8_t *stack; /* copy of the stack starting at regs[PERF_REG_X86_SP] */
	size_t stack_len;     /* bytes actually copied (dyn_size) */
};

struct unwinder;

struct unwinder *unwinder_new(struct procmap *pm);
void unwinder_free(struct unwinder *u);

/* Unwind into pcs (pcs[0] = the sampled IP, then return addresses).
 * Returns the number of frames written (at least 1 when the IP is valid).
 * *truncated is set when unwinding stopped before the outermost frame
 * (the stack copy ran out, no unwind info, a bad frame), not when it
 * reached the end of the stack normally. */
size_t unwinder_unwind(struct unwinder *u, struct proc_space *ps,
		       const struct unwind_snapshot *snap, uint64_t *pcs, size_t max,
		       bool *truncated);

/* Mappings of ps changed: drop cached unwind info for it. */
void unwinder_flush(struct unwinder *u, struct proc_space *ps);

/* While true on this thread, libunwind's signal-blocking lock makes no
 * system calls (unwind-nosigmask.c says why that is safe here). */
void unwind_sigmask_skip(bool skip);

#endif
