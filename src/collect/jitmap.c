#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jitmap-int.h"
#include "xalloc.h"

/* At most this much is read in one update; the rest the next time. */
#define READ_CHUNK (32u << 20)

/* ---- names ---- */

static bool is_tier_mark(char c)
{
	return c == '*' || c == '^' || c == '~' || c == '+';
}

/* "FILE:LINE[:COL]" at the end of s: the file and line; false if absent. */
static bool split_file_line(const char *s, char **file, int *line)
{
	const char *colon = strrchr(s, ':'), *c2;
	char *end;
	long l;

	if (!colon || colon == s)
		return false;
	/* with a column, the line is the field before it */
	c2 = colon;
	while (c2 > s && c2[-1] != ':')
		c2--;
	if (c2 > s + 1) {
		l = strtol(c2, &end, 10);
		if (end == colon && l > 0 && l <= INT32_MAX) {
			*file = xstrndup(s, (size_t)(c2 - 1 - s));
			*line = (int)l;
			return true;
		}
	}
	l = strtol(colon + 1, &end, 10);
	if (end != colon + 1 && !*end && l > 0 && l <= INT32_MAX) {
		*file = xstrndup(s, (size_t)(colon - s));
		*line = (int)l;
		return true;
	}
	return false;
}

static bool v8_prefix(const char *name, size_t *len)
{
	static const char *const prefixes[] = {
		"JS:", "LazyCompile:", "Function:", "Script:", "Eval:"};

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) {
			*len = strlen(prefixes[i]);
			return true;
		}
	return false;
}

void jit_name_parse(const char *name, struct jit_name *out)
{
	size_t plen;

	memset(out, 0, sizeof(*out));
	if (v8_prefix(name, &plen)) {
		const char *p = name + plen, *sp;
		char *fn;

		if (is_tier_mark(*p))
			p++;
		sp = strrchr(p, ' ');
		/* "f /a/b.js:3:15", " /a/b.js:1:1" (unnamed), or a bare "f" */
		if (sp && split_file_line(sp + 1, &out->file, &out->line))
			fn = xstrndup(p, (size_t)(sp - p));
		else
			fn = xstrdup(p);
		out->function = fn[0] ? fn : xstrdup("(anonymous)");
		if (!fn[0])
			free(fn);
		out->key = xasprintf("%.*s%s", (int)plen, name, p);
		return;
	}
	if (!strncmp(name, "py::", 4)) {
		const char *p = name + 4, *colon = strchr(p, ':');

		if (colon && colon > p && colon[1]) {
			/* "py::f": the trampoline, apart from proftop's own
			 * Python frame of f (python.h) */
			out->function = xstrndup(name, (size_t)(colon - name));
			out->file = xstrdup(colon + 1);
			out->key = xstrdup(name);
			return;
		}
	}
	out->function = xstrdup(name);
	out->key = xstrdup(name);
}

void jit_name_free(struct jit_name *n)
{
	free(n->function);
	free(n->key);
	free(n->file);
	memset(n, 0, sizeof(*n));
}

const struct jit_line *jit_code_line(const struct jit_code *code, uint64_t addr)
{
	size_t lo = 0, hi = code->nlines;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (code->lines[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &code->lines[lo - 1] : NULL;
}

/* ---- the map ---- */

static const char *kind_word(enum jitmap_kind kind)
{
	return kind == JITMAP_PERF_MAP ? "perf map" : "jitdump";
}

struct jitmap *jitmap_open_fd(enum jitmap_kind kind, int fd, const char *display,
			      const uid_t *owners, size_t nowners, char *err, size_t errlen)
{
	struct jitmap *jm;
	struct stat st;
	bool owned = false;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s %s is not a regular file; not read", kind_word(kind),
			 display);
		close(fd);
		errno = EPERM;
		return NULL;
	}
	owned = st.st_uid == 0;
	for (size_t i = 0; i < nowners && !owned; i++)
		owned = st.st_uid == owners[i];
	if (!owned) {
		/* as perf: a file in /tmp that another user made is not trusted */
		snprintf(err, errlen,
			 "%s %s is owned by uid %u, neither the target's user nor root; not read",
			 kind_word(kind), display, (unsigned)st.st_uid);
		close(fd);
		errno = EPERM;
		return NULL;
	}
	jm = xcalloc(1, sizeof(*jm));
	jm->until = UINT64_MAX;
	jm->kind = kind;
	jm->fd = fd;
	jm->display = xstrdup(display);
	jm->source = xasprintf("%s %s", kind_word(kind), display);
	return jm;
}

/* Why fd < 0, in err; errno kept (ENOENT: not there, yet). */
static void open_error(enum jitmap_kind kind, const char *display, char *err, size_t errlen)
{
	int e = errno;

	if (e == ELOOP)
		snprintf(err, errlen, "%s %s is a symbolic link; not read", kind_word(kind),
			 display);
	else
		snprintf(err, errlen, "%s %s: %s", kind_word(kind), display, strerror(e));
	errno = e;
}

struct jitmap *jitmap_open(enum jitmap_kind kind, const char *path, const char *display,
			   const uid_t *owners, size_t nowners, bool follow, char *err,
			   size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));

	if (fd < 0) {
		open_error(kind, display, err, errlen);
		return NULL;
	}
	return jitmap_open_fd(kind, fd, display, owners, nowners, err, errlen);
}

struct jitmap *jitmap_open_in_root(enum jitmap_kind kind, pid_t pid, const char *path,
				   const char *display, const uid_t *owners, size_t nowners,
				   char *err, size_t errlen)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char root[64];
	int dfd, fd;

	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		open_error(kind, display, err, errlen);
		return NULL;
	}
	/* the process's own root is the root for its symbolic links too */
	fd = (int)syscall(SYS_openat2, dfd, path[0] == '/' ? path + 1 : path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) { /* before Linux 5.6 */
		char *full = xasprintf("%s%s", root, path);

		fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
		free(full);
	}
	if (fd < 0) {
		open_error(kind, display, err, errlen);
		close(dfd);
		return NULL;
	}
	close(dfd);
	return jitmap_open_fd(kind, fd, display, owners, nowners, err, errlen);
}

static void code_clear(struct jit_code *c)
{
	free(c->name);
	free(c->lines);
}

static void jitmap_reset(struct jitmap *jm)
{
	for (size_t i = 0; i < jm->ncodes; i++)
		code_clear(&jm->codes[i]);
	jm->ncodes = 0;
	jm->committed = 0;
	jm->nranges = 0;
	jm->offset = 0;
	jm->line_no = 0;
	jm->header_read = false;
	jm->closed = false;
	jm->last_file = NULL;
	free(jm->pending.lines);
	memset(&jm->pending, 0, sizeof(jm->pending));
}

void jitmap_free(struct jitmap *jm)
{
	if (!jm)
		return;
	jitmap_reset(jm);
	if (jm->fd >= 0)
		close(jm->fd);
	for (size_t i = 0; i < jm->nfiles; i++)
		free(jm->files[i]);
	free(jm->files);
	free(jm->codes);
	free(jm->ranges);
	free(jm->buf);
	free(jm->warning);
	free(jm->display);
	free(jm->source);
	free(jm);
}

const char *jitmap_display(const struct jitmap *jm)
{
	return jm->display;
}

const char *jitmap_source(const struct jitmap *jm)
{
	return jm->source;
}

size_t jitmap_skipped(const struct jitmap *jm)
{
	return jm->skipped;
}

const char *jitmap_take_warning(struct jitmap *jm)
{
	if (!jm->warning || jm->warned)
		return NULL;
	jm->warned = true;
	return jm->warning;
}

void jitmap_warn(struct jitmap *jm, char *msg)
{
	if (jm->warning)
		free(msg);
	else
		jm->warning = msg;
}

static size_t range_find(const struct jitmap *jm, uint64_t addr)
{
	size_t lo = 0, hi = jm->nranges;

	/* the first range ending after addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (jm->ranges[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct jit_code *jitmap_lookup(const struct jitmap *jm, uint64_t addr)
{
	size_t i = range_find(jm, addr);

	if (i < jm->nranges && jm->ranges[i].start <= addr)
		return &jm->codes[jm->ranges[i].code];
	return NULL;
}

/* Whether code [start, start + size) overlaps code of another name. */
static bool overlaps_other(const struct jitmap *jm, const struct jit_code *c)
{
	for (size_t i = range_find(jm, c->start);
	     i < jm->nranges && jm->ranges[i].start < c->start + c->size; i++)
		if (strcmp(jm->codes[jm->ranges[i].code].name, c->name))
			return true;
	return false;
}

static int range_start_cmp(const void *a, const void *b)
{
	const struct jit_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int u64_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* A max-heap of item indices by their code (the later code on top). */
struct heap {
	uint32_t *v;
	size_t n;
	const struct jit_range *items;
};

static void heap_push(struct heap *h, uint32_t i)
{
	size_t k = h->n++;

	while (k > 0 && h->items[h->v[(k - 1) / 2]].code < h->items[i].code) {
		h->v[k] = h->v[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	h->v[k] = i;
}

static void heap_pop(struct heap *h)
{
	uint32_t last = h->v[--h->n];
	size_t k = 0;

	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->items[h->v[c + 1]].code > h->items[h->v[c]].code)
			c++;
		if (h->items[h->v[c]].code <= h->items[last].code)
			break;
		h->v[k] = h->v[c];
		k = c;
	}
	if (h->n)
		h->v[k] = last;
}

/* The ranges again from items (the old ranges and the new code): where
 * items overlap, the latest code wins. */
static void ranges_build(struct jitmap *jm, struct jit_range *items, size_t n)
{
	uint64_t *bounds = xcalloc(2 * n + 1, sizeof(*bounds));
	struct heap h = {.v = xcalloc(n + 1, sizeof(uint32_t)), .items = items};
	size_t nb = 0, next = 0, out = 0;

	if (n > 1) /* qsort's base may not be NULL, even for 0 */
		qsort(items, n, sizeof(*items), range_start_cmp);
	for (size_t i = 0; i < n; i++) {
		bounds[nb++] = items[i].start;
		bounds[nb++] = items[i].end;
	}
	if (nb > 1) /* qsort's base may not be NULL, even for 0 */
		qsort(bounds, nb, sizeof(*bounds), u64_cmp);
	jm->ranges = xrealloc(jm->ranges, (2 * n + 1) * sizeof(*jm->ranges));
	for (size_t k = 0; k < nb; k++) {
		struct jit_range *top;

		if (k + 1 < nb && bounds[k + 1] == bounds[k])
			continue; /* the last of equal bounds starts the range */
		while (next < n && items[next].start == bounds[k])
			heap_push(&h, (uint32_t)next++);
		while (h.n && items[h.v[0]].end <= bounds[k])
			heap_pop(&h);
		if (!h.n || k + 1 >= nb)
			continue;
		top = &items[h.v[0]];
		if (out && jm->ranges[out - 1].code == top->code &&
		    jm->ranges[out - 1].end == bounds[k])
			jm->ranges[out - 1].end = bounds[k + 1];
		else
			jm->ranges[out++] = (struct jit_range){bounds[k], bounds[k + 1], top->code};
	}
	jm->nranges = out;
	free(bounds);
	free(h.v);
}

/* Code [first, last) was read and is due: give it its generation and fold
 * it into the ranges. */
static void codes_commit(struct jitmap *jm, size_t first, size_t last)
{
	struct jit_range *items;
	size_t n = 0;
	bool conflict = false;

	if (first == last)
		return;
	for (size_t i = first; i < last && !conflict; i++)
		conflict = overlaps_other(jm, &jm->codes[i]);
	if (conflict)
		jm->generation++;
	items = xcalloc(jm->nranges + last - first, sizeof(*items));
	for (size_t i = 0; i < jm->nranges; i++)
		items[n++] = jm->ranges[i];
	for (size_t i = first; i < last; i++) {
		jm->codes[i].generation = jm->generation;
		items[n++] = (struct jit_range){
			jm->codes[i].start, jm->codes[i].start + jm->codes[i].size, (uint32_t)i};
	}
	ranges_build(jm, items, n);
	free(items);
}

/* Fold in the code read whose time has come (jitmap_until); true if any. */
static bool codes_due(struct jitmap *jm)
{
	size_t last = jm->committed;

	while (last < jm->ncodes && (!jm->codes[last].time || jm->codes[last].time <= jm->until))
		last++;
	codes_commit(jm, jm->committed, last);
	if (last == jm->committed)
		return false;
	jm->committed = last;
	return true;
}

bool jitmap_until(struct jitmap *jm, uint64_t until)
{
	if (!jm)
		return false;
	jm->until = until;
	return codes_due(jm);
}

struct jit_code *jitmap_code_add(struct jitmap *jm, uint64_t start, uint64_t size, char *name)
{
	struct jit_code *c;

	jm->codes = xgrow(jm->codes, &jm->codes_cap, jm->ncodes + 1, sizeof(*jm->codes));
	c = &jm->codes[jm->ncodes++];
	memset(c, 0, sizeof(*c));
	c->start = start;
	c->size = size;
	c->name = name;
	return c;
}

/* ---- perf map ---- */

static bool parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	int digits = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	*v = 0;
	for (; digits < 17; s++, digits++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		*v = *v << 4 | (uint64_t)d;
	}
	if (!digits || digits > 16)
		return false;
	*p = s;
	return true;
}

/* One line, without its newline: "START SIZE NAME". */
static bool perf_map_line(struct jitmap *jm, const char *line, size_t len)
{
	char *copy = xstrndup(line, len), *name;
	const char *p = copy;
	uint64_t start, size;
	size_t n;

	if (!parse_hex(&p, &start) || (*p != ' ' && *p != '\t'))
		goto bad;
	p += strspn(p, " \t");
	if (!parse_hex(&p, &size) || (*p != ' ' && *p != '\t') || !size || start + size < start)
		goto bad;
	p += strspn(p, " \t");
	n = strlen(p);
	while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
		n--;
	if (!n)
		goto bad;
	name = xstrndup(p, n);
	jitmap_code_add(jm, start, size, name);
	free(copy);
	return true;
bad:
	free(copy);
	return false;
}

static size_t perf_map_parse(struct jitmap *jm, const uint8_t *data, size_t len)
{
	size_t used = 0;

	while (used < len) {
		const uint8_t *nl = memchr(data + used, '\n', len - used);
		size_t n;

		if (!nl)
			break; /* a line being written: read it whole next time */
		n = (size_t)(nl - (data + used));
		jm->line_no++;
		if (n && !perf_map_line(jm, (const char *)data + used, n)) {
			if (!jm->skipped++)
				jitmap_warn(jm, xasprintf("perf map %s: line %" PRIu64
							  " is not \"START SIZE NAME\" in hex; "
							  "skipped, as any other such line",
							  jm->display, jm->line_no));
		}
		used += n + 1;
	}
	return used;
}

/* ---- reading ---- */

/* Read and parse the next chunk of the file (at most READ_CHUNK bytes of
 * the size bytes there are); false when no more can be read now. */
static bool read_chunk(struct jitmap *jm, uint64_t size)
{
	size_t want = size - jm->offset > READ_CHUNK ? READ_CHUNK : (size_t)(size - jm->offset);
	size_t got = 0, used;

	if (!want || (jm->kind == JITMAP_JITDUMP && jm->closed))
		return false;
	if (want > jm->buf_cap) {
		jm->buf = xrealloc(jm->buf, want);
		jm->buf_cap = want;
	}
	while (got < want) {
		ssize_t n = pread(jm->fd, jm->buf + got, want - got, (off_t)(jm->offset + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (jm->kind == JITMAP_PERF_MAP)
		used = perf_map_parse(jm, jm->buf, got);
	else
		used = jitdump_parse(jm, jm->buf, got);
	if (!used && got == READ_CHUNK && jm->kind == JITMAP_PERF_MAP) {
		/* a "line" longer than a chunk is no line: skipped */
		if (!jm->skipped++)
			jitmap_warn(jm, xasprintf("perf map %s: a line of more than %u bytes; "
						  "skipped, as any other such line",
						  jm->display, READ_CHUNK));
		used = got;
	}
	jm->offset += used;
	return used && got == want;
}

bool jitmap_update(struct jitmap *jm)
{
	struct stat st;

	if (jm->fd < 0 || fstat(jm->fd, &st) < 0)
		return false;
	if ((uint64_t)st.st_size < jm->offset) {
		/* truncated: written again from the start (a new process) */
		jitmap_reset(jm);
		jm->generation++;
	}
	while (read_chunk(jm, (uint64_t)st.st_size))
		;
	return codes_due(jm);
}
