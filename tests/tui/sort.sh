#!/bin/bash
# The functions view on shares (60/30/10% by construction), explored after
# the target ended: each sort key puts the expected function first, the
# header says how the target ended, and q leaves a clean terminal.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
shares=$(pt_workload shares)

tui_start 120 40 -- "$shares" 1
tui_wait "exit state after the target ended" 'shares 1 +pid [0-9]+ +exited with status 0' ||
	pt_finish

tui_keys 2
tui_wait "own-time sort named in the title" 'by own time \(tottime\)' 5
tui_wait_first "sorted by tottime (2)" work_sixty
row=$(tui_rows | head -n 1)
pt_near "work_sixty %self on the screen" "$(awk '{ print $1 }' <<<"$row")" 60 4

tui_keys 1
tui_wait "cumulative sort named in the title" 'by cumulative time' 5
order=$(tui_rows | awk '$3 ~ /^work_/ { print $3 }' | tr '\n' ' ')
pt_eq "work functions in cumulative order" "$order" "work_sixty work_thirty work_ten "

# Nothing counted calls: the calls sort falls back to cumulative time (in
# which u shows the frames every sample passes through as rows).
tui_keys u
tui_wait_not "u: no folded line" 'samples pass through' 5
first=$(tui_rows | head -n 1)
pt_ge "first row's %total when sorted by cumtime (1), unfolded" "$(awk '{ print $2 }' <<<"$first")" 95
tui_keys u
tui_keys 3
tui_wait "calls sort named in the title" 'by call count' 5
pt_eq "first row sorted by calls (3)" "$(tui_rows | head -n 1 | awk '{ print $3 }')" \
	"$(awk '{ print $3 }' <<<"$first")"

# Invert: the coolest first, the hottest last.
tui_keys 2 I
tui_wait "reversed, said in the column header" '\(reversed\)' 5
# End: the last row, however many of ld.so's start-up functions the run caught
tui_keys End
tui_wait "End shows the hottest, last" 'work_sixty' 5
last=$(tui_rows | tail -n 1 | awk '{ print $3 }')
[ "$last" = work_sixty ] || tui_screen | sed 's/^/#   |/'
pt_eq "hottest last after I" "$last" work_sixty
tui_keys I Home

# F6 steps to the next column (tottime -> cumtime); a click on the
# "tottime" header sorts by it again.
tui_keys F6
tui_wait "F6: next sort column" 'by cumulative time' 5
hdr=$(tui_screen | grep -n 'tottime.*cumtime' | head -n 1)
y=$((${hdr%%:*} - 1))
x=$(($(awk -F 'tottime' '{ print length($1) }' <<<"${hdr#*:}") + 2))
tui_click "$x" "$y"
tui_wait "click on the tottime header" 'by own time \(tottime\)' 5
tui_wait_first "sorted by a click" work_sixty

tui_keys q
tui_wait_exit 10 || pt_fail "proftop did not exit after q"
pt_eq "exit status after q" "$TUI_RC" 0
tui_check_restored
pt_finish
