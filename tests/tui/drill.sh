#!/bin/bash
# Drilling down on shares: Enter opens work_sixty's source on its hottest
# line (the SPIN of 6n, with the largest count), n/N walk the hot lines;
# c shows run as its caller; t opens the call tree along the hottest path.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
shares=$(pt_workload shares)

tui_start 120 40 --no-color -- "$shares" 1
tui_wait "target ended" 'exited with status 0' || pt_finish
tui_keys 2
tui_wait_first "work_sixty first by tottime" work_sixty || pt_finish

# The line view: "  line    self   total heat source"; the cursor (the
# hottest line) is found by its count being the largest.
tui_keys Enter
tui_wait "source view of work_sixty" 'Source of work_sixty \(shares\.c:[0-9]+-[0-9]+\)' 5
lines=$(tui_screen | awk '/line +self +total/ { on = 1; next }
	on && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { print }')
echo "# sampled lines:"
sed 's/^/#   /' <<<"$lines"
hot=$(sort -k2,2nr <<<"$lines" | head -n 1)
case $hot in
*"SPIN(6 * n)"*) pt_ok "the line with the largest self count is SPIN(6 * n): $hot" ;;
*) pt_fail "expected the hottest line to be 'SPIN(6 * n)', saw '$hot'" ;;
esac
pt_ge "its self samples (1 s at 997 Hz)" "$(awk '{ print $2 }' <<<"$hot")" 300
# The cursor (reverse video, --no-color) starts on it; n / N keep to
# sampled lines (here the only one, so they come back to it).
cur=$(tui_cursor_line)
case $cur in
*"SPIN(6 * n)"*) pt_ok "the cursor starts on the hottest line: $cur" ;;
*) pt_fail "expected the cursor on the SPIN(6 * n) line, saw '$cur'" ;;
esac
tui_keys Home
tui_wait "Home leaves the hot line" "^.{0}" 1
tui_keys n
sleep 0.3
case $(tui_cursor_line) in
*"SPIN(6 * n)"*) pt_ok "n goes to the hot line" ;;
*) pt_fail "expected n to move the cursor to SPIN(6 * n), saw '$(tui_cursor_line)'" ;;
esac
tui_keys Escape
tui_wait "Esc goes back to the functions" 'Functions \([0-9]+\) by own time' 5

tui_keys c
tui_wait "callers view" 'Callers and callees of work_sixty' 5
callers=$(tui_screen | awk '/callers of work_sixty/ { on = 1; next } /the function/ { on = 0 } on')
case $callers in
*"run (shares.c"*) pt_ok "run is the caller of work_sixty" ;;
*) pt_fail "expected run among the callers of work_sixty, saw: $callers" ;;
esac
# Enter on the caller moves there: run's callees are the three work functions.
tui_keys Up Enter
tui_wait "Enter on a caller moves to it" 'Callers and callees of run' 5
tui_wait "run's callees include work_ten" 'work_ten \(shares\.c' 5
tui_keys Escape Escape

tui_keys t
tui_wait "call tree" 'Call tree' 5
tree=$(tui_screen)
# The hottest path is open down to work_sixty, below run, below main.
m=$(grep -n ' main (shares' <<<"$tree" | head -n 1 | cut -d: -f1)
r=$(grep -n ' run (shares' <<<"$tree" | head -n 1 | cut -d: -f1)
w=$(grep -n ' work_sixty (shares' <<<"$tree" | head -n 1 | cut -d: -f1)
if [ -n "$m" ] && [ -n "$r" ] && [ -n "$w" ] && [ "$m" -lt "$r" ] && [ "$r" -lt "$w" ]; then
	pt_ok "tree opened along main > run > work_sixty"
else
	pt_fail "expected main, run and work_sixty in that order in the tree; saw:"
	sed 's/^/#   |/' <<<"$tree"
fi
ind() { grep -m1 "$1" <<<"$tree" | sed -E 's/^ *[0-9.]+% +[0-9.]+% +[0-9.]+ +[0-9.]+ //' |
	awk '{ match($0, /^ */); print RLENGTH }'; }
pt_le "run is indented less than work_sixty" "$(ind ' run (shares')" "$(($(ind ' work_sixty (shares') - 1))"
# Collapse run (cursor to it, -): work_sixty disappears; + brings it back.
tui_keys / run Enter -
tui_wait_not "- collapses run" ' work_sixty \(shares' 5
tui_keys +
tui_wait "+ expands run" ' work_sixty \(shares' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
