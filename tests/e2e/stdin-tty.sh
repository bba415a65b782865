#!/bin/bash
# The live view's --stdin gives the target the pty as its controlling
# terminal (/dev/tty opens), and the target is not hung up when it closes
# its own ends of the pty and runs on (the master stays open: closing it
# would send SIGHUP). Without --stdin the target has no controlling terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
probe='if (: </dev/tty) 2>/dev/null; then echo "tty: yes"; else echo "tty: no"; fi'

# run LABEL EXPECT ARG...: the live view on sh -c SCRIPT; the output view
# must show EXPECT and the target must end with status 0.
run()
{
	local label=$1 expect=$2
	shift 2
	tui_tmux kill-server 2>/dev/null
	tui_start 100 20 "$@"
	tui_wait "$label: the target ended" '(exited with status|killed by) ' 20 || return
	if tui_screen | grep -q 'exited with status 0'; then
		pt_ok "$label: exited with status 0"
	else
		pt_fail "$label: expected 'exited with status 0', saw '$(tui_screen | grep -Eo '(exited with status [0-9]+|killed by [A-Z]+)' | head -n 1)'"
	fi
	tui_keys o
	tui_wait "$label: the output view shows '$expect'" "^$expect\$" 5
	tui_keys q
	tui_wait_exit 10
}

for round in 1 2; do
	run "--stdin, round $round" "tty: yes" --stdin -- \
		sh -c "$probe; exec >/dev/null 2>&1 </dev/null; sleep 1; exit 0"
done
run "without --stdin" "tty: no" -- sh -c "$probe; sleep 0.5"
pt_finish
