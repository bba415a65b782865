#include "config.h"

#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "calls-int.h"
#include "elf-debug.h"
#include "elf-fds.h"
#include "elf-file.h"
#include "symbols.h"
#include "xalloc.h"

#define LIST_TIMEOUT_MS 5000

/* A function symbol of one file. */
struct fsym {
	char *name;	 /* version suffix included; owned */
	char *demangled; /* or NULL */
	uint64_t vaddr;
	bool ifunc;
	bool exported; /* global or weak */
};

struct img_syms {
	struct elf_image *img;
	struct fsym *syms;
	size_t n;
	bool stripped;
};

struct resolver {
	/* One allocation per image: candidates keep pointers to them while
	 * more images are indexed, so they must never move. */
	struct img_syms **imgs;
	size_t n, cap;
};

/* Separate debug files by src/elf's rule, as symbols.c finds them. The
 * Dwfl lives only while one file's symbols are copied: the resolver holds
 * no descriptors between lookups. */
static const Dwfl_Callbacks resolver_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = elf_debug_dwfl_find,
	.debuginfo_path = &elf_debug_dwfl_path,
};

struct resolver *resolver_new(void)
{
	return xcalloc(1, sizeof(struct resolver));
}

void resolver_free(struct resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->imgs[i]->n; k++) {
			free(r->imgs[i]->syms[k].name);
			free(r->imgs[i]->syms[k].demangled);
		}
		free(r->imgs[i]->syms);
		free(r->imgs[i]);
	}
	free(r->imgs);
	free(r);
}

static bool main_has_symtab(Dwfl_Module *mod)
{
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	Elf_Scn *scn = NULL;

	while (elf && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			return true;
	}
	return false;
}

/* The function symbols of one file (its own tables, or its separate debug
 * file's), loaded on first use. */
static struct img_syms *syms_of(struct resolver *r, struct elf_image *img)
{
	struct img_syms *is;
	Dwfl_Module *mod = NULL;
	const char *debugfile = NULL;
	size_t cap = 0;
	Dwfl *dwfl;
	int n;

	for (size_t i = 0; i < r->n; i++)
		if (r->imgs[i]->img == img)
			return r->imgs[i];
	r->imgs = xgrow(r->imgs, &r->cap, r->n + 1, sizeof(*r->imgs));
	is = xcalloc(1, sizeof(*is));
	r->imgs[r->n++] = is;
	is->img = img;
	is->stripped = true;
	if (img->is_vdso || !img->path || img->path[0] != '/')
		return is;
	dwfl = dwfl_begin(&resolver_callbacks);
	if (!dwfl)
		return is;
	dwfl_report_begin(dwfl);
	/* bias 0, as symbols.c: symbol values are the file's own addresses */
	mod = dwfl_report_elf(dwfl, img->path, img->path, -1, 0, true);
	/* Out of descriptors: close the least recently used ELF files. */
	while (!mod && (errno == EMFILE || errno == ENFILE) && elf_fds_evict_one(NULL))
		mod = dwfl_report_elf(dwfl, img->path, img->path, -1, 0, true);
	dwfl_report_end(dwfl, NULL, NULL);
	if (!mod) {
		dwfl_end(dwfl);
		return is;
	}
	n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr value;
		GElf_Word shndx;
		const char *name =
			dwfl_module_getsym_info(mod, i, &sym, &value, &shndx, NULL, NULL);
		int type = GELF_ST_TYPE(sym.st_info), bind = GELF_ST_BIND(sym.st_info);

		if (!name || !name[0] || shndx == SHN_UNDEF || !value ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		is->syms = xgrow(is->syms, &cap, is->n + 1, sizeof(*is->syms));
		is->syms[is->n++] = (struct fsym){
			.name = xstrdup(name),
			.demangled = symbols_demangle(name),
			.vaddr = value,
			.ifunc = type == STT_GNU_IFUNC,
			.exported = bind == STB_GLOBAL || bind == STB_WEAK,
		};
	}
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &debugfile);
	is->stripped = !main_has_symtab(mod) && !debugfile;
	dwfl_end(dwfl);
	return is;
}

bool resolver_stripped(struct resolver *r, struct elf_image *img)
{
	return syms_of(r, img)->stripped;
}

static bool vaddr_offset(const struct elf_image *img, uint64_t vaddr, uint64_t *off)
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

/* "name" against a symbol name, its version suffix ignored. */
static bool name_equal(const char *sym, const char *name, size_t len)
{
	return !strncmp(sym, name, len) && (sym[len] == '\0' || sym[len] == '@');
}

/* GCC's clones of name: "name.constprop.0", "name.isra.0", "name.part.0"
 * (not "name.cold": that is no entry point). */
static bool name_clone(const char *sym, const char *name, size_t len)
{
	return !strncmp(sym, name, len) && sym[len] == '.' && !strstr(sym + len, ".cold");
}

/* How well symbol s matches: 3 exact (mangled or demangled), 2 the
 * demangled name with its parameters ("f" for "f(int)"), 1 a clone, 0 not. */
static int match_level(const struct fsym *s, const char *name, size_t len)
{
	if (name_equal(s->name, name, len) || (s->demangled && !strcmp(s->demangled, name)))
		return 3;
	if (s->demangled && !strncmp(s->demangled, name, len) && s->demangled[len] == '(')
		return 2;
	if (name_clone(s->name, name, len))
		return 1;
	return 0;
}

char *resolver_split(const char *spec, const char **module, const char **func)
{
	char *copy = xstrdup(spec);

	*module = NULL;
	*func = copy;
	for (char *c = copy; *c; c++) {
		if (*c != ':')
			continue;
		if (c[1] == ':') {
			c++; /* C++ scope */
			continue;
		}
		if (c > copy && c[1]) {
			*c = '\0';
			*module = copy;
			*func = c + 1;
		}
		break;
	}
	return copy;
}

bool resolver_module_matches(const char *module, const struct elf_image *img)
{
	const char *base;
	size_t len = strlen(module);

	/* A container's file is named by its path inside the container. */
	const char *path = img->mapped_path ? img->mapped_path : img->path;

	if (!path)
		return false;
	if (!strcmp(module, path) || (img->path && !strcmp(module, img->path)))
		return true;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	return !strncmp(base, module, len) &&
	       (base[len] == '\0' || base[len] == '.' || base[len] == '-');
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

struct candidate {
	struct img_syms *is;
	const struct fsym *sym;
};

/* Between files, an exported definition wins over local ones of the same
 * name (libc's strlen over the dynamic loader's private copy). */
static size_t prefer_exported(struct candidate *c, size_t n)
{
	size_t exported = 0, k = 0;

	for (size_t i = 0; i < n; i++)
		exported += c[i].sym->exported;
	if (!exported || exported == n)
		return n;
	for (size_t i = 0; i < n; i++)
		if (c[i].sym->exported)
			c[k++] = c[i];
	return k;
}

/* Collect the best-matching symbols (one per address per file). */
static size_t collect(struct resolver *r, struct elf_image *const *imgs, size_t nimgs,
		      const char *module, const char *name, struct candidate **out,
		      bool *any_module)
{
	size_t len = strlen(name), n = 0, cap = 0;
	int best = 0;

	*out = NULL;
	*any_module = false;
	for (size_t i = 0; i < nimgs; i++) {
		struct img_syms *is;

		if (!imgs[i] || (module && !resolver_module_matches(module, imgs[i])))
			continue;
		*any_module = true;
		is = syms_of(r, imgs[i]);
		for (size_t k = 0; k < is->n; k++) {
			int lvl = match_level(&is->syms[k], name, len);
			bool dup = false;

			if (!lvl || lvl < best)
				continue;
			if (lvl > best) {
				best = lvl;
				n = 0;
			}
			for (size_t j = 0; j < n && !dup; j++) {
				struct candidate *o = &(*out)[j];

				dup = o->is == is && o->sym->vaddr == is->syms[k].vaddr;
				if (dup &&
				    is->syms[k].exported) /* aliases: keep the exported name */
					o->sym = &is->syms[k];
			}
			if (dup)
				continue;
			*out = xgrow(*out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = (struct candidate){is, &is->syms[k]};
		}
	}
	return prefer_exported(*out, n);
}

static void ambiguous_msg(const char *name, const struct candidate *c, size_t n, char *msg,
			  size_t msglen)
{
	size_t o;

	o = (size_t)snprintf(msg, msglen, "'%s' matches %zu functions: ", name, n);
	for (size_t i = 0; i < n && i < RESOLVE_SHOWN && o < msglen; i++)
		o += (size_t)snprintf(msg + o, msglen - o, "%s%s:%s", i ? ", " : "",
				      base_name(c[i].is->img->path),
				      c[i].sym->demangled ? c[i].sym->demangled : c[i].sym->name);
	if (n > RESOLVE_SHOWN && o < msglen)
		o += (size_t)snprintf(msg + o, msglen - o, " and %zu more", n - RESOLVE_SHOWN);
	if (o < msglen)
		snprintf(msg + o, msglen - o, "; name one as module:FUNC");
}

enum resolve_status resolver_find(struct resolver *r, struct elf_image *const *imgs, size_t nimgs,
				  const char *spec, struct func_entry *out, char *msg,
				  size_t msglen)
{
	const char *module, *name;
	char *copy = resolver_split(spec, &module, &name);
	struct candidate *c = NULL;
	enum resolve_status st = RESOLVE_OK;
	bool any_module;
	size_t n = collect(r, imgs, nimgs, module, name, &c, &any_module);
	bool same_file = n > 1;

	for (size_t i = 1; i < n; i++)
		same_file = same_file && c[i].is == c[0].is;
	if (module && !any_module) {
		snprintf(msg, msglen, "no file named '%s' is mapped by the target", module);
		st = RESOLVE_NO_MODULE;
	} else if (n == 0) {
		st = RESOLVE_NONE;
		snprintf(msg, msglen, "no function '%s'", name);
	} else if (n > 1) {
		ambiguous_msg(name, c, n, msg, msglen);
		if (same_file) /* static functions of one name: module:FUNC cannot tell them apart
				*/
			snprintf(msg + strlen(msg),
				 msglen - strlen(msg) > 0 ? msglen - strlen(msg) : 0,
				 " (they are all in %s: not countable by name)",
				 base_name(c[0].is->img->path));
		st = RESOLVE_AMBIGUOUS;
	} else if (c[0].sym->ifunc) {
		snprintf(msg, msglen,
			 "'%s' in %s is an indirect function (its implementation is chosen at "
			 "load time): name the implementation instead",
			 name, base_name(c[0].is->img->path));
		st = RESOLVE_IFUNC;
	} else if (!vaddr_offset(c[0].is->img, c[0].sym->vaddr, &out->offset)) {
		snprintf(msg, msglen, "'%s' in %s lies in no loadable segment", name,
			 base_name(c[0].is->img->path));
		st = RESOLVE_NONE;
	} else {
		out->img = c[0].is->img;
		out->vaddr = c[0].sym->vaddr;
	}
	free(c);
	free(copy);
	return st;
}

size_t resolver_find_symbol(struct resolver *r, struct elf_image *img, const char *system_name,
			    struct func_entry *out, size_t max)
{
	struct img_syms *is = syms_of(r, img);
	size_t len = strlen(system_name), n = 0;

	for (size_t k = 0; k < is->n && n < max; k++) {
		const struct fsym *s = &is->syms[k];
		bool dup = false;

		if (s->ifunc || !name_equal(s->name, system_name, len))
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = out[j].vaddr == s->vaddr;
		if (dup || !vaddr_offset(img, s->vaddr, &out[n].offset))
			continue;
		out[n].img = img;
		out[n].vaddr = s->vaddr;
		n++;
	}
	return n;
}

/* ---- the files of a command about to be launched ---- */

static bool is_exec_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* argv0 as execvp finds it, or NULL. */
static char *search_path(const char *argv0)
{
	const char *path = getenv("PATH");

	if (strchr(argv0, '/'))
		return is_exec_file(argv0) ? xstrdup(argv0) : NULL;
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		char *full = end == p ? xasprintf("./%s", argv0)
				      : xasprintf("%.*s/%s", (int)(end - p), p, argv0);

		if (is_exec_file(full))
			return full;
		free(full);
		if (!*end)
			return NULL;
		p = end;
	}
}

/* The interpreter of a "#!" script, or NULL. */
static char *script_interpreter(const char *path)
{
	char line[PATH_MAX + 3];
	FILE *f = fopen(path, "r");
	char *interp = NULL;

	if (!f)
		return NULL;
	if (fgets(line, sizeof(line), f) && line[0] == '#' && line[1] == '!') {
		char *s = line + 2;

		s += strspn(s, " \t");
		s[strcspn(s, " \t\r\n")] = '\0';
		if (*s)
			interp = xstrdup(s);
	}
	fclose(f);
	return interp;
}

/* PT_INTERP of an ELF file, or NULL (static, not ELF). */
static char *elf_interpreter(const char *path)
{
	size_t size = 0, phnum;
	const void *data = elf_file_map(path, &size);
	char *interp = NULL;
	Elf *elf;

	if (!data)
		return NULL;
	elf_version(EV_CURRENT);
	elf = elf_memory((char *)data, size);
	if (elf && elf_kind(elf) == ELF_K_ELF && elf_getphdrnum(elf, &phnum) == 0) {
		for (size_t i = 0; i < phnum && !interp; i++) {
			GElf_Phdr ph;
			size_t len;
			char *raw;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_INTERP)
				continue;
			raw = elf_rawfile(elf, &len);
			if (raw && ph.p_offset < len && ph.p_filesz <= len - ph.p_offset &&
			    ph.p_filesz > 1)
				interp = xstrndup(raw + ph.p_offset, ph.p_filesz);
		}
	}
	if (elf)
		elf_end(elf);
	munmap((void *)data, size);
	return interp;
}

static void add_real(char ***paths, size_t *n, size_t *cap, const char *path)
{
	char *real = realpath(path, NULL);

	if (!real)
		return;
	for (size_t i = 0; i < *n; i++) {
		if (!strcmp((*paths)[i], real)) {
			free(real);
			return;
		}
	}
	*paths = xgrow(*paths, cap, *n + 1, sizeof(char *));
	(*paths)[(*n)++] = real;
}

/* Run "INTERP --list EXE" (what ldd does: glibc's loader maps the libraries
 * and runs none of their code) and add every library path it prints. */
static void list_libraries(const char *interp, const char *exe, char ***paths, size_t *n,
			   size_t *cap)
{
	char buf[65536];
	size_t len = 0;
	int pfd[2], st;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return;
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(pfd[1], 1);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 2);
		}
		execl(interp, interp, "--list", exe, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		ssize_t k;

		if (poll(&p, 1, LIST_TIMEOUT_MS) <= 0)
			break;
		k = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len == sizeof(buf) - 1)
			break;
	}
	close(pfd[0]);
	kill(pid, SIGKILL); /* done or stuck: either way it has nothing more to say */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	/* "\tlibx.so => /path/libx.so (0x...)" and "\t/lib64/ld-linux-x86-64.so.2 (0x...)" */
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char *arrow = strstr(line, "=> "), *p = arrow ? arrow + 3 : line;

		p += strspn(p, " \t");
		if (*p != '/')
			continue;
		p[strcspn(p, " \t(")] = '\0';
		add_real(paths, n, cap, p);
	}
}

size_t resolver_launch_files(const char *argv0, char ***paths)
{
	char *exe = search_path(argv0), *script, *interp;
	size_t n = 0, cap = 0;

	*paths = NULL;
	if (!exe)
		return 0;
	script = script_interpreter(exe);
	if (script) {
		free(exe);
		exe = script;
	}
	add_real(paths, &n, &cap, exe);
	interp = n ? elf_interpreter(exe) : NULL;
	if (interp) {
		add_real(paths, &n, &cap, interp);
		list_libraries(interp, exe, paths, &n, &cap);
	}
	free(interp);
	free(exe);
	return n;
}
