/* JIT maps (jitmap): perf map lines, malformed and overlapping, read as the
 * file grows; a synthetic jitdump with code loads, line tables and a move;
 * headers that are refused; the names V8 and CPython write; the profile
 * locations symbols makes of them. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <asm/perf_regs.h>

#include "jitmap.h"
#include "profile.h"
#include "symbols.h"
#include "unwind.h"
#include "xalloc.h"

static char dir[64];

static char *path_in_dir(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *path, const char *mode, const void *data, size_t len)
{
	FILE *f = fopen(path, mode);

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static struct jitmap *open_map(enum jitmap_kind kind, const char *path)
{
	uid_t me = getuid();
	char err[512] = "";
	struct jitmap *jm = jitmap_open(kind, path, path, &me, 1, false, err, sizeof(err));

	if (!jm)
		fprintf(stderr, "jitmap_open: %s\n", err);
	assert_non_null(jm);
	return jm;
}

static void assert_named(const struct jitmap *jm, uint64_t addr, const char *name)
{
	const struct jit_code *c = jitmap_lookup(jm, addr);

	if (!name) {
		if (c)
			fprintf(stderr, "0x%llx: expected no code, saw %s\n",
				(unsigned long long)addr, c->name);
		assert_null(c);
		return;
	}
	if (!c)
		fprintf(stderr, "0x%llx: expected %s, saw no code\n", (unsigned long long)addr,
			name);
	assert_non_null(c);
	assert_string_equal(c->name, name);
}

static void test_name_parse(void **state)
{
	struct jit_name n;

	jit_name_parse("JS:*burnA /tmp/b.js:3:15", &n);
	assert_string_equal(n.function, "burnA");
	assert_string_equal(n.file, "/tmp/b.js");
	assert_int_equal(n.line, 3);
	assert_string_equal(n.key, "JS:burnA /tmp/b.js:3:15");
	jit_name_free(&n);

	/* every tier is the same function */
	jit_name_parse("JS:~burnA /tmp/b.js:3:15", &n);
	assert_string_equal(n.key, "JS:burnA /tmp/b.js:3:15");
	jit_name_free(&n);

	jit_name_parse("LazyCompile:~ /tmp/b.js:1:1", &n);
	assert_string_equal(n.function, "(anonymous)");
	assert_string_equal(n.file, "/tmp/b.js");
	assert_int_equal(n.line, 1);
	jit_name_free(&n);

	jit_name_parse("JS:^Module._load node:internal/modules/cjs/loader:938:24", &n);
	assert_string_equal(n.function, "Module._load");
	assert_string_equal(n.file, "node:internal/modules/cjs/loader");
	assert_int_equal(n.line, 938);
	jit_name_free(&n);

	jit_name_parse("py::fib:/home/u/fib.py", &n);
	assert_string_equal(n.function, "py::fib");
	assert_string_equal(n.file, "/home/u/fib.py");
	assert_int_equal(n.line, 0);
	jit_name_free(&n);

	jit_name_parse("Builtin:InterpreterEntryTrampoline", &n);
	assert_string_equal(n.function, "Builtin:InterpreterEntryTrampoline");
	assert_null(n.file);
	jit_name_free(&n);

	jit_name_parse("Lcom/example/Foo;.bar(I)V", &n);
	assert_string_equal(n.function, "Lcom/example/Foo;.bar(I)V");
	jit_name_free(&n);
}

static void test_perf_map(void **state)
{
	char *path = path_in_dir("perf-1.map");
	const char *text = "1000 100 first\n"
			   "zz 10 bad hex\n"
			   "2000 80\n"		       /* no name */
			   "0x3000 0x40 with prefix\n" /* perf accepts 0x */
			   "\n"
			   "1080 100 over first\n" /* later wins where it overlaps */
			   "4000 0 empty\n"	   /* no size */
			   "ffffffffffffff00 1000 wraps\n"
			   "5000 10 JS:*f /a.js:1:1\r\n";
	struct jitmap *jm;
	const char *w;

	write_file(path, "w", text, strlen(text));
	jm = open_map(JITMAP_PERF_MAP, path);
	assert_true(jitmap_update(jm));
	assert_named(jm, 0xfff, NULL);
	assert_named(jm, 0x1000, "first");
	assert_named(jm, 0x107f, "first");
	assert_named(jm, 0x1080, "over first");
	assert_named(jm, 0x117f, "over first");
	assert_named(jm, 0x1180, NULL);
	assert_named(jm, 0x2000, NULL);
	assert_named(jm, 0x3000, "with prefix");
	assert_named(jm, 0x303f, "with prefix");
	assert_named(jm, 0x5000, "JS:*f /a.js:1:1");
	assert_named(jm, 0x4000, NULL);
	assert_int_equal(jitmap_skipped(jm), 4); /* the empty line is no fault */
	/* one warning for the file, naming it and the first bad line */
	w = jitmap_take_warning(jm);
	assert_non_null(w);
	fprintf(stderr, "warning: %s\n", w);
	assert_non_null(strstr(w, path));
	assert_non_null(strstr(w, "line 2"));
	assert_null(strchr(w, '\n'));
	assert_null(jitmap_take_warning(jm));
	/* read at once, the overlapped part of "first" was never seen */
	assert_int_equal(jitmap_lookup(jm, 0x1000)->generation, 0);
	assert_int_equal(jitmap_lookup(jm, 0x1080)->generation, 0);
	assert_int_equal(strncmp(jitmap_source(jm), "perf map /", 10), 0);

	/* unchanged: nothing to read */
	assert_false(jitmap_update(jm));

	/* grows: a line being written is read once whole */
	write_file(path, "a", "6000 20 second\n7000 10 thi", 26);
	assert_true(jitmap_update(jm));
	assert_named(jm, 0x6010, "second");
	assert_named(jm, 0x7000, NULL);
	write_file(path, "a", "rd\n1000 80 first\n", 17);
	assert_true(jitmap_update(jm));
	assert_named(jm, 0x7000, "third");
	/* the same name again where it was: no new generation */
	assert_named(jm, 0x1000, "first");
	assert_named(jm, 0x1090, "over first");
	assert_int_equal(jitmap_lookup(jm, 0x6000)->generation, 0);
	assert_int_equal(jitmap_lookup(jm, 0x1000)->generation, 0);
	/* code of another name where code was seen: a later generation */
	write_file(path, "a", "1000 40 replaced\nbad\n", 21);
	assert_true(jitmap_update(jm));
	assert_named(jm, 0x1000, "replaced");
	assert_named(jm, 0x1040, "first");
	assert_int_equal(jitmap_lookup(jm, 0x1000)->generation, 1);
	assert_int_equal(jitmap_lookup(jm, 0x1040)->generation, 0);
	assert_int_equal(jitmap_skipped(jm), 5);
	assert_null(jitmap_take_warning(jm)); /* still one warning per file */

	/* written again from the start (truncated): the old code is gone */
	write_file(path, "w", "9000 10 new\n", 12);
	assert_true(jitmap_update(jm));
	assert_named(jm, 0x9000, "new");
	assert_named(jm, 0x6010, NULL);
	jitmap_free(jm);
	unlink(path);
	free(path);
}

/* Many overlapping entries: the answer is always the last line covering
 * an address (checked against a direct scan). */
static void test_perf_map_overlaps(void **state)
{
	char *path = path_in_dir("perf-2.map");
	uint64_t starts[400], sizes[400];
	FILE *f = fopen(path, "w");
	struct jitmap *jm;
	unsigned seed = 7;

	assert_non_null(f);
	for (int i = 0; i < 400; i++) {
		seed = seed * 1103515245 + 12345;
		starts[i] = 0x10000 + (seed >> 8) % 0x2000;
		seed = seed * 1103515245 + 12345;
		sizes[i] = 1 + (seed >> 8) % 0x200;
		fprintf(f, "%llx %llx f%d\n", (unsigned long long)starts[i],
			(unsigned long long)sizes[i], i);
	}
	fclose(f);
	jm = open_map(JITMAP_PERF_MAP, path);
	assert_true(jitmap_update(jm));
	for (uint64_t a = 0xff00; a < 0x12400; a += 3) {
		int want = -1;
		char name[16];

		for (int i = 0; i < 400; i++)
			if (a >= starts[i] && a < starts[i] + sizes[i])
				want = i;
		snprintf(name, sizeof(name), "f%d", want);
		assert_named(jm, a, want < 0 ? NULL : name);
	}
	jitmap_free(jm);
	unlink(path);
	free(path);
}

static void test_refused(void **state)
{
	char *path = path_in_dir("perf-3.map"), *link = path_in_dir("perf-4.map");
	char err[512] = "";
	uid_t other = 4242, me = getuid();

	write_file(path, "w", "1000 10 f\n", 10);
	assert_int_equal(symlink(path, link), 0);
	assert_null(jitmap_open(JITMAP_PERF_MAP, link, link, &me, 1, false, err, sizeof(err)));
	fprintf(stderr, "symlink: %s\n", err);
	assert_non_null(strstr(err, "symbolic link"));
	assert_null(strchr(err, '\n'));
	assert_null(jitmap_open(JITMAP_PERF_MAP, dir, dir, &me, 1, false, err, sizeof(err)));
	assert_non_null(strstr(err, "not a regular file"));
	if (getuid() == 0 && chown(path, 4243, 4243) == 0) {
		/* another user's file in /tmp is not trusted, root's is */
		assert_null(jitmap_open(JITMAP_PERF_MAP, path, path, &other, 1, false, err,
					sizeof(err)));
		fprintf(stderr, "owner: %s\n", err);
		assert_non_null(strstr(err, "uid 4243"));
		other = 4243;
		jitmap_free(jitmap_open(JITMAP_PERF_MAP, path, path, &other, 1, false, err,
					sizeof(err)));
	}
	unlink(link);
	unlink(path);
	free(link);
	free(path);
}

/* ---- a synthetic jitdump ---- */

struct buf {
	uint8_t *d;
	size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	b->d = xgrow(b->d, &b->cap, b->n + n, 1);
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put32(struct buf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put64(struct buf *b, uint64_t v)
{
	put(b, &v, 8);
}

static void dump_header(struct buf *b, uint32_t version, uint32_t mach)
{
	put32(b, 0x4A695444);
	put32(b, version);
	put32(b, 40);
	put32(b, mach);
	put32(b, 0);
	put32(b, 1234);
	put64(b, 1);
	put64(b, 0);
}

/* The records' timestamp (CLOCK_MONOTONIC ns) */
static uint64_t dump_time = 2;

/* A record: id, total size, timestamp, then the body. */
static void dump_record(struct buf *b, uint32_t id, const struct buf *body)
{
	put32(b, id);
	put32(b, (uint32_t)(16 + body->n));
	put64(b, dump_time);
	put(b, body->d, body->n);
}

static void dump_load(struct buf *b, uint64_t addr, uint64_t size, const char *name)
{
	struct buf r = {0};
	uint8_t code[16] = {0xc3};

	put32(&r, 1234);
	put32(&r, 1234);
	put64(&r, addr);
	put64(&r, addr);
	put64(&r, size);
	put64(&r, 7);
	put(&r, name, strlen(name) + 1);
	put(&r, code, sizeof(code));
	dump_record(b, 0, &r);
	free(r.d);
}

static void dump_debug(struct buf *b, uint64_t addr)
{
	struct buf r = {0};

	put64(&r, addr);
	put64(&r, 3);
	put64(&r, addr + 0x20); /* out of order: sorted on reading */
	put32(&r, 14);
	put32(&r, 0);
	put(&r, "/src/lib.js", 12);
	put64(&r, addr);
	put32(&r, 10);
	put32(&r, 0);
	put(&r, "/src/app.js", 12);
	put64(&r, addr + 0x10);
	put32(&r, 12);
	put32(&r, 0);
	put(&r, "\xff", 2); /* the previous entry's file */
	dump_record(b, 2, &r);
	free(r.d);
}

/* Node 20's V8: the names' lengths right, their bytes from freed memory. */
static void dump_debug_garbage(struct buf *b, uint64_t addr)
{
	static const char junk[3][12] = {"K}\x02\0\x8e\x7f\0\0\x03\0\xc2", "\0\0\0\0\0\0\0\0\0\0\0",
					 "M}\x02\0\x8e\x7f\0\0\x04\0\xc2"};
	struct buf r = {0};

	put64(&r, addr);
	put64(&r, 3);
	for (int i = 0; i < 3; i++) {
		put64(&r, addr + 0x10 * (uint64_t)i);
		put32(&r, i == 1 ? 4 : 3);
		put32(&r, 0);
		put(&r, junk[i], 12); /* 11 bytes and the NUL */
	}
	put32(&r, 0); /* V8 pads its records to 8 bytes */
	dump_record(b, 2, &r);
	free(r.d);
}

static void test_jitdump_garbage_names(void **state)
{
	char *path = path_in_dir("jit-1235.dump");
	struct buf b = {0};
	const struct jit_code *c;
	const struct jit_line *l;
	struct jitmap *jm;

	(void)state;
	dump_header(&b, 1, 62);
	dump_debug_garbage(&b, 0x40000);
	dump_load(&b, 0x40000, 0x40, "JS:*hot /src/app.js:9:1");
	write_file(path, "w", b.d, b.n);
	jm = open_map(JITMAP_JITDUMP, path);
	assert_true(jitmap_update(jm));
	assert_null(jitmap_take_warning(jm));
	c = jitmap_lookup(jm, 0x40000);
	assert_non_null(c);
	assert_int_equal(c->nlines, 3);
	l = jit_code_line(c, 0x40018);
	assert_non_null(l);
	assert_int_equal(l->line, 4);
	assert_null(l->file);
	assert_int_equal(l->unread_len, 11); /* strlen("/src/app.js") */
	l = jit_code_line(c, 0x40028);
	assert_int_equal(l->line, 3);
	jitmap_free(jm);
	free(b.d);
	unlink(path);
	free(path);
}

/* The jitdump in b written to path and read up to time until: "first"'s
 * code at 0x40000. */
static struct jitmap *timed_dump(const char *path, const struct buf *b, uint64_t until)
{
	struct jitmap *jm;

	dump_time = 2;
	write_file(path, "w", b->d, b->n);
	jm = open_map(JITMAP_JITDUMP, path);
	assert_false(jitmap_until(jm, until));
	assert_true(jitmap_update(jm));
	assert_named(jm, 0x40010, "JS:*first /src/a.js:1:1");
	return jm;
}

/* Code the JIT put where other code was: a sample is named by the code
 * that was there at its time (jitmap_until), whatever the file says by
 * the time it is read. */
static void test_jitdump_time(void **state)
{
	char *path = path_in_dir("jit-1236.dump");
	struct buf b = {0};
	struct jitmap *jm;

	(void)state;
	dump_header(&b, 1, 62);
	dump_time = 100;
	dump_load(&b, 0x40000, 0x40, "JS:*first /src/a.js:1:1");
	dump_time = 200;
	dump_load(&b, 0x40000, 0x40, "JS:*second /src/a.js:5:1");
	dump_time = UINT64_MAX - 1; /* no CLOCK_MONOTONIC time: due at once */
	dump_load(&b, 0x80000, 0x40, "odd clock");
	jm = timed_dump(path, &b, 150);
	assert_named(jm, 0x80000, NULL); /* behind the second, in the file's order */
	assert_false(jitmap_until(jm, 199));
	assert_true(jitmap_until(jm, 200));
	assert_named(jm, 0x40010, "JS:*second /src/a.js:5:1");
	assert_named(jm, 0x80000, "odd clock");
	jitmap_free(jm);
	unlink(path);

	/* the TSC's counts (the header's flag 1): no time, all due */
	b.n = 0;
	dump_header(&b, 1, 62);
	memset(b.d + 32, 0, 8);
	b.d[32] = 1;
	dump_time = 100;
	dump_load(&b, 0x40000, 0x40, "JS:*first /src/a.js:1:1");
	jm = timed_dump(path, &b, 50);
	jitmap_free(jm);
	unlink(path);
	free(b.d);
	free(path);
}

static void test_jitdump(void **state)
{
	char *path = path_in_dir("jit-1234.dump");
	struct buf b = {0}, mv = {0};
	const struct jit_code *c;
	const struct jit_line *l;
	struct jitmap *jm;
	size_t half;

	dump_header(&b, 1, 62);
	dump_debug(&b, 0x40000);
	dump_load(&b, 0x40000, 0x40, "JS:*hot /src/app.js:9:1");
	dump_load(&b, 0x50000, 0x20, "stub");
	write_file(path, "w", b.d, b.n);
	jm = open_map(JITMAP_JITDUMP, path);
	assert_true(jitmap_update(jm));
	assert_null(jitmap_take_warning(jm));
	assert_named(jm, 0x40000, "JS:*hot /src/app.js:9:1");
	assert_named(jm, 0x4003f, "JS:*hot /src/app.js:9:1");
	assert_named(jm, 0x40040, NULL);
	assert_named(jm, 0x50010, "stub");
	c = jitmap_lookup(jm, 0x40000);
	assert_int_equal(c->nlines, 3);
	l = jit_code_line(c, 0x40008);
	assert_non_null(l);
	assert_int_equal(l->line, 10);
	assert_string_equal(l->file, "/src/app.js");
	l = jit_code_line(c, 0x40018);
	assert_int_equal(l->line, 12);
	assert_string_equal(l->file, "/src/app.js");
	l = jit_code_line(c, 0x40030);
	assert_int_equal(l->line, 14);
	assert_string_equal(l->file, "/src/lib.js");
	assert_int_equal(jitmap_lookup(jm, 0x50000)->nlines, 0);
	assert_int_equal(strncmp(jitmap_source(jm), "jitdump /", 9), 0);

	/* a move, written in two halves: read once whole */
	b.n = 0;
	put32(&mv, 1234);
	put32(&mv, 1234);
	put64(&mv, 0x40000);
	put64(&mv, 0x40000);
	put64(&mv, 0x60000);
	put64(&mv, 0x40);
	put64(&mv, 7);
	dump_record(&b, 1, &mv);
	half = b.n / 2;
	write_file(path, "a", b.d, half);
	assert_false(jitmap_update(jm));
	assert_named(jm, 0x60000, NULL);
	write_file(path, "a", b.d + half, b.n - half);
	assert_true(jitmap_update(jm));
	assert_named(jm, 0x60000, "JS:*hot /src/app.js:9:1");
	l = jit_code_line(jitmap_lookup(jm, 0x60000), 0x60030);
	assert_non_null(l);
	assert_int_equal(l->line, 14);

	/* a malformed record: one warning, the rest not read */
	b.n = 0;
	put32(&b, 0);
	put32(&b, 3); /* shorter than its own header */
	put64(&b, 0);
	dump_load(&b, 0x70000, 0x10, "after");
	write_file(path, "a", b.d, b.n);
	assert_false(jitmap_update(jm));
	assert_named(jm, 0x70000, NULL);
	assert_non_null(jitmap_take_warning(jm));
	jitmap_free(jm);
	free(b.d);
	free(mv.d);
	unlink(path);
	free(path);
}

static void refused_header(uint32_t version, uint32_t mach, const char *expect)
{
	char *path = path_in_dir("jit-1.dump");
	struct buf b = {0};
	struct jitmap *jm;
	const char *w;

	dump_header(&b, version, mach);
	dump_load(&b, 0x40000, 0x40, "f");
	write_file(path, "w", b.d, b.n);
	jm = open_map(JITMAP_JITDUMP, path);
	assert_false(jitmap_update(jm));
	assert_named(jm, 0x40000, NULL);
	w = jitmap_take_warning(jm);
	assert_non_null(w);
	fprintf(stderr, "refused: %s\n", w);
	assert_non_null(strstr(w, expect));
	assert_non_null(strstr(w, path));
	assert_null(strchr(w, '\n'));
	assert_null(jitmap_take_warning(jm));
	/* it grows: still not read, not warned again */
	write_file(path, "a", b.d + 40, b.n - 40);
	assert_false(jitmap_update(jm));
	assert_null(jitmap_take_warning(jm));
	jitmap_free(jm);
	unlink(path);
	free(path);
	free(b.d);
}

static void test_jitdump_refused(void **state)
{
	refused_header(2, 62, "version 2");
	refused_header(1, 183, "machine 183");
}

/* Locations: the function from the JIT's name in the map's module, the
 * line from the line table; code replacing other code at the same address
 * keeps the earlier samples' names. */
static void test_symbols_jit(void **state)
{
	char *path = path_in_dir("perf-5.map");
	struct profile *p = profile_new();
	struct symbols *s = symbols_new(p);
	const struct prof_location *loc;
	const struct prof_function *fn;
	struct jitmap *jm;
	uint32_t a, b, c2, base;

	write_file(path, "w", "1000 100 JS:*burn /app/b.js:3:15\n", 33);
	jm = open_map(JITMAP_PERF_MAP, path);
	assert_true(jitmap_update(jm));
	a = symbols_jit_location(s, jm, jitmap_lookup(jm, 0x1010), 0x1010, false);
	loc = &p->locations[a];
	fn = &p->functions[p->lines[loc->first_line].function];
	assert_string_equal(fn->name, "burn");
	assert_string_equal(fn->file, "/app/b.js");
	assert_int_equal(fn->start_line, 3);
	assert_string_equal(p->modules[fn->module].path, path);
	base = fn->module;
	assert_non_null(p->modules[fn->module].symbols_from);
	assert_int_equal(strncmp(p->modules[fn->module].symbols_from, "perf map /", 10), 0);
	/* same address: the same location; a return address: the call before it */
	assert_int_equal(symbols_jit_location(s, jm, jitmap_lookup(jm, 0x1010), 0x1010, false), a);
	assert_int_equal(
		p->locations[symbols_jit_location(s, jm, jitmap_lookup(jm, 0x1010), 0x1010, true)]
			.address,
		0x100f);

	/* replaced by another tier of the same function, then by another one */
	write_file(path, "a", "1000 100 JS:^burn /app/b.js:3:15\n1000 80 JS:*other /app/b.js:9:1\n",
		   66);
	assert_true(jitmap_update(jm));
	b = symbols_jit_location(s, jm, jitmap_lookup(jm, 0x1010), 0x1010, false);
	assert_int_not_equal(a, b);
	assert_string_equal(p->functions[p->lines[p->locations[b].first_line].function].name,
			    "other");
	/* the first sample's location still names burn */
	assert_string_equal(p->functions[p->lines[p->locations[a].first_line].function].name,
			    "burn");
	/* the functions stay in the map's module; the location is in a generation */
	assert_int_equal(p->functions[p->lines[p->locations[b].first_line].function].module, base);
	assert_non_null(strstr(p->modules[p->locations[b].module].path, "(generation 1)"));
	/* the tail of the ^burn code past "other": burn again, one function for both tiers */
	c2 = symbols_jit_location(s, jm, jitmap_lookup(jm, 0x1090), 0x1090, false);
	assert_int_equal(p->lines[p->locations[c2].first_line].function,
			 p->lines[p->locations[a].first_line].function);

	jitmap_free(jm);
	symbols_free(s);
	profile_free(p);
	unlink(path);
	free(path);
}

/* Mixed unwinding through JIT code: frames in anonymous executable memory
 * (no image, no CFI) are stepped through their frame pointers, from code
 * to code, up the copied stack; a frame pointer below the stack pointer,
 * outside the copy, or a return address in data stops the unwind. */
#define JIT_LO	 0x10000000ull
#define JIT_HI	 0x10010000ull
#define DATA_LO	 0x20000000ull
#define STACK_AT 0x7ff000000000ull

static size_t fp_unwind(uint64_t *words, size_t nwords, uint64_t ip, uint64_t bp, uint64_t *pcs,
			bool *truncated)
{
	struct procmap *pm = procmap_new();
	struct unwinder *u = unwinder_new(pm);
	struct map_entry maps[2] = {
		{.start = JIT_LO, .end = JIT_HI, .prot = PROT_READ | PROT_EXEC, .name = "//anon"},
		{.start = DATA_LO,
		 .end = DATA_LO + 0x1000,
		 .prot = PROT_READ | PROT_WRITE,
		 .name = "//anon"},
	};
	struct proc_space ps = {.pid = 1, .maps = maps, .nmaps = 2, .generation = 1};
	struct unwind_snapshot snap = {.stack = (const uint8_t *)words, .stack_len = nwords * 8};
	size_t n;

	snap.regs[PERF_REG_X86_IP] = ip;
	snap.regs[PERF_REG_X86_SP] = STACK_AT;
	snap.regs[PERF_REG_X86_BP] = bp;
	n = unwinder_unwind(u, &ps, &snap, pcs, 16, truncated);
	if (ps.unwind_free)
		ps.unwind_free(ps.unwind_priv);
	unwinder_free(u);
	procmap_free(pm);
	return n;
}

static void test_fp_unwind(void **state)
{
	/* stack words at STACK_AT + 8 * i: frames at 2 and 6, then the end */
	uint64_t w[10] = {0}, pcs[16];
	bool truncated;
	size_t n;

	w[2] = STACK_AT + 6 * 8; /* frame 1: caller's bp, return address */
	w[3] = JIT_LO + 0x200;
	w[6] = 0; /* frame 2: the outermost (return address 0) */
	w[7] = JIT_LO + 0x300;
	w[8] = 0;
	n = fp_unwind(w, 10, JIT_LO + 0x100, STACK_AT + 2 * 8, pcs, &truncated);
	assert_int_equal(n, 3);
	assert_int_equal(pcs[0], JIT_LO + 0x100);
	assert_int_equal(pcs[1], JIT_LO + 0x200);
	assert_int_equal(pcs[2], JIT_LO + 0x300);
	assert_true(truncated); /* frame 2's bp (0) is no frame pointer */

	/* a return address in data: not a frame */
	w[7] = DATA_LO + 0x10;
	n = fp_unwind(w, 10, JIT_LO + 0x100, STACK_AT + 2 * 8, pcs, &truncated);
	assert_int_equal(n, 2);
	assert_true(truncated);

	/* a frame pointer below the stack pointer, or past the copy */
	n = fp_unwind(w, 10, JIT_LO + 0x100, STACK_AT - 16, pcs, &truncated);
	assert_int_equal(n, 1);
	assert_true(truncated);
	n = fp_unwind(w, 10, JIT_LO + 0x100, STACK_AT + 9 * 8, pcs, &truncated);
	assert_int_equal(n, 1);
	assert_true(truncated);

	/* a frame pointer whose frame says "outermost" */
	w[2] = 0;
	w[3] = 0;
	n = fp_unwind(w, 10, JIT_LO + 0x100, STACK_AT + 2 * 8, pcs, &truncated);
	assert_int_equal(n, 1);
	assert_false(truncated);

	/* a sampled IP in data is not unwound by guess */
	w[3] = JIT_LO + 0x200;
	n = fp_unwind(w, 10, DATA_LO + 0x20, STACK_AT + 2 * 8, pcs, &truncated);
	assert_int_equal(n, 1);
	assert_true(truncated);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_parse),
		cmocka_unit_test(test_perf_map),
		cmocka_unit_test(test_perf_map_overlaps),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_jitdump),
		cmocka_unit_test(test_jitdump_time),
		cmocka_unit_test(test_jitdump_garbage_names),
		cmocka_unit_test(test_jitdump_refused),
		cmocka_unit_test(test_symbols_jit),
		cmocka_unit_test(test_fp_unwind),
	};
	int failed;

	snprintf(dir, sizeof(dir), "%s", "/tmp/test-jitmap.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return failed ? 1 : 0;
}
