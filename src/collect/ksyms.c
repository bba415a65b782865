#include "config.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "ksyms.h"
#include "profile.h"
#include "xalloc.h"

struct ksym {
	uint64_t addr;
	uint32_t name;	 /* offset in names */
	uint32_t module; /* index in mods; 0: "[kernel]" */
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char *names; /* every name, NUL-terminated, back to back */
	size_t names_len, names_cap;
	char **mods; /* "[kernel]", "[kernel:MOD]"... */
	size_t nmods, mods_cap;
	char why[256];
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The whole file: /proc/kallsyms has no size to stat. NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	size_t cap = 1 << 20, n = 0;
	char *buf;
	ssize_t r;

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap + 1);
	while ((r = read(fd, buf + n, cap - n)) > 0) {
		n += (size_t)r;
		if (n == cap)
			buf = xgrow(buf, &cap, cap * 2 + 1, 1), cap--;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static uint32_t module_index(struct ksyms *k, const char *mod, size_t len)
{
	if (k->nmods > 1 && !strncmp(k->mods[k->nmods - 1] + 8, mod, len) &&
	    k->mods[k->nmods - 1][8 + len] == ']')
		return (uint32_t)(k->nmods - 1); /* a module's symbols come together */
	k->mods = xgrow(k->mods, &k->mods_cap, k->nmods + 1, sizeof(*k->mods));
	k->mods[k->nmods] = xasprintf("[kernel:%.*s]", (int)len, mod);
	return (uint32_t)k->nmods++;
}

/* One line: "ADDR TYPE NAME[\t[MODULE]]". Keeps text symbols with an address. */
static void parse_line(struct ksyms *k, char *line, size_t *zero)
{
	char *end, *name, *mod = NULL;
	uint64_t addr = strtoull(line, &end, 16);
	size_t nlen, mlen = 0;

	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
		return;
	if (end[1] != 't' && end[1] != 'T')
		return;
	if (!addr) {
		(*zero)++;
		return;
	}
	name = end + 3;
	nlen = strcspn(name, "\t \n");
	mod = name + nlen + strspn(name + nlen, "\t ");
	if (*mod == '[') {
		mod++;
		mlen = strcspn(mod, "]\n");
	} else {
		mod = NULL;
	}
	k->syms = xgrow(k->syms, &k->cap, k->n + 1, sizeof(*k->syms));
	k->names = xgrow(k->names, &k->names_cap, k->names_len + nlen + 1, 1);
	memcpy(k->names + k->names_len, name, nlen);
	k->names[k->names_len + nlen] = '\0';
	k->syms[k->n++] = (struct ksym){
		.addr = addr,
		.name = (uint32_t)k->names_len,
		.module = mod ? module_index(k, mod, mlen) : 0,
	};
	k->names_len += nlen + 1;
}

struct ksyms *ksyms_load(const char *path)
{
	struct ksyms *k = xcalloc(1, sizeof(*k));
	size_t len = 0, zero = 0;
	char *text = slurp(path, &len), *line, *nl;
	bool sorted = true;

	k->mods = xgrow(k->mods, &k->mods_cap, 1, sizeof(*k->mods));
	k->mods[k->nmods++] = xstrdup(PROF_KERNEL_MODULE);
	if (!text) {
		snprintf(k->why, sizeof(k->why),
			 "kernel functions show as [kernel]: cannot read %s", path);
		return k;
	}
	for (line = text; line < text + len; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = text + len;
		*nl = '\0';
		parse_line(k, line, &zero);
		if (k->n > 1 && k->syms[k->n - 1].addr < k->syms[k->n - 2].addr)
			sorted = false;
	}
	free(text);
	if (!k->n && zero)
		snprintf(k->why, sizeof(k->why),
			 "kernel functions show as [kernel]: %s hides their addresses "
			 "(kernel.kptr_restrict=%d); run as root, or sysctl kernel.kptr_restrict=0",
			 path, file_read_int("/proc/sys/kernel/kptr_restrict", -1));
	else if (!k->n)
		snprintf(k->why, sizeof(k->why), "kernel functions show as [kernel]: %s lists none",
			 path);
	if (!sorted) /* the core kernel comes sorted; modules may not */
		qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nmods; i++)
		free(k->mods[i]);
	free(k->mods);
	free(k->names);
	free(k->syms);
	free(k);
}

const char *ksyms_lookup(const struct ksyms *k, uint64_t addr, uint64_t *start, const char **module)
{
	size_t lo = 0, hi = k->n;

	/* the last symbol at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	*start = k->syms[lo - 1].addr;
	*module = k->mods[k->syms[lo - 1].module];
	return k->names + k->syms[lo - 1].name;
}

const char *ksyms_why(const struct ksyms *k)
{
	return k->why[0] ? k->why : NULL;
}
