/* How report values are written: terminal-safe names, human counts,
 * sizes and signals, CSV/JSON strings, and records built of fields. */
#ifndef PROFTOP_REPORT_EMIT_H
#define PROFTOP_REPORT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* One value of a CSV/JSON record. Function rows, line rows and memory
 * rows are built as fields once; the two formats only differ in how they
 * print them, so their columns cannot drift apart. */
enum field_kind { F_STR, F_INT, F_REAL, F_BOOL };
enum { BOTH, CSV_ONLY, JSON_ONLY };

struct field {
	const char *key;
	enum field_kind kind;
	int where; /* BOTH, CSV_ONLY, JSON_ONLY */
	bool null; /* unknown: an empty CSV field, JSON null */
	int prec;  /* decimals of F_REAL */
	const char *s;
	int64_t i; /* F_INT, F_BOOL */
	double d;
};

#define FSTR(k, v)     ((struct field){.key = (k), .kind = F_STR, .s = (v), .null = !(v)})
#define FINT(k, v)     ((struct field){.key = (k), .kind = F_INT, .i = (int64_t)(v)})
#define FREAL(k, v, p) ((struct field){.key = (k), .kind = F_REAL, .d = (v), .prec = (p)})
#define FBOOL(k, v)    ((struct field){.key = (k), .kind = F_BOOL, .i = (v), .where = JSON_ONLY})

void put_safe(FILE *out, const char *s);
char *fmt_count(uint64_t v, char *buf, size_t len);
char *fmt_bytes(uint64_t v, char *buf, size_t len);
char *fmt_signal(int sig, char *buf, size_t len);
void json_str(FILE *out, const char *str);
/* A CSV field, quoted when it holds a comma, a quote or a line break; NULL is empty. */
void csv_field(FILE *out, const char *s);
void csv_header(FILE *out, const struct field *f, size_t n);
void write_record(FILE *out, enum report_format fmt, const struct field *f, size_t n);

#endif
