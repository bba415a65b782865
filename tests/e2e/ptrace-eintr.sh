#!/bin/bash
# Attaching and detaching with the ptrace backend leaves a program that
# sleeps in epoll_wait and sigtimedwait (no signal handlers) exactly as it
# was: 8 attach/detach rounds of -d 0.5, and neither call ever fails with
# EINTR (a program that treats EINTR as an error would have failed).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
pt_setup
w=$(pt_workload waiter)
PT_TIMEOUT=20

"$w" >"$PT_WORK/waiter.out" 2>"$PT_WORK/waiter.err" &
pid=$!
pt_track "$pid"
for _ in $(seq 50); do
	grep -q ready "$PT_WORK/waiter.out" && break
	sleep 0.1
done

for round in 1 2 3 4 5 6 7 8; do
	pt_report "$PT_WORK/r$round.csv" --backend ptrace -d 0.5 -p "$pid" || break
done
# What remains (a timed wait asleep at detach starts its timeout over) is
# said in one line at attach.
if grep -q "at detach, threads asleep in a system call restart it" "$PT_WORK/r8.csv.err"; then
	pt_ok "the attach says what detaching does to sleeping threads"
else
	pt_fail "expected a line about sleeping threads at detach on stderr, saw: $(head -n 3 "$PT_WORK/r8.csv.err")"
fi
pt_ge "samples of waiter_spin in the last round (self_pct)" \
	"$(pt_csv "$PT_WORK/r8.csv" waiter_spin self_pct)" 50

kill -TERM "$pid"
wait "$pid"
pt_eq "exit status of the waiter" "$?" 0
last=$(tail -n 1 "$PT_WORK/waiter.out")
echo "# waiter said: $last"
case $last in
"waiter: eintr epoll 0 sigtimedwait 0, waits "*", signals: Terminated")
	pt_ok "no EINTR in epoll_wait or sigtimedwait over 8 attach/detach rounds" ;;
*) pt_fail "expected 'waiter: eintr epoll 0 sigtimedwait 0, waits N, signals: Terminated', saw '$last'" ;;
esac
pt_finish
