/* The memory timeline: RSS and VMS of every process of the target from
 * /proc/PID/statm, per process and summed (pid 0), at a fixed interval. */
#ifndef PROFTOP_MEMTRACK_H
#define PROFTOP_MEMTRACK_H

#include <stdint.h>
#include <sys/types.h>

#include "profile.h"

struct memtrack {
	pid_t *pids;
	size_t npids, cap;
	long page_size;
};

void memtrack_init(struct memtrack *m);
void memtrack_free(struct memtrack *m);
void memtrack_add(struct memtrack *m, pid_t pid);
void memtrack_remove(struct memtrack *m, pid_t pid);
/* Read every tracked process and append points at time t (ns since the
 * profile's start). Processes that vanished are dropped. */
void memtrack_poll(struct memtrack *m, struct profile *p, uint64_t t);
/* pid's size and resident set in pages (/proc/PID/statm); 0, or -1 if it
 * cannot be read. */
int memtrack_statm(pid_t pid, unsigned long long *size, unsigned long long *resident);

#endif
