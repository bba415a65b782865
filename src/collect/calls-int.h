/* Inside exact call counting. Mechanism: finding the functions users name
 * in the ELF files the target maps (calls-resolve.c), where they return
 * (func-exits.c), and the probes themselves (probeset.c). Policy: what to
 * probe and on which processes (calls.c, calls-site.c), and reading the
 * probes, holding the budget, top:N and the TUI's key (calls-tick.c). */
#ifndef PROFTOP_CALLS_INT_H
#define PROFTOP_CALLS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "calls.h"
#include "latency.h"
#include "loop.h"
#include "latency-pairs.h"
#include "probeset.h"
#include "procmap.h"
#include "uprobe.h"

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

/* ---- the policy's state: calls.c, calls-site.c and calls-tick.c ---- */

#define SLOTS_MAX 1024 /* probed functions per run: the BPF counter array */
#define WINDOW	  10   /* ticks the overhead figure is averaged over */

enum site_kind { SITE_COUNT, SITE_LATENCY };

/* One probed function: its probes in the probe set, the entry first (for
 * --latency, its returns after it). Its index is its slot there. */
struct site {
	enum site_kind kind;
	uint32_t function;
	char *path; /* the file probed (a real path) */
	uint64_t offset;
	int *probes; /* probe set ids; none while inactive */
	size_t nprobes, probes_cap;
	bool active;		  /* probes in place */
	bool over_budget;	  /* removed for the budget */
	bool late;		  /* placed after the target started: calls may have been missed */
	bool from_top;		  /* chosen by top:N */
	bool failed;		  /* said why a placement failed: once is enough */
	bool placed;		  /* some placement succeeded: the count means something */
	uint64_t since;		  /* ns since the profile's start when probing began */
	uint64_t hits, tick_hits; /* calls seen; at the previous tick */
	uint64_t rate_from;	  /* CLOCK_MONOTONIC of tick_hits */
	double rate;		  /* calls per second over the last tick */
	double probe_rate;	  /* probe hits per second: the budget's (rate, but for Python) */
	struct py_site *py;	  /* a Python function (calls-python.c), or NULL */
};

/* A (process, co_filename pointer, co_name pointer): one Python function. */
struct py_key {
	uint32_t tgid;
	uint64_t arg0, arg1;
};

/* A process whose semaphores a Python site raised. */
struct py_armed {
	pid_t pid;
	uint64_t entry, ret, line; /* the semaphores' addresses there (0: none) */
	uint64_t start;		   /* where the interpreter's offset 0 is mapped there */
};

/* A Python function counted through the interpreter's USDT markers: its
 * probe is the interpreter's function__return (a count) or function__entry
 * and function__return (a latency), hit by every Python call; a BPF filter
 * keyed by the (filename, funcname) pointers the markers pass tells its
 * calls from the others' (calls-python.c). */
struct py_site {
	char *qualname;	     /* as the user named it: the profile function's name */
	char *name;	     /* what co_name must be: qualname's last part */
	char *file;	     /* the spec's FILE.py, or NULL */
	char *matched_file;  /* the co_filename counted (the first seen), or NULL */
	bool said_other;     /* said that another file has a function of that name */
	int filter;	     /* the BPF filter's fd */
	int pending;	     /* a count's hits the filter had no answer for yet, by key */
	struct py_key *keys; /* the keys answered as this function: their pending hits count */
	size_t nkeys, keys_cap;
	uint64_t ring_hits;  /* calls counted from the ring (first sight of a pointer pair) */
	uint64_t tick_traps; /* probe hits (every Python function's) at the last tick */
	/* The markers' semaphores (ELF addresses; a count raises function__return's
	 * alone, in sem_entry), set by proftop in each process probed. */
	uint64_t sem_entry, sem_return, sem_line, image_base;
	struct py_armed *armed;
	size_t narmed, armed_cap;
};

struct proc {
	pid_t pid;
	bool alive;
	uint64_t cpu_ns; /* utime + stime at the last tick */
};

struct spec {
	char *name;
	enum site_kind kind;
	bool python;  /* py:NAME or FILE.py:NAME (calls-python.c) */
	bool pending; /* not found yet: libraries loaded later are searched too */
};

struct window_tick {
	uint64_t dt, cpu, cost; /* ns */
};

/* The budget's accounts: what one hit costs, what the probes took over
 * the last WINDOW ticks. */
struct calls_meter {
	struct uprobe_cost cost;
	double usdt_ns;	    /* one hit of a USDT probe with its filter (calls-python.c) */
	uint64_t last_tick; /* CLOCK_MONOTONIC */
	struct window_tick win[WINDOW];
	unsigned win_pos;
};

/* --calls top:N: the N functions with the most own time, chosen again at
 * growing periods. */
struct calls_top {
	unsigned n;
	uint64_t next, period; /* ns since start */
	uint32_t *failed;      /* functions it could not probe */
	size_t nfailed, failed_cap;
};

/* Messages go to stderr as they come, or wait for calls_message() (quiet). */
struct calls_msgs {
	bool quiet;
	char **list;
	size_t n, cap, next;
	char *taken;
};

struct calls {
	double budget; /* percent of the target's CPU time */
	struct profile *p;
	struct procmap *pm;
	struct symbols *sym;
	struct resolver *res;
	struct probeset *ps;		/* NULL until enabled: calibrated, maps created */
	struct latency_pairs *pairs;	/* with --latency */
	struct latency_pairs *py_pairs; /* Python's: their records have no stack pointer */
	bool disabled;			/* uprobes do not work here: said once */
	bool started;
	uint64_t start_ns;
	struct site *sites;
	size_t nsites, sites_cap;
	struct proc *procs;
	size_t nprocs, procs_cap;
	struct spec *specs;
	size_t nspecs, specs_cap;
	char **seen; /* paths already searched for pending names */
	size_t nseen, seen_cap;
	struct calls_meter meter;
	struct calls_top top;
	struct calls_msgs msgs;
};

/* calls.c */
bool calls_enable(struct calls *c, bool with_latency);
void calls_say(struct calls *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *calls_kind_option(enum site_kind k);
uint64_t calls_since_start(const struct calls *c, uint64_t now);
/* A process's CPU time so far; false once it is gone (or a zombie). */
bool calls_proc_cpu(pid_t pid, uint64_t *ns);
/* pid maps path (as the collector's procmap knows it). */
bool calls_proc_maps(struct calls *c, pid_t pid, const char *path);

/* calls-site.c */
struct site *calls_site_find(struct calls *c, uint32_t fn, enum site_kind kind);
/* Count s's calls again after calls_site_remove(); false (said why) if refused. */
bool calls_site_rearm(struct calls *c, struct site *s);
/* Keep probe id (from probeset_add*) as one of s's; id < 0: say err (the
 * kernel's or the set's refusal) and return false. */
bool calls_site_keep_probe(struct calls *c, struct site *s, int id, const char *err);
/* Put s's probes on process pid (all or none). */
void calls_site_place(struct calls *c, struct site *s, pid_t pid);
/* Put s's probes on every live process that maps its file. */
void calls_site_place_all(struct calls *c, struct site *s);
bool calls_site_on(const struct calls *c, const struct site *s, pid_t pid);
/* The processes s's probes are on. */
size_t calls_site_nplaced(const struct calls *c, const struct site *s);
/* Remove s's probes (the count and latencies stay): now, or on the helper
 * thread (mid-run: the event loop must not wait). */
void calls_site_remove(struct calls *c, struct site *s, bool over_budget, bool now);
/* The profile function whose entry is e (the outermost frame there). */
uint32_t calls_entry_function(struct calls *c, const struct func_entry *e);
/* Probe e for kind on pid (or, pid 0, on every live process that maps the file). */
void calls_probe_entry(struct calls *c, enum site_kind kind, const struct func_entry *e, pid_t pid,
		       bool late);

/* calls-python.c */
/* What a USDT hit costs beyond a counting uprobe's: the filter's hash
 * lookup, an estimate (not measured apart: a whole hit measured 7.7 us on
 * the development machine, within the calibrated uprobe's own noise). */
#define USDT_FILTER_NS 60.0
/* The share of a CPython 3.11's CPU time its line marker costs once on
 * (every instruction on the tracing path): a loop without calls ran at
 * 63 ns an iteration, 210 ns with it (5 paired rounds). */
#define PY_LINE_SHARE 0.70
/* spec names a Python function ("py:NAME", "FILE.py:NAME"). */
bool calls_python_spec(const char *spec);
/* Resolve the Python spec sp in imgs (the interpreter's markers); place
 * it on pid (0: every process mapping the interpreter). False while no
 * interpreter with markers is among imgs (at_start: said why). */
bool calls_python_resolve(struct calls *c, struct spec *sp, struct elf_image *const *imgs, size_t n,
			  pid_t pid, bool late, bool at_start);
/* imgs hold a CPython with USDT markers. */
bool calls_python_present(struct elf_image *const *imgs, size_t n);
/* A ring record of a Python site; entries[] counts each slot's calls. */
void calls_python_record(struct calls *c, const struct uprobe_record *rec, uint64_t *entries);
/* Raise s's semaphores in pid (where its probes are): false if pid does
 * not map the interpreter yet, or already had them raised by s. */
bool calls_python_arm(struct calls *c, struct site *s, pid_t pid);
/* Lower every semaphore s raised (in the processes that still map the
 * interpreter where they did). */
void calls_python_disarm(struct site *s);
/* child is a fork of parent: it has the semaphores parent had raised. */
void calls_python_inherit(struct site *s, pid_t child, pid_t parent);
/* pid is gone: nothing of it to lower. */
void calls_python_forget(struct site *s, pid_t pid);
/* Read the probe-hit counters of s (every Python call). */
void calls_python_tick(struct calls *c, struct site *s, uint64_t *traps);
/* Free s->py. */
void calls_python_free(struct py_site *py);

#endif
