/* How report records are written: rows built of fields, printed as CSV
 * or JSON (the strings themselves: text.h). */
#ifndef PROFTOP_REPORT_EMIT_H
#define PROFTOP_REPORT_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "text.h"

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

void csv_header(FILE *out, const struct field *f, size_t n);
void write_record(FILE *out, enum report_format fmt, const struct field *f, size_t n);

#endif
