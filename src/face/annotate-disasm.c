#include "config.h"

#include <capstone/capstone.h>
#include <elfutils/libdw.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate-int.h"
#include "xalloc.h"

#define CODE_MAX   (256 * 1024) /* bytes disassembled at most for one function */
#define STUB_INSNS 4		/* instructions read from a PLT stub to find its GOT slot */

/* One disassembled range, counts left at zero: views copy it and count. */
struct annot_code {
	struct annot_image *img;
	uint64_t start, end;
	const char *symbol;
	struct annot_insn *insns;
	size_t n;
	char **strings; /* the mnemonics, operands and callee names it owns */
	size_t nstrings, strings_cap;
};

/* ---- ELF images ---- */

static void code_free(struct annot_code *code)
{
	for (size_t i = 0; i < code->nstrings; i++)
		free(code->strings[i]);
	free(code->strings);
	free(code->insns);
	free(code);
}

void annot_disasm_cache_clear(struct annot_cache *c)
{
	for (size_t i = 0; i < c->ncodes; i++)
		code_free(c->codes[i]);
	free(c->codes);
	for (size_t i = 0; i < c->nimages; i++)
		annot_image_free(c->images[i]);
	free(c->images);
	c->codes = NULL;
	c->images = NULL;
	c->ncodes = c->codes_cap = c->nimages = c->images_cap = 0;
}

/* ---- disassembly ---- */

static const char *code_keep(struct annot_code *code, char *s)
{
	code->strings = xgrow(code->strings, &code->strings_cap, code->nstrings + 1,
			      sizeof(*code->strings));
	code->strings[code->nstrings++] = s;
	return s;
}

/* The GOT slot an indirect jump or call through %rip reads, or 0. */
static uint64_t rip_slot(const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (x->op_count != 1 || x->operands[0].type != X86_OP_MEM ||
	    x->operands[0].mem.base != X86_REG_RIP)
		return 0;
	return in->address + in->size + (uint64_t)x->operands[0].mem.disp;
}

/* Name the function behind a PLT stub at addr: "puts@plt". */
static char *plt_name(csh cs, const struct annot_image *img, uint64_t addr)
{
	uint64_t s0 = 0, s1 = 0, a = addr;
	const char *sec = NULL;
	const unsigned char *base = annot_section_bytes(img, addr, &s0, &s1, &sec);
	const uint8_t *p;
	char *name = NULL;
	size_t left;
	cs_insn *in;

	if (!base || !sec || strncmp(sec, ".plt", 4))
		return NULL;
	in = cs_malloc(cs);
	p = base + (addr - s0);
	left = s1 - addr;

	for (int k = 0; k < STUB_INSNS && cs_disasm_iter(cs, &p, &left, &a, in); k++) {
		const char *sym;

		if (!cs_insn_group(cs, in, CS_GRP_JUMP))
			continue;
		sym = annot_got_name(img, rip_slot(in));
		if (sym)
			name = xasprintf("%s@plt", sym);
		break;
	}
	cs_free(in, 1);
	return name;
}

static void insn_branch(csh cs, struct annot_code *code, struct annot_insn *out, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;
	const struct annot_image *img = code->img;
	const struct elf_sym *sym;
	const char *got;
	char *plt;

	out->is_call = cs_insn_group(cs, in, CS_GRP_CALL);
	out->is_jump = !out->is_call && cs_insn_group(cs, in, CS_GRP_JUMP);
	if (!out->is_call && !out->is_jump)
		return;
	if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM)
		out->target = (uint64_t)x->operands[0].imm;
	if (!out->target) {
		/* call *puts@GOTPCREL(%rip), as -fno-plt compiles it */
		got = out->is_call ? annot_got_name(img, rip_slot(in)) : NULL;
		if (got)
			out->callee_name = got;
		return;
	}
	/* a jump within the function is a branch; out of it, a tail call */
	if (out->is_jump && out->target >= code->start && out->target < code->end)
		return;
	sym = annot_sym_at(img, out->target);
	if (sym && sym->value == out->target) {
		out->callee_name = sym->name;
		return;
	}
	plt = plt_name(cs, img, out->target);
	if (plt)
		out->callee_name = code_keep(code, plt);
}

static void insn_source(const struct annot_image *img, struct annot_insn *out, Dwarf_Die *cu,
			bool *have_cu)
{
	Dwarf_Line *line;
	int lineno;

	if (!img->dw)
		return;
	if (!*have_cu)
		*have_cu = dwarf_addrdie(img->dw, out->address, cu) != NULL;
	if (!*have_cu || !(line = dwarf_getsrc_die(cu, out->address)))
		return;
	if (dwarf_lineno(line, &lineno) == 0 && lineno > 0) {
		out->line = lineno;
		out->file = dwarf_linesrc(line, NULL, NULL);
	}
}

static int u64_cmp(const void *va, const void *vb)
{
	uint64_t a = *(const uint64_t *)va, b = *(const uint64_t *)vb;

	return a < b ? -1 : a > b;
}

/* Addresses in [start, end) where the line table says an instruction
 * begins, sorted: where to pick up after bytes capstone cannot decode
 * (capstone 4 misses some AVX-512 forms, common in libc's string code). */
static size_t line_starts(const struct annot_image *img, uint64_t start, uint64_t end,
			  uint64_t **out)
{
	Dwarf_Lines *lines;
	size_t nlines, n = 0, cap = 0;
	Dwarf_Die cu;

	*out = NULL;
	if (!img->dw || !dwarf_addrdie(img->dw, start, &cu) ||
	    dwarf_getsrclines(&cu, &lines, &nlines) != 0)
		return 0;
	for (size_t i = 0; i < nlines; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		Dwarf_Addr a;

		if (l && dwarf_lineaddr(l, &a) == 0 && a >= start && a < end) {
			*out = xgrow(*out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = a;
		}
	}
	if (n)
		qsort(*out, n, sizeof(**out), u64_cmp);
	return n;
}

/* Bytes at addr that do not decode: up to the next line start if it is
 * near, else one byte. */
static size_t undecodable_len(const uint64_t *starts, size_t n, uint64_t addr, size_t left)
{
	size_t lo = 0, hi = n;

	while (lo < hi) { /* the first start above addr */
		size_t mid = lo + (hi - lo) / 2;

		if (starts[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && starts[lo] - addr < ANNOT_INSN_MAX && starts[lo] - addr <= left)
		return (size_t)(starts[lo] - addr);
	return 1;
}

static char *bytes_directive(const uint8_t *p, size_t n)
{
	char *s = xmalloc(6 * n + 8);
	size_t o = (size_t)sprintf(s, ".byte ");

	for (size_t i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, "%s0x%02x", i ? "," : "", p[i]);
	return s;
}

static void code_disassemble(struct annot_code *code, const unsigned char *bytes)
{
	struct annot_image *img = code->img;
	const uint8_t *p = bytes;
	size_t left = code->end - code->start, cap = 0, nstarts;
	uint64_t addr = code->start, *starts;
	bool have_cu = false;
	Dwarf_Die cu;
	cs_insn *in;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	in = cs_malloc(cs);
	nstarts = line_starts(img, code->start, code->end, &starts);
	while (left) {
		struct annot_insn *out;

		code->insns = xgrow(code->insns, &cap, code->n + 1, sizeof(*code->insns));
		out = &code->insns[code->n++];
		memset(out, 0, sizeof(*out));
		out->callee = PROF_NONE;
		out->address = addr;
		if (cs_disasm_iter(cs, &p, &left, &addr, in)) {
			out->size = (uint8_t)in->size;
			memcpy(out->bytes, in->bytes, in->size);
			out->mnemonic = code_keep(code, xstrdup(in->mnemonic));
			out->operands = code_keep(code, xstrdup(in->op_str));
			insn_branch(cs, code, out, in);
		} else {
			/* not decodable: data in .text, or an instruction capstone lacks */
			size_t n = undecodable_len(starts, nstarts, addr, left);

			out->size = (uint8_t)n;
			memcpy(out->bytes, p, n);
			out->mnemonic = n > 1 ? "(unknown)" : "(bad)";
			out->operands = code_keep(code, bytes_directive(p, n));
			p += n;
			left -= n;
			addr += n;
		}
		insn_source(img, out, &cu, &have_cu);
	}
	free(starts);
	cs_free(in, 1);
	cs_close(&cs);
}

/* The range [start, end) of img disassembled, from the cache. */
static struct annot_code *code_get(struct annot_cache *c, struct annot_image *img, uint64_t start,
				   uint64_t end, const char **error)
{
	const unsigned char *base;
	uint64_t s0, s1;
	struct annot_code *code;
	const struct elf_sym *sym;

	for (size_t i = 0; i < c->ncodes; i++) {
		code = c->codes[i];
		if (code->img == img && code->start == start && code->end == end)
			return code;
	}
	base = annot_section_bytes(img, start, &s0, &s1, NULL);
	if (!base) {
		*error = annot_cache_keep(c, xasprintf("%s holds no code at 0x%" PRIx64
						       " (a file of debug info only?)",
						       img->path, start));
		return NULL;
	}
	code = xcalloc(1, sizeof(*code));
	code->img = img;
	code->start = start;
	code->end = end < s1 ? end : s1;
	if (code->end - code->start > CODE_MAX)
		code->end = code->start + CODE_MAX;
	sym = annot_sym_at(img, start);
	code->symbol = sym ? sym->name : NULL;
	code_disassemble(code, base + (start - s0));
	/* the key is the range asked for, so that the next lookup hits */
	code->end = end;
	c->codes = xgrow(c->codes, &c->codes_cap, c->ncodes + 1, sizeof(*c->codes));
	c->codes[c->ncodes++] = code;
	return code;
}

/* ---- the view ---- */

static bool location_is_fn(const struct profile *p, uint32_t loc, uint32_t fn)
{
	const struct prof_location *l = &p->locations[loc];

	return l->nlines && p->lines[l->first_line + l->nlines - 1].function == fn;
}

/* The range of fn's sampled addresses (real function fn, module m). */
static bool sampled_range(const struct profile *p, uint32_t fn, uint32_t m, uint64_t *lo,
			  uint64_t *hi)
{
	bool any = false;

	for (size_t i = 0; i < p->nlocations; i++) {
		const struct prof_location *l = &p->locations[i];

		if (l->module != m || !location_is_fn(p, (uint32_t)i, fn))
			continue;
		if (!any || l->address < *lo)
			*lo = l->address;
		if (!any || l->address > *hi)
			*hi = l->address;
		any = true;
	}
	return any;
}

static size_t insn_find(const struct annot_disasm *d, uint64_t addr)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct annot_insn *in = &d->insns[mid];

		if (addr < in->address)
			hi = mid;
		else if (addr >= in->address + in->size)
			lo = mid + 1;
		else
			return mid;
	}
	return ANNOT_NONE;
}

/* Per-instruction counts over the sample log: self when the sample's leaf
 * address lies in the instruction, total when any frame's does (once per
 * sample). */
static void disasm_count(const struct profile *p, const struct query_filter *f, uint32_t fn,
			 struct annot_disasm *d)
{
	struct stack_total *st;
	size_t nst = query_stack_totals(p, f, &st);
	uint32_t *stamp = xcalloc(d->n ? d->n : 1, sizeof(*stamp));

	for (size_t k = 0; k < nst; k++) {
		bool inside = false, outside = false, leaf = true;

		for (uint32_t node = st[k].stack; node && node < p->nstacks;
		     node = p->stacks[node].parent, leaf = false) {
			uint32_t loc = p->stacks[node].location;
			const struct prof_location *l;
			struct annot_insn *in;
			size_t i;

			if (loc >= p->nlocations || p->locations[loc].module != d->module)
				continue;
			l = &p->locations[loc];
			i = l->address >= d->start && l->address < d->end ? insn_find(d, l->address)
									  : ANNOT_NONE;
			if (i == ANNOT_NONE) {
				outside = outside || location_is_fn(p, loc, fn);
				continue;
			}
			in = &d->insns[i];
			inside = true;
			if (leaf) {
				in->self_samples += st[k].samples;
				in->self_ns += st[k].ns;
				d->self_samples += st[k].samples;
				d->self_ns += st[k].ns;
			}
			if (stamp[i] != k + 1) {
				stamp[i] = (uint32_t)k + 1;
				in->total_samples += st[k].samples;
				in->total_ns += st[k].ns;
			}
		}
		if (inside) {
			d->total_samples += st[k].samples;
			d->total_ns += st[k].ns;
		} else if (outside) {
			d->outside_samples += st[k].samples;
		}
	}
	free(stamp);
	free(st);
}

/* Calls to functions the profile knows get their id (and demangled name). */
static void disasm_callees(const struct profile *p, struct annot_disasm *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct annot_insn *in = &d->insns[i];

		if (!in->callee_name)
			continue;
		for (size_t k = 0; k < p->nfunctions; k++) {
			const struct prof_function *pf = &p->functions[k];
			const char *sys = pf->system_name ? pf->system_name : pf->name;

			if (pf->module == d->module && sys && !strcmp(sys, in->callee_name)) {
				in->callee = (uint32_t)k;
				if (pf->name)
					in->callee_name = pf->name;
				break;
			}
		}
	}
}

static int disasm_fail(struct annot_cache *c, struct annot_disasm *out, char *msg)
{
	out->error = annot_cache_keep(c, msg);
	return -1;
}

int annot_disasm_build(struct annot_cache *c, const struct profile *p, const struct query_filter *f,
		       uint32_t fn, struct annot_disasm *out)
{
	const struct prof_function *pf;
	const struct prof_module *mod;
	const struct elf_sym *sym = NULL;
	struct annot_image *img;
	struct annot_code *code;
	uint64_t lo = 0, hi = 0, start, end;
	bool sampled;

	memset(out, 0, sizeof(*out));
	out->function = fn;
	out->hottest = ANNOT_NONE;
	if (fn >= p->nfunctions)
		return disasm_fail(c, out, xstrdup("no such function in the profile"));
	pf = &p->functions[fn];
	out->module = pf->module;
	if (pf->module >= p->nmodules || !p->modules[pf->module].path)
		return disasm_fail(c, out, xasprintf("%s has no module", pf->name));
	mod = &p->modules[pf->module];
	out->path = mod->path;
	if (mod->path[0] != '/')
		return disasm_fail(c, out,
				   xasprintf("%s runs in %s: no file on disk to disassemble",
					     pf->name ? pf->name : "?", mod->path));
	img = annot_image_get(c, mod->path);
	if (img->error) {
		out->error = img->error;
		return -1;
	}
	if (mod->build_id && img->build_id && strcmp(mod->build_id, img->build_id))
		return disasm_fail(c, out,
				   xasprintf("%s changed since the profile was recorded (build-id "
					     "differs): its code on disk is not what ran",
					     mod->path));

	/* the symbol of fn's name, else the one holding its lowest sampled address */
	sampled = sampled_range(p, fn, pf->module, &lo, &hi);
	sym = annot_sym_named(img, pf->system_name ? pf->system_name : pf->name);
	if (sym && sampled && (lo >= sym->value + sym->size || hi < sym->value))
		sym = NULL; /* a namesake elsewhere (a static function of another file) */
	if (!sym && sampled)
		sym = annot_sym_at(img, lo);
	if (!sym && !sampled)
		return disasm_fail(c, out,
				   xasprintf("%s: no symbol in %s and no sampled address",
					     pf->name ? pf->name : "?", mod->path));
	start = sym ? sym->value : lo;
	end = sym ? sym->value + (sym->size ? sym->size : 1) : hi + 1;
	if (sampled && sym && (lo < start || hi >= end) && hi - lo < CODE_MAX) {
		/* samples past the symbol: widen to them if they are near */
		if (lo < start && start - lo < CODE_MAX)
			start = lo;
		if (hi >= end && hi - end < CODE_MAX)
			end = hi + 1;
	}
	code = code_get(c, img, start, end, &out->error);
	if (!code)
		return -1;
	out->symbol = code->symbol;
	out->start = code->start;
	out->end = code->insns && code->n
			   ? code->insns[code->n - 1].address + code->insns[code->n - 1].size
			   : code->start;
	out->n = code->n;
	out->insns = xmalloc((code->n ? code->n : 1) * sizeof(*out->insns));
	memcpy(out->insns, code->insns, code->n * sizeof(*out->insns));

	disasm_count(p, f, fn, out);
	disasm_callees(p, out);
	for (size_t i = 0; i < out->n; i++) {
		struct annot_insn *in = &out->insns[i];
		const struct annot_insn *b =
			out->hottest == ANNOT_NONE ? NULL : &out->insns[out->hottest];

		if (out->total_ns)
			in->heat = (double)in->total_ns / (double)out->total_ns;
		if (!in->self_samples && !in->total_samples)
			continue;
		if (!b || in->self_ns > b->self_ns ||
		    (in->self_ns == b->self_ns && in->total_ns > b->total_ns))
			out->hottest = i;
	}
	if (out->hottest != ANNOT_NONE)
		out->insns[out->hottest].hottest = true;
	return 0;
}

void annot_disasm_free(struct annot_disasm *d)
{
	free(d->insns);
	memset(d, 0, sizeof(*d));
	d->hottest = ANNOT_NONE;
}

static bool insn_sampled(const void *rows, size_t i)
{
	const struct annot_insn *in = (const struct annot_insn *)rows + i;

	return in->total_samples || in->self_samples;
}

size_t annot_disasm_next_hot(const struct annot_disasm *d, size_t from, bool backward)
{
	return annot_next_sampled(d->insns, d->n, from, backward, insn_sampled);
}

char *annot_format_bytes(const struct annot_insn *in, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < in->size && i < ANNOT_INSN_MAX && o + 4 <= len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%02x", i ? " " : "", in->bytes[i]);
	return buf;
}
