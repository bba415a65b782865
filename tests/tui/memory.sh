#!/bin/bash
# The memory pane (m) on a program that grows by 10 x 20 MiB: the chart
# with its time axis, and the figures say a growth of ~200 MiB.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload memory)

tui_start 120 40 -- "$w" 1
tui_keys m
tui_wait "memory pane open" 'Memory of the target' 10 || pt_finish
tui_wait "target ended" 'exited with status 0' || pt_finish
screen=$(tui_screen)
growth=$(grep -o 'growth +[0-9.]* MiB' <<<"$screen" | head -n 1 | awk '{ print $2 + 0 }')
echo "# $(grep -m1 'growth' <<<"$screen" | sed 's/  */ /g')"
pt_ge "RSS growth in the pane (MiB)" "$growth" 150
pt_le "RSS growth in the pane (MiB)" "$growth" 260
peak=$(grep -o 'peak [0-9.]* MiB' <<<"$screen" | head -n 1 | awk '{ print $2 + 0 }')
pt_ge "RSS peak (MiB)" "$peak" 150
# The chart: braille dots and a time axis reaching past one second.
# (U+2801..U+28FF: bytes e2 a0..a3 xx)
if LC_ALL=C grep -q $'\xe2[\xa0-\xa3]' <<<"$screen"; then
	pt_ok "the chart is drawn in braille"
else
	pt_fail "expected braille cells in the chart; the screen:"
	sed 's/^/#   |/' <<<"$screen"
fi
if grep -Eq '└.*0s.* 1(\.[0-9])?s' <<<"$screen"; then
	pt_ok "time axis from 0s past 1s"
else
	pt_fail "expected a time axis '0s ... 1s'; the screen:"
	sed 's/^/#   |/' <<<"$screen"
fi
# The pane goes away with m, and the functions stay under it all along.
tui_keys m
tui_wait_not "m hides the pane" 'Memory of the target' 5
tui_wait "the functions view is still there" 'Functions \([0-9]+\)' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
