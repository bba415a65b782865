/* What the session writer, loader and source-text code share: the schema and
 * its identification. Private to src/session*.c. */
#ifndef PROFTOP_SESSION_INT_H
#define PROFTOP_SESSION_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* PRAGMA application_id: "ptop". PRAGMA user_version is the schema version. */
#define SESSION_APP_ID 0x70746f70
#define SESSION_FORMAT "proftop-session" /* meta 'format' */
/* Lines beyond this are never saved (a corrupt line table must not make
 * the writer allocate gigabytes). */
#define SESSION_MAX_LINE (1 << 20)
/* Source text a session copies from disk, in all: files are read up to
 * SOURCE_TEXT_MAX each, until this much was read. */
#define SESSION_SRC_TOTAL (32u << 20)
/* Source lines kept around the sampled ones, for context in the line view. */
#define SESSION_SRC_MARGIN 5

/* The schema of version SESSION_SCHEMA; proftop-session(5) documents it. */
extern const char session_schema_sql[];

/* Append the text of the lines of p's sampled source files (those not yet
 * in the file) to db's sources table. done remembers, across flushes, what
 * was handled already; session_src_free() releases it. Returns an SQLite
 * result code. */
struct session_src;
int session_src_write(sqlite3 *db, const struct profile *p, struct session_src **done);
void session_src_free(struct session_src *done);

/* ---- reading (session-load.c, session-tables.c) ---- */

#define SESSION_MAX_INLINE 256 /* frames of one location; more is not an inline chain */

/* A file being read. Every reader below checks what it reads and, on the
 * first problem, writes a one-line message to err and sets failed; the
 * rest then do nothing. */
struct loader {
	sqlite3 *db;
	const char *name; /* the file, for messages */
	char *err;
	size_t errlen;
	bool failed;
	struct profile *p; /* being rebuilt */
	const char *table; /* being read, for messages */
	int64_t row;	   /* its row number, from 1 */
	uint64_t max_memory; /* fold the sample log within this budget (0: keep all) */
};

/* "NAME is corrupt: TABLE row N: why"; returns -1. */
int loader_corrupt(struct loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepare sql (a missing table or column is corruption); 0 or -1. */
int loader_prepare(struct loader *l, const char *sql, sqlite3_stmt **st);
/* Step: 1 a row, 0 the end, -1 an error. */
int loader_next(struct loader *l, sqlite3_stmt *st);
/* Messages now name this table's rows. */
void loader_table(struct loader *l, const char *table);
/* Column i as an integer in [lo, hi], an id below n, text (interned in
 * l->p; NULL only if nullable), a real number; 0 or -1. */
int loader_int(struct loader *l, sqlite3_stmt *st, int i, int64_t lo, int64_t hi, int64_t *out);
int loader_id(struct loader *l, sqlite3_stmt *st, int i, size_t n, uint32_t *out);
int loader_str(struct loader *l, sqlite3_stmt *st, int i, bool nullable, const char **out);
int loader_real(struct loader *l, sqlite3_stmt *st, int i, double *out);
/* Column 0 must be expect: ids are dense, in order. */
int loader_check_id(struct loader *l, sqlite3_stmt *st, int64_t expect);
/* Every table but meta, into l->p; 0 or -1. */
int session_load_tables(struct loader *l);

#endif
