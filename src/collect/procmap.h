/* Address spaces of the target's processes and the ELF files mapped into
 * them. An elf_image is one file on disk, opened and mmapped once and shared
 * by every process (and mapping) that loads it; unwinding reads its unwind
 * tables and code from there, symbols hangs its Dwfl off it. */
#ifndef PROFTOP_PROCMAP_H
#define PROFTOP_PROCMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct elf_load_segment {
	uint64_t vaddr, memsz;	 /* p_vaddr, p_memsz */
	uint64_t offset, filesz; /* p_offset, p_filesz */
};

struct elf_image {
	/* Where proftop opens it: the path as mapped ("/usr/lib/x86_64-linux-
	 * gnu/libc.so.6", "[vdso]"); for a process in another mount namespace
	 * or root (a container) "/proc/PID/root" + that path; for a deleted
	 * file the kernel still holds, "/proc/PID/map_files/START-END". */
	char *path;
	char *mapped_path;   /* the path as the target names it: the profile's module path */
	bool foreign;	     /* read through another process's root (a container) */
	char *build_id;	     /* lower-case hex, or NULL */
	const uint8_t *data; /* the whole file, mmapped read-only (NULL if unreadable) */
	size_t size;
	bool is_vdso;
	struct elf_load_segment *loads;
	size_t nloads;
	/* .eh_frame_hdr, found through PT_GNU_EH_FRAME (vaddr, size; 0 if none) */
	uint64_t eh_frame_hdr_vaddr, eh_frame_hdr_size;
	/* .debug_frame section in the file (offset, size; 0 if none) */
	uint64_t debug_frame_offset, debug_frame_size;
	uint64_t text_vaddr; /* lowest PT_LOAD vaddr with p_offset 0 (the image base) */

	uint32_t module_id; /* profile module id, PROF_NONE until symbols sets it */
	void *symbols_priv; /* owned by symbols.c; freed through the hook below */
	void (*symbols_free)(void *);
	void *unwind_priv; /* owned by unwind.c, if it wants a per-image cache */
	void (*unwind_free)(void *);
};

struct map_entry {
	uint64_t start, end;	 /* [start, end) in the process */
	uint64_t pgoff;		 /* file offset of start */
	uint32_t prot;		 /* PROT_* */
	struct elf_image *image; /* NULL for anonymous memory, stacks, heap, unreadable files */
	const char *name;	 /* path or "[heap]" etc.; owned by the procmap */
};

struct proc_space {
	pid_t pid;
	/* "/proc/PID/root" when the process's root or mount namespace is not
	 * ours (a container): its files are read through it. NULL: ours. */
	char *root;
	char *root_key;		/* that root's identity ("[mnt 4026532 root 2049:2]"), or NULL */
	struct map_entry *maps; /* sorted by start, non-overlapping */
	size_t nmaps, maps_cap;
	unsigned generation; /* bumped on every change to maps */
	void *unwind_priv;   /* owned by unwind.c (its unw_addr_space_t) */
	void (*unwind_free)(void *);
};

struct procmap;

struct procmap *procmap_new(void);
void procmap_free(struct procmap *pm);

/* The address space of pid, created on first use by reading
 * /proc/PID/maps (an empty space if that is not readable). */
struct proc_space *procmap_process(struct procmap *pm, pid_t pid);
/* The space if it exists, without creating it. */
struct proc_space *procmap_lookup(struct procmap *pm, pid_t pid);
/* Re-read /proc/PID/maps into the space (after a lookup miss, say). Returns
 * false if the file could not be read. */
bool procmap_reload(struct procmap *pm, struct proc_space *ps);
/* A new mapping (PERF_RECORD_MMAP2 / MMAP): replaces what it overlaps. */
void procmap_add_mapping(struct procmap *pm, pid_t pid, uint64_t start, uint64_t len,
			 uint64_t pgoff, uint32_t prot, const char *path);
/* fork(): the child starts with a copy of the parent's mappings. */
void procmap_fork(struct procmap *pm, pid_t parent, pid_t child);
/* exec(): the old mappings are gone. */
void procmap_exec(struct procmap *pm, pid_t pid);
void procmap_exit(struct procmap *pm, pid_t pid);

/* The mapping containing addr, or NULL. */
const struct map_entry *proc_space_find(const struct proc_space *ps, uint64_t addr);
/* Translate an address inside a file-backed mapping to the image's ELF
 * virtual address; false if the mapping has no image or the offset lies
 * in no PT_LOAD segment. */
bool map_entry_vaddr(const struct map_entry *m, uint64_t addr, uint64_t *vaddr);
/* The process address where the image's vaddr is loaded by this mapping's
 * object (the load bias: addr = vaddr + bias). */
bool map_entry_bias(const struct map_entry *m, int64_t *bias);

/* Open (or find) the image for path (in our root); NULL if it cannot be
 * read as ELF. */
struct elf_image *procmap_image(struct procmap *pm, const char *path);
/* The image pid maps under path (as the target names it): in a container,
 * its own file, never ours of the same path (NULL if it maps none);
 * elsewhere procmap_image(path) when no mapping of pid has it yet. */
struct elf_image *procmap_mapped_image(struct procmap *pm, pid_t pid, const char *path);
/* The image of a profile module (path as the target names it, build id or
 * NULL): one some process maps, a container's included; else ours at that
 * path if its build id matches. NULL if none. */
struct elf_image *procmap_module_image(struct procmap *pm, const char *path,
				       const char *build_id);
/* Copy len bytes at ELF vaddr from the image's file; false if any byte is
 * outside the file-backed part of a PT_LOAD segment. */
bool elf_image_read(const struct elf_image *img, uint64_t vaddr, void *buf, size_t len);

#endif
