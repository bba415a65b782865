#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "query.h"
#include "xalloc.h"

/* Which commands accept an option: a bit per enum command. */
#define IN_TUI	     (1u << CMD_TUI)
#define IN_RECORD    (1u << CMD_RECORD)
#define IN_REPORT    (1u << CMD_REPORT)
#define IN_EXPORT    (1u << CMD_EXPORT)
#define IN_ALL	     (IN_TUI | IN_RECORD | IN_REPORT | IN_EXPORT)
#define IN_PROFILING (IN_TUI | IN_RECORD | IN_REPORT)
#define IN_HELP	     (1u << 8) /* not a command: the full help's own lines */

#define FREQ_MAX       100000
#define STACK_SIZE_MAX 65528
#define DURATION_MAX   1e9 /* seconds; keeps every ns conversion far from overflow */
#define CLI_TOP_MAX    100 /* --calls top:N (calls.h: CALLS_TOP_MAX) */
#define MAX_MEMORY_MIN (1ull << 20)
#define MAX_MEMORY_MAX (1ull << 50)
/* One page fault in this many is sampled, with its stack, each sample
 * standing for as many pages (256 KiB). A sampled fault costs the target
 * a copy of its stack in the kernel (about 6 us here), and a program that
 * maps or first touches memory in a loop faults hundreds of thousands of
 * times (memalloc, 107,000 faults: every fault took it 0.3 s more CPU,
 * one in 16 about 0.04 s, one in 64 about 0.01 s). */
#define FAULT_PERIOD_DEFAULT 64

enum {
	OPT_STACK_SIZE = 256,
	OPT_UNWIND,
	OPT_BACKEND,
	OPT_PYTHON_FRAMES,
	OPT_CALLS,
	OPT_NO_COLOR,
	OPT_SORT,
	OPT_LIMIT,
	OPT_FORMAT,
	OPT_LINES,
	OPT_CALLERS,
	OPT_CALLEES,
	OPT_MEMORY,
	OPT_TID,
	OPT_BASELINE,
	OPT_THRESHOLD,
	OPT_SAVE,
	OPT_REFRESH,
	OPT_STDIN,
	OPT_KEEP_RUNNING,
	OPT_WEIGHT,
	OPT_DISASM,
	OPT_PROCESSES,
	OPT_PROCESS,
	OPT_CALLS_BUDGET,
	OPT_LATENCY,
	OPT_EXIT_STATUS,
	OPT_SELF_TO,
	OPT_MAX_MEMORY,
	OPT_FAIL_ON_REGRESSION,
	OPT_CONFIDENCE,
	OPT_PER,
	OPT_REPEAT,
	OPT_CLOCK,
	OPT_IDLE,
	OPT_NO_IDLE,
	OPT_ALLOC_SAMPLE,
	OPT_NO_ALLOC,
	OPT_NO_FAULTS,
	OPT_MODULES,
	OPT_NO_DEBUGINFOD,
};

/* "+": stop at the first non-option, so options after COMMAND are its own;
 * ":": report a missing argument as ':' and print nothing ourselves. */
static const char short_options[] = "+:hVp:i:o:F:d:rf:";

static const struct option long_options[] = {
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"pid", required_argument, NULL, 'p'},
	{"input", required_argument, NULL, 'i'},
	{"output", required_argument, NULL, 'o'},
	{"freq", required_argument, NULL, 'F'},
	{"duration", required_argument, NULL, 'd'},
	{"stack-size", required_argument, NULL, OPT_STACK_SIZE},
	{"unwind", required_argument, NULL, OPT_UNWIND},
	{"backend", required_argument, NULL, OPT_BACKEND},
	{"python-frames", required_argument, NULL, OPT_PYTHON_FRAMES},
	{"calls", required_argument, NULL, OPT_CALLS},
	{"calls-budget", required_argument, NULL, OPT_CALLS_BUDGET},
	{"latency", required_argument, NULL, OPT_LATENCY},
	{"no-color", no_argument, NULL, OPT_NO_COLOR},
	{"sort", required_argument, NULL, OPT_SORT},
	{"reverse", no_argument, NULL, 'r'},
	{"limit", required_argument, NULL, OPT_LIMIT},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"lines", required_argument, NULL, OPT_LINES},
	{"callers", required_argument, NULL, OPT_CALLERS},
	{"callees", required_argument, NULL, OPT_CALLEES},
	{"memory", no_argument, NULL, OPT_MEMORY},
	{"tid", required_argument, NULL, OPT_TID},
	{"baseline", required_argument, NULL, OPT_BASELINE},
	{"threshold", required_argument, NULL, OPT_THRESHOLD},
	{"save", required_argument, NULL, OPT_SAVE},
	{"refresh", required_argument, NULL, OPT_REFRESH},
	{"stdin", no_argument, NULL, OPT_STDIN},
	{"keep-running", no_argument, NULL, OPT_KEEP_RUNNING},
	{"weight", required_argument, NULL, OPT_WEIGHT},
	{"disasm", no_argument, NULL, OPT_DISASM},
	{"processes", no_argument, NULL, OPT_PROCESSES},
	{"process", required_argument, NULL, OPT_PROCESS},
	{"exit-status", no_argument, NULL, OPT_EXIT_STATUS},
	{"self-to", required_argument, NULL, OPT_SELF_TO},
	{"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
	{"fail-on-regression", no_argument, NULL, OPT_FAIL_ON_REGRESSION},
	{"confidence", required_argument, NULL, OPT_CONFIDENCE},
	{"per", required_argument, NULL, OPT_PER},
	{"repeat", required_argument, NULL, OPT_REPEAT},
	{"clock", required_argument, NULL, OPT_CLOCK},
	{"idle", no_argument, NULL, OPT_IDLE},
	{"no-idle", no_argument, NULL, OPT_NO_IDLE},
	{"alloc-sample", required_argument, NULL, OPT_ALLOC_SAMPLE},
	{"no-alloc", no_argument, NULL, OPT_NO_ALLOC},
	{"no-faults", no_argument, NULL, OPT_NO_FAULTS},
	{"modules", no_argument, NULL, OPT_MODULES},
	{"no-debuginfod", no_argument, NULL, OPT_NO_DEBUGINFOD},
	{NULL, 0, NULL, 0},
};

static unsigned option_scope(int val)
{
	switch (val) {
	case 'h':
	case 'V':
	case 'o':
	case OPT_NO_COLOR:
		return IN_ALL;
	case 'i':
		return IN_TUI | IN_REPORT | IN_EXPORT;
	case OPT_TID:
	case OPT_IDLE:
	case OPT_NO_IDLE:
		return IN_TUI | IN_REPORT | IN_EXPORT;
	case OPT_CLOCK:
		return IN_TUI | IN_RECORD | IN_REPORT | IN_EXPORT;
	case OPT_SORT:
	case 'r':
	case OPT_BASELINE:
	case OPT_THRESHOLD:
	case OPT_CONFIDENCE:
	case OPT_PER:
	case OPT_PROCESS:
	case OPT_SELF_TO:
		return IN_TUI | IN_REPORT;
	case OPT_EXIT_STATUS:
		return IN_RECORD | IN_REPORT;
	case OPT_LIMIT:
	case OPT_LINES:
	case OPT_CALLERS:
	case OPT_CALLEES:
	case OPT_MEMORY:
	case OPT_DISASM:
	case OPT_SAVE:
	case OPT_PROCESSES:
	case OPT_FAIL_ON_REGRESSION:
	case OPT_MODULES:
		return IN_REPORT;
	case OPT_REPEAT:
		return IN_RECORD;
	case OPT_FORMAT: /* report: text|csv|json; export: same as -f */
		return IN_REPORT | IN_EXPORT;
	case 'f':
	case OPT_WEIGHT:
		return IN_EXPORT;
	case OPT_REFRESH:
	case OPT_STDIN:
		return IN_TUI;
	default: /* -p -F -d --stack-size --unwind --backend --python-frames --calls --max-memory */
		return IN_PROFILING;
	}
}

static const char *const command_names[] = {
	[CMD_TUI] = "proftop",
	[CMD_RECORD] = "proftop record",
	[CMD_REPORT] = "proftop report",
	[CMD_EXPORT] = "proftop export",
};

static const char *const export_formats[] = {"folded", "speedscope", "pprof", "callgrind"};

/* The usage lines, each with the commands it is about. */
static const struct help_block {
	unsigned scope;
	const char *text;
} usage_lines[] = {
	{IN_TUI,
	 "Usage: proftop [OPTIONS] [-- COMMAND [ARG...]]    launch COMMAND and watch it live\n"
	 "       proftop [OPTIONS] -p PID[,PID...]          attach to running processes\n"
	 "       proftop [OPTIONS]                          pick a process to attach to\n"
	 "       proftop -i FILE                            open a saved session\n"},
	{IN_RECORD, "       proftop record [OPTIONS] -o FILE (-p PID | -- COMMAND [ARG...])\n"},
	{IN_REPORT, "       proftop report [OPTIONS] (-i FILE | -p PID | -- COMMAND [ARG...])\n"},
	{IN_EXPORT, "       proftop export -i FILE -f FORMAT [-o OUT]\n"},
	{IN_HELP, "       proftop help [record|report|export|live]\n"},
};

/* The option list by section, each with the commands it applies to. */
static const struct help_block option_sections[] = {
	{IN_PROFILING,
	 "\n"
	 "Target:\n"
	 "  -p, --pid PID[,PID...]   attach to these processes (all their threads)\n"
	 "  -i, --input FILE         read a saved session instead of profiling\n"
	 "  COMMAND [ARG...]         launch COMMAND (everything after the first\n"
	 "                           non-option or after \"--\" belongs to it;\n"
	 "                           \"--\" runs a program named like a sub-command)\n"},
	{IN_PROFILING,
	 "\n"
	 "Sampling (tui, record, report):\n"
	 "  -F, --freq HZ            samples per second, 1..100000 (default 997;\n"
	 "                           99 with the ptrace backend)\n"
	 "  -d, --duration SECONDS   stop after SECONDS (default: when the target ends)\n"
	 "      --stack-size BYTES   user stack bytes copied per sample, up to 65528\n"
	 "                           (default 8192)\n"
	 "      --unwind dwarf|fp    DWARF CFI (default) or frame pointers\n"
	 "      --backend auto|perf|ptrace\n"
	 "                           sampling backend (default auto: perf, else ptrace)\n"
	 "      --python-frames mixed|python|native\n"
	 "                           CPython 3.11-3.13 targets: Python functions in place\n"
	 "                           of the eval loop among native frames (default\n"
	 "                           mixed), Python frames only, or native frames only\n"
	 "      --calls FUNC[,FUNC...]\n"
	 "                           count exact calls of these functions (uprobes;\n"
	 "                           module:FUNC picks one; top:N the N hottest)\n"
	 "      --calls-budget PCT   probe cost allowed, in % of the target's CPU\n"
	 "                           time (default 5)\n"
	 "      --latency FUNC[,FUNC...]\n"
	 "                           time every call of these functions\n"
	 "      --keep-running       a launched COMMAND outlives proftop if proftop is\n"
	 "                           killed (default: it is killed with proftop)\n"
	 "      --max-memory SIZE    memory for the profile, e.g. 64M or 2G (default\n"
	 "                           256M): older samples are summed per second\n"
	 "      --clock cpu|wall     count CPU time (default) or wall time: CPU time plus\n"
	 "                           each thread's waits, as [off-CPU: why] frames;\n"
	 "                           with -i: the session's clock by default\n"
	 "      --idle, --no-idle    wall clock: show or hide (default) idle waits:\n"
	 "                           threads waiting for work (condition variable,\n"
	 "                           semaphore, poll/epoll/select, accept)\n"
	 "      --alloc-sample BYTES which code allocates: one allocation sampled every\n"
	 "                           BYTES on average (default 64K; 1: every one)\n"
	 "      --no-alloc           do not track a launched target's allocations\n"
	 "      --no-faults          do not sample page faults (RSS growth by code;\n"
	 "                           default: one fault in 64)\n"
	 "      --no-debuginfod      do not fetch debug info from DEBUGINFOD_URLS\n"},
	{IN_ALL, "\n"
		 "Output:\n"
		 "  -o, --output FILE        record/export: the file to write; tui: save the\n"
		 "                           session on quit; report: write the report to FILE\n"
		 "      --no-color           no colors (also when NO_COLOR is set)\n"},
	{IN_RECORD | IN_REPORT,
	 "      --exit-status        record, report: exit with the target's status (its\n"
	 "                           exit code, or 128+N when signal N killed it)\n"},
	{IN_TUI, "\n"
		 "Live view (tui):\n"
		 "      --refresh SECONDS    screen update interval (default 1)\n"
		 "      --stdin              let the target read the terminal (in the output\n"
		 "                           view, i hands it the keys; Ctrl-C takes them back)\n"},
	{IN_TUI | IN_REPORT,
	 "\n"
	 "Report (report; --sort, -r, --tid and --self-to also set the TUI's view):\n"
	 "      --sort KEY           cumulative (default), tottime, calls or name;\n"
	 "                           aliases cumtime, cum, total, self, time, own, ncalls;\n"
	 "                           report --memory: allocated, self, allocs, live,\n"
	 "                           peak, leaked, faulted or name\n"
	 "  -r, --reverse            reverse the order\n"
	 "      --self-to leaf|function\n"
	 "                           self time to the innermost inlined function (leaf,\n"
	 "                           the default) or to the out-of-line function holding\n"
	 "                           it (function: perf's view without inlines)\n"},
	{IN_REPORT,
	 "      --limit N            show N rows (default 20; 0 = all)\n"
	 "      --format text|csv|json|markdown\n"
	 "                           output format (default text; markdown: the\n"
	 "                           comparison with --baseline, for a CI comment)\n"
	 "      --lines FUNC         per-line counts of FUNC, next to its source\n"
	 "      --disasm             with --lines: per-instruction counts of FUNC's\n"
	 "                           machine code (also shown when its source is missing)\n"
	 "      --callers FUNC       who calls FUNC, and how much time flows through\n"
	 "      --callees FUNC       what FUNC calls\n"
	 "                           FUNC: a name, module:FUNC, FUNC@file:line or\n"
	 "                           FUNC@file, as the tables show it\n"
	 "      --memory             memory by function: bytes allocated, live, at the\n"
	 "                           RSS peak, leaked and faulted (RSS growth), after the\n"
	 "                           RSS summary; --sort allocated (default), self,\n"
	 "                           allocs, live, peak, leaked or faulted; with --lines,\n"
	 "                           --callers or --callees: bytes instead of time;\n"
	 "                           of a run: no CPU samples unless -F or --save\n"
	 "      --modules            each module: path, build id, where its symbols\n"
	 "                           came from\n"},
	{IN_TUI | IN_REPORT, "      --tid TID            only samples of thread TID\n"},
	{IN_REPORT, "      --process PID        only samples of process PID (of a launched\n"
		    "                           program's children, say; see --processes)\n"
		    "      --processes          a row per process: threads, CPU, hottest function\n"
		    "      --save FILE          also save the session to FILE (see record)\n"},
	{IN_TUI | IN_REPORT,
	 "\n"
	 "Compare (report, tui):\n"
	 "      --baseline OLD       add each function's change since the session OLD:\n"
	 "                           own and cumulative time per run, with intervals\n"
	 "      --sort delta         largest regression (growth of own time) first\n"
	 "      --threshold T        flag changes past T and significant: 10% of the\n"
	 "                           function's own time, 0.05s, or 2pt (2 = 2pt: %self\n"
	 "                           points)\n"
	 "      --confidence PCT     of the intervals and verdicts (default 95)\n"
	 "      --per NEW[,OLD]      times per unit of work: units done per run, or\n"
	 "      --per output:WORD    each run's count, the number after WORD in its output\n"},
	{IN_REPORT, "      --fail-on-regression exit with status 3 when a function is flagged\n"
		    "                           (threshold 10% unless given)\n"},
	{IN_RECORD,
	 "\n"
	 "Record:\n"
	 "      --repeat N           run the command N times into the session, each run\n"
	 "                           kept apart (for comparisons that know the noise)\n"},
	{IN_EXPORT,
	 "\n"
	 "Export:\n"
	 "  -i, --input FILE         the saved session\n"
	 "  -f, --format FORMAT      folded, speedscope, pprof or callgrind\n"
	 "      --weight samples|ns|bytes\n"
	 "                           folded, callgrind: count samples (default) or CPU\n"
	 "                           ns; folded, speedscope: bytes allocated (bytes)\n"
	 "      --tid TID            only samples of thread TID\n"},
	{IN_ALL, "\n"
		 "  -h, --help               show this help and exit\n"
		 "  -V, --version            show the version and exit\n"
		 "\n"
		 "Exit status: 0 success, 1 failure, 2 bad usage, 3 a regression with\n"
		 "--fail-on-regression (with --exit-status: the target's). See proftop(1)\n"
		 "for details, permissions and examples.\n"},
};

#define NELEM(a) (sizeof(a) / sizeof(*(a)))

/* The blocks in scope; the first starts with "Usage: " when it does not. */
static void print_blocks(FILE *f, const struct help_block *b, size_t n, unsigned scope)
{
	bool first = true;

	for (size_t i = 0; i < n; i++) {
		if (!(b[i].scope & scope))
			continue;
		if (first && b == usage_lines && strncmp(b[i].text, "Usage:", 6))
			fprintf(f, "Usage:%s", b[i].text + 6);
		else
			fputs(b[i].text, f);
		first = false;
	}
}

void cli_usage(FILE *f)
{
	print_blocks(f, usage_lines, NELEM(usage_lines), IN_ALL | IN_HELP);
}

/* The help of the commands in scope: their usage and their options. */
static void help(unsigned scope)
{
	print_blocks(stdout, usage_lines, NELEM(usage_lines),
		     scope == IN_ALL ? IN_ALL | IN_HELP : scope);
	if (scope != IN_ALL)
		printf("       proftop help    (every command and option)\n");
	print_blocks(stdout, option_sections, NELEM(option_sections), scope);
}

/* Print "proftop: <problem>", the short usage and a pointer to --help;
 * return the usage-error exit status. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cli_usage(stderr);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	return 2;
}

/* Strict unsigned decimal: digits only, no sign, no blanks, <= max. */
static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (unsigned)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return 0;
}

/* A size in bytes with an optional K, M or G (powers of 1024), within
 * [min, MAX_MEMORY_MAX]. */
static int parse_size_from(const char *s, unsigned long long min, unsigned long long *out)
{
	size_t digits = strspn(s, "0123456789");
	unsigned long long v, unit = 1;
	char num[32];

	if (digits == 0 || digits >= sizeof(num))
		return -1;
	memcpy(num, s, digits);
	num[digits] = '\0';
	if (parse_uint(num, MAX_MEMORY_MAX, &v) < 0)
		return -1;
	switch (s[digits]) {
	case '\0':
		break;
	case 'k':
	case 'K':
		unit = 1ull << 10;
		break;
	case 'm':
	case 'M':
		unit = 1ull << 20;
		break;
	case 'g':
	case 'G':
		unit = 1ull << 30;
		break;
	default:
		return -1;
	}
	if (s[digits] && s[digits + 1])
		return -1;
	if (v > MAX_MEMORY_MAX / unit || v * unit < min)
		return -1;
	*out = v * unit;
	return 0;
}

/* A --max-memory size: from MAX_MEMORY_MIN. */
static int parse_size(const char *s, unsigned long long *out)
{
	return parse_size_from(s, MAX_MEMORY_MIN, out);
}

/* A positive decimal number of seconds ("10", "2.5", ".5"), parsed by hand
 * so that the result does not depend on LC_NUMERIC. */
static int parse_seconds(const char *s, double *out)
{
	double v = 0, scale = 1;
	bool digits = false, dot = false;

	for (; *s; s++) {
		if (*s == '.' && !dot) {
			dot = true;
		} else if (*s >= '0' && *s <= '9') {
			digits = true;
			if (dot) {
				scale /= 10;
				v += (*s - '0') * scale;
			} else {
				v = v * 10 + (*s - '0');
			}
			if (v > DURATION_MAX)
				return -1;
		} else {
			return -1;
		}
	}
	if (!digits || v <= 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_id(const char *s, int32_t *out)
{
	unsigned long long v;

	if (parse_uint(s, INT32_MAX, &v) < 0 || v == 0)
		return -1;
	*out = (int32_t)v;
	return 0;
}

/* Append every PID of "1,2,3" to o->pids. */
static int parse_pids(const char *arg, struct options *o)
{
	const char *s = arg;
	size_t cap = o->npids;

	for (;;) {
		size_t len = strcspn(s, ",");
		char *piece = xstrndup(s, len);
		int32_t pid;

		if (parse_id(piece, &pid) < 0) {
			int rc = usage_error("invalid PID '%s'", piece);

			free(piece);
			return rc;
		}
		free(piece);
		for (size_t i = 0; i < o->npids && pid; i++)
			if (o->pids[i] == pid)
				pid = 0; /* attach once, however often it is named */
		if (pid) {
			o->pids = xgrow(o->pids, &cap, o->npids + 1, sizeof(*o->pids));
			o->pids[o->npids++] = pid;
		}
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

/* A comma-separated list of names, none empty. */
static bool valid_list(const char *s)
{
	size_t len = strlen(s);

	return len && s[0] != ',' && s[len - 1] != ',' && !strstr(s, ",,");
}

/* Every "top:N" item of a --calls list has N in 1..CLI_TOP_MAX ("top:f",
 * not a number, is FUNC f of a module named top). */
static bool valid_top(const char *list)
{
	for (const char *s = list; s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL) {
		unsigned long long n;
		char num[16];
		size_t len = strcspn(s, ",");

		if (strncmp(s, "top:", 4) || len == 4 || strspn(s + 4, "0123456789") != len - 4)
			continue;
		if (len - 4 >= sizeof(num))
			return false;
		memcpy(num, s + 4, len - 4);
		num[len - 4] = '\0';
		if (parse_uint(num, CLI_TOP_MAX, &n) < 0 || n == 0)
			return false;
	}
	return true;
}

static int parse_export_format(const char *s, struct options *o)
{
	for (size_t i = 0; i < sizeof(export_formats) / sizeof(*export_formats); i++) {
		if (!strcmp(s, export_formats[i])) {
			o->export_format = export_formats[i];
			return 0;
		}
	}
	return usage_error(
		"unknown export format '%s' (valid: folded, speedscope, pprof, callgrind)", s);
}

static int parse_sort(const char *s, enum query_sort *out)
{
	if (query_parse_sort(s, out) == 0)
		return 0;
	return usage_error("unknown sort key '%s' (valid: cumulative, tottime, calls, name; "
			   "aliases: cumtime, cum, total, self, time, own, ncalls; with --memory: "
			   "allocated, self, allocs, live, peak, leaked, faulted, name)",
			   s);
}

/* The option as the user spelled it, for messages. */
static const char *option_label(int val, int longindex, char *buf, size_t len)
{
	if (longindex >= 0) {
		snprintf(buf, len, "--%s", long_options[longindex].name);
	} else if (val > 0 && val < 256) {
		snprintf(buf, len, "-%c", val);
	} else {
		for (const struct option *lo = long_options; lo->name; lo++) {
			if (lo->val == val) {
				snprintf(buf, len, "--%s", lo->name);
				return buf;
			}
		}
		snprintf(buf, len, "?");
	}
	return buf;
}

static int out_of_scope(const char *label, enum command cmd, unsigned scope)
{
	if (scope == IN_REPORT)
		return usage_error("option '%s' is only for 'proftop report'", label);
	if (scope == IN_EXPORT)
		return usage_error("option '%s' is only for 'proftop export'", label);
	return usage_error("option '%s' does not apply to '%s'", label, command_names[cmd]);
}

/* --per NEW[,OLD]: units of work per run of the current session and of
 * the baseline (OLD defaults to NEW). */
static int parse_per(const char *arg, struct options *o)
{
	char *end;
	double a, b;

	if (!strncmp(arg, "output:", 7)) {
		if (!arg[7])
			return usage_error("--per output:WORD needs the word before the count "
					   "(--per output:requests:)");
		o->per_output = arg + 7;
		return 0;
	}
	a = b = strtod(arg, &end);
	if (end != arg && *end == ',') {
		const char *rest = end + 1;

		b = strtod(rest, &end);
		if (end == rest)
			b = -1;
	}
	if (end == arg || *end || !(a > 0) || !(b > 0) || a > 1e15 || b > 1e15)
		return usage_error("invalid units of work '%s' for --per (NEW or NEW,OLD: "
				   "positive numbers, or output:WORD)",
				   arg);
	o->per_cur = a;
	o->per_base = b;
	return 0;
}

static void options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->command = CMD_TUI;
	o->freq = 997;
	o->stack_size = 8192;
	o->unwind = UNWIND_DWARF;
	o->backend = BACKEND_AUTO;
	o->calls_budget = 5;
	o->max_memory = CLI_MAX_MEMORY_DEFAULT;
	o->alloc_sample = CLI_ALLOC_SAMPLE_DEFAULT;
	o->report.sort = SORT_CUMULATIVE;
	o->report.limit = 20;
	o->report.format = REPORT_TEXT;
	o->confidence = 0.95;
	o->threshold_unit = DIFF_POINTS;
	o->repeat = 1;
}

/* Handle one parsed option; returns 0 or an exit status (-1, 2). */
static int apply_option(int c, const char *arg, const char *label, struct options *o)
{
	unsigned long long v;

	switch (c) {
	case 'h':
		help(o->command == CMD_TUI ? IN_ALL : 1u << o->command);
		return -1;
	case 'V':
		printf("proftop %s\n", PACKAGE_VERSION);
		return -1;
	case 'p':
		return parse_pids(arg, o);
	case 'i':
		if (!*arg)
			return usage_error("empty file name for '%s'", label);
		o->input = arg;
		return 0;
	case 'o':
		if (!*arg)
			return usage_error("empty file name for '%s'", label);
		if (o->command == CMD_REPORT)
			o->report_output = arg;
		else
			o->output = arg;
		return 0;
	case 'F':
		if (parse_uint(arg, FREQ_MAX, &v) < 0 || v == 0)
			return usage_error("invalid frequency '%s' (1..%d Hz)", arg, FREQ_MAX);
		o->freq = (unsigned)v;
		o->freq_set = true;
		return 0;
	case 'd':
		if (parse_seconds(arg, &o->duration) < 0)
			return usage_error(
				"invalid duration '%s' (positive seconds, e.g. 10 or 2.5)", arg);
		return 0;
	case OPT_STACK_SIZE:
		if (parse_uint(arg, STACK_SIZE_MAX, &v) < 0 || v == 0)
			return usage_error("invalid stack size '%s' (1..%d bytes)", arg,
					   STACK_SIZE_MAX);
		o->stack_size = (unsigned)((v + 7) & ~7ull); /* the kernel wants multiples of 8 */
		return 0;
	case OPT_UNWIND:
		if (!strcmp(arg, "dwarf"))
			o->unwind = UNWIND_DWARF;
		else if (!strcmp(arg, "fp"))
			o->unwind = UNWIND_FP;
		else
			return usage_error("unknown unwind mode '%s' (valid: dwarf, fp)", arg);
		return 0;
	case OPT_BACKEND:
		if (!strcmp(arg, "auto"))
			o->backend = BACKEND_AUTO;
		else if (!strcmp(arg, "perf"))
			o->backend = BACKEND_PERF;
		else if (!strcmp(arg, "ptrace"))
			o->backend = BACKEND_PTRACE;
		else
			return usage_error("unknown backend '%s' (valid: auto, perf, ptrace)", arg);
		return 0;
	case OPT_PYTHON_FRAMES:
		if (!strcmp(arg, "mixed"))
			o->python_frames = PYTHON_FRAMES_MIXED;
		else if (!strcmp(arg, "python"))
			o->python_frames = PYTHON_FRAMES_PYTHON;
		else if (!strcmp(arg, "native"))
			o->python_frames = PYTHON_FRAMES_NATIVE;
		else
			return usage_error(
				"unknown Python frames mode '%s' (valid: mixed, python, native)", arg);
		return 0;
	case OPT_CALLS:
		if (!valid_list(arg))
			return usage_error("invalid function list '%s' for '%s' (FUNC[,FUNC...])",
					   arg, label);
		if (!valid_top(arg))
			return usage_error("invalid '%s' in '%s' (top:N, N from 1 to %d)",
					   strstr(arg, "top:"), label, CLI_TOP_MAX);
		o->calls = arg;
		return 0;
	case OPT_CALLS_BUDGET:
		if (parse_seconds(arg, &o->calls_budget) < 0 || o->calls_budget > 100)
			return usage_error("invalid budget '%s' for '%s' (a percentage above 0, "
					   "up to 100)",
					   arg, label);
		return 0;
	case OPT_LATENCY:
		if (!valid_list(arg))
			return usage_error("invalid function list '%s' for '%s' (FUNC[,FUNC...])",
					   arg, label);
		o->latency = arg;
		o->report.latency = arg;
		return 0;
	case OPT_ALLOC_SAMPLE:
		if (parse_size_from(arg, 1, &v) < 0 || v > (1ull << 40))
			return usage_error("invalid size '%s' for '%s' (bytes, or with K, M or G, "
					   "e.g. 64K; 1 tracks every allocation)",
					   arg, label);
		o->alloc_sample = v;
		return 0;
	case OPT_NO_ALLOC:
		o->no_alloc = true;
		return 0;
	case OPT_NO_FAULTS:
		o->no_faults = true;
		return 0;
	case OPT_MODULES:
		o->report.modules = true;
		return 0;
	case OPT_NO_DEBUGINFOD:
		o->no_debuginfod = true;
		return 0;
	case OPT_MAX_MEMORY:
		if (parse_size(arg, &v) < 0)
			return usage_error("invalid size '%s' for '%s' (bytes, or with K, M or G, "
					   "e.g. 64M; from 1M)",
					   arg, label);
		o->max_memory = v;
		return 0;
	case OPT_NO_COLOR:
		o->no_color = true;
		return 0;
	case OPT_SORT: {
		bool time_key;

		o->sort_delta = !strcmp(arg, "delta");
		if (o->sort_delta)
			return 0;
		/* A memory key (--memory's table) or a time key, or both ("self") */
		o->report.mem_sort_set = query_parse_mem_sort(arg, &o->report.mem_sort) == 0;
		time_key = query_parse_sort(arg, &o->report.sort) == 0;
		o->sort_memory_only = o->report.mem_sort_set && !time_key;
		o->sort_time_only = time_key && !o->report.mem_sort_set;
		return time_key || o->report.mem_sort_set ? 0 : parse_sort(arg, &o->report.sort);
	}
	case OPT_BASELINE:
	case OPT_SAVE:
		if (!*arg)
			return usage_error("empty file name for '%s'", label);
		*(c == OPT_SAVE ? &o->save : &o->baseline) = arg;
		return 0;
	case OPT_THRESHOLD:
		/* "10%", "0.05s", "2pt", or points: "2", "0.5"; 0 flags any growth */
		if (diff_parse_threshold(arg, &o->threshold, &o->threshold_unit) < 0)
			return usage_error("invalid threshold '%s' (10%% of own time, 0.05s, or "
					   "2pt: %%self points, 0 to 100)",
					   arg);
		o->flag = true;
		o->threshold_set = true;
		return 0;
	case OPT_FAIL_ON_REGRESSION:
		o->fail_on_regression = true;
		o->flag = true;
		return 0;
	case OPT_CONFIDENCE:
		if (parse_seconds(arg, &o->confidence) < 0 || o->confidence < 50 ||
		    o->confidence > 99.99)
			return usage_error("invalid confidence '%s' (a percentage, 50 to 99.99)",
					   arg);
		o->confidence /= 100;
		return 0;
	case OPT_PER:
		return parse_per(arg, o);
	case OPT_REPEAT:
		if (parse_uint(arg, 1000, &v) < 0 || v < 1)
			return usage_error("invalid repeat count '%s' (1 to 1000 runs)", arg);
		o->repeat = (unsigned)v;
		return 0;
	case 'r':
		o->report.reverse = true;
		return 0;
	case OPT_LIMIT:
		if (parse_uint(arg, UINT32_MAX, &v) < 0)
			return usage_error("invalid limit '%s' (a number of rows, 0 = all)", arg);
		o->report.limit = (size_t)v;
		return 0;
	case 'f':
		return parse_export_format(arg, o);
	case OPT_FORMAT:
		if (o->command == CMD_EXPORT)
			return parse_export_format(arg, o);
		o->markdown = !strcmp(arg, "markdown");
		if (o->markdown)
			return 0;
		if (report_parse_format(arg, &o->report.format) < 0)
			return usage_error("unknown format '%s' (valid: text, csv, json, markdown)",
					   arg);
		return 0;
	case OPT_LINES:
	case OPT_CALLERS:
	case OPT_CALLEES:
		if (!*arg)
			return usage_error("empty function name for '%s'", label);
		if (c == OPT_LINES)
			o->report.lines_func = arg;
		else if (c == OPT_CALLERS)
			o->report.callers_func = arg;
		else
			o->report.callees_func = arg;
		return 0;
	case OPT_MEMORY:
		o->report.memory = true;
		return 0;
	case OPT_DISASM:
		o->report.disasm = true;
		return 0;
	case OPT_TID:
		if (parse_id(arg, &o->report.filter.tid) < 0)
			return usage_error("invalid thread id '%s'", arg);
		return 0;
	case OPT_PROCESS:
		if (parse_id(arg, &o->report.filter.pid) < 0)
			return usage_error("invalid process id '%s'", arg);
		return 0;
	case OPT_PROCESSES:
		o->report.processes = true;
		return 0;
	case OPT_EXIT_STATUS:
		o->exit_status = true;
		return 0;
	case OPT_CLOCK:
		if (!strcmp(arg, "cpu"))
			o->clock = REPORT_CLOCK_CPU;
		else if (!strcmp(arg, "wall"))
			o->clock = REPORT_CLOCK_WALL;
		else
			return usage_error("unknown '%s' value '%s' (valid: cpu, wall)", label,
					   arg);
		return 0;
	case OPT_IDLE:
	case OPT_NO_IDLE:
		o->report.filter.idle = c == OPT_IDLE;
		return 0;
	case OPT_SELF_TO:
		if (!strcmp(arg, "leaf"))
			o->report.filter.self_to_function = false;
		else if (!strcmp(arg, "function"))
			o->report.filter.self_to_function = true;
		else
			return usage_error("unknown '%s' value '%s' (valid: leaf, function)", label,
					   arg);
		return 0;
	case OPT_REFRESH:
		if (parse_seconds(arg, &o->refresh) < 0 || o->refresh < 0.05 || o->refresh > 3600)
			return usage_error("invalid refresh interval '%s' (0.05 to 3600 seconds)",
					   arg);
		return 0;
	case OPT_STDIN:
		o->pass_stdin = true;
		return 0;
	case OPT_KEEP_RUNNING:
		o->keep_running = true;
		return 0;
	case OPT_WEIGHT:
		if (!strcmp(arg, "samples") || !strcmp(arg, "ns") || !strcmp(arg, "nanoseconds") ||
		    !strcmp(arg, "bytes")) {
			o->export_ns = arg[0] == 'n';
			o->export_bytes = arg[0] == 'b';
			return 0;
		}
		return usage_error("unknown weight '%s' (valid: samples, ns, bytes)", arg);
	}
	return usage_error("unhandled option '%s'", label); /* a table out of step */
}

/* The combinations a single option cannot see. */
static int check_combination(struct options *o)
{
	const struct report_opts *r = &o->report;
	bool target = o->npids || o->argv;

	if (o->npids && o->argv)
		return usage_error("-p and a COMMAND cannot be used together");
	if (o->input && target)
		return usage_error("-i cannot be used with %s", o->npids ? "-p" : "a COMMAND");
	if (o->exit_status && o->input)
		return usage_error("--exit-status is the status of a target proftop runs: "
				   "use -p PID or -- COMMAND, not -i");
	if (!o->baseline &&
	    (o->sort_delta || o->flag || o->per_cur > 0 || o->per_output || o->markdown))
		return usage_error("%s compares with a baseline: add --baseline OLD",
				   o->sort_delta	   ? "--sort delta"
				   : o->fail_on_regression ? "--fail-on-regression"
				   : o->flag		   ? "--threshold"
				   : o->markdown	   ? "--format markdown"
							   : "--per");
	/* --fail-on-regression alone: 10% of the function's own time. */
	if (o->flag && !o->threshold_set) {
		o->threshold = 10;
		o->threshold_unit = DIFF_PERCENT;
	}
	if (o->repeat > 1 && !o->argv)
		return usage_error("--repeat runs a command several times: add -- COMMAND");
	if (o->markdown && (o->report.lines_func || o->report.callers_func ||
			    o->report.callees_func || o->report.processes))
		return usage_error("--format markdown shows the comparison only: drop --lines, "
				   "--callers, --callees and --processes");
	if (o->sort_memory_only && !r->memory)
		return usage_error(o->command == CMD_REPORT
					   ? "--sort %s orders the memory table: add --memory"
					   : "--sort %s orders report --memory's table",
				   query_mem_sort_name(r->mem_sort));
	if (o->sort_time_only && r->memory)
		return usage_error("--sort %s orders time; --memory sorts by allocated, self, "
				   "allocs, live, peak, leaked, faulted or name",
				   query_sort_name(r->sort));
	if (r->memory && r->disasm)
		return usage_error("--disasm counts time only: drop --memory (--lines FUNC "
				   "--memory shows the bytes per source line)");
	if (r->memory && (o->per_cur > 0 || o->per_output))
		return usage_error("--per normalises time per unit of work: the memory "
				   "comparison (--memory) compares bytes per run; drop --per");
	if (r->memory && o->baseline && o->threshold_set && o->threshold_unit != DIFF_PERCENT)
		return usage_error("--threshold with --memory is a percentage of the function's "
				   "baseline bytes, e.g. 10%%");
	switch (o->command) {
	case CMD_TUI:
		break;
	case CMD_RECORD:
		if (!target)
			return usage_error("record needs a target: -p PID or -- COMMAND");
		if (!o->output)
			return usage_error("record needs an output file: -o FILE");
		break;
	case CMD_REPORT:
		if (!target && !o->input)
			return usage_error("report needs a target: -i FILE, -p PID or -- COMMAND");
		if (r->disasm && !r->lines_func)
			return usage_error(
				"--disasm shows the code of one function: add --lines FUNC");
		/* CSV has room for one table: callers and callees share one;
		 * under --memory, --lines/--callers/--callees are its table in
		 * bytes. */
		if (r->format == REPORT_CSV &&
		    !!r->lines_func + !!(r->callers_func || r->callees_func) +
				    (r->memory && !r->lines_func && !r->callers_func &&
				     !r->callees_func) +
				    r->processes + r->modules >
			    1)
			return usage_error("--format csv shows one table: use one of --lines, "
					   "--callers/--callees, --memory, --processes");
		break;
	case CMD_EXPORT: /* a COMMAND was refused while parsing */
		if (!o->input)
			return usage_error("export needs a session file: -i FILE");
		if (!o->export_format)
			return usage_error(
				"export needs a format: -f folded|speedscope|pprof|callgrind");
		break;
	}
	return 0;
}

/* getopt_long returned '?': an unknown short option, an unknown or ambiguous
 * long one, or an argument given to a long option that takes none. */
static int bad_option(const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (optopt) {
		for (const struct option *lo = long_options; lo->name; lo++) {
			/* "--name=x" or an abbreviation "--na=x" */
			if (lo->val == optopt && lo->has_arg == no_argument && eq &&
			    !strncmp(arg, "--", 2) && eq > arg + 2 &&
			    !strncmp(arg + 2, lo->name, (size_t)(eq - arg - 2)))
				return usage_error("option '--%s' takes no argument", lo->name);
		}
		if (optopt < 256)
			return usage_error("unknown option '-%c'", optopt);
	}
	if (!strncmp(arg, "--", 2)) {
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		char names[256] = "";
		int matches = 0;

		for (const struct option *lo = long_options; lo->name; lo++) {
			if (len && !strncmp(arg + 2, lo->name, len) && ++matches)
				snprintf(names + strlen(names), sizeof(names) - strlen(names),
					 "%s--%s", matches > 1 ? ", " : "", lo->name);
		}
		if (matches > 1)
			return usage_error("ambiguous option '%.*s' (could be %s)", (int)len + 2,
					   arg, names);
	}
	return usage_error("unknown option '%s'", arg);
}

/* The sub-commands, and the help topics that are not one. */
static const struct {
	const char *name;
	unsigned scope; /* its help */
	bool command;
} words[] = {
	{"record", IN_RECORD, true}, {"report", IN_REPORT, true}, {"export", IN_EXPORT, true},
	{"help", IN_ALL, true},	     {"live", IN_TUI, false},	  {"tui", IN_TUI, false},
};

/* Optimal string alignment distance (an edit, or a swap of neighbours,
 * costs 1), capped: words are short, anything longer is not a typo. */
static size_t typo_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[17][17];

	if (la > 16 || lb > 16)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* The word (a sub-command, or any help topic) word is a typo of, or NULL. */
static const char *suggest(const char *word, bool topics)
{
	const char *best = NULL;
	size_t best_d = 3; /* at most 2 edits, and fewer than half the word */

	for (size_t i = 0; i < NELEM(words); i++) {
		size_t d;

		if (!topics && !words[i].command)
			continue;
		d = typo_distance(word, words[i].name);
		if (d < best_d && 2 * d < strlen(words[i].name)) {
			best = words[i].name;
			best_d = d;
		}
	}
	return best;
}

/* Would exec find a program named name (as target_launch looks: a path,
 * or a file in PATH)? */
static bool is_program(const char *name)
{
	const char *path = getenv("PATH");
	char *dir;
	bool found = false;

	if (strchr(name, '/'))
		return access(name, F_OK) == 0;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *s = path; s && !found; s = strchr(s, ':') ? strchr(s, ':') + 1 : NULL) {
		size_t len = strcspn(s, ":");

		dir = len ? xasprintf("%.*s/%s", (int)len, s, name) : xasprintf("./%s", name);
		found = access(dir, X_OK) == 0;
		free(dir);
	}
	return found;
}

/* proftop help [TOPIC]: -1 (exit 0) after the help, or 2. */
static int help_command(int argc, char **argv)
{
	const char *hint;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help(IN_ALL);
		return -1;
	}
	if (argc > 2)
		return usage_error("help takes one topic (unexpected '%s')", argv[2]);
	for (size_t i = 0; i < NELEM(words); i++) {
		if (!strcmp(argv[1], words[i].name)) {
			help(words[i].scope);
			return -1;
		}
	}
	hint = suggest(argv[1], true);
	if (hint)
		return usage_error("no help topic '%s': did you mean '%s'?", argv[1], hint);
	return usage_error("no help topic '%s' (topics: record, report, export, live)", argv[1]);
}

static int parse(int argc, char **argv, struct options *o)
{
	int c, rc, longindex;
	char label[64];

	/* A sub-command is the first argument; parse the rest as if it were argv[0]. */
	if (argc > 1) {
		const char *hint;

		if (!strcmp(argv[1], "record"))
			o->command = CMD_RECORD;
		else if (!strcmp(argv[1], "report"))
			o->command = CMD_REPORT;
		else if (!strcmp(argv[1], "export"))
			o->command = CMD_EXPORT;
		else if (!strcmp(argv[1], "help"))
			return help_command(argc - 1, argv + 1);
		else if (argv[1][0] != '-' && (hint = suggest(argv[1], false)) &&
			 !is_program(argv[1]))
			return usage_error("'%s' is neither a sub-command nor a program: did you "
					   "mean '%s'?",
					   argv[1], hint);
		if (o->command != CMD_TUI) {
			argc--;
			argv++;
		}
	}

	optind = 0; /* glibc: full re-initialisation, so cli_parse can run again */
	opterr = 0;
	for (;;) {
		longindex = -1;
		c = getopt_long(argc, argv, short_options, long_options, &longindex);
		if (c == -1)
			break;
		if (c == '?')
			return bad_option(argv[optind - 1]);
		if (c == ':') {
			option_label(optopt, -1, label, sizeof(label));
			if (optind > 0 && optind <= argc && !strncmp(argv[optind - 1], "--", 2))
				snprintf(label, sizeof(label), "%s", argv[optind - 1]);
			return usage_error("option '%s' needs an argument", label);
		}
		option_label(c, longindex, label, sizeof(label));
		if (!(option_scope(c) & (1u << o->command)))
			return out_of_scope(label, o->command, option_scope(c));
		rc = apply_option(c, optarg, label, o);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		if (!(IN_PROFILING & (1u << o->command)))
			return usage_error("export takes no COMMAND (unexpected '%s')",
					   argv[optind]);
		o->argv = &argv[optind];
	}
	return check_combination(o);
}

int cli_parse(int argc, char **argv, struct options *o)
{
	const char *no_color = getenv("NO_COLOR");
	int rc;

	options_init(o);
	if (no_color && *no_color)
		o->no_color = true; /* https://no-color.org */
	rc = parse(argc, argv, o);
	if (rc)
		cli_free(o);
	else if (o->backend == BACKEND_PTRACE && !o->freq_set)
		o->freq = CLI_PTRACE_FREQ; /* each ptrace sample stops the thread */
	return rc;
}

void cli_free(struct options *o)
{
	free(o->pids);
	o->pids = NULL;
	o->npids = 0;
}

/* report --memory of a run prints memory only: CPU samples (the perf
 * backend's timer interrupts and stack copies, about half of what the
 * target pays for memory profiling) would be thrown away. -F, --clock
 * wall, --save (a session is for every view) and the ptrace backend
 * (which needs its samples) keep them. */
static bool report_memory_only(const struct options *o)
{
	return o->command == CMD_REPORT && o->report.memory && !o->freq_set && !o->save &&
	       o->clock != REPORT_CLOCK_WALL && o->backend != BACKEND_PTRACE;
}

void cli_collect_config(const struct options *o, struct collect_config *cfg)
{
	*cfg = (struct collect_config){
		.argv = o->argv,
		.pids = o->pids,
		.npids = o->npids,
		/* report prints what it collected, no more: with --memory, no
		 * CPU samples (perf) unless -F asks for them too */
		.freq = report_memory_only(o) ? 0 : o->freq,
		.freq_set = o->freq_set,
		.duration = o->duration,
		.stack_size = o->stack_size,
		.unwind = o->unwind,
		.backend = o->backend,
		.python_frames = o->python_frames,
		.keep_running = o->keep_running,
		.max_memory = o->max_memory,
		.wall = o->clock == REPORT_CLOCK_WALL,
		.live = o->command == CMD_TUI,
		/* memory is shown in the live view and kept by record; report
		 * collects it for --memory only */
		.alloc_sample = o->no_alloc || (o->command == CMD_REPORT && !o->report.memory)
					? 0
					: o->alloc_sample,
		.fault_period = o->no_faults || (o->command == CMD_REPORT && !o->report.memory)
					? 0
					: FAULT_PERIOD_DEFAULT,
		.no_debuginfod = o->no_debuginfod,
		.calls = {.count = o->calls,
			  .latency = o->latency,
			  .budget = o->calls_budget,
			  .on_demand = o->command == CMD_TUI},
	};
}

void cli_tui_config(const struct options *o, struct tui_config *cfg)
{
	*cfg = (struct tui_config){
		.input = o->input,
		.output = o->output,
		.baseline = o->baseline,
		.sort_delta = o->sort_delta,
		.flag = o->flag,
		.threshold = o->threshold,
		.threshold_unit = o->threshold_unit,
		.confidence = o->confidence,
		.per_cur = o->per_cur,
		.per_base = o->per_base,
		.per_output = o->per_output,
		.sort = o->report.sort,
		.reverse = o->report.reverse,
		.filter = o->report.filter,
		.refresh = o->refresh,
		.pass_stdin = o->pass_stdin,
		.no_color = o->no_color,
		.self_to_function = o->report.filter.self_to_function,
		.clock = o->clock,
	};
	cli_collect_config(o, &cfg->collect);
}
