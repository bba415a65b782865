#!/bin/bash
# --unwind fp (the kernel's frame-pointer call chains) on `shares` built
# WITH frame pointers gives the same 60/30/10 shares, and stacks reach main.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload shares-fp)

pt_report "$PT_WORK/out.csv" --unwind fp -- "$w" || pt_finish
# (a loaded CI machine once left 5% of the samples outside the three)
pt_shares "$PT_WORK/out.csv" 3 work_sixty:60 work_thirty:30 work_ten:10
pt_ge "run total_pct" "$(pt_csv "$PT_WORK/out.csv" run total_pct)" 95
pt_ge "main total_pct" "$(pt_csv "$PT_WORK/out.csv" main total_pct)" 95
pt_finish
