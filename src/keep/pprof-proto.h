/* A minimal protocol buffers encoder (what pprof's profile.proto needs:
 * varints, length-delimited fields, packed repeated integers, nested
 * messages) and a gzip stream over a FILE. No protobuf library: the wire
 * format is small and stable. */
#ifndef PROFTOP_PPROF_PROTO_H
#define PROFTOP_PPROF_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

/* A growable byte buffer holding encoded fields. */
struct pb_buf {
	uint8_t *data;
	size_t len, cap;
};

void pb_free(struct pb_buf *b);
static inline void pb_reset(struct pb_buf *b)
{
	b->len = 0;
}

void pb_varint(struct pb_buf *b, uint64_t v);
/* Scalar fields; proto3 leaves out zero values, and so do these. */
void pb_uint64(struct pb_buf *b, unsigned field, uint64_t v);
/* int64 is two's complement on the wire, not zigzag (that is sint64). */
void pb_int64(struct pb_buf *b, unsigned field, int64_t v);
void pb_bool(struct pb_buf *b, unsigned field, bool v);
/* A length-delimited field, always written (an empty string too). */
void pb_bytes(struct pb_buf *b, unsigned field, const void *data, size_t len);
void pb_string(struct pb_buf *b, unsigned field, const char *s);
/* A packed repeated uint64 / int64 field; nothing when n == 0. */
void pb_packed_uint64(struct pb_buf *b, unsigned field, const uint64_t *v, size_t n);
void pb_packed_int64(struct pb_buf *b, unsigned field, const int64_t *v, size_t n);
/* A nested message: encode its fields after pb_begin(), then pb_end()
 * wraps them as field number field. Nests. */
size_t pb_begin(struct pb_buf *b);
void pb_end(struct pb_buf *b, unsigned field, size_t start);

/* gzip (RFC 1952) written to a FILE as it is fed. */
struct gz_out {
	z_stream zs;
	FILE *f;
	bool failed; /* zlib or the FILE failed; gz_finish reports it */
	uint8_t buf[16384];
};

/* Returns 0, or -1 if zlib cannot start (out of memory). */
int gz_start(struct gz_out *g, FILE *f);
void gz_write(struct gz_out *g, const void *data, size_t len);
/* Flush the stream and free zlib's state. Returns 0, or -1 on any failure
 * since gz_start (the FILE's own error is left in ferror()). */
int gz_finish(struct gz_out *g);

#endif
