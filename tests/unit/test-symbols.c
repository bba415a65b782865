#include "config.h"

/* symbols: addresses inside this very program (plain, inlined, C++), in
 * libc and in the vdso, resolved to functions, inline chains and lines. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <sqlite3.h>
#include <zlib.h>

#include "elf-debug.h"
#include "elf-fds.h"
#include "profile.h"
#include "symbols.h"

#if defined(__GNUC__) && !defined(__clang__)
#define NOIPA __attribute__((noipa))
#else
#define NOIPA __attribute__((noinline))
#endif

uintptr_t symbols_cxx_fn_int(void);
uintptr_t symbols_cxx_fn_double(void);

/* ---- code to symbolise ---- */

static volatile int sink;
static int probe_line;
static uintptr_t probe_ret;
static int helper_call_line;

/* Remembers the line it was called from and where the call returns to:
 * the return address - 1 lies in the call instruction of that line. */
static NOIPA void probe(int line)
{
	probe_line = line;
	probe_ret = (uintptr_t)__builtin_return_address(0);
	__asm__ volatile("" ::: "memory");
}

enum { PLAIN_FUNCTION_LINE = __LINE__ + 1 };
static NOIPA int plain_function(int x)
{
	int r = x * 3 + sink;

	probe(__LINE__);
	sink = r;
	return r + 1;
}
enum { PLAIN_FUNCTION_END = __LINE__ };

enum { INLINED_HELPER_LINE = __LINE__ + 1 };
static inline __attribute__((always_inline)) int inlined_helper(int x, int call_line)
{
	int y = x + 7 + sink;

	helper_call_line = call_line;
	probe(__LINE__);
	return y * 2;
}

static NOIPA int inline_caller(int x)
{
	int r = inlined_helper(x, __LINE__);

	return r + sink;
}

static jmp_buf return_jb;

static NOIPA __attribute__((noreturn)) void capture_return(void)
{
	probe_ret = (uintptr_t)__builtin_return_address(0);
	longjmp(return_jb, 1);
}

/* Its last instruction is the call: the return address lies past its end. */
static NOIPA void ends_with_call(void)
{
	capture_return();
}

/* Bytes in .text that no symbol covers (.L labels stay out of .symtab), in
 * a section of their own so that no CU's ranges claim them either. */
__asm__(".pushsection .text.symbols_gap,\"ax\",@progbits\n"
	".p2align 4\n"
	".type symbols_gap_addr, @function\n"
	"symbols_gap_addr:\n"
	"	leaq .Lsymbols_gap(%rip), %rax\n"
	"	ret\n"
	".size symbols_gap_addr, .-symbols_gap_addr\n"
	".Lsymbols_gap:\n"
	"	.skip 64, 0xcc\n"
	".popsection\n");
uintptr_t symbols_gap_addr(void);

/* ---- images of this process, built by hand as procmap would ---- */

struct found_object {
	uintptr_t addr;
	uintptr_t bias;
	char name[PATH_MAX];
	bool found;
};

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct found_object *fo = data;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || fo->addr < start || fo->addr >= start + ph->p_memsz)
			continue;
		fo->bias = info->dlpi_addr;
		snprintf(fo->name, sizeof(fo->name), "%s", info->dlpi_name);
		fo->found = true;
		return 1;
	}
	return 0;
}

#define MAX_IMAGES 16
static struct elf_image *images[MAX_IMAGES];
static size_t nimages;

static struct elf_image *image_new(const char *path)
{
	struct elf_image *img = calloc(1, sizeof(*img));

	assert_non_null(img);
	img->path = strdup(path);
	img->module_id = PROF_NONE;
	assert_true(nimages < MAX_IMAGES);
	images[nimages++] = img;
	return img;
}

static void image_free(struct elf_image *img)
{
	if (img->symbols_free)
		img->symbols_free(img->symbols_priv);
	free(img->path);
	free(img);
}

/* The image holding runtime address addr (one per path, shared by the
 * tests like procmap shares them) and addr's ELF vaddr in it. */
static struct elf_image *image_of(uintptr_t addr, uint64_t *vaddr)
{
	struct found_object fo = {.addr = addr};
	char real[PATH_MAX];

	dl_iterate_phdr(find_object_cb, &fo);
	assert_true(fo.found);
	if (!realpath(fo.name[0] ? fo.name : "/proc/self/exe", real))
		fail_msg("realpath(%s) failed", fo.name);
	*vaddr = addr - fo.bias;
	for (size_t i = 0; i < nimages; i++)
		if (strcmp(images[i]->path, real) == 0)
			return images[i];
	return image_new(real);
}

static const char *exe_basename(void)
{
	static char real[PATH_MAX];

	if (!realpath("/proc/self/exe", real))
		fail_msg("realpath(/proc/self/exe) failed");
	return strrchr(real, '/') + 1;
}

/* ---- helpers over the profile ---- */

struct fixture {
	struct profile *p;
	struct symbols *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->p = profile_new();
	f->s = symbols_new(f->p);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	symbols_free(f->s);
	profile_free(f->p);
	free(f);
	return 0;
}

static int teardown_group(void **state)
{
	for (size_t i = 0; i < nimages; i++)
		image_free(images[i]);
	nimages = 0;
	return 0;
}

static const struct prof_location *loc_of(struct fixture *f, uint32_t loc)
{
	assert_int_not_equal(loc, PROF_NONE);
	assert_true(loc < f->p->nlocations);
	return &f->p->locations[loc];
}

static const struct prof_line *frame_of(struct fixture *f, uint32_t loc, uint32_t i)
{
	const struct prof_location *l = loc_of(f, loc);

	assert_true(i < l->nlines);
	return &f->p->lines[l->first_line + i];
}

static const struct prof_function *function_of(struct fixture *f, uint32_t loc, uint32_t i)
{
	return &f->p->functions[frame_of(f, loc, i)->function];
}

static void assert_ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);

	if (!s || n < m || strcmp(s + n - m, suffix) != 0)
		fail_msg("expected a string ending in \"%s\", saw \"%s\"", suffix,
			 s ? s : "(null)");
}

static uint32_t locate(struct fixture *f, uintptr_t addr, bool is_return, uint64_t *vaddr)
{
	struct elf_image *img = image_of(addr, vaddr);

	return symbols_location(f->s, img, *vaddr, is_return);
}

/* ---- tests ---- */

static void test_plain_function(void **state)
{
	struct fixture *f = *state;
	const struct prof_function *fn;
	const struct prof_line *line;
	uint64_t vaddr;
	uint32_t loc;

	plain_function(2);
	loc = locate(f, probe_ret, true, &vaddr);
	assert_int_equal(loc_of(f, loc)->nlines, 1);
	assert_int_equal(loc_of(f, loc)->address, vaddr - 1);
	fn = function_of(f, loc, 0);
	assert_string_equal(fn->name, "plain_function");
	assert_string_equal(fn->system_name, "plain_function");
	assert_ends_with(fn->file, "/test-symbols.c");
	assert_true(fn->file[0] == '/');
	assert_int_equal(fn->start_line, PLAIN_FUNCTION_LINE);
	assert_string_equal(f->p->modules[fn->module].name, exe_basename());
	line = frame_of(f, loc, 0);
	assert_ends_with(line->file, "/test-symbols.c");
	assert_int_equal(line->line, probe_line);

	/* The entry point: same function, a line inside its body. */
	loc = locate(f, (uintptr_t)&plain_function, false, &vaddr);
	assert_int_equal(loc_of(f, loc)->address, vaddr);
	assert_string_equal(function_of(f, loc, 0)->name, "plain_function");
	assert_in_range(frame_of(f, loc, 0)->line, PLAIN_FUNCTION_LINE, PLAIN_FUNCTION_END);
}

static void test_inlined(void **state)
{
	struct fixture *f = *state;
	const struct prof_function *inner, *outer;
	uint64_t vaddr;
	uint32_t loc;

	inline_caller(1);
	loc = locate(f, probe_ret, true, &vaddr);
	assert_int_equal(loc_of(f, loc)->nlines, 2);
	inner = function_of(f, loc, 0);
	outer = function_of(f, loc, 1);
	assert_string_equal(inner->name, "inlined_helper");
	assert_int_equal(inner->start_line, INLINED_HELPER_LINE);
	assert_ends_with(inner->file, "/test-symbols.c");
	assert_int_equal(frame_of(f, loc, 0)->line, probe_line);
	assert_string_equal(outer->name, "inline_caller");
	assert_int_equal(frame_of(f, loc, 1)->line, helper_call_line);
	assert_ends_with(frame_of(f, loc, 1)->file, "/test-symbols.c");
}

static void test_cxx(void **state)
{
	struct fixture *f = *state;
	const struct prof_function *fi, *fd;
	uint64_t vaddr;
	uint32_t li, ld;

	li = locate(f, symbols_cxx_fn_int(), false, &vaddr);
	ld = locate(f, symbols_cxx_fn_double(), false, &vaddr);
	fi = function_of(f, li, 0);
	fd = function_of(f, ld, 0);
	assert_string_equal(fi->name, "ns::fn(int)");
	assert_string_equal(fi->system_name, "_ZN2ns2fnEi");
	assert_ends_with(fi->file, "/symbols-cxx.cc");
	assert_string_equal(fd->name, "ns::fn(double)");
	assert_string_equal(fd->system_name, "_ZN2ns2fnEd");
	assert_int_not_equal(frame_of(f, li, 0)->function, frame_of(f, ld, 0)->function);
}

static void test_libc(void **state)
{
	struct fixture *f = *state;
	void *addr = dlsym(RTLD_DEFAULT, "getpid");
	const struct prof_function *fn;
	uint64_t vaddr;
	uint32_t loc;

	assert_non_null(addr);
	/* A few bytes in, so that the lookup is not only a symbol's value. */
	loc = locate(f, (uintptr_t)addr + 2, false, &vaddr);
	fn = function_of(f, loc, loc_of(f, loc)->nlines - 1);
	if (!strstr(fn->name, "getpid"))
		fail_msg("expected a function named like getpid, saw \"%s\"", fn->name);
	assert_string_equal(f->p->modules[fn->module].name, "libc.so.6");
	print_message("getpid: %s at %s:%d (vaddr 0x%" PRIx64 ")\n", fn->name,
		      frame_of(f, loc, 0)->file ? frame_of(f, loc, 0)->file : "?",
		      frame_of(f, loc, 0)->line, vaddr);
}

static void test_no_symbol(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr;
	uint32_t loc;
	char want[PATH_MAX + 32];

	loc = locate(f, symbols_gap_addr() + 8, false, &vaddr);
	snprintf(want, sizeof(want), "%s+0x%" PRIx64, exe_basename(), vaddr);
	assert_int_equal(loc_of(f, loc)->nlines, 1);
	assert_string_equal(function_of(f, loc, 0)->name, want);
	/* The function right before the gap is still found. */
	loc = locate(f, (uintptr_t)&symbols_gap_addr, false, &vaddr);
	assert_string_equal(function_of(f, loc, 0)->name, "symbols_gap_addr");
}

static void test_is_return(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr;
	uint32_t loc;

	if (setjmp(return_jb) == 0)
		ends_with_call();
	loc = locate(f, probe_ret, true, &vaddr);
	assert_int_equal(loc_of(f, loc)->address, vaddr - 1);
	assert_string_equal(function_of(f, loc, 0)->name, "ends_with_call");
	/* Looked up as is, the return address is not in ends_with_call. */
	loc = locate(f, probe_ret, false, &vaddr);
	assert_int_equal(loc_of(f, loc)->address, vaddr);
	assert_string_not_equal(function_of(f, loc, 0)->name, "ends_with_call");
}

static void test_cached(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr;
	uint32_t a, b;
	size_t nloc, nfn;

	a = locate(f, (uintptr_t)&plain_function + 1, false, &vaddr);
	nloc = f->p->nlocations;
	nfn = f->p->nfunctions;
	b = locate(f, (uintptr_t)&plain_function + 1, false, &vaddr);
	assert_int_equal(a, b);
	assert_int_equal(f->p->nlocations, nloc);
	assert_int_equal(f->p->nfunctions, nfn);
	/* A return address vaddr + 1 is the same location as vaddr. */
	b = locate(f, (uintptr_t)&plain_function + 2, true, &vaddr);
	assert_int_equal(a, b);
	assert_int_equal(f->p->nlocations, nloc);
	/* Another address of the same function: a new location, same function. */
	b = locate(f, (uintptr_t)&plain_function + 3, false, &vaddr);
	assert_int_not_equal(a, b);
	assert_int_equal(f->p->nlocations, nloc + 1);
	assert_int_equal(frame_of(f, a, 0)->function, frame_of(f, b, 0)->function);
}

/* A hit is answered by the profile alone: an image whose Dwfl is gone gets
 * no new one for an address already resolved. */
static void test_hit_skips_libdwfl(void **state)
{
	struct fixture *f = *state;
	struct elf_image *img;
	char real[PATH_MAX];
	uint64_t vaddr;
	uint32_t a;

	image_of((uintptr_t)&plain_function, &vaddr);
	assert_non_null(realpath("/proc/self/exe", real));
	img = image_new(real);
	a = symbols_location(f->s, img, vaddr + 5, false);
	assert_non_null(img->symbols_priv);
	assert_non_null(img->symbols_free);
	img->symbols_free(img->symbols_priv);
	img->symbols_priv = NULL;
	img->symbols_free = NULL;
	assert_int_equal(symbols_location(f->s, img, vaddr + 5, false), a);
	assert_int_equal(symbols_location(f->s, img, vaddr + 6, true), a);
	assert_null(img->symbols_priv);
}

/* The [vdso] has no file: it is symbolised from its bytes in memory. */
static void test_vdso(void **state)
{
	struct fixture *f = *state;
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	struct found_object fo = {0};
	struct elf_image *img;
	void *h, *addr;
	uint32_t loc;
	const char *name;

	if (!base)
		skip();
	h = dlopen("linux-vdso.so.1", RTLD_LAZY | RTLD_NOLOAD);
	addr = h ? dlsym(h, "__vdso_clock_gettime") : NULL;
	if (!addr)
		skip();
	fo.addr = (uintptr_t)addr;
	dl_iterate_phdr(find_object_cb, &fo);
	assert_true(fo.found);

	img = image_new("[vdso]");
	img->is_vdso = true;
	img->data = (const uint8_t *)base;
	/* The vdso is mapped whole, section headers last. */
	img->size = eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	loc = symbols_location(f->s, img, fo.addr - fo.bias + 4, false);
	name = function_of(f, loc, 0)->name;
	if (!strstr(name, "clock_gettime"))
		fail_msg("expected a function named like clock_gettime, saw \"%s\"", name);
	assert_string_equal(f->p->modules[loc_of(f, loc)->module].path, "[vdso]");
	dlclose(h);
}

/* A file gone from its path (deleted, another mount namespace) is read from
 * the image's bytes, DWARF included. */
static void test_memory_image(void **state)
{
	struct fixture *f = *state;
	struct elf_image *img;
	struct stat st;
	uint64_t vaddr;
	void *data;
	int fd;
	uint32_t loc;

	fd = open("/proc/self/exe", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	assert_true(data != MAP_FAILED);

	image_of((uintptr_t)&plain_function, &vaddr);
	img = image_new("/nonexistent/test-symbols (deleted)");
	img->data = data;
	img->size = (size_t)st.st_size;
	plain_function(3);
	loc = symbols_location(f->s, img, probe_ret - (uintptr_t)&plain_function + vaddr, true);
	assert_string_equal(function_of(f, loc, 0)->name, "plain_function");
	assert_int_equal(frame_of(f, loc, 0)->line, probe_line);
	assert_int_equal(function_of(f, loc, 0)->start_line, PLAIN_FUNCTION_LINE);
	/* The Dwfl keeps its own copy: unmapping is fine once it exists. */
	munmap(data, (size_t)st.st_size);
	img->data = NULL;
	loc = symbols_location(f->s, img, vaddr, false);
	assert_string_equal(function_of(f, loc, 0)->name, "plain_function");
}

/* Not ELF, or not there at all: "module+0x..." names, no crash. */
static void test_unreadable(void **state)
{
	struct fixture *f = *state;
	struct elf_image *a = image_new("/etc/passwd");
	struct elf_image *b = image_new("/nonexistent/lib.so");
	uint32_t loc;

	loc = symbols_location(f->s, a, 0x10, false);
	assert_string_equal(function_of(f, loc, 0)->name, "passwd+0x10");
	loc = symbols_location(f->s, b, 0x1234, true);
	assert_string_equal(function_of(f, loc, 0)->name, "lib.so+0x1233");
	assert_int_equal(symbols_location(f->s, b, 0x1234, true), loc);
}

static void test_unknown_and_kernel(void **state)
{
	struct fixture *f = *state;
	uint32_t a, b, c, k;

	a = symbols_unknown_location(f->s, 0x7f0000001000, NULL);
	assert_string_equal(f->p->modules[loc_of(f, a)->module].path, "[unknown]");
	assert_string_equal(function_of(f, a, 0)->name, "[unknown]");
	assert_int_equal(loc_of(f, a)->address, 0x7f0000001000);
	b = symbols_unknown_location(f->s, 0x7f0000001000, "[heap]");
	assert_int_not_equal(a, b);
	assert_string_equal(function_of(f, b, 0)->name, "[heap]");
	c = symbols_unknown_location(f->s, 0x7f0000001008, "[heap]");
	assert_int_not_equal(b, c);
	assert_int_equal(frame_of(f, b, 0)->function, frame_of(f, c, 0)->function);
	assert_int_equal(symbols_unknown_location(f->s, 0x7f0000001000, NULL), a);

	k = symbols_kernel_location(f->s, 0);
	assert_string_equal(function_of(f, k, 0)->name, "[kernel]");
	assert_string_equal(f->p->modules[loc_of(f, k)->module].path, "[kernel]");
	assert_int_equal(symbols_kernel_location(f->s, 0), k);
}

/* Kernel IPs named from a kallsyms file: the function at or below the IP,
 * loadable modules apart; hidden addresses give one [kernel] row and a
 * note that says why, once. */
static void test_kernel_names(void **state)
{
	struct fixture *f = *state;
	char path[] = "/tmp/proftop-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	FILE *out = fdopen(fd, "w");
	uint32_t a, b, c;

	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81001000 T do_syscall_64\n"
	      "ffffffff81002000 t clear_page_erms\n"
	      "ffffffff81003000 D some_data\n"
	      "ffffffffc0001000 t ext4_read [ext4]\n"
	      "ffffffffc0002000 t ext4_write [ext4]\n",
	      out);
	fclose(out);
	symbols_set_kallsyms(f->s, path);
	a = symbols_kernel_location(f->s, 0xffffffff81001234);
	assert_string_equal(function_of(f, a, 0)->name, "do_syscall_64");
	assert_string_equal(f->p->modules[loc_of(f, a)->module].path, "[kernel]");
	assert_int_equal(symbols_kernel_location(f->s, 0xffffffff81001fff), a);
	b = symbols_kernel_location(f->s, 0xffffffff81002010);
	assert_string_equal(function_of(f, b, 0)->name, "clear_page_erms");
	c = symbols_kernel_location(f->s, 0xffffffffc0002004);
	assert_string_equal(function_of(f, c, 0)->name, "ext4_write");
	assert_string_equal(f->p->modules[loc_of(f, c)->module].path, "[kernel:ext4]");
	assert_null(symbols_kernel_note(f->s));

	out = fopen(path, "w");
	fputs("0000000000000000 T _stext\n0000000000000000 T do_syscall_64\n", out);
	fclose(out);
	symbols_set_kallsyms(f->s, path);
	a = symbols_kernel_location(f->s, 0xffffffff81001234);
	assert_string_equal(function_of(f, a, 0)->name, "[kernel]");
	assert_non_null(strstr(symbols_kernel_note(f->s), "kptr_restrict"));
	assert_null(symbols_kernel_note(f->s));
	unlink(path);
}

static void test_demangle(void **state)
{
	char *s = symbols_demangle("_ZN2ns2fnEi");

	assert_non_null(s);
	assert_string_equal(s, "ns::fn(int)");
	free(s);
	/* Rust, legacy and v0: no hash, no $LT$ escapes. */
	s = symbols_demangle("_ZN1r3hot4spin17h16ec9a3135d4e75cE");
	assert_non_null(s);
	assert_string_equal(s, "r::hot::spin");
	free(s);
	s = symbols_demangle("_ZN37_$LT$r..Pair$u20$as$u20$r..Worker$GT$4work17h485f7a41b507eb94E");
	assert_non_null(s);
	assert_string_equal(s, "<r::Pair as r::Worker>::work");
	free(s);
	s = symbols_demangle("_RNvXCs6GmmlP4bgsG_1rNtB2_4PairNtB2_6Worker4work");
	assert_non_null(s);
	assert_string_equal(s, "<r::Pair as r::Worker>::work");
	free(s);
	assert_null(symbols_demangle("_Rgarbage"));
	assert_null(symbols_demangle("main"));
	assert_null(symbols_demangle("_Z"));
	assert_null(symbols_demangle("_Zgarbage!"));
	assert_null(symbols_demangle(""));
	assert_null(symbols_demangle(NULL));
}

/* The ELF address of the first stub after PLT0 in the test's own .plt. */
static uint64_t first_plt_stub(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	uint64_t addr = 0;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) &&
		    !strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".plt") && sh.sh_size >= 32)
			addr = sh.sh_addr + 16;
	}
	elf_end(elf);
	close(fd);
	return addr;
}

/* A PLT stub is named "function@plt", as perf names it, not "module+0x...". */
static void test_plt_stub(void **state)
{
	struct fixture *f = *state;
	uint64_t vaddr, stub = first_plt_stub();
	struct elf_image *img = image_of((uintptr_t)&plain_function, &vaddr);
	const char *name;

	if (!stub)
		skip();
	name = function_of(f, symbols_location(f->s, img, stub + 2, false), 0)->name;
	assert_ends_with(name, "@plt");
	assert_true(strlen(name) > strlen("@plt"));
}

/* With room for two images' files, six images still resolve, and again
 * after their Dwfls were closed: names never depend on descriptors. */
static void test_fd_budget(void **state)
{
	struct fixture *f = *state;
	const uintptr_t fns[] = {
		(uintptr_t)&plain_function, (uintptr_t)&printf,	 (uintptr_t)&dwfl_begin,
		(uintptr_t)&elf_begin,	    (uintptr_t)&deflate, (uintptr_t)&sqlite3_open,
	};
	const char *names[6] = {0};
	size_t n = sizeof(fns) / sizeof(fns[0]);

	elf_fds_set_budget(4);
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < n; i++) {
			uint64_t vaddr;
			struct elf_image *img = image_of(fns[i], &vaddr);
			/* a new address each round: a lookup, not a hit */
			uint32_t loc =
				symbols_location(f->s, img, vaddr + 1 + (uint64_t)round, false);

			const char *name = function_of(f, loc, 0)->name;

			/* the first round's names (libc says "__printf") */
			if (round == 0) {
				assert_null(strstr(name, "+0x"));
				names[i] = name;
			}
			assert_string_equal(name, names[i]);
			assert_true(elf_fds_in_use() <= 4);
		}
	}
	assert_string_equal(names[0], "plain_function");
	elf_fds_set_budget(0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* .gnu_debuglink: the file's directory, then .debug/; the CRC must match,
 * and the file itself is never its own debug file. */
static void test_debuglink_finder(void **state)
{
	char dir[] = "/tmp/proftop-debuglink.XXXXXX", prog[PATH_MAX], sub[PATH_MAX], dbg[PATH_MAX];
	uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)"debug", 5);
	char *found;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	snprintf(sub, sizeof(sub), "%s/.debug", dir);
	snprintf(dbg, sizeof(dbg), "%s/.debug/prog.debug", dir);
	write_file(prog, "program");
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(dbg, "debug");

	found = elf_debug_find(prog, NULL, "prog.debug", crc);
	assert_non_null(found);
	assert_string_equal(found, dbg);
	free(found);
	assert_null(elf_debug_find(prog, NULL, "prog.debug", crc ^ 1)); /* stale */
	assert_null(elf_debug_find(prog, NULL, "prog",
				   (uint32_t)crc32(0L, (const Bytef *)"program", 7)));
	assert_null(elf_debug_find(prog, NULL, NULL, 0));

	unlink(dbg);
	rmdir(sub);
	unlink(prog);
	rmdir(dir);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int libc_text_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	uint64_t *range = data;

	if (!strstr(info->dlpi_name, "/libc.so.6"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			range[0] = info->dlpi_addr + ph->p_vaddr;
			range[1] = ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* A figure, not an assertion: 100,000 distinct addresses over libc's text,
 * then the same again (all cache hits). */
static void test_rate(void **state)
{
	enum { N = 100000 };
	struct fixture *f = *state;
	uint64_t range[2] = {0, 0}, vaddr;
	struct elf_image *img;
	double t0, t1, t2;
	size_t nloc, inlined = 0;

	dl_iterate_phdr(libc_text_cb, range);
	if (!range[0])
		skip();
	img = image_of((uintptr_t)range[0], &vaddr);
	symbols_location(f->s, img, vaddr, false); /* opens the Dwfl */
	nloc = f->p->nlocations;
	t0 = now_s();
	for (uint64_t i = 0; i < N; i++)
		symbols_location(f->s, img, vaddr + i * range[1] / N, false);
	t1 = now_s();
	for (uint64_t i = 0; i < N; i++)
		symbols_location(f->s, img, vaddr + i * range[1] / N, false);
	t2 = now_s();
	assert_true(range[1] >= N);
	assert_int_equal(f->p->nlocations - nloc, N - 1); /* the first was interned above */
	for (size_t i = nloc; i < f->p->nlocations; i++)
		inlined += f->p->locations[i].nlines > 1;
	print_message("symbols: %d distinct libc addresses in %.3f s (%.0f/s, %zu functions, "
		      "%zu with inlined frames); cached: %.0f/s\n",
		      N, t1 - t0, N / (t1 - t0), f->p->nfunctions, inlined, N / (t2 - t1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_function, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inlined, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cxx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_libc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_symbol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_is_return, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hit_skips_libdwfl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_demangle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plt_stub, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fd_budget, setup, teardown),
		cmocka_unit_test(test_debuglink_finder),
		cmocka_unit_test_setup_teardown(test_rate, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, teardown_group);
}
