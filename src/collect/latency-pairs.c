#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "latency-pairs.h"
#include "xalloc.h"

/* A thread's pending entries beyond this are not kept (their returns then
 * count as unmatched): runaway recursion must not grow memory forever. */
#define PAIRS_DEPTH_MAX 4096

struct pending_call {
	uint64_t sp, time;
	uint32_t slot;
	bool retprobe; /* its return is a uretprobe's (else a `ret` probe's) */
};

struct thread_stack {
	uint32_t tid; /* 0: empty slot */
	struct pending_call *calls;
	size_t n, cap;
};

struct latency_pairs {
	struct thread_stack *threads; /* open addressing by tid */
	size_t mask, used;
	uint64_t unmatched, abandoned;
};

struct latency_pairs *latency_pairs_new(void)
{
	struct latency_pairs *lp = xcalloc(1, sizeof(*lp));

	lp->mask = 63;
	lp->threads = xcalloc(lp->mask + 1, sizeof(*lp->threads));
	return lp;
}

void latency_pairs_free(struct latency_pairs *lp)
{
	if (!lp)
		return;
	for (size_t i = 0; i <= lp->mask; i++)
		free(lp->threads[i].calls);
	free(lp->threads);
	free(lp);
}

static struct thread_stack *slot_for(struct thread_stack *tab, size_t mask, uint32_t tid)
{
	size_t i = (tid * 0x9e3779b9u) & mask;

	while (tab[i].tid && tab[i].tid != tid)
		i = (i + 1) & mask;
	return &tab[i];
}

static struct thread_stack *thread_get(struct latency_pairs *lp, uint32_t tid)
{
	struct thread_stack *t = slot_for(lp->threads, lp->mask, tid);

	if (t->tid)
		return t;
	if ((lp->used + 1) * 2 > lp->mask + 1) {
		size_t mask = lp->mask * 2 + 1;
		struct thread_stack *tab = xcalloc(mask + 1, sizeof(*tab));

		for (size_t i = 0; i <= lp->mask; i++)
			if (lp->threads[i].tid)
				*slot_for(tab, mask, lp->threads[i].tid) = lp->threads[i];
		free(lp->threads);
		lp->threads = tab;
		lp->mask = mask;
		t = slot_for(tab, mask, tid);
	}
	t->tid = tid;
	lp->used++;
	return t;
}

/* Drop t's entries whose frames are gone: those below sp (a return at sp
 * popped past them; a call at sp would overwrite them). */
static void drop_below(struct latency_pairs *lp, struct thread_stack *t, uint64_t sp)
{
	while (t->n && t->calls[t->n - 1].sp < sp) {
		t->n--;
		lp->abandoned++;
	}
}

/* Before a new entry at sp: also drop the entries at sp whose returns are
 * probed at `ret`: such a function left by a tail call (no return seen),
 * and the new call reuses its stack slot. An entry whose return is a
 * uretprobe stays: after a tail call its return still comes, with the
 * callee's, at the end. */
static void drop_before_entry(struct latency_pairs *lp, struct thread_stack *t, uint64_t sp)
{
	drop_below(lp, t, sp);
	while (t->n && t->calls[t->n - 1].sp == sp && !t->calls[t->n - 1].retprobe) {
		t->n--;
		lp->abandoned++;
	}
}

bool latency_pairs_feed(struct latency_pairs *lp, const struct uprobe_record *rec, uint32_t *slot,
			uint64_t *ns)
{
	uint32_t tid = (uint32_t)rec->pid_tgid;
	struct thread_stack *t = thread_get(lp, tid ? tid : ~0u);
	struct pending_call *top;

	if (uprobe_rec_is_entry(rec->kind)) {
		if (rec->sp)
			drop_before_entry(lp, t, rec->sp);
		if (t->n >= PAIRS_DEPTH_MAX)
			return false;
		t->calls = xgrow(t->calls, &t->cap, t->n + 1, sizeof(*t->calls));
		t->calls[t->n++] = (struct pending_call){rec->sp, rec->time, rec->slot,
							 rec->kind == UPROBE_REC_ENTRY_RETPROBE};
		return false;
	}
	if (rec->sp) {
		/* At a `ret`, sp still points at the return address the entry's sp
		 * pointed at; after it (a uretprobe) it is 8 above. */
		uint64_t entry_sp = rec->kind == UPROBE_REC_RET ? rec->sp : rec->sp - 8;

		drop_below(lp, t, entry_sp);
		top = t->n ? &t->calls[t->n - 1] : NULL;
		if (!top || top->sp != entry_sp || top->slot != rec->slot) {
			lp->unmatched++;
			return false;
		}
	} else {
		top = t->n ? &t->calls[t->n - 1] : NULL;
		if (!top || top->slot != rec->slot) {
			lp->unmatched++;
			return false;
		}
	}
	t->n--;
	*slot = rec->slot;
	*ns = rec->time >= top->time ? rec->time - top->time : 0;
	return true;
}

uint64_t latency_pairs_unmatched(const struct latency_pairs *lp)
{
	return lp->unmatched;
}

uint64_t latency_pairs_abandoned(const struct latency_pairs *lp)
{
	return lp->abandoned;
}
