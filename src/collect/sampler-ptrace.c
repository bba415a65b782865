/* The ptrace backend, for where perf_event_open is refused: every thread of
 * the target is PTRACE_SEIZEd (new threads and children follow through
 * PTRACE_O_TRACECLONE/FORK/VFORK), and on each tick of a timerfd the
 * threads that are running and used CPU since their last sample are
 * PTRACE_INTERRUPTed, their registers and the top of their stack copied
 * (one process_vm_readv: the collector unwinds the copy as it does perf's
 * samples; with --unwind fp, libunwind-ptrace unwinds in place) and let go
 * at once.
 * The CPU time a thread used since its last sample (schedstat) is the
 * sample's weight, so weights are CPU ns as with perf's cpu-clock.
 *
 * The wall clock (cfg.offcpu): every thread is looked at on each tick. A
 * blocked one in a wait not seen yet is interrupted once: the system call
 * it was stopped in names the wait, its stack is the off_cpu sample, and
 * the wait goes on without another stop while the thread does not run (or
 * is back in the same call at the same sp and pc); when it has run, the
 * wait ended (sched_switch in, at an estimate within the tick). Run-queue
 * time (schedstat) before a CPU sample becomes a preempted switch there.
 *
 * Waiting: tracee stops arrive as SIGCHLD (a signalfd) and are taken with
 * waitpid(-1, __WALL). Signals meant for the target are re-injected, group
 * stops are kept with PTRACE_LISTEN. The launched main process is our
 * child too: the backend reaps it and reports its wait status through the
 * sink, since the target may not call waitpid while we trace. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/user.h>

#include <asm/perf_regs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libunwind-ptrace.h>

#include "sampler-ptrace-int.h"
#include "sampler.h"
#include "xalloc.h"

long pt_request(int req, pid_t tid, unsigned long addr, unsigned long data)
{
	return ptrace((enum __ptrace_request)req, tid, (void *)addr, (void *)data);
}

/* ---- /proc ---- */

int pt_open_task_file(pid_t pid, pid_t tid, const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)pid, (int)tid, name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static ssize_t pread_str(int fd, char *buf, size_t len)
{
	ssize_t n = pread(fd, buf, len - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return n;
}

/* schedstat: time spent on a CPU and waiting for one (run queue), ns. */
static bool read_sched(const struct pt_thread *t, uint64_t *ns, uint64_t *rq)
{
	char buf[128], *end;
	uint64_t q;

	if (t->sched_fd < 0 || pread_str(t->sched_fd, buf, sizeof(buf)) <= 0)
		return false;
	*ns = strtoull(buf, &end, 10);
	q = strtoull(end, NULL, 10);
	if (rq)
		*rq = q;
	return true;
}

static bool read_cpu_ns(const struct pt_thread *t, uint64_t *ns)
{
	return read_sched(t, ns, NULL);
}

/* /proc/.../syscall of a blocked thread: its system call, user sp and pc.
 * False when it is not in one (or running, or unreadable). */
static bool read_syscall(const struct pt_thread *t, long *nr, uint64_t *sp, uint64_t *pc)
{
	char buf[256], *p, *end;
	int fd = pt_open_task_file(t->pid, t->tid, "syscall");
	ssize_t n;

	if (fd < 0)
		return false;
	n = pread_str(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || buf[0] < '0' || buf[0] > '9')
		return false;
	*nr = strtol(buf, &p, 10);
	for (int i = 0; i < 6; i++) /* the arguments */
		strtoull(p, &p, 16);
	*sp = strtoull(p, &end, 16);
	*pc = strtoull(end, NULL, 16);
	return end != p;
}

/* The state letter of /proc/.../stat ('R', 'S', ...), '?' if unreadable. */
char pt_read_state(const struct pt_thread *t)
{
	char buf[512], *rp;

	if (t->stat_fd < 0 || pread_str(t->stat_fd, buf, sizeof(buf)) <= 0)
		return '?';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : '?';
}

static void read_comm(pid_t pid, pid_t tid, char *comm, size_t len)
{
	int fd = pt_open_task_file(pid, tid, "comm");
	char buf[64];

	comm[0] = '\0';
	if (fd < 0)
		return;
	if (pread_str(fd, buf, sizeof(buf)) > 0) {
		size_t n = strcspn(buf, "\n");

		if (n >= len)
			n = len - 1;
		memcpy(comm, buf, n);
		comm[n] = '\0';
	}
	close(fd);
}

/* "Tgid:" and "PPid:" of /proc/TID/status (works for any thread id). */
bool pt_read_ids(pid_t tid, pid_t *tgid, pid_t *ppid)
{
	char path[64], line[256];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (found < 2 && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Tgid:", 5))
			*tgid = (pid_t)atoi(line + 5), found++;
		else if (!strncmp(line, "PPid:", 5))
			*ppid = (pid_t)atoi(line + 5), found++;
	}
	fclose(f);
	return found == 2;
}

/* ---- threads and processes ---- */

struct pt_thread *pt_find_thread(struct sampler *s, pid_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid == tid)
			return &s->threads[i];
	return NULL;
}

static struct pt_process *find_process(struct sampler *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

static struct pt_process *get_process(struct sampler *s, pid_t pid)
{
	struct pt_process *p = find_process(s, pid);

	if (p)
		return p;
	s->procs = xgrow(s->procs, &s->procs_cap, s->nprocs + 1, sizeof(*s->procs));
	p = &s->procs[s->nprocs++];
	p->pid = pid;
	p->as = unw_create_addr_space(&_UPT_accessors, 0);
	if (!p->as)
		fatal("out of memory (libunwind address space)");
	unw_set_caching_policy(p->as, UNW_CACHE_GLOBAL);
	return p;
}

static void drop_process(struct sampler *s, pid_t pid)
{
	struct pt_process *p = find_process(s, pid);

	if (!p)
		return;
	unw_destroy_addr_space(p->as);
	*p = s->procs[--s->nprocs];
}

/* (Re)open the /proc files of t after it appeared or changed identity. */
static void open_thread_files(struct pt_thread *t)
{
	if (t->sched_fd >= 0)
		close(t->sched_fd);
	if (t->stat_fd >= 0)
		close(t->stat_fd);
	t->sched_fd = pt_open_task_file(t->pid, t->tid, "schedstat");
	t->stat_fd = pt_open_task_file(t->pid, t->tid, "stat");
}

/* Track a traced thread; baseline: count CPU from now on (an existing
 * thread) or from its start (one created while we trace). */
struct pt_thread *pt_add_thread(struct sampler *s, pid_t pid, pid_t tid, bool from_start)
{
	struct pt_thread *t;

	s->threads = xgrow(s->threads, &s->threads_cap, s->nthreads + 1, sizeof(*s->threads));
	t = &s->threads[s->nthreads++];
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->pid = pid;
	t->sched_fd = t->stat_fd = -1;
	open_thread_files(t);
	if (from_start || !read_sched(t, &t->cpu_ns, &t->rq_ns))
		t->cpu_ns = t->rq_ns = 0;
	t->seen_ns = loop_now_ns();
	read_comm(pid, tid, t->comm, sizeof(t->comm));
	get_process(s, pid);
	return t;
}

static void forget_upt(struct pt_thread *t)
{
	if (t->upt)
		_UPT_destroy(t->upt);
	t->upt = NULL;
}

void pt_drop_thread(struct sampler *s, struct pt_thread *t)
{
	if (t->want_sample) {
		s->npending--;
		s->lost++;
	}
	forget_upt(t);
	if (t->sched_fd >= 0)
		close(t->sched_fd);
	if (t->stat_fd >= 0)
		close(t->stat_fd);
	*t = s->threads[--s->nthreads];
}

/* A thread we have not met: a new thread or child, from its creator's
 * event or from its own first stop (the order is not guaranteed). The
 * creator (parent_tid, 0 if unknown) gives its process and name. */
static struct pt_thread *adopt(struct sampler *s, pid_t tid, pid_t parent_tid,
			       const struct sampler_sink *k)
{
	const struct pt_thread *parent = parent_tid ? pt_find_thread(s, parent_tid) : NULL;
	pid_t tgid = tid, ppid = 0, ptid;
	struct pt_thread *t = pt_find_thread(s, tid);
	char pcomm[16] = "";

	if (t)
		return t;
	if (!pt_read_ids(tid, &tgid, &ppid))
		return NULL; /* gone already */
	/* Copied: adding a thread may move the array. */
	if (parent) {
		ppid = parent->pid;
		memcpy(pcomm, parent->comm, sizeof(pcomm));
	}
	ptid = parent ? parent->tid : tgid != tid ? tgid : ppid;
	t = pt_add_thread(s, tgid, tid, true);
	if (k->fork) /* for a thread, the process is its own parent, as perf has it */
		k->fork(k->ctx, tgid, tgid != tid ? tgid : ppid, tid, ptid);
	/* The new thread has its creator's name until it sets its own. */
	if (k->comm && t->comm[0] && strcmp(pcomm, t->comm))
		k->comm(k->ctx, tgid, tid, t->comm, false);
	return t;
}

/* ---- sampling ---- */

/* Unwind a stopped thread into s->chain (PERF_CONTEXT_USER, pcs...).
 * Returns the number of entries; *truncated when unwinding failed early. */
static size_t unwind_thread(struct sampler *s, struct pt_thread *t, bool *truncated)
{
	struct pt_process *p = get_process(s, t->pid);
	unw_cursor_t cur;
	size_t n = 1;
	int r = 0;

	*truncated = false;
	s->chain[0] = (uint64_t)PERF_CONTEXT_USER;
	if (!t->upt)
		t->upt = _UPT_create(t->tid);
	if (t->upt && unw_init_remote(&cur, p->as, t->upt) == 0) {
		do {
			unw_word_t ip;

			if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
				break;
			s->chain[n++] = ip;
			r = unw_step(&cur);
		} while (r > 0 && n <= PT_MAX_FRAMES);
		*truncated = r < 0 || n > PT_MAX_FRAMES;
	}
	if (n == 1) {
		/* No unwinding at all: the IP alone. */
		struct user_regs_struct regs;

		*truncated = true;
		if (pt_request(PTRACE_GETREGS, t->tid, 0, (unsigned long)&regs) == 0 && regs.rip)
			s->chain[n++] = regs.rip;
	}
	return n;
}

/* With cfg.dwarf: copy a stopped thread's registers and the top of its
 * stack (from sp, cfg.stack_size bytes or up to the end of its mapping)
 * into s->snap, in one process_vm_readv; the collector unwinds it as it
 * does perf's samples. False if the registers could not be read. */
static bool snapshot_thread(struct sampler *s, struct pt_thread *t)
{
	struct iovec local, remote[PT_STACK_IOVS];
	struct user_regs_struct r;
	uint64_t *regs = s->snap.regs;
	size_t nr = 0, want = s->cfg.stack_size;
	uint64_t at;
	ssize_t got;

	if (s->stop_regs_tid == t->tid)
		r = s->stop_regs;
	else if (pt_request(PTRACE_GETREGS, t->tid, 0, (unsigned long)&r) < 0)
		return false;
	s->stop_regs_tid = 0;
	if (!r.rip)
		return false;
	memset(regs, 0, sizeof(s->snap.regs));
	regs[PERF_REG_X86_AX] = r.rax, regs[PERF_REG_X86_BX] = r.rbx;
	regs[PERF_REG_X86_CX] = r.rcx, regs[PERF_REG_X86_DX] = r.rdx;
	regs[PERF_REG_X86_SI] = r.rsi, regs[PERF_REG_X86_DI] = r.rdi;
	regs[PERF_REG_X86_BP] = r.rbp, regs[PERF_REG_X86_SP] = r.rsp;
	regs[PERF_REG_X86_IP] = r.rip, regs[PERF_REG_X86_FLAGS] = r.eflags;
	regs[PERF_REG_X86_CS] = r.cs, regs[PERF_REG_X86_SS] = r.ss;
	regs[PERF_REG_X86_R8] = r.r8, regs[PERF_REG_X86_R9] = r.r9;
	regs[PERF_REG_X86_R10] = r.r10, regs[PERF_REG_X86_R11] = r.r11;
	regs[PERF_REG_X86_R12] = r.r12, regs[PERF_REG_X86_R13] = r.r13;
	regs[PERF_REG_X86_R14] = r.r14, regs[PERF_REG_X86_R15] = r.r15;
	/* One remote piece per page: the copy stops at the first page that
	 * is not mapped (the stack's end) and keeps what came before. */
	for (at = r.rsp; want && nr < PT_STACK_IOVS; nr++) {
		size_t len = PT_PAGE - (size_t)(at & (PT_PAGE - 1));

		if (len > want)
			len = want;
		remote[nr] = (struct iovec){.iov_base = (void *)(uintptr_t)at, .iov_len = len};
		at += len;
		want -= len;
	}
	local = (struct iovec){.iov_base = s->stack, .iov_len = s->cfg.stack_size - want};
	got = process_vm_readv(t->tid, &local, 1, remote, nr, 0);
	s->snap.stack = s->stack;
	s->snap.stack_len = got > 0 ? (size_t)got : 0;
	return true;
}

/* x86-64 system call names, for the off-CPU reason. */
static const char *syscall_name(long nr)
{
#define SC(name) {SYS_##name, #name}
	static const struct {
		long nr;
		const char *name;
	} names[] = {SC(read),	       SC(write),	    SC(open),		SC(close),
		     SC(poll),	       SC(ioctl),	    SC(pread64),	SC(pwrite64),
		     SC(readv),	       SC(writev),	    SC(select),		SC(sched_yield),
		     SC(msync),	       SC(pause),	    SC(nanosleep),	SC(sendfile),
		     SC(connect),      SC(accept),	    SC(sendto),		SC(recvfrom),
		     SC(sendmsg),      SC(recvmsg),	    SC(wait4),		SC(semop),
		     SC(msgsnd),       SC(msgrcv),	    SC(fcntl),		SC(flock),
		     SC(fsync),	       SC(fdatasync),	    SC(rt_sigtimedwait), SC(rt_sigsuspend),
		     SC(sync),	       SC(futex),	    SC(io_getevents),	SC(semtimedop),
		     SC(clock_nanosleep), SC(epoll_wait),   SC(mq_timedsend),	SC(mq_timedreceive),
		     SC(waitid),       SC(openat),	    SC(pselect6),	SC(ppoll),
		     SC(splice),       SC(epoll_pwait),	    SC(accept4),	SC(recvmmsg),
		     SC(sendmmsg),     SC(preadv),	    SC(pwritev),	SC(copy_file_range),
		     SC(preadv2),      SC(pwritev2),	    SC(io_uring_enter), SC(epoll_pwait2),
		     SC(futex_waitv),  SC(restart_syscall)};
#undef SC
	static char other[32];

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (names[i].nr == nr)
			return names[i].name;
	snprintf(other, sizeof(other), "syscall %ld", nr);
	return other;
}

/* The kernel's restart codes (include/linux/errno.h; not in the user
 * headers): a stop that broke off a system call leaves one in rax. */
#define PT_ERESTARTSYS		512
#define PT_ERESTARTNOINTR	513
#define PT_ERESTARTNOHAND	514
#define PT_ERESTART_RESTARTBLOCK 516

/* The wall clock: the system call a stopped thread was waiting in when
 * our interrupt came (orig_rax, with rax saying it was broken off), its sp
 * and pc kept to know the wait again without stopping it; NULL if it was
 * not in one (it woke before the stop came). */
static const char *stop_syscall(struct sampler *s, struct pt_thread *t)
{
	struct user_regs_struct r;
	long long rax;
	long nr;

	if (s->stop_regs_tid == t->tid) {
		r = s->stop_regs;
	} else {
		if (pt_request(PTRACE_GETREGS, t->tid, 0, (unsigned long)&r) < 0)
			return NULL;
		s->stop_regs = r;
		s->stop_regs_tid = t->tid;
	}
	rax = (long long)r.rax;
	nr = (long)(long long)r.orig_rax;
	if (nr < 0 || (rax != -EINTR && rax != -PT_ERESTARTSYS && rax != -PT_ERESTARTNOINTR &&
		       rax != -PT_ERESTARTNOHAND && rax != -PT_ERESTART_RESTARTBLOCK))
		return NULL;
	/* a wait restarted after an earlier stop of ours keeps its name */
	if (nr != SYS_restart_syscall || !t->wait_nr)
		t->wait_nr = nr;
	t->wait_sp = r.rsp;
	t->wait_pc = r.rip;
	return syscall_name(t->wait_nr);
}

struct taken {
	const char *wait; /* an off-CPU sample: the system call waited in */
	size_t n; /* entries in s->chain, 0: no sample */
	bool truncated;
	size_t capture_len; /* bytes of s->capture */
	bool snap; /* the sample is s->snap, not s->chain */
};

/* Take the sample asked of a stopped thread (copy or unwind it now, while
 * it is stopped); emit() hands it over once the thread runs again. */
static struct taken take(struct sampler *s, struct pt_thread *t)
{
	struct taken tk = {0};

	if (!t->want_sample)
		return tk;
	t->want_sample = false;
	s->npending--;
	if (t->want_wait) {
		t->want_wait = false;
		tk.wait = stop_syscall(s, t);
		if (!tk.wait) /* it woke before the stop: no wait, no sample */
			return tk;
	} else if (s->cfg.offcpu) {
		/* A running thread asked to stop may have blocked before the
		 * stop came: its call's name, should it go on in restart_syscall. */
		stop_syscall(s, t);
	}
	if (s->cfg.dwarf) {
		tk.snap = snapshot_thread(s, t);
		tk.n = tk.snap ? 2 : 0;
	} else {
		tk.n = unwind_thread(s, t, &tk.truncated);
	}
	if (tk.n <= 1) {
		s->lost++;
		tk.n = 0;
	}
	if (tk.n && s->cfg.capture)
		tk.capture_len = s->cfg.capture(s->cfg.capture_arg, t->pid, t->tid,
						loop_now_ns(), s->capture, sizeof(s->capture));
	return tk;
}

static void emit(struct sampler *s, struct pt_thread *t, const struct taken *tk,
		 const struct sampler_sink *k)
{
	struct raw_sample rs;

	if (!tk->n)
		return;
	/* Thread names change (pthread_setname_np) without an event: look
	 * again at the first samples, then now and then. */
	t->nsamples++;
	if (k->comm && ((t->nsamples & (t->nsamples - 1)) == 0 || t->nsamples % 64 == 0)) {
		char comm[16];

		read_comm(t->pid, t->tid, comm, sizeof(comm));
		if (comm[0] && strcmp(comm, t->comm)) {
			memcpy(t->comm, comm, sizeof(comm));
			k->comm(k->ctx, t->pid, t->tid, comm, false);
		}
	}
	if (!k->sample)
		return;
	memset(&rs, 0, sizeof(rs));
	rs.pid = t->pid;
	rs.tid = t->tid;
	rs.time = loop_now_ns();
	rs.period = t->weight;
	if (tk->snap) {
		rs.ip = s->snap.regs[PERF_REG_X86_IP];
		rs.have_user_regs = true;
		rs.snap = s->snap;
	} else {
		rs.ip = s->chain[1];
		rs.callchain = s->chain;
		rs.nchain = tk->n;
		rs.truncated = tk->truncated;
	}
	rs.capture = tk->capture_len ? s->capture : NULL;
	rs.capture_len = tk->capture_len;
	if (tk->wait) { /* a wait begins: one record when it ends */
		rs.time = t->wait_since;
		rs.period = 0;
		rs.why = tk->wait;
		if (k->off_cpu)
			k->off_cpu(k->ctx, &rs);
		t->waiting = true;
		return;
	}
	k->sample(k->ctx, &rs);
	/* The wall clock: the time it waited for a CPU since its last
	 * sample, as perf's preempted switch: runnable, at this stack. */
	if (s->cfg.offcpu && t->rq_weight && k->off_cpu && k->sched_switch) {
		uint64_t from = rs.time - t->rq_weight;

		rs.time = from;
		k->off_cpu(k->ctx, &rs);
		k->sched_switch(k->ctx, t->pid, t->tid, from, true, true);
		k->sched_switch(k->ctx, t->pid, t->tid, from + t->rq_weight, false, false);
	}
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* A stop of ours (an interrupt, an event, a signal the kernel shows a
 * tracer but would otherwise have ignored) wakes a thread sleeping in
 * epoll_wait, sigtimedwait and the like, and those calls return EINTR
 * rather than restart. Untraced, the thread would have slept on: turn the
 * EINTR into -ERESTARTNOHAND, which the kernel restarts when no handler
 * runs and turns back into EINTR when one does. A stop signal is left
 * alone: untraced, epoll_wait fails with EINTR after SIGSTOP/SIGCONT too.
 * status is the thread's wait status (a ptrace-stop). */
static bool keep_syscall(pid_t tid, int status, struct user_regs_struct *regs)
{
	int event = (int)((unsigned)status >> 16);

	if ((event == 0 || event == PTRACE_EVENT_STOP) && is_stop_signal(WSTOPSIG(status)))
		return false;
	if (pt_request(PTRACE_GETREGS, tid, 0, (unsigned long)regs) < 0)
		return false;
	if ((long long)regs->orig_rax < 0 || (long long)regs->rax != -EINTR)
		return true;
	regs->rax = (unsigned long long)-PT_ERESTARTNOHAND;
	pt_request(PTRACE_SETREGS, tid, 0, (unsigned long)regs);
	return true;
}

void pt_keep_syscall(pid_t tid, int status)
{
	struct user_regs_struct regs;

	keep_syscall(tid, status, &regs);
}

/* Let a stopped thread go on (PTRACE_CONT with sig, the signal it was to
 * receive, or 0) or keep it in its group-stop (PTRACE_LISTEN), taking the
 * sample asked of it first. */
static void release(struct sampler *s, struct pt_thread *t, int req, int sig,
		    const struct sampler_sink *k)
{
	uint64_t stopped = loop_now_ns();
	struct taken tk = take(s, t);

	pt_request(req, t->tid, 0, (unsigned long)sig);
	t->listening = req == PTRACE_LISTEN;
	/* What we cost it: the time it waited for us once stopped. (From
	 * the interrupt on, it may also wait for a CPU, as it would anyway.) */
	if (tk.n)
		s->held_ns += loop_now_ns() - stopped;
	emit(s, t, &tk, k);
}

/* ---- events ---- */

static void on_death(struct sampler *s, pid_t tid, int status, const struct sampler_sink *k)
{
	struct pt_thread *t = pt_find_thread(s, tid);
	pid_t pid = t ? t->pid : tid;

	if (t) {
		/* A wait ends with the thread (killed in it, or ran to its end
		 * since our last look): not dropped as one never ended. */
		if (t->waiting && k->sched_switch)
			k->sched_switch(k->ctx, pid, tid, loop_now_ns(), false, false);
		t->waiting = false;
		if (k->exit)
			k->exit(k->ctx, pid, tid);
		pt_drop_thread(s, t);
	}
	if (pid == tid) { /* the leader goes last: the process is over */
		if (k->reaped)
			k->reaped(k->ctx, pid, status);
		drop_process(s, pid);
	}
}

/* PTRACE_EVENT_EXEC: new program, new mappings; a non-leader that exec'd
 * has taken the leader's tid (the message holds its former one). */
static struct pt_thread *on_exec(struct sampler *s, struct pt_thread *t,
				 const struct sampler_sink *k)
{
	unsigned long former = 0;
	pid_t tid = t->tid, pid = t->pid;
	struct pt_process *p;

	if (pt_request(PTRACE_GETEVENTMSG, tid, 0, (unsigned long)&former) == 0 && former &&
	    (pid_t)former != tid) {
		struct pt_thread *old = pt_find_thread(s, (pid_t)former);

		if (old)
			pt_drop_thread(s, old);
		t = pt_find_thread(s, tid);
	}
	p = find_process(s, pid);
	if (p)
		unw_flush_cache(p->as, 0, 0);
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].pid == pid)
			forget_upt(&s->threads[i]);
	open_thread_files(t);
	if (!read_cpu_ns(t, &t->cpu_ns))
		t->cpu_ns = 0;
	read_comm(pid, tid, t->comm, sizeof(t->comm));
	if (k->comm)
		k->comm(k->ctx, pid, tid, t->comm, true);
	return t;
}

/* A program that traces processes itself (a debugger, strace, an ASan
 * build's LeakSanitizer) cannot be traced too: its own PTRACE_TRACEME or
 * attach would fail with EPERM. t has just exec'd it (its only thread,
 * stopped before the first instruction): let it go, untouched and
 * unprofiled, with its future children, and say so once. */
static void let_tracer_go(struct sampler *s, struct pt_thread *t, const struct sampler_sink *k)
{
	pid_t pid = t->pid, tid = t->tid;

	if (!s->told_tracer)
		warnx_("%s (pid %d) traces processes itself (a debugger, strace or "
		       "LeakSanitizer): the ptrace backend lets it run unprofiled; use "
		       "--backend perf to profile it",
		       t->comm, (int)pid);
	s->told_tracer = true;
	t->want_sample = false;
	pt_drop_thread(s, t);
	drop_process(s, pid);
	if (k->exit)
		k->exit(k->ctx, pid, tid);
	pt_request(PTRACE_DETACH, tid, 0, 0);
}

static void on_stop(struct sampler *s, pid_t tid, int status, const struct sampler_sink *k)
{
	int sig = WSTOPSIG(status), event = (int)((unsigned)status >> 16);
	struct pt_thread *t = pt_find_thread(s, tid);

	if (!t)
		t = adopt(s, tid, 0, k);
	if (!t) {
		/* Vanished while we looked: let it go as it was going. */
		pt_request(PTRACE_CONT, tid, 0, (unsigned long)(event == 0 ? sig : 0));
		return;
	}
	/* the registers read here serve the sample too (one system call less) */
	s->stop_regs_tid = keep_syscall(tid, status, &s->stop_regs) ? tid : 0;
	switch (event) {
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE: {
		unsigned long child = 0;

		if (pt_request(PTRACE_GETEVENTMSG, tid, 0, (unsigned long)&child) == 0 && child)
			adopt(s, (pid_t)child, tid, k);
		release(s, pt_find_thread(s, tid), PTRACE_CONT, 0, k);
		break;
	}
	case PTRACE_EVENT_EXEC:
		t = on_exec(s, t, k);
		if (pt_program_traces(t->pid))
			let_tracer_go(s, t, k);
		else
			release(s, t, PTRACE_CONT, 0, k);
		break;
	case PTRACE_EVENT_STOP:
		/* A group-stop (SIGSTOP and friends) keeps the thread stopped,
		 * as job control expects; anything else is our interrupt or a
		 * new tracee's first stop. */
		release(s, t, is_stop_signal(sig) ? PTRACE_LISTEN : PTRACE_CONT, 0, k);
		break;
	case 0:
		/* Signal-delivery-stop: the signal is the target's, deliver it. */
		release(s, t, PTRACE_CONT, sig, k);
		break;
	default: /* PTRACE_EVENT_EXIT and the like */
		release(s, t, PTRACE_CONT, 0, k);
		break;
	}
}

static void drain_sigfd(struct sampler *s)
{
	struct signalfd_siginfo si[16];

	while (read(s->sigfd, si, sizeof(si)) == (ssize_t)sizeof(si))
		;
}

/* Take tid's wait status if it has one; true if it had. */
static bool take_status(struct sampler *s, pid_t tid, const struct sampler_sink *k)
{
	int status;

	if (waitpid(tid, &status, __WALL | WNOHANG) != tid)
		return false;
	if (WIFSTOPPED(status))
		on_stop(s, tid, status, k);
	else if (WIFEXITED(status) || WIFSIGNALED(status))
		on_death(s, tid, status, k);
	return true;
}

/* A tracee of ours: a thread we know, or one the kernel attached to us
 * (a new thread or child whose creator's event has not come yet). */
static bool is_tracee(struct sampler *s, pid_t tid)
{
	char path[64], line[128];
	bool ours = false;
	FILE *f;

	/* Our launched child stays ours to reap even once let go. */
	if (pt_find_thread(s, tid) || tid == s->child)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "TracerPid:", 10))
			ours = atoi(line + 10) == getpid();
	fclose(f);
	return ours;
}

/* Handle every wait status of our tracees ready now; returns how many.
 * Only tracees' statuses are taken: proftop's other children (helper
 * processes of other modules) are waited for by their owners. So peek
 * first; when the next waitable child is not ours, ask each of our
 * threads in turn instead. */
static size_t reap(struct sampler *s, const struct sampler_sink *k)
{
	size_t n = 0;

	for (;;) {
		siginfo_t si;
		pid_t *tids;
		size_t nt;

		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0 ||
		    si.si_pid == 0)
			return n;
		if (is_tracee(s, si.si_pid)) {
			if (!take_status(s, si.si_pid, k))
				return n;
			n++;
			continue;
		}
		/* Copied: handling a status may add or drop threads. */
		nt = s->nthreads;
		tids = xmalloc((nt ? nt : 1) * sizeof(*tids));
		for (size_t i = 0; i < nt; i++)
			tids[i] = s->threads[i].tid;
		for (size_t i = 0; i < nt; i++)
			n += take_status(s, tids[i], k);
		free(tids);
		return n;
	}
}

/* Wait for SIGCHLD up to deadline (CLOCK_MONOTONIC ns); false if it passed. */
bool pt_wait_sigchld(struct sampler *s, uint64_t deadline)
{
	uint64_t now = loop_now_ns();
	struct pollfd p = {.fd = s->sigfd, .events = POLLIN};

	if (now >= deadline)
		return false;
	poll(&p, 1, (int)((deadline - now + 999999) / 1000000));
	drain_sigfd(s);
	return true;
}

/* One sampling round: interrupt every thread that is running and used
 * CPU since its last sample, and take the samples as the stops come. A
 * thread that ran but sleeps now is not disturbed (interrupting a sleep
 * can make some system calls fail with EINTR): its CPU time is carried to
 * its next sample. */
/* The wall clock (cfg.offcpu), one thread at now: a wait it was in goes
 * on while it has not run since, or is back at the same system call, sp
 * and pc (its restart after our stop costs it a little CPU, counted as
 * the wait's); else the wait ended (sched_switch in) at an estimate.
 * Blocked now, in a wait not yet seen: interrupted once for its stack
 * (take: off_cpu at its estimated start). True when asked for a sample. */
static bool wall_look(struct sampler *s, struct pt_thread *t, uint64_t now,
		      const struct sampler_sink *k)
{
	uint64_t cpu, rq, span = now > t->seen_ns ? now - t->seen_ns : 0, ran, end;
	char state = pt_read_state(t);
	bool blocked = state == 'S' || state == 'D';

	if (!read_sched(t, &cpu, &rq))
		return false;
	if (t->waiting && blocked) {
		long nr;
		uint64_t sp, pc;

		if (cpu == t->wait_cpu) {
			t->seen_ns = now;
			return false;
		}
		if (read_syscall(t, &nr, &sp, &pc) && sp == t->wait_sp && pc == t->wait_pc &&
		    (nr == t->wait_nr || nr == SYS_restart_syscall)) {
			t->cpu_ns += cpu - t->wait_cpu; /* not CPU of a sample */
			t->wait_cpu = cpu;
			t->seen_ns = now;
			return false;
		}
	}
	ran = cpu - (t->waiting ? t->wait_cpu : t->cpu_ns);
	if (ran > span)
		ran = span;
	if (t->waiting) {
		/* It ran ran ns (and may have waited for a CPU) since it woke. */
		uint64_t queued = rq - t->rq_ns < span - ran ? rq - t->rq_ns : span - ran;

		end = blocked ? t->seen_ns + (span - ran) / 2 : now - ran - queued;
		if (end < t->wait_since)
			end = t->wait_since;
		if (k->sched_switch)
			k->sched_switch(k->ctx, t->pid, t->tid, end, false, false);
		t->waiting = false;
		t->rq_ns = rq; /* that queueing is in the wait */
	} else {
		end = t->seen_ns;
	}
	t->seen_ns = now;
	if (blocked) {
		if (pt_request(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
			return false;
		t->wait_since = end + ran < now ? end + ran : now;
		t->wait_cpu = cpu;
		t->want_wait = true;
		return true;
	}
	if (state != 'R' || cpu <= t->cpu_ns || pt_request(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		return false;
	t->weight = cpu - t->cpu_ns;
	t->cpu_ns = cpu;
	t->rq_weight = rq > t->rq_ns ? rq - t->rq_ns : 0;
	t->rq_ns = rq;
	return true;
}

static void tick(struct sampler *s, const struct sampler_sink *k)
{
	uint64_t t0 = loop_now_ns();

	for (size_t i = 0; i < s->nthreads; i++) {
		struct pt_thread *t = &s->threads[i];
		uint64_t cpu;

		if (t->want_sample || t->listening)
			continue;
		if (s->cfg.offcpu) {
			if (wall_look(s, t, t0, k)) {
				t->want_sample = true;
				s->npending++;
			}
			continue;
		}
		if (!read_cpu_ns(t, &cpu) || cpu <= t->cpu_ns)
			continue;
		if (pt_read_state(t) != 'R' || pt_request(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
			continue;
		t->weight = cpu - t->cpu_ns;
		t->cpu_ns = cpu;
		t->want_sample = true;
		s->npending++;
	}
	/* The stops come after the interrupts: wait first (the SIGCHLD of a
	 * stop that came already is pending), then take every one there is. */
	while (s->npending > 0 && pt_wait_sigchld(s, t0 + PT_STOP_WAIT_NS))
		reap(s, k);
}

/* ---- the sampler_ops ---- */

static void arm_timer(struct sampler *s, bool on)
{
	long period = 1000000000L / (long)(s->cfg.freq ? s->cfg.freq : 1);
	struct itimerspec its = {0};

	if (on) {
		its.it_interval.tv_sec = period / 1000000000L;
		its.it_interval.tv_nsec = period % 1000000000L;
		its.it_value = its.it_interval;
	}
	timerfd_settime(s->timerfd, 0, &its, NULL);
	s->enabled = on;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void ptrace_close(struct sampler *s)
{
	sigset_t chld;

	if (!s)
		return;
	pt_detach_all(s);
	while (s->nprocs > 0)
		drop_process(s, s->procs[s->nprocs - 1].pid);
	if (s->timerfd >= 0)
		close(s->timerfd);
	if (s->sigfd >= 0)
		close(s->sigfd);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (!sigismember(&s->oldmask, SIGCHLD))
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
	free(s->threads);
	free(s->procs);
	free(s->stack);
	free(s);
}

static int ptrace_open(struct sampler **out, const struct sampler_config *cfg, const pid_t *pids,
		       size_t npids, char *err, size_t errlen)
{
	struct sampler *s;
	sigset_t chld;

	s = xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	if (cfg->dwarf)
		s->stack = xmalloc(cfg->stack_size ? cfg->stack_size : 1);
	s->timerfd = s->sigfd = -1;
	if (cfg->launch && npids > 0)
		s->child = pids[0];
	/* Tracee stops arrive as SIGCHLD: read them from a signalfd. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &s->oldmask);
	s->sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->sigfd < 0 || s->timerfd < 0) {
		snprintf(err, errlen, "ptrace backend: cannot create a %s: %s",
			 s->sigfd < 0 ? "signalfd" : "timerfd", strerror(errno));
		ptrace_close(s);
		return -1;
	}
	raise_fd_limit();
	for (size_t i = 0; i < npids; i++) {
		if (pt_seize_process(s, pids[i], err, errlen) < 0) {
			ptrace_close(s);
			return -1;
		}
	}
	/* What cannot be avoided, said once (issue: detach must leave the
	 * target as it was): a thread asleep in the kernel when detaching
	 * stops it has its call restarted, not failed, but a timed wait
	 * starts its timeout over. */
	if (!cfg->launch && cfg->offcpu)
		warnx_("ptrace backend: threads asleep in a system call are stopped once per wait "
		       "(wall clock) and at detach, and restart it (a timed epoll_wait or "
		       "sigtimedwait starts its timeout over); --backend perf avoids this");
	else if (!cfg->launch)
		warnx_("ptrace backend: at detach, threads asleep in a system call restart it "
		       "(a timed wait starts its timeout over); --backend perf avoids this");
	arm_timer(s, true);
	*out = s;
	return 0;
}

static size_t ptrace_fds(struct sampler *s, int *fds, size_t max)
{
	size_t n = 0;

	if (n < max)
		fds[n++] = s->sigfd;
	if (n < max)
		fds[n++] = s->timerfd;
	return n;
}

static bool ptrace_drain(struct sampler *s, const struct sampler_sink *k, uint64_t budget_ns)
{
	uint64_t ticks = 0;

	(void)budget_ns;
	drain_sigfd(s);
	reap(s, k);
	if (read(s->timerfd, &ticks, sizeof(ticks)) == sizeof(ticks) && ticks && s->enabled)
		tick(s, k);
	return false;
}

static void ptrace_enable(struct sampler *s, bool on)
{
	uint64_t now = loop_now_ns();

	if (on != s->enabled)
		arm_timer(s, on);
	/* The wall clock: paused, the collector drops the open waits;
	 * sampling again, the waits seen are new ones, from now, and the
	 * time queued for a CPU meanwhile is not counted. */
	for (size_t i = 0; s->cfg.offcpu && i < s->nthreads; i++) {
		struct pt_thread *t = &s->threads[i];
		uint64_t cpu;

		t->waiting = false;
		t->seen_ns = now;
		read_sched(t, &cpu, &t->rq_ns);
	}
}

static uint64_t ptrace_lost(struct sampler *s)
{
	return s->lost;
}

static bool ptrace_kernel_included(struct sampler *s)
{
	(void)s;
	return false;
}

static uint64_t ptrace_overhead(struct sampler *s)
{
	return s->held_ns;
}

const struct sampler_ops sampler_ptrace_ops = {
	.name = "ptrace",
	.traces = true,
	.open = ptrace_open,
	.fds = ptrace_fds,
	.drain = ptrace_drain,
	.enable = ptrace_enable,
	.close = ptrace_close,
	.lost = ptrace_lost,
	.kernel_included = ptrace_kernel_included,
	.held_ns = ptrace_overhead,
};
