/* Fuzzing the session loader. A loaded profile must be safe to use, so
 * every input that loads is also run through the queries; every input that
 * does not must give a one-line error.
 *
 * With libFuzzer (clang):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -DPROFTOP_LIBFUZZER -I. -Isrc \
 *     tests/fuzz/fuzz-session.c src/session.c src/session-load.c src/session-source.c \
 *     src/query.c src/profile.c src/xalloc.c -lsqlite3 -o /tmp/fuzz-session
 *   /tmp/fuzz-session -max_total_time=600 tests/fuzz/corpus
 *
 * Without it (gcc, `make check`): a plain driver that loads the seed corpus
 * and a session it saves itself, then N mutations of them (bit flips,
 * interesting bytes, truncations, page splices) from a fixed seed, so a run
 * is reproducible:
 *   fuzz-session [-n ITERATIONS] [-s SEED] [-v] [CORPUS_DIR_OR_FILE...] */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "profile.h"
#include "query.h"
#include "session.h"

/* Use what was loaded the way proftop would: expand every stack, run the
 * queries. A loader that let a bad id through crashes here under ASan. */
static void exercise(const struct profile *p)
{
	size_t max = profile_max_frames(p);
	struct prof_frame *frames = calloc(max, sizeof(*frames));
	struct query_filter all = {0};
	struct func_table t;
	struct call_tree tree;
	struct line_table lt;

	for (size_t i = 0; i < p->nsamples; i++)
		profile_stack_frames(p, p->samples[i].stack, frames, max);
	free(frames);
	query_functions(p, &all, SORT_CUMULATIVE, false, &t);
	if (t.n) {
		uint32_t fn = t.rows[0].function;

		query_lines(p, &all, fn, &lt);
		line_table_free(&lt);
		func_table_free(&t);
		query_callers(p, &all, fn, &t);
		func_table_free(&t);
		query_callees(p, &all, fn, &t);
	}
	func_table_free(&t);
	query_call_tree(p, &all, &tree);
	call_tree_free(&tree);
	for (size_t i = 0; i < p->nsources; i++)
		session_source_line(p, p->sources[i].file, p->sources[i].line);
}

/* 1 if it loaded, 0 if it was refused properly. */
static int one_input(const uint8_t *data, size_t size)
{
	char err[512] = "";
	struct profile *p = session_load_buffer(data, size, "fuzz", NULL, err, sizeof(err));

	if (p) {
		exercise(p);
		profile_free(p);
		return 1;
	}
	if (!err[0] || strchr(err, '\n')) {
		fprintf(stderr, "fuzz-session: refused without a one-line error: '%s'\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one_input(data, size);
	return 0;
}

#ifndef PROFTOP_LIBFUZZER

#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS "tests/fuzz/corpus"
#endif
#define DEFAULT_ITERATIONS 1500

struct input {
	uint8_t *data;
	size_t size;
	char *name;
};

static struct input *inputs;
static size_t ninputs;
static bool verbose;

static void add_input(uint8_t *data, size_t size, const char *name)
{
	inputs = realloc(inputs, (ninputs + 1) * sizeof(*inputs));
	if (!inputs)
		abort();
	inputs[ninputs].data = data;
	inputs[ninputs].size = size;
	inputs[ninputs++].name = strdup(name);
}

static int add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return -1;
	}
	fclose(f);
	add_input(buf, (size_t)n, path);
	return 0;
}

static int add_path(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return add_file(path);
	while ((e = readdir(d))) {
		char full[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		rc |= add_file(full);
	}
	closedir(d);
	return rc;
}

/* A session saved now by this very build: the seed that matches the code. */
static void add_fresh_session(void)
{
	struct profile *p = profile_new();
	uint32_t m = profile_intern_module(p, "/bin/fuzz", "abcdef");
	uint32_t f = profile_intern_function(p, "f", "f", __FILE__, 30, m);
	uint32_t g = profile_intern_function(p, "g", NULL, NULL, 0, m);
	uint32_t l1 = profile_intern_location(p, m, 0x10, &(struct prof_line){f, __FILE__, 35}, 1);
	uint32_t l2 = profile_intern_location(
		p, m, 0x20, (struct prof_line[]){{g, "x.h", 3}, {f, __FILE__, 40}}, 2);
	uint32_t s1 = profile_intern_stack(p, &l1, 1);
	uint32_t s2 = profile_intern_stack(p, (uint32_t[]){l2, l1}, 2);
	char path[] = "/tmp/fuzz-session.XXXXXX", err[512];
	int fd = mkstemp(path);

	for (int i = 0; i < 50; i++)
		profile_add_sample(p, (uint64_t)i * 1000, 7 + i % 2, i % 3 ? s1 : s2, 1000, 0);
	profile_set_thread(p, 7, 7, "fuzz");
	profile_add_memory(p, 0, 0, 4096, 8192);
	profile_add_output(p, 1, "out\n", 4);
	for (uint32_t k = 0; k < 3; k++)
		profile_add_alloc(p, &(struct prof_alloc){.time = k,
							  .free_time = PROF_ALLOC_LIVE,
							  .size = 16,
							  .bytes = 64,
							  .allocs = 4,
							  .stack = k ? s2 : s1,
							  .tid = 7,
							  .kind = k});
	profile_alloc_freed(p, 0, 9);
	profile_set_module_source(p, m, "symbols in the file");
	p->meta.command = profile_str(p, "fuzz");
	if (fd >= 0)
		close(fd);
	if (fd >= 0 && session_save(p, path, err, sizeof(err)) == 0)
		add_file(path);
	else
		fprintf(stderr, "fuzz-session: could not save a fresh seed: %s\n", err);
	unlink(path);
	profile_free(p);
}

static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A mutated copy of in, in *out (caller frees). */
static size_t mutate(const struct input *in, uint8_t **out)
{
	static const uint8_t interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x0d, 0x09, 0x3f};
	size_t size = in->size, n;
	uint8_t *b = malloc(size + 1);

	if (!b)
		abort();
	memcpy(b, in->data, size);
	switch (next_rand() % 6) {
	case 0: /* a few bit flips */
	case 1:
		for (n = 1 + next_rand() % 8; n-- > 0 && size;)
			b[next_rand() % size] ^= (uint8_t)(1u << (next_rand() % 8));
		break;
	case 2: /* interesting bytes */
		for (n = 1 + next_rand() % 4; n-- > 0 && size;)
			b[next_rand() % size] = interesting[next_rand() % sizeof(interesting)];
		break;
	case 3: /* truncated */
		size = size ? (size_t)(next_rand() % size) : 0;
		break;
	case 4: /* a run of bytes from elsewhere in the file (or another seed) */
	{
		const struct input *src = &inputs[next_rand() % ninputs];
		size_t len = 1 + next_rand() % 64;

		if (src->size > len && size > len)
			memcpy(b + next_rand() % (size - len),
			       src->data + next_rand() % (src->size - len), len);
		break;
	}
	case 5: /* a 32-bit value in the first pages: headers, page pointers */
		if (size >= 8) {
			size_t at = next_rand() % (size < 8192 ? size - 4 : 8188);
			uint32_t v = (uint32_t)next_rand() >> (next_rand() % 32);

			memcpy(b + at, &v, 4);
		}
		break;
	}
	*out = b;
	return size;
}

int main(int argc, char **argv)
{
	unsigned long iterations = DEFAULT_ITERATIONS;
	size_t loaded = 0, seeds;
	bool failed = false;
	clock_t t0 = clock();
	int c;

	rng = 0x5eed5eed5eed5eedULL;
	while ((c = getopt(argc, argv, "n:s:v")) != -1) {
		if (c == 'n')
			iterations = strtoul(optarg, NULL, 10);
		else if (c == 's')
			rng = strtoull(optarg, NULL, 0) | 1;
		else if (c == 'v')
			verbose = true;
		else
			return 2;
	}
	if (optind == argc && add_path(FUZZ_CORPUS) < 0)
		fprintf(stderr, "fuzz-session: cannot read the corpus %s\n", FUZZ_CORPUS);
	for (int i = optind; i < argc; i++)
		if (add_path(argv[i]) < 0)
			fprintf(stderr, "fuzz-session: cannot read %s\n", argv[i]);
	add_fresh_session();
	seeds = ninputs;
	for (size_t i = 0; i < seeds; i++) {
		int ok = one_input(inputs[i].data, inputs[i].size);
		size_t len = strlen(inputs[i].name);

		loaded += ok;
		if (verbose)
			printf("seed %s: %s\n", inputs[i].name, ok ? "loads" : "refused");
		/* A session an earlier build saved must still open. */
		if (!ok && len > 8 && !strcmp(inputs[i].name + len - 8, SESSION_EXT)) {
			fprintf(stderr, "fuzz-session: the seed %s no longer loads\n",
				inputs[i].name);
			failed = true;
		}
	}
	for (unsigned long i = 0; i < iterations && seeds; i++) {
		uint8_t *buf;
		size_t size = mutate(&inputs[i % seeds], &buf);

		loaded += one_input(buf, size);
		free(buf);
	}
	printf("fuzz-session: %zu seeds and %lu mutations in %.1f s CPU, %zu loaded, the rest "
	       "refused with a one-line error\n",
	       seeds, iterations, (double)(clock() - t0) / CLOCKS_PER_SEC, loaded);
	for (size_t i = 0; i < ninputs; i++) {
		free(inputs[i].data);
		free(inputs[i].name);
	}
	free(inputs);
	return seeds && !failed ? 0 : 1;
}
#endif
