#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export-int.h"
#include "file.h"
#include "xalloc.h"

const struct export_format *const export_table[] = {
	&export_folded, &export_speedscope, &export_pprof, &export_callgrind, NULL,
};

const struct export_format *export_find(const char *name)
{
	for (size_t i = 0; name && export_table[i]; i++)
		if (!strcmp(export_table[i]->name, name))
			return export_table[i];
	return NULL;
}

int export_parse_weight(const char *s, enum export_weight *out)
{
	if (!s)
		return -1;
	if (!strcasecmp(s, "samples")) {
		*out = EXPORT_WEIGHT_SAMPLES;
		return 0;
	}
	if (!strcasecmp(s, "ns") || !strcasecmp(s, "nanoseconds")) {
		*out = EXPORT_WEIGHT_NS;
		return 0;
	}
	if (!strcasecmp(s, "bytes")) {
		*out = EXPORT_WEIGHT_BYTES;
		return 0;
	}
	return -1;
}

/* ---- the sample filter ---- */

void ex_filter_init(struct ex_filter *x, const struct export_opts *o)
{
	query_sample_filter_init(&x->qs, o ? &o->filter : NULL);
}

bool ex_filter_pass(struct ex_filter *x, const struct profile *p, const struct prof_sample *s)
{
	return s->stack < p->nstacks && query_sample_passes(p, &x->qs, s);
}

bool ex_alloc_pass(struct ex_filter *x, const struct profile *p, const struct prof_alloc *a)
{
	/* As a sample of its thread at its time (on the CPU: any clock). */
	struct prof_sample as = {.time = a->time, .tid = a->tid, .stack = a->stack, .count = 1};

	return (a->kind == PROF_ALLOC_HEAP || a->kind == PROF_ALLOC_MMAP) &&
	       ex_filter_pass(x, p, &as);
}

bool ex_any_alloc(const struct profile *p, const struct export_opts *o)
{
	struct ex_filter x;

	ex_filter_init(&x, o);
	for (size_t i = 0; i < p->nallocs; i++)
		if (ex_alloc_pass(&x, p, &p->allocs[i]))
			return true;
	return false;
}

void ex_stacks_build(struct ex_stacks *s, const struct profile *p, const struct export_opts *o,
		     unsigned what)
{
	size_t ns = p->nstacks ? p->nstacks : 1, i;
	struct ex_filter x;

	memset(s, 0, sizeof(*s));
	s->samples = xcalloc(ns, sizeof(*s->samples));
	s->ns = xcalloc(ns, sizeof(*s->ns));
	s->records = xcalloc(ns, sizeof(*s->records));
	s->bytes = xcalloc(ns, sizeof(*s->bytes));
	s->allocs = xcalloc(ns, sizeof(*s->allocs));
	ex_filter_init(&x, o);
	for (i = 0; (what & EX_SAMPLES) && i < p->nsamples; i++) {
		const struct prof_sample *smp = &p->samples[i];

		if (!ex_filter_pass(&x, p, smp))
			continue;
		s->samples[smp->stack] += smp->count; /* a folded record: several */
		s->ns[smp->stack] += smp->weight;
		s->total_samples += smp->count;
		s->total_ns += smp->weight;
	}
	for (i = 0; (what & EX_ALLOCS) && i < p->nallocs; i++) {
		const struct prof_alloc *a = &p->allocs[i];

		if (!ex_alloc_pass(&x, p, a))
			continue;
		s->records[a->stack]++;
		s->bytes[a->stack] += a->bytes;
		s->allocs[a->stack] += a->allocs;
		s->total_records++;
		s->total_bytes += a->bytes;
		s->total_allocs += a->allocs;
	}
	for (i = 0; i < p->nstacks; i++)
		s->n += s->samples[i] || s->records[i];
	s->ids = xmalloc((s->n ? s->n : 1) * sizeof(*s->ids));
	s->n = 0;
	for (i = 0; i < p->nstacks; i++)
		if (s->samples[i] || s->records[i])
			s->ids[s->n++] = (uint32_t)i;
}

void ex_stacks_free(struct ex_stacks *s)
{
	free(s->samples);
	free(s->ns);
	free(s->records);
	free(s->bytes);
	free(s->allocs);
	free(s->ids);
	memset(s, 0, sizeof(*s));
}

/* ---- hash map over integer keys ---- */

static uint64_t key_hash(const uint64_t *key, unsigned n)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	for (unsigned i = 0; i < n; i++) {
		h ^= key[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
		h ^= h >> 33;
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 33;
	}
	return h;
}

void ex_map_init(struct ex_map *m, unsigned nkey, unsigned nval)
{
	memset(m, 0, sizeof(*m));
	m->nkey = nkey;
	m->nval = nval;
	m->nslots = 64;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
}

void ex_map_free(struct ex_map *m)
{
	free(m->entries);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

/* The slot holding key, or the empty slot where it would go. */
static size_t map_slot(const struct ex_map *m, const uint64_t *key)
{
	size_t mask = m->nslots - 1;
	size_t i = key_hash(key, m->nkey) & mask;

	while (m->slots[i] &&
	       memcmp(ex_map_key(m, m->slots[i] - 1), key, m->nkey * sizeof(*key)) != 0)
		i = (i + 1) & mask;
	return i;
}

static void map_rehash(struct ex_map *m)
{
	free(m->slots);
	m->nslots *= 2;
	m->slots = xcalloc(m->nslots, sizeof(*m->slots));
	for (size_t e = 0; e < m->count; e++)
		m->slots[map_slot(m, ex_map_key(m, e))] = (uint32_t)(e + 1);
}

uint64_t *ex_map_find(const struct ex_map *m, const uint64_t *key)
{
	size_t i = map_slot(m, key);

	return m->slots[i] ? ex_map_val(m, m->slots[i] - 1) : NULL;
}

uint64_t *ex_map_get(struct ex_map *m, const uint64_t *key, bool *added)
{
	size_t i = map_slot(m, key), width = m->nkey + m->nval;
	uint64_t *e;

	if (added)
		*added = !m->slots[i];
	if (m->slots[i])
		return ex_map_val(m, m->slots[i] - 1);
	if (m->count + 1 >= UINT32_MAX)
		fatal("export: too many distinct entries");
	m->entries = xgrow(m->entries, &m->entries_cap, (m->count + 1) * width, sizeof(*e));
	e = m->entries + m->count * width;
	memcpy(e, key, m->nkey * sizeof(*key));
	memset(e + m->nkey, 0, m->nval * sizeof(*e));
	m->slots[i] = (uint32_t)++m->count;
	/* Keep the load under 1/2 so probes stay short. */
	if (m->count * 2 > m->nslots)
		map_rehash(m);
	return e + m->nkey;
}

/* ---- text helpers ---- */

/* ---- writing a file atomically ---- */

static bool any_sample(const struct profile *p, const struct export_opts *o)
{
	struct ex_filter x;

	ex_filter_init(&x, o);
	for (size_t i = 0; i < p->nsamples; i++)
		if (ex_filter_pass(&x, p, &p->samples[i]))
			return true;
	return false;
}

/* Flush and check a stream; on failure say why in err. */
static int finish_stream(FILE *f, const char *what, char *err, size_t errlen)
{
	errno = 0;
	if (fflush(f) != 0 || ferror(f)) {
		snprintf(err, errlen, "cannot write %s: %s", what,
			 errno ? strerror(errno) : "write error");
		return -1;
	}
	return 0;
}

static int write_stdout(const struct export_format *fmt, const struct profile *p,
			const struct export_opts *o, char *err, size_t errlen)
{
	if (fmt->binary && isatty(STDOUT_FILENO)) {
		snprintf(err, errlen,
			 "%s output is binary; not writing it to a terminal (use -o FILE, or a "
			 "pipe)",
			 fmt->name);
		return -1;
	}
	if (fmt->write(stdout, p, o, err, errlen) < 0)
		return -1;
	return finish_stream(stdout, "the export", err, errlen);
}

/* Into a temporary file beside path, renamed over it when complete
 * (file.h: links, devices and other users' files are refused). */
static int write_file(const struct export_format *fmt, const char *path, const struct profile *p,
		      const struct export_opts *o, char *err, size_t errlen)
{
	struct file_out out;

	if (file_out_begin(&out, path, err, errlen) < 0)
		return -1;
	if (fmt->write(file_out_stream(&out), p, o, err, errlen) < 0) {
		file_out_abort(&out);
		return -1;
	}
	return file_out_commit(&out, err, errlen);
}

/* Whether there is anything to export; else why not, in err. */
static bool anything(const struct export_format *fmt, const struct profile *p,
		     const struct export_opts *o, char *err, size_t errlen)
{
	bool bytes = o && o->weight == EXPORT_WEIGHT_BYTES && !fmt->memory;

	if (!bytes && (any_sample(p, o) || (fmt->memory && ex_any_alloc(p, o))))
		return true;
	if (bytes && ex_any_alloc(p, o))
		return true;
	if (bytes && !ex_any_alloc(p, NULL)) /* page faults alone are not exported */
		snprintf(err, errlen,
			 "nothing to export: the profile holds no memory records (allocations "
			 "are recorded for a launched COMMAND; see --alloc-sample)");
	else if (bytes)
		snprintf(err, errlen,
			 "nothing to export: no allocation passes the thread and time filter");
	else
		snprintf(err, errlen, "nothing to export: %s",
			 p->nsamples ? "no sample passes the thread and time filter"
				     : "the profile holds no samples");
	return false;
}

int export_to_file(const struct export_format *fmt, const char *path, const struct profile *p,
		   const struct export_opts *o, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	if (!anything(fmt, p, o, err, errlen))
		return -1;
	if (!path || !strcmp(path, "-"))
		return write_stdout(fmt, p, o, err, errlen);
	return write_file(fmt, path, p, o, err, errlen);
}
