/* Files proftop writes and reads, safely when run as root in directories
 * other people can write to.
 *
 * Output: an existing path that is not a regular file owned by the caller
 * (a symbolic link, a device, a FIFO, someone else's file) is refused;
 * nothing is followed. The new content goes to a temporary file created
 * O_EXCL, mode 0600, in the same directory, is synced, and renamed over the
 * path only when complete, so a failure (a full disk) leaves the old file
 * intact and no temporary file behind.
 *
 * Input: opened non-blocking (a FIFO cannot hang us), refused unless it is a
 * regular file, read with a bound.
 *
 * Errors: -1 (or NULL) with a one-line message naming the file in err. */
#ifndef PROFTOP_FILE_H
#define PROFTOP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* The mode of every file proftop writes. */
#define FILE_OUT_MODE 0600

/* A file being written. */
struct file_out {
	char *path; /* the final name (owned) */
	char *tmp;  /* the temporary file beside it, until commit or abort (owned) */
	int fd;	    /* on tmp, or -1 */
	FILE *f;    /* over fd once file_out_stream() gave it */
};

/* 0 if path may be written: it does not exist, or is a regular file owned
 * by the caller. Else -1 with "cannot write PATH: it is ...; fix". */
int file_out_check(const char *path, char *err, size_t errlen);
/* Check path and create its temporary file. 0, or -1 with err and o empty. */
int file_out_begin(struct file_out *o, const char *path, char *err, size_t errlen);
/* A stdio stream over the temporary file (owned by o). */
FILE *file_out_stream(struct file_out *o);
/* Close the temporary file (the stream's write errors become err), sync it,
 * check path again and rename over it. 0, or -1 with err after removing the
 * temporary file. o is empty after either. */
int file_out_commit(struct file_out *o, char *err, size_t errlen);
/* Remove the temporary file; o is empty after. Safe on an empty o. */
void file_out_abort(struct file_out *o);

/* Open path for reading, non-blocking, only if it is a regular file (then
 * blocking again). The fd, or -1 with "cannot open PATH: why" (errno: the
 * open's, or EISDIR, or EINVAL for a FIFO, device or socket). st may be
 * NULL. */
int file_in_open(const char *path, struct stat *st, char *err, size_t errlen);
/* Read at most max bytes of a regular file into a NUL-terminated buffer
 * (caller frees). *truncated says there was more. 0, or -1 with errno. */
int file_read_bounded(int fd, size_t max, char **buf, size_t *len, bool *truncated);

/* The directory part of path ("." or "/" when it has none); caller frees. */
char *file_dir_of(const char *path);

/* The number a small file holds (/proc/sys/...), or dflt. */
int file_read_int(const char *path, int dflt);

#endif
