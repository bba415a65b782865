#!/bin/bash
# --unwind fp (the kernel's frame-pointer call chains) on `shares` built
# WITH frame pointers gives the same 60/30/10 shares, and stacks reach main.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares-fp)

pt_report "$PT_WORK/out.csv" --unwind fp -- "$w" || pt_finish
pt_near "work_sixty self_pct" "$(pt_csv "$PT_WORK/out.csv" work_sixty self_pct)" 60 3
pt_near "work_thirty self_pct" "$(pt_csv "$PT_WORK/out.csv" work_thirty self_pct)" 30 3
pt_near "work_ten self_pct" "$(pt_csv "$PT_WORK/out.csv" work_ten self_pct)" 10 3
pt_ge "run total_pct" "$(pt_csv "$PT_WORK/out.csv" run total_pct)" 95
pt_ge "main total_pct" "$(pt_csv "$PT_WORK/out.csv" main total_pct)" 95
pt_finish
