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

#include "session-int.h"
#include "session.h"
#include "xalloc.h"

#define HEADER_SIZE 100
#define MAX_INLINE  256 /* frames of one location; more is not a real inline chain */

struct loader {
	sqlite3 *db;
	const char *name; /* the file, for messages */
	char *err;
	size_t errlen;
	bool failed;
	struct profile *p;
	const char *table; /* being read, for messages */
	int64_t row;       /* its row number, from 1 */
};

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
		snprintf(err, errlen, "%s is corrupt (bad SQLite page size %" PRIu32 ")", name, page);
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
		snprintf(err, errlen, "%s is truncated (%" PRIu64 " bytes, not whole %" PRIu32
			 "-byte pages)", name, size, page);
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

__attribute__((format(printf, 2, 3))) static int corrupt(struct loader *l, const char *fmt, ...)
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

static int prepare(struct loader *l, const char *sql, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(l->db, sql, -1, st, NULL);

	if (rc == SQLITE_OK)
		return 0;
	/* A column or table missing: the file's schema is not ours. */
	if ((rc & 0xff) == SQLITE_ERROR)
		return corrupt(l, "%s", sqlite3_errmsg(l->db));
	return db_error(l, rc);
}

/* Step st: 1 for a row, 0 at the end, -1 on error. */
static int next(struct loader *l, sqlite3_stmt *st)
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

static void table_begin(struct loader *l, const char *table)
{
	l->table = table;
	l->row = 0;
}

/* Column i as an integer within [lo, hi]. */
static int col_int(struct loader *l, sqlite3_stmt *st, int i, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t v;

	if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
		return corrupt(l, "%s is not an integer", sqlite3_column_name(st, i));
	v = sqlite3_column_int64(st, i);
	if (v < lo || v > hi)
		return corrupt(l, "%s %" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")",
			       sqlite3_column_name(st, i), v, lo, hi);
	*out = v;
	return 0;
}

/* An id below n. */
static int col_id(struct loader *l, sqlite3_stmt *st, int i, size_t n, uint32_t *out)
{
	int64_t v;

	if (n == 0) {
		if (sqlite3_column_type(st, i) != SQLITE_INTEGER)
			return corrupt(l, "%s is not an integer", sqlite3_column_name(st, i));
		return corrupt(l, "%s %" PRId64 " names nothing (the table is empty)",
			       sqlite3_column_name(st, i), (int64_t)sqlite3_column_int64(st, i));
	}
	if (col_int(l, st, i, 0, (int64_t)n - 1, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Column i as text (NULL allowed if nullable), interned in the profile. */
static int col_str(struct loader *l, sqlite3_stmt *st, int i, bool nullable, const char **out)
{
	int type = sqlite3_column_type(st, i);

	if (type == SQLITE_NULL && nullable) {
		*out = NULL;
		return 0;
	}
	if (type != SQLITE_TEXT)
		return corrupt(l, "%s is not text", sqlite3_column_name(st, i));
	*out = profile_str(l->p, (const char *)sqlite3_column_text(st, i));
	return 0;
}

/* The row's id column must be the row's index: ids are dense, from first. */
static int check_id(struct loader *l, sqlite3_stmt *st, int64_t expect)
{
	int64_t id;

	if (col_int(l, st, 0, INT64_MIN, INT64_MAX, &id) < 0)
		return -1;
	if (id != expect)
		return corrupt(l, "id %" PRId64 " where %" PRId64 " was expected", id, expect);
	return 0;
}

/* ---- the tables ---- */

static int check_tables(struct loader *l)
{
	static const char *const tables[] = {"meta",	"modules", "functions", "locations",
					     "location_lines", "stacks", "threads", "samples",
					     "memory", "output", "sources"};
	sqlite3_stmt *st;
	int rc = 0;

	if (prepare(l, "SELECT type FROM sqlite_schema WHERE name = ?", &st) < 0)
		return -1;
	for (size_t i = 0; rc == 0 && i < sizeof(tables) / sizeof(*tables); i++) {
		sqlite3_bind_text(st, 1, tables[i], -1, SQLITE_STATIC);
		rc = next(l, st);
		if (rc == 0 && i == 0) {
			snprintf(l->err, l->errlen,
				 "%s is an SQLite database but not a proftop session", l->name);
			l->failed = true;
			rc = -1;
		} else if (rc == 0) {
			rc = corrupt(l, "the %s table is missing", tables[i]);
		} else if (rc > 0) {
			const unsigned char *type = sqlite3_column_text(st, 0);

			rc = type && !strcmp((const char *)type, "table")
				     ? 0
				     : corrupt(l, "%s is not a table", tables[i]);
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static const char *meta_text(struct loader *l, sqlite3_stmt *st, const char *key)
{
	const char *s = NULL;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (next(l, st) > 0 && sqlite3_column_type(st, 0) == SQLITE_TEXT)
		s = profile_str(l->p, (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return s;
}

/* A missing integer is 0 (an older writer may not have known it). */
static int64_t meta_int(struct loader *l, sqlite3_stmt *st, const char *key, int64_t lo, int64_t hi)
{
	int64_t v = 0;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (next(l, st) > 0 && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		table_begin(l, NULL);
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER)
			corrupt(l, "meta '%s' is not an integer", key);
		v = sqlite3_column_int64(st, 0);
		if (v < lo || v > hi)
			corrupt(l, "meta '%s' is out of range", key);
	}
	sqlite3_reset(st);
	return l->failed ? 0 : v;
}

static int load_meta(struct loader *l, struct session_info *info)
{
	struct prof_meta *m = &l->p->meta;
	const char *format, *version;
	sqlite3_stmt *st;

	if (prepare(l, "SELECT value FROM meta WHERE key = ?", &st) < 0)
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
	m->start_realtime = meta_int(l, st, "start_realtime", INT64_MIN, INT64_MAX);
	m->start_ns = (uint64_t)meta_int(l, st, "start_ns", INT64_MIN, INT64_MAX);
	m->duration_ns = (uint64_t)meta_int(l, st, "duration_ns", 0, INT64_MAX);
	m->freq = (unsigned)meta_int(l, st, "freq", 0, UINT32_MAX);
	m->pid = (int32_t)meta_int(l, st, "pid", INT32_MIN, INT32_MAX);
	m->attached = meta_int(l, st, "attached", 0, 1);
	m->exited = meta_int(l, st, "exited", 0, 1);
	m->exit_status = (int)meta_int(l, st, "exit_status", INT32_MIN, INT32_MAX);
	m->term_signal = (int)meta_int(l, st, "term_signal", 0, 1024);
	m->stopped_by_proftop = meta_int(l, st, "stopped_by_proftop", 0, 1);
	m->lost = (uint64_t)meta_int(l, st, "lost", 0, INT64_MAX);
	if (info) {
		snprintf(info->version, sizeof(info->version), "%s", version ? version : "unknown");
		info->complete = meta_int(l, st, "complete", 0, 1);
		info->saved_realtime = meta_int(l, st, "saved_realtime", INT64_MIN, INT64_MAX);
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_modules(struct loader *l)
{
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "modules");
	if (prepare(l, "SELECT id, path, build_id FROM modules ORDER BY id", &st) < 0)
		return -1;
	while ((rc = next(l, st)) > 0) {
		const char *path, *build_id;

		uint32_t id = (uint32_t)l->p->nmodules;

		if (check_id(l, st, id) < 0 || col_str(l, st, 1, false, &path) < 0 ||
		    col_str(l, st, 2, true, &build_id) < 0)
			break;
		if (profile_intern_module(l->p, path, build_id) != id) {
			corrupt(l, "the module %s appears twice", path);
			break;
		}
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_functions(struct loader *l)
{
	struct profile *p = l->p;
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "functions");
	if (prepare(l,
		    "SELECT id, name, system_name, file, start_line, module, calls, "
		    "calls_lower_bound FROM functions ORDER BY id",
		    &st) < 0)
		return -1;
	while ((rc = next(l, st)) > 0) {
		const char *name, *sys, *file;
		int64_t start, calls = -1, lower;
		uint32_t module, id = (uint32_t)p->nfunctions;

		if (check_id(l, st, id) < 0 || col_str(l, st, 1, false, &name) < 0 ||
		    col_str(l, st, 2, true, &sys) < 0 || col_str(l, st, 3, true, &file) < 0 ||
		    col_int(l, st, 4, 0, INT32_MAX, &start) < 0 ||
		    col_id(l, st, 5, p->nmodules, &module) < 0 ||
		    (sqlite3_column_type(st, 6) != SQLITE_NULL &&
		     col_int(l, st, 6, 0, INT64_MAX, &calls) < 0) ||
		    col_int(l, st, 7, 0, 1, &lower) < 0)
			break;
		if (profile_intern_function(p, name, sys, file, (int)start, module) != id) {
			corrupt(l, "the function %s appears twice", name);
			break;
		}
		p->functions[id].calls = calls;
		p->functions[id].calls_lower_bound = lower;
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

/* Locations and their inline chains, read side by side. */
static int load_locations(struct loader *l)
{
	struct profile *p = l->p;
	struct prof_line lines[MAX_INLINE];
	sqlite3_stmt *st, *ln = NULL;
	int64_t lrow = 0;
	int rc, lrc = 0;

	if (prepare(l, "SELECT id, module, address FROM locations ORDER BY id", &st) < 0 ||
	    prepare(l,
		    "SELECT location, depth, function, file, line FROM location_lines "
		    "ORDER BY location, depth",
		    &ln) < 0)
		goto out;
	table_begin(l, "location_lines");
	lrc = next(l, ln);
	lrow = l->row;
	table_begin(l, "locations");
	while (!l->failed && (rc = next(l, st)) > 0) {
		int64_t id = (int64_t)p->nlocations, address, loc, depth;
		uint32_t module;
		size_t n = 0;

		if (check_id(l, st, id) < 0 || col_id(l, st, 1, p->nmodules, &module) < 0 ||
		    col_int(l, st, 2, INT64_MIN, INT64_MAX, &address) < 0)
			break;
		l->table = "location_lines";
		l->row = lrow;
		while (lrc > 0) {
			int64_t line;

			if (col_int(l, ln, 0, 0, INT64_MAX, &loc) < 0 ||
			    col_int(l, ln, 1, 0, INT64_MAX, &depth) < 0)
				break;
			if (loc < id) {
				corrupt(l, "location %" PRId64 " does not exist", loc);
				break;
			}
			if (loc > id)
				break;
			if (depth != (int64_t)n || n == MAX_INLINE) {
				corrupt(l, "depth %" PRId64 " where %zu was expected", depth, n);
				break;
			}
			if (col_id(l, ln, 2, p->nfunctions, &lines[n].function) < 0 ||
			    col_str(l, ln, 3, true, &lines[n].file) < 0 ||
			    col_int(l, ln, 4, 0, INT32_MAX, &line) < 0)
				break;
			lines[n++].line = (int)line;
			lrc = next(l, ln);
		}
		lrow = l->row;
		l->table = "locations";
		l->row = id + 1;
		if (l->failed)
			break;
		if (profile_intern_location(p, module, (uint64_t)address, lines, n) != (uint32_t)id) {
			corrupt(l, "the location %#" PRIx64 " appears twice", (uint64_t)address);
			break;
		}
	}
	if (!l->failed && lrc > 0) {
		l->table = "location_lines";
		l->row = lrow;
		corrupt(l, "location %" PRId64 " does not exist",
			(int64_t)sqlite3_column_int64(ln, 0));
	}
out:
	sqlite3_finalize(st);
	sqlite3_finalize(ln);
	return l->failed ? -1 : 0;
}

static int load_stacks(struct loader *l)
{
	struct profile *p = l->p;
	uint32_t *path = xmalloc(PROF_MAX_DEPTH * sizeof(*path));
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "stacks");
	if (prepare(l, "SELECT id, parent, location FROM stacks ORDER BY id", &st) < 0) {
		free(path);
		return -1;
	}
	while ((rc = next(l, st)) > 0) {
		uint32_t parent, location, id = (uint32_t)p->nstacks;
		size_t n = 0;

		/* A parent comes before its children: the trie is built in order. */
		if (check_id(l, st, id) < 0 || col_id(l, st, 1, id, &parent) < 0 ||
		    col_id(l, st, 2, p->nlocations, &location) < 0)
			break;
		if (p->stacks[parent].depth >= PROF_MAX_DEPTH) {
			corrupt(l, "deeper than %d frames", PROF_MAX_DEPTH);
			break;
		}
		/* Leaf first, as profile_intern_stack() wants it. */
		path[n++] = location;
		for (uint32_t s = parent; s != 0; s = p->stacks[s].parent)
			path[n++] = p->stacks[s].location;
		if (profile_intern_stack(p, path, n) != id) {
			corrupt(l, "the stack appears twice");
			break;
		}
	}
	sqlite3_finalize(st);
	free(path);
	return l->failed ? -1 : 0;
}

static int load_threads(struct loader *l)
{
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "threads");
	if (prepare(l, "SELECT tid, pid, comm FROM threads ORDER BY tid", &st) < 0)
		return -1;
	while ((rc = next(l, st)) > 0) {
		int64_t tid, pid;
		const char *comm;

		if (col_int(l, st, 0, INT32_MIN, INT32_MAX, &tid) < 0 ||
		    col_int(l, st, 1, INT32_MIN, INT32_MAX, &pid) < 0 ||
		    col_str(l, st, 2, true, &comm) < 0)
			break;
		profile_set_thread(l->p, (int32_t)tid, (int32_t)pid, comm);
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_samples(struct loader *l)
{
	struct profile *p = l->p;
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "samples");
	if (prepare(l, "SELECT time, tid, stack, weight, flags FROM samples ORDER BY rowid", &st) < 0)
		return -1;
	while ((rc = next(l, st)) > 0) {
		int64_t time, tid, weight, flags;
		uint32_t stack;

		if (col_int(l, st, 0, 0, INT64_MAX, &time) < 0 ||
		    col_int(l, st, 1, INT32_MIN, INT32_MAX, &tid) < 0 ||
		    col_id(l, st, 2, p->nstacks, &stack) < 0 ||
		    col_int(l, st, 3, 0, INT64_MAX, &weight) < 0 ||
		    col_int(l, st, 4, 0, UINT32_MAX, &flags) < 0)
			break;
		profile_add_sample(p, (uint64_t)time, (int32_t)tid, stack, (uint64_t)weight,
				   (uint32_t)flags);
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_memory(struct loader *l)
{
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "memory");
	if (prepare(l, "SELECT time, pid, rss, vms FROM memory ORDER BY rowid", &st) < 0)
		return -1;
	while ((rc = next(l, st)) > 0) {
		int64_t time, pid, rss, vms;

		if (col_int(l, st, 0, 0, INT64_MAX, &time) < 0 ||
		    col_int(l, st, 1, INT32_MIN, INT32_MAX, &pid) < 0 ||
		    col_int(l, st, 2, 0, INT64_MAX, &rss) < 0 ||
		    col_int(l, st, 3, 0, INT64_MAX, &vms) < 0)
			break;
		profile_add_memory(l->p, (uint64_t)time, (int32_t)pid, (uint64_t)rss,
				   (uint64_t)vms);
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_output(struct loader *l)
{
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "output");
	if (prepare(l, "SELECT time, data FROM output ORDER BY rowid", &st) < 0)
		return -1;
	while ((rc = next(l, st)) > 0) {
		int64_t time;

		if (col_int(l, st, 0, 0, INT64_MAX, &time) < 0)
			break;
		if (sqlite3_column_type(st, 1) != SQLITE_BLOB) {
			corrupt(l, "data is not a blob");
			break;
		}
		profile_add_output(l->p, (uint64_t)time, sqlite3_column_blob(st, 1),
				   (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_sources(struct loader *l)
{
	struct profile *p = l->p;
	sqlite3_stmt *st;
	int rc;

	table_begin(l, "sources");
	if (prepare(l, "SELECT file, line, text FROM sources ORDER BY file, line", &st) < 0)
		return -1;
	while ((rc = next(l, st)) > 0) {
		struct prof_source_line s, *prev = p->nsources ? &p->sources[p->nsources - 1] : NULL;
		int64_t line;

		if (col_str(l, st, 0, false, &s.file) < 0 ||
		    col_int(l, st, 1, 1, SESSION_MAX_LINE, &line) < 0 ||
		    col_str(l, st, 2, false, &s.text) < 0)
			break;
		s.line = (int)line;
		/* session_source_line() searches them: sorted, each once. */
		if (prev && (strcmp(prev->file, s.file) > 0 ||
			     (prev->file == s.file && prev->line >= s.line))) {
			corrupt(l, "out of order");
			break;
		}
		p->sources = xgrow(p->sources, &p->sources_cap, p->nsources + 1, sizeof(*p->sources));
		p->sources[p->nsources++] = s;
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
	int (*const steps[])(struct loader *) = {
		check_tables, load_modules, load_functions, load_locations, load_stacks,
		load_threads, load_samples, load_memory,    load_output,    load_sources,
	};
	sqlite3_stmt *st;

	sqlite3_extended_result_codes(l->db, 1);
	sqlite3_db_config(l->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(l->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	l->p = profile_new();
	if (info) {
		memset(info, 0, sizeof(*info));
		if (prepare(l, "PRAGMA user_version", &st) == 0) {
			if (next(l, st) > 0)
				info->schema = (unsigned)sqlite3_column_int(st, 0);
			sqlite3_finalize(st);
		}
	}
	for (size_t i = 0; !l->failed && i < sizeof(steps) / sizeof(*steps); i++) {
		steps[i](l);
		if (i == 0 && !l->failed)
			load_meta(l, info);
	}
	if (l->failed) {
		one_line(l->err);
		profile_free(l->p);
		return NULL;
	}
	return l->p;
}

struct profile *session_load(const char *path, struct session_info *info, char *err,
			     size_t errlen)
{
	struct loader l = {.name = path, .err = err, .errlen = errlen};
	unsigned char h[HEADER_SIZE];
	struct profile *p = NULL;
	struct stat st;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot open %s: it is a directory", path);
		close(fd);
		return NULL;
	}
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	if (check_header(h, (size_t)n, (uint64_t)st.st_size, path, err, errlen) < 0)
		return NULL;
	rc = sqlite3_open_v2(path, &l.db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		db_error(&l, rc);
		one_line(err);
	} else {
		p = load(&l, info);
	}
	sqlite3_close(l.db);
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
	rc = sqlite3_open_v2(":memory:", &l.db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_deserialize(l.db, "main", copy, (sqlite3_int64)len,
					 (sqlite3_int64)len,
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
