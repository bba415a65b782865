#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uprobe.h"
#include "xalloc.h"

#define UPROBE_SYSFS "/sys/bus/event_source/devices/uprobe"
#define PROG_MAX     160
/* pt_regs on x86-64: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di
 * orig_ax ip cs flags sp ss. */
#define PT_REGS_SP_OFF (19 * 8)
/* A record without the USDT arguments: what most probes log. */
#define REC_SHORT offsetof(struct uprobe_record, arg0)

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int uprobe_pmu_type(char *err, size_t errlen)
{
	static int cached = -2;
	FILE *f;

	if (cached == -2) {
		f = fopen(UPROBE_SYSFS "/type", "r");
		if (!f || fscanf(f, "%d", &cached) != 1)
			cached = -1;
		if (f)
			fclose(f);
	}
	if (cached < 0)
		snprintf(err, errlen,
			 "this kernel has no uprobe PMU (" UPROBE_SYSFS " is missing; it needs "
			 "CONFIG_UPROBE_EVENTS, Linux 4.17 or later)");
	return cached;
}

/* The bit of config that makes a uretprobe ("config:0" in sysfs). */
static unsigned retprobe_bit(void)
{
	FILE *f = fopen(UPROBE_SYSFS "/format/retprobe", "r");
	unsigned bit = 0;

	if (f) {
		if (fscanf(f, "config:%u", &bit) != 1 || bit > 63)
			bit = 0;
		fclose(f);
	}
	return bit;
}

static void read_comm(char comm[16])
{
	FILE *f = fopen("/proc/self/comm", "r");

	memset(comm, 0, 16);
	if (f) {
		if (fgets(comm, 16, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
}

void uprobe_gate_init(struct uprobe_gate *g, const char *exe_path)
{
	const char *base = exe_path ? strrchr(exe_path, '/') : NULL;
	char theirs[16] = "";

	base = base ? base + 1 : exe_path;
	read_comm(g->comm);
	/* exec names the task after the file, cut to 15 bytes. */
	if (base)
		strncpy(theirs, base, 15);
	g->on = g->comm[0] && strncmp(theirs, g->comm, 16) != 0;
}

/* ---- a tiny BPF assembler ---- */

struct prog {
	struct bpf_insn insn[PROG_MAX];
	int n;
};

static int emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (p->n >= PROG_MAX)
		fatal("internal error: BPF program too long");
	p->insn[p->n] = (struct bpf_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return p->n++;
}

static void emit_ld64(struct prog *p, uint8_t dst, uint8_t pseudo, uint64_t v)
{
	emit(p, BPF_LD | BPF_DW | BPF_IMM, dst, pseudo, 0, (int32_t)(uint32_t)v);
	emit(p, 0, 0, 0, 0, (int32_t)(uint32_t)(v >> 32));
}

static void emit_call(struct prog *p, int32_t helper)
{
	emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, helper);
}

static void emit_exit0(struct prog *p)
{
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* Point the jump at index j to the next instruction emitted. */
static void patch_here(struct prog *p, int j)
{
	p->insn[j].off = (int16_t)(p->n - j - 1);
}

/* r6 = ctx; with a gate, return at once in a task named g->comm. */
static void emit_prologue(struct prog *p, const struct uprobe_gate *g)
{
	uint64_t c0, c1;
	int j0, j1;

	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0);
	if (!g || !g->on)
		return;
	memcpy(&c0, g->comm, 8);
	memcpy(&c1, g->comm + 8, 8);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, -16);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, 16);
	emit_call(p, BPF_FUNC_get_current_comm);
	emit(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, -16, 0);
	emit_ld64(p, BPF_REG_2, 0, c0);
	j0 = emit(p, BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
	emit(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_10, -8, 0);
	emit_ld64(p, BPF_REG_2, 0, c1);
	j1 = emit(p, BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_2, 0, 0);
	emit_exit0(p);
	patch_here(p, j0);
	patch_here(p, j1);
}

/* map[key] += 1, key stored at fp-off. */
static void emit_increment(struct prog *p, int map_fd, uint32_t key, int16_t off)
{
	int j;

	emit(p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off, (int32_t)key);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, off);
	emit_ld64(p, BPF_REG_1, BPF_PSEUDO_MAP_FD, (uint64_t)map_fd);
	emit_call(p, BPF_FUNC_map_lookup_elem);
	j = emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
	emit(p, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD);
	patch_here(p, j);
}

static int prog_load(const struct prog *p, char *err, size_t errlen)
{
	union bpf_attr a;
	char *log;
	int fd, e;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_KPROBE;
	a.insns = (uintptr_t)p->insn;
	a.insn_cnt = (uint32_t)p->n;
	a.license = (uintptr_t) "GPL";
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	e = errno;
	if (e == EPERM || e == EACCES) {
		snprintf(err, errlen, "bpf(2) refused to load a program (%s): run as root",
			 strerror(e));
		return -1;
	}
	if (e == ENOSYS) {
		snprintf(err, errlen,
			 "bpf(2) is not available in this kernel (CONFIG_BPF_SYSCALL)");
		return -1;
	}
	/* Our own program was refused: say what the verifier said. */
	log = xcalloc(1, 65536);
	a.log_buf = (uintptr_t)log;
	a.log_size = 65536;
	a.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0) {
		free(log);
		return fd;
	}
	for (char *c = log; *c; c++)
		if (*c == '\n')
			*c = ' ';
	snprintf(err, errlen, "bpf(2) refused proftop's probe program (%s): %.200s", strerror(e),
		 log);
	free(log);
	return -1;
}

static int map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t entries,
		      char *err, size_t errlen)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key_size;
	a.value_size = value_size;
	a.max_entries = entries;
	fd = (int)sys_bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		snprintf(err, errlen, "bpf(2) cannot create a map (%s)%s", strerror(errno),
			 errno == EPERM || errno == EACCES ? ": run as root"
			 : errno == ENOSYS		   ? ": the kernel lacks CONFIG_BPF_SYSCALL"
							   : "");
	return fd;
}

static uint64_t map_read_u64(int fd, uint32_t key)
{
	union bpf_attr a;
	uint64_t v = 0;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)&v;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0)
		return 0;
	return v;
}

/* ---- counters ---- */

struct uprobe_counters {
	int map;
	uint32_t nslots;
};

struct uprobe_counters *uprobe_counters_new(uint32_t nslots, char *err, size_t errlen)
{
	int fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, nslots, err, errlen);
	struct uprobe_counters *uc;

	if (fd < 0)
		return NULL;
	uc = xcalloc(1, sizeof(*uc));
	uc->map = fd;
	uc->nslots = nslots;
	return uc;
}

void uprobe_counters_free(struct uprobe_counters *uc)
{
	if (!uc)
		return;
	close(uc->map);
	free(uc);
}

int uprobe_counters_prog(struct uprobe_counters *uc, uint32_t slot, const struct uprobe_gate *g,
			 char *err, size_t errlen)
{
	struct prog p = {.n = 0};

	emit_prologue(&p, g);
	emit_increment(&p, uc->map, slot, -20);
	emit_exit0(&p);
	return prog_load(&p, err, errlen);
}

uint64_t uprobe_counters_read(const struct uprobe_counters *uc, uint32_t slot)
{
	return slot < uc->nslots ? map_read_u64(uc->map, slot) : 0;
}

/* ---- the ring ---- */

struct uprobe_ring {
	int map, drops; /* the ring buffer; a one-slot array counting full-ring drops */
	size_t size, page;
	uint64_t *consumer; /* consumer_pos page (read-write) */
	uint8_t *producer;  /* producer_pos page, then the data mapped twice */
	uint8_t *data;
};

struct uprobe_ring *uprobe_ring_new(size_t bytes, char *err, size_t errlen)
{
	struct uprobe_ring *r = xcalloc(1, sizeof(*r));
	void *m;

	r->page = (size_t)sysconf(_SC_PAGESIZE);
	r->size = bytes;
	r->map = map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)bytes, err, errlen);
	r->drops = -1;
	if (r->map < 0)
		goto fail;
	r->drops = map_create(BPF_MAP_TYPE_ARRAY, 4, 8, 1, err, errlen);
	if (r->drops < 0)
		goto fail;
	m = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, r->map, 0);
	if (m == MAP_FAILED)
		goto fail_mmap;
	r->consumer = m;
	m = mmap(NULL, r->page + 2 * bytes, PROT_READ, MAP_SHARED, r->map, (off_t)r->page);
	if (m == MAP_FAILED)
		goto fail_mmap;
	r->producer = m;
	r->data = r->producer + r->page;
	return r;
fail_mmap:
	snprintf(err, errlen, "cannot map a BPF ring buffer: %s", strerror(errno));
fail:
	uprobe_ring_free(r);
	return NULL;
}

void uprobe_ring_free(struct uprobe_ring *r)
{
	if (!r)
		return;
	if (r->producer)
		munmap(r->producer, r->page + 2 * r->size);
	if (r->consumer)
		munmap(r->consumer, r->page);
	if (r->map >= 0)
		close(r->map);
	if (r->drops >= 0)
		close(r->drops);
	free(r);
}

int uprobe_ring_prog(struct uprobe_ring *r, uint32_t slot, enum uprobe_rec_kind kind,
		     const struct uprobe_gate *g, char *err, size_t errlen)
{
	struct prog p = {.n = 0};
	int j;

	emit_prologue(&p, g);
#ifdef __x86_64__
	emit(&p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_6, PT_REGS_SP_OFF, 0);
#else
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_7, 0, 0, 0);
#endif
	/* struct uprobe_record at fp-48 */
	emit_call(&p, BPF_FUNC_get_current_pid_tgid);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -48, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_7, -40, 0);
	emit_call(&p, BPF_FUNC_ktime_get_ns);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -32, 0);
	emit(&p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -24, (int32_t)slot);
	emit(&p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -20, (int32_t)kind);
	emit_ld64(&p, BPF_REG_1, BPF_PSEUDO_MAP_FD, (uint64_t)r->map);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(&p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -48);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, REC_SHORT);
	/* No wakeup per record: the collector drains at its tick. */
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_RB_NO_WAKEUP);
	emit_call(&p, BPF_FUNC_ringbuf_output);
	j = emit(&p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	emit_increment(&p, r->drops, 0, -52);
	patch_here(&p, j);
	emit_exit0(&p);
	return prog_load(&p, err, errlen);
}

size_t uprobe_ring_drain(struct uprobe_ring *r,
			 void (*fn)(void *ctx, const struct uprobe_record *rec), void *ctx)
{
	uint64_t cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE);
	uint64_t prod = __atomic_load_n((uint64_t *)r->producer, __ATOMIC_ACQUIRE);
	size_t n = 0;

	while (cons < prod) {
		uint32_t *hdr = (uint32_t *)(r->data + (cons & (r->size - 1)));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* still being written */
		if (!(len & BPF_RINGBUF_DISCARD_BIT) &&
		    (len & ~BPF_RINGBUF_BUSY_BIT) >= REC_SHORT) {
			struct uprobe_record rec = {0};
			size_t take = len < sizeof(rec) ? len : sizeof(rec);

			/* The data is mapped twice in a row: a wrapped record reads straight. */
			memcpy(&rec, (uint8_t *)hdr + BPF_RINGBUF_HDR_SZ, take);
			fn(ctx, &rec);
			n++;
		}
		len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		cons += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
		__atomic_store_n(r->consumer, cons, __ATOMIC_RELEASE);
		if (cons >= prod)
			prod = __atomic_load_n((uint64_t *)r->producer, __ATOMIC_ACQUIRE);
	}
	return n;
}

uint64_t uprobe_ring_dropped(const struct uprobe_ring *r)
{
	return map_read_u64(r->drops, 0);
}

/* ---- USDT programs ---- */

struct filter_key {
	uint64_t tgid, arg0, arg1;
};

int uprobe_filter_new(char *err, size_t errlen)
{
	return map_create(BPF_MAP_TYPE_HASH, sizeof(struct filter_key), 8, 16384, err, errlen);
}

uint64_t uprobe_filter_get(int map, uint32_t tgid, uint64_t arg0, uint64_t arg1)
{
	struct filter_key k = {tgid, arg0, arg1};
	union bpf_attr a;
	uint64_t v = 0;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map;
	a.key = (uintptr_t)&k;
	a.value = (uintptr_t)&v;
	if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &a) < 0)
		return 0;
	return v;
}

void uprobe_filter_delete(int map, uint32_t tgid, uint64_t arg0, uint64_t arg1)
{
	struct filter_key k = {tgid, arg0, arg1};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map;
	a.key = (uintptr_t)&k;
	sys_bpf(BPF_MAP_DELETE_ELEM, &a);
}

bool uprobe_filter_set(int filter, uint32_t tgid, uint64_t arg0, uint64_t arg1, bool match)
{
	struct filter_key k = {tgid, arg0, arg1};
	uint64_t v = match;
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)filter;
	a.key = (uintptr_t)&k;
	a.value = (uintptr_t)&v;
	a.flags = BPF_ANY;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a) == 0;
}

/* Where a NEW record is built on the BPF stack (512 bytes): below the
 * filter's key (fp-88) and the slot key (fp-92). */
#define NEW_REC_OFF (-(int16_t)((sizeof(struct uprobe_record) + 96 + 7) & ~7u))

/* Log a record of kind at off: r9 pid_tgid, the argument at line_off in
 * sp's place; a long (NEW) one also r7 and r8 and their strings. */
static void emit_usdt_record(struct prog *p, struct uprobe_ring *r, uint32_t slot, uint32_t kind,
			     bool long_rec, int line_off)
{
	int16_t off = long_rec ? NEW_REC_OFF : -64;
	int j;

	emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_9, off, 0);
	if (line_off >= 0) { /* in sp's place: a Python record has none */
		emit(p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_1, BPF_REG_6, (int16_t)line_off, 0);
		emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_1, off + 8, 0);
	} else {
		emit(p, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, off + 8, 0);
	}
	emit_call(p, BPF_FUNC_ktime_get_ns);
	emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, off + 16, 0);
	emit(p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off + 24, (int32_t)slot);
	emit(p, BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, off + 28, (int32_t)kind);
	emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_7, off + 32, 0);
	emit(p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_8, off + 40, 0);
	if (long_rec) {
		const int16_t s0 = (int16_t)(off + offsetof(struct uprobe_record, str0));
		const int16_t s1 = (int16_t)(off + offsetof(struct uprobe_record, str1));

		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0);
		emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, s0);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, UPROBE_STR0_LEN);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_7, 0, 0);
		emit_call(p, BPF_FUNC_probe_read_user_str);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_10, 0, 0);
		emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_1, 0, 0, s1);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, UPROBE_STR1_LEN);
		emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_8, 0, 0);
		emit_call(p, BPF_FUNC_probe_read_user_str);
	}
	emit_ld64(p, BPF_REG_1, BPF_PSEUDO_MAP_FD, (uint64_t)r->map);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, off);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0,
	     long_rec ? (int32_t)sizeof(struct uprobe_record) : (int32_t)REC_SHORT);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_RB_NO_WAKEUP);
	emit_call(p, BPF_FUNC_ringbuf_output);
	j = emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	emit_increment(p, r->drops, 0, -68);
	patch_here(p, j);
}

/* map[fp-88] += 1 if there; r0 non-zero when it was. */
static int emit_add_if_there(struct prog *p, int map)
{
	int j;

	emit_ld64(p, BPF_REG_1, BPF_PSEUDO_MAP_FD, (uint64_t)map);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -88);
	emit_call(p, BPF_FUNC_map_lookup_elem);
	j = emit(p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1);
	emit(p, BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD);
	emit_exit0(p);
	return j;
}

int uprobe_usdt_prog(struct uprobe_counters *uc, struct uprobe_ring *r, int filter, int pending,
		     uint32_t slot, uint32_t traps_slot, bool count, enum uprobe_rec_kind kind,
		     int arg0_off, int arg1_off, int line_off, const struct uprobe_gate *g,
		     char *err, size_t errlen)
{
	struct prog p = {.n = 0};
	int miss, no;

	emit_prologue(&p, g);
	emit_increment(&p, uc->map, traps_slot, -4);
	emit_call(&p, BPF_FUNC_get_current_pid_tgid);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_0, 0, 0);
	emit(&p, BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 32);
	/* the filter's key at fp-88: tgid, arg0, arg1 */
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_0, -88, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_7, BPF_REG_6, (int16_t)arg0_off, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_DW, BPF_REG_8, BPF_REG_6, (int16_t)arg1_off, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_7, -80, 0);
	emit(&p, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, BPF_REG_8, -72, 0);
	emit_ld64(&p, BPF_REG_1, BPF_PSEUDO_MAP_FD, (uint64_t)filter);
	emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	emit(&p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -88);
	emit_call(&p, BPF_FUNC_map_lookup_elem);
	miss = emit(&p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(&p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_0, 0, 0);
	no = emit(&p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_1, 0, 0, 0);
	if (count)
		emit_increment(&p, uc->map, slot, -92);
	else
		emit_usdt_record(&p, r, slot, kind, false, line_off);
	emit_exit0(&p);
	patch_here(&p, miss);
	if (count) {
		/* Unanswered: count in pending[key]; its first hit says so. */
		int there, first, again;

		there = emit_add_if_there(&p, pending);
		patch_here(&p, there);
		emit(&p, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, -96, 1);
		emit_ld64(&p, BPF_REG_1, BPF_PSEUDO_MAP_FD, (uint64_t)pending);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
		emit(&p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -88);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0);
		emit(&p, BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -96);
		emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, BPF_NOEXIST);
		emit_call(&p, BPF_FUNC_map_update_elem);
		first = emit(&p, BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 0, 0);
		/* another CPU put it there first, or the map is full */
		again = emit_add_if_there(&p, pending);
		patch_here(&p, again);
		emit_usdt_record(&p, r, slot, kind | UPROBE_REC_NEW | UPROBE_REC_HIT, true,
				 line_off);
		emit_exit0(&p);
		patch_here(&p, first);
		emit_usdt_record(&p, r, slot, kind | UPROBE_REC_NEW, true, line_off);
	} else {
		emit_usdt_record(&p, r, slot, kind | UPROBE_REC_NEW | UPROBE_REC_HIT, true,
				 line_off);
	}
	patch_here(&p, no);
	emit_exit0(&p);
	return prog_load(&p, err, errlen);
}

/* ---- the events ---- */

int uprobe_open(int type, const char *path, uint64_t offset, bool is_return, pid_t pid, int prog)
{
	static unsigned ret_bit = ~0u;
	struct perf_event_attr a;
	int fd, e;

	if (ret_bit == ~0u)
		ret_bit = retprobe_bit();
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = (uint32_t)type;
	a.config = is_return ? 1ull << ret_bit : 0;
	a.config1 = (uint64_t)(uintptr_t)path; /* read once, here: never set inherit */
	a.config2 = offset;
	fd = (int)syscall(SYS_perf_event_open, &a, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The helper thread that closes event fds. Closing must not race with
 * proftop's exit: the kernel writes the probed function's first byte back
 * from the closing thread, and refuses to while that thread has a fatal
 * signal pending (a thread of an exiting process does): the breakpoint
 * would stay in the target. So the end of a run waits for it (flush). */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t more, idle;
	int *fds;
	size_t n, cap;
	bool running, busy;
} closer = {.lock = PTHREAD_MUTEX_INITIALIZER,
	    .more = PTHREAD_COND_INITIALIZER,
	    .idle = PTHREAD_COND_INITIALIZER};

static void *closer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&closer.lock);
	for (;;) {
		int fd;

		while (!closer.n) {
			closer.busy = false;
			pthread_cond_broadcast(&closer.idle);
			pthread_cond_wait(&closer.more, &closer.lock);
		}
		fd = closer.fds[--closer.n];
		closer.busy = true;
		pthread_mutex_unlock(&closer.lock);
		close(fd);
		pthread_mutex_lock(&closer.lock);
	}
	return NULL;
}

void uprobe_close_later(int fd)
{
	pthread_attr_t attr;
	pthread_t th;
	sigset_t all, old;

	if (fd < 0)
		return;
	pthread_mutex_lock(&closer.lock);
	if (!closer.running) {
		/* No signal for this thread: the event loop reads them (signalfd). */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		closer.running = pthread_create(&th, &attr, closer_main, NULL) == 0;
		pthread_attr_destroy(&attr);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (!closer.running) {
		pthread_mutex_unlock(&closer.lock);
		close(fd);
		return;
	}
	closer.fds = xgrow(closer.fds, &closer.cap, closer.n + 1, sizeof(int));
	closer.fds[closer.n++] = fd;
	closer.busy = true;
	pthread_cond_signal(&closer.more);
	pthread_mutex_unlock(&closer.lock);
}

void uprobe_close_flush(void)
{
	pthread_mutex_lock(&closer.lock);
	while (closer.running && (closer.n || closer.busy))
		pthread_cond_wait(&closer.idle, &closer.lock);
	pthread_mutex_unlock(&closer.lock);
}

void uprobe_open_error(int neg_errno, const char *path, char *err, size_t errlen)
{
	int e = -neg_errno;

	if (e == EACCES || e == EPERM)
		snprintf(err, errlen,
			 "cannot place a uprobe on %s (%s): uprobes need root "
			 "(CAP_PERFMON and CAP_BPF)",
			 path, strerror(e));
	else if (e == ESRCH)
		snprintf(err, errlen, "cannot place a uprobe on %s: the process is gone", path);
	else if (e == 524 /* the kernel's ENOTSUPP */ || e == EINVAL)
		snprintf(err, errlen,
			 "cannot place a uprobe on %s: uprobes cannot handle the "
			 "function's first instruction",
			 path);
	else if (e == EMFILE || e == ENFILE)
		snprintf(err, errlen, "cannot place a uprobe on %s (%s): raise 'ulimit -n'", path,
			 strerror(e));
	else
		snprintf(err, errlen, "cannot place a uprobe on %s: %s", path, strerror(e));
}
