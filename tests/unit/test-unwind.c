#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <linux/perf_event.h>
#include <asm/perf_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "procmap.h"
#include "unwind.h"

/* Functions under test: real frames, no frame pointers, no inlining,
 * cloning or tail calls, whatever the build's CFLAGS say. */
#define CHAIN __attribute__((noipa, optimize("omit-frame-pointer")))

#define MAX_FRAMES 128
#define STACK_COPY 8192

/* Registers in PERF_REG_X86_* order, as perf would record them; the IP is
 * the address of the label right after the capture. */
#define CAPTURE_REGS(r)                              \
	__asm__ volatile("movq %%rax, 0(%0)\n\t"     \
			 "movq %%rbx, 8(%0)\n\t"     \
			 "movq %%rcx, 16(%0)\n\t"    \
			 "movq %%rdx, 24(%0)\n\t"    \
			 "movq %%rsi, 32(%0)\n\t"    \
			 "movq %%rdi, 40(%0)\n\t"    \
			 "movq %%rbp, 48(%0)\n\t"    \
			 "movq %%rsp, 56(%0)\n\t"    \
			 "movq %%r8, 128(%0)\n\t"    \
			 "movq %%r9, 136(%0)\n\t"    \
			 "movq %%r10, 144(%0)\n\t"   \
			 "movq %%r11, 152(%0)\n\t"   \
			 "movq %%r12, 160(%0)\n\t"   \
			 "movq %%r13, 168(%0)\n\t"   \
			 "movq %%r14, 176(%0)\n\t"   \
			 "movq %%r15, 184(%0)\n\t"   \
			 "leaq 1f(%%rip), %%rax\n\t" \
			 "1: movq %%rax, 64(%0)\n\t" \
			 :                           \
			 : "r"(r)                    \
			 : "rax", "memory")

/* ---- the captured snapshot (test 1, 2) ---- */

static uint64_t cap_regs[UNWIND_NREGS];
static uint8_t cap_stack[STACK_COPY];
static size_t cap_stack_len;
static void *cap_ra[3]; /* return addresses of chain_c, chain_b, chain_a */
static void *cap_local[MAX_FRAMES];
static int cap_nlocal;
static volatile int sink;

/* The bytes a kernel would copy: up to STACK_COPY, not past the stack. */
static size_t stack_bytes_above(uint64_t sp)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	size_t n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2 && start <= sp &&
		    sp < end) {
			n = end - sp < STACK_COPY ? end - sp : STACK_COPY;
			break;
		}
	}
	fclose(f);
	return n;
}

/* A raw copy as the kernel makes it: it crosses other frames' locals
 * (and AddressSanitizer's red zones between them). */
static CHAIN __attribute__((no_sanitize_address)) void stack_copy(void)
{
	const volatile uint64_t *from = (const uint64_t *)(uintptr_t)cap_regs[PERF_REG_X86_SP];

	cap_stack_len = stack_bytes_above(cap_regs[PERF_REG_X86_SP]);
	for (size_t i = 0; i < cap_stack_len / 8; i++) {
		uint64_t w = from[i];

		memcpy(cap_stack + 8 * i, &w, 8);
	}
}

static CHAIN void chain_c(void)
{
	cap_ra[0] = __builtin_return_address(0);
	CAPTURE_REGS(cap_regs);
	stack_copy();
	cap_nlocal = unw_backtrace(cap_local, MAX_FRAMES);
	sink++;
}

static CHAIN void chain_b(void)
{
	cap_ra[1] = __builtin_return_address(0);
	chain_c();
	sink++;
}

static CHAIN void chain_a(void)
{
	cap_ra[2] = __builtin_return_address(0);
	chain_b();
	sink++;
}

static struct unwind_snapshot cap_snapshot(size_t stack_len)
{
	struct unwind_snapshot s;

	memcpy(s.regs, cap_regs, sizeof(s.regs));
	s.stack = cap_stack;
	s.stack_len = stack_len;
	return s;
}

/* Index of the local backtrace entry for chain_c's return address: the
 * local backtrace from there on is what the remote unwind must give
 * after its first frame. */
static int local_index_of(void *const *frames, int n, void *ra)
{
	for (int i = 0; i < n; i++)
		if (frames[i] == ra)
			return i;
	return -1;
}

static void print_frames(const char *what, const uint64_t *pcs, size_t n)
{
	fprintf(stderr, "%s (%zu frames):\n", what, n);
	for (size_t i = 0; i < n; i++) {
		Dl_info di;
		const char *sym = "?";

		if (dladdr((void *)(uintptr_t)pcs[i], &di) && di.dli_sname)
			sym = di.dli_sname;
		fprintf(stderr, "  #%zu %#" PRIx64 " %s\n", i, pcs[i], sym);
	}
}

static bool frames_in(const char *lib, const uint64_t *pcs, size_t from, size_t n)
{
	for (size_t i = from; i < n; i++) {
		Dl_info di;

		if (dladdr((void *)(uintptr_t)pcs[i], &di) && di.dli_fname &&
		    strstr(di.dli_fname, lib))
			return true;
	}
	return false;
}

static void test_unwind_matches_local(void **state)
{
	struct procmap *pm = procmap_new();
	struct unwinder *u = unwinder_new(pm);
	struct proc_space *ps;
	struct unwind_snapshot snap;
	uint64_t pcs[MAX_FRAMES];
	bool truncated = true;
	size_t n;
	int k;

	chain_a();
	ps = procmap_process(pm, getpid());
	assert_true(ps->nmaps > 0);
	assert_true(cap_stack_len > 256);
	snap = cap_snapshot(cap_stack_len);
	n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
	k = local_index_of(cap_local, cap_nlocal, cap_ra[0]);
	if (k < 0 || n != 1 + (size_t)(cap_nlocal - k) || truncated || getenv("TEST_VERBOSE"))
		print_frames("remote unwind of the captured snapshot", pcs, n);
	assert_true(k >= 0);
	assert_false(truncated);
	assert_int_equal(pcs[0], cap_regs[PERF_REG_X86_IP]);
	assert_int_equal(pcs[1], (uintptr_t)cap_ra[0]);
	assert_int_equal(pcs[2], (uintptr_t)cap_ra[1]);
	assert_int_equal(pcs[3], (uintptr_t)cap_ra[2]);
	assert_int_equal(n, 1 + (size_t)(cap_nlocal - k));
	for (size_t i = 1; i < n; i++)
		assert_int_equal(pcs[i], (uintptr_t)cap_local[k + i - 1]);
	/* down through main into libc's start code */
	assert_true(n >= 7);
	assert_true(frames_in("libc.so", pcs, n - 3, n));

	/* a mapping change flushes libunwind's cache; the result is the same */
	procmap_add_mapping(pm, getpid(), 0x1000, 0x1000, 0, 0, "");
	{
		uint64_t again[MAX_FRAMES];
		size_t m = unwinder_unwind(u, ps, &snap, again, MAX_FRAMES, &truncated);

		assert_int_equal(m, n);
		assert_memory_equal(again, pcs, n * sizeof(*pcs));
		assert_false(truncated);
	}

	/* max cuts the stack short, and says so */
	n = unwinder_unwind(u, ps, &snap, pcs, 3, &truncated);
	assert_int_equal(n, 3);
	assert_true(truncated);

	unwinder_free(u);
	procmap_free(pm);
}

static void test_unwind_truncated(void **state)
{
	struct procmap *pm = procmap_new();
	struct unwinder *u = unwinder_new(pm);
	struct proc_space *ps;
	struct unwind_snapshot snap;
	uint64_t full[MAX_FRAMES], pcs[MAX_FRAMES];
	bool truncated;
	size_t nfull, n, prev = 0;

	chain_a();
	ps = procmap_process(pm, getpid());
	snap = cap_snapshot(cap_stack_len);
	nfull = unwinder_unwind(u, ps, &snap, full, MAX_FRAMES, &truncated);
	assert_false(truncated);

	snap.stack_len = 64;
	n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
	assert_true(truncated);
	assert_true(n >= 2); /* chain_c's own frame fits in 64 bytes */
	assert_true(n < nfull);
	assert_memory_equal(pcs, full, n * sizeof(*pcs));

	/* the more stack, the more frames, always a prefix of the full unwind */
	for (size_t len = 0; len <= cap_stack_len; len += 8) {
		snap.stack_len = len;
		n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
		assert_true(n >= 1);
		assert_true(n >= prev);
		assert_memory_equal(pcs, full, n * sizeof(*pcs));
		assert_true(truncated == (n < nfull));
		prev = n;
	}
	assert_int_equal(prev, nfull);

	/* an IP in memory without unwind info: one frame, truncated */
	{
		void *heap = malloc(64);

		snap.stack_len = cap_stack_len;
		snap.regs[PERF_REG_X86_IP] = (uintptr_t)heap;
		procmap_reload(pm, ps);
		n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
		assert_int_equal(n, 1);
		assert_true(truncated);
		free(heap);
	}
	/* no IP at all: nothing */
	snap.regs[PERF_REG_X86_IP] = 0;
	n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
	assert_int_equal(n, 0);

	unwinder_free(u);
	procmap_free(pm);
}

/* Code whose image has no .eh_frame_hdr (only .debug_frame, which this
 * libunwind cannot use): without frame pointers the stack is reported
 * truncated, not guessed. */
static void test_unwind_no_eh_frame_hdr(void **state)
{
	struct procmap *pm = procmap_new();
	struct unwinder *u = unwinder_new(pm);
	struct proc_space *real = procmap_process(pm, getpid()), fake;
	struct unwind_snapshot snap;
	struct elf_image img;
	uint64_t pcs[MAX_FRAMES];
	bool truncated;
	size_t n;

	chain_a();
	snap = cap_snapshot(cap_stack_len);
	/* the same address space, but our executable has lost its table */
	memset(&fake, 0, sizeof(fake));
	fake.pid = getpid();
	fake.nmaps = real->nmaps;
	fake.maps = malloc(real->nmaps * sizeof(*fake.maps));
	assert_non_null(fake.maps);
	memcpy(fake.maps, real->maps, real->nmaps * sizeof(*fake.maps));
	{
		struct map_entry *m =
			(struct map_entry *)proc_space_find(&fake, (uintptr_t)chain_c);

		assert_non_null(m);
		img = *m->image;
		img.eh_frame_hdr_vaddr = img.eh_frame_hdr_size = 0;
		img.unwind_priv = img.symbols_priv = NULL;
		for (size_t i = 0; i < fake.nmaps; i++)
			if (fake.maps[i].image == m->image)
				fake.maps[i].image = &img;
	}
	n = unwinder_unwind(u, &fake, &snap, pcs, MAX_FRAMES, &truncated);
	assert_int_equal(pcs[0], cap_regs[PERF_REG_X86_IP]);
	/* Built without frame pointers (the default -O2): nothing more.
	 * Built with them (the sanitizer build), the frame-pointer step for
	 * code without CFI goes on from rbp; at the capture point rbp need
	 * not be the leaf's own frame, and the sanitizer build's second frame
	 * was wrong (an address in another library): like perf's
	 * frame-pointer unwinding, it can skip or misplace the leaf's caller,
	 * so only the sampled frame is checked then. */
	if (n == 1)
		assert_true(truncated);

	if (img.unwind_free)
		img.unwind_free(img.unwind_priv);
	if (fake.unwind_free)
		fake.unwind_free(fake.unwind_priv);
	free(fake.maps);
	unwinder_free(u);
	procmap_free(pm);
}

/* Frame-pointer functions shaped as gcc -O0 emits them: after `leave`
 * the CFI still says rbp is saved at CFA-16, below sp at the ret. Never
 * called; the test builds their stack by hand. */
__asm__(".text\n"
	"fp_leaf:\n"
	".cfi_startproc\n"
	"push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset 6, -16\n"
	"mov %rsp, %rbp\n"
	".cfi_def_cfa_register 6\n"
	"nop\n"
	"leave\n"
	".cfi_def_cfa 7, 8\n"
	"fp_leaf_ret:\n"
	"ret\n"
	".cfi_endproc\n"
	"fp_caller:\n"
	".cfi_startproc\n"
	"push %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset 6, -16\n"
	"mov %rsp, %rbp\n"
	".cfi_def_cfa_register 6\n"
	"call fp_leaf\n"
	"fp_caller_ra:\n"
	"pop %rbp\n"
	".cfi_def_cfa 7, 8\n"
	"ret\n"
	".cfi_endproc\n");
extern const char fp_leaf_ret[], fp_caller_ra[];

static void test_unwind_ret_after_leave(void **state)
{
	struct procmap *pm = procmap_new();
	struct unwinder *u = unwinder_new(pm);
	struct proc_space *ps = procmap_process(pm, getpid());
	uint64_t stack[8] = {0}, pcs[MAX_FRAMES];
	const uint64_t sp = 0x7f0000001000; /* any: only the copy is read */
	struct unwind_snapshot snap = {.stack = (const uint8_t *)stack, .stack_len = sizeof(stack)};
	bool truncated;
	size_t n;

	/* at fp_leaf's ret: [sp] returns into fp_caller, whose frame pointer
	 * (rbp, already restored) is sp + 0x20 with a null return address */
	stack[0] = (uintptr_t)fp_caller_ra;
	snap.regs[PERF_REG_X86_IP] = (uintptr_t)fp_leaf_ret;
	snap.regs[PERF_REG_X86_SP] = sp;
	snap.regs[PERF_REG_X86_BP] = sp + 0x20;
	n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
	if (n != 2 || truncated)
		print_frames("fp_leaf at ret", pcs, n);
	assert_int_equal(n, 2);
	assert_false(truncated);
	assert_int_equal(pcs[0], (uintptr_t)fp_leaf_ret);
	assert_int_equal(pcs[1], (uintptr_t)fp_caller_ra);

	/* elsewhere a slot below sp is not invented: on the leave (rbp = sp - 8
	 * there) fp_caller's frame needs rbp from below sp, and stops */
	snap.regs[PERF_REG_X86_IP] = (uintptr_t)fp_leaf_ret - 1;
	snap.regs[PERF_REG_X86_BP] = sp - 8;
	n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
	assert_int_equal(n, 2);
	assert_true(truncated);

	unwinder_free(u);
	procmap_free(pm);
}

/* ---- a real perf_event sample stream (test 3) ---- */

struct sample {
	uint64_t regs[UNWIND_NREGS];
	uint8_t *stack;
	size_t stack_len;
};

static struct sample *samples;
static size_t nsamples, nlost;
static void *spin_ra[3];
static void *spin_local[MAX_FRAMES];
static int spin_nlocal;
static volatile uint64_t spin_acc;
static bool perf_refused;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spin for ns, reading the clock (in the vdso) every work iterations. */
static CHAIN void spin_c(uint64_t ns, int work)
{
	uint64_t end = now_ns() + ns, x = spin_acc;

	spin_ra[0] = __builtin_return_address(0);
	if (!spin_nlocal)
		spin_nlocal = unw_backtrace(spin_local, MAX_FRAMES);
	do {
		for (int i = 0; i < work; i++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
	} while (now_ns() < end);
	spin_acc = x;
}

static CHAIN void spin_b(uint64_t ns, int work)
{
	spin_ra[1] = __builtin_return_address(0);
	spin_c(ns, work);
	sink++;
}

static CHAIN void spin_a(uint64_t ns, int work)
{
	spin_ra[2] = __builtin_return_address(0);
	spin_b(ns, work);
	sink++;
}

static void sample_parse(const uint8_t *p, const uint8_t *end)
{
	struct sample *s;
	uint64_t abi, size, v;

	p += 8 + 8 + 8; /* ip; pid, tid; time */
	memcpy(&abi, p, 8);
	p += 8;
	samples = realloc(samples, (nsamples + 1) * sizeof(*samples));
	assert_non_null(samples);
	s = &samples[nsamples];
	memset(s, 0, sizeof(*s));
	if (abi) {
		for (int r = 0; r < UNWIND_NREGS; r++) {
			if (!(UNWIND_REGS_MASK & (1ULL << r)))
				continue;
			memcpy(&v, p, 8);
			s->regs[r] = v;
			p += 8;
		}
	}
	memcpy(&size, p, 8);
	p += 8;
	if (size) {
		memcpy(&v, p + size, 8); /* dyn_size */
		assert_true(p + size + 8 <= end && v <= size);
		s->stack = malloc(v ? v : 1);
		assert_non_null(s->stack);
		memcpy(s->stack, p, v);
		s->stack_len = v;
	}
	if (abi)
		nsamples++;
	else
		free(s->stack);
}

/* Copy out every record between tail and head (records may wrap). */
static void ring_drain(struct perf_event_mmap_page *meta)
{
	uint8_t *data = (uint8_t *)meta + meta->data_offset, rec[65536];
	uint64_t size = meta->data_size;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail;

	while (tail < head) {
		struct perf_event_header h;

		for (size_t i = 0; i < sizeof(h); i++)
			((uint8_t *)&h)[i] = data[(tail + i) % size];
		assert_true(h.size >= sizeof(h));
		for (size_t i = 0; i < h.size; i++)
			rec[i] = data[(tail + i) % size];
		if (h.type == PERF_RECORD_SAMPLE)
			sample_parse(rec + sizeof(h), rec + h.size);
		else if (h.type == PERF_RECORD_LOST)
			nlost += *(const uint64_t *)(const void *)(rec + sizeof(h) +
								   8); /* id, lost */
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
}

static int perf_open_self(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.sample_period = 1000000; /* 1 ms of CPU */
	attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			   PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
	attr.sample_regs_user = UNWIND_REGS_MASK;
	attr.sample_stack_user = STACK_COPY;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	attr.disabled = 1;
	return (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

static void test_unwind_perf_samples(void **state)
{
	const size_t pages = 1 + 128;
	long page = sysconf(_SC_PAGESIZE);
	struct procmap *pm;
	struct unwinder *u;
	struct proc_space *ps;
	void *ring;
	uint64_t t0, ns, cold_ns = 0, warm_ns = UINT64_MAX;
	size_t good = 0, in_chain = 0, in_vdso = 0;
	int fd, k;

	fd = perf_open_self();
	if (fd < 0) {
		fprintf(stderr,
			"skip: perf_event_open(cpu-clock) refused: %s "
			"(needs perf_event_paranoid <= 2 or root)\n",
			strerror(errno));
		perf_refused = true;
		skip();
	}
	ring = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED) {
		fprintf(stderr, "skip: cannot map the perf ring buffer: %s\n", strerror(errno));
		close(fd);
		perf_refused = true;
		skip();
	}

	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	for (int round = 0; round < 12; round++) {
		/* every other round mostly in clock_gettime: vdso frames */
		spin_a(25 * 1000000ULL, round % 2 ? 1 : 20000);
		ring_drain(ring);
	}
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	ring_drain(ring);
	munmap(ring, pages * page);
	close(fd);
	fprintf(stderr, "perf: %zu samples, %zu lost\n", nsamples, nlost);
	assert_true(nsamples >= 50);

	k = local_index_of(spin_local, spin_nlocal, spin_ra[0]);
	assert_true(k >= 0);

	pm = procmap_new();
	u = unwinder_new(pm);
	ps = procmap_process(pm, getpid());
	for (int pass = 0; pass < 6; pass++) {
		t0 = now_ns();
		for (size_t i = 0; i < nsamples; i++) {
			struct unwind_snapshot snap;
			uint64_t pcs[MAX_FRAMES];
			bool truncated;
			size_t n, p;

			memcpy(snap.regs, samples[i].regs, sizeof(snap.regs));
			snap.stack = samples[i].stack;
			snap.stack_len = samples[i].stack_len;
			n = unwinder_unwind(u, ps, &snap, pcs, MAX_FRAMES, &truncated);
			if (pass)
				continue;
			/* through spin_c, spin_b, spin_a, then exactly the local
			 * backtrace's frames down to _start */
			for (p = 0; p < n && pcs[p] != (uintptr_t)spin_ra[0]; p++)
				;
			if (p == n)
				continue;
			in_chain++;
			if (proc_space_find(ps, pcs[0]) &&
			    !strcmp(proc_space_find(ps, pcs[0])->name, "[vdso]"))
				in_vdso++;
			if (!truncated && n - p == (size_t)(spin_nlocal - k) &&
			    !memcmp(&pcs[p], &spin_local[k], (n - p) * sizeof(*pcs)))
				good++;
			else if (in_chain - good < 3) {
				fprintf(stderr,
					"sample %zu: truncated %d, %zu stack bytes, sp %#" PRIx64
					"\n",
					i, truncated, snap.stack_len, snap.regs[PERF_REG_X86_SP]);
				print_frames("sample not unwound to the end", pcs, n);
			}
		}
		ns = now_ns() - t0;
		if (pass == 0)
			cold_ns = ns;
		else if (ns < warm_ns)
			warm_ns = ns;
	}
	fprintf(stderr,
		"perf: %zu/%zu samples unwound through spin_c, spin_b, spin_a to _start "
		"(%zu of them from the vdso)\n",
		good, nsamples, in_vdso);
	fprintf(stderr, "perf: mean %.2f us per unwind (best of 5 passes; first pass %.2f us)\n",
		warm_ns / 1e3 / nsamples, cold_ns / 1e3 / nsamples);
	assert_true(good * 10 >= nsamples * 8);
	assert_int_equal(good, in_chain);

	for (size_t i = 0; i < nsamples; i++)
		free(samples[i].stack);
	free(samples);
	unwinder_free(u);
	procmap_free(pm);
}

/* ---- procmap (test 4) ---- */

struct phdr_check {
	const char *want; /* "" for the executable */
	int checked;
	struct procmap *pm;
	struct proc_space *ps;
};

static int phdr_check_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct phdr_check *c = arg;

	if (*c->want ? !strstr(info->dlpi_name, c->want) : info->dlpi_name[0] != '\0')
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t probes[] = {ph->p_vaddr, ph->p_vaddr + ph->p_filesz / 2};

		if (ph->p_type != PT_LOAD || !ph->p_filesz)
			continue;
		for (size_t j = 0; j < 2; j++) {
			uint64_t addr = info->dlpi_addr + probes[j], vaddr;
			const struct map_entry *m = proc_space_find(c->ps, addr);
			int64_t bias;

			assert_non_null(m);
			assert_non_null(m->image);
			assert_true(map_entry_vaddr(m, addr, &vaddr));
			assert_int_equal(vaddr, probes[j]);
			assert_true(map_entry_bias(m, &bias));
			assert_int_equal((uint64_t)bias, info->dlpi_addr);
			c->checked++;
		}
	}
	return 1;
}

static void test_procmap_vaddr(void **state)
{
	struct procmap *pm = procmap_new();
	struct proc_space *ps = procmap_process(pm, getpid());
	struct phdr_check c = {.pm = pm, .ps = ps};
	const struct map_entry *m;
	uint8_t buf[4];

	c.want = "";
	dl_iterate_phdr(phdr_check_one, &c);
	assert_true(c.checked >= 4);
	c.checked = 0;
	c.want = "libc.so";
	dl_iterate_phdr(phdr_check_one, &c);
	assert_true(c.checked >= 4);

	/* the code at a function's address is read back from the file */
	m = proc_space_find(ps, (uintptr_t)chain_a);
	assert_non_null(m);
	assert_non_null(m->image);
	assert_non_null(m->image->build_id);
	assert_true(m->image->eh_frame_hdr_vaddr != 0);
	{
		uint64_t vaddr;
		uint8_t code[16];

		assert_true(map_entry_vaddr(m, (uintptr_t)chain_a, &vaddr));
		assert_true(elf_image_read(m->image, vaddr, code, sizeof(code)));
		assert_memory_equal(code, (const void *)chain_a, sizeof(code));
		assert_false(elf_image_read(m->image, 0xfffffffffff0ULL, code, sizeof(code)));
	}

	/* the vdso is backed by our own copy */
	for (size_t i = 0; i < ps->nmaps; i++) {
		if (strcmp(ps->maps[i].name, "[vdso]"))
			continue;
		assert_non_null(ps->maps[i].image);
		assert_true(ps->maps[i].image->is_vdso);
		assert_true(ps->maps[i].image->eh_frame_hdr_vaddr != 0);
		assert_true(
			elf_image_read(ps->maps[i].image, ps->maps[i].image->text_vaddr, buf, 4));
		assert_memory_equal(buf, "\177ELF", 4);
	}

	/* not ELF: no image, and the same answer next time */
	assert_null(procmap_image(pm, "/proc/self/status"));
	assert_null(procmap_image(pm, "/proc/self/status"));
	assert_null(procmap_image(pm, "/nonexistent/lib.so"));
	assert_null(procmap_image(pm, "[heap]"));
	procmap_free(pm);
}

static void expect_map(const struct proc_space *ps, size_t i, uint64_t start, uint64_t end,
		       uint64_t pgoff, const char *name)
{
	assert_true(i < ps->nmaps);
	assert_int_equal(ps->maps[i].start, start);
	assert_int_equal(ps->maps[i].end, end);
	assert_int_equal(ps->maps[i].pgoff, pgoff);
	assert_string_equal(ps->maps[i].name, name);
}

static void test_procmap_edit(void **state)
{
	struct procmap *pm = procmap_new();
	const pid_t a = 0x7ffffff0, b = 0x7ffffff1; /* no such processes */
	struct proc_space *ps;
	unsigned gen;

	procmap_add_mapping(pm, a, 0x10000, 0x10000, 0, PROT_READ | PROT_EXEC, "/bin/true");
	ps = procmap_lookup(pm, a);
	assert_non_null(ps);
	assert_int_equal(ps->nmaps, 1);
	assert_non_null(ps->maps[0].image);
	gen = ps->generation;

	/* over the middle: a split */
	procmap_add_mapping(pm, a, 0x14000, 0x1000, 0, PROT_READ, "");
	assert_true(ps->generation != gen);
	assert_int_equal(ps->nmaps, 3);
	expect_map(ps, 0, 0x10000, 0x14000, 0, "/bin/true");
	expect_map(ps, 1, 0x14000, 0x15000, 0, "");
	expect_map(ps, 2, 0x15000, 0x20000, 0x5000, "/bin/true");
	assert_null(ps->maps[1].image);
	assert_ptr_equal(ps->maps[0].image, ps->maps[2].image);
	assert_ptr_equal(proc_space_find(ps, 0x14fff), &ps->maps[1]);
	assert_null(proc_space_find(ps, 0x20000));
	assert_null(proc_space_find(ps, 0xffff));

	/* across three: head of one, all of the next, tail of the last */
	procmap_add_mapping(pm, a, 0x12000, 0x4000, 0x100000, PROT_READ, "[heap]");
	assert_int_equal(ps->nmaps, 3);
	expect_map(ps, 0, 0x10000, 0x12000, 0, "/bin/true");
	expect_map(ps, 1, 0x12000, 0x16000, 0x100000, "[heap]");
	expect_map(ps, 2, 0x16000, 0x20000, 0x6000, "/bin/true");

	/* exactly over one, and into a gap after the last */
	procmap_add_mapping(pm, a, 0x12000, 0x4000, 0, PROT_READ, "/x");
	procmap_add_mapping(pm, a, 0x30000, 0x1000, 0, PROT_READ, "/y");
	procmap_add_mapping(pm, a, 0x1000, 0x1000, 0, PROT_READ, "/z");
	assert_int_equal(ps->nmaps, 5);
	expect_map(ps, 0, 0x1000, 0x2000, 0, "/z");
	expect_map(ps, 2, 0x12000, 0x16000, 0, "/x");
	expect_map(ps, 4, 0x30000, 0x31000, 0, "/y");
	for (size_t i = 1; i < ps->nmaps; i++)
		assert_true(ps->maps[i - 1].end <= ps->maps[i].start);

	/* fork copies, exec clears (only the one that execs), exit frees */
	procmap_fork(pm, a, b);
	assert_non_null(procmap_lookup(pm, b));
	assert_int_equal(procmap_lookup(pm, b)->nmaps, 5);
	expect_map(procmap_lookup(pm, b), 2, 0x12000, 0x16000, 0, "/x");
	procmap_exec(pm, a);
	assert_int_equal(procmap_lookup(pm, a)->nmaps, 0);
	assert_int_equal(procmap_lookup(pm, b)->nmaps, 5);
	procmap_exit(pm, b);
	assert_null(procmap_lookup(pm, b));
	assert_non_null(procmap_lookup(pm, a));
	procmap_free(pm);
}

/* A deleted file stays readable through /proc/PID/map_files. */
static void test_procmap_deleted(void **state)
{
	char path[] = "/tmp/test-unwind-XXXXXX", buf[65536];
	struct procmap *pm = procmap_new();
	struct proc_space *ps;
	const struct map_entry *m;
	int in = open("/proc/self/exe", O_RDONLY), out = mkstemp(path);
	ssize_t n;
	void *map;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, out, 0);
	assert_true(map != MAP_FAILED);
	close(out);
	unlink(path);

	ps = procmap_process(pm, getpid());
	m = proc_space_find(ps, (uintptr_t)map);
	assert_non_null(m);
	assert_non_null(strstr(m->name, "(deleted)"));
	if (!m->image) {
		fprintf(stderr, "note: /proc/self/map_files not readable here; deleted file "
				"has no image\n");
	} else {
		if (getenv("TEST_VERBOSE"))
			fprintf(stderr, "deleted file read through %s\n", m->image->path);
		assert_non_null(m->image->build_id);
		assert_non_null(strstr(m->image->path, "map_files"));
	}
	munmap(map, 4096);
	procmap_free(pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procmap_vaddr),
		cmocka_unit_test(test_procmap_edit),
		cmocka_unit_test(test_procmap_deleted),
		cmocka_unit_test(test_unwind_matches_local),
		cmocka_unit_test(test_unwind_truncated),
		cmocka_unit_test(test_unwind_no_eh_frame_hdr),
		cmocka_unit_test(test_unwind_ret_after_leave),
		cmocka_unit_test(test_unwind_perf_samples),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	if (!failed && perf_refused) {
		fprintf(stderr, "test-unwind: perf test skipped (perf_event_open refused)\n");
		return 77;
	}
	return failed ? 1 : 0;
}
