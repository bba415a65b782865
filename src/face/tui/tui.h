/* The interactive view: proftop's default command. */
#ifndef PROFTOP_TUI_H
#define PROFTOP_TUI_H

#include <stdbool.h>

#include "collect.h"
#include "query.h"
#include "report.h"

/* What the live view shows, built by the command line and borrowed for
 * the run. */
struct tui_config {
	struct collect_config collect; /* a target (argv or pids), or neither: the picker */
	const char *input;	       /* -i: a saved session to show instead */
	const char *output;	       /* -o: the session saved on quit */
	const char *baseline;	       /* --baseline: compare -i with this session */
	bool sort_delta;	       /* --sort delta */
	bool flag;		       /* --threshold given: give verdicts (diff.h)... */
	double threshold;	       /* ...for changes past this... */
	int threshold_unit;	       /* ...enum diff_unit */
	double confidence;	       /* --confidence (0.95) */
	double per_cur, per_base;      /* --per: units of work per run */
	const char *per_output;	       /* --per output:WORD */
	enum query_sort sort;
	bool reverse;
	struct query_filter filter;
	double refresh;	 /* seconds between screen updates */
	bool pass_stdin; /* --stdin: the target reads the terminal too */
	bool no_color;
	bool self_to_function; /* --self-to function: inlined code's time to its
				* out-of-line function (query_filter.self_to_function) */
	/* --clock: the clock shown first (a session's own by default) */
	enum report_clock clock;
};

/* Launch or attach as cfg says, show the profile live until the user quits.
 * Returns the exit status: 0, 1 after a one-line error (printed before the
 * screen opens, or after it closed), 2 for a usage error. */
int tui_run(const struct tui_config *cfg);

#endif
