/* Addresses to locations: function names, inline chains and source lines
 * through libdwfl, one Dwfl per ELF image (shared by every process that
 * maps it), each distinct (image, address) resolved once: the profile's
 * location table is the cache. */
#ifndef PROFTOP_SYMBOLS_H
#define PROFTOP_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

#include "jitmap.h"
#include "procmap.h"
#include "profile.h"

struct symbols;

struct symbols *symbols_new(struct profile *p);
void symbols_free(struct symbols *s);

/* The location of ELF vaddr in img. is_return: vaddr is a return address,
 * so the call instruction at vaddr - 1 is the one looked up (the location
 * keeps vaddr - 1 as its address). Never fails: an address without symbols
 * becomes a function named "module+0xoffset". */
uint32_t symbols_location(struct symbols *s, struct elf_image *img, uint64_t vaddr, bool is_return);
/* An address in no file-backed mapping (JIT, anonymous memory): a location
 * in module "[unknown]" (or map_name such as "[heap]" if given), with one
 * function per map, named after it ("[heap]", "//anon") or "[unknown]". */
uint32_t symbols_unknown_location(struct symbols *s, uint64_t addr, const char *map_name);
/* An address in code its JIT named (jitmap.h): module the map (its path as
 * the target names it; a later generation of its code "PATH (generation
 * N)", the functions staying in the first), function and file from the
 * JIT's name, the line from the jitdump's line table. is_return: as for
 * symbols_location. */
uint32_t symbols_jit_location(struct symbols *s, const struct jitmap *jm,
			      const struct jit_code *code, uint64_t addr, bool is_return);
/* Location loc, made by symbols_unknown_location for addr, is code the
 * JIT named only later: it becomes that code's function and line. */
void symbols_jit_rename(struct symbols *s, uint32_t loc, const struct jitmap *jm,
			const struct jit_code *code, uint64_t addr);
/* The frame placed on top of a sample taken in the kernel at ip: the kernel
 * function (module "[kernel]", or "[kernel:MOD]" for a loadable module) where
 * /proc/kallsyms shows addresses, else the single "[kernel]"; ip 0: that. */
uint32_t symbols_kernel_location(struct symbols *s, uint64_t ip);
/* Once, after kernel samples: why kernel functions are one [kernel] row
 * (kallsyms hides its addresses), in one line with the fix; else NULL. */
const char *symbols_kernel_note(struct symbols *s);
/* Read kernel names from path instead of /proc/kallsyms (tests). */
void symbols_set_kallsyms(struct symbols *s, const char *path);

/* debuginfod (src/elf/debuginfod.h): images without local debug info ask
 * f (borrowed; NULL: none) for theirs, once per build id, and are named
 * from their symbol tables meanwhile. */
struct debug_fetch;
struct debug_fetch_result;
void symbols_set_fetch(struct symbols *s, struct debug_fetch *f);
/* A finished fetch: the file is registered with src/elf (later lookups
 * find it) and the locations already in the profile of the modules with
 * that build id are named again (profile_relabel_location); their
 * symbols_from says where the names came from, or why not. Returns how
 * many locations were relabeled. */
size_t symbols_fetched(struct symbols *s, const struct debug_fetch_result *r);

/* Demangle a C++/Rust symbol; returns a malloc'd string or NULL if name is
 * not mangled. */
char *symbols_demangle(const char *name);

#endif
