/* Writing session files: session_save() in one go, or a session_writer that
 * appends what is new at every flush. The first write goes to a temporary
 * file beside the final one, which is synced and renamed into place, so a
 * file under the final name is always a whole session; later flushes are
 * SQLite transactions (rollback journal) on the file itself. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "session-int.h"
#include "session.h"
#include "xalloc.h"

const char session_schema_sql[] =
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value) WITHOUT ROWID;\n"
	"CREATE TABLE modules (id INTEGER PRIMARY KEY, path TEXT NOT NULL, build_id TEXT,\n"
	"  symbols_from TEXT);\n"
	"CREATE TABLE functions (id INTEGER PRIMARY KEY, name TEXT NOT NULL, system_name TEXT,\n"
	"  file TEXT, start_line INTEGER NOT NULL, module INTEGER NOT NULL,\n"
	"  calls INTEGER, calls_lower_bound INTEGER NOT NULL, calls_rate REAL NOT NULL,\n"
	"  calls_since INTEGER NOT NULL);\n"
	"CREATE TABLE locations (id INTEGER PRIMARY KEY, module INTEGER NOT NULL,\n"
	"  address INTEGER NOT NULL);\n"
	"CREATE TABLE location_lines (location INTEGER NOT NULL, depth INTEGER NOT NULL,\n"
	"  function INTEGER NOT NULL, file TEXT, line INTEGER NOT NULL,\n"
	"  PRIMARY KEY (location, depth)) WITHOUT ROWID;\n"
	"CREATE TABLE stacks (id INTEGER PRIMARY KEY, parent INTEGER NOT NULL,\n"
	"  location INTEGER NOT NULL);\n"
	"CREATE TABLE threads (tid INTEGER PRIMARY KEY, pid INTEGER NOT NULL, comm TEXT);\n"
	"CREATE TABLE samples (time INTEGER NOT NULL, tid INTEGER NOT NULL,\n"
	"  stack INTEGER NOT NULL, weight INTEGER NOT NULL, flags INTEGER NOT NULL,\n"
	"  count INTEGER NOT NULL DEFAULT 1);\n"
	"CREATE TABLE memory (time INTEGER NOT NULL, pid INTEGER NOT NULL,\n"
	"  rss INTEGER NOT NULL, vms INTEGER NOT NULL);\n"
	"CREATE TABLE output (time INTEGER NOT NULL, data BLOB NOT NULL);\n"
	/* Memory records (profile.h's prof_alloc); free_time NULL while live. */
	"CREATE TABLE allocs (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, free_time INTEGER,\n"
	"  size INTEGER NOT NULL, bytes INTEGER NOT NULL, allocs INTEGER NOT NULL,\n"
	"  stack INTEGER NOT NULL, tid INTEGER NOT NULL, kind INTEGER NOT NULL);\n"
	"CREATE TABLE latencies (function INTEGER PRIMARY KEY, count INTEGER NOT NULL,\n"
	"  sum_ns INTEGER NOT NULL, min_ns INTEGER NOT NULL, max_ns INTEGER NOT NULL,\n"
	"  stopped INTEGER NOT NULL, rate REAL NOT NULL, since INTEGER NOT NULL);\n"
	"CREATE TABLE latency_buckets (function INTEGER NOT NULL, bucket INTEGER NOT NULL,\n"
	"  count INTEGER NOT NULL, PRIMARY KEY (function, bucket)) WITHOUT ROWID;\n"
	"CREATE TABLE sources (file TEXT NOT NULL, line INTEGER NOT NULL, text TEXT NOT NULL,\n"
	"  PRIMARY KEY (file, line)) WITHOUT ROWID;\n"
	/* record --repeat: each run's time range (ns since start) and ending. */
	"CREATE TABLE runs (id INTEGER PRIMARY KEY, start INTEGER NOT NULL, end INTEGER NOT NULL,\n"
	"  exited INTEGER NOT NULL, exit_status INTEGER NOT NULL, term_signal INTEGER NOT NULL);\n"
	/* For people with sqlite3: each sample with the function it hit. */
	"CREATE VIEW sample_functions AS\n"
	"  SELECT s.rowid AS sample, s.time, s.tid, s.weight, s.count, f.name AS function,\n"
	"         m.path AS module, ll.file, ll.line\n"
	"  FROM samples s JOIN stacks st ON st.id = s.stack\n"
	"  JOIN location_lines ll ON ll.location = st.location AND ll.depth = 0\n"
	"  JOIN functions f ON f.id = ll.function JOIN modules m ON m.id = f.module;\n";

/* A tripwire for whoever grows the model: a field the session does not save
 * is lost by every save and breaks `report -i`'s promise to print what the
 * live run printed. Save it here, load it in session-load.c or
 * session-tables.c, document it in proftop-session(5), compare it in
 * tests/unit/test-session.c, then update the size. */
#define SESSION_KNOWS(type, size) \
	_Static_assert(sizeof(type) == (size), #type " changed: see src/session.c")
SESSION_KNOWS(struct prof_meta, 216);
SESSION_KNOWS(struct prof_function, 64);
SESSION_KNOWS(struct prof_module, 32); /* + name: derived from path */
SESSION_KNOWS(struct prof_line, 24);
SESSION_KNOWS(struct prof_location, 24);
SESSION_KNOWS(struct prof_stack, 12);
SESSION_KNOWS(struct prof_thread, 16);
SESSION_KNOWS(struct prof_mem_point, 32);
SESSION_KNOWS(struct prof_output_chunk, 24);
SESSION_KNOWS(struct prof_latency, 72);
SESSION_KNOWS(struct prof_run, 32);
SESSION_KNOWS(struct profile, 656); /* + total_samples, the log_* and allocs_* fold positions: derived; output_dropped: meta; output_chunks_shift: derived; runs: the runs table */ /* + query_cache, query_cache_free: derived, not saved */
SESSION_KNOWS(struct prof_alloc, 56); /* + id: derived (the file keeps every record, in order) */

struct meta_kv {
	char *key, *value;
};

/* How much of each table of the profile the file holds. Samples by
 * absolute log position (index + log_shift, profile.h), so that folding
 * what the file holds already changes nothing here. */
struct written {
	size_t modules, functions, locations, stacks, memory;
	uint64_t output;    /* absolute output piece (index + output_chunks_shift) */
	uint64_t samples;   /* absolute log position written up to */
	uint64_t log_epoch; /* of the samples written: profile_zero() starts over */
	struct prof_mem_point last_mem;
	size_t relabeled;      /* position in profile_relabeled()'s log */
	uint64_t allocs;       /* memory records written: ids below this */
	uint64_t alloc_rows;   /* rows of the allocs table: its ids run 0 on */
	uint64_t allocs_epoch; /* of the records written */
};

/* The memory records the file holds as live (free_time NULL): a record is
 * freed at most once, so at each flush only these can need an update, and
 * the list shrinks as they are freed. The record's id (profile.h) and its
 * row's: they differ when the profile folded records before the file was
 * opened (the live view's save). */
struct live_rec {
	uint64_t id, row;
};

struct live_list {
	struct live_rec *rec;
	size_t n, cap;
};

struct session_writer {
	const struct profile *p;
	char *path;
	struct file_out out; /* the temporary file until the first flush renames it */
	char *tmp;	     /* out.tmp, or NULL once renamed */
	sqlite3 *db;	     /* on tmp, then on path */
	struct written done;
	struct live_list live; /* of done */
	bool flushed;	       /* the last flush committed */
	struct session_src *src;
	struct meta_kv *extra;
	size_t nextra, extra_cap;
};

static int64_t i64(uint64_t v)
{
	return (int64_t)v; /* two's complement: the loader casts back */
}

/* "cannot write PATH: why" */
static int fail(char *err, size_t errlen, const char *path, const char *why)
{
	snprintf(err, errlen, "cannot write %s: %s", path, why);
	return -1;
}

/* SQLite does not always keep the errno of a failed write: when it has
 * none, tell a full disk and a file size limit apart ourselves. */
static const char *write_failure(const char *path)
{
	char *dir = file_dir_of(path);
	struct statvfs vfs;
	struct rlimit lim;
	const char *why = NULL;

	if (statvfs(dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < 1024 * 1024)
		why = strerror(ENOSPC);
	else if (getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
		why = "File too large (over the file size limit, ulimit -f)";
	free(dir);
	return why;
}

static int fail_db(char *err, size_t errlen, const char *path, sqlite3 *db, int rc)
{
	const char *why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

	/* SQLite says "unable to open database file" for a missing directory. */
	if ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR ||
	    (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM ||
	    (rc & 0xff) == SQLITE_FULL) {
		int e = db ? sqlite3_system_errno(db) : 0;
		const char *guess;

		if (e)
			why = strerror(e);
		else if (((rc & 0xff) == SQLITE_FULL || rc == SQLITE_IOERR_WRITE) &&
			 (guess = write_failure(path)))
			why = guess;
	}
	return fail(err, errlen, path, why);
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return rc;
	return sqlite3_reset(st);
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

/* ---- the tables ---- */

static int put_meta_text(sqlite3_stmt *st, const char *key, const char *value)
{
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	bind_text(st, 2, value);
	return step_reset(st);
}

static int put_meta_int(sqlite3_stmt *st, const char *key, int64_t value)
{
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	return step_reset(st);
}

static int put_meta_real(sqlite3_stmt *st, const char *key, double value)
{
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 2, value);
	return step_reset(st);
}

static int write_meta(struct session_writer *w, bool complete)
{
	const struct prof_meta *m = &w->p->meta;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
				    -1, &st, NULL);
	const struct {
		const char *key;
		const char *value;
	} texts[] = {
		{"format", SESSION_FORMAT},
		{"proftop_version", PACKAGE_VERSION},
		{"command", m->command},
		{"cwd", m->cwd},
		{"host", m->host},
		{"kernel", m->kernel},
		{"backend", m->backend},
		{"unwind", m->unwind},
		{"clock", m->clock},
		{"owner_groups", m->owner_known ? m->owner_groups : NULL},
		{"alloc_note", m->alloc_note},
	};
	const struct {
		const char *key;
		int64_t value;
	} ints[] = {
		{"complete", complete},
		{"saved_realtime", (int64_t)time(NULL)},
		{"start_realtime", m->start_realtime},
		{"start_ns", i64(m->start_ns)},
		{"duration_ns", i64(m->duration_ns)},
		{"freq", m->freq},
		{"pid", m->pid},
		{"attached", m->attached},
		{"ended", m->ended},
		{"exited", m->exited},
		{"exit_status", m->exit_status},
		{"term_signal", m->term_signal},
		{"stopped_by_proftop", m->stopped_by_proftop},
		{"lost", i64(m->lost)},
		{"held_ns", i64(m->held_ns)},
		{"calls_cost_ns", i64(m->calls_cost_ns)},
		{"calls_cpu_ns", i64(m->calls_cpu_ns)},
		{"probe_floor_ns", i64(m->probe_floor_ns)},
		{"output_dropped", i64(w->p->output_dropped)},
		{"owner_known", m->owner_known},
		{"owner_uid", m->owner_uid},
		{"owner_gid", m->owner_gid},
		{"alloc_sample", i64(m->alloc_sample)},
		{"fault_period", i64(m->fault_period)},
		{"allocs_lost", i64(m->allocs_lost)},
	};
	const struct {
		const char *key;
		double value;
	} reals[] = {
		{"calls_budget", m->calls_budget},
		{"calls_overhead", m->calls_overhead},
	};

	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(texts) / sizeof(*texts); i++)
		rc = put_meta_text(st, texts[i].key, texts[i].value);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(ints) / sizeof(*ints); i++)
		rc = put_meta_int(st, ints[i].key, ints[i].value);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof(reals) / sizeof(*reals); i++)
		rc = put_meta_real(st, reals[i].key, reals[i].value);
	for (size_t i = 0; rc == SQLITE_OK && i < w->nextra; i++)
		rc = put_meta_text(st, w->extra[i].key, w->extra[i].value);
	sqlite3_finalize(st);
	return rc;
}

static int write_modules(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st, *up = NULL;
	int rc =
		sqlite3_prepare_v2(w->db, "INSERT INTO modules VALUES (?, ?, ?, ?)", -1, &st, NULL);

	/* A module's symbols may be read after its row was written: the few
	 * rows whose source changed are rewritten (unchanged ones are not
	 * touched, so a flush without news writes no page). */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db,
					"UPDATE modules SET symbols_from = ?1 WHERE id = ?2 AND "
					"symbols_from IS NOT ?1",
					-1, &up, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < d->modules; i++) {
		if (!p->modules[i].symbols_from)
			continue;
		bind_text(up, 1, p->modules[i].symbols_from);
		sqlite3_bind_int64(up, 2, (int64_t)i);
		rc = step_reset(up);
	}
	for (; rc == SQLITE_OK && d->modules < p->nmodules; d->modules++) {
		const struct prof_module *m = &p->modules[d->modules];

		sqlite3_bind_int64(st, 1, (int64_t)d->modules);
		bind_text(st, 2, m->path ? m->path : "[unknown]");
		bind_text(st, 3, m->build_id);
		bind_text(st, 4, m->symbols_from);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return rc;
}

static void bind_calls(sqlite3_stmt *st, int i, const struct prof_function *f)
{
	if (f->calls >= 0)
		sqlite3_bind_int64(st, i, f->calls);
	else
		sqlite3_bind_null(st, i);
	sqlite3_bind_int(st, i + 1, f->calls_lower_bound);
	sqlite3_bind_double(st, i + 2, f->calls_rate);
	sqlite3_bind_int64(st, i + 3, i64(f->calls_since));
}

static int write_functions(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st, *up = NULL;
	int rc = sqlite3_prepare_v2(w->db,
				    "INSERT INTO functions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				    -1, &st, NULL);

	/* Call counts grow while counting runs: refresh the ones written. */
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db,
					"UPDATE functions SET calls = ?, calls_lower_bound = ?, "
					"calls_rate = ?, calls_since = ? WHERE id = ?",
					-1, &up, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < d->functions; i++) {
		if (p->functions[i].calls < 0)
			continue;
		bind_calls(up, 1, &p->functions[i]);
		sqlite3_bind_int64(up, 5, (int64_t)i);
		rc = step_reset(up);
	}
	for (; rc == SQLITE_OK && d->functions < p->nfunctions; d->functions++) {
		const struct prof_function *f = &p->functions[d->functions];

		sqlite3_bind_int64(st, 1, (int64_t)d->functions);
		bind_text(st, 2, f->name ? f->name : "[unknown]");
		bind_text(st, 3, f->system_name);
		bind_text(st, 4, f->file);
		sqlite3_bind_int(st, 5, f->start_line > 0 ? f->start_line : 0);
		sqlite3_bind_int64(st, 6, f->module);
		bind_calls(st, 7, f);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(up);
	return rc;
}

/* Location id's frames, as the profile has them now, into location_lines. */
static int write_location_lines(sqlite3_stmt *ln, const struct profile *p, size_t id)
{
	const struct prof_location *l = &p->locations[id];
	int rc = SQLITE_OK;

	for (uint32_t j = 0; rc == SQLITE_OK && j < l->nlines; j++) {
		const struct prof_line *pl = &p->lines[l->first_line + j];

		sqlite3_bind_int64(ln, 1, (int64_t)id);
		sqlite3_bind_int(ln, 2, (int)j);
		sqlite3_bind_int64(ln, 3, pl->function);
		bind_text(ln, 4, pl->file);
		sqlite3_bind_int(ln, 5, pl->line > 0 ? pl->line : 0);
		rc = step_reset(ln);
	}
	return rc;
}

static int write_locations(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st, *ln = NULL, *del = NULL;
	const uint32_t *relabeled;
	size_t nrelabeled;
	int rc = sqlite3_prepare_v2(w->db, "INSERT INTO locations VALUES (?, ?, ?)", -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db, "INSERT INTO location_lines VALUES (?, ?, ?, ?, ?)",
					-1, &ln, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db, "DELETE FROM location_lines WHERE location = ?", -1,
					&del, NULL);
	/* Locations renamed since the last flush (debug info that arrived
	 * late) that the file holds already get their new frames; those
	 * written below are written as they are now. */
	relabeled = profile_relabeled(p, &nrelabeled);
	for (; rc == SQLITE_OK && d->relabeled < nrelabeled; d->relabeled++) {
		uint32_t id = relabeled[d->relabeled];

		if (id >= d->locations || id >= p->nlocations)
			continue;
		sqlite3_bind_int64(del, 1, (int64_t)id);
		rc = step_reset(del);
		if (rc == SQLITE_OK)
			rc = write_location_lines(ln, p, id);
	}
	for (; rc == SQLITE_OK && d->locations < p->nlocations; d->locations++) {
		const struct prof_location *l = &p->locations[d->locations];

		sqlite3_bind_int64(st, 1, (int64_t)d->locations);
		sqlite3_bind_int64(st, 2, l->module);
		sqlite3_bind_int64(st, 3, i64(l->address));
		rc = step_reset(st);
		if (rc == SQLITE_OK)
			rc = write_location_lines(ln, p, d->locations);
	}
	sqlite3_finalize(st);
	sqlite3_finalize(ln);
	sqlite3_finalize(del);
	return rc;
}

static int write_stacks(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(w->db, "INSERT INTO stacks VALUES (?, ?, ?)", -1, &st, NULL);

	if (d->stacks == 0)
		d->stacks = 1; /* node 0, the root, is implied */
	for (; rc == SQLITE_OK && d->stacks < p->nstacks; d->stacks++) {
		sqlite3_bind_int64(st, 1, (int64_t)d->stacks);
		sqlite3_bind_int64(st, 2, p->stacks[d->stacks].parent);
		sqlite3_bind_int64(st, 3, p->stacks[d->stacks].location);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int write_threads(struct session_writer *w)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(w->db, "INSERT OR REPLACE INTO threads VALUES (?, ?, ?)", -1,
				    &st, NULL);

	/* Few, and their names change: rewrite them all. */
	for (size_t i = 0; rc == SQLITE_OK && i < p->nthreads; i++) {
		sqlite3_bind_int(st, 1, p->threads[i].tid);
		sqlite3_bind_int(st, 2, p->threads[i].pid);
		bind_text(st, 3, p->threads[i].comm);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Per-call durations: few functions, each updated while it runs: rewritten
 * whole, histograms as their non-empty buckets. */
static int write_latencies(struct session_writer *w)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st = NULL, *bk = NULL;
	int rc = exec(w->db, "DELETE FROM latencies; DELETE FROM latency_buckets");

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db,
					"INSERT INTO latencies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1,
					&st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db, "INSERT INTO latency_buckets VALUES (?, ?, ?)", -1,
					&bk, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < p->nlatencies; i++) {
		const struct prof_latency *l = &p->latencies[i];

		sqlite3_bind_int64(st, 1, l->function);
		sqlite3_bind_int64(st, 2, i64(l->count));
		sqlite3_bind_int64(st, 3, i64(l->sum_ns));
		sqlite3_bind_int64(st, 4, i64(l->min_ns));
		sqlite3_bind_int64(st, 5, i64(l->max_ns));
		sqlite3_bind_int(st, 6, l->stopped);
		sqlite3_bind_double(st, 7, l->rate);
		sqlite3_bind_int64(st, 8, i64(l->since));
		rc = step_reset(st);
		for (int b = 0; rc == SQLITE_OK && l->buckets && b < PROF_LATENCY_BUCKETS; b++) {
			if (!l->buckets[b])
				continue;
			sqlite3_bind_int64(bk, 1, l->function);
			sqlite3_bind_int(bk, 2, b);
			sqlite3_bind_int64(bk, 3, i64(l->buckets[b]));
			rc = step_reset(bk);
		}
	}
	sqlite3_finalize(st);
	sqlite3_finalize(bk);
	return rc;
}

static bool same_mem(const struct prof_mem_point *a, const struct prof_mem_point *b)
{
	return a->time == b->time && a->pid == b->pid && a->rss == b->rss && a->vms == b->vms;
}

static int write_samples(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st;
	size_t i;
	int rc;

	/* profile_zero() emptied the log since the last flush, or records the
	 * file lacks were folded (never by the budget, which folds only what
	 * the file holds): write the log as it is now. A file that never had
	 * samples starts at the log's beginning, folded records included. */
	if (d->log_epoch != p->log_epoch || d->samples < p->log_folded_abs ||
	    d->samples < p->log_shift) {
		if (d->samples) {
			rc = exec(w->db, "DELETE FROM samples");
			if (rc != SQLITE_OK)
				return rc;
		}
		d->samples = p->log_shift;
		d->log_epoch = p->log_epoch;
	}
	rc = sqlite3_prepare_v2(w->db, "INSERT INTO samples VALUES (?, ?, ?, ?, ?, ?)", -1, &st,
				NULL);
	for (i = (size_t)(d->samples - p->log_shift); rc == SQLITE_OK && i < p->nsamples;
	     i++, d->samples++) {
		const struct prof_sample *s = &p->samples[i];

		sqlite3_bind_int64(st, 1, i64(s->time));
		sqlite3_bind_int(st, 2, s->tid);
		sqlite3_bind_int64(st, 3, s->stack);
		sqlite3_bind_int64(st, 4, i64(s->weight));
		sqlite3_bind_int64(st, 5, s->flags);
		sqlite3_bind_int64(st, 6, s->count);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int write_memory(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st;
	int rc;

	if (d->memory &&
	    (p->nmemory < d->memory || !same_mem(&p->memory[d->memory - 1], &d->last_mem))) {
		rc = exec(w->db, "DELETE FROM memory");
		if (rc != SQLITE_OK)
			return rc;
		d->memory = 0;
	}
	rc = sqlite3_prepare_v2(w->db, "INSERT INTO memory VALUES (?, ?, ?, ?)", -1, &st, NULL);
	for (; rc == SQLITE_OK && d->memory < p->nmemory; d->memory++) {
		const struct prof_mem_point *m = &p->memory[d->memory];

		sqlite3_bind_int64(st, 1, i64(m->time));
		sqlite3_bind_int(st, 2, m->pid);
		sqlite3_bind_int64(st, 3, i64(m->rss));
		sqlite3_bind_int64(st, 4, i64(m->vms));
		rc = step_reset(st);
	}
	if (d->memory)
		d->last_mem = p->memory[d->memory - 1];
	sqlite3_finalize(st);
	return rc;
}

static int write_output(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(w->db, "INSERT INTO output VALUES (?, ?)", -1, &st, NULL);
	size_t i;

	/* Pieces dropped before they were written (the budget drops only
	 * what the file holds: a writer opened later) are gone. */
	if (d->output < p->output_chunks_shift)
		d->output = p->output_chunks_shift;
	for (i = (size_t)(d->output - p->output_chunks_shift);
	     rc == SQLITE_OK && i < p->noutput_chunks; i++, d->output++) {
		const struct prof_output_chunk *c = &p->output_chunks[i];

		if (c->offset > p->output_len || c->len > p->output_len - c->offset)
			continue; /* cannot happen: the model appends */
		sqlite3_bind_int64(st, 1, i64(c->time));
		sqlite3_bind_blob(st, 2, p->output + c->offset, (int)c->len, SQLITE_STATIC);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static bool alloc_live(const struct prof_alloc *a)
{
	return a->free_time == PROF_ALLOC_LIVE;
}

/* The records written live and freed since: their free_time. */
static int update_freed(struct session_writer *w)
{
	const struct profile *p = w->p;
	sqlite3_stmt *up;
	int rc = sqlite3_prepare_v2(w->db, "UPDATE allocs SET free_time = ? WHERE id = ?", -1, &up,
				    NULL);

	for (size_t k = 0; rc == SQLITE_OK && k < w->live.n; k++) {
		size_t i = profile_alloc_index(p, w->live.rec[k].id);

		/* (a live record is never folded: always there) */
		if (i == SIZE_MAX || alloc_live(&p->allocs[i]))
			continue;
		sqlite3_bind_int64(up, 1, i64(p->allocs[i].free_time));
		sqlite3_bind_int64(up, 2, i64(w->live.rec[k].row));
		rc = step_reset(up);
	}
	sqlite3_finalize(up);
	return rc;
}

/* Memory records: the new ones appended, with their ids (the file keeps
 * each raw record: only what it holds is folded in memory), the written
 * ones freed since updated; profile_zero() (log_epoch) empties the table. */
static int write_allocs(struct session_writer *w, struct written *d)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	if (d->allocs_epoch != p->log_epoch || d->allocs > profile_alloc_next_id(p)) {
		if (d->alloc_rows)
			rc = exec(w->db, "DELETE FROM allocs");
		d->allocs = 0;
		d->alloc_rows = 0;
		d->allocs_epoch = p->log_epoch;
	} else {
		rc = update_freed(w);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db,
					"INSERT INTO allocs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1,
					&st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (size_t i = profile_alloc_from(p, d->allocs); rc == SQLITE_OK && i < p->nallocs; i++) {
		const struct prof_alloc *a = &p->allocs[i];

		d->allocs = a->id + 1;
		sqlite3_bind_int64(st, 1, i64(d->alloc_rows++));
		sqlite3_bind_int64(st, 2, i64(a->time));
		if (alloc_live(a))
			sqlite3_bind_null(st, 3);
		else
			sqlite3_bind_int64(st, 3, i64(a->free_time));
		sqlite3_bind_int64(st, 4, i64(a->size));
		sqlite3_bind_int64(st, 5, i64(a->bytes));
		sqlite3_bind_int64(st, 6, a->allocs);
		sqlite3_bind_int64(st, 7, a->stack);
		sqlite3_bind_int(st, 8, a->tid);
		sqlite3_bind_int64(st, 9, a->kind);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* After a commit that wrote the records up to d->allocs: the list holds
 * the ones the file now has live (the profile does not change during a
 * flush: it has one thread, the writer's). */
static void live_commit(struct session_writer *w, const struct written *d)
{
	const struct profile *p = w->p;
	struct live_list *l = &w->live;
	size_t kept = 0;
	uint64_t from = w->done.allocs, row = w->done.alloc_rows;

	if (w->done.allocs_epoch != d->allocs_epoch || w->done.allocs > d->allocs) {
		l->n = 0; /* the table was emptied */
		from = row = 0;
	}
	for (size_t k = 0; k < l->n; k++) {
		size_t i = profile_alloc_index(p, l->rec[k].id);

		if (i != SIZE_MAX && alloc_live(&p->allocs[i]))
			l->rec[kept++] = l->rec[k];
	}
	l->n = kept;
	/* the rows written by this flush, in the records' order */
	for (size_t i = profile_alloc_from(p, from); i < p->nallocs && p->allocs[i].id < d->allocs;
	     i++, row++) {
		if (!alloc_live(&p->allocs[i]) || p->allocs[i].kind == PROF_ALLOC_FAULT)
			continue;
		l->rec = xgrow(l->rec, &l->cap, l->n + 1, sizeof(*l->rec));
		l->rec[l->n++] = (struct live_rec){p->allocs[i].id, row};
	}
}

/* The runs table, whole (a few rows). */
static int write_runs(struct session_writer *w)
{
	const struct profile *p = w->p;
	sqlite3_stmt *st;
	int rc = exec(w->db, "DELETE FROM runs");

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(w->db, "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)", -1,
					&st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (size_t i = 0; rc == SQLITE_OK && i < p->nruns; i++) {
		const struct prof_run *r = &p->runs[i];

		sqlite3_bind_int64(st, 1, (int64_t)i);
		sqlite3_bind_int64(st, 2, i64(r->start));
		sqlite3_bind_int64(st, 3, i64(r->end));
		sqlite3_bind_int(st, 4, r->exited);
		sqlite3_bind_int(st, 5, r->exit_status);
		sqlite3_bind_int(st, 6, r->term_signal);
		rc = step_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Everything new, in one transaction; w->done moves only when it commits.
 * Returns 0, or -1 with err (said before the rollback, which has its own). */
static int write_new(struct session_writer *w, bool complete, char *err, size_t errlen)
{
	struct written d = w->done;
	int rc = exec(w->db, "BEGIN IMMEDIATE");

	if (rc != SQLITE_OK)
		return fail_db(err, errlen, w->path, w->db, rc);
	rc = write_meta(w, complete);
	if (rc == SQLITE_OK)
		rc = write_modules(w, &d);
	if (rc == SQLITE_OK)
		rc = write_functions(w, &d);
	if (rc == SQLITE_OK)
		rc = write_locations(w, &d);
	if (rc == SQLITE_OK)
		rc = write_stacks(w, &d);
	if (rc == SQLITE_OK)
		rc = write_threads(w);
	if (rc == SQLITE_OK)
		rc = write_latencies(w);
	if (rc == SQLITE_OK)
		rc = write_runs(w);
	if (rc == SQLITE_OK)
		rc = write_samples(w, &d);
	if (rc == SQLITE_OK)
		rc = write_memory(w, &d);
	if (rc == SQLITE_OK)
		rc = write_output(w, &d);
	if (rc == SQLITE_OK)
		rc = write_allocs(w, &d);
	if (rc == SQLITE_OK)
		rc = session_src_write(w->db, w->p, &w->src);
	if (rc == SQLITE_OK)
		rc = exec(w->db, "COMMIT");
	if (rc != SQLITE_OK) {
		fail_db(err, errlen, w->path, w->db, rc);
		exec(w->db, "ROLLBACK");
		/* Source lines are only remembered to avoid rereading files:
		 * forget them, the next flush writes them again. */
		session_src_free(w->src);
		w->src = NULL;
		w->flushed = false;
		return -1;
	}
	live_commit(w, &d);
	w->done = d;
	w->flushed = true;
	return 0;
}

/* ---- files ---- */

static int db_open(const char *path, sqlite3 **db)
{
	/* One thread owns each connection: no SQLite mutexes. A link planted
	 * under our name is an error, never followed (SQLite would resolve it). */
	int rc = sqlite3_open_v2(path, db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
					 SQLITE_OPEN_NOFOLLOW,
				 NULL);

	if (rc == SQLITE_OK) {
		sqlite3_extended_result_codes(*db, 1);
		sqlite3_busy_timeout(*db, 1000);
	}
	return rc;
}

/* Create the temporary file (file.h: mode 0600, beside path, which must be
 * absent or a regular file of ours) with the schema, before anything is
 * written. */
static int tmp_create(struct session_writer *w, char *err, size_t errlen)
{
	char *sql;
	int rc;

	if (file_out_begin(&w->out, w->path, err, errlen) < 0)
		return -1;
	w->tmp = w->out.tmp;
	rc = db_open(w->tmp, &w->db);
	/* Nobody sees the file before it is complete: no journal needed. */
	sql = xasprintf("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
			"PRAGMA application_id = %d; PRAGMA user_version = %d; BEGIN; %s COMMIT;",
			SESSION_APP_ID, SESSION_SCHEMA, session_schema_sql);
	if (rc == SQLITE_OK)
		rc = exec(w->db, sql);
	free(sql);
	if (rc != SQLITE_OK) {
		fail_db(err, errlen, w->path, w->db, rc);
		sqlite3_close(w->db);
		w->db = NULL;
		file_out_abort(&w->out);
		w->tmp = NULL;
		return -1;
	}
	return 0;
}

static void tmp_discard(struct session_writer *w)
{
	if (w->db && w->tmp) {
		sqlite3_close(w->db);
		w->db = NULL;
	}
	if (w->tmp) {
		file_out_abort(&w->out);
		w->tmp = NULL;
	}
	memset(&w->done, 0, sizeof(w->done));
	w->live.n = 0;
	session_src_free(w->src);
	w->src = NULL;
}

/* The temporary file is complete: sync it, rename it into place, and go on
 * writing there with a journal. */
static int tmp_publish(struct session_writer *w, char *err, size_t errlen)
{
	int rc = sqlite3_close(w->db);

	w->db = NULL;
	if (rc != SQLITE_OK)
		return fail(err, errlen, w->path, sqlite3_errstr(rc));
	w->tmp = NULL; /* synced and renamed, or removed */
	if (file_out_commit(&w->out, err, errlen) < 0)
		return -1;
	rc = db_open(w->path, &w->db);
	if (rc == SQLITE_OK)
		rc = exec(w->db, "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;");
	if (rc != SQLITE_OK) {
		fail_db(err, errlen, w->path, w->db, rc);
		sqlite3_close(w->db);
		w->db = NULL;
		return -1;
	}
	return 0;
}

/* ---- the writer ---- */

struct session_writer *session_writer_open(const struct profile *p, const char *path, char *err,
					   size_t errlen)
{
	struct session_writer *w = xcalloc(1, sizeof(*w));

	w->p = p;
	w->path = xstrdup(path);
	if (tmp_create(w, err, errlen) < 0) {
		free(w->path);
		free(w);
		return NULL;
	}
	return w;
}

void session_writer_set_meta(struct session_writer *w, const char *key, const char *value)
{
	for (size_t i = 0; i < w->nextra; i++) {
		if (!strcmp(w->extra[i].key, key)) {
			free(w->extra[i].value);
			w->extra[i].value = xstrdup(value ? value : "");
			return;
		}
	}
	w->extra = xgrow(w->extra, &w->extra_cap, w->nextra + 1, sizeof(*w->extra));
	w->extra[w->nextra].key = xstrdup(key);
	w->extra[w->nextra++].value = xstrdup(value ? value : "");
}

const char *session_writer_path(const struct session_writer *w)
{
	return w->path;
}

uint64_t session_writer_samples_written(const struct session_writer *w)
{
	return w->done.log_epoch == w->p->log_epoch ? w->done.samples : 0;
}

uint64_t session_writer_allocs_written(const struct session_writer *w)
{
	/* Only after a flush that committed: the records freed since an
	 * earlier one have their free_time in memory alone. */
	return w->flushed && w->done.allocs_epoch == w->p->log_epoch ? w->done.allocs : 0;
}

static void set_meta_u64(struct session_writer *w, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	session_writer_set_meta(w, key, buf);
}

void session_writer_note_budget(struct session_writer *w, const struct profile *p,
				const struct prof_budget *b)
{
	uint64_t now = profile_memory_bytes(p);

	set_meta_u64(w, "max_memory", b->max_bytes);
	set_meta_u64(w, "memory_peak", now > b->peak_bytes ? now : b->peak_bytes);
	set_meta_u64(w, "memory_peak_log", b->peak_log_bytes);
	set_meta_u64(w, "memory_folds", b->folds);
	set_meta_u64(w, "memory_alloc_folds", b->alloc_folds);
}

static int writer_flush(struct session_writer *w, bool complete, char *err, size_t errlen)
{
	if (!w->db && !w->tmp && tmp_create(w, err, errlen) < 0)
		return -1; /* a failed first flush removed its file: try a new one */
	if (!w->db)
		return fail(err, errlen, w->path, "the file was closed after an earlier error");
	if (write_new(w, complete, err, errlen) < 0) {
		if (w->tmp)
			tmp_discard(w);
		return -1;
	}
	if (w->tmp && tmp_publish(w, err, errlen) < 0) {
		tmp_discard(w);
		return -1;
	}
	return 0;
}

int session_writer_flush(struct session_writer *w, char *err, size_t errlen)
{
	return writer_flush(w, false, err, errlen);
}

int session_writer_close(struct session_writer *w, char *err, size_t errlen)
{
	int rc = writer_flush(w, true, err, errlen);

	if (w->db) {
		int crc = sqlite3_close(w->db);

		w->db = NULL;
		if (crc != SQLITE_OK && rc == 0)
			rc = fail(err, errlen, w->path, sqlite3_errstr(crc));
	}
	session_writer_abort(w);
	return rc;
}

void session_writer_abort(struct session_writer *w)
{
	if (!w)
		return;
	tmp_discard(w);
	free(w->live.rec);
	if (w->db)
		sqlite3_close(w->db);
	for (size_t i = 0; i < w->nextra; i++) {
		free(w->extra[i].key);
		free(w->extra[i].value);
	}
	free(w->extra);
	free(w->path);
	free(w);
}

int session_save(const struct profile *p, const char *path, char *err, size_t errlen)
{
	struct session_writer *w = session_writer_open(p, path, err, errlen);

	return w ? session_writer_close(w, err, errlen) : -1;
}

char *session_default_name(const struct profile *p)
{
	const char *cmd = p->meta.command ? p->meta.command : "session";
	size_t len = strcspn(cmd, " ");
	time_t t = p->meta.start_realtime ? (time_t)p->meta.start_realtime : time(NULL);
	char name[33], stamp[32];
	const char *base = cmd;
	struct tm tm;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (cmd[i] == '/')
			base = cmd + i + 1;
	for (; base < cmd + len && n < sizeof(name) - 1; base++)
		if ((*base >= 'a' && *base <= 'z') || (*base >= 'A' && *base <= 'Z') ||
		    (*base >= '0' && *base <= '9') || *base == '_' || *base == '-' || *base == '.')
			name[n++] = *base;
	name[n] = '\0';
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	return xasprintf("proftop-%s%s%s" SESSION_EXT, name, n ? "-" : "", stamp);
}
