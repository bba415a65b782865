/* Session files at scale: save and reopen a synthetic profile of N samples
 * (default 1,000,000) shaped like a real one (4 threads, a few thousand
 * stacks 5 to 40 deep, cpu-clock weights with jitter), and print the time
 * of each and the file's bytes per sample. The reopen is repeated ROUNDS
 * times (the file is in the page cache after the save: warm), each timed in
 * wall-clock and in process CPU time, one line per reopen, so that the
 * caller can show the spread.
 *
 * Usage: session-bench [SAMPLES [FILE [ROUNDS]]]
 *        (FILE: default in $TMPDIR, removed; "-" for the default; ROUNDS 5) */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "profile.h"
#include "session.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static struct profile *synthetic(size_t nsamples)
{
	enum { NMOD = 6, NFUNC = 400, NLOC = 3000, NSTACK = 4000, NTHREAD = 4 };
	struct profile *p = profile_new();
	uint32_t mods[NMOD], funcs[NFUNC], locs[NLOC], stacks[NSTACK];
	uint64_t t[NTHREAD] = {0};
	char name[64];

	for (int i = 0; i < NMOD; i++) {
		snprintf(name, sizeof(name), "/usr/lib/libbench%d.so", i);
		mods[i] =
			profile_intern_module(p, name, "0123456789abcdef0123456789abcdef01234567");
	}
	for (int i = 0; i < NFUNC; i++) {
		char file[64];

		snprintf(name, sizeof(name), "bench::function_%d(int, char const*)", i);
		snprintf(file, sizeof(file), "/src/bench/file%d.cc", i % 40);
		funcs[i] = profile_intern_function(p, name, name, file, 10 + i, mods[i % NMOD]);
	}
	for (int i = 0; i < NLOC; i++) {
		struct prof_line l[2] = {
			{funcs[next_rand() % NFUNC], "/src/bench/inl.h",
			 1 + (int)(next_rand() % 500)},
			{funcs[i % NFUNC], "/src/bench/file.cc", 1 + (int)(next_rand() % 2000)},
		};
		bool inl = next_rand() % 8 == 0;

		locs[i] = profile_intern_location(p, mods[i % NMOD], 0x400000 + (uint64_t)i * 16,
						  inl ? l : l + 1, inl ? 2 : 1);
	}
	for (int i = 0; i < NSTACK; i++) {
		uint32_t path[40];
		size_t depth = 5 + next_rand() % 36;

		/* Shared roots, like main -> run -> ...: the trie stays compact. */
		for (size_t d = 0; d < depth; d++)
			path[depth - 1 - d] = locs[d < 3 ? d : next_rand() % (d * 40 + 1) % NLOC];
		stacks[i] = profile_intern_stack(p, path, depth);
	}
	for (int i = 0; i < NTHREAD; i++) {
		snprintf(name, sizeof(name), "worker-%d", i);
		profile_set_thread(p, 1000 + i, 1000, name);
	}
	for (size_t i = 0; i < nsamples; i++) {
		int th = (int)(next_rand() % NTHREAD);
		/* Hot stacks are hit far more often, as in real programs. */
		uint32_t s = stacks[(next_rand() % NSTACK) * (next_rand() % NSTACK) / NSTACK];

		t[th] += 1003009 + next_rand() % 2000;
		profile_add_sample(p, t[th], 1000 + th, s, 1003009 + next_rand() % 5000, 0);
	}
	for (int i = 0; i < 1000; i++)
		profile_add_memory(p, (uint64_t)i * 100000000, 0, (uint64_t)(100 + i) << 20,
				   (uint64_t)(500 + i) << 20);
	p->meta.command = profile_str(p, "/usr/bin/bench --synthetic");
	p->meta.freq = 997;
	p->meta.duration_ns = t[0];
	return p;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	bool own_file = argc <= 2 || !strcmp(argv[2], "-");
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	char path[4096], err[512];
	const char *tmp = getenv("TMPDIR");
	struct profile *p;
	double t0, t1, c0, c1;
	struct stat st;

	if (rounds < 1)
		rounds = 1;
	if (!own_file)
		snprintf(path, sizeof(path), "%s", argv[2]);
	else
		snprintf(path, sizeof(path), "%s/session-bench-%d.proftop", tmp ? tmp : "/tmp",
			 (int)getpid());
	p = synthetic(n);
	t0 = now_s();
	c0 = cpu_s();
	if (session_save(p, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "session-bench: %s\n", err);
		return 1;
	}
	t1 = now_s();
	c1 = cpu_s();
	stat(path, &st);
	printf("samples %zu stacks %zu bytes %lld bytes_per_sample %.1f save_s %.4f save_cpu_s %.4f\n",
	       p->nsamples, p->nstacks, (long long)st.st_size, (double)st.st_size / (double)n,
	       t1 - t0, c1 - c0);
	fflush(stdout);
	for (int i = 0; i < rounds; i++) {
		struct profile *q;

		t0 = now_s();
		c0 = cpu_s();
		q = session_load(path, NULL, err, sizeof(err));
		t1 = now_s();
		c1 = cpu_s();
		if (!q) {
			fprintf(stderr, "session-bench: %s\n", err);
			return 1;
		}
		if (q->nsamples != p->nsamples || q->total_weight != p->total_weight) {
			fprintf(stderr, "session-bench: the reopened session differs\n");
			return 1;
		}
		printf("load_s %.4f load_cpu_s %.4f\n", t1 - t0, c1 - c0);
		fflush(stdout);
		profile_free(q);
	}
	if (own_file)
		unlink(path);
	profile_free(p);
	return 0;
}
