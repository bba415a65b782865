#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "profile.h"

static uint32_t one_line_location(struct profile *p, uint32_t mod, uint64_t addr, uint32_t fn,
				  int line)
{
	struct prof_line l = {fn, "t.c", line};

	return profile_intern_location(p, mod, addr, &l, 1);
}

static void test_strings_interned(void **state)
{
	struct profile *p = profile_new();
	char a[] = "hello", b[] = "hello";
	const char *s1 = profile_str(p, a), *s2 = profile_str(p, b);

	assert_ptr_equal(s1, s2);
	assert_ptr_not_equal(s1, a);
	assert_string_equal(s1, "hello");
	assert_ptr_not_equal(profile_str(p, "hell"), s1);
	assert_null(profile_str(p, NULL));
	assert_string_equal(profile_str(p, ""), "");
	/* Re-interning an interned pointer is the identity. */
	assert_ptr_equal(profile_str(p, s1), s1);
	profile_free(p);
}

/* Many strings force the tables to grow several times; identity must survive. */
static void test_strings_many(void **state)
{
	enum { N = 100000 };
	struct profile *p = profile_new();
	static const char *first[N];
	char buf[64], big[40000];
	const char *bigp;
	int i;

	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "sym_%d", i);
		first[i] = profile_str(p, buf);
	}
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bigp = profile_str(p, big);
	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "sym_%d", i);
		assert_ptr_equal(profile_str(p, buf), first[i]);
		assert_string_equal(first[i], buf);
	}
	assert_ptr_equal(profile_str(p, big), bigp);
	assert_int_equal(strlen(bigp), sizeof(big) - 1);
	profile_free(p);
}

static void test_modules(void **state)
{
	struct profile *p = profile_new();
	uint32_t a = profile_intern_module(p, "/usr/lib/libc.so.6", "abcd");
	uint32_t b = profile_intern_module(p, "/usr/lib/libc.so.6", "abcd");
	uint32_t c = profile_intern_module(p, "/usr/lib/libc.so.6", "ef01");
	uint32_t d = profile_intern_module(p, "/usr/lib/libc.so.6", NULL);
	uint32_t e = profile_intern_module(p, "[vdso]", NULL);

	assert_int_equal(a, b);
	assert_int_not_equal(a, c);
	assert_int_not_equal(a, d);
	assert_int_not_equal(c, d);
	assert_int_equal(p->nmodules, 4);
	assert_string_equal(p->modules[a].name, "libc.so.6");
	assert_string_equal(p->modules[a].build_id, "abcd");
	assert_null(p->modules[d].build_id);
	assert_string_equal(p->modules[e].name, "[vdso]");
	assert_ptr_equal(p->modules[a].path, profile_str(p, "/usr/lib/libc.so.6"));
	assert_int_equal(profile_intern_module(p, "[vdso]", NULL), e);
	profile_free(p);
}

static void test_functions(void **state)
{
	struct profile *p = profile_new();
	uint32_t m1 = profile_intern_module(p, "/bin/a", NULL);
	uint32_t m2 = profile_intern_module(p, "/bin/b", NULL);
	uint32_t f1 = profile_intern_function(p, "foo()", "_Z3foov", "a.c", 10, m1);
	uint32_t f2 = profile_intern_function(p, "other name", "_Z3foov", "a.c", 99, m1);
	uint32_t f3 = profile_intern_function(p, "foo()", "_Z3foov", "a.c", 10, m2);
	uint32_t f4 = profile_intern_function(p, "foo()", "_Z3foov", "b.c", 10, m1);
	uint32_t f5 = profile_intern_function(p, "bar", NULL, NULL, 0, m1);
	uint32_t f6 = profile_intern_function(p, "bar", NULL, NULL, 0, m1);
	uint32_t f7 = profile_intern_function(p, "baz", NULL, NULL, 0, m1);

	/* The name is derived from the system name: not part of the key. */
	assert_int_equal(f1, f2);
	assert_int_not_equal(f1, f3);
	assert_int_not_equal(f1, f4);
	assert_int_not_equal(f3, f4);
	assert_int_equal(f5, f6);
	assert_int_not_equal(f5, f7);
	assert_int_equal(p->nfunctions, 5);
	assert_string_equal(p->functions[f1].name, "foo()");
	assert_string_equal(p->functions[f1].system_name, "_Z3foov");
	assert_int_equal(p->functions[f1].start_line, 10);
	assert_int_equal(p->functions[f1].calls, -1);
	assert_false(p->functions[f1].calls_lower_bound);
	assert_null(p->functions[f5].system_name);
	assert_null(p->functions[f5].file);
	assert_ptr_equal(p->functions[f1].file, profile_str(p, "a.c"));
	profile_free(p);
}

static void test_locations(void **state)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/a", NULL);
	uint32_t inl = profile_intern_function(p, "inl", NULL, "h.h", 1, m);
	uint32_t out = profile_intern_function(p, "out", NULL, "a.c", 1, m);
	char file[] = "h.h";
	struct prof_line lines[2] = {{inl, file, 5}, {out, "a.c", 20}};
	uint32_t l1, l2;

	assert_int_equal(profile_find_location(p, m, 0x1000), PROF_NONE);
	l1 = profile_intern_location(p, m, 0x1000, lines, 2);
	assert_int_equal(profile_find_location(p, m, 0x1000), l1);
	assert_int_equal(profile_find_location(p, m + 1, 0x1000), PROF_NONE);
	/* An existing location ignores the lines passed again. */
	l2 = profile_intern_location(p, m, 0x1000, lines, 1);
	assert_int_equal(l1, l2);
	assert_int_equal(p->locations[l1].nlines, 2);
	assert_int_equal(p->nlines, 2);
	assert_int_equal(p->lines[p->locations[l1].first_line].function, inl);
	assert_ptr_equal(p->lines[p->locations[l1].first_line].file, profile_str(p, "h.h"));
	assert_int_equal(p->lines[p->locations[l1].first_line + 1].line, 20);
	assert_int_not_equal(profile_intern_location(p, m, 0x1001, lines, 1), l1);
	profile_free(p);
}

static void test_stack_trie(void **state)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/a", NULL);
	uint32_t f = profile_intern_function(p, "f", NULL, NULL, 0, m);
	uint32_t a = one_line_location(p, m, 1, f, 1);
	uint32_t b = one_line_location(p, m, 2, f, 2);
	uint32_t c = one_line_location(p, m, 3, f, 3);
	uint32_t s1[] = {c, b, a}; /* leaf c, root end a */
	uint32_t s2[] = {b, a};
	uint32_t s3[] = {a, b, a};
	uint32_t id1, id2, id3;

	assert_int_equal(p->nstacks, 1);
	assert_int_equal(p->stacks[0].parent, PROF_NONE);
	assert_int_equal(p->stacks[0].location, PROF_NONE);
	assert_int_equal(p->stacks[0].depth, 0);
	assert_int_equal(profile_intern_stack(p, NULL, 0), 0);

	id1 = profile_intern_stack(p, s1, 3);
	assert_int_equal(p->nstacks, 4);
	assert_int_equal(p->stacks[id1].location, c);
	assert_int_equal(p->stacks[id1].depth, 3);
	id2 = profile_intern_stack(p, s2, 2);
	assert_int_equal(p->nstacks, 4); /* a prefix: no new node */
	assert_int_equal(p->stacks[id1].parent, id2);
	assert_int_equal(p->stacks[id2].location, b);
	assert_int_equal(p->stacks[p->stacks[id2].parent].location, a);
	assert_int_equal(p->stacks[p->stacks[id2].parent].parent, 0);
	assert_int_equal(profile_intern_stack(p, s1, 3), id1);
	id3 = profile_intern_stack(p, s3, 3);
	assert_int_equal(p->nstacks, 5);
	assert_int_equal(p->stacks[id3].parent, id2);
	assert_int_equal(p->stacks[id3].location, a);
	profile_free(p);
}

static void test_stack_truncated(void **state)
{
	enum { N = PROF_MAX_DEPTH + 10 };
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/a", NULL);
	uint32_t f = profile_intern_function(p, "f", NULL, NULL, 0, m);
	uint32_t locs[N];
	uint32_t id, s;
	size_t i;

	for (i = 0; i < N; i++)
		locs[i] = one_line_location(p, m, 0x100 + i, f, (int)i);
	id = profile_intern_stack(p, locs, N);
	assert_int_equal(p->stacks[id].depth, PROF_MAX_DEPTH);
	assert_int_equal(p->stacks[id].location, locs[0]);
	for (s = id; p->stacks[s].parent != 0; s = p->stacks[s].parent)
		;
	/* The outermost kept location is the deepest one that fits. */
	assert_int_equal(p->stacks[s].location, locs[PROF_MAX_DEPTH - 1]);
	assert_int_equal(profile_max_frames(p), PROF_MAX_DEPTH);
	profile_free(p);
}

static void test_stack_frames(void **state)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/a", NULL);
	uint32_t inl2 = profile_intern_function(p, "inl2", NULL, "h.h", 1, m);
	uint32_t inl1 = profile_intern_function(p, "inl1", NULL, "h.h", 1, m);
	uint32_t work = profile_intern_function(p, "work", NULL, "a.c", 1, m);
	uint32_t mainf = profile_intern_function(p, "main", NULL, "a.c", 1, m);
	struct prof_line chain[3] = {{inl2, "h.h", 3}, {inl1, "h.h", 8}, {work, "a.c", 20}};
	uint32_t l1 = profile_intern_location(p, m, 0x10, chain, 3);
	uint32_t l2 = one_line_location(p, m, 0x20, mainf, 40);
	uint32_t locs[] = {l1, l2};
	uint32_t st = profile_intern_stack(p, locs, 2);
	struct prof_frame fr[8];
	size_t n;

	n = profile_stack_frames(p, st, fr, 8);
	assert_int_equal(n, 4);
	assert_int_equal(fr[0].function, inl2);
	assert_true(fr[0].inlined);
	assert_int_equal(fr[0].line, 3);
	assert_int_equal(fr[1].function, inl1);
	assert_true(fr[1].inlined);
	assert_int_equal(fr[2].function, work);
	assert_false(fr[2].inlined);
	assert_int_equal(fr[2].line, 20);
	assert_int_equal(fr[2].location, l1);
	assert_int_equal(fr[3].function, mainf);
	assert_false(fr[3].inlined);
	assert_int_equal(fr[3].location, l2);
	assert_string_equal(fr[3].file, "t.c");

	/* max cuts at the root end. */
	n = profile_stack_frames(p, st, fr, 2);
	assert_int_equal(n, 2);
	assert_int_equal(fr[1].function, inl1);
	assert_int_equal(profile_stack_frames(p, 0, fr, 8), 0);
	assert_int_equal(profile_max_frames(p), 4);
	profile_free(p);
}

static void test_samples_and_zero(void **state)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/a", NULL);
	uint32_t f = profile_intern_function(p, "f", NULL, NULL, 0, m);
	uint32_t l = one_line_location(p, m, 1, f, 1);
	uint32_t st = profile_intern_stack(p, &l, 1);

	assert_int_equal(sizeof(struct prof_sample), 32);
	profile_add_sample(p, 100, 7, st, 1000, 0);
	profile_add_sample(p, 200, 7, st, 500, PROF_SAMPLE_TRUNCATED);
	profile_add_sample(p, 300, 8, 0, 250, PROF_SAMPLE_TRUNCATED | PROF_SAMPLE_KERNEL);
	profile_add_memory(p, 10, 0, 4096, 8192);
	assert_int_equal(p->nsamples, 3);
	assert_int_equal(p->total_weight, 1750);
	assert_int_equal(p->truncated_samples, 2);
	assert_int_equal(p->samples[1].time, 200);
	assert_int_equal(p->samples[1].stack, st);
	assert_int_equal(p->samples[1].tid, 7);
	assert_int_equal(p->samples[1].weight, 500);
	assert_int_equal(p->samples[2].flags, PROF_SAMPLE_TRUNCATED | PROF_SAMPLE_KERNEL);
	assert_int_equal(p->nmemory, 1);

	profile_zero(p);
	assert_int_equal(p->nsamples, 0);
	assert_int_equal(p->nmemory, 0);
	assert_int_equal(p->total_weight, 0);
	assert_int_equal(p->truncated_samples, 0);
	/* Interned tables stay. */
	assert_int_equal(p->nfunctions, 1);
	assert_int_equal(profile_find_location(p, m, 1), l);
	assert_int_equal(profile_intern_stack(p, &l, 1), st);
	profile_add_sample(p, 400, 7, st, 30, 0);
	assert_int_equal(p->nsamples, 1);
	assert_int_equal(p->total_weight, 30);
	profile_free(p);
}

static void test_threads(void **state)
{
	struct profile *p = profile_new();
	const struct prof_thread *t;
	int i;

	assert_null(profile_find_thread(p, 5));
	profile_set_thread(p, 5, 5, "main");
	profile_set_thread(p, 6, 0, NULL);
	profile_set_thread(p, 6, 5, NULL);
	profile_set_thread(p, 6, 0, "worker");
	for (i = 1000; i < 1200; i++)
		profile_set_thread(p, i, 999, "many");
	assert_int_equal(p->nthreads, 202);
	t = profile_find_thread(p, 5);
	assert_non_null(t);
	assert_int_equal(t->pid, 5);
	assert_string_equal(t->comm, "main");
	t = profile_find_thread(p, 6);
	assert_non_null(t);
	assert_int_equal(t->tid, 6);
	assert_int_equal(t->pid, 5);
	assert_string_equal(t->comm, "worker");
	t = profile_find_thread(p, 1150);
	assert_non_null(t);
	assert_int_equal(t->pid, 999);
	assert_null(profile_find_thread(p, 7));
	profile_set_thread(p, 5, 5, "renamed");
	assert_string_equal(profile_find_thread(p, 5)->comm, "renamed");
	assert_int_equal(p->nthreads, 202);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings_interned), cmocka_unit_test(test_strings_many),
		cmocka_unit_test(test_modules),		 cmocka_unit_test(test_functions),
		cmocka_unit_test(test_locations),	 cmocka_unit_test(test_stack_trie),
		cmocka_unit_test(test_stack_truncated),	 cmocka_unit_test(test_stack_frames),
		cmocka_unit_test(test_samples_and_zero), cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
