/* Kernel function names from /proc/kallsyms, as perf names them, where the
 * kernel shows their addresses (root, or kernel.kptr_restrict 0). */
#ifndef PROFTOP_KSYMS_H
#define PROFTOP_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksyms;

/* Reads path (/proc/kallsyms; a test may give another). Never NULL: when
 * no address can be read, ksyms_lookup() finds nothing and ksyms_why()
 * says why. */
struct ksyms *ksyms_load(const char *path);
void ksyms_free(struct ksyms *k);

/* The text symbol holding addr: its name and start, and its module
 * ("[kernel]", or "[kernel:MOD]" for a loadable module). NULL if none. */
const char *ksyms_lookup(const struct ksyms *k, uint64_t addr, uint64_t *start,
			 const char **module);
/* Why nothing is named, in one line with the fix; NULL when names work. */
const char *ksyms_why(const struct ksyms *k);

#endif
