/* Allocation that cannot fail: on exhaustion proftop restores the terminal
 * (through the registered cleanup hook) and exits with status 1. */
#ifndef PROFTOP_XALLOC_H
#define PROFTOP_XALLOC_H

#include <stddef.h>
#include <stdarg.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Grow *p (holding *cap elements of elem bytes) so that it holds at least need. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Called once before a fatal exit (out of memory, fatal signal): the TUI
 * registers endwin() here. */
void fatal_set_cleanup(void (*fn)(void));
void fatal_cleanup(void);
/* Print "proftop: <msg>" on stderr after running the cleanup hook, exit 1. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Program name used in messages ("proftop"). */
extern const char *progname;
/* One-line diagnostic "proftop: <msg>" on stderr. */
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
