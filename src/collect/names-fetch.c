#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "debuginfod.h"
#include "loop.h"
#include "names-fetch.h"
#include "text.h"
#include "xalloc.h"

/* A slow fetch is said on stderr after this long; an outcome stays on the
 * status line this long. */
#define SLOW_NS 1000000000ull
#define NOTE_NS 10000000000ull

struct names_fetch {
	struct debug_fetch *f;
	struct symbols *sym;
	bool quiet;
	bool said_unreachable;
	bool waiting; /* names_fetch_wait said it waits: every outcome is said */
	char announced[128]; /* the slow fetch said on stderr, "" if none */
	char note[320];	     /* the last outcome */
	uint64_t note_until;
	char status[320];
	char missing[256]; /* the files no server had, said once at the end */
	size_t nmissing;
	size_t nfetched; /* files that came */
};

/* strerror, lower-case as proftop's messages are; a timeout with the
 * setting that made it */
static void errtext(int e, char *buf, size_t len)
{
	const char *t = getenv("DEBUGINFOD_TIMEOUT");

	if (e == ETIME || e == ETIMEDOUT) {
		snprintf(buf, len, "no answer within DEBUGINFOD_TIMEOUT=%s s", t ? t : "?");
		return;
	}
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z'))
		buf[0] = (char)(buf[0] - 'A' + 'a');
}

static void say(struct names_fetch *nf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct names_fetch *nf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nf->note, sizeof(nf->note), fmt, ap);
	va_end(ap);
	nf->note_until = loop_now_ns() + NOTE_NS;
	if (!nf->quiet)
		warnx_("%s", nf->note);
}

struct names_fetch *names_fetch_start(struct symbols *sym, bool off, bool quiet)
{
	const char *why = NULL;
	struct debug_fetch *f = off ? NULL : debug_fetch_new(&why);
	struct names_fetch *nf;

	if (!f) {
		/* libdw's own client would fetch from the event loop */
		unsetenv("DEBUGINFOD_URLS");
		if (why && !quiet)
			warnx_("%s", why);
		if (!why || !quiet)
			return NULL;
		/* the live view: why, on its status line for a while */
		nf = xcalloc(1, sizeof(*nf));
		nf->sym = sym;
		nf->quiet = true;
		snprintf(nf->note, sizeof(nf->note), "%s", why);
		nf->note_until = loop_now_ns() + NOTE_NS;
		return nf;
	}
	nf = xcalloc(1, sizeof(*nf));
	nf->f = f;
	nf->sym = sym;
	nf->quiet = quiet;
	symbols_set_fetch(sym, f);
	return nf;
}

void names_fetch_free(struct names_fetch *nf)
{
	if (!nf)
		return;
	symbols_set_fetch(nf->sym, NULL);
	debug_fetch_free(nf->f);
	free(nf);
}

int names_fetch_fd(const struct names_fetch *nf)
{
	return nf && nf->f ? debug_fetch_fd(nf->f) : -1;
}

static void mb(uint64_t bytes, char *buf, size_t len)
{
	snprintf(buf, len, "%.1f", (double)bytes / 1e6);
}

/* One finished fetch: names, and what to say about it. */
static bool take(struct names_fetch *nf, const struct debug_fetch_result *r)
{
	bool announced = !strcmp(nf->announced, r->name) || nf->waiting;
	size_t n = symbols_fetched(nf->sym, r);
	char e[128], size[32];

	if (announced)
		nf->announced[0] = '\0';
	if (r->path) {
		nf->nfetched++;
		fmt_bytes(r->bytes, size, sizeof(size));
		/* always on the status line; on stderr when it was slow */
		snprintf(nf->note, sizeof(nf->note), "debuginfod: %s: %s in %.1f s (%s)",
			 r->name, size, (double)r->ns / 1e9, r->path);
		nf->note_until = loop_now_ns() + NOTE_NS;
		if (announced && !nf->quiet)
			warnx_("%s", nf->note);
	} else if (r->unreachable) {
		errtext(r->error, e, sizeof(e));
		if (!nf->said_unreachable)
			say(nf, "debuginfod: %s unreachable (%s); names from local files only",
			    debug_fetch_urls(nf->f), e);
		nf->said_unreachable = true;
	} else if (r->cancelled) {
		if (announced || nf->quiet)
			say(nf, "debuginfod: %s: fetch cut short after %.1f s; its names from "
				"local files only",
			    r->name, (double)r->ns / 1e9);
	} else if (announced || nf->quiet) {
		errtext(r->error, e, sizeof(e));
		say(nf, "debuginfod: %s: no debug info (%s)", r->name, e);
	} else {
		size_t len = strlen(nf->missing);

		if (nf->nmissing++ < 8)
			snprintf(nf->missing + len, sizeof(nf->missing) - len, "%s%s",
				 len ? ", " : "", r->name);
	}
	return n > 0;
}

/* The fetch in progress, said once on stderr when it is slow. */
static void announce_slow(struct names_fetch *nf)
{
	struct debug_fetch_progress pr;
	char *cache;

	if (nf->quiet || nf->announced[0] || !debug_fetch_progress(nf->f, &pr) || pr.ns < SLOW_NS)
		return;
	snprintf(nf->announced, sizeof(nf->announced), "%s", pr.name);
	cache = debug_fetch_cache_dir();
	warnx_("debuginfod: fetching the debug info of %s from %s (into %s)...", pr.name,
	       debug_fetch_urls(nf->f), cache);
	free(cache);
}

bool names_fetch_poll(struct names_fetch *nf)
{
	struct debug_fetch_result r;
	bool changed = false;

	if (!nf || !nf->f)
		return false;
	while (debug_fetch_next(nf->f, &r)) {
		changed |= take(nf, &r);
		debug_fetch_result_free(&r);
	}
	announce_slow(nf);
	return changed;
}

const char *names_fetch_status(struct names_fetch *nf)
{
	struct debug_fetch_progress pr;
	char a[32], b[32];
	size_t queued;

	if (!nf)
		return NULL;
	if (debug_fetch_progress(nf->f, &pr)) {
		queued = debug_fetch_pending(nf->f);
		mb(pr.bytes, a, sizeof(a));
		mb(pr.total, b, sizeof(b));
		if (pr.total)
			snprintf(nf->status, sizeof(nf->status), "debuginfod: fetching %s %s/%s MB",
				 pr.name, a, b);
		else
			snprintf(nf->status, sizeof(nf->status), "debuginfod: fetching %s %s MB",
				 pr.name, a);
		if (queued > 1) {
			size_t len = strlen(nf->status);

			snprintf(nf->status + len, sizeof(nf->status) - len, " (%zu more queued)",
				 queued - 1);
		}
		return nf->status;
	}
	if (nf->note[0] && loop_now_ns() < nf->note_until)
		return nf->note;
	return NULL;
}

/* The ending signals as an fd, when the caller blocked them (it did:
 * collector_start); -1 if not. */
static int signal_fd(void)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	return signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Files no server had: one line at the end, not one each. Under sudo,
 * where the files went: root's cache, not the user's. */
static void say_missing(struct names_fetch *nf)
{
	const char *user = getenv("SUDO_USER"), *chosen = getenv("DEBUGINFOD_CACHE_PATH");

	if (nf->nfetched && user && user[0] && !(chosen && chosen[0]) && !nf->quiet &&
	    geteuid() == 0) {
		char *cache = debug_fetch_cache_dir();

		warnx_("debuginfod: %zu debug file%s cached in %s (root's cache: proftop runs "
		       "under sudo, not as %s)",
		       nf->nfetched, nf->nfetched > 1 ? "s" : "", cache, user);
		free(cache);
		nf->nfetched = 0;
	}
	if (!nf->nmissing || nf->quiet)
		return;
	warnx_("debuginfod: no debug info on %s for %s%s", debug_fetch_urls(nf->f), nf->missing,
	       nf->nmissing > 8 ? " and more" : "");
	nf->nmissing = 0;
	nf->missing[0] = '\0';
}

void names_fetch_wait(struct names_fetch *nf)
{
	const char *s = getenv("DEBUGINFOD_MAXTIME");
	long cap_s = s && strtol(s, NULL, 10) > 0 ? strtol(s, NULL, 10) : DEBUG_FETCH_MAX_S;
	uint64_t start = loop_now_ns(), deadline = start + (uint64_t)cap_s * 1000000000ull;
	bool said = false, interrupted = false;
	int sfd;

	if (!nf || !nf->f)
		return;
	names_fetch_poll(nf);
	if (!debug_fetch_pending(nf->f)) {
		say_missing(nf);
		return;
	}
	sfd = signal_fd();
	while (debug_fetch_pending(nf->f) && loop_now_ns() < deadline) {
		struct pollfd fds[2] = {{.fd = debug_fetch_fd(nf->f), .events = POLLIN},
					{.fd = sfd, .events = POLLIN}};
		uint64_t now = loop_now_ns();

		if (!said && !nf->quiet && now - start >= SLOW_NS) {
			const char *st = names_fetch_status(nf);

			if (st && !strncmp(st, "debuginfod: ", 12))
				st += 12;
			warnx_("debuginfod: waiting for %zu debug file%s before the names are final "
			       "(%s; Ctrl-C: do without)",
			       debug_fetch_pending(nf->f), debug_fetch_pending(nf->f) > 1 ? "s" : "",
			       st ? st : "queued");
			said = true;
			nf->waiting = true;
		}
		if (poll(fds, sfd >= 0 ? 2 : 1, 200) > 0 && (fds[1].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) > 0)
				interrupted = true;
			break;
		}
		names_fetch_poll(nf);
	}
	if (sfd >= 0)
		close(sfd);
	if (debug_fetch_pending(nf->f)) {
		size_t left = debug_fetch_pending(nf->f);

		debug_fetch_cancel(nf->f);
		if (!nf->quiet)
			warnx_("debuginfod: %s; %zu debug file%s not waited for: names from local "
			       "files only for %s",
			       interrupted ? "interrupted" : "gave up waiting", left,
			       left > 1 ? "s" : "", left > 1 ? "them" : "it");
	}
	names_fetch_poll(nf);
	say_missing(nf);
}
