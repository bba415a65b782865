#!/bin/bash
# --clock wall in the live view: the header names the clock, the waits show
# as [off-CPU: why] rows, W switches to the CPU clock (the waits go, the
# header says cpu) and back; on a CPU-clock session W says why it cannot.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload waits)

tui_start 160 40 --no-color --clock wall -o "$PT_WORK/s.proftop" -- "$w" 1.5
tui_wait "the header names the wall clock" 'clock wall' 10 || pt_finish
# A wait still going on shows as it goes: the thread blocked all along is
# there before the target ends.
tui_wait "waits_forever shows while it still waits" 'waits_forever' 10
if tui_screen | grep -q 'exited with status'; then
	pt_fail "expected waits_forever before the target's end; the target had ended"
else
	pt_ok "... before the target ended"
fi
tui_wait "target ended" 'exited with status 0' 30 || pt_finish
tui_wait "a wait in nanosleep has its row" 'off-CPU: clock_nanosleep' 5
tui_keys W
tui_wait "W: the header names the CPU clock" 'clock cpu' 5
tui_wait_not "W: the waits' rows are gone" 'off-CPU:' 5
tui_wait "W: waits_compute is on top" 'waits_compute' 5
tui_keys W
tui_wait "W again: the waits are back" 'off-CPU: read' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
tui_tmux kill-server 2>/dev/null

# A CPU-clock recording: W cannot show waits that were never collected.
tui_start 160 40 --no-color -- "$w" 0.1
tui_wait "target ended" 'exited with status 0' 30 || pt_finish
tui_wait "the header names the CPU clock" 'clock cpu' 5
tui_keys W
tui_wait "W says what to do" 'run proftop with --clock wall' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
