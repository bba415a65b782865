/* callgrind's profile format (valgrind's "Callgrind Format Specification"),
 * for KCachegrind and callgrind_annotate: per function, self cost per
 * source line and call edges with their inclusive cost. Inline frames are
 * functions of their own, called from the line they were inlined at. A
 * profile with allocation records has two more events, AllocBytes and
 * Allocs, the memory allocated at each line and through each call. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "xalloc.h"

/* One cost line: self cost at (fn, file, line), or, with callee set, the
 * inclusive cost of the calls from that line to callee. */
struct cg_item {
	uint32_t fn;
	const char *file;
	int line;
	uint32_t callee; /* PROF_NONE: self cost */
	uint64_t samples, ns;
	uint64_t records, bytes, allocs; /* allocation records, what they stand for */
};

struct cg {
	const struct profile *p;
	FILE *out;
	bool ns;		 /* costs in CPU ns, not samples */
	bool memory;		 /* the AllocBytes and Allocs events too */
	const char *clock;	 /* "CPU", or "wall" (off-CPU waits too) */
	uint32_t unknown;	 /* the function id standing for a stack with no frame */
	const char **block_file; /* per function (+1 for unknown): its fl= file, or NULL */
	uint32_t *in_edges;	 /* per function: distinct call edges into it */
	struct ex_map names[3];	 /* name compression: address -> id, per kind */
};

enum { NAME_OB, NAME_FL, NAME_FN };

static int cmp_str(const char *a, const char *b)
{
	if (a == b)
		return 0;
	if (!a || !b)
		return a ? 1 : -1; /* unknown files last */
	return strcmp(a, b);
}

/* Items grouped by function, the function's own file first, then by file,
 * line, self before calls, callee. */
static int item_cmp(const void *va, const void *vb, void *ctx)
{
	const struct cg *cg = ctx;
	const struct cg_item *a = va, *b = vb;
	bool ahome, bhome;
	int c;

	if (a->fn != b->fn)
		return a->fn < b->fn ? -1 : 1;
	ahome = a->file == cg->block_file[a->fn] || !cmp_str(a->file, cg->block_file[a->fn]);
	bhome = b->file == cg->block_file[b->fn] || !cmp_str(b->file, cg->block_file[b->fn]);
	if (ahome != bhome)
		return ahome ? -1 : 1;
	c = cmp_str(a->file, b->file);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->callee == b->callee)
		return 0;
	if (a->callee == PROF_NONE || b->callee == PROF_NONE)
		return a->callee == PROF_NONE ? -1 : 1;
	return a->callee < b->callee ? -1 : 1;
}

/* A name on one line: newlines would end it. */
static void cg_put_name(FILE *out, const char *s)
{
	for (; *s; s++)
		putc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

/* "key=(id) name" the first time, "key=(id)" after. */
static void cg_name(struct cg *cg, const char *key, int kind, const char *name)
{
	uint64_t addr = (uint64_t)(uintptr_t)name;
	struct ex_map *m = &cg->names[kind];
	bool added;
	uint64_t *v = ex_map_get(m, &addr, &added);

	if (added)
		v[0] = m->count;
	fprintf(cg->out, "%s=(%" PRIu64 ")", key, v[0]);
	if (added) {
		putc(' ', cg->out);
		cg_put_name(cg->out, name);
	}
	putc('\n', cg->out);
}

static const char *cg_file(const char *file)
{
	return file ? file : "???";
}

static const char *cg_fn_name(const struct cg *cg, uint32_t fn)
{
	return fn == cg->unknown ? "[unknown]" : profile_function_name(cg->p, fn);
}

static void cg_object(struct cg *cg, const char *key, uint32_t fn)
{
	uint32_t m = fn < cg->p->nfunctions ? cg->p->functions[fn].module : PROF_NONE;
	const char *path = m < cg->p->nmodules ? cg->p->modules[m].path : NULL;

	cg_name(cg, key, NAME_OB, path ? path : "???");
}

/* The memory events' header lines, after the time's. */
static void cg_header_memory(struct cg *cg, const struct ex_stacks *st)
{
	const struct prof_meta *m = &cg->p->meta;
	FILE *out = cg->out;

	fprintf(out,
		"desc: AllocBytes and Allocs are the bytes and allocations (heap and anonymous "
		"mmap)\ndesc: the code allocated, estimated from %" PRIu64 " sampled allocations",
		st->total_records);
	if (m->alloc_sample > 1)
		fprintf(out, " (one every %" PRIu64 " bytes on average)", m->alloc_sample);
	fputs(";\ndesc: a call edge with allocations but no sample has as calls= its "
	      "allocation records.\n",
	      out);
}

static void cg_header(struct cg *cg, const struct ex_stacks *st)
{
	uint64_t total_samples = st->total_samples, total_ns = st->total_ns;
	const struct prof_meta *m = &cg->p->meta;
	FILE *out = cg->out;

	fputs("# callgrind format\nversion: 1\ncreator: proftop " PACKAGE_VERSION "\n", out);
	if (m->pid > 0)
		fprintf(out, "pid: %" PRId32 "\n", m->pid);
	if (m->command) {
		fputs("cmd: ", out);
		cg_put_name(out, m->command);
		putc('\n', out);
	}
	fprintf(out,
		"desc: Converted by proftop from a sampling profile (cpu-clock, %u Hz): %" PRIu64
		" samples, %.3f s of %s time.\n",
		m->freq, total_samples, (double)total_ns / 1e9, cg->clock);
	if (cg->ns)
		fprintf(out,
			"desc: Costs are %s nanoseconds (the samples' periods), not "
			"instructions.\n",
			cg->clock);
	else
		fputs("desc: Costs are numbers of samples, not instructions.\n", out);
	fputs("desc: calls= counts are numbers of samples through each call, not calls made,\n"
	      "desc: except into a function with an exact count (--calls) and one caller,\n"
	      "desc: whose calls= is that count.\n",
	      out);
	if (cg->memory)
		cg_header_memory(cg, st);
	fputs("positions: line\n", out);
	if (cg->ns)
		fprintf(out, "event: ns : %s nanoseconds\n", cg->clock);
	else
		fputs("event: Samples : cpu-clock samples\n", out);
	if (cg->memory)
		fputs("event: AllocBytes : bytes allocated\nevent: Allocs : allocations\n", out);
	fprintf(out, "events: %s%s\n", cg->ns ? "ns" : "Samples",
		cg->memory ? " AllocBytes Allocs" : "");
	fprintf(out, "summary: %" PRIu64, cg->ns ? total_ns : total_samples);
	if (cg->memory)
		fprintf(out, " %" PRIu64 " %" PRIu64, st->total_bytes, st->total_allocs);
	putc('\n', out);
}

static void cg_body(struct cg *cg, const struct cg_item *items, size_t n)
{
	const struct profile *p = cg->p;
	FILE *out = cg->out;
	uint32_t fn = PROF_NONE;
	const char *file = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct cg_item *it = &items[i];
		uint64_t cost = cg->ns ? it->ns : it->samples;

		if (it->fn != fn) {
			fn = it->fn;
			file = cg->block_file[fn];
			putc('\n', out);
			cg_object(cg, "ob", fn);
			cg_name(cg, "fl", NAME_FL, cg_file(file));
			cg_name(cg, "fn", NAME_FN, cg_fn_name(cg, fn));
		}
		if (cmp_str(it->file, file) != 0) {
			file = it->file;
			cg_name(cg, "fi", NAME_FL, cg_file(file));
		}
		if (it->callee != PROF_NONE) {
			const struct prof_function *cf =
				it->callee < p->nfunctions ? &p->functions[it->callee] : NULL;
			uint64_t calls = it->samples ? it->samples : it->records;

			if (cf && cf->calls >= 0 && cg->in_edges[it->callee] == 1)
				calls = (uint64_t)cf->calls;
			cg_object(cg, "cob", it->callee);
			cg_name(cg, "cfi", NAME_FL, cg_file(cg->block_file[it->callee]));
			cg_name(cg, "cfn", NAME_FN, cg_fn_name(cg, it->callee));
			fprintf(out, "calls=%" PRIu64 " %d\n", calls,
				cf && cf->start_line > 0 ? cf->start_line : 0);
		}
		fprintf(out, "%d %" PRIu64, it->line > 0 ? it->line : 0, cost);
		if (cg->memory)
			fprintf(out, " %" PRIu64 " %" PRIu64, it->bytes, it->allocs);
		putc('\n', out);
	}
}

/* Each function's fl= file: its declared file, else the first (by name)
 * file its lines name, else none. */
static void cg_block_files(struct cg *cg, const struct cg_item *items, size_t n)
{
	const struct profile *p = cg->p;

	for (size_t f = 0; f < p->nfunctions; f++)
		cg->block_file[f] = p->functions[f].file;
	for (size_t i = 0; i < n; i++) {
		const char **bf = &cg->block_file[items[i].fn];
		bool declared = items[i].fn < p->nfunctions && p->functions[items[i].fn].file;

		if (!declared && items[i].file && (!*bf || strcmp(items[i].file, *bf) < 0))
			*bf = items[i].file;
	}
}

/* Add stack id's costs to the value words v. */
static void cg_add(uint64_t *v, const struct ex_stacks *st, uint32_t id)
{
	v[0] += st->samples[id];
	v[1] += st->ns[id];
	v[2] += st->records[id];
	v[3] += st->bytes[id];
	v[4] += st->allocs[id];
}

/* Self costs and call edges of every stack, each edge once per sample
 * however often recursion repeats it. */
static struct cg_item *cg_collect(struct cg *cg, const struct ex_stacks *st, size_t *nitems)
{
	const struct profile *p = cg->p;
	size_t maxf = profile_max_frames(p), i, k;
	struct prof_frame *frames = xmalloc(maxf * sizeof(*frames));
	struct ex_map self, edges;
	struct cg_item *items;

	/* (fn, file, line) -> samples, ns, records, bytes, allocs */
	ex_map_init(&self, 3, 5);
	/* (fn, file, line, callee) -> the same, and a stamp */
	ex_map_init(&edges, 4, 6);
	for (i = 0; i < st->n; i++) {
		uint32_t id = st->ids[i];
		size_t n = profile_stack_frames(p, id, frames, maxf);
		uint64_t key[4] = {cg->unknown, 0, 0, 0}, *v;

		if (n) {
			key[0] = frames[0].function;
			key[1] = (uint64_t)(uintptr_t)frames[0].file;
			key[2] = (uint64_t)(int64_t)frames[0].line;
		}
		v = ex_map_get(&self, key, NULL);
		cg_add(v, st, id);
		for (k = 1; k < n; k++) {
			key[0] = frames[k].function;
			key[1] = (uint64_t)(uintptr_t)frames[k].file;
			key[2] = (uint64_t)(int64_t)frames[k].line;
			key[3] = frames[k - 1].function;
			v = ex_map_get(&edges, key, NULL);
			if (v[5] == (uint64_t)id + 1)
				continue;
			v[5] = (uint64_t)id + 1;
			cg_add(v, st, id);
		}
	}
	free(frames);

	*nitems = self.count + edges.count;
	items = xcalloc(*nitems ? *nitems : 1, sizeof(*items));
	for (i = 0; i < self.count + edges.count; i++) {
		bool is_self = i < self.count;
		const struct ex_map *m = is_self ? &self : &edges;
		size_t e = is_self ? i : i - self.count;
		const uint64_t *kk = ex_map_key(m, e), *vv = ex_map_val(m, e);
		struct cg_item *it = &items[i];

		/* Out-of-range ids of a damaged profile become "[unknown]". */
		it->fn = kk[0] < p->nfunctions ? (uint32_t)kk[0] : cg->unknown;
		it->file = (const char *)(uintptr_t)kk[1];
		it->line = (int)(int64_t)kk[2];
		it->callee = PROF_NONE;
		if (!is_self) {
			it->callee = kk[3] < p->nfunctions ? (uint32_t)kk[3] : cg->unknown;
			cg->in_edges[it->callee]++;
		}
		it->samples = vv[0];
		it->ns = vv[1];
		it->records = vv[2];
		it->bytes = vv[3];
		it->allocs = vv[4];
	}
	ex_map_free(&self);
	ex_map_free(&edges);
	return items;
}

static int callgrind_write(FILE *out, const struct profile *p, const struct export_opts *o,
			   char *err, size_t errlen)
{
	struct cg cg = {.p = p,
			.out = out,
			.ns = o && o->weight == EXPORT_WEIGHT_NS,
			.clock = o && o->filter.wall ? "wall" : "CPU"};
	struct cg_item *items;
	struct ex_stacks st;
	size_t n;

	(void)err;
	(void)errlen;
	cg.unknown = (uint32_t)p->nfunctions;
	cg.block_file = xcalloc(p->nfunctions + 1, sizeof(*cg.block_file));
	cg.in_edges = xcalloc(p->nfunctions + 1, sizeof(*cg.in_edges));
	for (int k = 0; k < 3; k++)
		ex_map_init(&cg.names[k], 1, 1);

	cg.memory = ex_any_alloc(p, o);
	ex_stacks_build(&st, p, o, cg.memory ? EX_SAMPLES | EX_ALLOCS : EX_SAMPLES);
	items = cg_collect(&cg, &st, &n);
	cg_block_files(&cg, items, n);
	qsort_r(items, n, sizeof(*items), item_cmp, &cg);
	cg_header(&cg, &st);
	cg_body(&cg, items, n);

	free(items);
	ex_stacks_free(&st);
	for (int k = 0; k < 3; k++)
		ex_map_free(&cg.names[k]);
	free(cg.block_file);
	free(cg.in_edges);
	return 0;
}

const struct export_format export_callgrind = {
	.name = "callgrind",
	.description = "callgrind profile for KCachegrind and callgrind_annotate",
	.extension = ".callgrind",
	.binary = false,
	.memory = true,
	.write = callgrind_write,
};
