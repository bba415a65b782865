#include "config.h"

/* annotate: the source view and the disassembly of functions of this very
 * program, over profiles built by hand at its real file:line positions and
 * its real code addresses. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annotate.h"
#include "profile.h"
#include "query.h"
#include "report.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NOIPA __attribute__((noipa))
#else
#define NOIPA __attribute__((noinline))
#endif

/* ---- code to annotate: line numbers are part of the test ---- */

static volatile int sink = 1;
static uintptr_t callee_ret; /* where callee_fn returns to in hot_function */

static NOIPA void callee_fn(int x)
{
	callee_ret = (uintptr_t)__builtin_return_address(0);
	sink = x;
}

enum { HOT_LINE = __LINE__ + 1 };
static NOIPA int hot_function(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += i * sink;
	callee_fn(s);
	return s + (int)getppid();
}
enum {
	HOT_LOOP = HOT_LINE + 4,
	HOT_BODY = HOT_LINE + 5,
	HOT_CALL = HOT_LINE + 6,
	HOT_RETURN = HOT_LINE + 7,
	HOT_END = HOT_LINE + 8,
};

/* A byte that is no x86-64 instruction (0x06, push %es, is invalid in
 * 64-bit mode), then a return: disassembly must step over it. */
__asm__(".pushsection .text.annot_bad_fn,\"ax\",@progbits\n"
	".type annot_bad_fn, @function\n"
	"annot_bad_fn:\n"
	"	.byte 0x06\n"
	"	ret\n"
	".size annot_bad_fn, .-annot_bad_fn\n"
	".popsection\n");

/* ---- the program's own image ---- */

struct found_object {
	uintptr_t addr, bias;
	bool found;
};

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct found_object *fo = data;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && fo->addr >= start && fo->addr < start + ph->p_memsz) {
			fo->bias = info->dlpi_addr;
			fo->found = true;
			return 1;
		}
	}
	return 0;
}

/* The ELF virtual address of a runtime address of this program. */
static uint64_t vaddr_of(uintptr_t addr)
{
	struct found_object fo = {.addr = addr};

	dl_iterate_phdr(find_object_cb, &fo);
	assert_true(fo.found);
	return addr - fo.bias;
}

static char exe_path[PATH_MAX], src_path[PATH_MAX];

static int setup_group(void **state)
{
	if (!realpath("/proc/self/exe", exe_path))
		return -1;
	/* __FILE__ is relative to where the compiler ran: the build directory */
	if (!realpath(__FILE__, src_path))
		return -1;
	hot_function(10); /* sets callee_ret */
	return 0;
}

/* ---- profiles by hand ---- */

struct fixture {
	struct profile *p;
	struct annot_cache *c;
	uint32_t mod, hot, callee, caller;
};

static int setup_fixture(void **state, bool with_hot)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->p = profile_new();
	f->c = annot_cache_new();
	f->mod = profile_intern_module(f->p, exe_path, NULL);
	f->hot = with_hot ? profile_intern_function(f->p, "hot_function", "hot_function", src_path,
						    HOT_LINE, f->mod)
			  : PROF_NONE;
	f->callee = profile_intern_function(f->p, "callee_fn", "callee_fn", src_path, 0, f->mod);
	f->caller = profile_intern_function(f->p, "main", "main", src_path, 1, f->mod);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_fixture(state, true);
}

/* Without hot_function: the report tests add their own. */
static int setup_bare(void **state)
{
	return setup_fixture(state, false);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	annot_cache_free(f->c);
	profile_free(f->p);
	free(f);
	return 0;
}

static uint32_t loc_at(struct fixture *f, uint32_t fn, const char *file, int line, uint64_t addr)
{
	struct prof_line l = {fn, file, line};

	return profile_intern_location(f->p, f->mod, addr, &l, 1);
}

static void add_samples(struct fixture *f, const uint32_t *locs, size_t n, int count)
{
	uint32_t st = profile_intern_stack(f->p, locs, n);

	for (int i = 0; i < count; i++)
		profile_add_sample(f->p, (uint64_t)i * 1000, 1, st, 1000000, 0);
}

static size_t row_of_line(const struct annot_source *s, int line)
{
	for (size_t i = 0; i < s->main_n; i++)
		if (s->rows[i].line == line)
			return i;
	fail_msg("line %d is not in the view (lines %d..%d)", line, s->first_line, s->last_line);
	return ANNOT_NONE;
}

static void assert_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("expected text containing \"%s\", saw \"%s\"", part, s ? s : "(null)");
}

/* hot_function at its own lines: the loop body hot, the call line calling. */
static void source_profile(struct fixture *f)
{
	uint32_t body = loc_at(f, f->hot, src_path, HOT_BODY, 0x10);
	uint32_t loop = loc_at(f, f->hot, src_path, HOT_LOOP, 0x11);
	uint32_t call = loc_at(f, f->hot, src_path, HOT_CALL, 0x12);
	uint32_t in_callee = loc_at(f, f->callee, src_path, 40, 0x20);
	uint32_t top = loc_at(f, f->caller, src_path, 1, 0x30);

	add_samples(f, (uint32_t[]){body, top}, 2, 70);
	add_samples(f, (uint32_t[]){loop, top}, 2, 20);
	add_samples(f, (uint32_t[]){in_callee, call, top}, 3, 10);
}

/* ---- the source view ---- */

static void test_source_view(void **state)
{
	struct fixture *f = *state;
	struct annot_source s;
	size_t body, loop, call;

	source_profile(f);
	assert_int_equal(annot_source_build(f->c, f->p, NULL, f->hot, &s), 0);
	assert_true(s.readable);
	assert_null(s.error);
	assert_string_equal(s.file, src_path);
	/* from the opening line to the closing brace, every line */
	assert_int_equal(s.first_line, HOT_LINE);
	assert_int_equal(s.last_line, HOT_END);
	assert_int_equal(s.main_n, HOT_END - HOT_LINE + 1);
	assert_int_equal(s.n, s.main_n);
	for (size_t i = 0; i < s.n; i++)
		assert_int_equal(s.rows[i].line, HOT_LINE + (int)i);
	assert_contains(s.rows[0].text, "hot_function(int n)");
	assert_string_equal(s.rows[s.n - 1].text, "}");

	body = row_of_line(&s, HOT_BODY);
	loop = row_of_line(&s, HOT_LOOP);
	call = row_of_line(&s, HOT_CALL);
	/* tabs expanded to 8 columns: two tabs of indentation */
	assert_string_equal(s.rows[body].text, "                s += i * sink;");
	assert_int_equal(s.rows[body].self_samples, 70);
	assert_int_equal(s.rows[body].total_samples, 70);
	assert_true(s.rows[body].hottest);
	assert_int_equal(s.hottest, body);
	assert_float_equal(s.rows[body].heat, 0.7, 1e-9);
	assert_float_equal(s.rows[loop].heat, 0.2, 1e-9);
	assert_int_equal(s.rows[call].self_samples, 0);
	assert_int_equal(s.rows[call].total_samples, 10);
	assert_int_equal(s.rows[call].callee, f->callee);
	assert_int_equal(s.rows[call].inlined, PROF_NONE);
	assert_int_equal(s.rows[0].total_samples, 0);
	assert_float_equal(s.rows[0].heat, 0.0, 0);
	assert_int_equal(s.total_samples, 100);
	assert_int_equal(s.self_samples, 90);
	assert_int_equal(s.self_ns, 90 * 1000000ull);

	/* n / N: sampled rows in order, wrapping */
	assert_int_equal(annot_source_next_hot(&s, ANNOT_NONE, false), loop);
	assert_int_equal(annot_source_next_hot(&s, loop, false), body);
	assert_int_equal(annot_source_next_hot(&s, body, false), call);
	assert_int_equal(annot_source_next_hot(&s, call, false), loop);
	assert_int_equal(annot_source_next_hot(&s, ANNOT_NONE, true), call);
	assert_int_equal(annot_source_next_hot(&s, loop, true), call);
	assert_int_equal(annot_source_next_hot(&s, 0, false), loop);
	annot_source_free(&s);
}

/* A time filter changes the counts, not the text. */
static void test_source_filter(void **state)
{
	struct fixture *f = *state;
	struct query_filter flt = {.t_from = 0, .t_to = 5000}; /* the first 5 of each run */
	struct annot_source s;

	source_profile(f);
	assert_int_equal(annot_source_build(f->c, f->p, &flt, f->hot, &s), 0);
	assert_int_equal(s.total_samples, 15);
	assert_int_equal(s.rows[row_of_line(&s, HOT_BODY)].self_samples, 5);
	assert_float_equal(s.rows[row_of_line(&s, HOT_BODY)].heat, 1.0 / 3, 1e-9);
	annot_source_free(&s);
}

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/proftop-annot-XXXXXX");
	int fd = mkstemp(path);
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* Control bytes and broken UTF-8 never reach the terminal; the file is
 * read once (a changed file is not re-read until the cache is cleared). */
static void test_source_sanitized_and_cached(void **state)
{
	struct fixture *f = *state;
	char *path = write_temp("int f(void)\n{\n\tx = 1;\x1b[2J\n\t\"caf\xc3\xa9 \xff\xfe\";\n"
				"}\n");
	uint32_t fn = profile_intern_function(f->p, "f", "f", path, 1, f->mod);
	uint32_t l3 = loc_at(f, fn, path, 3, 0x40), l4 = loc_at(f, fn, path, 4, 0x41);
	struct annot_source s;
	FILE *fp;

	add_samples(f, (uint32_t[]){l3}, 1, 3);
	add_samples(f, (uint32_t[]){l4}, 1, 1);
	assert_int_equal(annot_source_build(f->c, f->p, NULL, fn, &s), 0);
	assert_int_equal(s.first_line, 1);
	assert_int_equal(s.last_line, 5);
	assert_string_equal(s.rows[2].text, "        x = 1;?[2J");
	assert_string_equal(s.rows[3].text, "        \"caf\xc3\xa9 ??\";");
	assert_int_equal(s.hottest, 2);
	annot_source_free(&s);

	fp = fopen(path, "w");
	fputs("changed\n", fp);
	fclose(fp);
	assert_int_equal(annot_source_build(f->c, f->p, NULL, fn, &s), 0);
	assert_string_equal(s.rows[2].text, "        x = 1;?[2J");
	annot_source_free(&s);
	annot_cache_clear(f->c);
	assert_int_equal(annot_source_build(f->c, f->p, NULL, fn, &s), 0);
	assert_string_equal(s.rows[0].text, "changed");
	assert_string_equal(s.rows[2].text, ""); /* past the end of the file now */
	annot_source_free(&s);
	unlink(path);
	free(path);
}

/* No file: an error naming it, and still the sampled lines with counts. */
static void test_source_unreadable(void **state)
{
	struct fixture *f = *state;
	uint32_t fn =
		profile_intern_function(f->p, "gone", "gone", "/nonexistent/gone.c", 10, f->mod);
	uint32_t a = loc_at(f, fn, "/nonexistent/gone.c", 12, 0x50);
	uint32_t b = loc_at(f, fn, "/nonexistent/gone.c", 15, 0x51);
	struct annot_source s;

	add_samples(f, (uint32_t[]){a}, 1, 2);
	add_samples(f, (uint32_t[]){b}, 1, 6);
	assert_int_equal(annot_source_build(f->c, f->p, NULL, fn, &s), -1);
	assert_false(s.readable);
	assert_contains(s.error, "/nonexistent/gone.c");
	assert_contains(s.error, "No such file");
	assert_int_equal(s.n, 2);
	assert_int_equal(s.rows[0].line, 12);
	assert_null(s.rows[0].text);
	assert_int_equal(s.rows[1].self_samples, 6);
	assert_int_equal(s.hottest, 1);
	annot_source_free(&s);
}

/* A reopened session brings the lines around its samples: they are used
 * where the file is gone, lines it did not keep are empty. */
static void test_source_saved(void **state)
{
	struct fixture *f = *state;
	const char *path = "/nonexistent/saved.c";
	uint32_t fn = profile_intern_function(f->p, "saved", "saved", path, 2, f->mod);
	uint32_t a = loc_at(f, fn, path, 3, 0x60), b = loc_at(f, fn, path, 5, 0x61);
	struct annot_source s;

	f->p->sources = calloc(2, sizeof(*f->p->sources));
	f->p->nsources = f->p->sources_cap = 2;
	f->p->sources[0] =
		(struct prof_source_line){profile_str(f->p, path), 3, profile_str(f->p, "\tx++;")};
	f->p->sources[1] = (struct prof_source_line){profile_str(f->p, path), 5,
						     profile_str(f->p, "\treturn x;")};
	add_samples(f, (uint32_t[]){a}, 1, 1);
	add_samples(f, (uint32_t[]){b}, 1, 2);
	assert_int_equal(annot_source_build(f->c, f->p, NULL, fn, &s), 0);
	assert_true(s.readable);
	assert_int_equal(s.first_line, 2);
	assert_int_equal(s.main_n, 4); /* 2..5: the end of the kept text */
	assert_string_equal(s.rows[0].text, "");
	assert_string_equal(s.rows[1].text, "        x++;");
	assert_string_equal(s.rows[2].text, "");
	assert_string_equal(s.rows[3].text, "        return x;");
	assert_int_equal(s.hottest, 3);
	annot_source_free(&s);
}

/* Sampled lines in another file (a header) follow the main range. */
static void test_source_other_file(void **state)
{
	struct fixture *f = *state;
	uint32_t body = loc_at(f, f->hot, src_path, HOT_BODY, 0x10);
	uint32_t hdr = loc_at(f, f->hot, "/usr/include/stdio.h", 30, 0x11);
	uint32_t unknown = loc_at(f, f->hot, NULL, 0, 0x12);
	struct annot_source s;

	add_samples(f, (uint32_t[]){body}, 1, 5);
	add_samples(f, (uint32_t[]){hdr}, 1, 3);
	add_samples(f, (uint32_t[]){unknown}, 1, 2);
	assert_int_equal(annot_source_build(f->c, f->p, NULL, f->hot, &s), 0);
	assert_int_equal(s.n, s.main_n + 2);
	assert_string_equal(s.rows[s.main_n].file, "/usr/include/stdio.h");
	assert_int_equal(s.rows[s.main_n].line, 30);
	assert_int_equal(s.rows[s.main_n].self_samples, 3);
	assert_null(s.rows[s.main_n + 1].file);
	assert_int_equal(s.rows[s.main_n + 1].line, 0);
	assert_int_equal(s.rows[s.main_n + 1].self_samples, 2);
	annot_source_free(&s);
}

/* ---- the disassembly ---- */

static size_t insn_at(const struct annot_disasm *d, uint64_t addr)
{
	for (size_t i = 0; i < d->n; i++)
		if (addr >= d->insns[i].address && addr < d->insns[i].address + d->insns[i].size)
			return i;
	fail_msg("no instruction at 0x%llx in [0x%llx, 0x%llx)", (unsigned long long)addr,
		 (unsigned long long)d->start, (unsigned long long)d->end);
	return ANNOT_NONE;
}

static void test_disasm(void **state)
{
	struct fixture *f = *state;
	uint64_t entry = vaddr_of((uintptr_t)&hot_function);
	uint64_t ret = vaddr_of(callee_ret); /* the instruction after the call */
	uint64_t callee_entry = vaddr_of((uintptr_t)&callee_fn);
	uint32_t l_entry = loc_at(f, f->hot, src_path, HOT_LINE, entry);
	uint32_t l_call = loc_at(f, f->hot, src_path, HOT_CALL, ret - 1);
	uint32_t l_after = loc_at(f, f->hot, src_path, HOT_RETURN, ret);
	uint32_t l_callee = loc_at(f, f->callee, src_path, 40, callee_entry);
	struct annot_disasm d;
	size_t i_entry, i_call, i_after, plt = ANNOT_NONE;
	char bytes[64];

	add_samples(f, (uint32_t[]){l_entry}, 1, 30);
	add_samples(f, (uint32_t[]){l_callee, l_call}, 2, 50);
	add_samples(f, (uint32_t[]){l_after}, 1, 20);
	if (annot_disasm_build(f->c, f->p, NULL, f->hot, &d) != 0)
		fail_msg("disassembly failed: %s", d.error);
	assert_null(d.error);
	assert_string_equal(d.path, exe_path);
	assert_string_equal(d.symbol, "hot_function");
	assert_int_equal(d.start, entry);
	assert_true(d.end > ret);
	assert_int_equal(d.insns[0].address, entry);

	i_entry = insn_at(&d, entry);
	i_call = insn_at(&d, ret - 1);
	i_after = insn_at(&d, ret);
	assert_int_equal(i_entry, 0);
	assert_int_equal(d.insns[i_call].address + d.insns[i_call].size, ret);
	assert_true(d.insns[i_call].is_call);
	assert_int_equal(strncmp(d.insns[i_call].mnemonic, "call", 4), 0); /* callq in AT&T */
	assert_int_equal(d.insns[i_call].target, callee_entry);
	assert_int_equal(d.insns[i_call].callee, f->callee);
	assert_string_equal(d.insns[i_call].callee_name, "callee_fn");
	/* the call's source line, from this program's DWARF */
	assert_int_equal(d.insns[i_call].line, HOT_CALL);
	assert_contains(d.insns[i_call].file, "test-annotate.c");
	/* e8 rel32: a direct call is five bytes, "e8 .. .. .. .." */
	assert_int_equal(d.insns[i_call].size, 5);
	assert_string_equal(annot_format_bytes(&d.insns[i_call], bytes, sizeof(bytes)),
			    (snprintf(bytes + 32, 32, "e8 %02x %02x %02x %02x",
				      d.insns[i_call].bytes[1], d.insns[i_call].bytes[2],
				      d.insns[i_call].bytes[3], d.insns[i_call].bytes[4]),
			     bytes + 32));

	/* counts: self at the leaf, total once per sample at any frame */
	assert_int_equal(d.insns[i_entry].self_samples, 30);
	assert_int_equal(d.insns[i_entry].total_samples, 30);
	assert_int_equal(d.insns[i_call].self_samples, 0);
	assert_int_equal(d.insns[i_call].total_samples, 50);
	assert_int_equal(d.insns[i_after].self_samples, 20);
	assert_int_equal(d.self_samples, 50);
	assert_int_equal(d.total_samples, 100);
	assert_int_equal(d.outside_samples, 0);
	assert_float_equal(d.insns[i_call].heat, 0.5, 1e-9);
	assert_int_equal(d.hottest, i_entry);
	assert_true(d.insns[i_entry].hottest);
	assert_false(d.insns[i_call].hottest);

	assert_int_equal(annot_disasm_next_hot(&d, ANNOT_NONE, false), i_entry);
	assert_int_equal(annot_disasm_next_hot(&d, i_entry, false), i_call);
	assert_int_equal(annot_disasm_next_hot(&d, i_call, false), i_after);
	assert_int_equal(annot_disasm_next_hot(&d, i_after, false), i_entry);
	assert_int_equal(annot_disasm_next_hot(&d, i_entry, true), i_after);

	/* getppid() is called through the PLT (or the GOT with -fno-plt) */
	for (size_t i = 0; i < d.n; i++)
		if (d.insns[i].is_call && d.insns[i].callee_name &&
		    !strncmp(d.insns[i].callee_name, "getppid", 7))
			plt = i;
	if (plt == ANNOT_NONE)
		fail_msg("no call named getppid in hot_function");
	assert_int_equal(d.insns[plt].callee, PROF_NONE);
	annot_disasm_free(&d);
}

/* The second build of the same function reuses the disassembly. */
static void test_disasm_cached(void **state)
{
	struct fixture *f = *state;
	uint64_t entry = vaddr_of((uintptr_t)&hot_function);
	uint32_t l_entry = loc_at(f, f->hot, src_path, HOT_LINE, entry);
	struct annot_disasm a, b;

	add_samples(f, (uint32_t[]){l_entry}, 1, 3);
	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, f->hot, &a), 0);
	add_samples(f, (uint32_t[]){l_entry}, 1, 4);
	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, f->hot, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_ptr_equal(a.insns[0].mnemonic, b.insns[0].mnemonic);
	assert_int_equal(a.insns[0].self_samples, 3);
	assert_int_equal(b.insns[0].self_samples, 7);
	annot_disasm_free(&a);
	annot_disasm_free(&b);
}

/* Nothing sampled: the symbol of the function's name gives the range. */
static void test_disasm_by_name(void **state)
{
	struct fixture *f = *state;
	struct annot_disasm d;

	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, f->callee, &d), 0);
	assert_int_equal(d.start, vaddr_of((uintptr_t)&callee_fn));
	assert_int_equal(d.hottest, ANNOT_NONE);
	assert_int_equal(d.total_samples, 0);
	assert_int_equal(annot_disasm_next_hot(&d, ANNOT_NONE, false), ANNOT_NONE);
	assert_string_equal(d.insns[d.n - 1].mnemonic, "retq");
	annot_disasm_free(&d);
}

static void test_disasm_undecodable(void **state)
{
	struct fixture *f = *state;
	uint32_t fn =
		profile_intern_function(f->p, "annot_bad_fn", "annot_bad_fn", NULL, 0, f->mod);
	struct annot_disasm d;

	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, fn, &d), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.insns[0].mnemonic, "(bad)");
	assert_string_equal(d.insns[0].operands, ".byte 0x06");
	assert_int_equal(d.insns[0].size, 1);
	assert_int_equal(d.insns[1].address, d.start + 1);
	assert_string_equal(d.insns[1].mnemonic, "retq");
	annot_disasm_free(&d);
}

/* A sample of the function far outside its symbol is counted apart. */
static void test_disasm_outside(void **state)
{
	struct fixture *f = *state;
	uint64_t entry = vaddr_of((uintptr_t)&hot_function);
	uint32_t in = loc_at(f, f->hot, src_path, HOT_LINE, entry);
	uint32_t far = loc_at(f, f->hot, src_path, HOT_LINE, entry + (64u << 20));
	struct annot_disasm d;

	add_samples(f, (uint32_t[]){in}, 1, 2);
	add_samples(f, (uint32_t[]){far}, 1, 5);
	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, f->hot, &d), 0);
	assert_int_equal(d.start, entry);
	assert_int_equal(d.total_samples, 2);
	assert_int_equal(d.outside_samples, 5);
	annot_disasm_free(&d);
}

static void test_disasm_errors(void **state)
{
	struct fixture *f = *state;
	uint32_t kmod = profile_intern_module(f->p, "[kernel]", NULL);
	uint32_t kfn = profile_intern_function(f->p, "[kernel]", NULL, NULL, 0, kmod);
	uint32_t gmod = profile_intern_module(f->p, "/nonexistent/libgone.so", NULL);
	uint32_t gfn = profile_intern_function(f->p, "gone", "gone", NULL, 0, gmod);
	uint32_t tmod = profile_intern_module(f->p, src_path, NULL);
	uint32_t tfn = profile_intern_function(f->p, "text", "text", NULL, 0, tmod);
	uint32_t nfn =
		profile_intern_function(f->p, "no_such_symbol", "no_such_symbol", NULL, 0, f->mod);
	uint32_t bmod = profile_intern_module(f->p, exe_path, "00112233");
	uint32_t bfn = profile_intern_function(f->p, "hot_function", "hot_function", NULL, 0, bmod);
	struct annot_disasm d;

	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, kfn, &d), -1);
	assert_contains(d.error, "[kernel]");
	annot_disasm_free(&d);
	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, gfn, &d), -1);
	assert_contains(d.error, "cannot open /nonexistent/libgone.so");
	annot_disasm_free(&d);
	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, tfn, &d), -1);
	assert_contains(d.error, "not an x86-64 ELF file");
	annot_disasm_free(&d);
	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, nfn, &d), -1);
	assert_contains(d.error, "no symbol");
	annot_disasm_free(&d);
	assert_int_equal(annot_disasm_build(f->c, f->p, NULL, bfn, &d), -1);
	assert_contains(d.error, "build-id differs");
	annot_disasm_free(&d);
}

/* ---- report --lines: the machine code when the source is missing, or asked for ---- */

static char *report_to_string(const struct profile *p, const struct report_opts *o, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	*rc = report_write(out, p, o);
	fclose(out);
	return buf;
}

/* hot_function sampled at its real entry and call, its source at path. */
static uint32_t report_profile(struct fixture *f, const char *path)
{
	uint32_t fn = profile_intern_function(f->p, "hot_function", "hot_function", path, HOT_LINE,
					      f->mod);
	uint32_t entry = loc_at(f, fn, path, HOT_LINE, vaddr_of((uintptr_t)&hot_function));
	uint32_t call = loc_at(f, fn, path, HOT_CALL, vaddr_of(callee_ret) - 1);
	uint32_t in_callee = loc_at(f, f->callee, src_path, 40, vaddr_of((uintptr_t)&callee_fn));

	add_samples(f, (uint32_t[]){entry}, 1, 6);
	add_samples(f, (uint32_t[]){in_callee, call}, 2, 4);
	return fn;
}

static void test_report_fallback(void **state)
{
	struct fixture *f = *state;
	struct report_opts o = {.lines_func = "hot_function", .format = REPORT_TEXT};
	char *text;
	int rc;

	report_profile(f, "/nonexistent/hot.c");
	text = report_to_string(f->p, &o, &rc);
	assert_int_equal(rc, 0);
	assert_contains(text, "Machine code of hot_function");
	assert_contains(text,
			"(source not available: /nonexistent/hot.c: No such file or directory)");
	assert_contains(text, "<hot_function>");
	assert_contains(text, "-> callee_fn");
	/* the entry instruction is the hottest: 6 of 10 samples */
	assert_contains(text, "*   0.006    0.006   60.0%");
	assert_null(strstr(text, "Source lines of"));
	free(text);
}

static void test_report_disasm_asked(void **state)
{
	struct fixture *f = *state;
	struct report_opts o = {
		.lines_func = "hot_function", .format = REPORT_TEXT, .disasm = true};
	char *text, *line;
	size_t rows = 0;
	int rc;

	report_profile(f, src_path);
	text = report_to_string(f->p, &o, &rc);
	assert_int_equal(rc, 0);
	assert_contains(text, "Machine code of hot_function");
	assert_null(strstr(text, "source not available"));
	free(text);

	/* without --disasm the readable source keeps the source view */
	o.disasm = false;
	text = report_to_string(f->p, &o, &rc);
	assert_contains(text, "Source lines of hot_function");
	assert_null(strstr(text, "Machine code"));
	free(text);

	o.disasm = true;
	o.format = REPORT_CSV;
	text = report_to_string(f->p, &o, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(
		strncmp(text,
			"address,size,bytes,mnemonic,operands,file,line,self_samples,"
			"total_samples,self_pct,total_pct,callee\n",
			strlen("address,size,bytes,mnemonic,operands,file,line,self_samples,"
			       "total_samples,self_pct,total_pct,callee\n")),
		0);
	for (line = text; (line = strchr(line, '\n')); line++)
		rows++;
	assert_true(rows > 5);
	assert_contains(text, ",callee_fn\n");
	free(text);

	o.format = REPORT_JSON;
	text = report_to_string(f->p, &o, &rc);
	assert_int_equal(rc, 0);
	assert_contains(text, "\"disasm\":{\"function\":");
	assert_contains(text, "\"callee\":\"callee_fn\"");
	assert_contains(text, "\"hottest\":true");
	free(text);
}

/* --disasm of code that cannot be read: an error, and no half report. */
static void test_report_disasm_error(void **state)
{
	struct fixture *f = *state;
	uint32_t kmod = profile_intern_module(f->p, "[kernel]", NULL);
	uint32_t kfn = profile_intern_function(f->p, "kfunc", NULL, NULL, 0, kmod);
	struct prof_line l = {kfn, NULL, 0};
	uint32_t loc = profile_intern_location(f->p, kmod, 0x1234, &l, 1);
	struct report_opts o = {.lines_func = "kfunc", .format = REPORT_TEXT, .disasm = true};
	char *text;
	int rc;

	add_samples(f, &loc, 1, 3);
	text = report_to_string(f->p, &o, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(text, "");
	free(text);

	/* not asked for: the source view, with a note why there is no code */
	o.disasm = false;
	text = report_to_string(f->p, &o, &rc);
	assert_int_equal(rc, 0);
	assert_contains(text, "Source lines of kfunc");
	assert_contains(text, "(no machine code either: kfunc runs in [kernel]");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_source_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_sanitized_and_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_saved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_other_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disasm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disasm_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disasm_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disasm_undecodable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disasm_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disasm_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_fallback, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_report_disasm_asked, setup_bare, teardown),
		cmocka_unit_test_setup_teardown(test_report_disasm_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, setup_group, NULL);
}
