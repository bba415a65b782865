#!/bin/bash
# The line view marks inlined call sites: inline_caller's source shows the
# line where inlined_helper was inlined, with the helper's name, and Enter
# there goes to the helper's own lines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload inline)

tui_start 140 40 -- "$w" 1
tui_wait "target ended" 'exited with status 0' || pt_finish
# \ filters the table by name: inline_caller alone.
tui_keys '\' inline_caller Enter
tui_wait_first "filtered to inline_caller" inline_caller || pt_finish
pt_eq "rows left by the filter" "$(tui_rows | wc -l)" 1
tui_keys Enter
tui_wait "source of inline_caller" 'Source of inline_caller \(inline\.c' 5
mark=$(tui_screen | grep -m1 'inlined: inlined_helper')
if [ -n "$mark" ]; then
	pt_ok "inlined call site marked: $(sed 's/  */ /g' <<<"$mark")"
else
	pt_fail "expected a line marked 'inlined: inlined_helper'; the screen:"
	tui_screen | sed 's/^/#   |/'
fi
tui_keys / 'inlined_helper(x' Enter Enter
tui_wait "Enter on the inlined line opens the helper" 'Source of inlined_helper \(inline\.c' 5
tui_keys Escape Escape Escape '\' Escape
tui_wait "Esc in the filter prompt clears it" 'Functions \([0-9]+\) by' 5
pt_ge "rows after the filter was cleared" "$(tui_rows | wc -l)" 3
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
