/* Inside the JIT maps (jitmap.c, jitmap-dump.c): the map's state, shared
 * by the perf map and jitdump readers. */
#ifndef PROFTOP_JITMAP_INT_H
#define PROFTOP_JITMAP_INT_H

#include "jitmap.h"

/* A piece of the address space and the code that wins there. */
struct jit_range {
	uint64_t start, end;
	uint32_t code; /* index into codes: later code wins */
};

/* Debug info waiting for the code load it precedes. */
struct jit_pending {
	uint64_t code_addr;
	struct jit_line *lines;
	size_t nlines;
};

struct jitmap {
	enum jitmap_kind kind;
	int fd;
	char *display, *source;
	uint64_t offset;  /* bytes consumed */
	uint64_t line_no; /* perf map: lines consumed */
	struct jit_code *codes;
	size_t ncodes, codes_cap;
	struct jit_range *ranges; /* sorted, disjoint */
	size_t nranges;
	unsigned generation;
	size_t committed; /* codes [0, committed) are in ranges */
	uint64_t until;	  /* see jitmap_until */
	bool arch_time;	  /* jitdump: timestamps are the CPU's counter, not the clock */
	size_t skipped;
	char *warning;
	bool warned, closed;
	bool header_read; /* jitdump */
	struct jit_pending pending;
	char **files;	       /* debug info file names */
	const char *last_file; /* of the last entry read */
	size_t nfiles, files_cap;
	uint8_t *buf;
	size_t buf_cap;
};

/* Append code (name malloc'd, owned by the map from now on). */
struct jit_code *jitmap_code_add(struct jitmap *jm, uint64_t start, uint64_t size, char *name);
/* Keep msg (malloc'd) as the file's warning unless it has one. */
void jitmap_warn(struct jitmap *jm, char *msg);
/* Read the jitdump records in data; returns the bytes consumed. */
size_t jitdump_parse(struct jitmap *jm, const uint8_t *data, size_t len);

#endif
