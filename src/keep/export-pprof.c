/* pprof: a gzipped perftools.profiles.Profile (pprof's profile.proto).
 * Samples are aggregated per (stack, thread) with values [samples, cpu ns]
 * ([samples, wall ns] on the wall clock: off-CPU waits included)
 * and thread labels; locations carry their inline chains, innermost first
 * as pprof expects; ids are our table indices + 1. A profile with
 * allocation records adds Go's heap profile values, [alloc_objects,
 * alloc_space, inuse_objects, inuse_space], to every Sample (zero where a
 * stack has only samples, and the CPU values zero where it has only
 * allocations): one profile, CPU first and the default, so that readers
 * of CPU profiles read it as before. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "pprof-proto.h"
#include "xalloc.h"

/* Field numbers of profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	MAPPING_ID = 1,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/* The string table: strings by address (the profile interns its strings,
 * so equal addresses are equal strings; a rare duplicate is harmless). */
struct pp_strings {
	struct ex_map index; /* address -> table index */
	const char **table;
	size_t n, cap;
	char **owned; /* strings built here, freed at the end */
	size_t nowned, owned_cap;
};

struct pprof {
	const struct profile *p;
	struct pb_buf buf; /* the top-level fields not yet compressed */
	struct gz_out gz;
	struct pp_strings str;
	bool memory; /* the Samples carry the heap values too */
};

static int64_t pp_str(struct pp_strings *s, const char *str)
{
	uint64_t key = (uint64_t)(uintptr_t)str;
	bool added;
	uint64_t *v;

	if (!str || !*str)
		return 0; /* string_table[0] is "" */
	v = ex_map_get(&s->index, &key, &added);
	if (added) {
		s->table = xgrow(s->table, &s->cap, s->n + 1, sizeof(*s->table));
		s->table[s->n] = str;
		v[0] = s->n++;
	}
	return (int64_t)v[0];
}

static int64_t pp_str_owned(struct pp_strings *s, char *str)
{
	s->owned = xgrow(s->owned, &s->owned_cap, s->nowned + 1, sizeof(*s->owned));
	s->owned[s->nowned++] = str;
	return pp_str(s, str);
}

/* Hand the encoded fields to gzip now and then, so memory stays flat. */
static void pp_flush(struct pprof *pp, bool force)
{
	if (pp->buf.len && (force || pp->buf.len >= 1 << 16)) {
		gz_write(&pp->gz, pp->buf.data, pp->buf.len);
		pb_reset(&pp->buf);
	}
}

static void pp_value_type(struct pprof *pp, unsigned field, const char *type, const char *unit)
{
	size_t at = pb_begin(&pp->buf);

	pb_int64(&pp->buf, VALUE_TYPE_TYPE, pp_str(&pp->str, type));
	pb_int64(&pp->buf, VALUE_TYPE_UNIT, pp_str(&pp->str, unit));
	pb_end(&pp->buf, field, at);
}

static void pp_label(struct pprof *pp, const char *key, const char *str, int64_t num)
{
	size_t at = pb_begin(&pp->buf);

	pb_int64(&pp->buf, LABEL_KEY, pp_str(&pp->str, key));
	if (str)
		pb_int64(&pp->buf, LABEL_STR, pp_str(&pp->str, str));
	else
		pb_int64(&pp->buf, LABEL_NUM, num);
	pb_end(&pp->buf, SAMPLE_LABEL, at);
}

/* The values of a Sample: CPU, and with allocations the heap's. */
#define PP_CPU_VALUES 2
#define PP_ALL_VALUES 6

/* One Sample per (stack, thread): locations leaf first; nvalues of the
 * aggregate's values. */
static void pp_samples(struct pprof *pp, const struct ex_map *agg, bool *loc_used, size_t nvalues)
{
	const struct profile *p = pp->p;
	uint64_t *ids = xmalloc((PROF_MAX_DEPTH + 1) * sizeof(*ids));

	for (size_t i = 0; i < agg->count; i++) {
		const uint64_t *k = ex_map_key(agg, i), *v = ex_map_val(agg, i);
		int32_t tid = (int32_t)(uint32_t)k[1];
		const struct prof_thread *t = profile_find_thread(p, tid);
		int64_t values[PP_ALL_VALUES];
		size_t n = 0, at, steps = 0;

		for (size_t j = 0; j < nvalues; j++)
			values[j] = (int64_t)v[j];
		/* steps bounds the walk even over a corrupt (cyclic) trie. */
		for (uint32_t s = (uint32_t)k[0]; s && s < p->nstacks && steps++ <= PROF_MAX_DEPTH;
		     s = p->stacks[s].parent) {
			uint32_t loc = p->stacks[s].location;

			if (loc >= p->nlocations)
				continue;
			loc_used[loc] = true;
			ids[n++] = (uint64_t)loc + 1;
		}
		at = pb_begin(&pp->buf);
		pb_packed_uint64(&pp->buf, SAMPLE_LOCATION_ID, ids, n);
		pb_packed_int64(&pp->buf, SAMPLE_VALUE, values, nvalues);
		pp_label(pp, "thread_id", NULL, tid);
		if (t && t->comm)
			pp_label(pp, "thread_name", t->comm, 0);
		pb_end(&pp->buf, PROFILE_SAMPLE, at);
		pp_flush(pp, false);
	}
	free(ids);
}

static void pp_mapping(struct pprof *pp, uint32_t m)
{
	const struct prof_module *mod = &pp->p->modules[m];
	size_t at = pb_begin(&pp->buf);

	pb_uint64(&pp->buf, MAPPING_ID, (uint64_t)m + 1);
	pb_int64(&pp->buf, MAPPING_FILENAME, pp_str(&pp->str, mod->path));
	pb_int64(&pp->buf, MAPPING_BUILD_ID, pp_str(&pp->str, mod->build_id));
	/* Already symbolised: pprof must not try again. */
	pb_bool(&pp->buf, MAPPING_HAS_FUNCTIONS, true);
	pb_bool(&pp->buf, MAPPING_HAS_FILENAMES, true);
	pb_bool(&pp->buf, MAPPING_HAS_LINE_NUMBERS, true);
	pb_bool(&pp->buf, MAPPING_HAS_INLINE_FRAMES, true);
	pb_end(&pp->buf, PROFILE_MAPPING, at);
}

/* The module of the launched program, which pprof wants as mapping[0]:
 * the one named like the command's first word. PROF_NONE if unknown. */
static uint32_t main_module(const struct profile *p)
{
	const char *cmd = p->meta.command, *end, *base;

	if (!cmd)
		return PROF_NONE;
	end = strchr(cmd, ' ');
	if (!end)
		end = cmd + strlen(cmd);
	for (base = end; base > cmd && base[-1] != '/'; base--)
		;
	for (uint32_t m = 0; m < p->nmodules; m++) {
		const char *name = p->modules[m].name;

		if (name && strlen(name) == (size_t)(end - base) &&
		    !strncmp(name, base, end - base))
			return m;
	}
	return PROF_NONE;
}

static void pp_mappings(struct pprof *pp, const bool *loc_used, bool *fn_used)
{
	const struct profile *p = pp->p;
	bool *mod_used = xcalloc(p->nmodules + 1, sizeof(*mod_used));
	uint32_t first = main_module(p);

	for (size_t l = 0; l < p->nlocations; l++) {
		const struct prof_location *loc = &p->locations[l];

		if (!loc_used[l])
			continue;
		if (loc->module < p->nmodules)
			mod_used[loc->module] = true;
		for (uint32_t j = 0; j < loc->nlines && loc->first_line + j < p->nlines; j++) {
			uint32_t fn = p->lines[loc->first_line + j].function;

			if (fn < p->nfunctions)
				fn_used[fn] = true;
		}
	}
	if (first != PROF_NONE && mod_used[first])
		pp_mapping(pp, first);
	for (uint32_t m = 0; m < p->nmodules; m++)
		if (mod_used[m] && m != first)
			pp_mapping(pp, m);
	pp_flush(pp, false);
	free(mod_used);
}

static void pp_locations(struct pprof *pp, const bool *loc_used)
{
	const struct profile *p = pp->p;

	for (size_t l = 0; l < p->nlocations; l++) {
		const struct prof_location *loc = &p->locations[l];
		size_t at;

		if (!loc_used[l])
			continue;
		at = pb_begin(&pp->buf);
		pb_uint64(&pp->buf, LOCATION_ID, (uint64_t)l + 1);
		if (loc->module < p->nmodules)
			pb_uint64(&pp->buf, LOCATION_MAPPING_ID, (uint64_t)loc->module + 1);
		pb_uint64(&pp->buf, LOCATION_ADDRESS, loc->address);
		/* Ours are innermost first too: line[0] is the inlined callee. */
		for (uint32_t j = 0; j < loc->nlines && loc->first_line + j < p->nlines; j++) {
			const struct prof_line *ln = &p->lines[loc->first_line + j];
			size_t lat;

			if (ln->function >= p->nfunctions)
				continue;
			lat = pb_begin(&pp->buf);
			pb_uint64(&pp->buf, LINE_FUNCTION_ID, (uint64_t)ln->function + 1);
			pb_int64(&pp->buf, LINE_LINE, ln->line > 0 ? ln->line : 0);
			pb_end(&pp->buf, LOCATION_LINE, lat);
		}
		pb_end(&pp->buf, PROFILE_LOCATION, at);
		pp_flush(pp, false);
	}
}

static void pp_functions(struct pprof *pp, const bool *fn_used)
{
	const struct profile *p = pp->p;

	for (size_t i = 0; i < p->nfunctions; i++) {
		const struct prof_function *f = &p->functions[i];
		size_t at;

		if (!fn_used[i])
			continue;
		at = pb_begin(&pp->buf);
		pb_uint64(&pp->buf, FUNCTION_ID, (uint64_t)i + 1);
		pb_int64(&pp->buf, FUNCTION_NAME,
			 pp_str(&pp->str, profile_function_name(p, (uint32_t)i)));
		pb_int64(&pp->buf, FUNCTION_SYSTEM_NAME,
			 pp_str(&pp->str, f->system_name ? f->system_name : f->name));
		pb_int64(&pp->buf, FUNCTION_FILENAME, pp_str(&pp->str, f->file));
		pb_int64(&pp->buf, FUNCTION_START_LINE, f->start_line > 0 ? f->start_line : 0);
		pb_end(&pp->buf, PROFILE_FUNCTION, at);
		pp_flush(pp, false);
	}
}

/* Allocation records into agg, after the samples: [2] allocations, [3]
 * bytes, and [4], [5] the same of those live at the end of the range
 * (t_to, else the end of the profile). Returns whether any passed. */
static bool pp_allocs(const struct profile *p, const struct export_opts *o, struct ex_map *agg)
{
	uint64_t end = o && o->filter.t_to ? o->filter.t_to : PROF_ALLOC_LIVE;
	struct ex_filter x;
	bool any = false;

	ex_filter_init(&x, o);
	for (size_t i = 0; i < p->nallocs; i++) {
		const struct prof_alloc *a = &p->allocs[i];
		uint64_t key[2] = {a->stack, (uint32_t)a->tid}, *v;

		if (!ex_alloc_pass(&x, p, a))
			continue;
		v = ex_map_get(agg, key, NULL);
		v[2] += a->allocs;
		v[3] += a->bytes;
		if (a->free_time == PROF_ALLOC_LIVE || a->free_time >= end) {
			v[4] += a->allocs;
			v[5] += a->bytes;
		}
		any = true;
	}
	return any;
}

/* The profile-wide fields, then the string table every index points into. */
static void pp_trailer(struct pprof *pp, const char *clock, uint64_t samples, uint64_t ns)
{
	const struct prof_meta *m = &pp->p->meta;
	int64_t period = m->freq   ? (int64_t)(1000000000ull / m->freq)
			 : samples ? (int64_t)(ns / samples)
				   : 0;

	if (m->start_realtime > 0)
		pb_int64(&pp->buf, PROFILE_TIME_NANOS, m->start_realtime * 1000000000LL);
	pb_int64(&pp->buf, PROFILE_DURATION_NANOS, (int64_t)m->duration_ns);
	pp_value_type(pp, PROFILE_PERIOD_TYPE, clock, "nanoseconds");
	pb_int64(&pp->buf, PROFILE_PERIOD, period);
	pb_int64(&pp->buf, PROFILE_COMMENT, pp_str(&pp->str, "proftop " PACKAGE_VERSION));
	if (m->command)
		pb_int64(&pp->buf, PROFILE_COMMENT,
			 pp_str_owned(&pp->str, xasprintf("command: %s", m->command)));
	if (pp->memory && m->alloc_sample > 1)
		pb_int64(&pp->buf, PROFILE_COMMENT,
			 pp_str_owned(&pp->str, xasprintf("allocations sampled one every %" PRIu64
							  " bytes on average; values are estimates",
							  m->alloc_sample)));
	pb_int64(&pp->buf, PROFILE_DEFAULT_SAMPLE_TYPE, pp_str(&pp->str, clock));
	for (size_t i = 0; i < pp->str.n; i++) {
		pb_string(&pp->buf, PROFILE_STRING_TABLE, pp->str.table[i]);
		pp_flush(pp, false);
	}
	pp_flush(pp, true);
}

static int pprof_write(FILE *out, const struct profile *p, const struct export_opts *o, char *err,
		       size_t errlen)
{
	struct pprof pp = {.p = p};
	bool *loc_used, *fn_used;
	uint64_t samples = 0, ns = 0;
	struct ex_filter x;
	struct ex_map agg;
	/* pprof's name for the time a wall-clock profile counts */
	const char *clock = o && o->filter.wall ? "wall" : "cpu";
	int rc;

	if (gz_start(&pp.gz, out) < 0) {
		snprintf(err, errlen, "pprof: cannot start gzip compression");
		return -1;
	}
	ex_map_init(&pp.str.index, 1, 1);
	/* string_table[0] must be ""; pp_str() answers 0 for it without a lookup. */
	pp.str.table = xgrow(pp.str.table, &pp.str.cap, 1, sizeof(*pp.str.table));
	pp.str.table[pp.str.n++] = "";

	/* (stack, tid) -> (samples, ns, allocation values), in order of
	 * first appearance. */
	ex_map_init(&agg, 2, PP_ALL_VALUES);
	ex_filter_init(&x, o);
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];
		uint64_t key[2] = {s->stack, (uint32_t)s->tid}, *v;

		if (!ex_filter_pass(&x, p, s))
			continue;
		v = ex_map_get(&agg, key, NULL);
		v[0] += s->count; /* a folded record: several */
		v[1] += s->weight;
		samples += s->count;
		ns += s->weight;
	}
	pp.memory = pp_allocs(p, o, &agg);

	loc_used = xcalloc(p->nlocations + 1, sizeof(*loc_used));
	fn_used = xcalloc(p->nfunctions + 1, sizeof(*fn_used));
	pp_value_type(&pp, PROFILE_SAMPLE_TYPE, "samples", "count");
	pp_value_type(&pp, PROFILE_SAMPLE_TYPE, clock, "nanoseconds");
	if (pp.memory) {
		pp_value_type(&pp, PROFILE_SAMPLE_TYPE, "alloc_objects", "count");
		pp_value_type(&pp, PROFILE_SAMPLE_TYPE, "alloc_space", "bytes");
		pp_value_type(&pp, PROFILE_SAMPLE_TYPE, "inuse_objects", "count");
		pp_value_type(&pp, PROFILE_SAMPLE_TYPE, "inuse_space", "bytes");
	}
	pp_samples(&pp, &agg, loc_used, pp.memory ? PP_ALL_VALUES : PP_CPU_VALUES);
	pp_mappings(&pp, loc_used, fn_used);
	pp_locations(&pp, loc_used);
	pp_functions(&pp, fn_used);
	pp_trailer(&pp, clock, samples, ns);

	rc = gz_finish(&pp.gz);
	if (rc < 0 && !ferror(out))
		snprintf(err, errlen, "pprof: gzip compression failed");
	else if (rc < 0)
		rc = 0; /* the caller reports the FILE's error with its errno */
	ex_map_free(&agg);
	ex_map_free(&pp.str.index);
	for (size_t i = 0; i < pp.str.nowned; i++)
		free(pp.str.owned[i]);
	free(pp.str.owned);
	free(pp.str.table);
	pb_free(&pp.buf);
	free(loc_used);
	free(fn_used);
	return rc;
}

const struct export_format export_pprof = {
	.name = "pprof",
	.description = "pprof's gzipped profile.proto, for pprof and continuous-profiling services",
	.extension = ".pb.gz",
	.binary = true,
	.memory = true,
	.write = pprof_write,
};
