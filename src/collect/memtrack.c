#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "memtrack.h"
#include "xalloc.h"

void memtrack_init(struct memtrack *m)
{
	m->pids = NULL;
	m->npids = m->cap = 0;
	m->page_size = sysconf(_SC_PAGESIZE);
}

void memtrack_free(struct memtrack *m)
{
	free(m->pids);
	m->pids = NULL;
	m->npids = m->cap = 0;
}

void memtrack_add(struct memtrack *m, pid_t pid)
{
	for (size_t i = 0; i < m->npids; i++)
		if (m->pids[i] == pid)
			return;
	m->pids = xgrow(m->pids, &m->cap, m->npids + 1, sizeof(*m->pids));
	m->pids[m->npids++] = pid;
}

void memtrack_remove(struct memtrack *m, pid_t pid)
{
	for (size_t i = 0; i < m->npids; i++) {
		if (m->pids[i] == pid) {
			m->pids[i] = m->pids[--m->npids];
			return;
		}
	}
}

int memtrack_statm(pid_t pid, unsigned long long *size, unsigned long long *resident)
{
	char path[64];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%llu %llu", size, resident) == 2;
	fclose(f);
	return ok ? 0 : -1;
}

void memtrack_poll(struct memtrack *m, struct profile *p, uint64_t t)
{
	uint64_t rss_sum = 0, vms_sum = 0;
	size_t seen = 0;

	for (size_t i = 0; i < m->npids;) {
		unsigned long long size, resident;

		if (memtrack_statm(m->pids[i], &size, &resident) < 0 || size == 0) {
			/* Gone, or a zombie (statm reads as zeros). */
			m->pids[i] = m->pids[--m->npids];
			continue;
		}
		profile_add_memory(p, t, m->pids[i], resident * (uint64_t)m->page_size,
				   size * (uint64_t)m->page_size);
		rss_sum += resident * (uint64_t)m->page_size;
		vms_sum += size * (uint64_t)m->page_size;
		seen++;
		i++;
	}
	if (seen)
		profile_add_memory(p, t, 0, rss_sum, vms_sum);
}
