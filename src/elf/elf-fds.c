#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "elf-fds.h"

/* What stays free for everything else: perf events (one per CPU and
 * event, more with --calls), pipes, the terminal, SQLite, /proc files. */
#define RESERVE_MIN	48
#define RESERVE_PER_CPU 8
#define BUDGET_MIN	4
#define BUDGET_MAX	1024

static struct elf_fd_holder *lru_head, *lru_tail;
static unsigned in_use, budget_override;

static void lru_unlink(struct elf_fd_holder *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		lru_head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	else
		lru_tail = h->prev;
	h->prev = h->next = NULL;
}

static void lru_push_front(struct elf_fd_holder *h)
{
	h->prev = NULL;
	h->next = lru_head;
	if (lru_head)
		lru_head->prev = h;
	lru_head = h;
	if (!lru_tail)
		lru_tail = h;
}

unsigned elf_fds_budget(void)
{
	struct rlimit rl;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long soft, reserve, budget;

	if (budget_override)
		return budget_override;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return BUDGET_MAX;
	soft = (unsigned long)rl.rlim_cur;
	reserve = RESERVE_MIN + RESERVE_PER_CPU * (unsigned long)(cpus > 0 ? cpus : 1);
	/* At most half of the limit, so a small limit still leaves room. */
	if (reserve < soft / 2)
		reserve = soft / 2;
	budget = soft > reserve ? soft - reserve : 0;
	if (budget < BUDGET_MIN)
		budget = BUDGET_MIN;
	return budget > BUDGET_MAX ? BUDGET_MAX : (unsigned)budget;
}

void elf_fds_set_budget(unsigned n)
{
	budget_override = n;
	while (in_use > elf_fds_budget() && elf_fds_evict_one(NULL))
		;
}

unsigned elf_fds_in_use(void)
{
	return in_use;
}

bool elf_fds_evict_one(const struct elf_fd_holder *keep)
{
	struct elf_fd_holder *victim = lru_tail;

	if (victim == keep)
		victim = victim->prev;
	if (!victim)
		return false;
	elf_fds_drop(victim);
	victim->release(victim);
	return true;
}

void elf_fds_hold(struct elf_fd_holder *h, unsigned nfds)
{
	unsigned budget = elf_fds_budget();

	elf_fds_drop(h);
	while (in_use + nfds > budget && elf_fds_evict_one(h))
		;
	h->nfds = nfds;
	h->listed = true;
	in_use += nfds;
	lru_push_front(h);
}

void elf_fds_touch(struct elf_fd_holder *h)
{
	if (!h->listed || lru_head == h)
		return;
	lru_unlink(h);
	lru_push_front(h);
}

void elf_fds_drop(struct elf_fd_holder *h)
{
	if (!h->listed)
		return;
	lru_unlink(h);
	in_use -= h->nfds;
	h->nfds = 0;
	h->listed = false;
}

int elf_fds_open(const char *path)
{
	int fd;

	while ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 && (errno == EMFILE || errno == ENFILE))
		if (!elf_fds_evict_one(NULL))
			break;
	return fd;
}
