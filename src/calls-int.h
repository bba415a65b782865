/* Inside exact call counting: finding the functions users name in the ELF
 * files the target maps (calls-resolve.c), for calls.c. */
#ifndef PROFTOP_CALLS_INT_H
#define PROFTOP_CALLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmap.h"

#define RESOLVE_SHOWN 6 /* candidates named in an "ambiguous" message */

/* Where a function starts, in one file. */
struct func_entry {
	struct elf_image *img;
	uint64_t vaddr;	 /* ELF virtual address */
	uint64_t offset; /* file offset: what the uprobe PMU wants */
};

enum resolve_status {
	RESOLVE_OK,
	RESOLVE_NONE,	   /* no such function in these files */
	RESOLVE_AMBIGUOUS, /* several: msg names them */
	RESOLVE_IFUNC,	   /* an indirect function: its address is the resolver */
	RESOLVE_NO_MODULE, /* module:FUNC names no file the target maps */
};

struct resolver;

struct resolver *resolver_new(void);
void resolver_free(struct resolver *r);

/* Look spec ("FUNC" or "module:FUNC") up in imgs. RESOLVE_OK fills *out;
 * the other results leave a one-line explanation in msg. */
enum resolve_status resolver_find(struct resolver *r, struct elf_image *const *imgs, size_t nimgs,
				  const char *spec, struct func_entry *out, char *msg,
				  size_t msglen);
/* Every entry of the symbol named exactly system_name in img (up to max);
 * returns how many. */
size_t resolver_find_symbol(struct resolver *r, struct elf_image *img, const char *system_name,
			    struct func_entry *out, size_t max);
/* img has no symbol table (stripped, no separate debug info found). */
bool resolver_stripped(struct resolver *r, struct elf_image *img);

/* Split "module:FUNC" (a C++ "::" is not a split); *module NULL if none.
 * Returns a malloc'd copy that *module and *func point into. */
char *resolver_split(const char *spec, const char **module, const char **func);
/* module names img: its path, its basename, or the basename up to a '.' or
 * '-' ("libc" for libc.so.6). */
bool resolver_module_matches(const char *module, const struct elf_image *img);

/* The files a command will map at its start, before it runs: the executable
 * (argv0 searched in PATH as execvp does, a #! script's interpreter) and,
 * for a dynamic one, the libraries its ELF interpreter lists (as ldd does,
 * running no code of the program). Real paths, malloc'd; returns how many
 * (0: the command cannot be found). */
size_t resolver_launch_files(const char *argv0, char ***paths);

#endif
