#!/bin/bash
# Ctrl-C (SIGINT to proftop) during an attached run ends the run with a
# report and leaves the target as it was: running, untraced, no signal
# received. With either backend.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload attachee)

"$w" 30 >"$PT_WORK/attachee.out" 2>&1 &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w"

for backend in perf ptrace; do
	out=$PT_WORK/$backend.csv
	"$PROFTOP" report --format csv --backend "$backend" -p "$pid" >"$out" 2>"$out.err" &
	pt=$!
	pt_track "$pt"
	pt_wait_attached "$pt" "$pid"
	sleep 0.5 # some samples
	kill -INT "$pt"
	timeout 10 tail --pid="$pt" -f /dev/null
	wait "$pt"
	rc=$?
	if grep -Eq "$PT_PERM_RE" "$out.err" && [ "$rc" -ne 0 ]; then
		pt_skip "perf_event_open refused: $(head -n 1 "$out.err")"
	fi
	pt_eq "$backend: exit status of proftop after SIGINT" "$rc" 0
	pt_ge "$backend: attach_hot self_pct" "$(pt_csv "$out" attach_hot self_pct)" 90
	state=$(pt_proc_state "$pid")
	case $state in
	"R 0" | "S 0") pt_ok "$backend: the program runs on, untraced ($state)" ;;
	*) pt_fail "$backend: expected State R or S and TracerPid 0, saw '$state'" ;;
	esac
done

kill -TERM "$pid" # ends its run early, as if its time were up
wait "$pid"
pt_eq "exit status of the program" "$?" 3
pt_eq "its last line" "$(tail -n 1 "$PT_WORK/attachee.out")" \
	"attachee: done, 0 SIGUSR1 of 0 sent, 0 other signals"
pt_finish
