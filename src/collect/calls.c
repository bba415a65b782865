#include "config.h"

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
#include "uprobe.h"
#include "xalloc.h"

#define RING_BYTES   (4u << 20)	   /* latency records between two ticks */
#define TOP_FIRST_NS 1000000000ull /* top:N looks first after a second */

void calls_say(struct calls *c, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		fatal("out of memory");
	va_end(ap);
	if (!c->msgs.quiet) {
		warnx_("%s", msg);
		free(msg);
		return;
	}
	c->msgs.list = xgrow(c->msgs.list, &c->msgs.cap, c->msgs.n + 1, sizeof(char *));
	c->msgs.list[c->msgs.n++] = msg;
}

void calls_set_quiet(struct calls *c, bool quiet)
{
	if (c)
		c->msgs.quiet = quiet;
}

const char *calls_message(struct calls *c)
{
	if (!c)
		return NULL;
	free(c->msgs.taken);
	c->msgs.taken = NULL;
	if (c->msgs.next >= c->msgs.n)
		return NULL;
	c->msgs.taken = c->msgs.list[c->msgs.next++];
	return c->msgs.taken;
}

const char *calls_kind_option(enum site_kind k)
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

			if (n > c->top.n)
				c->top.n = n > CALLS_TOP_MAX ? CALLS_TOP_MAX : n;
			continue;
		}
		c->specs = xgrow(c->specs, &c->specs_cap, c->nspecs + 1, sizeof(*c->specs));
		c->specs[c->nspecs++] = (struct spec){xstrdup(s), kind, calls_python_spec(s), true};
	}
	free(copy);
}

struct calls *calls_new(const struct calls_config *cfg, struct profile *p, struct procmap *pm,
			struct symbols *sym)
{
	struct calls *c;

	/* The TUI may count later (its key): uprobes are then set up on first use. */
	if (!cfg->count && !cfg->latency && !cfg->on_demand)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->budget = cfg->budget;
	c->p = p;
	c->pm = pm;
	c->sym = sym;
	c->res = resolver_new();
	if (cfg->count)
		add_specs(c, cfg->count, SITE_COUNT);
	if (cfg->latency)
		add_specs(c, cfg->latency, SITE_LATENCY);
	c->top.next = TOP_FIRST_NS;
	c->top.period = TOP_FIRST_NS;
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
bool calls_proc_cpu(pid_t pid, uint64_t *ns)
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
	if (!s ||
	    sscanf(s + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &ut,
		   &st) != 3 ||
	    state == 'Z' || state == 'X')
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
	calls_proc_cpu(pid, &pr->cpu_ns);
	return pr;
}

/* pid maps path (as the collector's procmap knows it). */
bool calls_proc_maps(struct calls *c, pid_t pid, const char *path)
{
	const struct proc_space *ps = procmap_lookup(c->pm, pid);

	for (size_t i = 0; ps && i < ps->nmaps; i++)
		if (ps->maps[i].image && ps->maps[i].image->path &&
		    !strcmp(ps->maps[i].image->path, path))
			return true;
	return false;
}

/* ---- time ---- */

uint64_t calls_since_start(const struct calls *c, uint64_t now)
{
	return now > c->start_ns ? now - c->start_ns : 0;
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
		calls_say(
			c,
			"%s: no function '%s' in %s, which is stripped (no symbol table): install "
			"its debug symbols or rebuild it without -s; going on without it",
			calls_kind_option(sp->kind), name, where->path);
	else if (module)
		calls_say(c, "%s: %s; going on without '%s'", calls_kind_option(sp->kind), why,
			  sp->name);
	else if (n > 1)
		calls_say(c,
			  "%s: no function '%s' in %s or the %zu libraries it maps; going on "
			  "without it",
			  calls_kind_option(sp->kind), name,
			  where ? base_name(where->path) : "the target", n - 1);
	else
		calls_say(c, "%s: no function '%s' in %s; going on without it",
			  calls_kind_option(sp->kind), name,
			  where ? base_name(where->path) : "the target");
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
		if (sp->python) {
			calls_python_resolve(c, sp, imgs, n, pid, late, at_start);
			continue;
		}
		st = resolver_find(c->res, imgs, n, sp->name, &e, msg, sizeof(msg));
		if (st == RESOLVE_OK) {
			sp->pending = false;
			calls_probe_entry(c, sp->kind, &e, pid, late);
		} else if (st == RESOLVE_AMBIGUOUS || st == RESOLVE_IFUNC) {
			sp->pending = false;
			calls_say(c, "%s: %s", calls_kind_option(sp->kind), msg);
		} else if (at_start && st == RESOLVE_NONE && !strchr(sp->name, ':') &&
			   calls_python_present(imgs, n)) {
			/* No native function of that name: a Python one. */
			char *py = xasprintf("py:%s", sp->name);

			free(sp->name);
			sp->name = py;
			sp->python = true;
			calls_python_resolve(c, sp, imgs, n, pid, late, at_start);
		} else if (at_start) {
			explain_none(c, sp, imgs, n, msg);
		}
	}
}

/* ---- start ---- */

/* Measure the probes' cost and create the BPF maps; once. The budget in the
 * profile's header says that probes ran. */
bool calls_enable(struct calls *c, bool with_latency)
{
	bool python = false;
	char err[512];
	int pmu;

	if (c->ps || c->disabled)
		return c->ps != NULL;
	for (size_t i = 0; i < c->nspecs; i++)
		python = python || c->specs[i].python || !strchr(c->specs[i].name, ':');
	pmu = uprobe_pmu_type(err, sizeof(err));
	if (pmu < 0 || uprobe_calibrate(pmu, with_latency, &c->meter.cost, err, sizeof(err)) < 0)
		goto fail;
	/* Slots past SLOTS_MAX: the hits of Python sites' probes (every call). */
	c->ps = probeset_new(pmu, 2 * SLOTS_MAX, with_latency || python ? RING_BYTES : 0, err,
			     sizeof(err));
	if (!c->ps)
		goto fail;
	c->meter.usdt_ns = c->meter.cost.hit_ns + USDT_FILTER_NS;
	if (python)
		c->py_pairs = latency_pairs_new();
	if (with_latency) {
		c->pairs = latency_pairs_new();
		c->p->meta.probe_floor_ns = (uint64_t)c->meter.cost.floor_ns;
	}
	c->p->meta.calls_budget = c->budget;
	return true;
fail:
	calls_say(c, "cannot count calls: %s; profiling goes on without counts", err);
	c->disabled = true;
	return false;
}

void calls_start(struct calls *c, char **launch_argv, const pid_t *pids, size_t npids,
		 uint64_t start_ns)
{
	struct elf_image **imgs = NULL;
	size_t nimgs = 0, cap = 0, nlaunch = 0;
	char **launch = NULL;
	bool with_latency = false;

	if (!c || c->started)
		return;
	c->start_ns = start_ns;
	c->meter.last_tick = loop_now_ns();
	c->started = true;
	for (size_t i = 0; i < npids; i++)
		proc_add(c, pids[i]);
	for (size_t i = 0; i < c->nspecs; i++)
		with_latency = with_latency || c->specs[i].kind == SITE_LATENCY;
	if ((!c->nspecs && !c->top.n) || !calls_enable(c, with_latency))
		return;
	if (launch_argv) {
		struct uprobe_gate gate;

		nlaunch = resolver_launch_files(launch_argv[0], &launch);
		uprobe_gate_init(&gate, nlaunch ? launch[0] : launch_argv[0]);
		probeset_set_gate(c->ps, &gate);
		for (size_t i = 0; i < nlaunch; i++) {
			struct elf_image *img = procmap_image(c->pm, launch[i]);

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
			calls_say(c, "%s: cannot read the target's program to find '%s'",
				  calls_kind_option(c->specs[i].kind), c->specs[i].name);
	free(imgs);
	for (size_t i = 0; i < nlaunch; i++)
		free(launch[i]);
	free(launch);
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

	if (!c || !c->started || !path || path[0] != '/')
		return;
	proc_add(c, pid);
	if (!c->ps)
		return;
	/* A process mapping a probed file without our probe (a fork we heard
	 * of late, an exec): probe it from now on. */
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];

		if (s->active && s->placed && !calls_site_on(c, s, pid) && !strcmp(s->path, path)) {
			calls_site_place(c, s, pid);
			s->late = true;
		}
		/* A launched interpreter: its semaphores exist from its exec on. */
		if (s->py && s->active && calls_site_on(c, s, pid) && !strcmp(s->path, path) &&
		    calls_python_arm(c, s, pid))
			s->late = true;
	}
	for (size_t i = 0; i < c->nspecs; i++)
		pending = pending || c->specs[i].pending;
	if (pending && !seen_path(c, path)) {
		struct elf_image *img = procmap_mapped_image(c->pm, pid, path);

		if (img && !img->is_vdso)
			resolve_specs(c, &img, 1, pid, true, false);
	}
}

void calls_on_fork(struct calls *c, pid_t pid, pid_t ppid)
{
	if (!c || !c->started || pid == ppid || proc_find(c, pid))
		return;
	proc_add(c, pid);
	if (!c->ps)
		return;
	/* The child has its parent's mappings: it may have called a probed
	 * function before this record reached us. */
	for (size_t i = 0; i < c->nsites; i++) {
		struct site *s = &c->sites[i];

		if (s->active && s->placed && calls_proc_maps(c, ppid, s->path)) {
			if (s->py) /* before placing: the copy is raised already */
				calls_python_inherit(s, pid, ppid);
			calls_site_place(c, s, pid);
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
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].py)
			calls_python_forget(&c->sites[i], pid);
	if (c->ps)
		probeset_forget(c->ps, pid);
}

void calls_free(struct calls *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nsites; i++)
		if (c->sites[i].py)
			calls_python_disarm(&c->sites[i]);
	probeset_free(c->ps); /* every probe, now */
	uprobe_close_flush(); /* and the calibration's */
	for (size_t i = 0; i < c->nsites; i++) {
		free(c->sites[i].probes);
		free(c->sites[i].path);
		calls_python_free(c->sites[i].py);
	}
	free(c->sites);
	free(c->procs);
	for (size_t i = 0; i < c->nspecs; i++)
		free(c->specs[i].name);
	free(c->specs);
	for (size_t i = 0; i < c->nseen; i++)
		free(c->seen[i]);
	free(c->seen);
	free(c->top.failed);
	for (size_t i = c->msgs.next; i < c->msgs.n; i++)
		free(c->msgs.list[i]);
	free(c->msgs.list);
	free(c->msgs.taken);
	latency_pairs_free(c->pairs);
	latency_pairs_free(c->py_pairs);
	resolver_free(c->res);
	free(c);
}
