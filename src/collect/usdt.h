/* USDT probes (SystemTap's <sys/sdt.h>, as `--with-dtrace` builds of CPython
 * carry them): the .note.stapsdt notes of an ELF file, each naming a probe
 * point, its semaphore and where its arguments are.
 *
 * A probe point is a `nop` in the code; a uprobe there sees the arguments
 * in registers. The semaphore is a counter the program tests before it
 * computes the arguments: it must be non-zero for the probe to fire
 * (calls-python.c raises it). Mechanism only: nothing here reads or
 * writes a process. */
#ifndef PROFTOP_USDT_H
#define PROFTOP_USDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "procmap.h"

#define USDT_ARGS_MAX 12

/* One argument: "8@%rbp" (8 bytes in rbp), "-4@%eax" (signed, 4 bytes). */
struct usdt_arg {
	int size;	 /* bytes; negative: signed */
	bool in_reg;	 /* in a register (else memory or a constant: not read here) */
	int regs_offset; /* the register's offset in the kernel's struct pt_regs */
};

struct usdt_probe {
	uint64_t vaddr;	     /* the probe point, ELF virtual address */
	uint64_t offset;     /* ... its file offset: where the uprobe goes */
	uint64_t sem_vaddr;  /* the semaphore (0: none) */
	uint64_t sem_offset; /* ... its file offset */
	unsigned nargs;
	struct usdt_arg args[USDT_ARGS_MAX];
};

/* Find provider:name in img's notes. False when img has none such (or
 * cannot be read). */
bool usdt_find(const struct elf_image *img, const char *provider, const char *name,
	       struct usdt_probe *out);

/* Parse one argument of a note's argument string ("8@%r14"); false if it
 * is not of that form. x86-64 registers only (elsewhere: false). */
bool usdt_parse_arg(const char *spec, struct usdt_arg *out);

#endif
