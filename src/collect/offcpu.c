#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offcpu.h"
#include "xalloc.h"

/* Waits shorter than this, of one thread with one stack and reason, are
 * summed into one record (count: how many) for up to FOLD_AGE_NS: a
 * thread that blocks 50,000 times a second costs a few records a second,
 * not 50,000. Longer waits are a record each, at once. */
#define FOLD_SHORT_NS 1000000ull
#define FOLD_AGE_NS   100000000ull
/* Live (offcpu_set_live): a wait still open after this becomes a record up
 * to now and goes on, the next piece twice as long: a 10-minute wait shows
 * within a second as ~10 records, not one at its end. */
#define LIVE_PIECE_NS 1000000000ull

/* One thread's wait in progress (open), or its slot kept for the next. */
struct wait {
	int32_t tid; /* 0: an empty slot */
	bool open;
	bool truncated;
	bool idle;	    /* waiting for work (PROF_SAMPLE_IDLE) */
	uint64_t since;	    /* ns since meta.start_ns */
	uint64_t piece;	    /* live: the open wait becomes a record when this old */
	const char *reason; /* interned; "runnable" when preempted */
	uint32_t *locs;	    /* the user stack, leaf first; locs[0] is kept for the reason */
	size_t n, cap;
	/* The last departure's naming and record stack, reused by a thread
	 * that blocks again at the same place (a ping-pong: 50,000 times a
	 * second): same user stack and kernel chain, same reason and stack. */
	uint64_t kchain_hash;
	const char *left_reason; /* as named at the departure (before preemption) */
	bool left_idle, same_place;
	const char *stack_reason; /* the reason last_stack was interned with */
	uint32_t last_stack;
	/* short waits ended and summed, not yet a record (count 0: none) */
	uint32_t fold_stack, fold_flags, fold_count;
	uint64_t fold_since, fold_ns;
};

struct offcpu {
	struct profile *p;
	struct symbols *sym;
	struct wait *slots; /* open addressing on tid, a power of two */
	size_t nslots, used;
	size_t nopen;
	bool live;
};

struct offcpu *offcpu_new(struct profile *p, struct symbols *sym)
{
	struct offcpu *o = xcalloc(1, sizeof(*o));

	o->p = p;
	o->sym = sym;
	o->nslots = 64;
	o->slots = xcalloc(o->nslots, sizeof(*o->slots));
	return o;
}

void offcpu_free(struct offcpu *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nslots; i++)
		free(o->slots[i].locs);
	free(o->slots);
	free(o);
}

static struct wait *find_slot(struct wait *slots, size_t nslots, int32_t tid)
{
	size_t i = ((uint32_t)tid * 2654435761u) & (nslots - 1);

	while (slots[i].tid && slots[i].tid != tid)
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

/* tid's slot, made if new (slots are never removed: one per thread seen). */
static struct wait *wait_of(struct offcpu *o, int32_t tid)
{
	struct wait *w;

	if ((o->used + 1) * 2 > o->nslots) {
		size_t n = o->nslots * 2;
		struct wait *slots = xcalloc(n, sizeof(*slots));

		for (size_t i = 0; i < o->nslots; i++)
			if (o->slots[i].tid)
				*find_slot(slots, n, o->slots[i].tid) = o->slots[i];
		free(o->slots);
		o->slots = slots;
		o->nslots = n;
	}
	w = find_slot(o->slots, o->nslots, tid);
	if (!w->tid) {
		w->tid = tid;
		o->used++;
	}
	return w;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* A system call's name from its kernel entry point or its libc wrapper:
 * "__x64_sys_read", "ksys_read", "__GI___libc_read", "read@@GLIBC_2.2.5"
 * all give "read"; any futex wrapper (a mutex, a condition variable, a
 * join) gives "futex". Written into buf. */
static const char *syscall_name(const char *fn, char *buf, size_t len)
{
	static const char *const prefixes[] = {"x64_sys_", "ia32_sys_", "se_sys_", "do_sys_",
					       "ksys_",	   "GI_",	"libc_"};
	bool again = true;

	if (strstr(fn, "futex"))
		return "futex";
	while (again) {
		again = false;
		while (*fn == '_')
			fn++;
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
			if (starts(fn, prefixes[i])) {
				fn += strlen(prefixes[i]);
				again = true;
				break;
			}
	}
	snprintf(buf, len, "%s", fn);
	buf[strcspn(buf, "@")] = '\0';
	return buf[0] ? buf : "?";
}

static const char *kernel_name(struct offcpu *o, uint64_t ip)
{
	uint32_t loc = symbols_kernel_location(o->sym, ip);
	const struct prof_location *l = &o->p->locations[loc];

	return profile_function_name(o->p, o->p->lines[l->first_line].function);
}

/* Why a thread left the CPU, from the kernel chain: the system call the
 * syscall entry called, a page fault, else the frame below the scheduler. */
static const char *kernel_reason(struct offcpu *o, const uint64_t *kchain, size_t n, char *buf,
				 size_t len)
{
	const char *below = NULL;

	for (size_t i = 0; i < n; i++) {
		const char *fn = kernel_name(o, kchain[i]);

		if (!strcmp(fn, "do_syscall_64") || !strcmp(fn, "do_int80_syscall_32") ||
		    !strcmp(fn, "x64_sys_call")) {
			if (!below)
				break;
			return syscall_name(below, buf, len);
		}
		if (strstr(fn, "page_fault"))
			return "page fault";
		if (!strcmp(fn, "[kernel]"))
			return NULL; /* kallsyms hides the addresses */
		if (!strstr(fn, "schedule"))
			below = fn;
	}
	if (below)
		snprintf(buf, len, "%s", below);
	return below ? buf : NULL;
}

static const char *frame_name(struct offcpu *o, uint32_t loc)
{
	const struct prof_location *l = &o->p->locations[loc];

	return profile_function_name(o->p, o->p->lines[l->first_line].function);
}

/* A thread waiting for work rather than for something its work needs:
 * the system calls of event loops, or a condition variable or semaphore
 * on the stack (a thread pool's idle workers). */
static bool idle_wait(struct offcpu *o, const char *why, const uint32_t *locs, size_t n)
{
	static const char *const loops[] = {
		"epoll_wait",	   "epoll_pwait", "epoll_pwait2", "poll",   "ppoll",
		"select",	   "pselect6",	  "pselect",	  "pause",  "sigtimedwait",
		"rt_sigtimedwait", "sigwaitinfo", "accept",	  "accept4"};

	for (size_t i = 0; i < sizeof(loops) / sizeof(*loops); i++)
		if (!strcmp(why, loops[i]))
			return true;
	/* the libc frames above the system call, and their caller */
	for (size_t i = 0; i < n && i < 8; i++) {
		const char *fn = frame_name(o, locs[i]);

		if ((strstr(fn, "pthread_cond_") || strstr(fn, "sem_")) && strstr(fn, "wait"))
			return true;
	}
	return false;
}

void offcpu_leave(struct offcpu *o, int32_t tid, uint64_t time, const uint32_t *locs, size_t n,
		  bool truncated, const uint64_t *kchain, size_t nkchain)
{
	offcpu_leave_in(o, tid, time, locs, n, truncated, kchain, nkchain, NULL);
}

void offcpu_leave_in(struct offcpu *o, int32_t tid, uint64_t time, const uint32_t *locs,
		     size_t n, bool truncated, const uint64_t *kchain, size_t nkchain,
		     const char *syscall)
{
	struct wait *w = wait_of(o, tid);
	uint64_t h = 0x9e3779b97f4a7c15ull ^ nkchain;
	const char *why = NULL;
	char buf[128];

	for (size_t i = 0; i < nkchain; i++)
		h = (h ^ kchain[i]) * 0x100000001b3ull;
	for (const char *c = syscall; c && *c; c++)
		h = (h ^ (uint8_t)*c) * 0x100000001b3ull;
	w->same_place = w->left_reason && w->n == n + 1 && w->kchain_hash == h &&
			!memcmp(w->locs + 1, locs, n * sizeof(*locs));
	if (!w->same_place) {
		if (syscall)
			why = syscall;
		else if (nkchain)
			why = kernel_reason(o, kchain, nkchain, buf, sizeof(buf));
		if (!why && n)
			why = syscall_name(frame_name(o, locs[0]), buf, sizeof(buf));
		w->left_reason = profile_str(o->p, why ? why : "unknown");
		w->left_idle = why && idle_wait(o, why, locs, n);
		w->kchain_hash = h;
		w->locs = xgrow(w->locs, &w->cap, n + 1, sizeof(*w->locs));
		memcpy(w->locs + 1, locs, n * sizeof(*locs));
		w->n = n + 1;
	}
	if (!w->open)
		o->nopen++;
	w->open = true;
	w->since = time;
	w->piece = LIVE_PIECE_NS;
	w->reason = w->left_reason;
	w->idle = w->left_idle;
	w->truncated = truncated || n == 0;
}

/* The system call behind a kernel wait channel, for the usual ones. */
static const char *wchan_syscall(const char *wchan)
{
	static const struct {
		const char *part, *name;
	} map[] = {{"pipe_read", "read"},
		   {"pipe_write", "write"},
		   {"futex", "futex"},
		   {"epoll_wait", "epoll_wait"},
		   {"do_select", "select"},
		   {"do_sys_poll", "poll"},
		   {"nanosleep", "clock_nanosleep"},
		   {"wait_woken", "read"},
		   {"do_wait", "wait4"},
		   {"unix_stream_read", "read"},
		   {"inet_csk_accept", "accept"},
		   {"sigsuspend", "pause"},
		   {"do_sigtimedwait", "rt_sigtimedwait"}};

	for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (strstr(wchan, map[i].part))
			return map[i].name;
	return wchan;
}

void offcpu_blocked(struct offcpu *o, int32_t tid, uint64_t time, const char *why)
{
	struct wait *w = wait_of(o, tid);
	char buf[128];

	if (w->open)
		return;
	if (why && *why)
		why = wchan_syscall(why);
	o->nopen++;
	w->open = true;
	w->since = time;
	w->piece = LIVE_PIECE_NS;
	w->reason =
		profile_str(o->p, why && *why ? syscall_name(why, buf, sizeof(buf)) : "unknown");
	/* Stack unknown: an event loop's wait, or a futex a thread was
	 * parked on before we came (a pool's worker, most often), is idle. */
	w->idle = why && (!strcmp(why, "futex") || idle_wait(o, why, NULL, 0));
	w->truncated = true;
	w->locs = xgrow(w->locs, &w->cap, 1, sizeof(*w->locs));
	w->n = 1;
	w->same_place = false;
	w->left_reason = NULL;
}

void offcpu_switch_out(struct offcpu *o, int32_t tid, uint64_t time, bool preempted)
{
	struct wait *w = wait_of(o, tid);

	/* The stack sample comes first, at the same switch; a wait opened
	 * long before is one whose switch-in was lost: start afresh. */
	if (!w->open || time - w->since > 1000000) {
		if (!w->open)
			o->nopen++;
		w->open = true;
		w->since = time;
		w->piece = LIVE_PIECE_NS;
		w->reason = profile_str(o->p, "unknown");
		w->idle = false;
		w->truncated = true;
		w->locs = xgrow(w->locs, &w->cap, 1, sizeof(*w->locs));
		w->n = 1;
		w->same_place = false;
		w->left_reason = NULL;
		w->same_place = false;
		w->left_reason = NULL;
	}
	if (preempted) { /* it had work: it wanted a CPU */
		w->reason = profile_str(o->p, "runnable");
		w->idle = false;
	}
}

/* One record standing for count waits (profile.h: a folded record has
 * their count, summed weight and earliest time). */
static void add_record(struct offcpu *o, int32_t tid, uint64_t since, uint32_t stack, uint64_t ns,
		       uint32_t flags, uint32_t count)
{
	struct prof_sample *s;

	profile_add_sample(o->p, since, tid, stack, ns, flags);
	s = &o->p->samples[o->p->nsamples - 1];
	s->count = count;
	o->p->total_samples += count - 1;
	if (flags & PROF_SAMPLE_TRUNCATED)
		o->p->truncated_samples += count - 1;
}

static void flush_fold(struct offcpu *o, struct wait *w)
{
	if (!w->fold_count)
		return;
	add_record(o, w->tid, w->fold_since, w->fold_stack, w->fold_ns, w->fold_flags,
		   w->fold_count);
	w->fold_count = 0;
}

static void emit(struct offcpu *o, struct wait *w, uint64_t until)
{
	uint64_t ns = until > w->since ? until - w->since : 0;
	uint32_t flags = PROF_SAMPLE_OFFCPU | (w->truncated ? PROF_SAMPLE_TRUNCATED : 0) |
			 (w->idle ? PROF_SAMPLE_IDLE : 0);
	uint32_t stack;
	char leaf[160];

	if (w->same_place && w->stack_reason == w->reason) {
		stack = w->last_stack;
	} else {
		snprintf(leaf, sizeof(leaf), "[off-CPU: %s]", w->reason);
		w->locs[0] = symbols_unknown_location(o->sym, 0, leaf);
		stack = profile_intern_stack(o->p, w->locs, w->n);
		w->last_stack = stack;
		w->stack_reason = w->reason;
		w->same_place = true; /* until the next departure says otherwise */
	}
	w->open = false;
	o->nopen--;
	if (ns >= FOLD_SHORT_NS) {
		flush_fold(o, w); /* the records of a thread stay in time order */
		add_record(o, w->tid, w->since, stack, ns, flags, 1);
		return;
	}
	if (w->fold_count &&
	    (w->fold_stack != stack || w->fold_flags != flags || w->fold_count == UINT32_MAX))
		flush_fold(o, w);
	if (!w->fold_count) {
		w->fold_stack = stack;
		w->fold_flags = flags;
		w->fold_since = w->since;
		w->fold_ns = 0;
	}
	w->fold_ns += ns;
	w->fold_count++;
}

void offcpu_set_live(struct offcpu *o, bool live)
{
	o->live = live;
}

void offcpu_tick(struct offcpu *o, uint64_t now)
{
	for (size_t i = 0; i < o->nslots; i++) {
		struct wait *w = &o->slots[i];

		if (w->tid && w->fold_count && now - w->fold_since >= FOLD_AGE_NS)
			flush_fold(o, w);
		if (o->live && w->tid && w->open && now > w->since && now - w->since >= w->piece) {
			emit(o, w, now); /* the piece so far; the wait goes on */
			w->open = true;
			o->nopen++;
			w->since = now;
			w->piece *= 2;
		}
	}
}

void offcpu_switch_in(struct offcpu *o, int32_t tid, uint64_t time)
{
	struct wait *w = find_slot(o->slots, o->nslots, tid);

	if (w->tid && w->open)
		emit(o, w, time);
}

void offcpu_forget(struct offcpu *o, int32_t tid)
{
	struct wait *w = find_slot(o->slots, o->nslots, tid);

	if (w->tid && w->open) {
		w->open = false;
		o->nopen--;
	}
	if (w->tid)
		flush_fold(o, w); /* those waits did end */
}

void offcpu_forget_all(struct offcpu *o)
{
	for (size_t i = 0; i < o->nslots; i++) {
		o->slots[i].open = false;
		if (o->slots[i].tid)
			flush_fold(o, &o->slots[i]);
	}
	o->nopen = 0;
}

void offcpu_close_all(struct offcpu *o, uint64_t time)
{
	for (size_t i = 0; i < o->nslots; i++) {
		if (o->slots[i].tid && o->slots[i].open)
			emit(o, &o->slots[i], time);
		if (o->slots[i].tid)
			flush_fold(o, &o->slots[i]);
	}
}

size_t offcpu_open_count(const struct offcpu *o)
{
	return o->nopen;
}
