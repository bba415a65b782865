/* The picker's process table (proclist) on a fake /proc tree, then on the
 * real one; and the per-process table of the profile (query_processes). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "profile.h"
#include "proclist.h"
#include "query.h"
#include "xalloc.h"

/* ---- a fake /proc ---- */

struct fake {
	char dir[64];
};

static void put_file(const char *dir, int pid, const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", dir, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/%s", dir, pid, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A process: ticks = utime + stime, rss in pages, flags for kernel threads;
 * cmdline given with its NULs (len bytes). */
static void fake_proc(struct fake *fk, int pid, const char *comm, char state, unsigned uid,
		      unsigned long long utime, unsigned long long stime, unsigned threads,
		      unsigned long long start, unsigned long long rss_pages, unsigned flags,
		      const char *cmdline, size_t cmdlen)
{
	char buf[1024];
	int n;

	/* Fields 1..24 of proc(5), then a few more as the kernel writes them. */
	n = snprintf(buf, sizeof(buf),
		     "%d (%s) %c 1 %d %d 0 -1 %u 100 0 0 0 %llu %llu 0 0 20 0 %u 0 %llu 12345678 "
		     "%llu 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0\n",
		     pid, comm, state, pid, pid, flags, utime, stime, threads, start, rss_pages);
	put_file(fk->dir, pid, "stat", buf, (size_t)n);
	n = snprintf(buf, sizeof(buf),
		     "Name:\t%s\nUmask:\t0022\nState:\t%c\nTgid:\t%d\nPid:\t%d\nPPid:\t1\n"
		     "Uid:\t%u\t%u\t%u\t%u\nGid:\t0\t0\t0\t0\n",
		     comm, state, pid, pid, uid, uid, uid, uid);
	put_file(fk->dir, pid, "status", buf, (size_t)n);
	put_file(fk->dir, pid, "cmdline", cmdline, cmdlen);
}

static int fake_setup(void **state)
{
	struct fake *fk = xcalloc(1, sizeof(*fk));

	snprintf(fk->dir, sizeof(fk->dir), "/tmp/proftop-proclist.XXXXXX");
	assert_non_null(mkdtemp(fk->dir));
	/* A root daemon, a user's server with threads, a program whose name
	 * holds ") (" and spaces, a kernel thread, and a zombie. */
	fake_proc(fk, 1, "init", 'S', 0, 100, 50, 1, 10, 2000, 0, "/sbin/init\0splash\0", 18);
	fake_proc(fk, 200, "server", 'R', 65534, 1000, 0, 8, 500, 50000, 0,
		  "/usr/bin/server\0--port\0"
		  "8080\0",
		  28);
	fake_proc(fk, 300, "we ir) (d", 'S', 0, 10, 0, 2, 600, 100, 0, "./we ir) (d\0", 12);
	fake_proc(fk, 2, "kthreadd", 'S', 0, 0, 0, 1, 1, 0, 0x00200000, "", 0);
	fake_proc(fk, 400, "gone", 'Z', 0, 0, 0, 1, 700, 0, 0, "", 0);
	*state = fk;
	return 0;
}

static int fake_teardown(void **state)
{
	struct fake *fk = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk->dir);
	assert_int_equal(system(cmd), 0);
	free(fk);
	return 0;
}

static const struct proc_entry *find(const struct proclist *pl, pid_t pid)
{
	ssize_t i = proclist_index(pl, pid);

	return i < 0 ? NULL : proclist_get(pl, (size_t)i);
}

/* ---- the tests ---- */

static void test_reads_fields(void **state)
{
	struct fake *fk = *state;
	struct proclist *pl = proclist_new(fk->dir);
	const struct proc_entry *e;
	long page = sysconf(_SC_PAGESIZE);

	assert_int_equal(proclist_scan(pl, 1000000000ull), 0);
	/* The kernel thread is hidden by default; the zombie is shown. */
	assert_int_equal(proclist_count(pl), 4);
	assert_null(find(pl, 2));

	e = find(pl, 200);
	assert_non_null(e);
	assert_string_equal(e->comm, "server");
	assert_string_equal(e->command, "/usr/bin/server --port 8080");
	assert_int_equal(e->uid, 65534);
	assert_int_equal(e->threads, 8);
	assert_int_equal(e->rss, 50000ull * (uint64_t)page);
	assert_int_equal(e->state, 'R');
	assert_false(e->kernel_thread);
	/* The first scan has no interval: no CPU% yet. */
	assert_true(e->cpu_pct == 0);

	e = find(pl, 300);
	assert_non_null(e);
	assert_string_equal(e->comm, "we ir) (d");
	assert_string_equal(e->command, "./we ir) (d");
	assert_int_equal(e->threads, 2);

	e = find(pl, 400); /* no command line: its name in brackets */
	assert_non_null(e);
	assert_string_equal(e->command, "[gone]");
	assert_int_equal(e->state, 'Z');

	proclist_show_kernel(pl, true);
	e = find(pl, 2);
	assert_non_null(e);
	assert_true(e->kernel_thread);
	assert_string_equal(e->command, "[kthreadd]");
	proclist_free(pl);
}

static void test_cpu_percent(void **state)
{
	struct fake *fk = *state;
	struct proclist *pl = proclist_new(fk->dir);
	long hz = sysconf(_SC_CLK_TCK);
	const struct proc_entry *e;

	assert_int_equal(proclist_scan(pl, 1000000000ull), 0);
	/* Two seconds later: the server used hz ticks (50% of a CPU), init
	 * 2 * hz (100%), and pid 300 was replaced by another process with
	 * the same pid (a new start time): no CPU% for it. */
	fake_proc(fk, 200, "server", 'R', 65534, 1000 + (unsigned long long)hz, 0, 8, 500, 50000, 0,
		  "/usr/bin/server\0", 16);
	fake_proc(fk, 1, "init", 'S', 0, 100 + (unsigned long long)hz, 50 + (unsigned long long)hz,
		  1, 10, 2000, 0, "/sbin/init\0", 11);
	fake_proc(fk, 300, "we ir) (d", 'S', 0, 5000, 0, 2, 999, 100, 0, "x\0", 2);
	assert_int_equal(proclist_scan(pl, 3000000000ull), 0);

	e = find(pl, 200);
	assert_non_null(e);
	assert_true(e->cpu_pct > 49.9 && e->cpu_pct < 50.1);
	e = find(pl, 1);
	assert_true(e->cpu_pct > 99.9 && e->cpu_pct < 100.1);
	e = find(pl, 300);
	assert_true(e->cpu_pct == 0);
	/* The default order: the busiest first. */
	assert_int_equal(proclist_sort_col(pl), PL_CPU);
	assert_int_equal(proclist_get(pl, 0)->pid, 1);
	assert_int_equal(proclist_get(pl, 1)->pid, 200);
	proclist_free(pl);
}

static void test_sort_every_column(void **state)
{
	struct fake *fk = *state;
	struct proclist *pl = proclist_new(fk->dir);

	assert_int_equal(proclist_scan(pl, 1), 0);
	proclist_sort(pl, PL_PID, false);
	assert_int_equal(proclist_get(pl, 0)->pid, 1);
	assert_int_equal(proclist_get(pl, 3)->pid, 400);
	proclist_sort(pl, PL_PID, true);
	assert_int_equal(proclist_get(pl, 0)->pid, 400);

	proclist_sort(pl, PL_RSS, false); /* the biggest first */
	assert_int_equal(proclist_get(pl, 0)->pid, 200);
	assert_int_equal(proclist_get(pl, 1)->pid, 1);

	proclist_sort(pl, PL_THREADS, false);
	assert_int_equal(proclist_get(pl, 0)->pid, 200);
	assert_int_equal(proclist_get(pl, 1)->pid, 300);

	proclist_sort(pl, PL_COMMAND, false); /* "./we..", "/sbin..", "/usr..", "[gone]" */
	assert_int_equal(proclist_get(pl, 0)->pid, 300);
	assert_int_equal(proclist_get(pl, 1)->pid, 1);
	assert_int_equal(proclist_get(pl, 2)->pid, 200);
	assert_int_equal(proclist_get(pl, 3)->pid, 400);

	/* By user name, ties by pid: 65534's ("nobody" or "65534") before
	 * root's (1, 300, 400); reversed, all of it. */
	proclist_sort(pl, PL_USER, false);
	assert_int_equal(proclist_get(pl, 0)->pid, 200);
	assert_int_equal(proclist_get(pl, 1)->pid, 1);
	proclist_sort(pl, PL_USER, true);
	assert_int_equal(proclist_get(pl, 0)->pid, 400);
	assert_int_equal(proclist_get(pl, 3)->pid, 200);
	assert_int_equal(proclist_sort_reversed(pl), true);

	/* The order holds across a rescan. */
	assert_int_equal(proclist_scan(pl, 2), 0);
	assert_int_equal(proclist_sort_col(pl), PL_USER);
	assert_int_equal(proclist_get(pl, 0)->pid, 400);
	proclist_free(pl);
}

static void test_filter(void **state)
{
	struct fake *fk = *state;
	struct proclist *pl = proclist_new(fk->dir);

	assert_int_equal(proclist_scan(pl, 1), 0);
	proclist_filter(pl, "PORT"); /* the command line, any case */
	assert_int_equal(proclist_count(pl), 1);
	assert_int_equal(proclist_get(pl, 0)->pid, 200);
	assert_string_equal(proclist_filter_text(pl), "PORT");

	proclist_filter(pl, "30"); /* a pid */
	assert_int_equal(proclist_count(pl), 1);
	assert_int_equal(proclist_get(pl, 0)->pid, 300);

	proclist_filter(pl, "nobody"); /* a user name, where 65534 has one */
	if (proclist_count(pl) == 1)
		assert_int_equal(proclist_get(pl, 0)->pid, 200);

	proclist_filter(pl, "no such thing");
	assert_int_equal(proclist_count(pl), 0);
	assert_null(proclist_get(pl, 0));
	assert_int_equal(proclist_index(pl, 200), -1);

	/* The filter holds across a rescan; "" shows everything again. */
	proclist_filter(pl, "init");
	assert_int_equal(proclist_scan(pl, 2), 0);
	assert_int_equal(proclist_count(pl), 1);
	proclist_filter(pl, "");
	assert_int_equal(proclist_count(pl), 4);
	proclist_filter(pl, NULL);
	assert_int_equal(proclist_count(pl), 4);
	proclist_free(pl);
}

static void test_columns(void **state)
{
	(void)state;
	assert_string_equal(proclist_col_name(PL_CPU), "CPU%");
	assert_string_equal(proclist_col_name(PL_COMMAND), "COMMAND");
	assert_int_equal(proclist_parse_col("rss"), PL_RSS);
	assert_int_equal(proclist_parse_col("THREADS"), PL_THREADS);
	assert_int_equal(proclist_parse_col("CPU%"), PL_CPU);
	assert_int_equal(proclist_parse_col("bogus"), -1);
	assert_string_equal(proclist_col_name(PL_STATE), "S");
	assert_int_equal(proclist_parse_col("state"), PL_STATE);
}

/* The state of one process, for the header of a stopped target. */
static void test_read_state(void **state)
{
	struct fake *fk = *state;
	pid_t tracer = -1;

	/* a comm with ") (" in it: the state follows the last ")" */
	assert_int_equal(proclist_read_state(fk->dir, 300, &tracer), 'S');
	assert_int_equal(tracer, 0);
	assert_int_equal(proclist_read_state(fk->dir, 400, NULL), 'Z');
	assert_int_equal(proclist_read_state(fk->dir, 999, &tracer), '\0');
	assert_string_equal(proclist_state_name('T'), "stopped");
	assert_string_equal(proclist_state_name('t'), "traced");
	assert_string_equal(proclist_state_name('Z'), "zombie");
	assert_string_equal(proclist_state_name('R'), "running");
	assert_string_equal(proclist_state_name('?'), "?");
	/* ourselves, in the real /proc: running, traced by nobody */
	assert_int_equal(proclist_read_state(NULL, getpid(), &tracer), 'R');
	assert_int_equal(tracer, 0);
}

/* The real /proc: this test process is there, with its own command. */
static void test_real_proc(void **state)
{
	struct proclist *pl = proclist_new("/proc");
	const struct proc_entry *e;

	(void)state;
	assert_int_equal(proclist_scan(pl, 1), 0);
	e = find(pl, getpid());
	assert_non_null(e);
	assert_non_null(strstr(e->command, "test-proclist"));
	assert_true(e->rss > 0);
	assert_int_equal(e->threads, 1);
	assert_int_equal(e->uid, getuid());
	proclist_free(pl);

	pl = proclist_new("/nonexistent-proc");
	assert_int_equal(proclist_scan(pl, 1), -1);
	assert_int_equal(proclist_count(pl), 0);
	proclist_free(pl);
}

/* ---- query_processes ---- */

static uint32_t one_frame_stack(struct profile *p, const char *fn)
{
	uint32_t m = profile_intern_module(p, "/bin/prog", NULL);
	uint32_t f = profile_intern_function(p, fn, NULL, "t.c", 1, m);
	struct prof_line l = {f, "t.c", 1};
	uint32_t loc = profile_intern_location(p, m, 0x1000 + p->nlocations, &l, 1);

	return profile_intern_stack(p, &loc, 1);
}

static void test_query_processes(void **state)
{
	struct profile *p = profile_new();
	uint32_t a = one_frame_stack(p, "alpha"), b = one_frame_stack(p, "beta");
	uint32_t c = one_frame_stack(p, "gamma");
	struct query_filter only = {.pid = 20};
	struct proc_table t;

	(void)state;
	/* Process 10 (one thread): alpha 3 ms, beta 1 ms. Process 20 (two
	 * threads): gamma 2 + 2 ms, beta 1 ms. */
	profile_set_thread(p, 10, 10, "first");
	profile_set_thread(p, 20, 20, "second");
	profile_set_thread(p, 21, 20, "second-worker");
	profile_add_sample(p, 1, 10, a, 3000000, 0);
	profile_add_sample(p, 2, 10, b, 1000000, 0);
	profile_add_sample(p, 3, 20, c, 2000000, 0);
	profile_add_sample(p, 4, 21, c, 2000000, 0);
	profile_add_sample(p, 5, 21, b, 1000000, 0);

	query_processes(p, NULL, &t);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.total_samples, 5);
	assert_int_equal(t.total_ns, 9000000);
	assert_int_equal(t.rows[0].pid, 20); /* 5 ms before 4 ms */
	assert_string_equal(t.rows[0].comm, "second");
	assert_int_equal(t.rows[0].threads, 2);
	assert_int_equal(t.rows[0].samples, 3);
	assert_string_equal(p->functions[t.rows[0].top_function].name, "gamma");
	assert_int_equal(t.rows[0].top_ns, 4000000);
	assert_true(t.rows[0].pct > 55.5 && t.rows[0].pct < 55.6);
	assert_int_equal(t.rows[1].pid, 10);
	assert_string_equal(p->functions[t.rows[1].top_function].name, "alpha");
	assert_int_equal(t.rows[1].threads, 1);
	proc_table_free(&t);

	query_processes(p, &only, &t);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.rows[0].pid, 20);
	assert_true(t.rows[0].pct > 99.9);
	proc_table_free(&t);
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reads_fields, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_percent, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_sort_every_column, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_filter, fake_setup, fake_teardown),
		cmocka_unit_test(test_columns),
		cmocka_unit_test_setup_teardown(test_read_state, fake_setup, fake_teardown),
		cmocka_unit_test(test_real_proc),
		cmocka_unit_test(test_query_processes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
