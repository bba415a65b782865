/* proftop: sub-command dispatch. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "collect.h"
#include "diff.h"
#include "export.h"
#include "file.h"
#include "profile.h"
#include "report-diff.h"
#include "report-memory.h"
#include "report.h"
#include "session.h"
#include "text.h"
#include "tui.h"
#include "xalloc.h"

/* Standard output is a pipe (or socket) nobody reads any more. */
static bool stdout_broken(void)
{
	struct pollfd pfd = {.fd = STDOUT_FILENO, .events = POLLOUT};

	return errno == EPIPE || (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLERR));
}

/* End as GNU tools do when their reader goes away: quietly, killed by
 * SIGPIPE (status 141 in the shell). SIGPIPE is ignored while running, so
 * that a closed pipe cannot kill us in the middle of a recording. */
static _Noreturn void die_of_sigpipe(void)
{
	fflush(stderr);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	_exit(141);
}

/* The session is flushed every SESSION_FLUSH_MS, so a crash of proftop
 * loses at most that much. */
struct flusher {
	struct session_writer *w;
	bool warned;
};

static void flush_session(void *arg)
{
	struct flusher *f = arg;
	char err[512];

	/* A failed flush is retried at the next one, and at the end. */
	if (session_writer_flush(f->w, err, sizeof(err)) < 0 && !f->warned) {
		warnx_("%s; still recording, will retry", err);
		f->warned = true;
	}
}

/* The budget's sync (collector_set_fold_sync): the file takes what is
 * new, and the collector may fold what it holds. */
static void sync_session(void *arg, struct prof_fold_safe *safe)
{
	struct flusher *f = arg;

	flush_session(f);
	safe->samples = session_writer_samples_written(f->w);
	safe->allocs = session_writer_allocs_written(f->w);
}

/* Collect a profile from a launched or attached target, w (or NULL)
 * taking the samples before they are folded. Returns 0, or 1 after
 * printing why. */
static int collect(const struct options *o, struct profile *p, struct session_writer *w)
{
	struct collect_config cfg;
	struct flusher f = {w, false};
	struct collector *c;
	char err[512];

	cli_collect_config(o, &cfg);
	c = collector_new(&cfg, p);
	if (w)
		collector_set_fold_sync(c, sync_session, &f);

	if (collector_start(c, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		collector_free(c);
		return 1;
	}
	collector_run(c, NULL);
	collector_finish(c);
	collector_free(c);
	return 0;
}

/* A saved session, its log folded within max_memory (0: kept whole), or
 * NULL after printing why. */
static struct profile *load_session(const char *path, uint64_t max_memory)
{
	struct session_info info;
	char err[512];
	struct profile *p = session_load_within(path, max_memory, &info, err, sizeof(err));

	if (!p)
		warnx_("%s", err);
	else if (info.recovered)
		warnx_("note: %s was being written when proftop stopped; rolled back to its "
		       "last flush",
		       path);
	else if (!info.complete)
		warnx_("note: %s is an unfinished recording; it ends at its last flush", path);
	return p;
}

/* proftop's own command line, for the session's meta table. */
static char *joined_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = xcalloc(1, len);
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

/* A writer of p to path that records the options that made it, or NULL
 * after saying why. Opened before a run, so that an unwritable path fails
 * before the target starts. */
static struct session_writer *open_writer(const struct profile *p, const char *path, int argc,
					  char **argv)
{
	struct session_writer *w;
	char err[512], *args;

	w = session_writer_open(p, path, err, sizeof(err));
	if (!w) {
		warnx_("%s", err);
		return NULL;
	}
	args = joined_args(argc, argv);
	session_writer_set_meta(w, "options", args);
	free(args);
	return w;
}

/* --exit-status: the target's status as time(1) gives it (its exit code,
 * or 128+N when signal N ended it), or rc when proftop itself failed or
 * does not know how the target ended (attached and still running). */
static int target_status(const struct options *o, const struct profile *p, int rc)
{
	if (!o->exit_status || rc != 0 || !p || !p->meta.ended)
		return rc;
	if (p->meta.term_signal)
		return 128 + p->meta.term_signal;
	return p->meta.exited ? p->meta.exit_status : rc;
}

static int cmd_report(const struct options *o, int argc, char **argv)
{
	struct report_opts ro = o->report;
	struct profile *p = NULL, *base = NULL;
	struct session_writer *w = NULL;
	struct diff_table diff;
	struct mem_diff mdiff;
	struct file_out file;
	FILE *out = stdout;
	int rc = 0, saved = 0;
	char err[512];

	/* A bad baseline or --save file fails before a live run, not after. */
	if (o->baseline && !(base = load_session(o->baseline, o->max_memory)))
		return 1;
	p = o->input ? load_session(o->input, o->max_memory) : profile_new();
	if (p && o->save && !(w = open_writer(p, o->save, argc, argv)))
		rc = 1;
	else if (!p)
		rc = 1;
	else if (!o->input)
		rc = collect(o, p, w);
	/* The session's clock unless --clock says otherwise. */
	if (rc == 0 && report_clock_resolve(p, o->clock, &ro.filter.wall, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		rc = 1;
	}
	if (w && rc == 0 && session_writer_close(w, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		saved = 1; /* the report is printed all the same */
	} else if (w && rc != 0) {
		session_writer_abort(w);
	}
	if (rc == 0 && base && ro.memory) {
		/* --memory: memory per function, old vs new (--threshold: percent) */
		mem_diff_compute(p, base, &ro.filter, ro.reverse, o->flag, o->threshold, &mdiff);
		ro.mem_diff = &mdiff;
	} else if (rc == 0 && base) {
		struct diff_opts d = {
			.sort = ro.sort,
			.by_delta = o->sort_delta,
			.reverse = ro.reverse,
			.flag = o->flag,
			.threshold = o->threshold,
			.unit = o->threshold_unit,
			.confidence = o->confidence,
			.per_cur = o->per_cur,
			.per_base = o->per_base,
			.per_output = o->per_output,
		};

		if (o->per_output &&
		    (diff_output_units(p, o->per_output, err, sizeof(err)) < 0 ||
		     diff_output_units(base, o->per_output, err, sizeof(err)) < 0)) {
			warnx_("%s; --per output:WORD needs a count in every run's output", err);
			rc = 1;
		} else {
			diff_functions(p, base, &ro.filter, &d, &diff);
			ro.diff = &diff;
		}
	}
	if (rc == 0 && o->report_output) {
		if (file_out_begin(&file, o->report_output, err, sizeof(err)) < 0) {
			warnx_("%s", err);
			rc = 1;
		} else {
			out = file_out_stream(&file);
		}
	}
	if (rc == 0) {
		fflush(stdout);
		rc = o->markdown && ro.mem_diff ? report_mem_diff_markdown(out, &mdiff, &ro)
		     : o->markdown		? report_diff_markdown(out, &diff, &ro)
						: report_write(out, p, &ro);
		if (out != stdout && rc != 0) {
			file_out_abort(&file);
		} else if (out != stdout && file_out_commit(&file, err, sizeof(err)) < 0) {
			warnx_("%s", err);
			rc = 1;
		} else if (out == stdout && (fflush(stdout) != 0 || ferror(stdout))) {
			if (stdout_broken())
				die_of_sigpipe();
			warnx_("cannot write the report: %s", strerror(errno));
			rc = 1;
		}
	}
	rc = target_status(o, p, rc ? rc : saved);
	/* The gate: a flagged function fails the build, whatever else. */
	if (ro.diff && o->fail_on_regression && diff.regressions && rc == 0)
		rc = REPORT_EXIT_REGRESSION;
	if (ro.mem_diff && o->fail_on_regression && mdiff.regressions && rc == 0)
		rc = REPORT_EXIT_REGRESSION;
	if (ro.diff)
		diff_table_free(&diff);
	if (ro.mem_diff)
		mem_diff_free(&mdiff);
	profile_free(p);
	profile_free(base);
	return rc;
}

/* collector_run() with the flush timer in the same loop. SIGINT, SIGTERM
 * and SIGHUP end the run; the caller then saves. */
static void record_run(struct collector *c, struct session_writer *w)
{
	struct loop *l = loop_new();
	struct flusher f = {w, false};

	loop_timer(l, SESSION_FLUSH_MS * 1000000ull, flush_session, &f);
	collector_set_fold_sync(c, sync_session, &f);
	collector_run(c, l);
	collector_set_fold_sync(c, NULL, NULL);
	loop_free(l);
}

/* The budget's peak, the profile as it ends included. */
static uint64_t memory_peak(const struct profile *p, const struct prof_budget *b)
{
	uint64_t now = profile_memory_bytes(p);

	return now > b->peak_bytes ? now : b->peak_bytes;
}

/* The runs' budgets as one: the highest peaks, every fold. */
static void budget_merge(struct prof_budget *into, const struct prof_budget *b)
{
	into->max_bytes = b->max_bytes;
	into->interval_ns = b->interval_ns;
	if (b->peak_bytes > into->peak_bytes)
		into->peak_bytes = b->peak_bytes;
	if (b->peak_log_bytes > into->peak_log_bytes)
		into->peak_log_bytes = b->peak_log_bytes;
	into->folds += b->folds;
	into->alloc_interval_ns = b->alloc_interval_ns;
	into->alloc_folds += b->alloc_folds;
}

/* One run of the target into p. Returns the collector (free it), *rc 1
 * after saying why it could not start. */
static struct collector *record_once(const struct collect_config *cfg, struct profile *p,
				     struct session_writer *w, int *rc)
{
	struct collector *c = collector_new(cfg, p);
	char err[512];

	collector_set_output(c, COLLECT_OUTPUT_TEE, false);
	if (collector_start(c, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		*rc = 1;
		return c;
	}
	/* Past a file size limit writes fail like on a full disk, rather
	 * than kill us; the target, started already, keeps its default. */
	signal(SIGXFSZ, SIG_IGN);
	record_run(c, w);
	collector_finish(c);
	return c;
}

/* How the run that just ended went, from the profile's metadata. */
static struct prof_run run_of(const struct profile *p, uint64_t start)
{
	return (struct prof_run){
		.start = start,
		.end = p->meta.duration_ns,
		.exited = p->meta.exited,
		.exit_status = p->meta.exit_status,
		.term_signal = p->meta.term_signal,
	};
}

/* record --repeat: the next run of the command into the same profile and
 * session, its samples timed from the first run's start, so that runs
 * follow one another in the log (each run's range in the runs table). */
static struct collector *record_again(const struct collect_config *cfg, struct profile *p,
				      struct session_writer *w, int *rc)
{
	const struct prof_meta first = p->meta;
	uint64_t start = loop_now_ns() - first.start_ns;
	struct prof_run run = run_of(p, 0);
	size_t mem0 = p->nmemory;
	struct collector *c;
	char err[512];

	if (!p->nruns)
		profile_add_run(p, &run);
	c = collector_new(cfg, p);
	collector_set_output(c, COLLECT_OUTPUT_TEE, false);
	if (collector_start(c, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		*rc = 1;
		return c;
	}
	/* Started: nothing is drained before the loop runs. The memory point
	 * taken at exec was timed from this run's start: move it to there. */
	p->meta.start_ns = first.start_ns;
	p->meta.start_realtime = first.start_realtime;
	for (size_t i = mem0; i < p->nmemory; i++)
		if (p->memory[i].time < start)
			p->memory[i].time = start;
	record_run(c, w);
	collector_finish(c);
	p->meta.lost += first.lost;
	run = run_of(p, start);
	profile_add_run(p, &run);
	return c;
}

static int cmd_record(const struct options *o, int argc, char **argv)
{
	struct profile *p = profile_new();
	struct collect_config cfg;
	struct session_writer *w;
	struct collector *c;
	struct prof_budget budget = {0};
	char err[512], *args;
	int rc = 0;

	/* Before the target starts: a file that cannot be written is known now. */
	w = session_writer_open(p, o->output, err, sizeof(err));
	if (!w) {
		warnx_("%s", err);
		profile_free(p);
		return 1;
	}
	args = joined_args(argc, argv);
	session_writer_set_meta(w, "options", args);
	free(args);
	cli_collect_config(o, &cfg);
	c = record_once(&cfg, p, w, &rc);
	budget_merge(&budget, collector_budget(c));
	for (unsigned k = 1; rc == 0 && k < o->repeat && !p->meta.stopped_by_proftop; k++) {
		collector_free(c);
		c = record_again(&cfg, p, w, &rc);
		budget_merge(&budget, collector_budget(c));
	}
	if (rc == 0)
		session_writer_note_budget(w, p, &budget);
	if (rc == 0 && session_writer_close(w, err, sizeof(err)) < 0) {
		/* Not the file asked for, but not the whole recording lost either. */
		const char *tmp = getenv("TMPDIR");
		char *name = session_default_name(p);
		char *alt = xasprintf("%s/%s", tmp && *tmp ? tmp : "/tmp", name);
		char err2[512];

		if (session_save(p, alt, err2, sizeof(err2)) == 0)
			warnx_("%s; the session was saved to %s instead", err, alt);
		else
			warnx_("%s; the session was not saved", err);
		free(name);
		free(alt);
		rc = 1;
	} else if (rc == 0) {
		char peak[16], budget_s[16];

		fflush(stdout);
		fprintf(stderr, "%s: %" PRIu64 " samples in %.1f s", progname, p->total_samples,
			p->meta.duration_ns / 1e9);
		if (p->nruns)
			fprintf(stderr, " (%zu runs)", p->nruns);
		fprintf(stderr, " saved to %s (memory peak %s of %s)\n", o->output,
			fmt_bytes(memory_peak(p, &budget), peak, sizeof(peak)),
			fmt_bytes(o->max_memory, budget_s, sizeof(budget_s)));
	} else {
		session_writer_abort(w);
	}
	collector_free(c);
	rc = target_status(o, p, rc);
	profile_free(p);
	return rc;
}

static int cmd_export(const struct options *o)
{
	const struct export_format *fmt = export_find(o->export_format);
	struct export_opts eo = {
		.weight = o->export_bytes ? EXPORT_WEIGHT_BYTES
			  : o->export_ns  ? EXPORT_WEIGHT_NS
					  : EXPORT_WEIGHT_SAMPLES,
		.filter = o->report.filter,
	};
	struct profile *p;
	char err[512];
	int rc = 0;

	if (!fmt) {
		warnx_("unknown export format '%s'", o->export_format);
		return 2;
	}
	p = load_session(o->input, 0);
	if (!p)
		return 1;
	if (report_clock_resolve(p, o->clock, &eo.filter.wall, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		profile_free(p);
		return 1;
	}
	/* Without -o: standard output, for a pipe into another tool. */
	if (export_to_file(fmt, o->output, p, &eo, err, sizeof(err)) < 0) {
		if ((!o->output || !strcmp(o->output, "-")) && stdout_broken())
			die_of_sigpipe();
		warnx_("%s", err);
		rc = 1;
	}
	profile_free(p);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o;
	int rc = cli_parse(argc, argv, &o);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	signal(SIGPIPE, SIG_IGN); /* a closed pipe: EPIPE, then die_of_sigpipe() */
	switch (o.command) {
	case CMD_REPORT:
		rc = cmd_report(&o, argc, argv);
		break;
	case CMD_RECORD:
		rc = cmd_record(&o, argc, argv);
		break;
	case CMD_EXPORT:
		rc = cmd_export(&o);
		break;
	case CMD_TUI:
	default: {
		struct tui_config tc;

		cli_tui_config(&o, &tc);
		rc = tui_run(&tc);
		break;
	}
	}
	cli_free(&o);
	return rc;
}
