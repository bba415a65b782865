/* report --modules: each module the profile's samples or memory records
 * pass through, with its path, build id and where its symbols came from
 * (prof_module.symbols_from), so that a function shown as "[lib+0x1f0]"
 * can be traced to the debug file that was missing. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report-modules.h"
#include "xalloc.h"

#define MODULE_FIELDS	 5
#define TEXT_NAME_WIDTH	 24 /* names and paths past these are not padded */
#define TEXT_PATH_WIDTH	 48
#define TEXT_BUILD_WIDTH 40 /* a SHA-1 build id */

struct mod_row {
	uint32_t module;
	uint64_t samples; /* samples with a frame in the module */
	uint64_t records; /* memory records with a frame in the module */
};

/* Samples and memory records per stack, over those that pass the
 * report's filter (records by thread, process and time, as samples). */
static void per_stack(const struct profile *p, const struct query_filter *f, uint64_t *samples,
		      uint64_t *records)
{
	struct query_sample_filter sf;

	query_sample_filter_init(&sf, f);
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct prof_sample *s = &p->samples[i];

		if (s->stack < p->nstacks && query_sample_passes(p, &sf, s))
			samples[s->stack] += s->count;
	}
	for (size_t i = 0; i < p->nallocs; i++) {
		const struct prof_alloc *a = &p->allocs[i];
		struct prof_sample as = {.time = a->time, .tid = a->tid, .stack = a->stack};

		if (a->stack < p->nstacks && query_sample_passes(p, &sf, &as))
			records[a->stack]++;
	}
}

static int row_cmp(const void *va, const void *vb, void *ctx)
{
	const struct mod_row *a = va, *b = vb;
	const struct profile *p = ctx;
	const char *pa = p->modules[a->module].path, *pb = p->modules[b->module].path;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	if (a->records != b->records)
		return a->records > b->records ? -1 : 1;
	return strcmp(pa ? pa : "", pb ? pb : "");
}

/* The modules with a sample or a record, most samples first. Each sample
 * counts once per module however many of its frames are there. */
static struct mod_row *module_rows(const struct profile *p, const struct query_filter *f, size_t *n)
{
	size_t ns = p->nstacks ? p->nstacks : 1;
	uint64_t *samples = xcalloc(ns, sizeof(*samples)), *records = xcalloc(ns, sizeof(*records));
	size_t *stamp = xcalloc(p->nmodules + 1, sizeof(*stamp));
	struct mod_row *rows = xcalloc(p->nmodules + 1, sizeof(*rows));

	per_stack(p, f, samples, records);
	for (size_t m = 0; m < p->nmodules; m++)
		rows[m].module = (uint32_t)m;
	for (size_t s = 1; s < p->nstacks; s++) {
		size_t steps = 0;

		if (!samples[s] && !records[s])
			continue;
		/* steps bounds the walk even over a damaged (cyclic) trie */
		for (uint32_t node = (uint32_t)s;
		     node && node < p->nstacks && steps++ <= PROF_MAX_DEPTH;
		     node = p->stacks[node].parent) {
			uint32_t loc = p->stacks[node].location, m;

			if (loc >= p->nlocations || (m = p->locations[loc].module) >= p->nmodules ||
			    stamp[m] == s)
				continue;
			stamp[m] = s;
			rows[m].samples += samples[s];
			rows[m].records += records[s];
		}
	}
	*n = 0;
	for (size_t m = 0; m < p->nmodules; m++)
		if (rows[m].samples || rows[m].records)
			rows[(*n)++] = rows[m];
	qsort_r(rows, *n, sizeof(*rows), row_cmp, (void *)p);
	free(samples);
	free(records);
	free(stamp);
	return rows;
}

/* Where module m's symbols came from, for a person: NULL says it is not
 * known; when no module knows, the session predates the record. */
static const char *source_text(const struct profile *p, uint32_t m, bool any_known)
{
	const char *from = p->modules[m].symbols_from;

	if (from)
		return from;
	return any_known ? "unknown" : "unknown (older session)";
}

static size_t module_fields(const struct profile *p, const struct mod_row *row, struct field *f)
{
	const struct prof_module *m = row ? &p->modules[row->module] : NULL;

	f[0] = FSTR("module", m ? m->name : NULL);
	f[1] = FSTR("path", m ? m->path : NULL);
	f[2] = FSTR("build_id", m ? m->build_id : NULL);
	f[3] = FSTR("symbols_from", m ? m->symbols_from : NULL);
	f[4] = FINT("samples", row ? row->samples : 0);
	return MODULE_FIELDS;
}

static int text_width(const struct profile *p, const struct mod_row *rows, size_t n, bool path,
		      int cap, int least)
{
	int w = least;

	for (size_t i = 0; i < n; i++) {
		const char *s =
			path ? p->modules[rows[i].module].path : p->modules[rows[i].module].name;
		int len = s ? (int)strlen(s) : 1;

		if (len > w)
			w = len < cap ? len : cap;
	}
	return w;
}

static void text_cell(FILE *out, const char *s, int width)
{
	int len = (int)strlen(s);

	put_safe(out, s);
	fprintf(out, "%*s", len < width ? width - len + 2 : 2, "");
}

static void write_text(struct report *r, const struct mod_row *rows, size_t n)
{
	const struct profile *p = r->p;
	FILE *out = r->out;
	int wname = text_width(p, rows, n, false, TEXT_NAME_WIDTH, 6);
	int wpath = text_width(p, rows, n, true, TEXT_PATH_WIDTH, 4);
	bool any_known = false;

	for (size_t m = 0; m < p->nmodules; m++)
		any_known |= p->modules[m].symbols_from != NULL;
	fprintf(out,
		"\nModules with samples or memory records, and where their symbols came from:\n\n");
	fprintf(out, "%9s  %-*s  %-*s  %-*s  %s\n", "samples", wname, "module", wpath, "path",
		TEXT_BUILD_WIDTH, "build id", "symbols from");
	for (size_t i = 0; i < n; i++) {
		const struct prof_module *m = &p->modules[rows[i].module];

		fprintf(out, "%9" PRIu64 "  ", rows[i].samples);
		text_cell(out, m->name ? m->name : "?", wname);
		text_cell(out, m->path ? m->path : "?", wpath);
		text_cell(out, m->build_id ? m->build_id : "-", TEXT_BUILD_WIDTH);
		put_safe(out, source_text(p, rows[i].module, any_known));
		putc('\n', out);
	}
	if (!n)
		fputs("  (none)\n", out);
}

void write_modules(struct report *r)
{
	struct field f[MODULE_FIELDS];
	FILE *out = r->out;
	size_t n;
	struct mod_row *rows = module_rows(r->p, &r->o->filter, &n);

	switch (r->o->format) {
	case REPORT_TEXT:
		write_text(r, rows, n);
		break;
	case REPORT_CSV:
		csv_header(out, f, module_fields(r->p, NULL, f));
		for (size_t i = 0; i < n; i++)
			write_record(out, REPORT_CSV, f, module_fields(r->p, &rows[i], f));
		break;
	case REPORT_JSON:
		fprintf(out, ",\"modules_total\":%zu,\"modules\":[", n);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? ",\n" : "\n", out);
			write_record(out, REPORT_JSON, f, module_fields(r->p, &rows[i], f));
		}
		fputs("]", out);
		break;
	}
	free(rows);
}
