#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <asm/perf_regs.h>
#include <libunwind.h>

#include "unwind.h"
#include "xalloc.h"

/* Exported by libunwind-x86_64 but not declared in its headers. */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
					      unw_dyn_info_t *di, unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

/* DWARF exception-header pointer encodings (LSB, .eh_frame_hdr). */
#define DW_EH_PE_omit	 0xff
#define DW_EH_PE_absptr	 0x00
#define DW_EH_PE_udata2	 0x02
#define DW_EH_PE_udata4	 0x03
#define DW_EH_PE_udata8	 0x04
#define DW_EH_PE_sdata2	 0x0a
#define DW_EH_PE_sdata4	 0x0b
#define DW_EH_PE_sdata8	 0x0c
#define DW_EH_PE_datarel 0x30

struct unwinder {
	struct procmap *pm;
};

/* Per image, computed once from its .eh_frame_hdr (img->unwind_priv). */
struct image_unwind {
	bool usable;	      /* has a binary-search table libunwind can use */
	uint64_t hdr_vaddr;   /* .eh_frame_hdr */
	uint64_t table_vaddr; /* its (initial location, FDE) search table */
	uint64_t fde_count;
};

/* Per process (ps->unwind_priv): libunwind's address space and its cache. */
struct space_unwind {
	unw_addr_space_t as;
	unsigned generation; /* of ps->maps when the cache was last valid */
};

/* Per sample: what the accessors see through unw_init_remote's arg. */
struct unwind_ctx {
	const struct unwind_snapshot *snap;
	/* The registers libunwind starts from: the sample's, then, after
	 * frame-pointer steps, with ip, sp and bp of the frame they reached
	 * (the other registers are stale there; CFI rarely needs them). */
	uint64_t regs[UNWIND_NREGS];
	const struct proc_space *ps;
	uint64_t sp;
	const struct map_entry *last;	 /* mapping of the last image read */
	const struct elf_image *cur_img; /* image of the last find_proc_info */
	const struct elf_image *seg_img; /* image and segment of the last word read */
	const struct elf_load_segment *seg;
	int64_t cur_bias;
	bool noinfo; /* an IP without unwind info was met during this step */
};

/* UNW_X86_64_* -> PERF_REG_X86_* (libunwind and perf number them differently). */
static const int unw_to_perf[] = {
	[UNW_X86_64_RAX] = PERF_REG_X86_AX,  [UNW_X86_64_RDX] = PERF_REG_X86_DX,
	[UNW_X86_64_RCX] = PERF_REG_X86_CX,  [UNW_X86_64_RBX] = PERF_REG_X86_BX,
	[UNW_X86_64_RSI] = PERF_REG_X86_SI,  [UNW_X86_64_RDI] = PERF_REG_X86_DI,
	[UNW_X86_64_RBP] = PERF_REG_X86_BP,  [UNW_X86_64_RSP] = PERF_REG_X86_SP,
	[UNW_X86_64_R8] = PERF_REG_X86_R8,   [UNW_X86_64_R9] = PERF_REG_X86_R9,
	[UNW_X86_64_R10] = PERF_REG_X86_R10, [UNW_X86_64_R11] = PERF_REG_X86_R11,
	[UNW_X86_64_R12] = PERF_REG_X86_R12, [UNW_X86_64_R13] = PERF_REG_X86_R13,
	[UNW_X86_64_R14] = PERF_REG_X86_R14, [UNW_X86_64_R15] = PERF_REG_X86_R15,
	[UNW_X86_64_RIP] = PERF_REG_X86_IP,
};

/* Size in bytes of a value with this encoding, 0 if unsupported. */
static size_t eh_enc_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		return 8;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		return 4;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		return 2;
	default:
		return 0;
	}
}

static void image_unwind_init(struct image_unwind *iu, const struct elf_image *img)
{
	uint8_t hdr[4];
	uint64_t at = img->eh_frame_hdr_vaddr, count = 0;
	size_t ptr_size, count_size;

	if (!at || !elf_image_read(img, at, hdr, sizeof(hdr)) || hdr[0] != 1)
		return;
	/* libunwind's binary search wants datarel sdata4 entries */
	if (hdr[1] == DW_EH_PE_omit || hdr[2] == DW_EH_PE_omit ||
	    hdr[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4))
		return;
	ptr_size = eh_enc_size(hdr[1]);
	count_size = eh_enc_size(hdr[2]);
	if (!ptr_size || !count_size || (hdr[2] & 0x70))
		return;
	at += sizeof(hdr) + ptr_size;
	if (!elf_image_read(img, at, &count, count_size)) /* little-endian */
		return;
	if (count_size == 2 && (hdr[2] & 0x08))
		count = (uint64_t)(int64_t)(int16_t)count;
	else if (count_size == 4 && (hdr[2] & 0x08))
		count = (uint64_t)(int64_t)(int32_t)count;
	if (!count || count > img->eh_frame_hdr_size / 8)
		return;
	iu->hdr_vaddr = img->eh_frame_hdr_vaddr;
	iu->table_vaddr = at + count_size;
	iu->fde_count = count;
	iu->usable = true;
}

static const struct image_unwind *image_unwind_get(struct elf_image *img)
{
	struct image_unwind *iu = img->unwind_priv;

	if (!iu) {
		iu = xcalloc(1, sizeof(*iu));
		image_unwind_init(iu, img);
		img->unwind_priv = iu;
		img->unwind_free = free;
	}
	return iu;
}

/* The file-backed segment of img holding vaddr, NULL if none. libunwind
 * reads its words in runs from one table or one stack: the segment of the
 * last hit is tried first, then the (few) others. */
static const struct elf_load_segment *image_segment(struct unwind_ctx *ctx,
						    const struct elf_image *img, uint64_t vaddr)
{
	const struct elf_load_segment *s = ctx->seg;

	if (s && ctx->seg_img == img && vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz)
		return s;
	for (size_t i = 0; i < img->nloads; i++) {
		s = &img->loads[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr < s->filesz) {
			ctx->seg_img = img;
			ctx->seg = s;
			return s;
		}
	}
	return NULL;
}

/* Read a word at vaddr; a word running past the end of the file-backed
 * part of its segment is zero-filled (libunwind reads aligned words around
 * smaller values). */
static bool image_read_word(struct unwind_ctx *ctx, const struct elf_image *img, uint64_t vaddr,
			    unw_word_t *val)
{
	const struct elf_load_segment *s = image_segment(ctx, img, vaddr);
	uint64_t off, n;

	if (!s)
		return false;
	off = vaddr - s->vaddr;
	if (s->filesz - off >= sizeof(*val)) {
		memcpy(val, img->data + s->offset + off, sizeof(*val));
		return true;
	}
	n = s->filesz - off;
	*val = 0;
	memcpy(val, img->data + s->offset + off, n);
	return true;
}

/* Whether the sampled IP is a ret right after `leave` or `pop %rbp`. */
static bool ip_is_ret_after_rbp_pop(const struct unwind_ctx *ctx)
{
	uint64_t ip = ctx->snap->regs[PERF_REG_X86_IP], vaddr;
	const struct map_entry *m = proc_space_find(ctx->ps, ip);
	uint8_t code[2];

	if (!m || ip == m->start || !map_entry_vaddr(m, ip - 1, &vaddr) ||
	    !elf_image_read(m->image, vaddr, code, sizeof(code)))
		return false;
	return (code[0] == 0xc9 || code[0] == 0x5d) && code[1] == 0xc3;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	struct unwind_ctx *ctx = arg;
	const struct map_entry *m;
	uint64_t vaddr;

	if (write)
		return -UNW_EINVAL;
	if (addr >= ctx->sp && ctx->snap->stack_len >= sizeof(*val) &&
	    addr - ctx->sp <= ctx->snap->stack_len - sizeof(*val)) {
		memcpy(val, ctx->snap->stack + (addr - ctx->sp), sizeof(*val));
		return 0;
	}
	/* gcc keeps rbp's rule at CFA-16 through `leave; ret`: sampled on
	 * the ret, the slot is just below sp, outside the copy, and rbp
	 * already holds the value popped from it. */
	if (addr == ctx->sp - 8 && ip_is_ret_after_rbp_pop(ctx)) {
		*val = ctx->snap->regs[PERF_REG_X86_BP];
		return 0;
	}
	/* Unwind tables are read from the image being looked up. Going
	 * through its bias also covers non-executable segments that the
	 * sampler saw no MMAP record for. */
	if (ctx->cur_img && image_read_word(ctx, ctx->cur_img, addr - (uint64_t)ctx->cur_bias, val))
		return 0;
	m = ctx->last;
	if (!m || addr < m->start || addr >= m->end) {
		m = proc_space_find(ctx->ps, addr);
		if (!m || !m->image)
			return -UNW_EINVAL;
		ctx->last = m;
	}
	if (map_entry_vaddr(m, addr, &vaddr) && image_read_word(ctx, m->image, vaddr, val))
		return 0;
	return -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
	struct unwind_ctx *ctx = arg;

	if (reg < 0 || reg > UNW_X86_64_RIP)
		return -UNW_EBADREG;
	if (write)
		return -UNW_EREADONLYREG;
	*val = ctx->regs[unw_to_perf[reg]];
	return 0;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
			void *arg)
{
	return -UNW_EBADREG;
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			  int need_unwind_info, void *arg)
{
	struct unwind_ctx *ctx = arg;
	const struct image_unwind *iu;
	const struct map_entry *m;
	unw_dyn_info_t di;
	int64_t bias;
	int ret;

	m = proc_space_find(ctx->ps, ip);
	if (!m || !m->image || !map_entry_bias(m, &bias))
		goto noinfo;
	iu = image_unwind_get(m->image);
	if (!iu->usable)
		goto noinfo; /* no .eh_frame_hdr: .debug_frame only, or no CFI */
	ctx->cur_img = m->image;
	ctx->cur_bias = bias;

	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = m->start;
	di.end_ip = m->end;
	di.u.rti.segbase = iu->hdr_vaddr + (uint64_t)bias;
	di.u.rti.table_data = iu->table_vaddr + (uint64_t)bias;
	di.u.rti.table_len = iu->fde_count * 8 / sizeof(unw_word_t);
	ret = _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
	if (ret < 0)
		ctx->noinfo = true;
	return ret;
noinfo:
	ctx->noinfo = true;
	return -UNW_ENOINFO;
}

/* The unwind info dwarf_search_unwind_table hands out is freed by
 * libunwind itself; we allocate none. */
static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	return -UNW_ENOINFO;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			 unw_word_t *off, void *arg)
{
	return -UNW_EINVAL;
}

static unw_accessors_t accessors = {
	.find_proc_info = find_proc_info,
	.put_unwind_info = put_unwind_info,
	.get_dyn_info_list_addr = get_dyn_info_list_addr,
	.access_mem = access_mem,
	.access_reg = access_reg,
	.access_fpreg = access_fpreg,
	.resume = resume,
	.get_proc_name = get_proc_name,
};

static void space_unwind_free(void *p)
{
	struct space_unwind *su = p;

	unw_destroy_addr_space(su->as);
	free(su);
}

static struct space_unwind *space_unwind_get(struct proc_space *ps)
{
	struct space_unwind *su = ps->unwind_priv;

	if (!su) {
		su = xcalloc(1, sizeof(*su));
		su->as = unw_create_addr_space(&accessors, 0);
		if (!su->as)
			fatal("out of memory (creating a libunwind address space)");
		unw_set_caching_policy(su->as, UNW_CACHE_GLOBAL);
		su->generation = ps->generation;
		ps->unwind_priv = su;
		ps->unwind_free = space_unwind_free;
	}
	return su;
}

struct unwinder *unwinder_new(struct procmap *pm)
{
	struct unwinder *u = xcalloc(1, sizeof(*u));

	u->pm = pm;
	return u;
}

void unwinder_free(struct unwinder *u)
{
	free(u);
}

void unwinder_flush(struct unwinder *u, struct proc_space *ps)
{
	struct space_unwind *su = ps->unwind_priv;

	if (!su)
		return;
	unwind_sigmask_skip(true);
	unw_flush_cache(su->as, 0, 0);
	unwind_sigmask_skip(false);
	su->generation = ps->generation;
}

/* Whether the code at ip has a table libunwind can search. Checked before
 * each step: without one libunwind falls back to guessing through frame
 * pointers, which -O2 code does not keep. */
static bool has_unwind_info(const struct unwind_ctx *ctx, uint64_t ip)
{
	const struct map_entry *m = proc_space_find(ctx->ps, ip);

	return m && m->image && image_unwind_get(m->image)->usable;
}

/* What one step of unwinding found. */
enum step {
	STEP_FAIL = -1,	 /* unwinding cannot go on */
	STEP_END = 0,	 /* the outermost frame */
	STEP_NEXT = 1,	 /* the caller's frame */
	STEP_NO_CFI = 2, /* the frame's code has no CFI: try its frame pointer */
};

/* Whether ip lies in memory the process maps executable. */
static bool in_code(const struct unwind_ctx *ctx, uint64_t ip)
{
	const struct map_entry *m = proc_space_find(ctx->ps, ip);

	return m && (m->prot & PROT_EXEC);
}

/* One step of the cursor, with the next frame in *ip and *sp. first: *ip
 * is the sampled IP, not a return address (which may lie just past the
 * end of its caller). */
static enum step unwind_step(unw_cursor_t *c, struct unwind_ctx *ctx, uint64_t *ip, uint64_t *sp,
			     bool first)
{
	uint64_t at = first ? *ip : *ip - 1;
	unw_word_t nip, nsp;
	int ret;

	if (!has_unwind_info(ctx, at))
		return STEP_NO_CFI; /* the cursor is still on this frame */
	ctx->noinfo = false;
	ret = unw_step(c);
	if (ret < 0 || (ret == 0 && ctx->noinfo))
		return STEP_FAIL;
	if (ret == 0)
		return STEP_END;
	if (unw_get_reg(c, UNW_REG_IP, &nip) < 0 || unw_get_reg(c, UNW_REG_SP, &nsp) < 0)
		return STEP_FAIL;
	/* No FDE covers ip (V8's builtins, assembly): libunwind stepped through
	 * the frame pointer instead, as fp_step would; taken only from code to
	 * code, the stack pointer going up. */
	if (ctx->noinfo && (!in_code(ctx, at) || nsp <= *sp || !nip || !in_code(ctx, nip - 1)))
		return STEP_FAIL;
	if (nip == 0)
		return STEP_END;
	if (nip == *ip && nsp == *sp)
		return STEP_FAIL; /* no progress */
	*ip = nip;
	*sp = nsp;
	return STEP_NEXT;
}

/* A word of the copied stack. */
static bool stack_word(const struct unwind_ctx *ctx, uint64_t addr, uint64_t *val)
{
	if (addr < ctx->sp || ctx->snap->stack_len < 8 || addr - ctx->sp > ctx->snap->stack_len - 8)
		return false;
	memcpy(val, ctx->snap->stack + (addr - ctx->sp), 8);
	return true;
}

/* A step through the frame pointer, for a frame of code without CFI (JIT
 * code, V8's builtins, assembly): [bp] is the caller's bp, [bp + 8] the
 * return address, the caller's sp bp + 16. Both addresses must be code,
 * the frame pointer above sp and in the copy; else bp was not a frame
 * pointer and the unwind stops there. first: *ip is the sampled IP. */
static enum step fp_step(const struct unwind_ctx *ctx, uint64_t *ip, uint64_t *sp, uint64_t *bp,
			 bool first)
{
	uint64_t nip, nbp;

	if (!in_code(ctx, first ? *ip : *ip - 1) || *bp < *sp || (*bp & 7) ||
	    !stack_word(ctx, *bp, &nbp) || !stack_word(ctx, *bp + 8, &nip))
		return STEP_FAIL;
	if (nip == 0)
		return STEP_END;
	if (!in_code(ctx, nip - 1))
		return STEP_FAIL;
	*ip = nip;
	*sp = *bp + 16;
	*bp = nbp;
	return STEP_NEXT;
}

/* Frames through CFI where the code has it, through the frame pointer
 * where it has none (mixed unwinding): after frame-pointer steps from code
 * in no image with CFI (JIT code), libunwind starts again from the frame
 * they reached. */
static enum step unwind_next(unw_cursor_t *c, struct unwind_ctx *ctx, unw_addr_space_t as,
			     uint64_t *ip, uint64_t *sp, bool first, bool *restart)
{
	unw_word_t bp = ctx->regs[PERF_REG_X86_BP];
	enum step st;

	if (*restart) {
		ctx->regs[PERF_REG_X86_IP] = *ip;
		ctx->regs[PERF_REG_X86_SP] = *sp;
		if (unw_init_remote(c, as, ctx) < 0)
			return STEP_FAIL;
		*restart = false;
	}
	st = unwind_step(c, ctx, ip, sp, first);
	if (st != STEP_NO_CFI)
		return st;
	if (!first && unw_get_reg(c, UNW_X86_64_RBP, &bp) < 0)
		return STEP_FAIL;
	ctx->regs[PERF_REG_X86_BP] = bp;
	st = fp_step(ctx, ip, sp, &ctx->regs[PERF_REG_X86_BP], first);
	*restart = st == STEP_NEXT;
	return st;
}

size_t unwinder_unwind(struct unwinder *u, struct proc_space *ps,
		       const struct unwind_snapshot *snap, uint64_t *pcs, size_t max,
		       bool *truncated)
{
	struct unwind_ctx ctx = {.snap = snap, .ps = ps, .sp = snap->regs[PERF_REG_X86_SP]};
	uint64_t ip = snap->regs[PERF_REG_X86_IP], sp = ctx.sp;
	struct space_unwind *su;
	unw_cursor_t cursor;
	bool restart = false;
	size_t n = 0;
	enum step st;

	*truncated = false;
	if (!max || !ip) {
		*truncated = ip != 0;
		return 0;
	}
	pcs[n++] = ip;
	memcpy(ctx.regs, snap->regs, sizeof(ctx.regs));
	su = space_unwind_get(ps);
	if (su->generation != ps->generation)
		unwinder_flush(u, ps);
	unwind_sigmask_skip(true);
	if (unw_init_remote(&cursor, su->as, &ctx) < 0) {
		unwind_sigmask_skip(false);
		*truncated = true;
		return n;
	}
	while ((st = unwind_next(&cursor, &ctx, su->as, &ip, &sp, n == 1, &restart)) == STEP_NEXT) {
		if (n == max)
			break; /* there was more */
		pcs[n++] = ip;
	}
	unwind_sigmask_skip(false);
	*truncated = st != STEP_END;
	return n;
}
