#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source-text.h"
#include "xalloc.h"

int source_text_read(const char *path, char ***lines, size_t *n)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lines_cap = *n;
	ssize_t len;
	int err;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		*lines = xgrow(*lines, &lines_cap, *n + 1, sizeof(**lines));
		(*lines)[(*n)++] = xstrndup(line, (size_t)len);
	}
	err = ferror(f) ? (errno ? errno : EIO) : 0; /* a directory fails here (EISDIR) */
	free(line);
	fclose(f);
	errno = err;
	return err && !*n ? -1 : 0;
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
