#include "config.h"

#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "usdt.h"

/* pt_regs on x86-64: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di
 * orig_ax ip cs flags sp ss. Each register by its names at every width. */
static const struct {
	const char *names[4];
	int index;
} regs[] = {
	{{"rax", "eax", "ax", "al"}, 10},     {{"rbx", "ebx", "bx", "bl"}, 5},
	{{"rcx", "ecx", "cx", "cl"}, 11},     {{"rdx", "edx", "dx", "dl"}, 12},
	{{"rsi", "esi", "si", "sil"}, 13},    {{"rdi", "edi", "di", "dil"}, 14},
	{{"rbp", "ebp", "bp", "bpl"}, 4},     {{"rsp", "esp", "sp", "spl"}, 19},
	{{"r8", "r8d", "r8w", "r8b"}, 9},     {{"r9", "r9d", "r9w", "r9b"}, 8},
	{{"r10", "r10d", "r10w", "r10b"}, 7}, {{"r11", "r11d", "r11w", "r11b"}, 6},
	{{"r12", "r12d", "r12w", "r12b"}, 3}, {{"r13", "r13d", "r13w", "r13b"}, 2},
	{{"r14", "r14d", "r14w", "r14b"}, 1}, {{"r15", "r15d", "r15w", "r15b"}, 0},
};

bool usdt_parse_arg(const char *spec, struct usdt_arg *out)
{
	char *end;
	long size = strtol(spec, &end, 10);

	*out = (struct usdt_arg){.size = (int)size};
	if (end == spec || *end != '@' || !size || size < -8 || size > 8)
		return false;
#ifdef __x86_64__
	if (end[1] != '%')
		return true; /* memory or a constant: known, not read */
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (int k = 0; k < 4; k++)
			if (!strcmp(end + 2, regs[i].names[k])) {
				out->in_reg = true;
				out->regs_offset = regs[i].index * 8;
				return true;
			}
	return false;
#else
	return false;
#endif
}

static bool file_offset(const struct elf_image *img, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < img->nloads; i++) {
		const struct elf_load_segment *l = &img->loads[i];

		if (vaddr >= l->vaddr && vaddr - l->vaddr < l->filesz) {
			*off = vaddr - l->vaddr + l->offset;
			return true;
		}
	}
	return false;
}

static void parse_args(const char *s, const char *end, struct usdt_probe *out)
{
	char buf[64];

	while (s < end && out->nargs < USDT_ARGS_MAX) {
		size_t len;

		s += strspn(s, " ");
		len = strcspn(s, " ");
		if (!len || s + len > end)
			break;
		if (len < sizeof(buf)) {
			memcpy(buf, s, len);
			buf[len] = '\0';
			if (!usdt_parse_arg(buf, &out->args[out->nargs]))
				out->args[out->nargs] = (struct usdt_arg){0};
		}
		out->nargs++;
		s += len;
	}
}

/* One note's descriptor: pc, base, semaphore, then provider, name and
 * arguments as strings. bias: the file's .stapsdt.base address minus the
 * note's (non-zero after prelinking). */
static bool parse_note(const char *desc, size_t len, const char *provider, const char *name,
		       int64_t base_addr, struct usdt_probe *out)
{
	uint64_t pc, base, sem;
	const char *s = desc + 24, *end = desc + len, *prov, *nm;

	if (len < 27)
		return false;
	memcpy(&pc, desc, 8);
	memcpy(&base, desc + 8, 8);
	memcpy(&sem, desc + 16, 8);
	prov = s;
	nm = memchr(prov, '\0', (size_t)(end - prov));
	if (!nm || strcmp(prov, provider))
		return false;
	nm++;
	s = nm < end ? memchr(nm, '\0', (size_t)(end - nm)) : NULL;
	if (!s || strcmp(nm, name))
		return false;
	s++;
	*out = (struct usdt_probe){0};
	if (base_addr >= 0 && base) {
		pc += (uint64_t)base_addr - base;
		if (sem)
			sem += (uint64_t)base_addr - base;
	}
	out->vaddr = pc;
	out->sem_vaddr = sem;
	if (s < end)
		parse_args(s, memchr(s, '\0', (size_t)(end - s)) ?: end, out);
	return true;
}

bool usdt_find(const struct elf_image *img, const char *provider, const char *name,
	       struct usdt_probe *out)
{
	Elf_Scn *scn = NULL, *notes = NULL;
	int64_t base_addr = -1;
	bool found = false;
	size_t shstrndx;
	Elf *elf;

	if (!img->data || img->is_vdso)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)img->data, img->size);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) < 0)
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;

		if (!gelf_getshdr(scn, &sh) || !(sname = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (sh.sh_type == SHT_NOTE && !strcmp(sname, ".note.stapsdt"))
			notes = scn;
		else if (!strcmp(sname, ".stapsdt.base"))
			base_addr = (int64_t)sh.sh_addr;
	}
	if (notes) {
		Elf_Data *d = elf_getdata(notes, NULL);
		size_t off = 0, next, name_off, desc_off;
		GElf_Nhdr nh;

		while (d && !found &&
		       (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == 3 && nh.n_namesz == 8 &&
			    !memcmp((char *)d->d_buf + name_off, "stapsdt", 8))
				found = parse_note((char *)d->d_buf + desc_off, nh.n_descsz,
						   provider, name, base_addr, out);
			off = next;
		}
	}
	if (found && !file_offset(img, out->vaddr, &out->offset))
		found = false;
	if (found && out->sem_vaddr && !file_offset(img, out->sem_vaddr, &out->sem_offset))
		found = false;
out:
	if (elf)
		elf_end(elf);
	return found;
}
