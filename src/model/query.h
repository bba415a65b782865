/* Tables over the profile: the function table, callers, callees, per-line
 * counts and the call tree. Plain C, no terminal: the TUI and `report`
 * render the same rows. Every query aggregates the sample log through a
 * filter (thread, time range), so "last N seconds" and per-thread views are
 * the same code as the whole-run view. */
#ifndef PROFTOP_QUERY_H
#define PROFTOP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

enum query_sort {
	SORT_CUMULATIVE, /* cumtime; aliases: cumulative cumtime cum */
	SORT_TOTTIME,	 /* own time; aliases: tottime total self time own */
	SORT_CALLS,	 /* exact call counts; aliases: calls ncalls */
	SORT_NAME,	 /* function name; aliases: name */
};

/* Parse a pstats sort name or alias, case-insensitive: cumulative cumtime cum |
 * tottime total self time own | calls ncalls | name. Returns 0, or -1 if unknown. */
int query_parse_sort(const char *s, enum query_sort *out);
const char *query_sort_name(enum query_sort s);

/* What a table counts. MEASURE_TIME (the default) sums the sample log.
 * The memory measures sum the memory records (profile.h's prof_alloc)
 * instead, through the same tables (functions, callers, callees, lines,
 * call tree): a row's self/total "ns" are then bytes (MEASURE_ALLOCS:
 * allocations), its samples the records; self is memory the function
 * allocated itself (innermost), total memory allocated with it anywhere
 * on the stack. */
enum query_measure {
	MEASURE_TIME = 0,
	MEASURE_ALLOC_BYTES,  /* heap and anonymous-mmap bytes allocated in the range */
	MEASURE_ALLOCS,	      /* allocations (heap and mmap) in the range */
	MEASURE_LIVE_BYTES,   /* of those, still live at the range's end (t_to; else now) */
	MEASURE_PEAK_BYTES,   /* of those, live at query_filter.at (the RSS peak) */
	MEASURE_LEAKED_BYTES, /* of those, never freed by a target that ended */
	MEASURE_FAULT_BYTES,  /* pages first touched in the range (RSS growth) */
};

struct query_filter {
	int32_t tid;	 /* 0: every thread */
	int32_t pid;	 /* 0: every process */
	uint64_t t_from; /* sample time >= t_from (ns since start) */
	uint64_t t_to;	 /* and < t_to; 0 means no upper bound */
	/* Inlined frames fold into the out-of-line function that holds them
	 * (--self-to function, perf's view without inlines): its self time
	 * and its rows. false: each inlined function is its own frame (leaf). */
	bool self_to_function;
	/* The wall clock: off-CPU records (PROF_SAMPLE_OFFCPU) count too.
	 * false: the CPU clock, on-CPU samples only. */
	bool wall;
	/* With wall: idle waits (PROF_SAMPLE_IDLE) count too (--idle). */
	bool idle;
	/* What the tables count (see enum query_measure); memory measures
	 * filter records by thread, process and allocation time as samples
	 * are filtered, and ignore wall and idle. The *_live queries answer
	 * memory measures from scratch. */
	enum query_measure measure;
	uint64_t at; /* MEASURE_PEAK_BYTES: the moment (ns since start) */
};

/* The filter applied one sample at a time, for code that walks the log
 * itself (exports): it remembers the last thread's process, since samples
 * come in runs of one thread. */
struct query_sample_filter {
	const struct query_filter *f; /* NULL: every sample passes */
	bool valid;
	int32_t tid, pid;
};

void query_sample_filter_init(struct query_sample_filter *sf, const struct query_filter *f);
bool query_sample_passes(const struct profile *p, struct query_sample_filter *sf,
			 const struct prof_sample *s);

/* A function's row. "self" is time with the function innermost (pstats
 * tottime, perf Self); "total" is time with it anywhere on the stack,
 * counted once per sample however deep it recurses (cumtime, perf Children). */
struct func_row {
	uint32_t function;
	uint64_t self_samples, total_samples;
	uint64_t self_ns, total_ns;
	double self_pct, total_pct; /* of the table's total_ns */
	int64_t calls;		    /* -1 when not counted */
	bool calls_lower_bound;
	/* functions table: samples that ran it as code inlined into another
	 * function (== total_samples: it never ran out of line) */
	uint64_t inlined_samples;
	/* functions table, wall clock: of total_ns, the time its threads were
	 * off the CPU (blocked or runnable) with it on the stack */
	uint64_t offcpu_ns;
};

struct func_table {
	struct func_row *rows;
	size_t n;
	uint64_t total_samples; /* samples that passed the filter */
	uint64_t total_ns;
	uint64_t truncated_samples;
};

/* Every function with at least one sample, sorted (descending; ties by
 * name); reverse inverts. */
void query_functions(const struct profile *p, const struct query_filter *f, enum query_sort sort,
		     bool reverse, struct func_table *out);
void func_table_free(struct func_table *t);

/* Functions whose name or system name equals name, or, failing that, whose
 * name starts with "name(" (C++ overloads) or matches "module:name".
 * Failing those, "FUNC@FILE:LINE" or "FUNC@FILE" is FUNC (any of the forms
 * above) declared in FILE (the file's path, or a tail of it after a '/',
 * such as its base name) at LINE; "FILE.py:FUNC" is FUNC@FILE.py. Writes
 * up to max ids; returns the number of matches (may exceed max). */
size_t query_find_function(const struct profile *p, const char *name, uint32_t *ids, size_t max);
/* The shortest of the forms above that selects fn alone (its name,
 * module:FUNC, FUNC@file, FUNC@file:line, its system name...), or the most
 * precise one if none does. malloc'd. */
char *query_function_selector(const struct profile *p, uint32_t fn);

/* Callers of fn: for each function directly outside an occurrence of fn,
 * total = time of samples through that edge (once per sample), self = time
 * of those samples where fn itself was innermost. Sorted by total. */
void query_callers(const struct profile *p, const struct query_filter *f, uint32_t fn,
		   struct func_table *out);
/* Callees of fn: functions directly inside fn; total = time spent in the
 * callee below fn, self = the callee's own time below fn. */
void query_callees(const struct profile *p, const struct query_filter *f, uint32_t fn,
		   struct func_table *out);

struct line_row {
	const char *file;
	int line;
	uint64_t self_samples, total_samples;
	uint64_t self_ns, total_ns;
	uint32_t inlined; /* a function inlined at this line (hottest), or PROF_NONE */
	uint32_t callee;  /* the hottest function called from this line, or PROF_NONE */
	/* of total: time in the kernel right at this line (a system call, a
	 * page fault, an interrupt): not a call, never the callee */
	uint64_t kernel_samples, kernel_ns;
};

struct line_table {
	uint32_t function;
	struct line_row *rows; /* sorted by file then line */
	size_t n;
	uint64_t self_samples, total_samples; /* of the function */
	uint64_t total_ns;		      /* the function's total time */
};

/* Per-line counts of fn: self when the line is executing in fn innermost,
 * total once per sample per line when fn is anywhere on the stack. */
void query_lines(const struct profile *p, const struct query_filter *f, uint32_t fn,
		 struct line_table *out);
void line_table_free(struct line_table *t);

struct tree_node {
	uint32_t function;		    /* PROF_NONE for the root */
	uint32_t parent;		    /* index in call_tree.nodes, PROF_NONE for the root */
	uint32_t first_child, next_sibling; /* PROF_NONE terminated; children by total desc */
	uint32_t depth;
	uint64_t self_samples, total_samples;
	uint64_t self_ns, total_ns;
};

struct call_tree {
	struct tree_node *nodes; /* nodes[0] is the root */
	size_t n;
	uint64_t total_ns;
};

/* The top-down call tree of function frames (inline frames included). */
void query_call_tree(const struct profile *p, const struct query_filter *f, struct call_tree *out);
void call_tree_free(struct call_tree *t);

/* The samples that pass f summed per distinct stack, for tables built
 * outside this file (the per-instruction counts of annotate). */
struct stack_total {
	uint32_t stack;
	uint64_t samples, ns;
};

/* Returns how many distinct stacks; *out is malloc'd (free() it). */
size_t query_stack_totals(const struct profile *p, const struct query_filter *f,
			  struct stack_total **out);

/* Live tables (query-live.c), for views refreshed while the log grows:
 * the same rows, in the same order, as query_functions, query_callers,
 * query_callees and query_call_tree, kept on the profile between calls
 * and brought up to date from the records appended since the last call
 * (across folds of the log, see profile.h), so that a refresh costs in
 * proportion to the new records and the functions whose sums changed, not
 * to the whole log: the functions table re-sorts only the rows whose keys
 * changed. A window whose start moves on ("last N seconds": t_from
 * growing, no t_to) takes back the records it left. Any other change of
 * the filter's thread, process, time range or self_to_function starts
 * over, as does a fold of the log under a time range; a change of sort or
 * of the clock (f->wall) re-sorts but keeps the sums. The profile is
 * logically const: only its query cache changes. Callers and callees look
 * only at the stacks holding fn; the call tree is built from the per-stack
 * sums (cost: the distinct stacks, not the records). */
void query_functions_live(const struct profile *p, const struct query_filter *f,
			  enum query_sort sort, bool reverse, struct func_table *out);
/* fn's row of query_functions_live's table; false (and a zeroed row with
 * fn's calls) when it has none. */
bool query_function_row_live(const struct profile *p, const struct query_filter *f, uint32_t fn,
			     struct func_row *out);
void query_callers_live(const struct profile *p, const struct query_filter *f, uint32_t fn,
			struct func_table *out);
void query_callees_live(const struct profile *p, const struct query_filter *f, uint32_t fn,
			struct func_table *out);
/* Node numbering may differ from query_call_tree's (a stack's first
 * record may have moved in a fold, or have been off-CPU); the tree, its
 * sums and its sibling order do not. */
void query_call_tree_live(const struct profile *p, const struct query_filter *f,
			  struct call_tree *out);

struct mem_summary {
	bool valid;
	uint64_t start_rss, peak_rss, end_rss;
	uint64_t start_vms, peak_vms, end_vms;
	uint64_t peak_rss_time, duration; /* ns */
	size_t points;
};

/* Summary of the memory timeline for pid (0: the sum over processes). */
void query_memory(const struct profile *p, int32_t pid, struct mem_summary *out);

/* The memory table (query-mem.c): per function, every memory measure of
 * enum query_measure at once, as the functions table gives time. Columns
 * are inclusive (memory allocated by the function or anything it called)
 * but self_allocated_bytes. */
struct mem_row {
	uint32_t function;
	uint64_t allocated_bytes, self_allocated_bytes;
	uint64_t allocations;
	uint64_t live_bytes;   /* live at the range's end */
	uint64_t peak_bytes;   /* live at the RSS peak (mem_table.peak_time) */
	uint64_t leaked_bytes; /* live when the target ended */
	uint64_t faulted_bytes;
	uint64_t records; /* memory records through this function */
};

enum mem_sort {
	MEM_SORT_ALLOCATED, /* allocated bytes (inclusive); aliases: allocated alloc bytes */
	MEM_SORT_SELF,	    /* self allocated bytes; aliases: self own */
	MEM_SORT_ALLOCS,    /* allocations; aliases: allocations allocs count */
	MEM_SORT_LIVE,	    /* live bytes; aliases: live */
	MEM_SORT_PEAK,	    /* live at the peak; aliases: peak */
	MEM_SORT_LEAKED,    /* leaked bytes; aliases: leaked leak */
	MEM_SORT_FAULTED,   /* faulted bytes; aliases: faulted faults rss */
	MEM_SORT_NAME,	    /* name */
};
int query_parse_mem_sort(const char *s, enum mem_sort *out);
const char *query_mem_sort_name(enum mem_sort s);

struct mem_table {
	struct mem_row *rows; /* functions with a record in f's range, sorted (descending; ties by name) */
	size_t n;
	struct mem_row total; /* over the records that passed f (function PROF_NONE) */
	uint64_t peak_time;   /* the RSS peak within f's range (ns since start) */
	bool peak_known;      /* the memory timeline has a point in the range */
	bool ended;	      /* the target ended: leaked_bytes mean something */
};

/* f->measure and f->at are ignored (the table sets them per column). */
void query_mem_table(const struct profile *p, const struct query_filter *f, enum mem_sort sort,
		     bool reverse, struct mem_table *out);
void mem_table_free(struct mem_table *t);

/* One process of the target (a launched program's children and exec'd
 * programs are processes of their own). In query-process.c. */
struct proc_row {
	int32_t pid;
	const char *comm; /* its main thread's name (the program, after exec) */
	uint32_t threads; /* threads with samples that passed the filter */
	uint64_t samples, ns;
	double pct;	       /* of the table's total_ns */
	uint32_t top_function; /* the most self time in this process, or PROF_NONE */
	uint64_t top_ns;       /* that function's self time here */
};

struct proc_table {
	struct proc_row *rows; /* by ns, descending (ties by pid) */
	size_t n;
	uint64_t total_samples, total_ns;
};

void query_processes(const struct profile *p, const struct query_filter *f, struct proc_table *out);
void proc_table_free(struct proc_table *t);

/* One thread with its samples (the thread picker). In query-thread.c. */
struct thread_row {
	int32_t tid, pid;
	const char *comm; /* its name, or NULL if the profile never learnt it */
	uint64_t samples, ns;
	double pct; /* of the table's total_ns */
};

struct thread_table {
	struct thread_row *rows; /* by ns, descending (ties by tid) */
	size_t n;
	uint64_t total_samples, total_ns;
};

/* Every thread of the profile, those without samples too, with the
 * samples that pass f's time range and process (f->tid is ignored: the
 * table is for choosing one). */
void query_threads(const struct profile *p, const struct query_filter *f, struct thread_table *out);
void thread_table_free(struct thread_table *t);

#endif
