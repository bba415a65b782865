#!/bin/bash
# SIGINT to proftop during `report -- forever` ends the run: the report is
# printed and proftop exits 0; the launched target does not outlive it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload forever)

# A background job of a non-interactive shell starts with SIGINT ignored;
# job control (set -m) starts it as a terminal would, with SIGINT default.
set -m
echo "# proftop report --format csv -- $w &  (SIGINT once the target ran 0.3 s)"
timeout -k 5 30 "$PROFTOP" report --format csv -- "$w" >"$PT_WORK/out.csv" 2>"$PT_WORK/out.csv.err" &
job=$!
set +m
pt_track "$job"
# timeout(1) is the job; signal proftop, its child, once its target ran a while.
proftop_pid=$(pt_wait_child "$job")
[ -n "$proftop_pid" ] && target=$(pt_wait_child "$proftop_pid") &&
	pt_wait_running "$target" "$w" 30
if [ -z "$proftop_pid" ]; then
	wait "$job"
	rc=$?
	grep -Eq "$PT_PERM_RE" "$PT_WORK/out.csv.err" &&
		pt_skip "perf_event_open refused: $(head -n 1 "$PT_WORK/out.csv.err")"
	pt_fail "proftop ended by itself before SIGINT (status $rc); stderr:"
	sed 's/^/#   /' "$PT_WORK/out.csv.err" | head -n 10
	pt_finish
fi
kill -INT "$proftop_pid"
wait "$job"
rc=$?
pid=$(sed -n 's/^forever: pid \([0-9]*\)$/\1/p' "$PT_WORK/out.csv" | head -n 1)
[ -n "$pid" ] && pt_track "$pid"
pt_eq "proftop exit status after SIGINT" "$rc" 0
if tr -d '\r' <"$PT_WORK/out.csv" | grep -qxF "$PT_CSV_HEADER"; then
	pt_ok "report printed after SIGINT"
	pt_ge "spin_forever self_pct" "$(pt_csv "$PT_WORK/out.csv" spin_forever self_pct)" 90
else
	pt_fail "expected the CSV report after SIGINT; stdout and stderr:"
	sed 's/^/#   /' "$PT_WORK/out.csv" "$PT_WORK/out.csv.err" | head -n 20
fi
if [ -z "$pid" ]; then
	pt_fail "expected the target's line 'forever: pid N' on stdout"
elif pt_wait_gone "$pid" 3; then
	pt_ok "the launched target ($pid) is gone after proftop"
else
	pt_fail "the launched target ($pid) still runs after proftop ended (state $(pt_proc_state "$pid"))"
fi
pt_finish
