#!/bin/bash
# Attach to a running program with each backend (-p PID -d 1): its hot
# function is found, and it is left exactly as it was: running (not
# stopped), not traced, no signal received; it then finishes with its
# normal output and exit status.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload attachee)
PT_TIMEOUT=20

# left_alone LABEL PID: running, untraced, still burning CPU.
left_alone()
{
	local state t0 t1
	state=$(pt_proc_state "$2")
	if [ -z "$state" ]; then
		pt_fail "$1: the attached program ($2) is gone; expected it still running"
		return
	fi
	case ${state%% *} in
	R | S) pt_ok "$1: the attached program is running (State ${state%% *})" ;;
	*) pt_fail "$1: the attached program: expected State R or S, saw ${state%% *}" ;;
	esac
	pt_eq "$1: TracerPid of the attached program" "${state#* }" 0
	t0=$(awk '{ print $14 }' "/proc/$2/stat")
	sleep 0.3
	t1=$(awk '{ print $14 }' "/proc/$2/stat")
	pt_ge "$1: CPU ticks of the attached program in 0.3 s after proftop left" $((t1 - t0)) 3
}

"$w" 30 >"$PT_WORK/attachee.out" 2>&1 &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w"

for backend in perf ptrace; do
	pt_report "$PT_WORK/$backend.csv" --backend "$backend" -d 1 -p "$pid" || continue
	pt_le "$backend: wall time of 'report -d 1 -p' in seconds" "$PT_SECONDS" 6
	pt_ge "$backend: attach_hot self_pct" "$(pt_csv "$PT_WORK/$backend.csv" attach_hot self_pct)" 90
	pt_ge "$backend: main total_pct" "$(pt_csv "$PT_WORK/$backend.csv" main total_pct)" 90
	left_alone "$backend" "$pid"
done

kill -TERM "$pid" # ends its run early, as if its time were up
wait "$pid"
pt_eq "exit status of the attached program" "$?" 3
pt_eq "its last line" "$(tail -n 1 "$PT_WORK/attachee.out")" \
	"attachee: done, 0 SIGUSR1 of 0 sent, 0 other signals"
pt_finish
