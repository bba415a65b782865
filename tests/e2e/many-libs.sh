#!/bin/bash
# 500 shared libraries under "ulimit -n 200": proftop keeps a bounded set
# of ELF files open (reopening on demand), so no stack is truncated and no
# name is lost for lack of file descriptors. The program dlopens 500 copies
# of one tiny library under distinct names (500 images mapped), one at a
# time, calling every loaded copy's lib_work() after each, so that libraries
# keep being mapped after proftop has opened the first ones.
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

int main(int argc, char **argv)
{
	int n = atoi(argv[2]);
	void (**work)(void) = calloc((size_t)n, sizeof(*work));
	char path[4096];

	/* One library more at a time, each loaded one run after it: the
	 * profiler sees libraries mapped after it opened the first ones. */
	for (int i = 0; i < n; i++) {
		void *h;

		snprintf(path, sizeof(path), "%s/libmany%d.so", argv[1], i);
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h || !(work[i] = (void (*)(void))dlsym(h, "lib_work"))) {
			fprintf(stderr, "%s\n", dlerror());
			return 1;
		}
		for (int k = 0; k <= i; k++)
			work[k]();
	}
	for (;;)
		for (int i = 0; i < n; i++)
			work[i]();
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
pt_proftop "$PT_WORK/out.txt" report -d 3 --limit 0 -- "$PT_WORK/many" "$PT_WORK/libs" "$NLIBS"
ulimit -n 1024 2>/dev/null
pt_eq "exit status of report" "$PT_RC" 0
head -n 3 "$PT_WORK/out.txt" | sed 's/^/# /'
trunc=$(sed -n 's/.*; \([0-9.]*\)% truncated stacks.*/\1/p' "$PT_WORK/out.txt")
pt_le "truncated stacks (%)" "${trunc:-100}" 1

pt_proftop "$PT_WORK/out.csv" report -d 3 --format csv --limit 0 -- \
	"$PT_WORK/many" "$PT_WORK/libs" "$NLIBS"
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
pt_ge "libraries whose lib_spin has samples" "$mods" 100
grep -E 'libmany' "$PT_WORK/out.csv" | grep -Ev '^lib_(spin|work),' | head -n 5 | sed 's/^/# unnamed: /'
pt_finish
