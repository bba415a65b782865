#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "xalloc.h"

#define LOOP_MAX_FDS 2048

struct loop_source {
	const struct loop_source_ops *ops;
	void *arg;	 /* NULL: removed, compacted after the dispatch */
	size_t first, n; /* its slice of the pollfds this round */
};

struct loop_timer {
	int id; /* 0: removed */
	uint64_t period, next;
	loop_fn *fn;
	void *arg;
};

struct loop_hook {
	loop_fn *fn;
	void *arg;
};

struct loop {
	struct loop_source *src;
	size_t nsrc, src_cap;
	struct loop_timer *tm;
	size_t ntm, tm_cap;
	int next_timer_id;
	struct loop_hook *after;
	size_t nafter, after_cap;
	int sigfd;
	sigset_t sigs;
	loop_signal_fn *sig_fn;
	void *sig_arg;
	bool quit;
	struct pollfd fds[LOOP_MAX_FDS];
};

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct loop *loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	l->sigfd = -1;
	sigemptyset(&l->sigs);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	if (l->sigfd >= 0)
		close(l->sigfd);
	free(l->src);
	free(l->tm);
	free(l->after);
	free(l);
}

void loop_add_source(struct loop *l, const struct loop_source_ops *ops, void *arg)
{
	l->src = xgrow(l->src, &l->src_cap, l->nsrc + 1, sizeof(*l->src));
	l->src[l->nsrc++] = (struct loop_source){.ops = ops, .arg = arg};
}

/* Marked now, dropped after the round: a source may remove itself (or
 * another) from inside a dispatch. */
void loop_remove_source(struct loop *l, void *arg)
{
	for (size_t i = 0; i < l->nsrc; i++)
		if (l->src[i].arg == arg)
			l->src[i].arg = NULL;
}

int loop_signals(struct loop *l, const sigset_t *sigs, loop_signal_fn *fn, void *arg)
{
	int fd;

	for (int s = 1; s < NSIG; s++)
		if (sigismember(sigs, s) == 1)
			sigaddset(&l->sigs, s);
	if (sigprocmask(SIG_BLOCK, &l->sigs, NULL) < 0)
		return -1;
	fd = signalfd(l->sigfd, &l->sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -1;
	l->sigfd = fd;
	l->sig_fn = fn;
	l->sig_arg = arg;
	return 0;
}

int loop_timer(struct loop *l, uint64_t period_ns, loop_fn *fn, void *arg)
{
	l->tm = xgrow(l->tm, &l->tm_cap, l->ntm + 1, sizeof(*l->tm));
	l->tm[l->ntm++] = (struct loop_timer){
		.id = ++l->next_timer_id,
		.period = period_ns ? period_ns : 1,
		.next = loop_now_ns() + period_ns,
		.fn = fn,
		.arg = arg,
	};
	return l->next_timer_id;
}

void loop_timer_remove(struct loop *l, int id)
{
	for (size_t i = 0; i < l->ntm; i++)
		if (l->tm[i].id == id)
			l->tm[i].id = 0;
}

void loop_after(struct loop *l, loop_fn *fn, void *arg)
{
	l->after = xgrow(l->after, &l->after_cap, l->nafter + 1, sizeof(*l->after));
	l->after[l->nafter++] = (struct loop_hook){fn, arg};
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}

bool loop_quitting(const struct loop *l)
{
	return l->quit;
}

static int min_ms(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

/* The wait: the caller's limit, the sources' and the next timer's. */
static int wait_ms(struct loop *l, int max_ms, uint64_t now)
{
	int ms = max_ms;

	for (size_t i = 0; i < l->nsrc; i++)
		if (l->src[i].arg && l->src[i].ops->timeout_ms)
			ms = min_ms(ms, l->src[i].ops->timeout_ms(l->src[i].arg));
	for (size_t i = 0; i < l->ntm; i++) {
		uint64_t due = l->tm[i].next;

		if (!l->tm[i].id)
			continue;
		ms = min_ms(ms, due <= now ? 0 : (int)((due - now + 999999) / 1000000));
	}
	return ms;
}

static void read_signals(struct loop *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof(si)) == sizeof(si))
		if (l->sig_fn)
			l->sig_fn(l->sig_arg, (int)si.ssi_signo);
}

static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ns();

	for (size_t i = 0; i < l->ntm; i++) {
		struct loop_timer *t = &l->tm[i];

		if (!t->id || t->next > now)
			continue;
		/* Missed periods are skipped, not replayed in a burst. */
		t->next += t->period;
		if (t->next <= now)
			t->next = now + t->period;
		t->fn(t->arg);
	}
}

static void compact(struct loop *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->nsrc; i++)
		if (l->src[i].arg)
			l->src[k++] = l->src[i];
	l->nsrc = k;
	k = 0;
	for (size_t i = 0; i < l->ntm; i++)
		if (l->tm[i].id)
			l->tm[k++] = l->tm[i];
	l->ntm = k;
}

int loop_once(struct loop *l, int max_ms)
{
	size_t n = 0;
	int rc;

	if (l->sigfd >= 0)
		l->fds[n++] = (struct pollfd){.fd = l->sigfd, .events = POLLIN};
	for (size_t i = 0; i < l->nsrc; i++) {
		struct loop_source *s = &l->src[i];

		s->first = n;
		s->n = s->arg ? s->ops->fds(s->arg, l->fds + n, LOOP_MAX_FDS - n) : 0;
		n += s->n;
	}
	rc = poll(l->fds, n, wait_ms(l, max_ms, loop_now_ns()));
	if (rc < 0 && errno != EINTR)
		return -1;
	if (rc < 0) /* a signal not ours: the round is still a wakeup */
		for (size_t i = 0; i < n; i++)
			l->fds[i].revents = 0;
	if (l->sigfd >= 0 && (l->fds[0].revents & POLLIN))
		read_signals(l);
	for (size_t i = 0; i < l->nsrc; i++) {
		struct loop_source *s = &l->src[i];

		if (s->arg)
			s->ops->dispatch(s->arg, l->fds + s->first, s->n);
	}
	run_timers(l);
	for (size_t i = 0; i < l->nafter; i++)
		l->after[i].fn(l->after[i].arg);
	compact(l);
	return 0;
}

void loop_run(struct loop *l, bool (*done)(void *arg), void *arg)
{
	while (!l->quit && !(done && done(arg)))
		if (loop_once(l, -1) < 0)
			break;
}
