/* Python functions' calls (--calls py:NAME, FILE.py:NAME) and latencies
 * through the USDT markers of a CPython built --with-dtrace (Debian's
 * python3.11): python:function__entry and function__return, whose first
 * two arguments are the code object's co_filename and co_name as UTF-8
 * pointers. A count probes function__return alone (a call counts when it
 * returns, raises or yields); a latency both.
 *
 * Every Python call hits the probe; the filter in the kernel answers for a
 * (process, filename pointer, funcname pointer) whether it is the counted
 * function. A pair it has no answer for yet comes here through the ring
 * with the strings as the probe copied them (the process may be gone by
 * the time they are read); a count's later hits of that pair wait in the
 * pending map, summed here once the pair is known to be the function's.
 * The strings belong to code objects, immutable while the code lives. (A
 * pair freed and reused by another function of the same file, code made
 * and dropped at run time, would keep the first answer.)
 *
 * The semaphores: the uprobe PMU can keep a probed marker's (its
 * ref_ctr_offset), but 3.11 reaches function__entry only with the line
 * marker's raised too, and that marker has no probe. So proftop raises the
 * ones it needs in each probed process's memory once the interpreter is
 * mapped there, and lowers them when the probes go: at the end, over the
 * budget, on SIGINT and SIGTERM. Only a SIGKILL of proftop leaves them
 * raised: the interpreter then prepares the markers' arguments for no
 * one. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "calls-int.h"
#include "usdt.h"
#include "xalloc.h"

#define NAME_MAX_READ 512

bool calls_python_spec(const char *spec)
{
	const char *colon;

	if (!strncmp(spec, "py:", 3))
		return spec[3] != '\0';
	colon = strchr(spec, ':');
	return colon && colon > spec + 3 && !strncmp(colon - 3, ".py", 3) && colon[1] &&
	       colon[1] != ':';
}

static bool find_markers(struct elf_image *img, struct usdt_probe *entry, struct usdt_probe *ret)
{
	return img && usdt_find(img, "python", "function__entry", entry) &&
	       usdt_find(img, "python", "function__return", ret);
}

/* The python:line marker's semaphore: CPython 3.11 reaches function__entry
 * only on its tracing path, which it takes while a trace function is set
 * or the line marker is enabled (its DISPATCH ors in PyDTrace_LINE_ENABLED).
 * Raising it sends every instruction that way: the target runs slower for
 * it (measured in NEWS), with no uprobe on the line marker. */
static uint64_t line_semaphore(struct elf_image *img)
{
	struct usdt_probe line;

	return usdt_find(img, "python", "line", &line) ? line.sem_vaddr : 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* An interpreter: "python3.12", "libpython3.12.so.1.0". */
static bool looks_like_python(const struct elf_image *img)
{
	const char *b = img && img->path ? base_name(img->path) : "";

	return !strncmp(b, "python", 6) || !strncmp(b, "libpython", 9);
}

bool calls_python_present(struct elf_image *const *imgs, size_t n)
{
	struct usdt_probe e, r;

	for (size_t i = 0; i < n; i++)
		if (looks_like_python(imgs[i]) && find_markers(imgs[i], &e, &r))
			return true;
	return false;
}

/* The arguments as the program reads them: register-held, 8-byte pointers. */
static bool usable(const struct usdt_probe *p)
{
	return p->nargs >= 3 && p->args[0].in_reg && p->args[1].in_reg && p->args[2].in_reg &&
	       p->args[0].size == 8 && p->args[1].size == 8 && p->sem_vaddr;
}

static void py_site_init(struct py_site *py, const char *spec, int filter, int pending)
{
	const char *colon = strchr(spec, ':'), *dot;

	py->qualname = xstrdup(colon + 1);
	dot = strrchr(py->qualname, '.');
	py->name = xstrdup(dot ? dot + 1 : py->qualname);
	py->file = strncmp(spec, "py:", 3) ? xstrndup(spec, (size_t)(colon - spec)) : NULL;
	py->filter = filter;
	py->pending = pending;
}

static bool add_probe(struct calls *c, struct site *s, const struct usdt_probe *p,
		      enum probe_kind kind)
{
	struct probe_usdt u = {
		.filter = s->py->filter,
		.pending = s->py->pending,
		.arg0_off = p->args[0].regs_offset,
		.arg1_off = p->args[1].regs_offset,
		.line_off = p->args[2].regs_offset,
		.traps_slot = SLOTS_MAX + (uint32_t)(s - c->sites),
	};
	char err[512];
	int id = probeset_add_usdt(c->ps, s->path, p->offset, kind, (uint32_t)(s - c->sites), &u,
				   err, sizeof(err));

	return calls_site_keep_probe(c, s, id, err);
}

/* A site for sp on the interpreter img: its probes in the set, on no process. */
static struct site *py_site_new(struct calls *c, const struct spec *sp, struct elf_image *img,
				const struct usdt_probe *entry, const struct usdt_probe *ret,
				bool late)
{
	char err[512];
	struct site *s;
	bool ok;
	int filter, pending = -1;

	if (c->nsites >= SLOTS_MAX) {
		calls_say(c, "%s: more than %d probed functions; not probing %s",
			  calls_kind_option(sp->kind), SLOTS_MAX, sp->name);
		return NULL;
	}
	filter = uprobe_filter_new(err, sizeof(err));
	if (filter >= 0 && (pending = uprobe_filter_new(err, sizeof(err))) < 0) {
		close(filter);
		filter = -1;
	}
	if (filter < 0) {
		calls_say(c, "%s: %s; going on without '%s'", calls_kind_option(sp->kind), err,
			  sp->name);
		return NULL;
	}
	c->sites = xgrow(c->sites, &c->sites_cap, c->nsites + 1, sizeof(*c->sites));
	s = &c->sites[c->nsites];
	*s = (struct site){
		.kind = sp->kind,
		.function = PROF_NONE, /* until its first call says its file and line */
		.path = xstrdup(img->path),
		.offset = entry->offset,
		.active = true,
		.late = late,
		.since = late ? calls_since_start(c, loop_now_ns()) : 0,
		.rate_from = loop_now_ns(),
		.py = xcalloc(1, sizeof(struct py_site)),
	};
	py_site_init(s->py, sp->name, filter, pending);
	/* A count needs the return marker only, which 3.11 reaches without
	 * the tracing path: no line semaphore, no slower instructions. */
	if (sp->kind == SITE_COUNT) {
		s->py->sem_entry = ret->sem_vaddr;
	} else {
		s->py->sem_entry = entry->sem_vaddr;
		s->py->sem_return = ret->sem_vaddr;
		s->py->sem_line = line_semaphore(img);
	}
	s->py->image_base = img->text_vaddr;
	if (sp->kind == SITE_COUNT) /* a call counts when it returns, raises or yields */
		ok = add_probe(c, s, ret, PROBE_PY_COUNT);
	else /* the entry first: placed last (calls_site_place) */
		ok = add_probe(c, s, entry, PROBE_PY_ENTRY) &&
		     add_probe(c, s, ret, PROBE_PY_RETURN);
	if (!ok) {
		calls_site_remove(c, s, false, true);
		free(s->probes);
		free(s->path);
		calls_python_free(s->py);
		return NULL;
	}
	c->nsites++;
	return s;
}

bool calls_python_resolve(struct calls *c, struct spec *sp, struct elf_image *const *imgs, size_t n,
			  pid_t pid, bool late, bool at_start)
{
	struct elf_image *plain = NULL;
	struct usdt_probe entry, ret;
	struct site *s;

	for (size_t i = 0; i < n; i++) {
		if (!looks_like_python(imgs[i]))
			continue;
		if (!find_markers(imgs[i], &entry, &ret)) {
			plain = plain ? plain : imgs[i];
			continue;
		}
		sp->pending = false;
		if (!usable(&entry) || !usable(&ret)) {
			calls_say(
				c,
				"%s: the USDT markers of %s pass their arguments in a way proftop "
				"cannot read; going on without '%s'",
				calls_kind_option(sp->kind), imgs[i]->path, sp->name);
			return true;
		}
		s = py_site_new(c, sp, imgs[i], &entry, &ret, late);
		if (s && pid)
			calls_site_place(c, s, pid);
		else if (s)
			calls_site_place_all(c, s);
		return true;
	}
	if (!at_start)
		return false;
	if (plain)
		calls_say(c,
			  "%s: no USDT markers in this interpreter (%s): exact Python call counts "
			  "need a CPython built --with-dtrace, such as Debian's python3.11; going "
			  "on without '%s'",
			  calls_kind_option(sp->kind), plain->path, sp->name);
	else
		calls_say(c,
			  "%s: the target runs no Python interpreter (yet): '%s' is counted "
			  "when one with USDT markers starts",
			  calls_kind_option(sp->kind), sp->name);
	return false;
}

/* A NUL-terminated string of the target's memory; false if unreadable. */
static bool read_string(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	/* Up to the page's end first: the next page may not be mapped. */
	size_t first = 4096 - (size_t)(addr & 4095);
	struct iovec local = {buf, first < len - 1 ? first : len - 1};
	struct iovec remote = {(void *)(uintptr_t)addr, local.iov_len};
	ssize_t got;

	if (!addr)
		return false;
	got = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (got <= 0)
		return false;
	if (!memchr(buf, '\0', (size_t)got) && (size_t)got < len - 1) {
		struct iovec l2 = {buf + got, len - 1 - (size_t)got};
		struct iovec r2 = {(void *)(uintptr_t)(addr + (uint64_t)got), l2.iov_len};
		ssize_t more = process_vm_readv(pid, &l2, 1, &r2, 1, 0);

		if (more > 0)
			got += more;
	}
	buf[got] = '\0';
	return memchr(buf, '\0', (size_t)got) != NULL || (size_t)got == len - 1;
}

/* co_filename names the spec's FILE.py: equal, or its last components. */
static bool file_matches(const char *spec_file, const char *filename)
{
	size_t ls = strlen(spec_file), lf = strlen(filename);

	if (!strcmp(spec_file, filename))
		return true;
	return lf > ls && filename[lf - ls - 1] == '/' && !strcmp(filename + lf - ls, spec_file);
}

/* A string of a NEW record: as the probe copied it, or, cut there or not
 * readable then, from the target's memory (if it is still there). */
static bool record_string(pid_t tgid, const char *copied, size_t copied_len, uint64_t addr,
			  char *buf, size_t len)
{
	size_t n = strnlen(copied, copied_len);

	if (n && n < copied_len - 1) {
		memcpy(buf, copied, n + 1);
		return true;
	}
	return read_string(tgid, addr, buf, len);
}

/* Is the function named by (filename, funcname) s's? Said once when the
 * name alone matches in another file than the one counted. */
static bool classify(struct calls *c, struct site *s, pid_t tgid, const struct uprobe_record *rec,
		     char *filename, size_t flen)
{
	struct py_site *py = s->py;
	char funcname[NAME_MAX_READ];

	if (!record_string(tgid, rec->str1, sizeof(rec->str1), rec->arg1, funcname,
			   sizeof(funcname)) ||
	    strcmp(funcname, py->name) ||
	    !record_string(tgid, rec->str0, sizeof(rec->str0), rec->arg0, filename, flen))
		return false;
	if (py->file && !file_matches(py->file, filename))
		return false;
	if (!py->matched_file) {
		py->matched_file = xstrdup(filename);
		return true;
	}
	if (!strcmp(py->matched_file, filename))
		return true;
	if (!py->said_other) {
		py->said_other = true;
		calls_say(c,
			  "%s: %s has a function '%s' too; counting only %s's: name the other as "
			  "%s:%s",
			  calls_kind_option(s->kind), filename, py->name,
			  base_name(py->matched_file), base_name(filename), py->qualname);
	}
	return false;
}

static void add_key(struct py_site *py, uint32_t tgid, uint64_t arg0, uint64_t arg1)
{
	for (size_t i = 0; i < py->nkeys; i++)
		if (py->keys[i].tgid == tgid && py->keys[i].arg0 == arg0 &&
		    py->keys[i].arg1 == arg1)
			return;
	py->keys = xgrow(py->keys, &py->keys_cap, py->nkeys + 1, sizeof(*py->keys));
	py->keys[py->nkeys++] = (struct py_key){tgid, arg0, arg1};
}

/* Where the function with a return at line of path starts, as its
 * co_firstlineno says: the last "def NAME(" up to line, or the first of
 * the decorators right above it. 0 if the source cannot tell. */
static int def_line(const char *path, const char *name, int line)
{
	size_t len = strlen(name);
	int n = 0, found = 0, decorators = 0;
	char buf[4096];
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (n < line && fgets(buf, sizeof(buf), f)) {
		char *t = buf + strspn(buf, " \t");

		n++;
		if (t[0] == '@') {
			decorators = decorators ? decorators : n;
			continue;
		}
		if (!strncmp(t, "async", 5) && (t[5] == ' ' || t[5] == '\t'))
			t += 5 + strspn(t + 5, " \t");
		if (!strncmp(t, "def", 3) && (t[3] == ' ' || t[3] == '\t')) {
			t += 3 + strspn(t + 3, " \t");
			if (!strncmp(t, name, len) && (t[len] == '(' || t[len] == ' '))
				found = decorators ? decorators : n;
		}
		decorators = 0;
	}
	fclose(f);
	return found;
}

/* The first matching hit names the function: its file and co_firstlineno
 * (a latency's entry says it; a count's return does not). */
static void name_function(struct calls *c, struct site *s, const char *filename, int line)
{
	if (s->kind == SITE_COUNT)
		line = def_line(filename, s->py->name, line);
	s->function = profile_intern_function(c->p, s->py->qualname, NULL, filename, line,
					      profile_intern_module(c->p, "[python]", NULL));
	if (s->kind == SITE_LATENCY)
		profile_latency(c->p, s->function)->since = s->since;
}

void calls_python_record(struct calls *c, const struct uprobe_record *rec, uint64_t *entries)
{
	struct site *s = &c->sites[rec->slot];
	struct uprobe_record r = *rec;
	pid_t tgid = (pid_t)(rec->pid_tgid >> 32);
	char filename[NAME_MAX_READ];
	uint32_t slot;
	uint64_t ns;

	if (!s->py)
		return;
	r.kind &= ~(UPROBE_REC_NEW | UPROBE_REC_HIT);
	if (rec->kind & UPROBE_REC_NEW) {
		bool match = classify(c, s, tgid, rec, filename, sizeof(filename));

		uprobe_filter_set(s->py->filter, (uint32_t)tgid, rec->arg0, rec->arg1, match);
		if (!match) { /* another function's hits: room for the next one's */
			uprobe_filter_delete(s->py->pending, (uint32_t)tgid, rec->arg0, rec->arg1);
			return;
		}
		if (s->function == PROF_NONE &&
		    (s->kind == SITE_COUNT || r.kind == UPROBE_REC_PY_ENTRY))
			name_function(c, s, filename, (int32_t)rec->sp);
		if (s->kind == SITE_COUNT) {
			if (rec->kind & UPROBE_REC_HIT)
				s->py->ring_hits++;
			else /* its hits wait in the pending map */
				add_key(s->py, (uint32_t)tgid, rec->arg0, rec->arg1);
			return;
		}
	}
	if (r.kind == UPROBE_REC_PY_ENTRY)
		entries[rec->slot]++;
	r.sp = 0; /* the line: pairs go by thread and order alone */
	if (latency_pairs_feed(c->py_pairs, &r, &slot, &ns) && slot < c->nsites &&
	    c->sites[slot].function != PROF_NONE)
		latency_add(profile_latency(c->p, c->sites[slot].function), ns);
}

/* Where path's offset 0 is mapped in pid (/proc: the launched target's
 * interpreter is there before the collector's records say so). */
static bool map_start(pid_t pid, const char *path, uint64_t *start)
{
	char maps[64], line[4096 + 128];
	bool found = false;
	FILE *f;

	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
	f = fopen(maps, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long lo, pg;
		int name_at = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%llx-%*x %*s %llx %*s %*u %n", &lo, &pg, &name_at) >= 2 &&
		    name_at && pg == 0 && !strcmp(line + name_at, path)) {
			*start = lo;
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* Add d to the 16-bit semaphore at addr of pid. */
static bool sem_add(pid_t pid, uint64_t addr, int d)
{
	uint16_t v;
	struct iovec l = {&v, sizeof(v)}, r = {(void *)(uintptr_t)addr, sizeof(v)};

	if (process_vm_readv(pid, &l, 1, &r, 1, 0) != sizeof(v))
		return false;
	if (d < 0 && v == 0)
		return true; /* someone lowered it already: never wrap */
	v = (uint16_t)(v + d);
	return process_vm_writev(pid, &l, 1, &r, 1, 0) == sizeof(v);
}

bool calls_python_arm(struct calls *c, struct site *s, pid_t pid)
{
	struct py_site *py = s->py;
	struct py_armed a = {.pid = pid};
	uint64_t start;

	for (size_t i = 0; i < py->narmed; i++)
		if (py->armed[i].pid == pid)
			return false;
	if (!map_start(pid, s->path, &start))
		return false;
	a.start = start;
	a.entry = py->sem_entry + (start - py->image_base);
	a.ret = py->sem_return ? py->sem_return + (start - py->image_base) : 0;
	a.line = py->sem_line ? py->sem_line + (start - py->image_base) : 0;
	if (!sem_add(pid, a.entry, 1)) {
		calls_say(c, "%s: cannot set the USDT semaphore of process %d: %s",
			  calls_kind_option(s->kind), (int)pid, strerror(errno));
		return false;
	}
	if (a.ret && !sem_add(pid, a.ret, 1))
		a.ret = 0;
	if (a.line && !sem_add(pid, a.line, 1))
		a.line = 0;
	py->armed = xgrow(py->armed, &py->armed_cap, py->narmed + 1, sizeof(*py->armed));
	py->armed[py->narmed++] = a;
	return true;
}

void calls_python_disarm(struct site *s)
{
	struct py_site *py = s->py;

	for (size_t i = 0; i < py->narmed; i++) {
		uint64_t start;

		/* An exec, or the pid reused: that memory is no longer ours to write. */
		if (!map_start(py->armed[i].pid, s->path, &start) || start != py->armed[i].start)
			continue;
		sem_add(py->armed[i].pid, py->armed[i].entry, -1);
		if (py->armed[i].ret)
			sem_add(py->armed[i].pid, py->armed[i].ret, -1);
		if (py->armed[i].line)
			sem_add(py->armed[i].pid, py->armed[i].line, -1);
	}
	py->narmed = 0;
}

void calls_python_inherit(struct site *s, pid_t child, pid_t parent)
{
	struct py_site *py = s->py;

	for (size_t i = 0; i < py->narmed; i++) {
		if (py->armed[i].pid == child)
			return;
	}
	for (size_t i = 0; i < py->narmed; i++) {
		if (py->armed[i].pid != parent)
			continue;
		py->armed = xgrow(py->armed, &py->armed_cap, py->narmed + 1, sizeof(*py->armed));
		py->armed[py->narmed] = py->armed[i];
		py->armed[py->narmed++].pid = child;
		return;
	}
}

void calls_python_forget(struct site *s, pid_t pid)
{
	struct py_site *py = s->py;

	for (size_t i = 0; i < py->narmed; i++)
		if (py->armed[i].pid == pid)
			py->armed[i--] = py->armed[--py->narmed];
}

void calls_python_tick(struct calls *c, struct site *s, uint64_t *traps)
{
	struct py_site *py = s->py;
	uint64_t t = probeset_count(c->ps, SLOTS_MAX + (uint32_t)(s - c->sites));

	*traps = t - py->tick_traps;
	py->tick_traps = t;
	if (s->kind != SITE_COUNT)
		return;
	s->hits = probeset_count(c->ps, (uint32_t)(s - c->sites)) + py->ring_hits;
	for (size_t i = 0; i < py->nkeys; i++)
		s->hits += uprobe_filter_get(py->pending, py->keys[i].tgid, py->keys[i].arg0,
					     py->keys[i].arg1);
}

void calls_python_free(struct py_site *py)
{
	if (!py)
		return;
	if (py->filter >= 0)
		close(py->filter);
	if (py->pending >= 0)
		close(py->pending);
	free(py->keys);
	free(py->qualname);
	free(py->name);
	free(py->file);
	free(py->matched_file);
	free(py->armed);
	free(py);
}
