#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calls-int.h"
#include "calls.h"
#include "latency.h"
#include "query.h"
#include "uprobe.h"
#include "xalloc.h"

#define SLOTS_MAX      1024	 /* probed functions per run: the BPF counter array */
#define RING_BYTES     (4u << 20) /* latency records between two ticks */
#define WINDOW	       10	 /* ticks the overhead figure is averaged over */
#define TOP_FIRST_NS   1000000000ull
#define TOP_PERIOD_MAX 16000000000ull
#define NS	       1000000000.0

enum site_kind { SITE_COUNT, SITE_LATENCY };

/* A probe on one process: the entry event, and the return event for latency. */
struct site_event {
	pid_t pid;
	int fd[2];
};

/* One probed function. Its index is its slot in the counter array and in
 * the latency records. */
struct site {
	enum site_kind kind;
	uint32_t function;
	char *path; /* the file probed (a real path) */
	uint64_t offset;
	int prog[2]; /* entry and return programs, -1 when none */
	struct site_event *ev;
	size_t nev, ev_cap;
	bool active;	  /* probes in place */
	bool over_budget; /* removed for the budget */
	bool late;	  /* placed after the target started: calls may have been missed */
	bool from_top;	  /* chosen by top:N */
	bool failed;	  /* said why a placement failed: once is enough */
	bool placed;	  /* some placement succeeded: the count means something */
	uint64_t since;	  /* ns since the profile's start when probing began */
	uint64_t hits, tick_hits; /* calls seen; at the previous tick */
	uint64_t rate_from;	  /* CLOCK_MONOTONIC of tick_hits */
	double rate;		  /* calls per second over the last tick */
};

struct proc {
	pid_t pid;
	bool alive;
	uint64_t cpu_ns; /* utime + stime at the last tick */
};

struct spec {
	char *name;
	enum site_kind kind;
	bool pending; /* not found yet: libraries loaded later are searched too */
};

struct window_tick {
	uint64_t dt, cpu, cost; /* ns */
};

struct calls {
	const struct options *o;
	struct profile *p;
	struct procmap *pm;
	struct symbols *sym;
	struct resolver *res;
	int pmu;
	bool disabled; /* uprobes do not work here: said once */
	bool started;
	struct uprobe_cost cost;
	struct uprobe_gate gate;
	struct uprobe_counters *counters;
	struct uprobe_ring *ring;
	struct latency_pairs *pairs;
	struct site *sites;
	size_t nsites, sites_cap;
	struct proc *procs;
	size_t nprocs, procs_cap;
	struct spec *specs;
	size_t nspecs, specs_cap;
	char **seen; /* paths already searched for pending names */
	size_t nseen, seen_cap;
	uint32_t *top_failed; /* functions top:N could not probe */
	size_t ntop_failed, top_failed_cap;
	unsigned top_n;
	uint64_t top_next, top_period; /* ns since start */
	uint64_t start_ns, last_tick;
	struct window_tick win[WINDOW];
	unsigned win_pos;
	bool quiet;
	char **msgs;
	size_t nmsgs, msgs_cap, msg_next;
	char *msg_taken;
	char **launch_files;
	size_t nlaunch;
};

__attribute__((format(printf, 2, 3))) static void say(struct calls *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	if (!c->quiet) {
		warnx_("%s", msg);
		free(msg);
		return;
	}
	c->msgs = xgrow(c->msgs, &c->msgs_cap, c->nmsgs + 1, sizeof(char *));
	c->msgs[c->nmsgs++] = msg;
}

void calls_set_quiet(struct calls *c, bool quiet)
{
	if (c)
		c->quiet = quiet;
}

const char *calls_message(struct calls *c)
{
	if (!c)
		return NULL;
	free(c->msg_taken);
	c->msg_taken = NULL;
	if (c->msg_next >= c->nmsgs)
		return NULL;
	c->msg_taken = c->msgs[c->msg_next++];
	return c->msg_taken;
}

static const char *fn_name(const struct profile *p, uint32_t fn)
{
	return fn < p->nfunctions && p->functions[fn].name ? p->functions[fn].name : "?";
}

static const char *kind_option(enum site_kind k)
{
	return k == SITE_LATENCY ? "--latency" : "--calls";
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

static void add_specs(struct calls *c, const char *list, enum site_kind kind)
{
	char *copy = xstrdup(list), *save = NULL;

	for (char *s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (kind == SITE_COUNT && !strncmp(s, "top:", 4) && s[4] &&
		    strspn(s + 4, "0123456789") == strlen(s + 4)) {
			unsigned n = (unsigned)strtoul(s + 4, NULL, 10);

			if (n > c->top_n)
				c->top_n = n > CALLS_TOP_MAX ? CALLS_TOP_MAX : n;
			continue;
		}
		c->specs = xgrow(c->specs, &c->specs_cap, c->nspecs + 1, sizeof(*c->specs));
		c->specs[c->nspecs++] = (struct spec){xstrdup(s), kind, true};
	}
	free(copy);
}

struct calls *calls_new(const struct options *o, struct profile *p, struct procmap *pm,
			struct symbols *sym)
{
	struct calls *c;

	if (!o->calls && !o->latency)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->o = o;
	c->p = p;
	c->pm = pm;
	c->sym = sym;
	c->res = resolver_new();
	c->pmu = -1;
	if (o->calls)
		add_specs(c, o->calls, SITE_COUNT);
	if (o->latency)
		add_specs(c, o->latency, SITE_LATENCY);
	c->top_next = TOP_FIRST_NS;
	c->top_period = TOP_FIRST_NS;
	p->meta.calls_budget = o->calls_budget;
	return c;
}

/* ---- processes ---- */

static struct proc *proc_find(struct calls *c, pid_t pid)
{
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid)
			return &c->procs[i];
	return NULL;
}

/* A process's CPU time so far; false once it is gone (or a zombie). */
static bool proc_cpu(pid_t pid, uint64_t *ns)
{
	char path[64], buf[1024], *s, state;
	unsigned long long ut, st;
	static long hz;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	s = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!s || sscanf(s + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state,
			 &ut, &st) != 3 || state == 'Z' || state == 'X')
		return false;
	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	*ns = (ut + st) * (uint64_t)(1000000000 / (hz > 0 ? hz : 100));
	return true;
}

static struct proc *proc_add(struct calls *c, pid_t pid)
{
	struct proc *pr = proc_find(c, pid);

	if (pr) {
		pr->alive = true;
		return pr;
	}
	c->procs = xgrow(c->procs, &c->procs_cap, c->nprocs + 1, sizeof(*c->procs));
	pr = &c->procs[c->nprocs++];
	*pr = (struct proc){.pid = pid, .alive = true};
	proc_cpu(pid, &pr->cpu_ns);
	return pr;
}

/* pid maps path (as the collector's procmap knows it). */
static bool proc_maps(struct calls *c, pid_t pid, const char *path)
{
	const struct proc_space *ps = procmap_lookup(c->pm, pid);

	for (size_t i = 0; ps && i < ps->nmaps; i++)
		if (ps->maps[i].image && ps->maps[i].image->path &&
		    !strcmp(ps->maps[i].image->path, path))
			return true;
	return false;
}

/* ---- sites ---- */

static struct site *site_find(struct calls *c, uint32_t fn, enum site_kind kind)
{
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].function == fn && c->sites[i].kind == kind)
			return &c->sites[i];
	return NULL;
}

static bool site_on(const struct site *s, pid_t pid)
{
	for (size_t i = 0; i < s->nev; i++)
		if (s->ev[i].pid == pid)
			return true;
	return false;
}

static uint64_t since_start(const struct calls *c, uint64_t now)
{
	return now > c->start_ns ? now - c->start_ns : 0;
}

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Put s's probes on process pid. */
static void site_place(struct calls *c, struct site *s, pid_t pid)
{
	struct site_event ev = {.pid = pid, .fd = {-1, -1}};
	int nfd = s->kind == SITE_LATENCY ? 2 : 1;
	char err[512];

	if (site_on(s, pid))
		return;
	for (int k = 0; k < nfd; k++) {
		/* The return probe first: no entry is logged without its return. */
		int which = nfd - 1 - k;

		ev.fd[which] = uprobe_open(c->pmu, s->path, s->offset, which == 1, pid,
					   s->prog[which]);
		if (ev.fd[which] < 0) {
			if (ev.fd[which] != -ESRCH && !s->failed) {
				uprobe_open_error(ev.fd[which], s->path, err, sizeof(err));
				say(c, "%s: %s (%s)", kind_option(s->kind), err,
				    fn_name(c->p, s->function));
				s->failed = true;
			}
			if (which == 0 && ev.fd[1] >= 0)
				uprobe_close_later(ev.fd[1]);
			return;
		}
	}
	s->ev = xgrow(s->ev, &s->ev_cap, s->nev + 1, sizeof(*s->ev));
	s->ev[s->nev++] = ev;
	s->placed = true;
}

/* A new site for fn at e, its programs loaded; NULL with a message if not. */
static struct site *site_new(struct calls *c, enum site_kind kind, uint32_t fn,
			     const struct func_entry *e, bool late)
{
	struct site *s;
	char err[512];

	if (c->nsites >= SLOTS_MAX) {
		say(c, "%s: more than %d probed functions; not probing %s", kind_option(kind),
		    SLOTS_MAX, fn_name(c->p, fn));
		return NULL;
	}
	c->sites = xgrow(c->sites, &c->sites_cap, c->nsites + 1, sizeof(*c->sites));
	s = &c->sites[c->nsites];
	*s = (struct site){
		.kind = kind,
		.function = fn,
		.path = xstrdup(e->img->path),
		.offset = e->offset,
		.prog = {-1, -1},
		.active = true,
		.late = late,
		.since = c->started ? since_start(c, now_mono()) : 0,
		.rate_from = now_mono(),
	};
	if (kind == SITE_COUNT) {
		s->prog[0] = uprobe_counters_prog(c->counters, (uint32_t)c->nsites, &c->gate, err,
						  sizeof(err));
	} else {
		s->prog[0] = uprobe_ring_prog(c->ring, (uint32_t)c->nsites, false, &c->gate, err,
					      sizeof(err));
		if (s->prog[0] >= 0)
			s->prog[1] = uprobe_ring_prog(c->ring, (uint32_t)c->nsites, true, &c->gate,
						      err, sizeof(err));
	}
	if (s->prog[0] < 0 || (kind == SITE_LATENCY && s->prog[1] < 0)) {
		say(c, "%s: %s", kind_option(kind), err);
		if (s->prog[0] >= 0)
			close(s->prog[0]);
		free(s->path);
		return NULL;
	}
	if (kind == SITE_LATENCY)
		profile_latency(c->p, fn)->since = s->since;
	c->nsites++;
	return s;
}

/* Remove s's probes (the count and latencies stay). */
static void site_remove(struct calls *c, struct site *s, bool over_budget)
{
	(void)c;
	for (size_t i = 0; i < s->nev; i++)
		for (int k = 0; k < 2; k++)
			uprobe_close_later(s->ev[i].fd[k]);
	s->nev = 0;
	for (int k = 0; k < 2; k++) {
		if (s->prog[k] >= 0)
			close(s->prog[k]); /* the events kept their own reference */
		s->prog[k] = -1;
	}
	s->active = false;
	s->over_budget = s->over_budget || over_budget;
}

/* The profile function whose entry is e (the outermost frame there). */
static uint32_t entry_function(struct calls *c, const struct func_entry *e)
{
	uint32_t loc = symbols_location(c->sym, e->img, e->vaddr, false);
	const struct prof_location *l = loc < c->p->nlocations ? &c->p->locations[loc] : NULL;

	if (!l || !l->nlines)
		return PROF_NONE;
	return c->p->lines[l->first_line + l->nlines - 1].function;
}

/* Probe e for the spec's kind, on pid (or, pid 0, on every live process
 * that maps the file). */
static void probe_entry(struct calls *c, enum site_kind kind, const struct func_entry *e,
			pid_t pid, bool late)
{
	uint32_t fn = entry_function(c, e);
	struct site *s;

	if (fn == PROF_NONE || (s = site_find(c, fn, kind)))
		return;
	s = site_new(c, kind, fn, e, late);
	if (!s)
		return;
	if (pid) {
		site_place(c, s, pid);
		return;
	}
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].alive && proc_maps(c, c->procs[i].pid, s->path))
			site_place(c, s, c->procs[i].pid);
}

/* ---- resolving names ---- */

static void explain_none(struct calls *c, const struct spec *sp, struct elf_image *const *imgs,
			 size_t n, const char *why)
{
	const char *module, *name;
	char *copy = resolver_split(sp->name, &module, &name);
	struct elf_image *where = NULL;

	/* The file the function would be in: the named module, else the program. */
	for (size_t i = 0; i < n && !where; i++)
		if (imgs[i] && (!module || resolver_module_matches(module, imgs[i])))
			where = imgs[i];
	if (where && resolver_stripped(c->res, where))
		say(c, "%s: no function '%s' in %s, which is stripped (no symbol table): install "
		       "its debug symbols or rebuild it without -s; going on without it",
		    kind_option(sp->kind), name, where->path);
	else if (module)
		say(c, "%s: %s; going on without '%s'", kind_option(sp->kind), why, sp->name);
	else if (n > 1)
		say(c, "%s: no function '%s' in %s or the %zu libraries it maps; going on "
		       "without it",
		    kind_option(sp->kind), name, where ? base_name(where->path) : "the target",
		    n - 1);
	else
		say(c, "%s: no function '%s' in %s; going on without it", kind_option(sp->kind),
		    name, where ? base_name(where->path) : "the target");
	free(copy);
}

/* Look every pending name up in imgs; place what is found on pid (0: on
 * the processes mapping the file). At start, names not found are said;
 * later (a newly mapped library) only finds count. */
static void resolve_specs(struct calls *c, struct elf_image *const *imgs, size_t n, pid_t pid,
			  bool late, bool at_start)
{
	for (size_t i = 0; i < c->nspecs; i++) {
		struct spec *sp = &c->specs[i];
		struct func_entry e;
		char msg[1024];
		enum resolve_status st;

		if (!sp->pending)
			continue;
		st = resolver_find(c->res, imgs, n, sp->name, &e, msg, sizeof(msg));
		if (st == RESOLVE_OK) {
			sp->pending = false;
			probe_entry(c, sp->kind, &e, pid, late);
		} else if (st == RESOLVE_AMBIGUOUS || st == RESOLVE_IFUNC) {
			sp->pending = false;
			say(c, "%s: %s", kind_option(sp->kind), msg);
		} else if (at_start) {
			explain_none(c, sp, imgs, n, msg);
		}
	}
}

/* ---- start ---- */

static bool enable(struct calls *c, bool with_latency)
{
	char err[512];

	c->pmu = uprobe_pmu_type(err, sizeof(err));
	if (c->pmu < 0 || uprobe_calibrate(c->pmu, with_latency, &c->cost, err, sizeof(err)) < 0)
		goto fail;
	c->counters = uprobe_counters_new(SLOTS_MAX, err, sizeof(err));
	if (!c->counters)
		goto fail;
	if (with_latency) {
		c->ring = uprobe_ring_new(RING_BYTES, err, sizeof(err));
		if (!c->ring)
			goto fail;
		c->pairs = latency_pairs_new();
		c->p->meta.probe_floor_ns = (uint64_t)c->cost.floor_ns;
	}
	return true;
fail:
	say(c, "cannot count calls: %s; profiling goes on without counts", err);
	c->disabled = true;
	return false;
}

void calls_start(struct calls *c, char **launch_argv, const pid_t *pids, size_t npids,
		 uint64_t start_ns)
{
	struct elf_image **imgs = NULL;
	size_t nimgs = 0, cap = 0;
	bool with_latency = false;

	if (!c || c->started)
		return;
	c->start_ns = start_ns;
	for (size_t i = 0; i < c->nspecs; i++)
		with_latency = with_latency || c->specs[i].kind == SITE_LATENCY;
	if (!enable(c, with_latency)) {
		c->started = true;
		return;
	}
	for (size_t i = 0; i < npids; i++)
		proc_add(c, pids[i]);
	if (launch_argv) {
		c->nlaunch = resolver_launch_files(launch_argv[0], &c->launch_files);
		uprobe_gate_init(&c->gate, c->nlaunch ? c->launch_files[0] : launch_argv[0]);
		for (size_t i = 0; i < c->nlaunch; i++) {
			struct elf_image *img = procmap_image(c->pm, c->launch_files[i]);

			imgs = xgrow(imgs, &cap, nimgs + 1, sizeof(*imgs));
			imgs[nimgs++] = img;
		}
		/* Placed on the held child: in force from its first instruction. */
		if (nimgs)
			resolve_specs(c, imgs, nimgs, pids[0], false, true);
	} else {
		for (size_t i = 0; i < npids; i++) {
			struct proc_space *ps = procmap_process(c->pm, pids[i]);

			for (size_t k = 0; ps && k < ps->nmaps; k++) {
				struct elf_image *img = ps->maps[k].image;
				bool dup = !img || img->is_vdso;

				for (size_t j = 0; j < nimgs && !dup; j++)
					dup = imgs[j] == img;
				if (dup)
					continue;
				imgs = xgrow(imgs, &cap, nimgs + 1, sizeof(*imgs));
				imgs[nimgs++] = img;
			}
		}
		resolve_specs(c, imgs, nimgs, 0, false, true);
	}
	if (!nimgs)
		for (size_t i = 0; i < c->nspecs; i++)
			say(c, "%s: cannot read the target's program to find '%s'",
			    kind_option(c->specs[i].kind), c->specs[i].name);
	free(imgs);
	c->last_tick = now_mono();
	c->started = true;
}

/* ---- side-band records ---- */

static bool seen_path(struct calls *c, const char *path)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (!strcmp(c->seen[i], path))
			return true;
	c->seen = xgrow(c->seen, &c->seen_cap, c->nseen + 1, sizeof(char *));
	c->seen[c->nseen++] = xstrdup(path);
	return false;
}

void calls_on_mmap(struct calls *c, pid_t pid, const char *path)
{
	bool pending = false;

	if (!c || c->disabled || !c->started || !path || path[0] != '/')
		return;
	proc_add(c, pid);
	/* A process mapping a probed file without our probe (a fork we heard
	 * of late, an exec): probe it from now on. */
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];

		if (s->active && s->placed && !site_on(s, pid) && !strcmp(s->path, path)) {
			site_place(c, s, pid);
			s->late = true;
		}
	}
	for (size_t i = 0; i < c->nspecs; i++)
		pending = pending || c->specs[i].pending;
	if (pending && !seen_path(c, path)) {
		struct elf_image *img = procmap_image(c->pm, path);

		if (img && !img->is_vdso)
			resolve_specs(c, &img, 1, pid, true, false);
	}
}

void calls_on_fork(struct calls *c, pid_t pid, pid_t ppid)
{
	if (!c || c->disabled || !c->started || pid == ppid || proc_find(c, pid))
		return;
	proc_add(c, pid);
	/* The child has its parent's mappings: it may have called a probed
	 * function before this record reached us. */
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];

		if (s->active && s->placed && proc_maps(c, ppid, s->path)) {
			site_place(c, s, pid);
			s->late = true;
		}
	}
}

void calls_on_exit(struct calls *c, pid_t pid)
{
	struct proc *pr;

	if (!c || !(pr = proc_find(c, pid)))
		return;
	pr->alive = false;
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];

		for (size_t k = 0; k < s->nev; k++) {
			if (s->ev[k].pid != pid)
				continue;
			uprobe_close_later(s->ev[k].fd[0]);
			uprobe_close_later(s->ev[k].fd[1]);
			s->ev[k--] = s->ev[--s->nev];
		}
	}
}

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
	if (!rec->is_return)
		d->entries[rec->slot]++;
	if (latency_pairs_feed(c->pairs, rec, &slot, &ns) && slot < c->nsites)
		latency_add(profile_latency(c->p, c->sites[slot].function), ns);
}

static double unit_cost(const struct calls *c, const struct site *s)
{
	return s->kind == SITE_LATENCY ? c->cost.pair_ns : c->cost.hit_ns;
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
		if (!proc_cpu(pr->pid, &ns)) {
			calls_on_exit(c, pr->pid);
			continue;
		}
		if (ns > pr->cpu_ns)
			sum += ns - pr->cpu_ns;
		pr->cpu_ns = ns;
	}
	return sum;
}

/* Remove the costliest probes until the rest fit the budget. */
static void hold_budget(struct calls *c, double base_cpus)
{
	double allowed = c->o->calls_budget / 100.0 * base_cpus * NS; /* ns per s */

	for (;;) {
		struct site *worst = NULL;
		double total = 0;

		for (size_t i = 0; i < c->nsites; i++) {
			struct site *s = &c->sites[i];
			double cost = s->rate * unit_cost(c, s);

			/* Probes only on processes gone cost nothing from now on. */
			if (!s->active || !s->nev)
				continue;
			total += cost;
			if (!worst || cost > worst->rate * unit_cost(c, worst))
				worst = s;
		}
		if (!worst || total <= allowed || worst->rate <= 0)
			return;
		site_remove(c, worst, true);
		say(c, "%s: %s is called %.0f times a second: its probe would cost %.1f%% of "
		       "the target's time (budget %g%%); stopped, its count is a lower bound",
		    kind_option(worst->kind), fn_name(c->p, worst->function), worst->rate,
		    100.0 * worst->rate * unit_cost(c, worst) / (base_cpus * NS),
		    c->o->calls_budget);
	}
}

static void update_profile(struct calls *c, uint64_t dropped)
{
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];
		struct prof_function *f = &c->p->functions[s->function];
		bool lower = s->late || s->over_budget;

		if (!s->placed)
			continue; /* never probed: not counted */

		/* A count site says how many calls; a latency-only one too, from its
		 * entries, unless the ring dropped some. */
		if (s->kind == SITE_LATENCY) {
			struct prof_latency *l = profile_latency(c->p, s->function);

			l->stopped = s->over_budget;
			l->rate = s->over_budget ? s->rate : 0;
			if (site_find(c, s->function, SITE_COUNT))
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
	uint64_t dt = now > c->last_tick ? now - c->last_tick : 1, cost = 0, dropped = 0, cpu;
	struct window_tick *w, sum = {0, 0, 0};
	uint64_t *entries = xcalloc(c->nsites ? c->nsites : 1, sizeof(uint64_t));
	struct drain_ctx d = {c, entries};
	double base;

	if (c->ring) {
		uprobe_ring_drain(c->ring, on_record, &d);
		dropped = uprobe_ring_dropped(c->ring);
	}
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];
		uint64_t span = now > s->rate_from ? now - s->rate_from : 1;

		if (s->kind == SITE_COUNT)
			s->hits = uprobe_counters_read(c->counters, (uint32_t)i);
		else
			s->hits += entries[i];
		if (s->active) {
			s->rate = (double)(s->hits - s->tick_hits) * NS / (double)span;
			cost += (uint64_t)((double)(s->hits - s->tick_hits) * unit_cost(c, s));
		}
		s->tick_hits = s->hits;
		s->rate_from = now;
	}
	free(entries);
	cpu = cpu_delta(c);
	c->p->meta.calls_cost_ns += cost;
	c->p->meta.calls_cpu_ns += cpu;
	w = &c->win[c->win_pos++ % WINDOW];
	*w = (struct window_tick){dt, cpu, cost};
	for (unsigned i = 0; i < WINDOW; i++) {
		sum.dt += c->win[i].dt;
		sum.cpu += c->win[i].cpu;
		sum.cost += c->win[i].cost;
	}
	/* CPUs the target used lately, counted as at least one. */
	base = sum.dt ? (double)sum.cpu / (double)sum.dt : 0;
	if (base < 1)
		base = 1;
	c->p->meta.calls_overhead = sum.dt ? 100.0 * (double)sum.cost / (base * (double)sum.dt) : 0;
	c->last_tick = now;
	if (!final) {
		hold_budget(c, base);
		if (c->top_n && since_start(c, now) >= c->top_next) {
			choose_top(c);
			if (c->top_period < TOP_PERIOD_MAX)
				c->top_period *= 2;
			c->top_next = since_start(c, now) + c->top_period;
		}
	}
	update_profile(c, dropped);
}

void calls_tick(struct calls *c, uint64_t now_ns)
{
	if (!c || c->disabled || !c->started)
		return;
	tick(c, now_ns, false);
}

void calls_finish(struct calls *c, uint64_t now_ns)
{
	if (!c || c->disabled || !c->started)
		return;
	tick(c, now_ns, true);
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].active)
			site_remove(c, &c->sites[i], false);
}

/* ---- top:N and the TUI's key ---- */

/* Where fn starts, found by its symbol in its module's file. */
static bool function_entry(struct calls *c, uint32_t fn, struct func_entry *out)
{
	const struct prof_function *f = &c->p->functions[fn];
	const char *path = f->module < c->p->nmodules ? c->p->modules[f->module].path : NULL;
	const char *sysname = f->system_name ? f->system_name : f->name;
	struct func_entry e[8];
	struct elf_image *img;
	size_t n;

	if (!path || path[0] != '/' || !sysname)
		return false;
	img = procmap_image(c->pm, path);
	if (!img)
		return false;
	n = resolver_find_symbol(c->res, img, sysname, e, 8);
	for (size_t i = 0; i < n; i++) {
		if (entry_function(c, &e[i]) == fn) {
			*out = e[i];
			return true;
		}
	}
	return false;
}

static bool top_failed(const struct calls *c, uint32_t fn)
{
	for (size_t i = 0; i < c->ntop_failed; i++)
		if (c->top_failed[i] == fn)
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
	for (size_t i = 0; i < t.n && i < c->top_n && chosen < 2u * c->top_n; i++) {
		uint32_t fn = t.rows[i].function;
		struct func_entry e;
		struct site *s;

		if (!t.rows[i].self_ns || site_find(c, fn, SITE_COUNT) || top_failed(c, fn))
			continue;
		if (!function_entry(c, fn, &e)) {
			c->top_failed = xgrow(c->top_failed, &c->top_failed_cap,
					      c->ntop_failed + 1, sizeof(uint32_t));
			c->top_failed[c->ntop_failed++] = fn;
			continue;
		}
		probe_entry(c, SITE_COUNT, &e, 0, true);
		s = site_find(c, fn, SITE_COUNT);
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

	if (!c || !c->started || c->disabled) {
		snprintf(msg, len, "call counting is not available%s",
			 c && c->disabled ? " (see the first message)" : ": start with --calls");
		return -1;
	}
	if (fn >= c->p->nfunctions)
		return -1;
	s = site_find(c, fn, SITE_COUNT);
	if (s && s->active) {
		site_remove(c, s, false);
		s->late = true;
		snprintf(msg, len, "stopped counting %s (%llu calls counted)", fn_name(c->p, fn),
			 (unsigned long long)s->hits);
		return 0;
	}
	if (s) {
		s->active = true;
		s->late = true;
		for (size_t i = 0; i < c->nprocs; i++)
			if (c->procs[i].alive && proc_maps(c, c->procs[i].pid, s->path))
				site_place(c, s, c->procs[i].pid);
		snprintf(msg, len, "counting %s again", fn_name(c->p, fn));
		return 0;
	}
	if (!function_entry(c, fn, &e)) {
		snprintf(msg, len, "cannot find where %s starts in its file", fn_name(c->p, fn));
		return -1;
	}
	probe_entry(c, SITE_COUNT, &e, 0, true);
	if (!site_find(c, fn, SITE_COUNT)) {
		snprintf(msg, len, "cannot count %s", fn_name(c->p, fn));
		return -1;
	}
	snprintf(msg, len, "counting %s from now on", fn_name(c->p, fn));
	return 0;
}

bool calls_active(const struct calls *c, uint32_t fn)
{
	const struct site *s = c ? site_find((struct calls *)c, fn, SITE_COUNT) : NULL;

	return s && s->active;
}

void calls_free(struct calls *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsites; i++) {
		if (c->sites[i].active)
			site_remove(c, &c->sites[i], false);
		free(c->sites[i].ev);
		free(c->sites[i].path);
	}
	free(c->sites);
	free(c->procs);
	for (size_t i = 0; i < c->nspecs; i++)
		free(c->specs[i].name);
	free(c->specs);
	for (size_t i = 0; i < c->nseen; i++)
		free(c->seen[i]);
	free(c->seen);
	free(c->top_failed);
	for (size_t i = c->msg_next; i < c->nmsgs; i++)
		free(c->msgs[i]);
	free(c->msgs);
	free(c->msg_taken);
	for (size_t i = 0; i < c->nlaunch; i++)
		free(c->launch_files[i]);
	free(c->launch_files);
	latency_pairs_free(c->pairs);
	uprobe_ring_free(c->ring);
	uprobe_counters_free(c->counters);
	resolver_free(c->res);
	free(c);
}
