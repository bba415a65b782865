#include "config.h"

#include <capstone/capstone.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>

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

	memset(out, 0, sizeof(*out));
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
			out->ret[out->nret++] = here - addr;
		} else if (cs_insn_group(cs, in, CS_GRP_JUMP)) {
			const cs_x86 *x = &in->detail->x86;

			/* A direct jump out of [addr, addr + size): a tail call. An
			 * indirect one may be a switch inside or a call out; which,
			 * only running it tells: neither is a return. */
			if (x->op_count == 1 && x->operands[0].type == X86_OP_IMM &&
			    ((uint64_t)x->operands[0].imm < addr ||
			     (uint64_t)x->operands[0].imm >= addr + size))
				out->ntail++;
		}
	}
	ok = true;
out:
	cs_free(in, 1);
	cs_close(&cs);
	return ok;
}

/* The size of the function symbol at vaddr in the file's symbol table of
 * type (SHT_SYMTAB or SHT_DYNSYM); 0 if none. */
static uint64_t symbol_size(const struct elf_image *img, uint32_t type, uint64_t vaddr)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
	const Elf64_Shdr *sh;
	uint64_t best = 0;

	if (eh->e_shoff > img->size || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    (img->size - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return 0;
	sh = (const Elf64_Shdr *)(img->data + eh->e_shoff);
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		size_t n;

		if (sh[i].sh_type != type || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_offset > img->size || sh[i].sh_size > img->size - sh[i].sh_offset)
			continue;
		sym = (const Elf64_Sym *)(img->data + sh[i].sh_offset);
		n = sh[i].sh_size / sizeof(Elf64_Sym);
		for (size_t k = 0; k < n; k++)
			if (sym[k].st_value == vaddr && ELF64_ST_TYPE(sym[k].st_info) == STT_FUNC &&
			    sym[k].st_shndx != SHN_UNDEF && sym[k].st_size > best)
				best = sym[k].st_size;
	}
	return best;
}

bool func_exits_find(const struct elf_image *img, uint64_t vaddr, uint64_t offset,
		     struct func_exits *out, char *err, size_t errlen)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
	uint64_t size;

	if (!img->data || img->size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64) {
		snprintf(err, errlen, "%s is not an x86-64 ELF file proftop can read", img->path);
		return false;
	}
	size = symbol_size(img, SHT_SYMTAB, vaddr);
	if (!size)
		size = symbol_size(img, SHT_DYNSYM, vaddr);
	if (!size) {
		snprintf(err, errlen, "%s's symbol table gives no size for the function",
			 img->path);
		return false;
	}
	if (offset > img->size || size > img->size - offset) {
		snprintf(err, errlen, "the function lies beyond the end of %s", img->path);
		return false;
	}
	return func_exits_scan(img->data + offset, size, vaddr, out, err, errlen);
}
