/* Python frames: the Python stack of a sampled CPython 3.11-3.13 thread,
 * read from the target's memory, merged into the native stack. Each
 * native _PyEval_EvalFrameDefault frame is replaced by the Python frames
 * it was running (innermost first); the C frames of extensions stay under
 * the Python function that called them.
 *
 * A Python function is interned as (co_qualname, system name NULL,
 * co_filename, co_firstlineno, module "[python]"), one location per
 * (function, line) — the convention call counting shares. */
#ifndef PROFTOP_PYTHON_H
#define PROFTOP_PYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmap.h"
#include "profile.h"

struct py_span;

/* --python-frames: Python and native frames merged (the default), Python
 * frames only, or the native stack as sampled. */
enum python_frames { PYTHON_FRAMES_MIXED, PYTHON_FRAMES_PYTHON, PYTHON_FRAMES_NATIVE };

#define PYTHON_MODULE "[python]"

struct python_stats {
	uint64_t samples; /* samples of a thread running Python code */
	/* The Python chain's eval-loop calls did not match the native stack's
	 * eval loops (it changed between the sample and the read): the groups
	 * matched from the root, the innermost left native or dropped. */
	uint64_t inconsistent;
	uint64_t unreadable;	     /* the Python stack could not be read: native kept */
	uint64_t captured;	     /* frame chains read at sample time */
	uint64_t lag_ns, lag_max_ns; /* from the sample to the start of that read: sum, most */
	uint64_t late;		     /* stacks read when the sample was processed, not taken */
	uint64_t capture_ns;	     /* time spent reading frame chains at sample time */
	uint64_t read_ns;	     /* time spent in python_merge (late reads, code objects) */
	/* off-CPU samples (wall clock) whose thread was no longer blocked where
	 * it was sampled when its frames were read, or with none read: kept
	 * native */
	uint64_t stale;
	/* sampled allocations with a Python frame whose code could not be
	 * read any more (freed, or the program had ended, before proftop read
	 * the allocation): that frame named as freed */
	uint64_t alloc_native;
};

struct python;

/* p is borrowed; messages (unsupported version, ...) go to warnx_ once. */
struct python *python_new(struct profile *p, enum python_frames mode);
void python_free(struct python *py);
/* pid exec'd or ended: what was known of its interpreter is forgotten. */
void python_forget(struct python *py, pid_t pid);

/* At sample time, thread tid of pid stopped (the ptrace backend) or just
 * sampled (the perf backend's reader thread: this one function may be
 * called from another thread): copy its Python frame chain into buf (len
 * bytes, opaque); time: the sample's (CLOCK_MONOTONIC ns). Returns the bytes used, 0 if the thread
 * runs no CPython found so far by python_merge. */
size_t python_capture(struct python *py, pid_t pid, pid_t tid, uint64_t time, void *buf,
		      size_t len);
/* Whether what python_capture copied says the thread held the GIL then
 * (CPython 3.11-3.13's GIL locked with it as the last holder). */
bool python_capture_gil(const void *captured, size_t len);

/* The stack of a sample of thread tid in ps with Python frames: locs (n
 * resolved native locations, innermost first) when the thread runs no
 * Python or the mode is native; else a buffer of the python object's, valid until the next call. *n
 * is updated. captured: what python_capture took at sample time, or NULL (the chain is then read
 * now). A truncated native stack (fewer eval loops than Python's) keeps its Python frames, the
 * groups it lacks placed at its root end. late_ok false (an off-CPU
 * sample, whose wait may have ended since): no reading now, native frames
 * when nothing usable was captured (python_stats.stale). */
const uint32_t *python_merge(struct python *py, const struct proc_space *ps, pid_t tid,
			     const uint32_t *locs, size_t *n, bool truncated, const void *captured,
			     size_t captured_len, bool late_ok);

/* python_merge for a sampled allocation's stack, captured: what the
 * allocation tracker copied in the target (struct allocring_pyframes),
 * never read late; counted in no python_stats. */
const uint32_t *python_merge_alloc(struct python *py, const struct proc_space *ps, pid_t tid,
				   const uint32_t *locs, size_t *n, bool truncated,
				   const void *captured, size_t captured_len);
/* What the allocation tracker needs to copy the Python frames of ps's
 * threads itself (allocring.h), once ps's CPython has been found; false
 * before, or for no (supported) CPython. */
struct allocring_py;
/* The code object at code in ps's process as the allocation tracker
 * copied it (n spans of its memory: allocring.h, ALLOCRING_CODE): the
 * allocations read after this that name code ran it. */
void python_code_copy(struct python *py, const struct proc_space *ps, uint64_t code,
		      const struct py_span *spans, size_t n);
bool python_alloc_layout(struct python *py, const struct proc_space *ps,
			 struct allocring_py *out);

const struct python_stats *python_stats(const struct python *py);
/* An off-CPU sample of a Python thread kept native: its frames were read
 * after the wait it was taken at had ended (python_stats.stale). */
void python_note_stale(struct python *py);
/* Whether the command to launch (argv: a python executable or a script
 * whose #! line names python) or a process to attach to (its executable or
 * a mapped libpython) looks like CPython: the perf reader is then woken at
 * every sample, so that the Python frames are read right after it. */
bool python_target_likely(char *const *argv, const pid_t *pids, size_t npids);
/* With PROFTOP_PYTHON_STATS set in the environment: the counts above on
 * stderr, one line (bench and tests read it). */
void python_report_stats(const struct python *py, const char *backend);

#endif
