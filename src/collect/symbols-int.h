/* Private to symbols.c and symbols-names.c. */
#ifndef PROFTOP_SYMBOLS_INT_H
#define PROFTOP_SYMBOLS_INT_H

#include <elfutils/libdw.h>
#include <libelf.h>
#include <stdint.h>

#include "symbols.h"

/* The qualified C++ name of a subprogram or inlined_subroutine DIE that has
 * no linkage name, built from its declaration's scopes as the demangler
 * would print it ("(anonymous namespace)::Mixer::churn(unsigned long)");
 * malloc'd, or NULL when the DIE is not C++ or has no name. */
char *symbols_dwarf_name(Dwarf_Die *die);

/* "sin@plt" for an address in a PLT stub of elf (the file's own ELF, whose
 * addresses are the ones looked up); malloc'd, or NULL. */
char *symbols_plt_name(Elf *elf, uint64_t addr);

#endif
