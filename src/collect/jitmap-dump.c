#include "config.h"

/* The jitdump reader (jitmap.h): perf's format, as in perf's
 * tools/perf/Documentation/jitdump-specification.txt: a header, then
 * records of code loads, moves and line tables. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jitmap-int.h"
#include "loop.h"
#include "xalloc.h"

#define JITDUMP_MAGIC	    0x4A695444u /* "JiTD", in the writer's byte order */
#define JITDUMP_MAGIC_SWAP  0x4454694Au
#define JITDUMP_HEADER_SIZE 40
#define JIT_RECORD_HEADER   16 /* id, total_size, timestamp */
#define JIT_CODE_LOAD	    0
#define JIT_CODE_MOVE	    1
#define JIT_CODE_DEBUG_INFO 2
#define JIT_CODE_CLOSE	    3
#define EM_X86_64_	    62
/* A record claiming more is not one: the file is not read further. */
#define JIT_RECORD_MAX (16u << 20) /* less than jitmap.c reads at once */

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Stop reading a jitdump, saying why. */
static size_t jitdump_stop(struct jitmap *jm, char *why)
{
	jm->closed = true;
	jitmap_warn(jm, why);
	return 0;
}

static size_t jitdump_header(struct jitmap *jm, const uint8_t *d, size_t len)
{
	uint32_t magic, version, size, mach;

	if (len < JITDUMP_HEADER_SIZE)
		return 0;
	magic = get32(d);
	version = get32(d + 4);
	size = get32(d + 8);
	mach = get32(d + 12);
	if (magic == JITDUMP_MAGIC_SWAP)
		return jitdump_stop(jm, xasprintf("jitdump %s was written in the other byte order; "
						  "its names are not used",
						  jm->display));
	if (magic != JITDUMP_MAGIC)
		return jitdump_stop(jm, xasprintf("jitdump %s is not a jitdump (no JiTD magic); "
						  "its names are not used",
						  jm->display));
	if (version != JITDUMP_VERSION)
		return jitdump_stop(jm, xasprintf("jitdump %s is version %u, proftop reads "
						  "version %u; its names are not used",
						  jm->display, version, JITDUMP_VERSION));
	if (mach != EM_X86_64_)
		return jitdump_stop(jm, xasprintf("jitdump %s holds code for ELF machine %u, not "
						  "x86-64; its names are not used",
						  jm->display, mach));
	if (size < JITDUMP_HEADER_SIZE || size > JIT_RECORD_MAX)
		return jitdump_stop(jm, xasprintf("jitdump %s has a malformed header (size %u); "
						  "its names are not used",
						  jm->display, size));
	if (len < size)
		return 0;
	/* flags (at 32): JITDUMP_FLAGS_ARCH_TIMESTAMP, the TSC's counts */
	jm->arch_time = get64(d + 32) & 1;
	jm->header_read = true;
	return size;
}

/* A record's time as a code's (jit_code.time): 0 unless CLOCK_MONOTONIC
 * as it can be (perf record -k mono, which V8 and CPython write). */
static uint64_t record_time(const struct jitmap *jm, uint64_t t)
{
	if (jm->arch_time || t > loop_now_ns() + 10000000000ull)
		return 0;
	return t;
}

/* Whether a file name is text: UTF-8 without control characters (V8 has
 * been seen writing stray bytes as a name). */
static bool name_is_text(const uint8_t *s)
{
	if (!*s)
		return false;
	while (*s) {
		int more = *s < 0x80		 ? 0
			   : (*s & 0xe0) == 0xc0 ? 1
			   : (*s & 0xf0) == 0xe0 ? 2
			   : (*s & 0xf8) == 0xf0 ? 3
						 : -1;

		if (more < 0 || *s < 0x20 || *s == 0x7f)
			return false;
		for (s++; more > 0; more--, s++)
			if ((*s & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* An interned file name, NULL for one that is not text. */
static const char *file_intern(struct jitmap *jm, const char *name)
{
	if (!name_is_text((const uint8_t *)name))
		return NULL;
	for (size_t i = jm->nfiles; i-- > 0 && i + 8 >= jm->nfiles;)
		if (!strcmp(jm->files[i], name))
			return jm->files[i];
	jm->files = xgrow(jm->files, &jm->files_cap, jm->nfiles + 1, sizeof(*jm->files));
	jm->files[jm->nfiles] = xstrdup(name);
	return jm->files[jm->nfiles++];
}

static int line_cmp(const void *a, const void *b)
{
	const struct jit_line *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* One entry's file name at name (NUL at nul): interned, the previous
 * entry's for "\xff" alone, NULL for one that is not text. */
static const char *debug_file(struct jitmap *jm, const uint8_t *name, const uint8_t *nul,
			      const char *prev)
{
	if (name[0] == 0xff && nul == name + 1)
		return prev; /* NULL (unknown) if there was none */
	return file_intern(jm, (const char *)name);
}

/* Entries whose names end at their NULs, as the format says: 0 unless
 * they fill the record exactly, 2 if a name was not text, else 1. */
static int debug_by_nul(struct jitmap *jm, const uint8_t *p, size_t len, uint64_t nr)
{
	const char *prev = jm->last_file;
	size_t at = 16;
	int read = 1;

	for (uint64_t i = 0; i < nr; i++) {
		const uint8_t *nul;
		struct jit_line *l;

		if (len - at < 17 || !(nul = memchr(p + at + 16, 0, len - at - 16)))
			return 0;
		l = &jm->pending.lines[jm->pending.nlines++];
		l->addr = get64(p + at);
		l->line = (int)(get32(p + at + 8) & 0x7fffffff);
		l->file = prev = debug_file(jm, p + at + 16, nul, prev);
		if (!l->file)
			read = 2; /* misread, or V8's garbage */
		at = (size_t)(nul - p) + 1;
	}
	if (len - at >= 8)
		return 0; /* more than V8's padding to 8 bytes */
	jm->last_file = prev;
	return read;
}

/* Node 20's V8 writes some entries' names from freed memory: the right
 * length, the bytes garbage (NULs among them), the addresses and lines
 * right. When every name has one length the entries have one stride
 * (the record padded to 8 bytes after them): read them by it, a garbage
 * name as unread (its length kept, for the code's own file to stand in
 * when that has this length). */
static size_t debug_stride(const uint8_t *p, size_t len, uint64_t nr)
{
	for (size_t pad = 0; pad < 8 && nr && len - 16 >= pad; pad++) {
		size_t stride = (len - 16 - pad) / nr, at = 16;
		uint64_t i;

		if ((len - 16 - pad) % nr || stride < 18 || stride - 17 > UINT16_MAX)
			continue;
		for (i = 0; i < nr && !p[at + stride - 1]; i++)
			at += stride; /* NUL-ended where the stride says */
		if (i == nr)
			return stride;
	}
	return 0;
}

static bool debug_by_stride(struct jitmap *jm, const uint8_t *p, size_t len, uint64_t nr)
{
	size_t stride = debug_stride(p, len, nr), at = 16;
	const char *prev = jm->last_file;

	if (!stride)
		return false;
	for (uint64_t i = 0; i < nr; i++, at += stride) {
		const uint8_t *name = p + at + 16, *nul = memchr(name, 0, stride - 16);
		struct jit_line *l = &jm->pending.lines[jm->pending.nlines++];

		l->addr = get64(p + at);
		l->line = (int)(get32(p + at + 8) & 0x7fffffff);
		l->file = nul == name + stride - 17 ? debug_file(jm, name, nul, prev) : NULL;
		l->unread_len = l->file ? 0 : (uint16_t)(stride - 17);
		if (l->file)
			prev = l->file;
	}
	jm->last_file = prev;
	return true;
}

/* JIT_CODE_DEBUG_INFO: code_addr, nr_entry, then per entry addr, line,
 * discriminator and a file name ("\xff" alone: the previous entry's). */
static bool jitdump_debug(struct jitmap *jm, const uint8_t *p, size_t len)
{
	uint64_t code_addr, nr;
	int read;

	if (len < 16)
		return false;
	code_addr = get64(p);
	nr = get64(p + 8);
	if (nr > len / 17)
		return false;
	free(jm->pending.lines);
	jm->pending.code_addr = code_addr;
	jm->pending.lines = xcalloc(nr ? nr : 1, sizeof(*jm->pending.lines));
	jm->pending.nlines = 0;
	read = debug_by_nul(jm, p, len, nr);
	if (read != 1) {
		jm->pending.nlines = 0;
		if (!debug_by_stride(jm, p, len, nr)) {
			jm->pending.nlines = 0;
			if (!read || debug_by_nul(jm, p, len, nr) != 2) {
				free(jm->pending.lines);
				jm->pending.lines = NULL;
				return false;
			}
		}
	}
	if (jm->pending.nlines > 1) /* qsort's base may not be NULL, even for 0 */
		qsort(jm->pending.lines, jm->pending.nlines, sizeof(*jm->pending.lines), line_cmp);
	return true;
}

/* JIT_CODE_LOAD: pid, tid, vma, code_addr, code_size, code_index, name,
 * then the code itself. Debug info for it came just before. */
static bool jitdump_load(struct jitmap *jm, const uint8_t *p, size_t len)
{
	uint64_t addr, size;
	const uint8_t *nul;
	struct jit_code *c;

	if (len < 41 || !(nul = memchr(p + 40, 0, len - 40)))
		return false;
	addr = get64(p + 16);
	size = get64(p + 24);
	if (!size || addr + size < addr)
		return false;
	c = jitmap_code_add(jm, addr, size, xstrdup((const char *)p + 40));
	if (jm->pending.lines && jm->pending.code_addr == addr) {
		c->lines = jm->pending.lines;
		c->nlines = jm->pending.nlines;
		jm->pending.lines = NULL;
	}
	return true;
}

/* JIT_CODE_MOVE: pid, tid, vma, old_code_addr, new_code_addr, code_size,
 * code_index: the code now runs at the new address too. */
static bool jitdump_move(struct jitmap *jm, const uint8_t *p, size_t len)
{
	uint64_t from, to, size;
	const struct jit_code *old = NULL;
	struct jit_code *c;
	int64_t delta;

	if (len < 48)
		return false;
	from = get64(p + 16);
	to = get64(p + 24);
	size = get64(p + 32);
	delta = (int64_t)(to - from);
	/* the code may have been read in this same update */
	for (size_t i = jm->ncodes; i-- > 0 && !old;)
		if (jm->codes[i].start == from)
			old = &jm->codes[i];
	if (!size || to + size < to)
		return false;
	if (!old)
		return true; /* code we never saw loaded: nothing to name */
	c = jitmap_code_add(jm, to, size, xstrdup(old->name));
	old = NULL; /* codes may have moved */
	for (size_t i = jm->ncodes - 1; i-- > 0 && !old;)
		if (jm->codes[i].start == from)
			old = &jm->codes[i];
	if (old && old->nlines) {
		c->lines = xcalloc(old->nlines, sizeof(*c->lines));
		c->nlines = old->nlines;
		for (size_t i = 0; i < old->nlines; i++) {
			c->lines[i] = old->lines[i];
			c->lines[i].addr += (uint64_t)delta;
		}
	}
	return true;
}

size_t jitdump_parse(struct jitmap *jm, const uint8_t *data, size_t len)
{
	size_t used = 0;

	if (!jm->header_read) {
		used = jitdump_header(jm, data, len);
		if (!used)
			return 0;
	}
	while (!jm->closed && len - used >= JIT_RECORD_HEADER) {
		const uint8_t *r = data + used;
		uint32_t id = get32(r), size = get32(r + 4);
		const uint8_t *p = r + JIT_RECORD_HEADER;
		size_t plen = size - JIT_RECORD_HEADER, had = jm->ncodes;
		bool ok = true;

		if (size < JIT_RECORD_HEADER || size > JIT_RECORD_MAX) {
			jitdump_stop(jm, xasprintf("jitdump %s: the record at offset %" PRIu64
						   " is malformed (size %u); the rest is not read",
						   jm->display, jm->offset + used, size));
			break;
		}
		if (len - used < size)
			break; /* being written */
		if (id == JIT_CODE_LOAD)
			ok = jitdump_load(jm, p, plen);
		else if (id == JIT_CODE_MOVE)
			ok = jitdump_move(jm, p, plen);
		else if (id == JIT_CODE_DEBUG_INFO)
			ok = jitdump_debug(jm, p, plen);
		else if (id == JIT_CODE_CLOSE)
			jm->closed = true;
		if (jm->ncodes > had)
			jm->codes[jm->ncodes - 1].time = record_time(jm, get64(r + 8));
		/* others (unwinding info, newer kinds) are not needed */
		if (!ok && !jm->skipped++)
			jitmap_warn(jm, xasprintf("jitdump %s: the record at offset %" PRIu64
						  " (kind %u) is malformed; skipped, as any "
						  "other such record",
						  jm->display, jm->offset + used, id));
		used += size;
	}
	return used;
}
