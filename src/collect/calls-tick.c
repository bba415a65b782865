#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calls-int.h"
#include "query.h"
#include "xalloc.h"

#define TOP_FIRST_NS   1000000000ull
#define TOP_PERIOD_MAX 16000000000ull
#define NS	       1000000000.0

/* ---- the tick ---- */

struct drain_ctx {
	struct calls *c;
	uint64_t *entries; /* per slot */
};

static void on_record(void *ctx, const struct uprobe_record *rec)
{
	struct drain_ctx *d = ctx;
	struct calls *c = d->c;
	uint32_t slot;
	uint64_t ns;

	if (rec->slot >= c->nsites)
		return;
	if (c->sites[rec->slot].py) {
		calls_python_record(c, rec, d->entries);
		return;
	}
	if (uprobe_rec_is_entry(rec->kind))
		d->entries[rec->slot]++;
	if (latency_pairs_feed(c->pairs, rec, &slot, &ns) && slot < c->nsites)
		latency_add(profile_latency(c->p, c->sites[slot].function), ns);
}

/* What one probe hit costs (a Python site's probes are hit by every call). */
static double unit_cost(const struct calls *c, const struct site *s)
{
	if (s->py)
		return c->meter.usdt_ns;
	return s->kind == SITE_LATENCY ? c->meter.cost.pair_ns : c->meter.cost.hit_ns;
}

/* The target's CPU time since the last tick, over its live processes. A
 * process found gone loses its probes now (its exit record may come later). */
static uint64_t cpu_delta(struct calls *c)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < c->nprocs; i++) {
		struct proc *pr = &c->procs[i];
		uint64_t ns;

		if (!pr->alive)
			continue;
		if (!calls_proc_cpu(pr->pid, &ns)) {
			calls_on_exit(c, pr->pid);
			continue;
		}
		if (ns > pr->cpu_ns)
			sum += ns - pr->cpu_ns;
		pr->cpu_ns = ns;
	}
	return sum;
}

/* Timing a Python function raises CPython 3.11's line marker, which sends
 * every instruction through the interpreter's tracing path: the share of
 * the target's CPU time that costs (ns per s, over base_cpus), once
 * whatever the number of such functions. */
static double python_line_cost(const struct calls *c, double base_cpus)
{
	for (size_t i = 0; i < c->nsites; i++) {
		const struct site *s = &c->sites[i];

		if (s->py && s->py->sem_line && s->active && calls_site_nplaced(c, s))
			return PY_LINE_SHARE * base_cpus * NS;
	}
	return 0;
}

static bool uses_line(const struct site *s)
{
	return s->py && s->py->sem_line;
}

/* What s costs (ns per s), the line marker's cost line included. */
static double site_cost(const struct calls *c, const struct site *s, double line)
{
	return s->probe_rate * unit_cost(c, s) + (uses_line(s) ? line : 0);
}

/* Say why s was removed; pct: the probes' cost then. */
static void say_removed(struct calls *c, const struct site *s, double pct)
{
	const char *opt = calls_kind_option(s->kind);

	if (uses_line(s))
		calls_say(c,
			  "%s: timing the Python function %s needs the interpreter's line marker "
			  "on, which makes it about 3 times slower: %.1f%% of the target's time, "
			  "over the budget (%g%%); stopped timing it (time Python functions with "
			  "--calls-budget 100)",
			  opt, s->py->qualname, pct, c->budget);
	else if (s->py)
		calls_say(c,
			  "%s: the target calls %.0f Python functions a second: probing them for "
			  "%s would cost %.1f%% of its time (budget %g%%); stopped counting it, "
			  "its count is a lower bound",
			  opt, s->probe_rate, s->py->qualname, pct, c->budget);
	else
		calls_say(c,
			  "%s: %s is called %.0f times a second: the probes would cost %.1f%% of "
			  "the target's time (budget %g%%); stopped counting it, its count is a "
			  "lower bound",
			  opt, profile_function_name(c->p, s->function), s->rate, pct, c->budget);
}

/* Remove the costliest probes until the rest fit the budget. */
static void hold_budget(struct calls *c, double base_cpus)
{
	double allowed = c->budget / 100.0 * base_cpus * NS; /* ns per s */

	/* 100%: the probes may take all the time there is; never remove one. */
	if (c->budget >= 100)
		return;
	for (;;) {
		/* The line marker costs once, whoever needs it. */
		double line = python_line_cost(c, base_cpus), total = line;
		struct site *worst = NULL;

		for (size_t i = 0; i < c->nsites; i++) {
			struct site *s = &c->sites[i];

			/* Probes only on processes gone cost nothing from now on. */
			if (!s->active || !calls_site_nplaced(c, s))
				continue;
			total += site_cost(c, s, 0);
			if (!worst || site_cost(c, s, line) > site_cost(c, worst, line))
				worst = s;
		}
		if (!worst || total <= allowed || site_cost(c, worst, line) <= 0)
			return;
		calls_site_remove(c, worst, true, false);
		say_removed(c, worst, 100.0 * total / (base_cpus * NS));
	}
}

static void update_profile(struct calls *c, uint64_t dropped)
{
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];
		struct prof_function *f;
		bool lower = s->late || s->over_budget;

		if (!s->placed || s->function == PROF_NONE)
			continue; /* never probed, or a Python function not seen yet */
		f = &c->p->functions[s->function];

		/* A count site says how many calls; a latency-only one too, from its
		 * entries, unless the ring dropped some. */
		if (s->kind == SITE_LATENCY) {
			struct prof_latency *l = profile_latency(c->p, s->function);

			l->stopped = s->over_budget;
			l->rate = s->over_budget ? s->rate : 0;
			if (calls_site_find(c, s->function, SITE_COUNT))
				continue;
			lower = lower || dropped;
		}
		f->calls = (int64_t)s->hits;
		f->calls_lower_bound = lower;
		f->calls_rate = s->over_budget ? s->rate : 0;
		f->calls_since = s->since;
	}
}

static void choose_top(struct calls *c);

static void tick(struct calls *c, uint64_t now, bool final)
{
	struct calls_meter *m = &c->meter;
	uint64_t dt = now > m->last_tick ? now - m->last_tick : 1, cost = 0, dropped = 0, cpu;
	struct window_tick *w, sum = {0, 0, 0};
	uint64_t *entries = xcalloc(c->nsites ? c->nsites : 1, sizeof(uint64_t));
	struct drain_ctx d = {c, entries};
	double base;

	if (probeset_has_ring(c->ps)) {
		probeset_drain(c->ps, on_record, &d);
		dropped = probeset_dropped(c->ps);
	}
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];
		uint64_t span = now > s->rate_from ? now - s->rate_from : 1;
		uint64_t probe_hits;

		if (s->py)
			calls_python_tick(c, s, &probe_hits);
		else if (s->kind == SITE_COUNT)
			s->hits = probeset_count(c->ps, (uint32_t)i);
		if (s->kind == SITE_LATENCY)
			s->hits += entries[i];
		if (!s->py)
			probe_hits = s->hits - s->tick_hits;
		if (s->active) {
			s->rate = (double)(s->hits - s->tick_hits) * NS / (double)span;
			s->probe_rate = (double)probe_hits * NS / (double)span;
			cost += (uint64_t)((double)probe_hits * unit_cost(c, s));
		}
		s->tick_hits = s->hits;
		s->rate_from = now;
	}
	free(entries);
	/* The budget's base: the target's CPU time, counted as at least one
	 * CPU's worth per second of wall time. */
	cpu = cpu_delta(c);
	if (cpu < dt)
		cpu = dt;
	cost += (uint64_t)(python_line_cost(c, 1) / NS * (double)cpu);
	c->p->meta.calls_cost_ns += cost;
	c->p->meta.calls_cpu_ns += cpu;
	w = &m->win[m->win_pos++ % WINDOW];
	*w = (struct window_tick){dt, cpu, cost};
	for (unsigned i = 0; i < WINDOW; i++) {
		sum.dt += m->win[i].dt;
		sum.cpu += m->win[i].cpu;
		sum.cost += m->win[i].cost;
	}
	base = sum.dt ? (double)sum.cpu / (double)sum.dt : 1; /* CPUs, >= 1 */
	c->p->meta.calls_overhead = sum.cpu ? 100.0 * (double)sum.cost / (double)sum.cpu : 0;
	m->last_tick = now;
	if (!final) {
		hold_budget(c, base);
		if (c->top.n && calls_since_start(c, now) >= c->top.next) {
			choose_top(c);
			if (c->top.period < TOP_PERIOD_MAX)
				c->top.period *= 2;
			c->top.next = calls_since_start(c, now) + c->top.period;
		}
	}
	update_profile(c, dropped);
}

void calls_tick(struct calls *c, uint64_t now_ns)
{
	if (!c || !c->ps || !c->started)
		return;
	tick(c, now_ns, false);
}

void calls_finish(struct calls *c, uint64_t now_ns)
{
	if (!c || !c->ps || !c->started)
		return;
	tick(c, now_ns, true);
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].py && c->sites[i].placed && c->sites[i].function == PROF_NONE)
			calls_say(c, "%s: no call of the Python function '%s' was seen",
				  calls_kind_option(c->sites[i].kind), c->sites[i].py->qualname);
	/* Here, not on the helper thread: proftop may exit right after. */
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].active)
			calls_site_remove(c, &c->sites[i], false, true);
	uprobe_close_flush();
}

/* ---- top:N and the TUI's key ---- */

/* Where fn starts, found by its symbol in its module's file. */
static bool function_entry(struct calls *c, uint32_t fn, struct func_entry *out)
{
	const struct prof_function *f = &c->p->functions[fn];
	const struct prof_module *m = f->module < c->p->nmodules ? &c->p->modules[f->module] : NULL;
	const char *path = m ? m->path : NULL;
	const char *sysname = f->system_name ? f->system_name : f->name;
	struct func_entry e[8];
	struct elf_image *img;
	size_t n;

	if (!path || path[0] != '/' || !sysname)
		return false;
	img = procmap_module_image(c->pm, path, m->build_id); /* a container's too */
	if (!img)
		return false;
	n = resolver_find_symbol(c->res, img, sysname, e, 8);
	for (size_t i = 0; i < n; i++) {
		if (calls_entry_function(c, &e[i]) == fn) {
			*out = e[i];
			return true;
		}
	}
	return false;
}

static bool top_failed(const struct calls *c, uint32_t fn)
{
	for (size_t i = 0; i < c->top.nfailed; i++)
		if (c->top.failed[i] == fn)
			return true;
	return false;
}

/* Count the N functions with the most own time, as far as they are not
 * counted yet (at most 2N chosen over the run). */
static void choose_top(struct calls *c)
{
	struct query_filter f = {0};
	struct func_table t;
	size_t chosen = 0;

	for (size_t i = 0; i < c->nsites; i++)
		chosen += c->sites[i].from_top;
	query_functions(c->p, &f, SORT_TOTTIME, false, &t);
	for (size_t i = 0; i < t.n && i < c->top.n && chosen < 2u * c->top.n; i++) {
		uint32_t fn = t.rows[i].function;
		struct func_entry e;
		struct site *s;

		if (!t.rows[i].self_ns || calls_site_find(c, fn, SITE_COUNT) || top_failed(c, fn))
			continue;
		if (!function_entry(c, fn, &e)) {
			c->top.failed = xgrow(c->top.failed, &c->top.failed_cap, c->top.nfailed + 1,
					      sizeof(uint32_t));
			c->top.failed[c->top.nfailed++] = fn;
			continue;
		}
		calls_probe_entry(c, SITE_COUNT, &e, 0, true);
		s = calls_site_find(c, fn, SITE_COUNT);
		if (s) {
			s->from_top = true;
			chosen++;
		}
	}
	func_table_free(&t);
}

int calls_toggle(struct calls *c, uint32_t fn, char *msg, size_t len)
{
	struct func_entry e;
	struct site *s;

	if (!c || !c->started) {
		snprintf(msg, len, "call counting is not available here");
		return -1;
	}
	if (!calls_enable(c, false)) {
		snprintf(msg, len, "call counting is not available: uprobes do not work here");
		return -1;
	}
	if (fn >= c->p->nfunctions)
		return -1;
	s = calls_site_find(c, fn, SITE_COUNT);
	if (s && s->active) {
		calls_site_remove(c, s, false, false);
		s->late = true;
		snprintf(msg, len, "stopped counting %s (%llu calls counted)",
			 profile_function_name(c->p, fn), (unsigned long long)s->hits);
		return 0;
	}
	if (s) {
		if (!calls_site_rearm(c, s)) {
			snprintf(msg, len, "cannot count %s again",
				 profile_function_name(c->p, fn));
			return -1;
		}
		s->late = true;
		s->rate_from = loop_now_ns();
		s->tick_hits = s->hits;
		calls_site_place_all(c, s);
		snprintf(msg, len, "counting %s again", profile_function_name(c->p, fn));
		return 0;
	}
	if (!function_entry(c, fn, &e)) {
		snprintf(msg, len, "cannot find where %s starts in its file",
			 profile_function_name(c->p, fn));
		return -1;
	}
	calls_probe_entry(c, SITE_COUNT, &e, 0, true);
	s = calls_site_find(c, fn, SITE_COUNT);
	if (!s || !calls_site_nplaced(c, s)) {
		snprintf(msg, len, "cannot count %s%s", profile_function_name(c->p, fn),
			 !s || s->failed ? "" : ": no process of the target maps its file now");
		if (s)
			calls_site_remove(c, s, false, false);
		return -1;
	}
	snprintf(msg, len, "counting %s from now on", profile_function_name(c->p, fn));
	return 0;
}

bool calls_active(const struct calls *c, uint32_t fn)
{
	const struct site *s = c ? calls_site_find((struct calls *)c, fn, SITE_COUNT) : NULL;

	return s && s->active;
}
