/* The profile model, after pprof's: modules, functions, locations (one
 * sampled address with its inline chain), interned stacks (a trie over
 * locations), the sample log, threads and the memory timeline.
 *
 * Ownership: the profile owns every string and table; the pointers it hands
 * out stay valid until profile_free() (arrays may move when they grow, so
 * keep ids, not element pointers, across calls that add). Strings are
 * interned: two equal strings have the same pointer. */
#ifndef PROFTOP_PROFILE_H
#define PROFTOP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROF_NONE UINT32_MAX
/* Deepest stack kept, in locations; deeper stacks are cut at the root end
 * and flagged PROF_SAMPLE_TRUNCATED. */
#define PROF_MAX_DEPTH 1024

struct prof_module {
	const char *path;     /* as mapped, "[kernel]", "[vdso]", "[unknown]" */
	const char *name;     /* basename of path */
	const char *build_id; /* lower-case hex, or NULL */
	/* Where its names came from, one short phrase a person can act on:
	 * "symbols in the file", "debug file /usr/lib/debug/.build-id/ab/c.debug",
	 * "debuginfod (/root/.cache/debuginfod_client/ID/debuginfo)",
	 * "perf map /tmp/perf-42.map", "jitdump /tmp/jit-42.dump",
	 * "/proc/42/root/usr/bin/app (container)", "no symbols: stripped, no
	 * debug file (build id ab12...)"; NULL: not known (kernel, old
	 * sessions). Set with profile_set_module_source. */
	const char *symbols_from;
};

struct prof_function {
	const char *name;	 /* demangled */
	const char *system_name; /* as in the symbol table (mangled) */
	const char *file;	 /* declaring source file, or NULL */
	int start_line;		 /* 0 if unknown */
	uint32_t module;
	int64_t calls;		/* exact call count, -1 when not counted */
	bool calls_lower_bound; /* counting was stopped: calls is a minimum */
	/* With calls_lower_bound: the call rate (per second) when counting was
	 * stopped over the budget (0 if it was not), and when counting began
	 * (ns since meta.start_ns; 0: from the target's first instruction). */
	double calls_rate;
	uint64_t calls_since;
};

/* One frame of a location: a function and the line executing in it. */
struct prof_line {
	uint32_t function;
	const char *file; /* may differ from the function's (headers) */
	int line;	  /* 0 if unknown */
};

struct prof_location {
	uint32_t module;
	uint64_t address;    /* ELF virtual address inside module, absolute for [unknown] */
	uint32_t first_line; /* index into profile.lines */
	uint32_t nlines;     /* innermost (inlined) first, the real function last */
};

/* Stack trie node. Node 0 is the root (no location, parent PROF_NONE);
 * a sample's stack id names its leaf, and following parent reaches the root. */
struct prof_stack {
	uint32_t parent;
	uint32_t location;
	uint32_t depth; /* locations from the root, root = 0 */
};

enum {
	PROF_SAMPLE_TRUNCATED = 1u << 0, /* unwinding stopped before the root */
	PROF_SAMPLE_KERNEL = 1u << 1,	 /* sampled in the kernel on behalf of the thread */
	/* Time the thread spent off the CPU (blocked or waiting for a CPU);
	 * weight is the off-CPU interval's length, the leaf an "[off-CPU: why]"
	 * frame. Counted by the wall clock only (query_filter.wall). */
	PROF_SAMPLE_OFFCPU = 1u << 2,
	/* An off-CPU wait of a thread waiting for work (a condition variable,
	 * a semaphore, an event loop's poll): counted only with
	 * query_filter.idle too, so that idle thread pools do not drown a view. */
	PROF_SAMPLE_IDLE = 1u << 3,
	/* A sample of a Python thread holding the GIL (CPython 3.11-3.13, read
	 * with its Python frames: perf reader or ptrace stop) */
	PROF_SAMPLE_GIL = 1u << 4
};

/* One record of the sample log. A raw sample has count 1; a record folded
 * from several samples of one thread, stack and flags (to keep memory
 * bounded) has their count and summed weight, and the earliest time. */
struct prof_sample {
	uint64_t time;	 /* ns since profile.meta.start_ns (CLOCK_MONOTONIC based) */
	uint64_t weight; /* CPU ns this record stands for (the cpu-clock period) */
	uint32_t stack;
	int32_t tid;
	uint32_t flags;
	uint32_t count; /* samples this record stands for (1: a raw sample) */
};

struct prof_thread {
	int32_t tid;
	int32_t pid;
	const char *comm;
};

struct prof_mem_point {
	uint64_t time; /* ns since meta.start_ns */
	int32_t pid;   /* 0: the sum over all the target's processes */
	uint64_t rss;  /* bytes */
	uint64_t vms;  /* bytes */
};

/* ---- memory records: allocations and page faults ---- */

enum prof_alloc_kind {
	PROF_ALLOC_HEAP = 0,  /* malloc, calloc, realloc, aligned allocations (the preloaded tracker) */
	PROF_ALLOC_MMAP = 1,  /* anonymous mmap (the preloaded tracker); freed by munmap */
	PROF_ALLOC_FAULT = 2, /* pages first touched (the page-fault event): RSS growth; never freed */
};
#define PROF_ALLOC_LIVE UINT64_MAX /* free_time of memory not freed (yet) */

/* One sampled allocation, or one sampled page fault. Allocations are
 * sampled by bytes (on average one sample every meta.alloc_sample bytes,
 * a Poisson process over the bytes allocated): a block of size s is
 * sampled with probability P = 1 - exp(-s / N) and then stands for s / P
 * bytes and 1 / P allocations (bytes and allocs; with N = 1 every block,
 * bytes = size, allocs = 1). A page-fault sample stands for the period's
 * faults (bytes = pages x page size). The stack is the allocating code's,
 * leaf first as for samples, the tracker's own frames removed. */
struct prof_alloc {
	uint64_t id;	    /* its place in the order records came, 0 on: see allocs */
	uint64_t time;	    /* ns since meta.start_ns: allocated (or faulted) */
	uint64_t free_time; /* ns since meta.start_ns: freed; PROF_ALLOC_LIVE if not */
	uint64_t size;	    /* bytes of this block (of the pages faulted) */
	uint64_t bytes;	    /* bytes it stands for (>= size) */
	uint32_t allocs;    /* allocations it stands for (1/P, rounded without bias) */
	uint32_t stack;
	int32_t tid;
	uint32_t kind; /* enum prof_alloc_kind */
};

/* A piece of the target's captured output (stdout and stderr through one
 * pty, so interleaved as a terminal would show them). */
struct prof_output_chunk {
	uint64_t time;	 /* ns since meta.start_ns */
	uint64_t offset; /* into profile.output */
	uint32_t len;
};

/* A line of source text kept with the profile, so that the line view works
 * where the sources are not: a reopened session carries the lines around its
 * samples, a live profile none (the files are read from disk). */
struct prof_source_line {
	const char *file; /* as in prof_line.file, interned */
	int line;
	const char *text; /* interned, without the line break */
};

struct prof_meta {
	const char *command; /* the command line, space-joined */
	const char *cwd;
	const char *host;
	const char *kernel;
	const char *backend;	/* "perf" or "ptrace" */
	const char *unwind;	/* "dwarf" or "fp" */
	const char *clock;	/* "cpu" (on-CPU samples only) or "wall" (off-CPU too) */
	int64_t start_realtime; /* seconds since the epoch */
	uint64_t start_ns;	/* CLOCK_MONOTONIC at start */
	uint64_t duration_ns;
	unsigned freq; /* requested sampling frequency, Hz */
	int32_t pid;   /* main target process */
	bool attached; /* attached to an existing process (not launched) */
	/* How the target ended: */
	bool ended;  /* the main process ended during the run */
	bool exited; /* exit_status valid */
	int exit_status;
	int term_signal;	 /* killed by this signal, 0 if not */
	bool stopped_by_proftop; /* proftop ended it (duration over, interrupted) */
	uint64_t lost;		 /* samples the kernel dropped (LOST records) */
	uint64_t held_ns;	 /* ptrace: time the target's threads were held stopped
				  * for samples (the overhead we put on it); 0 for perf */
	/* Exact call counting and latency (uprobes), when asked for: */
	double calls_budget;	/* --calls-budget, percent of the target's CPU time */
	double calls_overhead;	/* percent, over the last second (live) */
	uint64_t calls_cost_ns; /* CPU time the probes added to the target (hits x measured cost) */
	uint64_t calls_cpu_ns;	/* the budget's base while probes were in place: the
				 * target's CPU time, at least 1 CPU s per wall s */
	uint64_t probe_floor_ns; /* what the probes add to a measured call's duration */
	/* Who the target ran as when collection started (/proc/PID/status: the
	 * uid and gid it opens files with, its supplementary groups): a session
	 * keeps source text only from files this owner could read. */
	bool owner_known; /* false: unknown (proftop's own ids stand in) */
	uint32_t owner_uid;
	uint32_t owner_gid;
	const char *owner_groups; /* gids, space-separated ("" for none) */
	/* Memory records (prof_alloc): */
	uint64_t alloc_sample; /* allocations: mean bytes between samples (1: every
				* one); 0: allocations were not tracked */
	uint64_t fault_period; /* page faults: one sample per this many; 0: not sampled */
	uint64_t allocs_lost;  /* allocation records the tracker dropped (its ring was full) */
	/* What was and was not tracked, one line ("allocations not tracked: a
	 * static executable; RSS growth by page faults only"), or NULL. */
	const char *alloc_note;
};

/* Per-call durations of one function (--latency), from a uprobe and a
 * uretprobe: exact count, sum and extremes, and a log-linear histogram
 * (latency.h: 64 buckets per power of two, so quantiles are within 1%). */
#define PROF_LATENCY_BUCKETS 3840
struct prof_latency {
	uint32_t function;
	uint64_t count; /* calls that returned while probed */
	uint64_t sum_ns, min_ns, max_ns;
	uint64_t *buckets; /* PROF_LATENCY_BUCKETS counts (owned) */
	bool stopped;	   /* probes removed over the budget: the calls until then */
	double rate;	   /* calls per second when stopped */
	uint64_t since;	   /* ns since meta.start_ns when timing began */
};

/* One run of the command of a session recorded with --repeat: its samples
 * have times in [start, end). */
struct prof_run {
	uint64_t start, end; /* ns since meta.start_ns */
	bool exited;	     /* exit_status valid */
	int exit_status;
	int term_signal; /* ended by this signal, 0 if not */
};

struct prof_intern; /* hash tables, private to profile.c */

struct profile {
	struct prof_meta meta;

	struct prof_module *modules;
	size_t nmodules, modules_cap;
	struct prof_function *functions;
	size_t nfunctions, functions_cap;
	struct prof_line *lines;
	size_t nlines, lines_cap;
	struct prof_location *locations;
	size_t nlocations, locations_cap;
	struct prof_stack *stacks;
	size_t nstacks, stacks_cap;
	struct prof_sample *samples;
	size_t nsamples, samples_cap;
	struct prof_thread *threads;
	size_t nthreads, threads_cap;
	struct prof_mem_point *memory;
	size_t nmemory, memory_cap;

	/* Running totals over every sample added. */
	uint64_t total_weight;
	uint64_t truncated_samples;
	uint64_t total_samples; /* sum of count over the log (nsamples counts records) */

	/* Folding the log (bounded memory) replaces its oldest records by fewer
	 * summed ones; the records after them keep their order and move down.
	 * An incremental reader keeps an absolute position, index + log_shift:
	 * while it is at or past log_folded_abs it stays valid across folds;
	 * below it, or when log_epoch changed (profile_zero), start over. */
	uint64_t log_shift;	 /* records removed from the log by folding, in all */
	uint64_t log_folded_abs; /* absolute index where the folded records end */
	uint64_t log_epoch;	 /* bumped by profile_zero() */

	/* The target's captured output, and when each piece came: all of it,
	 * or within a budget its newest part (profile_drop_output): the bytes
	 * and the pieces dropped from the front so far. */
	char *output;
	size_t output_len, output_cap;
	struct prof_output_chunk *output_chunks;
	size_t noutput_chunks, output_chunks_cap;
	uint64_t output_dropped;      /* bytes (saved in sessions) */
	uint64_t output_chunks_shift; /* pieces: a writer's absolute piece = index + this */

	/* Saved source text, sorted by file (strcmp) then line; filled by
	 * session_load(), looked up with session_source_line(). */
	struct prof_source_line *sources;
	size_t nsources, sources_cap;

	/* Memory records in the order they came (profile_add_alloc), by id.
	 * Folding (bounded memory, profile_fold_allocs) replaces the freed
	 * ones among the oldest by fewer summed ones, each with its first
	 * record's id; the live ones stay whole. Records keep their order, so
	 * ids only grow along the array: a record's index is id - allocs_shift
	 * from allocs_folded_abs on, and found by bisection below it
	 * (profile_alloc_index). */
	struct prof_alloc *allocs;
	size_t nallocs, allocs_cap;
	uint64_t allocs_shift;	    /* records removed by folding, in all */
	uint64_t allocs_folded_abs; /* the id where the folded records end */

	/* --latency: per-call durations of probed functions. */
	struct prof_latency *latencies;
	size_t nlatencies, latencies_cap;

	/* record --repeat: the runs of the command, in order (none: one run,
	 * the whole profile). */
	struct prof_run *runs;
	size_t nruns, runs_cap;

	/* A cache of query.c's (the functions' alphabetical order), derived
	 * from the tables above; query.c owns it, profile_free frees it. */
	void *query_cache;
	void (*query_cache_free)(void *);

	struct prof_intern *intern;
};

struct profile *profile_new(void);
void profile_free(struct profile *p);

/* Intern a string; NULL stays NULL. */
const char *profile_str(struct profile *p, const char *s);

uint32_t profile_intern_module(struct profile *p, const char *path, const char *build_id);
/* Functions are keyed by (system_name, module, file), name standing in for a
 * NULL system_name; a new function has calls = -1. */
uint32_t profile_intern_function(struct profile *p, const char *name, const char *system_name,
				 const char *file, int start_line, uint32_t module);
/* How every report and view names function fn: its (demangled) name, else
 * its symbol name, else "[unknown]". A function without a symbol is
 * interned by the symbol reader under "module+0xoffset", so that form needs
 * no rule here. Never NULL; borrowed from the profile. */
const char *profile_function_name(const struct profile *p, uint32_t fn);
/* Kernel code's modules: "[kernel]", or "[kernel:MOD]" for a loadable
 * module (the collector names them; the views tell kernel time apart). */
#define PROF_KERNEL_MODULE "[kernel]"
bool profile_module_is_kernel(const char *path);
/* The module of fn as reports show it: its basename, or "[unknown]". */
const char *profile_module_name(const struct profile *p, uint32_t fn);
/* The location at (module, address), or PROF_NONE if not interned yet. */
uint32_t profile_find_location(const struct profile *p, uint32_t module, uint64_t address);
/* Intern (module, address) with its frames, innermost first. If the
 * location exists already, its id is returned and lines are ignored. */
uint32_t profile_intern_location(struct profile *p, uint32_t module, uint64_t address,
				 const struct prof_line *lines, size_t nlines);
/* Intern a stack given leaf first (locs[0] is where the sample hit).
 * More than PROF_MAX_DEPTH locations keep the leaf end. */
uint32_t profile_intern_stack(struct profile *p, const uint32_t *locs, size_t n);
void profile_add_sample(struct profile *p, uint64_t time, int32_t tid, uint32_t stack,
			uint64_t weight, uint32_t flags);
/* Append a record as it is (a folded one has count > 1; the loader of
 * sessions): totals grow by its count and weight. */
void profile_add_record(struct profile *p, const struct prof_sample *s);
/* Record or update a thread's process and name. */
void profile_set_thread(struct profile *p, int32_t tid, int32_t pid, const char *comm);
const struct prof_thread *profile_find_thread(const struct profile *p, int32_t tid);
void profile_add_memory(struct profile *p, uint64_t time, int32_t pid, uint64_t rss, uint64_t vms);
/* Append captured target output. */
void profile_add_output(struct profile *p, uint64_t time, const void *data, size_t len);
/* fn's latency record, created (empty, min_ns UINT64_MAX) on first use. */
struct prof_latency *profile_latency(struct profile *p, uint32_t fn);
/* fn's latency record, or NULL. */
const struct prof_latency *profile_find_latency(const struct profile *p, uint32_t fn);
/* Append a run (record --repeat). */
void profile_add_run(struct profile *p, const struct prof_run *run);

/* Append a memory record (free_time as given, usually PROF_ALLOC_LIVE;
 * a->id is ignored); returns its id, which stays valid until
 * profile_zero() (log_epoch): folding keeps live records whole. */
uint64_t profile_add_alloc(struct profile *p, const struct prof_alloc *a);
/* The id the next memory record will have. */
static inline uint64_t profile_alloc_next_id(const struct profile *p)
{
	return p->nallocs + p->allocs_shift;
}
/* The index of the first record whose id is id or more (nallocs: none). */
size_t profile_alloc_from(const struct profile *p, uint64_t id);
/* The index of record id in allocs, or SIZE_MAX if no record has that id
 * (folded into an earlier one, or not there). */
size_t profile_alloc_index(const struct profile *p, uint64_t id);
/* Record id was freed at time (ns since start); a second free is ignored. */
void profile_alloc_freed(struct profile *p, uint64_t id, uint64_t time);
/* Set module m's symbols_from (see prof_module). */
void profile_set_module_source(struct profile *p, uint32_t m, const char *from);

/* Names that arrive late (debug info fetched from debuginfod while the
 * run goes on): point location loc at new frames, innermost first, as
 * profile_intern_location would have made them. The location keeps its
 * id (stacks and samples stay valid); its old frames stay in p->lines,
 * unreferenced. Bumps the names epoch and logs loc. */
void profile_relabel_location(struct profile *p, uint32_t loc, const struct prof_line *lines,
			      size_t nlines);
/* Bumped by every relabel: whatever was derived from the frames of
 * locations (a live aggregate, the rows on screen) starts over when it
 * moved, as for log_epoch. */
uint64_t profile_names_epoch(const struct profile *p);
/* Every relabel so far, in order: the location ids (one may repeat). A
 * writer that wrote locations keeps its position in this log and rewrites
 * the frames of those it wrote already. Borrowed; *n entries. */
const uint32_t *profile_relabeled(const struct profile *p, size_t *n);

/* Forget every sample, memory point and memory record (the 'z' key);
 * interned tables stay. */
void profile_zero(struct profile *p);

/* ---- bounded memory (profile-fold.c) ---- */

/* Bytes held by the profile's tables, counted by their capacities: the
 * sample log, stacks, locations, lines, functions, modules, threads, memory
 * points, captured output, saved source lines, latency histograms, the
 * interned strings and the interning hash tables. Not counted: query.c's
 * derived cache and what callers allocate around the profile. */
size_t profile_memory_bytes(const struct profile *p);

/* Replace the log records [0, upto) by one record per (time interval, tid,
 * stack, flags), intervals being time / interval_ns: counts and weights
 * summed, the earliest time kept, the intervals in time order. The records
 * after upto move down; log_shift and log_folded_abs follow (profile.h's
 * rules), totals do not change. Returns how many records the folded part
 * has now. */
size_t profile_fold(struct profile *p, size_t upto, uint64_t interval_ns);

/* Drop the oldest pieces of captured output, whole, until at most keep
 * bytes stay (the newest piece stays even if longer); output_dropped and
 * output_chunks_shift count what went. */
void profile_drop_output(struct profile *p, size_t keep);

/* The first interval folded records stand for; coarsened by doubling when
 * the folded records alone pass their share of the budget. */
#define PROF_FOLD_INTERVAL_NS 1000000000ull

/* Fold records [0, upto) of the memory records: the freed ones (and page
 * faults) into one record per (interval of allocation, interval of free,
 * thread, stack, kind), bytes, allocations and sizes summed, allocated at
 * the first one's time and freed at the last one's free; live records
 * stay as they are. Returns the records left of the upto. */
size_t profile_fold_allocs(struct profile *p, size_t upto, uint64_t interval_ns);

/* The same for memory records, finer: a record's time of allocation and
 * of free are what its live bytes at a moment (the RSS peak's) are read
 * from, and program phases are often shorter than a second. */
#define PROF_ALLOC_FOLD_INTERVAL_NS 10000000ull

/* A memory budget (--max-memory) and what keeping it did. */
struct prof_budget {
	uint64_t max_bytes;	 /* 0: unbounded */
	uint64_t interval_ns;	 /* the folded records' interval now (0: not folded yet) */
	uint64_t peak_bytes;	 /* most profile_memory_bytes() seen by profile_keep_budget */
	uint64_t peak_log_bytes; /* of which the sample log's capacity, at most */
	uint64_t folds;		 /* times it folded */
	uint64_t alloc_interval_ns; /* the same for the memory records */
	uint64_t alloc_folds;
};

/* What a session file holds already, which may be folded in memory: the
 * sample log below absolute position samples, memory records below id
 * allocs (UINT64_MAX: no file, anything). */
struct prof_fold_safe {
	uint64_t samples, allocs;
};
typedef void (*prof_fold_sync)(void *arg, struct prof_fold_safe *safe);

/* Keep p within b: when the sample log would have to grow past what the
 * budget leaves it (the budget less every other table, at least an eighth
 * of it), fold its raw records but the newest quarter of its capacity,
 * coarsening the interval while the folded records alone pass an eighth of
 * that share; the memory records the same way (profile_fold_allocs).
 * Captured output past an eighth of the budget is cut to its newest
 * sixteenth (profile_drop_output). Call it after every batch of samples
 * or memory records. sync, when not NULL, is called first (only when
 * something is due) and says what may go (prof_fold_safe), e.g. what a
 * session file holds already; output goes only when the file holds the
 * whole log. Returns true if it folded or dropped. */
bool profile_keep_budget(struct profile *p, struct prof_budget *b, prof_fold_sync sync, void *arg);

/* One function frame of an expanded stack. */
struct prof_frame {
	uint32_t function;
	const char *file;
	int line;
	uint32_t location;
	bool inlined; /* this frame was inlined into the next (outer) one */
};

/* Expand a stack into function frames, innermost first (inline chains
 * expanded). Writes at most max frames, returns how many were written. */
size_t profile_stack_frames(const struct profile *p, uint32_t stack, struct prof_frame *out,
			    size_t max);
/* Upper bound on the frames profile_stack_frames() can return for any stack. */
size_t profile_max_frames(const struct profile *p);

#endif
