/* Session files: a profile kept in an SQLite database with a documented,
 * versioned schema (proftop-session(5)). A session is self-contained: it
 * carries the source text of the lines around its samples, and opening it
 * never needs the target's binaries or sources.
 *
 * Errors: whatever can fail returns -1 (or NULL) after writing a one-line
 * message to err that names the file and what is wrong ("cannot write
 * /x/y.proftop: No such file or directory"); nothing is printed. */
#ifndef PROFTOP_SESSION_H
#define PROFTOP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* The schema version this proftop writes, and the newest it reads. */
#define SESSION_SCHEMA 1
/* How often long runs should call session_writer_flush(). */
#define SESSION_FLUSH_MS 5000
/* The file name extension of session_default_name(). */
#define SESSION_EXT ".proftop"

/* Write p to path in one go. The file appears complete or not at all: it is
 * written to path.tmp-XXXXXX beside path (mode 0600, file.h), synced, then
 * renamed over it. An existing path that is a symbolic link, a device, a
 * FIFO or another user's file is refused. On
 * failure (no such directory, read-only, disk full) nothing under path
 * changes and p is untouched: offer to save elsewhere. Source text is read
 * from p->sources where p carries it, else from the files on disk. */
int session_save(const struct profile *p, const char *path, char *err, size_t errlen);

/* What a session file says about itself, beside its profile. */
struct session_info {
	unsigned schema;	/* the file's schema version */
	char version[32];	/* the proftop version that wrote it */
	bool complete;		/* false: the recording ended without a final save
				 * (the session ends at its last flush) */
	int64_t saved_realtime; /* seconds since the epoch of the last write */
	bool recovered;		/* a write cut short by a crash was rolled back
				 * (FILE-journal): the file is as of its last flush */
};

/* Open a session read-only and rebuild its profile (the caller frees it with
 * profile_free()); ids in the file are the profile's ids. Every id and count
 * is checked, so a missing, empty, truncated or corrupt file, a file that is
 * not SQLite, SQLite but not a session, or from a newer schema gives NULL
 * and a one-line err saying which. The file is never modified, except that
 * a write a crash cut short (FILE-journal) is rolled back first, as SQLite
 * does, when the journal is SQLite's and both files are the caller's. Only
 * a regular file is read (a FIFO is refused, not waited on), and nothing
 * is left beside it (no -wal, no -shm). info may be NULL. */
struct profile *session_load(const char *path, struct session_info *info, char *err, size_t errlen);
/* The same, folding the sample log while it loads so that the profile
 * stays within max_memory bytes as a live run's would (profile.h,
 * profile_keep_budget; 0: keep every record). */
struct profile *session_load_within(const char *path, uint64_t max_memory,
				    struct session_info *info, char *err, size_t errlen);
/* The same over the bytes of a session file in memory (the fuzzer); name
 * stands for the file in messages. */
struct profile *session_load_buffer(const void *data, size_t len, const char *name,
				    struct session_info *info, char *err, size_t errlen);

/* Incremental writing for long runs (record, the TUI's -o FILE). Each flush
 * appends what the profile gained since the last one (samples, stacks,
 * functions, memory points, memory records, output, threads, call counts,
 * source text; frees of memory records written live, modules' symbol
 * sources found late) in one transaction, so a crash of proftop loses at most the time since the
 * last flush. The first flush creates path atomically as session_save()
 * does; later ones are transactions on it: the file under path is always a
 * whole session as of its last flush. profile_zero() between flushes is
 * fine (the file's samples, memory points and memory records are
 * replaced).
 *
 * The writer borrows p, which must outlive it. */
struct session_writer;

/* Prepare to write p to path. Fails early, creating nothing under path,
 * when the directory is missing or not writable, or path is not a regular
 * file of the caller (file.h). */
struct session_writer *session_writer_open(const struct profile *p, const char *path, char *err,
					   size_t errlen);
/* A free-form metadata entry for the file's meta table (e.g. "options",
 * proftop's own command line); written at the next flush. */
void session_writer_set_meta(struct session_writer *w, const char *key, const char *value);
/* Append what is new. On failure the file keeps its last flush (or does not
 * exist yet) and the writer stays usable: a later flush retries. */
int session_writer_flush(struct session_writer *w, char *err, size_t errlen);
/* Flush the rest, mark the session complete and free the writer (also when
 * it fails). */
int session_writer_close(struct session_writer *w, char *err, size_t errlen);
/* Free the writer without writing more; what was flushed stays. */
void session_writer_abort(struct session_writer *w);
/* The file the writer writes to (its final name). */
const char *session_writer_path(const struct session_writer *w);
/* The absolute log position (index + log_shift, profile.h) up to which the
 * file holds the samples as of the last flush: records below it may be
 * folded in memory (profile_keep_budget's sync) and the file keeps them. */
uint64_t session_writer_samples_written(const struct session_writer *w);
/* The memory records' id below which the file holds them, free times
 * included, if the last flush committed (else 0): records below it may be
 * folded in memory. */
uint64_t session_writer_allocs_written(const struct session_writer *w);
/* Say in the file's meta what memory the run took (--max-memory): meta
 * max_memory, memory_peak (b's peak or p's tables now, the larger),
 * memory_peak_log, in bytes, and memory_folds. Written at the next flush. */
struct prof_budget;
void session_writer_note_budget(struct session_writer *w, const struct profile *p,
				const struct prof_budget *b);

/* A default file name for a save prompt, in the current directory:
 * "proftop-COMMAND-YYYYmmdd-HHMMSS.proftop" from the profile's command and
 * start time. Caller frees. */
char *session_default_name(const struct profile *p);

/* The saved text of line `line` of source file `file` (as stored in
 * prof_line.file), or NULL when the profile does not carry it: a reopened
 * session carries the lines around its samples, a live profile none. */
const char *session_source_line(const struct profile *p, const char *file, int line);

#endif
