#!/bin/bash
# The memory pane names each line of its chart where the line ends, in the
# line's colour: " VMS" and " RSS" right of the plot on (or next to) the
# row of the line's last value, VMS above or level with RSS. At 80x24, in
# LANG=C (ASCII, where the names are the only key) and in a UTF-8 locale.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
w=$(pt_workload memfirst)

# The chart's rows: after the two lines of figures under the pane's title,
# until the x axis (the row starting with the axis corner). Each 3-byte
# UTF-8 character (braille, box drawing) becomes one x: columns are bytes.
chart()
{
	tui_screen | LC_ALL=C sed 's/\xe2[\x80-\xbf][\x80-\xbf]/x/g' |
		awk '/Memory of the target/ { on = 1; skip = 2; next }
		on && skip > 0 { skip--; next }
		on && /^ *[+x]/ && /0s/ { exit }
		on { print }'
}

# check_key NAME: the row ending in " NAME"; the plot column left of the
# key is drawn on that row or the next one up or down. Echoes the row.
check_key()
{
	chart | awk -v n="$1" '
		{ row[NR] = $0 }
		substr($0, length($0) - 3) == " " n { at = NR }
		END {
			if (!at) { print "none"; exit 1 }
			for (r = at - 1; r <= at + 1; r++)
				if (r >= 1 && substr(row[r], 76, 1) != "" && substr(row[r], 76, 1) != " ") {
					print at; exit 0 }
			print "blank " at; exit 1 }'
}

for loc in C C.UTF-8; do
	TUI_LC_ALL=$loc tui_start 80 24 --no-color -- "$w" 1
	tui_wait "[$loc] target ended" 'exited with status 0' 30 || pt_finish
	tui_keys m
	tui_wait "[$loc] memory pane open" 'Memory of the target' 5 || pt_finish
	chart | sed "s/^/# [$loc] |/"
	if vms=$(check_key VMS) && rss=$(check_key RSS); then
		pt_ok "[$loc] VMS named on chart row $vms, RSS on row $rss, each beside its line"
		pt_le "[$loc] the VMS row is above or level with the RSS row" "$vms" "$rss"
	else
		pt_fail "[$loc] expected ' VMS' and ' RSS' at the right end of the chart rows, beside a drawn cell (VMS: $(check_key VMS), RSS: $(check_key RSS)); the screen:"
		tui_screen | sed 's/^/#   |/'
	fi
	tui_keys q
	tui_wait_exit 10
	pt_eq "[$loc] exit status" "$TUI_RC" 0
	tui_tmux kill-server 2>/dev/null
done
pt_finish
