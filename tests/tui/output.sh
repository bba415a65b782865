#!/bin/bash
# The target's output goes through a pty into the output view (o) and
# nowhere else: not over the interface, not after it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
shares=$(pt_workload shares)

tui_start 100 30 -- "$shares" 0.5
tui_wait "target ended" 'exited with status 0' || pt_finish
if tui_screen | grep -q 'shares: '; then
	pt_fail "the target's output leaked onto the functions view:"
	tui_screen | sed 's/^/#   |/'
else
	pt_ok "no target output on the functions view"
fi
tui_keys o
tui_wait "output view" 'Target output: 2 lines' 5
tui_wait "stdout line in the output view" '^shares: done, checksum [0-9a-f]{16}' 5
tui_wait "stderr line in the output view" '^shares: stderr line' 5
tui_keys o
tui_wait "o again goes back" 'Functions \([0-9]+\)' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
tui_check_restored
if tui_screen | grep -q 'shares: '; then
	pt_fail "the target's output showed up after proftop exited:"
	tui_screen | sed 's/^/#   |/'
else
	pt_ok "no target output on the terminal after exit"
fi
pt_eq "proftop's stderr" "$(cat "$PT_WORK/stderr")" ""
pt_finish
