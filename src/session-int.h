/* What the session writer, loader and source-text code share: the schema and
 * its identification. Private to src/session*.c. */
#ifndef PROFTOP_SESSION_INT_H
#define PROFTOP_SESSION_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "profile.h"

/* PRAGMA application_id: "ptop". PRAGMA user_version is the schema version. */
#define SESSION_APP_ID	   0x70746f70
#define SESSION_FORMAT	   "proftop-session" /* meta 'format' */
/* Lines beyond this are never saved (a corrupt line table must not make
 * the writer allocate gigabytes). */
#define SESSION_MAX_LINE   (1 << 20)
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

#endif
