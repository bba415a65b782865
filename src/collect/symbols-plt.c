#include "config.h"

/* PLT stubs named as perf names them ("sin@plt"): a stub in .plt, .plt.sec
 * or .plt.got jumps through a GOT slot (jmp *disp32(%rip), after an
 * optional endbr64 and bnd prefix); the dynamic relocation that fills the
 * slot (JUMP_SLOT in .rela.plt, GLOB_DAT in .rela.dyn) names the symbol.
 * Decoding the jump works for every stub layout the linkers emit. */

#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols-int.h"
#include "xalloc.h"

#define PLT_ENTRY 16

/* The PLT section holding addr: its header and name; false if none. */
static bool plt_section(Elf *elf, uint64_t addr, Elf_Scn **out, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;

		if (!gelf_getshdr(scn, sh) || sh->sh_type != SHT_PROGBITS || addr < sh->sh_addr ||
		    addr >= sh->sh_addr + sh->sh_size)
			continue;
		name = elf_strptr(elf, shstrndx, sh->sh_name);
		if (!name || strncmp(name, ".plt", 4) != 0)
			return false;
		*out = scn;
		return true;
	}
	return false;
}

/* The GOT slot the stub holding addr jumps through; false for PLT0 or a
 * stub that does not jump through one. */
static bool plt_slot(Elf *elf, uint64_t addr, uint64_t *slot)
{
	GElf_Shdr sh;
	Elf_Scn *scn;
	Elf_Data *data;
	uint64_t size, start, off;
	const unsigned char *p;

	if (!plt_section(elf, addr, &scn, &sh) || !(data = elf_getdata(scn, NULL)) || !data->d_buf)
		return false;
	size = sh.sh_entsize >= 8 && sh.sh_entsize <= 32 ? sh.sh_entsize : PLT_ENTRY;
	start = (addr - sh.sh_addr) / size * size;
	if (start + size > data->d_size)
		return false;
	p = (const unsigned char *)data->d_buf + start;
	off = 0;
	if (size >= 4 && !memcmp(p, "\xf3\x0f\x1e\xfa", 4)) /* endbr64 */
		off = 4;
	if (off < size && p[off] == 0xf2) /* bnd */
		off++;
	if (off + 6 > size || p[off] != 0xff || p[off + 1] != 0x25)
		return false;
	int32_t disp = (int32_t)((uint32_t)p[off + 2] | (uint32_t)p[off + 3] << 8 |
				 (uint32_t)p[off + 4] << 16 | (uint32_t)p[off + 5] << 24);
	*slot = sh.sh_addr + start + off + 6 + (uint64_t)(int64_t)disp;
	return true;
}

/* The symbol a JUMP_SLOT or GLOB_DAT relocation binds slot to, or NULL. */
static const char *slot_symbol(Elf *elf, uint64_t slot)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh, symsh;
		Elf_Data *data, *symdata;
		Elf_Scn *symscn;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)) || !(symscn = elf_getscn(elf, sh.sh_link)) ||
		    !gelf_getshdr(symscn, &symsh) || !(symdata = elf_getdata(symscn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym sym;
			int type;

			if (!gelf_getrela(data, (int)i, &r) || r.r_offset != slot)
				continue;
			type = (int)GELF_R_TYPE(r.r_info);
			if ((type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) ||
			    !gelf_getsym(symdata, (int)GELF_R_SYM(r.r_info), &sym))
				return NULL;
			return elf_strptr(elf, symsh.sh_link, sym.st_name);
		}
	}
	return NULL;
}

char *symbols_plt_name(Elf *elf, uint64_t addr)
{
	const char *name;
	char *demangled, *out;
	uint64_t slot;

	if (!elf || !plt_slot(elf, addr, &slot) || !(name = slot_symbol(elf, slot)) || !name[0])
		return NULL;
	demangled = symbols_demangle(name);
	out = xasprintf("%s@plt", demangled ? demangled : name);
	free(demangled);
	return out;
}
