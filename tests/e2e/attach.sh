#!/bin/bash
# -p PID -d 1 on a running program: profiles it for ~1 s and leaves it
# running, neither stopped nor traced.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload forever)

"$w" >"$PT_WORK/forever.out" &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w"

PT_TIMEOUT=20
pt_report "$PT_WORK/out.csv" -d 1 -p "$pid"
pt_le "wall time of 'report -d 1 -p' in seconds" "$PT_SECONDS" 4
pt_ge "spin_forever self_pct" "$(pt_csv "$PT_WORK/out.csv" spin_forever self_pct)" 90
pt_ge "main total_pct" "$(pt_csv "$PT_WORK/out.csv" main total_pct)" 90

sleep 0.2
state=$(pt_proc_state "$pid")
if [ -z "$state" ]; then
	pt_fail "the attached program ($pid) is gone; expected it still running"
else
	case ${state%% *} in
	R | S) pt_ok "the attached program is running (State ${state%% *})" ;;
	*) pt_fail "the attached program: expected State R or S, saw ${state%% *}" ;;
	esac
	pt_eq "TracerPid of the attached program" "${state#* }" 0
	# Still burning CPU: its utime advances.
	t0=$(awk '{ print $14 }' "/proc/$pid/stat")
	sleep 0.3
	t1=$(awk '{ print $14 }' "/proc/$pid/stat")
	pt_ge "CPU ticks of the attached program in 0.3 s after proftop left" $((t1 - t0)) 5
fi
kill "$pid"
pt_finish
