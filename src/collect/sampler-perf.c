/* The perf_event_open backend: cpu-clock sampling with user registers and
 * a copy of the user stack (or the kernel's frame-pointer chain), one ring
 * buffer per CPU, every thread's event on that CPU redirected into it, side
 * band records (MMAP2, COMM, FORK, EXIT, LOST) kept in time order with the
 * samples.
 *
 * A reader thread keeps the rings empty: it copies their records into a
 * queue in memory (bounded: QUEUE_MAX bytes) and wakes the collector
 * through an eventfd. The collector unwinds and symbolises at its own pace
 * from the queue, so a slow symbolisation (a large library's debug info
 * loading) never leaves a ring full: the kernel drops samples only when
 * the queue itself is full, and those drops come back as LOST records.
 *
 * The wall clock (cfg.offcpu) adds a second event per thread and CPU: a
 * context-switch counter sampled at every switch out (the thread's user
 * stack as it leaves the CPU, and the kernel's callchain, which names the
 * wait), with switch records (out, preempted, back in) whose times bound
 * the interval. It writes to rings of its own (ring index >= ncpus), so a
 * sample's ring says which event took it.
 *
 * Page faults (cfg.fault_period) add one more event per thread and CPU,
 * the page-fault software event sampled every fault_period faults with
 * the same user registers and stack, into rings of their own after those
 * (ring_kind): the code that first touched the pages RSS grew by. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "loop.h"
#include "sampler.h"
#include "xalloc.h"

#ifndef PERF_FORMAT_LOST
#define PERF_FORMAT_LOST (1u << 4) /* Linux 5.19 */
#endif

#define SAMPLE_TYPE_BASE                                                            \
	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD | \
	 PERF_SAMPLE_CALLCHAIN)
#define SAMPLE_TYPE_DWARF (SAMPLE_TYPE_BASE | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

/* Which event's samples a ring holds: rings [0, ncpus) the cpu-clock's,
 * then with cfg.offcpu ncpus context-switch rings, then with
 * cfg.fault_period ncpus page-fault rings. */
enum ring_kind { RING_CLOCK, RING_SWITCH, RING_FAULT };

struct ring {
	int fd; /* the event that owns the buffer */
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	size_t size; /* data area, power of two */
	size_t mmap_len;
	uint8_t *scratch; /* a record that wraps around the end is copied here */
	uint64_t last_time; /* of the last record taken from it */
	size_t scratch_cap;
};

/* A record ready to dispatch; points into a ring or into pending storage. */
struct pending {
	uint64_t time;
	uint32_t ring;
	uint32_t seq;
	const struct perf_event_header *hdr;
	const void *capture; /* cfg.capture's copy, or NULL */
	uint32_t capture_len;
	uint32_t qsize; /* its struct queued's size */
};

/* Records copied out of the rings: each behind a struct queued. */
struct queue {
	uint8_t *buf;
	size_t len, cap;
};

struct queued {
	uint32_t ring, size; /* size of the record that follows, 8-aligned */
	uint32_t capture;    /* bytes of cfg.capture's copy after it, 8-aligned */
	uint32_t pad;
};

/* Room for what cfg.capture copies of a sample (Python frames). */
#define CAPTURE_MAX (16u << 10)

#define QUEUE_MAX      (64u << 20)
#define QUEUE_KEEP     (8u << 20) /* a queue larger than this is freed once mostly idle */
/* Page faults: the stack bytes copied per sample, and the rings' bytes
 * over all CPUs, at most. */
#define FAULT_STACK_MAX 4096
#define FAULT_RINGS_MAX (128ull << 20)
#define READER_POLL_MS 20 /* data below a ring's watermark waits at most this */

struct sampler {
	struct sampler_config cfg;
	/* The reader thread and what it shares with the collector's thread:
	 * the rings' tails and the fill queue, under mu. */
	pthread_t reader;
	bool reader_running;
	int stop_fd[2]; /* a byte here stops the reader */
	int ready_fd;	/* eventfd: the fill queue has records */
	pthread_mutex_t mu;
	struct queue fill, work; /* fill: the reader's; work: being dispatched */
	uint64_t queued_peak;	 /* bytes, the most the queue held */
	int *cpus;
	size_t ncpus;
	/* rings: one per CPU, then with offcpu a switch ring per CPU, then
	 * with fault_period a page-fault ring per CPU (ring_kind);
	 * switch_refused: the context-switch event was refused */
	size_t nrings;
	bool switch_refused;
	struct ring *rings; /* one per CPU */
	int *fds;	    /* every event fd (rings' owners included) */
	size_t nfds, fds_cap;
	pid_t *threads; /* threads with events opened */
	size_t nthreads, threads_cap;
	bool exclude_kernel;
	uint64_t sample_type;
	uint64_t lost;
	uint64_t format_lost; /* the events' own count, when last disabled */
	bool no_format_lost;  /* the kernel has no PERF_FORMAT_LOST (before 5.19) */
	struct pending *pend;
	size_t pend_cap;
	/* Records held back for time order (perf_drain): those newer than
	 * the pump that took them began, and ordered_to, the time up to
	 * which all were dispatched. disabled: the events are off (nothing
	 * more comes: all may go). */
	struct queue carry, carry_next;
	uint64_t ordered_to;
	/* the oldest last_time of a ring a pump cut short (the queue was
	 * full), UINT64_MAX: none */
	uint64_t cut_time;
	bool disabled;
};

static int perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group,
			   unsigned long flags)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, group, flags);
}

/* Online CPUs from /sys ("0-3,5"), else 0..nprocs-1. */
static void online_cpus(struct sampler *s)
{
	char buf[4096];
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	size_t cap = 0;

	s->ncpus = 0;
	if (f && fgets(buf, sizeof(buf), f)) {
		char *p = buf;

		while (*p && *p != '\n') {
			char *end;
			long a = strtol(p, &end, 10), b = a;

			if (end == p)
				break;
			if (*end == '-')
				b = strtol(end + 1, &end, 10);
			for (long c = a; c <= b; c++) {
				s->cpus = xgrow(s->cpus, &cap, s->ncpus + 1, sizeof(int));
				s->cpus[s->ncpus++] = (int)c;
			}
			p = *end == ',' ? end + 1 : end;
		}
	}
	if (f)
		fclose(f);
	if (s->ncpus == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		for (long c = 0; c < (n > 0 ? n : 1); c++) {
			s->cpus = xgrow(s->cpus, &cap, s->ncpus + 1, sizeof(int));
			s->cpus[s->ncpus++] = (int)c;
		}
	}
}

/* Pages of one CPU's ring: about a quarter second of samples at the asked
 * rate, between 2 and 32 MiB (map_ring halves it where the locked-memory
 * limit refuses). The reader empties it every READER_POLL_MS or at half.
 * A switch ring (sw) is sized for 20,000 switches a second: switches come
 * as fast as the target blocks, not at a rate we choose. Page faults come
 * in bursts as fast as the target touches new pages: the largest ring,
 * FAULT_RINGS_MAX over all CPUs. */
static size_t ring_pages(const struct sampler *s, enum ring_kind kind)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint64_t rec = 256 + (s->cfg.dwarf ? s->cfg.stack_size + 24 * 8 : 1024);
	uint64_t rate = kind == RING_SWITCH ? 20000 : (uint64_t)s->cfg.freq;
	uint64_t want = rate * rec / 4;
	size_t pages = 512;

	if (kind == RING_FAULT) { /* the most that fits the budget */
		while ((uint64_t)pages * 2 * (uint64_t)psz * s->ncpus <= FAULT_RINGS_MAX &&
		       pages < 8192)
			pages *= 2;
		return pages;
	}
	while ((uint64_t)pages * (uint64_t)psz < want && pages < 8192)
		pages *= 2;
	return pages;
}

static enum ring_kind ring_kind(const struct sampler *s, size_t r)
{
	size_t k = r / s->ncpus;

	if (k == 0)
		return RING_CLOCK;
	return k == 1 && s->cfg.offcpu ? RING_SWITCH : RING_FAULT;
}

/* The attr of the event of a ring of this kind: cpu-clock, context
 * switches or page faults. */
static void setup_attr(const struct sampler *s, struct perf_event_attr *a, enum ring_kind kind)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->type = PERF_TYPE_SOFTWARE;
	a->config = PERF_COUNT_SW_CPU_CLOCK;
	a->freq = 1;
	a->sample_freq = s->cfg.freq;
	a->sample_type = s->sample_type;
	/* a read gives the samples the kernel dropped for this event */
	a->read_format = s->no_format_lost ? 0 : PERF_FORMAT_LOST;
	if (s->cfg.dwarf) {
		a->sample_regs_user = UNWIND_REGS_MASK;
		a->sample_stack_user = s->cfg.stack_size;
	}
	a->disabled = s->cfg.launch;
	a->enable_on_exec = s->cfg.launch;
	a->inherit = 1;
	a->mmap = 1;
	a->mmap2 = 1;
	/* Data mappings too: the unwinder reads .eh_frame_hdr from read-only
	 * segments that are not executable. */
	a->mmap_data = 1;
	a->comm = 1;
	a->comm_exec = 1;
	a->task = 1;
	a->sample_id_all = 1;
	a->exclude_kernel = s->exclude_kernel;
	a->exclude_hv = 1;
	a->exclude_callchain_kernel = 1;
	/* DWARF unwinding reads the copied stack: walking user frame pointers
	 * too (up to 127 per sample) would be work thrown away. */
	a->exclude_callchain_user = s->cfg.dwarf;
	a->use_clockid = 1;
	a->clockid = CLOCK_MONOTONIC;
	a->watermark = 1;
	if (kind == RING_SWITCH) {
		/* Every switch out is a sample; the side band comes from the
		 * cpu-clock event alone. The kernel chain names the wait. */
		a->config = PERF_COUNT_SW_CONTEXT_SWITCHES;
		a->freq = 0;
		a->sample_period = 1;
		a->context_switch = 1;
		a->mmap = a->mmap2 = a->mmap_data = a->comm = a->comm_exec = a->task = 0;
		a->exclude_callchain_kernel = s->exclude_kernel;
	} else if (kind == RING_FAULT) {
		/* One sample per fault_period faults, whatever their rate (a
		 * first touch of 64 MiB is 16,384 faults at once); the side
		 * band comes from the cpu-clock event alone. */
		a->config = PERF_COUNT_SW_PAGE_FAULTS;
		a->freq = 0;
		a->sample_period = s->cfg.fault_period;
		/* Without the period in the samples: a software event whose
		 * samples carry it is sampled at every fault, whatever
		 * sample_period says (Linux 6.18 does; perf record -P -c 16 -e
		 * page-faults too). Each sample stands for fault_period faults. */
		a->sample_type &= ~(uint64_t)PERF_SAMPLE_PERIOD;
		a->mmap = a->mmap2 = a->mmap_data = a->comm = a->comm_exec = a->task = 0;
		/* Less stack than a time sample: a fault burst writes thousands
		 * of records, each costing the target a copy of it (8 KiB
		 * doubles its faults' cost) and filling the rings faster than
		 * a busy machine runs the reader. */
		if (s->cfg.dwarf && a->sample_stack_user > FAULT_STACK_MAX)
			a->sample_stack_user = FAULT_STACK_MAX;
		/* and the reader woken at an eighth of the ring, not at half:
		 * a burst fills it faster than a busy machine may run the reader */
		a->wakeup_watermark =
			(uint32_t)(ring_pages(s, RING_FAULT) * (size_t)sysconf(_SC_PAGESIZE) / 8);
	} else if (!s->cfg.freq) {
		/* No CPU samples: the event is there for its side band (maps,
		 * comm, forks and exits). A period of 2^62 ns never ends, and
		 * its timer never interrupts the target. */
		a->freq = 0;
		a->sample_period = 1ull << 62;
	} else if (s->cfg.capture && s->cfg.capture_soon) {
		/* cfg.capture reads the thread as the reader copies its sample:
		 * wake the reader at every sample, not at half a ring. */
		a->watermark = 0;
		a->wakeup_events = 1;
	}
}

static void add_fd(struct sampler *s, int fd)
{
	s->fds = xgrow(s->fds, &s->fds_cap, s->nfds + 1, sizeof(int));
	s->fds[s->nfds++] = fd;
}

static bool have_thread(const struct sampler *s, pid_t tid)
{
	for (size_t i = 0; i < s->nthreads; i++)
		if (s->threads[i] == tid)
			return true;
	return false;
}

static int map_ring(struct ring *r, int fd, size_t pages)
{
	long psz = sysconf(_SC_PAGESIZE);

	for (; pages >= 8; pages /= 2) {
		size_t len = (pages + 1) * (size_t)psz;
		void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (m != MAP_FAILED) {
			r->fd = fd;
			r->meta = m;
			r->data = (uint8_t *)m + psz;
			r->size = pages * (size_t)psz;
			r->mmap_len = len;
			return 0;
		}
		if (errno != EPERM && errno != ENOMEM)
			return -1;
	}
	return -1;
}

static void format_open_error(const struct sampler *s, int err, pid_t tid, char *buf, size_t len)
{
	int paranoid = file_read_int("/proc/sys/kernel/perf_event_paranoid", 2);

	if (s->switch_refused && err != ESRCH && err != EMFILE && err != ENFILE) {
		/* Context-switch samples are taken in the kernel: user-only
		 * events (paranoid 2 for non-root) never see one. */
		snprintf(buf, len,
			 "--clock wall needs kernel samples for its context-switch events "
			 "(refused: %s, kernel.perf_event_paranoid is %d); run as root or 'sudo "
			 "sysctl kernel.perf_event_paranoid=1', or use --clock cpu",
			 strerror(err), paranoid);
		return;
	}
	if (err == ESRCH) {
		snprintf(buf, len, "process %d does not exist (it may have exited)", (int)tid);
	} else if (err == EACCES || err == EPERM) {
		if (geteuid() != 0 && paranoid > 2)
			snprintf(
				buf, len,
				"perf_event_open refused: kernel.perf_event_paranoid is %d; run as "
				"root, or 'sudo sysctl kernel.perf_event_paranoid=1'",
				paranoid);
		else if (geteuid() == 0) /* nothing the sysctl does: a filter says no */
			snprintf(buf, len,
				 "perf_event_open refused (%s) although proftop runs as root: a "
				 "seccomp filter or the container forbids it; use --backend ptrace "
				 "(or allow perf_event_open in the container's seccomp profile)",
				 strerror(err));
		else
			snprintf(buf, len,
				 "perf_event_open refused for pid %d (%s): not your process, or "
				 "kernel.perf_event_paranoid is %d; run as root, or 'sudo sysctl "
				 "kernel.perf_event_paranoid=1'",
				 (int)tid, strerror(err), paranoid);
	} else if (err == ENOENT || err == ENODEV || err == EOPNOTSUPP) {
		snprintf(buf, len, "perf_event_open: cpu-clock sampling not supported here (%s)",
			 strerror(err));
	} else if (err == EMFILE || err == ENFILE) {
		snprintf(buf, len,
			 "perf_event_open: out of file descriptors (%s); raise 'ulimit -n'",
			 strerror(err));
	} else if (err == ENOSYS) {
		snprintf(buf, len, "perf_event_open is not available in this kernel or container");
	} else {
		snprintf(buf, len, "perf_event_open failed for pid %d: %s", (int)tid,
			 strerror(err));
	}
	(void)s;
}

/* Open one event per CPU on tid (and one more with offcpu, one more with
 * fault_period), its output redirected to that CPU's ring of that event. */
static int open_thread(struct sampler *s, pid_t tid, int *err)
{
	struct perf_event_attr attr;

	for (size_t r = 0; r < s->nrings; r++) {
		size_t c = r % s->ncpus;
		enum ring_kind kind = ring_kind(s, r);
		bool sw = kind == RING_SWITCH;
		int fd;

		setup_attr(s, &attr, kind);
		fd = perf_event_open(&attr, tid, s->cpus[c], -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0 && errno == EINVAL && !s->no_format_lost) {
			/* a kernel before 5.19: no lost count per event */
			s->no_format_lost = true;
			setup_attr(s, &attr, kind);
			fd = perf_event_open(&attr, tid, s->cpus[c], -1, PERF_FLAG_FD_CLOEXEC);
		}
		if (fd < 0 && (errno == EACCES || errno == EPERM) && !s->exclude_kernel) {
			/* Unprivileged: user space only. */
			s->exclude_kernel = true;
			setup_attr(s, &attr, kind);
			fd = perf_event_open(&attr, tid, s->cpus[c], -1, PERF_FLAG_FD_CLOEXEC);
		}
		if (fd < 0) {
			/* A CPU that went offline is not an error. */
			if (errno == ENODEV || (errno == EINVAL && c > 0))
				continue;
			*err = errno;
			s->switch_refused = sw;
			return -1;
		}
		if (sw && s->exclude_kernel) {
			/* The switch sample is taken in the kernel (at schedule()):
			 * user space only, the kernel drops every one of them. */
			close(fd);
			*err = EACCES;
			s->switch_refused = true;
			return -1;
		}
		add_fd(s, fd);
		if (s->rings[r].fd < 0) {
			int rc;

			pthread_mutex_lock(&s->mu); /* the reader may be polling the rings */
			rc = map_ring(&s->rings[r], fd, ring_pages(s, kind));
			pthread_mutex_unlock(&s->mu);
			if (rc < 0) {
				*err = errno;
				return -1;
			}
		} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, s->rings[r].fd) < 0) {
			*err = errno;
			return -1;
		}
	}
	s->threads = xgrow(s->threads, &s->threads_cap, s->nthreads + 1, sizeof(pid_t));
	s->threads[s->nthreads++] = tid;
	return 0;
}

/* Open every thread of pid not opened yet; returns how many were added,
 * or -1 on error (a thread that vanished meanwhile is not an error). */
static int open_process(struct sampler *s, pid_t pid, int *err)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	int added = 0;

	if (s->cfg.launch) {
		/* Not exec'd yet: one thread, inheritance covers the rest. */
		if (have_thread(s, pid))
			return 0;
		return open_thread(s, pid, err) < 0 ? -1 : 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d) {
		*err = errno == ENOENT ? ESRCH : errno;
		return -1;
	}
	while ((de = readdir(d))) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || have_thread(s, tid))
			continue;
		if (open_thread(s, tid, err) < 0) {
			if (*err == ESRCH)
				continue;
			closedir(d);
			return -1;
		}
		added++;
	}
	closedir(d);
	if (added == 0 && s->nthreads == 0) {
		*err = ESRCH;
		return -1;
	}
	return added;
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void perf_close(struct sampler *s);
static void reader_start(struct sampler *s);
static void reader_stop(struct sampler *s);

static int perf_open(struct sampler **out, const struct sampler_config *cfg, const pid_t *pids,
		     size_t npids, char *err, size_t errlen)
{
	struct sampler *s = xcalloc(1, sizeof(*s));
	int e = 0;

	s->cfg = *cfg;
	s->sample_type = cfg->dwarf ? SAMPLE_TYPE_DWARF : SAMPLE_TYPE_BASE;
	s->stop_fd[0] = s->stop_fd[1] = -1;
	s->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&s->mu, NULL);
	online_cpus(s);
	s->nrings = s->ncpus * (1 + (cfg->offcpu ? 1 : 0) + (cfg->fault_period ? 1 : 0));
	s->rings = xcalloc(s->nrings, sizeof(*s->rings));
	for (size_t r = 0; r < s->nrings; r++)
		s->rings[r].fd = -1;
	raise_fd_limit();

	for (size_t i = 0; i < npids; i++) {
		/* Threads started while we open are caught by a second pass;
		 * those started after are inherited. */
		for (int pass = 0; pass < 4; pass++) {
			int n = open_process(s, pids[i], &e);

			if (n < 0) {
				format_open_error(s, e, pids[i], err, errlen);
				perf_close(s);
				errno = e; /* the collector decides on a fallback by it */
				return -1;
			}
			if (n == 0)
				break;
		}
	}
	reader_start(s);
	*out = s;
	return 0;
}

static size_t perf_fds(struct sampler *s, int *fds, size_t max)
{
	size_t n = 0;

	if (s->ready_fd >= 0 && n < max)
		fds[n++] = s->ready_fd;
	for (size_t c = 0; c < s->nrings && n < max && !s->reader_running; c++)
		if (s->rings[c].fd >= 0)
			fds[n++] = s->rings[c].fd;
	return n;
}

/* Samples the kernel dropped for want of room in a ring, as each event
 * counts them (PERF_FORMAT_LOST): the LOST records say so only when the
 * ring next takes a record, which a burst just before the end never
 * sees (a page-fault burst that filled the rings, then nothing). An
 * event inherited by a thread counts its own: only the events opened
 * here are read. */
static uint64_t format_lost(const struct sampler *s)
{
	uint64_t sum = 0, v[2];

	if (s->no_format_lost)
		return 0;
	for (size_t i = 0; i < s->nfds; i++)
		if (read(s->fds[i], v, sizeof(v)) == (ssize_t)sizeof(v))
			sum += v[1];
	return sum;
}

static void perf_enable(struct sampler *s, bool on)
{
	for (size_t i = 0; i < s->nfds; i++)
		ioctl(s->fds[i], on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE, 0);
	if (!on)
		s->format_lost = format_lost(s);
	pthread_mutex_lock(&s->mu);
	s->disabled = !on;
	pthread_mutex_unlock(&s->mu);
}

static void perf_close(struct sampler *s)
{
	if (!s)
		return;
	reader_stop(s);
	for (size_t c = 0; c < s->nrings; c++) {
		if (s->rings[c].meta)
			munmap(s->rings[c].meta, s->rings[c].mmap_len);
		free(s->rings[c].scratch);
	}
	if (s->ready_fd >= 0)
		close(s->ready_fd);
	pthread_mutex_destroy(&s->mu);
	free(s->fill.buf);
	free(s->work.buf);
	free(s->carry.buf);
	free(s->carry_next.buf);
	for (size_t i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	free(s->rings);
	free(s->cpus);
	free(s->fds);
	free(s->threads);
	free(s->pend);
	free(s);
}

static uint64_t perf_lost(struct sampler *s)
{
	return s->lost > s->format_lost ? s->lost : s->format_lost;
}

static bool perf_kernel_included(struct sampler *s)
{
	return !s->exclude_kernel;
}

/* Time of a record: samples carry it after IP and TID; other records in
 * the sample_id trailer (TID, TIME: the last 16 bytes). */
static uint64_t record_time(const struct perf_event_header *h)
{
	const uint8_t *p = (const uint8_t *)h;

	if (h->type == PERF_RECORD_SAMPLE) {
		uint64_t t;

		memcpy(&t, p + sizeof(*h) + 8 + 8, 8);
		return t;
	}
	if (h->size >= sizeof(*h) + 16) {
		uint64_t t;

		memcpy(&t, p + h->size - 8, 8);
		return t;
	}
	return 0;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->ring != y->ring)
		return x->ring < y->ring ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A sample of ring kind `kind`: a page-fault sample has no period field
 * (setup_attr), it stands for cfg.fault_period faults. */
static void parse_sample(const struct sampler *s, enum ring_kind kind,
			 const struct perf_event_header *h, struct raw_sample *out)
{
	const uint8_t *p = (const uint8_t *)(h + 1);
	const uint8_t *end = (const uint8_t *)h + h->size;
	uint32_t ids[2];
	uint64_t nr;

	memset(out, 0, sizeof(*out));
	memcpy(&out->ip, p, 8);
	p += 8;
	memcpy(ids, p, 8);
	out->pid = (pid_t)ids[0];
	out->tid = (pid_t)ids[1];
	p += 8;
	memcpy(&out->time, p, 8);
	p += 8;
	if (kind == RING_FAULT) {
		out->period = s->cfg.fault_period;
	} else {
		memcpy(&out->period, p, 8);
		p += 8;
	}
	out->kernel = (h->misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;

	memcpy(&nr, p, 8);
	p += 8;
	if (p + nr * 8 > end)
		return;
	out->callchain = (const uint64_t *)p;
	out->nchain = nr;
	p += nr * 8;

	if (!(s->sample_type & PERF_SAMPLE_REGS_USER))
		return;
	{
		uint64_t abi, size;

		if (p + 8 > end)
			return;
		memcpy(&abi, p, 8);
		p += 8;
		if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
			for (int r = 0; r < UNWIND_NREGS; r++) {
				if (!(UNWIND_REGS_MASK & (1ull << r)))
					continue;
				if (p + 8 > end)
					return;
				memcpy(&out->snap.regs[r], p, 8);
				p += 8;
			}
		}
		if (p + 8 > end)
			return;
		memcpy(&size, p, 8);
		p += 8;
		if (size && p + size + 8 <= end) {
			uint64_t dyn;

			memcpy(&dyn, p + size, 8);
			out->snap.stack = p;
			out->snap.stack_len = dyn < size ? dyn : size;
		}
		out->have_user_regs = abi != PERF_SAMPLE_REGS_ABI_NONE;
	}
}

/* An off-CPU sample's kernel part of the callchain: the run after
 * PERF_CONTEXT_KERNEL, up to the next marker. */
static void find_kernel_chain(struct raw_sample *rs)
{
	size_t i = 0;

	while (i < rs->nchain && rs->callchain[i] != (uint64_t)PERF_CONTEXT_KERNEL)
		i++;
	if (i == rs->nchain)
		return;
	rs->kchain = rs->callchain + i + 1;
	while (i + 1 + rs->nkchain < rs->nchain &&
	       rs->kchain[rs->nkchain] < (uint64_t)PERF_CONTEXT_MAX)
		rs->nkchain++;
}

static void dispatch(struct sampler *s, const struct pending *pd, const struct sampler_sink *k)
{
	const struct perf_event_header *h = pd->hdr;
	const uint8_t *p = (const uint8_t *)(h + 1);

	switch (h->type) {
	case PERF_RECORD_SAMPLE: {
		struct raw_sample rs;
		enum ring_kind kind = ring_kind(s, pd->ring);
		void (*to)(void *, const struct raw_sample *) = kind == RING_SWITCH  ? k->off_cpu
								: kind == RING_FAULT ? k->fault
										     : k->sample;

		if (!to)
			break;
		parse_sample(s, kind, h, &rs);
		rs.capture = pd->capture;
		rs.capture_len = pd->capture_len;
		if (kind == RING_SWITCH)
			find_kernel_chain(&rs);
		to(k->ctx, &rs);
		break;
	}
	case PERF_RECORD_SWITCH: {
		uint32_t ids[2]; /* the sample_id trailer: pid, tid, time */

		if (!k->sched_switch || h->size < sizeof(*h) + 16)
			break;
		memcpy(ids, (const uint8_t *)h + h->size - 16, 8);
		k->sched_switch(k->ctx, (pid_t)ids[0], (pid_t)ids[1], record_time(h),
				(h->misc & PERF_RECORD_MISC_SWITCH_OUT) != 0,
				(h->misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT) != 0);
		break;
	}
	case PERF_RECORD_MMAP2: {
		struct {
			uint32_t pid, tid;
			uint64_t addr, len, pgoff;
			uint32_t maj, min;
			uint64_t ino, ino_gen;
			uint32_t prot, flags;
		} m;
		const char *name = (const char *)p + sizeof(m);

		if (h->size < sizeof(*h) + sizeof(m) + 1 || !k->mmap)
			break;
		memcpy(&m, p, sizeof(m));
		k->mmap(k->ctx, (pid_t)m.pid, m.addr, m.len, m.pgoff, m.prot, name);
		break;
	}
	case PERF_RECORD_MMAP: {
		struct {
			uint32_t pid, tid;
			uint64_t addr, len, pgoff;
		} m;
		const char *name = (const char *)p + sizeof(m);

		if (h->size < sizeof(*h) + sizeof(m) + 1 || !k->mmap)
			break;
		memcpy(&m, p, sizeof(m));
		k->mmap(k->ctx, (pid_t)m.pid, m.addr, m.len, m.pgoff,
			(h->misc & PERF_RECORD_MISC_MMAP_DATA) ? 1 : 5, name);
		break;
	}
	case PERF_RECORD_COMM: {
		uint32_t ids[2];
		char comm[17];

		if (!k->comm || h->size < sizeof(*h) + 9)
			break;
		memcpy(ids, p, 8);
		snprintf(comm, sizeof(comm), "%s", (const char *)p + 8);
		k->comm(k->ctx, (pid_t)ids[0], (pid_t)ids[1], comm,
			(h->misc & PERF_RECORD_MISC_COMM_EXEC) != 0);
		break;
	}
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT: {
		uint32_t ids[4]; /* pid, ppid, tid, ptid */

		if (h->size < sizeof(*h) + 16)
			break;
		memcpy(ids, p, 16);
		if (h->type == PERF_RECORD_FORK && k->fork)
			k->fork(k->ctx, (pid_t)ids[0], (pid_t)ids[1], (pid_t)ids[2], (pid_t)ids[3]);
		else if (h->type == PERF_RECORD_EXIT && k->exit)
			k->exit(k->ctx, (pid_t)ids[0], (pid_t)ids[2]);
		break;
	}
	case PERF_RECORD_LOST: {
		uint64_t v[2]; /* id, lost */

		if (h->size < sizeof(*h) + 16)
			break;
		memcpy(v, p, 16);
		s->lost += v[1];
		if (k->lost)
			k->lost(k->ctx, v[1]);
		break;
	}
	default:
		break;
	}
}

/* Right as a sample record is copied (the thread has moved on by at most
 * the wakeup's latency): let cfg.capture copy what it needs of the thread
 * (Python frames) behind the record in the queue. */
static void capture_sample(struct sampler *s, struct queue *q, struct queued *qd)
{
	uint8_t *rec = q->buf + q->len + sizeof(*qd);
	uint32_t ids[2]; /* pid, tid: after the header and the IP; then the time */
	uint64_t time;
	size_t n;

	memcpy(ids, rec + sizeof(struct perf_event_header) + 8, sizeof(ids));
	memcpy(&time, rec + sizeof(struct perf_event_header) + 16, sizeof(time));
	q->buf = xgrow(q->buf, &q->cap, q->len + sizeof(*qd) + qd->size + CAPTURE_MAX, 1);
	rec = q->buf + q->len + sizeof(*qd);
	n = s->cfg.capture(s->cfg.capture_arg, (pid_t)ids[0], (pid_t)ids[1], time,
			   rec + qd->size, CAPTURE_MAX);
	qd->capture = (uint32_t)((n + 7) & ~(size_t)7);
	memcpy(q->buf + q->len, qd, sizeof(*qd));
}

/* Copy len bytes at ring offset off (which may wrap around the end). */
static void ring_copy(const struct ring *r, size_t off, void *dst, size_t len)
{
	size_t first = off + len <= r->size ? len : r->size - off;

	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, len - first);
}

/* Where a sample's user stack lies in it: *at is the offset of its size
 * field, *used the bytes of it the kernel filled (dyn_size, 8-aligned).
 * False when the record has no stack or does not parse. */
static bool sample_stack(const struct sampler *s, uint32_t ri, size_t off, uint32_t rec_size,
			 size_t *at, size_t *used)
{
	const struct ring *r = &s->rings[ri];
	/* ip, tid, time, period (none in a page-fault sample) */
	size_t pos = sizeof(struct perf_event_header) + (ring_kind(s, ri) == RING_FAULT ? 3 : 4) * 8;
	uint64_t nr, abi, size, dyn;

	if (!(s->sample_type & PERF_SAMPLE_STACK_USER) || pos + 8 > rec_size)
		return false;
	ring_copy(r, (off + pos) & (r->size - 1), &nr, 8);
	pos += 8 + nr * 8;
	if (nr > rec_size || pos + 8 > rec_size)
		return false;
	ring_copy(r, (off + pos) & (r->size - 1), &abi, 8);
	pos += 8;
	if (abi != PERF_SAMPLE_REGS_ABI_NONE)
		pos += (size_t)__builtin_popcountll(UNWIND_REGS_MASK) * 8;
	if (pos + 8 > rec_size)
		return false;
	ring_copy(r, (off + pos) & (r->size - 1), &size, 8);
	if (!size || pos + 8 + size + 8 > rec_size)
		return false;
	ring_copy(r, (off + pos + 8 + size) & (r->size - 1), &dyn, 8);
	*at = pos;
	*used = (size_t)((dyn < size ? dyn : size) + 7) & ~(size_t)7;
	return true;
}

/* Queue one record. A sample keeps only the part of its stack copy the
 * kernel filled (a shallow stack uses a few hundred of its 8 KiB): the
 * copy and the queue shrink alike, and the record reads as if the stack
 * had been asked at that size. */
static void queue_record(struct sampler *s, uint32_t ri, size_t off,
			 const struct perf_event_header *hh)
{
	uint32_t rec_size = hh->size;
	const struct ring *r = &s->rings[ri];
	struct queue *q = &s->fill;
	size_t at, used, len = rec_size;
	struct perf_event_header *h;
	struct queued qd;
	uint8_t *dst;
	bool trim;

	trim = hh->type == PERF_RECORD_SAMPLE && sample_stack(s, ri, off, rec_size, &at, &used) &&
	       at + 8 + used + 8 < rec_size;
	if (trim)
		len = at + 8 + used + 8;
	q->buf = xgrow(q->buf, &q->cap, q->len + sizeof(qd) + len + 8, 1);
	qd = (struct queued){.ring = ri, .size = (uint32_t)((len + 7u) & ~7u)};
	memcpy(q->buf + q->len, &qd, sizeof(qd));
	dst = q->buf + q->len + sizeof(qd);
	if (!trim) {
		ring_copy(r, off, dst, len);
	} else {
		uint64_t size = used, dyn;

		ring_copy(r, off, dst, at + 8 + used);
		memcpy(dst + at, &size, 8);
		ring_copy(r, (off + rec_size - 8) & (r->size - 1), &dyn, 8);
		memcpy(dst + at + 8 + used, &dyn, 8);
		h = (struct perf_event_header *)dst;
		h->size = (uint16_t)len;
	}
	s->rings[ri].last_time = record_time((const struct perf_event_header *)dst);
	/* Python frames: for time samples, not for page faults */
	if (hh->type == PERF_RECORD_SAMPLE && s->cfg.capture && ring_kind(s, ri) != RING_FAULT)
		capture_sample(s, q, &qd);
	q->len += sizeof(qd) + qd.size + qd.capture;
}

/* Copy the records of one ring from tail to head into the fill queue and
 * hand the space back to the kernel. Stops at QUEUE_MAX: what stays in
 * the ring then waits (and the kernel drops, and says so, past its end).
 * Called with mu held. Returns the bytes taken from the ring. */
static size_t pump_ring(struct sampler *s, uint32_t ri)
{
	struct ring *r = &s->rings[ri];
	uint64_t head, tail, start;
	struct queue *q = &s->fill;

	if (!r->meta)
		return 0;
	head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
	tail = start = r->meta->data_tail;
	while (tail < head) {
		size_t off = tail & (r->size - 1);
		struct perf_event_header hh;

		ring_copy(r, off, &hh, sizeof(hh));
		if (hh.size < sizeof(hh) || tail + hh.size > head)
			break;
		if (q->len + sizeof(struct queued) + hh.size > QUEUE_MAX) {
			/* back-pressure: the ring keeps the rest, all newer than
			 * what was taken from it */
			if (r->last_time < s->cut_time)
				s->cut_time = r->last_time;
			break;
		}
		queue_record(s, ri, off, &hh);
		tail += hh.size;
	}
	__atomic_store_n(&r->meta->data_tail, tail, __ATOMIC_RELEASE);
	if (q->len > s->queued_peak)
		s->queued_peak = q->len;
	return (size_t)(tail - start);
}

static size_t pump_rings(struct sampler *s)
{
	size_t n = 0;

	for (size_t c = 0; c < s->nrings; c++)
		n += pump_ring(s, (uint32_t)c);
	return n;
}

static void *reader_main(void *arg)
{
	struct sampler *s = arg;
	struct pollfd fds[257];
	uint32_t ring_of[257];
	bool hup[256] = {false};
	uint64_t one = 1;

	for (;;) {
		size_t n = 0, copied;

		fds[n++] = (struct pollfd){.fd = s->stop_fd[0], .events = POLLIN};
		pthread_mutex_lock(&s->mu);
		for (size_t c = 0; c < s->nrings && c < 256 && n < 257; c++) {
			/* A ring whose tasks are all gone polls as hung up at once:
			 * it is then only pumped on the timeout, never spun on. */
			if (!s->rings[c].meta || hup[c])
				continue;
			ring_of[n] = (uint32_t)c;
			fds[n++] = (struct pollfd){.fd = s->rings[c].fd, .events = POLLIN};
		}
		pthread_mutex_unlock(&s->mu);
		if (poll(fds, n, READER_POLL_MS) < 0 && errno != EINTR)
			break;
		if (fds[0].revents)
			break;
		for (size_t i = 1; i < n; i++)
			if (fds[i].revents & (POLLHUP | POLLERR | POLLNVAL))
				hup[ring_of[i]] = true;
		pthread_mutex_lock(&s->mu);
		copied = pump_rings(s);
		pthread_mutex_unlock(&s->mu);
		if (copied && write(s->ready_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			break;
	}
	return NULL;
}

/* Start the reader once the rings exist. Without it (no thread could be
 * made) the collector's own drains pump the rings. */
static void reader_start(struct sampler *s)
{
	if (pipe2(s->stop_fd, O_CLOEXEC) < 0)
		return;
	if (pthread_create(&s->reader, NULL, reader_main, s) != 0) {
		close(s->stop_fd[0]);
		close(s->stop_fd[1]);
		s->stop_fd[0] = s->stop_fd[1] = -1;
		return;
	}
	s->reader_running = true;
}

static void reader_stop(struct sampler *s)
{
	if (!s->reader_running)
		return;
	if (write(s->stop_fd[1], "x", 1) < 0)
		fatal("cannot stop the ring reader: %s", strerror(errno));
	pthread_join(s->reader, NULL);
	close(s->stop_fd[0]);
	close(s->stop_fd[1]);
	s->stop_fd[0] = s->stop_fd[1] = -1;
	s->reader_running = false;
}

/* The records of queue q behind struct pending entries from s->pend[n]
 * on; returns the new count. */
static size_t pend_add(struct sampler *s, const struct queue *q, size_t n)
{
	size_t off = 0;

	while (off + sizeof(struct queued) <= q->len) {
		struct queued qd;
		const struct perf_event_header *h;

		memcpy(&qd, q->buf + off, sizeof(qd));
		h = (const struct perf_event_header *)(q->buf + off + sizeof(qd));
		s->pend = xgrow(s->pend, &s->pend_cap, n + 1, sizeof(*s->pend));
		s->pend[n] = (struct pending){
			.time = record_time(h), .ring = qd.ring, .seq = (uint32_t)n, .hdr = h,
			.capture = qd.capture ? (const uint8_t *)h + qd.size : NULL,
			.capture_len = qd.capture, .qsize = qd.size};
		n++;
		off += sizeof(qd) + qd.size + qd.capture;
	}
	return n;
}

/* Pending record d, with its struct queued, at the end of q. */
static void pend_keep(struct queue *q, const struct pending *d)
{
	struct queued qd = {.ring = d->ring, .size = d->qsize, .capture = d->capture_len};
	size_t len = sizeof(qd) + qd.size + qd.capture;

	q->buf = xgrow(q->buf, &q->cap, q->len + len, 1);
	memcpy(q->buf + q->len, &qd, sizeof(qd));
	memcpy(q->buf + q->len + sizeof(qd), d->hdr, qd.size);
	if (qd.capture)
		memcpy(q->buf + q->len + sizeof(qd) + qd.size, d->capture, qd.capture);
	q->len += len;
}

/* Take what the reader queued (and what is in the rings now), order it by
 * time across the CPUs, dispatch it. The queue is swapped out under the
 * lock, so the reader fills a fresh one while this one is dispatched.
 *
 * Time order across passes too: the rings are pumped one after the other,
 * so a pass can hold a record of one CPU's ring and miss an older one that
 * another CPU's ring took after it was pumped (an exec's COMM, then the
 * maps its loader made on another CPU: dispatched maps first, the exec
 * then wiped them, and every library of the program was unknown). Only
 * records older than the moment this pass's pump began are dispatched
 * (less ORDER_SLACK_NS: the kernel stamps a record just before it writes
 * it); newer ones wait for the next pass, where they are sorted with what
 * came since. With the events off, nothing more comes: all go. A pump cut
 * short by a full queue leaves records in a ring, newer than the last it
 * took from it: the mark is then no later than that one's time (what
 * waits never outgrows the queue's bound: past it, all go). */
#define ORDER_SLACK_NS 2000000ull

static bool perf_drain(struct sampler *s, const struct sampler_sink *k, uint64_t budget_ns)
{
	struct queue tmp;
	size_t npend, i;
	uint64_t count, mark;

	if (s->ready_fd >= 0 && read(s->ready_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		fatal("cannot read the ring reader's eventfd: %s", strerror(errno));
	pthread_mutex_lock(&s->mu);
	mark = s->disabled ? UINT64_MAX : loop_now_ns() - ORDER_SLACK_NS;
	s->cut_time = UINT64_MAX;
	pump_rings(s);
	if (!s->disabled && s->cut_time < mark)
		mark = s->carry.len + s->fill.len > QUEUE_MAX ? UINT64_MAX : s->cut_time;
	tmp = s->work;
	s->work = s->fill;
	s->fill = tmp;
	s->fill.len = 0;
	pthread_mutex_unlock(&s->mu);

	npend = pend_add(s, &s->carry, 0);
	npend = pend_add(s, &s->work, npend);
	if (npend)
		qsort(s->pend, npend, sizeof(*s->pend), cmp_pending);
	for (i = 0; i < npend && s->pend[i].time <= mark; i++)
		dispatch(s, &s->pend[i], k);
	s->carry_next.len = 0;
	for (size_t j = i; j < npend; j++)
		pend_keep(&s->carry_next, &s->pend[j]);
	tmp = s->carry;
	s->carry = s->carry_next;
	s->carry_next = tmp;
	s->carry_next.len = 0;
	if (mark > s->ordered_to && mark != UINT64_MAX)
		s->ordered_to = mark;
	/* A burst (page faults) may have grown the queue to QUEUE_MAX: once it
	 * is over, give the memory back rather than keep it for good. */
	if (s->work.cap > QUEUE_KEEP && s->work.len < s->work.cap / 8) {
		free(s->work.buf);
		s->work = (struct queue){0};
	}
	if (s->carry_next.cap > QUEUE_KEEP) {
		free(s->carry_next.buf);
		s->carry_next = (struct queue){0};
	}
	(void)budget_ns; /* one pass is bounded by QUEUE_MAX; the caller loops */
	pthread_mutex_lock(&s->mu);
	npend = s->fill.len;
	pthread_mutex_unlock(&s->mu);
	return npend > 0 || (s->disabled && s->carry.len > 0);
}

/* Every record of time <= this has been dispatched (the allocation
 * tracker's records wait for the maps they need). */
static uint64_t perf_ordered_to(struct sampler *s)
{
	return s->disabled ? UINT64_MAX : s->ordered_to;
}

const struct sampler_ops sampler_perf_ops = {
	.name = "perf",
	.open = perf_open,
	.fds = perf_fds,
	.drain = perf_drain,
	.enable = perf_enable,
	.close = perf_close,
	.lost = perf_lost,
	.kernel_included = perf_kernel_included,
	.ordered_to = perf_ordered_to,
};
