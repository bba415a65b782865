#!/bin/bash
# Where inside a function it got slower (issue 15): in the live comparison
# (-i NEW --baseline OLD) of the regress workload built twice (slowed()
# does 30% more work in regress-slow), the call tree shows each node's
# change of time per run since the same path in the baseline: slowed()'s
# own time grew more than steady()'s and side()'s (a drift of the machine
# hits all three alike: tests/workloads/regress.c interleaves them); its
# source shows the growth on its SPIN line; D switches to the plain
# columns and back; without a baseline D says why it does nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"
. "$top_srcdir/tests/tui/tui-lib.sh"
pt_setup
tui_setup
base=$(pt_workload regress)
slow=$(pt_workload regress-slow)

for s in old:$base new:$slow; do
	pt_proftop "$PT_WORK/${s%%:*}.rec" record -F 1999 -o "$PT_WORK/${s%%:*}.proftop" -- "${s#*:}" 2
	if [ "$PT_RC" -ne 0 ]; then
		pt_fail "record ${s#*:}: expected exit status 0, saw $PT_RC"
		sed 's/^/#   /' "$PT_WORK/${s%%:*}.rec.err" | head -n 5
		pt_finish
	fi
done

# The screen with "±" as one byte, so that columns are bytes.
screen()
{
	tui_screen | sed 's/\xc2\xb1/~/g; s/\xce\x94/D/g'
}

# tree_delta FUNC: the tree row of FUNC's "Dcumtime Dtottime" (columns
# 8-17 and 27-36 of the screen).
tree_delta()
{
	screen | awk -v f="$1" 'index($0, " " f " (") && /^ +[0-9.]+%/ {
		c = substr($0, 8, 10); t = substr($0, 27, 10)
		gsub(/ /, "", c); gsub(/ /, "", t); print c, t; exit }'
}

tui_start 140 40 -i "$PT_WORK/new.proftop" --baseline "$PT_WORK/old.proftop"
tui_wait "the comparison view" 'Compared with .*old\.proftop' 20 || pt_finish
tui_keys t
tui_wait "the call tree compared with the baseline" 'Call tree compared with .*old\.proftop' 20 ||
	pt_finish
tui_wait "with the change columns" 'Δcumtime +± +Δtottime +± +function' 5
tui_wait "slowed() shown (the hottest path is open)" ' slowed \(' 10 || pt_finish
slowed=$(tree_delta slowed) steady=$(tree_delta steady) side=$(tree_delta side)
echo "# Dcumtime Dtottime: slowed [$slowed] steady [$steady] side [$side]"
if awk -v a="$slowed" -v b="$steady" -v c="$side" 'BEGIN {
	split(a, x, " "); split(b, y, " "); split(c, z, " ")
	exit !(a != "" && b != "" && c != "" && x[2] + 0 > 0 && x[2] + 0 > y[2] + 0 &&
		x[2] + 0 > z[2] + 0 && x[1] + 0 > 0) }'; then
	pt_ok "slowed()'s own time grew, and more than steady()'s and side()'s"
else
	pt_fail "expected slowed()'s Dtottime positive and above steady()'s and side()'s; saw slowed [$slowed] steady [$steady] side [$side]"
	screen | sed 's/^/#   |/'
fi
outer=$(tree_delta outer)
awk -v a="$outer" 'BEGIN { split(a, x, " "); exit !(a != "" && x[1] + 0 > 0) }' &&
	pt_ok "outer()'s cumulative time grew too [$outer]" ||
	pt_fail "expected outer()'s Dcumtime positive (it holds slowed()); saw [$outer]"

tui_keys D
tui_wait "D: the plain tree" '%total +%self +cumtime +tottime +function' 10
tui_wait_not "without the change" 'Call tree compared with' 5
tui_keys D
tui_wait "D again: the change" 'Δcumtime +± +Δtottime' 10

# slowed()'s source: the SPIN line grew.
tui_keys / s l o w e d Enter a
tui_wait "slowed()'s source compared with the baseline" 'Source of slowed .*compared with' 20 ||
	pt_finish
tui_wait "with the change of each line" 'heat +Δown +± +source' 5
# (the change is the one signed number on the row: counts have no sign)
line=$(screen | awk '/SPIN\(/ && /^ +[0-9]+ / {
	for (i = 2; i <= NF; i++) if ($i ~ /^[+-][0-9]+\.[0-9]+$/) { print $i; exit } }')
echo "# slowed()'s SPIN line: Down $line"
awk -v v="$line" 'BEGIN { exit !(v ~ /^[+-][0-9]+\.[0-9]+$/ && v + 0 > 0) }' &&
	pt_ok "the SPIN line's own time grew ($line s per run)" ||
	{
		pt_fail "expected a positive change on slowed()'s SPIN line, saw [$line]"
		screen | sed 's/^/#   |/'
	}
tui_keys D
tui_wait "D: the plain source" 'heat +source' 10
tui_keys q
tui_wait_exit 10
pt_eq "exit status" "$TUI_RC" 0

# No baseline: D says what it needs.
tui_tmux kill-server 2>/dev/null
tui_start 140 40 -i "$PT_WORK/new.proftop"
tui_wait "the functions view" 'slowed' 20 || pt_finish
tui_keys t
tui_wait "the plain call tree" '%total +%self +cumtime +tottime +function' 10
tui_keys D
tui_wait "D without a baseline says so" 'no baseline: compare with proftop -i NEW --baseline OLD' 5
tui_keys q
tui_wait_exit 10
pt_finish
