#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "source-text.h"
#include "xalloc.h"

static bool caller_in_group(gid_t gid)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* Whether the target's owner (meta; NULL: anybody at all) holds permission
 * bit `bits` of a file (S_IROTH-scaled: 4 read, 1 search) by its mode and
 * ownership: root gets no bypass, ACLs are not consulted. */
static bool owner_has(const struct prof_meta *m, const struct stat *st, unsigned bits)
{
	const char *g;

	uid_t uid;
	gid_t gid;
	bool in_group;

	if (!m)
		return true;
	/* Unknown (a profile not collected by proftop): proftop's own ids,
	 * still without root's bypass. */
	uid = m->owner_known ? m->owner_uid : geteuid();
	gid = m->owner_known ? m->owner_gid : getegid();
	if (st->st_uid == uid)
		return ((st->st_mode >> 6) & bits) == bits;
	in_group = st->st_gid == gid;
	if (!m->owner_known && !in_group)
		in_group = caller_in_group(st->st_gid);
	for (g = m->owner_known ? m->owner_groups : NULL; g && *g && !in_group;) {
		char *end;
		unsigned long id = strtoul(g, &end, 10);

		if (end == g)
			break;
		in_group = id == st->st_gid;
		g = end + strspn(end, " \t");
	}
	if (in_group)
		return ((st->st_mode >> 3) & bits) == bits;
	return (st->st_mode & bits) == bits;
}

/* Every directory on the way to the file at real path must be searchable. */
static bool owner_reaches(const struct prof_meta *m, const char *real)
{
	char *dir = xstrdup(real);
	bool ok = true;
	struct stat st;

	for (char *slash = strrchr(dir, '/'); ok && slash; slash = strrchr(dir, '/')) {
		*slash = '\0';
		if (stat(*dir ? dir : "/", &st) < 0 || !owner_has(m, &st, 1))
			ok = false;
		if (!*dir)
			break;
	}
	free(dir);
	return ok;
}

static void split_lines(char *buf, size_t len, bool truncated, char ***lines, size_t *n)
{
	size_t cap = *n;
	char *p = buf, *end = buf + len;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l;

		if (!nl && truncated)
			break; /* the line the bound cut in two */
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (l > 0 && p[l - 1] == '\r')
			l--;
		*lines = xgrow(*lines, &cap, *n + 1, sizeof(**lines));
		(*lines)[(*n)++] = xstrndup(p, l); /* a NUL byte ends the line */
		p = nl ? nl + 1 : end;
	}
}

int source_text_read_as(const char *path, const struct prof_meta *owner, size_t max, char ***lines,
			size_t *n, size_t *bytes)
{
	char err[256], *buf, *real;
	struct stat st;
	bool truncated;
	size_t len;
	int fd, e;

	fd = file_in_open(path, &st, err, sizeof(err)); /* no FIFO, no device */
	if (fd < 0)
		return -1;
	if (owner && (!owner_has(owner, &st, 4) || !(real = realpath(path, NULL)))) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	if (owner) {
		bool ok = owner_reaches(owner, real);

		free(real);
		if (!ok) {
			close(fd);
			errno = EACCES;
			return -1;
		}
	}
	if (file_read_bounded(fd, max, &buf, &len, &truncated) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	split_lines(buf, len, truncated, lines, n);
	if (bytes)
		*bytes = len;
	free(buf);
	return 0;
}

int source_text_read(const char *path, char ***lines, size_t *n)
{
	return source_text_read_as(path, NULL, SOURCE_TEXT_MAX, lines, n, NULL);
}

bool source_text_saved(const struct profile *p, const char *path, char ***lines, size_t *n)
{
	size_t lo = 0, hi = p->nsources, cap = *n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(p->sources[mid].file, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->nsources && !strcmp(p->sources[lo].file, path); lo++) {
		const struct prof_source_line *sl = &p->sources[lo];

		if (sl->line <= 0 || !sl->text)
			continue;
		*lines = xgrow(*lines, &cap, (size_t)sl->line, sizeof(**lines));
		while (*n < (size_t)sl->line)
			(*lines)[(*n)++] = NULL;
		free((*lines)[sl->line - 1]);
		(*lines)[sl->line - 1] = xstrdup(sl->text);
	}
	return *n > 0;
}
