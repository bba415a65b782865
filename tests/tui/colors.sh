#!/bin/bash
# Colours: 256 colours where the terminal has them, 8 where it has 8,
# none with --no-color or NO_COLOR (the cursor and the bars in reverse
# video instead).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
shares=$(pt_workload shares)

# run LABEL ARG...: the screen with its escape sequences, after the end.
run() {
	local label=$1
	shift
	tui_tmux kill-server 2>/dev/null
	tui_start 100 30 "$@" -- "$shares" 0.3
	tui_wait "$label: ended" 'exited with status 0' 20 || return 1
	tui_keys 2
	tui_wait_first "$label: sorted" work_sixty 5
	tui_tmux capture-pane -p -e -t 0 >"$PT_WORK/$label.esc"
	tui_keys q
	tui_wait_exit 10
	pt_eq "$label: exit status" "$TUI_RC" 0
}

TUI_TERM=tmux-256color run c256
if grep -q $'\033\\[[0-9;]*38;5;[0-9]' "$PT_WORK/c256.esc"; then
	pt_ok "256-colour palette used on tmux-256color"
else
	pt_fail "expected 256-colour sequences (38;5;N) on tmux-256color; saw:"
	cat -v "$PT_WORK/c256.esc" | head -n 8 | sed 's/^/#   /'
fi

TUI_TERM=screen run c8
if grep -q $'\033\\[[0-9;]*3[0-7]m' "$PT_WORK/c8.esc" &&
	! grep -q $'\033\\[[0-9;]*38;5;' "$PT_WORK/c8.esc"; then
	pt_ok "8 colours on screen (no 256-colour sequences)"
else
	pt_fail "expected only 8-colour sequences on TERM=screen; saw:"
	cat -v "$PT_WORK/c8.esc" | head -n 8 | sed 's/^/#   /'
fi

nocolor() {
	if grep -Eq $'\033\\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+)m' "$PT_WORK/$1.esc"; then
		pt_fail "$1: expected no colour sequences; saw:"
		cat -v "$PT_WORK/$1.esc" | head -n 8 | sed 's/^/#   /'
	else
		pt_ok "$1: no colours"
	fi
	grep -q $'\033\\[[0-9;]*7m' "$PT_WORK/$1.esc" && pt_ok "$1: reverse video instead" ||
		pt_fail "$1: expected reverse video for the cursor and the title"
}
TUI_TERM=tmux-256color run mono --no-color
nocolor mono
TUI_NO_COLOR=1 TUI_TERM=tmux-256color run envmono
nocolor envmono
pt_finish
