#include "config.h"

/* Symbolisation through libdwfl.
 *
 * Ownership: struct symbols belongs to its creator and holds nothing but a
 * borrowed profile and scratch space. The expensive state, one Dwfl per ELF
 * image, hangs on the image (img->symbols_priv) and is freed by the image's
 * owner (procmap) through img->symbols_free, so that it lives exactly as long
 * as the file stays mapped and is shared by every process mapping it.
 *
 * Every Dwfl reports its one file with bias 0: module addresses are the
 * file's own p_vaddr values, which is what callers pass in. */

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symbols.h"
#include "xalloc.h"

/* libstdc++'s demangler (the final link adds -lstdc++). */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct symbols {
	struct profile *p;
	struct prof_line *lines; /* frames of the location being built */
	size_t nlines, lines_cap;
};

/* The per-image state behind img->symbols_priv. */
struct image_syms {
	Dwfl *dwfl;         /* NULL when the image could not be read as ELF */
	Dwfl_Module *mod;
	Elf *pending_elf;   /* in-memory Elf not yet handed to libdwfl by find_elf */
	char *mem;          /* private copy of an in-memory image, backs that Elf */
	const char *path;   /* file name for the debuginfo search (borrowed from img) */
};

/* Separate debug info: next to the file, in .debug/, and under /usr/lib/debug
 * both by path and by build-id (Debian's -dbgsym and -dbg packages). */
static char debuginfo_path_str[] = ":.debug:/usr/lib/debug";
static char *debuginfo_path = debuginfo_path_str;

/* Only modules reported from memory come here: hand over their Elf. */
static int image_find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
			  Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct image_syms *is = *userdata;

	if (!is || !is->pending_elf)
		return -1;
	*elfp = is->pending_elf;
	is->pending_elf = NULL;
	/* libdwfl frees the name; it lets the debuglink search find files. */
	if (is->path && is->path[0] == '/')
		*file_name = xstrdup(is->path);
	return -1;
}

static const Dwfl_Callbacks image_callbacks = {
	.find_elf = image_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static void image_syms_free(void *priv)
{
	struct image_syms *is = priv;

	if (!is)
		return;
	if (is->dwfl)
		dwfl_end(is->dwfl);
	if (is->pending_elf)
		elf_end(is->pending_elf);
	free(is->mem);
	free(is);
}

/* Report an image held in memory ([vdso], or a file no longer reachable by
 * its path) at the module range that gives libdwfl a bias of 0: it places
 * the first PT_LOAD's aligned p_vaddr at the module start. */
static Dwfl_Module *image_report_memory(struct image_syms *is, const struct elf_image *img)
{
	uint64_t start = 0, end = 0;
	Dwfl_Module *mod = NULL;
	void **userdata;
	bool seen = false;
	size_t phnum;
	Elf *elf;

	elf_version(EV_CURRENT);
	is->mem = xmalloc(img->size);
	memcpy(is->mem, img->data, img->size);
	elf = elf_memory(is->mem, img->size);
	if (!elf)
		return NULL;
	if (elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &phnum) != 0)
		goto fail;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (!seen)
			start = ph.p_vaddr & -ph.p_align;
		seen = true;
		if (ph.p_vaddr + ph.p_memsz > end)
			end = ph.p_vaddr + ph.p_memsz;
	}
	if (!seen || end <= start)
		goto fail;

	mod = dwfl_report_module(is->dwfl, img->path, start, end);
	if (!mod || !dwfl_module_info(mod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL))
		goto fail;
	*userdata = is;
	is->pending_elf = elf;
	return mod;
fail:
	elf_end(elf);
	return NULL;
}

/* The image's Dwfl, created on first use. A failure is remembered (dwfl
 * NULL) so that an unreadable image costs one attempt, not one per address. */
static struct image_syms *image_syms_get(struct elf_image *img)
{
	struct image_syms *is = img->symbols_priv;
	Dwfl_Module *mod = NULL;

	if (is)
		return is;
	is = xcalloc(1, sizeof(*is));
	is->path = img->path;
	img->symbols_priv = is;
	img->symbols_free = image_syms_free;

	is->dwfl = dwfl_begin(&image_callbacks);
	if (!is->dwfl)
		return is;
	dwfl_report_begin(is->dwfl);
	/* bias 0: ET_DYN with add_p_vaddr keeps p_vaddr; ET_EXEC ignores both. */
	if (!img->is_vdso && img->path && img->path[0] == '/')
		mod = dwfl_report_elf(is->dwfl, img->path, img->path, -1, 0, true);
	if (!mod && img->data && img->size)
		mod = image_report_memory(is, img);
	if (dwfl_report_end(is->dwfl, NULL, NULL) != 0)
		mod = NULL;
	if (!mod) {
		dwfl_end(is->dwfl);
		is->dwfl = NULL;
		return is;
	}
	is->mod = mod;
	return is;
}

/* The profile module of img, interned once. The id is checked against the
 * profile so that an image outliving one profile is not misattributed. */
static uint32_t image_module(struct symbols *s, struct elf_image *img)
{
	struct profile *p = s->p;
	uint32_t id = img->module_id;
	const char *path = img->path ? img->path : "[unknown]";

	if (id != PROF_NONE && id < p->nmodules && strcmp(p->modules[id].path, path) == 0)
		return id;
	id = profile_intern_module(p, path, img->build_id);
	img->module_id = id;
	return id;
}

static void lines_push(struct symbols *s, uint32_t function, const char *file, int line)
{
	s->lines = xgrow(s->lines, &s->lines_cap, s->nlines + 1, sizeof(*s->lines));
	s->lines[s->nlines++] = (struct prof_line){
		.function = function,
		.file = file, /* the profile interns it */
		.line = line > 0 ? line : 0,
	};
}

/* Intern a function under name, demangling it. file may be NULL. */
static uint32_t function_intern(struct symbols *s, const char *system_name, const char *file,
				int start_line, uint32_t module)
{
	char *demangled = symbols_demangle(system_name);
	uint32_t id;

	id = profile_intern_function(s->p, demangled ? demangled : system_name, system_name, file,
				     start_line > 0 ? start_line : 0, module);
	free(demangled);
	return id;
}

/* The function at addr from the ELF symbol tables (.symtab, .dynsym,
 * .gnu_debugdata), or "module+0xaddr" when no symbol covers it. */
static uint32_t function_from_symtab(struct symbols *s, struct image_syms *is, uint64_t addr,
				     uint32_t module)
{
	const char *name = NULL;
	uint32_t id;

	if (is->mod) {
		GElf_Off off;
		GElf_Sym sym;

		name = dwfl_module_addrinfo(is->mod, addr, &off, &sym, NULL, NULL, NULL);
	}
	if (name && name[0])
		return function_intern(s, name, NULL, 0, module);

	char *anon = xasprintf("%s+0x%" PRIx64, s->p->modules[module].name, addr);

	id = profile_intern_function(s->p, anon, anon, NULL, 0, module);
	free(anon);
	return id;
}

static const char *die_string(Dwarf_Die *die, unsigned int at)
{
	Dwarf_Attribute attr;

	return dwarf_formstring(dwarf_attr_integrate(die, at, &attr));
}

/* The function a subprogram or inlined_subroutine DIE stands for. Names
 * come through abstract origins and specifications; a DIE without any
 * falls back to the symbol table. */
static uint32_t function_from_die(struct symbols *s, struct image_syms *is, Dwarf_Die *die,
				  uint64_t addr, uint32_t module)
{
	const char *linkage = die_string(die, DW_AT_linkage_name);
	const char *name;
	int line = 0;

	if (!linkage)
		linkage = die_string(die, DW_AT_MIPS_linkage_name);
	name = linkage ? linkage : die_string(die, DW_AT_name);
	if (!name || !name[0])
		return function_from_symtab(s, is, addr, module);
	if (dwarf_decl_line(die, &line) != 0)
		line = 0;
	return function_intern(s, name, dwarf_decl_file(die), line, module);
}

/* The file and line an inlined_subroutine was called from, resolved
 * through its CU's file table. */
static void inline_call_site(Dwarf_Die *die, const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx, lineno;
	Dwarf_Files *files;
	size_t nfiles;
	Dwarf_Die cu;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &lineno) == 0 &&
	    lineno <= INT32_MAX)
		*line = (int)lineno;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &idx) != 0)
		return;
	if (!dwarf_diecu(die, &cu, NULL, NULL) || dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 ||
	    idx >= nfiles)
		return;
	*file = dwarf_filesrc(files, idx, NULL, NULL);
}

static bool is_function_tag(int tag)
{
	return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
	       tag == DW_TAG_entry_point;
}

/* Frames from DWARF, innermost first, pushed onto s->lines. Returns false
 * (nothing pushed) when no function DIE covers addr. */
static bool frames_from_dwarf(struct symbols *s, struct image_syms *is, uint64_t addr,
			      uint32_t module)
{
	Dwarf_Die *scopes = NULL, inner;
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(is->mod, addr, &bias);
	const char *file = NULL;
	int n, line = 0, tag = 0;
	Dwfl_Line *l;

	if (!cu)
		return false;
	/* dwarf_getscopes follows an inlined instance into its abstract
	 * origin's scopes; the concrete chain of callers comes from the
	 * innermost DIE's own parents. */
	n = dwarf_getscopes(cu, addr - bias, &scopes);
	if (n <= 0) {
		free(scopes);
		return false;
	}
	inner = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&inner, &scopes);
	if (n <= 0) {
		free(scopes);
		return false;
	}

	l = dwfl_module_getsrc(is->mod, addr);
	if (l)
		file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);

	for (int i = 0; i < n; i++) {
		tag = dwarf_tag(&scopes[i]);
		if (!is_function_tag(tag))
			continue;
		lines_push(s, function_from_die(s, is, &scopes[i], addr, module), file, line);
		if (tag != DW_TAG_inlined_subroutine)
			break;
		inline_call_site(&scopes[i], &file, &line);
	}
	/* An inline chain that never reached its subprogram (broken DWARF):
	 * the symbol table names the function it was inlined into. */
	if (s->nlines > 0 && tag == DW_TAG_inlined_subroutine)
		lines_push(s, function_from_symtab(s, is, addr, module), file, line);
	free(scopes);
	return s->nlines > 0;
}

struct symbols *symbols_new(struct profile *p)
{
	struct symbols *s = xcalloc(1, sizeof(*s));

	s->p = p;
	return s;
}

void symbols_free(struct symbols *s)
{
	if (!s)
		return;
	free(s->lines);
	free(s);
}

uint32_t symbols_location(struct symbols *s, struct elf_image *img, uint64_t vaddr,
			  bool is_return)
{
	uint64_t addr = is_return && vaddr > 0 ? vaddr - 1 : vaddr;
	uint32_t module = image_module(s, img);
	uint32_t loc = profile_find_location(s->p, module, addr);
	struct image_syms *is;

	if (loc != PROF_NONE)
		return loc;
	is = image_syms_get(img);
	s->nlines = 0;
	if (!is->mod || !frames_from_dwarf(s, is, addr, module)) {
		const char *file = NULL;
		int line = 0;
		Dwfl_Line *l = is->mod ? dwfl_module_getsrc(is->mod, addr) : NULL;

		/* Code with a line table but no DIEs (assembly) keeps its line. */
		if (l)
			file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
		s->nlines = 0;
		lines_push(s, function_from_symtab(s, is, addr, module), file, line);
	}
	return profile_intern_location(s->p, module, addr, s->lines, s->nlines);
}

/* One function per map name: anonymous code (JIT) is one bucket, not one
 * function per address. */
uint32_t symbols_unknown_location(struct symbols *s, uint64_t addr, const char *map_name)
{
	const char *name = map_name && map_name[0] ? map_name : "[unknown]";
	uint32_t module = profile_intern_module(s->p, name, NULL);
	uint32_t loc = profile_find_location(s->p, module, addr);
	struct prof_line line = { .file = NULL, .line = 0 };

	if (loc != PROF_NONE)
		return loc;
	line.function = profile_intern_function(s->p, name, name, NULL, 0, module);
	return profile_intern_location(s->p, module, addr, &line, 1);
}

uint32_t symbols_kernel_location(struct symbols *s)
{
	uint32_t module = profile_intern_module(s->p, "[kernel]", NULL);
	uint32_t loc = profile_find_location(s->p, module, 0);
	struct prof_line line = { .file = NULL, .line = 0 };

	if (loc != PROF_NONE)
		return loc;
	line.function = profile_intern_function(s->p, "[kernel]", "[kernel]", NULL, 0, module);
	return profile_intern_location(s->p, module, 0, &line, 1);
}

char *symbols_demangle(const char *name)
{
	char *out;
	int status = -1;

	if (!name || strncmp(name, "_Z", 2) != 0)
		return NULL;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}
