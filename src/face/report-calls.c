#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "report-calls.h"
#include "report-emit.h" /* put_safe, json_str, csv_field */
#include "xalloc.h"

#define HIST_BINS 12 /* rows of the text histogram */
#define HIST_BAR  40 /* its longest bar */
#define NAMES_MAX 8  /* functions one --latency name may match */

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s && s[1] ? s + 1 : path ? path : "[unknown]";
}

static const char *fn_module(const struct profile *p, uint32_t fn)
{
	uint32_t m = fn < p->nfunctions ? p->functions[fn].module : PROF_NONE;

	if (m >= p->nmodules)
		return "[unknown]";
	return p->modules[m].name ? p->modules[m].name : base_name(p->modules[m].path);
}

char *report_fmt_duration(uint64_t ns, char *buf, size_t len)
{
	static const char *const units[] = {"ns", "us", "ms", "s"};
	double x = (double)ns;
	int u = 0;

	while (x >= 999.5 && u < 3) {
		x /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", x, units[u]);
	else
		snprintf(buf, len, "%.*f %s", x < 9.995 ? 2 : x < 99.95 ? 1 : 0, x, units[u]);
	return buf;
}

/* ---- the header and the notes ---- */

static bool counted(const struct profile *p)
{
	return p->meta.calls_budget > 0;
}

static double overhead_pct(const struct prof_meta *m)
{
	return m->calls_cpu_ns ? 100.0 * (double)m->calls_cost_ns / (double)m->calls_cpu_ns : 0;
}

void report_calls_header_text(FILE *out, const struct profile *p)
{
	const struct prof_meta *m = &p->meta;
	char cost[32];

	if (!counted(p))
		return;
	fprintf(out,
		"probes (--calls, --latency)%s cost the target about %s of CPU, %.2f%% "
		"of its CPU time (budget %g%%)\n",
		m->attached ? ", counted from attach on," : "",
		report_fmt_duration(m->calls_cost_ns, cost, sizeof(cost)), overhead_pct(m),
		m->calls_budget);
}

void report_calls_header_json(FILE *out, const struct profile *p)
{
	const struct prof_meta *m = &p->meta;
	bool first = true;

	if (!counted(p))
		return;
	fprintf(out,
		",\"calls\":{\"from_attach\":%s,\"budget_pct\":%g,\"overhead_pct\":%.3f,"
		"\"cost_s\":%.6f,\"lower_bounds\":[",
		m->attached ? "true" : "false", m->calls_budget, overhead_pct(m),
		m->calls_cost_ns / 1e9);
	for (size_t i = 0; i < p->nfunctions; i++) {
		const struct prof_function *f = &p->functions[i];

		if (f->calls < 0 || !f->calls_lower_bound)
			continue;
		fputs(first ? "{\"function\":" : ",{\"function\":", out);
		json_str(out, f->name ? f->name : "");
		fprintf(out,
			",\"calls\":%" PRId64 ",\"over_budget\":%s,\"rate\":%.1f,\"since_s\":%.3f}",
			f->calls, f->calls_rate > 0 ? "true" : "false", f->calls_rate,
			f->calls_since / 1e9);
		first = false;
	}
	fputs("]}", out);
}

void report_calls_notes_text(FILE *out, const struct profile *p, const struct func_row *rows,
			     size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const struct prof_function *f = &p->functions[rows[i].function];

		if (rows[i].calls < 0 || !rows[i].calls_lower_bound)
			continue;
		if (!any)
			fputs("\n>= marks a lower bound (and its percall an upper bound):\n", out);
		any = true;
		fputs("  ", out);
		put_safe(out, f->name);
		if (f->calls_rate > 0)
			fprintf(out,
				": called %.0f times a second, over the budget: counting stopped\n",
				f->calls_rate);
		else if (f->calls_since)
			fprintf(out,
				": counted from %.1f s on (top:N, the live view's key, or a "
				"library "
				"loaded at run time)\n",
				f->calls_since / 1e9);
		else
			fputs(": a process of the target ran it before its probe was placed\n",
			      out);
	}
}

/* ---- --latency ---- */

/* A Python name of --latency as the profile's selectors write it:
 * "py:NAME" is NAME, "FILE.py:NAME" is NAME@FILE.py. Malloc'd. */
static char *python_selector(const char *name)
{
	const char *colon = strchr(name, ':');

	if (!strncmp(name, "py:", 3))
		return xstrdup(name + 3);
	if (colon && colon - name > 3 && !strncmp(colon - 3, ".py", 3) && colon[1])
		return xasprintf("%s@%.*s", colon + 1, (int)(colon - name), name);
	return xstrdup(name);
}

/* The functions named in list that have latency records (several names
 * may point at one). */
static size_t latency_functions(const struct profile *p, const char *list, uint32_t **out,
				char ***missing, size_t *nmissing)
{
	char *copy = xstrdup(list), *save = NULL;
	size_t n = 0, cap = 0, mcap = 0;

	*out = NULL;
	*missing = NULL;
	*nmissing = 0;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		uint32_t ids[NAMES_MAX];
		char *sel = python_selector(name);
		size_t k = query_find_function(p, sel, ids, NAMES_MAX), found = 0;

		free(sel);
		for (size_t i = 0; i < k && i < NAMES_MAX; i++) {
			bool dup = false;

			if (!profile_find_latency(p, ids[i]))
				continue;
			found++;
			for (size_t j = 0; j < n && !dup; j++)
				dup = (*out)[j] == ids[i];
			if (dup)
				continue;
			*out = xgrow(*out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = ids[i];
		}
		if (!found) {
			*missing = xgrow(*missing, &mcap, *nmissing + 1, sizeof(char *));
			(*missing)[(*nmissing)++] = xstrdup(name);
		}
	}
	free(copy);
	return n;
}

static void text_histogram(FILE *out, const struct prof_latency *l)
{
	struct latency_row rows[HIST_BINS];
	size_t n = latency_rows(l, rows, HIST_BINS);
	uint64_t top = 0;
	char a[32], b[32];

	for (size_t i = 0; i < n; i++)
		if (rows[i].count > top)
			top = rows[i].count;
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		int bar = top ? (int)((rows[i].count * HIST_BAR + top - 1) / top) : 0;

		fprintf(out, "  %10s - %-10s |%-*.*s| %" PRIu64 "\n",
			report_fmt_duration(rows[i].low, a, sizeof(a)),
			report_fmt_duration(rows[i].high, b, sizeof(b)), HIST_BAR, bar,
			"########################################", rows[i].count);
	}
}

static void text_latency(FILE *out, const struct profile *p, uint32_t fn,
			 const struct prof_latency *l)
{
	static const double qs[] = {0, 0.5, 0.95, 0.99, 1};
	const struct prof_function *f = &p->functions[fn];
	char v[32];

	fputs("\nLatency of ", out);
	put_safe(out, f->name);
	if (f->file) {
		fputs(" (", out);
		put_safe(out, base_name(f->file));
		if (f->start_line > 0)
			fprintf(out, ":%d", f->start_line);
		putc(')', out);
	}
	fputs(" [", out);
	put_safe(out, fn_module(p, fn));
	fprintf(out, "]: every call timed by uprobes on its entry and returns%s\n",
		p->meta.attached || l->since ? ", from when the probes were placed" : "");
	if (!l->count) {
		fputs("  no call returned while the probes were in place\n", out);
		return;
	}
	fprintf(out, "  %10s %10s %10s %10s %10s %10s %10s %10s\n", "calls", "total", "avg", "min",
		"median", "p95", "p99", "max");
	fprintf(out, "  %10" PRIu64, l->count);
	fprintf(out, " %10s", report_fmt_duration(l->sum_ns, v, sizeof(v)));
	fprintf(out, " %10s", report_fmt_duration(l->sum_ns / l->count, v, sizeof(v)));
	for (size_t i = 0; i < sizeof(qs) / sizeof(*qs); i++)
		fprintf(out, " %10s",
			report_fmt_duration(latency_quantile(l, qs[i]), v, sizeof(v)));
	fputc('\n', out);
	if (l->stopped)
		fprintf(out,
			"  stopped over the budget at %.0f calls a second: these are the calls "
			"until then\n",
			l->rate);
	if (p->meta.probe_floor_ns)
		fprintf(out, "  each duration includes the probes' own cost, about %s a call\n",
			report_fmt_duration(p->meta.probe_floor_ns, v, sizeof(v)));
	text_histogram(out, l);
}

static const char *const csv_keys[] = {"function", "module", "calls", "total_s", "avg_s",  "min_s",
				       "median_s", "p95_s",  "p99_s", "max_s",	 "stopped"};

static void stats_values(const struct prof_latency *l, double v[8])
{
	v[0] = l->sum_ns / 1e9;
	v[1] = l->count ? (double)l->sum_ns / (double)l->count / 1e9 : 0;
	v[2] = latency_quantile(l, 0) / 1e9;
	v[3] = latency_quantile(l, 0.5) / 1e9;
	v[4] = latency_quantile(l, 0.95) / 1e9;
	v[5] = latency_quantile(l, 0.99) / 1e9;
	v[6] = latency_quantile(l, 1) / 1e9;
}

static void csv_latency(FILE *out, const struct profile *p, uint32_t fn,
			const struct prof_latency *l)
{
	double v[8];

	stats_values(l, v);
	csv_field(out, profile_function_name(p, fn));
	putc(',', out);
	csv_field(out, fn_module(p, fn));
	fprintf(out, ",%" PRIu64, l->count);
	for (int i = 0; i < 7; i++)
		fprintf(out, ",%.9f", v[i]);
	fprintf(out, ",%s\n", l->stopped ? "true" : "false");
}

static void json_latency(FILE *out, const struct profile *p, uint32_t fn,
			 const struct prof_latency *l)
{
	double v[8];
	bool first = true;

	stats_values(l, v);
	fputs("{\"function\":", out);
	json_str(out, profile_function_name(p, fn));
	fputs(",\"module\":", out);
	json_str(out, fn_module(p, fn));
	fprintf(out, ",\"calls\":%" PRIu64, l->count);
	for (int i = 0; i < 7; i++)
		fprintf(out, ",\"%s\":%.9f", csv_keys[3 + i], v[i]);
	fprintf(out, ",\"stopped\":%s,\"rate\":%.1f,\"since_s\":%.3f,\"probe_cost_s\":%.9f",
		l->stopped ? "true" : "false", l->rate, l->since / 1e9,
		p->meta.probe_floor_ns / 1e9);
	fputs(",\"histogram\":[", out);
	for (size_t k = 0; k < PROF_LATENCY_BUCKETS; k++) {
		if (!l->buckets[k])
			continue;
		fprintf(out, "%s{\"low_s\":%.9f,\"high_s\":%.9f,\"count\":%" PRIu64 "}",
			first ? "" : ",", latency_bucket_low(k) / 1e9, latency_bucket_high(k) / 1e9,
			l->buckets[k]);
		first = false;
	}
	fputs("]}", out);
}

void report_latency(FILE *out, const struct profile *p, const char *list, enum report_format fmt)
{
	uint32_t *fns;
	char **missing;
	size_t nmissing, n = latency_functions(p, list, &fns, &missing, &nmissing);

	if (fmt == REPORT_CSV) {
		for (size_t i = 0; i < sizeof(csv_keys) / sizeof(*csv_keys); i++)
			fprintf(out, "%s%s", i ? "," : "", csv_keys[i]);
		putc('\n', out);
	} else if (fmt == REPORT_JSON) {
		fputs(",\"latency\":[", out);
	}
	for (size_t i = 0; i < n; i++) {
		const struct prof_latency *l = profile_find_latency(p, fns[i]);

		if (fmt == REPORT_TEXT) {
			text_latency(out, p, fns[i], l);
		} else if (fmt == REPORT_CSV) {
			csv_latency(out, p, fns[i], l);
		} else {
			if (i)
				putc(',', out);
			json_latency(out, p, fns[i], l);
		}
	}
	if (fmt == REPORT_JSON)
		fputs("]", out);
	for (size_t i = 0; i < nmissing; i++) {
		if (fmt == REPORT_TEXT) {
			fputs("\nno latency data for '", out);
			put_safe(out, missing[i]);
			fputs("' (its probes could not be placed: see the message above)\n", out);
		}
		free(missing[i]);
	}
	free(missing);
	free(fns);
}
