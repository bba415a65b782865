/* The sampling backend interface: a small const vtable. A backend opens
 * its events on the target's threads, exposes fds to poll, and drains what
 * arrived into a sink, in time order. */
#ifndef PROFTOP_SAMPLER_H
#define PROFTOP_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "unwind.h"

struct raw_sample {
	pid_t pid, tid;
	uint64_t time;	 /* CLOCK_MONOTONIC ns */
	uint64_t period; /* CPU ns */
	uint64_t ip;
	bool kernel;		   /* the IP is in the kernel; regs/stack are the user state */
	const uint64_t *callchain; /* frame-pointer chain (user part), or NULL */
	size_t nchain;
	bool truncated;	     /* the callchain stops short of the stack's root */
	bool have_user_regs; /* snapshot holds user registers and stack */
	struct unwind_snapshot snap;
	/* Off-CPU samples only: the kernel's callchain at the switch (innermost
	 * first, PERF_CONTEXT_* markers removed), when kernel samples are allowed. */
	const uint64_t *kchain;
	size_t nkchain;
	/* Off-CPU samples only: the system call the thread waits in, when the
	 * backend knows it (ptrace: the stop's orig_rax), else NULL. */
	const char *why;
	/* What sampler_config.capture copied at sample time, or NULL. */
	const void *capture;
	size_t capture_len;
};

/* What a backend reports; every callback may be NULL. */
struct sampler_sink {
	void *ctx;
	void (*sample)(void *ctx, const struct raw_sample *s);
	void (*mmap)(void *ctx, pid_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
		     uint32_t prot, const char *path);
	void (*comm)(void *ctx, pid_t pid, pid_t tid, const char *comm, bool exec);
	void (*fork)(void *ctx, pid_t pid, pid_t ppid, pid_t tid, pid_t ptid);
	void (*exit)(void *ctx, pid_t pid, pid_t tid);
	void (*lost)(void *ctx, uint64_t n);
	/* A process the backend waited for ended with this wait status (the
	 * ptrace backend reaps its tracees: the target cannot). */
	void (*reaped)(void *ctx, pid_t pid, int status);
	/* The wall clock (sampler_config.offcpu): a thread is leaving the CPU;
	 * s holds its stack at that moment (s->period is meaningless). */
	void (*off_cpu)(void *ctx, const struct raw_sample *s);
	/* A page-fault sample (sampler_config.fault_period): s holds the
	 * faulting thread's user stack; s->period is the faults it stands for. */
	void (*fault)(void *ctx, const struct raw_sample *s);
	/* A thread left the CPU (out; preempted: it was still runnable) or came
	 * back to it (!out) at time (CLOCK_MONOTONIC ns). */
	void (*sched_switch)(void *ctx, pid_t pid, pid_t tid, uint64_t time, bool out,
			     bool preempted);
};

struct sampler_config {
	unsigned freq;	     /* Hz; 0: no CPU samples (perf: the clock event for its side band) */
	unsigned stack_size; /* bytes of user stack per sample (dwarf) */
	bool dwarf;	     /* sample registers and stack (else the fp callchain only) */
	bool launch;	     /* events start disabled and enable on exec */
	/* The wall clock: also a sample at every switch out of the CPU and the
	 * switch records (off_cpu, sched_switch). A backend without them fails
	 * open() with EOPNOTSUPP. */
	bool offcpu;
	/* Also sample page faults, one every fault_period (0: none), with the
	 * user stack (sink.fault). */
	unsigned fault_period;
	/* Called at sample time (time: the sample's, CLOCK_MONOTONIC ns) while
	 * the thread is stopped (ptrace), or as the reader thread copies the
	 * sample (perf; from that thread): copy what the sample needs of the
	 * thread's memory (Python frames) into buf, at most len bytes; returns
	 * the bytes used. NULL: nothing. */
	size_t (*capture)(void *arg, pid_t pid, pid_t tid, uint64_t time, void *buf, size_t len);
	void *capture_arg;
	bool capture_soon; /* perf: wake the reader at every sample, so that capture
			    * runs right after it (else at a ring's watermark) */
};

struct sampler;

struct sampler_ops {
	const char *name;
	/* The backend traces the target: it alone may wait for the target's
	 * processes (see target_set_traced), and reports their end. */
	bool traces;
	/* Open events on every thread of pids (and, through inheritance, on
	 * threads and children created later). 0, or -1 with a one-line
	 * message in err. */
	int (*open)(struct sampler **out, const struct sampler_config *cfg, const pid_t *pids,
		    size_t npids, char *err, size_t errlen);
	/* Fds to poll for input. */
	size_t (*fds)(struct sampler *s, int *fds, size_t max);
	/* Deliver pending records to the sink; stop after about budget_ns of
	 * work. Returns true if data remains. */
	bool (*drain)(struct sampler *s, const struct sampler_sink *sink, uint64_t budget_ns);
	void (*enable)(struct sampler *s, bool on);
	void (*close)(struct sampler *s);
	/* Samples the kernel has been asked for but dropped, so far. */
	uint64_t (*lost)(struct sampler *s);
	/* Whether kernel-mode samples are included (exclude_kernel off). */
	bool (*kernel_included)(struct sampler *s);
	/* Time the target's threads were held stopped for samples, so far
	 * (ptrace); NULL when sampling does not stop them. */
	uint64_t (*held_ns)(struct sampler *s);
	/* The time (CLOCK_MONOTONIC ns) up to which every record, maps and
	 * execs included, has been delivered: later ones may wait for the
	 * next drain, to be delivered in time order. NULL: all delivered. */
	uint64_t (*ordered_to)(struct sampler *s);
};

extern const struct sampler_ops sampler_perf_ops;
extern const struct sampler_ops sampler_ptrace_ops;

#endif
