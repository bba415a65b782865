/* Text for people and for other programs: terminal-safe names, human
 * counts, sizes and signal names, CSV fields and JSON strings. Every
 * writer of reports, exports and screens uses these, so a name is escaped
 * the same way everywhere. */
#ifndef PROFTOP_TEXT_H
#define PROFTOP_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* s with control characters shown as '?' (names come from the target's binaries). */
void put_safe(FILE *out, const char *s);
/* 1,234,567 */
char *fmt_count(uint64_t v, char *buf, size_t len);
/* 12 B, 1.5 KiB, 3.2 GiB */
char *fmt_bytes(uint64_t v, char *buf, size_t len);
/* SIGSEGV, or "signal N" */
char *fmt_signal(int sig, char *buf, size_t len);
/* A JSON string; NULL becomes null, invalid UTF-8 becomes U+FFFD. */
void json_str(FILE *out, const char *str);
/* A CSV field, quoted when it holds a comma, a quote or a line break; NULL is empty. */
void csv_field(FILE *out, const char *s);

#endif
