#include "config.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "elf-debug.h"
#include "elf-file.h"

#include "func-exits.h"

bool func_exits_scan(const uint8_t *code, size_t size, uint64_t addr, struct func_exits *out,
		     char *err, size_t errlen)
{
	const uint8_t *p = code;
	uint64_t at = addr;
	size_t left = size;
	bool ok = false;
	cs_insn *in;
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
		snprintf(err, errlen, "capstone cannot disassemble x86-64 here");
		return false;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(cs);
	while (left) {
		uint64_t here = at;

		if (!cs_disasm_iter(cs, &p, &left, &at, in)) {
			snprintf(err, errlen, "cannot decode the instruction at +0x%llx",
				 (unsigned long long)(here - addr));
			goto out;
		}
		if (in->id == X86_INS_RET) {
			if (out->nret >= FUNC_EXITS_MAX) {
				snprintf(err, errlen, "more than %d return instructions",
					 FUNC_EXITS_MAX);
				goto out;
			}
			out->ret[out->nret++] = here;
		} else if (cs_insn_group(cs, in, CS_GRP_JUMP)) {
			const cs_x86 *x = &in->detail->x86;

			/* A direct jump out of [addr, addr + size): a tail call. An
			 * indirect one may be a switch inside or a call out; which,
			 * only running it tells: neither is a return. */
			uint64_t to = x->op_count == 1 && x->operands[0].type == X86_OP_IMM
					      ? (uint64_t)x->operands[0].imm
					      : addr;

			if (to < addr || to >= addr + size) {
				if (out->nout < FUNC_EXITS_MAX)
					out->out[out->nout++] = to;
				out->ntail++;
			}
		}
	}
	ok = true;
out:
	cs_free(in, 1);
	cs_close(&cs);
	return ok;
}

/* A function symbol of the file's symbol tables. */
struct fsym {
	const char *name;
	uint64_t vaddr, size;
};

/* The symbol table of type (SHT_SYMTAB or SHT_DYNSYM): its symbols and
 * their string table; false if the file has none (or a broken one). */
static bool symtab(const struct elf_image *img, uint32_t type, const Elf64_Sym **syms, size_t *n,
		   const char **str, size_t *strsize)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
	const Elf64_Shdr *sh;

	if (eh->e_shoff > img->size || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    (img->size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return false;
	sh = (const Elf64_Shdr *)(img->data + eh->e_shoff);
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *ss = &sh[sh[i].sh_link < eh->e_shnum ? sh[i].sh_link : 0];

		if (sh[i].sh_type != type || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_offset > img->size || sh[i].sh_size > img->size - sh[i].sh_offset ||
		    ss->sh_offset > img->size || ss->sh_size > img->size - ss->sh_offset)
			continue;
		*syms = (const Elf64_Sym *)(img->data + sh[i].sh_offset);
		*n = sh[i].sh_size / sizeof(Elf64_Sym);
		*str = (const char *)img->data + ss->sh_offset;
		*strsize = ss->sh_size;
		return true;
	}
	return false;
}

static const char *sym_name(const Elf64_Sym *s, const char *str, size_t strsize)
{
	return s->st_name < strsize && memchr(str + s->st_name, '\0', strsize - s->st_name)
		       ? str + s->st_name
		       : "";
}

/* The function symbol at vaddr (the largest, if several), or the one that
 * holds vaddr and is named prefix ".cold" (prefix non-NULL). */
static bool find_sym(const struct elf_image *img, uint32_t type, uint64_t vaddr, const char *prefix,
		     struct fsym *out)
{
	const Elf64_Sym *syms;
	const char *str;
	size_t n, strsize, plen = prefix ? strlen(prefix) : 0;

	out->size = 0;
	if (!symtab(img, type, &syms, &n, &str, &strsize))
		return false;
	for (size_t k = 0; k < n; k++) {
		const Elf64_Sym *s = &syms[k];
		const char *name;

		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
		    !s->st_size || s->st_size <= out->size)
			continue;
		if (prefix ? vaddr < s->st_value || vaddr - s->st_value >= s->st_size
			   : s->st_value != vaddr)
			continue;
		name = sym_name(s, str, strsize);
		if (prefix && (strncmp(name, prefix, plen) || strncmp(name + plen, ".cold", 5)))
			continue;
		*out = (struct fsym){name, s->st_value, s->st_size};
	}
	return out->size > 0;
}

/* How many of x's recorded jumps out land in s. */
static size_t jumps_into(const struct func_exits *x, const struct fsym *s)
{
	size_t n = 0;

	for (size_t i = 0; i < x->nout; i++)
		n += x->out[i] >= s->vaddr && x->out[i] - s->vaddr < s->size;
	return n;
}

/* Scan the code of sym (at file offset offset). */
static bool scan_sym(const struct elf_image *img, const struct fsym *sym, uint64_t offset,
		     struct func_exits *out, char *err, size_t errlen)
{
	if (offset > img->size || sym->size > img->size - offset) {
		snprintf(err, errlen, "%s lies beyond the end of %s", sym->name, img->path);
		return false;
	}
	return func_exits_scan(img->data + offset, sym->size, sym->vaddr, out, err, errlen);
}

/* img's separate debug file (src/elf's rule: build id, .gnu_debuglink),
 * mapped as dbg: a stripped file keeps no symbol sizes, its debug file's
 * .symtab does. Unmap with debug_symbols_free. */
static bool debug_symbols(const struct elf_image *img, struct elf_image *dbg)
{
	Elf *elf = elf_memory((char *)img->data, img->size);
	char *path = elf ? elf_debug_find_for(img->path, elf) : NULL;

	memset(dbg, 0, sizeof(*dbg));
	if (elf)
		elf_end(elf);
	if (path)
		dbg->data = elf_file_map(path, &dbg->size);
	dbg->path = path;
	return dbg->data != NULL;
}

static void debug_symbols_free(struct elf_image *dbg)
{
	if (dbg->data)
		munmap((void *)dbg->data, dbg->size);
	free(dbg->path);
}

/* The exits of fn (in syms' symbol table of type), whose code is img's. */
static bool scan_function(const struct elf_image *img, const struct elf_image *syms, uint32_t type,
			  const struct fsym *fn, uint64_t offset, struct func_exits *out, char *err,
			  size_t errlen)
{
	struct fsym cold;

	out->entry = fn->vaddr;
	if (!scan_sym(img, fn, offset, out, err, errlen))
		return false;
	/* A jump into the cold part is no exit, nor one from there back: the
	 * cold part's returns are the function's. */
	for (size_t i = 0; i < out->nout; i++) {
		struct func_exits part = {.nret = 0};

		if (!find_sym(syms, type, out->out[i], fn->name, &cold))
			continue;
		if (!scan_sym(img, &cold, offset + (cold.vaddr - fn->vaddr), &part, err, errlen))
			return false;
		if (out->nret + part.nret > FUNC_EXITS_MAX) {
			snprintf(err, errlen, "more than %d return instructions", FUNC_EXITS_MAX);
			return false;
		}
		memcpy(out->ret + out->nret, part.ret, part.nret * sizeof(uint64_t));
		out->nret += part.nret;
		out->ntail =
			out->ntail - jumps_into(out, &cold) + part.ntail - jumps_into(&part, fn);
		break;
	}
	return true;
}

bool func_exits_find(const struct elf_image *img, uint64_t vaddr, uint64_t offset,
		     struct func_exits *out, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
	uint32_t type = SHT_SYMTAB;
	struct elf_image dbg = {.data = NULL};
	const struct elf_image *syms = img;
	struct fsym fn;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (!img->data || img->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64) {
		snprintf(err, errlen, "%s is not an x86-64 ELF file proftop can read", img->path);
		return false;
	}
	if (!find_sym(img, type, vaddr, NULL, &fn) &&
	    !find_sym(img, type = SHT_DYNSYM, vaddr, NULL, &fn)) {
		if (!debug_symbols(img, &dbg) ||
		    !find_sym(&dbg, type = SHT_SYMTAB, vaddr, NULL, &fn)) {
			debug_symbols_free(&dbg);
			snprintf(err, errlen,
				 "%s's symbol table (nor its debug file's) gives no size for the "
				 "function",
				 img->path);
			return false;
		}
		syms = &dbg;
	}
	ok = scan_function(img, syms, type, &fn, offset, out, err, errlen);
	debug_symbols_free(&dbg);
	return ok;
}
