#!/bin/bash
# Under the ptrace backend the target's signals are its own: signals it
# sends itself are all delivered (not swallowed), SIGSTOP stops it and
# SIGCONT resumes it (job control works), a crash is reported with its
# signal, and the exit status comes through.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
a=$(pt_workload attachee)
c=$(pt_workload crash)
PT_TIMEOUT=60
ulimit -c 0

pt_proftop "$PT_WORK/self.txt" report --backend ptrace --limit 3 -- "$a" 1.5 40
pt_eq "exit status" "$PT_RC" 0
pt_eq "the target's last line" "$(grep '^attachee: done' "$PT_WORK/self.txt")" \
	"attachee: done, 40 SIGUSR1 of 40 sent, 0 other signals"
pt_eq "the report's account of the end" "$(grep -m1 '^target' "$PT_WORK/self.txt")" \
	"target exited with status 3"

# Job control: stop and continue the target from outside while it runs.
"$PROFTOP" report --backend ptrace --limit 3 -- "$a" 30 >"$PT_WORK/stop.txt" 2>&1 &
pt=$!
pt_track "$pt"
for _ in $(seq 50); do
	apid=$(pgrep -P "$pt" attachee) && break
	sleep 0.1
done
pt_track "$apid"
sleep 0.5
kill -STOP "$apid"
sleep 0.3
t0=$(awk '{ print $14 + $15 }' "/proc/$apid/stat")
sleep 0.5
t1=$(awk '{ print $14 + $15 }' "/proc/$apid/stat")
pt_eq "CPU ticks of the target in 0.5 s after SIGSTOP" $((t1 - t0)) 0
case $(pt_proc_state "$apid") in
[Tt]*) pt_ok "it is stopped ($(pt_proc_state "$apid"))" ;;
*) pt_fail "expected it stopped (State T or t), saw '$(pt_proc_state "$apid")'" ;;
esac
kill -CONT "$apid"
sleep 0.5
t2=$(awk '{ print $14 + $15 }' "/proc/$apid/stat")
pt_ge "CPU ticks of the target in 0.5 s after SIGCONT" $((t2 - t1)) 5
kill -TERM "$apid" # its handler ends the run
timeout 20 tail --pid="$pt" -f /dev/null
wait "$pt"
pt_eq "proftop's exit status" "$?" 0
pt_eq "the target's last line" "$(grep '^attachee: done' "$PT_WORK/stop.txt")" \
	"attachee: done, 0 SIGUSR1 of 0 sent, 0 other signals"
pt_eq "the end" "$(grep -m1 '^target' "$PT_WORK/stop.txt")" "target exited with status 3"

pt_proftop "$PT_WORK/crash.txt" report --backend ptrace -- "$c" 0.7
pt_eq "exit status after the target's SIGSEGV" "$PT_RC" 0
if grep -q '^target was killed by SIGSEGV' "$PT_WORK/crash.txt"; then
	pt_ok "the report names SIGSEGV"
else
	pt_fail "expected 'target was killed by SIGSEGV', saw '$(grep -m1 '^target' "$PT_WORK/crash.txt")'"
fi
grep -q crash_work "$PT_WORK/crash.txt" && pt_ok "crash_work is in the report" ||
	pt_fail "expected crash_work in the report"
pt_finish
