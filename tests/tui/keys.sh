#!/bin/bash
# The control keys on a live target: f freezes the table while sampling
# goes on, P pauses sampling, z zeroes, w shows the last seconds, ? lists
# the keys; and T restricts the views to one thread.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
forever=$(pt_workload forever)
threads=$(pt_workload threads)

samples() { tui_screen | grep -o 'samples [0-9,]*' | head -n 1 | tr -d , | awk '{ print $2 }'; }
# cumtime is the 2nd number of the row: tottime cumtime (nothing is counted)
cum() { tui_screen | awk '/ spin_forever \(/ { print $2; exit }'; }

tui_start 120 40 --refresh 0.2 -- "$forever"
tui_wait "running" 'pid [0-9]+ +running' 15 || pt_finish
pt_track "$(tui_screen | grep -o 'pid [0-9]*' | head -n 1 | awk '{ print $2 }')"
tui_keys 2
tui_wait_first "spin_forever on top" spin_forever 10

tui_keys f
tui_wait "f: frozen" 'FROZEN' 5
a=$(cum)
s1=$(samples)
tui_wait_ge "frozen: sampling goes on (samples)" samples $((s1 + 100)) 10
pt_eq "frozen: the table stays" "$(cum)" "$a"
tui_keys f
tui_wait_not "f again: live" 'FROZEN' 5
tui_wait_ge "live again: cumtime moved on" cum "$(awk -v a="$a" 'BEGIN { print a + 0.2 }')" 10

tui_keys P
tui_wait "P: paused" 'pid [0-9]+ +paused' 5
# what the kernel buffered before the pause comes in while "draining"
tui_wait "P: paused, the buffered samples drained" 'pid [0-9]+ +paused  ' 5
s1=$(samples)
sleep 1
s2=$(samples)
pt_eq "paused: the sample count stopped" "$s2" "$s1"
tui_keys P
tui_wait "P again: running" 'pid [0-9]+ +running' 5
tui_wait_ge "resumed: samples again" samples $((s2 + 100)) 10

s1=$(samples)
tui_keys z
tui_wait_le "z: counters zeroed" samples $((s1 / 2)) 5

tui_keys w
tui_wait "w: last 5 s" 'last 5 s' 5
tui_keys w
tui_wait "w again: since start" 'since start' 5

tui_keys '?'
tui_wait "help lists the keys" 'freeze the display' 5
tui_wait "help names the sort keys" '1 2 3 4 +sort by cumulative time' 5
tui_keys Escape
tui_wait "Esc leaves the help" 'Functions \([0-9]+\)' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0

# T: one thread of two.
tui_tmux kill-server 2>/dev/null
tui_start 120 40 -- "$threads" 0.5
tui_wait "threads ended" 'exited with status 0' 20 || pt_finish
tui_keys 2
tui_wait_first "both threads: thread_a_work first" thread_a_work 5
tui_keys T
tui_wait "the thread picker" 'Threads: Enter' 5
tui_wait "worker-b listed" 'worker-b' 5
line=$(tui_screen | grep -n 'worker-b' | head -n 1 | cut -d: -f1)
all=$(tui_screen | grep -n 'all threads' | head -n 1 | cut -d: -f1)
# walk down to worker-b's line from the picker's first row, "all threads"
tui_keys Home
for i in $(seq 1 $((line - all))); do tui_keys Down; done
tui_keys Enter
tui_wait "restricted to worker-b" 'thread [0-9]+ worker-b' 5
tui_wait_first "worker-b's function first" thread_b_work 5
if tui_rows | grep -q thread_a_work; then
	pt_fail "thread_a_work still shows with only worker-b"
else
	pt_ok "thread_a_work gone with only worker-b"
fi
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
