/* Debug files from debuginfod servers (DEBUGINFOD_URLS), fetched by build
 * id without blocking the caller: one worker thread with its own client
 * (libdebuginfod, dlopen'ed as libdw does) takes the requests in order;
 * results come back through a list the caller drains when the eventfd
 * debug_fetch_fd() is readable. Files land in elfutils' cache
 * ($DEBUGINFOD_CACHE_PATH, else $XDG_CACHE_HOME/debuginfod_client or
 * ~/.cache/debuginfod_client), where every elfutils tool finds them.
 *
 * Timeouts: DEBUGINFOD_TIMEOUT (seconds to connect and then to get each
 * 100 KB) defaults to DEBUG_FETCH_TIMEOUT_S when the user did not set it,
 * and a fetch ends after DEBUGINFOD_MAXTIME seconds, else
 * DEBUG_FETCH_MAX_S; DEBUGINFOD_RETRY_LIMIT defaults to 0 (elfutils' 2
 * would triple a timeout). A request the servers could not be reached for marks
 * them unreachable: later requests fail at once, without a new try.
 *
 * A debug file made by dwz names a shared file in its .gnu_debugaltlink:
 * the worker fetches that one too, by its build id, unless the link names
 * an existing file. */
#ifndef PROFTOP_DEBUGINFOD_H
#define PROFTOP_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEBUG_FETCH_TIMEOUT_S 10
#define DEBUG_FETCH_MAX_S     120

struct debug_fetch;

/* One finished request. Owned by whoever took it (debug_fetch_next);
 * debug_fetch_result_free frees its strings. */
struct debug_fetch_result {
	char *build_id;	  /* lower-case hex, as asked */
	char *name;	  /* what it was asked for (a file's basename), for messages */
	char *path;	  /* the debug file in the cache, or NULL */
	/* dwz: the file path names in .gnu_debugaltlink, as written there, and
	 * where it was fetched to (NULL: not fetched, or found locally) */
	char *alt_link, *alt_path;
	int error;	  /* 0, or a positive errno (ENOENT: no server has it) */
	bool unreachable; /* error came from not reaching the servers */
	bool cancelled;	  /* debug_fetch_cancel() or the time cap ended it */
	uint64_t bytes;	  /* size of the file fetched (0 if not known) */
	uint64_t ns;	  /* time the request took */
};

/* What the worker is fetching now. */
struct debug_fetch_progress {
	char name[128];
	uint64_t bytes, total; /* so far, and expected (0: not known) */
	uint64_t ns;	       /* since it started */
};

/* A fetcher for DEBUGINFOD_URLS, or NULL: *why is NULL when there is
 * nothing to do (the variable is unset or empty), else one line saying
 * why it cannot run (not built in, libdebuginfod.so.1 missing). Sets
 * DEBUGINFOD_TIMEOUT (see above) if unset: call it after forking a
 * target, which keeps the user's environment. */
struct debug_fetch *debug_fetch_new(const char **why);
/* Ends the transfer in progress, drops the queue, joins the worker. */
void debug_fetch_free(struct debug_fetch *f);

/* Queue a request for the debug file of build_id (hex); name: what it is
 * for, for messages. Returns false without queueing when build_id was
 * asked for already. Never blocks on the network. */
bool debug_fetch_ask(struct debug_fetch *f, const char *build_id, const char *name);
/* An eventfd, readable when results wait for debug_fetch_next. */
int debug_fetch_fd(const struct debug_fetch *f);
/* Take the oldest finished result into *r (free it with
 * debug_fetch_result_free); false when none waits. */
bool debug_fetch_next(struct debug_fetch *f, struct debug_fetch_result *r);
void debug_fetch_result_free(struct debug_fetch_result *r);
/* Requests queued or in progress (not yet taken by debug_fetch_next
 * counts as finished). */
size_t debug_fetch_pending(struct debug_fetch *f);
/* The request in progress; false when the worker is idle. */
bool debug_fetch_progress(struct debug_fetch *f, struct debug_fetch_progress *pr);
/* End the transfer in progress and fail everything queued (cancelled). */
void debug_fetch_cancel(struct debug_fetch *f);
/* The servers, as DEBUGINFOD_URLS lists them, for messages. */
const char *debug_fetch_urls(const struct debug_fetch *f);
/* Where elfutils' client caches files (the rule above), malloc'd. */
char *debug_fetch_cache_dir(void);

#endif
