#!/bin/bash
# The functions table at 80 columns: the empty call-count columns hide,
# a long C++ name ends in an ellipsis and Right scrolls it; the frames every
# sample passes through fold into one line; at 40x12 nothing draws over
# another element; \ filters the call tree; d in a line view without source
# shows the lines.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
cxx=$(pt_workload cxx)

pt_proftop "$PT_WORK/record.out" record -o "$PT_WORK/cxx.proftop" -- "$cxx" 0.5
[ "$PT_RC" = 0 ] || { pt_fail "record exited $PT_RC: $(cat "$PT_WORK/record.out.err")"; pt_finish; }

tui_start 80 24 -i "$PT_WORK/cxx.proftop"
tui_wait "the saved session opens" 'Functions \(' 10 || pt_finish
row() { tui_screen | grep 'ns::crunch' | head -n 1; }

# nothing was counted: no ncalls, no percall
if tui_screen | grep -q 'ncalls\|percall'; then
	pt_fail "no calls counted, yet ncalls/percall take room:"
	tui_screen | sed 's/^/#   |/'
else
	pt_ok "ncalls and percall hidden while nothing is counted"
fi
# (main, or the libc frame above it when a sample fell in exit() after
# main returned: such a sample does not pass through main; "nearly all
# samples ..." when a few start-up samples pass through neither, the line
# then cut at 80 columns within "__libc_start_main")
tui_wait "the frames every sample shares fold into one line" \
	'samples pass through (main|__libc_start_call_main) \([0-9.]+%; from .*_sta' 5

tui_keys 2
tui_wait "crunch's row" 'ns::crunch' 5
r=$(row)
echo "# row: $r"
case "$r" in
*…) pt_ok "the cut C++ name ends in an ellipsis" ;;
*) pt_fail "expected the crunch row to end in '…' at 80 columns, saw: $r" ;;
esac
tui_keys Right
tui_wait "Right scrolls the names: the start is cut" '%  … long ns::crunch<unsigned long>' 5
tui_wait "the column header says so" 'scrolled: Left' 5
tui_keys Left
tui_wait "Left scrolls back" '%  unsigned long ns::crunch' 5

# 40x12: the memory pane has no room; the title says so, nothing is drawn
# over the header
tui_tmux resize-window -t 0 -x 40 -y 12
tui_keys m
tui_wait "40x12: m says there is no room, in the title" 'no room for memory' 5
line2=$(tui_screen | sed -n 2p)
case "$line2" in
saved\ session*) pt_ok "40x12: the header's second line is intact" ;;
*) pt_fail "40x12: expected the header's second line to start 'saved session', saw: $line2" ;;
esac
tui_keys m t
tui_wait "40x12: the tree's names have room" '▾ _start \[' 5
width=$(tui_screen | LC_ALL=C.UTF-8 wc -L) # display columns, not bytes
pt_le "widest line at 40 columns" "$width" 40

# \ filters the tree: the matches and the nodes above them
tui_tmux resize-window -t 0 -x 100 -y 30
tui_keys '\' crunch Enter
tui_wait "the tree keeps crunch" 'ns::crunch' 5
tui_wait_not "the tree drops what does not lead to crunch" 'Worker::spin' 5
tui_keys Escape '\' Escape

# d in the line view of a function without readable source
tui_keys u '/' __libc_start_call_main Enter a
tui_wait "a: no source, the machine code" 'Disassembly of __libc_start_call_main.*no source, d for lines' 10
tui_keys d
tui_wait "d: the lines" 'Lines of __libc_start_call_main' 5

tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "exit status after q" "$TUI_RC" 0
pt_finish
