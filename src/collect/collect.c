#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "allocring.h"
#include "calls.h"
#include "collect.h"
#include "names-fetch.h"
#include "jitmap.h"
#include "memtrack.h"
#include "offcpu.h"
#include "procmap.h"
#include "python.h"
#include "sampler.h"
#include "symbols.h"
#include "unwind.h"
#include "xalloc.h"

#define TICK_MS	      100
#define MAX_FRAMES    512
#define PC_CACHE_BITS 16

/* Resolved (pid, pc) -> location, valid while the space's maps are
 * unchanged: a hot loop costs one lookup here instead of a map search and
 * a profile hash probe per frame. */
struct pc_cache_slot {
	uint64_t pc;
	pid_t pid;
	unsigned generation;
	unsigned jit_generation; /* of the JIT maps (jit_generation) */
	uint32_t loc;
};

/* An address in code no file backs, not named by a JIT map when first
 * seen: a JIT may buffer what it writes (V8 writes its jitdump 2 MiB at a
 * time) or make its map later, so the location is named in place when the
 * process ends, if a map names it then. */
struct jit_unnamed {
	uint32_t loc;
	pid_t pid;
	uint64_t pc;
};

struct reload_note {
	pid_t pid;
	unsigned generation;
	uint64_t at_ns;	   /* loop_now_ns() of the reload */
	uint64_t vm_pages; /* the process's size then (statm), 0: unknown */
};

/* Without mapping events (the ptrace backend), a library mapped after a
 * reload (dlopen, or ld.so still mapping libc) is seen only by the next
 * one: allowed again after RELOAD_AGAIN_NS, or RELOAD_SOON_NS once the
 * process's size has changed (it mapped something). Waiting the whole
 * RELOAD_AGAIN_NS named a launched program's first 0.1 s of samples
 * [unknown] when ld.so mapped libc just after the first reload, a wait
 * begun then (one record for all of it) with them. */
#define RELOAD_AGAIN_NS 100000000ull
#define RELOAD_SOON_NS	1000000ull

/* A thread's last off-CPU stack: one that blocks again at the same place
 * (same registers, the same return addresses in the same stack slots, the
 * same maps) unwinds the same, so the unwind is skipped (a pipe ping-pong
 * blocks at one place 50,000 times a second; its locals change, so the
 * stack bytes as a whole do not repeat). */
#define OFFCPU_MEMO 256
#define MEMO_BP	    6 /* PERF_REG_X86_BP, SP, IP */
#define MEMO_SP	    7
#define MEMO_IP	    8
struct offcpu_memo {
	pid_t tid, pid;
	unsigned generation;
	uint64_t ip, sp, bp; /* what the frames' addresses depend on, besides the slots */
	uint32_t *locs;
	uint64_t *pcs;	/* the return addresses, pcs[i] at stack offset slot[i] */
	uint32_t *slot; /* (i >= 1) */
	size_t n, cap;
	bool truncated, valid;
};

/* In wall mode, after the Python frames of a capture: where the thread
 * was blocked (its user stack pointer and program counter, from
 * /proc/PID/task/TID/syscall) just before and just after they were read;
 * 0 when it was running. An off-CPU sample's Python frames are its own
 * only if the thread was still blocked where the sample caught it
 * (capture_stale): a short wait may be over by the time the perf reader
 * gets to the record, the thread computing in another function. */
struct blocked_at {
	uint64_t sp[2], pc[2];
};

/* Where each return address of an unwind was read: the first slot at or
 * after the previous one that holds it. false if one is not in the copy. */
static bool memo_slots(struct offcpu_memo *m, const struct unwind_snapshot *snap)
{
	size_t off = 0;

	for (size_t i = 1; i < m->n; i++) {
		uint64_t v;

		for (; off + 8 <= snap->stack_len; off += 8) {
			memcpy(&v, snap->stack + off, 8);
			if (v == m->pcs[i])
				break;
		}
		if (off + 8 > snap->stack_len)
			return false;
		m->slot[i] = (uint32_t)off;
		off += 8;
	}
	return true;
}

static bool memo_hit(const struct offcpu_memo *m, const struct raw_sample *s, unsigned generation)
{
	if (!m->valid || m->tid != s->tid || m->pid != s->pid || m->generation != generation ||
	    m->ip != s->snap.regs[MEMO_IP] || m->sp != s->snap.regs[MEMO_SP] ||
	    m->bp != s->snap.regs[MEMO_BP])
		return false;
	for (size_t i = 1; i < m->n; i++) {
		uint64_t v;

		if (m->slot[i] + 8 > s->snap.stack_len)
			return false;
		memcpy(&v, s->snap.stack + m->slot[i], 8);
		if (v != m->pcs[i])
			return false;
	}
	return true;
}

struct collector {
	struct collect_config cfg; /* a copy: argv and pids owned */
	/* per location: 0 not looked at, 1 not the tracker's, 2 an allocation
	 * function it interposes, 3 the tracker's own work (tracker_kind) */
	uint8_t *tracker_kind;
	size_t tracker_kind_cap;
	struct profile *prof;
	struct target target;
	const struct sampler_ops *ops;
	struct sampler *sampler;
	struct procmap *pm;
	struct unwinder *uw;
	struct symbols *sym;
	struct jit *jit; /* the JIT maps of the target's processes */
	struct jit_unnamed *unnamed;
	size_t nunnamed, unnamed_cap;
	struct memtrack mem;
	int timerfd;
	uint64_t deadline_ns; /* 0: none */
	bool started, finished, interrupted, deadline_hit;
	pid_t *dead; /* processes that exited; their maps are dropped after the drain */
	size_t ndead, dead_cap;
	struct reload_note reloads[64];
	struct pc_cache_slot *pc_cache;
	enum collect_output out_mode;
	bool pass_stdin;
	int pty_master; /* the target's output, -1 if not captured */
	bool pty_idle;	/* every slave fd is closed (reads fail with EIO) */
	bool paused;
	long live_tasks;      /* threads and processes the target created, less those that ended */
	bool priority_raised; /* see raise_priority */
	struct calls *calls;  /* --calls, --latency: uprobes; NULL if neither */
	/* --max-memory: the budget kept after every drain, and what may be folded */
	struct prof_budget budget;
	prof_fold_sync fold_sync;
	void *fold_arg;
	/* --clock wall: the waits in progress, and the last off-CPU unwinds
	 * (OFFCPU_MEMO of them, by tid); else NULL */
	struct offcpu *offcpu;
	struct offcpu_memo *memo;
	/* Page faults (cfg.fault_period): each thread's last unwound stack
	 * (OFFCPU_MEMO of them, by tid: a loop touching pages faults at one
	 * instruction, from one stack), and the record of the faults seen in
	 * a row from one stack, added to the profile at the end of a drain. */
	struct offcpu_memo *fault_memo;
	struct prof_alloc fault_run;
	bool have_fault_run;
	struct python *py;    /* Python frames; NULL with --python-frames=native */
	/* debuginfod: late names (NULL: off); any since collector_names_changed() */
	struct names_fetch *names;
	bool names_changed;
	struct alloc_tracker *alloc; /* a launched target's allocations; NULL if not tracked */
	uint64_t dead_mark;	     /* the ring's head when the dead were seen; 0: none */
};

/* A deep copy of argv (NULL-terminated), or NULL. */
static char **argv_dup(char **argv)
{
	size_t n = 0;
	char **copy;

	if (!argv)
		return NULL;
	while (argv[n])
		n++;
	copy = xcalloc(n + 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(argv[i]);
	return copy;
}

struct collector *collector_new(const struct collect_config *cfg, struct profile *p)
{
	struct collector *c = xcalloc(1, sizeof(*c));
	pid_t *pids = NULL;

	c->cfg = *cfg;
	c->cfg.argv = argv_dup(cfg->argv);
	if (cfg->npids) {
		pids = xcalloc(cfg->npids, sizeof(*pids));
		memcpy(pids, cfg->pids, cfg->npids * sizeof(*pids));
	}
	c->cfg.pids = pids;
	/* calls_new copies what it keeps of cfg->calls */
	c->cfg.calls.count = c->cfg.calls.latency = NULL;
	c->prof = p;
	c->ops = &sampler_perf_ops;
	c->pm = procmap_new();
	c->uw = unwinder_new(c->pm);
	c->sym = symbols_new(p);
	c->jit = jit_new();
	c->calls = calls_new(&cfg->calls, p, c->pm, c->sym);
	if (cfg->wall) {
		c->offcpu = offcpu_new(p, c->sym);
		offcpu_set_live(c->offcpu, cfg->live);
		c->memo = xcalloc(OFFCPU_MEMO, sizeof(*c->memo));
	}
	if (cfg->fault_period)
		c->fault_memo = xcalloc(OFFCPU_MEMO, sizeof(*c->fault_memo));
	if (cfg->python_frames != PYTHON_FRAMES_NATIVE)
		c->py = python_new(p, cfg->python_frames);
	c->timerfd = -1;
	c->pty_master = -1;
	c->target.pidfd = c->target.go_fd = c->target.err_fd = -1;
	c->pc_cache = xcalloc(1u << PC_CACHE_BITS, sizeof(*c->pc_cache));
	c->budget.max_bytes = cfg->max_memory;
	memtrack_init(&c->mem);
	return c;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	if (c->sampler)
		c->ops->close(c->sampler);
	if (c->timerfd >= 0)
		close(c->timerfd);
	if (c->pty_master >= 0)
		close(c->pty_master);
	target_free(&c->target);
	calls_free(c->calls); /* uses sym and pm */
	offcpu_free(c->offcpu);
	for (size_t i = 0; c->memo && i < OFFCPU_MEMO; i++) {
		free(c->memo[i].locs);
		free(c->memo[i].pcs);
		free(c->memo[i].slot);
	}
	free(c->memo);
	for (size_t i = 0; c->fault_memo && i < OFFCPU_MEMO; i++) {
		free(c->fault_memo[i].locs);
		free(c->fault_memo[i].pcs);
		free(c->fault_memo[i].slot);
	}
	free(c->fault_memo);
	python_free(c->py);
	names_fetch_free(c->names); /* before sym, which it uses */
	alloc_tracker_free(c->alloc);
	symbols_free(c->sym);
	jit_free(c->jit);
	free(c->unnamed);
	free(c->tracker_kind);
	unwinder_free(c->uw);
	procmap_free(c->pm);
	memtrack_free(&c->mem);
	free(c->dead);
	free(c->pc_cache);
	for (size_t i = 0; c->cfg.argv && c->cfg.argv[i]; i++)
		free(c->cfg.argv[i]);
	free((void *)c->cfg.argv);
	free((void *)c->cfg.pids);
	free(c);
}

struct calls *collector_calls(struct collector *c)
{
	return c->calls;
}

const struct target *collector_target(const struct collector *c)
{
	return &c->target;
}

static uint64_t rel_time(const struct collector *c, uint64_t t)
{
	return t > c->prof->meta.start_ns ? t - c->prof->meta.start_ns : 0;
}

static void note_thread(struct collector *c, pid_t pid, pid_t tid)
{
	char path[64], comm[64] = "";
	FILE *f;

	if (profile_find_thread(c->prof, tid))
		return;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	profile_set_thread(c->prof, tid, pid, comm[0] ? comm : "?");
}

/* An address is in no known mapping: the process may have mapped something
 * we have no record of yet. Re-read its maps, once per maps generation
 * (with ptrace: see RELOAD_AGAIN_NS). */
static bool maybe_reload(struct collector *c, struct proc_space *ps)
{
	struct reload_note *r = &c->reloads[(unsigned)ps->pid % 64];
	bool ptrace = c->ops == &sampler_ptrace_ops;
	bool again = r->pid == ps->pid && r->generation == ps->generation;
	uint64_t now = loop_now_ns();
	unsigned long long pages = 0, resident;

	if (again && (!ptrace || now - r->at_ns < RELOAD_SOON_NS))
		return false;
	/* (the size read before the maps: a mapping in between is seen as a
	 * change next time, not missed) */
	if (ptrace && memtrack_statm(ps->pid, &pages, &resident) < 0)
		pages = 0;
	if (again && now - r->at_ns < RELOAD_AGAIN_NS && (!pages || pages == r->vm_pages))
		return false;
	procmap_reload(c->pm, ps);
	unwinder_flush(c->uw, ps);
	r->pid = ps->pid;
	r->generation = ps->generation;
	r->at_ns = now;
	r->vm_pages = pages;
	return true;
}

/* An address no ELF file backs: named by the process's JIT if its perf map
 * or jitdump says what is there. *cache: false when a JIT map might name it
 * later (it grows as code is made). */
static uint32_t resolve_unbacked(struct collector *c, struct proc_space *ps,
				 const struct map_entry *m, uint64_t pc, bool is_return,
				 uint64_t when, bool *cache)
{
	size_t nlocations = c->prof->nlocations;
	const struct jitmap *jm;
	const struct jit_code *code = NULL;
	uint32_t loc;

	/* code is executable; an address in no known mapping may be new code */
	if (!m || (m->prot & PROT_EXEC))
		code = jit_lookup(c->jit, ps, pc, when, &jm);
	if (code)
		return symbols_jit_location(c->sym, jm, code, pc, is_return);
	*cache = !jit_known(c->jit, ps->pid);
	loc = symbols_unknown_location(c->sym, pc, m ? m->name : NULL);
	/* (a map that appears later is read with a new jit_generation, which
	 * the cache checks; these samples are named when the process ends) */
	if ((!m || (m->prot & PROT_EXEC)) && c->prof->nlocations > nlocations) {
		c->unnamed = xgrow(c->unnamed, &c->unnamed_cap, c->nunnamed + 1,
				   sizeof(*c->unnamed));
		c->unnamed[c->nunnamed++] = (struct jit_unnamed){loc, ps->pid, pc};
	}
	return loc;
}

/* Process pid ended (or the run did, or it exec'd): what its JIT maps
 * name now of the addresses they did not name before is named in place;
 * the others stay unnamed (pid may be another process's next). */
static void jit_name_late(struct collector *c, pid_t pid)
{
	struct proc_space *ps = procmap_lookup(c->pm, pid);
	bool known = ps && jit_known(c->jit, pid);
	size_t kept = 0;

	if (known)
		jit_refresh(c->jit, pid);
	for (size_t i = 0; i < c->nunnamed; i++) {
		struct jit_unnamed *u = &c->unnamed[i];
		const struct jit_code *code = NULL;
		const struct jitmap *jm;

		if (u->pid != pid) {
			c->unnamed[kept++] = *u;
			continue;
		}
		if (known)
			code = jit_lookup(c->jit, ps, u->pc, UINT64_MAX, &jm);
		if (code)
			symbols_jit_rename(c->sym, u->loc, jm, code, u->pc);
	}
	c->nunnamed = kept;
}

/* The location of pc in ps; when: the time of the stack it is in (JIT
 * code as it was then; UINT64_MAX: as it is now). */
static uint32_t resolve_pc(struct collector *c, struct proc_space *ps, uint64_t pc, bool is_return,
			   uint64_t when)
{
	uint64_t key = pc ^ ((uint64_t)is_return << 63);
	uint64_t h = (key ^ ((uint64_t)ps->pid << 32)) * 0x9e3779b97f4a7c15ull;
	struct pc_cache_slot *slot = &c->pc_cache[h >> (64 - PC_CACHE_BITS)];
	unsigned jit_gen = jit_generation(c->jit);
	const struct map_entry *m;
	bool cache = true;
	uint64_t vaddr;
	uint32_t loc;

	if (slot->pc == key && slot->pid == ps->pid && slot->generation == ps->generation &&
	    slot->jit_generation == jit_gen && slot->loc != PROF_NONE)
		return slot->loc;
	m = proc_space_find(ps, pc);
	if (m && m->image && map_entry_vaddr(m, pc, &vaddr))
		loc = symbols_location(c->sym, m->image, vaddr, is_return);
	else
		loc = resolve_unbacked(c, ps, m, pc, is_return, when, &cache);
	if (!cache)
		return loc;
	jit_gen = jit_generation(c->jit); /* a lookup may have read more */
	slot->jit_generation = jit_gen;
	slot->pc = key;
	slot->pid = ps->pid;
	slot->generation = ps->generation;
	slot->loc = loc;
	return loc;
}

/* Whether pc lies in an executable mapping of the maps as last read. */
static bool known_code(struct proc_space *ps, uint64_t pc)
{
	const struct map_entry *m = proc_space_find(ps, pc);

	return m && (m->prot & PROT_EXEC);
}

/* Keep the unwound stack of thread s->tid in its off-CPU memo slot m. */
static void memo_keep(struct offcpu_memo *m, const struct raw_sample *s, unsigned generation,
		      const uint64_t *pcs, const uint32_t *locs, size_t n, bool truncated)
{
	if (n + 1 > m->cap) {
		size_t cap = m->cap;

		m->locs = xgrow(m->locs, &cap, n + 1, sizeof(*m->locs));
		cap = m->cap;
		m->pcs = xgrow(m->pcs, &cap, n + 1, sizeof(*m->pcs));
		cap = m->cap;
		m->slot = xgrow(m->slot, &cap, n + 1, sizeof(*m->slot));
		m->cap = cap;
	}
	m->tid = s->tid;
	m->pid = s->pid;
	m->generation = generation;
	m->ip = s->snap.regs[MEMO_IP];
	m->sp = s->snap.regs[MEMO_SP];
	m->bp = s->snap.regs[MEMO_BP];
	memcpy(m->locs, locs, n * sizeof(*locs));
	memcpy(m->pcs, pcs, n * sizeof(*pcs));
	m->n = n;
	m->truncated = truncated;
	m->valid = memo_slots(m, &s->snap);
}

/* The resolved user stack of sample s, leaf first, into locs (MAX_FRAMES
 * room); returns how many. memo: an off-CPU sample's memo slot (a thread
 * blocking again where it last blocked skips the unwind), or NULL. The
 * memo holds native frames only: the Python frames are merged afterwards
 * from each record's own capture, so a memo hit never reuses a stale
 * Python stack. */
static size_t user_stack(struct collector *c, struct proc_space *ps, const struct raw_sample *s,
			 struct offcpu_memo *memo, uint32_t *locs, bool *truncated)
{
	uint64_t pcs[MAX_FRAMES], when = s->time ? s->time : UINT64_MAX;
	size_t n = 0;

	*truncated = false;
	if (c->cfg.unwind == UNWIND_DWARF && s->have_user_regs) {
		if (!proc_space_find(ps, s->snap.regs[8 /* PERF_REG_X86_IP */]))
			maybe_reload(c, ps);
		if (memo && memo_hit(memo, s, ps->generation)) {
			memcpy(locs, memo->locs, memo->n * sizeof(*locs));
			*truncated = memo->truncated;
			return memo->n;
		}
		n = unwinder_unwind(c->uw, ps, &s->snap, pcs, MAX_FRAMES, truncated);
		/* ptrace sends no mapping events: stopped at a return address
		 * outside known code (a library mapped since; or, read while
		 * dlopen had /etc/ld.so.cache mapped where the library now is,
		 * in a mapping that is not executable), look again */
		if (*truncated && c->ops == &sampler_ptrace_ops && n > 0 &&
		    !known_code(ps, pcs[n - 1]) && maybe_reload(c, ps))
			n = unwinder_unwind(c->uw, ps, &s->snap, pcs, MAX_FRAMES, truncated);
		for (size_t i = 0; i < n; i++)
			locs[i] = resolve_pc(c, ps, pcs[i], i > 0, when);
		if (memo)
			memo_keep(memo, s, ps->generation, pcs, locs, n, *truncated);
		return n;
	} else if (s->nchain) {
		bool user = false;

		for (size_t i = 0; i < s->nchain && n < MAX_FRAMES; i++) {
			uint64_t v = s->callchain[i];

			if (v >= (uint64_t)PERF_CONTEXT_MAX) {
				user = v == (uint64_t)PERF_CONTEXT_USER;
				continue;
			}
			if (user)
				pcs[n++] = v;
		}
		for (size_t i = 0; i < n; i++)
			if (!proc_space_find(ps, pcs[i])) {
				maybe_reload(c, ps); /* a library mapped since (ptrace) */
				break;
			}
		*truncated = s->truncated;
	} else if (!s->kernel) {
		pcs[n++] = s->ip;
		*truncated = true;
	}
	for (size_t i = 0; i < n; i++)
		locs[i] = resolve_pc(c, ps, pcs[i], i > 0, when);
	return n;
}

static void on_sample(void *ctx, const struct raw_sample *s)
{
	struct collector *c = ctx;
	struct proc_space *ps;
	uint32_t locs[MAX_FRAMES + 1];
	const uint32_t *stack;
	size_t nl = 0, capture_len;
	bool truncated = false;
	uint32_t flags = 0, stack_id;

	if (s->pid <= 0 || s->tid <= 0)
		return; /* idle or a kernel thread */
	ps = procmap_process(c->pm, s->pid);
	note_thread(c, s->pid, s->tid);
	if (s->kernel) {
		const char *note;

		locs[nl++] = symbols_kernel_location(c->sym, s->ip);
		if ((note = symbols_kernel_note(c->sym)))
			warnx_("%s", note);
		flags |= PROF_SAMPLE_KERNEL;
	}
	nl += user_stack(c, ps, s, NULL, locs + nl, &truncated);
	if (truncated || (nl == 0))
		flags |= PROF_SAMPLE_TRUNCATED;
	capture_len = s->capture_len;
	if (c->offcpu && s->capture)
		capture_len -= capture_len >= sizeof(struct blocked_at) ? sizeof(struct blocked_at)
									: capture_len;
	if (s->capture && python_capture_gil(s->capture, capture_len))
		flags |= PROF_SAMPLE_GIL;
	stack = python_merge(c->py, ps, s->tid, locs, &nl, truncated, s->capture, capture_len,
			     true);
	stack_id = profile_intern_stack(c->prof, stack, nl);
	/* One drain may bring more samples than the budget leaves the log (a
	 * slowed proftop, a fast rate): fold before the log grows, which
	 * doubles it, not after the drain. */
	if (c->budget.max_bytes && c->prof->nsamples == c->prof->samples_cap)
		profile_keep_budget(c->prof, &c->budget, c->fold_sync, c->fold_arg);
	profile_add_sample(c->prof, rel_time(c, s->time), s->tid, stack_id, s->period, flags);
}

/* Faults of one thread from one stack within this long of the first are
 * one record (a first touch of 64 MiB is 16,384 faults). */
#define FAULT_RUN_NS 10000000ull

static void fault_run_flush(struct collector *c)
{
	if (c->have_fault_run)
		profile_add_alloc(c->prof, &c->fault_run);
	c->have_fault_run = false;
}

/* Whether location loc is in the allocation tracker (proftop-alloc.so):
 * 2 in a function it interposes (malloc, free, mmap, ...: the program's
 * call passing through), 3 in the tracker's own work (sampling, copying
 * a stack into its ring), 1 neither. */
static int tracker_kind(struct collector *c, uint32_t loc)
{
	static const char *const entries[] = {
		"malloc", "calloc",   "free",	"realloc", "reallocarray", "memalign",
		"aligned_alloc",      "posix_memalign", "valloc",	   "pvalloc",
		"mmap",	  "mmap64",   "munmap", "mremap",  "realloc_common", "on_alloc",
		"on_free"};
	const struct prof_location *l;
	const char *name;
	uint8_t kind = 1;

	if (loc >= c->prof->nlocations)
		return 1;
	if (loc >= c->tracker_kind_cap) {
		size_t old = c->tracker_kind_cap;

		c->tracker_kind = xgrow(c->tracker_kind, &c->tracker_kind_cap, loc + 1, 1);
		memset(c->tracker_kind + old, 0, c->tracker_kind_cap - old);
	}
	if (c->tracker_kind[loc])
		return c->tracker_kind[loc];
	l = &c->prof->locations[loc];
	if (!strcmp(c->prof->modules[l->module].name, "proftop-alloc.so")) {
		name = l->nlines ? profile_function_name(
					   c->prof,
					   c->prof->lines[l->first_line + l->nlines - 1].function)
				 : "";
		kind = 3;
		for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
			if (!strcmp(name, entries[i]))
				kind = 2;
	}
	c->tracker_kind[loc] = kind;
	return kind;
}

/* A page fault's stack without the tracker: false if the tracker's own
 * work faulted (its ring's pages, which the memory shown leaves out), else
 * the functions it interposes dropped (the program's call as it would be
 * without it). */
static bool fault_untracked(struct collector *c, uint32_t *locs, size_t *n)
{
	size_t out = 0;

	if (!c->alloc)
		return true;
	for (size_t i = 0; i < *n; i++) {
		int kind = tracker_kind(c, locs[i]);

		if (kind == 3)
			return false;
		if (kind == 1)
			locs[out++] = locs[i];
	}
	*n = out;
	return true;
}

/* A page-fault sample (sampler_config.fault_period): the pages the thread
 * touched first, a memory record of kind PROF_ALLOC_FAULT (RSS growth)
 * with its user stack; never freed. Not a time sample: the CPU views do
 * not see it. */
static void on_fault(void *ctx, const struct raw_sample *s)
{
	struct collector *c = ctx;
	static uint64_t page;
	uint32_t locs[MAX_FRAMES];
	struct prof_alloc a;
	bool truncated;
	size_t n;

	if (s->pid <= 0 || s->tid <= 0 || !s->period)
		return;
	if (!page)
		page = (uint64_t)sysconf(_SC_PAGESIZE);
	note_thread(c, s->pid, s->tid);
	n = user_stack(c, procmap_process(c->pm, s->pid), s,
		       &c->fault_memo[(unsigned)s->tid % OFFCPU_MEMO], locs, &truncated);
	if (!fault_untracked(c, locs, &n))
		return;
	a = (struct prof_alloc){
		.time = rel_time(c, s->time),
		.free_time = PROF_ALLOC_LIVE,
		.size = s->period * page,
		.bytes = s->period * page,
		.allocs = s->period > UINT32_MAX ? UINT32_MAX : (uint32_t)s->period,
		.stack = profile_intern_stack(c->prof, locs, n),
		.tid = s->tid,
		.kind = PROF_ALLOC_FAULT,
	};
	if (c->have_fault_run && c->fault_run.tid == a.tid && c->fault_run.stack == a.stack &&
	    a.time >= c->fault_run.time && a.time - c->fault_run.time < FAULT_RUN_NS &&
	    c->fault_run.allocs <= UINT32_MAX - a.allocs) {
		c->fault_run.size += a.size;
		c->fault_run.bytes += a.bytes;
		c->fault_run.allocs += a.allocs;
		return;
	}
	fault_run_flush(c);
	c->fault_run = a;
	c->have_fault_run = true;
}

/* The stack of a sampled allocation (alloc.h), the tracker's own frames
 * (proftop-alloc.so, where its registers were taken) dropped: the leaf is
 * the code that called malloc. With the Python frames the tracker copied,
 * merged as a CPU sample's are. */
static uint32_t alloc_stack(void *ctx, pid_t pid, pid_t tid, uint64_t time,
			    const struct unwind_snapshot *snap, const void *py, size_t py_len)
{
	struct collector *c = ctx;
	struct raw_sample s = {
		.pid = pid, .tid = tid, .time = time, .have_user_regs = true, .snap = *snap};
	struct proc_space *ps = procmap_process(c->pm, pid);
	uint32_t locs[MAX_FRAMES];
	const uint32_t *out;
	size_t n, skip = 0;
	bool truncated;

	note_thread(c, pid, tid);
	n = user_stack(c, ps, &s, NULL, locs, &truncated);
	while (skip < n && tracker_kind(c, locs[skip]) != 1)
		skip++;
	n -= skip;
	out = locs + skip;
	if (c->py && py)
		out = python_merge_alloc(c->py, ps, tid, out, &n, truncated, py, py_len);
	return profile_intern_stack(c->prof, out, n);
}

/* Once the launched target's CPython is found, the tracker is told where
 * it keeps its frames. The first look, as soon as the tracker says it
 * runs (it waits for it), reads the process's maps afresh: its executable
 * and libraries are mapped, their mapping events may not be read yet. */
static void alloc_python(struct collector *c)
{
	struct allocring_py layout;
	struct proc_space *ps;
	pid_t pid;

	if (!c->alloc || alloc_tracker_has_python(c->alloc) || !(pid = alloc_tracker_pid(c->alloc)))
		return;
	if (!c->py) {
		alloc_tracker_python_checked(c->alloc);
		return;
	}
	if (!alloc_tracker_python_was_checked(c->alloc)) {
		ps = procmap_process(c->pm, pid);
		maybe_reload(c, ps);
	} else if (!(ps = procmap_lookup(c->pm, pid))) {
		return;
	}
	if (python_alloc_layout(c->py, ps, &layout))
		alloc_tracker_set_python(c->alloc, &layout);
	alloc_tracker_python_checked(c->alloc);
}

/* A Python code object as the tracker copied it, before the allocations
 * that ran it. */
static void alloc_code(void *ctx, pid_t pid, uint64_t code, const struct py_span *spans, size_t n)
{
	struct collector *c = ctx;

	if (c->py)
		python_code_copy(c->py, procmap_process(c->pm, pid), code, spans, n);
}

/* A forked child's records come before perf may have said it was
 * forked: its maps are its parent's. */
static void alloc_fork(void *ctx, pid_t pid, pid_t ppid)
{
	struct collector *c = ctx;
	struct proc_space *ps = procmap_lookup(c->pm, pid);

	if (!ps || !ps->nmaps)
		procmap_fork(c->pm, ppid, pid);
}

/* Whether the tracker's ring holds no more records of the processes in
 * c->dead (else they wait for the next drain). */
static bool alloc_dead_done(struct collector *c)
{
	if (!c->alloc || !c->ndead)
		return true;
	if (!c->dead_mark)
		c->dead_mark = alloc_tracker_head(c->alloc) + 1;
	if (alloc_tracker_tail(c->alloc) + 1 < c->dead_mark)
		return false;
	c->dead_mark = 0;
	return true;
}

/* The memory points from index from on: the allocation ring is proftop's,
 * not the program's: out of the target's RSS and VMS (and the sum's). */
static void alloc_footprint_out(struct collector *c, size_t from)
{
	uint64_t rss, vms;

	if (!c->alloc || from >= c->prof->nmemory)
		return;
	alloc_tracker_footprint(c->alloc, &rss, &vms);
	for (size_t i = from; i < c->prof->nmemory; i++) {
		struct prof_mem_point *m = &c->prof->memory[i];

		if (m->pid != c->target.pid && m->pid != 0)
			continue;
		m->rss -= rss < m->rss ? rss : m->rss;
		m->vms -= vms < m->vms ? vms : m->vms;
	}
}

static void drain_allocs(struct collector *c, bool final)
{
	struct alloc_sink sink = {
		.ctx = c, .stack = alloc_stack, .fork = alloc_fork, .code = alloc_code};

	if (!c->alloc)
		return;
	/* not before the samples' maps: an allocation's stack needs the
	 * libraries mapped before it */
	if (!final && c->sampler && c->ops->ordered_to) {
		sink.bounded = true;
		sink.until = c->ops->ordered_to(c->sampler);
	}
	alloc_tracker_drain(c->alloc, c->prof, c->prof->meta.start_ns, &sink, final);
}

static void read_blocked_at(pid_t pid, pid_t tid, uint64_t *sp, uint64_t *pc)
{
	char path[64], buf[256];
	unsigned long long v[9];
	ssize_t len;
	int fd;

	*sp = *pc = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int)pid, (int)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return;
	buf[len] = 0;
	/* "NR a0..a5 sp pc" in a system call, "-1 sp pc" blocked outside
	 * one (preempted), "running" */
	if (sscanf(buf, "%lld %llx %llx %llx %llx %llx %llx %llx %llx", (long long *)&v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
		*sp = v[7];
		*pc = v[8];
	} else if (sscanf(buf, "%lld %llx %llx", (long long *)&v[0], &v[1], &v[2]) == 3) {
		*sp = v[1];
		*pc = v[2];
	}
}

/* Python frames read at sample time (sampler_config.capture). */
static size_t capture_python(void *arg, pid_t pid, pid_t tid, uint64_t time, void *buf,
			     size_t len)
{
	struct collector *c = arg;
	struct blocked_at at;
	size_t n, end;

	if (!c->offcpu)
		return python_capture(c->py, pid, tid, time, buf, len);
	if (len < sizeof(at) + 8)
		return 0;
	read_blocked_at(pid, tid, &at.sp[0], &at.pc[0]);
	n = python_capture(c->py, pid, tid, time, buf, len - sizeof(at) - 8);
	if (!n)
		return 0;
	read_blocked_at(pid, tid, &at.sp[1], &at.pc[1]);
	end = (n + 7) & ~(size_t)7; /* the sampler pads captures to 8 bytes */
	memset((char *)buf + n, 0, end - n);
	memcpy((char *)buf + end, &at, sizeof(at));
	return end + sizeof(at);
}

/* Whether the Python frames captured with off-CPU sample s (wall mode) may
 * be a later stack than the sample's: the thread was not blocked at the
 * sample's stack pointer and program counter both before and after they
 * were read. Strips the blocked_at trailer off *len. */
static bool capture_stale(const struct raw_sample *s, size_t *len)
{
	struct blocked_at at;

	if (*len < sizeof(at))
		return false; /* nothing captured: python_merge decides */
	*len -= sizeof(at);
	memcpy(&at, (const char *)s->capture + *len, sizeof(at));
	if (!s->have_user_regs)
		return at.sp[0] != at.sp[1] || at.pc[0] != at.pc[1] || !at.sp[0];
	for (int i = 0; i < 2; i++)
		if (at.sp[i] != s->snap.regs[MEMO_SP] || at.pc[i] != s->snap.regs[MEMO_IP])
			return true;
	return false;
}

static void on_off_cpu(void *ctx, const struct raw_sample *s)
{
	struct collector *c = ctx;
	struct proc_space *ps;
	uint32_t locs[MAX_FRAMES];
	const uint32_t *stack;
	bool truncated;
	size_t n, capture_len;

	if (s->pid <= 0 || s->tid <= 0 || !c->offcpu)
		return;
	ps = procmap_process(c->pm, s->pid);
	note_thread(c, s->pid, s->tid);
	n = user_stack(c, ps, s, &c->memo[(unsigned)s->tid % OFFCPU_MEMO], locs, &truncated);
	/* the Python function and line that waited, as on CPU; native
	 * frames only when the thread may have run on before they were read */
	capture_len = s->capture ? s->capture_len : 0;
	if (capture_len && capture_stale(s, &capture_len)) {
		python_note_stale(c->py);
		stack = locs;
	} else {
		stack = python_merge(c->py, ps, s->tid, locs, &n, truncated, s->capture,
				     capture_len, false);
	}
	offcpu_leave_in(c->offcpu, s->tid, rel_time(c, s->time), stack, n, truncated, s->kchain,
			s->nkchain, s->why);
}

static void on_sched_switch(void *ctx, pid_t pid, pid_t tid, uint64_t time, bool out,
			    bool preempted)
{
	struct collector *c = ctx;

	if (pid <= 0 || tid <= 0 || !c->offcpu)
		return;
	if (out)
		offcpu_switch_out(c->offcpu, tid, rel_time(c, time), preempted);
	else
		offcpu_switch_in(c->offcpu, tid, rel_time(c, time));
}

static void on_mmap(void *ctx, pid_t pid, uint64_t start, uint64_t len, uint64_t pgoff,
		    uint32_t prot, const char *path)
{
	struct collector *c = ctx;

	procmap_add_mapping(c->pm, pid, start, len, pgoff, prot, path);
	calls_on_mmap(c->calls, pid, path);
}

static void on_comm(void *ctx, pid_t pid, pid_t tid, const char *comm, bool exec)
{
	struct collector *c = ctx;

	if (exec && pid == tid) {
		struct proc_space *ps = procmap_lookup(c->pm, pid);

		jit_name_late(c, pid); /* the old image's maps, before they go */
		jit_forget(c->jit, pid);
		procmap_exec(c->pm, pid);
		python_forget(c->py, pid);
		if (ps)
			unwinder_flush(c->uw, ps);
	}
	profile_set_thread(c->prof, tid, pid, comm);
}

/* A target with many runnable processes or threads (200 children forked
 * at once, a busy thread pool) shares the CPUs fairly with proftop, which
 * then runs too seldom to empty the rings in time: the kernel drops
 * samples (63% lost with 200 children on 2 CPUs). proftop needs little CPU
 * but needs it promptly: where allowed (root, CAP_SYS_NICE), it runs 10
 * nice levels above the target. From the start for a launched target
 * (forked already, it keeps its niceness): the first samples, which load
 * the debug info, must not starve. An attached target is left its share
 * of the CPUs while proftop starts, so proftop rises only once it has
 * created more tasks than twice the CPUs (seen late, from the rings). */
static void raise_priority(struct collector *c)
{
	int nice;

	if (c->priority_raised)
		return;
	c->priority_raised = true;
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		setpriority(PRIO_PROCESS, 0, nice - 10 < -20 ? -20 : nice - 10);
}

static void note_tasks(struct collector *c, int delta)
{
	static long ncpus;

	if (!ncpus)
		ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	c->live_tasks += delta;
	if (c->live_tasks > 2 * (ncpus > 0 ? ncpus : 1))
		raise_priority(c);
}

static void on_fork(void *ctx, pid_t pid, pid_t ppid, pid_t tid, pid_t ptid)
{
	struct collector *c = ctx;
	const struct prof_thread *parent = profile_find_thread(c->prof, ptid);

	note_tasks(c, 1);
	if (pid != ppid) {
		procmap_fork(c->pm, ppid, pid);
		calls_on_fork(c->calls, pid, ppid);
		memtrack_add(&c->mem, pid);
	}
	profile_set_thread(c->prof, tid, pid, parent ? parent->comm : "?");
}

static void on_exit_record(void *ctx, pid_t pid, pid_t tid)
{
	struct collector *c = ctx;

	note_tasks(c, -1);
	if (c->offcpu)
		offcpu_forget(c->offcpu, tid);
	if (pid != tid)
		return;
	calls_on_exit(c->calls, pid);
	c->dead = xgrow(c->dead, &c->dead_cap, c->ndead + 1, sizeof(pid_t));
	c->dead[c->ndead++] = pid;
}

/* The ptrace backend reaped one of its tracees; the main one's status is
 * the target's. */
static void on_reaped(void *ctx, pid_t pid, int status)
{
	struct collector *c = ctx;

	if (pid == c->target.pid)
		target_note_status(&c->target, status);
}

static const struct sampler_sink *sink_for(struct collector *c)
{
	static struct sampler_sink sink = {
		.sample = on_sample,
		.mmap = on_mmap,
		.comm = on_comm,
		.fork = on_fork,
		.exit = on_exit_record,
		.reaped = on_reaped,
		.off_cpu = on_off_cpu,
		.sched_switch = on_sched_switch,
		.fault = on_fault,
	};

	sink.ctx = c;
	return &sink;
}

/* Take what the kernel has written. Each pass takes the rings' contents
 * as they were when it began; passes repeat while more arrived, for at
 * most DRAIN_BUDGET_NS, so that a target sampled faster than we can
 * process never starves the caller's loop (the kernel counts what it then
 * drops as lost). */
#define DRAIN_BUDGET_NS 50000000ull

static void drain(struct collector *c)
{
	uint64_t start = loop_now_ns();

	if (!c->sampler)
		return;
	/* first: the tracker may be waiting for it (the samples' first
	 * symbols can take a while) */
	alloc_python(c);
	while (c->ops->drain(c->sampler, sink_for(c), DRAIN_BUDGET_NS) &&
	       loop_now_ns() - start < DRAIN_BUDGET_NS)
		;
	fault_run_flush(c); /* nothing held between drains */
	/* the tracker's records, while the maps of processes that exited
	 * are still known */
	drain_allocs(c, false);
	/* Exited processes: their records are all in now (the tracker's, once
	 * its ring is read past where it was when they were seen to exit). */
	if (!alloc_dead_done(c))
		return;
	for (size_t i = 0; i < c->ndead; i++) {
		struct proc_space *ps = procmap_lookup(c->pm, c->dead[i]);

		jit_name_late(c, c->dead[i]);
		if (ps && c->dead[i] != c->target.pid) {
			unwinder_flush(c->uw, ps);
			python_forget(c->py, c->dead[i]);
			jit_forget(c->jit, c->dead[i]);
			procmap_exit(c->pm, c->dead[i]);
		}
	}
	c->ndead = 0;
}

/* perf_event_open errors that mean "no perf here" (paranoid level, seccomp,
 * a container, no cpu-clock), as opposed to a bad target. */
static bool perf_refused(int e)
{
	return e == EACCES || e == EPERM || e == ENOSYS || e == ENOENT || e == ENODEV ||
	       e == EOPNOTSUPP;
}

/* Open the backend --backend names; with auto, perf, and ptrace where perf
 * is refused (said once on stderr). The backend that runs goes in the
 * profile's metadata, with the rate it runs at. */
static int open_sampler(struct collector *c, struct sampler_config *cfg, const pid_t *pids,
			size_t npids, char *err, size_t errlen)
{
	struct prof_meta *m = &c->prof->meta;
	int e;

	c->ops = c->cfg.backend == BACKEND_PTRACE ? &sampler_ptrace_ops : &sampler_perf_ops;
	if (c->ops->open(&c->sampler, cfg, pids, npids, err, errlen) < 0) {
		e = errno;
		c->sampler = NULL;
		if (c->cfg.backend != BACKEND_AUTO || !perf_refused(e))
			return -1;
		if (c->cfg.wall) /* same clock, measured by stopping the threads */
			warnx_("--clock wall: perf refused its context-switch samples (%s; they are "
			       "kernel samples, see kernel.perf_event_paranoid); measuring the wall "
			       "clock with the ptrace backend instead (slower, %d Hz default)",
			       strerror(e), COLLECT_PTRACE_FREQ);
		else
			warnx_("perf_event_open refused (%s); falling back to the ptrace backend "
			       "(slower, %d Hz default)",
			       strerror(e), COLLECT_PTRACE_FREQ);
		c->ops = &sampler_ptrace_ops;
		if (!c->cfg.freq_set)
			cfg->freq = COLLECT_PTRACE_FREQ;
		if (c->ops->open(&c->sampler, cfg, pids, npids, err, errlen) < 0) {
			c->sampler = NULL;
			return -1;
		}
	}
	/* The tracer takes over waiting for the target. */
	if (c->ops->traces)
		target_set_traced(&c->target, true);
	m->backend = profile_str(c->prof, c->ops->name);
	m->freq = cfg->freq;
	/* Page faults are a perf event: ptrace has no way to see them. */
	if (cfg->fault_period && c->ops != &sampler_perf_ops)
		warnx_("page faults are not sampled with the %s backend: no RSS growth by "
		       "function (the RSS summary is still kept)",
		       c->ops->name);
	m->fault_period = c->ops == &sampler_perf_ops ? cfg->fault_period : 0;
	return 0;
}

/* --clock wall, attached: threads blocked now left the CPU before our
 * events existed; their waits start now, named by their wait channel. */
static void note_blocked_threads(struct collector *c, const pid_t *pids, size_t npids)
{
	uint64_t now = rel_time(c, loop_now_ns());

	for (size_t i = 0; i < npids; i++) {
		char path[96], buf[512];
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pids[i]);
		if (!(d = opendir(path)))
			continue;
		while ((de = readdir(d))) {
			int tid = atoi(de->d_name);
			char *paren, why[128] = "";
			FILE *f;

			if (tid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pids[i], tid);
			if (!(f = fopen(path, "re")))
				continue;
			paren = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
			fclose(f);
			if (!paren || (paren[2] != 'S' && paren[2] != 'D'))
				continue;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)pids[i], tid);
			if ((f = fopen(path, "re"))) {
				if (!fgets(why, sizeof(why), f) || !strcmp(why, "0"))
					why[0] = '\0';
				fclose(f);
			}
			note_thread(c, pids[i], tid);
			offcpu_blocked(c->offcpu, tid, now, why);
		}
		closedir(d);
	}
}

/* The target's file-access uid and gid and its groups, from /proc. */
static void fill_meta_owner(struct collector *c, struct prof_meta *m)
{
	char path[64], *line = NULL;
	unsigned long ids[4];
	size_t cap = 0;
	int have = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->target.pid);
	f = fopen(path, "re");
	while (f && getline(&line, &cap, f) > 0) {
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) == 4) {
			m->owner_uid = (uint32_t)ids[3];
			have |= 1;
		} else if (sscanf(line, "Gid: %lu %lu %lu %lu", &ids[0], &ids[1], &ids[2],
				  &ids[3]) == 4) {
			m->owner_gid = (uint32_t)ids[3];
			have |= 2;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *g = line + 7;

			g += strspn(g, " \t");
			g[strcspn(g, "\n")] = '\0';
			m->owner_groups = profile_str(c->prof, g);
			have |= 4;
		}
	}
	free(line);
	if (f)
		fclose(f);
	m->owner_known = have == 7;
}

static void fill_meta_start(struct collector *c)
{
	struct prof_meta *m = &c->prof->meta;
	struct utsname u;
	char cwd[4096];

	m->command = profile_str(c->prof, c->target.command);
	if (getcwd(cwd, sizeof(cwd)))
		m->cwd = profile_str(c->prof, cwd);
	if (uname(&u) == 0) {
		m->host = profile_str(c->prof, u.nodename);
		m->kernel = profile_str(c->prof, u.release);
	}
	m->backend = profile_str(c->prof, c->ops->name);
	m->unwind = profile_str(c->prof, c->cfg.unwind == UNWIND_DWARF ? "dwarf" : "fp");
	m->clock = profile_str(c->prof, c->cfg.wall ? "wall" : "cpu");
	m->start_realtime = (int64_t)time(NULL);
	m->start_ns = loop_now_ns();
	m->freq = c->cfg.freq;
	m->pid = c->target.pid;
	m->attached = !c->target.launched;
	fill_meta_owner(c, m);
}

void collector_set_output(struct collector *c, enum collect_output mode, bool pass_stdin)
{
	c->out_mode = mode;
	c->pass_stdin = pass_stdin;
}

void collector_pause(struct collector *c, bool paused)
{
	if (c->sampler && paused != c->paused)
		c->ops->enable(c->sampler, !paused);
	if (c->offcpu && paused) /* no switch-in will end them */
		offcpu_forget_all(c->offcpu);
	if (c->alloc && paused != c->paused)
		alloc_tracker_pause(c->alloc, paused);
	c->paused = paused;
}

/* A pty for the target's stdout and stderr, so that line-buffered
 * programs still flush per line. Returns the slave fd, or -1. */
static int open_output_pty(struct collector *c, char *err, size_t errlen)
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	struct termios tio;
	int master, slave;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		snprintf(err, errlen, "cannot open a pty for the target's output: %s",
			 strerror(errno));
		if (master >= 0)
			close(master);
		return -1;
	}
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		snprintf(err, errlen, "cannot open the pty for the target's output: %s",
			 strerror(errno));
		close(master);
		return -1;
	}
	/* Plain "\n", not "\r\n": the output is kept and shown as text. */
	if (tcgetattr(slave, &tio) == 0) {
		tio.c_oflag &= ~(tcflag_t)OPOST;
		tcsetattr(slave, TCSANOW, &tio);
	}
	ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws);
	ioctl(slave, TIOCSWINSZ, &ws);
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	c->pty_master = master;
	return slave;
}

int collector_write_input(struct collector *c, const void *buf, size_t len)
{
	ssize_t n;

	if (c->pty_master < 0 || !c->pass_stdin)
		return -1;
	do
		n = write(c->pty_master, buf, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len ? 0 : -1;
}

/* Move what the target wrote into the profile (and, in TEE mode, to our
 * stdout). At the end, read until the pty is empty and closed. */
static void read_output(struct collector *c)
{
	char buf[65536];

	while (c->pty_master >= 0) {
		ssize_t n = read(c->pty_master, buf, sizeof(buf));

		if (n > 0) {
			c->pty_idle = false;
			profile_add_output(c->prof, rel_time(c, loop_now_ns()), buf, (size_t)n);
			if (c->out_mode == COLLECT_OUTPUT_TEE) {
				size_t off = 0;

				while (off < (size_t)n) {
					ssize_t w =
						write(STDOUT_FILENO, buf + off, (size_t)n - off);

					if (w <= 0)
						break;
					off += (size_t)w;
				}
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		/* EIO: every fd of the slave is closed, for now (a target may
		 * reopen /dev/tty). The master stays open until the collector
		 * goes: closing it hangs the terminal up, and the kernel would
		 * send SIGHUP to a target whose controlling terminal it is (a
		 * shell that redirected its streams and runs on, say). */
		c->pty_idle = true;
		break;
	}
}

/* Allocations of a launched target: the tracker preloaded, when it can
 * be (else one line saying why, also in the profile); an attached target
 * only gets the line. */
static void setup_allocs(struct collector *c, struct target_io *io)
{
	struct prof_meta *m = &c->prof->meta;
	char note[512], err[256];
	int fds[2];

	if (!c->cfg.alloc_sample)
		return;
	if (!c->cfg.argv) {
		snprintf(note, sizeof(note), "allocations are tracked for launched programs only%s",
			 c->cfg.fault_period ? "; showing RSS growth by page faults" : "");
	} else if (alloc_check_target(c->cfg.argv[0], c->cfg.fault_period, note, sizeof(note)) == 0 &&
		   (c->alloc = alloc_tracker_new(c->cfg.alloc_sample, c->cfg.stack_size, err,
						 sizeof(err)))) {
		io->envp = alloc_tracker_environ(c->alloc);
		alloc_tracker_fds(c->alloc, fds);
		io->keep_fds[0] = fds[0];
		io->keep_fds[1] = fds[1];
		io->nkeep = fds[1] >= 0 ? 2 : 1;
		m->alloc_sample = c->cfg.alloc_sample;
	} else if (!note[0]) {
		snprintf(note, sizeof(note), "allocations not tracked: %s", err);
	}
	if (note[0]) {
		warnx_("%s", note);
		m->alloc_note = profile_str(c->prof, note);
	}
}

static void poll_at_exec(void *arg)
{
	struct collector *c = arg;

	memtrack_poll(&c->mem, c->prof, 0);
}

int collector_start(struct collector *c, char *err, size_t errlen)
{
	struct sampler_config cfg = {
		.freq = c->cfg.freq,
		.stack_size = c->cfg.stack_size,
		.dwarf = c->cfg.unwind == UNWIND_DWARF,
		.launch = c->cfg.argv != NULL,
		.offcpu = c->cfg.wall,
		.fault_period = c->cfg.fault_period,
		.capture = c->py ? capture_python : NULL,
		.capture_arg = c,
		.capture_soon =
			c->py && python_target_likely(c->cfg.argv, c->cfg.pids, c->cfg.npids),
	};
	sigset_t sigs;
	const pid_t *pids;
	size_t npids;

	/* Blocked before the fork so that the run loop's signalfd sees them; the child
	 * unblocks everything before exec. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);

	if (c->cfg.argv) {
		struct target_io io = {.out_fd = -1, .keep_running = c->cfg.keep_running};
		int rc;

		if (c->out_mode != COLLECT_OUTPUT_PASS) {
			io.out_fd = open_output_pty(c, err, errlen);
			if (io.out_fd < 0)
				return -1;
			io.new_session = c->out_mode == COLLECT_OUTPUT_CAPTURE;
			io.null_stdin = io.new_session && !c->pass_stdin;
			io.stdin_from_out = io.new_session && c->pass_stdin;
		}
		setup_allocs(c, &io);
		rc = target_launch(&c->target, c->cfg.argv, &io, err, errlen);
		if (io.out_fd >= 0)
			close(io.out_fd);
		if (rc < 0)
			return -1;
		raise_priority(c);
		pids = &c->target.pid;
		npids = 1;
	} else if (c->cfg.npids > 0) {
		for (size_t i = 0; i < c->cfg.npids; i++) {
			struct target t;

			if (target_attach(i == 0 ? &c->target : &t, c->cfg.pids[i], err, errlen) <
			    0)
				return -1;
			if (i > 0)
				target_free(&t);
		}
		pids = c->cfg.pids;
		npids = c->cfg.npids;
	} else {
		snprintf(err, errlen, "no target: give -p PID or -- COMMAND");
		return -1;
	}
	/* After the fork: the target keeps the user's environment. */
	c->names = names_fetch_start(c->sym, c->cfg.no_debuginfod, c->cfg.live);
	fill_meta_start(c);
	if (open_sampler(c, &cfg, pids, npids, err, errlen) < 0) {
		target_stop(&c->target, 0);
		return -1;
	}
	/* (the ptrace backend looks at blocked threads itself, with stacks) */
	if (c->offcpu && !c->target.launched && !c->ops->traces)
		note_blocked_threads(c, pids, npids);
	for (size_t i = 0; i < npids; i++)
		memtrack_add(&c->mem, pids[i]);
	/* Before the release: a launched target's probes count from exec on. */
	calls_start(c->calls, c->target.launched ? c->cfg.argv : NULL, pids, npids,
		    c->prof->meta.start_ns);
	/* The memory timeline starts at exec, before the target runs. */
	if (c->target.launched &&
	    target_release_at_exec(&c->target, poll_at_exec, c, err, errlen) < 0)
		return -1;
	if (!c->target.launched) {
		setup_allocs(c, NULL);
		memtrack_poll(&c->mem, c->prof, 0); /* attached: from now */
	}
	c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->timerfd >= 0) {
		struct itimerspec its = {
			.it_interval = {0, TICK_MS * 1000000L},
			/* Probes: a first look soon, before a hot one costs much. */
			.it_value = {0, (c->calls ? 10 : TICK_MS) * 1000000L},
		};

		timerfd_settime(c->timerfd, 0, &its, NULL);
	}
	if (c->cfg.duration > 0)
		c->deadline_ns = c->prof->meta.start_ns + (uint64_t)(c->cfg.duration * 1e9);
	c->started = true;
	return 0;
}

void collector_set_fold_sync(struct collector *c, prof_fold_sync sync, void *arg)
{
	c->fold_sync = sync;
	c->fold_arg = arg;
}

const struct prof_budget *collector_budget(const struct collector *c)
{
	return &c->budget;
}

static size_t collector_pollfds(struct collector *c, struct pollfd *fds, size_t max)
{
	int sfds[512];
	size_t n = 0, ns;

	if (!c->sampler)
		return 0;
	ns = c->ops->fds(c->sampler, sfds, 512);
	for (size_t i = 0; i < ns && n < max; i++)
		fds[n++] = (struct pollfd){.fd = sfds[i], .events = POLLIN};
	if (c->timerfd >= 0 && n < max)
		fds[n++] = (struct pollfd){.fd = c->timerfd, .events = POLLIN};
	if (c->target.pidfd >= 0 && !c->target.ended && n < max)
		fds[n++] = (struct pollfd){.fd = c->target.pidfd, .events = POLLIN};
	if (alloc_tracker_wake_fd(c->alloc) >= 0 && n < max)
		fds[n++] = (struct pollfd){.fd = alloc_tracker_wake_fd(c->alloc), .events = POLLIN};
	/* An idle pty polls as hung up at once: the ticks read it instead. */
	if (c->pty_master >= 0 && !c->pty_idle && n < max)
		fds[n++] = (struct pollfd){.fd = c->pty_master, .events = POLLIN};
	if (names_fetch_fd(c->names) >= 0 && n < max)
		fds[n++] = (struct pollfd){.fd = names_fetch_fd(c->names), .events = POLLIN};
	return n;
}

static int collector_timeout_ms(struct collector *c)
{
	return c->timerfd >= 0 ? -1 : TICK_MS;
}

static bool collector_service(struct collector *c)
{
	uint64_t before = c->prof->total_samples;
	uint64_t now = loop_now_ns();
	bool tick = false;

	if (!c->started || c->finished)
		return false;
	if (names_fetch_poll(c->names))
		c->names_changed = true;
	if (c->timerfd >= 0) {
		uint64_t ticks;

		if (read(c->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks)) {
			size_t from = c->prof->nmemory;

			memtrack_poll(&c->mem, c->prof, rel_time(c, now));
			alloc_footprint_out(c, from);
			tick = true;
		}
	}
	drain(c);
	profile_keep_budget(c->prof, &c->budget, c->fold_sync, c->fold_arg);
	if (c->offcpu && (tick || c->timerfd < 0))
		offcpu_tick(c->offcpu, rel_time(c, now));
	if (tick || c->timerfd < 0)
		calls_tick(c->calls, now);
	if (c->sampler && c->ops->held_ns) /* live, for the header */
		c->prof->meta.held_ns = c->ops->held_ns(c->sampler);
	if (c->sampler) /* live, for the TUI's header */
		c->prof->meta.lost = c->ops->lost(c->sampler);
	if (c->alloc)
		c->prof->meta.allocs_lost = alloc_tracker_lost(c->alloc);
	read_output(c);
	target_check(&c->target);
	if (c->deadline_ns && now >= c->deadline_ns)
		c->deadline_hit = true;
	return c->prof->total_samples != before;
}

bool collector_names_changed(struct collector *c)
{
	bool changed = names_fetch_poll(c->names) || c->names_changed;

	c->names_changed = false;
	return changed;
}

const char *collector_fetch_status(struct collector *c)
{
	return names_fetch_status(c->names);
}

bool collector_done(struct collector *c)
{
	return c->target.ended || c->deadline_hit || c->interrupted;
}

void collector_interrupt(struct collector *c)
{
	c->interrupted = true;
}

static size_t source_fds(void *arg, struct pollfd *fds, size_t max)
{
	return collector_pollfds(arg, fds, max);
}

static int source_timeout(void *arg)
{
	return collector_timeout_ms(arg);
}

static void source_dispatch(void *arg, const struct pollfd *fds, size_t n)
{
	(void)fds;
	(void)n;
	collector_service(arg);
}

const struct loop_source_ops collector_loop_source = {
	.fds = source_fds,
	.timeout_ms = source_timeout,
	.dispatch = source_dispatch,
};

static void on_signal(void *arg, int signo)
{
	(void)signo;
	collector_interrupt(arg);
}

static bool run_done(void *arg)
{
	return collector_done(arg);
}

void collector_run(struct collector *c, struct loop *l)
{
	struct loop *own = l ? NULL : loop_new();
	sigset_t sigs;

	if (!l)
		l = own;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	loop_signals(l, &sigs, on_signal, c);
	loop_add_source(l, &collector_loop_source, c);
	loop_run(l, run_done, c);
	loop_remove_source(l, c);
	loop_free(own);
}

/* Take the last samples and close the backend (detaching, for ptrace).
 * The events are off: what the kernel wrote is all taken, however long it
 * takes (a page-fault burst just before the end can be tens of thousands
 * of stacks to unwind; a slower proftop once left them unread, uncounted). */
static void close_sampler(struct collector *c)
{
	struct prof_meta *m = &c->prof->meta;

	if (!c->sampler)
		return;
	c->ops->enable(c->sampler, false);
	while (c->ops->drain(c->sampler, sink_for(c), DRAIN_BUDGET_NS))
		;
	drain(c);
	/* Threads still waiting: their waits end with the run. */
	if (c->offcpu)
		offcpu_close_all(c->offcpu, rel_time(c, loop_now_ns()));
	m->lost = c->ops->lost(c->sampler);
	if (c->ops->held_ns)
		m->held_ns = c->ops->held_ns(c->sampler);
	c->ops->close(c->sampler);
	c->sampler = NULL;
	target_set_traced(&c->target, false);
}

/* The last allocation records (the target is gone or stopped: nothing
 * reserved will be written any more), and what the tracker saw. */
static void finish_allocs(struct collector *c)
{
	struct prof_meta *m = &c->prof->meta;

	if (!c->alloc)
		return;
	drain_allocs(c, true);
	m->allocs_lost = alloc_tracker_lost(c->alloc);
	if (!alloc_tracker_loaded(c->alloc)) {
		char note[512];

		snprintf(note, sizeof(note),
			 "allocations not tracked: the tracker did not load in %s (preloading "
			 "ignored or refused)%s",
			 c->target.command,
			 c->cfg.fault_period ? "; RSS growth by page faults only" : "");
		warnx_("%s", note);
		m->alloc_note = profile_str(c->prof, note);
		m->alloc_sample = 0;
	}
	alloc_tracker_close(c->alloc);
}

void collector_finish(struct collector *c)
{
	struct prof_meta *m = &c->prof->meta;

	if (c->finished || !c->started)
		return;
	/* A tracing backend lets go first, so that stopping a launched target
	 * is plain signals and waits again. */
	if (c->ops->traces) {
		drain(c);
		close_sampler(c);
	}
	/* A launched target that outlives the run is stopped; an attached one
	 * is left as it was (closing the events detaches). */
	if (c->target.launched && !c->target.ended)
		target_stop(&c->target, 1000);
	drain(c);
	read_output(c);
	close_sampler(c);
	while (c->nunnamed) /* attached targets, still running */
		jit_name_late(c, c->unnamed[0].pid);
	finish_allocs(c);
	if (c->py && python_stats(c->py)->alloc_native)
		warnx_("%" PRIu64 " sampled allocations ran Python code that was freed, or had "
		       "ended, before proftop read them: shown as \"(Python code freed before "
		       "proftop read it)\"",
		       python_stats(c->py)->alloc_native);
	calls_finish(c->calls, loop_now_ns());
	m->duration_ns = loop_now_ns() - m->start_ns;
	/* record and report print or save the names next: complete them (the
	 * live view goes on showing, and takes them as they come) */
	if (!c->cfg.live)
		names_fetch_wait(c->names);
	target_check(&c->target);
	m->ended = c->target.ended;
	m->exited = c->target.ended && c->target.exited;
	m->exit_status = c->target.exit_status;
	m->term_signal = c->target.ended ? c->target.term_signal : 0;
	m->stopped_by_proftop = c->target.stopped_by_us;
	python_report_stats(c->py, m->backend);
	c->finished = true;
}
