/* ELF files opened by path: the file, its separate debug file (found by
 * elf-debug.h's rule) and its DWARF, read through read-only mappings with
 * no file descriptor kept open. */
#ifndef PROFTOP_ELF_FILE_H
#define PROFTOP_ELF_FILE_H

#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>

struct elf_file {
	char *path;
	char *build_id;	  /* lower-case hex, or NULL */
	Elf *elf;	  /* the file itself */
	char *debug_path; /* the separate debug file, or NULL */
	Elf *debug_elf;	  /* NULL without one */
	Dwarf *dw;	  /* from the file, else the debug file; NULL without */
};

/* Open path as an ELF file. want_build_id (hex, or NULL): the build id the
 * caller expects (from a session, a mapping); a file whose id differs is
 * refused. NULL on failure, with *error a malloc'd message naming the file
 * and the problem. The caller frees with elf_file_close. */
struct elf_file *elf_file_open(const char *path, const char *want_build_id, char **error);
void elf_file_close(struct elf_file *f);

/* The whole file at path mapped read-only (the descriptor is closed at
 * once); NULL if it is no regular file large enough to be ELF. Unmap with
 * munmap(data, *size). */
const void *elf_file_map(const char *path, size_t *size);

/* Whether root/path (root: another process's root, "/proc/PID/root") is a
 * regular file that resolves to the same file as it does for that process,
 * its symlinks and ".." kept inside root (openat2 RESOLVE_IN_ROOT): a
 * container cannot make root read a host file through an absolute symlink.
 * false where the kernel lacks openat2. */
bool elf_file_in_root(const char *root, const char *path);

#endif
