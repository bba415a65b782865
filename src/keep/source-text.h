/* The text of a source file, line by line, from disk or from the copy a
 * saved session carries: one reader for the line view of `report` and of
 * the TUI (annotate). */
#ifndef PROFTOP_SOURCE_TEXT_H
#define PROFTOP_SOURCE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "profile.h"

/* Append path's lines to *lines / *n (line i+1 at index i, line ends
 * stripped, each malloc'd). 0, or -1 with errno when nothing could be read
 * (a file that fails midway keeps the lines read so far). */
int source_text_read(const char *path, char ***lines, size_t *n);
/* The lines a reopened session saved for path (p->sources is sorted by
 * file then line); lines it did not keep are NULL. False if it kept none. */
bool source_text_saved(const struct profile *p, const char *path, char ***lines, size_t *n);

#endif
