/* The line-level drill-down of one function ("annotate"): its source lines
 * with per-line samples and heat, or its machine code disassembled (capstone,
 * from the ELF file on disk) with per-instruction samples. No terminal here:
 * the TUI's line view and `report --lines` render these rows.
 *
 * Ownership: the caller owns a struct annot_cache and keeps it across
 * refreshes, so that each source file and each function's disassembly is read
 * once; every string a view hands out (line text, file names, mnemonics)
 * belongs to the cache or to the profile and stays valid until
 * annot_cache_free(). A view's arrays belong to the view: annot_*_free(). */
#ifndef PROFTOP_ANNOTATE_H
#define PROFTOP_ANNOTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "query.h"

#define ANNOT_NONE SIZE_MAX /* "no such row" for row indexes */

/* Source files, ELF images and disassemblies read so far. */
struct annot_cache;

struct annot_cache *annot_cache_new(void);
void annot_cache_free(struct annot_cache *c);
/* Forget what was read (files changed on disk). Views built before are
 * invalid afterwards. */
void annot_cache_clear(struct annot_cache *c);

/* ---- the source view ---- */

struct annot_line {
	const char *file; /* the profile's string; NULL when the line is unknown */
	int line;	  /* 1-based; 0 when unknown */
	const char *text; /* tabs expanded (8), control bytes and invalid UTF-8 as '?';
			   * "" for a line past the end of the file, NULL when the
			   * file could not be read */
	uint64_t self_samples, total_samples;
	uint64_t self_ns, total_ns;
	double heat;	    /* total_ns / the function's total_ns, 0..1 */
	uint32_t inlined;   /* hottest function inlined at this line, or PROF_NONE */
	uint32_t callee;    /* hottest function called from this line, or PROF_NONE */
	uint64_t kernel_ns; /* of total_ns: in the kernel right here (not a call) */
	bool hottest;	    /* the one line that burns the most self time (ties: total) */
};

struct annot_source {
	uint32_t function;
	const char *file;  /* the function's main file (rows of other files follow
			    * its range), or NULL when no line is known */
	bool readable;	   /* file was read; false: text is NULL in its rows */
	const char *error; /* why not readable (e.g. "cannot read x.c: No such file
			    * or directory"), owned by the cache; NULL if readable */
	/* rows[0..main_n) are the consecutive lines first_line..last_line of
	 * file, sampled or not (when the file is not readable: only its sampled
	 * lines, in order); then one row per sampled line of other files
	 * (headers, inlined code), by file then line; then the row of samples
	 * whose line is unknown, if any. A session's saved source text counts
	 * as readable; lines it did not keep have text "". */
	struct annot_line *rows;
	size_t n, main_n;
	int first_line, last_line;
	size_t hottest;			      /* row index, ANNOT_NONE when nothing was sampled */
	uint64_t self_samples, total_samples; /* of the function */
	uint64_t self_ns, total_ns;
};

/* Build the source view of fn over the samples that pass f (NULL: all).
 * Always fills out (rows of sampled lines at least); returns 0 when the
 * source text is there, -1 when it is not (out->error says why). */
int annot_source_build(struct annot_cache *c, const struct profile *p, const struct query_filter *f,
		       uint32_t fn, struct annot_source *out);
void annot_source_free(struct annot_source *s);

/* The next row after from (backward: before it) that has samples, wrapping
 * around like vim's n / N; from may be ANNOT_NONE to start at either end.
 * Returns ANNOT_NONE when no row has samples. */
size_t annot_source_next_hot(const struct annot_source *s, size_t from, bool backward);

/* ---- the disassembly view ---- */

#define ANNOT_INSN_MAX 16

struct annot_insn {
	uint64_t address; /* ELF virtual address in the module's file */
	uint8_t size;
	uint8_t bytes[ANNOT_INSN_MAX];
	const char *mnemonic; /* owned by the cache */
	const char *operands; /* owned by the cache; "" when none */
	const char *file;     /* source position from DWARF, or NULL; owned by the cache */
	int line;	      /* 0 when unknown */
	uint64_t self_samples, total_samples; /* leaf in it / any frame in it, once per sample */
	uint64_t self_ns, total_ns;
	double heat; /* total_ns / the function's total_ns, 0..1 */
	bool is_call;
	bool is_jump;		 /* any other branch */
	uint64_t target;	 /* direct call/jump target, 0 when indirect or none */
	uint32_t callee;	 /* profile function at a call's target, or PROF_NONE */
	const char *callee_name; /* name at a call's target (profile or ELF symbol,
				  * "puts@plt"), or NULL; owned by the cache or profile */
	bool hottest;
};

struct annot_disasm {
	uint32_t function;
	uint32_t module;
	const char *path;    /* the ELF file read (the profile's string) */
	const char *symbol;  /* the ELF symbol the range came from, or NULL; cache-owned */
	uint64_t start, end; /* [start, end): the disassembled range */
	const char *error;   /* why there is no disassembly, owned by the cache; NULL if fine */
	struct annot_insn *insns;
	size_t n;
	size_t hottest;			      /* insn index, ANNOT_NONE when nothing was sampled */
	uint64_t self_samples, total_samples; /* of the function's addresses */
	uint64_t self_ns, total_ns;
	uint64_t outside_samples; /* samples of fn's locations outside [start, end) */
};

/* Disassemble fn's machine code: the range spans fn's sampled addresses
 * (locations whose real, outermost function is fn) widened to the enclosing
 * ELF symbol (.symtab, then .dynsym), or the symbol of fn's name alone when
 * nothing of it was sampled. Counts are over the samples that pass f.
 * Returns 0, or -1 with out->error set (kernel or unreadable module, no
 * symbol, not x86-64 code); out is always safe to free. */
int annot_disasm_build(struct annot_cache *c, const struct profile *p, const struct query_filter *f,
		       uint32_t fn, struct annot_disasm *out);
void annot_disasm_free(struct annot_disasm *d);

/* As annot_source_next_hot, over instructions. */
size_t annot_disasm_next_hot(const struct annot_disasm *d, size_t from, bool backward);

/* Instruction bytes as "48 89 e5" into buf; returns buf. */
char *annot_format_bytes(const struct annot_insn *in, char *buf, size_t len);

#endif
