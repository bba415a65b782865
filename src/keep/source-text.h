/* The text of a source file, line by line, from disk or from the copy a
 * saved session carries: one reader for the line view of `report` and of
 * the TUI (annotate). */
#ifndef PROFTOP_SOURCE_TEXT_H
#define PROFTOP_SOURCE_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "profile.h"

/* Source files are read up to this many bytes (more is not source code). */
#define SOURCE_TEXT_MAX (4u << 20)

/* Append path's lines to *lines / *n (line i+1 at index i, line ends
 * stripped, each malloc'd). Only a regular file is read (a FIFO or a
 * device is EINVAL-like failure, never a hang), and at most
 * SOURCE_TEXT_MAX bytes of it. 0, or -1 with errno. */
int source_text_read(const char *path, char ***lines, size_t *n);
/* The same, at most max bytes, and only if the target's owner recorded in
 * owner (prof_meta.owner_*) could read it by its mode bits and ownership
 * (and search every directory to it): proftop may run as root, the text
 * goes into a session. owner NULL: no such check. *bytes (may be NULL)
 * gets the bytes read. */
int source_text_read_as(const char *path, const struct prof_meta *owner, size_t max, char ***lines,
			size_t *n, size_t *bytes);
/* The lines a reopened session saved for path (p->sources is sorted by
 * file then line); lines it did not keep are NULL. False if it kept none. */
bool source_text_saved(const struct profile *p, const char *path, char ***lines, size_t *n);

#endif
