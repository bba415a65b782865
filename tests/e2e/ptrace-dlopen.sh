#!/bin/bash
# The ptrace backend sends no mapping events: a library the target maps
# after proftop first read its maps (here dlopen'd once main has run for a
# while) must still be unwound through. The library's lib_run calls back
# into the program, so the sampled leaf lies in a known mapping and only
# a return address lies in the new library: the stacks still reach main.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
cc=${CC:-cc}
command -v "$cc" >/dev/null || pt_skip "no C compiler ($cc) to build the test program"
PT_TIMEOUT=60

cat >"$PT_WORK/lib.c" <<'EOF'
__attribute__((noinline)) void lib_run(void (*cb)(double), double cpu)
{
	cb(cpu);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}
EOF
cat >"$PT_WORK/main.c" <<'EOF'
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>

volatile unsigned long sink;

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

__attribute__((noinline)) void spin_before(double cpu)
{
	double end = cpu_seconds() + cpu;

	while (cpu_seconds() < end)
		for (int i = 0; i < 10000; i++)
			sink += (unsigned long)i * i;
}

__attribute__((noinline)) void spin_called_back(double cpu)
{
	double end = cpu_seconds() + cpu;

	while (cpu_seconds() < end)
		for (int i = 0; i < 10000; i++)
			sink += (unsigned long)i * i;
}

int main(int argc, char **argv)
{
	void (*run)(void (*)(double), double);
	void *h;

	spin_before(0.4);
	h = dlopen(argv[1], RTLD_NOW);
	if (!h || !(run = (void (*)(void (*)(double), double))dlsym(h, "lib_run"))) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	run(spin_called_back, 1.2);
	return 0;
}
EOF
if ! "$cc" -O1 -g -fPIC -shared -o "$PT_WORK/liblate.so" "$PT_WORK/lib.c" 2>"$PT_WORK/cc.err" ||
	! "$cc" -O1 -g -o "$PT_WORK/late" "$PT_WORK/main.c" -ldl 2>>"$PT_WORK/cc.err"; then
	pt_skip "cannot build the test program: $(head -n 1 "$PT_WORK/cc.err")"
fi

pt_report "$PT_WORK/out.csv" --backend ptrace -F 199 -- "$PT_WORK/late" "$PT_WORK/liblate.so" ||
	pt_finish
# spin_called_back (with the clock reads it calls) is 75% of the CPU: under
# lib_run (in the late library) when unwound through it, under nothing when
# the unwinding stopped there.
pt_ge "spin_called_back total_pct" "$(pt_csv "$PT_WORK/out.csv" spin_called_back total_pct)" 40
pt_ge "lib_run total_pct (a frame in the dlopen'd library)" \
	"$(pt_csv "$PT_WORK/out.csv" lib_run total_pct)" 40
pt_ge "main total_pct (unwound through it)" "$(pt_csv "$PT_WORK/out.csv" main total_pct)" 95
pt_finish
