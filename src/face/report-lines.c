#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report-int.h"
#include "source-text.h"
#include "xalloc.h"

#define SOURCE_COLUMNS 120 /* source text is cut here in the line view */
#define GAP_MAX	       30  /* longer unsampled runs in the line view are elided... */
#define GAP_CONTEXT    3   /* ...down to this many lines at each end */

/* ---- the line view ---- */

/* The lines of path, read on first use; a relative path is also tried
 * against the profiled program's working directory. */
static struct src_file *source_get(struct report *r, const char *path)
{
	struct src_file *sf;

	for (size_t i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, path))
			return &r->files[i];
	r->files = xgrow(r->files, &r->files_cap, r->nfiles + 1, sizeof(*r->files));
	sf = &r->files[r->nfiles++];
	memset(sf, 0, sizeof(*sf));
	sf->path = path;
	if (source_text_saved(r->p, path, &sf->lines, &sf->n))
		return sf;
	if (source_text_read(path, &sf->lines, &sf->n) < 0) {
		sf->err = errno;
		if (path[0] != '/' && r->p->meta.cwd) {
			char *full = xasprintf("%s/%s", r->p->meta.cwd, path);

			if (source_text_read(full, &sf->lines, &sf->n) == 0)
				sf->err = 0;
			free(full);
		}
	}
	return sf;
}

static const char *source_line(const struct src_file *sf, int line)
{
	return sf && line > 0 && (size_t)line <= sf->n ? sf->lines[line - 1] : NULL;
}

/* Source text for the terminal: tabs expanded, control characters
 * replaced, cut at SOURCE_COLUMNS columns (UTF-8 aware). */
static void put_source(FILE *out, const char *s)
{
	int col = 0;

	if (!s || !*s)
		return;
	fputs("  ", out); /* after the line number */

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch & 0xc0) != 0x80 && col >= SOURCE_COLUMNS)
			break;
		if (ch == '\t') {
			do
				putc(' ', out);
			while (++col % 8 && col < SOURCE_COLUMNS);
			continue;
		}
		putc(ch < 0x20 || ch == 0x7f ? '?' : ch, out);
		if ((ch & 0xc0) != 0x80)
			col++;
	}
}

/* The width of the self and total columns: seconds, or under --memory
 * sizes (report-memory.c). */
static int amount_width(const struct report *r)
{
	return r->o->filter.measure == MEASURE_TIME ? 8 : 10;
}

static void text_context_line(FILE *out, int w, const struct src_file *sf, int line)
{
	fprintf(out, " %*s %*s %7s %6d", w, "", w, "", "", line);
	put_source(out, source_line(sf, line));
	putc('\n', out);
}

/* Unsampled lines a..b of the line view, long runs elided. */
static void text_gap(FILE *out, int w, const struct src_file *sf, int a, int b)
{
	if (!sf->lines || b < a)
		return;
	if (b - a + 1 <= GAP_MAX) {
		for (int l = a; l <= b; l++)
			text_context_line(out, w, sf, l);
		return;
	}
	for (int l = a; l < a + GAP_CONTEXT; l++)
		text_context_line(out, w, sf, l);
	fprintf(out, " %*s %*s %7s %6s\n", w, "", w, "", "", "...");
	for (int l = b - GAP_CONTEXT + 1; l <= b; l++)
		text_context_line(out, w, sf, l);
}

static void text_line_row(struct report *r, const struct line_table *lt, size_t i, size_t hot,
			  const struct src_file *sf)
{
	const struct line_row *row = &lt->rows[i];
	FILE *out = r->out;

	enum query_measure m = r->o->filter.measure;
	char a[32], b[32];

	if (m == MEASURE_TIME)
		fprintf(out, "%c%8.3f %8.3f %6.1f%% ", i == hot ? '*' : ' ', row->self_ns / 1e9,
			row->total_ns / 1e9, share(row->total_ns, lt->total_ns));
	else
		fprintf(out, "%c%10s %10s %6.1f%% ", i == hot ? '*' : ' ',
			report_amount(m, row->self_ns, a, sizeof(a)),
			report_amount(m, row->total_ns, b, sizeof(b)),
			share(row->total_ns, lt->total_ns));
	if (row->line > 0) {
		fprintf(out, "%6d", row->line);
		put_source(out, source_line(sf, row->line));
	} else {
		fprintf(out, "%6s  (line unknown)", "?");
	}
	if (row->inlined != PROF_NONE) {
		fputs("  <- inlined: ", out);
		put_safe(out, profile_function_name(r->p, row->inlined));
	} else if (row->callee != PROF_NONE) {
		fputs("  -> ", out);
		put_safe(out, profile_function_name(r->p, row->callee));
	}
	putc('\n', out);
}

/* Rows [from, to) of one file: the function's range from its first line
 * (or the file's first sampled line) to the last sampled one. */
static void text_lines_file(struct report *r, const struct line_table *lt, size_t from, size_t to,
			    size_t hot)
{
	const struct prof_function *f = &r->p->functions[lt->function];
	const char *path = lt->rows[from].file;
	struct src_file *sf = path ? source_get(r, path) : NULL;
	FILE *out = r->out;
	int prev = 0;

	fputc('\n', out);
	put_safe(out, path ? path : "(unknown file)");
	if (path && sf && !sf->lines)
		fprintf(out, " (source not available: %s)",
			sf->err ? strerror(sf->err) : "empty file");
	fprintf(out, "\n %*s %*s %7s %6s  %s\n", amount_width(r), "self", amount_width(r), "total",
		"%total", "line", "source");
	for (size_t i = from; i < to; i++) {
		int line = lt->rows[i].line;

		if (line <= 0)
			continue;
		if (!prev) /* the function's opening lines, if this is its file */
			prev = f->file && path && !strcmp(f->file, path) && f->start_line > 0 &&
					       f->start_line <= line
				       ? f->start_line - 1
				       : line - 1;
		if (sf)
			text_gap(out, amount_width(r), sf, prev + 1, line - 1);
		text_line_row(r, lt, i, hot, sf);
		prev = line;
	}
	for (size_t i = from; i < to; i++)
		if (lt->rows[i].line <= 0)
			text_line_row(r, lt, i, hot, sf);
}

static bool same_file(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

#define LINE_FIELDS 12

/* The fields of line row i (also a header's keys when the table is empty);
 * percentages are of the function's total time. */
static size_t line_fields(struct report *r, const struct line_table *lt, size_t i, size_t hot,
			  struct field *f)
{
	static const struct line_row none = {.inlined = PROF_NONE, .callee = PROF_NONE};
	const struct line_row *row = i < lt->n ? &lt->rows[i] : &none;
	const struct src_file *sf = row->file ? source_get(r, row->file) : NULL;

	f[0] = FSTR("file", row->file);
	f[1] = FINT("line", row->line);
	f[1].null = row->line <= 0;
	f[2] = FINT("self_samples", row->self_samples);
	f[3] = FINT("total_samples", row->total_samples);
	f[4] = FREAL("self_pct", share(row->self_ns, lt->total_ns), 2);
	f[5] = FREAL("total_pct", share(row->total_ns, lt->total_ns), 2);
	f[6] = FSTR("source", source_line(sf, row->line));
	f[7] = FREAL("tottime", row->self_ns / 1e9, 6);
	f[8] = FREAL("cumtime", row->total_ns / 1e9, 6);
	/* --memory: the line's bytes (or allocations), in CSV too */
	if (r->o->filter.measure != MEASURE_TIME)
		report_amount_fields(r->o->filter.measure, row->self_ns, row->total_ns, f + 7);
	f[9] = FBOOL("hottest", i == hot);
	f[10] = FSTR("inlined",
		     row->inlined != PROF_NONE ? profile_function_name(r->p, row->inlined) : NULL);
	f[11] = FSTR("callee",
		     row->callee != PROF_NONE ? profile_function_name(r->p, row->callee) : NULL);
	for (int k = r->o->filter.measure == MEASURE_TIME ? 7 : 9; k < LINE_FIELDS; k++)
		f[k].where = JSON_ONLY;
	return LINE_FIELDS;
}

/* ---- the line view as machine code (--disasm, or when no source is readable) ---- */

#define BYTES_SHOWN 20 /* columns of "48 89 e5 .." */

/* Disassemble fn into r->dis. A failure is the report's error when asked
 * for (--disasm), else only a note under the source view. */
int disasm_prepare(struct report *r, uint32_t fn, bool asked)
{
	if (!r->annot)
		r->annot = annot_cache_new();
	if (annot_disasm_build(r->annot, r->p, &r->o->filter, fn, &r->dis) == 0) {
		r->have_dis = true;
		return 0;
	}
	r->dis_error = r->dis.error; /* the cache keeps the message */
	annot_disasm_free(&r->dis);
	if (asked)
		warnx_("cannot disassemble %s: %s", profile_function_name(r->p, fn), r->dis_error);
	return 1;
}

/* Whether any sampled line of the table has its source text at hand; if
 * not, why (the first file's error) goes to why. */
static bool lines_readable(struct report *r, const struct line_table *lt, char *why, size_t len)
{
	snprintf(why, len, "no source file is known (no debug info?)");
	for (size_t i = lt->n; i-- > 0;) {
		const char *path = lt->rows[i].file;
		const struct src_file *sf = path ? source_get(r, path) : NULL;

		if (sf && sf->lines)
			return true;
		if (sf)
			snprintf(why, len, "%s: %s", path,
				 sf->err ? strerror(sf->err) : "empty file");
	}
	return lt->n == 0;
}

static void text_insn(struct report *r, size_t i, const char **file, int *line)
{
	const struct annot_disasm *d = &r->dis;
	const struct annot_insn *in = &d->insns[i];
	char bytes[3 * ANNOT_INSN_MAX + 1], *text = NULL;
	size_t len = 0;
	FILE *out = r->out, *t;

	annot_format_bytes(in, bytes, sizeof(bytes));
	if (strlen(bytes) > BYTES_SHOWN)
		strcpy(bytes + BYTES_SHOWN - 3, " ..");
	if (in->total_samples || in->self_samples)
		fprintf(out, "%c%8.3f %8.3f %6.1f%%", i == d->hottest ? '*' : ' ',
			in->self_ns / 1e9, in->total_ns / 1e9, share(in->total_ns, d->total_ns));
	else /* unsampled: blank, as the source view's context lines */
		fprintf(out, " %8s %8s %7s", "", "", "");
	fprintf(out, " %8" PRIx64 "  %-*s  ", in->address, BYTES_SHOWN, bytes);
	t = open_memstream(&text, &len);
	if (!t)
		fatal("out of memory (formatting an instruction)");
	fprintf(t, "%-7s %s", in->mnemonic, in->operands);
	if (in->callee_name) {
		fputs(" -> ", t);
		put_safe(t, in->callee_name);
	}
	/* the source position where it changes, as objdump -l does */
	if (in->line && (in->line != *line || !same_file(in->file, *file))) {
		fprintf(t, "%*s; ", (int)(ftell(t) < 40 ? 40 - ftell(t) : 2), "");
		put_safe(t, base_name(in->file));
		fprintf(t, ":%d", in->line);
	}
	fclose(t);
	while (len && text[len - 1] == ' ')
		text[--len] = '\0';
	fputs(text, out);
	putc('\n', out);
	free(text);
	*file = in->file;
	*line = in->line;
}

#define INSN_FIELDS 15

/* The strings an instruction's fields point into. */
struct insn_text {
	char addr[32];
	char bytes[3 * ANNOT_INSN_MAX + 1];
};

/* The fields of instruction i (i == d->n: only the keys, for a header). */
static size_t insn_fields(const struct annot_disasm *d, size_t i, struct insn_text *tx,
			  struct field *f)
{
	static const struct annot_insn none = {.mnemonic = "", .operands = ""};
	const struct annot_insn *in = i < d->n ? &d->insns[i] : &none;

	snprintf(tx->addr, sizeof(tx->addr), "0x%" PRIx64, in->address);
	f[0] = FSTR("address", tx->addr);
	f[1] = FINT("size", in->size);
	f[2] = FSTR("bytes", annot_format_bytes(in, tx->bytes, sizeof(tx->bytes)));
	f[3] = FSTR("mnemonic", in->mnemonic);
	f[4] = FSTR("operands", in->operands);
	f[5] = FSTR("file", in->file);
	f[6] = FINT("line", in->line);
	f[6].null = in->line <= 0;
	f[7] = FINT("self_samples", in->self_samples);
	f[8] = FINT("total_samples", in->total_samples);
	f[9] = FREAL("self_pct", share(in->self_ns, d->total_ns), 2);
	f[10] = FREAL("total_pct", share(in->total_ns, d->total_ns), 2);
	f[11] = FSTR("callee", in->callee_name);
	f[12] = FREAL("tottime", in->self_ns / 1e9, 6);
	f[13] = FREAL("cumtime", in->total_ns / 1e9, 6);
	f[14] = FBOOL("hottest", i == d->hottest);
	for (int k = 12; k < INSN_FIELDS; k++)
		f[k].where = JSON_ONLY;
	return INSN_FIELDS;
}

/* r->dis, prepared before: one row per instruction. why: the reason the
 * source view was left out, or NULL when --disasm asked for this. */
static void write_disasm(struct report *r, uint32_t fn, const char *why)
{
	const struct annot_disasm *d = &r->dis;
	struct func_row self = own_row(r, fn);
	struct field f[INSN_FIELDS];
	struct insn_text tx;
	const char *file = NULL;
	FILE *out = r->out;
	int line = 0;

	switch (r->o->format) {
	case REPORT_TEXT:
		fputs("\nMachine code of ", out);
		text_function_label(out, r->p, fn);
		fprintf(out, ": %.3f s total, %.3f s self; %%total is of the function's total\n",
			self.total_ns / 1e9, self.self_ns / 1e9);
		if (why) {
			fputs("(source not available: ", out);
			put_safe(out, why);
			fputs(")\n", out);
		}
		putc('\n', out);
		put_safe(out, d->path);
		fprintf(out, " 0x%" PRIx64 "-0x%" PRIx64, d->start, d->end);
		if (d->symbol) {
			fputs(" <", out);
			put_safe(out, d->symbol);
			putc('>', out);
		}
		fprintf(out, "\n %8s %8s %7s %8s  %-*s  %s\n", "self", "total", "%total", "address",
			BYTES_SHOWN, "bytes", "instruction");
		for (size_t i = 0; i < d->n; i++)
			text_insn(r, i, &file, &line);
		if (d->outside_samples)
			fprintf(out,
				"  (%" PRIu64 " samples of this function lie outside this "
				"range)\n",
				d->outside_samples);
		break;
	case REPORT_CSV:
		insn_fields(d, d->n, &tx, f);
		csv_header(out, f, INSN_FIELDS);
		for (size_t i = 0; i < d->n; i++)
			write_record(out, REPORT_CSV, f, insn_fields(d, i, &tx, f));
		break;
	case REPORT_JSON:
		fputs(",\"disasm\":{\"function\":", out);
		func_record(r, &self, NULL);
		fputs(",\"path\":", out);
		json_str(out, d->path);
		fputs(",\"symbol\":", out);
		json_str(out, d->symbol);
		fprintf(out,
			",\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64
			"\",\"outside_samples\":%" PRIu64 ",\"rows\":[",
			d->start, d->end, d->outside_samples);
		for (size_t i = 0; i < d->n; i++) {
			fputs(i ? ",\n" : "\n", out);
			write_record(out, REPORT_JSON, f, insn_fields(d, i, &tx, f));
		}
		fputs("]}", out);
		break;
	}
}

void write_lines(struct report *r, uint32_t fn)
{
	struct func_row self = own_row(r, fn);
	struct field f[LINE_FIELDS];
	struct line_table lt;
	FILE *out = r->out;
	size_t hot = 0;
	char why[512];

	query_lines(r->p, &r->o->filter, fn, &lt);
	/* --disasm, or text with no source to show: the machine code instead
	 * (which counts time only) */
	if (r->have_dis ||
	    (r->o->format == REPORT_TEXT && r->o->filter.measure == MEASURE_TIME &&
	     !lines_readable(r, &lt, why, sizeof(why)) &&
	     disasm_prepare(r, fn, false) == 0)) {
		write_disasm(r, fn, r->o->disasm ? NULL : why);
		line_table_free(&lt);
		return;
	}
	/* The hottest line burns the most time itself; failing that, below it. */
	for (size_t i = 1; i < lt.n; i++) {
		const struct line_row *a = &lt.rows[i], *b = &lt.rows[hot];

		if (a->self_ns > b->self_ns ||
		    (a->self_ns == b->self_ns && a->total_ns > b->total_ns))
			hot = i;
	}
	switch (r->o->format) {
	case REPORT_TEXT: {

		enum query_measure m = r->o->filter.measure;
		char a[32], b[32];

		fputs("\nSource lines of ", out);
		text_function_label(out, r->p, fn);
		if (m == MEASURE_TIME)
			fprintf(out, ": %.3f s total, %.3f s self", self.total_ns / 1e9,
				self.self_ns / 1e9);
		else
			fprintf(out, ", %s: %s total, %s self", report_measure_title(m),
				report_amount(m, self.total_ns, a, sizeof(a)),
				report_amount(m, self.self_ns, b, sizeof(b)));
		fputs("; %total is of the function's total\n", out);
		if (!lt.n)
			fputs(m == MEASURE_TIME ? "  (no samples)\n" : "  (no memory records)\n",
			      out);
		for (size_t from = 0, to; from < lt.n; from = to) {
			for (to = from + 1;
			     to < lt.n && same_file(lt.rows[to].file, lt.rows[from].file);)
				to++;
			text_lines_file(r, &lt, from, to, hot);
		}
		if (r->dis_error) {
			fputs("(no machine code either: ", out);
			put_safe(out, r->dis_error);
			fputs(")\n", out);
		}
		break;
	}
	case REPORT_CSV:
		line_fields(r, &lt, 0, hot, f);
		csv_header(out, f, LINE_FIELDS);
		for (size_t i = 0; i < lt.n; i++)
			write_record(out, REPORT_CSV, f, line_fields(r, &lt, i, hot, f));
		break;
	case REPORT_JSON:
		fputs(",\"lines\":{\"function\":", out);
		if (r->o->filter.measure == MEASURE_TIME)
			func_record(r, &self, NULL);
		else
			mem_function_record(r, &self);
		fputs(",\"rows\":[", out);
		for (size_t i = 0; i < lt.n; i++) {
			fputs(i ? ",\n" : "\n", out);
			write_record(out, REPORT_JSON, f, line_fields(r, &lt, i, hot, f));
		}
		fputs("]}", out);
		break;
	}
	line_table_free(&lt);
}
