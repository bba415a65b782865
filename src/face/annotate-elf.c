#include "config.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "annotate-int.h"
#include "elf-file.h"
#include "xalloc.h"

void annot_image_free(struct annot_image *img)
{
	elf_file_close(img->file);
	free(img->syms);
	free(img->gots);
	free(img->path);
	free(img);
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

/* Function symbols of elf's .symtab and .dynsym (elf: the file, or its
 * separate debug file, whose .symtab keeps the static functions a
 * stripped library lost), and the GOT slots that relocations bind to
 * dynamic symbols. */
static void image_read_symbols(struct annot_image *img, Elf *elf, size_t *syms_cap)
{
	size_t gots_cap = img->ngots;
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
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
				name = elf_strptr(elf, sh.sh_link, s.st_name);
				if (!name || !*name)
					continue;
				img->syms = xgrow(img->syms, syms_cap, img->nsyms + 1,
						  sizeof(*img->syms));
				img->syms[img->nsyms++] =
					(struct elf_sym){s.st_value, s.st_size, name};
			}
		} else if (sh.sh_type == SHT_RELA && sh.sh_entsize && elf == img->elf) {
			Elf_Scn *symscn = elf_getscn(elf, sh.sh_link);
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
				name = elf_strptr(elf, symsh.sh_link, s.st_name);
				if (!name || !*name)
					continue;
				img->gots = xgrow(img->gots, &gots_cap, img->ngots + 1,
						  sizeof(*img->gots));
				img->gots[img->ngots++] = (struct got_slot){r.r_offset, name};
			}
		}
	}
}

/* The file, its separate debug file and DWARF through src/elf: the same
 * debug-info rule (build id, then .gnu_debuglink) symbols.c follows. */
struct annot_image *annot_image_get(struct annot_cache *c, const char *path)
{
	struct annot_image *img;
	size_t syms_cap = 0;
	char *error = NULL;
	GElf_Ehdr eh;

	for (size_t i = 0; i < c->nimages; i++)
		if (!strcmp(c->images[i]->path, path))
			return c->images[i];
	img = xcalloc(1, sizeof(*img));
	img->path = xstrdup(path);
	c->images = xgrow(c->images, &c->images_cap, c->nimages + 1, sizeof(*c->images));
	c->images[c->nimages++] = img;

	img->file = elf_file_open(path, NULL, &error);
	if (!img->file) {
		img->error = annot_cache_keep(c, error);
		return img;
	}
	if (!gelf_getehdr(img->file->elf, &eh) || eh.e_machine != EM_X86_64) {
		img->error = annot_cache_keep(c, xasprintf("%s is not an x86-64 ELF file", path));
		return img;
	}
	img->elf = img->file->elf;
	img->debug_elf = img->file->debug_elf;
	img->dw = img->file->dw;
	img->build_id = img->file->build_id;
	image_read_symbols(img, img->elf, &syms_cap);
	if (img->debug_elf)
		image_read_symbols(img, img->debug_elf, &syms_cap);
	if (img->nsyms)
		qsort(img->syms, img->nsyms, sizeof(*img->syms), sym_cmp);
	if (img->ngots)
		qsort(img->gots, img->ngots, sizeof(*img->gots), got_cmp);
	return img;
}

/* The symbol containing addr (the widest of aliases), or NULL. */
const struct elf_sym *annot_sym_at(const struct annot_image *img, uint64_t addr)
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

const struct elf_sym *annot_sym_named(const struct annot_image *img, const char *name)
{
	for (size_t i = 0; name && i < img->nsyms; i++)
		if (!strcmp(img->syms[i].name, name))
			return &img->syms[i];
	return NULL;
}

const char *annot_got_name(const struct annot_image *img, uint64_t slot)
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
const unsigned char *annot_section_bytes(const struct annot_image *img, uint64_t addr,
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
