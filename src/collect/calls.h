/* Exact call counts (--calls) and per-call latency (--latency) with
 * uprobes, within an overhead budget (--calls-budget).
 *
 * Names are resolved in the ELF files the target maps; each function gets
 * one probe per target process that maps its file (uprobe.h says why that
 * covers every thread). A launched target's probes are in place before it
 * execs, on its executable and on the libraries its loader will map, so
 * counts start at its first instruction; an attached target's count from
 * the attach on. Probes placed later (a library loaded by dlopen, top:N, the
 * TUI's key, a process forked before we saw it) may have missed calls: their
 * counts are lower bounds.
 *
 * Each tick the counters are read into the profile (prof_function.calls),
 * the latency records paired into prof_latency, and the cost checked: hits
 * per second times the cost of one hit, measured at start, must stay under
 * the budget's share of the target's CPU time (at least one CPU's worth per
 * second, so an idle target can be probed). A probe over it is removed; its
 * count stays, marked as a lower bound, with the rate it was seen at. */
#ifndef PROFTOP_CALLS_H
#define PROFTOP_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmap.h"
#include "profile.h"
#include "symbols.h"

#define CALLS_TOP_MAX 100 /* --calls top:N */

/* What to count and the budget; the strings are copied by calls_new(). */
struct calls_config {
	const char *count;   /* --calls FUNC[,FUNC...] (also top:N), or NULL */
	const char *latency; /* --latency FUNC[,FUNC...], or NULL */
	double budget;	     /* --calls-budget: percent of the target's CPU time */
	bool on_demand;	     /* functions may be counted later (the TUI's key) */
};

struct calls;

/* NULL when cfg asks for nothing now or later. p, pm and sym are borrowed
 * and must outlive the struct. */
struct calls *calls_new(const struct calls_config *cfg, struct profile *p, struct procmap *pm,
			struct symbols *sym);
/* Removes every probe left (closing happens in the background). */
void calls_free(struct calls *c);

/* Messages (a name that matches nothing, no uprobes here...) go to stderr
 * one line each as they happen, unless quiet: then they wait for
 * calls_message() (the TUI shows them in its status line). */
void calls_set_quiet(struct calls *c, bool quiet);
/* The oldest message not yet taken, or NULL; valid until the next call. */
const char *calls_message(struct calls *c);

/* Place the probes. launch_argv: the command of a launched target, held
 * before exec as pids[0]; NULL for attached pids. Profiling goes on
 * whatever fails here (the reason is a message). start_ns: the profile's
 * meta.start_ns (CLOCK_MONOTONIC). */
void calls_start(struct calls *c, char **launch_argv, const pid_t *pids, size_t npids,
		 uint64_t start_ns);

/* Side-band records of the target's processes, from the sampler. */
void calls_on_mmap(struct calls *c, pid_t pid, const char *path);
void calls_on_fork(struct calls *c, pid_t pid, pid_t ppid);
void calls_on_exit(struct calls *c, pid_t pid);

/* Read counts and latencies into the profile, hold the budget, re-choose
 * top:N. now_ns: CLOCK_MONOTONIC. */
void calls_tick(struct calls *c, uint64_t now_ns);
/* The last read; every probe removed. */
void calls_finish(struct calls *c, uint64_t now_ns);

/* The TUI's key: count fn's calls from now on, or stop counting them (the
 * count stays, a lower bound). 0 with a note in msg, or -1 with the reason. */
int calls_toggle(struct calls *c, uint32_t fn, char *msg, size_t len);
/* fn has probes in place now. */
bool calls_active(const struct calls *c, uint32_t fn);

#endif
