/* The command line: sub-commands and options into struct options. */
#ifndef PROFTOP_CLI_H
#define PROFTOP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "collect.h"
#include "diff.h"
#include "report.h"
#include "tui.h"

enum command { CMD_TUI, CMD_RECORD, CMD_REPORT, CMD_EXPORT };
#define CLI_PTRACE_FREQ COLLECT_PTRACE_FREQ
#define CLI_MAX_MEMORY_DEFAULT (256ull << 20)
#define CLI_ALLOC_SAMPLE_DEFAULT (64ull << 10)

struct options {
	enum command command;
	/* target */
	char **argv; /* COMMAND ARG... after "--" (borrowed from main's argv), or NULL */
	pid_t *pids; /* -p PID[,PID...] (owned) */
	size_t npids;
	const char *input;  /* -i FILE */
	const char *output; /* -o FILE (record/export/tui) */
	/* sampling */
	unsigned freq;		 /* -F, default 997 (perf) or 99 (--backend ptrace) */
	bool freq_set;		 /* -F was given (else a fallback to ptrace lowers freq) */
	double duration;	 /* -d seconds, 0 = until the target ends */
	unsigned stack_size;	 /* --stack-size, default 8192, multiple of 8, <= 65528 */
	enum unwind_mode unwind; /* --unwind */
	enum backend_kind backend;
	enum python_frames python_frames; /* --python-frames, default mixed */
	const char *calls;   /* --calls FUNC[,FUNC...] (also top:N) */
	double calls_budget; /* --calls-budget PCT, default 5 */
	const char *latency; /* --latency FUNC[,FUNC...] */
	bool no_color;
	bool exit_status;  /* --exit-status: exit with the target's status */
	bool keep_running; /* --keep-running: a launched target outlives a killed proftop */
	uint64_t max_memory; /* --max-memory SIZE in bytes, default CLI_MAX_MEMORY_DEFAULT */
	uint64_t alloc_sample; /* --alloc-sample BYTES, default CLI_ALLOC_SAMPLE_DEFAULT */
	bool no_alloc;	       /* --no-alloc */
	bool no_faults;	       /* --no-faults */
	bool no_debuginfod;    /* --no-debuginfod */
	/* --clock cpu|wall (default: cpu, or a session's own) */
	enum report_clock clock;
	/* tui */
	double refresh;	 /* --refresh seconds between screen updates, default 1 */
	bool pass_stdin; /* --stdin: the target reads the terminal too */
	/* report */
	struct report_opts report;
	const char *report_output; /* report --output FILE */
	const char *save;	   /* report --save FILE: keep the session too */
	/* comparison (report, tui) */
	const char *baseline;	       /* --baseline OLD: a session to compare with */
	bool sort_delta;	       /* --sort delta: largest regression first */
	/* --sort KEY valid only for the memory table (allocated...), or only
	 * for the time tables (cumulative...): checked against --memory */
	bool sort_memory_only, sort_time_only;
	bool flag;		       /* --threshold or --fail-on-regression: give verdicts... */
	double threshold;	       /* ...for changes past this many... */
	bool threshold_set;	       /* --threshold given */
	enum diff_unit threshold_unit; /* ...points, percent or seconds */
	double confidence;	       /* --confidence, 0.95 by default */
	double per_cur, per_base;      /* --per NEW[,OLD]: units of work per run */
	const char *per_output;	       /* --per output:WORD: each run's count in its output */
	bool fail_on_regression;       /* report: exit REPORT_EXIT_REGRESSION when flagged */
	bool markdown;		       /* report --format markdown (the comparison only) */
	unsigned repeat;	       /* record --repeat N: runs of the command (1) */
	/* export */
	const char *export_format; /* -f */
	bool export_ns;		   /* --weight ns: counts in CPU ns, not samples */
	bool export_bytes;	   /* --weight bytes: bytes allocated, not samples */
};

/* report --fail-on-regression's exit status when a function is flagged. */
#define REPORT_EXIT_REGRESSION 3

/* Parse argv. On success returns 0. On a usage error prints a one-line
 * message and the short usage to stderr and returns 2; for --help or
 * --version prints to stdout and returns -1 (exit 0). */
int cli_parse(int argc, char **argv, struct options *o);
void cli_free(struct options *o);
/* The collector's part of o (borrowing o's strings and arrays). */
void cli_collect_config(const struct options *o, struct collect_config *cfg);
/* The live view's part of o (borrowing o's strings and arrays). */
void cli_tui_config(const struct options *o, struct tui_config *cfg);
void cli_usage(FILE *f); /* the short usage block */

#endif
