#!/bin/bash
# proftop killed by SIGTERM, or crashing (a SIGSEGV sent to it), restores
# the terminal and takes its launched target along; attached (-p) and
# quit with q, it leaves the process running untouched.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload forever)

proftop_pid() {
	local shell
	shell=$(tui_tmux display -p -t 0 '#{pane_pid}')
	pgrep -P "$shell" -x proftop | head -n 1
}

for sig in TERM SEGV; do
	tui_tmux kill-server 2>/dev/null
	tui_start 100 30 -- "$w"
	tui_wait "SIG$sig run: running" 'pid [0-9]+ +running' 15 || pt_finish
	target=$(tui_screen | grep -o 'pid [0-9]*' | head -n 1 | awk '{ print $2 }')
	pt_track "$target"
	pid=$(proftop_pid)
	[ -n "$pid" ] || { pt_fail "cannot find proftop's pid"; pt_finish; }
	kill -s "$sig" "$pid"
	tui_wait_exit 10 || pt_fail "proftop did not exit on SIG$sig"
	expect=$((128 + $(kill -l "$sig")))
	pt_eq "proftop dies of SIG$sig (status $expect)" "$TUI_RC" "$expect"
	tui_check_restored
	if pt_wait_gone "$target" 5; then
		pt_ok "SIG$sig: the launched target is gone too"
	else
		pt_fail "SIG$sig: the launched target $target still runs"
	fi
	if [ "$sig" = SEGV ]; then
		pt_eq "what a crash says" "$(head -n 1 "$PT_WORK/stderr")" \
			"proftop: crashed; the terminal was restored"
	fi
done

# Attached: q leaves the process running, not stopped.
tui_tmux kill-server 2>/dev/null
"$w" &
victim=$!
pt_track "$victim"
tui_start 100 30 -p "$victim"
tui_wait "attached" "pid $victim +running \\(attached\\)" 15 || pt_finish
tui_keys 2
tui_wait_first "attached: spin_forever sampled" spin_forever 10
tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "exit status after q (attached)" "$TUI_RC" 0
state=$(pt_proc_state "$victim")
case $state in
R* | S*) pt_ok "the attached process runs on after q ($state)" ;;
*) pt_fail "expected the attached process running after q, saw state '$state'" ;;
esac
kill "$victim" 2>/dev/null
pt_finish
