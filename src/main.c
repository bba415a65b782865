/* proftop: sub-command dispatch. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "collect.h"
#include "profile.h"
#include "report.h"
#include "xalloc.h"

/* Collect a profile from a launched or attached target. Returns 0, or 1
 * after printing why. */
static int collect(const struct options *o, struct profile *p)
{
	struct collector *c = collector_new(o, p);
	char err[512];

	if (collector_start(c, err, sizeof(err)) < 0) {
		warnx_("%s", err);
		collector_free(c);
		return 1;
	}
	collector_run(c);
	collector_finish(c);
	collector_free(c);
	return 0;
}

static int cmd_report(const struct options *o)
{
	struct profile *p = profile_new();
	FILE *out = stdout;
	int rc;

	if (o->input) {
		warnx_("reading saved sessions (-i) is not implemented yet");
		profile_free(p);
		return 1;
	}
	rc = collect(o, p);
	if (rc == 0 && o->report_output) {
		out = fopen(o->report_output, "w");
		if (!out) {
			warnx_("cannot write %s: %s", o->report_output, strerror(errno));
			rc = 1;
		}
	}
	if (rc == 0) {
		fflush(stdout);
		rc = report_write(out, p, &o->report);
		if (out != stdout && fclose(out) != 0) {
			warnx_("cannot write %s: %s", o->report_output, strerror(errno));
			rc = 1;
		} else if (out == stdout && fflush(stdout) != 0 && errno != EPIPE) {
			warnx_("cannot write the report: %s", strerror(errno));
			rc = 1;
		}
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
	signal(SIGPIPE, SIG_IGN);
	switch (o.command) {
	case CMD_REPORT:
		rc = cmd_report(&o);
		break;
	case CMD_RECORD:
		warnx_("'record' is not implemented yet; use 'proftop report'");
		rc = 1;
		break;
	case CMD_EXPORT:
		warnx_("'export' is not implemented yet");
		rc = 1;
		break;
	case CMD_TUI:
	default:
		warnx_("the interactive view is not implemented yet; use 'proftop report -- COMMAND'");
		rc = 1;
		break;
	}
	cli_free(&o);
	return rc;
}
