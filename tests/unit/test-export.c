/* The exporters on a hand-built profile with known stacks: inline frames,
 * recursion, two threads, an empty stack and a C++ name holding ';' and ','.
 * folded is checked line for line; pprof is decoded (gunzip + a small
 * protobuf reader) and speedscope and callgrind are parsed, then checked
 * against the known counts. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "export.h"
#include "profile.h"

#define MS	  1000000ull
#define CXX_NAME  "weird;name(int, char)"
#define TID_MAIN  100
#define TID_OTHER 101

/* ---- the profile ----
 * tid 100 (1 ms a sample):  6  main:12 > compute:22
 *                           1  main:12 > compute:25
 *                           3  main:12 > compute:24 > helper:6 (inlined into compute)
 *                           1  no frame at all
 * tid 101 (2 ms a sample):  4  main:12 > compute:23 > weird;name (libfoo.so)
 *                           2  main:14 > recurse:33 > recurse:33 > recurse:31
 * 17 samples, 23 ms. */
struct fx {
	struct profile *p;
	uint32_t mainf, compute, helper, recurse, cxx;
	char *out;
	size_t len;
	char dir[64];
};

static uint32_t loc(struct profile *p, uint32_t mod, uint32_t fn, const char *file, int line)
{
	struct prof_line l = {fn, profile_str(p, file), line};

	return profile_intern_location(p, mod, 0x1000 + 0x10 * p->nlocations, &l, 1);
}

static void add(struct profile *p, int32_t tid, uint32_t stack, int n, uint64_t w)
{
	for (int i = 0; i < n; i++)
		profile_add_sample(p, p->nsamples * MS, tid, stack, w, 0);
}

static void build(struct fx *f)
{
	struct profile *p = profile_new();
	uint32_t prog = profile_intern_module(p, "/opt/bin/workload", "0123abcd");
	uint32_t lib = profile_intern_module(p, "/usr/lib/libfoo.so", NULL);
	const char *wc = "/src/work.c";
	uint32_t m12, m14, inl, r33;
	struct prof_line chain[2];

	f->p = p;
	f->mainf = profile_intern_function(p, "main", "main", wc, 10, prog);
	f->compute = profile_intern_function(p, "compute", "compute", wc, 20, prog);
	f->helper = profile_intern_function(p, "helper", "helper", "/src/work.h", 5, prog);
	f->recurse = profile_intern_function(p, "recurse", "recurse", wc, 30, prog);
	f->cxx = profile_intern_function(p, CXX_NAME, "_Z5weirdic", NULL, 0, lib);
	p->functions[f->compute].calls = 1000;

	m12 = loc(p, prog, f->mainf, wc, 12);
	m14 = loc(p, prog, f->mainf, wc, 14);
	chain[0] = (struct prof_line){f->helper, profile_str(p, "/src/work.h"), 6};
	chain[1] = (struct prof_line){f->compute, profile_str(p, wc), 24};
	inl = profile_intern_location(p, prog, 0x9000, chain, 2);
	r33 = loc(p, prog, f->recurse, wc, 33);

	add(p, TID_MAIN,
	    profile_intern_stack(p, (uint32_t[]){loc(p, prog, f->compute, wc, 22), m12}, 2), 6, MS);
	add(p, TID_OTHER,
	    profile_intern_stack(p,
				 (uint32_t[]){loc(p, lib, f->cxx, NULL, 0),
					      loc(p, prog, f->compute, wc, 23), m12},
				 3),
	    4, 2 * MS);
	add(p, TID_MAIN, profile_intern_stack(p, (uint32_t[]){inl, m12}, 2), 3, MS);
	add(p, TID_OTHER,
	    profile_intern_stack(p, (uint32_t[]){loc(p, prog, f->recurse, wc, 31), r33, r33, m14},
				 4),
	    2, 2 * MS);
	add(p, TID_MAIN,
	    profile_intern_stack(p, (uint32_t[]){loc(p, prog, f->compute, wc, 25), m12}, 2), 1, MS);
	add(p, TID_MAIN, 0, 1, MS);

	profile_set_thread(p, TID_MAIN, TID_MAIN, "work");
	profile_set_thread(p, TID_OTHER, TID_MAIN, "worker-1");
	p->meta.command = profile_str(p, "./workload --run");
	p->meta.pid = TID_MAIN;
	p->meta.freq = 1000;
	p->meta.start_realtime = 1700000000;
	p->meta.duration_ns = 2000 * MS;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	build(f);
	strcpy(f->dir, "/tmp/test-export-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char *cmd;

	if (asprintf(&cmd, "rm -rf '%s'", f->dir) > 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", f->dir);
		free(cmd);
	}
	profile_free(f->p);
	free(f->out);
	free(f);
	return 0;
}

/* Run one format's writer into f->out. */
static void render(struct fx *f, const char *format, const struct export_opts *o)
{
	const struct export_format *fmt = export_find(format);
	char err[256] = "";
	FILE *mem;

	assert_non_null(fmt);
	free(f->out);
	f->out = NULL;
	mem = open_memstream(&f->out, &f->len);
	assert_non_null(mem);
	if (fmt->write(mem, f->p, o, err, sizeof(err)) != 0)
		fail_msg("%s export failed: %s", format, err);
	assert_int_equal(fclose(mem), 0);
}

static void expect_text(const char *what, const char *expected, const char *seen)
{
	if (strcmp(expected, seen) != 0)
		fail_msg("%s:\n--- expected ---\n%s--- seen ---\n%s", what, expected, seen);
}

/* ---- the table ---- */

static void test_table(void **state)
{
	static const char *const names[] = {"folded", "speedscope", "pprof", "callgrind"};
	enum export_weight w = EXPORT_WEIGHT_SAMPLES;
	size_t n = 0;

	(void)state;
	for (; export_table[n]; n++) {
		assert_string_equal(export_table[n]->name, names[n]);
		assert_non_null(export_table[n]->description);
		assert_non_null(export_table[n]->write);
		assert_ptr_equal(export_find(names[n]), export_table[n]);
	}
	assert_int_equal(n, 4);
	assert_null(export_find("svg"));
	assert_null(export_find(NULL));
	assert_true(export_find("pprof")->binary);
	assert_false(export_find("folded")->binary);
	assert_int_equal(export_parse_weight("ns", &w), 0);
	assert_int_equal(w, EXPORT_WEIGHT_NS);
	assert_int_equal(export_parse_weight("samples", &w), 0);
	assert_int_equal(w, EXPORT_WEIGHT_SAMPLES);
	assert_int_equal(export_parse_weight("bytes", &w), 0);
	assert_int_equal(w, EXPORT_WEIGHT_BYTES);
	assert_true(export_find("pprof")->memory);
	assert_true(export_find("callgrind")->memory);
	assert_false(export_find("folded")->memory);
	assert_int_equal(export_parse_weight("bogus", &w), -1);
}

/* ---- folded ---- */

static void test_folded_samples(void **state)
{
	struct fx *f = *state;

	render(f, "folded", NULL);
	expect_text("folded stacks (samples)",
		    "[unknown] 1\n"
		    "main;compute 7\n"
		    "main;compute;helper 3\n"
		    "main;compute;weird:name(int, char) 4\n"
		    "main;recurse;recurse;recurse 2\n",
		    f->out);
}

static void test_folded_ns_and_filter(void **state)
{
	struct fx *f = *state;
	struct export_opts o = {.weight = EXPORT_WEIGHT_NS};

	render(f, "folded", &o);
	expect_text("folded stacks (ns)",
		    "[unknown] 1000000\n"
		    "main;compute 7000000\n"
		    "main;compute;helper 3000000\n"
		    "main;compute;weird:name(int, char) 8000000\n"
		    "main;recurse;recurse;recurse 4000000\n",
		    f->out);
	o.weight = EXPORT_WEIGHT_SAMPLES;
	o.filter.tid = TID_OTHER;
	render(f, "folded", &o);
	expect_text("folded stacks of tid 101",
		    "main;compute;weird:name(int, char) 4\n"
		    "main;recurse;recurse;recurse 2\n",
		    f->out);
	/* Samples 0..5 are the first stack, at 0..5 ms. */
	o.filter.tid = 0;
	o.filter.t_from = 1 * MS;
	o.filter.t_to = 4 * MS;
	render(f, "folded", &o);
	expect_text("folded stacks of [1 ms, 4 ms)", "main;compute 3\n", f->out);
}

/* ---- speedscope: a tiny reader for the JSON we write ---- */

/* Parse the array of numbers at s ("[1,2,3]"); returns the count, *end after ']'. */
static size_t json_numbers(const char *s, uint64_t *v, size_t max, const char **end)
{
	size_t n = 0;

	assert_int_equal(*s, '[');
	s++;
	while (*s != ']') {
		char *e;
		uint64_t x = strtoull(s, &e, 10);

		if (e == s)
			fail_msg("not a number in a speedscope array: %.20s", s);
		if (n < max)
			v[n] = x;
		n++;
		s = e;
		if (*s == ',')
			s++;
	}
	*end = s + 1;
	return n;
}

static void test_speedscope(void **state)
{
	struct fx *f = *state;
	const char *s, *e;
	size_t nframes = 0, nprof = 0;
	uint64_t totals[2] = {0, 0};

	render(f, "speedscope", NULL);
	assert_non_null(strstr(
		f->out, "\"$schema\":\"https://www.speedscope.app/file-format-schema.json\""));
	assert_non_null(strstr(f->out, "\"exporter\":\"proftop " PACKAGE_VERSION "\""));
	/* The busier thread (101: 12 ms against 11 ms) is shown first. */
	assert_non_null(strstr(f->out, "\"activeProfileIndex\":1"));
	assert_non_null(strstr(f->out, "\"name\":\"work (100)\""));
	assert_non_null(strstr(f->out, "\"name\":\"worker-1 (101)\""));
	assert_non_null(strstr(f->out, "{\"name\":\"" CXX_NAME "\"}"));
	assert_non_null(
		strstr(f->out, "{\"name\":\"helper\",\"file\":\"/src/work.h\",\"line\":5}"));
	assert_non_null(strstr(f->out, "{\"name\":\"[unknown]\"}"));

	for (s = strstr(f->out, "\"frames\":["); s && (s = strstr(s, "{\"name\":")); s++)
		nframes++;
	assert_int_equal(nframes, 6); /* main compute helper weird recurse [unknown] */

	for (s = f->out; (s = strstr(s, "\"type\":\"sampled\"")); nprof++) {
		uint64_t stack[16], w[64], sum = 0;
		size_t nsamples = 0, nw, i, k;

		assert_true(nprof < 2);
		assert_non_null(strstr(s, "\"unit\":\"nanoseconds\""));
		s = strstr(s, "\"samples\":[");
		assert_non_null(s);
		s += strlen("\"samples\":[");
		while (*s == '[') {
			size_t depth = json_numbers(s, stack, 16, &e);

			assert_true(depth >= 1 && depth <= 16);
			for (k = 0; k < depth; k++)
				assert_true(stack[k] < nframes);
			nsamples++;
			s = *e == ',' ? e + 1 : e;
		}
		s = strstr(s, "\"weights\":");
		assert_non_null(s);
		nw = json_numbers(s + strlen("\"weights\":"), w, 64, &e);
		assert_int_equal(nw, nsamples);
		for (i = 0; i < nw; i++)
			sum += w[i];
		totals[nprof] = sum;
		s = e;
	}
	assert_int_equal(nprof, 2);
	assert_int_equal(totals[0], 11 * MS); /* tid 100 */
	assert_int_equal(totals[1], 12 * MS); /* tid 101 */
	/* endValue - startValue spans the thread's time. */
	assert_non_null(strstr(f->out, "\"startValue\":0,\"endValue\":11000000"));
	assert_non_null(strstr(f->out, "\"startValue\":0,\"endValue\":12000000"));
}

/* ---- pprof: gunzip and a small protobuf reader ---- */

static uint8_t *gunzip(const char *in, size_t len, size_t *outlen)
{
	z_stream zs = {0};
	size_t cap = 1 << 16;
	uint8_t *out = malloc(cap);
	int rc;

	assert_true(len >= 2 && (uint8_t)in[0] == 0x1f && (uint8_t)in[1] == 0x8b);
	assert_int_equal(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	do {
		if (zs.total_out == cap)
			out = realloc(out, cap *= 2);
		zs.next_out = out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
	} while (rc == Z_OK);
	assert_int_equal(rc, Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return out;
}

struct pbr {
	const uint8_t *p, *end;
};

static uint64_t rd_varint(struct pbr *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		assert_true(r->p < r->end);
		v |= (uint64_t)(*r->p & 0x7f) << shift;
		if (!(*r->p++ & 0x80))
			return v;
	}
	fail_msg("varint too long");
	return 0;
}

/* Next field: its number, and either its varint value or its bytes in sub. */
static bool rd_field(struct pbr *r, unsigned *field, uint64_t *v, struct pbr *sub)
{
	uint64_t tag, len;

	if (r->p >= r->end)
		return false;
	tag = rd_varint(r);
	*field = (unsigned)(tag >> 3);
	switch (tag & 7) {
	case 0:
		*v = rd_varint(r);
		sub->p = sub->end = NULL;
		return true;
	case 2:
		len = rd_varint(r);
		assert_true(len <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + len;
		r->p += len;
		return true;
	default:
		fail_msg("unexpected wire type %u", (unsigned)(tag & 7));
		return false;
	}
}

/* A repeated integer, packed (sub set) or not: append to v. */
static void rd_ints(uint64_t v, const struct pbr *sub, uint64_t *out, size_t *n, size_t max)
{
	if (!sub->p) {
		assert_true(*n < max);
		out[(*n)++] = v;
		return;
	}
	for (struct pbr r = *sub; r.p < r.end;) {
		assert_true(*n < max);
		out[(*n)++] = rd_varint(&r);
	}
}

#define MAXN 64

struct pp_line {
	uint64_t fn, line;
};
struct pp_loc {
	uint64_t id, mapping, address;
	struct pp_line lines[4];
	size_t nlines;
};
struct pp_fn {
	uint64_t id, name, sysname, file, start;
};
struct pp_map {
	uint64_t id, file, build_id;
	bool has_functions;
};
struct pp_sample {
	uint64_t locs[16], values[8];
	size_t nlocs, nvalues;
	uint64_t tid;
	uint64_t thread_name;
};
struct pp {
	char *strings[MAXN];
	size_t nstrings;
	struct pp_sample samples[MAXN];
	size_t nsamples;
	struct pp_loc locs[MAXN];
	size_t nlocs;
	struct pp_fn fns[MAXN];
	size_t nfns;
	struct pp_map maps[MAXN];
	size_t nmaps;
	uint64_t types[8][2];
	size_t ntypes;
	uint64_t period, period_type[2], time_nanos, duration, default_type;
	size_t ncomments;
};

static void rd_value_type(struct pbr r, uint64_t out[2])
{
	unsigned field;
	uint64_t v;
	struct pbr sub;

	while (rd_field(&r, &field, &v, &sub))
		if (field == 1 || field == 2)
			out[field - 1] = v;
}

static void rd_sample(struct pbr r, struct pp_sample *s)
{
	unsigned field, lf;
	uint64_t v, lv, key = 0, num = 0, str = 0;
	struct pbr sub, lsub;

	while (rd_field(&r, &field, &v, &sub)) {
		if (field == 1)
			rd_ints(v, &sub, s->locs, &s->nlocs, 16);
		else if (field == 2)
			rd_ints(v, &sub, s->values, &s->nvalues, 8);
		else if (field == 3) {
			key = num = str = 0;
			while (rd_field(&sub, &lf, &lv, &lsub)) {
				if (lf == 1)
					key = lv;
				else if (lf == 2)
					str = lv;
				else if (lf == 3)
					num = lv;
			}
			(void)key;
			if (str)
				s->thread_name = str;
			else
				s->tid = num;
		}
	}
}

static void rd_location(struct pbr r, struct pp_loc *l)
{
	unsigned field, lf;
	uint64_t v, lv;
	struct pbr sub, lsub;

	while (rd_field(&r, &field, &v, &sub)) {
		if (field == 1)
			l->id = v;
		else if (field == 2)
			l->mapping = v;
		else if (field == 3)
			l->address = v;
		else if (field == 4) {
			struct pp_line *ln = &l->lines[l->nlines++];

			assert_true(l->nlines <= 4);
			while (rd_field(&sub, &lf, &lv, &lsub)) {
				if (lf == 1)
					ln->fn = lv;
				else if (lf == 2)
					ln->line = lv;
			}
		}
	}
}

static void rd_profile(const uint8_t *data, size_t len, struct pp *pp)
{
	struct pbr r = {data, data + len}, sub, s2;
	unsigned field, f2;
	uint64_t v, v2;

	memset(pp, 0, sizeof(*pp));
	while (rd_field(&r, &field, &v, &sub)) {
		switch (field) {
		case 1:
			assert_true(pp->ntypes < 8);
			rd_value_type(sub, pp->types[pp->ntypes++]);
			break;
		case 2:
			assert_true(pp->nsamples < MAXN);
			rd_sample(sub, &pp->samples[pp->nsamples++]);
			break;
		case 3: {
			struct pp_map *m = &pp->maps[pp->nmaps++];

			while (rd_field(&sub, &f2, &v2, &s2)) {
				if (f2 == 1)
					m->id = v2;
				else if (f2 == 5)
					m->file = v2;
				else if (f2 == 6)
					m->build_id = v2;
				else if (f2 == 7)
					m->has_functions = v2;
			}
			break;
		}
		case 4:
			assert_true(pp->nlocs < MAXN);
			rd_location(sub, &pp->locs[pp->nlocs++]);
			break;
		case 5: {
			struct pp_fn *fn = &pp->fns[pp->nfns++];
			uint64_t *slot[] = {NULL,	  &fn->id,   &fn->name,
					    &fn->sysname, &fn->file, &fn->start};

			while (rd_field(&sub, &f2, &v2, &s2))
				if (f2 >= 1 && f2 <= 5)
					*slot[f2] = v2;
			break;
		}
		case 6:
			assert_true(pp->nstrings < MAXN);
			pp->strings[pp->nstrings++] = strndup((const char *)sub.p, sub.end - sub.p);
			break;
		case 9:
			pp->time_nanos = v;
			break;
		case 10:
			pp->duration = v;
			break;
		case 11:
			rd_value_type(sub, pp->period_type);
			break;
		case 12:
			pp->period = v;
			break;
		case 13:
			pp->ncomments++;
			break;
		case 14:
			pp->default_type = v;
			break;
		default:
			fail_msg("unexpected Profile field %u", field);
		}
	}
}

static const char *pp_s(const struct pp *pp, uint64_t i)
{
	if (i >= pp->nstrings)
		fail_msg("string index %" PRIu64 " out of %zu", i, pp->nstrings);
	return pp->strings[i];
}

static const struct pp_fn *pp_fn(const struct pp *pp, uint64_t id)
{
	for (size_t i = 0; i < pp->nfns; i++)
		if (pp->fns[i].id == id)
			return &pp->fns[i];
	fail_msg("no function %" PRIu64, id);
	return NULL;
}

static const struct pp_loc *pp_loc(const struct pp *pp, uint64_t id)
{
	for (size_t i = 0; i < pp->nlocs; i++)
		if (pp->locs[i].id == id)
			return &pp->locs[i];
	fail_msg("no location %" PRIu64, id);
	return NULL;
}

static void test_pprof(void **state)
{
	struct fx *f = *state;
	uint64_t count = 0, ns = 0, tid100 = 0;
	bool saw_inline = false, saw_cxx = false;
	struct pp *pp = calloc(1, sizeof(*pp));
	size_t len, i, j;
	uint8_t *raw;

	render(f, "pprof", NULL);
	raw = gunzip(f->out, f->len, &len);
	rd_profile(raw, len, pp);

	assert_true(pp->nstrings > 0);
	assert_string_equal(pp_s(pp, 0), "");
	assert_int_equal(pp->ntypes, 2);
	assert_string_equal(pp_s(pp, pp->types[0][0]), "samples");
	assert_string_equal(pp_s(pp, pp->types[0][1]), "count");
	assert_string_equal(pp_s(pp, pp->types[1][0]), "cpu");
	assert_string_equal(pp_s(pp, pp->types[1][1]), "nanoseconds");
	assert_string_equal(pp_s(pp, pp->period_type[0]), "cpu");
	assert_string_equal(pp_s(pp, pp->period_type[1]), "nanoseconds");
	assert_int_equal(pp->period, 1000000); /* 1e9 / 1000 Hz */
	assert_int_equal(pp->time_nanos, 1700000000ull * 1000000000ull);
	assert_int_equal(pp->duration, 2000 * MS);
	assert_string_equal(pp_s(pp, pp->default_type), "cpu");
	assert_int_equal(pp->ncomments, 2);

	/* Mappings: the program first (named like the command), with its build id. */
	assert_int_equal(pp->nmaps, 2);
	assert_string_equal(pp_s(pp, pp->maps[0].file), "/opt/bin/workload");
	assert_string_equal(pp_s(pp, pp->maps[0].build_id), "0123abcd");
	assert_true(pp->maps[0].has_functions);
	assert_string_equal(pp_s(pp, pp->maps[1].file), "/usr/lib/libfoo.so");
	assert_int_equal(pp->maps[1].build_id, 0);

	for (i = 0; i < pp->nsamples; i++) {
		const struct pp_sample *s = &pp->samples[i];

		assert_int_equal(s->nvalues, 2);
		count += s->values[0];
		ns += s->values[1];
		if (s->tid == TID_MAIN) {
			tid100 += s->values[0];
			assert_string_equal(pp_s(pp, s->thread_name), "work");
		} else {
			assert_int_equal(s->tid, TID_OTHER);
			assert_string_equal(pp_s(pp, s->thread_name), "worker-1");
		}
		for (j = 0; j < s->nlocs; j++) {
			const struct pp_loc *l = pp_loc(pp, s->locs[j]);

			assert_true(l->mapping == pp->maps[0].id || l->mapping == pp->maps[1].id);
			for (size_t k = 0; k < l->nlines; k++)
				pp_fn(pp, l->lines[k].fn);
		}
		/* Leaf first: the outermost location is main's. */
		if (s->nlocs) {
			const struct pp_loc *root = pp_loc(pp, s->locs[s->nlocs - 1]);

			assert_string_equal(pp_s(pp, pp_fn(pp, root->lines[0].fn)->name), "main");
		}
	}
	/* Aggregated per (stack, thread): 6 distinct stacks, 17 samples, 23 ms. */
	assert_int_equal(pp->nsamples, 6);
	assert_int_equal(count, 17);
	assert_int_equal(ns, 23 * MS);
	assert_int_equal(tid100, 11);

	for (i = 0; i < pp->nlocs; i++) {
		const struct pp_loc *l = &pp->locs[i];

		if (l->nlines == 2) {
			/* Innermost first: helper:6 inlined into compute at line 24. */
			assert_string_equal(pp_s(pp, pp_fn(pp, l->lines[0].fn)->name), "helper");
			assert_int_equal(l->lines[0].line, 6);
			assert_string_equal(pp_s(pp, pp_fn(pp, l->lines[1].fn)->name), "compute");
			assert_int_equal(l->lines[1].line, 24);
			assert_int_equal(l->address, 0x9000);
			saw_inline = true;
		}
	}
	for (i = 0; i < pp->nfns; i++) {
		if (!strcmp(pp_s(pp, pp->fns[i].name), CXX_NAME)) {
			assert_string_equal(pp_s(pp, pp->fns[i].sysname), "_Z5weirdic");
			saw_cxx = true;
		}
		if (!strcmp(pp_s(pp, pp->fns[i].name), "helper")) {
			assert_string_equal(pp_s(pp, pp->fns[i].file), "/src/work.h");
			assert_int_equal(pp->fns[i].start, 5);
		}
	}
	assert_true(saw_inline);
	assert_true(saw_cxx);
	assert_int_equal(pp->nfns, 5);

	for (i = 0; i < pp->nstrings; i++)
		free(pp->strings[i]);
	free(pp);
	free(raw);
}

/* ---- callgrind: parse cost lines back ---- */

struct cg_edge {
	char caller[64], callee[64];
	int line;
	uint64_t calls, cost, bytes;
};

struct cg_parsed {
	char names[64][64]; /* fn compression table */
	uint64_t self[8], self_bytes[8];
	char self_fn[8][64];
	size_t nself;
	struct cg_edge edges[16];
	size_t nedges;
	uint64_t summary, total_self;
	/* the AllocBytes and Allocs events, when there */
	uint64_t summary_bytes, summary_allocs, total_self_bytes, total_self_allocs;
	bool events_ok;
};

static const char *cg_uncompress(struct cg_parsed *c, const char *v)
{
	char *end;
	long id;

	assert_int_equal(*v, '(');
	id = strtol(v + 1, &end, 10);
	assert_true(id >= 0 && id < 64 && *end == ')');
	if (end[1] == ' ')
		snprintf(c->names[id], sizeof(c->names[id]), "%s", end + 2);
	return c->names[id];
}

static void cg_parse(char *text, struct cg_parsed *c, const char *event)
{
	char fn[64] = "", cfn[64] = "", *line, *save;
	uint64_t calls = 0;
	bool pending = false, body = false;
	char expect_events[64];

	snprintf(expect_events, sizeof(expect_events), "events: %s", event);
	memset(c, 0, sizeof(*c));
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (!body) {
			if (!strcmp(line, expect_events))
				c->events_ok = body = true;
			continue;
		}
		if (!strncmp(line, "summary: ", 9)) {
			char *e;

			c->summary = strtoull(line + 9, &e, 10);
			c->summary_bytes = strtoull(e, &e, 10);
			c->summary_allocs = strtoull(e, NULL, 10);
		} else if (!strncmp(line, "fn=", 3)) {
			snprintf(fn, sizeof(fn), "%s", cg_uncompress(c, line + 3));
		} else if (!strncmp(line, "cfn=", 4)) {
			snprintf(cfn, sizeof(cfn), "%s", cg_uncompress(c, line + 4));
		} else if (!strncmp(line, "calls=", 6)) {
			calls = strtoull(line + 6, NULL, 10);
			pending = true;
		} else if (line[0] >= '0' && line[0] <= '9') {
			char *e;
			int ln = (int)strtol(line, &e, 10);
			uint64_t cost = strtoull(e, &e, 10);
			uint64_t bytes = strtoull(e, &e, 10);
			uint64_t allocs = strtoull(e, NULL, 10);

			if (pending) {
				struct cg_edge *ed = &c->edges[c->nedges++];

				assert_true(c->nedges <= 16);
				snprintf(ed->caller, sizeof(ed->caller), "%s", fn);
				snprintf(ed->callee, sizeof(ed->callee), "%s", cfn);
				ed->line = ln;
				ed->calls = calls;
				ed->cost = cost;
				ed->bytes = bytes;
				pending = false;
			} else {
				size_t k;

				for (k = 0; k < c->nself && strcmp(c->self_fn[k], fn); k++)
					;
				if (k == c->nself) {
					assert_true(c->nself < 8);
					snprintf(c->self_fn[c->nself++], 64, "%s", fn);
				}
				c->self[k] += cost;
				c->total_self += cost;
				c->self_bytes[k] += bytes;
				c->total_self_bytes += bytes;
				c->total_self_allocs += allocs;
			}
		}
	}
}

static uint64_t cg_self(const struct cg_parsed *c, const char *fn)
{
	for (size_t k = 0; k < c->nself; k++)
		if (!strcmp(c->self_fn[k], fn))
			return c->self[k];
	return 0;
}

static const struct cg_edge *cg_edge(const struct cg_parsed *c, const char *from, const char *to,
				     int line)
{
	for (size_t k = 0; k < c->nedges; k++)
		if (!strcmp(c->edges[k].caller, from) && !strcmp(c->edges[k].callee, to) &&
		    c->edges[k].line == line)
			return &c->edges[k];
	fail_msg("no call edge %s:%d -> %s", from, line, to);
	return NULL;
}

static void test_callgrind(void **state)
{
	struct fx *f = *state;
	struct cg_parsed *c = calloc(1, sizeof(*c));
	struct export_opts o = {.weight = EXPORT_WEIGHT_NS};
	const struct cg_edge *e;

	render(f, "callgrind", NULL);
	assert_int_equal(strncmp(f->out, "# callgrind format\nversion: 1\ncreator: proftop ", 47),
			 0);
	assert_non_null(strstr(f->out, "\ncmd: ./workload --run\n"));
	assert_non_null(strstr(f->out, "\npositions: line\n"));
	assert_non_null(strstr(f->out, "desc: calls= counts are numbers of samples"));
	cg_parse(f->out, c, "Samples");
	assert_true(c->events_ok);
	assert_int_equal(c->summary, 17);
	assert_int_equal(c->total_self, 17);
	assert_int_equal(cg_self(c, "compute"), 7);
	assert_int_equal(cg_self(c, "helper"), 3);
	assert_int_equal(cg_self(c, CXX_NAME), 4);
	assert_int_equal(cg_self(c, "recurse"), 2);
	assert_int_equal(cg_self(c, "[unknown]"), 1);
	assert_int_equal(cg_self(c, "main"), 0);

	/* compute has an exact count and one caller: calls= carries it. */
	e = cg_edge(c, "main", "compute", 12);
	assert_int_equal(e->cost, 14);
	assert_int_equal(e->calls, 1000);
	e = cg_edge(c, "main", "recurse", 14);
	assert_int_equal(e->cost, 2);
	assert_int_equal(e->calls, 2);
	/* Recursion: the edge counts once per sample, not once per frame. */
	e = cg_edge(c, "recurse", "recurse", 33);
	assert_int_equal(e->cost, 2);
	assert_int_equal(e->calls, 2);
	/* The inlined helper is called from the line it was inlined at. */
	e = cg_edge(c, "compute", "helper", 24);
	assert_int_equal(e->cost, 3);
	e = cg_edge(c, "compute", CXX_NAME, 23);
	assert_int_equal(e->cost, 4);
	assert_int_equal(c->nedges, 5);

	render(f, "callgrind", &o);
	cg_parse(f->out, c, "ns");
	assert_true(c->events_ok);
	assert_int_equal(c->summary, 23 * MS);
	assert_int_equal(c->total_self, 23 * MS);
	assert_int_equal(cg_edge(c, "main", "compute", 12)->cost, 18 * MS);
	free(c);
}

/* ---- writing files ---- */

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;
	FILE *mem = open_memstream(&buf, &n);
	int ch;

	if (!fp)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	while ((ch = getc(fp)) != EOF)
		putc(ch, mem);
	fclose(fp);
	fclose(mem);
	if (len)
		*len = n;
	return buf;
}

static size_t count_entries(const char *dir)
{
	char *cmd, buf[32] = "";
	FILE *p;

	assert_true(asprintf(&cmd, "ls -A '%s' | wc -l", dir) > 0);
	p = popen(cmd, "r");
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	free(cmd);
	return strtoul(buf, NULL, 10);
}

static void test_to_file(void **state)
{
	struct fx *f = *state;
	char path[128], bad[160], err[256];
	struct stat st;
	mode_t mask;
	char *text;

	snprintf(path, sizeof(path), "%s/out.folded", f->dir);
	assert_int_equal(export_to_file(export_find("folded"), path, f->p, NULL, err, sizeof(err)),
			 0);
	text = slurp(path, NULL);
	render(f, "folded", NULL);
	expect_text("the exported file", f->out, text);
	free(text);
	assert_int_equal(stat(path, &st), 0);
	mask = umask(0);
	umask(mask);
	(void)mask;
	assert_int_equal(st.st_mode & 0777, 0600); /* whatever the umask: only the caller reads it */
	assert_int_equal(count_entries(f->dir), 1);	   /* no temporary left */

	/* A directory that does not exist: one line naming it. */
	snprintf(bad, sizeof(bad), "%s/missing/out.folded", f->dir);
	assert_int_equal(export_to_file(export_find("folded"), bad, f->p, NULL, err, sizeof(err)),
			 -1);
	if (!strstr(err, bad) || !strstr(err, "does not exist") || strchr(err, '\n'))
		fail_msg("expected a one-line error naming %s, seen: %s", bad, err);

	/* A directory given as the output. */
	assert_int_equal(
		export_to_file(export_find("folded"), f->dir, f->p, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is a directory"));

	/* Nothing passes the filter: an error, and no file. */
	{
		struct export_opts o = {.filter = {.tid = 999}};

		snprintf(bad, sizeof(bad), "%s/empty.folded", f->dir);
		assert_int_equal(
			export_to_file(export_find("folded"), bad, f->p, &o, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "nothing to export"));
		assert_int_equal(count_entries(f->dir), 1);
	}
}

/* Nothing but a regular file of the caller is replaced: a device (renaming
 * over /dev/null would replace it) and a symbolic link (which another user
 * may have planted) are refused, and both stay as they were. */
static void test_to_special(void **state)
{
	struct fx *f = *state;
	char real[128], link[128], err[256];
	struct stat st;
	char *text;

	assert_int_equal(
		export_to_file(export_find("callgrind"), "/dev/null", f->p, NULL, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "character device"));
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));

	snprintf(real, sizeof(real), "%s/real.folded", f->dir);
	snprintf(link, sizeof(link), "%s/link.folded", f->dir);
	{
		FILE *fp = fopen(real, "w");

		fputs("old\n", fp);
		fclose(fp);
	}
	assert_int_equal(symlink("real.folded", link), 0);
	assert_int_equal(export_to_file(export_find("folded"), link, f->p, NULL, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	text = slurp(real, NULL);
	expect_text("the file behind the link", "old\n", text);
	free(text);
	assert_int_equal(count_entries(f->dir), 2);
}

/* A write that fails half way (the file size limit stands in for a full
 * disk) leaves the old file untouched and no temporary behind. */
static void test_to_file_failure(void **state)
{
	struct fx *f = *state;
	char path[128], err[256] = "";
	int fds[2], status;
	char *before, *after;
	pid_t pid;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/keep.speedscope.json", f->dir);
	{
		FILE *fp = fopen(path, "w");

		fputs("old contents\n", fp);
		fclose(fp);
	}
	before = slurp(path, NULL);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = {100, 100};
		int rc;

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		rc = export_to_file(export_find("speedscope"), path, f->p, NULL, err, sizeof(err));
		if (write(fds[1], err, strlen(err)) < 0)
			_exit(3);
		_exit(rc == -1 ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], err, sizeof(err) - 1);
	close(fds[0]);
	err[n > 0 ? n : 0] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("expected the export to fail under a 100-byte file size limit; err: %s",
			 err);
	if (!strstr(err, path) || !strstr(err, "too large"))
		fail_msg("expected 'cannot write %s: File too large', seen: %s", path, err);
	after = slurp(path, NULL);
	expect_text("the old file after a failed export", before, after);
	assert_int_equal(count_entries(f->dir), 1);
	free(before);
	free(after);
}

static void test_empty_profile(void **state)
{
	struct profile *p = profile_new();
	char err[256];
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	/* The writers themselves cope with nothing; export_to_file refuses. */
	for (size_t i = 0; export_table[i]; i++) {
		FILE *mem = open_memstream(&buf, &len);

		assert_int_equal(export_table[i]->write(mem, p, NULL, err, sizeof(err)), 0);
		fclose(mem);
		free(buf);
		buf = NULL;
	}
	assert_int_equal(
		export_to_file(export_find("pprof"), "/nonexistent/x", p, NULL, err, sizeof(err)),
		-1);
	assert_non_null(strstr(err, "holds no samples"));
	profile_free(p);
}

/* ---- memory records ---- */

#define MAKE_BUF_BYTES 3000
#define LIVE_BYTES     (1000 + (1 << 20))	       /* live at the end */
#define ALLOC_BYTES    (1000 + 500 + (1 << 20) + 3000) /* heap and mmap */

/* Allocations on the fixture's stacks and on one stack no sample has
 * (main:12 > make_buf:41), and a page fault, which exports leave out:
 *   tid 100  main > compute:22    1000 B (2 allocations, live), 500 B (freed at 5 ms)
 *   tid 101  main > compute > weird;name   1 MiB mmap (live)
 *   tid 101  main > make_buf       3000 B (3 allocations, freed at 1 ms)
 *   tid 100  main > compute:22    8 KiB of pages faulted */
static void add_allocs(struct fx *f)
{
	struct profile *p = f->p;
	uint32_t prog = p->functions[f->mainf].module;
	uint32_t make_buf =
		profile_intern_function(p, "make_buf", "make_buf", "/src/work.c", 40, prog);
	uint32_t s_compute = p->samples[0].stack, s_cxx = p->samples[6].stack;
	uint32_t m12 = p->stacks[s_compute].parent;
	uint32_t s_buf = profile_intern_stack(
		p, (uint32_t[]){loc(p, prog, make_buf, "/src/work.c", 41), p->stacks[m12].location},
		2);
	const struct prof_alloc recs[] = {
		{.time = MS / 2,
		 .size = 500,
		 .bytes = 1000,
		 .allocs = 2,
		 .stack = s_compute,
		 .tid = TID_MAIN,
		 .kind = PROF_ALLOC_HEAP},
		{.time = 1 * MS,
		 .size = 500,
		 .bytes = 500,
		 .allocs = 1,
		 .stack = s_compute,
		 .tid = TID_MAIN,
		 .kind = PROF_ALLOC_HEAP},
		{.time = 2 * MS,
		 .size = 1 << 20,
		 .bytes = 1 << 20,
		 .allocs = 1,
		 .stack = s_cxx,
		 .tid = TID_OTHER,
		 .kind = PROF_ALLOC_MMAP},
		{.time = MS / 5,
		 .size = 1000,
		 .bytes = MAKE_BUF_BYTES,
		 .allocs = 3,
		 .stack = s_buf,
		 .tid = TID_OTHER,
		 .kind = PROF_ALLOC_HEAP},
		{.time = MS / 10,
		 .size = 8192,
		 .bytes = 8192,
		 .allocs = 0,
		 .stack = s_compute,
		 .tid = TID_MAIN,
		 .kind = PROF_ALLOC_FAULT},
	};

	for (size_t i = 0; i < sizeof(recs) / sizeof(*recs); i++) {
		struct prof_alloc a = recs[i];

		a.free_time = PROF_ALLOC_LIVE;
		profile_add_alloc(p, &a);
	}
	profile_alloc_freed(p, 1, 5 * MS);
	profile_alloc_freed(p, 3, 1 * MS);
	p->meta.alloc_sample = 1;
}

/* "proftop VERSION" as "<PROFTOP>" (in pprof, with the string's length
 * byte), so that the files below do not depend on the version. */
static size_t normalize(char *buf, size_t len, bool binary)
{
	const char *needle = "proftop " PACKAGE_VERSION, *token = "<PROFTOP>";
	size_t nl = strlen(needle), tl = strlen(token), o = 0;

	for (size_t i = 0; i < len;) {
		size_t at = binary ? i + 1 : i;

		if (at + nl <= len && !memcmp(buf + at, needle, nl) &&
		    (!binary || (unsigned char)buf[i] == nl)) {
			memcpy(buf + o, token, tl);
			o += tl;
			i = at + nl;
		} else {
			buf[o++] = buf[i++];
		}
	}
	return o;
}

static char *slurp(const char *path, size_t *len);

/* A profile without allocations (page faults are not exported) exports
 * byte for byte as proftop did before memory records: the files in
 * tests/data/export-cpu were written by that version from this fixture. */
static void test_cpu_only_unchanged(void **state)
{
	static const struct {
		const char *format, *file;
		enum export_weight weight;
	} cases[] = {
		{"folded", "samples.folded", EXPORT_WEIGHT_SAMPLES},
		{"folded", "ns.folded", EXPORT_WEIGHT_NS},
		{"speedscope", "speedscope.json", EXPORT_WEIGHT_SAMPLES},
		{"pprof", "pprof.pb", EXPORT_WEIGHT_SAMPLES},
		{"callgrind", "samples.callgrind", EXPORT_WEIGHT_SAMPLES},
		{"callgrind", "ns.callgrind", EXPORT_WEIGHT_NS},
	};
	struct fx *f = *state;
	const char *top = getenv("top_srcdir");
	struct prof_alloc fault = {.time = 1,
				   .free_time = PROF_ALLOC_LIVE,
				   .size = 4096,
				   .bytes = 4096,
				   .stack = f->p->samples[0].stack,
				   .tid = TID_MAIN,
				   .kind = PROF_ALLOC_FAULT};

	profile_add_alloc(f->p, &fault);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct export_opts o = {.weight = cases[i].weight};
		bool binary = !strcmp(cases[i].format, "pprof");
		char path[512], *want, *seen;
		size_t wlen, slen;

		snprintf(path, sizeof(path), "%s/tests/data/export-cpu/%s", top ? top : ".",
			 cases[i].file);
		want = slurp(path, &wlen);
		render(f, cases[i].format, &o);
		seen = binary ? (char *)gunzip(f->out, f->len, &slen) : f->out;
		if (!binary)
			slen = f->len;
		slen = normalize(seen, slen, binary);
		if (slen != wlen || memcmp(want, seen, wlen))
			fail_msg("%s (--weight %d) differs from %s (%zu bytes, expected %zu)%s%.*s",
				 cases[i].format, cases[i].weight, path, slen, wlen,
				 binary ? "" : "; seen:\n", binary ? 0 : (int)slen, seen);
		if (binary)
			free(seen);
		free(want);
	}
}

static void test_folded_bytes(void **state)
{
	struct fx *f = *state;
	struct export_opts o = {.weight = EXPORT_WEIGHT_BYTES};

	add_allocs(f);
	render(f, "folded", &o);
	expect_text("folded stacks (bytes allocated)",
		    "main;compute 1500\n"
		    "main;compute;weird:name(int, char) 1048576\n"
		    "main;make_buf 3000\n",
		    f->out);
	o.filter.tid = TID_OTHER;
	render(f, "folded", &o);
	expect_text("folded stacks of tid 101 (bytes allocated)",
		    "main;compute;weird:name(int, char) 1048576\n"
		    "main;make_buf 3000\n",
		    f->out);
	/* Allocated from 0.6 ms on: the 500 B block and the mmap. */
	o.filter.tid = 0;
	o.filter.t_from = MS * 6 / 10;
	render(f, "folded", &o);
	expect_text("folded stacks from 0.6 ms (bytes allocated)",
		    "main;compute 500\n"
		    "main;compute;weird:name(int, char) 1048576\n",
		    f->out);
	/* Samples are counted as before. */
	render(f, "folded", NULL);
	assert_non_null(strstr(f->out, "main;compute 7\n"));
	assert_null(strstr(f->out, "make_buf"));
}

static void test_speedscope_bytes(void **state)
{
	struct fx *f = *state;
	struct export_opts o = {.weight = EXPORT_WEIGHT_BYTES};

	add_allocs(f);
	render(f, "speedscope", &o);
	assert_null(strstr(f->out, "\"unit\":\"nanoseconds\""));
	assert_non_null(strstr(f->out, "\"name\":\"work (100)\",\"unit\":\"bytes\","
				       "\"startValue\":0,\"endValue\":1500"));
	assert_non_null(strstr(f->out, "\"name\":\"worker-1 (101)\",\"unit\":\"bytes\","
				       "\"startValue\":0,\"endValue\":1051576"));
	/* In the order allocated: tid 100's two blocks merge (same stack). */
	assert_non_null(strstr(f->out, "\"weights\":[1500]"));
	assert_non_null(strstr(f->out, "\"weights\":[1048576,3000]"));
	assert_non_null(
		strstr(f->out, "{\"name\":\"make_buf\",\"file\":\"/src/work.c\",\"line\":40}"));
}

static void pp_free(struct pp *pp)
{
	for (size_t i = 0; i < pp->nstrings; i++)
		free(pp->strings[i]);
	free(pp);
}

/* The sums of each value over pp's Samples. */
static void pp_sums(const struct pp *pp, uint64_t sums[6])
{
	memset(sums, 0, 6 * sizeof(*sums));
	for (size_t i = 0; i < pp->nsamples; i++) {
		assert_int_equal(pp->samples[i].nvalues, 6);
		for (size_t j = 0; j < 6; j++)
			sums[j] += pp->samples[i].values[j];
	}
}

static void test_pprof_memory(void **state)
{
	static const char *const types[6][2] = {
		{"samples", "count"},	  {"cpu", "nanoseconds"},     {"alloc_objects", "count"},
		{"alloc_space", "bytes"}, {"inuse_objects", "count"}, {"inuse_space", "bytes"},
	};
	struct fx *f = *state;
	struct pp *pp = calloc(1, sizeof(*pp));
	struct export_opts o = {0};
	uint64_t sums[6];
	bool saw_buf = false;
	uint8_t *raw;
	size_t len;

	add_allocs(f);
	render(f, "pprof", NULL);
	raw = gunzip(f->out, f->len, &len);
	rd_profile(raw, len, pp);
	free(raw);
	assert_int_equal(pp->ntypes, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(pp_s(pp, pp->types[i][0]), types[i][0]);
		assert_string_equal(pp_s(pp, pp->types[i][1]), types[i][1]);
	}
	/* CPU stays the default, as in a CPU profile. */
	assert_string_equal(pp_s(pp, pp->default_type), "cpu");
	/* Samples and allocations on one stack and thread share a Sample:
	 * the 6 of the samples, and make_buf's. */
	assert_int_equal(pp->nsamples, 7);
	pp_sums(pp, sums);
	assert_int_equal(sums[0], 17);
	assert_int_equal(sums[1], 23 * MS);
	assert_int_equal(sums[2], 7);
	assert_int_equal(sums[3], ALLOC_BYTES);
	assert_int_equal(sums[4], 3);
	assert_int_equal(sums[5], LIVE_BYTES);
	for (size_t i = 0; i < pp->nsamples; i++) {
		const struct pp_sample *s = &pp->samples[i];
		const struct pp_loc *leaf;

		if (!s->nlocs)
			continue; /* the sample without a frame */
		leaf = pp_loc(pp, s->locs[0]);
		if (strcmp(pp_s(pp, pp_fn(pp, leaf->lines[0].fn)->name), "make_buf"))
			continue;
		saw_buf = true;
		assert_int_equal(s->values[0], 0);
		assert_int_equal(s->values[1], 0);
		assert_int_equal(s->values[3], MAKE_BUF_BYTES);
		assert_int_equal(s->values[5], 0); /* freed */
		assert_int_equal(s->tid, TID_OTHER);
	}
	assert_true(saw_buf);
	pp_free(pp);

	/* Up to 3 ms: three samples; every allocation, and live then all
	 * but make_buf's (freed at 1 ms). */
	o.filter.t_to = 3 * MS;
	render(f, "pprof", &o);
	raw = gunzip(f->out, f->len, &len);
	pp = calloc(1, sizeof(*pp));
	rd_profile(raw, len, pp);
	free(raw);
	pp_sums(pp, sums);
	assert_int_equal(sums[0], 3);
	assert_int_equal(sums[3], ALLOC_BYTES);
	assert_int_equal(sums[4], 4);
	assert_int_equal(sums[5], ALLOC_BYTES - MAKE_BUF_BYTES);
	pp_free(pp);
}

static void test_callgrind_memory(void **state)
{
	struct fx *f = *state;
	struct cg_parsed *c = calloc(1, sizeof(*c));
	const struct cg_edge *e;

	add_allocs(f);
	render(f, "callgrind", NULL);
	assert_non_null(strstr(f->out, "\nevent: AllocBytes : bytes allocated\n"));
	assert_non_null(strstr(f->out, "\ndesc: AllocBytes and Allocs are the bytes"));
	cg_parse(f->out, c, "Samples AllocBytes Allocs");
	assert_true(c->events_ok);
	assert_int_equal(c->summary, 17);
	assert_int_equal(c->summary_bytes, ALLOC_BYTES);
	assert_int_equal(c->summary_allocs, 7);
	/* Self costs add up to the summary, samples as before. */
	assert_int_equal(c->total_self, 17);
	assert_int_equal(c->total_self_bytes, ALLOC_BYTES);
	assert_int_equal(c->total_self_allocs, 7);
	assert_int_equal(cg_self(c, "compute"), 7);
	assert_int_equal(c->self_bytes[0] + c->self_bytes[1] + c->self_bytes[2] + c->self_bytes[3] +
				 c->self_bytes[4] + c->self_bytes[5] + c->self_bytes[6] +
				 c->self_bytes[7],
			 ALLOC_BYTES);
	for (size_t k = 0; k < c->nself; k++) {
		uint64_t want = !strcmp(c->self_fn[k], "compute")    ? 1500
				: !strcmp(c->self_fn[k], CXX_NAME)   ? 1 << 20
				: !strcmp(c->self_fn[k], "make_buf") ? MAKE_BUF_BYTES
								     : 0;

		if (c->self_bytes[k] != want)
			fail_msg("self AllocBytes of %s: expected %" PRIu64 ", saw %" PRIu64,
				 c->self_fn[k], want, c->self_bytes[k]);
	}
	/* Inclusive: main calls compute (1500 B itself, 1 MiB in weird;name). */
	e = cg_edge(c, "main", "compute", 12);
	assert_int_equal(e->cost, 14);
	assert_int_equal(e->bytes, 1500 + (1 << 20));
	/* An edge with allocations and no sample: calls= is its records. */
	e = cg_edge(c, "main", "make_buf", 12);
	assert_int_equal(e->cost, 0);
	assert_int_equal(e->calls, 1);
	assert_int_equal(e->bytes, MAKE_BUF_BYTES);
	free(c);
}

/* --weight bytes with nothing allocated: an error saying so. */
static void test_bytes_nothing(void **state)
{
	struct fx *f = *state;
	struct export_opts o = {.weight = EXPORT_WEIGHT_BYTES};
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/out.folded", f->dir);
	assert_int_equal(export_to_file(export_find("folded"), path, f->p, &o, err, sizeof(err)),
			 -1);
	if (!strstr(err, "holds no memory records") || strchr(err, '\n'))
		fail_msg("expected 'nothing to export: the profile holds no memory records', saw: "
			 "%s",
			 err);
	add_allocs(f);
	o.filter.tid = 999;
	assert_int_equal(
		export_to_file(export_find("speedscope"), path, f->p, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no allocation passes the thread and time filter"));
	assert_int_equal(count_entries(f->dir), 0);
	/* A profile with allocations and no sample still exports to pprof. */
	f->p->nsamples = 0;
	assert_int_equal(export_to_file(export_find("pprof"), path, f->p, NULL, err, sizeof(err)),
			 0);
	assert_int_equal(export_to_file(export_find("folded"), path, f->p, NULL, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "holds no samples"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test_setup_teardown(test_folded_samples, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folded_ns_and_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speedscope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pprof, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callgrind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_to_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_to_special, setup, teardown),
		cmocka_unit_test_setup_teardown(test_to_file_failure, setup, teardown),
		cmocka_unit_test(test_empty_profile),
		cmocka_unit_test_setup_teardown(test_cpu_only_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folded_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_speedscope_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pprof_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callgrind_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bytes_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
