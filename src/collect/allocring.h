/* The allocation ring: shared memory (a memfd) between proftop and the
 * tracker it preloads into a launched target (src/preload/alloc.c). The
 * target's threads (and forked children) are the producers, proftop the
 * only consumer. Both sides include this header; it depends on nothing but
 * the C library.
 *
 * Producers reserve space with a compare-and-swap on head (lock-free,
 * never waiting except, in exact mode, a bounded wait for room), write the
 * record, and commit it by storing its length with ALLOCRING_COMMIT
 * (release). The consumer reads committed records from tail, zeroes what
 * it read (so that space not yet written reads as 0) and moves tail on
 * (release). Records are 8-byte aligned and never wrap: a record that
 * would cross the end is preceded by a PAD record filling the rest. Only
 * a PAD's first 8 bytes are written: the rest of it reads as 0 already.
 *
 * The ring's pages cost the target a page fault each the first time it
 * writes one, the dearest part of a record. So a producer starts again at
 * the ring's start (a PAD to the end) once what is in flight leaves the
 * first `recycle` bytes of the ring free: while
 * proftop keeps up, records go to the same first pages over and over,
 * which stay in memory; the rest of the ring takes bursts.
 *
 * proftop must treat everything in the ring as untrusted input: lengths are
 * checked, never followed blindly. */
#ifndef PROFTOP_ALLOCRING_H
#define PROFTOP_ALLOCRING_H

#include <stdint.h>

#define ALLOCRING_MAGIC	  0x50544152u /* "PTAR" */
#define ALLOCRING_VERSION 3u
#define ALLOCRING_COMMIT  0x80000000u /* in a record's len word: written in full */
#define ALLOCRING_MAX_REC (1u << 20)  /* a record is never longer (but a PAD to the end) */
/* where producers start again (struct allocring_header.recycle) */
#define ALLOCRING_RECYCLE (2u << 20)

/* The environment proftop hands the tracker (removed from environ by the
 * tracker's constructor, so that the program sees its own). */
#define ALLOCRING_ENV_FD   "PROFTOP_ALLOC_FD"	/* the ring's fd */
#define ALLOCRING_ENV_WAKE "PROFTOP_ALLOC_WAKE" /* an eventfd to wake proftop */
/* the user's own LD_PRELOAD, "-" for none */
#define ALLOCRING_ENV_PRELOAD "PROFTOP_ALLOC_PRELOAD"

enum allocring_type {
	ALLOCRING_PAD = 0,   /* skip len bytes */
	ALLOCRING_ALLOC = 1, /* a sampled allocation, with registers and stack */
	ALLOCRING_FREE = 2,  /* a sampled block at addr was freed (or realloc'd away) */
	ALLOCRING_FORK = 3,  /* pid was forked (no exec) from addr (its parent's pid) */
	/* The Python code object at addr as it was when the tracker met it in
	 * a sampled allocation's frames, a new one there (or the first): size
	 * spans follow (struct allocring_span, each padded to 8): the code
	 * object's head, its file name and qualified name (str objects) and
	 * its location table (bytes), copied from the process itself. The
	 * allocation records after it that name addr ran this code, even if
	 * it is freed (a module's top level) or replaced before proftop reads
	 * them. */
	ALLOCRING_CODE = 4,
};

/* A copy of [addr, addr + len) of the target's memory in a CODE record,
 * its bytes right after it. */
struct allocring_span {
	uint64_t addr;
	uint32_t len;
	uint32_t pad;
};
#define ALLOCRING_CODE_SPANS 4

enum allocring_kind {
	ALLOCRING_HEAP = 0, /* malloc and friends */
	ALLOCRING_MMAP = 1, /* anonymous mmap */
};

/* The registers an ALLOC record carries, in this order: what the DWARF
 * unwinder needs to start (ip, sp) and the callee-saved ones the frames
 * above may have left in registers. */
enum allocring_reg {
	ALLOCRING_IP,
	ALLOCRING_SP,
	ALLOCRING_BP,
	ALLOCRING_BX,
	ALLOCRING_R12,
	ALLOCRING_R13,
	ALLOCRING_R14,
	ALLOCRING_R15,
	ALLOCRING_NREGS
};

struct allocring_rec {
	uint32_t len;  /* bytes of the whole record | ALLOCRING_COMMIT (atomic) */
	uint16_t type; /* enum allocring_type */
	uint16_t kind; /* enum allocring_kind */
	int32_t pid, tid;
	uint64_t time; /* CLOCK_MONOTONIC ns */
	uint64_t addr;
	uint64_t size; /* ALLOC: bytes asked for; UNMAP: bytes unmapped */
	/* ALLOC only: */
	uint64_t regs[ALLOCRING_NREGS];
	uint32_t stack_len; /* bytes of stack that follow, copied from regs[SP] up */
	uint32_t py_len;    /* bytes of Python frames after the stack (0: none) */
	/* uint8_t stack[stack_len], padded to 8;
	 * then struct allocring_pyframes, py_len bytes */
};
#define ALLOCRING_FREE_LEN 40u /* a FREE or UNMAP record: up to size */

/* Where a CPython interpreter keeps a thread's frames, which proftop
 * writes once it has found CPython in the target (from its symbols, its
 * version's layout), ready last (release): the tracker then copies the
 * Python frames of each sampled allocation's thread, as proftop's CPU
 * samples read them from outside (src/collect/python.c, walk_frames). */
struct allocring_py {
	uint32_t ready;	     /* atomic: the fields below are set */
	uint32_t max_frames; /* frames copied at most */
	uint64_t tstate_fn;  /* PyGILState_GetThisThreadState: this thread's state */
	uint64_t tstate_frame;
	int64_t cframe_current; /* <0: tstate_frame holds the frame (3.13) */
	uint64_t frame_code, frame_previous, frame_instr, frame_owner;
	int64_t frame_is_entry;	      /* <0: shim frames (owner owned_by_cstack) mark entries */
	uint32_t owned_by_cstack;     /* a shim frame's owner (3.12+) */
	uint32_t owned_by_generator;  /* a generator's frame: never a chain's root */
	/* atomic: proftop has looked for CPython in the process once it saw
	 * the tracker loaded (ready then, or not: none found yet). The
	 * tracker's constructor waits for this, at most ALLOCRING_PY_WAIT_MS,
	 * so that the program's first allocations have their Python frames. */
	uint32_t checked;
	uint32_t pad;
	/* Where a code object keeps what names it (CODE records; code_head
	 * 0: send none), its type; the bytes of its head, the offsets of its first
	 * line (int32), file name, qualified name (str) and location table
	 * (bytes: ob_size at 16, data at 32); a str's length (characters),
	 * state (bit 5 compact, bit 6 ascii, bits 2-4 kind) and the sizes of
	 * the compact ASCII and other compact headers its data follows. */
	uint64_t code_type; /* PyCode_Type: a frame's code object has it at 8 */
	uint64_t code_head, code_firstlineno, code_filename, code_qualname, code_linetable;
	uint64_t str_length, str_state, str_ascii_size, str_compact_size;
};
#define ALLOCRING_PY_WAIT_MS 300
/* A CODE record's str and bytes copies are cut at these lengths (a name
 * cut short reads as unreadable: the frame is then read as before) */
#define ALLOCRING_CODE_STR_MAX	 1024u
#define ALLOCRING_CODE_TABLE_MAX (64u << 10)

/* An ALLOC record's Python frames, innermost first; the layout of
 * python.c's capture, which python_merge reads. */
struct allocring_pyframe {
	uint64_t code, instr;
	uint32_t group, pad; /* group: the eval-loop call running it, 0 the innermost */
};
struct allocring_pyframes {
	int32_t n;	  /* frames; -1: the chain could not be read */
	uint32_t entries; /* eval-loop calls seen */
	uint32_t gil, pad; /* gil: 0 (unknown) */
	struct allocring_pyframe f[];
};

struct allocring_header {
	uint32_t magic, version;
	uint32_t header_size; /* data starts here */
	uint32_t stack_bytes; /* stack to copy per sampled allocation */
	uint64_t data_size;   /* a power of two */
	uint64_t sample;      /* mean bytes between samples; 1: every allocation */
	/* written by producers */
	uint64_t head; /* bytes reserved so far (atomic) */
	uint64_t lost; /* records dropped: the ring was full (atomic) */
	/* 1: the next producer past the watermark writes the eventfd (atomic) */
	uint32_t wake_armed;
	/* exact mode: a producer waited in vain; no more waits until tail moves */
	uint32_t stalled;
	/* written by proftop */
	uint64_t tail;	 /* bytes consumed so far (atomic) */
	uint32_t closed; /* proftop is gone: record nothing more (atomic) */
	uint32_t pad;
	uint64_t loaded; /* set by the tracker once it runs (its pid): preloading worked */
	/* a producer starts again at the ring's start once its first
	 * `recycle` bytes are free (0: never; below data_size, which is then
	 * at most 2 GiB: a PAD's length fits its len word) */
	uint64_t recycle;
	struct allocring_py py; /* written by proftop */
};

#define ALLOCRING_HEADER_SIZE 4096u

#endif
