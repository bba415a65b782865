/* JIT code named by its JIT, through perf's two interfaces: the perf map
 * (/tmp/perf-PID.map, "START SIZE NAME" lines in hex, appended as code is
 * made; a later line wins where it overlaps an earlier one) and the jitdump
 * (jit-PID.dump, which the JIT maps executable so that profilers find it:
 * code loads, moves and line tables). Both are read as they grow.
 *
 * Ownership: a jitmap owns its codes, names and lines; struct jit owns the
 * jitmaps of every process. Pointers they hand out stay valid until the
 * next jitmap_update / jit_lookup / jit_forget. */
#ifndef PROFTOP_JITMAP_H
#define PROFTOP_JITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "procmap.h"

enum jitmap_kind {
	JITMAP_PERF_MAP,
	JITMAP_JITDUMP,
};

/* The jitdump version this reader knows (perf's, since 2015). */
#define JITDUMP_VERSION 1

/* A line table entry (jitdump debug info): code from addr on is file:line. */
struct jit_line {
	uint64_t addr;
	const char *file; /* owned by the jitmap; NULL: unknown */
	int line;
	uint16_t unread_len; /* file NULL: its name's length, that was not text */
};

/* One piece of code as its JIT named it. */
struct jit_code {
	uint64_t start, size;
	char *name;		/* the JIT's name: "JS:*burnA /app/b.js:3:15" */
	unsigned generation;	/* see jitmap_lookup */
	uint64_t time;		/* when the JIT made it (jitdump, CLOCK_MONOTONIC ns); 0: unknown */
	struct jit_line *lines; /* sorted by addr; NULL without debug info */
	size_t nlines;
};

/* What a JIT's name says: V8's "JS:*f /a/b.js:3:15" (also "LazyCompile:",
 * "Function:"; the tier marks * ^ ~ + dropped: one function whatever tier
 * runs it) is function f of /a/b.js, line 3, "(anonymous)" when unnamed;
 * CPython's "py::f:/a/b.py" is "py::f" (its perf trampoline, apart from
 * the Python frame f proftop reads itself) of /a/b.py; other names stay.
 * key: the name without the tier mark, which tells functions apart. */
struct jit_name {
	char *function, *key; /* malloc'd */
	char *file;	      /* malloc'd, or NULL */
	int line;
};
void jit_name_parse(const char *name, struct jit_name *out);
void jit_name_free(struct jit_name *n);

/* The line executing at addr in code (from its line table), or NULL. */
const struct jit_line *jit_code_line(const struct jit_code *code, uint64_t addr);

struct jitmap;

/* Open path, a perf map or a jitdump, shown as display. It must be a
 * regular file owned by root or by one of owners (the target's uids), and
 * not a symlink unless follow (the kernel's own links in /proc/PID/map_files):
 * else NULL with a one-line reason in err. Nothing is read yet. */
struct jitmap *jitmap_open(enum jitmap_kind kind, const char *path, const char *display,
			   const uid_t *owners, size_t nowners, bool follow, char *err,
			   size_t errlen);
/* The same checks on an open file (the jitmap owns fd, closed on failure). */
struct jitmap *jitmap_open_fd(enum jitmap_kind kind, int fd, const char *display,
			      const uid_t *owners, size_t nowners, char *err, size_t errlen);
/* Open path as process pid sees it: resolved inside its root (a container's
 * symbolic links stay in the container), the last component no link. */
struct jitmap *jitmap_open_in_root(enum jitmap_kind kind, pid_t pid, const char *path,
				   const char *display, const uid_t *owners, size_t nowners,
				   char *err, size_t errlen);
void jitmap_free(struct jitmap *jm);
/* Read what the file gained since the last read; true if code was added.
 * Malformed lines and records are skipped and counted; a jitdump of another
 * version or machine is not read. Either way one warning per file. */
bool jitmap_update(struct jitmap *jm);
/* The code at addr, or NULL. Code that replaced code of another name at
 * the same addresses gets a later generation (code read in one update
 * shares one), so that a profile keeps the names samples had. */
const struct jit_code *jitmap_lookup(const struct jitmap *jm, uint64_t addr);
/* Code made after `until` (a jitdump's records say when) is read but not
 * looked up until a later call says so: a sample is named by the code
 * that was there when it was taken, not by code the JIT put at the same
 * address since. UINT64_MAX (the default): all. Returns true if code was
 * added to what lookups see. */
bool jitmap_until(struct jitmap *jm, uint64_t until);
const char *jitmap_display(const struct jitmap *jm);
/* Where names come from, for prof_module.symbols_from: "perf map PATH". */
const char *jitmap_source(const struct jitmap *jm);
size_t jitmap_skipped(const struct jitmap *jm);
/* The file's problem in one line, handed out once; else NULL. */
const char *jitmap_take_warning(struct jitmap *jm);

/* ---- the maps of the target's processes ---- */

struct jit;

struct jit *jit_new(void);
void jit_free(struct jit *j);
/* The code named by process ps's JIT at addr (an address no ELF file
 * backs): from its jitdump (a mapping named .../jit-PID.dump) or its perf
 * map, opened at the first need, read again when they grew. NULL if
 * neither names it; *from: the map that did. Problems are warned once.
 * when: the sample's time (CLOCK_MONOTONIC ns; UINT64_MAX: now): a
 * jitdump's code made after it is not seen yet (jitmap_until). */
const struct jit_code *jit_lookup(struct jit *j, const struct proc_space *ps, uint64_t addr,
				  uint64_t when, const struct jitmap **from);
/* Read process pid's maps now, whatever was read lately (it ended: what
 * its JIT buffered is written now). */
void jit_refresh(struct jit *j, pid_t pid);
/* Bumped whenever a map gained code: resolutions cached before are stale. */
unsigned jit_generation(const struct jit *j);
/* Whether process pid has a JIT map open (an address it does not name now
 * may be named once the map grows). */
bool jit_known(const struct jit *j, pid_t pid);
/* Process pid exec'd or exited: its maps are closed. */
void jit_forget(struct jit *j, pid_t pid);

#endif
