#include "config.h"

/* Where a module's names came from (prof_module.symbols_from): the phrase
 * src/elf gives for a file, a debug file, a stripped file, a container's
 * file; and a process in another mount namespace, whose files procmap
 * reads through /proc/PID/root as images apart from ours. */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elf-debug.h"
#include "elf-file.h"
#include "procmap.h"
#include "profile.h"
#include "symbols.h"

static char self_path[PATH_MAX];

static Elf *elf_of(const char *path, int *fd)
{
	Elf *elf;

	elf_version(EV_CURRENT);
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (!elf)
		close(*fd);
	return elf;
}

static void elf_done(Elf *elf, int fd)
{
	elf_end(elf);
	close(fd);
}

/* This test program has its .symtab (built with -g, not stripped). */
static void test_symbols_in_file(void **state)
{
	int fd;
	Elf *elf = elf_of(self_path, &fd);
	char *s;

	(void)state;
	assert_non_null(elf);
	s = elf_debug_describe(self_path, elf, NULL);
	assert_string_equal(s, "symbols in the file");
	free(s);
	s = elf_debug_describe(self_path, elf, "/usr/lib/debug/.build-id/ab/cdef.debug");
	assert_string_equal(s, "debug file /usr/lib/debug/.build-id/ab/cdef.debug");
	free(s);
	s = elf_debug_describe(self_path, elf, "/root/.cache/debuginfod_client/abcd/debuginfo");
	assert_string_equal(s, "debuginfod (/root/.cache/debuginfod_client/abcd/debuginfo)");
	free(s);
	elf_done(elf, fd);
}

static void test_container_and_deleted(void **state)
{
	int fd;
	Elf *elf = elf_of(self_path, &fd);
	char *s;

	(void)state;
	assert_non_null(elf);
	s = elf_debug_describe("/proc/42/root/app/bin/spin", elf, NULL);
	assert_string_equal(s, "symbols in the file; read through /proc/42/root/app/bin/spin "
			       "(container)");
	free(s);
	s = elf_debug_describe("/proc/42/map_files/1000-2000", elf, NULL);
	assert_string_equal(s, "symbols in the file; read through /proc/42/map_files/1000-2000 "
			       "(the file was deleted)");
	free(s);
	s = elf_debug_describe("/nonexistent/x", NULL, NULL);
	assert_string_equal(s, "no symbols: /nonexistent/x cannot be read as ELF");
	free(s);
	elf_done(elf, fd);
}

/* A stripped file with a build id says which debug file is missing. */
static void test_stripped(void **state)
{
	const char *candidates[] = {"/bin/true", "/usr/bin/true", "/bin/sh"};
	char *s = NULL, *id;
	int fd = -1;
	Elf *elf = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]) && !s; i++) {
		GElf_Shdr sh;
		Elf_Scn *scn = NULL;
		bool symtab = false;

		elf = elf_of(candidates[i], &fd);
		if (!elf)
			continue;
		while ((scn = elf_nextscn(elf, scn)))
			symtab |= gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB;
		id = elf_build_id_hex(elf);
		if (!symtab && id) {
			s = elf_debug_describe(candidates[i], elf, NULL);
			assert_non_null(strstr(s, id));
			assert_non_null(strstr(s, "stripped, no debug file for build id"));
			assert_non_null(strstr(s, "DEBUGINFOD_URLS"));
		}
		free(id);
		elf_done(elf, fd);
	}
	if (!s)
		skip(); /* no stripped system program with a build id here */
	free(s);
}

/* A file inside another root: a regular file is; a symlink leading out
 * of the root (absolute, or by "..") is not, even where the same path
 * names a file on the host. */
static void test_in_root(void **state)
{
	char dir[] = "/tmp/test-modsource.XXXXXX", path[PATH_MAX + 64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/file", dir);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/out", dir);
	assert_int_equal(symlink(self_path, path), 0); /* absolute: the host's file */
	snprintf(path, sizeof(path), "%s/up", dir);
	assert_int_equal(symlink("../../../../../../../../..", path), 0);
	snprintf(path, sizeof(path), "%s/in", dir);
	assert_int_equal(symlink("file", path), 0);

	assert_true(elf_file_in_root(dir, "/file"));
	assert_true(elf_file_in_root(dir, "/in"));
	assert_false(elf_file_in_root(dir, "/out"));
	snprintf(path, sizeof(path), "/up%s", self_path);
	assert_false(elf_file_in_root(dir, path));
	assert_false(elf_file_in_root(dir, "/missing"));
	assert_false(elf_file_in_root(dir, "relative"));

	for (const char *name = "file\0out\0up\0in\0"; *name; name += strlen(name) + 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		unlink(path);
	}
	rmdir(dir);
}

/* A child in a mount namespace of its own: its executable (this program,
 * at the same path) is a container's file, read through /proc/PID/root,
 * an image apart from ours, named by the path the child sees, and its
 * module says where its names came from. */
static void test_foreign_process(void **state)
{
	int pfd[2];
	char c = 0;
	pid_t pid;
	struct procmap *pm;
	struct proc_space *ps;
	struct profile *p;
	struct symbols *s;
	struct elf_image *ours, *theirs = NULL;
	const struct prof_module *m;
	uint32_t loc;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		c = unshare(CLONE_NEWNS) == 0 ? 'y' : 'n';
		if (write(pfd[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	close(pfd[0]);
	if (c != 'y') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		skip(); /* unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN */
	}
	pm = procmap_new();
	ps = procmap_process(pm, pid);
	assert_non_null(ps->root);
	for (size_t i = 0; i < ps->nmaps && !theirs; i++)
		if (ps->maps[i].image && !strcmp(ps->maps[i].image->mapped_path, self_path))
			theirs = ps->maps[i].image;
	assert_non_null(theirs);
	assert_true(theirs->foreign);
	assert_true(strncmp(theirs->path, ps->root, strlen(ps->root)) == 0);
	ours = procmap_image(pm, self_path);
	assert_non_null(ours);
	assert_ptr_not_equal(ours, theirs);
	assert_false(ours->foreign);

	p = profile_new();
	s = symbols_new(p);
	loc = symbols_location(s, theirs, theirs->loads[0].vaddr, false);
	m = &p->modules[p->locations[loc].module];
	assert_string_equal(m->path, self_path);
	assert_non_null(m->symbols_from);
	assert_non_null(strstr(m->symbols_from, "(container)"));
	assert_non_null(strstr(m->symbols_from, "symbols in the file"));
	symbols_free(s);
	profile_free(p);
	procmap_free(pm);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symbols_in_file),
		cmocka_unit_test(test_container_and_deleted),
		cmocka_unit_test(test_stripped),
		cmocka_unit_test(test_in_root),
		cmocka_unit_test(test_foreign_process),
	};
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	if (n <= 0)
		return 1;
	self_path[n] = '\0';
	return cmocka_run_group_tests(tests, NULL, NULL);
}
