#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "elf-debug.h"
#include "elf-fds.h"
#include "elf-file.h"
#include "xalloc.h"

const void *elf_file_map(const char *path, size_t *size)
{
	struct stat st;
	void *data;
	int fd;

	/* stat first: opening a device node can have side effects */
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr))
		return NULL;
	fd = elf_fds_open(path);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
		close(fd);
		return NULL;
	}
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED)
		return NULL;
	*size = (size_t)st.st_size;
	return data;
}

bool elf_file_in_root(const char *root, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	struct stat inside, plain;
	char *full;
	int dir, fd;
	bool same;

	if (!root || !path || path[0] != '/')
		return false;
	dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return false;
	fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
	close(dir);
	if (fd < 0)
		return false;
	same = fstat(fd, &inside) == 0 && S_ISREG(inside.st_mode);
	close(fd);
	full = xasprintf("%s%s", root, path);
	same = same && stat(full, &plain) == 0 && plain.st_dev == inside.st_dev &&
	       plain.st_ino == inside.st_ino;
	free(full);
	return same;
}

/* An Elf over the whole file, mapped by libelf; the descriptor is closed
 * once libelf has been told it will not be read again (the mapping stays). */
static Elf *elf_open_mapped(const char *path, int *err)
{
	int fd = elf_fds_open(path);
	Elf *elf;

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_cntl(elf, ELF_C_FDDONE) != 0) {
		elf_end(elf);
		elf = NULL;
	}
	close(fd);
	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		elf = NULL;
	}
	return elf;
}

void elf_file_close(struct elf_file *f)
{
	if (!f)
		return;
	if (f->dw)
		dwarf_end(f->dw);
	if (f->debug_elf)
		elf_end(f->debug_elf);
	if (f->elf)
		elf_end(f->elf);
	free(f->debug_path);
	free(f->build_id);
	free(f->path);
	free(f);
}

/* DWARF from the file itself, else from its separate debug file. */
static void file_open_dwarf(struct elf_file *f)
{
	int err;

	f->dw = dwarf_begin_elf(f->elf, DWARF_C_READ, NULL);
	if (f->dw)
		return;
	f->debug_path = elf_debug_find_for(f->path, f->elf);
	if (!f->debug_path)
		return;
	f->debug_elf = elf_open_mapped(f->debug_path, &err);
	if (f->debug_elf)
		f->dw = dwarf_begin_elf(f->debug_elf, DWARF_C_READ, NULL);
}

struct elf_file *elf_file_open(const char *path, const char *want_build_id, char **error)
{
	struct elf_file *f;
	int err;

	elf_version(EV_CURRENT);
	*error = NULL;
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->elf = elf_open_mapped(path, &err);
	if (!f->elf) {
		*error = err ? xasprintf("cannot open %s: %s", path, strerror(err))
			     : xasprintf("%s is not an x86-64 ELF file", path);
		goto fail;
	}
	f->build_id = elf_build_id_hex(f->elf);
	if (want_build_id && f->build_id && strcmp(want_build_id, f->build_id) != 0) {
		*error = xasprintf("%s has build id %s, not the profiled %s (the file changed)",
				   path, f->build_id, want_build_id);
		goto fail;
	}
	file_open_dwarf(f);
	return f;
fail:
	elf_file_close(f);
	return NULL;
}
