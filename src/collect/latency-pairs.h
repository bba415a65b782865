/* Pairing logged function entries with returns into call durations
 * (--latency): pure computation over uprobe records (uprobe.h). */
#ifndef PROFTOP_LATENCY_PAIRS_H
#define PROFTOP_LATENCY_PAIRS_H

#include <stdbool.h>
#include <stdint.h>

#include "uprobe.h"

/* Entries and returns of every thread, paired into durations. A thread's
 * entries form a stack (recursion nests). With stack pointers (x86-64) a
 * return matches the entry of the same sp (a probe on a `ret`; a
 * uretprobe's sp is 8 above), and entries deeper than it are dropped as
 * abandoned (longjmp, exceptions, recursion past the kernel's 64 pending
 * uretprobes), as is an entry probed at `ret` that a new entry finds at or
 * below its own sp (its function left by a tail call, which no `ret`
 * probe sees): nothing is ever mispaired. */
struct latency_pairs;

struct latency_pairs *latency_pairs_new(void);
void latency_pairs_free(struct latency_pairs *lp);
/* Feed one record. Returns true when it completes a call: *slot and *ns
 * are then the probe's slot and the call's duration. */
bool latency_pairs_feed(struct latency_pairs *lp, const struct uprobe_record *rec, uint32_t *slot,
			uint64_t *ns);
/* Returns that matched no entry (its record was lost, or timing began
 * inside the call), and entries dropped without a return. */
uint64_t latency_pairs_unmatched(const struct latency_pairs *lp);
uint64_t latency_pairs_abandoned(const struct latency_pairs *lp);

#endif
