#!/bin/bash
# --clock wall -p PID: a thread found blocked when proftop attaches left
# the CPU before the events existed; its wait still counts from the attach
# on (one record, named from its wait channel: read), and a thread pool's
# futex-parked workers found that way count as idle.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload waits)
PT_CSV_HEADER="$PT_CSV_HEADER,offcpu_pct,offcpu"

# scale 4: main computes for 4 CPU seconds first; waits_forever is blocked
# in read from the start.
"$w" 4 >"$PT_WORK/waits.out" &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w" 20 || pt_finish
PT_TIMEOUT=30
pt_report "$PT_WORK/out.csv" --clock wall -d 2 -p "$pid" || pt_finish
pt_ge "[off-CPU: read] cumtime, s (the thread blocked all along, 2 s)" \
	"$(pt_csv "$PT_WORK/out.csv" '[off-CPU: read]' cumtime)" 1.6
pt_le "... in records" "$(pt_csv "$PT_WORK/out.csv" '[off-CPU: read]' self_samples)" 2
pt_ge "waits_compute (on CPU or runnable) %total" \
	"$(pt_csv "$PT_WORK/out.csv" waits_compute total_pct)" 30

# 16 workers parked on a condition variable before the attach: idle,
# hidden by default (16 s of waits in a 1 s run would bury pool_busy).
p=$(pt_workload pool)
"$p" 4 >"$PT_WORK/pool.out" &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$p" 20 || pt_finish
pt_report "$PT_WORK/pool.csv" --clock wall -d 1 -p "$pid" || pt_finish
futex=$(pt_csv "$PT_WORK/pool.csv" '[off-CPU: futex]' cumtime)
pt_le "[off-CPU: futex] cumtime with idle hidden, s (16 parked workers: 16 s)" "${futex:-0}" 2
pt_ge "pool_busy %total" "$(pt_csv "$PT_WORK/pool.csv" pool_busy total_pct)" 40
pt_finish
