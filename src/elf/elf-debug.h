/* Where the debug information of an ELF file lives: the one rule every
 * reader of DWARF follows (symbols, call resolution, the disassembly view),
 * as elfutils' find_debuginfo callback does for libdwfl. */
#ifndef PROFTOP_ELF_DEBUG_H
#define PROFTOP_ELF_DEBUG_H

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdint.h>

/* The directory under which distributions install separate debug files. */
#define ELF_DEBUG_ROOT "/usr/lib/debug"

/* The separate debug file of the ELF file at path, in this order:
 *  1. by build id: ELF_DEBUG_ROOT/.build-id/ab/cdef....debug;
 *  2. by .gnu_debuglink (whose CRC32 must match): in path's directory, in
 *     its .debug/ subdirectory, and in ELF_DEBUG_ROOT/<directory>;
 *  3. by build id among the files debuginfod delivered during this run
 *     (elf_debug_add_fetched): the fetch itself runs in the background
 *     (debuginfod.h), never from here.
 * A container's file, path "/proc/PID/root/DIR/FILE" (procmap opens it so):
 * build id in the container's ELF_DEBUG_ROOT then ours; debuglink in DIR,
 * DIR/.debug and ELF_DEBUG_ROOT/DIR inside the container, then in our
 * ELF_DEBUG_ROOT/DIR; inside the container only what stays inside its root
 * (elf_file_in_root). "/proc/PID/map_files/..." (a deleted file): by build
 * id only, in that process's root and ours.
 * build_id: lower-case hex or NULL; debuglink/crc: the file's
 * .gnu_debuglink or NULL. Returns a malloc'd path, or NULL. */
char *elf_debug_find(const char *path, const char *build_id, const char *debuglink, uint32_t crc);

/* Step 3's table: build_id's debug file was fetched to path (both
 * copied; kept for the process's life). Not thread-safe: the thread that
 * reads debug info calls it. */
void elf_debug_add_fetched(const char *build_id, const char *path);
/* The fetched debug file of build_id, or NULL (borrowed). */
const char *elf_debug_fetched(const char *build_id);
/* The same for a dwz file, known by the name a .gnu_debugaltlink gives it
 * (libdwfl asks by that name). */
void elf_debug_add_fetched_alt(const char *link, const char *path);
const char *elf_debug_fetched_alt(const char *link);

/* The same, reading build id and debuglink from elf. */
char *elf_debug_find_for(const char *path, Elf *elf);

/* A Dwfl_Callbacks.find_debuginfo that applies elf_debug_find: returns an
 * open descriptor (libdwfl owns it) and sets *debuginfo_file_name. */
int elf_debug_dwfl_find(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name);

/* Callbacks using elf_debug_dwfl_find set .debuginfo_path to this (the
 * standard search it falls back on for dwz alt files reads it). */
extern char *elf_debug_dwfl_path;

/* Where the names of the ELF file at path (as opened; elf: it, NULL if it
 * could not be read) come from, given the debug file found for it (NULL:
 * none), as one phrase a person can act on (prof_module.symbols_from):
 * "symbols in the file", "debug file PATH", "debuginfod (PATH)", "no
 * symbols: stripped, no debug file for build id X (install its -dbg
 * package or set DEBUGINFOD_URLS)"; a container's file says it was read
 * through /proc/PID/root. malloc'd. */
char *elf_debug_describe(const char *path, Elf *elf, const char *debug_path);

/* Lower-case hex of elf's GNU build id, malloc'd, or NULL. */
char *elf_build_id_hex(Elf *elf);

/* The .gnu_debuglink CRC32 of the file at path (zlib's crc32 over the
 * whole file); false if it cannot be read. */
bool elf_debug_file_crc(const char *path, uint32_t *crc);

#endif
