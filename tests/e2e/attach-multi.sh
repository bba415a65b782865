#!/bin/bash
# -p PID,PID: two programs at once, each one's hot function in its own
# process (report --processes), and --process PID keeps one of them. With
# either backend; both are left running.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
a=$(pt_workload attachee)
c=$(pt_workload churn)
PT_TIMEOUT=30

"$a" 30 >"$PT_WORK/a.out" 2>&1 &
apid=$!
pt_track "$apid"
"$c" 1 30 >"$PT_WORK/c.out" 2>&1 &
cpid=$!
pt_track "$cpid"
pt_wait_running "$apid" "$a"
pt_wait_running "$cpid" "$c"

for b in perf ptrace; do
	out=$PT_WORK/$b.csv
	pt_proftop "$out" report --backend "$b" -d 3 --processes --format csv -p "$apid,$cpid"
	pt_eq "$b: exit status" "$PT_RC" 0
	pt_eq "$b: hottest function of $apid (attachee)" \
		"$(awk -F, -v p="$apid" '$1 == p { print $7 }' "$out")" attach_hot
	pt_eq "$b: hottest function of $cpid (churn)" \
		"$(awk -F, -v p="$cpid" '$1 == p { print $7 }' "$out")" churn_heavy
	pt_report "$PT_WORK/$b-one.csv" --backend "$b" -d 1 --process "$cpid" -p "$apid,$cpid" ||
		continue
	pt_eq "$b: --process $cpid: attach_hot absent" \
		"$(pt_csv "$PT_WORK/$b-one.csv" attach_hot self_pct)" ""
	pt_ge "$b: --process $cpid: churn_heavy self_pct" \
		"$(pt_csv "$PT_WORK/$b-one.csv" churn_heavy self_pct)" 40
done
for p in $apid $cpid; do
	pt_eq "left untraced and running: $p" "$(pt_proc_state "$p" | sed 's/^S/R/')" "R 0"
done
kill "$apid" "$cpid"
wait "$apid"
pt_eq "the attachee's exit status after SIGTERM (its normal end)" "$?" 3
pt_finish
