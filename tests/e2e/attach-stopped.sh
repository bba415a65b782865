#!/bin/bash
# Attaching to a stopped program (SIGSTOP'ed, as by Ctrl-Z) leaves it
# stopped, untraced, with no signal delivered; after SIGCONT it finishes as
# usual. With either backend.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload attachee)
PT_TIMEOUT=20

"$w" 30 >"$PT_WORK/attachee.out" 2>&1 &
pid=$!
pt_track "$pid"
pt_wait_running "$pid" "$w"
kill -STOP "$pid"
for _ in $(seq 1 100); do
	case $(pt_proc_state "$pid") in T*) break ;; esac
	sleep 0.05
done

for backend in perf ptrace; do
	pt_proftop "$PT_WORK/$backend.txt" report --backend "$backend" -d 0.5 -p "$pid"
	pt_eq "$backend: exit status of proftop" "$PT_RC" 0
	state=$(pt_proc_state "$pid")
	pt_eq "$backend: State and TracerPid of the stopped program after proftop" "$state" "T 0"
	t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	sleep 0.3
	t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
	pt_eq "$backend: CPU ticks of the stopped program in 0.3 s" $((t1 - t0)) 0
done

kill -CONT "$pid"
kill -TERM "$pid" # ends its run early, as if its time were up
wait "$pid"
pt_eq "exit status after SIGCONT" "$?" 3
pt_eq "its last line" "$(tail -n 1 "$PT_WORK/attachee.out")" \
	"attachee: done, 0 SIGUSR1 of 0 sent, 0 other signals"
pt_finish
