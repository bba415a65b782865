#!/bin/bash
# Folded stacks of a recorded session: well-formed lines, counts that sum to
# the session's samples (or CPU ns with --weight ns), and the 60/30/10
# shares of the workload.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
. "$top_srcdir/tests/e2e/export-lib.sh"
ex_record

out=$PT_WORK/shares.folded
ex_export "$out" -f folded
bad=$(grep -cvE '^[^;]+(;[^;]+)* [0-9]+$' "$out")
pt_eq "lines not of the form 'a;b;c COUNT'" "$bad" 0
pt_eq "folded counts sum to the session's samples" \
	"$(awk '{ s += $NF } END { print s }' "$out")" "$EX_SAMPLES"
pt_eq "distinct stacks are distinct lines" "$(sed 's/ [0-9]*$//' "$out" | sort | uniq -d | wc -l)" 0
# Every stack of the workload's work goes through main and run.
for fn in work_sixty:60 work_thirty:30 work_ten:10; do
	pct=$(awk -v fn="${fn%%:*}" -v total="$EX_SAMPLES" '
		index(";" $0, ";main;run;" fn) { s += $NF }
		END { printf "%.1f", 100 * s / total }' "$out")
	pt_near "${fn%%:*} share of the folded samples" "$pct" "${fn##*:}" 3
done

ex_export "$out" -f folded --weight ns
pt_near "folded ns sum to the session's CPU time (ns)" \
	"$(awk '{ s += $NF } END { printf "%.0f", s }' "$out")" "$EX_CPU_NS" 1000
pt_finish
