/* Private to annotate.c and annotate-disasm.c: the cache both fill. */
#ifndef PROFTOP_ANNOTATE_INT_H
#define PROFTOP_ANNOTATE_INT_H

#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "annotate.h"

/* A source file, read once: its lines made safe for a terminal. */
struct annot_file {
	char *key;    /* the path as the profile names it */
	char **lines; /* lines[0] is line 1 */
	size_t n;
	const char *error; /* interned in the cache; NULL when readable */
};

struct elf_file;
struct annot_code; /* one disassembled range: annotate-disasm.c */

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

/* ---- ELF files on disk (annotate-elf.c) ---- */

struct elf_sym {
	uint64_t value, size;
	const char *name; /* in the image's string table */
};

/* A GOT slot and the symbol a relocation binds it to (calls through the PLT). */
struct got_slot {
	uint64_t slot;
	const char *name;
};

struct annot_image {
	char *path;
	const char *error;     /* interned; NULL when open */
	struct elf_file *file; /* owned; the fields below are borrowed from it */
	Elf *elf, *debug_elf;
	Dwarf *dw;	      /* NULL without debug info */
	const char *build_id; /* lower-case hex, or NULL */
	struct elf_sym *syms; /* sorted by value */
	size_t nsyms;
	struct got_slot *gots; /* sorted by slot */
	size_t ngots;
};

/* The image of path, opened on first use (with its symbols, GOT slots and
 * DWARF, from a separate debug file found by build id or .gnu_debuglink,
 * src/elf's rule); on failure img->error says why. */
struct annot_image *annot_image_get(struct annot_cache *c, const char *path);
void annot_image_free(struct annot_image *img);
/* The function symbol containing addr (the widest of aliases), or NULL. */
const struct elf_sym *annot_sym_at(const struct annot_image *img, uint64_t addr);
const struct elf_sym *annot_sym_named(const struct annot_image *img, const char *name);
/* The dynamic symbol a relocation binds GOT slot to, or NULL. */
const char *annot_got_name(const struct annot_image *img, uint64_t slot);
/* The bytes of the executable section holding addr, its range and name. */
const unsigned char *annot_section_bytes(const struct annot_image *img, uint64_t addr,
					 uint64_t *sec_start, uint64_t *sec_end, const char **name);

/* Intern a malloc'd string (taking it): equal strings are kept once, so a
 * view rebuilt every second does not grow the cache. */
const char *annot_cache_keep(struct annot_cache *c, char *s);
/* Free the ELF images and disassemblies. */
void annot_disasm_cache_clear(struct annot_cache *c);
/* Step from "from" to the next index (or previous) in [0, n), wrapping; from
 * ANNOT_NONE starts at either end. Callers loop it at most n times. */
size_t annot_step(size_t from, size_t n, bool backward);
/* The next row after from (before, backward), wrapping around, for which
 * sampled(rows, i) holds; ANNOT_NONE if none does. */
size_t annot_next_sampled(const void *rows, size_t n, size_t from, bool backward,
			  bool (*sampled)(const void *rows, size_t i));

#endif
