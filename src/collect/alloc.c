#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <asm/perf_regs.h>

#include "alloc.h"
#include "target.h"
#include "allocring.h"
#include "loop.h"
#include "xalloc.h"

#ifndef PROFTOP_PKGLIBDIR
#define PROFTOP_PKGLIBDIR "/usr/local/lib/proftop"
#endif
#define PRELOAD_NAME "proftop-alloc.so"

/* The ring's data area: room for the records of the first seconds, while
 * proftop loads the target's symbols (a record is 1-5 KiB: the stack
 * copy). A page costs the target a fault the first time it writes it
 * (about 6 us in a VM: more than the rest of a record), so producers
 * start again at the ring's start once its first ALLOCRING_RECYCLE bytes
 * are drained, and the first RING_KEEP bytes stay in memory, zeroed once
 * drained: while proftop keeps up, the target writes the same pages over
 * and over. Beyond RING_KEEP (a burst) drained pages are given back
 * (shared memory, counted in the target's RSS). Exact mode writes a record per
 * allocation: giving pages back would cost the target a page fault every
 * few records (measured: 2.2 s of CPU instead of 1.3 s for 470,000
 * records), so its smaller ring stays resident (its producers wait when
 * it is full). */
#define RING_SAMPLED (32u << 20)
#define RING_EXACT   (16u << 20)
#define RING_KEEP    (2u * ALLOCRING_RECYCLE)
/* A record reserved but not written for this long: its writer died (a
 * process killed mid-record); skipped, counted lost. */
#define STUCK_NS 2000000000ull
/* A drain (but the last) stops after this long: the loop serves others. */
#define DRAIN_BUDGET_NS 50000000ull

/* (pid, address) of a live sampled block -> its prof_alloc index. */
struct live_slot {
	uint64_t addr; /* 0: empty */
	int32_t pid;
	bool deleted;
	size_t index;
};

#define ALLOC_PAUSES 16


struct alloc_tracker {
	int ring_fd, wake_fd;
	struct allocring_header *hdr;
	uint8_t *data;
	size_t map_len;
	uint64_t data_size, sample;
	char **env;
	struct live_slot *live;
	size_t live_cap, live_used; /* used: live + deleted */
	uint64_t epoch;		    /* the profile's log_epoch the indices belong to */
	uint64_t stuck_pos, stuck_since;
	uint64_t rng;
	uint64_t lost; /* besides the header's: unwritten, malformed */
	bool py_set;	 /* the Python layout was handed to the tracker */
	bool py_checked; /* ... or looked for once, the tracker told */
	/* when proftop was paused (CLOCK_MONOTONIC; to UINT64_MAX: still is):
	 * allocations made then are not counted; the latest ALLOC_PAUSES */
	struct {
		uint64_t from, to;
	} pauses[ALLOC_PAUSES];
	unsigned npauses;
};

/* ---- where the tracker is, and what it can see ---- */

/* A library proftop may load into programs it runs as root: a regular
 * file owned by root or by us, writable by no one else. */
static bool safe_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       (st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

const char *alloc_preload_path(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - sizeof(PRELOAD_NAME) - 1);
	char *slash;

	if (n > 0) {
		path[n] = '\0';
		if ((slash = strrchr(path, '/'))) {
			strcpy(slash + 1, PRELOAD_NAME);
			if (safe_file(path))
				return path;
		}
	}
	snprintf(path, sizeof(path), "%s/%s", PROFTOP_PKGLIBDIR, PRELOAD_NAME);
	return safe_file(path) ? path : NULL;
}

struct elf_facts {
	bool elf, interp, dynamic;
	bool malloc_exported, malloc_local; /* defined in the program: .dynsym, .symtab only */
	char allocator[64];		    /* a linked allocator library (DT_NEEDED), or "" */
};

static bool defines_malloc(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; d && i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (name && !strcmp(name, "malloc"))
			return true;
	}
	return false;
}

static void needed_allocator(Elf *e, Elf_Scn *scn, const GElf_Shdr *sh, struct elf_facts *f)
{
	static const char *const known[] = {"libjemalloc", "libtcmalloc", "libmimalloc", "libhoard",
					    "libtbbmalloc"};
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; d && i < n; i++) {
		GElf_Dyn dyn;
		const char *name;

		if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag != DT_NEEDED)
			continue;
		name = elf_strptr(e, sh->sh_link, dyn.d_un.d_val);
		for (size_t k = 0; name && k < sizeof(known) / sizeof(*known); k++)
			if (!strncmp(name, known[k], strlen(known[k])))
				snprintf(f->allocator, sizeof(f->allocator), "%s", name);
	}
}

static void read_elf_facts(const char *path, struct elf_facts *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	size_t nph = 0;
	Elf *e;

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return;
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF && elf_getphdrnum(e, &nph) == 0) {
		f->elf = true;
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
				f->interp = true;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_DYNAMIC)
				f->dynamic = true;
		}
		while ((scn = elf_nextscn(e, scn))) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == SHT_DYNSYM && defines_malloc(e, scn, &sh))
				f->malloc_exported = true;
			else if (sh.sh_type == SHT_SYMTAB && defines_malloc(e, scn, &sh))
				f->malloc_local = true;
			else if (sh.sh_type == SHT_DYNAMIC)
				needed_allocator(e, scn, &sh, f);
		}
	}
	if (e)
		elf_end(e);
	close(fd);
}

/* A script runs in the interpreter of its #! line, which is tracked; but
 * one started through env(1) runs in a program env executes, which is
 * not (exec ends tracking). */
static int script_note(const char *argv0, const char *path, char *note, size_t len)
{
	char line[256] = "", *interp, *base, *prog;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	if (strncmp(line, "#!", 2))
		return 0;
	line[strcspn(line, "\n")] = '\0';
	interp = line + 2 + strspn(line + 2, " \t");
	prog = interp + strcspn(interp, " \t");
	if (*prog)
		*prog++ = '\0';
	base = strrchr(interp, '/');
	if (strcmp(base ? base + 1 : interp, "env"))
		return 0;
	while (*(prog += strspn(prog, " \t")) == '-') /* env's options */
		prog += strcspn(prog, " \t");
	prog[strcspn(prog, " \t")] = '\0';
	snprintf(note, len,
		 "allocations not tracked: %s starts through %s, and a program it executes is not "
		 "tracked; run the interpreter itself (proftop -- %s %s)",
		 argv0, interp, *prog ? prog : "INTERPRETER", argv0);
	return -1;
}

int alloc_check_target(const char *argv0, bool faults, char *note, size_t len)
{
	const char *rest = faults ? "; RSS growth by page faults only" : "";
	char path[PATH_MAX];
	struct elf_facts f;
	struct stat st;

	note[0] = '\0';
	if (!alloc_preload_path()) {
		snprintf(
			note, len,
			"allocations not tracked: %s is not installed (next to proftop or in %s)%s",
			PRELOAD_NAME, PROFTOP_PKGLIBDIR, rest);
		return -1;
	}
	if (strpbrk(alloc_preload_path(), " :\t")) {
		snprintf(note, len,
			 "allocations not tracked: LD_PRELOAD cannot name %s (a space or colon in "
			 "its path)%s",
			 alloc_preload_path(), rest);
		return -1;
	}
	if (!target_find_command(argv0, path, sizeof(path)) || stat(path, &st) < 0)
		return 0; /* exec will say */
	if ((st.st_mode & S_ISUID && st.st_uid != geteuid()) ||
	    (st.st_mode & S_ISGID && st.st_gid != getegid())) {
		snprintf(note, len,
			 "allocations not tracked: %s is set-%s-ID (the loader ignores LD_PRELOAD "
			 "then)%s",
			 argv0, st.st_mode & S_ISUID ? "user" : "group", rest);
		return -1;
	}
	read_elf_facts(path, &f);
	if (!f.elf)
		return script_note(argv0, path, note, len);
	if (!f.interp) {
		snprintf(note, len,
			 "allocations not tracked: %s is statically linked (nothing can be "
			 "preloaded)%s",
			 argv0, rest);
		return -1;
	}
	if (f.malloc_exported) {
		snprintf(
			note, len,
			"allocations not tracked: %s has its own malloc (an allocator linked in)%s",
			argv0, rest);
		return -1;
	}
	if (f.malloc_local)
		snprintf(note, len,
			 "allocations partly tracked: %s has its own malloc (linked in): only what "
			 "the C library allocates is seen",
			 argv0);
	else if (f.allocator[0])
		snprintf(note, len,
			 "allocations tracked through malloc and free: %s's own interface "
			 "(mallocx, sdallocx...) is not seen",
			 f.allocator);
	return 0;
}

/* ---- the ring ---- */

struct alloc_tracker *alloc_tracker_new(uint64_t sample, unsigned stack_bytes, char *err,
					size_t errlen)
{
	struct alloc_tracker *t = xcalloc(1, sizeof(*t));
	uint64_t size = sample == 1 ? RING_EXACT : RING_SAMPLED;
	struct rlimit fsize;

	/* The memfd's size counts against the file size limit (ulimit -f):
	 * past it, ftruncate would raise SIGXFSZ. A smaller ring drops more
	 * records (counted), but the run goes on. */
	if (getrlimit(RLIMIT_FSIZE, &fsize) == 0 && fsize.rlim_cur != RLIM_INFINITY) {
		while (size > 16384 && ALLOCRING_HEADER_SIZE + size > fsize.rlim_cur)
			size /= 2;
		if (ALLOCRING_HEADER_SIZE + size > fsize.rlim_cur) {
			snprintf(err, errlen,
				 "the file size limit (ulimit -f) leaves no room for its ring");
			free(t);
			return NULL;
		}
	}
	t->ring_fd = t->wake_fd = -1;
	t->sample = sample;
	t->data_size = size;
	t->map_len = ALLOCRING_HEADER_SIZE + size;
	t->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)getpid();
	t->ring_fd = memfd_create("proftop-alloc", MFD_CLOEXEC);
	if (t->ring_fd < 0 || ftruncate(t->ring_fd, (off_t)t->map_len) < 0) {
		snprintf(err, errlen, "cannot create the allocation ring: %s", strerror(errno));
		goto fail;
	}
	t->hdr = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, t->ring_fd, 0);
	if (t->hdr == MAP_FAILED) {
		t->hdr = NULL;
		snprintf(err, errlen, "cannot map the allocation ring: %s", strerror(errno));
		goto fail;
	}
	t->data = (uint8_t *)t->hdr + ALLOCRING_HEADER_SIZE;
	t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	t->hdr->header_size = ALLOCRING_HEADER_SIZE;
	t->hdr->stack_bytes = stack_bytes ? stack_bytes : 8192;
	t->hdr->data_size = size;
	t->hdr->sample = sample;
	t->hdr->recycle = ALLOCRING_RECYCLE;
	t->hdr->wake_armed = 1;
	t->hdr->version = ALLOCRING_VERSION;
	__atomic_store_n(&t->hdr->magic, ALLOCRING_MAGIC, __ATOMIC_RELEASE);
	return t;
fail:
	alloc_tracker_free(t);
	return NULL;
}

void alloc_tracker_close(struct alloc_tracker *t)
{
	if (t && t->hdr)
		__atomic_store_n(&t->hdr->closed, 1, __ATOMIC_RELEASE);
}

void alloc_tracker_free(struct alloc_tracker *t)
{
	if (!t)
		return;
	alloc_tracker_close(t);
	if (t->hdr)
		munmap(t->hdr, t->map_len);
	if (t->ring_fd >= 0)
		close(t->ring_fd);
	if (t->wake_fd >= 0)
		close(t->wake_fd);
	for (size_t i = 0; t->env && t->env[i]; i++)
		free(t->env[i]);
	free(t->env);
	free(t->live);
	free(t);
}

char **alloc_tracker_environ(struct alloc_tracker *t)
{
	extern char **environ;
	const char *user = getenv("LD_PRELOAD"), *lib = alloc_preload_path();
	size_t n = 0, k = 0;

	if (t->env)
		return t->env;
	while (environ[n])
		n++;
	t->env = xcalloc(n + 5, sizeof(*t->env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
		    strncmp(environ[i], "PROFTOP_ALLOC_", 14))
			t->env[k++] = xstrdup(environ[i]);
	t->env[k++] = xasprintf("LD_PRELOAD=%s%s%s", lib ? lib : "", user && *user ? " " : "",
				user ? user : "");
	t->env[k++] = xasprintf("%s=%s", ALLOCRING_ENV_PRELOAD, user ? user : "-");
	t->env[k++] = xasprintf("%s=%d", ALLOCRING_ENV_FD, t->ring_fd);
	if (t->wake_fd >= 0)
		t->env[k++] = xasprintf("%s=%d", ALLOCRING_ENV_WAKE, t->wake_fd);
	t->env[k] = NULL;
	return t->env;
}

void alloc_tracker_fds(const struct alloc_tracker *t, int fds[2])
{
	fds[0] = t->ring_fd;
	fds[1] = t->wake_fd;
}

int alloc_tracker_wake_fd(const struct alloc_tracker *t)
{
	return t ? t->wake_fd : -1;
}

bool alloc_tracker_loaded(const struct alloc_tracker *t)
{
	return t && __atomic_load_n(&t->hdr->loaded, __ATOMIC_ACQUIRE) != 0;
}

pid_t alloc_tracker_pid(const struct alloc_tracker *t)
{
	uint64_t pid = t ? __atomic_load_n(&t->hdr->loaded, __ATOMIC_ACQUIRE) : 0;

	return pid > 0 && pid < INT32_MAX ? (pid_t)pid : 0; /* the target wrote it */
}

void alloc_tracker_set_python(struct alloc_tracker *t, const struct allocring_py *py)
{
	struct allocring_py *to = &t->hdr->py;

	const size_t a = offsetof(struct allocring_py, max_frames),
		     b = offsetof(struct allocring_py, checked),
		     c = offsetof(struct allocring_py, code_type);

	_Static_assert(offsetof(struct allocring_py, max_frames) == 4 &&
			       offsetof(struct allocring_py, code_type) ==
				       offsetof(struct allocring_py, checked) + 8,
		       "allocring_py: ready, then the layout, then checked and pad, then the rest");

	if (t->py_set)
		return;
	/* all but ready and checked, which the tracker reads as they change */
	memcpy((char *)to + a, (const char *)py + a, b - a);
	memcpy((char *)to + c, (const char *)py + c, sizeof(*to) - c);
	t->py_set = true;
	__atomic_store_n(&to->ready, 1, __ATOMIC_RELEASE);
	alloc_tracker_python_checked(t);
}

void alloc_tracker_python_checked(struct alloc_tracker *t)
{
	if (t && !t->py_checked) {
		t->py_checked = true;
		__atomic_store_n(&t->hdr->py.checked, 1, __ATOMIC_RELEASE);
	}
}

bool alloc_tracker_python_was_checked(const struct alloc_tracker *t)
{
	return t && t->py_checked;
}

void alloc_tracker_pause(struct alloc_tracker *t, bool paused)
{
	uint64_t now = loop_now_ns();

	if (!t)
		return;
	if (!paused) {
		if (t->npauses && t->pauses[t->npauses - 1].to == UINT64_MAX)
			t->pauses[t->npauses - 1].to = now;
		return;
	}
	if (t->npauses && t->pauses[t->npauses - 1].to == UINT64_MAX)
		return;
	if (t->npauses == ALLOC_PAUSES) /* the oldest: its records were read long ago */
		memmove(t->pauses, t->pauses + 1, --t->npauses * sizeof(t->pauses[0]));
	t->pauses[t->npauses].from = now;
	t->pauses[t->npauses++].to = UINT64_MAX;
}

bool alloc_tracker_has_python(const struct alloc_tracker *t)
{
	return t && t->py_set;
}

void alloc_tracker_footprint(const struct alloc_tracker *t, uint64_t *rss, uint64_t *vms)
{
	size_t page = 4096, npages = t->map_len / page, n = 0;
	unsigned char *vec;

	*rss = *vms = 0;
	if (!alloc_tracker_loaded(t))
		return;
	*vms = t->map_len;
	vec = xmalloc(npages);
	/* the target wrote every page of the memfd that is in memory (drained
	 * ones are given back): they are in its RSS */
	if (mincore(t->hdr, t->map_len, vec) == 0)
		for (size_t i = 0; i < npages; i++)
			n += vec[i] & 1;
	free(vec);
	*rss = (uint64_t)n * page;
}

uint64_t alloc_tracker_head(const struct alloc_tracker *t)
{
	return __atomic_load_n(&t->hdr->head, __ATOMIC_ACQUIRE);
}

uint64_t alloc_tracker_tail(const struct alloc_tracker *t)
{
	return __atomic_load_n(&t->hdr->tail, __ATOMIC_ACQUIRE);
}

uint64_t alloc_tracker_lost(const struct alloc_tracker *t)
{
	return t ? __atomic_load_n(&t->hdr->lost, __ATOMIC_RELAXED) + t->lost : 0;
}

/* ---- live sampled blocks ---- */

static size_t live_hash(pid_t pid, uint64_t addr, size_t cap)
{
	uint64_t h = (addr ^ ((uint64_t)(uint32_t)pid << 48)) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 20) & (cap - 1);
}

static void live_put(struct alloc_tracker *t, pid_t pid, uint64_t addr, size_t index);

static void live_grow(struct alloc_tracker *t)
{
	struct live_slot *old = t->live;
	size_t cap = t->live_cap, live = 0;

	for (size_t i = 0; i < cap; i++)
		live += old[i].addr && !old[i].deleted;
	t->live_cap = cap ? cap : 1024;
	while ((live + 1) * 4 > t->live_cap)
		t->live_cap *= 2;
	t->live = xcalloc(t->live_cap, sizeof(*t->live));
	t->live_used = 0;
	for (size_t i = 0; i < cap; i++)
		if (old[i].addr && !old[i].deleted)
			live_put(t, old[i].pid, old[i].addr, old[i].index);
	free(old);
}

/* A block at (pid, addr): a later one at the same address replaces an
 * earlier one whose free was lost. */
static void live_put(struct alloc_tracker *t, pid_t pid, uint64_t addr, size_t index)
{
	size_t i;

	if (!addr)
		return;
	if ((t->live_used + 1) * 2 > t->live_cap)
		live_grow(t);
	for (i = live_hash(pid, addr, t->live_cap); t->live[i].addr;
	     i = (i + 1) & (t->live_cap - 1))
		if (t->live[i].addr == addr && t->live[i].pid == pid) {
			t->live[i].deleted = false;
			t->live[i].index = index;
			return;
		}
	t->live[i] = (struct live_slot){.addr = addr, .pid = pid, .index = index};
	t->live_used++;
}

static bool live_take(struct alloc_tracker *t, pid_t pid, uint64_t addr, size_t *index)
{
	if (!t->live_cap)
		return false;
	for (size_t i = live_hash(pid, addr, t->live_cap); t->live[i].addr;
	     i = (i + 1) & (t->live_cap - 1))
		if (t->live[i].addr == addr && t->live[i].pid == pid) {
			if (t->live[i].deleted)
				return false;
			t->live[i].deleted = true;
			*index = t->live[i].index;
			return true;
		}
	return false;
}

/* ---- records ---- */

static uint64_t rng_next(struct alloc_tracker *t)
{
	t->rng ^= t->rng >> 12;
	t->rng ^= t->rng << 25;
	t->rng ^= t->rng >> 27;
	return t->rng * 0x2545f4914f6cdd1dull;
}

/* What a sampled block of size bytes stands for: sampled with probability
 * P = 1 - exp(-size / N), it counts size / P bytes and 1 / P allocations,
 * the latter rounded up or down at random so that the sum is unbiased. */
static void alloc_weight(struct alloc_tracker *t, uint64_t size, uint64_t *bytes, uint32_t *allocs)
{
	double prob, inv, whole;

	if (t->sample <= 1 || size == 0) {
		*bytes = size;
		*allocs = 1;
		return;
	}
	prob = -expm1(-(double)size / (double)t->sample);
	inv = 1.0 / prob;
	*bytes = (uint64_t)llround((double)size * inv);
	if (*bytes < size)
		*bytes = size;
	whole = floor(inv);
	if ((double)(rng_next(t) >> 11) * (1.0 / 9007199254740992.0) < inv - whole)
		whole += 1;
	*allocs = whole > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)whole;
}

static uint64_t rel(uint64_t t, uint64_t start_ns)
{
	return t > start_ns ? t - start_ns : 0;
}

/* Whether time (CLOCK_MONOTONIC) fell while proftop was paused. */
static bool paused_at(const struct alloc_tracker *t, uint64_t time)
{
	for (unsigned i = 0; i < t->npauses; i++)
		if (time >= t->pauses[i].from && time < t->pauses[i].to)
			return true;
	return false;
}

static void take_alloc(struct alloc_tracker *t, struct profile *p, uint64_t start_ns,
		       const struct allocring_rec *r, uint32_t len, const struct alloc_sink *sink)
{
	static const int perf_reg[ALLOCRING_NREGS] = {
		[ALLOCRING_IP] = PERF_REG_X86_IP,   [ALLOCRING_SP] = PERF_REG_X86_SP,
		[ALLOCRING_BP] = PERF_REG_X86_BP,   [ALLOCRING_BX] = PERF_REG_X86_BX,
		[ALLOCRING_R12] = PERF_REG_X86_R12, [ALLOCRING_R13] = PERF_REG_X86_R13,
		[ALLOCRING_R14] = PERF_REG_X86_R14, [ALLOCRING_R15] = PERF_REG_X86_R15,
	};
	struct unwind_snapshot snap = {.stack = (const uint8_t *)(r + 1)};
	struct prof_alloc a = {.free_time = PROF_ALLOC_LIVE};
	const void *py = NULL;
	size_t stack_room;

	if (len < sizeof(*r) || r->stack_len > len - sizeof(*r) || r->pid <= 0 || r->tid <= 0) {
		t->lost++;
		return;
	}
	if (paused_at(t, r->time))
		return; /* its free, if it comes, finds nothing */
	/* the Python frames after the stack, padded to 8, if they fit */
	stack_room = ((size_t)r->stack_len + 7) & ~(size_t)7;
	if (r->py_len && stack_room <= len - sizeof(*r) &&
	    r->py_len <= len - sizeof(*r) - stack_room)
		py = (const uint8_t *)(r + 1) + stack_room;
	for (int i = 0; i < ALLOCRING_NREGS; i++)
		snap.regs[perf_reg[i]] = r->regs[i];
	snap.stack_len = r->stack_len;
	a.time = rel(r->time, start_ns);
	a.size = r->size;
	alloc_weight(t, r->size, &a.bytes, &a.allocs);
	a.stack = sink->stack(sink->ctx, r->pid, r->tid, r->time, &snap, py, py ? r->py_len : 0);
	a.tid = r->tid;
	a.kind = r->kind == ALLOCRING_MMAP ? PROF_ALLOC_MMAP : PROF_ALLOC_HEAP;
	live_put(t, r->pid, r->addr, profile_add_alloc(p, &a));
}

/* A CODE record: its spans, each checked to lie in the record. */
static void take_code(const struct allocring_rec *r, uint32_t len, const struct alloc_sink *sink)
{
	struct py_span spans[ALLOCRING_CODE_SPANS];
	uint32_t at = ALLOCRING_FREE_LEN;
	size_t n = 0;

	if (!sink->code || len < ALLOCRING_FREE_LEN || r->size > ALLOCRING_CODE_SPANS)
		return;
	while (n < r->size) {
		struct allocring_span sp;

		if (len - at < sizeof(sp))
			return;
		memcpy(&sp, (const uint8_t *)r + at, sizeof(sp));
		at += sizeof(sp);
		if (sp.len > len - at)
			return;
		spans[n++] = (struct py_span){
			.addr = sp.addr, .data = (const uint8_t *)r + at, .len = sp.len};
		at += (sp.len + 7u) & ~7u;
		if (at > len)
			return;
	}
	sink->code(sink->ctx, r->pid, r->addr, spans, n);
}

static void take_free(struct alloc_tracker *t, struct profile *p, uint64_t start_ns,
		      const struct allocring_rec *r, uint32_t len)
{
	size_t index;

	if (len < ALLOCRING_FREE_LEN)
		return;
	if (live_take(t, r->pid, r->addr, &index))
		profile_alloc_freed(p, index, rel(r->time, start_ns));
}

/* The record at pos is reserved but not written. A writer killed before
 * it wrote it never will: after STUCK_NS (or at the end), skip it when
 * its length is known, else drop everything reserved so far. Returns the
 * position to go on from, or pos to wait. */
static uint64_t skip_unwritten(struct alloc_tracker *t, uint64_t pos, uint64_t head, uint32_t word,
			       bool final)
{
	uint64_t ns = loop_now_ns(), off = pos & (t->data_size - 1);

	if (!final) {
		if (t->stuck_pos != pos || !t->stuck_since) {
			t->stuck_pos = pos;
			t->stuck_since = ns;
			return pos;
		}
		if (ns - t->stuck_since < STUCK_NS)
			return pos;
	}
	t->stuck_since = 0;
	t->lost++;
	if (word >= 8 && !(word & 7) && off + word <= t->data_size && pos + word <= head)
		return pos + word;
	return head;
}

/* Zero [from, to) of the ring (positions), wrapping: past RING_KEEP,
 * whole pages are given back (they read as zeros again), the edges
 * cleared; below it (recycled), and in exact mode, bytes are cleared. */
static void ring_zero(struct alloc_tracker *t, uint64_t from, uint64_t to)
{
	const uint64_t page = 4096;

	while (from < to) {
		uint64_t off = from & (t->data_size - 1);
		uint64_t n = to - from < t->data_size - off ? to - from : t->data_size - off;
		uint64_t end = off + n, lo, hi;

		if (off < RING_KEEP || t->sample == 1) {
			uint64_t kept = t->sample == 1 || end <= RING_KEEP ? n : RING_KEEP - off;

			memset(t->data + off, 0, kept);
			off += kept;
		}
		lo = (off + page - 1) & ~(page - 1);
		hi = end & ~(page - 1);
		if (off < end && hi > lo + 16 * page &&
		    madvise(t->data + lo, hi - lo, MADV_REMOVE) == 0) {
			memset(t->data + off, 0, lo - off);
			memset(t->data + hi, 0, end - hi);
		} else if (off < end) {
			memset(t->data + off, 0, end - off);
		}
		from += n;
	}
}

size_t alloc_tracker_drain(struct alloc_tracker *t, struct profile *p, uint64_t start_ns,
			   const struct alloc_sink *sink, bool final)
{
	uint64_t pos, head, drained, zero_from, began = loop_now_ns();
	size_t n = 0;

	if (!t)
		return 0;
	if (eventfd_read(t->wake_fd, &drained) < 0 && errno != EAGAIN)
		drained = 0;
	if (t->epoch != p->log_epoch) { /* profile_zero: the indices are gone */
		free(t->live);
		t->live = NULL;
		t->live_cap = t->live_used = 0;
		t->epoch = p->log_epoch;
	}
	pos = zero_from = __atomic_load_n(&t->hdr->tail, __ATOMIC_RELAXED);
	head = __atomic_load_n(&t->hdr->head, __ATOMIC_ACQUIRE);
	if (head - pos > t->data_size) { /* not ours to trust: start over */
		t->lost++;
		ring_zero(t, pos, pos + t->data_size);
		pos = zero_from = head;
	}
	while (pos < head) {
		uint64_t off = pos & (t->data_size - 1), next;
		struct allocring_rec *r = (struct allocring_rec *)(t->data + off);
		uint32_t word = __atomic_load_n(&r->len, __ATOMIC_ACQUIRE), len;

		if (!(word & ALLOCRING_COMMIT)) {
			next = skip_unwritten(t, pos, head, word, final);
			if (next == pos)
				break;
			pos = next;
			continue;
		}
		len = word & ~ALLOCRING_COMMIT;
		if (len < 8 || (len & 7) || off + len > t->data_size || pos + len > head ||
		    (len > ALLOCRING_MAX_REC + sizeof(*r) &&
		     !(r->type == ALLOCRING_PAD && off + len == t->data_size))) {
			t->lost++; /* malformed: drop what is reserved */
			pos = head;
			break;
		}
		if (r->type == ALLOCRING_PAD) {
			/* only its len and type were written: clear those, not
			 * the (recycling) pad's megabytes */
			ring_zero(t, zero_from, pos + 8);
			pos += len;
			zero_from = pos;
			continue;
		}
		if (sink->bounded && r->time > sink->until)
			break; /* its maps may not be known yet */
		if (r->type == ALLOCRING_ALLOC)
			take_alloc(t, p, start_ns, r, len, sink);
		else if (r->type == ALLOCRING_FREE)
			take_free(t, p, start_ns, r, len);
		else if (r->type == ALLOCRING_CODE)
			take_code(r, len, sink);
		else if (r->type == ALLOCRING_FORK && sink->fork && r->pid > 0 && r->addr > 0 &&
			 r->addr < INT32_MAX && (pid_t)r->addr != r->pid)
			sink->fork(sink->ctx, r->pid, (pid_t)r->addr);
		n++;
		pos += len;
		if (!final && n % 256 == 0 && loop_now_ns() - began > DRAIN_BUDGET_NS)
			break;
	}
	ring_zero(t, zero_from, pos);
	__atomic_store_n(&t->hdr->tail, pos, __ATOMIC_RELEASE);
	__atomic_store_n(&t->hdr->stalled, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->hdr->wake_armed, 1, __ATOMIC_RELEASE);
	return n;
}
