/* The ptrace backend's insides, shared by sampler-ptrace.c (events and
 * sampling) and sampler-ptrace-attach.c (seizing, detaching, and saying
 * why the kernel refused). */
#ifndef PROFTOP_SAMPLER_PTRACE_INT_H
#define PROFTOP_SAMPLER_PTRACE_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>

#include <libunwind.h>

#include "loop.h"
#include "sampler.h"
#include "unwind.h"

#define PT_OPTIONS                                                                             \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | \
	 PTRACE_O_TRACEEXIT)
#define PT_MAX_FRAMES 511
/* The stack copy is read in pieces that never cross a page. */
#define PT_PAGE	      4096u
#define PT_STACK_IOVS 32
/* How long a tick waits for the threads it interrupted to stop. */
#define PT_STOP_WAIT_NS 20000000ull
/* How long detaching waits for every thread to stop before giving up. */
#define PT_DETACH_WAIT_MS 3000

struct pt_thread {
	pid_t tid, pid;
	int sched_fd, stat_fd; /* /proc/PID/task/TID/{schedstat,stat}, -1 if not open */
	uint64_t cpu_ns;       /* schedstat run time when the last sample was asked for */
	uint64_t weight;       /* CPU ns of the sample asked for */
	void *upt;	       /* libunwind-ptrace's per-thread state, made on first use */
	unsigned nsamples;
	bool want_sample; /* interrupted for a sample; its stop has not come yet */
	bool listening;	  /* in a group-stop (PTRACE_LISTEN): not running */
	/* The wall clock (cfg.offcpu): */
	bool want_wait;	   /* the sample asked for is of a blocked thread */
	bool waiting;	   /* a wait reported (off_cpu) and not yet ended */
	uint64_t wait_cpu; /* schedstat run time when the wait was seen begun */
	uint64_t wait_since; /* when it began, as estimated (CLOCK_MONOTONIC ns) */
	uint64_t seen_ns;  /* the last tick that looked at the thread */
	uint64_t rq_ns;	   /* schedstat run-queue time at the last sample */
	uint64_t rq_weight; /* run-queue ns before the sample asked for */
	uint64_t wait_sp, wait_pc; /* user sp and pc of the wait (its stop's) */
	long wait_nr;		   /* its system call */
	char comm[16];
};

struct pt_process {
	pid_t pid;
	unw_addr_space_t as; /* one per process, its cache shared by the threads */
};

struct sampler {
	struct sampler_config cfg;
	pid_t child; /* launched: our own child, whose exit is ours to reap; else 0 */
	struct pt_thread *threads;
	size_t nthreads, threads_cap;
	struct pt_process *procs;
	size_t nprocs, procs_cap;
	int timerfd, sigfd;
	sigset_t oldmask; /* SIGCHLD's blocked state before we blocked it */
	bool enabled;
	size_t npending;  /* threads with want_sample */
	uint64_t held_ns; /* time threads were held for samples */
	bool told_tracer; /* said that a program tracing others runs unprofiled */
	uint64_t lost;	  /* samples asked for that did not come (thread gone, no stack) */
	uint64_t chain[PT_MAX_FRAMES + 1];
	uint64_t capture[2048]; /* cfg.capture's copy for the sample being taken */
	/* With cfg.dwarf: the registers and stack copy of the last sample
	 * taken, which the collector unwinds as it does perf's. */
	struct unwind_snapshot snap;
	uint8_t *stack; /* cfg.stack_size bytes */
	/* Registers of the thread whose stop is being handled (read to keep
	 * its system call), 0: none. */
	struct user_regs_struct stop_regs;
	pid_t stop_regs_tid;
};

/* ptrace(2) with integer arguments. */
long pt_request(int req, pid_t tid, unsigned long addr, unsigned long data);

int pt_open_task_file(pid_t pid, pid_t tid, const char *name);
/* The state letter of the thread's /proc stat ('R', 'S', ...), '?' if unreadable. */
char pt_read_state(const struct pt_thread *t);
/* "Tgid:" and "PPid:" of /proc/TID/status (any thread id). */
bool pt_read_ids(pid_t tid, pid_t *tgid, pid_t *ppid);

struct pt_thread *pt_find_thread(struct sampler *s, pid_t tid);
/* Track a traced thread; its CPU counts from now on (an existing thread)
 * or from its start (one created while we trace). May move s->threads. */
struct pt_thread *pt_add_thread(struct sampler *s, pid_t pid, pid_t tid, bool from_start);
/* Forget t (moves the last thread into its place). */
void pt_drop_thread(struct sampler *s, struct pt_thread *t);
/* Before letting a stopped thread go: a system call that our stop broke
 * off with EINTR restarts as if we had never been there. */
void pt_keep_syscall(pid_t tid, int status);
/* Wait for SIGCHLD up to deadline (CLOCK_MONOTONIC ns); false if it passed. */
bool pt_wait_sigchld(struct sampler *s, uint64_t deadline);

/* In sampler-ptrace-attach.c: */
/* Seize every thread of pid. 0, or -1 with a one-line err saying why and
 * what to do. */
int pt_seize_process(struct sampler *s, pid_t pid, char *err, size_t errlen);
/* Whether pid's program traces processes itself (calls ptrace(), or
 * carries LeakSanitizer): the ptrace backend must let it go. */
bool pt_program_traces(pid_t pid);
/* Detach from every thread, leaving each as it was. */
void pt_detach_all(struct sampler *s);

#endif
