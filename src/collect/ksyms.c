#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "ksyms.h"
#include "xalloc.h"

struct ksym {
	uint64_t addr;
	const char *name;   /* into the arena */
	const char *module; /* "[kernel]", or "[kernel:MOD]" into the arena */
};

struct ksyms {
	struct ksym *syms;
	size_t n, cap;
	char **arena; /* one allocation per name, freed together */
	size_t narena, arena_cap;
	char why[256];
};

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static char *keep(struct ksyms *k, const char *s)
{
	char *c = xstrdup(s);

	k->arena = xgrow(k->arena, &k->arena_cap, k->narena + 1, sizeof(*k->arena));
	k->arena[k->narena++] = c;
	return c;
}

struct ksyms *ksyms_load(const char *path)
{
	struct ksyms *k = xcalloc(1, sizeof(*k));
	FILE *f = fopen(path, "r");
	char line[512], name[256], mod[128], type;
	const char *last_mod = NULL;
	unsigned long long addr;
	size_t zero = 0;

	if (!f) {
		snprintf(k->why, sizeof(k->why),
			 "kernel functions show as [kernel]: cannot read %s", path);
		return k;
	}
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name, mod);

		if (n < 3 || (type != 't' && type != 'T'))
			continue;
		if (!addr) {
			zero++;
			continue;
		}
		k->syms = xgrow(k->syms, &k->cap, k->n + 1, sizeof(*k->syms));
		/* "[kernel:" is 8 characters; a module's symbols come together */
		if (n == 4 && (!last_mod || strncmp(last_mod + 8, mod, strlen(mod)) ||
			       last_mod[8 + strlen(mod)] != ']')) {
			char buf[160];

			snprintf(buf, sizeof(buf), "[kernel:%s]", mod);
			last_mod = keep(k, buf);
		}
		k->syms[k->n++] = (struct ksym){.addr = addr,
						.name = keep(k, name),
						.module = n == 4 ? last_mod : "[kernel]"};
	}
	fclose(f);
	if (!k->n && zero)
		snprintf(k->why, sizeof(k->why),
			 "kernel functions show as [kernel]: %s hides their addresses "
			 "(kernel.kptr_restrict=%d); run as root, or sysctl kernel.kptr_restrict=0",
			 path, file_read_int("/proc/sys/kernel/kptr_restrict", -1));
	else if (!k->n)
		snprintf(k->why, sizeof(k->why), "kernel functions show as [kernel]: %s lists none",
			 path);
	if (k->n)
		qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->narena; i++)
		free(k->arena[i]);
	free(k->arena);
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
	*module = k->syms[lo - 1].module;
	return k->syms[lo - 1].name;
}

const char *ksyms_why(const struct ksyms *k)
{
	return k->why[0] ? k->why : NULL;
}
