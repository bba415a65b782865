#!/bin/bash
# Resizing at any moment, down to 40x12 and below, while a target runs:
# no crash, the views draw what fits, and q then terminates the launched
# target and restores the terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload forever)

tui_start 120 40 -- "$w"
tui_wait "running" 'pid [0-9]+ +running' 15 || pt_finish
pid=$(tui_screen | grep -o 'pid [0-9]*' | head -n 1 | awk '{ print $2 }')
pt_track "$pid"
tui_keys 2
tui_wait_first "spin_forever on top" spin_forever 10

resize() { tui_tmux resize-window -t 0 -x "$1" -y "$2"; }
alive() {
	if [ -f "$PT_WORK/rc" ]; then
		pt_fail "$1: proftop exited (status $(cat "$PT_WORK/rc")); stderr:"
		sed 's/^/#   /' "$PT_WORK/stderr"
		pt_finish
	fi
}

resize 40 12
tui_wait "40x12 still shows the header" 'pid [0-9]+' 5
tui_wait "40x12 still shows the table" 'spin_forever' 5
width=$(tui_screen | LC_ALL=C.UTF-8 wc -L) # display columns: a cut name ends in a 3-byte …
pt_le "widest line at 40 columns" "$width" 40
for k in m t Enter o '?' c a T Escape Escape Escape Escape Escape m F6 I I Escape; do
	tui_keys "$k"
	sleep 0.05
	alive "key $k at 40x12"
done
tui_keys / spin Enter
resize 16 4
sleep 0.3
alive "at 16x4"
resize 1 1
sleep 0.3
alive "at 1x1"
resize 40 12
sleep 0.2
resize 120 40
tui_wait "back to 120x40: full table" 'tottime +cumtime +%self +%total' 5
tui_wait "the header's second line" 'samples [0-9,]+ +lost' 5
alive "after the resizes"

tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "exit status after q" "$TUI_RC" 0
if pt_wait_gone "$pid" 5; then
	pt_ok "the launched target was terminated on q"
else
	pt_fail "the launched target $pid still runs after q"
fi
tui_check_restored
pt_finish
