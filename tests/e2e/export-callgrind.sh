#!/bin/bash
# callgrind export of a recorded session, read by valgrind's
# callgrind_annotate: the totals are the session's samples and the hot
# function (work_sixty, 60%) comes first.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
command -v callgrind_annotate >/dev/null 2>&1 || pt_skip "callgrind_annotate is not installed (Debian: valgrind)"
. "$top_srcdir/tests/e2e/export-lib.sh"
ex_record

out=$PT_WORK/shares.callgrind
ex_export "$out" -f callgrind
pt_eq "first line" "$(head -n 1 "$out")" "# callgrind format"
if grep -q '^desc: calls= counts are numbers of samples' "$out"; then
	pt_ok "the header says calls= are sample counts"
else
	pt_fail "expected a desc: line saying calls= are sample counts"
fi
ann=$PT_WORK/annotate.txt
if ! callgrind_annotate "$out" >"$ann" 2>"$ann.err"; then
	pt_fail "callgrind_annotate failed: $(head -n 3 "$ann.err")"
	pt_finish
fi
if grep -qi 'warning' "$ann.err"; then
	pt_fail "callgrind_annotate warned: $(head -n 3 "$ann.err")"
fi
totals=$(awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }' "$ann")
pt_eq "callgrind_annotate's PROGRAM TOTALS" "$totals" "$EX_SAMPLES"
first=$(awk '/file:function/ { getline; getline; print; exit }' "$ann")
case $first in
*:work_sixty\ *) pt_ok "hot function first: $first" ;;
*) pt_fail "expected work_sixty first in callgrind_annotate's table, saw: $first" ;;
esac
pct=$(sed -E 's/.*\(([0-9.]+)%\).*/\1/' <<<"$first")
pt_near "work_sixty's share in callgrind_annotate" "$pct" 60 3

# Inclusive: run holds (nearly) everything.
callgrind_annotate --inclusive=yes "$out" >"$ann.incl" 2>/dev/null
run=$(awk '/:run / { gsub(",", "", $1); print $1; exit }' "$ann.incl")
pt_ge "run's inclusive samples (>= 95% of the total)" "$run" "$((EX_SAMPLES * 95 / 100))"
pt_finish
