/* Reading a CPython process from outside: bounded copies of its memory
 * (process_vm_readv) and the pieces of its objects proftop needs (strings,
 * bytes), and the location table that maps an instruction to a line.
 * Everything here treats the other process's memory as hostile: every
 * pointer is checked by the kernel's copy, every length is bounded. */
#ifndef PROFTOP_PYTHON_READ_H
#define PROFTOP_PYTHON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest name or file name read (longer ones are cut), and longest
 * location table (a bigger one is refused: the line is then unknown). */
#define PY_STR_MAX	 1024
#define PY_LINETABLE_MAX (1u << 20)

/* A view of another process's memory for the reads of one sample: pages
 * copied once (process_vm_readv), so that frames of one data stack chunk
 * and a code object met again cost no further system call. */
#define PY_PAGE	 4096
#define PY_PAGES 16
/* A copy of [addr, addr + len) of the process's memory. */
struct py_span {
	uint64_t addr;
	const uint8_t *data;
	size_t len;
};
struct py_mem {
	pid_t pid;
	/* Not NULL: reads come from these copies alone (a code object as the
	 * allocation tracker copied it), never from the process. */
	const struct py_span *over;
	size_t nover;
	unsigned next;		 /* the slot replaced next */
	uint64_t page[PY_PAGES]; /* page address held by each slot, 0: none */
	uint8_t data[PY_PAGES][PY_PAGE];
	uint64_t syscalls; /* reads made, in all */
};

/* Forget the pages held (a new sample) and read pid from now on. */
void py_mem_reset(struct py_mem *m, pid_t pid);
/* Copy len bytes at addr; false unless all of them were read. */
bool py_read(struct py_mem *m, uint64_t addr, void *buf, size_t len);
bool py_read_u64(struct py_mem *m, uint64_t addr, uint64_t *v);

/* The shape of a str object in this interpreter version. */
struct py_str_layout {
	uint64_t length;       /* offset of the length (characters) */
	uint64_t state;	       /* offset of the state bitfield (kind, compact, ascii) */
	uint64_t ascii_size;   /* sizeof(PyASCIIObject): compact ASCII data follows */
	uint64_t compact_size; /* sizeof(PyCompactUnicodeObject): other compact data */
};

/* The str object at addr as UTF-8 in out (NUL-terminated, cut to outlen - 1
 * bytes at a character boundary). false if it is unreadable or no compact
 * str. */
bool py_read_str(struct py_mem *m, uint64_t addr, const struct py_str_layout *l, char *out,
		 size_t outlen);
/* The bytes object at addr (ob_size at 16, data at 32 on every version):
 * a malloc'd copy in *out, its length in *len; false if unreadable or
 * longer than max. */
bool py_read_bytes(struct py_mem *m, uint64_t addr, size_t max, uint8_t **out, size_t *len);

/* The line of the instruction at code unit index instr of a code object
 * whose first line is firstlineno, from its co_linetable (3.11+ format,
 * PEP 626: entries of a start byte and varints). 0 when the table has no
 * line for it or is malformed; never reads past tab[len - 1]. */
int py_linetable_line(const uint8_t *tab, size_t len, int firstlineno, uint64_t instr);

#endif
