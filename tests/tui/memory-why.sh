#!/bin/bash
# When the memory view has no allocations to show, its status line says
# why, first (it must survive an 80-column screen): tracking turned off
# with --no-alloc; an attached process (the tracker needs a launch).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload memgrow)

tui_start 80 24 --no-color --no-alloc -- "$w"
tui_wait "--no-alloc: running" 'pid [0-9]+' 15 || pt_finish
pt_track "$(tui_screen | grep -o 'pid [0-9]*' | head -n 1 | awk '{ print $2 }')"
tui_keys m
tui_wait "--no-alloc: the memory view" 'Memory of the target' 5 || pt_finish
tui_wait "--no-alloc: the status line says tracking is off" \
	'^ whole run: allocations: .*(--no-alloc|off|not tracked)' 5
tui_screen | grep -m1 'allocations:' | sed 's/^/# /'
tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "--no-alloc: exit status" "$TUI_RC" 0
tui_tmux kill-server 2>/dev/null

"$w" >/dev/null &
pid=$!
pt_track "$pid"
TUI_SOCK=$TUI_SOCK-2
tui_start 80 24 --no-color -p "$pid"
tui_wait "-p: attached" "pid $pid" 15 || pt_finish
tui_keys m
tui_wait "-p: the memory view" 'Memory of the target' 5 || pt_finish
tui_wait "-p: the status line says an attached process has no allocations" \
	'^ whole run: allocations: .*(attach|launched programs only)' 5
tui_screen | grep -m1 'allocations:' | sed 's/^/# /'
tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "-p: exit status" "$TUI_RC" 0
if kill -0 "$pid" 2>/dev/null; then
	pt_ok "the attached process runs on after q"
else
	pt_fail "the attached process $pid is gone after q"
fi
pt_finish
