/* Where a function's code returns: the file offsets of its return
 * instructions, found by disassembling its bytes (x86-64, capstone).
 *
 * --latency probes these instead of placing a uretprobe: a uretprobe swaps
 * the return address on the target's stack for the kernel's trampoline, so
 * every sample inside the function unwinds to "[uprobes]" and stops there.
 * A plain uprobe on a `ret` leaves the stack as it is.
 *
 * A jump out of the function's range (a tail call) also leaves it, but not
 * by a return: the callee returns straight to our caller, unseen. Such an
 * exit is counted (ntail), not probed. A jump into the function's cold
 * part (GCC's "NAME.cold", split off to .text.unlikely) is no exit: that
 * part is scanned too. */
#ifndef PROFTOP_FUNC_EXITS_H
#define PROFTOP_FUNC_EXITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmap.h"

#define FUNC_EXITS_MAX 64 /* return instructions probed per function */

struct func_exits {
	uint64_t entry;		      /* the function's address (func_exits_find) */
	uint64_t ret[FUNC_EXITS_MAX]; /* addresses of its `ret` instructions */
	size_t nret;
	size_t ntail;		      /* jumps out of the function (tail calls) */
	uint64_t out[FUNC_EXITS_MAX]; /* where the first of them go */
	size_t nout;
};

/* Disassemble code (size bytes, loaded at addr) and add its returns and
 * jumps out of [addr, addr + size) to out (zero it first). False with a
 * reason in err when some bytes do not decode (a `ret` found after them
 * could be a byte inside another instruction: probing it would corrupt the
 * target; out holds what came before) or there are more than
 * FUNC_EXITS_MAX returns. */
bool func_exits_scan(const uint8_t *code, size_t size, uint64_t addr, struct func_exits *out,
		     char *err, size_t errlen);

/* The returns of the function that starts at vaddr (file offset offset) in
 * img, and of its cold part: sizes come from the file's symbol table
 * (.symtab, else .dynsym). Addresses in out are ELF vaddrs. False with err
 * if the size is unknown or the code does not decode. */
bool func_exits_find(const struct elf_image *img, uint64_t vaddr, uint64_t offset,
		     struct func_exits *out, char *err, size_t errlen);

#endif
