/* Private to annotate.c and annotate-disasm.c: the cache both fill. */
#ifndef PROFTOP_ANNOTATE_INT_H
#define PROFTOP_ANNOTATE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "annotate.h"

/* A source file, read once: its lines made safe for a terminal. */
struct annot_file {
	char *key;    /* the path as the profile names it */
	char **lines; /* lines[0] is line 1 */
	size_t n;
	const char *error; /* interned in the cache; NULL when readable */
};

struct annot_image; /* an ELF file on disk: annotate-disasm.c */
struct annot_code;  /* one disassembled range: annotate-disasm.c */

struct annot_cache {
	struct annot_file **files; /* pointers: a file's place never moves */
	size_t nfiles, files_cap;
	struct annot_image **images;
	size_t nimages, images_cap;
	struct annot_code **codes;
	size_t ncodes, codes_cap;
	char **strings; /* interned messages */
	size_t nstrings, strings_cap;
};

/* Intern a malloc'd string (taking it): equal strings are kept once, so a
 * view rebuilt every second does not grow the cache. */
const char *annot_cache_keep(struct annot_cache *c, char *s);
/* Free the ELF images and disassemblies. */
void annot_disasm_cache_clear(struct annot_cache *c);
/* Step from "from" to the next index (or previous) in [0, n), wrapping; from
 * ANNOT_NONE starts at either end. Callers loop it at most n times. */
size_t annot_step(size_t from, size_t n, bool backward);

#endif
