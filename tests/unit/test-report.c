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

#include "columns.h"
#include "profile.h"
#include "query.h"
#include "report.h"

#define MS	 1000000ull /* ns */
#define CXX_NAME "ns::pair<int, char>::get(int, char) const"

/* ---- a profile with known weights ----
 *   60 samples  compute <- main
 *   30 samples  ns::pair<int, char>::get <- compute <- main
 *   10 samples  main (truncated)
 * at 10 ms each: main 0.1 s self / 1.0 s total, compute 0.6 / 0.9, get 0.3 / 0.3. */
struct fixture {
	struct profile *p;
	uint32_t mainf, compute, cxx;
	char *out; /* the rendered report */
	size_t len;
	char *err;    /* what report_write said on stderr */
	char src[64]; /* a temporary source file, removed in teardown */
};

static uint32_t loc1(struct profile *p, uint32_t module, uint32_t f, const char *file, int line)
{
	struct prof_line l = {f, file, line};

	return profile_intern_location(p, module, 0x1000 + p->nlocations, &l, 1);
}

static void add(struct profile *p, uint32_t stack, int n, uint32_t flags)
{
	for (int i = 0; i < n; i++)
		profile_add_sample(p, (uint64_t)i * MS, 1234, stack, 10 * MS, flags);
}

static void build(struct fixture *fx)
{
	struct profile *p = profile_new();
	uint32_t prog = profile_intern_module(p, "/opt/bin/workload", NULL);
	uint32_t lib = profile_intern_module(p, "/usr/lib/libfoo.so", NULL);
	uint32_t lmain, lcomp, lcall;

	fx->p = p;
	fx->mainf = profile_intern_function(p, "main", "main", "/src/work.c", 10, prog);
	fx->compute = profile_intern_function(p, "compute", "compute", "/src/work.c", 20, prog);
	fx->cxx = profile_intern_function(p, CXX_NAME, "_ZNK2ns4pairIicE3getEic", NULL, 0, lib);
	p->functions[fx->compute].calls = 1000;
	p->functions[fx->cxx].calls = 5;
	p->functions[fx->cxx].calls_lower_bound = true;

	lmain = loc1(p, prog, fx->mainf, "/src/work.c", 12);
	lcomp = loc1(p, prog, fx->compute, "/src/work.c", 22);
	lcall = loc1(p, prog, fx->compute, "/src/work.c", 23);
	add(p, profile_intern_stack(p, (uint32_t[]){lcomp, lmain}, 2), 60, 0);
	add(p,
	    profile_intern_stack(p, (uint32_t[]){loc1(p, lib, fx->cxx, NULL, 0), lcall, lmain}, 3),
	    30, 0);
	add(p,
	    profile_intern_stack(p, (uint32_t[]){loc1(p, prog, fx->mainf, "/src/work.c", 13)}, 1),
	    10, PROF_SAMPLE_TRUNCATED);

	p->meta.command = profile_str(p, "./workload arg");
	p->meta.pid = 1234;
	p->meta.duration_ns = 6200 * MS;
	p->meta.freq = 997;
	p->meta.unwind = "dwarf";
	p->meta.exited = true;
	p->meta.exit_status = 0;
	p->meta.lost = 12345;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	build(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->src[0])
		unlink(fx->src);
	profile_free(fx->p);
	free(fx->out);
	free(fx->err);
	free(fx);
	return 0;
}

static struct report_opts opts(enum report_format format)
{
	struct report_opts o = {.sort = SORT_CUMULATIVE, .limit = 20, .format = format};

	return o;
}

/* Render into fx->out (and stderr into fx->err); returns report_write's status. */
static int render(struct fixture *fx, const struct report_opts *o)
{
	FILE *mem, *errf = tmpfile();
	int saved = dup(2), rc;
	long n;

	assert_non_null(errf);
	free(fx->out);
	free(fx->err);
	mem = open_memstream(&fx->out, &fx->len);
	assert_non_null(mem);
	fflush(stderr);
	dup2(fileno(errf), 2);
	rc = report_write(mem, fx->p, o);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fclose(mem);
	n = ftell(errf);
	fx->err = calloc(1, (size_t)n + 1);
	rewind(errf);
	assert_int_equal(fread(fx->err, 1, (size_t)n, errf), (size_t)n);
	fclose(errf);
	return rc;
}

/* The line of s that starts with prefix (after leading blanks when
 * skip_blanks), copied into buf; fails the test if there is none. */
static const char *line_after(const char *s, const char *marker, char *buf, size_t len)
{
	const char *at = strstr(s, marker), *end;

	if (!at)
		fail_msg("expected a line after '%s' in:\n%s", marker, s);
	at = strchr(at, '\n');
	assert_non_null(at);
	at++;
	end = strchr(at, '\n');
	snprintf(buf, len, "%.*s", (int)(end ? end - at : (long)strlen(at)), at);
	return buf;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find\n  [%s]\nin:\n%s", needle, haystack);
}

/* ---- text ---- */

static void test_text_header(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);

	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "proftop report: ./workload arg (pid 1234)\n"
				 "100 samples (1.0 s CPU) in 6.2 s at 997 Hz, dwarf unwinding; "
				 "12,345 lost; 10.0% truncated stacks\n"
				 "target exited with status 0\n\nOrdered by: cumulative time\n");

	fx->p->meta.exited = false;
	fx->p->meta.term_signal = 11;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "target was killed by SIGSEGV\n");
	/* the end of -d is not a crash */
	fx->p->meta.term_signal = 15;
	fx->p->meta.stopped_by_proftop = true;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "target was stopped by proftop with SIGTERM\n");
	fx->p->meta.stopped_by_proftop = false;
	fx->p->meta.term_signal = 0;
	fx->p->meta.attached = true;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "(pid 1234, attached)");
	assert_contains(fx->out, "target still running, detached\n");
}

static void test_text_table_cumulative(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);
	char line[256];

	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "Ordered by: cumulative time\n\n"
				 "     ncalls  tottime  percall  cumtime  percall   %self  %total  "
				 "function (file:line) [module]\n");
	/* main first: uncounted calls show "-", never a number */
	assert_string_equal(
		line_after(fx->out, "function (file:line) [module]", line, sizeof(line)),
		"          -    0.100        -    1.000        -   10.0%  100.0%  "
		"main (work.c:10) [workload]");
	assert_contains(fx->out, "       1000    0.600    0.001    0.900    0.001   60.0%   90.0%  "
				 "compute (work.c:20) [workload]\n");
	/* a lower bound is marked; no file means no "(file:line)" */
	assert_contains(fx->out,
			"        >=5    0.300    0.060    0.300    0.060   30.0%   30.0%  " CXX_NAME
			" [libfoo.so]\n");
	assert_null(strstr(fx->out, "showing"));
}

static void test_text_sort_and_limit(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);
	char line[256];

	o.sort = SORT_TOTTIME;
	o.limit = 2;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "Ordered by: internal time\n");
	line_after(fx->out, "function (file:line) [module]", line, sizeof(line));
	assert_non_null(strstr(line, "compute (work.c:20)"));
	assert_contains(fx->out, "(showing 2 of 3 functions; --limit 0 for all)\n");
	assert_null(strstr(fx->out, "main (work.c"));

	o.reverse = true;
	o.limit = 0;
	assert_int_equal(render(fx, &o), 0);
	line_after(fx->out, "function (file:line) [module]", line, sizeof(line));
	assert_non_null(strstr(line, "main (work.c:10)"));
	assert_null(strstr(fx->out, "showing"));
}

/* ---- CSV ---- */

static void test_csv(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_CSV);

	assert_int_equal(render(fx, &o), 0);
	assert_string_equal(
		fx->out,
		"function,module,file,line,self_samples,total_samples,self_pct,total_pct,"
		"tottime,cumtime,calls,inlined\n"
		"main,workload,/src/work.c,10,10,100,10.00,100.00,0.100000,1.000000,,0\n"
		"compute,workload,/src/work.c,20,60,90,60.00,90.00,0.600000,0.900000,1000,0\n"
		"\"" CXX_NAME "\",libfoo.so,,,30,30,30.00,30.00,0.300000,0.300000,5,0\n");
}

static void test_csv_quotes(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_CSV);

	fx->p->functions[fx->cxx].name = profile_str(fx->p, "say \"hi\", twice");
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "\n\"say \"\"hi\"\", twice\",libfoo.so,");
}

/* ---- JSON ---- */

/* A strict little JSON checker: returns the end of the value at s, or NULL. */
static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL; /* raw control characters are not JSON */
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
	}
	return s + 1;
}

static const char *json_value(const char *s)
{
	char *end;

	s = json_ws(s);
	if (*s == '{' || *s == '[') {
		char close = *s == '{' ? '}' : ']';

		s = json_ws(s + 1);
		if (*s == close)
			return s + 1;
		for (;;) {
			if (close == '}') {
				s = json_string(json_ws(s));
				if (!s || *(s = json_ws(s)) != ':')
					return NULL;
				s++;
			}
			s = json_value(s);
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s == close)
				return s + 1;
			if (*s++ != ',')
				return NULL;
		}
	}
	if (*s == '"')
		return json_string(s);
	if (!strncmp(s, "true", 4) || !strncmp(s, "null", 4))
		return s + 4;
	if (!strncmp(s, "false", 5))
		return s + 5;
	strtod(s, &end);
	return end == s ? NULL : end;
}

static void assert_json(const char *doc)
{
	const char *end = json_value(doc);

	if (!end || *json_ws(end))
		fail_msg("not one JSON value:\n%s", doc);
}

static void test_json(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_JSON);

	assert_int_equal(render(fx, &o), 0);
	assert_json(fx->out);
	assert_contains(fx->out, "{\"command\":\"./workload arg\",\"pid\":1234,\"samples\":100,"
				 "\"lost\":12345,\"truncated_samples\":10,\"duration_s\":6.200,");
	assert_contains(fx->out, "\"exit\":{\"status\":0}");
	assert_contains(fx->out, "\"sort\":\"cumulative\"");
	assert_contains(fx->out, "\"functions\":[\n{\"function\":\"main\",\"module\":\"workload\","
				 "\"file\":\"/src/work.c\",\"line\":10,\"self_samples\":10,"
				 "\"total_samples\":100,\"self_pct\":10.00,\"total_pct\":100.00,"
				 "\"tottime\":0.100000,\"cumtime\":1.000000,\"calls\":null,"
				 "\"calls_lower_bound\":false,\"inlined\":false}");
	assert_contains(fx->out, "\"file\":null,\"line\":null");
	assert_contains(fx->out, "\"calls\":5,\"calls_lower_bound\":true,\"inlined\":false}");

	fx->p->meta.exited = false;
	fx->p->meta.term_signal = 11;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out,
			"\"exit\":{\"signal\":\"SIGSEGV\"},\"ended\":false,\"stopped_by_proftop\":false,");
}

static void test_json_escaping(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_JSON);

	fx->p->functions[fx->cxx].name = profile_str(fx->p, "we\"ird\\\x01name\n\xff\xc3\xa9");
	fx->p->meta.command = profile_str(fx->p, "tab\there");
	assert_int_equal(render(fx, &o), 0);
	assert_json(fx->out);
	/* quote, backslash, control characters escaped; \xff replaced; é kept */
	assert_contains(fx->out, "\"function\":\"we\\\"ird\\\\\\u0001name\\u000a\\ufffd\xc3\xa9\"");
	assert_contains(fx->out, "\"command\":\"tab\\u0009here\"");
}

/* ---- callers, callees, memory ---- */

static void test_callers_callees(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);
	char line[256];

	o.callers_func = "compute";
	o.callees_func = "compute";
	assert_int_equal(render(fx, &o), 0);
	assert_non_null(strstr(line_after(fx->out, "Function:\n", line, sizeof(line)), "ncalls"));
	assert_contains(fx->out, "Function:\n     ncalls");
	assert_contains(fx->out,
			"   60.0%   90.0%  compute (work.c:20) [workload]\n\nCallers of compute:");
	line_after(fx->out, "Callers of compute:\n", line, sizeof(line));
	assert_non_null(strstr(fx->out, "Callees of compute:"));
	assert_non_null(strstr(strstr(fx->out, "Callers of compute:"), "main (work.c:10)"));
	assert_non_null(strstr(strstr(fx->out, "Callees of compute:"), CXX_NAME));
	assert_null(strstr(strstr(fx->out, "Callees of compute:"), "main (work.c:10)"));

	o.format = REPORT_CSV;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "relation,function,module,file,line,self_samples,total_samples,"
				 "self_pct,total_pct,tottime,cumtime,calls,inlined\n"
				 "function,compute,workload,/src/work.c,20,60,90,");
	assert_contains(fx->out, "\ncaller,main,workload,/src/work.c,10,");
	/* the callee's own count (>=5) is not the count of calls from compute */
	assert_contains(fx->out, "\ncallee,\"" CXX_NAME "\",libfoo.so,,,30,30,30.00,30.00,"
				 "0.300000,0.300000,,0\n");

	o.format = REPORT_JSON;
	assert_int_equal(render(fx, &o), 0);
	assert_json(fx->out);
	assert_contains(fx->out, "\"callers\":{\"function\":{\"function\":\"compute\"");
	assert_contains(fx->out, "\"callees\":{\"function\":{\"function\":\"compute\"");
}

static void test_memory(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);

	o.memory = true;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "memory: no samples\n");

	profile_add_memory(fx->p, 0, 0, 1 << 20, 100 << 20);
	profile_add_memory(fx->p, 3100 * MS, 0, 45 << 20, 200 << 20);
	profile_add_memory(fx->p, 6000 * MS, 0, 40 << 20, 150 << 20);
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out,
			"memory: RSS start 1.0 MiB, peak 45.0 MiB at 3.1 s, end 40.0 MiB, "
			"growth +39.0 MiB; VMS start 100.0 MiB, peak 200.0 MiB, end 150.0 MiB\n");
	assert_null(strstr(fx->out, "Ordered by"));

	o.format = REPORT_CSV;
	assert_int_equal(render(fx, &o), 0);
	/* the memory table (no records: its header only), then the RSS summary */
	assert_string_equal(fx->out, "function,module,allocated_bytes,self_allocated_bytes,"
				     "allocations,live_bytes,peak_bytes,leaked_bytes,faulted_bytes\n"
				     "\n"
				     "metric,start,peak,end,growth\n"
				     "rss,1048576,47185920,41943040,40894464\n"
				     "vms,104857600,209715200,157286400,52428800\n");

	o.format = REPORT_JSON;
	assert_int_equal(render(fx, &o), 0);
	assert_json(fx->out);
	assert_contains(fx->out, "\"memory\":{\"points\":3,\"peak_rss_time_s\":3.100,"
				 "\"rss\":{\"start\":1048576,\"peak\":47185920,");
}

/* ---- errors ---- */

static void test_unknown_function(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);

	o.lines_func = "nosuch";
	assert_int_equal(render(fx, &o), 1);
	assert_int_equal(fx->len, 0); /* nothing half-written */
	assert_string_equal(fx->err, "proftop: no function named 'nosuch' in the profile\n");

	o.lines_func = NULL;
	o.callees_func = "alsonot";
	assert_int_equal(render(fx, &o), 1);
}

static void test_ambiguous_function(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);
	uint32_t other = profile_intern_module(fx->p, "/usr/lib/libbar.so", NULL);

	profile_intern_function(fx->p, "compute", "compute", "/src/bar.c", 5, other);
	o.callers_func = "compute";
	assert_int_equal(render(fx, &o), 1);
	/* each candidate in a form that selects it alone */
	assert_string_equal(fx->err, "proftop: ambiguous function 'compute': use one of "
				     "workload:compute, libbar.so:compute\n");
	o.callers_func = "libbar.so:compute";
	assert_int_equal(render(fx, &o), 0);
}

/* ---- the line view, against a real source file ---- */

static const char source_text[] = "int helper(int x);\n"
				  "\n"
				  "int compute(int n)\n"
				  "{\n"
				  "\tint s = 0;\n"
				  "\tfor (int i = 0; i < n; i++)\n"
				  "\t\ts += helper(i);\n"
				  "\treturn s;\n"
				  "}\n";

static void test_lines(void **state)
{
	struct fixture *fx = *state;
	struct profile *p = profile_new();
	char *path = strcpy(fx->src, "/tmp/proftop-test-XXXXXX.c");
	int fd = mkstemps(path, 2);
	uint32_t m, comp, helper, l6, l7;
	struct prof_line chain[2];
	struct report_opts o = opts(REPORT_TEXT);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, source_text, sizeof(source_text) - 1), sizeof(source_text) - 1);
	close(fd);

	profile_free(fx->p); /* the fixture frees whatever profile it holds */
	fx->p = p;
	m = profile_intern_module(p, "/opt/bin/workload", NULL);
	comp = profile_intern_function(p, "compute", NULL, profile_str(p, path), 3, m);
	helper = profile_intern_function(p, "helper", NULL, profile_str(p, path), 1, m);
	l6 = loc1(p, m, comp, profile_str(p, path), 6);
	/* helper inlined into compute at line 7 */
	chain[0] = (struct prof_line){helper, profile_str(p, path), 1};
	chain[1] = (struct prof_line){comp, profile_str(p, path), 7};
	l7 = profile_intern_location(p, m, 0x2000, chain, 2);
	add(p, profile_intern_stack(p, &l6, 1), 3, 0);
	add(p, profile_intern_stack(p, &l7, 1), 1, 0);

	o.lines_func = "compute";
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "Source lines of compute (");
	/* the function from its first line: unsampled lines carry blanks */
	assert_contains(fx->out, "                                3  int compute(int n)\n"
				 "                                4  {\n"
				 "                                5          int s = 0;\n");
	/* the hottest line marked, the source text next to its counts */
	assert_contains(fx->out,
			"*   0.030    0.030   75.0%      6          for (int i = 0; i < n; i++)\n");
	assert_contains(fx->out,
			"    0.000    0.010   25.0%      7                  s += helper(i);"
			"  <- inlined: helper\n");
	assert_null(strstr(fx->out, "return s;")); /* nothing after the last sampled line */

	o.format = REPORT_CSV;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out,
			"file,line,self_samples,total_samples,self_pct,total_pct,source\n");
	assert_contains(fx->out, ",6,3,3,75.00,75.00,\tfor (int i = 0; i < n; i++)\n");

	o.format = REPORT_JSON;
	assert_int_equal(render(fx, &o), 0);
	assert_json(fx->out);
	assert_contains(fx->out, "\"line\":7,");
	assert_contains(fx->out, "\"source\":\"\\u0009\\u0009s += helper(i);\"");
	assert_contains(fx->out, "\"hottest\":false,\"inlined\":\"helper\",\"callee\":null}");

	/* no source: counts still shown, with the reason */
	unlink(path);
	o.format = REPORT_TEXT;
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "(source not available: No such file or directory)");
	assert_contains(fx->out, "*   0.030    0.030   75.0%      6\n");
}

/* A "source file" that is a directory: the reason, not garbage. */
static void test_lines_unreadable(void **state)
{
	struct fixture *fx = *state;
	struct report_opts o = opts(REPORT_TEXT);
	uint32_t m = profile_intern_module(fx->p, "/opt/bin/workload", NULL);
	uint32_t f = profile_intern_function(fx->p, "odd", NULL, "/", 1, m);
	uint32_t l = loc1(fx->p, m, f, "/", 2);

	add(fx->p, profile_intern_stack(fx->p, &l, 1), 1, 0);
	o.lines_func = "odd";
	assert_int_equal(render(fx, &o), 0);
	assert_contains(fx->out, "\n/ (source not available: Is a directory)\n");
	assert_contains(fx->out, "*   0.010    0.010  100.0%      2\n");
}

static void test_parse_format(void **state)
{
	enum report_format f = REPORT_TEXT;

	assert_int_equal(report_parse_format("json", &f), 0);
	assert_int_equal(f, REPORT_JSON);
	assert_int_equal(report_parse_format("csv", &f), 0);
	assert_int_equal(f, REPORT_CSV);
	assert_int_equal(report_parse_format("text", &f), 0);
	assert_int_equal(f, REPORT_TEXT);
	assert_int_equal(report_parse_format("xml", &f), -1);
	assert_int_equal(report_parse_format("", &f), -1);
}

/* One name per function, whoever asks: the report's text, its CSV and JSON
 * fields and the screen's cell all come from columns.c. */
static void test_function_names(void **state)
{
	struct fixture *fx = *state;
	struct profile *p = fx->p;
	uint32_t prog = p->functions[fx->mainf].module;
	uint32_t sys = profile_intern_function(p, NULL, "only_sym", NULL, 0, prog);
	uint32_t anon = profile_intern_function(p, "workload+0x1f00", NULL, NULL, 0, prog);
	struct func_row row = {.function = fx->compute, .calls = -1};
	struct field f[FUNC_COLUMN_FIELDS];
	double pct;
	char *label, *cell;

	assert_string_equal(profile_function_name(p, fx->compute), "compute");
	assert_string_equal(profile_function_name(p, sys), "only_sym");
	assert_string_equal(profile_function_name(p, anon), "workload+0x1f00");
	assert_string_equal(profile_function_name(p, PROF_NONE), "[unknown]");
	p->functions[sys].name = NULL;
	p->functions[sys].system_name = NULL;
	assert_string_equal(profile_function_name(p, sys), "[unknown]");
	assert_string_equal(profile_module_name(p, fx->cxx), "libfoo.so");

	label = func_label(p, fx->compute);
	assert_string_equal(label, "compute (work.c:20) [workload]");
	cell = func_columns[FCOL_FUNCTION].cell(p, &row, &pct);
	assert_string_equal(cell, label);
	free(cell);
	free(label);
	assert_int_equal(func_columns[FCOL_FUNCTION].fields(p, &row, f), 4);
	assert_string_equal(f[0].key, "function");
	assert_string_equal(f[0].s, "compute");
	assert_string_equal(f[1].s, "workload");
}

/* The record fields, in the order CSV headers have always had. */
static void test_record_order(void **state)
{
	static const char *const keys[] = {
		"function", "module",	"file",	   "line",    "self_samples", "total_samples",
		"self_pct", "total_pct", "tottime", "cumtime", "calls",	      "calls_lower_bound",
		"inlined",  "inlined",
	};
	struct field f[FUNC_COLUMN_FIELDS + 4];
	struct profile *p = profile_new();
	size_t n = 0;

	/* a CPU-clock profile (or none): the fields it always had */
	for (const enum func_col *c = func_record_order; *c != FCOL_COUNT; c++)
		if (func_columns[*c].fields)
			n += func_columns[*c].fields(NULL, NULL, f + n);
	assert_int_equal(n, FUNC_COLUMN_FIELDS - 2);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(f[i].key, keys[i]);
	/* a wall-clock profile: and the waits' share at the end */
	p->meta.clock = profile_str(p, "wall");
	n = 0;
	for (const enum func_col *c = func_record_order; *c != FCOL_COUNT; c++)
		if (func_columns[*c].fields)
			n += func_columns[*c].fields(p, NULL, f + n);
	assert_int_equal(n, FUNC_COLUMN_FIELDS);
	assert_string_equal(f[n - 2].key, "offcpu_pct");
	assert_string_equal(f[n - 1].key, "offcpu");
	profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_table_cumulative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_sort_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_quotes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_escaping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callers_callees, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ambiguous_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_unreadable, setup, teardown),
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test_setup_teardown(test_function_names, setup, teardown),
		cmocka_unit_test(test_record_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
