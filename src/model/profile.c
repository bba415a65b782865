#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "xalloc.h"

/* Samples are the one table that reaches millions of rows. */
_Static_assert(sizeof(struct prof_sample) == 32, "struct prof_sample must stay 32 bytes");

/* Open-addressing hash table of ids, power-of-two sized, linear probing.
 * Each slot keeps 32 bits of its key's hash: growing never recomputes a
 * hash, and most mismatches are rejected without touching the key. */
struct hslot {
	uint32_t id; /* PROF_NONE: empty */
	uint32_t hash;
};

struct htab {
	struct hslot *slots;
	size_t mask; /* capacity - 1; meaningless while slots is NULL */
	size_t n;
};

/* Strings live in chunks that are never moved, so interned pointers stay put. */
struct str_chunk {
	struct str_chunk *next;
	size_t used, size;
	char data[];
};

#define STR_CHUNK_SIZE (64 * 1024)

struct prof_intern {
	struct htab strings, modules, functions, locations, stacks, threads;
	const char **strs; /* string id -> string, for the strings table */
	size_t nstrs, strs_cap;
	struct str_chunk *chunks;
	size_t chunk_bytes; /* allocated to chunks, for profile_memory_bytes() */
	/* Expanded function frames of each stack, to bound profile_stack_frames(). */
	uint32_t *stack_frames;
	size_t stack_frames_cap;
	size_t max_frames;
	bool frames_stale; /* a relabel changed a location's frame count */
	/* profile_relabel_location(): how many, and which locations in order */
	uint64_t names_epoch;
	uint32_t *relabeled;
	size_t nrelabeled, relabeled_cap;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline uint64_t hash2(uint64_t a, uint64_t b)
{
	return mix64(a ^ mix64(b + 0x9e3779b97f4a7c15ULL));
}

static inline uint64_t hash3(uint64_t a, uint64_t b, uint64_t c)
{
	return mix64(a ^ hash2(b, c));
}

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
	uint64_t w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = rotl64(h ^ (w * 0x87c37b91114253d5ULL), 31) * 0x4cf5ad432745937fULL;
	}
	w = 0;
	memcpy(&w, s, len);
	return mix64(h ^ (w * 0x87c37b91114253d5ULL));
}

static inline uint64_t hash_ptr(const void *ptr)
{
	return (uint64_t)(uintptr_t)ptr;
}

typedef bool (*htab_eq)(const struct profile *p, uint32_t id, const void *key);

static void htab_place(struct hslot *slots, size_t mask, struct hslot s)
{
	size_t i = s.hash & mask;

	while (slots[i].id != PROF_NONE)
		i = (i + 1) & mask;
	slots[i] = s;
}

/* Make room for one more entry, keeping the load at or under 1/2. */
static void htab_reserve(struct htab *h)
{
	size_t cap = h->slots ? h->mask + 1 : 0;
	size_t ncap, i;
	struct hslot *slots;

	if (2 * (h->n + 1) <= cap)
		return;
	ncap = cap ? 2 * cap : 64;
	slots = xmalloc(ncap * sizeof(*slots));
	memset(slots, 0xff, ncap * sizeof(*slots));
	for (i = 0; i < cap; i++)
		if (h->slots[i].id != PROF_NONE)
			htab_place(slots, ncap - 1, h->slots[i]);
	free(h->slots);
	h->slots = slots;
	h->mask = ncap - 1;
}

/* The id stored under key, or PROF_NONE. */
static uint32_t htab_find(const struct htab *h, uint64_t hash, htab_eq eq, const struct profile *p,
			  const void *key)
{
	uint32_t h32 = (uint32_t)hash;
	size_t i;

	if (!h->slots)
		return PROF_NONE;
	for (i = h32 & h->mask; h->slots[i].id != PROF_NONE; i = (i + 1) & h->mask) {
		if (h->slots[i].hash == h32 && eq(p, h->slots[i].id, key))
			return h->slots[i].id;
	}
	return PROF_NONE;
}

/* The slot holding key, or the empty slot where it belongs (id PROF_NONE),
 * with room reserved so that htab_insert() can fill it. */
static struct hslot *htab_slot(struct htab *h, uint64_t hash, htab_eq eq, const struct profile *p,
			       const void *key)
{
	uint32_t h32 = (uint32_t)hash;
	size_t i;

	htab_reserve(h);
	for (i = h32 & h->mask; h->slots[i].id != PROF_NONE; i = (i + 1) & h->mask) {
		if (h->slots[i].hash == h32 && eq(p, h->slots[i].id, key))
			break;
	}
	return &h->slots[i];
}

static void htab_insert(struct htab *h, struct hslot *slot, uint64_t hash, uint32_t id)
{
	slot->id = id;
	slot->hash = (uint32_t)hash;
	h->n++;
}

static void htab_free(struct htab *h)
{
	free(h->slots);
	memset(h, 0, sizeof(*h));
}

/* ---- strings ---- */

struct str_key {
	const char *s;
};

static bool str_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct str_key *k = key;

	return strcmp(p->intern->strs[id], k->s) == 0;
}

static char *str_store(struct prof_intern *in, const char *s, size_t len)
{
	struct str_chunk *c = in->chunks;
	char *dst;

	if (len + 1 > STR_CHUNK_SIZE / 4) {
		/* A big string gets its own chunk, behind the one being filled. */
		c = xmalloc(sizeof(*c) + len + 1);
		in->chunk_bytes += sizeof(*c) + len + 1;
		c->size = c->used = len + 1;
		if (in->chunks) {
			c->next = in->chunks->next;
			in->chunks->next = c;
		} else {
			c->next = NULL;
			in->chunks = c;
		}
		dst = c->data;
	} else {
		if (!c || c->size - c->used < len + 1) {
			c = xmalloc(sizeof(*c) + STR_CHUNK_SIZE);
			in->chunk_bytes += sizeof(*c) + STR_CHUNK_SIZE;
			c->size = STR_CHUNK_SIZE;
			c->used = 0;
			c->next = in->chunks;
			in->chunks = c;
		}
		dst = c->data + c->used;
		c->used += len + 1;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return dst;
}

const char *profile_str(struct profile *p, const char *s)
{
	struct prof_intern *in = p->intern;
	struct str_key key = {s};
	struct hslot *slot;
	uint64_t hash;
	size_t len;
	uint32_t id;

	if (!s)
		return NULL;
	len = strlen(s);
	hash = hash_bytes(s, len);
	slot = htab_slot(&in->strings, hash, str_eq, p, &key);
	if (slot->id != PROF_NONE)
		return in->strs[slot->id];
	in->strs = xgrow(in->strs, &in->strs_cap, in->nstrs + 1, sizeof(*in->strs));
	id = (uint32_t)in->nstrs++;
	in->strs[id] = str_store(in, s, len);
	htab_insert(&in->strings, slot, hash, id);
	return in->strs[id];
}

/* ---- modules ---- */

struct module_key {
	const char *path, *build_id; /* interned */
};

static bool module_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct module_key *k = key;

	return p->modules[id].path == k->path && p->modules[id].build_id == k->build_id;
}

uint32_t profile_intern_module(struct profile *p, const char *path, const char *build_id)
{
	struct module_key key;
	struct prof_module *m;
	struct hslot *slot;
	const char *slash;
	uint64_t hash;
	uint32_t id;

	key.path = profile_str(p, path ? path : "[unknown]");
	key.build_id = profile_str(p, build_id);
	hash = hash2(hash_ptr(key.path), hash_ptr(key.build_id));
	slot = htab_slot(&p->intern->modules, hash, module_eq, p, &key);
	if (slot->id != PROF_NONE)
		return slot->id;
	p->modules = xgrow(p->modules, &p->modules_cap, p->nmodules + 1, sizeof(*p->modules));
	id = (uint32_t)p->nmodules++;
	m = &p->modules[id];
	m->path = key.path;
	m->build_id = key.build_id;
	m->symbols_from = NULL;
	slash = strrchr(key.path, '/');
	m->name = slash && slash[1] ? profile_str(p, slash + 1) : key.path;
	htab_insert(&p->intern->modules, slot, hash, id);
	return id;
}

/* ---- functions ---- */

struct function_key {
	const char *sym; /* system_name, or name when there is none; interned */
	const char *file;
	uint32_t module;
};

static const char *function_key_name(const struct prof_function *f)
{
	return f->system_name ? f->system_name : f->name;
}

static bool function_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct function_key *k = key;
	const struct prof_function *f = &p->functions[id];

	return function_key_name(f) == k->sym && f->module == k->module && f->file == k->file;
}

bool profile_module_is_kernel(const char *path)
{
	return path && !strncmp(path, "[kernel", 7) && (path[7] == ']' || path[7] == ':');
}

const char *profile_function_name(const struct profile *p, uint32_t fn)
{
	const struct prof_function *f = fn < p->nfunctions ? &p->functions[fn] : NULL;

	if (f && f->name && *f->name)
		return f->name;
	if (f && f->system_name && *f->system_name)
		return f->system_name;
	return "[unknown]";
}

const char *profile_module_name(const struct profile *p, uint32_t fn)
{
	uint32_t m = fn < p->nfunctions ? p->functions[fn].module : PROF_NONE;
	const char *slash;

	if (m >= p->nmodules)
		return "[unknown]";
	if (p->modules[m].name)
		return p->modules[m].name;
	if (!p->modules[m].path)
		return "[unknown]";
	slash = strrchr(p->modules[m].path, '/');
	return slash && slash[1] ? slash + 1 : p->modules[m].path;
}

uint32_t profile_intern_function(struct profile *p, const char *name, const char *system_name,
				 const char *file, int start_line, uint32_t module)
{
	struct function_key key;
	struct prof_function *f;
	struct hslot *slot;
	const char *sys;
	uint64_t hash;
	uint32_t id;

	sys = profile_str(p, system_name);
	name = profile_str(p, name ? name : system_name ? system_name : "[unknown]");
	key.sym = sys ? sys : name;
	key.file = profile_str(p, file);
	key.module = module;
	hash = hash3(hash_ptr(key.sym), hash_ptr(key.file), module);
	slot = htab_slot(&p->intern->functions, hash, function_eq, p, &key);
	if (slot->id != PROF_NONE)
		return slot->id;
	p->functions =
		xgrow(p->functions, &p->functions_cap, p->nfunctions + 1, sizeof(*p->functions));
	id = (uint32_t)p->nfunctions++;
	f = &p->functions[id];
	f->name = name;
	f->system_name = sys;
	f->file = key.file;
	f->start_line = start_line;
	f->module = module;
	f->calls = -1;
	f->calls_lower_bound = false;
	f->calls_rate = 0;
	f->calls_since = 0;
	htab_insert(&p->intern->functions, slot, hash, id);
	return id;
}

/* ---- locations ---- */

struct location_key {
	uint32_t module;
	uint64_t address;
};

static bool location_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct location_key *k = key;

	return p->locations[id].module == k->module && p->locations[id].address == k->address;
}

uint32_t profile_find_location(const struct profile *p, uint32_t module, uint64_t address)
{
	struct location_key key = {module, address};

	return htab_find(&p->intern->locations, hash2(address, module), location_eq, p, &key);
}

uint32_t profile_intern_location(struct profile *p, uint32_t module, uint64_t address,
				 const struct prof_line *lines, size_t nlines)
{
	struct location_key key = {module, address};
	uint64_t hash = hash2(address, module);
	struct prof_location *loc;
	struct hslot *slot;
	uint32_t id;
	size_t i;

	slot = htab_slot(&p->intern->locations, hash, location_eq, p, &key);
	if (slot->id != PROF_NONE)
		return slot->id;
	p->lines = xgrow(p->lines, &p->lines_cap, p->nlines + nlines, sizeof(*p->lines));
	for (i = 0; i < nlines; i++) {
		p->lines[p->nlines + i].function = lines[i].function;
		p->lines[p->nlines + i].file = profile_str(p, lines[i].file);
		p->lines[p->nlines + i].line = lines[i].line;
	}
	p->locations =
		xgrow(p->locations, &p->locations_cap, p->nlocations + 1, sizeof(*p->locations));
	id = (uint32_t)p->nlocations++;
	loc = &p->locations[id];
	loc->module = module;
	loc->address = address;
	loc->first_line = (uint32_t)p->nlines;
	loc->nlines = (uint32_t)nlines;
	p->nlines += nlines;
	htab_insert(&p->intern->locations, slot, hash, id);
	return id;
}

/* ---- stacks ---- */

struct stack_key {
	uint32_t parent, location;
};

static bool stack_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct stack_key *k = key;

	return p->stacks[id].parent == k->parent && p->stacks[id].location == k->location;
}

static uint32_t location_nlines(const struct profile *p, uint32_t loc)
{
	return loc < p->nlocations ? p->locations[loc].nlines : 0;
}

/* After a relabel changed how many frames a location has: every stack's
 * count again, parents first (a parent's id is below its children's). */
static void stack_frames_refresh(struct prof_intern *in, const struct profile *p)
{
	in->frames_stale = false;
	in->max_frames = 0;
	in->stack_frames = xgrow(in->stack_frames, &in->stack_frames_cap, p->nstacks,
				 sizeof(*in->stack_frames));
	for (size_t id = 1; id < p->nstacks; id++) {
		const struct prof_stack *st = &p->stacks[id];

		in->stack_frames[id] = in->stack_frames[st->parent] + location_nlines(p, st->location);
		if (in->stack_frames[id] > in->max_frames)
			in->max_frames = in->stack_frames[id];
	}
}

static uint32_t stack_child(struct profile *p, uint32_t parent, uint32_t location)
{
	struct prof_intern *in = p->intern;
	struct stack_key key = {parent, location};
	/* both ids fit in 32 bits: one mix of the pair (a bijection) is enough,
	 * and this runs for every frame of every sample */
	uint64_t hash = mix64(((uint64_t)parent << 32) | location);
	struct hslot *slot;
	uint32_t id;

	slot = htab_slot(&in->stacks, hash, stack_eq, p, &key);
	if (slot->id != PROF_NONE)
		return slot->id;
	if (in->frames_stale)
		stack_frames_refresh(in, p);
	p->stacks = xgrow(p->stacks, &p->stacks_cap, p->nstacks + 1, sizeof(*p->stacks));
	id = (uint32_t)p->nstacks++;
	p->stacks[id].parent = parent;
	p->stacks[id].location = location;
	p->stacks[id].depth = p->stacks[parent].depth + 1;
	in->stack_frames = xgrow(in->stack_frames, &in->stack_frames_cap, p->nstacks,
				 sizeof(*in->stack_frames));
	in->stack_frames[id] = in->stack_frames[parent] + location_nlines(p, location);
	if (in->stack_frames[id] > in->max_frames)
		in->max_frames = in->stack_frames[id];
	htab_insert(&in->stacks, slot, hash, id);
	return id;
}

uint32_t profile_intern_stack(struct profile *p, const uint32_t *locs, size_t n)
{
	uint32_t id = 0;

	if (n > PROF_MAX_DEPTH)
		n = PROF_MAX_DEPTH; /* locs[0] is the leaf: drop the root end */
	while (n-- > 0)
		id = stack_child(p, id, locs[n]);
	return id;
}

/* ---- samples, threads, memory ---- */

void profile_add_sample(struct profile *p, uint64_t time, int32_t tid, uint32_t stack,
			uint64_t weight, uint32_t flags)
{
	struct prof_sample *s;

	p->samples = xgrow(p->samples, &p->samples_cap, p->nsamples + 1, sizeof(*p->samples));
	s = &p->samples[p->nsamples++];
	s->time = time;
	s->weight = weight;
	s->stack = stack;
	s->tid = tid;
	s->flags = flags;
	s->count = 1;
	p->total_samples++;
	p->total_weight += weight;
	if (flags & PROF_SAMPLE_TRUNCATED)
		p->truncated_samples++;
}

void profile_add_record(struct profile *p, const struct prof_sample *s)
{
	p->samples = xgrow(p->samples, &p->samples_cap, p->nsamples + 1, sizeof(*p->samples));
	p->samples[p->nsamples++] = *s;
	p->total_samples += s->count;
	p->total_weight += s->weight;
	if (s->flags & PROF_SAMPLE_TRUNCATED)
		p->truncated_samples += s->count;
}

static bool thread_eq(const struct profile *p, uint32_t id, const void *key)
{
	return p->threads[id].tid == *(const int32_t *)key;
}

static uint64_t thread_hash(int32_t tid)
{
	return mix64((uint64_t)(uint32_t)tid);
}

void profile_set_thread(struct profile *p, int32_t tid, int32_t pid, const char *comm)
{
	struct prof_thread *t;
	struct hslot *slot;
	uint32_t id;

	slot = htab_slot(&p->intern->threads, thread_hash(tid), thread_eq, p, &tid);
	id = slot->id;
	if (id == PROF_NONE) {
		p->threads =
			xgrow(p->threads, &p->threads_cap, p->nthreads + 1, sizeof(*p->threads));
		id = (uint32_t)p->nthreads++;
		t = &p->threads[id];
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		htab_insert(&p->intern->threads, slot, thread_hash(tid), id);
	}
	t = &p->threads[id];
	/* A COMM record knows the name, a FORK record the pid: keep what each adds. */
	if (pid)
		t->pid = pid;
	if (comm)
		t->comm = profile_str(p, comm);
}

const struct prof_thread *profile_find_thread(const struct profile *p, int32_t tid)
{
	uint32_t id = htab_find(&p->intern->threads, thread_hash(tid), thread_eq, p, &tid);

	return id == PROF_NONE ? NULL : &p->threads[id];
}

void profile_add_memory(struct profile *p, uint64_t time, int32_t pid, uint64_t rss, uint64_t vms)
{
	struct prof_mem_point *m;

	p->memory = xgrow(p->memory, &p->memory_cap, p->nmemory + 1, sizeof(*p->memory));
	m = &p->memory[p->nmemory++];
	m->time = time;
	m->pid = pid;
	m->rss = rss;
	m->vms = vms;
}

void profile_add_output(struct profile *p, uint64_t time, const void *data, size_t len)
{
	struct prof_output_chunk *c;

	if (len == 0)
		return;
	p->output = xgrow(p->output, &p->output_cap, p->output_len + len + 1, 1);
	memcpy(p->output + p->output_len, data, len);
	p->output[p->output_len + len] = '\0';
	p->output_chunks = xgrow(p->output_chunks, &p->output_chunks_cap, p->noutput_chunks + 1,
				 sizeof(*p->output_chunks));
	c = &p->output_chunks[p->noutput_chunks++];
	c->time = time;
	c->offset = p->output_len;
	c->len = (uint32_t)len;
	p->output_len += len;
}

uint64_t profile_add_alloc(struct profile *p, const struct prof_alloc *a)
{
	struct prof_alloc *r;

	p->allocs = xgrow(p->allocs, &p->allocs_cap, p->nallocs + 1, sizeof(*p->allocs));
	r = &p->allocs[p->nallocs];
	*r = *a;
	r->id = profile_alloc_next_id(p);
	p->nallocs++;
	return r->id;
}

size_t profile_alloc_from(const struct profile *p, uint64_t id)
{
	size_t lo = 0, hi = p->nallocs;

	if (id >= p->allocs_folded_abs) /* past the folded records: no gaps */
		return id - p->allocs_shift < p->nallocs ? (size_t)(id - p->allocs_shift)
							 : p->nallocs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->allocs[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t profile_alloc_index(const struct profile *p, uint64_t id)
{
	size_t i = profile_alloc_from(p, id);

	return i < p->nallocs && p->allocs[i].id == id ? i : SIZE_MAX;
}

void profile_alloc_freed(struct profile *p, uint64_t id, uint64_t time)
{
	size_t i = profile_alloc_index(p, id);

	if (i != SIZE_MAX && p->allocs[i].free_time == PROF_ALLOC_LIVE &&
	    p->allocs[i].kind != PROF_ALLOC_FAULT)
		p->allocs[i].free_time = time < p->allocs[i].time ? p->allocs[i].time : time;
}

void profile_set_module_source(struct profile *p, uint32_t m, const char *from)
{
	if (m < p->nmodules)
		p->modules[m].symbols_from = profile_str(p, from);
}

void profile_relabel_location(struct profile *p, uint32_t loc, const struct prof_line *lines,
			      size_t nlines)
{
	struct prof_intern *in = p->intern;
	struct prof_location *l;

	if (loc >= p->nlocations)
		return;
	/* New lines at the end: the old ones stay, unreferenced (a writer
	 * may hold their indices), and the location moves to these. */
	p->lines = xgrow(p->lines, &p->lines_cap, p->nlines + nlines, sizeof(*p->lines));
	for (size_t i = 0; i < nlines; i++) {
		p->lines[p->nlines + i].function = lines[i].function;
		p->lines[p->nlines + i].file = profile_str(p, lines[i].file);
		p->lines[p->nlines + i].line = lines[i].line;
	}
	l = &p->locations[loc];
	if (l->nlines != nlines)
		in->frames_stale = true;
	l->first_line = (uint32_t)p->nlines;
	l->nlines = (uint32_t)nlines;
	p->nlines += nlines;
	in->relabeled = xgrow(in->relabeled, &in->relabeled_cap, in->nrelabeled + 1,
			      sizeof(*in->relabeled));
	in->relabeled[in->nrelabeled++] = loc;
	in->names_epoch++;
}

uint64_t profile_names_epoch(const struct profile *p)
{
	return p->intern->names_epoch;
}

const uint32_t *profile_relabeled(const struct profile *p, size_t *n)
{
	*n = p->intern->nrelabeled;
	return p->intern->relabeled;
}

void profile_zero(struct profile *p)
{
	p->nsamples = 0;
	p->nmemory = 0;
	p->nallocs = 0;
	p->total_weight = 0;
	p->truncated_samples = 0;
	p->total_samples = 0;
	p->log_shift = 0;
	p->log_folded_abs = 0;
	p->allocs_shift = 0;
	p->allocs_folded_abs = 0;
	p->log_epoch++;
}

/* ---- expansion ---- */

size_t profile_stack_frames(const struct profile *p, uint32_t stack, struct prof_frame *out,
			    size_t max)
{
	size_t n = 0;
	uint32_t s, j;

	for (s = stack; s != 0 && s < p->nstacks && n < max; s = p->stacks[s].parent) {
		uint32_t loc = p->stacks[s].location;
		const struct prof_location *l;

		if (loc >= p->nlocations)
			continue;
		l = &p->locations[loc];
		for (j = 0; j < l->nlines && n < max; j++) {
			const struct prof_line *ln = &p->lines[l->first_line + j];

			out[n].function = ln->function;
			out[n].file = ln->file;
			out[n].line = ln->line;
			out[n].location = loc;
			out[n].inlined = j + 1 < l->nlines;
			n++;
		}
	}
	return n;
}

size_t profile_max_frames(const struct profile *p)
{
	if (p->intern->frames_stale)
		stack_frames_refresh(p->intern, p);
	/* Never 0, so that callers can size a buffer with it directly. */
	return p->intern->max_frames ? p->intern->max_frames : 1;
}

/* ---- accounting ---- */

static size_t htab_bytes(const struct htab *h)
{
	return h->slots ? (h->mask + 1) * sizeof(*h->slots) : 0;
}

size_t profile_memory_bytes(const struct profile *p)
{
	const struct prof_intern *in = p->intern;
	size_t n = sizeof(*p) + sizeof(*in);

	n += p->modules_cap * sizeof(*p->modules) + p->functions_cap * sizeof(*p->functions);
	n += p->lines_cap * sizeof(*p->lines) + p->locations_cap * sizeof(*p->locations);
	n += p->stacks_cap * sizeof(*p->stacks) + p->samples_cap * sizeof(*p->samples);
	n += p->threads_cap * sizeof(*p->threads) + p->memory_cap * sizeof(*p->memory);
	n += p->output_cap + p->output_chunks_cap * sizeof(*p->output_chunks);
	n += p->sources_cap * sizeof(*p->sources) + p->allocs_cap * sizeof(*p->allocs);
	n += p->latencies_cap * sizeof(*p->latencies);
	n += p->nlatencies * PROF_LATENCY_BUCKETS * sizeof(uint64_t);
	n += htab_bytes(&in->strings) + htab_bytes(&in->modules) + htab_bytes(&in->functions);
	n += htab_bytes(&in->locations) + htab_bytes(&in->stacks) + htab_bytes(&in->threads);
	n += in->strs_cap * sizeof(*in->strs) + in->chunk_bytes;
	n += in->stack_frames_cap * sizeof(*in->stack_frames);
	return n;
}

/* ---- life cycle ---- */

struct profile *profile_new(void)
{
	struct profile *p = xcalloc(1, sizeof(*p));
	struct prof_intern *in = xcalloc(1, sizeof(*in));

	p->intern = in;
	p->stacks = xgrow(p->stacks, &p->stacks_cap, 1, sizeof(*p->stacks));
	p->stacks[0].parent = PROF_NONE;
	p->stacks[0].location = PROF_NONE;
	p->stacks[0].depth = 0;
	p->nstacks = 1;
	in->stack_frames =
		xgrow(in->stack_frames, &in->stack_frames_cap, 1, sizeof(*in->stack_frames));
	in->stack_frames[0] = 0;
	return p;
}

void profile_free(struct profile *p)
{
	struct prof_intern *in;
	struct str_chunk *c, *next;

	if (!p)
		return;
	in = p->intern;
	htab_free(&in->strings);
	htab_free(&in->modules);
	htab_free(&in->functions);
	htab_free(&in->locations);
	htab_free(&in->stacks);
	htab_free(&in->threads);
	for (c = in->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(in->strs);
	free(in->stack_frames);
	free(in->relabeled);
	free(in);
	free(p->modules);
	free(p->functions);
	free(p->lines);
	free(p->locations);
	free(p->stacks);
	free(p->samples);
	free(p->threads);
	free(p->memory);
	free(p->allocs);
	free(p->output);
	free(p->output_chunks);
	free(p->sources);
	for (size_t i = 0; i < p->nlatencies; i++)
		free(p->latencies[i].buckets);
	free(p->latencies);
	free(p->runs);
	if (p->query_cache_free) /* query.c's derived tables */
		p->query_cache_free(p->query_cache);
	free(p);
}

const struct prof_latency *profile_find_latency(const struct profile *p, uint32_t fn)
{
	for (size_t i = 0; i < p->nlatencies; i++)
		if (p->latencies[i].function == fn)
			return &p->latencies[i];
	return NULL;
}

struct prof_latency *profile_latency(struct profile *p, uint32_t fn)
{
	struct prof_latency *l = (struct prof_latency *)profile_find_latency(p, fn);

	if (l)
		return l;
	p->latencies =
		xgrow(p->latencies, &p->latencies_cap, p->nlatencies + 1, sizeof(*p->latencies));
	l = &p->latencies[p->nlatencies++];
	*l = (struct prof_latency){
		.function = fn,
		.min_ns = UINT64_MAX,
		.buckets = xcalloc(PROF_LATENCY_BUCKETS, sizeof(uint64_t)),
	};
	return l;
}

void profile_add_run(struct profile *p, const struct prof_run *run)
{
	p->runs = xgrow(p->runs, &p->runs_cap, p->nruns + 1, sizeof(*p->runs));
	p->runs[p->nruns++] = *run;
}
