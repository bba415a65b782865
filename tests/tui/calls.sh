#!/bin/bash
# Counting and timing in the live view: with --latency nap the header shows
# the probes' cost and nap's row its ncalls; L opens nap's latency (calls,
# median ~20 ms, a histogram); C on work_sixty starts counting it (a lower
# bound, ">=") and C again stops.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
sleeper=$(pt_workload calls-sleep)
shares=$(pt_workload shares)

tui_start 120 40 --no-color --latency nap -- "$sleeper" 400 20
if grep -q "cannot count calls" "$PT_WORK/stderr" 2>/dev/null ||
	tui_screen | grep -q "cannot count calls"; then
	pt_skip "uprobes do not work here"
fi
tui_wait "the header shows the probes' cost" 'probes [0-9]+\.[0-9]%' 10 || pt_finish
tui_keys 3
tui_wait "sorted by calls: nap first, with its ncalls" '^ *[0-9]+ .* nap \(calls-sleep\.c' 10
tui_keys L
tui_wait "L: the latency view of nap" 'Latency of nap \(calls-sleep\.c:[0-9]+\)' 5
tui_wait "  calls and a median of 20.x ms" 'median 20\.[0-9] ms' 5
tui_wait "  a histogram row" '[0-9.]+ ms - [0-9.]+ ms .* [0-9]+ *$' 5
tui_keys Escape
tui_wait "Esc goes back to the functions" 'ncalls +tottime' 5
tui_keys q
tui_wait_exit 15 || pt_fail "proftop did not quit"
pt_eq "exit status" "$TUI_RC" 0

tui_tmux kill-server 2>/dev/null
TUI_SOCK=$TUI_SOCK-2
tui_start 120 40 --no-color -- "$shares" 4
tui_keys 2
tui_wait_first "work_sixty first by tottime" work_sixty 10 || pt_finish
tui_keys C
tui_wait "C: counting work_sixty" 'counting work_sixty from now on' 10
tui_wait "its ncalls is a lower bound" '^ *>=[0-9]+ .* work_sixty' 10
tui_keys C
tui_wait "C again: stopped" 'stopped counting work_sixty \([0-9]+ calls counted\)' 10
tui_keys q
tui_wait_exit 15 || pt_fail "proftop did not quit"
pt_eq "exit status" "$TUI_RC" 0
pt_finish
