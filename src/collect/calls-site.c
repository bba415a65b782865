/* Sites: a probed function as probes in the probe set. A count is one
 * probe on the function's entry; a latency the entry and one probe on each
 * of its return instructions (func-exits.h says why not a uretprobe), or a
 * uretprobe when the returns cannot be found. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls-int.h"
#include "func-exits.h"
#include "xalloc.h"

struct site *calls_site_find(struct calls *c, uint32_t fn, enum site_kind kind)
{
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].function == fn && c->sites[i].kind == kind)
			return &c->sites[i];
	return NULL;
}

bool calls_site_on(const struct calls *c, const struct site *s, pid_t pid)
{
	return s->nprobes && probeset_on(c->ps, s->probes[0], pid);
}

size_t calls_site_nplaced(const struct calls *c, const struct site *s)
{
	return s->nprobes ? probeset_nplaced(c->ps, s->probes[0]) : 0;
}

void calls_site_place(struct calls *c, struct site *s, pid_t pid)
{
	char err[512];
	size_t k;
	int rc = 0;

	if (!s->nprobes || calls_site_on(c, s, pid))
		return;
	/* The returns first, the entry last: no entry is logged without the
	 * probes that see its return. */
	for (k = s->nprobes; k-- > 0;) {
		rc = probeset_place(c->ps, s->probes[k], pid);
		if (rc < 0)
			break;
	}
	if (rc == 0) {
		s->placed = true;
		if (s->py)
			calls_python_arm(c, s, pid);
		return;
	}
	for (size_t j = k + 1; j < s->nprobes; j++)
		probeset_unplace(c->ps, s->probes[j], pid);
	if (rc != -ESRCH && !s->failed) {
		uprobe_open_error(rc, s->path, err, sizeof(err));
		calls_say(c, "%s: %s (%s)", calls_kind_option(s->kind), err,
			  profile_function_name(c->p, s->function));
		s->failed = true;
	}
}

void calls_site_place_all(struct calls *c, struct site *s)
{
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].alive && calls_proc_maps(c, c->procs[i].pid, s->path))
			calls_site_place(c, s, c->procs[i].pid);
}

void calls_site_remove(struct calls *c, struct site *s, bool over_budget, bool now)
{
	if (s->py)
		calls_python_disarm(s);
	for (size_t k = 0; k < s->nprobes; k++)
		probeset_remove(c->ps, s->probes[k], now);
	s->nprobes = 0;
	s->active = false;
	s->over_budget = s->over_budget || over_budget;
}

bool calls_site_keep_probe(struct calls *c, struct site *s, int id, const char *err)
{
	if (id < 0) {
		calls_say(c, "%s: %s", calls_kind_option(s->kind), err);
		return false;
	}
	s->probes = xgrow(s->probes, &s->probes_cap, s->nprobes + 1, sizeof(int));
	s->probes[s->nprobes++] = id;
	return true;
}

static bool site_add_probe(struct calls *c, struct site *s, uint64_t offset, enum probe_kind kind)
{
	char err[512];
	int id = probeset_add(c->ps, s->path, offset, kind, (uint32_t)(s - c->sites), err,
			      sizeof(err));

	return calls_site_keep_probe(c, s, id, err);
}

/* s's probes, in the set and on no process yet: its entry, and fx's
 * returns (NULL: a uretprobe). False (said why) if the kernel refuses. */
static bool site_arm(struct calls *c, struct site *s, const struct func_exits *fx)
{
	bool ok;

	if (s->kind == SITE_COUNT)
		ok = site_add_probe(c, s, s->offset, PROBE_COUNT);
	else if (!fx)
		ok = site_add_probe(c, s, s->offset, PROBE_ENTRY_RETPROBE) &&
		     site_add_probe(c, s, s->offset, PROBE_RETPROBE);
	else {
		ok = site_add_probe(c, s, s->offset, PROBE_ENTRY);
		/* fx has ELF addresses: the file offset is as far from the entry's. */
		for (size_t i = 0; ok && i < fx->nret; i++)
			ok = site_add_probe(c, s, s->offset + (fx->ret[i] - fx->entry), PROBE_RET);
	}
	if (!ok)
		calls_site_remove(c, s, false, true);
	return ok;
}

bool calls_site_rearm(struct calls *c, struct site *s)
{
	/* A Python function's probes are the interpreter's markers (not yet). */
	if (s->py || s->kind != SITE_COUNT || !site_arm(c, s, NULL))
		return false;
	s->active = true;
	return true;
}

/* Where e's function returns; false (said why) for a uretprobe instead. */
static bool site_exits(struct calls *c, uint32_t fn, const struct func_entry *e,
		       struct func_exits *fx)
{
	char why[512];

	if (func_exits_find(e->img, e->vaddr, e->offset, fx, why, sizeof(why))) {
		if (fx->nret)
			return true;
		snprintf(why, sizeof(why), "no return instruction, it ends in %zu tail call%s",
			 fx->ntail, fx->ntail == 1 ? "" : "s");
	}
	calls_say(c,
		  "--latency: cannot find where %s returns (%s); timing it with a uretprobe, "
		  "which cuts short the call stacks of samples inside it",
		  profile_function_name(c->p, fn), why);
	return false;
}

static struct site *site_new(struct calls *c, enum site_kind kind, uint32_t fn,
			     const struct func_entry *e, bool late)
{
	struct func_exits fx;
	bool at_ret = false;
	struct site *s;

	if (c->nsites >= SLOTS_MAX) {
		calls_say(c, "%s: more than %d probed functions; not probing %s",
			  calls_kind_option(kind), SLOTS_MAX, profile_function_name(c->p, fn));
		return NULL;
	}
	if (kind == SITE_LATENCY)
		at_ret = site_exits(c, fn, e, &fx);
	c->sites = xgrow(c->sites, &c->sites_cap, c->nsites + 1, sizeof(*c->sites));
	s = &c->sites[c->nsites];
	*s = (struct site){
		.kind = kind,
		.function = fn,
		.path = xstrdup(e->img->path),
		.offset = e->offset,
		.active = true,
		.late = late,
		.since = late ? calls_since_start(c, loop_now_ns()) : 0,
		.rate_from = loop_now_ns(),
	};
	if (!site_arm(c, s, at_ret ? &fx : NULL)) {
		free(s->probes);
		free(s->path);
		return NULL;
	}
	if (kind == SITE_LATENCY)
		profile_latency(c->p, fn)->since = s->since;
	c->nsites++;
	return s;
}

uint32_t calls_entry_function(struct calls *c, const struct func_entry *e)
{
	uint32_t loc = symbols_location(c->sym, e->img, e->vaddr, false);
	const struct prof_location *l = loc < c->p->nlocations ? &c->p->locations[loc] : NULL;

	if (!l || !l->nlines)
		return PROF_NONE;
	return c->p->lines[l->first_line + l->nlines - 1].function;
}

void calls_probe_entry(struct calls *c, enum site_kind kind, const struct func_entry *e, pid_t pid,
		       bool late)
{
	uint32_t fn = calls_entry_function(c, e);
	struct site *s;

	if (fn == PROF_NONE || calls_site_find(c, fn, kind))
		return;
	s = site_new(c, kind, fn, e, late);
	if (!s)
		return;
	if (pid)
		calls_site_place(c, s, pid);
	else
		calls_site_place_all(c, s);
}
