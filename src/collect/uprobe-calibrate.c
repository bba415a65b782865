/* Measuring what a uprobe hit costs: a helper process calls three small
 * functions of proftop's own in loops, one unprobed, one counted, one with
 * its entries and returns logged (by a uprobe on its `ret`, as --latency
 * does), and times them in its own CPU time. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "func-exits.h"
#include "uprobe.h"
#include "xalloc.h"

#define CALIB_PLAIN 20000 /* calls of the unprobed function */
#define CALIB_HITS  1500  /* calls of each probed one */

/* Three functions alike but not identical (GCC's identical code folding
 * would merge them, and a probe on one would hit all). */
__attribute__((noinline, noipa, used)) static long calib_plain(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

__attribute__((noinline, noipa, used)) static long calib_counted(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 2;
}

__attribute__((noinline, noipa, used)) static long calib_timed(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 3;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* File offset of one of our own functions, from /proc/self/maps. */
static bool self_offset(const void *fn, uint64_t *off)
{
	FILE *f = fopen("/proc/self/maps", "r");
	uint64_t addr = (uint64_t)(uintptr_t)fn;
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, pg;

		if (sscanf(line, "%llx-%llx %*s %llx", &lo, &hi, &pg) == 3 && addr >= lo &&
		    addr < hi) {
			*off = addr - lo + pg;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void calib_child(int go, int out, bool with_pair)
{
	double res[3];
	uint64_t t0;
	long x = 0;
	char c;

	if (read(go, &c, 1) != 1)
		_exit(1);
	t0 = thread_cpu_ns();
	for (int i = 0; i < CALIB_PLAIN; i++)
		x = calib_plain(x);
	res[0] = (double)(thread_cpu_ns() - t0) / CALIB_PLAIN;
	t0 = thread_cpu_ns();
	for (int i = 0; i < CALIB_HITS; i++)
		x = calib_counted(x);
	res[1] = (double)(thread_cpu_ns() - t0) / CALIB_HITS;
	res[2] = 0;
	if (with_pair) {
		t0 = thread_cpu_ns();
		for (int i = 0; i < CALIB_HITS; i++)
			x = calib_timed(x);
		res[2] = (double)(thread_cpu_ns() - t0) / CALIB_HITS;
	}
	res[0] += (double)(x & 0); /* keep x alive */
	if (write(out, res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

struct floor_acc {
	uint64_t *durations;
	size_t n, cap;
	uint64_t entry;
};

static void floor_record(void *ctx, const struct uprobe_record *rec)
{
	struct floor_acc *a = ctx;

	if (uprobe_rec_is_entry(rec->kind)) {
		a->entry = rec->time;
	} else if (a->entry && rec->time >= a->entry) {
		a->durations = xgrow(a->durations, &a->cap, a->n + 1, sizeof(uint64_t));
		a->durations[a->n++] = rec->time - a->entry;
		a->entry = 0;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The offset of calib_timed's `ret` from its start, read from our own code:
 * it is a few bytes long, and what follows it decodes too (or the scan
 * stops there, the `ret` found). */
static bool timed_ret(uint64_t *off, char *err, size_t errlen)
{
	struct func_exits fx = {.nret = 0};
	char why[128];

	func_exits_scan((const uint8_t *)(uintptr_t)calib_timed, 32,
			(uint64_t)(uintptr_t)calib_timed, &fx, why, sizeof(why));
	if (!fx.nret) {
		snprintf(err, errlen, "cannot find the return of proftop's own test function");
		return false;
	}
	*off = fx.ret[0] - (uint64_t)(uintptr_t)calib_timed;
	return true;
}

/* Place the calibration probes on the child; fds[] gets the events. */
static int calib_probes(int type, pid_t child, bool with_pair, struct uprobe_counters *uc,
			struct uprobe_ring *ring, int fds[3], char *err, size_t errlen)
{
	static const char exe[] = "/proc/self/exe"; /* resolved in our own context */
	/* As --latency probes returns: at `ret` (func-exits.h reads x86-64
	 * code only), else with a uretprobe. */
	static const enum uprobe_rec_kind kinds[2][2] = {
		{UPROBE_REC_ENTRY_RETPROBE, UPROBE_REC_RETPROBE},
		{UPROBE_REC_ENTRY, UPROBE_REC_RET},
	};
#ifdef __x86_64__
	const bool at_ret = true;
#else
	const bool at_ret = false;
#endif
	uint64_t off_counted, off_timed, off_ret = 0;
	int progs[3] = {-1, -1, -1}, rc = -1;

	if (!self_offset((const void *)calib_counted, &off_counted) ||
	    !self_offset((const void *)calib_timed, &off_timed)) {
		snprintf(err, errlen, "cannot find proftop's own code in /proc/self/maps");
		return -1;
	}
	if (with_pair && at_ret && !timed_ret(&off_ret, err, errlen))
		return -1;
	progs[0] = uprobe_counters_prog(uc, 0, NULL, err, errlen);
	if (progs[0] < 0)
		goto out;
	fds[0] = uprobe_open(type, exe, off_counted, false, child, progs[0]);
	if (fds[0] < 0) {
		uprobe_open_error(fds[0], "proftop itself", err, errlen);
		goto out;
	}
	if (with_pair) {
		for (int k = 1; k < 3; k++) {
			progs[k] =
				uprobe_ring_prog(ring, 0, kinds[at_ret][k - 1], NULL, err, errlen);
			if (progs[k] < 0)
				goto out;
			fds[k] = uprobe_open(type, exe, off_timed + (k == 2 ? off_ret : 0),
					     k == 2 && !at_ret, child, progs[k]);
			if (fds[k] < 0) {
				uprobe_open_error(fds[k], "proftop itself", err, errlen);
				goto out;
			}
		}
	}
	rc = 0;
out:
	for (int k = 0; k < 3; k++)
		if (progs[k] >= 0)
			close(progs[k]); /* the events hold them */
	return rc;
}

int uprobe_calibrate(int type, bool with_pair, struct uprobe_cost *out, char *err, size_t errlen)
{
	struct uprobe_counters *uc = uprobe_counters_new(1, err, errlen);
	struct uprobe_ring *ring = NULL;
	struct floor_acc fa = {.durations = NULL};
	int go[2] = {-1, -1}, res[2] = {-1, -1}, fds[3] = {-1, -1, -1}, rc = -1, st;
	double r[3];
	pid_t child = -1;

	if (!uc)
		return -1;
	if (with_pair && !(ring = uprobe_ring_new(1u << 20, err, errlen)))
		goto out;
	if (pipe2(go, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	child = fork();
	if (child < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		goto out;
	}
	if (child == 0)
		calib_child(go[0], res[1], with_pair);
	close(res[1]);
	res[1] = -1;
	if (calib_probes(type, child, with_pair, uc, ring, fds, err, errlen) < 0)
		goto out;
	if (write(go[1], "g", 1) != 1) {
		snprintf(err, errlen, "cannot start the calibration: %s", strerror(errno));
		goto out;
	}
	{
		struct pollfd pfd = {.fd = res[0], .events = POLLIN};

		if (poll(&pfd, 1, 10000) <= 0 || read(res[0], r, sizeof(r)) != sizeof(r)) {
			snprintf(err, errlen, "uprobe calibration did not finish");
			goto out;
		}
	}
	if (uprobe_counters_read(uc, 0) != CALIB_HITS) {
		snprintf(err, errlen, "uprobes miscount here (%llu hits for %d calls)",
			 (unsigned long long)uprobe_counters_read(uc, 0), CALIB_HITS);
		goto out;
	}
	out->hit_ns = r[1] > r[0] ? r[1] - r[0] : 1;
	out->pair_ns = with_pair && r[2] > r[0] ? r[2] - r[0] : 2 * out->hit_ns;
	out->floor_ns = 0;
	if (with_pair) {
		uprobe_ring_drain(ring, floor_record, &fa);
		if (fa.n) {
			qsort(fa.durations, fa.n, sizeof(uint64_t), cmp_u64);
			out->floor_ns = (double)fa.durations[fa.n / 2];
		}
	}
	rc = 0;
out:
	if (child > 0) {
		if (rc < 0)
			kill(child, SIGKILL);
		while (waitpid(child, &st, 0) < 0 && errno == EINTR)
			;
	}
	/* The helper is gone: nothing to restore in it, no need to wait. */
	for (int k = 0; k < 3; k++)
		uprobe_close_later(fds[k]);
	for (int k = 0; k < 2; k++) {
		if (go[k] >= 0)
			close(go[k]);
		if (res[k] >= 0)
			close(res[k]);
	}
	free(fa.durations);
	uprobe_ring_free(ring);
	uprobe_counters_free(uc);
	return rc;
}
