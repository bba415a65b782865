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
#include <errno.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libiberty/demangle.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "debuginfod.h"
#include "elf-debug.h"
#include "elf-fds.h"
#include "symbols-int.h"
#include "ksyms.h"
#include "symbols.h"
#include "xalloc.h"

/* libstdc++'s demangler (the final link adds -lstdc++). */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

struct symbols {
	struct profile *p;
	struct prof_line *lines; /* frames of the location being built */
	size_t nlines, lines_cap;
	Dwarf_Die *chain; /* function DIEs around an address, outermost first */
	size_t nchain, chain_cap;
	char *path; /* scratch for file names */
	size_t path_cap;
	/* kernel names: /proc/kallsyms, read at the first kernel sample */
	const char *kallsyms_path;
	struct ksyms *ksyms;
	bool kernel_note_given;
	struct debug_fetch *fetch; /* borrowed; NULL: debug info from local files only */
};

/* One address range of a concrete subprogram, in DWARF addresses. */
struct func_range {
	Dwarf_Addr low, high;
	Dwarf_Die die;
};

/* The subprograms of one CU sorted by address, built the first time an
 * address falls in the CU: a lookup is then a binary search and a descent
 * through one function's DIEs, not a walk of the whole CU. */
struct cu_funcs {
	const void *cu; /* the CU DIE's addr, its identity */
	struct func_range *funcs;
	size_t nfuncs, funcs_cap;
};

/* An ELF symbol. libdwfl's dwfl_module_addrinfo scans the whole table on
 * every call; this sorted copy makes the fallback a binary search. */
struct sym_entry {
	GElf_Addr value, end;
	GElf_Addr max_end;	  /* the largest end among this entry and those before */
	GElf_Addr sec_lo, sec_hi; /* its section, for sizeless symbols */
	const char *name;	  /* in the Elf's string table: lives as long as the Dwfl */
	uint32_t order;		  /* symbol table order, for stable ties */
	uint16_t score;		  /* preference among aliases, see sym_score() */
};

/* The per-image state behind img->symbols_priv. The Dwfl keeps its files
 * open, so it is one holder in src/elf's bounded set: when evicted, it is
 * closed (and its caches with it) and reopened on the next lookup. */
struct image_syms {
	struct elf_fd_holder fds; /* first: image_syms_release casts it back */
	bool failed;		  /* the image cannot be read as ELF: not retried */
	Dwfl *dwfl;		  /* NULL when closed or failed */
	Dwfl_Module *mod;
	Elf *pending_elf;     /* in-memory Elf not yet handed to libdwfl by find_elf */
	char *mem;	      /* private copy of an in-memory image, backs that Elf */
	const char *path;     /* file name for the debuginfo search (borrowed from img) */
	struct cu_funcs *cus; /* sorted by cu */
	size_t ncus, cus_cap;
	struct sym_entry *syms; /* the ELF symbols, sorted; built on first need */
	size_t nsyms;
	bool syms_loaded;
	/* debuginfod: its debug info was asked for (none was local); the Dwfl
	 * was opened again once the fetched file was there */
	bool fetch_asked, refreshed;
};

/* A Dwfl holds the file and its separate debug file open. */
#define IMAGE_FDS 2

/* Only modules reported from memory come here: hand over their Elf. */
static int image_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			  char **file_name, Elf **elfp)
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
	.find_debuginfo = elf_debug_dwfl_find, /* src/elf's rule, as annotate's */
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &elf_debug_dwfl_path,
};

/* Close the Dwfl and everything pointing into it (DIEs, symbol names). */
static void image_syms_close(struct image_syms *is)
{
	if (is->dwfl)
		dwfl_end(is->dwfl);
	if (is->pending_elf)
		elf_end(is->pending_elf);
	for (size_t i = 0; i < is->ncus; i++)
		free(is->cus[i].funcs);
	free(is->cus);
	free(is->syms);
	free(is->mem);
	is->dwfl = NULL;
	is->mod = NULL;
	is->pending_elf = NULL;
	is->mem = NULL;
	is->cus = NULL;
	is->ncus = is->cus_cap = 0;
	is->syms = NULL;
	is->nsyms = 0;
	is->syms_loaded = false;
}

static void image_syms_release(struct elf_fd_holder *h)
{
	image_syms_close((struct image_syms *)h);
}

static void image_syms_free(void *priv)
{
	struct image_syms *is = priv;

	if (!is)
		return;
	elf_fds_drop(&is->fds);
	image_syms_close(is);
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

/* Whether the module libdwfl opened by path is the file procmap read
 * (same build id; a file without one cannot be told, so it is not). */
static bool module_is_image(Dwfl_Module *mod, const struct elf_image *img)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	size_t len = img->build_id ? strlen(img->build_id) : 0;
	char hex[3];

	if (n <= 0 || len != 2 * (size_t)n)
		return false;
	for (int i = 0; i < n; i++) {
		snprintf(hex, sizeof(hex), "%02x", bits[i]);
		if (memcmp(hex, img->build_id + 2 * i, 2) != 0)
			return false;
	}
	return true;
}

/* Report the image's one module into a new Dwfl; NULL if it cannot be
 * read as ELF. Out of descriptors, it closes other images and retries:
 * names are never lost to the open-file limit. */
static Dwfl_Module *image_syms_report(struct image_syms *is, struct elf_image *img)
{
	Dwfl_Module *mod = NULL;
	bool by_path = !img->is_vdso && img->path && img->path[0] && img->path[0] != '[';

	is->dwfl = dwfl_begin(&image_callbacks);
	if (!is->dwfl)
		return NULL;
	dwfl_report_begin(is->dwfl);
	/* bias 0: ET_DYN with add_p_vaddr keeps p_vaddr; ET_EXEC ignores both. */
	if (by_path) {
		errno = 0;
		mod = dwfl_report_elf(is->dwfl, img->path, img->path, -1, 0, true);
		while (!mod && (errno == EMFILE || errno == ENFILE) &&
		       elf_fds_evict_one(&is->fds)) {
			errno = 0;
			mod = dwfl_report_elf(is->dwfl, img->path, img->path, -1, 0, true);
		}
		if (mod && img->foreign && !module_is_image(mod, img)) {
			/* the container's file changed under its path since procmap
			 * read it: name what was mapped, from memory */
			dwfl_end(is->dwfl);
			is->dwfl = dwfl_begin(&image_callbacks);
			if (!is->dwfl)
				return NULL;
			dwfl_report_begin(is->dwfl);
			mod = NULL;
		}
	}
	if (!mod && img->data && img->size)
		mod = image_report_memory(is, img);
	if (dwfl_report_end(is->dwfl, NULL, NULL) != 0)
		mod = NULL;
	return mod;
}

/* The image's Dwfl, opened on first use and again after an eviction. A
 * failure to read the image is remembered, so that an unreadable image
 * costs one attempt, not one per address. */
static struct image_syms *image_syms_get(struct elf_image *img)
{
	struct image_syms *is = img->symbols_priv;

	if (is && (is->dwfl || is->failed)) {
		elf_fds_touch(&is->fds);
		return is;
	}
	if (!is) {
		is = xcalloc(1, sizeof(*is));
		is->path = img->path;
		is->fds.release = image_syms_release;
		img->symbols_priv = is;
		img->symbols_free = image_syms_free;
	}
	elf_fds_hold(&is->fds, IMAGE_FDS);
	is->mod = image_syms_report(is, img);
	if (!is->mod) {
		image_syms_close(is);
		elf_fds_drop(&is->fds);
		is->failed = true;
	}
	return is;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The profile module of img, interned once. The id is checked against the
 * profile so that an image outliving one profile is not misattributed. */
static uint32_t image_module(struct symbols *s, struct elf_image *img)
{
	struct profile *p = s->p;
	uint32_t id = img->module_id;
	const char *path = img->mapped_path ? img->mapped_path
			   : img->path	    ? img->path
					    : "[unknown]";

	if (id < p->nmodules && str_same(p->modules[id].path, path) &&
	    str_same(p->modules[id].build_id, img->build_id))
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

/* Intern a function under its symbol name, shown demangled, else as
 * plain_name if given (DWARF's DW_AT_name for a C function renamed by an
 * asm label: "__strtok_r", not "__GI___strtok_r"). file may be NULL. */
static uint32_t function_intern(struct symbols *s, const char *system_name, const char *plain_name,
				const char *file, int start_line, uint32_t module)
{
	char *demangled = symbols_demangle(system_name);
	const char *name = demangled ? demangled : plain_name ? plain_name : system_name;
	uint32_t id;

	id = profile_intern_function(s->p, name, system_name, file, start_line > 0 ? start_line : 0,
				     module);
	free(demangled);
	return id;
}

/* Among aliases: global before weak before local, a plain name before a
 * default version ("f@@V2") before an old one ("f@V1"), then fewer leading
 * underscores ("realloc", not "__libc_realloc"), glibc's "__GI_" last. */
static uint16_t sym_score(int bind, const char *name)
{
	const char *at = strchr(name, '@');
	size_t underscores = strncmp(name, "__GI_", 5) == 0 ? 255 : strspn(name, "_");
	int score = bind == STB_GLOBAL ? 6 : bind == STB_WEAK ? 3 : 0;

	score += !at ? 2 : at[1] == '@' ? 1 : 0;
	return (uint16_t)(score * 256 + 255 - (underscores < 255 ? underscores : 255));
}

static int sym_entry_cmp(const void *a, const void *b)
{
	const struct sym_entry *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Every named, defined symbol that can stand for code (.symtab, .dynsym or
 * .gnu_debugdata, whichever libdwfl found), sorted by address. */
static void syms_load(struct image_syms *is)
{
	int n = dwfl_module_getsymtab(is->mod);
	size_t cap = 0;
	GElf_Addr max_end = 0;

	is->syms_loaded = true;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		GElf_Word shndx;
		Elf *elf = NULL;
		Dwarf_Addr bias = 0;
		const char *name =
			dwfl_module_getsym_info(is->mod, i, &sym, &value, &shndx, &elf, &bias);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);
		struct sym_entry *e;

		if (!name || !name[0] || shndx == SHN_UNDEF || shndx == SHN_ABS ||
		    type == STT_SECTION || type == STT_FILE || type == STT_TLS)
			continue;
		is->syms = xgrow(is->syms, &cap, is->nsyms + 1, sizeof(*is->syms));
		e = &is->syms[is->nsyms++];
		*e = (struct sym_entry){
			.value = value,
			.end = value + sym.st_size,
			.name = name,
			.order = (uint32_t)i,
			.score = sym_score(bind, name),
		};
		if (sym.st_size == 0 && elf) {
			GElf_Shdr sh;

			if (gelf_getshdr(elf_getscn(elf, shndx), &sh)) {
				e->sec_lo = sh.sh_addr + bias;
				e->sec_hi = e->sec_lo + sh.sh_size;
			}
		}
	}
	if (is->nsyms > 1) /* qsort's base may not be NULL, even for 0 */
		qsort(is->syms, is->nsyms, sizeof(*is->syms), sym_entry_cmp);
	for (size_t i = 0; i < is->nsyms; i++) {
		if (is->syms[i].end > max_end)
			max_end = is->syms[i].end;
		is->syms[i].max_end = max_end;
	}
}

/* As dwfl_module_addrinfo: the closest sized symbol holding addr (the best
 * scored of aliases), else a sizeless one (an assembly label) in
 * addr's section that no sized symbol below addr reaches past. */
static const char *syms_find(struct image_syms *is, uint64_t addr, uint64_t *value)
{
	const struct sym_entry *best = NULL;
	GElf_Addr min_label;
	size_t lo = 0, hi;

	if (!is->syms_loaded)
		syms_load(is);
	hi = is->nsyms;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (is->syms[mid].value <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* lo: the first symbol above addr. Walk down while a symbol this
	 * low could still reach addr. */
	for (size_t i = lo; i > 0 && is->syms[i - 1].max_end > addr; i--) {
		const struct sym_entry *e = &is->syms[i - 1];

		if (best && e->value < best->value)
			break;
		if (e->end > addr && (!best || e->score > best->score))
			best = e;
	}
	if (best) {
		*value = best->value;
		return best->name;
	}
	/* Only sizeless symbols at the highest end below addr qualify. */
	min_label = is->syms[lo - 1].max_end;
	for (size_t i = lo; i > 0 && is->syms[i - 1].value >= min_label; i--) {
		const struct sym_entry *e = &is->syms[i - 1];

		if (e->end == e->value && addr >= e->sec_lo && addr < e->sec_hi &&
		    (!best || e->score > best->score))
			best = e;
	}
	if (best)
		*value = best->value;
	return best ? best->name : NULL;
}

/* The function at addr from the ELF symbol tables, or "module+0xaddr" when
 * no symbol covers it. */
static uint32_t function_from_symtab(struct symbols *s, struct image_syms *is, uint64_t addr,
				     uint32_t module)
{
	uint64_t value;
	const char *name = is->mod ? syms_find(is, addr, &value) : NULL;
	uint32_t id;

	if (name)
		return function_intern(s, name, NULL, NULL, 0, module);
	if (is->mod) {
		GElf_Addr bias = 0;
		char *plt = symbols_plt_name(dwfl_module_getelf(is->mod, &bias), addr - bias);

		if (plt) {
			id = profile_intern_function(s->p, plt, plt, NULL, 0, module);
			free(plt);
			return id;
		}
	}

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

/* Drop "." and empty components and fold "dir/.." in place (lexically: the
 * build tree's symlinks are not ours to resolve). */
static void path_normalise(char *path)
{
	bool absolute = path[0] == '/';
	char *base = path + absolute, *out = base;
	const char *in = base;

	for (bool last = !*in; !last;) {
		const char *end = strchrnul(in, '/');
		size_t len = (size_t)(end - in);

		/* Read before out overwrites *end. */
		last = !*end;

		if (len == 2 && in[0] == '.' && in[1] == '.') {
			char *prev = out;

			/* out ends in "component/": find that component. */
			if (prev > base)
				for (prev--; prev > base && prev[-1] != '/'; prev--)
					;
			if (prev < out && strncmp(prev, "../", 3) != 0) {
				out = prev;
			} else if (!absolute) {
				memcpy(out, "../", 3);
				out += 3;
			}
		} else if (len > 0 && !(len == 1 && in[0] == '.')) {
			memmove(out, in, len);
			out += len;
			*out++ = '/';
		}
		in = end + 1;
	}
	if (out > base)
		out--;
	else if (!absolute)
		*out++ = '.';
	*out = '\0';
}

/* A source file name from DWARF made absolute against the CU's comp_dir,
 * normalised and interned; NULL for no name or libdw's "???" placeholder.
 * libdw joins each file to its include directory, and directory 0 is
 * comp_dir itself, but it leaves relative directories relative. Where the
 * build relativised comp_dir too (Debian: "./malloc"), names stay relative
 * to the source root, and one already under comp_dir is not joined twice. */
static const char *file_absolute(struct symbols *s, const char *comp_dir, const char *name)
{
	size_t need, dirlen = comp_dir ? strlen(comp_dir) : 0;
	bool join;

	if (!name || !name[0] || strcmp(name, "???") == 0)
		return NULL;
	join = name[0] != '/' && dirlen > 0 &&
	       (comp_dir[0] == '/' || strncmp(name, comp_dir, dirlen) != 0 || name[dirlen] != '/');
	need = strlen(name) + dirlen + 2;
	s->path = xgrow(s->path, &s->path_cap, need, 1);
	if (join)
		snprintf(s->path, need, "%s/%s", comp_dir, name);
	else
		memcpy(s->path, name, strlen(name) + 1);
	path_normalise(s->path);
	return profile_str(s->p, s->path);
}

static const char *cu_comp_dir(Dwarf_Die *cu)
{
	Dwarf_Attribute attr;

	return dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &attr));
}

/* File index idx of the file table of the unit holding attribute attr. */
static const char *unit_file(struct symbols *s, Dwarf_Attribute *attr, Dwarf_Word idx,
			     const char *fallback_comp_dir)
{
	Dwarf_Files *files;
	const char *comp_dir;
	size_t nfiles;
	Dwarf_Die cu;

	if (!attr->cu || !dwarf_cu_die(attr->cu, &cu, NULL, NULL, NULL, NULL, NULL, NULL) ||
	    dwarf_getsrcfiles(&cu, &files, &nfiles) != 0 || idx >= nfiles)
		return NULL;
	/* A partial unit (dwz) has no comp_dir of its own. */
	comp_dir = cu_comp_dir(&cu);
	return file_absolute(s, comp_dir ? comp_dir : fallback_comp_dir,
			     dwarf_filesrc(files, idx, NULL, NULL));
}

/* A C++ function whose DIE has no linkage name (a lambda's operator(), a
 * member of an anonymous namespace, a local clone): an out-of-line body is
 * named by its ELF symbol, as perf names it; an inlined one by its scopes
 * in DWARF. Either way two functions never share the short name. C keeps
 * DW_AT_name ("__strtok_r", not the alias "__GI___strtok_r"). */
static uint32_t function_unlinked(struct symbols *s, struct image_syms *is, Dwarf_Die *die,
				  const char *name, const char *file, int line, uint32_t module)
{
	char *built = symbols_dwarf_name(die);
	Dwarf_Addr entry;
	uint64_t value;
	const char *sym;
	uint32_t id;

	if (!built)
		return function_intern(s, name, name, file, line, module);
	if (dwarf_tag(die) == DW_TAG_subprogram && dwarf_entrypc(die, &entry) == 0 &&
	    (sym = syms_find(is, entry, &value)) && value == entry) {
		free(built);
		return function_intern(s, sym, NULL, file, line, module);
	}
	id = profile_intern_function(s->p, built, built, file, line > 0 ? line : 0, module);
	free(built);
	return id;
}

/* The function a subprogram or inlined_subroutine DIE stands for. Names
 * come through abstract origins and specifications; a DIE without any
 * falls back to the symbol table. */
static uint32_t function_from_die(struct symbols *s, struct image_syms *is, Dwarf_Die *die,
				  const char *comp_dir, uint64_t addr, uint32_t module)
{
	const char *linkage = die_string(die, DW_AT_linkage_name);
	const char *name = die_string(die, DW_AT_name), *file = NULL;
	Dwarf_Attribute attr;
	Dwarf_Word idx;
	int line = 0;

	if (!linkage)
		linkage = die_string(die, DW_AT_MIPS_linkage_name);
	if (linkage && !linkage[0])
		linkage = NULL;
	if (name && !name[0])
		name = NULL;
	if (!linkage && !name)
		return function_from_symtab(s, is, addr, module);
	if (dwarf_decl_line(die, &line) != 0)
		line = 0;
	/* dwarf_decl_file, but resolved in the unit that holds the attribute
	 * (the abstract origin may live in another one) and made absolute. */
	if (dwarf_formudata(dwarf_attr_integrate(die, DW_AT_decl_file, &attr), &idx) == 0)
		file = unit_file(s, &attr, idx, comp_dir);
	if (linkage)
		return function_intern(s, linkage, name, file, line, module);
	return function_unlinked(s, is, die, name, file, line, module);
}

/* The file and line an inlined_subroutine was called from. */
static void inline_call_site(struct symbols *s, Dwarf_Die *die, const char *comp_dir,
			     const char **file, int *line)
{
	Dwarf_Attribute attr;
	Dwarf_Word idx, lineno;

	*file = NULL;
	*line = 0;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &lineno) == 0 &&
	    lineno <= INT32_MAX)
		*line = (int)lineno;
	if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &idx) == 0)
		*file = unit_file(s, &attr, idx, comp_dir);
}

/* The line table's file and line for addr (a CU-relative address). */
static void cu_source_line(struct symbols *s, Dwarf_Die *cu, Dwarf_Addr addr, const char **file,
			   int *line)
{
	Dwarf_Line *l = dwarf_getsrc_die(cu, addr);

	*file = NULL;
	*line = 0;
	if (!l)
		return;
	if (dwarf_lineno(l, line) != 0)
		*line = 0;
	*file = file_absolute(s, cu_comp_dir(cu), dwarf_linesrc(l, NULL, NULL));
}

static void cu_funcs_add(struct cu_funcs *cf, Dwarf_Die *die)
{
	Dwarf_Addr base, low, high;
	ptrdiff_t off = 0;

	while ((off = dwarf_ranges(die, off, &base, &low, &high)) > 0) {
		if (low >= high)
			continue;
		cf->funcs = xgrow(cf->funcs, &cf->funcs_cap, cf->nfuncs + 1, sizeof(*cf->funcs));
		cf->funcs[cf->nfuncs++] =
			(struct func_range){.low = low, .high = high, .die = *die};
	}
}

/* Concrete subprograms sit at CU level or inside namespaces (C++, Rust)
 * and, rarely, types; their bodies are left for the lookup. */
static void cu_funcs_walk(struct cu_funcs *cf, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;

	if (depth > 32 || dwarf_child(parent, &child) != 0)
		return;
	do {
		switch (dwarf_tag(&child)) {
		case DW_TAG_subprogram:
			cu_funcs_add(cf, &child);
			break;
		case DW_TAG_namespace:
		case DW_TAG_module:
		case DW_TAG_class_type:
		case DW_TAG_structure_type:
		case DW_TAG_union_type:
			cu_funcs_walk(cf, &child, depth + 1);
			break;
		default:
			break;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* By address, then DIE order: of aliases with one range (assembly often
 * has two names for one body), the first declared wins. */
static int func_range_cmp(const void *a, const void *b)
{
	const struct func_range *x = a, *y = b;

	if (x->low != y->low)
		return x->low < y->low ? -1 : 1;
	if (x->die.addr != y->die.addr)
		return (uintptr_t)x->die.addr < (uintptr_t)y->die.addr ? -1 : 1;
	return 0;
}

static struct cu_funcs *cu_funcs_get(struct image_syms *is, Dwarf_Die *cu)
{
	size_t lo = 0, hi = is->ncus;
	struct cu_funcs *cf;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)is->cus[mid].cu < (uintptr_t)cu->addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < is->ncus && is->cus[lo].cu == cu->addr)
		return &is->cus[lo];
	is->cus = xgrow(is->cus, &is->cus_cap, is->ncus + 1, sizeof(*is->cus));
	memmove(&is->cus[lo + 1], &is->cus[lo], (is->ncus - lo) * sizeof(*is->cus));
	is->ncus++;
	cf = &is->cus[lo];
	*cf = (struct cu_funcs){.cu = cu->addr};
	cu_funcs_walk(cf, cu, 0);
	if (cf->nfuncs > 1) /* qsort's base may not be NULL, even for 0 */
		qsort(cf->funcs, cf->nfuncs, sizeof(*cf->funcs), func_range_cmp);
	return cf;
}

/* The subprogram whose ranges hold pc, or NULL. */
static Dwarf_Die *cu_funcs_find(struct cu_funcs *cf, Dwarf_Addr pc)
{
	size_t lo = 0, hi = cf->nfuncs;

	/* lo: the first range starting above pc. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cf->funcs[mid].low <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Ranges do not nest, but aliases repeat one: take the first. A few
	 * steps back tolerate odd overlaps. */
	for (size_t i = lo, steps = 0; i > 0 && steps < 16; i--, steps++) {
		struct func_range *r = &cf->funcs[i - 1], *prev = i > 1 ? r - 1 : NULL;

		if (pc < r->high && !(prev && prev->low == r->low && pc < prev->high))
			return &r->die;
	}
	return NULL;
}

static bool is_scope_tag(int tag)
{
	switch (tag) {
	case DW_TAG_lexical_block:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_subprogram: /* nested functions */
	case DW_TAG_entry_point:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
	case DW_TAG_with_stmt:
		return true;
	default:
		return false;
	}
}

/* s->chain: the subprogram sp and the inlined subroutines holding pc inside
 * it, outermost first (a nested function restarts the chain: it is called,
 * not inlined). */
static void function_chain(struct symbols *s, Dwarf_Die *sp, Dwarf_Addr pc)
{
	Dwarf_Die cur = *sp, child;

	s->nchain = 0;
	s->chain = xgrow(s->chain, &s->chain_cap, 1, sizeof(*s->chain));
	s->chain[s->nchain++] = cur;
	for (int depth = 0; depth < 256 && dwarf_child(&cur, &child) == 0; depth++) {
		int tag = 0;
		bool found = false;

		do {
			tag = dwarf_tag(&child);
			found = is_scope_tag(tag) && dwarf_haspc(&child, pc) == 1;
		} while (!found && dwarf_siblingof(&child, &child) == 0);
		if (!found)
			break;
		if (tag == DW_TAG_subprogram)
			s->nchain = 0;
		if (tag != DW_TAG_lexical_block && tag != DW_TAG_try_block &&
		    tag != DW_TAG_catch_block && tag != DW_TAG_with_stmt) {
			s->chain = xgrow(s->chain, &s->chain_cap, s->nchain + 1, sizeof(*s->chain));
			s->chain[s->nchain++] = child;
		}
		cur = child;
	}
}

/* Frames from DWARF, innermost first, pushed onto s->lines; none when no
 * subprogram covers addr. file/line: the line table's, for the innermost;
 * each outer frame's line is the call site of the inline just inside it. */
static void frames_from_dwarf(struct symbols *s, struct image_syms *is, Dwarf_Die *cu,
			      Dwarf_Addr cu_addr, uint64_t addr, uint32_t module, const char *file,
			      int line)
{
	const char *comp_dir = cu_comp_dir(cu);
	Dwarf_Die *sp = cu_funcs_find(cu_funcs_get(is, cu), cu_addr);

	if (!sp)
		return;
	function_chain(s, sp, cu_addr);
	for (size_t i = s->nchain; i-- > 0;) {
		Dwarf_Die *die = &s->chain[i];

		lines_push(s, function_from_die(s, is, die, comp_dir, addr, module), file, line);
		if (i > 0)
			inline_call_site(s, die, comp_dir, &file, &line);
	}
}

/* The module's symbols_from, once its file (and debug file) are open. */
static void module_note_source(struct symbols *s, const struct elf_image *img,
			       struct image_syms *is, uint32_t module)
{
	const char *debugfile = NULL;
	GElf_Addr bias;
	Elf *elf = NULL;
	char *from;

	if (img->is_vdso) {
		profile_set_module_source(s->p, module, "symbols in the kernel's vDSO");
		return;
	}
	if (is->mod) {
		elf = dwfl_module_getelf(is->mod, &bias);
		dwfl_module_info(is->mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	}
	from = elf_debug_describe(img->path ? img->path : "?", elf, debugfile);
	profile_set_module_source(s->p, module, from);
	free(from);
}

struct symbols *symbols_new(struct profile *p)
{
	struct symbols *s = xcalloc(1, sizeof(*s));

	s->p = p;
	s->kallsyms_path = "/proc/kallsyms";
	return s;
}

void symbols_set_kallsyms(struct symbols *s, const char *path)
{
	ksyms_free(s->ksyms);
	s->ksyms = NULL;
	s->kallsyms_path = path;
	s->kernel_note_given = false;
}

void symbols_free(struct symbols *s)
{
	if (!s)
		return;
	ksyms_free(s->ksyms);
	free(s->lines);
	free(s->chain);
	free(s->path);
	free(s);
}

/* The frames of addr in s->lines, innermost first. */
static void location_frames(struct symbols *s, struct image_syms *is, uint64_t addr,
			    uint32_t module)
{
	const char *file = NULL;
	int line = 0;

	s->nlines = 0;
	if (is->mod) {
		Dwarf_Addr bias;
		Dwarf_Die *cu = dwfl_module_addrdie(is->mod, addr, &bias);

		if (cu) {
			cu_source_line(s, cu, addr - bias, &file, &line);
			frames_from_dwarf(s, is, cu, addr - bias, addr, module, file, line);
		}
	}
	/* No DIE for it: the symbol table's name, with the line table's line
	 * if there is one (assembly). */
	if (s->nlines == 0)
		lines_push(s, function_from_symtab(s, is, addr, module), file, line);
}

/* debuginfod: an image read from its file, with a build id and no DWARF
 * anywhere local, has its debug file asked for once, in the background;
 * meanwhile its names come from its symbol tables. Once the file came
 * (elf_debug_fetched), the image's Dwfl is opened again to find it. */
static struct image_syms *image_syms_fetch(struct symbols *s, struct elf_image *img,
					   struct image_syms *is)
{
	Dwarf_Addr bias;

	if (!s->fetch || !is->mod || !img->build_id || img->is_vdso)
		return is;
	if (!is->fetch_asked) {
		is->fetch_asked = true;
		if (!dwfl_module_getdwarf(is->mod, &bias))
			debug_fetch_ask(s->fetch, img->build_id, s->p->modules[img->module_id].name);
		else
			is->refreshed = true; /* local DWARF: nothing to fetch */
	} else if (!is->refreshed && elf_debug_fetched(img->build_id)) {
		is->refreshed = true;
		elf_fds_drop(&is->fds);
		image_syms_close(is);
		is = image_syms_get(img);
	}
	return is;
}

uint32_t symbols_location(struct symbols *s, struct elf_image *img, uint64_t vaddr, bool is_return)
{
	uint64_t addr = is_return && vaddr > 0 ? vaddr - 1 : vaddr;
	uint32_t module = image_module(s, img);
	uint32_t loc = profile_find_location(s->p, module, addr);
	struct image_syms *is;

	if (loc != PROF_NONE)
		return loc;
	is = image_syms_fetch(s, img, image_syms_get(img));
	location_frames(s, is, addr, module);
	if (!s->p->modules[module].symbols_from)
		module_note_source(s, img, is, module);
	return profile_intern_location(s->p, module, addr, s->lines, s->nlines);
}

void symbols_set_fetch(struct symbols *s, struct debug_fetch *f)
{
	s->fetch = f;
}

/* Module m's locations named again from its file, whose Dwfl now finds
 * the fetched debug file; how many. The image may be gone (the process
 * ended): the file is opened by its path for this. */
static size_t relabel_module(struct symbols *s, uint32_t m)
{
	struct profile *p = s->p;
	struct elf_image tmp = {
		.path = (char *)p->modules[m].path,
		.build_id = (char *)p->modules[m].build_id,
		.module_id = m,
	};
	struct image_syms *is = image_syms_get(&tmp);
	Dwarf_Addr bias;
	size_t n = 0;

	if (is->mod && dwfl_module_getdwarf(is->mod, &bias)) {
		for (size_t loc = 0; loc < p->nlocations; loc++) {
			if (p->locations[loc].module != m)
				continue;
			location_frames(s, is, p->locations[loc].address, m);
			profile_relabel_location(p, (uint32_t)loc, s->lines, s->nlines);
			n++;
		}
	}
	image_syms_free(tmp.symbols_priv);
	return n;
}

/* A module's source of names after debuginfod failed: said only where
 * nothing better is known ("no symbols: ..." or not set). */
static void module_fetch_failed(struct profile *p, uint32_t m, const struct debug_fetch_result *r)
{
	const char *from = p->modules[m].symbols_from;
	char *why;

	if (from && strncmp(from, "no symbols", 10) != 0)
		return;
	if (r->unreachable)
		why = xasprintf("no symbols: debuginfod unreachable (build id %s)", r->build_id);
	else if (r->cancelled)
		why = xasprintf("no symbols: debuginfod fetch cut short (build id %s)", r->build_id);
	else
		why = xasprintf("no symbols: debuginfod had no debug info for build id %s",
				r->build_id);
	profile_set_module_source(p, m, why);
	free(why);
}

size_t symbols_fetched(struct symbols *s, const struct debug_fetch_result *r)
{
	struct profile *p = s->p;
	size_t n = 0;

	if (r->path)
		elf_debug_add_fetched(r->build_id, r->path);
	if (r->alt_path) /* before the Dwfl that reads r->path asks for it */
		elf_debug_add_fetched_alt(r->alt_link, r->alt_path);
	for (size_t m = 0; m < p->nmodules; m++) {
		if (!p->modules[m].build_id || strcmp(p->modules[m].build_id, r->build_id) != 0)
			continue;
		if (r->path) {
			char *from = xasprintf("debuginfod (%s)", r->path);

			n += relabel_module(s, (uint32_t)m);
			profile_set_module_source(p, (uint32_t)m, from);
			free(from);
		} else {
			module_fetch_failed(p, (uint32_t)m, r);
		}
	}
	return n;
}

/* A location of one frame: function name (also its system name) in the
 * pseudo-module of that name, file and line unknown. */
static uint32_t pseudo_location(struct symbols *s, const char *name, uint64_t addr)
{
	uint32_t module = profile_intern_module(s->p, name, NULL);
	uint32_t loc = profile_find_location(s->p, module, addr);
	struct prof_line line = {.file = NULL, .line = 0};

	if (loc != PROF_NONE)
		return loc;
	if (!s->p->modules[module].symbols_from && strcmp(name, PROF_KERNEL_MODULE))
		profile_set_module_source(s->p, module,
					  "no symbols: anonymous memory (JIT code without a "
					  "perf map) or an unreadable file");
	line.function = profile_intern_function(s->p, name, name, NULL, 0, module);
	return profile_intern_location(s->p, module, addr, &line, 1);
}

/* One function per map name: anonymous code (JIT) is one bucket, not one
 * function per address. */
uint32_t symbols_unknown_location(struct symbols *s, uint64_t addr, const char *map_name)
{
	return pseudo_location(s, map_name && map_name[0] ? map_name : "[unknown]", addr);
}

/* The module of a JIT map (generation 0) or of a later generation of its
 * code; symbols_from says where the names came from. */
static uint32_t jit_module(struct symbols *s, const struct jitmap *jm, unsigned generation)
{
	char *path = generation ? xasprintf("%s (generation %u)", jitmap_display(jm), generation)
				: NULL;
	uint32_t module = profile_intern_module(s->p, path ? path : jitmap_display(jm), NULL);

	if (!s->p->modules[module].symbols_from)
		profile_set_module_source(s->p, module, jitmap_source(jm));
	free(path);
	return module;
}

/* The file and line of a JIT code address: its line table's entry, or the
 * code's own name's file with no line. An entry whose file name the JIT
 * wrote as garbage (node 20) is of the code's own file when that name has
 * the garbage's length: V8 wrote the right length from a freed buffer. A
 * line of no known file means nothing. */
static void jit_line_of(const struct jit_line *jl, const struct jit_name *n, struct prof_line *line)
{
	const char *file = jl ? jl->file : NULL;

	if (jl && !file && jl->unread_len && n->file && strlen(n->file) == jl->unread_len)
		file = n->file;
	line->file = file ? file : n->file;
	line->line = file ? jl->line : 0;
}

uint32_t symbols_jit_location(struct symbols *s, const struct jitmap *jm,
			      const struct jit_code *code, uint64_t addr, bool is_return)
{
	uint64_t at = is_return && addr > code->start ? addr - 1 : addr;
	uint32_t base = jit_module(s, jm, 0);
	uint32_t module = code->generation ? jit_module(s, jm, code->generation) : base;
	uint32_t loc = profile_find_location(s->p, module, at);
	const struct jit_line *jl;
	struct prof_line line;
	struct jit_name n;

	if (loc != PROF_NONE)
		return loc;
	jit_name_parse(code->name, &n);
	line.function = profile_intern_function(s->p, n.function, n.key, n.file, n.line, base);
	jl = jit_code_line(code, at);
	jit_line_of(jl, &n, &line);
	loc = profile_intern_location(s->p, module, at, &line, 1);
	jit_name_free(&n);
	return loc;
}

void symbols_jit_rename(struct symbols *s, uint32_t loc, const struct jitmap *jm,
			const struct jit_code *code, uint64_t addr)
{
	const struct jit_line *jl = jit_code_line(code, addr);
	struct prof_line line;
	struct jit_name n;

	if (loc >= s->p->nlocations || s->p->locations[loc].nlines != 1)
		return;
	jit_name_parse(code->name, &n);
	line.function =
		profile_intern_function(s->p, n.function, n.key, n.file, n.line, jit_module(s, jm, 0));
	jit_line_of(jl, &n, &line);
	/* through the model, so that live views and session writers see the
	 * new name (names_epoch, the relabel log) */
	profile_relabel_location(s->p, loc, &line, 1);
	jit_name_free(&n);
}

/* One location per kernel function (its start): there are no lines. */
uint32_t symbols_kernel_location(struct symbols *s, uint64_t ip)
{
	const char *name, *mod;
	uint64_t start;
	uint32_t module, loc;
	struct prof_line line = {.file = NULL, .line = 0};

	if (!ip)
		return pseudo_location(s, PROF_KERNEL_MODULE, 0);
	if (!s->ksyms)
		s->ksyms = ksyms_load(s->kallsyms_path);
	name = ksyms_lookup(s->ksyms, ip, &start, &mod);
	if (!name) {
		loc = pseudo_location(s, PROF_KERNEL_MODULE, 0);
		module = s->p->locations[loc].module;
		if (!s->p->modules[module].symbols_from && ksyms_why(s->ksyms))
			profile_set_module_source(s->p, module, ksyms_why(s->ksyms));
		return loc;
	}
	module = profile_intern_module(s->p, mod, NULL);
	loc = profile_find_location(s->p, module, start);
	if (loc != PROF_NONE)
		return loc;
	if (!s->p->modules[module].symbols_from)
		profile_set_module_source(s->p, module, "kernel symbols from /proc/kallsyms");
	line.function = profile_intern_function(s->p, name, name, NULL, 0, module);
	return profile_intern_location(s->p, module, start, &line, 1);
}

const char *symbols_kernel_note(struct symbols *s)
{
	if (!s->ksyms || s->kernel_note_given)
		return NULL;
	s->kernel_note_given = true;
	return ksyms_why(s->ksyms);
}

char *symbols_demangle(const char *name)
{
	char *out;
	int status = -1;

	if (!name || (strncmp(name, "_Z", 2) != 0 && strncmp(name, "_R", 2) != 0))
		return NULL;
	/* Rust first: a legacy Rust name is also valid C++ mangling, which
	 * would keep its "::h0123..." hash and "$LT$" escapes. libiberty
	 * drops the hash, as rustfilt and perf do. */
	out = rust_demangle(name, 0);
	if (out || name[1] == 'R')
		return out;
	out = __cxa_demangle(name, NULL, NULL, &status);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}
