#!/bin/bash
# Errors before the screen opens: one line naming the problem and the fix,
# exit status 1 (2 for usage), the terminal never switched over.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup

# check LABEL STATUS REGEX ARG...: in the tmux pane, so that proftop has
# a terminal and gets as far as it can.
check() {
	local label=$1 status=$2 re=$3
	shift 3
	tui_tmux kill-server 2>/dev/null
	tui_start 100 30 "$@"
	tui_wait_exit 15 || { pt_fail "$label: proftop did not exit"; return; }
	pt_eq "$label: exit status" "$TUI_RC" "$status"
	# a usage error adds the short usage after its line (as every command does)
	[ "$status" = 2 ] || pt_one_line "$label" "$PT_WORK/stderr"
	if head -n 1 "$PT_WORK/stderr" | grep -Eq "$re"; then
		pt_ok "$label: says /$re/"
	else
		pt_fail "$label: expected stderr to match /$re/, saw: $(cat "$PT_WORK/stderr")"
	fi
	tui_check_restored
}

check "no such pid" 1 'pid 999999' -p 999999
check "no such command" 1 'no-such-command' -- ./no-such-command-here
# (no target at all opens the process picker: tests/tui/picker-attach.sh)
echo "not a session" >"$PT_WORK/junk.proftop"
check "not a session" 1 "junk\.proftop" -i "$PT_WORK/junk.proftop"
check "missing session" 1 "nothing\.proftop" -i "$PT_WORK/nothing.proftop"
check "bad refresh" 2 "invalid refresh interval '0'" --refresh 0 -- true
TUI_TERM=no-such-term check "unknown terminal" 1 "unknown terminal type 'no-such-term'" -- true

# Without a terminal at all.
"$PROFTOP" -- true </dev/null >"$PT_WORK/out" 2>"$PT_WORK/err"
pt_eq "no terminal: exit status" "$?" 1
pt_one_line "no terminal" "$PT_WORK/err"
grep -q "needs a terminal" "$PT_WORK/err" && pt_ok "no terminal: says it needs one" ||
	pt_fail "no terminal: expected 'needs a terminal', saw: $(cat "$PT_WORK/err")"
pt_finish
