#include "config.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "elf-debug.h"
#include "elf-fds.h"
#include "elf-file.h"
#include "xalloc.h"

/* One way of finding a debug file. Tried in table order; the first that
 * names a readable file wins. */
struct debug_query {
	const char *path;     /* the ELF file as opened */
	const char *build_id; /* hex, or NULL */
	const char *debuglink;
	uint32_t crc;
	/* A file opened through another process's root (a container):
	 * "/proc/PID/root", and the file's path inside it (NULL for a
	 * map_files path, which names no directory). NULL: ours. */
	char *root;
	const char *inner;
};

typedef char *(*debug_finder)(const struct debug_query *q);

char *elf_build_id_hex(Elf *elf)
{
	const void *id;
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
	const unsigned char *p = id;
	char *s;

	if (n <= 0)
		return NULL;
	s = xmalloc(2 * (size_t)n + 1);
	for (ssize_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	return s;
}

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool elf_debug_file_crc(const char *path, uint32_t *crc)
{
	int fd = elf_fds_open(path);
	unsigned char buf[65536];
	uLong c = crc32(0L, Z_NULL, 0);
	ssize_t n;

	if (fd < 0)
		return false;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		c = crc32(c, buf, (uInt)n);
	close(fd);
	if (n < 0)
		return false;
	*crc = (uint32_t)c;
	return true;
}

/* ELF_DEBUG_ROOT/.build-id/ab/cdef....debug, under root (inside it) if
 * given, else ours. */
static char *build_id_file(const char *root, const char *build_id)
{
	char *inner = xasprintf(ELF_DEBUG_ROOT "/.build-id/%.2s/%s.debug", build_id, build_id + 2);
	char *path;

	if (!root) {
		if (is_regular(inner))
			return inner;
		free(inner);
		return NULL;
	}
	path = elf_file_in_root(root, inner) ? xasprintf("%s%s", root, inner) : NULL;
	free(inner);
	return path;
}

/* A container's file: its own debug directory first, then the host's
 * (a debug package installed on the host serves the same build id). */
static char *by_build_id(const struct debug_query *q)
{
	char *path = NULL;

	if (!q->build_id || strlen(q->build_id) < 3)
		return NULL;
	if (q->root)
		path = build_id_file(q->root, q->build_id);
	return path ? path : build_id_file(NULL, q->build_id);
}

/* A debuglink candidate: a file other than the ELF itself, with the CRC
 * the link asks for (a stale debug file describes other code). */
static bool debuglink_matches(const char *candidate, const struct debug_query *q)
{
	struct stat a, b;
	uint32_t crc;

	if (stat(candidate, &a) != 0 || !S_ISREG(a.st_mode))
		return false;
	if (stat(q->path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return false;
	return elf_debug_file_crc(candidate, &crc) && crc == q->crc;
}

/* gdb's debuglink directories, for the directory dir (no trailing '/'). */
static char *debuglink_in(const char *dir, const struct debug_query *q)
{
	const char *fmt[] = {"%s/%s", "%s/.debug/%s", ELF_DEBUG_ROOT "%s/%s"};

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		char *cand = xasprintf(fmt[i], dir, q->debuglink);

		if (debuglink_matches(cand, q))
			return cand;
		free(cand);
	}
	return NULL;
}

/* The same for a container's file at dir inside q->root: its directory,
 * .debug/ and debug directory inside the root (symlinks kept inside),
 * then the host's ELF_DEBUG_ROOT/<dir>. */
static char *debuglink_in_root(const char *dir, const struct debug_query *q)
{
	const char *fmt[] = {"%s/%s", "%s/.debug/%s", ELF_DEBUG_ROOT "%s/%s"};
	char *cand;

	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		char *inner = xasprintf(fmt[i], dir, q->debuglink);

		cand = elf_file_in_root(q->root, inner) ? xasprintf("%s%s", q->root, inner) : NULL;
		free(inner);
		if (cand && debuglink_matches(cand, q))
			return cand;
		free(cand);
	}
	cand = xasprintf(ELF_DEBUG_ROOT "%s/%s", dir, q->debuglink);
	if (debuglink_matches(cand, q))
		return cand;
	free(cand);
	return NULL;
}

static char *by_debuglink(const struct debug_query *q)
{
	char *dir, *slash, *found = NULL, real[PATH_MAX];
	const char *path = q->root ? q->inner : q->path;

	if (!q->debuglink || !q->debuglink[0] || !path || path[0] != '/' ||
	    strchr(q->debuglink, '/'))
		return NULL;
	/* The directory as named, then the one the name resolves to (not
	 * inside a container: its mapped path is already resolved there). */
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (q->root) {
		found = debuglink_in_root(dir, q);
	} else {
		found = debuglink_in(dir, q);
		if (!found && realpath(q->path, real)) {
			slash = strrchr(real, '/');
			*slash = '\0';
			if (strcmp(real, dir) != 0)
				found = debuglink_in(real, q);
		}
	}
	free(dir);
	return found;
}

/* Step 3: the files debuginfod delivered during this run (debuginfod.h
 * fetches them in the background; the collector registers each here). */
struct fetched_file {
	char *build_id, *path; /* build_id: NULL for a dwz file, known by its link */
	char *link;
};
static struct fetched_file *fetched;
static size_t nfetched, fetched_cap;

void elf_debug_add_fetched(const char *build_id, const char *path)
{
	if (!build_id || !path || elf_debug_fetched(build_id))
		return;
	fetched = xgrow(fetched, &fetched_cap, nfetched + 1, sizeof(*fetched));
	fetched[nfetched] = (struct fetched_file){
		.build_id = xstrdup(build_id),
		.path = xstrdup(path),
	};
	nfetched++;
}

const char *elf_debug_fetched(const char *build_id)
{
	for (size_t i = 0; build_id && i < nfetched; i++)
		if (fetched[i].build_id && !strcmp(fetched[i].build_id, build_id))
			return fetched[i].path;
	return NULL;
}

void elf_debug_add_fetched_alt(const char *link, const char *path)
{
	if (!link || !path || elf_debug_fetched_alt(link))
		return;
	fetched = xgrow(fetched, &fetched_cap, nfetched + 1, sizeof(*fetched));
	fetched[nfetched] = (struct fetched_file){
		.path = xstrdup(path),
		.link = xstrdup(link),
	};
	nfetched++;
}

const char *elf_debug_fetched_alt(const char *link)
{
	for (size_t i = 0; link && i < nfetched; i++)
		if (fetched[i].link && !strcmp(fetched[i].link, link))
			return fetched[i].path;
	return NULL;
}

static char *by_fetched(const struct debug_query *q)
{
	const char *path = elf_debug_fetched(q->build_id);

	return path && is_regular(path) ? xstrdup(path) : NULL;
}

/* The finders in order: debuginfod's files last, asked by build id only
 * when no local file is found. */
static const debug_finder debug_finders[] = {
	by_build_id,
	by_debuglink,
	by_fetched,
};

/* "/proc/PID/root/PATH": q->root and q->inner; "/proc/PID/map_files/...":
 * q->root only (its build id may be known inside that root). */
static void query_split_root(struct debug_query *q)
{
	const char *p = q->path, *end;
	int n = 0;

	if (!p || strncmp(p, "/proc/", 6) != 0)
		return;
	if (sscanf(p + 6, "%*[0-9]%n", &n) != 0 || n == 0)
		return;
	end = p + 6 + n;
	if (strncmp(end, "/root/", 6) == 0) {
		q->root = xstrndup(p, (size_t)(end + 5 - p));
		q->inner = end + 5;
	} else if (strncmp(end, "/map_files/", 11) == 0) {
		q->root = xasprintf("%.*s/root", (int)(end - p), p);
	}
}

char *elf_debug_find(const char *path, const char *build_id, const char *debuglink, uint32_t crc)
{
	struct debug_query q = {path, build_id, debuglink, crc, NULL, NULL};
	char *found = NULL;

	query_split_root(&q);
	for (size_t i = 0; !found && i < sizeof(debug_finders) / sizeof(debug_finders[0]); i++)
		found = debug_finders[i](&q);
	free(q.root);
	return found;
}

char *elf_debug_find_for(const char *path, Elf *elf)
{
	GElf_Word crc = 0;
	const char *link = dwelf_elf_gnu_debuglink(elf, &crc);
	char *id = elf_build_id_hex(elf), *found;

	found = elf_debug_find(path, id, link, crc);
	free(id);
	return found;
}

static char debuginfo_path_str[] = ":.debug:" ELF_DEBUG_ROOT;
char *elf_debug_dwfl_path = debuginfo_path_str;

/* A dwz .gnu_debugaltlink file (libdwfl asks with no CRC). With
 * DEBUGINFOD_URLS set (the fetcher runs) libdwfl's standard search would
 * ask the servers from this thread: the link's own path is tried then, as
 * given or beside the debug file, and the file debuginfod fetched for it. */
static int alt_find(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		    const char *file_name, const char *altlink, char **debuginfo_file_name)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	char *dir, *slash, *cand;
	int fd = -1;

	if (!urls || !urls[strspn(urls, " \t")])
		return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
						    altlink, 0, debuginfo_file_name);
	if (altlink[0] == '/') {
		cand = xstrdup(altlink);
	} else {
		dir = xstrdup(file_name ? file_name : "");
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		cand = xasprintf("%s/%s", slash ? dir : ".", altlink);
		free(dir);
	}
	if (!is_regular(cand) && elf_debug_fetched_alt(altlink)) {
		free(cand);
		cand = xstrdup(elf_debug_fetched_alt(altlink));
	}
	if (is_regular(cand))
		fd = elf_fds_open(cand);
	if (fd < 0) {
		free(cand);
		return -1;
	}
	*debuginfo_file_name = cand; /* libdwfl frees it */
	return fd;
}

int elf_debug_dwfl_find(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
			const char *file_name, const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	const unsigned char *bits;
	GElf_Addr vaddr;
	int n = dwfl_module_build_id(mod, &bits, &vaddr);
	char *id = NULL, *found;
	int fd = -1;

	/* libdwfl asks again for a dwz .gnu_debugaltlink file, with no CRC and
	 * the alt file's own build id, which only its standard search knows. */
	if (debuglink_file && debuglink_crc == 0)
		return alt_find(mod, userdata, modname, base, file_name, debuglink_file,
				debuginfo_file_name);
	if (n > 0) {
		id = xmalloc(2 * (size_t)n + 1);
		for (int i = 0; i < n; i++)
			snprintf(id + 2 * i, 3, "%02x", bits[i]);
	}
	found = elf_debug_find(file_name ? file_name : modname, id, debuglink_file, debuglink_crc);
	free(id);
	if (found)
		fd = elf_fds_open(found);
	if (fd < 0) {
		free(found);
		return -1;
	}
	*debuginfo_file_name = found; /* libdwfl frees it */
	return fd;
}

/* Which symbol tables elf has: .symtab, .dynsym, .gnu_debugdata (the
 * MiniDebugInfo some distributions leave in stripped files). */
static void elf_symbol_tables(Elf *elf, bool *symtab, bool *dynsym, bool *minidebug)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	*symtab = *dynsym = *minidebug = false;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		*symtab |= sh.sh_type == SHT_SYMTAB;
		*dynsym |= sh.sh_type == SHT_DYNSYM;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		*minidebug |= name && !strcmp(name, ".gnu_debugdata");
	}
}

/* Why no debug file was found, and what to do about it. */
static char *no_debug_file(Elf *elf, const char *what)
{
	char *id = elf_build_id_hex(elf), *s;
	GElf_Word crc = 0;
	const char *link = dwelf_elf_gnu_debuglink(elf, &crc);

	if (id)
		s = xasprintf("%s: stripped, no debug file for build id %s (install its -dbg "
			      "package or set DEBUGINFOD_URLS)",
			      what, id);
	else if (link)
		s = xasprintf("%s: stripped, no debug file %s (with its CRC) beside it, in its "
			      ".debug/ or under " ELF_DEBUG_ROOT,
			      what, link);
	else
		s = xasprintf("%s: stripped, with no build id or .gnu_debuglink to find its "
			      "debug file by (rebuild with -g or --build-id)",
			      what);
	free(id);
	return s;
}

char *elf_debug_describe(const char *path, Elf *elf, const char *debug_path)
{
	struct debug_query q = {.path = path};
	bool symtab, dynsym, minidebug;
	char *phrase, *full;

	query_split_root(&q);
	elf_symbol_tables(elf, &symtab, &dynsym, &minidebug);
	if (!elf)
		phrase = xasprintf("no symbols: %s cannot be read as ELF", path);
	else if (debug_path && strstr(debug_path, "/debuginfod_client/"))
		phrase = xasprintf("debuginfod (%s)", debug_path);
	else if (debug_path)
		phrase = xasprintf("debug file %s", debug_path);
	else if (symtab)
		phrase = xstrdup("symbols in the file");
	else if (minidebug)
		phrase = xstrdup("symbols in the file's .gnu_debugdata (MiniDebugInfo)");
	else
		phrase = no_debug_file(elf, dynsym ? "exported symbols only" : "no symbols");
	if (!q.root) {
		free(q.root);
		return phrase;
	}
	full = xasprintf("%s; read through %s (%s)", phrase, path,
			 q.inner ? "container" : "the file was deleted");
	free(phrase);
	free(q.root);
	return full;
}
