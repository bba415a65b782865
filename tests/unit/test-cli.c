#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"

/* What one cli_parse call printed. */
static char out_text[8192], err_text[8192];

static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Parse a NULL-terminated argument list (argv[0] = "proftop" added),
 * capturing stdout and stderr. */
static int parse(struct options *o, ...)
{
	static char *argv[64];
	FILE *out = tmpfile(), *err = tmpfile();
	int argc = 0, rc, saved_out = dup(1), saved_err = dup(2);
	va_list ap;

	assert_non_null(out);
	assert_non_null(err);
	argv[argc++] = "proftop";
	va_start(ap, o);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);

	fflush(stdout);
	fflush(stderr);
	dup2(fileno(out), 1);
	dup2(fileno(err), 2);
	rc = cli_parse(argc, argv, o);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	slurp(out, out_text, sizeof(out_text));
	slurp(err, err_text, sizeof(err_text));
	return rc;
}

/* A usage error: status 2, the problem on the first line, then the usage. */
static void assert_usage_error(int rc, const char *problem)
{
	char first[512];

	assert_int_equal(rc, 2);
	snprintf(first, sizeof(first), "proftop: %s\nUsage: proftop", problem);
	if (strncmp(err_text, first, strlen(first)))
		fail_msg("expected stderr to start with\n%s\ngot\n%s", first, err_text);
	assert_non_null(strstr(err_text, "Try 'proftop --help' for more information.\n"));
	assert_string_equal(out_text, "");
}

static void test_defaults(void **state)
{
	struct options o;

	unsetenv("NO_COLOR");
	assert_int_equal(parse(&o, NULL), 0);
	assert_int_equal(o.command, CMD_TUI);
	assert_null(o.argv);
	assert_int_equal(o.npids, 0);
	assert_int_equal(o.freq, 997);
	assert_int_equal(o.stack_size, 8192);
	assert_true(o.duration == 0);
	assert_int_equal(o.unwind, UNWIND_DWARF);
	assert_int_equal(o.backend, BACKEND_AUTO);
	assert_false(o.no_color);
	assert_int_equal(o.report.sort, SORT_CUMULATIVE);
	assert_int_equal(o.report.limit, 20);
	assert_int_equal(o.report.format, REPORT_TEXT);
	cli_free(&o);
}

static void test_command_after_options(void **state)
{
	struct options o;

	/* options after COMMAND are the command's own */
	assert_int_equal(parse(&o, "-F", "99", "./prog", "-F", "5", "--sort", "x", NULL), 0);
	assert_int_equal(o.freq, 99);
	assert_non_null(o.argv);
	assert_string_equal(o.argv[0], "./prog");
	assert_string_equal(o.argv[1], "-F");
	assert_string_equal(o.argv[4], "x");
	assert_null(o.argv[5]);
	cli_free(&o);

	assert_int_equal(parse(&o, "--no-color", "--", "-weird-name", "arg", NULL), 0);
	assert_true(o.no_color);
	assert_string_equal(o.argv[0], "-weird-name");
	assert_string_equal(o.argv[1], "arg");
	cli_free(&o);

	/* "--" lets a program be called "record" */
	assert_int_equal(parse(&o, "--", "record", NULL), 0);
	assert_int_equal(o.command, CMD_TUI);
	assert_string_equal(o.argv[0], "record");
	cli_free(&o);
}

static void test_pids(void **state)
{
	struct options o;

	assert_int_equal(
		parse(&o, "record", "-o", "s.db", "-p", "12,34", "--pid", "5", "-p", "12", NULL),
		0);
	assert_int_equal(o.command, CMD_RECORD);
	assert_string_equal(o.output, "s.db");
	assert_int_equal(o.npids, 3);
	assert_int_equal(o.pids[0], 12);
	assert_int_equal(o.pids[1], 34);
	assert_int_equal(o.pids[2], 5);
	cli_free(&o);
	assert_null(o.pids);

	assert_usage_error(parse(&o, "-p", "12,x", NULL), "invalid PID 'x'");
	assert_usage_error(parse(&o, "-p", "0", NULL), "invalid PID '0'");
	assert_usage_error(parse(&o, "-p", "-3", NULL), "invalid PID '-3'");
	assert_usage_error(parse(&o, "-p", "1,,2", NULL), "invalid PID ''");
	assert_usage_error(parse(&o, "-p", "99999999999", NULL), "invalid PID '99999999999'");
	assert_usage_error(parse(&o, "-p", "1", "./prog", NULL),
			   "-p and a COMMAND cannot be used together");
}

static void test_sampling_options(void **state)
{
	struct options o;

	assert_int_equal(parse(&o, "--freq", "100000", "-d", "2.5", "--stack-size", "13",
			       "--unwind", "fp", "--backend", "ptrace", "--calls", "a,b", NULL),
			 0);
	assert_int_equal(o.freq, 100000);
	assert_true(o.duration == 2.5);
	assert_int_equal(o.stack_size, 16); /* rounded up to a multiple of 8 */
	assert_int_equal(o.unwind, UNWIND_FP);
	assert_int_equal(o.backend, BACKEND_PTRACE);
	assert_string_equal(o.calls, "a,b");
	cli_free(&o);

	assert_int_equal(parse(&o, "--stack-size=65528", "-d", ".5", NULL), 0);
	assert_int_equal(o.stack_size, 65528);
	assert_true(o.duration == 0.5);
	cli_free(&o);

	assert_usage_error(parse(&o, "-F", "0", NULL), "invalid frequency '0' (1..100000 Hz)");
	assert_usage_error(parse(&o, "-F", "100001", NULL),
			   "invalid frequency '100001' (1..100000 Hz)");
	assert_usage_error(parse(&o, "-F", "9x", NULL), "invalid frequency '9x' (1..100000 Hz)");
	assert_usage_error(parse(&o, "-d", "0", NULL),
			   "invalid duration '0' (positive seconds, e.g. 10 or 2.5)");
	assert_usage_error(parse(&o, "-d", "1.2.3", NULL),
			   "invalid duration '1.2.3' (positive seconds, e.g. 10 or 2.5)");
	assert_usage_error(parse(&o, "-d", "nan", NULL),
			   "invalid duration 'nan' (positive seconds, e.g. 10 or 2.5)");
	assert_usage_error(parse(&o, "--stack-size", "65529", NULL),
			   "invalid stack size '65529' (1..65528 bytes)");
	assert_usage_error(parse(&o, "--stack-size", "0", NULL),
			   "invalid stack size '0' (1..65528 bytes)");
	assert_usage_error(parse(&o, "--unwind", "lbr", NULL),
			   "unknown unwind mode 'lbr' (valid: dwarf, fp)");
	assert_usage_error(parse(&o, "--backend", "bpf", NULL),
			   "unknown backend 'bpf' (valid: auto, perf, ptrace)");
	assert_usage_error(parse(&o, "--calls", "a,,b", NULL),
			   "invalid function list 'a,,b' for '--calls' (FUNC[,FUNC...])");
}

static void test_report_options(void **state)
{
	struct options o;

	assert_int_equal(parse(&o, "report", "-i", "s.db", "--sort", "tottime", "-r", "--limit",
			       "0", "--format", "json", "--callers", "f", "--callees", "g", "--tid",
			       "7", "--output", "r.json", NULL),
			 0);
	assert_int_equal(o.command, CMD_REPORT);
	assert_string_equal(o.input, "s.db");
	assert_int_equal(o.report.sort, SORT_TOTTIME);
	assert_true(o.report.reverse);
	assert_int_equal(o.report.limit, 0);
	assert_int_equal(o.report.format, REPORT_JSON);
	assert_string_equal(o.report.callers_func, "f");
	assert_string_equal(o.report.callees_func, "g");
	assert_int_equal(o.report.filter.tid, 7);
	assert_string_equal(o.report_output, "r.json"); /* the report, not a session */
	assert_null(o.output);
	cli_free(&o);

	assert_int_equal(parse(&o, "report", "--lines", "main", "--memory", "--", "./a.out", NULL),
			 0);
	assert_string_equal(o.report.lines_func, "main");
	assert_true(o.report.memory);
	assert_string_equal(o.argv[0], "./a.out");
	cli_free(&o);

	assert_int_equal(parse(&o, "report", "-i", "s.db", "--sort", "ncalls", NULL), 0);
	assert_int_equal(o.report.sort, SORT_CALLS);
	cli_free(&o);

	assert_usage_error(parse(&o, "report", "-i", "s", "--sort", "bogus", NULL),
			   "unknown sort key 'bogus' (valid: cumulative, tottime, calls, name; "
			   "aliases: cumtime, cum, total, self, time, own, ncalls)");
	assert_usage_error(parse(&o, "report", "-i", "s", "--format", "xml", NULL),
			   "unknown format 'xml' (valid: text, csv, json, markdown)");
	assert_usage_error(parse(&o, "report", "-i", "s", "--limit", "-1", NULL),
			   "invalid limit '-1' (a number of rows, 0 = all)");
	assert_usage_error(parse(&o, "report", "-i", "s", "--tid", "0", NULL),
			   "invalid thread id '0'");
	assert_usage_error(parse(&o, "report", NULL),
			   "report needs a target: -i FILE, -p PID or -- COMMAND");
	assert_usage_error(parse(&o, "report", "-i", "s", "./prog", NULL),
			   "-i cannot be used with a COMMAND");
	assert_usage_error(
		parse(&o, "report", "-i", "s", "--format", "csv", "--processes", "--memory", NULL),
		"--format csv shows one table: use one of --lines, --callers/--callees, "
		"--memory, --processes");
	/* under --memory, --lines is its table, in bytes */
	assert_int_equal(
		parse(&o, "report", "-i", "s", "--format", "csv", "--lines", "f", "--memory", NULL),
		0);
	cli_free(&o);
	/* the memory table's sort keys, with --memory only */
	assert_int_equal(parse(&o, "report", "-i", "s", "--sort", "faulted", "--memory", NULL), 0);
	assert_true(o.report.mem_sort_set);
	assert_int_equal(o.report.mem_sort, MEM_SORT_FAULTED);
	cli_free(&o);
	assert_usage_error(parse(&o, "report", "-i", "s", "--sort", "leaked", NULL),
			   "--sort leaked orders the memory table: add --memory");
	assert_usage_error(parse(&o, "report", "-i", "s", "--memory", "--sort", "cumtime", NULL),
			   "--sort cumulative orders time; --memory sorts by allocated, self, "
			   "allocs, live, peak, leaked, faulted or name");
	assert_usage_error(parse(&o, "report", "-i", "s", "--memory", "--baseline", "b",
				 "--threshold", "2pt", NULL),
			   "--threshold with --memory is a percentage of the function's "
			   "baseline bytes, e.g. 10%");
	/* callers and callees share one CSV table */
	assert_int_equal(parse(&o, "report", "-i", "s", "--format", "csv", "--callers", "f",
			       "--callees", "f", NULL),
			 0);
	cli_free(&o);
}

static void test_record_export(void **state)
{
	struct options o;

	assert_usage_error(parse(&o, "record", "./prog", NULL),
			   "record needs an output file: -o FILE");
	assert_usage_error(parse(&o, "record", "-o", "x", NULL),
			   "record needs a target: -p PID or -- COMMAND");
	assert_usage_error(parse(&o, "record", "-o", "x", "--format", "csv", "./prog", NULL),
			   "option '--format' does not apply to 'proftop record'");
	assert_usage_error(parse(&o, "record", "-o", "x", "-i", "s", "./prog", NULL),
			   "option '-i' does not apply to 'proftop record'");
	assert_usage_error(parse(&o, "--limit", "3", NULL),
			   "option '--limit' is only for 'proftop report'");

	assert_int_equal(
		parse(&o, "export", "-i", "s.db", "-f", "speedscope", "-o", "out.json", NULL), 0);
	assert_int_equal(o.command, CMD_EXPORT);
	assert_string_equal(o.export_format, "speedscope");
	assert_string_equal(o.output, "out.json");
	cli_free(&o);
	assert_int_equal(parse(&o, "export", "-i", "s", "--format", "folded", "-o", "f", NULL), 0);
	assert_string_equal(o.export_format, "folded");
	cli_free(&o);

	assert_usage_error(
		parse(&o, "export", "-i", "s", "-f", "svg", "-o", "x", NULL),
		"unknown export format 'svg' (valid: folded, speedscope, pprof, callgrind)");
	assert_usage_error(parse(&o, "export", "-i", "s", "-o", "x", NULL),
			   "export needs a format: -f folded|speedscope|pprof|callgrind");
	assert_usage_error(parse(&o, "export", "-f", "pprof", "-o", "x", NULL),
			   "export needs a session file: -i FILE");
	/* Without -o: standard output (issue 10). */
	assert_int_equal(parse(&o, "export", "-i", "s", "-f", "pprof", NULL), 0);
	assert_null(o.output);
	cli_free(&o);
	assert_usage_error(parse(&o, "export", "-i", "s", "-f", "pprof", "-o", "x", "extra", NULL),
			   "export takes no COMMAND (unexpected 'extra')");
	assert_usage_error(parse(&o, "export", "-p", "1", NULL),
			   "option '-p' does not apply to 'proftop export'");
}

static void test_bad_options(void **state)
{
	struct options o;

	assert_usage_error(parse(&o, "--bogus", NULL), "unknown option '--bogus'");
	assert_usage_error(parse(&o, "report", "-i", "s", "--call=f", NULL),
			   "ambiguous option '--call' (could be --calls, --calls-budget, --callers, "
			   "--callees)");
	assert_usage_error(parse(&o, "-z", NULL), "unknown option '-z'");
	assert_usage_error(parse(&o, "-F", NULL), "option '-F' needs an argument");
	assert_usage_error(parse(&o, "--freq", NULL), "option '--freq' needs an argument");
	assert_usage_error(parse(&o, "--no-color=yes", NULL),
			   "option '--no-color' takes no argument");
	assert_usage_error(parse(&o, "report", "-i", "s", "--memory=1", NULL),
			   "option '--memory' takes no argument");
	/* an unambiguous abbreviation is accepted */
	assert_int_equal(parse(&o, "--no-col", NULL), 0);
	assert_true(o.no_color);
	cli_free(&o);
}

static void test_help_version_env(void **state)
{
	struct options o;

	assert_int_equal(parse(&o, "--help", NULL), -1);
	assert_non_null(strstr(out_text, "Usage: proftop [OPTIONS]"));
	assert_non_null(strstr(out_text, "--stack-size BYTES"));
	assert_non_null(strstr(out_text, "--callees FUNC"));
	assert_string_equal(err_text, "");

	assert_int_equal(parse(&o, "report", "-h", NULL), -1);
	assert_non_null(strstr(out_text, "Usage: proftop"));

	assert_int_equal(parse(&o, "-V", NULL), -1);
	assert_string_equal(out_text, "proftop " PACKAGE_VERSION "\n");

	setenv("NO_COLOR", "1", 1);
	assert_int_equal(parse(&o, NULL), 0);
	assert_true(o.no_color);
	cli_free(&o);
	setenv("NO_COLOR", "", 1); /* set but empty: ignored */
	assert_int_equal(parse(&o, NULL), 0);
	assert_false(o.no_color);
	cli_free(&o);
	unsetenv("NO_COLOR");
}

/* proftop help [TOPIC], per-command help, and a typo of a sub-command. */
static void test_help_command(void **state)
{
	struct options o;

	assert_int_equal(parse(&o, "help", NULL), -1);
	assert_non_null(strstr(out_text, "Usage: proftop [OPTIONS]"));
	assert_non_null(strstr(out_text, "--weight"));
	assert_non_null(strstr(out_text, "--refresh"));
	assert_string_equal(err_text, "");

	assert_int_equal(parse(&o, "help", "--help", NULL), -1);
	assert_non_null(strstr(out_text, "--weight"));

	assert_int_equal(parse(&o, "help", "report", NULL), -1);
	assert_int_equal(strncmp(out_text, "Usage: proftop report [OPTIONS]", 31), 0);
	assert_non_null(strstr(out_text, "--callers FUNC"));
	assert_non_null(strstr(out_text, "--self-to"));
	assert_null(strstr(out_text, "--weight"));
	assert_null(strstr(out_text, "--refresh"));

	assert_int_equal(parse(&o, "export", "--help", NULL), -1);
	assert_int_equal(strncmp(out_text, "Usage: proftop export -i FILE", 29), 0);
	assert_non_null(strstr(out_text, "--weight"));
	assert_null(strstr(out_text, "--freq"));

	assert_int_equal(parse(&o, "help", "live", NULL), -1);
	assert_non_null(strstr(out_text, "--refresh SECONDS"));
	assert_null(strstr(out_text, "--callers"));

	assert_usage_error(parse(&o, "help", "reprot", NULL),
			   "no help topic 'reprot': did you mean 'report'?");
	assert_usage_error(parse(&o, "help", "xyzzy", NULL),
			   "no help topic 'xyzzy' (topics: record, report, export, live)");
	assert_usage_error(parse(&o, "help", "report", "x", NULL),
			   "help takes one topic (unexpected 'x')");
	assert_usage_error(parse(&o, "reprot", NULL),
			   "'reprot' is neither a sub-command nor a program: did you mean 'report'?");
	assert_usage_error(parse(&o, "recrod", "-o", "x", NULL),
			   "'recrod' is neither a sub-command nor a program: did you mean 'record'?");
	assert_usage_error(parse(&o, "exprot", NULL),
			   "'exprot' is neither a sub-command nor a program: did you mean 'export'?");

	/* Programs stay targets: a path, after "--", or a word far from any
	 * sub-command (whether it exists is the launch's business). */
	assert_int_equal(parse(&o, "./reprot", NULL), 0);
	assert_string_equal(o.argv[0], "./reprot");
	cli_free(&o);
	assert_int_equal(parse(&o, "--", "reprot", NULL), 0);
	assert_string_equal(o.argv[0], "reprot");
	cli_free(&o);
	assert_int_equal(parse(&o, "sh", "-c", "true", NULL), 0);
	assert_string_equal(o.argv[0], "sh");
	cli_free(&o);
	assert_int_equal(parse(&o, "no-such-program-xyz", NULL), 0);
	cli_free(&o);
	assert_int_equal(parse(&o, "-F", "99", "reprot", NULL), 0);
	assert_string_equal(o.argv[0], "reprot");
	cli_free(&o);
}

static void test_exit_status_self_to(void **state)
{
	struct options o;
	struct tui_config tc;

	assert_int_equal(parse(&o, "report", "--exit-status", "--", "prog", NULL), 0);
	assert_true(o.exit_status);
	cli_free(&o);
	assert_int_equal(parse(&o, "record", "--exit-status", "-o", "f", "--", "prog", NULL), 0);
	assert_true(o.exit_status);
	cli_free(&o);
	assert_int_equal(parse(&o, "report", "--", "prog", NULL), 0);
	assert_false(o.exit_status);
	cli_free(&o);
	assert_usage_error(parse(&o, "report", "--exit-status", "-i", "s", NULL),
			   "--exit-status is the status of a target proftop runs: use -p PID or "
			   "-- COMMAND, not -i");
	assert_usage_error(parse(&o, "--exit-status", "prog", NULL),
			   "option '--exit-status' does not apply to 'proftop'");

	assert_int_equal(parse(&o, "report", "-i", "s", NULL), 0);
	assert_false(o.report.filter.self_to_function);
	cli_free(&o);
	assert_int_equal(parse(&o, "report", "--self-to", "function", "-i", "s", NULL), 0);
	assert_true(o.report.filter.self_to_function);
	cli_free(&o);
	assert_int_equal(parse(&o, "report", "--self-to", "function", "--self-to", "leaf", "-i",
			       "s", NULL),
			 0);
	assert_false(o.report.filter.self_to_function);
	cli_free(&o);
	assert_int_equal(parse(&o, "--self-to", "function", "prog", NULL), 0);
	cli_tui_config(&o, &tc);
	assert_true(tc.self_to_function);
	cli_free(&o);
	assert_usage_error(parse(&o, "report", "--self-to", "inline", "-i", "s", NULL),
			   "unknown '--self-to' value 'inline' (valid: leaf, function)");
	assert_usage_error(parse(&o, "export", "--self-to", "leaf", NULL),
			   "option '--self-to' does not apply to 'proftop export'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_command),
		cmocka_unit_test(test_exit_status_self_to),
		cmocka_unit_test(test_defaults),       cmocka_unit_test(test_command_after_options),
		cmocka_unit_test(test_pids),	       cmocka_unit_test(test_sampling_options),
		cmocka_unit_test(test_report_options), cmocka_unit_test(test_record_export),
		cmocka_unit_test(test_bad_options),    cmocka_unit_test(test_help_version_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
