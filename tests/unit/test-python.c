/* The Python reader's hostile-input parts: the location table decoder
 * (known tables, then garbage that must never crash or loop) and the
 * bounded reader of another process's memory (here our own). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "python-read.h"

/* A table of five entries, first line 10:
 *   units 0-1  short form (code 0, 2 units): line 10
 *   units 2-4  one-line form, delta +1 (code 11, 3 units, 2 column bytes): 11
 *   units 5-5  no columns, delta -1 (code 13, svarint 3): 10
 *   units 6-7  no location (code 15, 2 units): none
 *   units 8-8  long form, delta +5 (code 14: svarint 10, then 3 varints): 15 */
static const uint8_t table[] = {
	0x80 | (0 << 3) | 1,
	0x05,
	0x80 | (11 << 3) | 2,
	0x01,
	0x02,
	0x80 | (13 << 3) | 0,
	0x03,
	0x80 | (15 << 3) | 1,
	0x80 | (14 << 3) | 0,
	0x0a,
	0x00,
	0x01,
	0x02,
};

static void linetable_known(void **state)
{
	static const int want[] = {10, 10, 11, 11, 11, 10, 0, 0, 15};
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(py_linetable_line(table, sizeof(table), 10, i), want[i]);
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, 9), 0); /* past the end */
	assert_int_equal(py_linetable_line(table, sizeof(table), 10, UINT64_MAX), 0);
	/* Cut anywhere: never a read past the end, the lines before the cut kept. */
	for (size_t len = 0; len < sizeof(table); len++)
		(void)py_linetable_line(table, len, 10, 8);
	assert_int_equal(py_linetable_line(table, 2, 10, 1), 10);
	assert_int_equal(py_linetable_line(NULL, 0, 10, 0), 0);
}

static void linetable_garbage(void **state)
{
	uint8_t *buf = malloc(4096);
	uint8_t endless[64];
	(void)state;
	srand(13);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand() % 64;
		uint8_t *tab = buf + 4096 - len; /* ends at the allocation's end */

		for (size_t i = 0; i < len; i++)
			tab[i] = (uint8_t)rand();
		(void)py_linetable_line(tab, len, rand() - RAND_MAX / 2, (uint64_t)rand());
	}
	/* A varint that never ends, and one longer than 64 bits. */
	memset(endless, 0x7f, sizeof(endless));
	endless[0] = 0x80 | (14 << 3);
	assert_int_equal(py_linetable_line(endless, sizeof(endless), 1, 0), 0);
	endless[sizeof(endless) - 1] = 0x01;
	assert_int_equal(py_linetable_line(endless, sizeof(endless), 1, 0), 0);
	free(buf);
}

static void reader_bounded(void **state)
{
	static struct py_mem m;
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *two = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t v = 0x1122334455667788ull, got;
	uint8_t buf[64];
	(void)state;

	assert_true(two != MAP_FAILED);
	py_mem_reset(&m, getpid());
	assert_true(py_read_u64(&m, (uint64_t)(uintptr_t)&v, &got));
	assert_true(got == v);
	assert_false(py_read(&m, 0, buf, 8));
	assert_false(py_read(&m, UINT64_MAX - 4, buf, 8)); /* wraps */
	/* The second page unmapped: a read across the boundary fails whole. */
	memset(two, 0xab, (size_t)page);
	munmap(two + page, (size_t)page);
	py_mem_reset(&m, getpid());
	assert_true(py_read(&m, (uint64_t)(uintptr_t)(two + page - 8), buf, 8));
	assert_false(py_read(&m, (uint64_t)(uintptr_t)(two + page - 8), buf, 16));
	munmap(two, (size_t)page);
	py_mem_reset(&m, getpid());
	assert_false(py_read(&m, (uint64_t)(uintptr_t)two, buf, 8));
}

/* A compact ASCII str and a bytes object laid out as CPython 3.12 does. */
static void reader_objects(void **state)
{
	static struct py_mem m;
	const struct py_str_layout l = {
		.length = 16, .state = 32, .ascii_size = 40, .compact_size = 56};
	uint8_t obj[128] = {0};
	uint64_t len = 5, huge = UINT64_MAX;
	uint32_t st = (1u << 2) | (1u << 5) | (1u << 6); /* kind 1, compact, ascii */
	char out[16];
	uint8_t *bytes;
	size_t n;
	(void)state;

	py_mem_reset(&m, getpid());
	memcpy(obj + 16, &len, 8);
	memcpy(obj + 32, &st, 4);
	memcpy(obj + 40, "spam!", 5);
	assert_true(py_read_str(&m, (uint64_t)(uintptr_t)obj, &l, out, sizeof(out)));
	assert_string_equal(out, "spam!");
	assert_true(py_read_str(&m, (uint64_t)(uintptr_t)obj, &l, out, 3));
	assert_string_equal(out, "sp"); /* cut, still terminated */
	st = 7u << 2 | 1u << 5;		/* kind 7: garbage */
	memcpy(obj + 32, &st, 4);
	py_mem_reset(&m, getpid()); /* pages are held for one sample: a new one */
	assert_false(py_read_str(&m, (uint64_t)(uintptr_t)obj, &l, out, sizeof(out)));
	/* bytes: ob_size at 16, data at 32 */
	memcpy(obj + 16, &len, 8);
	memcpy(obj + 32, "ab\0cd", 5);
	py_mem_reset(&m, getpid());
	assert_true(py_read_bytes(&m, (uint64_t)(uintptr_t)obj, 100, &bytes, &n));
	assert_int_equal(n, 5);
	assert_memory_equal(bytes, "ab\0cd", 5);
	free(bytes);
	memcpy(obj + 16, &huge, 8);
	py_mem_reset(&m, getpid());
	assert_false(py_read_bytes(&m, (uint64_t)(uintptr_t)obj, PY_LINETABLE_MAX, &bytes, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(linetable_known),
		cmocka_unit_test(linetable_garbage),
		cmocka_unit_test(reader_bounded),
		cmocka_unit_test(reader_objects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
