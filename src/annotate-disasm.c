#include "config.h"

#include <capstone/capstone.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annotate-int.h"
#include "xalloc.h"

#define CODE_MAX   (256 * 1024) /* bytes disassembled at most for one function */
#define STUB_INSNS 4		/* instructions read from a PLT stub to find its GOT slot */

struct elf_sym {
	uint64_t value, size;
	const char *name; /* in the image's string table */
};

/* A GOT slot and the symbol a relocation binds it to (calls through the PLT). */
struct got_slot {
	uint64_t slot;
	const char *name;
};

struct annot_image {
	char *path;
	const char *error; /* interned; NULL when open */
	int fd, debug_fd;
	Elf *elf, *debug_elf;
	Dwarf *dw;	      /* NULL without debug info */
	char *build_id;	      /* lower-case hex, or NULL */
	struct elf_sym *syms; /* sorted by value */
	size_t nsyms;
	struct got_slot *gots; /* sorted by slot */
	size_t ngots;
};

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

static void image_free(struct annot_image *img)
{
	if (img->dw)
		dwarf_end(img->dw);
	if (img->debug_elf)
		elf_end(img->debug_elf);
	if (img->elf)
		elf_end(img->elf);
	if (img->debug_fd >= 0)
		close(img->debug_fd);
	if (img->fd >= 0)
		close(img->fd);
	free(img->syms);
	free(img->gots);
	free(img->build_id);
	free(img->path);
	free(img);
}

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
		image_free(c->images[i]);
	free(c->images);
	c->codes = NULL;
	c->images = NULL;
	c->ncodes = c->codes_cap = c->nimages = c->images_cap = 0;
}

static int sym_cmp(const void *va, const void *vb)
{
	const struct elf_sym *a = va, *b = vb;

	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	return a->size > b->size ? -1 : a->size < b->size; /* the widest alias first */
}

static int got_cmp(const void *va, const void *vb)
{
	const struct got_slot *a = va, *b = vb;

	return a->slot < b->slot ? -1 : a->slot > b->slot;
}

/* Function symbols of .symtab and .dynsym, and the GOT slots that
 * relocations bind to dynamic symbols. */
static void image_read_symbols(struct annot_image *img)
{
	size_t syms_cap = 0, gots_cap = 0;
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || !(data = elf_getdata(scn, NULL)))
			continue;
		if ((sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM) && sh.sh_entsize) {
			size_t n = sh.sh_size / sh.sh_entsize;

			for (size_t i = 0; i < n; i++) {
				GElf_Sym s;
				const char *name;
				int type;

				if (!gelf_getsym(data, (int)i, &s))
					continue;
				type = GELF_ST_TYPE(s.st_info);
				if ((type != STT_FUNC && type != STT_GNU_IFUNC) ||
				    s.st_shndx == SHN_UNDEF || !s.st_value)
					continue;
				name = elf_strptr(img->elf, sh.sh_link, s.st_name);
				if (!name || !*name)
					continue;
				img->syms = xgrow(img->syms, &syms_cap, img->nsyms + 1,
						  sizeof(*img->syms));
				img->syms[img->nsyms++] =
					(struct elf_sym){s.st_value, s.st_size, name};
			}
		} else if (sh.sh_type == SHT_RELA && sh.sh_entsize) {
			Elf_Scn *symscn = elf_getscn(img->elf, sh.sh_link);
			GElf_Shdr symsh;
			Elf_Data *symdata;
			size_t n = sh.sh_size / sh.sh_entsize;

			if (!symscn || !gelf_getshdr(symscn, &symsh) ||
			    !(symdata = elf_getdata(symscn, NULL)))
				continue;
			for (size_t i = 0; i < n; i++) {
				GElf_Rela r;
				GElf_Sym s;
				const char *name;
				int type;

				if (!gelf_getrela(data, (int)i, &r))
					continue;
				type = (int)GELF_R_TYPE(r.r_info);
				if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
				    !GELF_R_SYM(r.r_info) ||
				    !gelf_getsym(symdata, (int)GELF_R_SYM(r.r_info), &s))
					continue;
				name = elf_strptr(img->elf, symsh.sh_link, s.st_name);
				if (!name || !*name)
					continue;
				img->gots = xgrow(img->gots, &gots_cap, img->ngots + 1,
						  sizeof(*img->gots));
				img->gots[img->ngots++] = (struct got_slot){r.r_offset, name};
			}
		}
	}
	if (img->nsyms)
		qsort(img->syms, img->nsyms, sizeof(*img->syms), sym_cmp);
	if (img->ngots)
		qsort(img->gots, img->ngots, sizeof(*img->gots), got_cmp);
}

static char *hex_string(const unsigned char *p, size_t n)
{
	char *s = xmalloc(2 * n + 1);

	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * n] = '\0';
	return s;
}

/* DWARF from the file itself, else from /usr/lib/debug/.build-id/. */
static void image_open_dwarf(struct annot_image *img)
{
	char *path;

	img->dw = dwarf_begin_elf(img->elf, DWARF_C_READ, NULL);
	if (img->dw || !img->build_id || strlen(img->build_id) < 3)
		return;
	path = xasprintf("/usr/lib/debug/.build-id/%.2s/%s.debug", img->build_id,
			 img->build_id + 2);
	img->debug_fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (img->debug_fd < 0)
		return;
	img->debug_elf = elf_begin(img->debug_fd, ELF_C_READ_MMAP, NULL);
	if (img->debug_elf)
		img->dw = dwarf_begin_elf(img->debug_elf, DWARF_C_READ, NULL);
}

static struct annot_image *image_get(struct annot_cache *c, const char *path)
{
	struct annot_image *img;
	const void *id;
	ssize_t idlen;
	GElf_Ehdr eh;

	for (size_t i = 0; i < c->nimages; i++)
		if (!strcmp(c->images[i]->path, path))
			return c->images[i];
	img = xcalloc(1, sizeof(*img));
	img->path = xstrdup(path);
	img->fd = img->debug_fd = -1;
	c->images = xgrow(c->images, &c->images_cap, c->nimages + 1, sizeof(*c->images));
	c->images[c->nimages++] = img;

	elf_version(EV_CURRENT);
	img->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (img->fd < 0) {
		img->error =
			annot_cache_keep(c, xasprintf("cannot open %s: %s", path, strerror(errno)));
		return img;
	}
	img->elf = elf_begin(img->fd, ELF_C_READ_MMAP, NULL);
	if (!img->elf || elf_kind(img->elf) != ELF_K_ELF || !gelf_getehdr(img->elf, &eh) ||
	    eh.e_machine != EM_X86_64) {
		img->error = annot_cache_keep(c, xasprintf("%s is not an x86-64 ELF file", path));
		return img;
	}
	idlen = dwelf_elf_gnu_build_id(img->elf, &id);
	if (idlen > 0)
		img->build_id = hex_string(id, (size_t)idlen);
	image_read_symbols(img);
	image_open_dwarf(img);
	return img;
}

/* The symbol containing addr (the widest of aliases), or NULL. */
static const struct elf_sym *sym_at(const struct annot_image *img, uint64_t addr)
{
	size_t lo = 0, hi = img->nsyms;

	while (lo < hi) { /* the first symbol above addr */
		size_t mid = lo + (hi - lo) / 2;

		if (img->syms[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0) {
		const struct elf_sym *s = &img->syms[lo];

		if (addr < s->value + (s->size ? s->size : 1))
			return s;
		if (lo && img->syms[lo - 1].value != s->value)
			break; /* symbols do not nest: an earlier one cannot cover addr */
	}
	return NULL;
}

static const struct elf_sym *sym_named(const struct annot_image *img, const char *name)
{
	for (size_t i = 0; name && i < img->nsyms; i++)
		if (!strcmp(img->syms[i].name, name))
			return &img->syms[i];
	return NULL;
}

static const char *got_name(const struct annot_image *img, uint64_t slot)
{
	size_t lo = 0, hi = img->ngots;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->gots[mid].slot == slot)
			return img->gots[mid].name;
		if (img->gots[mid].slot < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The executable section bytes holding addr. */
static const unsigned char *section_bytes(const struct annot_image *img, uint64_t addr,
					  uint64_t *sec_start, uint64_t *sec_end, const char **name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(img->elf, &shstrndx) < 0)
		return NULL;
	while ((scn = elf_nextscn(img->elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || addr < sh.sh_addr ||
		    addr >= sh.sh_addr + sh.sh_size)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf || data->d_size < sh.sh_size)
			return NULL;
		*sec_start = sh.sh_addr;
		*sec_end = sh.sh_addr + sh.sh_size;
		if (name)
			*name = elf_strptr(img->elf, shstrndx, sh.sh_name);
		return data->d_buf;
	}
	return NULL;
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
	const unsigned char *base = section_bytes(img, addr, &s0, &s1, &sec);
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
		sym = got_name(img, rip_slot(in));
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
		got = out->is_call ? got_name(img, rip_slot(in)) : NULL;
		if (got)
			out->callee_name = got;
		return;
	}
	/* a jump within the function is a branch; out of it, a tail call */
	if (out->is_jump && out->target >= code->start && out->target < code->end)
		return;
	sym = sym_at(img, out->target);
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

static void code_disassemble(struct annot_code *code, const unsigned char *bytes)
{
	struct annot_image *img = code->img;
	const uint8_t *p = bytes;
	size_t left = code->end - code->start, cap = 0;
	uint64_t addr = code->start;
	bool have_cu = false;
	Dwarf_Die cu;
	cs_insn *in;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
	in = cs_malloc(cs);
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
			/* not an instruction (data or padding in .text): one byte at a time */
			out->size = 1;
			out->bytes[0] = *p;
			out->mnemonic = "(bad)";
			out->operands = code_keep(code, xasprintf(".byte 0x%02x", *p));
			p++;
			left--;
			addr++;
		}
		insn_source(img, out, &cu, &have_cu);
	}
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
	base = section_bytes(img, start, &s0, &s1, NULL);
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
	sym = sym_at(img, start);
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
	img = image_get(c, mod->path);
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
	sym = sym_named(img, pf->system_name ? pf->system_name : pf->name);
	if (sym && sampled && (lo >= sym->value + sym->size || hi < sym->value))
		sym = NULL; /* a namesake elsewhere (a static function of another file) */
	if (!sym && sampled)
		sym = sym_at(img, lo);
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

size_t annot_disasm_next_hot(const struct annot_disasm *d, size_t from, bool backward)
{
	size_t i = from;

	for (size_t k = 0; k < d->n; k++) {
		i = annot_step(i, d->n, backward);
		if (d->insns[i].total_samples || d->insns[i].self_samples)
			return i;
	}
	return ANNOT_NONE;
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
