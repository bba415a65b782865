/* Reading session files. The file is opened read-only and trusted in
 * nothing: the header is checked before SQLite sees it (empty, not SQLite,
 * truncated, not a session, newer schema), every table must be a table,
 * every value must have its type and range, and every id must name a row
 * that exists, so a corrupt file ends in a one-line error. The profile is
 * rebuilt through the model's own interning, which also proves that ids
 * are dense and that no key appears twice. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "session-int.h"
#include "session.h"
#include "xalloc.h"

#define HEADER_SIZE 100

static uint32_t be32(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The checks SQLite's own errors would make vague. size is the file's. */
static int check_header(const unsigned char *h, size_t hlen, uint64_t size, const char *name,
			char *err, size_t errlen)
{
	static const char magic[16] = "SQLite format 3";
	uint32_t page, pages, schema;

	if (size == 0) {
		snprintf(err, errlen, "%s is empty, not a proftop session", name);
		return -1;
	}
	if (memcmp(h, magic, hlen < sizeof(magic) ? hlen : sizeof(magic))) {
		snprintf(err, errlen, "%s is not a proftop session (not an SQLite database)", name);
		return -1;
	}
	if (hlen < HEADER_SIZE) {
		snprintf(err, errlen, "%s is truncated (%" PRIu64 " bytes, less than a header)",
			 name, size);
		return -1;
	}
	page = (uint32_t)h[16] << 8 | h[17];
	if (page == 1)
		page = 65536;
	if (page < 512 || (page & (page - 1))) {
		snprintf(err, errlen, "%s is corrupt (bad SQLite page size %" PRIu32 ")", name,
			 page);
		return -1;
	}
	pages = be32(h + 28);
	/* The in-header size is valid when its change counter matches. */
	if (be32(h + 92) == be32(h + 24) && pages && (uint64_t)pages * page > size) {
		snprintf(err, errlen, "%s is truncated (%" PRIu64 " of %" PRIu64 " bytes)", name,
			 size, (uint64_t)pages * page);
		return -1;
	}
	if (size % page) {
		snprintf(err, errlen,
			 "%s is truncated (%" PRIu64 " bytes, not whole %" PRIu32 "-byte pages)",
			 name, size, page);
		return -1;
	}
	if (be32(h + 68) != SESSION_APP_ID) {
		snprintf(err, errlen, "%s is an SQLite database but not a proftop session", name);
		return -1;
	}
	schema = be32(h + 60);
	if (schema > SESSION_SCHEMA) {
		snprintf(err, errlen,
			 "%s was written by a newer proftop (schema %" PRIu32
			 "); this one reads up to %d",
			 name, schema, SESSION_SCHEMA);
		return -1;
	}
	if (schema == 0) {
		snprintf(err, errlen, "%s is corrupt (no schema version)", name);
		return -1;
	}
	return 0;
}

__attribute__((format(printf, 2, 3))) int loader_corrupt(struct loader *l, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	if (l->failed)
		return -1;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (l->table)
		snprintf(l->err, l->errlen, "%s is corrupt: %s row %" PRId64 ": %s", l->name,
			 l->table, l->row, why);
	else
		snprintf(l->err, l->errlen, "%s is corrupt: %s", l->name, why);
	l->failed = true;
	return -1;
}

/* An SQLite error while reading: say what kind of broken the file is. */
static int db_error(struct loader *l, int rc)
{
	const char *msg = l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc);

	if (l->failed)
		return -1;
	l->failed = true;
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
		snprintf(l->err, l->errlen, "%s is not a proftop session (not an SQLite database)",
			 l->name);
		break;
	case SQLITE_CORRUPT:
		snprintf(l->err, l->errlen, "%s is corrupt (sqlite: %s)", l->name, msg);
		break;
	case SQLITE_IOERR:
		if (rc == SQLITE_IOERR_SHORT_READ) {
			snprintf(l->err, l->errlen, "%s is truncated", l->name);
			break;
		}
		/* fall through */
	default:
		snprintf(l->err, l->errlen, "cannot read %s: %s", l->name, msg);
		break;
	}
	return -1;
}

int loader_prepare(struct loader *l, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(l->db, sql, -1, st, NULL);

	if (rc == SQLITE_OK)
		return 0;
	/* A column or table missing: the file's schema is not ours. */
	if ((rc & 0xff) == SQLITE_ERROR)
		return loader_corrupt(l, "%s", sqlite3_errmsg(l->db));
	return db_error(l, rc);
}

/* Step st: 1 for a row, 0 at the end, -1 on error. */
int loader_next(struct loader *l, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW) {
		l->row++;
		return 1;
	}
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(l, rc);
}

void loader_table(struct loader *l, const char *table)
{
	l->table = table;
	l->row = 0;
}

/* Column i as an integer within [lo, hi]. */
int loader_int(struct loader *l, sqlite3_stmt *st, int i, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t v;

	if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
		return loader_corrupt(l, "%s is not an integer", sqlite3_column_name(st, i));
	v = sqlite3_column_int64(st, i);
	if (v < lo || v > hi)
		return loader_corrupt(l,
				      "%s %" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")",
				      sqlite3_column_name(st, i), v, lo, hi);
	*out = v;
	return 0;
}

/* An id below n. */
int loader_id(struct loader *l, sqlite3_stmt *st, int i, size_t n, uint32_t *out)
{
	int64_t v;

	if (n == 0) {
		if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
			return loader_corrupt(l, "%s is not an integer",
					      sqlite3_column_name(st, i));
		return loader_corrupt(l, "%s %" PRId64 " names nothing (the table is empty)",
				      sqlite3_column_name(st, i),
				      (int64_t)sqlite3_column_int64(st, i));
	}
	if (loader_int(l, st, i, 0, (int64_t)n - 1, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Column i as text (NULL allowed if nullable), interned in the profile. */
int loader_str(struct loader *l, sqlite3_stmt *st, int i, bool nullable, const char **out)
{
	int type = sqlite3_column_type(st, i);

	if (type == SQLITE_NULL && nullable) {
		*out = NULL;
		return 0;
	}
	if (type != SQLITE_TEXT)
		return loader_corrupt(l, "%s is not text", sqlite3_column_name(st, i));
	*out = profile_str(l->p, (const char *)sqlite3_column_text(st, i));
	return 0;
}

/* The row's id column must be the row's index: ids are dense, from first. */
int loader_check_id(struct loader *l, sqlite3_stmt *st, int64_t expect)
{
	int64_t id;

	if (loader_int(l, st, 0, INT64_MIN, INT64_MAX, &id) < 0)
		return -1;
	if (id != expect)
		return loader_corrupt(l, "id %" PRId64 " where %" PRId64 " was expected", id,
				      expect);
	return 0;
}

/* ---- the tables ---- */

static int check_tables(struct loader *l)
{
	static const char *const tables[] = {
		"meta",	     "modules",		"functions", "locations", "location_lines",
		"stacks",    "threads",		"samples",   "memory",	  "output",
		"latencies", "latency_buckets", "sources"};
	sqlite3_stmt *st;
	int rc = 0;

	if (loader_prepare(l, "SELECT type FROM sqlite_schema WHERE name = ?", &st) < 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < sizeof(tables) / sizeof(*tables); i++) {
		sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
		rc = loader_next(l, st);
		if (rc == 0 && i == 0) {
			snprintf(l->err, l->errlen,
				 "%s is an SQLite database but not a proftop session", l->name);
			l->failed = true;
			rc = -1;
		} else if (rc == 0) {
			rc = loader_corrupt(l, "the %s table is missing", tables[i]);
		} else if (rc > 0) {
			const unsigned char *type = sqlite3_column_text(st, 0);

			rc = type && !strcmp((const char *)type, "table")
				     ? 0
				     : loader_corrupt(l, "%s is not a table", tables[i]);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Column i as a real number (an integer is fine too). */
int loader_real(struct loader *l, sqlite3_stmt *st, int i, double *out)
{
	int type = sqlite3_column_type(st, i);

	if (type != SQLITE_FLOAT && type != SQLITE_INTEGER)
		return loader_corrupt(l, "%s is not a number", sqlite3_column_name(st, i));
	*out = sqlite3_column_double(st, i);
	if (*out != *out)
		return loader_corrupt(l, "%s is not a number", sqlite3_column_name(st, i));
	return 0;
}

static const char *meta_text(struct loader *l, sqlite3_stmt *st, const char *key)
{
	const char *s = NULL;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (loader_next(l, st) > 0 && sqlite3_column_type(st, 0) == SQLITE_TEXT)
		s = profile_str(l->p, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return s;
}

/* A missing integer is 0 (an older writer may not have known it). */
static int64_t meta_int(struct loader *l, sqlite3_stmt *st, const char *key, int64_t lo, int64_t hi)
{
	int64_t v = 0;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (loader_next(l, st) > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		loader_table(l, NULL);
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
			loader_corrupt(l, "meta '%s' is not an integer", key);
		v = sqlite3_column_int64(st, 0);
		if (v < lo || v > hi)
			loader_corrupt(l, "meta '%s' is out of range", key);
	}
	sqlite3_reset(st);
	return l->failed ? 0 : v;
}

static double meta_real(struct loader *l, sqlite3_stmt *st, const char *key)
{
	double v = 0;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (loader_next(l, st) > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		loader_table(l, NULL);
		if (loader_real(l, st, 0, &v) < 0)
			loader_corrupt(l, "meta '%s' is not a number", key);
	}
	sqlite3_reset(st);
	return l->failed ? 0 : v;
}

static int load_meta(struct loader *l, struct session_info *info)
{
	struct prof_meta *m = &l->p->meta;
	const char *format, *version;
	sqlite3_stmt *st;

	if (loader_prepare(l, "SELECT value FROM meta WHERE key = ?", &st) < 0)
		return -1;
	format = meta_text(l, st, "format");
	if (!l->failed && (!format || strcmp(format, SESSION_FORMAT))) {
		snprintf(l->err, l->errlen, "%s is an SQLite database but not a proftop session",
			 l->name);
		l->failed = true;
	}
	version = meta_text(l, st, "proftop_version");
	m->command = meta_text(l, st, "command");
	m->cwd = meta_text(l, st, "cwd");
	m->host = meta_text(l, st, "host");
	m->kernel = meta_text(l, st, "kernel");
	m->backend = meta_text(l, st, "backend");
	m->unwind = meta_text(l, st, "unwind");
	m->clock = meta_text(l, st, "clock");
	m->start_realtime = meta_int(l, st, "start_realtime", INT64_MIN, INT64_MAX);
	m->start_ns = (uint64_t)meta_int(l, st, "start_ns", INT64_MIN, INT64_MAX);
	m->duration_ns = (uint64_t)meta_int(l, st, "duration_ns", 0, INT64_MAX);
	m->freq = (unsigned)meta_int(l, st, "freq", 0, UINT32_MAX);
	m->pid = (int32_t)meta_int(l, st, "pid", INT32_MIN, INT32_MAX);
	m->attached = meta_int(l, st, "attached", 0, 1);
	m->ended = meta_int(l, st, "ended", 0, 1);
	m->exited = meta_int(l, st, "exited", 0, 1);
	m->exit_status = (int)meta_int(l, st, "exit_status", INT32_MIN, INT32_MAX);
	m->term_signal = (int)meta_int(l, st, "term_signal", 0, 1024);
	m->stopped_by_proftop = meta_int(l, st, "stopped_by_proftop", 0, 1);
	m->lost = (uint64_t)meta_int(l, st, "lost", 0, INT64_MAX);
	m->held_ns = (uint64_t)meta_int(l, st, "held_ns", 0, INT64_MAX);
	m->calls_cost_ns = (uint64_t)meta_int(l, st, "calls_cost_ns", 0, INT64_MAX);
	m->calls_cpu_ns = (uint64_t)meta_int(l, st, "calls_cpu_ns", 0, INT64_MAX);
	m->probe_floor_ns = (uint64_t)meta_int(l, st, "probe_floor_ns", 0, INT64_MAX);
	l->p->output_dropped = (uint64_t)meta_int(l, st, "output_dropped", 0, INT64_MAX);
	m->owner_known = meta_int(l, st, "owner_known", 0, 1);
	m->owner_uid = (uint32_t)meta_int(l, st, "owner_uid", 0, UINT32_MAX);
	m->owner_gid = (uint32_t)meta_int(l, st, "owner_gid", 0, UINT32_MAX);
	m->owner_groups = meta_text(l, st, "owner_groups");
	if (!m->owner_groups)
		m->owner_known = false;
	m->calls_budget = meta_real(l, st, "calls_budget");
	m->calls_overhead = meta_real(l, st, "calls_overhead");
	m->alloc_sample = (uint64_t)meta_int(l, st, "alloc_sample", 0, INT64_MAX);
	m->fault_period = (uint64_t)meta_int(l, st, "fault_period", 0, INT64_MAX);
	m->allocs_lost = (uint64_t)meta_int(l, st, "allocs_lost", 0, INT64_MAX);
	m->alloc_note = meta_text(l, st, "alloc_note");
	if (info) {
		snprintf(info->version, sizeof(info->version), "%s", version ? version : "unknown");
		info->complete = meta_int(l, st, "complete", 0, 1);
		info->saved_realtime = meta_int(l, st, "saved_realtime", INT64_MIN, INT64_MAX);
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

/* Messages quote SQLite, which quotes the file's own schema text: keep
 * them on one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static struct profile *load(struct loader *l, struct session_info *info)
{
	sqlite3_stmt *st;

	sqlite3_extended_result_codes(l->db, 1);
	sqlite3_db_config(l->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(l->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	l->p = profile_new();
	if (info) {
		memset(info, 0, sizeof(*info));
		if (loader_prepare(l, "PRAGMA user_version", &st) == 0) {
			if (loader_next(l, st) > 0)
				info->schema = (unsigned)sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
	}
	if (check_tables(l) == 0 && load_meta(l, info) == 0)
		session_load_tables(l);
	if (l->failed) {
		one_line(l->err);
		profile_free(l->p);
		return NULL;
	}
	return l->p;
}

/* What lies beside a session as FILE-journal, and so how to open it. */
enum journal {
	JOURNAL_NONE,	 /* none, or empty */
	JOURNAL_WRITING, /* a flush in progress (SQLite zeroes the header until
			  * the journal is synced): read with locks */
	JOURNAL_HOT,	 /* left by a crash of our own writer: roll it back */
	JOURNAL_FOREIGN, /* a crashed write, but not our files: leave them */
	JOURNAL_OTHER,	 /* not SQLite's: leave it, ignore it (immutable) */
};

/* SQLite's rollback journals begin with these bytes once synced. */
static const unsigned char journal_magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};

static enum journal journal_look(const char *path, const struct stat *db)
{
	char *journal = xasprintf("%s-journal", path), err[64];
	unsigned char h[8] = {0};
	enum journal j = JOURNAL_OTHER;
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (lstat(journal, &st) < 0 || (S_ISREG(st.st_mode) && st.st_size == 0)) {
		j = JOURNAL_NONE;
	} else if (S_ISREG(st.st_mode) &&
		   (fd = file_in_open(journal, NULL, err, sizeof(err))) >= 0) {
		n = pread(fd, h, sizeof(h), 0);
		close(fd);
	}
	free(journal);
	if (n <= 0)
		return j;
	if (h[0] == 0)
		return JOURNAL_WRITING;
	if (n < (ssize_t)sizeof(h) || memcmp(h, journal_magic, sizeof(h)))
		return JOURNAL_OTHER;
	return st.st_uid == geteuid() && db->st_uid == geteuid() ? JOURNAL_HOT : JOURNAL_FOREIGN;
}

/* A crash during a flush leaves FILE-journal behind: SQLite rolls it back
 * (to the last flush) at the first read by a connection that may write.
 * Only done to our own files (journal_look). 0, or -1 with err. */
static int recover_journal(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 2000);
		rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen,
			 "%s has an unfinished write (%s-journal, left by a crash): it needs write "
			 "access to be rolled back (%s)",
			 path, path, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* "file:PATH?QUERY" with PATH percent-encoded. Caller frees. */
static char *file_uri(const char *path, const char *query)
{
	size_t len = strlen(path);
	char *uri = xmalloc(5 + 3 * len + 1 + strlen(query) + 1), *o = uri;

	o += sprintf(o, "file:");
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("/-._~", *c))
			*o++ = (char)*c;
		else
			o += sprintf(o, "%%%02X", *c);
	}
	sprintf(o, "?%s", query);
	return uri;
}

/* Open the session for reading without side effects: never a -wal or -shm
 * beside it, never a journal deleted. immutable=1 (no locks, journal and
 * WAL ignored) when no writer can be at work on it: a WAL-mode file (which
 * proftop never writes) or a journal that is not SQLite's; else read-only
 * with locks, as a recording may be committing a flush right now. */
static int open_read(const char *path, bool immutable, sqlite3 **db)
{
	char *uri = file_uri(path, immutable ? "immutable=1" : "mode=ro");
	int rc = sqlite3_open_v2(
		uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);

	free(uri);
	if (rc == SQLITE_OK)
		sqlite3_busy_timeout(*db, 2000);
	return rc;
}

struct profile *session_load(const char *path, struct session_info *info, char *err, size_t errlen)
{
	return session_load_within(path, 0, info, err, errlen);
}

struct profile *session_load_within(const char *path, uint64_t max_memory,
				    struct session_info *info, char *err, size_t errlen)
{
	struct loader l = {.name = path, .err = err, .errlen = errlen, .max_memory = max_memory};
	unsigned char h[HEADER_SIZE];
	struct profile *p = NULL;
	enum journal j;
	struct stat st;
	ssize_t n;
	int fd, rc;

	/* Non-blocking: a FIFO is refused, not waited on. */
	fd = file_in_open(path, &st, err, errlen);
	if (fd < 0)
		return NULL;
	j = journal_look(path, &st);
	if (j == JOURNAL_FOREIGN) {
		snprintf(err, errlen,
			 "%s has an unfinished write (%s-journal) and they belong to another user: "
			 "let its owner read it first (it rolls back), or read a copy of both",
			 path, path);
		close(fd);
		return NULL;
	}
	if (j == JOURNAL_HOT) {
		close(fd);
		if (recover_journal(path, err, errlen) < 0)
			return NULL;
		fd = file_in_open(path, &st, err, errlen);
		if (fd < 0)
			return NULL;
	}
	n = pread(fd, h, sizeof(h), 0);
	if (n < 0)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
	close(fd);
	if (n < 0 || check_header(h, (size_t)n, (uint64_t)st.st_size, path, err, errlen) < 0)
		return NULL;
	/* Bytes 18 and 19 of the header are 2 in WAL mode. */
	rc = open_read(path, j == JOURNAL_OTHER || (h[18] == 2 && h[19] == 2), &l.db);
	if (rc != SQLITE_OK) {
		db_error(&l, rc);
		one_line(err);
	} else {
		p = load(&l, info);
	}
	sqlite3_close(l.db);
	if (p && info)
		info->recovered = j == JOURNAL_HOT;
	return p;
}

struct profile *session_load_buffer(const void *data, size_t len, const char *name,
				    struct session_info *info, char *err, size_t errlen)
{
	struct loader l = {.name = name, .err = err, .errlen = errlen};
	struct profile *p = NULL;
	unsigned char *copy;
	int rc;

	if (check_header(data, len < HEADER_SIZE ? len : HEADER_SIZE, len, name, err, errlen) < 0)
		return NULL;
	copy = sqlite3_malloc64(len);
	if (!copy)
		fatal("out of memory (allocating %zu bytes)", len);
	memcpy(copy, data, len);
	rc = sqlite3_open_v2(":memory:", &l.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_deserialize(l.db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
					 SQLITE_DESERIALIZE_FREEONCLOSE |
						 SQLITE_DESERIALIZE_READONLY);
	else
		sqlite3_free(copy);
	if (rc != SQLITE_OK) {
		db_error(&l, rc);
		one_line(err);
	} else {
		p = load(&l, info);
	}
	sqlite3_close(l.db);
	return p;
}
