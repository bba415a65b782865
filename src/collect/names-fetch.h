/* Late names: the collector's side of debuginfod (src/elf/debuginfod.h).
 * Images without local debug info ask for theirs through symbols.c; the
 * finished fetches are taken here, on the collector's wakeups, and the
 * locations already in the profile are named again. What happens is told
 * on stderr (record, report: one line when a fetch is slow to come, one
 * when it came or failed) or through a status text (the live view). */
#ifndef PROFTOP_NAMES_FETCH_H
#define PROFTOP_NAMES_FETCH_H

#include <stdbool.h>
#include <stdint.h>

#include "symbols.h"

struct names_fetch;

/* Start fetching for sym's images, or NULL when off: off (--no-debuginfod),
 * DEBUGINFOD_URLS unset or empty, or the fetcher cannot run (one line on
 * why, on stderr; quiet, a fetcher that fetches nothing and shows why in
 * its status for a while). Without fetching, DEBUGINFOD_URLS is taken out of
 * proftop's environment, so that libdw never fetches from the event loop
 * (call it after forking a target: it keeps its own). quiet: the live
 * view, whose status line reads names_fetch_status(). */
struct names_fetch *names_fetch_start(struct symbols *sym, bool off, bool quiet);
void names_fetch_free(struct names_fetch *nf);

/* Readable when fetches finished (-1 for NULL). */
int names_fetch_fd(const struct names_fetch *nf);
/* Take the finished fetches: their modules' locations are named again.
 * Returns true if any location was. */
bool names_fetch_poll(struct names_fetch *nf);
/* One line for a status line: the fetch in progress ("debuginfod:
 * fetching libfoo.so 1.2/3.4 MB"), else the last outcome for a few
 * seconds; NULL when there is nothing to say. Valid until the next call. */
const char *names_fetch_status(struct names_fetch *nf);
/* At the end of record and report: wait for the fetches still pending,
 * at most the fetch cap (DEBUGINFOD_MAXTIME, else 120 s) or until SIGINT,
 * SIGTERM or SIGHUP (blocked by the caller), saying so on stderr when it
 * takes more than a second; then name the locations again. The rest is
 * abandoned with one line. */
void names_fetch_wait(struct names_fetch *nf);

#endif
