#!/bin/bash
# Two threads, one doing three times the work of the other in a different
# function: 75% / 25% ±3 of the process's samples.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload threads)

pt_report "$PT_WORK/out.csv" -- "$w" || pt_finish
pt_near "thread_a_work self_pct" "$(pt_csv "$PT_WORK/out.csv" thread_a_work self_pct)" 75 3
pt_near "thread_b_work self_pct" "$(pt_csv "$PT_WORK/out.csv" thread_b_work self_pct)" 25 3
# Each thread's stack unwinds to its start routine.
pt_near "thread_a total_pct" "$(pt_csv "$PT_WORK/out.csv" thread_a total_pct)" 75 3
pt_near "thread_b total_pct" "$(pt_csv "$PT_WORK/out.csv" thread_b total_pct)" 25 3
pt_finish
