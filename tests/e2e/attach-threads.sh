#!/bin/bash
# Attach to a program whose threads come and go (waves of two threads, one
# doing twice the work of the other): the threads alive at attach time,
# those started later and those that end are all sampled, so the 2:1
# split survives. With either backend.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload churn)
PT_TIMEOUT=30

"$w" 1 30 >"$PT_WORK/churn.out" 2>&1 &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w" 10

for b in perf ptrace; do
	pt_report "$PT_WORK/$b.csv" --backend "$b" -F 499 -d 2 -p "$pid" || continue
	pt_near "$b: churn_heavy self_pct" "$(pt_csv "$PT_WORK/$b.csv" churn_heavy self_pct)" 66.7 6
	pt_near "$b: churn_light self_pct" "$(pt_csv "$PT_WORK/$b.csv" churn_light self_pct)" 33.3 6
	pt_proftop "$PT_WORK/$b.procs" report --backend "$b" -d 1 --processes --format csv -p "$pid"
	threads=$(awk -F, -v p="$pid" '$1 == p { print $3 }' "$PT_WORK/$b.procs")
	pt_ge "$b: threads sampled in 1 s (waves of 2)" "$threads" 4
done
kill "$pid"
wait "$pid" 2>/dev/null
pt_finish
