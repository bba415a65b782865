#!/bin/bash
# DWARF unwinding of code built without frame pointers: every sample of
# `shares` unwinds through run() to main(), and --callers names run as the
# caller of the three workers.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares)
objdump -d "$w" 2>/dev/null | grep -A2 '<work_sixty>:' | grep -q 'push *%rbp' &&
	echo "# note: $w has a frame pointer in work_sixty; this test wants none"

pt_report "$PT_WORK/out.csv" --unwind dwarf -- "$w" 0.6 || pt_finish
pt_ge "main total_pct" "$(pt_csv "$PT_WORK/out.csv" main total_pct)" 95
pt_ge "run total_pct" "$(pt_csv "$PT_WORK/out.csv" run total_pct)" 95

pt_report "$PT_WORK/callers.csv" --callers work_ten -- "$w" 0.6 || pt_finish
# The table: work_ten's own row (relation "function"), then its callers.
first=$(pt_csv_rows "$PT_WORK/callers.csv" relation function | awk -F '\t' '$1 == "caller" { print $2; exit }')
pt_eq "first caller of work_ten" "$first" run
# Every sample of work_ten came through run.
own=$(pt_csv "$PT_WORK/callers.csv" work_ten total_samples function)
pt_num "$own" || own=0
pt_ge "work_ten's own samples in the callers table" "$own" 50
pt_near "total_samples of run as caller of work_ten (= work_ten's samples)" \
	"$(pt_csv "$PT_WORK/callers.csv" run total_samples caller)" "$own" $((own / 50 + 1))
pt_finish
