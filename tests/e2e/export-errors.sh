#!/bin/bash
# proftop export on bad output paths: one line naming the problem, exit 1,
# nothing left under the output's name; bad usage exits 2; devices are
# refused, never replaced.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/export-lib.sh"
ex_record

missing=$PT_WORK/no/such/dir/out.folded
pt_proftop "$PT_WORK/e1" export -i "$EX_SESSION" -f folded -o "$missing"
pt_eq "exit status, output directory missing" "$PT_RC" 1
pt_one_line "output directory missing" "$PT_WORK/e1.err"
if grep -qF "$missing" "$PT_WORK/e1.err"; then pt_ok "the message names the file"; else pt_fail "expected the message to name $missing"; fi

mkdir "$PT_WORK/adir"
pt_proftop "$PT_WORK/e2" export -i "$EX_SESSION" -f pprof -o "$PT_WORK/adir"
pt_eq "exit status, output is a directory" "$PT_RC" 1
pt_one_line "output is a directory" "$PT_WORK/e2.err"
pt_eq "the directory is left empty" "$(ls -A "$PT_WORK/adir" | wc -l)" 0

pt_proftop "$PT_WORK/e3" export -i "$EX_SESSION" -f svg -o "$PT_WORK/x.svg"
pt_eq "exit status, unknown format" "$PT_RC" 2
[ ! -e "$PT_WORK/x.svg" ] && pt_ok "no file for an unknown format" || pt_fail "a file was written for an unknown format"

pt_proftop "$PT_WORK/e4" export -i "$EX_SESSION" -f folded --weight bits -o "$PT_WORK/x"
pt_eq "exit status, unknown --weight" "$PT_RC" 2

pt_proftop "$PT_WORK/e5" export -i "$EX_SESSION" -f folded --tid 999999 -o "$PT_WORK/none.folded"
pt_eq "exit status, no sample of that thread" "$PT_RC" 1
pt_one_line "no sample of that thread" "$PT_WORK/e5.err"
[ ! -e "$PT_WORK/none.folded" ] && pt_ok "no file when nothing is exported" || pt_fail "a file was written with nothing to export"

# A device is refused (trust-outputs.sh has the rest), never replaced.
pt_proftop "$PT_WORK/e6" export -i "$EX_SESSION" -f callgrind -o /dev/null
pt_eq "exit status, -o /dev/null" "$PT_RC" 1
[ -c /dev/null ] && pt_ok "/dev/null is still a device" || pt_fail "/dev/null was replaced"

# Writing to stdout with -o -: the same bytes as a file.
pt_proftop "$PT_WORK/stdout.folded" export -i "$EX_SESSION" -f folded -o -
"$PROFTOP" export -i "$EX_SESSION" -f folded -o "$PT_WORK/file.folded"
if cmp -s "$PT_WORK/stdout.folded" "$PT_WORK/file.folded"; then
	pt_ok "-o - writes the same as -o FILE"
else
	pt_fail "-o - and -o FILE differ"
fi
leftovers=$(find "$PT_WORK" -name '*.tmp-*' | wc -l)
pt_eq "temporary files left behind" "$leftovers" 0
pt_finish
