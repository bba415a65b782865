#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocring.h"
#include "loop.h"
#include "python-layout.h"
#include "python-read.h"
#include "python.h"
#include "xalloc.h"

/* Deepest Python stack read; a longer chain (or a loop in it) is cut. */
#define PY_MAX_DEPTH 512
#define CODE_CACHE   1024 /* code objects remembered per process (a power of two) */

enum py_state { PP_UNKNOWN, PP_NONE, PP_BAD, PP_OK };

/* A code object already decoded: its function and location table. The
 * pointers read from the object are kept to notice a freed and reused
 * address. */
struct py_code {
	uint64_t addr, filename, qualname, linetable;
	int firstlineno;
	uint32_t fn;
	uint8_t *tab;
	size_t tablen;
};

struct py_tstate {
	pid_t tid;
	uint64_t addr;
};

/* What finding a thread's state takes: the interpreter's layout and
 * runtime, and the thread states found so far. */
struct py_threads {
	pid_t pid;
	struct py_layout l;
	uint64_t runtime;
	struct py_tstate *tstates;
	size_t ntstates, tstates_cap;
};

struct py_proc {
	pid_t pid;
	uint64_t tstate_fn; /* PyGILState_GetThisThreadState in it, 0: unknown */
	uint64_t code_type; /* PyCode_Type in it, 0: unknown */
	enum py_state state;
	unsigned generation; /* of the proc_space when last looked at */
	struct py_threads th;
	struct py_code *codes; /* CODE_CACHE slots, by address hash */
	/* Code objects as the allocation tracker copied them, by address
	 * (open addressing, addr 0: empty): what the allocation records
	 * after each copy ran, whatever is at that address by now. */
	struct py_code *copies;
	size_t copies_cap, ncopies;
	struct py_found found; /* a CPython image without _PyRuntime, and why[] says so */
	char why[200];
};

struct py_frame {
	uint32_t loc;
	uint32_t group; /* which eval-loop call runs it: 0 the innermost */
};

/* A Python frame as read at sample time: its code object, instruction
 * pointer and group (the eval-loop call running it: 0 the innermost). */
struct py_raw {
	uint64_t code, instr;
	uint32_t group, pad;
};

/* What python_capture hands the sampler and python_merge reads back. */
struct py_capture {
	int32_t n;	  /* frames, or -1: the chain could not be read or loops */
	uint32_t entries; /* eval-loop calls seen (entry frames in 3.11, shims from 3.12) */
	uint32_t gil;	  /* 2: the thread held the GIL, 1: it did not, 0: unknown */
	uint32_t pad;
	struct py_raw f[];
};

struct python {
	struct profile *p;
	enum python_frames mode;
	uint32_t module;
	struct py_proc *procs;
	size_t nprocs, procs_cap;
	uint8_t *loc_kind; /* per location id: 0 not looked at, 1 other, 2 an eval loop */
	size_t loc_kind_cap;
	struct py_frame frames[PY_MAX_DEPTH];
	uint32_t out[PROF_MAX_DEPTH];
	uint64_t warned[4]; /* versions (major * 32 + minor) already reported */
	struct python_stats stats;
	struct py_mem mem;	 /* the current sample's view of the target */
	struct py_capture *late; /* frames read in python_merge (nothing captured) */
	bool keep_freed;	 /* resolve_frames: see there */
	bool freed_frames;	 /* ... and it stood a frame for freed code */
	/* What python_capture may use from another thread (the perf reader):
	 * the interpreters found, copied here by get_proc, under pub_mu. */
	pthread_mutex_t pub_mu;
	struct py_threads *pub;
	size_t npub, pub_cap;
	struct py_mem pub_mem;
};

struct python *python_new(struct profile *p, enum python_frames mode)
{
	struct python *py = xcalloc(1, sizeof(*py));

	py->p = p;
	py->mode = mode;
	py->module = profile_intern_module(p, PYTHON_MODULE, NULL);
	py->late = xmalloc(sizeof(*py->late) + PY_MAX_DEPTH * sizeof(py->late->f[0]));
	pthread_mutex_init(&py->pub_mu, NULL);
	return py;
}

static void proc_clear(struct py_proc *pp)
{
	if (pp->codes)
		for (size_t i = 0; i < CODE_CACHE; i++)
			free(pp->codes[i].tab);
	free(pp->codes);
	for (size_t i = 0; i < pp->copies_cap; i++)
		free(pp->copies[i].tab);
	free(pp->copies);
	free(pp->th.tstates);
}

void python_free(struct python *py)
{
	if (!py)
		return;
	for (size_t i = 0; i < py->nprocs; i++)
		proc_clear(&py->procs[i]);
	free(py->procs);
	free(py->loc_kind);
	free(py->late);
	for (size_t i = 0; i < py->npub; i++)
		free(py->pub[i].tstates);
	free(py->pub);
	pthread_mutex_destroy(&py->pub_mu);
	free(py);
}

void python_forget(struct python *py, pid_t pid)
{
	if (!py)
		return;
	pthread_mutex_lock(&py->pub_mu);
	for (size_t i = 0; i < py->npub; i++)
		if (py->pub[i].pid == pid) {
			free(py->pub[i].tstates);
			py->pub[i] = py->pub[--py->npub];
			break;
		}
	pthread_mutex_unlock(&py->pub_mu);
	for (size_t i = 0; i < py->nprocs; i++)
		if (py->procs[i].pid == pid) {
			proc_clear(&py->procs[i]);
			py->procs[i] = py->procs[--py->nprocs];
			return;
		}
}

const struct python_stats *python_stats(const struct python *py)
{
	return &py->stats;
}

/* Say why a process's Python frames are not shown, once per version. */
static void warn_once(struct python *py, const struct py_found *f, const char *why)
{
	unsigned key = (f->major * 32 + f->minor) & 255;

	if (py->warned[key / 64] & (1ull << (key % 64)))
		return;
	py->warned[key / 64] |= 1ull << (key % 64);
	warnx_("%s", why);
}

/* The process's interpreter, looked for again whenever its mappings
 * changed while none was found. */
static struct py_proc *get_proc(struct python *py, const struct proc_space *ps)
{
	struct py_proc *pp = NULL;
	struct py_found f;
	char why[160];

	for (size_t i = 0; i < py->nprocs; i++)
		if (py->procs[i].pid == ps->pid)
			pp = &py->procs[i];
	if (!pp) {
		py->procs = xgrow(py->procs, &py->procs_cap, py->nprocs + 1, sizeof(*pp));
		pp = &py->procs[py->nprocs++];
		*pp = (struct py_proc){.pid = ps->pid, .state = PP_UNKNOWN};
	}
	if (pp->state == PP_OK || pp->state == PP_BAD ||
	    (pp->state == PP_NONE && pp->generation == ps->generation))
		return pp;
	pp->generation = ps->generation;
	pp->state = PP_NONE;
	pp->why[0] = '\0';
	if (!py_find_runtime(ps, &f))
		return pp;
	if (!f.runtime && f.major == 3 && f.minor >= 11 && f.minor <= 13) {
		/* libpython may not be mapped yet: said only once Python runs */
		snprintf(pp->why, sizeof(pp->why),
			 "CPython %u.%u in %s has no _PyRuntime symbol (stripped?), showing native "
			 "frames",
			 f.major, f.minor, f.path);
		pp->found = f;
		return pp;
	}
	why[0] = '\0';
	if (!py_layout_for(&py->mem, &f, &pp->th.l, why, sizeof(why))) {
		if (!why[0])
			return pp; /* its memory could not be read: an ending process */
		warn_once(py, &f, why);
		pp->state = PP_BAD;
		return pp;
	}
	pp->th.runtime = f.runtime;
	pp->th.pid = ps->pid;
	pp->tstate_fn = f.tstate_fn;
	pp->code_type = f.code_type;
	pp->codes = xcalloc(CODE_CACHE, sizeof(*pp->codes));
	pp->state = PP_OK;
	pthread_mutex_lock(&py->pub_mu);
	py->pub = xgrow(py->pub, &py->pub_cap, py->npub + 1, sizeof(*py->pub));
	py->pub[py->npub++] =
		(struct py_threads){.pid = ps->pid, .l = pp->th.l, .runtime = f.runtime};
	pthread_mutex_unlock(&py->pub_mu);
	return pp;
}

/* Whether location loc is the interpreter's eval loop (its outermost
 * frame is _PyEval_EvalFrameDefault, or a .cold part of it). */
static bool is_eval(struct python *py, uint32_t loc)
{
	const struct prof_location *l;
	const char *name;

	if (loc >= py->p->nlocations)
		return false;
	if (loc >= py->loc_kind_cap) {
		size_t old = py->loc_kind_cap;

		py->loc_kind = xgrow(py->loc_kind, &py->loc_kind_cap, loc + 1, 1);
		memset(py->loc_kind + old, 0, py->loc_kind_cap - old);
	}
	if (py->loc_kind[loc] == 0) {
		l = &py->p->locations[loc];
		name = l->nlines ? profile_function_name(
					   py->p,
					   py->p->lines[l->first_line + l->nlines - 1].function)
				 : "";
		py->loc_kind[loc] = strncmp(name, "_PyEval_EvalFrameDefault", 24) == 0 &&
						    (name[24] == '\0' || name[24] == '.')
					    ? 2
					    : 1;
	}
	return py->loc_kind[loc] == 2;
}

/* The thread state of tid: remembered, checked, else found by walking
 * every interpreter's threads (bounded). 0 if none. */
static uint64_t find_tstate(struct py_mem *m, struct py_threads *th, pid_t tid)
{
	const struct py_layout *l = &th->l;
	uint64_t interp, t, ntid;

	for (size_t i = 0; i < th->ntstates; i++)
		if (th->tstates[i].tid == tid) {
			if (py_read_u64(m, th->tstates[i].addr + l->tstate_native_tid, &ntid) &&
			    ntid == (uint64_t)tid)
				return th->tstates[i].addr;
			th->tstates[i] = th->tstates[--th->ntstates];
			break;
		}
	if (!py_read_u64(m, th->runtime + l->runtime_interp_head, &interp))
		return 0;
	for (int ni = 0; interp && ni < 64; ni++) {
		if (!py_read_u64(m, interp + l->interp_threads_head, &t))
			return 0;
		for (int nt = 0; t && nt < 4096; nt++) {
			if (!py_read_u64(m, t + l->tstate_native_tid, &ntid))
				return 0;
			if (ntid == (uint64_t)tid) {
				th->tstates = xgrow(th->tstates, &th->tstates_cap, th->ntstates + 1,
						    sizeof(*th->tstates));
				th->tstates[th->ntstates++] = (struct py_tstate){tid, t};
				return t;
			}
			if (!py_read_u64(m, t + l->tstate_next, &t))
				return 0;
		}
		if (!py_read_u64(m, interp + l->interp_next, &interp))
			return 0;
	}
	return 0;
}

static uint64_t field_u64(const uint8_t *buf, uint64_t off)
{
	uint64_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

/* The code object at addr whose head (l->code_adaptive bytes) is head,
 * decoded from py->mem into *c (its names read, its location table
 * copied, its function interned); false if it cannot be read as one. */
static bool decode_code(struct python *py, struct py_proc *pp, uint64_t addr, const uint8_t *head,
			struct py_code *c)
{
	const struct py_layout *l = &pp->th.l;
	char name[PY_STR_MAX], file[PY_STR_MAX];
	int32_t firstlineno;

	memcpy(&firstlineno, head + l->code_firstlineno, sizeof(firstlineno));
	*c = (struct py_code){.addr = addr,
			      .filename = field_u64(head, l->code_filename),
			      .qualname = field_u64(head, l->code_qualname),
			      .linetable = field_u64(head, l->code_linetable),
			      .firstlineno = firstlineno};
	if (!py_read_str(&py->mem, c->qualname, &l->str, name, sizeof(name)) ||
	    !py_read_str(&py->mem, c->filename, &l->str, file, sizeof(file)))
		return false;
	if (!py_read_bytes(&py->mem, c->linetable, PY_LINETABLE_MAX, &c->tab, &c->tablen)) {
		c->tab = NULL;
		c->tablen = 0;
	}
	c->fn = profile_intern_function(py->p, name, NULL, file, firstlineno > 0 ? firstlineno : 0,
					py->module);
	return true;
}

/* The tracker's copy of the code at addr, or NULL. */
static struct py_code *copy_find(struct py_proc *pp, uint64_t addr)
{
	size_t mask = pp->copies_cap - 1;

	if (!pp->copies_cap || !addr)
		return NULL;
	for (size_t i = ((addr >> 4) * 0x9e3779b97f4a7c15ull) & mask;; i = (i + 1) & mask) {
		if (pp->copies[i].addr == addr)
			return &pp->copies[i];
		if (!pp->copies[i].addr)
			return NULL;
	}
}

/* c (decoded from a copy) as the code at c->addr from now on. */
static void copy_put(struct py_proc *pp, const struct py_code *c)
{
	struct py_code *slot = copy_find(pp, c->addr);

	if (!slot && (pp->ncopies + 1) * 2 > pp->copies_cap) {
		struct py_code *old = pp->copies;
		size_t n = pp->copies_cap;

		pp->copies_cap = n ? 2 * n : 256;
		pp->copies = xcalloc(pp->copies_cap, sizeof(*pp->copies));
		pp->ncopies = 0;
		for (size_t i = 0; i < n; i++)
			if (old[i].addr)
				copy_put(pp, &old[i]);
		free(old);
	}
	if (!slot) {
		size_t mask = pp->copies_cap - 1, i = ((c->addr >> 4) * 0x9e3779b97f4a7c15ull) & mask;

		while (pp->copies[i].addr)
			i = (i + 1) & mask;
		slot = &pp->copies[i];
		pp->ncopies++;
	} else {
		free(slot->tab);
	}
	*slot = *c;
}

/* The code object at addr, decoded (or from the cache); NULL if it cannot
 * be read as one. An allocation's frames (py->keep_freed) take the
 * tracker's copy first: the code that ran then, where the memory may hold
 * another by now. */
static struct py_code *get_code(struct python *py, struct py_proc *pp, uint64_t addr)
{
	const struct py_layout *l = &pp->th.l;
	struct py_code *c = &pp->codes[((addr >> 4) * 0x9e3779b97f4a7c15ull) >> 54], *copy, fresh;
	uint8_t head[256];

	if (py->keep_freed && (copy = copy_find(pp, addr)))
		return copy;
	if (l->code_adaptive > sizeof(head))
		return NULL;
	if (!py_read(&py->mem, addr, head, l->code_adaptive))
		/* gone (the process ended before its samples or allocations were
		 * all read, or the memory was unmapped): the code last seen at
		 * that address, which is what ran there when they were taken */
		return c->addr == addr ? c : NULL;
	if (c->addr == addr && c->filename == field_u64(head, l->code_filename) &&
	    c->qualname == field_u64(head, l->code_qualname) &&
	    c->linetable == field_u64(head, l->code_linetable) &&
	    !memcmp(&c->firstlineno, head + l->code_firstlineno, sizeof(c->firstlineno)))
		return c;
	if (!decode_code(py, pp, addr, head, &fresh))
		return NULL;
	free(c->tab);
	*c = fresh;
	return c;
}

/* The location of code c at instruction pointer instr. Python locations
 * need an address unique per (function, line) in module [python]: the
 * function's id in the high 32 bits, the line in the low 32. */
static uint32_t code_location(struct python *py, const struct py_proc *pp, const struct py_code *c,
			      uint64_t instr)
{
	uint64_t start = c->addr + pp->th.l.code_adaptive, addr;
	const struct prof_function *f = &py->p->functions[c->fn];
	struct prof_line line = {.function = c->fn, .file = f->file};
	uint32_t loc;

	if (instr < start)
		line.line = c->firstlineno > 0 ? c->firstlineno : 0;
	else
		line.line =
			py_linetable_line(c->tab, c->tablen, c->firstlineno, (instr - start) / 2);
	addr = (uint64_t)c->fn << 32 | (uint32_t)line.line;
	loc = profile_find_location(py->p, py->module, addr);
	if (loc == PROF_NONE)
		loc = profile_intern_location(py->p, py->module, addr, &line, 1);
	return loc;
}

/* Walk tid's frame chain from tstate into cap (room for max frames). */
static void walk_frames(struct py_mem *m, const struct py_layout *l, uint64_t tstate,
			struct py_capture *cap, size_t max)
{
	uint64_t frame, seen[PY_MAX_DEPTH];
	uint8_t buf[256];
	uint32_t group = 0;
	bool at_entry = true; /* the last frame read began an eval-loop call */

	cap->n = -1;
	cap->entries = 0;
	if (!py_read_u64(m, tstate + l->tstate_frame, &frame))
		return;
	if (l->cframe_current >= 0 && frame &&
	    !py_read_u64(m, frame + (uint64_t)l->cframe_current, &frame))
		return;
	cap->n = 0;
	for (size_t depth = 0; frame; depth++) {
		if (depth == PY_MAX_DEPTH || (size_t)cap->n == max || l->frame_size > sizeof(buf) ||
		    !py_read(m, frame, buf, l->frame_size))
			goto bad;
		for (size_t i = 0; i < depth; i++)
			if (seen[i] == frame)
				goto bad; /* a loop: the chain changed under us */
		seen[depth] = frame;
		at_entry = false;
		if (l->frame_is_entry < 0 && buf[l->frame_owner] == PY_FRAME_OWNED_BY_CSTACK) {
			cap->entries++;
			group++;
			at_entry = true;
		} else {
			cap->f[cap->n++] = (struct py_raw){.code = field_u64(buf, l->frame_code),
							   .instr = field_u64(buf, l->frame_instr),
							   .group = group};
			if (l->frame_is_entry >= 0 && buf[l->frame_is_entry]) {
				cap->entries++;
				group++;
				/* a generator's frame is never a chain's root */
				at_entry = buf[l->frame_owner] != PY_FRAME_OWNED_BY_GENERATOR;
			}
		}
		frame = field_u64(buf, l->frame_previous);
	}
	/* A whole chain ends with the first eval-loop call's entry (3.11) or
	 * shim (3.12+) frame; else a frame was unlinked as it was read (a
	 * generator yielding, say). */
	if (at_entry)
		return;
bad:
	cap->n = -1;
}

/* Whether thread state tstate holds the GIL of the process's (first)
 * interpreter: 2 yes, 1 no, 0 unknown. */
static uint32_t read_gil(struct py_mem *m, const struct py_threads *th, uint64_t tstate)
{
	const struct py_layout *l = &th->l;
	uint64_t interp = 0, gil, holder;
	int32_t locked;

	if (l->gil_how != PY_GIL_RUNTIME &&
	    (!py_read_u64(m, th->runtime + l->runtime_interp_head, &interp) || !interp))
		return 0;
	switch (l->gil_how) {
	case PY_GIL_RUNTIME:
		gil = th->runtime + l->gil_at;
		break;
	case PY_GIL_INTERP_PTR:
		if (!py_read_u64(m, interp + l->gil_at, &gil) || !gil)
			return 0;
		break;
	case PY_GIL_INTERP:
		gil = interp;
		break;
	default:
		return 0;
	}
	if (!py_read(m, gil + l->gil_locked, &locked, sizeof(locked)) ||
	    !py_read_u64(m, gil + l->gil_holder, &holder))
		return 0;
	return locked && holder == tstate ? 2 : 1;
}

bool python_capture_gil(const void *captured, size_t len)
{
	const struct py_capture *cap = captured;

	return cap && len >= sizeof(*cap) && cap->gil == 2;
}

size_t python_capture(struct python *py, pid_t pid, pid_t tid, uint64_t time, void *buf, size_t len)
{
	struct py_capture *cap = buf;
	struct py_threads *th = NULL;
	uint64_t tstate, t0;
	size_t used = 0;

	if (!py || len < sizeof(*cap))
		return 0;
	pthread_mutex_lock(&py->pub_mu);
	for (size_t i = 0; i < py->npub && !th; i++)
		if (py->pub[i].pid == pid)
			th = &py->pub[i];
	if (th) {
		t0 = loop_now_ns();
		if (t0 > time) {
			py->stats.lag_ns += t0 - time;
			if (t0 - time > py->stats.lag_max_ns)
				py->stats.lag_max_ns = t0 - time;
		}
		py_mem_reset(&py->pub_mem, pid);
		if ((tstate = find_tstate(&py->pub_mem, th, tid))) {
			walk_frames(&py->pub_mem, &th->l, tstate, cap,
				    (len - sizeof(*cap)) / sizeof(cap->f[0]));
			cap->gil = read_gil(&py->pub_mem, th, tstate);
			cap->pad = 0;
			used = sizeof(*cap) + (cap->n > 0 ? (size_t)cap->n : 0) * sizeof(cap->f[0]);
		}
		py->stats.capture_ns += loop_now_ns() - t0;
		py->stats.captured++;
	}
	pthread_mutex_unlock(&py->pub_mu);
	return used;
}

/* Resolve the captured frames into py->frames; false if one cannot be read. */
/* The frame of a code object that could not be read any more: freed
 * before proftop read the allocation that ran it (a module's top-level
 * code runs once, at its import, and is dropped). */
static uint32_t freed_location(struct python *py)
{
	const char *name = "(Python code freed before proftop read it)";
	uint64_t addr = (uint64_t)UINT32_MAX << 32;
	struct prof_line line = {.file = NULL, .line = 0};
	uint32_t loc = profile_find_location(py->p, py->module, addr);

	if (loc != PROF_NONE)
		return loc;
	line.function = profile_intern_function(py->p, name, NULL, NULL, 0, py->module);
	return profile_intern_location(py->p, py->module, addr, &line, 1);
}

/* Resolve the captured frames into py->frames; false if one cannot be
 * read, unless py->keep_freed: then it stands as freed_location. */
static bool resolve_frames(struct python *py, struct py_proc *pp, const struct py_capture *cap)
{
	int32_t freed = 0;

	for (int32_t i = 0; i < cap->n; i++) {
		struct py_code *c = get_code(py, pp, cap->f[i].code);

		if (!c && !py->keep_freed)
			return false;
		if (!c)
			freed++;
		py->frames[i].loc = c ? code_location(py, pp, c, cap->f[i].instr) : freed_location(py);
		py->frames[i].group = cap->f[i].group;
	}
	py->freed_frames |= freed > 0;
	return true;
}

/* Each eval-loop frame of locs replaced by its group of Python frames
 * (mixed), or the Python frames alone (python). skip: Python groups pushed
 * after the sample (the chain is read a little later than the native
 * stack): the groups are matched to the eval loops from the root, the
 * innermost skip groups dropped, or with skip < 0 the innermost -skip eval
 * loops left as they are (their Python frames have returned). */
static size_t merge(struct python *py, const uint32_t *locs, size_t n, int npy, int skip,
		    bool truncated)
{
	size_t out = 0;
	int k = 0, eval = 0;

	while (skip > 0 && k < npy && py->frames[k].group < (uint32_t)skip)
		k++;
	if (py->mode == PYTHON_FRAMES_PYTHON) {
		for (; k < npy && out < PROF_MAX_DEPTH; k++)
			py->out[out++] = py->frames[k].loc;
		return out;
	}
	for (size_t i = 0; i < n && out < PROF_MAX_DEPTH; i++) {
		int group = eval++ + skip;

		if (!is_eval(py, locs[i])) {
			eval--;
			py->out[out++] = locs[i];
			continue;
		}
		if (group < 0) {
			py->out[out++] = locs[i];
			continue;
		}
		for (; k < npy && py->frames[k].group == (uint32_t)group && out < PROF_MAX_DEPTH;
		     k++)
			py->out[out++] = py->frames[k].loc;
	}
	for (; truncated && k < npy && out < PROF_MAX_DEPTH; k++)
		py->out[out++] = py->frames[k].loc;
	return out;
}

const uint32_t *python_merge(struct python *py, const struct proc_space *ps, pid_t tid,
			     const uint32_t *locs, size_t *n, bool truncated, const void *captured,
			     size_t captured_len, bool late_ok)
{
	const struct py_capture *cap = captured;
	struct py_proc *pp;
	size_t evals = 0;
	uint64_t t0 = loop_now_ns();

	if (!py || py->mode == PYTHON_FRAMES_NATIVE || !ps)
		return locs;
	py_mem_reset(&py->mem, ps->pid);
	pp = get_proc(py, ps);
	for (size_t i = 0; i < *n; i++)
		evals += is_eval(py, locs[i]);
	if (pp->state != PP_OK) {
		if (pp->why[0] && pp->state == PP_NONE && evals) {
			warn_once(py, &pp->found, pp->why);
			pp->state = PP_BAD;
		}
		return locs;
	}
	if (!cap || captured_len < sizeof(*cap) ||
	    captured_len < sizeof(*cap) + (cap->n > 0 ? (size_t)cap->n : 0) * sizeof(cap->f[0]))
		cap = NULL;
	if (cap && (cap->n < 0 || !resolve_frames(py, pp, cap)))
		cap = NULL; /* the chain changed under the reader: a second chance below */
	if (!cap && !late_ok) {
		/* an off-CPU sample: reading now could show where the thread
		 * went after the wait ended; native frames only */
		if (evals) {
			py->stats.samples++;
			py->stats.stale++;
		}
		py->stats.read_ns += loop_now_ns() - t0;
		return locs;
	}
	if (!cap) {
		/* Nothing (usable) read at sample time: read now, later than
		 * the sample; the count check below catches some changes. */
		uint64_t tstate = find_tstate(&py->mem, &pp->th, tid);

		if (tstate) {
			walk_frames(&py->mem, &pp->th.l, tstate, py->late, PY_MAX_DEPTH);
			cap = py->late;
			py->stats.late++;
		}
		if (!cap || (cap->n <= 0 && evals == 0)) {
			if (evals) {
				py->stats.samples++;
				py->stats.unreadable++;
			}
			py->stats.read_ns += loop_now_ns() - t0;
			return locs;
		}
		if (cap->n < 0 || !resolve_frames(py, pp, cap)) {
			py->stats.samples++;
			py->stats.unreadable++;
			py->stats.read_ns += loop_now_ns() - t0;
			return locs;
		}
	}
	if (cap->n <= 0 && evals == 0)
		return locs; /* not running Python */
	py->stats.samples++;
	py->stats.read_ns += loop_now_ns() - t0;
	if (truncated && evals < cap->entries) {
		*n = merge(py, locs, *n, cap->n, 0, true);
		return py->out;
	}
	if (cap->entries != evals) {
		/* The stack changed between the sample and the read: what the
		 * two agree on, from the root (see merge). No native eval loop
		 * at all: the native unwinding stopped short of them; the Python
		 * frames go at its root end, as for a truncated stack. */
		py->stats.inconsistent++;
		if (evals == 0) {
			*n = merge(py, locs, *n, cap->n, 0, true);
			return py->out;
		}
	}
	*n = merge(py, locs, *n, cap->n, (int)cap->entries - (int)evals, false);
	return py->out;
}

/* The tracker writes python.c's capture, field for field. */
_Static_assert(sizeof(struct py_raw) == sizeof(struct allocring_pyframe) &&
		       offsetof(struct py_raw, group) == offsetof(struct allocring_pyframe, group),
	       "allocring_pyframe is py_raw");
_Static_assert(sizeof(struct py_capture) == sizeof(struct allocring_pyframes) &&
		       offsetof(struct py_capture, entries) ==
			       offsetof(struct allocring_pyframes, entries),
	       "allocring_pyframes is py_capture");

const uint32_t *python_merge_alloc(struct python *py, const struct proc_space *ps, pid_t tid,
				   const uint32_t *locs, size_t *n, bool truncated,
				   const void *captured, size_t captured_len)
{
	struct python_stats saved;
	const uint32_t *out;

	if (!py)
		return locs;
	saved = py->stats;
	py->keep_freed = true;
	py->freed_frames = false;
	out = python_merge(py, ps, tid, locs, n, truncated, captured, captured_len, false);
	py->keep_freed = false;
	py->stats = saved;
	py->stats.alloc_native += py->freed_frames;
	return out;
}

bool python_alloc_layout(struct python *py, const struct proc_space *ps,
			 struct allocring_py *out)
{
	const struct py_layout *l;
	struct py_proc *pp;

	if (!py || !ps || py->mode == PYTHON_FRAMES_NATIVE)
		return false;
	py_mem_reset(&py->mem, ps->pid);
	pp = get_proc(py, ps);
	if (pp->state != PP_OK || !pp->tstate_fn)
		return false;
	l = &pp->th.l;
	*out = (struct allocring_py){
		.max_frames = PY_MAX_DEPTH,
		.tstate_fn = pp->tstate_fn,
		.tstate_frame = l->tstate_frame,
		.cframe_current = l->cframe_current,
		.frame_code = l->frame_code,
		.frame_previous = l->frame_previous,
		.frame_instr = l->frame_instr,
		.frame_owner = l->frame_owner,
		.frame_is_entry = l->frame_is_entry,
		.owned_by_cstack = PY_FRAME_OWNED_BY_CSTACK,
		.owned_by_generator = PY_FRAME_OWNED_BY_GENERATOR,
		/* code objects copied only once known to be ones */
		.code_type = pp->code_type,
		.code_head = pp->code_type ? l->code_adaptive : 0,
		.code_firstlineno = l->code_firstlineno,
		.code_filename = l->code_filename,
		.code_qualname = l->code_qualname,
		.code_linetable = l->code_linetable,
		.str_length = l->str.length,
		.str_state = l->str.state,
		.str_ascii_size = l->str.ascii_size,
		.str_compact_size = l->str.compact_size,
	};
	return true;
}

void python_code_copy(struct python *py, const struct proc_space *ps, uint64_t code,
		      const struct py_span *spans, size_t n)
{
	struct py_proc *pp;
	struct py_code c = {0};
	uint8_t head[256];
	bool ok;

	if (!py || !ps || py->mode == PYTHON_FRAMES_NATIVE)
		return;
	py_mem_reset(&py->mem, ps->pid);
	pp = get_proc(py, ps);
	if (pp->state != PP_OK || pp->th.l.code_adaptive > sizeof(head))
		return;
	py->mem.over = spans;
	py->mem.nover = n;
	ok = py_read(&py->mem, code, head, pp->th.l.code_adaptive) &&
	     decode_code(py, pp, code, head, &c);
	py->mem.over = NULL;
	py->mem.nover = 0;
	if (ok)
		copy_put(pp, &c);
}

void python_note_stale(struct python *py)
{
	if (py) {
		py->stats.samples++;
		py->stats.stale++;
	}
}

void python_report_stats(const struct python *py, const char *backend)
{
	const struct python_stats *st;

	if (!py || !getenv("PROFTOP_PYTHON_STATS"))
		return;
	st = &py->stats;
	fprintf(stderr,
		"proftop: python: backend %s samples %llu inconsistent %llu unreadable %llu "
		"captured %llu late %llu capture_ns_per_sample %llu merge_ns_per_sample %llu "
		"reads_per_sample %.1f lag_us_mean %.1f lag_us_max %.1f offcpu_stale %llu\n",
		backend ? backend : "?", (unsigned long long)st->samples,
		(unsigned long long)st->inconsistent, (unsigned long long)st->unreadable,
		(unsigned long long)st->captured, (unsigned long long)st->late,
		(unsigned long long)(st->samples ? st->capture_ns / st->samples : 0),
		(unsigned long long)(st->samples ? st->read_ns / st->samples : 0),
		st->samples
			? (double)(py->mem.syscalls + py->pub_mem.syscalls) / (double)st->samples
			: 0.0,
		st->captured ? (double)st->lag_ns / (double)st->captured / 1e3 : 0.0,
		(double)st->lag_max_ns / 1e3, (unsigned long long)st->stale);
}

static bool names_python(const char *s)
{
	const char *base = strrchr(s, '/');

	base = base ? base + 1 : s;
	return strncmp(base, "python", 6) == 0 || strstr(s, "libpython") != NULL;
}

/* argv[0] as exec would find it: through PATH when it has no '/'. */
static bool command_is_python(const char *cmd)
{
	char path[4096], line[256], real[4096];
	const char *dirs = getenv("PATH");
	FILE *f = NULL;
	bool yes = false;

	if (names_python(cmd))
		return true;
	if (strchr(cmd, '/'))
		snprintf(path, sizeof(path), "%s", cmd);
	else {
		path[0] = '\0';
		for (const char *d = dirs ? dirs : "/usr/bin:/bin"; *d;) {
			size_t len = strcspn(d, ":");

			snprintf(path, sizeof(path), "%.*s/%s", (int)len, d, cmd);
			if (access(path, X_OK) == 0)
				break;
			path[0] = '\0';
			d += len + (d[len] == ':');
		}
	}
	if (!path[0])
		return false;
	if (realpath(path, real) && names_python(real))
		return true;
	if ((f = fopen(path, "r")) && fgets(line, sizeof(line), f))
		yes = strncmp(line, "#!", 2) == 0 && strstr(line, "python") != NULL;
	if (f)
		fclose(f);
	return yes;
}

bool python_target_likely(char *const *argv, const pid_t *pids, size_t npids)
{
	char path[64], line[4096];

	if (argv && argv[0])
		return command_is_python(argv[0]);
	for (size_t i = 0; i < npids; i++) {
		FILE *f;
		bool yes = false;

		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pids[i]);
		if (!(f = fopen(path, "r")))
			continue;
		while (!yes && fgets(line, sizeof(line), f)) {
			char *name = strchr(line, '/');

			yes = name && names_python(name);
		}
		fclose(f);
		if (yes)
			return true;
	}
	return false;
}
