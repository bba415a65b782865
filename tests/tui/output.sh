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

# --stdin: in the output view, i hands the keys to the target.
tui_tmux kill-server 2>/dev/null
tui_start 100 20 --stdin -- bash -c 'sleep 3; read x; echo "got: $x"; sleep 3; exit 0'
tui_wait "a target that reads stdin" 'pid [0-9]+ +running' 10 || pt_finish
tui_keys o i
tui_wait "i: input mode" 'input for the target' 5
tui_keys 'hello target' Enter
tui_wait "the target read the line" '^got: hello target' 10
tui_keys C-c
tui_wait_not "^C takes the keys back" 'input for the target' 5
tui_wait "ended" 'exited with status 0' 10
tui_keys q
tui_wait_exit 10
pt_eq "exit status (--stdin)" "$TUI_RC" 0

# Keys for proftop never reach the target, even while it waits on its
# stdin: it reads the pty, fed only in input mode.
tui_tmux kill-server 2>/dev/null
tui_start 100 20 --stdin -- bash -c 'read x; echo "got: [$x]"; sleep 2; exit 0'
tui_wait "a target reading stdin at once" 'pid [0-9]+ +running' 10 || pt_finish
tui_keys 2 f f I I
tui_keys o i
tui_wait "i: input mode" 'input for the target' 5
tui_keys 'abc' Enter
tui_wait "the target read only what was typed in input mode" '^got: \[abc\]' 10
tui_keys C-c q
tui_wait_exit 10
pt_eq "exit status (--stdin, keys kept apart)" "$TUI_RC" 0
pt_finish
