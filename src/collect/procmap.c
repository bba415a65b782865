#include "config.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf-debug.h"
#include "elf-file.h"
#include "procmap.h"
#include "profile.h"
#include "xalloc.h"

/* The loader maps segments at this granularity (x86-64). */
#define PAGE_SIZE_     4096ULL
#define DELETED_SUFFIX " (deleted)"

/* A name seen in some mapping, interned; for files, the image once we have
 * tried to open it (NULL if that failed, so that it is not retried). */
struct pm_file {
	char *name;
	struct elf_image *image;
	bool tried;
};

/* Which root and mount namespace a process sees files in. */
struct pm_root {
	dev_t ns_dev, root_dev;
	ino_t ns_ino, root_ino;
};

struct procmap {
	/* Names and images: a file of ours under its path; a file in another
	 * root under "[mnt N root D:I]PATH" (its root's key, then the path as
	 * that process names it); a deleted file under "[file D:I]". */
	struct pm_file **files; /* sorted by name */
	size_t nfiles, files_cap;
	struct proc_space **spaces; /* sorted by pid */
	size_t nspaces, spaces_cap;
	/* Generations are unique across spaces, so that a pid reused by a new
	 * process never matches a cache entry of the old one. */
	unsigned generation;
	struct pm_root self; /* ours */
	bool self_known;
};

/* ---- ELF images ---- */

static void image_free(struct elf_image *img)
{
	if (!img)
		return;
	if (img->symbols_free && img->symbols_priv)
		img->symbols_free(img->symbols_priv);
	if (img->unwind_free && img->unwind_priv)
		img->unwind_free(img->unwind_priv);
	if (img->data && !img->is_vdso)
		munmap((void *)img->data, img->size);
	free(img->loads);
	free(img->build_id);
	free(img->mapped_path);
	free(img->path);
	free(img);
}

static void image_scan_phdrs(struct elf_image *img, Elf *elf)
{
	size_t phnum, cap = 0;
	bool have_base = false;

	if (elf_getphdrnum(elf, &phnum) != 0)
		return;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_LOAD) {
			struct elf_load_segment *s;

			/* a truncated file: keep reads inside what is there */
			if (ph.p_offset > img->size)
				continue;
			if (ph.p_filesz > img->size - ph.p_offset)
				ph.p_filesz = img->size - ph.p_offset;
			img->loads = xgrow(img->loads, &cap, img->nloads + 1, sizeof(*img->loads));
			s = &img->loads[img->nloads++];
			s->vaddr = ph.p_vaddr;
			s->memsz = ph.p_memsz;
			s->offset = ph.p_offset;
			s->filesz = ph.p_filesz;
			if (ph.p_offset == 0 && (!have_base || ph.p_vaddr < img->text_vaddr)) {
				img->text_vaddr = ph.p_vaddr;
				have_base = true;
			}
		} else if (ph.p_type == PT_GNU_EH_FRAME) {
			img->eh_frame_hdr_vaddr = ph.p_vaddr;
			img->eh_frame_hdr_size = ph.p_memsz;
		}
	}
	if (!have_base && img->nloads)
		img->text_vaddr = img->loads[0].vaddr - img->loads[0].offset;
}

static void image_scan_sections(struct elf_image *img, Elf *elf)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type != SHT_PROGBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".debug_frame") && sh.sh_offset <= img->size &&
		    sh.sh_size <= img->size - sh.sh_offset) {
			img->debug_frame_offset = sh.sh_offset;
			img->debug_frame_size = sh.sh_size;
		}
	}
}

/* Parse an ELF file already in memory; NULL if it is not ELF. */
static struct elf_image *image_parse(const char *path, const uint8_t *data, size_t size,
				     bool is_vdso)
{
	struct elf_image *img;
	Elf *elf;

	/* libelf only reads native, aligned data in place: read-only is fine */
	elf = elf_memory((char *)data, size);
	if (!elf)
		return NULL;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return NULL;
	}
	img = xcalloc(1, sizeof(*img));
	img->path = xstrdup(path);
	img->mapped_path = xstrdup(path);
	img->data = data;
	img->size = size;
	img->is_vdso = is_vdso;
	img->module_id = PROF_NONE;
	img->build_id = elf_build_id_hex(elf);
	image_scan_phdrs(img, elf);
	image_scan_sections(img, elf);
	elf_end(elf);
	if (!img->nloads) {
		img->data = NULL; /* the caller unmaps */
		image_free(img);
		return NULL;
	}
	return img;
}

/* The file mapped whole by src/elf (no descriptor kept: 500 libraries
 * cost 500 mappings, not 500 of the open-file limit). */
static struct elf_image *image_open_file(const char *path)
{
	struct elf_image *img;
	size_t size = 0;
	const void *data = elf_file_map(path, &size);

	if (!data)
		return NULL;
	img = image_parse(path, data, size, false);
	if (!img)
		munmap((void *)data, size);
	return img;
}

/* The size of our own mapping that starts at addr, from /proc/self/maps. */
static size_t self_mapping_size(uint64_t addr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	size_t size = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end;

		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2 && start == addr) {
			size = end - start;
			break;
		}
	}
	fclose(f);
	return size;
}

/* Every process on this kernel gets the same vdso image: use ours. */
static struct elf_image *image_open_vdso(void)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR);
	size_t size;

	if (!base)
		return NULL;
	size = self_mapping_size(base);
	if (!size)
		return NULL;
	return image_parse("[vdso]", (const uint8_t *)(uintptr_t)base, size, true);
}

/* ---- interned names ---- */

static struct pm_file *file_intern(struct procmap *pm, const char *name)
{
	size_t lo = 0, hi = pm->nfiles;
	struct pm_file *f;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(pm->files[mid]->name, name);

		if (c == 0)
			return pm->files[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	f = xcalloc(1, sizeof(*f));
	f->name = xstrdup(name);
	pm->files = xgrow(pm->files, &pm->files_cap, pm->nfiles + 1, sizeof(*pm->files));
	memmove(&pm->files[lo + 1], &pm->files[lo], (pm->nfiles - lo) * sizeof(*pm->files));
	pm->files[lo] = f;
	pm->nfiles++;
	return f;
}

struct elf_image *procmap_image(struct procmap *pm, const char *path)
{
	struct pm_file *f;

	if (strcmp(path, "[vdso]") && path[0] != '/')
		return NULL;
	f = file_intern(pm, path);
	if (!f->tried) {
		f->tried = true;
		f->image = path[0] == '/' ? image_open_file(path) : image_open_vdso();
	}
	return f->image;
}

struct elf_image *procmap_mapped_image(struct procmap *pm, pid_t pid, const char *path)
{
	const struct proc_space *ps = procmap_lookup(pm, pid);

	for (size_t i = 0; ps && i < ps->nmaps; i++) {
		struct elf_image *img = ps->maps[i].image;

		if (img && img->mapped_path && !strcmp(img->mapped_path, path))
			return img;
	}
	return ps && ps->root ? NULL : procmap_image(pm, path);
}

static bool same_build_id(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

struct elf_image *procmap_module_image(struct procmap *pm, const char *path, const char *build_id)
{
	struct elf_image *img;

	for (size_t i = 0; i < pm->nspaces; i++) {
		const struct proc_space *ps = pm->spaces[i];

		for (size_t k = 0; k < ps->nmaps; k++) {
			img = ps->maps[k].image;
			if (img && img->mapped_path && !strcmp(img->mapped_path, path) &&
			    same_build_id(img->build_id, build_id))
				return img;
		}
	}
	img = procmap_image(pm, path);
	return img && same_build_id(img->build_id, build_id) ? img : NULL;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* The image's path as the target names it, where that differs from the
 * path proftop opens. */
static void image_rename(struct elf_image *img, const char *mapped)
{
	free(img->mapped_path);
	img->mapped_path = xstrdup(mapped);
}

/* The image of a file of another root (ps->root), path as the process
 * names it, interned under the root's key and the path: the same path in
 * two containers (or in a container and on the host) is two files. Only
 * a file that stays inside that root is read. */
static struct elf_image *foreign_image(struct procmap *pm, const struct proc_space *ps,
				       const char *path)
{
	char *key, *open_path;
	struct pm_file *f;

	if (path[0] != '/')
		return NULL;
	key = xasprintf("%s%s", ps->root_key, path);
	f = file_intern(pm, key);
	free(key);
	if (f->tried)
		return f->image;
	f->tried = true;
	if (!elf_file_in_root(ps->root, path))
		return NULL;
	open_path = xasprintf("%s%s", ps->root, path);
	f->image = image_open_file(open_path);
	free(open_path);
	if (f->image) {
		f->image->foreign = true;
		image_rename(f->image, path);
	}
	return f->image;
}

/* A mapping's file through /proc/PID/map_files (the very file mapped,
 * deleted or replaced since, in whatever root), interned by the file's
 * identity so that the mappings of one file share one image. */
static struct elf_image *map_files_image(struct procmap *pm, pid_t pid, uint64_t start,
					 uint64_t end, const char *mapped)
{
	char *path = xasprintf("/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, start, end);
	struct pm_file *f = NULL;
	struct stat st;
	char *key;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		key = xasprintf("[file %lx:%lx]", (unsigned long)st.st_dev,
				(unsigned long)st.st_ino);
		f = file_intern(pm, key);
		free(key);
		if (!f->tried) {
			f->tried = true;
			f->image = image_open_file(path);
			if (f->image && mapped[0] == '/')
				image_rename(f->image, mapped);
		}
	}
	free(path);
	return f ? f->image : NULL;
}

/* The image behind a mapping named name in process ps. A file of ours is
 * opened by its path; a deleted one may still exist under its name (an
 * upgrade replaced it), otherwise the kernel still holds it for us in
 * map_files. A container's file is read through /proc/PID/root, a deleted
 * or unreachable one through map_files. The image keeps the name the
 * target gave it (without " (deleted)") as its mapped_path. */
static struct elf_image *mapping_image(struct procmap *pm, const struct proc_space *ps,
				       uint64_t start, uint64_t end, const char *name)
{
	bool deleted = has_suffix(name, DELETED_SUFFIX);
	char *path = deleted ? xstrndup(name, strlen(name) - strlen(DELETED_SUFFIX)) : NULL;
	const char *mapped = path ? path : name;
	struct elf_image *img = NULL;

	if (!ps->root || mapped[0] != '/') { /* ours, or "[vdso]", "[heap]"... */
		img = procmap_image(pm, mapped);
		if (!img && deleted)
			img = map_files_image(pm, ps->pid, start, end, mapped);
	} else {
		if (!deleted)
			img = foreign_image(pm, ps, mapped);
		if (!img)
			img = map_files_image(pm, ps->pid, start, end, mapped);
		if (img)
			img->foreign = true;
	}
	free(path);
	return img;
}

/* ---- address spaces ---- */

static size_t space_index(const struct procmap *pm, pid_t pid, bool *found)
{
	size_t lo = 0, hi = pm->nspaces;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (pm->spaces[mid]->pid == pid) {
			*found = true;
			return mid;
		}
		if (pm->spaces[mid]->pid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void space_free(struct proc_space *ps)
{
	if (ps->unwind_free && ps->unwind_priv)
		ps->unwind_free(ps->unwind_priv);
	free(ps->root);
	free(ps->root_key);
	free(ps->maps);
	free(ps);
}

/* The mount namespace and root of /proc/<proc> ("self" or a pid). */
static bool root_identity(const char *proc, struct pm_root *r)
{
	char path[64];
	struct stat ns, root;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", proc);
	if (stat(path, &ns) != 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%s/root", proc);
	if (stat(path, &root) != 0)
		return false;
	*r = (struct pm_root){.ns_dev = ns.st_dev,
			      .ns_ino = ns.st_ino,
			      .root_dev = root.st_dev,
			      .root_ino = root.st_ino};
	return true;
}

/* Whether ps's files are ours or another root's (a container): set
 * ps->root and ps->root_key. A process that is gone (or cannot be told)
 * keeps what was known, false then. */
static bool space_find_root(struct procmap *pm, struct proc_space *ps)
{
	struct pm_root r;
	char pid[24];

	snprintf(pid, sizeof(pid), "%d", (int)ps->pid);
	if (!pm->self_known || !root_identity(pid, &r))
		return false;
	free(ps->root);
	free(ps->root_key);
	ps->root = ps->root_key = NULL;
	if (r.ns_dev == pm->self.ns_dev && r.ns_ino == pm->self.ns_ino &&
	    r.root_dev == pm->self.root_dev && r.root_ino == pm->self.root_ino)
		return true;
	ps->root = xasprintf("/proc/%d/root", (int)ps->pid);
	ps->root_key = xasprintf("[mnt %lu root %lx:%lx]", (unsigned long)r.ns_ino,
				 (unsigned long)r.root_dev, (unsigned long)r.root_ino);
	return true;
}

struct proc_space *procmap_lookup(struct procmap *pm, pid_t pid)
{
	bool found;
	size_t i = space_index(pm, pid, &found);

	return found ? pm->spaces[i] : NULL;
}

/* An empty space for pid (which must not exist yet). */
static struct proc_space *space_create(struct procmap *pm, pid_t pid)
{
	struct proc_space *ps = xcalloc(1, sizeof(*ps));
	bool found;
	size_t i = space_index(pm, pid, &found);

	ps->pid = pid;
	space_find_root(pm, ps);
	pm->spaces = xgrow(pm->spaces, &pm->spaces_cap, pm->nspaces + 1, sizeof(*pm->spaces));
	memmove(&pm->spaces[i + 1], &pm->spaces[i], (pm->nspaces - i) * sizeof(*pm->spaces));
	pm->spaces[i] = ps;
	pm->nspaces++;
	return ps;
}

static uint32_t prot_parse(const char *perms)
{
	uint32_t prot = 0;

	if (perms[0] == 'r')
		prot |= PROT_READ;
	if (perms[0] && perms[1] == 'w')
		prot |= PROT_WRITE;
	if (perms[0] && perms[1] && perms[2] == 'x')
		prot |= PROT_EXEC;
	return prot;
}

/* One line of /proc/PID/maps: "start-end perms offset dev inode   name". */
static bool maps_line_parse(char *line, uint64_t *start, uint64_t *end, uint64_t *pgoff,
			    uint32_t *prot, char **name)
{
	char perms[8];
	int name_at = 0;
	size_t n;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*u %n", start, end, perms,
		   pgoff, &name_at) < 4 ||
	    !name_at || *end <= *start)
		return false;
	*prot = prot_parse(perms);
	*name = line + name_at;
	n = strlen(*name);
	if (n && (*name)[n - 1] == '\n')
		(*name)[n - 1] = '\0';
	return true;
}

bool procmap_reload(struct procmap *pm, struct proc_space *ps)
{
	char path[64], *line = NULL;
	size_t line_cap = 0, n = 0, cap = 0;
	struct map_entry *maps = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)ps->pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	space_find_root(pm, ps); /* it may have entered a container since */
	while (getline(&line, &line_cap, f) > 0) {
		struct map_entry *m;
		uint64_t start, end, pgoff;
		uint32_t prot;
		char *name;

		if (!maps_line_parse(line, &start, &end, &pgoff, &prot, &name))
			continue;
		/* the kernel lists mappings sorted and disjoint; keep it so */
		if (n && start < maps[n - 1].end)
			continue;
		maps = xgrow(maps, &cap, n + 1, sizeof(*maps));
		m = &maps[n++];
		m->start = start;
		m->end = end;
		m->pgoff = pgoff;
		m->prot = prot;
		m->image = mapping_image(pm, ps, start, end, name);
		m->name = file_intern(pm, name)->name;
	}
	free(line);
	fclose(f);
	free(ps->maps);
	ps->maps = maps;
	ps->nmaps = n;
	ps->maps_cap = cap;
	ps->generation = ++pm->generation;
	return true;
}

struct proc_space *procmap_process(struct procmap *pm, pid_t pid)
{
	struct proc_space *ps = procmap_lookup(pm, pid);

	if (ps)
		return ps;
	ps = space_create(pm, pid);
	procmap_reload(pm, ps);
	return ps;
}

/* Index of the first mapping that ends after addr. */
static size_t space_first_after(const struct proc_space *ps, uint64_t addr)
{
	size_t lo = 0, hi = ps->nmaps;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (ps->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Make room for k entries at index i. */
static void space_open_gap(struct proc_space *ps, size_t i, size_t k)
{
	ps->maps = xgrow(ps->maps, &ps->maps_cap, ps->nmaps + k, sizeof(*ps->maps));
	memmove(&ps->maps[i + k], &ps->maps[i], (ps->nmaps - i) * sizeof(*ps->maps));
	ps->nmaps += k;
}

/* Insert m, cutting away whatever part of other mappings it overlaps. */
static void space_insert(struct proc_space *ps, const struct map_entry *m)
{
	size_t i = space_first_after(ps, m->start), j;
	struct map_entry *o;

	if (i < ps->nmaps && ps->maps[i].start < m->start && ps->maps[i].end > m->end) {
		/* m lands in the middle of one mapping: split it around m */
		space_open_gap(ps, i + 1, 2);
		o = &ps->maps[i];
		o[2] = o[0];
		o[2].pgoff += m->end - o[0].start;
		o[2].start = m->end;
		o[0].end = m->start;
		o[1] = *m;
		return;
	}
	if (i < ps->nmaps && ps->maps[i].start < m->start) {
		ps->maps[i].end = m->start; /* keep the head of the one m starts in */
		i++;
	}
	for (j = i; j < ps->nmaps && ps->maps[j].end <= m->end; j++)
		; /* [i, j) lie wholly inside m */
	if (j < ps->nmaps && ps->maps[j].start < m->end) {
		o = &ps->maps[j]; /* keep the tail of the one m ends in */
		o->pgoff += m->end - o->start;
		o->start = m->end;
	}
	if (j == i)
		space_open_gap(ps, i, 1);
	else if (j > i + 1) {
		memmove(&ps->maps[i + 1], &ps->maps[j], (ps->nmaps - j) * sizeof(*ps->maps));
		ps->nmaps -= j - i - 1;
	}
	ps->maps[i] = *m;
}

void procmap_add_mapping(struct procmap *pm, pid_t pid, uint64_t start, uint64_t len,
			 uint64_t pgoff, uint32_t prot, const char *path)
{
	struct proc_space *ps;
	struct map_entry m;

	if (!len || start + len < start)
		return;
	ps = procmap_process(pm, pid);
	if (!path)
		path = "";
	m.start = start;
	m.end = start + len;
	m.pgoff = pgoff;
	m.prot = prot;
	m.image = mapping_image(pm, ps, m.start, m.end, path);
	m.name = file_intern(pm, path)->name;
	space_insert(ps, &m);
	ps->generation = ++pm->generation;
}

void procmap_fork(struct procmap *pm, pid_t parent, pid_t child)
{
	struct proc_space *from, *to;

	if (parent == child)
		return;
	from = procmap_process(pm, parent);
	to = procmap_lookup(pm, child);
	if (!to)
		to = space_create(pm, child);
	if (from->root && !to->root && !space_find_root(pm, to)) {
		/* the child is gone already: it saw its parent's root */
		to->root = xasprintf("/proc/%d/root", (int)child);
		to->root_key = xstrdup(from->root_key);
	}
	to->maps = xgrow(to->maps, &to->maps_cap, from->nmaps, sizeof(*to->maps));
	if (from->nmaps)
		memcpy(to->maps, from->maps, from->nmaps * sizeof(*to->maps));
	to->nmaps = from->nmaps;
	to->generation = ++pm->generation;
}

void procmap_exec(struct procmap *pm, pid_t pid)
{
	struct proc_space *ps = procmap_lookup(pm, pid);

	/* an empty space, not one read from /proc: MMAP2 records follow */
	if (!ps)
		ps = space_create(pm, pid);
	else
		space_find_root(pm, ps); /* exec'd inside a container it entered */
	ps->nmaps = 0;
	ps->generation = ++pm->generation;
}

void procmap_exit(struct procmap *pm, pid_t pid)
{
	bool found;
	size_t i = space_index(pm, pid, &found);

	if (!found)
		return;
	space_free(pm->spaces[i]);
	memmove(&pm->spaces[i], &pm->spaces[i + 1], (pm->nspaces - i - 1) * sizeof(*pm->spaces));
	pm->nspaces--;
}

const struct map_entry *proc_space_find(const struct proc_space *ps, uint64_t addr)
{
	size_t i = space_first_after(ps, addr);

	if (i < ps->nmaps && ps->maps[i].start <= addr)
		return &ps->maps[i];
	return NULL;
}

/* The PT_LOAD segment this mapping was made from: the loader maps each
 * segment from its page-aligned offset, so the mapping's offset lies in
 * [p_offset & ~page, p_offset + p_filesz). Two segments can share a page;
 * a mapping that starts on that page belongs to the later one. */
static const struct elf_load_segment *entry_segment(const struct map_entry *m)
{
	const struct elf_load_segment *best = NULL;
	const struct elf_image *img = m->image;

	for (size_t i = 0; i < img->nloads; i++) {
		const struct elf_load_segment *s = &img->loads[i];

		if (!s->filesz || m->pgoff < (s->offset & ~(PAGE_SIZE_ - 1)) ||
		    m->pgoff >= s->offset + s->filesz)
			continue;
		if (!best || s->offset > best->offset)
			best = s;
	}
	return best;
}

bool map_entry_vaddr(const struct map_entry *m, uint64_t addr, uint64_t *vaddr)
{
	const struct elf_load_segment *s;

	if (!m->image || addr < m->start || addr >= m->end)
		return false;
	s = entry_segment(m);
	if (!s)
		return false;
	*vaddr = addr - m->start + m->pgoff - s->offset + s->vaddr;
	return true;
}

bool map_entry_bias(const struct map_entry *m, int64_t *bias)
{
	uint64_t vaddr;

	if (!map_entry_vaddr(m, m->start, &vaddr))
		return false;
	*bias = (int64_t)(m->start - vaddr);
	return true;
}

bool elf_image_read(const struct elf_image *img, uint64_t vaddr, void *buf, size_t len)
{
	for (size_t i = 0; i < img->nloads; i++) {
		const struct elf_load_segment *s = &img->loads[i];

		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->filesz &&
		    len <= s->filesz - (vaddr - s->vaddr)) {
			memcpy(buf, img->data + s->offset + (vaddr - s->vaddr), len);
			return true;
		}
	}
	return false;
}

struct procmap *procmap_new(void)
{
	struct procmap *pm = xcalloc(1, sizeof(*pm));

	elf_version(EV_CURRENT);
	pm->self_known = root_identity("self", &pm->self);
	return pm;
}

void procmap_free(struct procmap *pm)
{
	if (!pm)
		return;
	for (size_t i = 0; i < pm->nspaces; i++)
		space_free(pm->spaces[i]);
	for (size_t i = 0; i < pm->nfiles; i++) {
		image_free(pm->files[i]->image);
		free(pm->files[i]->name);
		free(pm->files[i]);
	}
	free(pm->spaces);
	free(pm->files);
	free(pm);
}
