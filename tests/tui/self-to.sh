#!/bin/bash
# F moves inlined code's own time to the out-of-line function holding it
# (--self-to function, perf's view) and back: on the inline workload,
# inlined_helper's row goes and inline_caller's own time about doubles
# (both ~40% as leaf; the caller ~80% as function).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload inline)

tui_start 140 30 --no-color --sort tottime -- "$w"
tui_wait "target ended" 'exited with status 0' 30 || pt_finish
tui_wait "inlined_helper has its own row (leaf, the default)" 'inlined_helper' 5
self_of() { tui_rows | awk -v f="$1" '$3 == f { print $1; exit }'; }
leaf=$(self_of inline_caller)
tui_keys F
tui_wait "F says where own time goes" 'own time goes to the out-of-line function' 5
tui_wait_not "inlined_helper's row is gone" 'inlined_helper' 5
func=$(self_of inline_caller)
pt_near "inline_caller %self as leaf" "$leaf" 40 8
pt_near "inline_caller %self as function" "$func" 80 8
tui_keys F
tui_wait "F again: back to the innermost" 'inlined_helper' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
