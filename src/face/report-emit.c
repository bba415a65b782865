#include "config.h"

#include <inttypes.h>

#include "report-emit.h"

void csv_header(FILE *out, const struct field *f, size_t n)
{
	for (size_t i = 0, k = 0; i < n; i++)
		if (f[i].where != JSON_ONLY)
			fprintf(out, "%s%s", k++ ? "," : "", f[i].key);
	putc('\n', out);
}

void write_record(FILE *out, enum report_format fmt, const struct field *f, size_t n)
{
	bool json = fmt == REPORT_JSON;

	if (json)
		putc('{', out);
	for (size_t i = 0, k = 0; i < n; i++) {
		if (f[i].where == (json ? CSV_ONLY : JSON_ONLY))
			continue;
		if (k++)
			putc(',', out);
		if (json) {
			json_str(out, f[i].key);
			putc(':', out);
		}
		if (f[i].null)
			fputs(json ? "null" : "", out);
		else if (f[i].kind == F_STR)
			(json ? json_str : csv_field)(out, f[i].s);
		else if (f[i].kind == F_INT)
			fprintf(out, "%" PRId64, f[i].i);
		else if (f[i].kind == F_REAL)
			fprintf(out, "%.*f", f[i].prec, f[i].d);
		else
			fputs(f[i].i ? "true" : "false", out);
	}
	fputs(json ? "}" : "\n", out);
}
