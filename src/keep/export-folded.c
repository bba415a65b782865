/* Folded stacks, the input of flamegraph.pl, inferno and speedscope: one
 * line "root;caller;...;leaf COUNT" per distinct stack of function names.
 * COUNT: samples, CPU ns, or (--weight bytes) bytes allocated there. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "export-int.h"
#include "xalloc.h"

struct folded_line {
	char *stack;
	uint64_t count;
};

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_putc(struct strbuf *b, char c)
{
	b->s = xgrow(b->s, &b->cap, b->len + 2, 1);
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

/* A frame name as the folded format can carry it: ';' separates frames
 * and a newline ends the line, so ';' becomes ':' (as stackcollapse-perf.pl
 * does) and control characters become spaces. */
static void sb_put_name(struct strbuf *b, const char *name)
{
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		sb_putc(b, *s == ';' ? ':' : *s < 0x20 || *s == 0x7f ? ' ' : (char)*s);
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->stack,
		      ((const struct folded_line *)b)->stack);
}

static int folded_write(FILE *out, const struct profile *p, const struct export_opts *o, char *err,
			size_t errlen)
{
	size_t maxf = profile_max_frames(p), nlines = 0, i;
	struct prof_frame *frames = xmalloc(maxf * sizeof(*frames));
	enum export_weight w = o ? o->weight : EXPORT_WEIGHT_SAMPLES;
	struct folded_line *lines;
	struct ex_stacks st;

	(void)err;
	(void)errlen;
	ex_stacks_build(&st, p, o, w == EXPORT_WEIGHT_BYTES ? EX_ALLOCS : EX_SAMPLES);
	lines = xcalloc(st.n ? st.n : 1, sizeof(*lines));
	for (i = 0; i < st.n; i++) {
		uint32_t id = st.ids[i];
		uint64_t count = w == EXPORT_WEIGHT_BYTES ? st.bytes[id]
				 : w == EXPORT_WEIGHT_NS  ? st.ns[id]
							  : st.samples[id];
		size_t n;
		struct strbuf b = {0};

		if (!count && w == EXPORT_WEIGHT_BYTES)
			continue; /* allocations of no bytes (malloc(0)) */
		n = profile_stack_frames(p, id, frames, maxf);
		if (n == 0)
			sb_put_name(&b, "[unknown]");
		while (n-- > 0) {
			sb_put_name(&b, profile_function_name(p, frames[n].function));
			if (n)
				sb_putc(&b, ';');
		}
		lines[nlines].stack = b.s;
		lines[nlines++].count = count;
	}
	/* Different locations often make the same function stack: merge them. */
	qsort(lines, nlines, sizeof(*lines), line_cmp);
	for (i = 0; i < nlines; i++) {
		uint64_t count = lines[i].count;

		while (i + 1 < nlines && !strcmp(lines[i].stack, lines[i + 1].stack))
			count += lines[++i].count;
		fprintf(out, "%s %" PRIu64 "\n", lines[i].stack, count);
	}
	for (i = 0; i < nlines; i++)
		free(lines[i].stack);
	free(lines);
	free(frames);
	ex_stacks_free(&st);
	return 0;
}

const struct export_format export_folded = {
	.name = "folded",
	.description = "folded stacks for flamegraph.pl, inferno and speedscope",
	.extension = ".folded",
	.binary = false,
	.write = folded_write,
};
