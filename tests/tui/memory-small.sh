#!/bin/bash
# The memory view (m) on small terminals while a target runs: at 40x12 the
# chart gives way to the table (the title says there is no room for it),
# at 60x16 a smaller chart sits over the table; the view's keys and sizes
# down to 1x1 crash nothing; no line is wider than the terminal; at
# 120x40 two clicks on the chart pick a time range; q ends it and
# restores the terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload memgrow)

resize() { tui_tmux resize-window -t 0 -x "$1" -y "$2"; }
alive() {
	if [ -f "$PT_WORK/rc" ]; then
		pt_fail "$1: proftop exited (status $(cat "$PT_WORK/rc")); stderr:"
		sed 's/^/#   /' "$PT_WORK/stderr"
		pt_finish
	fi
}
widest() { tui_screen | LC_ALL=C.UTF-8 wc -L; }

tui_start 40 12 --no-color -- "$w" "$PT_WORK/phase"
tui_wait "running" 'pid [0-9]+' 15 || pt_finish
pt_track "$(tui_screen | grep -o 'pid [0-9]*' | head -n 1 | awk '{ print $2 }')"
tui_keys m
tui_wait "40x12: no room for the chart, the title says so" 'no room for memory' 5
tui_wait "40x12: the table's status line" '^ (whole run|last [0-9]+ s): allocat' 5
tui_wait "40x12: its column header (the first columns)" 'allocated +live +function' 5
tui_screen | sed 's/^/#   40x12 |/'
pt_le "widest line at 40 columns" "$(widest)" 40
# (no Escape: without a range it would leave the view; no Enter: on a
# row it opens the row's lines, memory-table.sh's part)
for k in 1 2 3 4 5 6 7 r F6 '<' '[' Left ']' Left Down Up End Home Right Left; do
	tui_keys "$k"
	sleep 0.05
	alive "key $k at 40x12"
done

resize 60 16
tui_wait "60x16: the view's title" 'Memory of the target' 5
tui_wait "60x16: a chart with its time axis" '└.*0s' 5
tui_wait "60x16: the table under it" 'allocated +self' 5
tui_screen | sed 's/^/#   60x16 |/'
pt_le "widest line at 60 columns" "$(widest)" 60
tui_keys '[' Right Right ']' Left
sleep 0.3
alive "a range at 60x16"
resize 16 4
sleep 0.3
alive "at 16x4"
tui_keys 1 '[' Left
sleep 0.2
alive "keys at 16x4"
resize 1 1
sleep 0.3
alive "at 1x1"
resize 120 40
tui_wait "back to 120x40: the chart's figures" 'growth' 5
tui_wait "back to 120x40: the table's header" 'allocated +self +allocs +live +peak +leaked +faulted +function' 5
alive "after the resizes"

# Two clicks on the chart: the range from the first to the second.
tui_click 20 8
tui_click 40 8
tui_wait "two clicks on the chart pick a range" '^ range [0-9:.]+-[0-9:.]+: allocat' 5
tui_screen | grep -m1 '^ range' | sed 's/^/# /'
tui_keys Escape
tui_wait "Esc clears it" '^ (whole run|last [0-9]+ s): allocat' 5

tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "exit status after q" "$TUI_RC" 0
tui_check_restored
pt_finish
