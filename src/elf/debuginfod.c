#include "config.h"

/* The debuginfod fetcher (debuginfod.h).
 *
 * Threads: the worker owns the client and calls into libdebuginfod; the
 * caller's thread asks, drains and cancels. Everything they share sits
 * under f->lock: the queue, the finished list, the progress of the
 * request in progress and the cancel generation. The worker never touches
 * the caller's data, and the caller never calls libdebuginfod. */

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_DEBUGINFOD
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <gelf.h>
#include <libelf.h>
#endif

#include "debuginfod.h"
#include "xalloc.h"

char *debug_fetch_cache_dir(void)
{
	const char *env = getenv("DEBUGINFOD_CACHE_PATH");
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CACHE_HOME");
	struct stat st;
	char *legacy;

	if (env && env[0])
		return xstrdup(env);
	if (!home || !home[0])
		home = "/";
	/* elfutils keeps using the old place where it exists */
	legacy = xasprintf("%s/.debuginfod_client_cache", home);
	if (stat(legacy, &st) == 0 && S_ISDIR(st.st_mode))
		return legacy;
	free(legacy);
	if (xdg && xdg[0])
		return xasprintf("%s/debuginfod_client", xdg);
	return xasprintf("%s/.cache/debuginfod_client", home);
}

void debug_fetch_result_free(struct debug_fetch_result *r)
{
	if (!r)
		return;
	free(r->build_id);
	free(r->name);
	free(r->path);
	free(r->alt_link);
	free(r->alt_path);
	*r = (struct debug_fetch_result){0};
}

#ifndef HAVE_DEBUGINFOD

struct debug_fetch *debug_fetch_new(const char **why)
{
	const char *urls = getenv("DEBUGINFOD_URLS");

	*why = urls && urls[0] ? "debuginfod: not built in (configure found no "
				 "libdebuginfod-dev); names from local files only"
			       : NULL;
	return NULL;
}

void debug_fetch_free(struct debug_fetch *f)
{
	(void)f;
}

bool debug_fetch_ask(struct debug_fetch *f, const char *build_id, const char *name)
{
	return false;
}

int debug_fetch_fd(const struct debug_fetch *f)
{
	return -1;
}

bool debug_fetch_next(struct debug_fetch *f, struct debug_fetch_result *r)
{
	return false;
}

size_t debug_fetch_pending(struct debug_fetch *f)
{
	return 0;
}

bool debug_fetch_progress(struct debug_fetch *f, struct debug_fetch_progress *pr)
{
	return false;
}

void debug_fetch_cancel(struct debug_fetch *f)
{
}

const char *debug_fetch_urls(const struct debug_fetch *f)
{
	return "";
}

#else

/* libdebuginfod's entry points, from dlopen: loaded once, by the first
 * debug_fetch_new (the caller's thread). */
static struct {
	bool tried, ok;
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_end) *end;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
	__typeof__(debuginfod_set_progressfn) *set_progressfn;
	__typeof__(debuginfod_set_user_data) *set_user_data;
	__typeof__(debuginfod_get_user_data) *get_user_data;
} lib;

static bool lib_load(void)
{
	void *so;

	if (lib.tried)
		return lib.ok;
	lib.tried = true;
	so = dlopen(DEBUGINFOD_SONAME, RTLD_LAZY);
	if (!so)
		return false;
	lib.begin = dlsym(so, "debuginfod_begin");
	lib.end = dlsym(so, "debuginfod_end");
	lib.find_debuginfo = dlsym(so, "debuginfod_find_debuginfo");
	lib.set_progressfn = dlsym(so, "debuginfod_set_progressfn");
	lib.set_user_data = dlsym(so, "debuginfod_set_user_data");
	lib.get_user_data = dlsym(so, "debuginfod_get_user_data");
	lib.ok = lib.begin && lib.end && lib.find_debuginfo && lib.set_progressfn &&
		 lib.set_user_data && lib.get_user_data;
	return lib.ok; /* the library stays loaded: libdw may use it too */
}

struct fetch_req {
	struct fetch_req *next;
	char *build_id, *name;
	uint64_t gen; /* f->cancel_gen when asked */
};

struct fetch_done {
	struct fetch_done *next;
	struct debug_fetch_result r;
};

struct debug_fetch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int efd;
	char *urls;
	uint64_t max_ns; /* one request's cap */
	debuginfod_client *client; /* the worker's */
	/* under lock: */
	struct fetch_req *queue, **queue_tail;
	struct fetch_done *done, **done_tail;
	struct fetch_req *current; /* in progress, owned by the worker */
	uint64_t cur_start, cur_bytes, cur_total;
	uint64_t cancel_gen;
	bool quit, unreachable;
	size_t pending;
	/* the caller's own: every build id asked, to ask once */
	char **asked;
	size_t nasked, asked_cap;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* libdebuginfod calls it about once a second and per chunk received: a
 * non-zero return ends the transfer. */
static int on_progress(debuginfod_client *c, long a, long b)
{
	struct debug_fetch *f = lib.get_user_data(c);
	int stop;

	pthread_mutex_lock(&f->lock);
	f->cur_bytes = a > 0 ? (uint64_t)a : 0;
	f->cur_total = b > 0 ? (uint64_t)b : 0;
	stop = f->quit || !f->current || f->current->gen != f->cancel_gen ||
	       now_ns() - f->cur_start > f->max_ns;
	pthread_mutex_unlock(&f->lock);
	return stop;
}

/* Errors that mean no server answered (libdebuginfod's mapping of curl's). */
static bool is_unreachable(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ETIME:
	case ETIMEDOUT:
	case ECONNRESET:
	case ECONNABORTED:
		return true;
	default:
		return false;
	}
}

static void finish(struct debug_fetch *f, struct fetch_req *q, struct debug_fetch_result *r)
{
	struct fetch_done *d = xcalloc(1, sizeof(*d));
	uint64_t one = 1;

	d->r = *r;
	d->r.build_id = q->build_id;
	d->r.name = q->name;
	free(q);
	*f->done_tail = d;
	f->done_tail = &d->next;
	f->pending--;
	if (write(f->efd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow at one per request */
	}
}

/* The .gnu_debugaltlink of the ELF file open at fd: the file name as
 * written (malloc'd) and its build id in hex (malloc'd); false if none. */
static bool altlink_of(int fd, char **link, char **id)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	bool found = false;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		goto out;
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;
		const char *nul;
		size_t idlen;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".gnu_debugaltlink") != 0)
			continue;
		d = elf_getdata(scn, NULL);
		nul = d && d->d_buf ? memchr(d->d_buf, '\0', d->d_size) : NULL;
		if (!nul || nul == (const char *)d->d_buf)
			break;
		idlen = d->d_size - (size_t)(nul + 1 - (const char *)d->d_buf);
		if (idlen == 0 || idlen > 64)
			break;
		*link = xstrdup(d->d_buf);
		*id = xmalloc(2 * idlen + 1);
		for (size_t i = 0; i < idlen; i++)
			snprintf(*id + 2 * i, 3, "%02x", (unsigned char)nul[1 + i]);
		found = true;
	}
out:
	if (elf)
		elf_end(elf);
	return found;
}

/* dwz's shared file of the debug file open at fd, unless its link names a
 * file that exists (as written, or beside the debug file). */
static void fetch_alt(struct debug_fetch *f, int fd, struct debug_fetch_result *r)
{
	char *link = NULL, *id = NULL, *path = NULL;
	struct stat st;
	int afd;

	if (!altlink_of(fd, &link, &id))
		return;
	r->alt_link = link;
	if (link[0] == '/' && stat(link, &st) == 0 && S_ISREG(st.st_mode)) {
		free(id);
		return;
	}
	afd = lib.find_debuginfo(f->client, (const unsigned char *)id, 0, &path);
	if (afd >= 0) {
		close(afd);
		r->alt_path = path;
	} else {
		free(path);
	}
	free(id);
}

/* One request, the lock not held. */
static void fetch_one(struct debug_fetch *f, struct fetch_req *q, struct debug_fetch_result *r)
{
	uint64_t t0 = now_ns();
	char *path = NULL;
	struct stat st;
	int fd = lib.find_debuginfo(f->client, (const unsigned char *)q->build_id, 0, &path);

	if (fd >= 0) {
		if (fstat(fd, &st) == 0)
			r->bytes = (uint64_t)st.st_size;
		fetch_alt(f, fd, r);
		close(fd);
		r->path = path;
		r->ns = now_ns() - t0;
		return;
	}
	r->ns = now_ns() - t0;
	free(path);
	r->error = -fd > 0 ? -fd : EIO;
	r->unreachable = is_unreachable(r->error);
}

static void *worker(void *arg)
{
	struct debug_fetch *f = arg;

	pthread_mutex_lock(&f->lock);
	while (!f->quit) {
		struct fetch_req *q = f->queue;
		struct debug_fetch_result r = {0};

		if (!q) {
			pthread_cond_wait(&f->wake, &f->lock);
			continue;
		}
		f->queue = q->next;
		if (!f->queue)
			f->queue_tail = &f->queue;
		if (q->gen != f->cancel_gen) {
			r.error = ECANCELED;
			r.cancelled = true;
		} else if (f->unreachable) {
			r.error = EHOSTUNREACH;
			r.unreachable = true;
		} else {
			f->current = q;
			f->cur_start = now_ns();
			f->cur_bytes = f->cur_total = 0;
			pthread_mutex_unlock(&f->lock);
			fetch_one(f, q, &r);
			pthread_mutex_lock(&f->lock);
			f->current = NULL;
			if (!r.path && (q->gen != f->cancel_gen || f->quit || r.ns > f->max_ns)) {
				r.cancelled = true;
				r.unreachable = false;
				r.error = ECANCELED;
			}
			if (r.unreachable)
				f->unreachable = true;
		}
		finish(f, q, &r);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

/* DEBUGINFOD_MAXTIME when the user set it, else DEBUG_FETCH_MAX_S. */
static uint64_t max_ns(void)
{
	const char *s = getenv("DEBUGINFOD_MAXTIME");
	long v = s ? strtol(s, NULL, 10) : 0;

	return (uint64_t)(v > 0 ? v : DEBUG_FETCH_MAX_S) * 1000000000ull;
}

struct debug_fetch *debug_fetch_new(const char **why)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct debug_fetch *f;
	sigset_t all, old;
	char secs[16];

	*why = NULL;
	if (!urls || !urls[strspn(urls, " \t")])
		return NULL;
	if (!lib_load()) {
		*why = "debuginfod: cannot load " DEBUGINFOD_SONAME
		       " (apt-get install libdebuginfod1); names from local files only";
		return NULL;
	}
	elf_version(EV_CURRENT); /* before the worker reads ELF files */
	/* elfutils' default is 90 s: far too long to wait for a name */
	snprintf(secs, sizeof(secs), "%d", DEBUG_FETCH_TIMEOUT_S);
	setenv("DEBUGINFOD_TIMEOUT", secs, 0);
	/* and its retries (2) would triple it: a failed server is not asked again */
	setenv("DEBUGINFOD_RETRY_LIMIT", "0", 0);
	f = xcalloc(1, sizeof(*f));
	f->client = lib.begin();
	f->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!f->client || f->efd < 0) {
		if (f->client)
			lib.end(f->client);
		if (f->efd >= 0)
			close(f->efd);
		free(f);
		*why = "debuginfod: cannot start a client; names from local files only";
		return NULL;
	}
	lib.set_user_data(f->client, f);
	lib.set_progressfn(f->client, on_progress);
	f->urls = xstrdup(urls);
	f->max_ns = max_ns();
	f->queue_tail = &f->queue;
	f->done_tail = &f->done;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	/* The worker takes no signals: they stay with the caller's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&f->thread, NULL, worker, f) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		lib.end(f->client);
		close(f->efd);
		free(f->urls);
		free(f);
		*why = "debuginfod: cannot start a thread; names from local files only";
		return NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return f;
}

void debug_fetch_free(struct debug_fetch *f)
{
	struct debug_fetch_result r;

	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->quit = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	while (f->queue) {
		struct fetch_req *q = f->queue;

		f->queue = q->next;
		free(q->build_id);
		free(q->name);
		free(q);
	}
	while (debug_fetch_next(f, &r))
		debug_fetch_result_free(&r);
	lib.end(f->client);
	close(f->efd);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	for (size_t i = 0; i < f->nasked; i++)
		free(f->asked[i]);
	free(f->asked);
	free(f->urls);
	free(f);
}

bool debug_fetch_ask(struct debug_fetch *f, const char *build_id, const char *name)
{
	struct fetch_req *q;

	if (!f || !build_id || !build_id[0])
		return false;
	for (size_t i = 0; i < f->nasked; i++)
		if (!strcmp(f->asked[i], build_id))
			return false;
	f->asked = xgrow(f->asked, &f->asked_cap, f->nasked + 1, sizeof(*f->asked));
	f->asked[f->nasked++] = xstrdup(build_id);
	q = xcalloc(1, sizeof(*q));
	q->build_id = xstrdup(build_id);
	q->name = xstrdup(name ? name : build_id);
	pthread_mutex_lock(&f->lock);
	q->gen = f->cancel_gen;
	*f->queue_tail = q;
	f->queue_tail = &q->next;
	f->pending++;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	return true;
}

int debug_fetch_fd(const struct debug_fetch *f)
{
	return f ? f->efd : -1;
}

bool debug_fetch_next(struct debug_fetch *f, struct debug_fetch_result *r)
{
	struct fetch_done *d;
	uint64_t n;

	if (!f)
		return false;
	if (read(f->efd, &n, sizeof(n)) < 0) {
		/* nothing signalled: the list may still hold what an earlier read left */
	}
	pthread_mutex_lock(&f->lock);
	d = f->done;
	if (d) {
		f->done = d->next;
		if (!f->done)
			f->done_tail = &f->done;
	}
	pthread_mutex_unlock(&f->lock);
	if (!d)
		return false;
	*r = d->r;
	free(d);
	return true;
}

size_t debug_fetch_pending(struct debug_fetch *f)
{
	size_t n;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->lock);
	n = f->pending;
	pthread_mutex_unlock(&f->lock);
	return n;
}

bool debug_fetch_progress(struct debug_fetch *f, struct debug_fetch_progress *pr)
{
	bool busy;

	if (!f)
		return false;
	pthread_mutex_lock(&f->lock);
	busy = f->current != NULL;
	if (busy) {
		snprintf(pr->name, sizeof(pr->name), "%s", f->current->name);
		pr->bytes = f->cur_bytes;
		pr->total = f->cur_total;
		pr->ns = now_ns() - f->cur_start;
	}
	pthread_mutex_unlock(&f->lock);
	return busy;
}

void debug_fetch_cancel(struct debug_fetch *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->cancel_gen++;
	pthread_mutex_unlock(&f->lock);
}

const char *debug_fetch_urls(const struct debug_fetch *f)
{
	return f ? f->urls : "";
}

#endif
