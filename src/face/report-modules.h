/* report --modules (report-modules.c): one row per module with samples or
 * memory records: name, path, build id, where its symbols came from and
 * the samples through it. */
#ifndef PROFTOP_REPORT_MODULES_H
#define PROFTOP_REPORT_MODULES_H

#include "report-int.h"

void write_modules(struct report *r);

#endif
