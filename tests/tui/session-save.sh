#!/bin/bash
# Sessions in the TUI: s saves (a save into a missing directory fails with
# one line, the profile is kept, and a retry elsewhere succeeds); -i reopens
# the file with every view working, the line view's source text coming from
# the session after the source file is gone; -i NEW --baseline OLD compares.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
forever=$(pt_workload forever)
command -v "${CC:-cc}" >/dev/null 2>&1 || pt_skip "no C compiler to build a private copy of shares"

# A private copy of shares, built from a copy of its source that is moved
# away before the session is reopened.
mkdir -p "$PT_WORK/src"
cp "$top_srcdir/tests/workloads/shares.c" "$top_srcdir/tests/workloads/workload.h" "$PT_WORK/src/"
"${CC:-cc}" -O2 -g -fomit-frame-pointer -pthread -o "$PT_WORK/src/shares" "$PT_WORK/src/shares.c" ||
	pt_skip "cannot build a copy of shares"

tui_start 120 40 --no-color -- "$PT_WORK/src/shares" 1
tui_wait "target ended" 'exited with status 0' || pt_finish

# s: the prompt offers proftop-shares-DATE.proftop
tui_keys s
tui_wait "s opens the save prompt with a default name" \
	'Save session to: proftop-shares-[0-9]{8}-[0-9]{6}\.proftop' 5 || pt_finish
tui_keys C-u "$PT_WORK/missing/x.proftop" Enter
tui_wait "a missing directory: one line naming the file and the error" \
	"cannot write $PT_WORK/missing/x.proftop: No such file or directory" 5
[ ! -e "$PT_WORK/missing" ] && pt_ok "nothing created" || pt_fail "expected no $PT_WORK/missing"
tui_wait "the profile is still there" 'work_sixty' 2
tui_keys s
tui_wait "s again offers the name that failed" "Save session to: $PT_WORK/missing/x.proftop" 5
tui_keys C-u "$PT_WORK/saved.proftop" Enter
tui_wait "the retry elsewhere succeeds" "saved [0-9]+ samples to $PT_WORK/saved.proftop" 10
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
[ -s "$PT_WORK/saved.proftop" ] && pt_ok "the session file exists" ||
	pt_fail "expected $PT_WORK/saved.proftop"
tui_tmux kill-server 2>/dev/null

# The sources go away: the line view must read the session's copy.
mv "$PT_WORK/src" "$PT_WORK/gone"

tui_start 120 40 --no-color -i "$PT_WORK/saved.proftop"
tui_wait "marked as a saved session" \
	"saved session: $PT_WORK/saved.proftop, recorded [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{5} on $(uname -n)" 10 ||
	pt_finish
tui_wait "the header says how the target ended" 'exited with status 0' 2
# Sorting: cumulative (default) gives non-increasing %total; 2 puts work_sixty first.
totals=$(tui_rows | awk '{ print $2 }')
if [ -n "$totals" ] && [ "$totals" = "$(sort -rn <<<"$totals")" ]; then
	pt_ok "by cumtime: %total non-increasing ($(echo $totals | cut -c1-40)...)"
else
	pt_fail "expected %total sorted descending, saw: $(echo $totals)"
fi
tui_keys 2
tui_wait_first "by tottime" work_sixty
self=$(tui_rows | awk '$3 == "work_sixty" { print $1 }')
pt_near "work_sixty's %self in the reopened session" "$self" 60 8

tui_keys Enter
tui_wait "line view of work_sixty" 'Source of work_sixty \(shares\.c:[0-9]+-[0-9]+\)' 5
hot=$(tui_screen | awk '/line +self +total/ { on = 1; next }
	on && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ { print }' | sort -k2,2nr | head -n 1)
case $hot in
*"SPIN(6 * n)"*) pt_ok "the hot line's source text, from the session: $hot" ;;
*) pt_fail "expected the hottest line to read 'SPIN(6 * n)' with the source gone, saw '$hot'" ;;
esac
tui_keys Escape
tui_keys c
tui_wait "callers view" 'Callers and callees of work_sixty' 5
tui_wait "run is its caller" ' run \(shares\.c' 5
tui_keys Escape t
tui_wait "call tree" 'Call tree' 5
tui_wait "the tree reaches work_sixty" ' work_sixty \(shares' 5
tui_keys Escape m
tui_wait "memory pane" 'Memory of the target' 5
tui_wait "with its figures" 'peak' 2
tui_keys m o
tui_wait "output view" 'Target output: 2 lines' 5
tui_wait "the captured output" 'shares: done, checksum [0-9a-f]{16}' 5
tui_keys Escape z
tui_wait "z is refused on a saved session" 'cannot be zeroed' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
tui_check_restored
tui_tmux kill-server 2>/dev/null

# A comparison: forever's session against the shares baseline.
pt_proftop "$PT_WORK/rec" record -d 1 -o "$PT_WORK/new.proftop" -- "$forever"
pt_eq "record of forever" "$PT_RC" 0
tui_start 140 30 --no-color -i "$PT_WORK/new.proftop" --baseline "$PT_WORK/saved.proftop" \
	--threshold 5 --sort delta
tui_wait "comparison view" "Compared with $PT_WORK/saved.proftop: [0-9]+ functions by largest regression" 10 ||
	pt_finish
tui_wait "delta columns" 'Δ%self +Δtottime ± +Δ% +Δcumtime' 2
first=$(tui_screen | awk '/Δ%self/ { on = 1; next } on { print; exit }')
echo "# first row: $first"
case $first in
*spin_forever*REGRESSION*) pt_ok "spin_forever is the largest regression, flagged" ;;
*) pt_fail "expected spin_forever first and flagged REGRESSION, saw '$first'" ;;
esac
d=$(awk '{ print $2 }' <<<"$first")
pt_ge "its Δ%self (points)" "${d#+}" 85
# The largest improvements sit at the end of the list: End goes there.
tui_keys End
tui_wait "End shows the largest improvement, work_sixty" 'work_sixty' 5
last=$(tui_screen | awk '/Δ%self/ { on = 1; next } on && /work_sixty/ { print; exit }')
case $last in
*"-"[4-6][0-9].[0-9]*) pt_ok "work_sixty lost its share: $last" ;;
*) pt_fail "expected work_sixty with a Δ%self near -60, saw '$last'" ;;
esac
tui_keys 2
tui_wait "2 sorts by own time" 'functions by own time' 5
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0
pt_finish
