/* Reading the tables of a session file (session-tables.c), with the
 * checking readers of session-load.c. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session-int.h"
#include "xalloc.h"

/* Whether the file's table has the column (a later schema added it). */
static bool has_column(struct loader *l, const char *table, const char *column)
{
	char sql[128];
	sqlite3_stmt *st;
	bool yes;

	snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", column, table);
	yes = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return yes;
}

/* Whether the file has the table (a later schema added it): 1, 0, or -1
 * on a read error. */
static int has_table(struct loader *l, const char *table)
{
	sqlite3_stmt *st;
	int rc;

	if (loader_prepare(l, "SELECT count(*) FROM sqlite_schema WHERE name = ?", &st) < 0)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	rc = loader_next(l, st);
	if (rc > 0)
		rc = sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	return rc;
}

static int load_modules(struct loader *l)
{
	sqlite3_stmt *st;
	int rc;

	loader_table(l, "modules");
	/* Sessions before symbols_from do not know where symbols came from. */
	if (loader_prepare(
		    l,
		    has_column(l, "modules", "symbols_from")
			    ? "SELECT id, path, build_id, symbols_from FROM modules ORDER BY id"
			    : "SELECT id, path, build_id, NULL FROM modules ORDER BY id",
		    &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		const char *path, *build_id, *from;

		uint32_t id = (uint32_t)l->p->nmodules;

		if (loader_check_id(l, st, id) < 0 || loader_str(l, st, 1, false, &path) < 0 ||
		    loader_str(l, st, 2, true, &build_id) < 0 ||
		    loader_str(l, st, 3, true, &from) < 0)
			break;
		if (profile_intern_module(l->p, path, build_id) != id) {
			loader_corrupt(l, "the module %s appears twice", path);
			break;
		}
		l->p->modules[id].symbols_from = from;
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_functions(struct loader *l)
{
	struct profile *p = l->p;
	sqlite3_stmt *st;
	int rc;

	loader_table(l, "functions");
	if (loader_prepare(l,
			   "SELECT id, name, system_name, file, start_line, module, calls, "
			   "calls_lower_bound, calls_rate, calls_since FROM functions ORDER BY id",
			   &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		const char *name, *sys, *file;
		int64_t start, calls = -1, lower, since;
		double rate;
		uint32_t module, id = (uint32_t)p->nfunctions;

		if (loader_check_id(l, st, id) < 0 || loader_str(l, st, 1, false, &name) < 0 ||
		    loader_str(l, st, 2, true, &sys) < 0 || loader_str(l, st, 3, true, &file) < 0 ||
		    loader_int(l, st, 4, 0, INT32_MAX, &start) < 0 ||
		    loader_id(l, st, 5, p->nmodules, &module) < 0 ||
		    (sqlite3_column_type(st, 6) != SQLITE_NULL &&
		     loader_int(l, st, 6, 0, INT64_MAX, &calls) < 0) ||
		    loader_int(l, st, 7, 0, 1, &lower) < 0 || loader_real(l, st, 8, &rate) < 0 ||
		    loader_int(l, st, 9, 0, INT64_MAX, &since) < 0)
			break;
		if (profile_intern_function(p, name, sys, file, (int)start, module) != id) {
			loader_corrupt(l, "the function %s appears twice", name);
			break;
		}
		p->functions[id].calls = calls;
		p->functions[id].calls_lower_bound = lower;
		p->functions[id].calls_rate = rate;
		p->functions[id].calls_since = (uint64_t)since;
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

/* Locations and their inline chains, read side by side. */
static int load_locations(struct loader *l)
{
	struct profile *p = l->p;
	struct prof_line lines[SESSION_MAX_INLINE];
	sqlite3_stmt *st, *ln = NULL;
	int64_t lrow = 0;
	int rc, lrc = 0;

	if (loader_prepare(l, "SELECT id, module, address FROM locations ORDER BY id", &st) < 0 ||
	    loader_prepare(l,
			   "SELECT location, depth, function, file, line FROM location_lines "
			   "ORDER BY location, depth",
			   &ln) < 0)
		goto out;
	loader_table(l, "location_lines");
	lrc = loader_next(l, ln);
	lrow = l->row;
	loader_table(l, "locations");
	while (!l->failed && (rc = loader_next(l, st)) > 0) {
		int64_t id = (int64_t)p->nlocations, address, loc, depth;
		uint32_t module;
		size_t n = 0;

		if (loader_check_id(l, st, id) < 0 ||
		    loader_id(l, st, 1, p->nmodules, &module) < 0 ||
		    loader_int(l, st, 2, INT64_MIN, INT64_MAX, &address) < 0)
			break;
		l->table = "location_lines";
		l->row = lrow;
		while (lrc > 0) {
			int64_t line;

			if (loader_int(l, ln, 0, 0, INT64_MAX, &loc) < 0 ||
			    loader_int(l, ln, 1, 0, INT64_MAX, &depth) < 0)
				break;
			if (loc < id) {
				loader_corrupt(l, "location %" PRId64 " does not exist", loc);
				break;
			}
			if (loc > id)
				break;
			if (depth != (int64_t)n || n == SESSION_MAX_INLINE) {
				loader_corrupt(l, "depth %" PRId64 " where %zu was expected", depth,
					       n);
				break;
			}
			if (loader_id(l, ln, 2, p->nfunctions, &lines[n].function) < 0 ||
			    loader_str(l, ln, 3, true, &lines[n].file) < 0 ||
			    loader_int(l, ln, 4, 0, INT32_MAX, &line) < 0)
				break;
			lines[n++].line = (int)line;
			lrc = loader_next(l, ln);
		}
		lrow = l->row;
		l->table = "locations";
		l->row = id + 1;
		if (l->failed)
			break;
		if (profile_intern_location(p, module, (uint64_t)address, lines, n) !=
		    (uint32_t)id) {
			loader_corrupt(l, "the location %#" PRIx64 " appears twice",
				       (uint64_t)address);
			break;
		}
	}
	if (!l->failed && lrc > 0) {
		l->table = "location_lines";
		l->row = lrow;
		loader_corrupt(l, "location %" PRId64 " does not exist",
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

	loader_table(l, "stacks");
	if (loader_prepare(l, "SELECT id, parent, location FROM stacks ORDER BY id", &st) < 0) {
		free(path);
		return -1;
	}
	while ((rc = loader_next(l, st)) > 0) {
		uint32_t parent, location, id = (uint32_t)p->nstacks;
		size_t n = 0;

		/* A parent comes before its children: the trie is built in order. */
		if (loader_check_id(l, st, id) < 0 || loader_id(l, st, 1, id, &parent) < 0 ||
		    loader_id(l, st, 2, p->nlocations, &location) < 0)
			break;
		if (p->stacks[parent].depth >= PROF_MAX_DEPTH) {
			loader_corrupt(l, "deeper than %d frames", PROF_MAX_DEPTH);
			break;
		}
		/* Leaf first, as profile_intern_stack() wants it. */
		path[n++] = location;
		for (uint32_t s = parent; s != 0; s = p->stacks[s].parent)
			path[n++] = p->stacks[s].location;
		if (profile_intern_stack(p, path, n) != id) {
			loader_corrupt(l, "the stack appears twice");
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

	loader_table(l, "threads");
	if (loader_prepare(l, "SELECT tid, pid, comm FROM threads ORDER BY tid", &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		int64_t tid, pid;
		const char *comm;

		if (loader_int(l, st, 0, INT32_MIN, INT32_MAX, &tid) < 0 ||
		    loader_int(l, st, 1, INT32_MIN, INT32_MAX, &pid) < 0 ||
		    loader_str(l, st, 2, true, &comm) < 0)
			break;
		profile_set_thread(l->p, (int32_t)tid, (int32_t)pid, comm);
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

/* Sessions before the count column hold raw samples only. */
static bool samples_have_count(struct loader *l)
{
	sqlite3_stmt *st;
	bool yes = sqlite3_prepare_v2(l->db, "SELECT count FROM samples LIMIT 0", -1, &st, NULL) ==
		   SQLITE_OK;

	sqlite3_finalize(st);
	return yes;
}

/* With a budget (session_load_within), the log is folded as it loads, as
 * a live run would have folded it. */
#define LOAD_BUDGET_ROWS 65536

static int load_samples(struct loader *l)
{
	struct profile *p = l->p;
	struct prof_budget budget = {.max_bytes = l->max_memory};
	sqlite3_stmt *st;
	int rc;

	loader_table(l, "samples");
	if (loader_prepare(l,
			   samples_have_count(l)
				   ? "SELECT time, tid, stack, weight, flags, count FROM samples "
				     "ORDER BY rowid"
				   : "SELECT time, tid, stack, weight, flags, 1 FROM samples "
				     "ORDER BY rowid",
			   &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		int64_t time, tid, weight, flags, count;
		uint32_t stack;

		if (loader_int(l, st, 0, 0, INT64_MAX, &time) < 0 ||
		    loader_int(l, st, 1, INT32_MIN, INT32_MAX, &tid) < 0 ||
		    loader_id(l, st, 2, p->nstacks, &stack) < 0 ||
		    loader_int(l, st, 3, 0, INT64_MAX, &weight) < 0 ||
		    loader_int(l, st, 4, 0, UINT32_MAX, &flags) < 0 ||
		    loader_int(l, st, 5, 1, UINT32_MAX, &count) < 0)
			break;
		profile_add_record(p, &(struct prof_sample){.time = (uint64_t)time,
							    .weight = (uint64_t)weight,
							    .stack = stack,
							    .tid = (int32_t)tid,
							    .flags = (uint32_t)flags,
							    .count = (uint32_t)count});
		if (budget.max_bytes && l->row % LOAD_BUDGET_ROWS == 0)
			profile_keep_budget(p, &budget, NULL, NULL);
	}
	if (budget.max_bytes)
		profile_keep_budget(p, &budget, NULL, NULL);
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_memory(struct loader *l)
{
	sqlite3_stmt *st;
	int rc;

	loader_table(l, "memory");
	if (loader_prepare(l, "SELECT time, pid, rss, vms FROM memory ORDER BY rowid", &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		int64_t time, pid, rss, vms;

		if (loader_int(l, st, 0, 0, INT64_MAX, &time) < 0 ||
		    loader_int(l, st, 1, INT32_MIN, INT32_MAX, &pid) < 0 ||
		    loader_int(l, st, 2, 0, INT64_MAX, &rss) < 0 ||
		    loader_int(l, st, 3, 0, INT64_MAX, &vms) < 0)
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

	loader_table(l, "output");
	if (loader_prepare(l, "SELECT time, data FROM output ORDER BY rowid", &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		int64_t time;

		if (loader_int(l, st, 0, 0, INT64_MAX, &time) < 0)
			break;
		if (sqlite3_column_type(st, 1) != SQLITE_BLOB) {
			loader_corrupt(l, "data is not a blob");
			break;
		}
		profile_add_output(l->p, (uint64_t)time, sqlite3_column_blob(st, 1),
				   (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_latencies(struct loader *l)
{
	struct profile *p = l->p;
	sqlite3_stmt *st;
	int rc;

	loader_table(l, "latencies");
	if (loader_prepare(l,
			   "SELECT function, count, sum_ns, min_ns, max_ns, stopped, rate, since "
			   "FROM latencies ORDER BY function",
			   &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		int64_t count, sum, min, max, stopped, since;
		struct prof_latency *lat;
		uint32_t fn;
		double rate;

		/* min_ns of a function without calls is UINT64_MAX, saved as -1. */
		if (loader_id(l, st, 0, p->nfunctions, &fn) < 0 ||
		    loader_int(l, st, 1, 0, INT64_MAX, &count) < 0 ||
		    loader_int(l, st, 2, 0, INT64_MAX, &sum) < 0 ||
		    loader_int(l, st, 3, INT64_MIN, INT64_MAX, &min) < 0 ||
		    loader_int(l, st, 4, 0, INT64_MAX, &max) < 0 ||
		    loader_int(l, st, 5, 0, 1, &stopped) < 0 || loader_real(l, st, 6, &rate) < 0 ||
		    loader_int(l, st, 7, 0, INT64_MAX, &since) < 0)
			break;
		lat = profile_latency(p, fn);
		lat->count = (uint64_t)count;
		lat->sum_ns = (uint64_t)sum;
		lat->min_ns = (uint64_t)min;
		lat->max_ns = (uint64_t)max;
		lat->stopped = stopped;
		lat->rate = rate;
		lat->since = (uint64_t)since;
	}
	sqlite3_finalize(st);
	if (l->failed)
		return -1;
	loader_table(l, "latency_buckets");
	if (loader_prepare(l, "SELECT function, bucket, count FROM latency_buckets", &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		int64_t bucket, count;
		struct prof_latency *lat;
		uint32_t fn;

		if (loader_id(l, st, 0, p->nfunctions, &fn) < 0 ||
		    loader_int(l, st, 1, 0, PROF_LATENCY_BUCKETS - 1, &bucket) < 0 ||
		    loader_int(l, st, 2, 0, INT64_MAX, &count) < 0)
			break;
		lat = (struct prof_latency *)profile_find_latency(p, fn);
		if (!lat) {
			loader_corrupt(l, "function %" PRIu32 " has no latency record", fn);
			break;
		}
		lat->buckets[bucket] = (uint64_t)count;
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

static int load_sources(struct loader *l)
{
	struct profile *p = l->p;
	sqlite3_stmt *st;
	int rc;

	loader_table(l, "sources");
	if (loader_prepare(l, "SELECT file, line, text FROM sources ORDER BY file, line", &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		struct prof_source_line s,
			*prev = p->nsources ? &p->sources[p->nsources - 1] : NULL;
		int64_t line;

		if (loader_str(l, st, 0, false, &s.file) < 0 ||
		    loader_int(l, st, 1, 1, SESSION_MAX_LINE, &line) < 0 ||
		    loader_str(l, st, 2, false, &s.text) < 0)
			break;
		s.line = (int)line;
		/* session_source_line() searches them: sorted, each once. */
		if (prev && (strcmp(prev->file, s.file) > 0 ||
			     (prev->file == s.file && prev->line >= s.line))) {
			loader_corrupt(l, "out of order");
			break;
		}
		p->sources =
			xgrow(p->sources, &p->sources_cap, p->nsources + 1, sizeof(*p->sources));
		p->sources[p->nsources++] = s;
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

/* record --repeat's runs; a session from before them has no runs table
 * (one run). */
static int load_runs(struct loader *l)
{
	sqlite3_stmt *st;
	int rc = has_table(l, "runs");

	if (rc <= 0)
		return rc;
	loader_table(l, "runs");
	if (loader_prepare(l,
			   "SELECT id, start, end, exited, exit_status, term_signal FROM runs "
			   "ORDER BY id",
			   &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		struct prof_run r = {0};
		int64_t v[5];

		if (loader_check_id(l, st, (int64_t)l->p->nruns) < 0 ||
		    loader_int(l, st, 1, 0, INT64_MAX, &v[0]) < 0 ||
		    loader_int(l, st, 2, v[0], INT64_MAX, &v[1]) < 0 ||
		    loader_int(l, st, 3, 0, 1, &v[2]) < 0 ||
		    loader_int(l, st, 4, INT32_MIN, INT32_MAX, &v[3]) < 0 ||
		    loader_int(l, st, 5, 0, 128, &v[4]) < 0)
			break;
		r.start = (uint64_t)v[0];
		r.end = (uint64_t)v[1];
		r.exited = v[2];
		r.exit_status = (int)v[3];
		r.term_signal = (int)v[4];
		profile_add_run(l->p, &r);
	}
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

/* Memory records; a session from before them has no allocs table (none).
 * Within a budget, the freed ones fold as they load, as samples do. */
static int load_allocs(struct loader *l)
{
	struct profile *p = l->p;
	struct prof_budget budget = {.max_bytes = l->max_memory};
	sqlite3_stmt *st;
	int rc = has_table(l, "allocs");

	if (rc <= 0)
		return rc;
	loader_table(l, "allocs");
	if (loader_prepare(l,
			   "SELECT id, time, free_time, size, bytes, allocs, stack, tid, kind "
			   "FROM allocs ORDER BY id",
			   &st) < 0)
		return -1;
	while ((rc = loader_next(l, st)) > 0) {
		int64_t time, free_time = -1, size, bytes, allocs, tid, kind;
		uint32_t stack;

		if (loader_check_id(l, st, (int64_t)profile_alloc_next_id(p)) < 0 ||
		    loader_int(l, st, 1, 0, INT64_MAX, &time) < 0 ||
		    (sqlite3_column_type(st, 2) != SQLITE_NULL &&
		     loader_int(l, st, 2, time, INT64_MAX, &free_time) < 0) ||
		    loader_int(l, st, 3, 0, INT64_MAX, &size) < 0 ||
		    loader_int(l, st, 4, 0, INT64_MAX, &bytes) < 0 ||
		    loader_int(l, st, 5, 0, UINT32_MAX, &allocs) < 0 ||
		    loader_id(l, st, 6, p->nstacks, &stack) < 0 ||
		    loader_int(l, st, 7, INT32_MIN, INT32_MAX, &tid) < 0 ||
		    loader_int(l, st, 8, PROF_ALLOC_HEAP, PROF_ALLOC_FAULT, &kind) < 0)
			break;
		if (kind == PROF_ALLOC_FAULT && free_time >= 0) {
			loader_corrupt(l, "a page fault record has a free_time");
			break;
		}
		profile_add_alloc(p, &(struct prof_alloc){
					     .time = (uint64_t)time,
					     .free_time = free_time < 0 ? PROF_ALLOC_LIVE
									: (uint64_t)free_time,
					     .size = (uint64_t)size,
					     .bytes = (uint64_t)bytes,
					     .allocs = (uint32_t)allocs,
					     .stack = stack,
					     .tid = (int32_t)tid,
					     .kind = (uint32_t)kind,
				     });
		if (budget.max_bytes && p->nallocs % LOAD_BUDGET_ROWS == 0)
			profile_keep_budget(p, &budget, NULL, NULL);
	}
	if (budget.max_bytes)
		profile_keep_budget(p, &budget, NULL, NULL);
	sqlite3_finalize(st);
	return l->failed ? -1 : 0;
}

int session_load_tables(struct loader *l)
{
	int (*const steps[])(struct loader *) = {
		load_modules,	load_functions, load_locations, load_stacks,
		load_threads,	load_samples,	load_memory,	load_output,
		load_latencies, load_sources,	load_runs,	load_allocs,
	};

	for (size_t i = 0; !l->failed && i < sizeof(steps) / sizeof(*steps); i++)
		steps[i](l);
	return l->failed ? -1 : 0;
}
