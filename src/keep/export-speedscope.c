/* speedscope's JSON file format (https://www.speedscope.app/file-format-schema.json):
 * shared frames, one "sampled" profile per thread in nanoseconds, samples
 * in time order (consecutive equal stacks merged) so that its time-order
 * view shows the run as it happened. With --weight bytes, the allocations
 * instead, in the order made, weighed in bytes. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "xalloc.h"

struct ss_run {
	uint32_t stack;
	uint64_t weight;
};

struct ss_thread {
	int32_t tid;
	struct ss_run *runs; /* in time order */
	size_t nruns, runs_cap;
	uint64_t total;
};

struct ss_state {
	const struct profile *p;
	uint32_t *frame_of; /* function id -> frame index + 1, 0 = not yet */
	uint32_t *frame_fn; /* frame index -> function id */
	size_t nframes;
	char **stack_json; /* stack id -> "[0,1,2]" root first, built once */
	struct prof_frame *frames;
	size_t max_frames;
};

static uint32_t ss_frame(struct ss_state *s, uint32_t fn)
{
	if (fn >= s->p->nfunctions)
		fn = (uint32_t)s->p->nfunctions; /* the "[unknown]" slot */
	if (!s->frame_of[fn]) {
		s->frame_fn[s->nframes] = fn;
		s->frame_of[fn] = (uint32_t)++s->nframes;
	}
	return s->frame_of[fn] - 1;
}

static const char *ss_stack(struct ss_state *s, uint32_t stack)
{
	size_t n, len = 0, cap = 0;
	char *buf = NULL;

	if (s->stack_json[stack])
		return s->stack_json[stack];
	n = profile_stack_frames(s->p, stack, s->frames, s->max_frames);
	/* Each index: at most 10 digits and a comma; n == 0 writes one. */
	buf = xgrow(buf, &cap, 2 + (n + 1) * 11 + 1, 1);
	buf[len++] = '[';
	if (n == 0)
		len += (size_t)sprintf(buf + len, "%" PRIu32, ss_frame(s, PROF_NONE));
	for (size_t i = n; i-- > 0;)
		len += (size_t)sprintf(buf + len, "%" PRIu32 "%s",
				       ss_frame(s, s->frames[i].function), i ? "," : "");
	buf[len++] = ']';
	buf[len] = '\0';
	return s->stack_json[stack] = buf;
}

static struct ss_thread *ss_thread_of(struct ex_map *by_tid, struct ss_thread **threads,
				      size_t *nthreads, size_t *cap, int32_t tid)
{
	uint64_t key = (uint64_t)(uint32_t)tid;
	bool added;
	uint64_t *v = ex_map_get(by_tid, &key, &added);

	if (added) {
		*threads = xgrow(*threads, cap, *nthreads + 1, sizeof(**threads));
		memset(&(*threads)[*nthreads], 0, sizeof(**threads));
		(*threads)[*nthreads].tid = tid;
		v[0] = (*nthreads)++;
	}
	return &(*threads)[v[0]];
}

static int thread_cmp(const void *a, const void *b)
{
	int32_t x = ((const struct ss_thread *)a)->tid, y = ((const struct ss_thread *)b)->tid;

	return x < y ? -1 : x > y;
}

/* Append weight on stack to t's runs, merged into the last one if equal. */
static void ss_add(struct ss_thread *t, uint32_t stack, uint64_t weight)
{
	t->total += weight;
	if (t->nruns && t->runs[t->nruns - 1].stack == stack) {
		t->runs[t->nruns - 1].weight += weight;
		return;
	}
	t->runs = xgrow(t->runs, &t->runs_cap, t->nruns + 1, sizeof(*t->runs));
	t->runs[t->nruns].stack = stack;
	t->runs[t->nruns++].weight = weight;
}

static void ss_write_profile(FILE *out, struct ss_state *s, const struct ss_thread *t,
			     const char *unit)
{
	const struct prof_thread *pt = profile_find_thread(s->p, t->tid);
	char *name = xasprintf("%s (%" PRId32 ")", pt && pt->comm ? pt->comm : "thread", t->tid);
	size_t i;

	fputs("{\"type\":\"sampled\",\"name\":", out);
	json_str(out, name);
	fprintf(out, ",\"unit\":\"%s\",\"startValue\":0,\"endValue\":%" PRIu64, unit, t->total);
	fputs(",\n \"samples\":[", out);
	for (i = 0; i < t->nruns; i++)
		fprintf(out, "%s%s", i ? "," : "", ss_stack(s, t->runs[i].stack));
	fputs("],\n \"weights\":[", out);
	for (i = 0; i < t->nruns; i++)
		fprintf(out, "%s%" PRIu64, i ? "," : "", t->runs[i].weight);
	fputs("]}", out);
	free(name);
}

static void ss_write_frames(FILE *out, const struct ss_state *s)
{
	fputs("\"shared\":{\"frames\":[", out);
	for (size_t i = 0; i < s->nframes; i++) {
		uint32_t fn = s->frame_fn[i];
		const struct prof_function *f = fn < s->p->nfunctions ? &s->p->functions[fn] : NULL;

		fputs(i ? ",\n{\"name\":" : "\n{\"name\":", out);
		json_str(out, profile_function_name(s->p, fn));
		if (f && f->file) {
			fputs(",\"file\":", out);
			json_str(out, f->file);
		}
		if (f && f->start_line > 0)
			fprintf(out, ",\"line\":%d", f->start_line);
		putc('}', out);
	}
	fputs("]}}\n", out);
}

static int speedscope_write(FILE *out, const struct profile *p, const struct export_opts *o,
			    char *err, size_t errlen)
{
	struct ss_thread *threads = NULL;
	size_t nthreads = 0, cap = 0, i, active = 0;
	struct ss_state s = {.p = p};
	bool bytes = o && o->weight == EXPORT_WEIGHT_BYTES;
	struct ex_filter x;
	struct ex_map by_tid;

	(void)err;
	(void)errlen;
	ex_map_init(&by_tid, 1, 1);
	ex_filter_init(&x, o);
	for (i = 0; !bytes && i < p->nsamples; i++) {
		const struct prof_sample *smp = &p->samples[i];

		if (ex_filter_pass(&x, p, smp))
			ss_add(ss_thread_of(&by_tid, &threads, &nthreads, &cap, smp->tid),
			       smp->stack, smp->weight);
	}
	for (i = 0; bytes && i < p->nallocs; i++) {
		const struct prof_alloc *a = &p->allocs[i];

		if (ex_alloc_pass(&x, p, a))
			ss_add(ss_thread_of(&by_tid, &threads, &nthreads, &cap, a->tid), a->stack,
			       a->bytes);
	}
	ex_map_free(&by_tid);
	if (nthreads)
		qsort(threads, nthreads, sizeof(*threads), thread_cmp);
	for (i = 1; i < nthreads; i++)
		if (threads[i].total > threads[active].total)
			active = i;

	s.frame_of = xcalloc(p->nfunctions + 1, sizeof(*s.frame_of));
	s.frame_fn = xcalloc(p->nfunctions + 1, sizeof(*s.frame_fn));
	s.stack_json = xcalloc(p->nstacks ? p->nstacks : 1, sizeof(*s.stack_json));
	s.max_frames = profile_max_frames(p);
	s.frames = xmalloc(s.max_frames * sizeof(*s.frames));

	/* Profiles first (into the file, in order) would need the frames
	 * before them; JSON object keys have no order, so write profiles,
	 * then the frames they named. */
	fputs("{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\n", out);
	fputs("\"exporter\":\"proftop " PACKAGE_VERSION "\",\"name\":", out);
	json_str(out, p->meta.command ? p->meta.command : "proftop profile");
	fprintf(out, ",\"activeProfileIndex\":%zu,\n\"profiles\":[\n", active);
	for (i = 0; i < nthreads; i++) {
		if (i)
			fputs(",\n", out);
		ss_write_profile(out, &s, &threads[i], bytes ? "bytes" : "nanoseconds");
	}
	fputs("],\n", out);
	ss_write_frames(out, &s);

	for (i = 0; i < nthreads; i++)
		free(threads[i].runs);
	free(threads);
	for (i = 0; i < p->nstacks; i++)
		free(s.stack_json[i]);
	free(s.stack_json);
	free(s.frame_of);
	free(s.frame_fn);
	free(s.frames);
	return 0;
}

const struct export_format export_speedscope = {
	.name = "speedscope",
	.description = "speedscope JSON, one sampled profile per thread",
	.extension = ".speedscope.json",
	.binary = false,
	.write = speedscope_write,
};
