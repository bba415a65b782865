/* Collection: the target, the sampler, unwinding, symbols and the memory
 * poll, feeding one profile. It can run its own event loop (record,
 * report) or be serviced from another loop (the TUI) through its fds. */
#ifndef PROFTOP_COLLECT_H
#define PROFTOP_COLLECT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "calls.h"
#include "loop.h"
#include "profile.h"
#include "python.h"
#include "target.h"

enum unwind_mode { UNWIND_DWARF, UNWIND_FP };
enum backend_kind { BACKEND_AUTO, BACKEND_PERF, BACKEND_PTRACE };
/* The ptrace backend's default -F: each of its samples stops the thread. */
#define COLLECT_PTRACE_FREQ 99

/* What to collect and how, built by the command line (or the picker) and
 * copied by collector_new(): the caller's copy may go away. */
struct collect_config {
	char **argv;	   /* a command to launch, or NULL (not modified) */
	const pid_t *pids; /* or processes to attach to */
	size_t npids;
	unsigned freq;	     /* samples per second per thread; 0: none (perf; the
				ptrace backend and a fallback to it sample at its default) */
	bool freq_set;	     /* freq was asked for (else a fallback to ptrace lowers it) */
	double duration;     /* seconds, 0 = until the target ends */
	unsigned stack_size; /* bytes of user stack per sample (perf) */
	enum unwind_mode unwind;
	enum backend_kind backend;
	bool keep_running; /* a launched target survives proftop's death */
	uint64_t max_memory; /* the profile's budget in bytes (profile_keep_budget); 0: none */
	/* --clock wall: off-CPU time too (perf backend: context switches);
	 * no fallback to the CPU clock or to ptrace when it is refused */
	bool wall;
	bool live; /* watched as it grows (the TUI): long waits show before they end */
	enum python_frames python_frames; /* default (0) mixed */
	/* Memory records (profile.h's prof_alloc): a launched target's
	 * allocations, through the preloaded tracker, one sampled every
	 * alloc_sample bytes on average (1: every one; 0: not tracked); page
	 * faults, one sample every fault_period faults (0: not sampled). */
	uint64_t alloc_sample;
	unsigned fault_period;
	bool no_debuginfod; /* do not fetch from DEBUGINFOD_URLS */
	struct calls_config calls;
};

struct collector;

/* cfg is copied; p is borrowed and must outlive the collector. */
struct collector *collector_new(const struct collect_config *cfg, struct profile *p);
void collector_free(struct collector *c);

enum collect_output {
	COLLECT_OUTPUT_PASS,	/* a launched target writes to our stdout/stderr itself */
	COLLECT_OUTPUT_TEE,	/* through a pty: copied to our stdout and kept in the profile */
	COLLECT_OUTPUT_CAPTURE, /* through a pty: kept in the profile only (the TUI) */
};

/* How a launched target's output is handled (before collector_start;
 * default PASS). With CAPTURE the target's stdin is /dev/null, or with
 * pass_stdin the pty, fed by collector_write_input(). */
void collector_set_output(struct collector *c, enum collect_output mode, bool pass_stdin);
/* Type into a captured target's stdin (the pty; with pass_stdin). 0, or
 * -1 if there is no such input or the pty is full. */
int collector_write_input(struct collector *c, const void *buf, size_t len);
/* Pause or resume sampling (the target runs on). */
void collector_pause(struct collector *c, bool paused);
/* Launch or attach and start sampling. 0, or -1 with a one-line err. */
int collector_start(struct collector *c, char *err, size_t errlen);

/* The collector as a source of an event loop (loop.h; arg: the
 * collector): its ring buffers, memory-poll timer, the target's pidfd and
 * output pty; each wakeup drains samples, polls memory and notices the
 * target's end. */
extern const struct loop_source_ops collector_loop_source;
/* debuginfod (names-fetch.h): takes the fetches that finished and says
 * whether names in the profile changed since the last call (the live
 * view queries again). Works after collector_finish() too. */
bool collector_names_changed(struct collector *c);
/* The status line's debuginfod text (a fetch in progress, its outcome for
 * a while), or NULL. */
const char *collector_fetch_status(struct collector *c);
/* The run is over: the target ended, the duration passed, or
 * collector_interrupt() was called. */
bool collector_done(struct collector *c);
/* End the run at the next wakeup (SIGINT and friends). */
void collector_interrupt(struct collector *c);

/* Run until collector_done(): in loop l with whatever else it serves (a
 * session flush timer), or in a loop of its own when l is NULL. SIGINT,
 * SIGTERM and SIGHUP end the run (blocked since collector_start; the
 * target gets them unblocked). */
void collector_run(struct collector *c, struct loop *l);

/* Stop sampling (a launched target still running is terminated), take
 * the last samples and fill the profile's metadata. */
void collector_finish(struct collector *c);

const struct target *collector_target(const struct collector *c);

/* The budget (collect_config.max_memory) is kept after every drain by
 * folding the oldest samples (profile_keep_budget). With a session being
 * written, sync makes the file hold the log (a flush) and returns the
 * absolute position it holds up to: only records below it are folded, so
 * the file keeps every raw sample. Without sync, any record may be. */
void collector_set_fold_sync(struct collector *c, prof_fold_sync sync, void *arg);
/* The budget and its peak so far (profile_memory_bytes after each drain). */
const struct prof_budget *collector_budget(const struct collector *c);
/* Call counting (calls.h: the TUI's key, its messages); NULL when neither
 * --calls nor --latency was given. */
struct calls *collector_calls(struct collector *c);

#endif
