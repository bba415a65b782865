/* The uprobes proftop places in the target, with their BPF side: the
 * programs, the counter array and the ring buffer they write. A probe is a
 * point (file, offset, kind) that logs into a slot; it is placed on any
 * number of processes, one event each. Mechanism only: what to probe, and
 * when to stop, is calls.c's business.
 *
 * The set owns every fd: programs, events and maps. Removing a probe
 * mid-run closes its events on a helper thread (uprobe_close_later): the
 * kernel takes about 0.1 s per event, which must not stall the event loop. */
#ifndef PROFTOP_PROBESET_H
#define PROFTOP_PROBESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uprobe.h"

enum probe_kind {
	PROBE_COUNT,	      /* a uprobe adding one to its slot's counter */
	PROBE_ENTRY,	      /* a uprobe logging an entry whose returns are PROBE_RET */
	PROBE_RET,	      /* a uprobe on a `ret` instruction logging a return */
	PROBE_ENTRY_RETPROBE, /* a uprobe logging an entry whose return is PROBE_RETPROBE */
	PROBE_RETPROBE,	      /* a uretprobe logging a return */
	PROBE_PY_COUNT,	      /* a USDT function__entry counting one function's calls */
	PROBE_PY_ENTRY,	      /* a USDT function__entry logging them */
	PROBE_PY_RETURN,      /* a USDT function__return logging their returns */
};

/* A USDT probe's side: its filter and pending maps (uprobe.h), where the
 * arguments naming the function are, and the counter slot of its hits.
 * The semaphores are the caller's to raise. */
struct probe_usdt {
	int filter;  /* borrowed: the caller closes it after probeset_free() */
	int pending; /* borrowed too: a count's hits the filter cannot answer yet */
	int arg0_off, arg1_off, line_off;
	uint32_t traps_slot;
};

struct probeset;

/* The set for the uprobe PMU pmu, with nslots counter slots and, with_ring,
 * a ring of ring_bytes for entries and returns. NULL with err if the
 * kernel refuses the maps. */
struct probeset *probeset_new(int pmu, uint32_t nslots, size_t ring_bytes, char *err,
			      size_t errlen);
/* Removes every probe now (and waits for the background closes). */
void probeset_free(struct probeset *ps);

/* Programs loaded from now on ignore hits in tasks named as in g. */
void probeset_set_gate(struct probeset *ps, const struct uprobe_gate *g);

/* A probe of kind at offset of path, logging into slot, its program
 * loaded; placed on no process yet. Its id (>= 0), or -1 with err. */
int probeset_add(struct probeset *ps, const char *path, uint64_t offset, enum probe_kind kind,
		 uint32_t slot, char *err, size_t errlen);
/* The same for a PROBE_PY_* kind. */
int probeset_add_usdt(struct probeset *ps, const char *path, uint64_t offset, enum probe_kind kind,
		      uint32_t slot, const struct probe_usdt *u, char *err, size_t errlen);
/* Put probe id on process pid: 0 (also if there already), or -errno
 * (uprobe_open_error() says why). */
int probeset_place(struct probeset *ps, int id, pid_t pid);
/* Take probe id off process pid, in the background. */
void probeset_unplace(struct probeset *ps, int id, pid_t pid);
bool probeset_on(const struct probeset *ps, int id, pid_t pid);
/* The processes probe id is on. */
size_t probeset_nplaced(const struct probeset *ps, int id);
/* Remove probe id from every process and unload its program: now, or in
 * the background (mid-run). Its slot's counts stay readable; the id is
 * dead (placing it again fails with -EBADF). */
void probeset_remove(struct probeset *ps, int id, bool now);
/* Every probe, now or in the background. */
void probeset_remove_all(struct probeset *ps, bool now);
/* Process pid is gone: its events are closed in the background. */
void probeset_forget(struct probeset *ps, pid_t pid);

/* Hits of slot's PROBE_COUNT probes so far. */
uint64_t probeset_count(const struct probeset *ps, uint32_t slot);
/* Hand every entry and return logged since the last drain to fn, oldest
 * first; returns how many. */
size_t probeset_drain(struct probeset *ps, void (*fn)(void *ctx, const struct uprobe_record *rec),
		      void *ctx);
/* Records lost so far because the ring was full. */
uint64_t probeset_dropped(const struct probeset *ps);
bool probeset_has_ring(const struct probeset *ps);

#endif
