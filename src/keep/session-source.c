/* The source text a session carries: for every (function, file) with
 * samples, the lines from the function's first line (when it is in that
 * file) or the first sampled line, to the last sampled one, plus a margin.
 * That is every line the line view shows, so `report -i --lines` prints
 * what the live run printed, without the sources. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session-int.h"
#include "session.h"
#include "source-text.h"
#include "xalloc.h"

/* A range of lines of one file that the session wants. */
struct src_range {
	const char *file; /* interned: compared by pointer */
	int lo, hi;
};

/* Lines of one file already written (or found missing), a bit per line. */
struct src_file_done {
	const char *file;
	uint8_t *bits;
	size_t nbits;
};

struct session_src {
	struct src_file_done *files;
	size_t n, cap;
	size_t bytes; /* read from source files so far, under SESSION_SRC_TOTAL */
};

/* The text of a file split into lines, the way report.c reads it: line
 * breaks and carriage returns stripped, each line cut at a NUL byte. */
struct src_text {
	char **lines;
	size_t n;
};

static int cmp_range(const void *a, const void *b)
{
	const struct src_range *x = a, *y = b;

	if (x->file != y->file)
		return strcmp(x->file, y->file);
	return (x->lo > y->lo) - (x->lo < y->lo);
}

struct fline {
	const char *file;
	uint32_t function;
	int line;
};

static int cmp_fline(const void *a, const void *b)
{
	const struct fline *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->function != y->function)
		return x->function < y->function ? -1 : 1;
	return (x->line > y->line) - (x->line < y->line);
}

/* The ranges of lines the line view of any function can show, sorted by
 * file name and first line. Caller frees. */
static struct src_range *src_ranges(const struct profile *p, size_t *count)
{
	struct fline *fl = xcalloc(p->nlines ? p->nlines : 1, sizeof(*fl));
	struct src_range *r;
	size_t n = 0, nr = 0;

	for (size_t i = 0; i < p->nlines; i++) {
		const struct prof_line *l = &p->lines[i];

		if (l->file && l->line > 0 && l->line <= SESSION_MAX_LINE &&
		    l->function < p->nfunctions)
			fl[n++] = (struct fline){l->file, l->function, l->line};
	}
	qsort(fl, n, sizeof(*fl), cmp_fline);
	r = xcalloc(n ? n : 1, sizeof(*r));
	for (size_t i = 0, j; i < n; i = j) {
		const struct prof_function *f = &p->functions[fl[i].function];
		int lo = fl[i].line, hi = lo;

		for (j = i + 1;
		     j < n && fl[j].file == fl[i].file && fl[j].function == fl[i].function; j++)
			hi = fl[j].line;
		/* report.c starts a function's lines at its first line. */
		if (f->file && !strcmp(f->file, fl[i].file) && f->start_line > 0 &&
		    f->start_line <= lo)
			lo = f->start_line;
		lo = lo > SESSION_SRC_MARGIN ? lo - SESSION_SRC_MARGIN : 1;
		hi = hi + SESSION_SRC_MARGIN < SESSION_MAX_LINE ? hi + SESSION_SRC_MARGIN
								: SESSION_MAX_LINE;
		r[nr++] = (struct src_range){fl[i].file, lo, hi};
	}
	free(fl);
	qsort(r, nr, sizeof(*r), cmp_range);
	*count = nr;
	return r;
}

static struct src_file_done *done_get(struct session_src *s, const char *file)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->files[i].file == file)
			return &s->files[i];
	s->files = xgrow(s->files, &s->cap, s->n + 1, sizeof(*s->files));
	s->files[s->n] = (struct src_file_done){.file = file};
	return &s->files[s->n++];
}

static bool done_has(const struct src_file_done *d, int line)
{
	size_t i = (size_t)line;

	return i < d->nbits && (d->bits[i / 8] & (1u << (i % 8)));
}

static void done_set(struct src_file_done *d, int line)
{
	size_t i = (size_t)line;

	if (i >= d->nbits) {
		size_t nbits = (i + 1024) & ~(size_t)7;

		d->bits = xrealloc(d->bits, nbits / 8);
		memset(d->bits + d->nbits / 8, 0, (nbits - d->nbits) / 8);
		d->nbits = nbits;
	}
	d->bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

static void text_free(struct src_text *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
	free(t->lines);
	memset(t, 0, sizeof(*t));
}

/* Read the file at path for the session: a regular file the target's owner
 * could read (source-text.h), within what is left of the session's budget. */
static int text_read_path(struct src_text *t, const struct profile *p, const char *path,
			  struct session_src *s)
{
	size_t left = s->bytes < SESSION_SRC_TOTAL ? SESSION_SRC_TOTAL - s->bytes : 0;
	size_t bytes = 0;

	if (!left)
		return -1;
	if (source_text_read_as(path, &p->meta, left < SOURCE_TEXT_MAX ? left : SOURCE_TEXT_MAX,
				&t->lines, &t->n, &bytes) < 0)
		return -1;
	s->bytes += bytes;
	while (t->n > SESSION_MAX_LINE)
		free(t->lines[--t->n]);
	return t->n ? 0 : -1;
}

/* The text of file: what p carries (a reopened session saved again), else
 * the file on disk, a relative path also tried against the target's
 * working directory as report.c does. */
static void text_read(struct src_text *t, const struct profile *p, const char *file,
		      struct session_src *src)
{
	size_t lo = 0, hi = p->nsources, cap = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(p->sources[mid].file, file) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nsources && !strcmp(p->sources[lo].file, file)) {
		for (; lo < p->nsources && !strcmp(p->sources[lo].file, file); lo++) {
			const struct prof_source_line *s = &p->sources[lo];

			if (s->line <= 0 || s->line > SESSION_MAX_LINE)
				continue;
			t->lines = xgrow(t->lines, &cap, (size_t)s->line, sizeof(*t->lines));
			while (t->n < (size_t)s->line)
				t->lines[t->n++] = NULL;
			free(t->lines[s->line - 1]);
			t->lines[s->line - 1] = xstrdup(s->text);
		}
		return;
	}
	if (text_read_path(t, p, file, src) == 0)
		return;
	text_free(t);
	if (file[0] != '/' && p->meta.cwd) {
		char *full = xasprintf("%s/%s", p->meta.cwd, file);

		if (text_read_path(t, p, full, src) < 0)
			text_free(t);
		free(full);
	}
}

/* Write the lines of ranges [r, end) (all of one file) not written yet. */
static int write_file(sqlite3_stmt *ins, const struct profile *p, const struct src_range *r,
		      const struct src_range *end, struct session_src *src, struct src_file_done *d)
{
	struct src_text t = {NULL, 0};
	bool need = false, read = false;
	int rc = SQLITE_OK;

	for (const struct src_range *x = r; x < end && !need; x++)
		for (int l = x->lo; l <= x->hi && !need; l++)
			need = !done_has(d, l);
	if (!need)
		return SQLITE_OK;
	for (const struct src_range *x = r; x < end && rc == SQLITE_OK; x++) {
		for (int l = x->lo; l <= x->hi && rc == SQLITE_OK; l++) {
			if (done_has(d, l))
				continue;
			if (!read) {
				text_read(&t, p, r->file, src);
				read = true;
			}
			done_set(d, l);
			if ((size_t)l > t.n || !t.lines[l - 1])
				continue;
			sqlite3_bind_text(ins, 1, r->file, -1, SQLITE_STATIC);
			sqlite3_bind_int(ins, 2, l);
			sqlite3_bind_text(ins, 3, t.lines[l - 1], -1, SQLITE_STATIC);
			rc = sqlite3_step(ins);
			rc = rc == SQLITE_DONE ? sqlite3_reset(ins) : rc;
		}
	}
	text_free(&t);
	return rc;
}

int session_src_write(sqlite3 *db, const struct profile *p, struct session_src **done)
{
	size_t n, i, j;
	struct src_range *r = src_ranges(p, &n);
	sqlite3_stmt *ins = NULL;
	int rc;

	if (!*done)
		*done = xcalloc(1, sizeof(**done));
	rc = sqlite3_prepare_v2(db,
				"INSERT OR IGNORE INTO sources(file, line, text) VALUES (?, ?, ?)",
				-1, &ins, NULL);
	for (i = 0; i < n && rc == SQLITE_OK; i = j) {
		for (j = i + 1; j < n && r[j].file == r[i].file;)
			j++;
		rc = write_file(ins, p, &r[i], &r[j], *done, done_get(*done, r[i].file));
	}
	sqlite3_finalize(ins);
	free(r);
	return rc;
}

void session_src_free(struct session_src *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].bits);
	free(s->files);
	free(s);
}

const char *session_source_line(const struct profile *p, const char *file, int line)
{
	size_t lo = 0, hi = p->nsources;

	if (!file)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct prof_source_line *s = &p->sources[mid];
		int c = strcmp(s->file, file);

		if (c < 0 || (c == 0 && s->line < line))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nsources && p->sources[lo].line == line && !strcmp(p->sources[lo].file, file))
		return p->sources[lo].text;
	return NULL;
}
