#!/bin/bash
# Idle waits on the wall clock: 16 workers idle on a condition variable
# while one thread computes (the pool workload). By default (--no-idle)
# the idle waits are hidden: the busy thread's function has the most own
# time and the workers are not in the table; with --idle the workers'
# waits hold most of the wall time, attributed to pthread_cond_wait.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
pool=$(pt_workload pool)
session=$PT_WORK/pool.proftop
PT_CSV_HEADER="$PT_CSV_HEADER,offcpu_pct,offcpu"

pt_proftop "$PT_WORK/record.out" record --clock wall -o "$session" -- "$pool" 0.5
if [ "$PT_RC" -ne 0 ]; then
	pt_fail "proftop record --clock wall: expected status 0, saw $PT_RC: $(head -n 2 "$PT_WORK/record.out.err")"
	pt_finish
fi

# Default: idle hidden. The function with the most own time, past the
# [off-CPU: ...] pseudo-frames (the main thread's join, preemption).
pt_report "$PT_WORK/hidden.csv" -i "$session" --sort tottime --limit 0 || pt_finish
top=$(pt_csv_rows "$PT_WORK/hidden.csv" function | grep -v '^\[off-CPU' | head -n 1)
pt_eq "idle hidden: the function with the most own time" "$top" pool_busy
# (their wake-up at the end, their CPU time: a trace at most)
w=$(pt_csv "$PT_WORK/hidden.csv" pool_worker total_pct)
pt_le "idle hidden: pool_worker %total" "${w:-0}" 2
pt_report "$PT_WORK/hidden2.csv" -i "$session" --no-idle --sort tottime --limit 0 || pt_finish
pt_eq "--no-idle is the default" "$(cmp -s "$PT_WORK/hidden.csv" "$PT_WORK/hidden2.csv" && echo same)" same

# --idle: the workers' waits, under the condition variable.
pt_report "$PT_WORK/shown.csv" -i "$session" --idle --limit 0 || pt_finish
pt_ge "--idle: pool_worker %total (16 idle workers, 1 busy thread)" \
	"$(pt_csv "$PT_WORK/shown.csv" pool_worker total_pct)" 60
pt_report "$PT_WORK/callees.csv" -i "$session" --idle --callees ___pthread_cond_wait || pt_finish
worker_ns=$(pt_csv "$PT_WORK/shown.csv" pool_worker cumtime)
cond_ns=$(pt_csv "$PT_WORK/shown.csv" ___pthread_cond_wait cumtime)
pt_ge "--idle: time in pthread_cond_wait (s; pool_worker has $worker_ns)" \
	"$cond_ns" "$(awk -v w="$worker_ns" 'BEGIN { print 0.95 * w }')"
pt_report "$PT_WORK/callers.csv" -i "$session" --idle --callers ___pthread_cond_wait || pt_finish
pt_ge "--idle: pool_worker's share of pthread_cond_wait's callers (%total)" \
	"$(pt_csv "$PT_WORK/callers.csv" pool_worker total_pct caller)" 60
pt_proftop "$PT_WORK/folded" export -i "$session" -f folded --idle --weight ns
leaf=$(awk '/;pool_worker;/ { w = $NF; sub(/ [0-9]+$/, ""); n = split($0, f, ";"); t[f[n]] += w }
	END { for (k in t) if (t[k] > b) { b = t[k]; l = k }; print l }' "$PT_WORK/folded")
pt_eq "--idle: the workers' wait" "$leaf" "[off-CPU: futex]"
pt_proftop "$PT_WORK/text" report -i "$session"
if grep -q '^clock: wall.*idle waits hidden' "$PT_WORK/text"; then
	pt_ok "the report says idle waits are hidden: $(grep '^clock:' "$PT_WORK/text")"
else
	pt_fail "expected 'idle waits hidden' on the clock line; saw: $(grep '^clock:' "$PT_WORK/text")"
fi
pt_finish
