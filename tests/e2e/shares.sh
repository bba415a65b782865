#!/bin/bash
# Self shares of three functions doing 60/30/10% of identical work, within
# ±3 points; run() holds them all, so its total is >= 95%.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
shares=$(pt_workload shares)

pt_report "$PT_WORK/out.csv" -- "$shares" || pt_finish
header=$(tr -d '\r' <"$PT_WORK/out.csv" | grep -m1 '^function,' )
pt_eq "CSV header" "$header" "$PT_CSV_HEADER"
pt_shares "$PT_WORK/out.csv" 3 work_sixty:60 work_thirty:30 work_ten:10
pt_ge "run total_pct" "$(pt_csv "$PT_WORK/out.csv" run total_pct)" 95
pt_le "run self_pct" "$(pt_csv "$PT_WORK/out.csv" run self_pct)" 2
# A leaf's total is its self, give or take the samples taken in the kernel
# (interrupts, page faults) on top of it.
pt_near "work_sixty total_pct ≈ self_pct" "$(pt_csv "$PT_WORK/out.csv" work_sixty total_pct)" \
	"$(pt_csv "$PT_WORK/out.csv" work_sixty self_pct)" 2
pt_ge "work_sixty self_samples (1.7 s at 997 Hz)" \
	"$(pt_csv "$PT_WORK/out.csv" work_sixty self_samples)" 500
pt_finish
