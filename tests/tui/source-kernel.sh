#!/bin/bash
# Time in the kernel at a line that calls nothing (here the page faults of
# a loop touching 50 MiB) is kernel time on that line in the source view,
# "(in kernel N%)", never "calls [kernel]": an interrupt is not a call.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload memfirst)

tui_start 140 40 --no-color -- "$w" 0.3
tui_wait "target ended" 'exited with status 0' 30 || pt_finish
tui_keys '\' touch_first Enter
tui_wait_first "filtered to touch_first" touch_first 5 || pt_finish
tui_keys Enter
tui_wait "source of touch_first" 'Source of touch_first \(memfirst\.c' 5 || pt_finish
line=$(tui_screen | grep -m1 'p\[i\] = ')
echo "# the store line: $(sed 's/  */ /g' <<<"$line")"
if grep -q 'calls \[kernel\]' <<<"$(tui_screen)"; then
	pt_fail "expected no line to say it calls [kernel]; the screen:"
	tui_screen | sed 's/^/#   |/'
else
	pt_ok "no line 'calls [kernel]'"
fi
pct=$(grep -o '(in kernel [0-9]*%)' <<<"$line" | grep -o '[0-9]*')
if [ -n "$pct" ]; then
	pt_ok "the store line shows its kernel time: $pct%"
	pt_ge "its kernel share (%)" "$pct" 1
else
	pt_fail "expected '(in kernel N%)' on the line 'p[i] = ...', saw: '$line'"
fi
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
