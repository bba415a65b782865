#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "python-read.h"
#include "xalloc.h"

static bool read_direct(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = {.iov_base = buf, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)addr, .iov_len = len};

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)len;
}

void py_mem_reset(struct py_mem *m, pid_t pid)
{
	m->pid = pid;
	m->next = 0;
	memset(m->page, 0, sizeof(m->page));
}

/* The slot holding the page at addr (page aligned), read if need be; -1 if
 * the page is unreadable. */
static int page_slot(struct py_mem *m, uint64_t page)
{
	unsigned s;

	for (s = 0; s < PY_PAGES; s++)
		if (m->page[s] == page)
			return (int)s;
	s = m->next;
	m->next = (m->next + 1) % PY_PAGES;
	m->syscalls++;
	if (!read_direct(m->pid, page, m->data[s], PY_PAGE)) {
		m->page[s] = 0;
		return -1;
	}
	m->page[s] = page;
	return (int)s;
}

bool py_read(struct py_mem *m, uint64_t addr, void *buf, size_t len)
{
	uint64_t page = addr & ~(uint64_t)(PY_PAGE - 1);
	size_t off = addr - page, first;
	int s;

	if (len == 0)
		return true;
	if (addr < PY_PAGE || addr + len < addr)
		return false;
	if (m->over) {
		for (size_t i = 0; i < m->nover; i++) {
			const struct py_span *sp = &m->over[i];

			if (addr >= sp->addr && addr - sp->addr <= sp->len &&
			    len <= sp->len - (addr - sp->addr)) {
				memcpy(buf, sp->data + (addr - sp->addr), len);
				return true;
			}
		}
		return false;
	}
	if (off + len > 2 * PY_PAGE) {
		m->syscalls++;
		return read_direct(m->pid, addr, buf, len);
	}
	if ((s = page_slot(m, page)) < 0)
		return false;
	first = off + len > PY_PAGE ? PY_PAGE - off : len;
	memcpy(buf, m->data[s] + off, first);
	if (first == len)
		return true;
	if ((s = page_slot(m, page + PY_PAGE)) < 0)
		return false;
	memcpy((uint8_t *)buf + first, m->data[s], len - first);
	return true;
}

bool py_read_u64(struct py_mem *m, uint64_t addr, uint64_t *v)
{
	return py_read(m, addr, v, sizeof(*v));
}

/* Append code point cp as UTF-8 if it fits (with the NUL). */
static bool put_utf8(char *out, size_t outlen, size_t *at, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else if (cp < 0x110000) {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	} else {
		b[0] = '?';
		n = 1;
	}
	if (*at + n >= outlen)
		return false;
	memcpy(out + *at, b, n);
	*at += n;
	return true;
}

bool py_read_str(struct py_mem *m, uint64_t addr, const struct py_str_layout *l, char *out,
		 size_t outlen)
{
	uint8_t raw[PY_STR_MAX * 4];
	uint64_t length;
	uint32_t state;
	unsigned kind;
	size_t at = 0, n;

	if (outlen == 0 || !py_read_u64(m, addr + l->length, &length) ||
	    !py_read(m, addr + l->state, &state, sizeof(state)))
		return false;
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1) || (kind != 1 && kind != 2 && kind != 4))
		return false; /* not compact (legacy strings), or garbage */
	n = length < PY_STR_MAX ? (size_t)length : PY_STR_MAX;
	if (!py_read(m, addr + (((state >> 6) & 1) ? l->ascii_size : l->compact_size), raw,
		     n * kind))
		return false;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp;

		if (kind == 1)
			cp = raw[i];
		else if (kind == 2)
			cp = (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
		else
			memcpy(&cp, raw + 4 * i, 4);
		if (!put_utf8(out, outlen, &at, cp))
			break;
	}
	out[at] = '\0';
	return true;
}

bool py_read_bytes(struct py_mem *m, uint64_t addr, size_t max, uint8_t **out, size_t *len)
{
	uint64_t size;
	uint8_t *buf;

	if (!py_read_u64(m, addr + 16, &size) || size > max)
		return false;
	buf = xmalloc(size ? size : 1);
	if (!py_read(m, addr + 32, buf, size)) {
		free(buf);
		return false;
	}
	*out = buf;
	*len = size;
	return true;
}

/* A varint of the location table: 6-bit chunks, low first, 0x40 = more. */
static bool read_varint(const uint8_t *tab, size_t len, size_t *at, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	for (;;) {
		uint8_t b;

		if (*at >= len || shift > 60)
			return false;
		b = tab[(*at)++];
		*v |= (uint64_t)(b & 0x3f) << shift;
		shift += 6;
		if (!(b & 0x40))
			return true;
	}
}

static bool read_svarint(const uint8_t *tab, size_t len, size_t *at, int64_t *v)
{
	uint64_t u;

	if (!read_varint(tab, len, at, &u))
		return false;
	*v = (u & 1) ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
	return true;
}

/* Entries: a start byte (bit 7 set; code in bits 3-6; code units covered
 * minus one in bits 0-2), then what the code says: 15 no location, 14 the
 * long form (line delta, end line delta, columns), 13 a line delta only,
 * 10-12 a line delta of code - 10 and two column bytes, 0-9 one column
 * byte on the same line. */
int py_linetable_line(const uint8_t *tab, size_t len, int firstlineno, uint64_t instr)
{
	int64_t line = firstlineno;
	uint64_t addr = 0, skip;
	size_t at = 0;

	while (at < len) {
		uint8_t first = tab[at++];
		unsigned code = (first >> 3) & 15;
		uint64_t units = (first & 7) + 1u;
		int64_t delta = 0;
		bool has_line = true;

		if (!(first & 0x80))
			return 0; /* not an entry's start: a corrupt table */
		switch (code) {
		case 15:
			has_line = false;
			break;
		case 14:
			if (!read_svarint(tab, len, &at, &delta))
				return 0;
			for (int i = 0; i < 3; i++)
				if (!read_varint(tab, len, &at, &skip))
					return 0;
			break;
		case 13:
			if (!read_svarint(tab, len, &at, &delta))
				return 0;
			break;
		case 12:
		case 11:
		case 10:
			delta = code - 10;
			at += 2;
			break;
		default:
			at += 1;
			break;
		}
		if (at > len)
			return 0;
		line += delta;
		if (line < -(1 << 30) || line > (1 << 30))
			return 0;
		if (instr < addr + units)
			return has_line && line > 0 ? (int)line : 0;
		addr += units;
	}
	return 0;
}
