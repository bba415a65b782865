#!/bin/bash
# A 32-bit (i386) program, launched or attached to, gets one line naming
# the cause and the fix, and exit status 1, never a report of 0 samples.
# A real 32-bit program needs gcc -m32 (gcc-multilib); without it only the
# launch check is tested, on a file with an i386 ELF header.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
PT_TIMEOUT=20

# Launching is judged from the file's ELF header, before exec: an i386
# header is enough to test that much anywhere.
printf '\177ELF\001\001\001\000\000\000\000\000\000\000\000\000\002\000\003\000' >"$PT_WORK/hdr32"
chmod +x "$PT_WORK/hdr32"
echo "# proftop report -- hdr32 (an i386 ELF header)"
timeout -k 5 "$PT_TIMEOUT" "$PROFTOP" report -- "$PT_WORK/hdr32" >"$PT_WORK/hdr.out" 2>"$PT_WORK/hdr.err"
pt_eq "launched i386 ELF header: exit status" "$?" 1
grep -q '32-bit program (i386 ELF).*x86-64' "$PT_WORK/hdr.err" &&
	pt_ok "launched i386 ELF header: $(cat "$PT_WORK/hdr.err")" ||
	pt_fail "launched i386 ELF header: expected '32-bit program (i386 ELF) ... x86-64', saw '$(cat "$PT_WORK/hdr.err")'"

printf '#include <unistd.h>\nint main(void) { for (;;) pause(); }\n' >"$PT_WORK/p32.c"
if ! ${CC:-gcc} -m32 -o "$PT_WORK/p32" "$PT_WORK/p32.c" 2>"$PT_WORK/cc.err"; then
	echo "# cannot build a 32-bit program here (gcc -m32 needs gcc-multilib): the run cases are not tested"
	pt_finish
fi

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
