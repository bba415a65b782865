/* The process table behind the picker (proftop with no target): every
 * process of the system with its user, CPU% over the last interval, RSS,
 * thread count and command line, sorted by any column and narrowed by a
 * substring, as htop's main screen. Reads /proc (or another root, for the
 * tests); knows nothing of the terminal.
 *
 * Ownership: the list owns its entries and their strings; the pointers it
 * hands out stay valid until the next proclist_scan() or proclist_free(). */
#ifndef PROFTOP_PROCLIST_H
#define PROFTOP_PROCLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum proclist_col { PL_PID, PL_USER, PL_STATE, PL_CPU, PL_RSS, PL_THREADS, PL_COMMAND, PL_NCOLS };

struct proc_entry {
	pid_t pid;
	uid_t uid;
	const char *user; /* login name, or the uid in decimal */
	double cpu_pct;	  /* of one CPU over the last interval; 0 after the first scan */
	uint64_t rss;	  /* bytes */
	unsigned threads;
	char state;	     /* R, S, D, T, t, Z, ... */
	bool kernel_thread;  /* no user space: nothing to profile */
	const char *comm;    /* the short name (at most 15 characters) */
	const char *command; /* the command line, space-joined; "[comm]" if it has none */
	/* private to proclist.c */
	uint64_t ticks, start_time;
};

struct proclist;

/* proc_root: "/proc", or a directory laid out like it (tests). */
struct proclist *proclist_new(const char *proc_root);
void proclist_free(struct proclist *pl);

/* Read every process again; now_ns (CLOCK_MONOTONIC) is when, for CPU%
 * over the time since the previous scan. Keeps the sort and the filter.
 * Returns 0, or -1 with errno if proc_root cannot be read. */
int proclist_scan(struct proclist *pl, uint64_t now_ns);

/* Sort by col, descending for numbers (CPU, RSS, threads: the busy ones
 * first) and ascending for PID, user and command; reverse flips it. Ties
 * go by pid. */
void proclist_sort(struct proclist *pl, enum proclist_col col, bool reverse);
enum proclist_col proclist_sort_col(const struct proclist *pl);
bool proclist_sort_reversed(const struct proclist *pl);

/* Show only processes whose command, name, user or pid contains needle,
 * case-insensitively; NULL or "" shows all. The needle is copied. */
void proclist_filter(struct proclist *pl, const char *needle);
const char *proclist_filter_text(const struct proclist *pl);
/* Kernel threads (default: hidden; they cannot be profiled). */
void proclist_show_kernel(struct proclist *pl, bool show);

/* The rows shown, in order. */
size_t proclist_count(const struct proclist *pl);
const struct proc_entry *proclist_get(const struct proclist *pl, size_t i);
/* The row of pid, or -1 if it is not shown. */
ssize_t proclist_index(const struct proclist *pl, pid_t pid);

/* "PID", "USER", "S", "CPU%", "RSS", "THR", "COMMAND". */
const char *proclist_col_name(enum proclist_col col);
/* Parse a column name as proclist_col_name gives it or lower-case ("cpu",
 * "rss", "threads", "command"); -1 if unknown. */
int proclist_parse_col(const char *s);

/* The word for a /proc/PID/stat state letter, as ps(1) explains them:
 * "running", "sleeping", "disk wait", "stopped", "traced", "zombie", "dead",
 * "idle"; "?" for others. */
const char *proclist_state_name(char state);

/* The state letter of pid from PROC_ROOT/PID/stat (proc_root NULL: /proc),
 * and, when it is 't' (traced), its TracerPid in *tracer (else 0; tracer
 * may be NULL). '\0' if the process is gone. */
char proclist_read_state(const char *proc_root, pid_t pid, pid_t *tracer);

#endif
