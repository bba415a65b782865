#!/bin/bash
# A 32-bit (i386) program, launched or attached to, gets one line naming
# the cause and the fix, and exit status 1, never a report of 0 samples.
# Needs a compiler that builds 32-bit programs (gcc -m32: gcc-multilib).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=20
printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' >"$PT_WORK/p32.c"
${CC:-gcc} -m32 -o "$PT_WORK/p32" "$PT_WORK/p32.c" 2>"$PT_WORK/cc.err" ||
	pt_skip "cannot build a 32-bit program here (gcc -m32: $(head -n 1 "$PT_WORK/cc.err"); install gcc-multilib)"

# refused LABEL ARG...: proftop ARG... exits 1 with one line about i386.
refused()
{
	local label=$1
	shift
	echo "# $*"
	timeout -k 5 "$PT_TIMEOUT" "$PROFTOP" "$@" >"$PT_WORK/out" 2>"$PT_WORK/err"
	pt_eq "$label: exit status" "$?" 1
	pt_one_line "$label" "$PT_WORK/err"
	grep -q '32-bit program (i386 ELF).*x86-64' "$PT_WORK/err" &&
		pt_ok "$label: the line names the cause and the fix" ||
		pt_fail "$label: expected '32-bit program (i386 ELF) ... x86-64', saw '$(cat "$PT_WORK/err")'"
}

refused "launched 32-bit program" report -- "$PT_WORK/p32"
"$PT_WORK/p32" &
pid=$!
pt_track "$pid"
for b in perf ptrace; do
	refused "attached 32-bit program, $b backend" report --backend "$b" -d 0.5 -p "$pid"
done
pt_finish
