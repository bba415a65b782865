#!/bin/bash
# A function recursing 50 deep at 70% of the time: its total is 70 ±3 and
# never above 100 (counted once per sample, not once per frame).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload recursion)

pt_report "$PT_WORK/out.csv" -- "$w" || pt_finish
pt_near "recurse total_pct" "$(pt_csv "$PT_WORK/out.csv" recurse total_pct)" 70 3
pt_near "recurse self_pct" "$(pt_csv "$PT_WORK/out.csv" recurse self_pct)" 70 3
pt_near "flat self_pct" "$(pt_csv "$PT_WORK/out.csv" flat self_pct)" 30 3
pt_near "main total_pct (stacks 50 frames deep unwind to main)" \
	"$(pt_csv "$PT_WORK/out.csv" main total_pct)" 100 3
# No row may exceed 100%, and total samples never exceed the sample count.
over=$(pt_csv_rows "$PT_WORK/out.csv" function self_pct total_pct |
	awk -F '\t' '$2 > 100.001 || $3 > 100.001 || $2 > $3 + 0.001 { print $1 " self " $2 " total " $3 }')
pt_eq "rows with a percentage over 100 or self > total" "${over:-none}" none
pt_finish
