#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "pprof-proto.h"
#include "xalloc.h"

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

static void pb_reserve(struct pb_buf *b, size_t more)
{
	b->data = xgrow(b->data, &b->cap, b->len + more, 1);
}

void pb_free(struct pb_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Encode v at p (room for 10 bytes); returns the bytes written. */
static size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

void pb_varint(struct pb_buf *b, uint64_t v)
{
	pb_reserve(b, 10);
	b->len += varint_put(b->data + b->len, v);
}

static void pb_tag(struct pb_buf *b, unsigned field, unsigned wire)
{
	pb_varint(b, ((uint64_t)field << 3) | wire);
}

void pb_uint64(struct pb_buf *b, unsigned field, uint64_t v)
{
	if (!v)
		return;
	pb_tag(b, field, WIRE_VARINT);
	pb_varint(b, v);
}

void pb_int64(struct pb_buf *b, unsigned field, int64_t v)
{
	pb_uint64(b, field, (uint64_t)v);
}

void pb_bool(struct pb_buf *b, unsigned field, bool v)
{
	pb_uint64(b, field, v ? 1 : 0);
}

void pb_bytes(struct pb_buf *b, unsigned field, const void *data, size_t len)
{
	pb_tag(b, field, WIRE_LEN);
	pb_varint(b, len);
	pb_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
}

void pb_string(struct pb_buf *b, unsigned field, const char *s)
{
	pb_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void pb_packed_uint64(struct pb_buf *b, unsigned field, const uint64_t *v, size_t n)
{
	size_t len = 0, i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		len += varint_size(v[i]);
	pb_tag(b, field, WIRE_LEN);
	pb_varint(b, len);
	pb_reserve(b, len);
	for (i = 0; i < n; i++)
		b->len += varint_put(b->data + b->len, v[i]);
}

void pb_packed_int64(struct pb_buf *b, unsigned field, const int64_t *v, size_t n)
{
	size_t len = 0, i;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		len += varint_size((uint64_t)v[i]);
	pb_tag(b, field, WIRE_LEN);
	pb_varint(b, len);
	pb_reserve(b, len);
	for (i = 0; i < n; i++)
		b->len += varint_put(b->data + b->len, (uint64_t)v[i]);
}

size_t pb_begin(struct pb_buf *b)
{
	return b->len;
}

/* The body's length is known only now: move the body up to make room for
 * the tag and the length in front of it. Messages here are small. */
void pb_end(struct pb_buf *b, unsigned field, size_t start)
{
	size_t body = b->len - start;
	uint64_t tag = ((uint64_t)field << 3) | WIRE_LEN;
	size_t head = varint_size(tag) + varint_size(body);

	pb_reserve(b, head);
	memmove(b->data + start + head, b->data + start, body);
	start += varint_put(b->data + start, tag);
	varint_put(b->data + start, body);
	b->len += head;
}

/* ---- gzip ---- */

int gz_start(struct gz_out *g, FILE *f)
{
	memset(&g->zs, 0, sizeof(g->zs));
	g->f = f;
	g->failed = false;
	/* 16 + MAX_WBITS: a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&g->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	return 0;
}

static void gz_pump(struct gz_out *g, int flush)
{
	int rc;

	do {
		size_t have;

		g->zs.next_out = g->buf;
		g->zs.avail_out = sizeof(g->buf);
		rc = deflate(&g->zs, flush);
		if (rc == Z_STREAM_ERROR) {
			g->failed = true;
			return;
		}
		have = sizeof(g->buf) - g->zs.avail_out;
		if (have && fwrite(g->buf, 1, have, g->f) != have) {
			g->failed = true;
			return;
		}
	} while (g->zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void gz_write(struct gz_out *g, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len && !g->failed) {
		/* avail_in is 32 bits wide. */
		uInt chunk = len > (1u << 30) ? (1u << 30) : (uInt)len;

		g->zs.next_in = (Bytef *)p;
		g->zs.avail_in = chunk;
		gz_pump(g, Z_NO_FLUSH);
		p += chunk;
		len -= chunk;
	}
}

int gz_finish(struct gz_out *g)
{
	if (!g->failed) {
		g->zs.next_in = NULL;
		g->zs.avail_in = 0;
		gz_pump(g, Z_FINISH);
	}
	deflateEnd(&g->zs);
	return g->failed ? -1 : 0;
}
