/* Exporters: a profile (live or loaded from a session) in the formats other
 * tools read: folded stacks, speedscope JSON, pprof (gzipped profile.proto)
 * and callgrind. Each format is one const table entry; the writers only read
 * the model, so they work the same on a live profile and a loaded one. */
#ifndef PROFTOP_EXPORT_H
#define PROFTOP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "profile.h"
#include "query.h"

/* What a count means in the formats that have one number per stack or line
 * (folded, callgrind). speedscope and pprof always carry nanoseconds (pprof
 * carries both). EXPORT_WEIGHT_BYTES exports memory instead of time from
 * folded and speedscope: the bytes the heap and anonymous-mmap records
 * stand for (prof_alloc.bytes); callgrind and pprof carry those beside
 * time whenever the profile has such records, and count samples then. */
enum export_weight {
	EXPORT_WEIGHT_SAMPLES, /* number of samples (the default) */
	EXPORT_WEIGHT_NS,      /* CPU nanoseconds */
	EXPORT_WEIGHT_BYTES,   /* bytes allocated */
};

struct export_opts {
	enum export_weight weight;
	struct query_filter filter; /* only the samples that pass; all zero: every sample */
};

struct export_format {
	const char *name;	 /* as given to -f: "folded", "pprof", ... */
	const char *description; /* one line, for --help and errors */
	const char *extension;	 /* usual file suffix, with the dot */
	bool binary;		 /* not text: refuse to write it to a terminal */
	bool memory;		 /* carries memory records beside samples */
	/* Write the whole export to out. Returns 0, or -1 with a one-line reason
	 * in err (errors of out itself are the caller's to check: ferror). */
	int (*write)(FILE *out, const struct profile *p, const struct export_opts *o, char *err,
		     size_t errlen);
};

/* Every format, in the order of the documentation, ended by NULL. */
extern const struct export_format *const export_table[];

/* The format called name, or NULL. */
const struct export_format *export_find(const char *name);

/* Write p in fmt to path, atomically: into a temporary file (mode 0600) in
 * path's directory, renamed over path only when complete, so a failure never
 * leaves a half file under the final name. A path that is a symbolic link, a
 * device, a FIFO or another user's file is refused (file.h). path "-" or
 * NULL writes to stdout (a binary format not to a terminal). A profile
 * with nothing to export (no sample passing o->filter, nor, for a format
 * with memory, a memory record; with EXPORT_WEIGHT_BYTES no heap or mmap
 * record) is an error. Returns
 * 0, or -1 with a one-line reason naming the problem in err. */
int export_to_file(const struct export_format *fmt, const char *path, const struct profile *p,
		   const struct export_opts *o, char *err, size_t errlen);

/* Parse "samples" | "ns" (also "nanoseconds") | "bytes" for --weight; -1
 * if unknown. */
int export_parse_weight(const char *s, enum export_weight *out);

#endif
