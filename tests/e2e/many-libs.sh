#!/bin/bash
# 500 shared libraries under "ulimit -n 200": proftop keeps a bounded set
# of ELF files open (reopening on demand), so no stack is truncated and no
# name is lost for lack of file descriptors. The program dlopens 500 copies
# of one tiny library under distinct names (500 images mapped): the first
# 250 run for 1.2 s of CPU (proftop opens each one that is sampled: more
# than the limit), then the other 250 are mapped and run for 0.8 s.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
cc=${CC:-cc}
command -v "$cc" >/dev/null || pt_skip "no C compiler ($cc) to build the test program"
NLIBS=500

cat >"$PT_WORK/lib.c" <<'EOF'
volatile unsigned long lib_sink;

__attribute__((noinline)) static unsigned long lib_spin(unsigned long n)
{
	unsigned long s = 0;

	for (unsigned long i = 0; i < n; i++)
		s += (i * i) ^ (s >> 3);
	return s;
}

void lib_work(void)
{
	lib_sink += lib_spin(3000);
}
EOF
cat >"$PT_WORK/main.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Load libraries [from, to), then call them in turn for cpu CPU seconds. */
static int phase(const char *dir, void (**work)(void), int from, int to, double cpu)
{
	char path[4096];
	double end;

	for (int i = from; i < to; i++) {
		void *h;

		snprintf(path, sizeof(path), "%s/libmany%d.so", dir, i);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h || !(work[i] = (void (*)(void))dlsym(h, "lib_work"))) {
			fprintf(stderr, "%s\n", dlerror());
			return 1;
		}
	}
	end = cpu_seconds() + cpu;
	while (cpu_seconds() < end)
		for (int i = from; i < to; i++)
			work[i]();
	return 0;
}

/* Half the libraries run first, long enough for proftop to open them all
 * (more than the limit allows); the other half is mapped only then. */
int main(int argc, char **argv)
{
	int n = atoi(argv[2]);
	void (**work)(void) = calloc((size_t)n, sizeof(*work));

	return phase(argv[1], work, 0, n / 2, 1.2) || phase(argv[1], work, n / 2, n, 0.8);
}
EOF
mkdir -p "$PT_WORK/libs"
if ! "$cc" -O1 -g -fPIC -shared -o "$PT_WORK/libs/libmany0.so" "$PT_WORK/lib.c" \
	2>"$PT_WORK/cc.err" ||
	! "$cc" -O1 -g -o "$PT_WORK/many" "$PT_WORK/main.c" -ldl 2>>"$PT_WORK/cc.err"; then
	pt_skip "cannot build the test program: $(head -n 1 "$PT_WORK/cc.err")"
fi
for ((i = 1; i < NLIBS; i++)); do
	cp "$PT_WORK/libs/libmany0.so" "$PT_WORK/libs/libmany$i.so"
done

# 200 descriptors for 500 libraries (and perf's events, and the session).
ulimit -n 200 || pt_skip "cannot lower the open-file limit"
pt_proftop "$PT_WORK/rec.txt" record -o "$PT_WORK/many.proftop" -- \
	"$PT_WORK/many" "$PT_WORK/libs" "$NLIBS"
pt_eq "exit status of record" "$PT_RC" 0
pt_proftop "$PT_WORK/out.txt" report -i "$PT_WORK/many.proftop"
pt_eq "exit status of report" "$PT_RC" 0
head -n 3 "$PT_WORK/out.txt" | sed 's/^/# /'
trunc=$(sed -n 's/.*; \([0-9.]*\)% truncated stacks.*/\1/p' "$PT_WORK/out.txt")
pt_le "truncated stacks (%)" "${trunc:-100}" 2

pt_proftop "$PT_WORK/out.csv" report -i "$PT_WORK/many.proftop" --format csv --limit 0
# Samples in the libraries' code: on lib_spin and lib_work, not on
# "libmanyN.so+0x..." for want of a Dwfl.
named=$(awk -F, 'NR > 1 && $2 ~ /libmany[0-9]+\.so$/ && $1 ~ /^lib_(spin|work)$/ { s += $5 }
	END { print s + 0 }' "$PT_WORK/out.csv")
anon=$(awk -F, 'NR > 1 && $2 ~ /libmany[0-9]+\.so$/ && $1 !~ /^lib_(spin|work)$/ { s += $5 }
	END { print s + 0 }' "$PT_WORK/out.csv")
mods=$(awk -F, 'NR > 1 && $1 == "lib_spin" && $5 > 0 { m[$2] = 1 } END { print length(m) }' \
	"$PT_WORK/out.csv")
pt_ge "self samples on lib_spin/lib_work in the libraries" "$named" 100
pt_le "self samples on unnamed library code" "$anon" $((named / 100))
pt_ge "libraries whose lib_spin has samples" "$mods" 300
grep -E 'libmany' "$PT_WORK/out.csv" | grep -Ev '^lib_(spin|work),' | head -n 5 | sed 's/^/# unnamed: /'
pt_finish
