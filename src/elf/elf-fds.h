/* A bounded set of open ELF files. Every holder of file descriptors on ELF
 * files (a Dwfl, which keeps its main and debug files open) registers here;
 * when a new one would pass the budget, the least recently used holders are
 * asked to close theirs and reopen on demand. The budget comes from
 * RLIMIT_NOFILE, leaving room for perf events, pipes and the session. One
 * process-wide list: file descriptors are a process-wide resource. Not
 * thread-safe: only the collector's loop uses it. */
#ifndef PROFTOP_ELF_FDS_H
#define PROFTOP_ELF_FDS_H

#include <stdbool.h>

struct elf_fd_holder {
	struct elf_fd_holder *prev, *next; /* the LRU list; most recent first */
	unsigned nfds;			   /* descriptors it holds while listed */
	bool listed;
	/* Close every descriptor of this holder (it reopens on its next use).
	 * Called from elf_fds_hold of another holder. */
	void (*release)(struct elf_fd_holder *h);
};

/* Make room for nfds more descriptors (evicting the least recently used
 * holders other than h), then list h as holding them. Call before opening. */
void elf_fds_hold(struct elf_fd_holder *h, unsigned nfds);
/* h was used: it becomes the most recently used. */
void elf_fds_touch(struct elf_fd_holder *h);
/* h closed its descriptors itself. Safe on an unlisted holder. */
void elf_fds_drop(struct elf_fd_holder *h);
/* Evict the least recently used holder other than keep; false if none is
 * left (after EMFILE, to retry an open). */
bool elf_fds_evict_one(const struct elf_fd_holder *keep);

/* open(path, O_RDONLY | O_CLOEXEC), closing the least recently used ELF
 * files while the process is out of descriptors: an ELF file is never lost
 * to the open-file limit. -1 with errno on failure. */
int elf_fds_open(const char *path);

/* The most descriptors held at once: from RLIMIT_NOFILE unless set. */
unsigned elf_fds_budget(void);
/* Override the budget (0: back to the limit-derived one), evicting down to
 * it at once; for tests. */
void elf_fds_set_budget(unsigned n);
/* Descriptors the listed holders hold now. */
unsigned elf_fds_in_use(void);

#endif
