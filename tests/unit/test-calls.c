/* Finding functions to probe: "module:FUNC" parsing, module names, the
 * files a command maps at start, where a function returns (its `ret`
 * instructions, tail calls out), and names looked up in the calls
 * workload's executable and library (built by make check). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "calls-int.h"
#include "func-exits.h"
#include "procmap.h"
#include "usdt.h"
#include "xalloc.h"

static void split(const char *spec, const char *module, const char *func)
{
	const char *m, *f;
	char *copy = resolver_split(spec, &m, &f);

	if ((module == NULL) != (m == NULL) || (module && strcmp(module, m)) || strcmp(func, f))
		fail_msg("'%s': expected module '%s' func '%s', saw module '%s' func '%s'", spec,
			 module ? module : "(none)", func, m ? m : "(none)", f);
	free(copy);
}

static void test_split(void **state)
{
	(void)state;
	split("foo", NULL, "foo");
	split("libc.so.6:malloc", "libc.so.6", "malloc");
	split("ns::Worker::spin", NULL, "ns::Worker::spin");
	split("libx.so:ns::f(int)", "libx.so", "ns::f(int)");
	split("prog:a::b", "prog", "a::b");
	split(":foo", NULL, ":foo"); /* no module before the colon: not a split */
	split("foo:", NULL, "foo:");
}

static void test_module_matches(void **state)
{
	struct elf_image img = {.path = "/usr/lib/x86_64-linux-gnu/libc.so.6"};
	struct elf_image cap = {.path = "/usr/lib/x86_64-linux-gnu/libcap.so.2"};
	struct elf_image ver = {.path = "/opt/lib/libfoo-2.31.so"};

	(void)state;
	assert_true(resolver_module_matches("libc.so.6", &img));
	assert_true(resolver_module_matches("libc", &img));
	assert_true(resolver_module_matches("/usr/lib/x86_64-linux-gnu/libc.so.6", &img));
	assert_false(resolver_module_matches("libc", &cap));
	assert_false(resolver_module_matches("lib", &img));
	assert_true(resolver_module_matches("libfoo", &ver));
	assert_false(resolver_module_matches("libc.so", &cap));
}

/* `true` is found in PATH and, being dynamic, comes with libc. */
static void test_launch_files(void **state)
{
	char **paths;
	size_t n = resolver_launch_files("true", &paths);
	bool libc = false;

	(void)state;
	if (n == 0)
		fail_msg("expected 'true' in PATH and its libraries, saw nothing");
	assert_true(strstr(paths[0], "/true") != NULL);
	for (size_t i = 0; i < n; i++) {
		libc = libc || strstr(paths[i], "/libc.so") != NULL;
		free(paths[i]);
	}
	free(paths);
	if (!libc)
		fail_msg("expected libc among the %zu files of 'true'", n);
	assert_int_equal(resolver_launch_files("proftop-no-such-command", &paths), 0);
}

struct fixture {
	struct procmap *pm;
	struct resolver *r;
	struct elf_image *imgs[2];
};

static int setup(void **state)
{
	const char *b = getenv("top_builddir");
	struct fixture *f = xcalloc(1, sizeof(*f));
	char *exe = xasprintf("%s/tests/workloads/calls", b ? b : ".");
	char *lib = xasprintf("%s/tests/workloads/libcalls.so", b ? b : ".");

	f->pm = procmap_new();
	f->r = resolver_new();
	f->imgs[0] = procmap_image(f->pm, exe);
	f->imgs[1] = procmap_image(f->pm, lib);
	free(exe);
	free(lib);
	*state = f;
	if (!f->imgs[0] || !f->imgs[1]) {
		print_message("the calls workload is not built (make check builds it)\n");
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	resolver_free(f->r);
	procmap_free(f->pm);
	free(f);
	return 0;
}

static enum resolve_status find(struct fixture *f, const char *spec, struct func_entry *e,
				char *msg, size_t len)
{
	return resolver_find(f->r, f->imgs, 2, spec, e, msg, len);
}

static void test_find(void **state)
{
	struct fixture *f = *state;
	struct func_entry e, e2;
	char msg[512] = "";

	if (find(f, "calls_seven", &e, msg, sizeof(msg)) != RESOLVE_OK)
		fail_msg("calls_seven: expected found, saw '%s'", msg);
	assert_ptr_equal(e.img, f->imgs[0]);
	/* The file offset lies inside the file, at the same bytes as the address. */
	assert_true(e.offset > 0 && e.offset < e.img->size);
	if (find(f, "lib_once", &e2, msg, sizeof(msg)) != RESOLVE_OK)
		fail_msg("lib_once: expected found, saw '%s'", msg);
	assert_ptr_equal(e2.img, f->imgs[1]);
	assert_int_equal(find(f, "libcalls:lib_once", &e2, msg, sizeof(msg)), RESOLVE_OK);
	assert_int_equal(find(f, "calls:calls_once", &e2, msg, sizeof(msg)), RESOLVE_OK);
	assert_int_equal(find(f, "libcalls:calls_once", &e2, msg, sizeof(msg)), RESOLVE_NONE);
	assert_int_equal(find(f, "no_such_function", &e2, msg, sizeof(msg)), RESOLVE_NONE);
	assert_int_equal(find(f, "libnothere:lib_once", &e2, msg, sizeof(msg)), RESOLVE_NO_MODULE);
	if (!strstr(msg, "libnothere"))
		fail_msg("expected the message to name libnothere, saw '%s'", msg);
}

/* Both files define calls_both(): ambiguous, unless the module is named. */
static void test_ambiguous(void **state)
{
	struct fixture *f = *state;
	struct func_entry e;
	char msg[512] = "";

	assert_int_equal(find(f, "calls_both", &e, msg, sizeof(msg)), RESOLVE_AMBIGUOUS);
	if (!strstr(msg, "calls:calls_both") || !strstr(msg, "libcalls.so:calls_both") ||
	    !strstr(msg, "module:FUNC"))
		fail_msg("expected both candidates and the module:FUNC hint, saw '%s'", msg);
	assert_int_equal(find(f, "libcalls.so:calls_both", &e, msg, sizeof(msg)), RESOLVE_OK);
	assert_ptr_equal(e.img, f->imgs[1]);
}

static void test_find_symbol(void **state)
{
	struct fixture *f = *state;
	struct func_entry e[4];

	assert_int_equal(resolver_find_symbol(f->r, f->imgs[0], "calls_once", e, 4), 1);
	assert_int_equal(resolver_find_symbol(f->r, f->imgs[0], "lib_once", e, 4), 0);
	assert_false(resolver_stripped(f->r, f->imgs[0]));
}

/* Returns at +4 and +10 (a `repz ret`); a conditional jump inside, a tail
 * jump out; an indirect jump counts as neither. */
static void test_exits_scan(void **state)
{
	static const uint8_t f[] = {
		0x48, 0x85, 0xff,		/* +0  test %rdi,%rdi */
		0x75, 0x01,			/* +3  jne +6 */
		0xc3,				/* +5  ret */
		0x48, 0x83, 0xff, 0x01,		/* +6  cmp $1,%rdi */
		0x74, 0x03,			/* +10 je +15 */
		0xf3, 0xc3,			/* +12 repz ret */
		0x90,				/* +14 nop */
		0xe9, 0x00, 0x10, 0x00, 0x00,	/* +15 jmp +0x1014 (out: a tail call) */
		0xff, 0xe0,			/* +20 jmp *%rax */
	};
	struct func_exits fx = {.nret = 0};
	char err[128] = "";

	(void)state;
	if (!func_exits_scan(f, sizeof(f), 0x1000, &fx, err, sizeof(err)))
		fail_msg("expected the code to decode, saw '%s'", err);
	assert_int_equal(fx.nret, 2);
	assert_int_equal(fx.ret[0], 0x1005);
	assert_int_equal(fx.ret[1], 0x100c);
	assert_int_equal(fx.ntail, 1);
	assert_int_equal(fx.nout, 1);
	assert_int_equal(fx.out[0], 0x2014);
	/* Cut inside the jmp: the bytes do not decode, no `ret` is trusted. */
	memset(&fx, 0, sizeof(fx));
	assert_false(func_exits_scan(f, 17, 0x1000, &fx, err, sizeof(err)));
	if (!strstr(err, "+0xf"))
		fail_msg("expected the failure at +0xf, saw '%s'", err);
}

/* In a real file: the size from the symbol table, the `ret`s inside it, at
 * a 0xc3 byte of the file. */
static void test_exits_find(void **state)
{
	struct fixture *f = *state;
	struct func_entry e;
	struct func_exits fx;
	char msg[512] = "";

	if (find(f, "calls_seven", &e, msg, sizeof(msg)) != RESOLVE_OK)
		fail_msg("calls_seven: expected found, saw '%s'", msg);
	if (!func_exits_find(e.img, e.vaddr, e.offset, &fx, msg, sizeof(msg)))
		fail_msg("calls_seven: expected its returns found, saw '%s'", msg);
	assert_true(fx.nret >= 1);
	for (size_t i = 0; i < fx.nret; i++)
		assert_int_equal(e.img->data[e.offset + (fx.ret[i] - e.vaddr)], 0xc3);
	/* No function starts one byte in. */
	assert_false(func_exits_find(e.img, e.vaddr + 1, e.offset + 1, &fx, msg, sizeof(msg)));
}

/* USDT argument specs as .note.stapsdt writes them (x86-64 registers). */
static void usdt_arg(const char *spec, bool ok, int size, bool in_reg, int regs_offset)
{
	struct usdt_arg a;
	bool got = usdt_parse_arg(spec, &a);

	if (got != ok || (ok && (a.size != size || a.in_reg != in_reg ||
				 (in_reg && a.regs_offset != regs_offset))))
		fail_msg("'%s': expected %s size %d in_reg %d offset %d, saw %s size %d in_reg %d "
			 "offset %d",
			 spec, ok ? "ok" : "refused", size, in_reg, regs_offset, got ? "ok" : "refused",
			 a.size, a.in_reg, a.regs_offset);
}

static void test_usdt_args(void **state)
{
	(void)state;
#ifdef __x86_64__
	usdt_arg("8@%rbp", true, 8, true, 4 * 8);
	usdt_arg("8@%r12", true, 8, true, 3 * 8);
	usdt_arg("-4@%eax", true, -4, true, 10 * 8);
	usdt_arg("8@%r14", true, 8, true, 1 * 8);
	usdt_arg("-4@-12(%rbp)", true, -4, false, 0); /* memory: known, not read */
	usdt_arg("8@%xmm0", false, 0, false, 0);
#endif
	usdt_arg("8%rbp", false, 0, false, 0);
	usdt_arg("16@%rax", false, 0, false, 0);
}

/* Python function names for --calls. */
static void test_python_spec(void **state)
{
	(void)state;
	assert_true(calls_python_spec("py:f"));
	assert_true(calls_python_spec("py:Parser.feed"));
	assert_true(calls_python_spec("app.py:main"));
	assert_true(calls_python_spec("/srv/app/app.py:main"));
	assert_false(calls_python_spec("py:"));
	assert_false(calls_python_spec("libc:malloc"));
	assert_false(calls_python_spec("main"));
	assert_false(calls_python_spec(".py:f"));
	assert_false(calls_python_spec("a.py:"));
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_module_matches),
		cmocka_unit_test(test_launch_files),
		cmocka_unit_test(test_exits_scan),
		cmocka_unit_test(test_usdt_args),
		cmocka_unit_test(test_python_spec),
	};
	const struct CMUnitTest files[] = {
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_find_symbol),
		cmocka_unit_test(test_exits_find),
	};
	int rc = cmocka_run_group_tests(pure, NULL, NULL);

	return rc | cmocka_run_group_tests(files, setup, teardown);
}
