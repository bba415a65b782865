#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate-int.h"
#include "source-text.h"
#include "xalloc.h"

#define TAB_WIDTH  8
#define TAIL_LINES 3	/* shown past the last sampled line when the end is unknown */
#define BRACE_SCAN 4000 /* lines searched for a function's closing brace */

/* ---- the cache ---- */

struct annot_cache *annot_cache_new(void)
{
	return xcalloc(1, sizeof(struct annot_cache));
}

static void files_clear(struct annot_cache *c)
{
	for (size_t i = 0; i < c->nfiles; i++) {
		for (size_t j = 0; j < c->files[i]->n; j++)
			free(c->files[i]->lines[j]);
		free(c->files[i]->lines);
		free(c->files[i]->key);
		free(c->files[i]);
	}
	free(c->files);
	c->files = NULL;
	c->nfiles = c->files_cap = 0;
}

void annot_cache_clear(struct annot_cache *c)
{
	files_clear(c);
	annot_disasm_cache_clear(c);
	for (size_t i = 0; i < c->nstrings; i++)
		free(c->strings[i]);
	free(c->strings);
	c->strings = NULL;
	c->nstrings = c->strings_cap = 0;
}

void annot_cache_free(struct annot_cache *c)
{
	if (!c)
		return;
	annot_cache_clear(c);
	free(c);
}

const char *annot_cache_keep(struct annot_cache *c, char *s)
{
	for (size_t i = 0; i < c->nstrings; i++) {
		if (!strcmp(c->strings[i], s)) {
			free(s);
			return c->strings[i];
		}
	}
	c->strings = xgrow(c->strings, &c->strings_cap, c->nstrings + 1, sizeof(*c->strings));
	c->strings[c->nstrings++] = s;
	return s;
}

size_t annot_step(size_t from, size_t n, bool backward)
{
	if (from == ANNOT_NONE || from >= n)
		return backward ? n - 1 : 0;
	if (backward)
		return from ? from - 1 : n - 1;
	return from + 1 < n ? from + 1 : 0;
}

/* ---- source text ---- */

/* Length of the valid UTF-8 sequence at s (of at most left bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	/* no overlongs, no surrogates, nothing past U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* C1 controls (U+0080..U+009F) move some terminals' cursors too */
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return n;
}

/* A line of source made safe to print: tabs expanded, control bytes and
 * invalid UTF-8 replaced by '?'. */
static char *text_sanitize(const char *raw, size_t len)
{
	const unsigned char *s = (const unsigned char *)raw;
	size_t cap = len + 1, o = 0, col = 0, i = 0;
	char *out = xmalloc(cap);

	while (i < len) {
		size_t n = utf8_len(s + i, len - i);

		if (o + TAB_WIDTH + 4 >= cap) {
			cap = 2 * cap + TAB_WIDTH + 4;
			out = xrealloc(out, cap);
		}
		if (s[i] == '\t') {
			do
				out[o++] = ' ';
			while (++col % TAB_WIDTH);
			i++;
		} else if (n == 0 || s[i] < 0x20 || s[i] == 0x7f) {
			out[o++] = '?';
			col++;
			i++;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
			col++;
		}
	}
	out[o] = '\0';
	return out;
}

/* Lines from disk or from a session, made safe for a terminal. */
static void file_sanitize(struct annot_file *af, size_t from)
{
	for (size_t i = from; i < af->n; i++) {
		char *t;

		if (!af->lines[i])
			continue;
		t = text_sanitize(af->lines[i], strlen(af->lines[i]));
		free(af->lines[i]);
		af->lines[i] = t;
	}
}

static int file_read(struct annot_file *af, const char *path)
{
	size_t from = af->n;
	int rc = source_text_read(path, &af->lines, &af->n);

	file_sanitize(af, from);
	return rc;
}

static bool file_saved(struct annot_file *af, const struct profile *p, const char *path)
{
	bool ok = source_text_saved(p, path, &af->lines, &af->n);

	file_sanitize(af, 0);
	return ok;
}

/* The file the profile names path, read on first use: the text a session
 * saved, else the file on disk; a relative path is also tried against the
 * profiled program's working directory. */
static struct annot_file *file_get(struct annot_cache *c, const struct profile *p, const char *path)
{
	struct annot_file *af;
	int err;

	for (size_t i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i]->key, path))
			return c->files[i];
	c->files = xgrow(c->files, &c->files_cap, c->nfiles + 1, sizeof(*c->files));
	af = xcalloc(1, sizeof(*af));
	c->files[c->nfiles++] = af;
	af->key = xstrdup(path);
	if (file_saved(af, p, path) || (file_read(af, path) == 0 && af->n))
		return af;
	err = af->n ? 0 : errno;
	if (path[0] != '/' && p->meta.cwd) {
		char *full = xasprintf("%s/%s", p->meta.cwd, path);

		if (file_read(af, full) == 0 && af->n) {
			free(full);
			return af;
		}
		free(full);
	}
	if (err)
		af->error =
			annot_cache_keep(c, xasprintf("cannot read %s: %s", path, strerror(err)));
	else
		af->error = annot_cache_keep(c, xasprintf("%s is empty", path));
	return af;
}

/* Where a function's body closes: from its first line, the line where the
 * braces opened there balance again (comments, strings and character
 * literals skipped, as in C, C++, Rust and Go). 0 if not found. */
static int function_close_line(const struct annot_file *af, int first)
{
	bool block_comment = false, opened = false;
	long depth = 0;

	for (int l = first; l > 0 && (size_t)l <= af->n && l < first + BRACE_SCAN; l++) {
		const char *s = af->lines[l - 1];

		for (; s && *s; s++) {
			if (block_comment) {
				if (s[0] == '*' && s[1] == '/') {
					block_comment = false;
					s++;
				}
				continue;
			}
			if (s[0] == '/' && s[1] == '/')
				break;
			if (s[0] == '/' && s[1] == '*') {
				block_comment = true;
				s++;
				continue;
			}
			if (*s == '"' || (*s == '\'' && s[1] && (s[2] == '\'' || s[1] == '\\'))) {
				/* a string, or a character literal (not a Rust lifetime) */
				char q = *s;

				for (s++; *s && *s != q; s++)
					if (*s == '\\' && s[1])
						s++;
				if (!*s)
					break;
				continue;
			}
			if (*s == '{') {
				depth++;
				opened = true;
			} else if (*s == '}') {
				if (--depth <= 0 && opened)
					return l;
			}
		}
	}
	return 0;
}

/* ---- the source view ---- */

static void row_fill(struct annot_line *row, const struct line_row *lr)
{
	row->self_samples = lr->self_samples;
	row->total_samples = lr->total_samples;
	row->self_ns = lr->self_ns;
	row->total_ns = lr->total_ns;
	row->inlined = lr->inlined;
	row->callee = lr->callee;
	row->kernel_ns = lr->kernel_ns;
}

static void row_init(struct annot_line *row, const char *file, int line)
{
	memset(row, 0, sizeof(*row));
	row->file = file;
	row->line = line;
	row->inlined = PROF_NONE;
	row->callee = PROF_NONE;
}

static const char *line_text(const struct annot_file *af, int line)
{
	if (!af || af->error)
		return NULL;
	if (line <= 0 || (size_t)line > af->n || !af->lines[line - 1])
		return ""; /* past the end, or a line the session did not keep */
	return af->lines[line - 1];
}

static bool same_file(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The file the view is centred on: the function's own when it has samples
 * there or none anywhere, else the file with the most samples. */
static const char *main_file(const struct profile *p, uint32_t fn, const struct line_table *lt)
{
	const char *own = fn < p->nfunctions ? p->functions[fn].file : NULL;
	const char *best = NULL;
	uint64_t best_ns = 0;

	for (size_t i = 0; i < lt->n; i++) {
		uint64_t ns = 0;
		size_t j;

		if (!lt->rows[i].file || (i && same_file(lt->rows[i].file, lt->rows[i - 1].file)))
			continue;
		for (j = i; j < lt->n && same_file(lt->rows[j].file, lt->rows[i].file); j++)
			ns += lt->rows[j].total_ns + 1; /* + 1: a file with rows beats none */
		if (own && same_file(lt->rows[i].file, own))
			return own;
		if (ns > best_ns) {
			best = lt->rows[i].file;
			best_ns = ns;
		}
	}
	return best ? best : own;
}

/* The main file's line range: from the function's first line (or its first
 * sampled line) to its closing brace, never before the last sampled line. */
static void main_range(const struct profile *p, uint32_t fn, const struct line_table *lt,
		       const char *file, const struct annot_file *af, int *first, int *last)
{
	const struct prof_function *f = fn < p->nfunctions ? &p->functions[fn] : NULL;
	int lo = 0, hi = 0, end = 0;

	for (size_t i = 0; i < lt->n; i++) {
		if (lt->rows[i].line <= 0 || !same_file(lt->rows[i].file, file))
			continue;
		if (!lo || lt->rows[i].line < lo)
			lo = lt->rows[i].line;
		if (lt->rows[i].line > hi)
			hi = lt->rows[i].line;
	}
	if (f && same_file(f->file, file) && f->start_line > 0 && (!lo || f->start_line <= lo)) {
		lo = f->start_line;
		if (af && !af->error)
			end = function_close_line(af, lo);
	}
	if (!hi)
		hi = lo;
	if (end < hi) {
		end = hi + TAIL_LINES;
		if (af && !af->error && (size_t)end > af->n)
			end = af->n > (size_t)hi ? (int)af->n : hi;
	}
	*first = lo;
	*last = end;
}

static void pick_hottest(struct annot_source *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct annot_line *a = &s->rows[i];
		const struct annot_line *b = s->hottest == ANNOT_NONE ? NULL : &s->rows[s->hottest];

		if (!a->total_samples && !a->self_samples)
			continue;
		if (!b || a->self_ns > b->self_ns ||
		    (a->self_ns == b->self_ns && a->total_ns > b->total_ns))
			s->hottest = i;
	}
	if (s->hottest != ANNOT_NONE)
		s->rows[s->hottest].hottest = true;
}

int annot_source_build(struct annot_cache *c, const struct profile *p, const struct query_filter *f,
		       uint32_t fn, struct annot_source *out)
{
	struct annot_file *af = NULL;
	struct line_table lt;
	size_t cap = 0, i;
	const char *file;

	memset(out, 0, sizeof(*out));
	out->function = fn;
	out->hottest = ANNOT_NONE;
	query_lines(p, f, fn, &lt);
	out->self_samples = lt.self_samples;
	out->total_samples = lt.total_samples;
	out->total_ns = lt.total_ns;
	file = main_file(p, fn, &lt);
	out->file = file;
	if (file) {
		af = file_get(c, p, file);
		out->error = af->error;
		out->readable = !af->error;
	} else {
		out->error = annot_cache_keep(
			c, xstrdup("no source line is known for this function (no debug info?)"));
	}

	if (file) {
		main_range(p, fn, &lt, file, af, &out->first_line, &out->last_line);
		if (out->readable && out->first_line > 0) {
			/* every line of the range, sampled or not */
			for (int l = out->first_line; l <= out->last_line; l++) {
				out->rows = xgrow(out->rows, &cap, out->n + 1, sizeof(*out->rows));
				row_init(&out->rows[out->n++], file, l);
			}
		}
		for (i = 0; i < lt.n; i++) {
			const struct line_row *lr = &lt.rows[i];
			struct annot_line *row;

			if (!same_file(lr->file, file) || lr->line <= 0)
				continue;
			if (out->readable && lr->line >= out->first_line) {
				row = &out->rows[lr->line - out->first_line];
			} else {
				out->rows = xgrow(out->rows, &cap, out->n + 1, sizeof(*out->rows));
				row = &out->rows[out->n++];
				row_init(row, file, lr->line);
			}
			row_fill(row, lr);
		}
		out->main_n = out->n;
	}
	/* sampled lines elsewhere, then those of no known line */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < lt.n; i++) {
			const struct line_row *lr = &lt.rows[i];
			struct annot_line *row;
			bool known = lr->file && lr->line > 0;

			if (known == (pass == 1) || (known && same_file(lr->file, file)))
				continue;
			out->rows = xgrow(out->rows, &cap, out->n + 1, sizeof(*out->rows));
			row = &out->rows[out->n++];
			row_init(row, lr->file, lr->line > 0 ? lr->line : 0);
			row_fill(row, lr);
		}
	}
	for (i = 0; i < out->n; i++) {
		struct annot_line *row = &out->rows[i];

		out->self_ns += row->self_ns;
		if (out->total_ns)
			row->heat = (double)row->total_ns / (double)out->total_ns;
		if (row->file && row->line > 0)
			row->text = line_text(row->file == file ? af : file_get(c, p, row->file),
					      row->line);
	}
	pick_hottest(out);
	line_table_free(&lt);
	return out->readable ? 0 : -1;
}

void annot_source_free(struct annot_source *s)
{
	free(s->rows);
	memset(s, 0, sizeof(*s));
	s->hottest = ANNOT_NONE;
}

size_t annot_next_sampled(const void *rows, size_t n, size_t from, bool backward,
			  bool (*sampled)(const void *rows, size_t i))
{
	size_t i = from;

	for (size_t k = 0; k < n; k++) {
		i = annot_step(i, n, backward);
		if (sampled(rows, i))
			return i;
	}
	return ANNOT_NONE;
}

static bool line_sampled(const void *rows, size_t i)
{
	const struct annot_line *l = (const struct annot_line *)rows + i;

	return l->total_samples || l->self_samples;
}

size_t annot_source_next_hot(const struct annot_source *s, size_t from, bool backward)
{
	return annot_next_sampled(s->rows, s->n, from, backward, line_sampled);
}
